/* library_api.c - the library through its public interface only: this test is
 * compiled with include/ and without sim/ (tests/CMakeLists.txt), and does
 * what the example at the top of include/rapport.h shows; then it runs a
 * small sweep through the execution module (exec.h), with an output file and
 * without, in one process and as two shards, and checks that it gets the
 * summaries `rapport run` (argv[1]) writes for the same scenario, bit for
 * bit. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

/* The observables of a and b, and their concordance by dimension, are the
 * same, bit for bit (NaN where NaN). */
static bool same_summary(const rp_summary *a, const rp_summary *b)
{
    size_t n;
    const rp_observable_def *table = rp_observables_table(&n);
    bool same = a->n_groups == b->n_groups;
    for (int g = -1; same && g < a->n_groups; g++) {
        const rp_observables *x = g < 0 ? &a->all : &a->group[g], *y = g < 0 ? &b->all : &b->group[g];
        same = x->pairs == y->pairs && (g < 0 || strcmp(a->group_name[g], b->group_name[g]) == 0);
        for (size_t k = 0; same && k < n; k++) {
            const double u = rp_observables_get(x, &table[k]), v = rp_observables_get(y, &table[k]);
            same = (isnan(u) && isnan(v)) || memcmp(&u, &v, sizeof u) == 0;
        }
    }
    const rp_dim_concordance *c = &a->by_dimension, *d = &b->by_dimension; /* and concordance by dimension */
    same = same && c->n == d->n;
    for (int k = 0; same && k < c->n; k++) {
        same = strcmp(c->name[k], d->name[k]) == 0;
        for (int g = -1; same && g < a->n_groups; g++) {
            const double u = g < 0 ? c->all[k] : c->group[g][k], v = g < 0 ? d->all[k] : d->group[g][k];
            same = (isnan(u) && isnan(v)) || memcmp(&u, &v, sizeof u) == 0;
        }
    }
    return same;
}

/* Every run of res is done and has the summary that file stores for it. */
static bool same_as_file(const rp_exec_result *res, const char *file)
{
    bool same = res->runs > 0;
    for (int64_t r = 0; same && r < res->runs; r++) {
        rp_summary stored, held;
        rp_error err;
        same = res->summaries.done[r] && rp_output_read_stored_summary(file, r, &stored, &err) == RP_OK;
        if (same)
            rp_summaries_get(&res->summaries, r, &held);
        same = same && same_summary(&held, &stored);
    }
    return same;
}

/* A sweep of 2 x 2 points and 2 replicates through rp_exec_run, against
 * `rapport run` of the same file. */
