/* kernel.c - the compute limit of rapport's weekly dynamics, for benchmarks.
 *
 * The same arithmetic as the engine (two Philox blocks, Box-Muller, Poisson
 * inversion and the eight steps of rp_engine_week_step per pair-week) in the
 * plainest loop there is: pair constants from one Philox block, no
 * population, no assignment, no stored outcomes. Its pair-weeks per second
 * are the ceiling that `rapport run` is measured against.
 *
 * Usage: rapport_kernel PAIRS THREADS   (the library's defaults, MODEL.md's)
 * Prints: pairs, pair-weeks, seconds, pair-weeks per second, a checksum.
 */
#include <stdio.h>
#include <stdlib.h>

#include <omp.h>

#include "rapport/engine.h"
#include "rapport/scenario.h"

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: rapport_kernel PAIRS THREADS\n");
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
    if (rp_scenario_defaults(20221, 1, &p, &err) != RP_OK) {
        fprintf(stderr, "rapport_kernel: %s\n", err.msg);
        return 1;
    }
    double *early = malloc((size_t)p.horizon * sizeof *early);
    if (!early) {
        fprintf(stderr, "rapport_kernel: out of memory\n");
        return 1;
    }
    for (int t = 0; t < p.horizon; t++)
        early[t] = p.dropout.early * exp(-t / p.dropout.early_weeks);
    const rp_rng_key key = {20221, 0};

    long long pair_weeks = 0;
    double checksum = 0;
    const double start = omp_get_wtime();
#pragma omp parallel for schedule(dynamic, 1024) num_threads(threads) reduction(+ : pair_weeks, checksum)
    for (long long i = 0; i < n; i++) {
        uint64_t x[4];
        rp_rng_block(key, 99, (uint64_t)i, 0, 0, x);
        /* One patient and one provider in the reference population's typical
         * ranges; the pair's constants and intake by the engine's own code. */
        double h = rp_rng_u01(x[1]), m = 0.2 + 0.5 * rp_rng_u01(x[2]);
        double trait = 2.0 * (rp_rng_u01(x[3]) - 0.5), skill = 0, eps = 0, b = 0.4, gamma = 0.1, lambda = 0.1;
        const rp_population one = {.n_patients = 1, .n_providers = 1, .alliance_trait = &trait, .barrier = &b,
                                   .response = &gamma, .stressor_rate = &lambda, .humility = &h, .skill = &skill,
                                   .retention = &eps};
        rp_pair_consts c;
        rp_engine_pair_init(&c, &p, &one, 0, 0, 0.8 * rp_rng_u01(x[0]));
        rp_pair_state s;
        rp_engine_intake(&s, &p, &c, m, 15);
        int t = 0;
        for (rp_exit_reason e = RP_EXIT_ENGAGED; e == RP_EXIT_ENGAGED; t++) {
            rp_week_draws u;
            rp_week_events ev;
            rp_engine_week_draws(&u, key, i, t);
            e = rp_engine_week_step(&p, &c, t, early[t], &s, &u, &ev);
        }
        pair_weeks += t;
        checksum += s.A + s.S;
    }
    const double seconds = omp_get_wtime() - start;
    printf("pairs %lld pair_weeks %lld seconds %.3f pair_weeks_per_second %.4g checksum %.6f\n", n,
           pair_weeks, seconds, pair_weeks / seconds, checksum);
    free(early);
    return 0;
}
