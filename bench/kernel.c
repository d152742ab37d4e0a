/* kernel.c - the compute limit of rapport's weekly dynamics, for benchmarks.
 *
 * The library's own engine (rp_engine_run: the vectorised kernel, or the
 * reference step) on pairs made up here, with no population draws and no
 * assignment: each pair's patient and provider take typical values of the
 * reference population from one Philox block, one provider per pair. What
 * is timed is rp_engine_run alone (its pairs' intake, the weekly steps and
 * the outcomes it stores), so its pair-weeks per second are the ceiling that
 * `rapport run` is measured against, and it changes with the library's step,
 * never a copy of it.
 *
 * Usage: rapport_kernel PAIRS THREADS [PATH]   (the library's defaults,
 * MODEL.md's; PATH auto, scalar, avx2, avx512 or reference, default auto)
 * Prints: pairs, pair-weeks, seconds, pair-weeks per second, a checksum, the path.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <omp.h>

#include "rapport/engine.h"
#include "rapport/scenario.h"

/* The pairs' made-up population; one array each, one provider per pair. */
typedef struct {
    double *mistrust, *symptoms0, *trait, *barrier, *response, *rate, *humility, *skill, *retention, *dist;
    int64_t *provider_of;
} pairs;

static bool make_pairs(pairs *a, int64_t n, rp_population *pop)
{
    double **arrays[] = {&a->mistrust, &a->symptoms0, &a->trait, &a->barrier, &a->response,
                         &a->rate,     &a->humility,  &a->skill, &a->retention, &a->dist};
    bool ok = (a->provider_of = malloc((size_t)n * sizeof(int64_t))) != NULL;
    for (size_t k = 0; k < sizeof arrays / sizeof arrays[0]; k++)
        ok = (*arrays[k] = malloc((size_t)n * sizeof(double))) != NULL && ok;
    if (!ok)
        return false;
    const rp_rng_key key = {20221, 0};
#pragma omp parallel for schedule(static)
    for (int64_t i = 0; i < n; i++) {
        uint64_t x[4];
        rp_rng_block(key, 99, (uint64_t)i, 0, 0, x);
        a->dist[i] = 0.8 * rp_rng_u01(x[0]);
        a->humility[i] = rp_rng_u01(x[1]);
        a->mistrust[i] = 0.2 + 0.5 * rp_rng_u01(x[2]);
        a->trait[i] = 2.0 * (rp_rng_u01(x[3]) - 0.5);
        a->symptoms0[i] = 15, a->barrier[i] = 0.4, a->response[i] = 0.1, a->rate[i] = 0.1;
        a->skill[i] = 0, a->retention[i] = 0;
        a->provider_of[i] = i;
    }
    *pop = (rp_population){.n_patients = n, .n_providers = n, .mistrust = a->mistrust, .symptoms0 = a->symptoms0,
                           .alliance_trait = a->trait, .barrier = a->barrier, .response = a->response,
                           .stressor_rate = a->rate, .humility = a->humility, .skill = a->skill,
                           .retention = a->retention};
    return true;
}

static void free_pairs(pairs *a)
{
    free(a->mistrust), free(a->symptoms0), free(a->trait), free(a->barrier), free(a->response);
    free(a->rate), free(a->humility), free(a->skill), free(a->retention), free(a->dist), free(a->provider_of);
}

int main(int argc, char **argv)
{
    if (argc != 3 && argc != 4) {
        fprintf(stderr, "usage: rapport_kernel PAIRS THREADS [auto|scalar|avx2|avx512|reference]\n");
        return 2;
    }
    const long long n = atoll(argv[1]);
    const int threads = atoi(argv[2]);
    if (n < 1 || threads < 1) {
        fprintf(stderr, "rapport_kernel: PAIRS and THREADS must be >= 1\n");
        return 2;
    }
    rp_params p;
    rp_error err = {{0}};
    int path = RP_ENGINE_REFERENCE;
    if (rp_scenario_defaults(20221, 1, &p, &err) != RP_OK ||
        (!(argc == 4 && strcmp(argv[3], "reference") == 0) &&
         rp_engine_path(argc == 4 ? argv[3] : NULL, &path, &err) != RP_OK)) {
        fprintf(stderr, "rapport_kernel: %s\n", err.msg);
        return 1;
    }
    pairs a = {0};
    rp_population pop;
    rp_outcomes *out = rp_engine_outcomes_alloc(n);
    if (!out || !make_pairs(&a, n, &pop)) {
        fprintf(stderr, "rapport_kernel: out of memory\n");
        return 1;
    }
    const double start = omp_get_wtime();
    const int status = rp_engine_run(&p, &pop, a.provider_of, a.dist, (rp_rng_key){20221, 0}, threads, path, 0, n,
                                     out, NULL, &err);
    const double seconds = omp_get_wtime() - start;
    if (status != RP_OK) {
        fprintf(stderr, "rapport_kernel: %s\n", err.msg);
        return 1;
    }
    long long pair_weeks = 0;
    double checksum = 0;
    for (long long i = 0; i < n; i++) {
        pair_weeks += out->exit_week[i];
        checksum += out->symptoms_exit[i];
    }
    printf("pairs %lld pair_weeks %lld seconds %.3f pair_weeks_per_second %.4g checksum %.6f path %s\n", n,
           pair_weeks, seconds, pair_weeks / seconds, checksum, rp_engine_path_name(path));
    free_pairs(&a);
    rp_engine_outcomes_free(out);
    return 0;
}
