/* kernel.c - the compute limit of rapport's weekly dynamics, for benchmarks.
 *
 * The same arithmetic as the engine (two Philox blocks, Box-Muller, Poisson
 * inversion and the eight steps of rp_week_step per pair-week) in the
 * plainest loop there is: pair constants from one Philox block, no
 * population, no assignment, no stored outcomes. Its pair-weeks per second
 * are the ceiling that `rapport run` is measured against.
 *
 * Usage: rapport_kernel PAIRS THREADS   (MODEL.md's default coefficients)
 * Prints: pairs, pair-weeks, seconds, pair-weeks per second, a checksum.
 */
#include <stdio.h>
#include <stdlib.h>

#include <omp.h>

#include "rapport/engine.h"

/* MODEL.md's default coefficients (only the scalars the weekly step reads). */
static void default_coefficients(rp_params *p)
{
    *p = (rp_params){.horizon = 26, .course = 16};
    p->symptoms.max = 27, p->symptoms.recovered = 5, p->symptoms.improvement = 0.1;
    p->symptoms.stressor_jump = 1.5, p->symptoms.noise = 2.5;
    p->alliance.beta0 = 1.0, p->alliance.beta_skill = 1.0, p->alliance.beta_trust = 2.0;
    p->alliance.beta_distance = 1.2, p->alliance.rate = 0.3, p->alliance.noise = 0.03;
    p->rupture.base = -2.5, p->rupture.distance = 2.0, p->rupture.low_alliance = 2.0;
    p->rupture.repair_gain = 0.03, p->rupture.loss = 0.10;
    p->repair.base = -0.5, p->repair.humility = 2.0, p->repair.discussed = 1.0;
    p->trust.rate = 0.15, p->trust.rupture_loss = 0.08;
    p->trust.undiscussed_erosion = 0.02, p->trust.notice_distance = 0.3;
    p->discussion.effect = 0.6, p->discussion.humility_share = 0.5;
    p->discussion.patient_raises = 0.02, p->discussion.policy = RP_DISCUSS_NEVER;
    p->discussion.week = 4;
    p->dropout.base = -8.0, p->dropout.low_alliance = 2.0, p->dropout.low_trust = 1.5;
    p->dropout.barrier = 1.0, p->dropout.stressor = 0.4, p->dropout.early = 4.0;
    p->dropout.early_weeks = 1.5;
}

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
    default_coefficients(&p);
    double early[26];
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
        /* Pair constants of the reference population's typical ranges. */
        const double d = 0.8 * rp_rng_u01(x[0]), h = rp_rng_u01(x[1]), m = 0.2 + 0.5 * rp_rng_u01(x[2]);
        const rp_pair_consts c = {
            .distance = d,
            .discussed_scale = 1 - 0.6 * (0.5 + 0.5 * h),
            .alliance_base = 1.0 + 2.0 * (rp_rng_u01(x[3]) - 0.5),
            .humility = h,
            .repair_prob = {rp_logistic(-0.5 + 2 * h), rp_logistic(0.5 + 2 * h)},
            .erosion = d > 0.3 ? 0.02 * d : 0,
            .dropout_base = -8.0 + 0.4,
            .response = 0.1,
            .stressor_rate = 0.1,
            .stressor_p0 = exp(-0.1),
        };
        rp_pair_state s = {.A = 0, .T = 1 - m, .S = 15, .D = 0};
        s.A = rp_alliance_target(&p, &c, s.T, 0);
        int t = 0;
        for (rp_exit_reason e = RP_EXIT_ENGAGED; e == RP_EXIT_ENGAGED; t++) {
            rp_week_draws u;
            rp_week_events ev;
            rp_week_draws_get(&u, key, i, t);
            e = rp_week_step(&p, &c, t, early[t], &s, &u, &ev);
        }
        pair_weeks += t;
        checksum += s.A + s.S;
    }
    const double seconds = omp_get_wtime() - start;
    printf("pairs %lld pair_weeks %lld seconds %.3f pair_weeks_per_second %.4g checksum %.6f\n", n,
           pair_weeks, seconds, pair_weeks / seconds, checksum);
    return 0;
}
