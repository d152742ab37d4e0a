/* engine_fast.c - the vectorised kernel against the reference step
 * (docs/ENGINE.md), with fixed seeds and stated tolerances:
 *   - Philox4x32-10, the weekly draws' generator, gives Random123's known
 *     answers;
 *   - the same populations run by the reference (RP_ENGINE_REFERENCE) and
 *     by the kernel (auto: the widest this processor has), for models 1 and 2,
 *     each discussion policy, and stressor rates above 30 (the lanes that
 *     leave the count to rp_rng_poisson_inv_p0): identical exit weeks and
 *     reasons on >= 99.9% of pairs, and every observable of the summary
 *     (overall and per group) within 4 Monte Carlo standard errors, the
 *     standard error being the observable's sd over R replicates of the
 *     reference;
 *   - every path this processor has (scalar, avx2, avx512) gives the same
 *     outcomes, bit for bit; RAPPORT_ENGINE names a kernel (auto, scalar,
 *     avx2, avx512) and nothing else, and an unknown path is an error.
 */
#define _POSIX_C_SOURCE 200809L /* setenv */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rapport/run.h"
#include "testing.h"

#define REPLICATES 8

static rp_run *run_with(int path, const rp_params *p, uint64_t replicate)
{
    rp_run_options opt = {.threads = 2, .replicate = replicate, .engine = path};
    return rp_test_run(p, &opt);
}

static void test_philox32(void)
{
    uint32_t x[4];
    rp_rng_block32((rp_rng_key){0, 0}, 0, 0, 0, x);
    CHECK(x[0] == 0x6627e8d5u && x[1] == 0xe169c58du && x[2] == 0xbc57ac4cu && x[3] == 0x9b00dbd8u,
          "philox4x32-10 known answer, counter and key 0: %08x %08x %08x %08x", x[0], x[1], x[2], x[3]);
    /* every counter and key bit set: stream, pair < 2^40, week < 2^16, purpose < 2^8 */
    rp_rng_block32((rp_rng_key){UINT64_MAX, UINT64_MAX}, 0xff, ((uint64_t)1 << 40) - 1, 0xffff, x);
    CHECK(x[0] == 0x408f276du && x[1] == 0x41c83b0eu && x[2] == 0xa20bc7c6u && x[3] == 0x6d5451fdu,
          "philox4x32-10 known answer, every bit set: %08x %08x %08x %08x", x[0], x[1], x[2], x[3]);
}

/* The standard error of one run's observable: its sd over the replicates. */
static double sd_of(rp_run *const *runs, int group, const rp_observable_def *d)
{
    double sum = 0, sum2 = 0;
    for (int r = 0; r < REPLICATES; r++) {
        const rp_observables *o = group < 0 ? &runs[r]->summary.all : &runs[r]->summary.group[group];
        sum += rp_observables_get(o, d);
    }
    const double mean = sum / REPLICATES;
    for (int r = 0; r < REPLICATES; r++) {
        const rp_observables *o = group < 0 ? &runs[r]->summary.all : &runs[r]->summary.group[group];
        const double e = rp_observables_get(o, d) - mean;
        sum2 += e * e;
    }
    return sqrt(sum2 / (REPLICATES - 1));
}

/* Observables of fast farther than 4 SE from the reference's replicate 0,
 * as "name group (z)"; empty when none. NaN must meet NaN. */
static void far_observables(rp_run *const *ref, const rp_run *fast, char *out, size_t size)
{
    size_t n;
    const rp_observable_def *table = rp_observables_table(&n);
    out[0] = 0;
    for (int g = -1; g < fast->summary.n_groups; g++)
        for (size_t k = 0; k < n; k++) {
            const rp_observable_def *d = &table[k];
            if (!rp_observables_reported(d, fast->params.model) || (g >= 0 && !d->per_group))
                continue;
            const rp_observables *a = g < 0 ? &ref[0]->summary.all : &ref[0]->summary.group[g];
            const rp_observables *b = g < 0 ? &fast->summary.all : &fast->summary.group[g];
            const double x = rp_observables_get(a, d), y = rp_observables_get(b, d);
            const double se = sd_of(ref, g, d);
            const bool ok = (isnan(x) && isnan(y)) || x == y || fabs(x - y) <= 4 * se;
            if (!ok && strlen(out) + 80 < size)
                snprintf(out + strlen(out), size - strlen(out), "%s%s %s (%.4g vs %.4g, se %.3g)",
                         out[0] ? "; " : "", d->name, g < 0 ? "all" : fast->summary.group_name[g], x, y, se);
        }
}