static void exec_sweep(const char *rapport)
{
    char dir[] = "/tmp/rapport-library-api-XXXXXX";
    if (!mkdtemp(dir)) {
        CHECK(false, "a temporary folder");
        return;
    }
    char yaml[256], mine[256], theirs[256], command[1024];
    snprintf(yaml, sizeof yaml, "%s/sweep.yaml", dir);
    snprintf(mine, sizeof mine, "%s/exec.h5", dir);
    snprintf(theirs, sizeof theirs, "%s/run.h5", dir);
    FILE *f = fopen(yaml, "w");
    if (f) {
        fputs("seed: 11\npatients: {count: 1200}\nproviders: {count: 60}\nreplicates: 2\n"
              "sweep:\n  grid:\n    discussion.policy: [never, intake]\n"
              "    trust.undiscussed_erosion: [0.0, 0.04]\n", f);
        fclose(f);
    }
    rp_scenario *sc = NULL;
    rp_plan *plan = NULL;
    rp_error err;
    int status = rp_scenario_load(yaml, &sc, &err);
    if (status == RP_OK)
        status = rp_scenario_resolve(sc, &err);
    if (status == RP_OK)
        status = rp_plan_create(sc, &plan, &err);
    CHECK(status == RP_OK && rp_plan_runs(plan) == 8, "a sweep of 8 runs loaded and planned (%s)",
          status == RP_OK ? "" : err.msg);
    rp_exec_result none = {0}, file = {0}, shard[2] = {{0}};
    if (status == RP_OK) {
        status = rp_exec_run(sc, plan, &(rp_exec_options){.threads = 2}, &none, &err);
        CHECK(status == RP_OK && !none.single && none.runs == 8, "rp_exec_run without a file (%s)",
              status == RP_OK ? "" : err.msg);
        status = rp_exec_run(sc, plan, &(rp_exec_options){.threads = 1, .output = mine}, &file, &err);
        CHECK(status == RP_OK && access(mine, F_OK) == 0, "rp_exec_run with -o: the file written (%s)",
              status == RP_OK ? "" : err.msg);
        for (int i = 0; i < 2; i++) {
            status = rp_exec_run(sc, plan, &(rp_exec_options){.threads = 1, .shard = i, .shards = 2}, &shard[i],
                                 &err);
            CHECK(status == RP_OK, "rp_exec_run of shard %d of 2 (%s)", i, status == RP_OK ? "" : err.msg);
        }
    }
    snprintf(command, sizeof command, "'%s' run '%s' --threads 2 -o '%s' >/dev/null", rapport, yaml, theirs);
    CHECK(system(command) == 0, "rapport run of the same sweep");
    CHECK(same_as_file(&none, theirs), "without a file: the summaries of rapport run's file, bit for bit");
    CHECK(same_as_file(&file, theirs), "with a file: the same summaries");
    CHECK(same_as_file(&none, mine), "the library's file stores the same summaries");
    bool shards = none.runs == 8;
    for (int64_t r = 0; shards && r < none.runs; r++) {
        const rp_summaries *part = &shard[r % 2].summaries, *other = &shard[(r + 1) % 2].summaries;
        rp_summary a, b;
        shards = part->done && part->done[r] && !other->done[r];
        if (shards) {
            rp_summaries_get(part, r, &a);
            rp_summaries_get(&none.summaries, r, &b);
        }
        shards = shards && same_summary(&a, &b);
    }
    CHECK(shards, "two shards: run r in shard r %% 2 only, with the same summary");
    rp_exec_result refused;
    status = rp_exec_run(sc, plan, &(rp_exec_options){.threads = 1, .resume = true}, &refused, &err);
    CHECK(status == RP_EINVAL && strstr(err.msg, "--resume needs -o FILE") && !refused.summaries.obs,
          "resume without a file: refused, no summaries (%s)", err.msg);
    rp_exec_result_free(&refused);
    const rp_exec_options outside[] = {{.threads = 1, .shard = 2, .shards = 2}, {.threads = 1, .shard = -1},
                                       {.threads = 1, .rank = 1, .ranks = 1}};
    for (int i = 0; i < 3; i++) {
        status = rp_exec_run(sc, plan, &outside[i], &refused, &err);
        CHECK(status == RP_EINVAL && strstr(err.msg, "expected 0 <= part < shards and 0 <= rank < ranks") &&
                  !refused.summaries.obs,
              "a part or rank outside the layout is refused (%s)", err.msg);
        rp_exec_result_free(&refused);
    }
    for (int i = 0; i < 2; i++)
        rp_exec_result_free(&shard[i]);
    rp_exec_result_free(&none);
    rp_exec_result_free(&file);
    rp_plan_free(plan);
    rp_scenario_free(sc);
    unlink(yaml);
    unlink(mine);
    unlink(theirs);
    rmdir(dir);
}

int main(int argc, char **argv)
{
    rp_output_library_init();
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
              memcmp(one.group, two.group, sizeof one.group[0] * (size_t)one.n_groups) == 0 &&
              same_summary(&one, &two) && one.by_dimension.n == 2,
          "the same observables and concordance on both categorical dimensions, bit for bit, at 1 and 2 threads");
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
    if (argc > 1)
        exec_sweep(argv[1]);
    else
        CHECK(false, "usage: library_api RAPPORT_BIN");
    return rp_test_done();
}
