/* library_api.c - the library through its public interface only: this test is
 * compiled with include/ and without sim/ (tests/CMakeLists.txt), and does
 * what the example at the top of include/rapport.h shows. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "rapport.h"
#include "testing.h"

static int run_summary(const rp_params *p, int threads, rp_summary *sum)
{
    rp_run *run = NULL;
    rp_error err;
    int status = rp_run_execute(p, &(rp_run_options){.threads = threads}, &run, &err);
    if (status == RP_OK)
        *sum = run->summary;
    else
        fprintf(stderr, "%s\n", err.msg);
    rp_run_free(run);
    return status;
}

int main(void)
{
    rp_scenario *sc = NULL;
    rp_error err;
    int status = rp_scenario_load_string("api.yaml", "seed: 5\npatients: {count: 3000}\nproviders: {count: 150}\n",
                                         &sc, &err);
    if (status == RP_OK)
        status = rp_scenario_set(sc, "discussion.policy=intake", &err);
    if (status == RP_OK)
        status = rp_scenario_resolve(sc, &err);
    CHECK(status == RP_OK, "load, --set and resolve through rapport.h (%s)", status == RP_OK ? "" : err.msg);
    if (status != RP_OK)
        return rp_test_done();

    rp_summary one, two;
    CHECK(run_summary(rp_scenario_params(sc), 1, &one) == RP_OK, "rp_run_execute at 1 thread");
    CHECK(run_summary(rp_scenario_params(sc), 2, &two) == RP_OK, "rp_run_execute at 2 threads");
    CHECK(memcmp(&one.all, &two.all, sizeof one.all) == 0 && one.n_groups == two.n_groups &&
              memcmp(one.group, two.group, sizeof one.group[0] * (size_t)one.n_groups) == 0,
          "the same observables, bit for bit, at 1 and 2 threads");
    CHECK(one.all.pairs == 3000 && one.all.dropout > 0 && one.all.dropout < 1,
          "3000 pairs, dropout %.3f in (0, 1)", one.all.dropout);
    CHECK(fabs(one.all.discussed_share - 1.0) < 1e-12, "intake policy: every pair discussed (%.3f)",
          one.all.discussed_share);

    rp_scenario_free(sc);
    sc = NULL;
    status = rp_scenario_load("/nonexistent/scenario.yaml", &sc, &err);
    CHECK(status != RP_OK && strstr(err.msg, "/nonexistent/scenario.yaml"),
          "a missing file: a status and a message naming it (%s)", err.msg);
    rp_scenario_free(sc);
    return rp_test_done();
}