static void compare(const char *name, const char *yaml, const char **sets, int n_sets)
{
    const rp_params p = rp_test_load(yaml, sets, n_sets);
    rp_run *ref[REPLICATES];
    for (int r = 0; r < REPLICATES; r++)
        ref[r] = run_with(RP_ENGINE_REFERENCE, &p, (uint64_t)r);
    rp_run *fast = run_with(RP_ENGINE_AUTO, &p, 0);

    const rp_outcomes *a = ref[0]->outcomes, *b = fast->outcomes;
    int64_t same = 0, same_state = 0;
    for (int64_t i = 0; i < a->n; i++) {
        const bool s = a->exit_week[i] == b->exit_week[i] && a->exit_reason[i] == b->exit_reason[i];
        same += s;
        /* and the rest of the pair's outcome, where its course was the same */
        same_state += s && a->ruptures[i] == b->ruptures[i] && a->repairs[i] == b->repairs[i] &&
                      a->discussed_week[i] == b->discussed_week[i] &&
                      fabs(a->symptoms_exit[i] - b->symptoms_exit[i]) < 1e-3;
    }
    CHECK(same >= 0.999 * (double)a->n, "%s: identical exit week and reason on %lld of %lld pairs (>= 99.9%%)", name,
          (long long)same, (long long)a->n);
    CHECK(same_state >= 0.999 * (double)a->n,
          "%s: identical ruptures, repairs, discussion week and S at exit (1e-3) on %lld of %lld pairs", name,
          (long long)same_state, (long long)a->n);
    char far[2048];
    far_observables(ref, fast, far, sizeof far);
    CHECK(!far[0], "%s: every observable within 4 Monte Carlo SE of the reference%s%s", name, far[0] ? ": " : "", far);

    for (int r = 0; r < REPLICATES; r++)
        rp_run_free(ref[r]);
    rp_run_free(fast);
}

static bool same_outcomes(const rp_outcomes *a, const rp_outcomes *b)
{
    const size_t n = (size_t)a->n;
    return memcmp(a->exit_week, b->exit_week, n * 4) == 0 && memcmp(a->exit_reason, b->exit_reason, n) == 0 &&
           memcmp(a->discussed_week, b->discussed_week, n * 4) == 0 && memcmp(a->ruptures, b->ruptures, n * 4) == 0 &&
           memcmp(a->repairs, b->repairs, n * 4) == 0 && memcmp(a->symptoms_exit, b->symptoms_exit, n * 8) == 0 &&
           memcmp(a->early_alliance, b->early_alliance, n * 8) == 0 &&
           memcmp(a->trust_report, b->trust_report, n * 8) == 0;
}

static void test_paths(const char *yaml)
{
    const char *sets[] = {"discussion.policy=responsive"};
    const rp_params p = rp_test_load(yaml, sets, 1);
    rp_run *scalar = run_with(RP_ENGINE_SCALAR, &p, 3);
    const char *wide[] = {"avx2", "avx512"};
    for (int k = 0; k < 2; k++) {
        int path;
        rp_error err = {{0}};
        if (rp_engine_path(wide[k], &path, &err) != RP_OK) {
            printf("SKIP the %s kernel: %s\n", wide[k], err.msg);
            continue;
        }
        rp_run *run = run_with(path, &p, 3);
        CHECK(same_outcomes(scalar->outcomes, run->outcomes),
              "the %s kernel gives the scalar kernel's outcomes, bit for bit", wide[k]);
        rp_run_free(run);
    }
    rp_run_free(scalar);

    /* RAPPORT_ENGINE names a kernel; it never selects the reference */
    int path = -1;
    rp_error err = {{0}};
    CHECK(rp_engine_path("sse9", &path, &err) == RP_EINVAL && strstr(err.msg, "RAPPORT_ENGINE=sse9"),
          "an unknown RAPPORT_ENGINE is refused: %s", err.msg);
    CHECK(rp_engine_path("reference", &path, &err) == RP_EINVAL,
          "RAPPORT_ENGINE=reference is refused (an environment must not change results): %s", err.msg);
    const bool chosen = rp_engine_path(NULL, &path, &err) == RP_OK && path >= RP_ENGINE_SCALAR;
    const char *name = chosen ? rp_engine_path_name(path) : "none";
    CHECK(chosen && rp_engine_path(name, &path, &err) == RP_OK,
          "auto is the fast kernel of a path this processor runs (%s)", name);
    rp_run *run = NULL;
    rp_run_options opt = {.threads = 1};
    const int refused = setenv("RAPPORT_ENGINE", "sse9", 1) == 0 ? rp_run_execute(&p, &opt, &run, &err) : -1;
    unsetenv("RAPPORT_ENGINE");
    CHECK(refused == RP_EINVAL && !run, "a run under an unknown RAPPORT_ENGINE fails: %s", err.msg);
    opt.engine = 99;
    CHECK(rp_run_execute(&p, &opt, &run, &err) == RP_EINVAL && !run, "a run on no such engine fails: %s",
          err.msg);
}

static const char *reference = "seed: 4242\npatients: {count: 20000}\nproviders: {count: 1000}\n";

int main(void)
{
    test_philox32();
    const char *never[] = {"discussion.policy=never"};
    const char *responsive[] = {"discussion.policy=responsive"};
    const char *intake[] = {"discussion.policy=intake"};
    const char *delayed[] = {"discussion.policy=delayed", "discussion.week=3"};
    compare("model 1, never", reference, never, 1);
    compare("model 1, responsive", reference, responsive, 1);
    compare("model 1, intake", reference, intake, 1);
    compare("model 1, delayed", reference, delayed, 2);
    const char *v2[] = {"model=2", "discussion.policy=responsive"};
    compare("model 2, responsive", reference, v2, 2);
    /* stressor rates around 40: most lanes' counts by rp_rng_poisson_inv_p0 */
    const char *stressed[] = {"patients.groups.everyone.stressor_rate=gamma(40, 1)", "patients.count=20000",
                              "providers.count=1000", "symptoms.max=1000", "symptoms.stressor_jump=0.05"};
    compare("stressor rates >= 30", rp_test_one_group, stressed, 5);
    test_paths(reference);
    return rp_test_done();
}
