/* population_unit.c - the population's draws (sim/model/draw.c) and the
 * assignment's (sim/model/assign.c) against their definitions.
 *
 * - the Philox lanes against rp_rng_block (the assignment's streams) and
 *   rp_rng_block32 (the population's), bit for bit, and a word's uniform
 *   within 2^-33 of the uniform distribution;
 * - the normal inversion against GSL's AS 241 and against Phi itself
 *   (and draw_vec.c's log and exp against libm's; its three builds alike)
 *   (|Phi(Phi^-1(p)) - p| far below 1e-6, relative, to p = 1e-300);
 * - the lanes against rp_draw_dist, bit for bit, rejections included;
 * - every distribution: mean and variance within 4 standard errors and a
 *   Kolmogorov-Smirnov distance below its 1% critical value, fixed seeds;
 * - the population the same on 1, 2 and 3 threads;
 * - a population read from records (rp_records): each agent the values of
 *   its row, the rest drawn on the streams of a population without records;
 *   rows drawn with replacement uniform (chi-square, fixed seed), the same on
 *   1 and 2 threads, different for another replicate;
 * - the assignment's draws the same as gsl_ran_shuffle and
 *   gsl_rng_uniform_int on the streams, and the same on any thread count.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "model/draw.h"
#include "rapport/assign.h"
#include "rapport/engine.h"
#include "rapport/population.h"
#include "testing.h"

static const rp_rng_key KEY = {20221, 3};

static void test_block0(void)
{
    const int saved = rp_draw_vec_path;
    __builtin_cpu_init();
    for (int path = RP_ENGINE_SCALAR; path <= RP_ENGINE_AVX512; path += RP_ENGINE_AVX512 - RP_ENGINE_SCALAR) {
        if (path == RP_ENGINE_AVX512 && !__builtin_cpu_supports("avx512f")) {
            printf("SKIP block 0, path avx512: this processor lacks it\n");
            continue;
        }
        rp_draw_vec_path = path; /* scalar: the portable lanes; avx512: the AVX-512 registers */
        int same = 1;
        for (int n = 1; n <= RP_DRAW_LANES; n++)
            for (uint64_t sub = 0; sub < 3; sub++) {
                uint64_t b[RP_DRAW_LANES][4], want[4];
                const int64_t agent0 = 1000003 * n + (int64_t)sub;
                rp_draw_block0(KEY, 7 + sub, agent0, n, sub, b);
                for (int l = 0; l < n; l++) {
                    rp_rng_block(KEY, 7 + sub, (uint64_t)(agent0 + l), sub, 0, want);
                    same &= memcmp(b[l], want, sizeof want) == 0;
                }
            }
        CHECK(same, "block 0 of %d lanes, path %s: rp_rng_block's words", RP_DRAW_LANES, rp_engine_path_name(path));
    }
    rp_draw_vec_path = saved;
}

/* The population's streams: Philox4x32-10 words in lanes (every path this
 * processor has) against rp_rng_block32 and the scalar stream, agents across
 * a 2^32 boundary included (the carry into the counter's fourth word). */
static void test_block32(void)
{
    const int saved = rp_draw_vec_path;
    __builtin_cpu_init();
    for (int path = RP_ENGINE_SCALAR; path <= RP_ENGINE_AVX512; path++) {
        if ((path == RP_ENGINE_AVX2 && !__builtin_cpu_supports("avx2")) ||
            (path == RP_ENGINE_AVX512 && !__builtin_cpu_supports("avx512f"))) {
            printf("SKIP block32, path %s: this processor lacks it\n", rp_engine_path_name(path));
            continue;
        }
        rp_draw_vec_path = path;
        int same = 1;
        for (int n = 1; n <= RP_DRAW_LANES; n++)
            for (uint32_t sub = 0; sub < 3; sub++) {
                uint32_t b[4][RP_DRAW_LANES], want[4];
                const int64_t agent0 = sub == 2 ? ((int64_t)7 << 32) - 5 * n : 1000003 * n + (int64_t)sub;
                rp_draw_block32(KEY, 7 + sub, agent0, n, sub, b);
                for (int l = 0; l < n; l++) {
                    rp_rng_block32(KEY, 7 + sub, (uint64_t)(agent0 + l), sub, want);
                    rp_draw_stream s;
                    rp_draw_stream_open(&s, KEY, 7 + sub, (uint64_t)(agent0 + l), sub);
                    for (int w = 0; w < 4; w++)
                        same &= b[w][l] == want[w] && rp_draw_stream_word(&s) == want[w];
                    /* the stream's next block: block 1 of sub */
                    rp_rng_block32(KEY, 7 + sub, (uint64_t)(agent0 + l), 1u << 4 | sub, want);
                    for (int w = 0; w < 4; w++)
                        same &= rp_draw_stream_word(&s) == want[w];
                }
            }
        CHECK(same, "block 0 of %d lanes of population streams, path %s: rp_rng_block32's words", RP_DRAW_LANES,
              rp_engine_path_name(path));
    }
    rp_draw_vec_path = saved;
    /* A word's uniform: the midpoints (w + 1/2) 2^-32, exactly, on every
     * build; the CDF of the 2^32 equally likely midpoints is within 2^-33 of
     * the uniform's everywhere (far below the 1e-6 allowed), and so is that
     * of any distribution drawn by inversion of one of them. */
    const uint32_t words[RP_DRAWV_LANES] = {0, 1, 2, 0x7fffffffu, 0x80000000u, 0xfffffffeu, 0xffffffffu, 12345678u};
    const rp_drawv *vecs[4] = {&rp_drawv_scalar, __builtin_cpu_supports("avx2") ? &rp_drawv_avx2 : NULL,
                               __builtin_cpu_supports("avx512f") ? &rp_drawv_avx512 : NULL, &rp_drawv_one};
    int exact = 1;
    for (int v = 0; v < 4; v++) {
        if (!vecs[v])
            continue;
        double p[RP_DRAWV_LANES];
        vecs[v]->open01(words, p, 8);
        for (int l = 0; l < 8; l++)
            exact &= p[l] == rp_draw_open01(words[l]) && p[l] == ((double)words[l] + 0.5) / 4294967296.0;
    }
    CHECK(exact, "a word's uniform is (w + 1/2) 2^-32 exactly, on every build");
    CHECK(rp_draw_open01(0) == 0x1p-33 && rp_draw_open01(UINT32_MAX) == 1 - 0x1p-33 &&
              rp_draw_open01(1) - rp_draw_open01(0) == 0x1p-32 && 0x1p-33 < 1e-6,
          "uniforms from 2^-33 to 1 - 2^-33 in steps of 2^-32: the CDF within 2^-33 = %.2g of the uniform's", 0x1p-33);
    /* the normal's tails beyond the last midpoints: mass 2^-33 each, as Phi says */
    const double lo = rp_draw_normal_inv(rp_draw_open01(0)), hi = rp_draw_normal_inv(rp_draw_open01(UINT32_MAX));
    CHECK(fabs(gsl_cdf_ugaussian_P(lo) - 0x1p-33) < 1e-9 * 0x1p-33 &&
              fabs(gsl_cdf_ugaussian_Q(hi) - 0x1p-33) < 1e-6 * 0x1p-33,
          "the normal's extreme draws %.4f and %.4f leave 2^-33 of mass beyond each", lo, hi);
}

static void test_normal_inv(void)
{
    double worst_gsl = 0, worst_cdf = 0;
    for (int e = 1; e <= 300; e++) /* the tails, to 1e-300 */
        for (int m = 1; m < 10; m += 2) {
            const double p = m * pow(10.0, -e);
            const double x = rp_draw_normal_inv(p), y = rp_draw_normal_inv(1 - p);
            worst_gsl = fmax(worst_gsl, fabs(x - gsl_cdf_ugaussian_Pinv(p)) / fabs(x));
            worst_cdf = fmax(worst_cdf, fabs(gsl_cdf_ugaussian_P(x) - p) / p);
            if (p > 1e-16) /* 1 - p is exact to a relative 1e-16 of 1 only */
                worst_cdf = fmax(worst_cdf, fabs(gsl_cdf_ugaussian_Q(y) - (1 - (1 - p))) / p);
        }
    for (int k = 1; k < 100000; k++) { /* the body */
        const double p = (k + 0.237) / 100001.0, x = rp_draw_normal_inv(p);
        if (x != 0)
            worst_gsl = fmax(worst_gsl, fabs(x - gsl_cdf_ugaussian_Pinv(p)) / fabs(x));
        worst_cdf = fmax(worst_cdf, fabs(gsl_cdf_ugaussian_P(x) - p) / fmin(p, 1 - p));
    }
    CHECK(worst_gsl < 1e-13, "normal inversion = gsl_cdf_ugaussian_Pinv (worst relative difference %.2e)", worst_gsl);
    CHECK(worst_cdf < 1e-9, "Phi(Phi^-1(p)) = p to %.2e of min(p, 1 - p), far below 1e-6", worst_cdf);
    CHECK(rp_draw_normal_inv(0.5) == 0 && rp_draw_normal_inv(0) == -INFINITY && rp_draw_normal_inv(1) == INFINITY,
          "Phi^-1: 0 at 1/2, -inf at 0, +inf at 1");
}

/* Units in the last place between a and b (finite, same sign). */
static double ulps(double a, double b)
{
    if (a == b)
        return 0;
    return fabs(a - b) / (nextafter(fabs(b), INFINITY) - fabs(b));
}

/* draw_vec.c: log and exp within an ulp of libm's (correctly rounded
 * nearly always), and the three builds the same bits on every function. */
static void test_vector_math(void)
{
    enum { N = 200000, M = N + RP_DRAWV_LANES }; /* room for the last register */
    static double in[5][M], out[4][5][M];
    static int64_t ok[4][M];
    rp_rng_key k = {99, 1};
    for (int i = 0; i < N; i++) {
        uint64_t b[4];
        rp_rng_block(k, 1, (uint64_t)i, 0, 0, b);
        in[0][i] = rp_rng_u01(b[0]) + 0x1p-60;                        /* (0, 1): normal_inv, log */
        in[1][i] = ldexp(1.0 + rp_rng_u01(b[1]), (int)(b[2] % 2100) - 1074); /* any positive, subnormals too */
        in[2][i] = (rp_rng_u01(b[3]) - 0.5) * 1500;                   /* exp across its whole range */
        in[3][i] = 1.0 + 30 * rp_rng_u01(b[1]);                       /* gamma's d */
        in[4][i] = (rp_rng_u01(b[2]) - 0.5) * 8;                      /* gamma's normal x */
    }
    const rp_drawv *paths[4] = {&rp_drawv_scalar, NULL, NULL, &rp_drawv_one};
    const char *names[4] = {"scalar", "avx2", "avx512", "one-lane"};
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx2"))
        paths[1] = &rp_drawv_avx2;
    if (__builtin_cpu_supports("avx512f"))
        paths[2] = &rp_drawv_avx512;
    for (int v = 0; v < 4; v++) {
        if (!paths[v])
            continue;
        for (int i = 0, n; i < N; i += n) {
            n = 1 + (i / 7) % RP_DRAWV_LANES; /* every lane count */
            double c[RP_DRAWV_LANES];
            for (int l = 0; l < n; l++)
                c[l] = 1.0 / sqrt(9.0 * in[3][i + l]);
            paths[v]->normal_inv(&in[0][i], &out[v][0][i], n);
            paths[v]->log(&in[1][i], &out[v][1][i], n);
            paths[v]->exp(&in[2][i], &out[v][2][i], n);
            paths[v]->log(&in[0][i], &out[v][3][i], n);
            paths[v]->gamma_try(&in[3][i], c, &in[4][i], &in[0][i], &out[v][4][i], &ok[v][i], n);
        }
    }
    double worst_log = 0, worst_exp = 0;
    for (int i = 0; i < N; i++) {
        worst_log = fmax(worst_log, ulps(out[0][1][i], log(in[1][i])));
        if (in[2][i] > -708.39) /* below, no subnormal results: 0 */
            worst_exp = fmax(worst_exp, ulps(out[0][2][i], exp(in[2][i])));
    }
    CHECK(worst_log <= 1, "log within 1 ulp of libm's over (0, 2^1026), subnormals included (worst %.2f)", worst_log);
    CHECK(worst_exp <= 1, "exp within 1 ulp of libm's over [-708, 750] (worst %.2f)", worst_exp);
    double x0[RP_DRAWV_LANES] = {0, 1, -800, 709.79, 1e-320, -1e-300}, y[RP_DRAWV_LANES];
    rp_drawv_scalar.log(x0, y, 2);
    CHECK(y[0] == -INFINITY && y[1] == 0, "log 0 = -inf, log 1 = 0");
    rp_drawv_scalar.exp(x0, y, 6);
    CHECK(y[0] == 1 && ulps(y[1], exp(1.0)) <= 1 && y[2] == 0 && y[3] == INFINITY && y[4] == 1 && y[5] == 1,
          "exp 0 = 1, exp 1 = e (to an ulp), exp -800 = 0, exp 709.79 = inf, exp of +-tiny = 1");
    for (int v = 1; v < 4; v++) {
        if (!paths[v]) {
            printf("SKIP %s: this processor lacks it\n", names[v]);
            continue;
        }
        int same = memcmp(ok[v], ok[0], N * sizeof ok[0][0]) == 0;
        for (int f = 0; f < 5; f++)
            same &= memcmp(out[v][f], out[0][f], N * sizeof out[0][f][0]) == 0;
        CHECK(same, "%s build = scalar build, bit for bit: normal_inv, log, exp, gamma_try on %d inputs", names[v],
              N);
    }
}

static const rp_dist DISTS[] = {
    {RP_DIST_BETA, 2, 6},      {RP_DIST_BETA, 5, 3},     {RP_DIST_BETA, 1, 1},    {RP_DIST_BETA, 0.5, 0.7},
    {RP_DIST_BETA, 0.05, 3},   {RP_DIST_BETA, 3, 0.3},   {RP_DIST_GAMMA, 2, 0.03}, {RP_DIST_GAMMA, 1, 2.5},
    {RP_DIST_GAMMA, 0.6, 2},   {RP_DIST_GAMMA, 40, 0.1}, {RP_DIST_NORMAL, 15, 4}, {RP_DIST_NORMAL, -0.3, 0.05},
    {RP_DIST_FIXED, 0.42, 0},
};
#define N_DISTS (sizeof DISTS / sizeof DISTS[0])

static const char *name(const rp_dist *d, char *buf)
{
    const char *kind[] = {"fixed", "beta", "gamma", "normal"};
    snprintf(buf, 64, "%s(%g, %g)", kind[d->kind], d->a, d->b);
    return buf;
}

static void test_lanes_exact(void)
{
    for (size_t k = 0; k < N_DISTS; k++) {
        int same = 1;
        for (int64_t a0 = 0; a0 < 40000; a0 += RP_DRAW_LANES) {
            const rp_dist *d[RP_DRAW_LANES];
            double out[RP_DRAW_LANES];
            const int n = 1 + (int)(a0 / RP_DRAW_LANES) % RP_DRAW_LANES;
            for (int l = 0; l < n; l++)
                d[l] = &DISTS[(k + (size_t)(l % 2)) % N_DISTS]; /* two distributions side by side */
            rp_draw_lanes(KEY, 2, a0, n, 1, d, out, 1);
            for (int l = 0; l < n; l++) {
                rp_draw_stream s;
                rp_draw_stream_open(&s, KEY, 2, (uint64_t)(a0 + l), 1);
                const double want = rp_draw_dist(&s, d[l]);
                same &= memcmp(&want, &out[l], sizeof want) == 0;
            }
        }
        char buf[64];
        CHECK(same, "lanes = rp_draw_dist bit for bit: %s beside its neighbour", name(&DISTS[k], buf));
    }
}

static double cdf(const rp_dist *d, double x)
{
    switch (d->kind) {
    case RP_DIST_BETA: return gsl_cdf_beta_P(x, d->a, d->b);
    case RP_DIST_GAMMA: return gsl_cdf_gamma_P(x, d->a, d->b);
    case RP_DIST_NORMAL: return gsl_cdf_gaussian_P(x - d->a, d->b);
    default: return x >= d->a;
    }
}

/* Exact mean, variance and fourth central moment. */
static void moments(const rp_dist *d, double *mean, double *var, double *mu4)
{
    const double a = d->a, b = d->b;
    switch (d->kind) {
    case RP_DIST_BETA:
        *mean = a / (a + b);
        *var = a * b / ((a + b) * (a + b) * (a + b + 1));
        /* kurtosis excess of the beta */
        *mu4 = *var * *var *
               (3 + 6 * ((a - b) * (a - b) * (a + b + 1) - a * b * (a + b + 2)) / (a * b * (a + b + 2) * (a + b + 3)));
        return;
    case RP_DIST_GAMMA:
        *mean = a * b;
        *var = a * b * b;
        *mu4 = *var * *var * (3 + 6 / a);
        return;
    default:
        *mean = a;
        *var = b * b;
        *mu4 = 3 * b * b * b * b;
    }
}

static int cmp_double(const void *x, const void *y)
{
    const double a = *(const double *)x, b = *(const double *)y;
    return (a > b) - (a < b);
}

static void test_distributions(void)
{
    enum { N = 200000 };
    double *v = malloc(N * sizeof *v);
    for (size_t k = 0; k < N_DISTS - 1; k++) { /* every kind but the fixed value */
        const rp_dist *d = &DISTS[k];
        for (int64_t a0 = 0; a0 < N; a0 += RP_DRAW_LANES) {
            const rp_dist *dl[RP_DRAW_LANES];
            for (int l = 0; l < RP_DRAW_LANES; l++)
                dl[l] = d;
            rp_draw_lanes(KEY, 40 + k, a0, RP_DRAW_LANES, 0, dl, &v[a0], 1);
        }
        double mean, var, mu4, m = 0, s2 = 0;
        moments(d, &mean, &var, &mu4);
        for (int i = 0; i < N; i++)
            m += v[i];
        m /= N;
        for (int i = 0; i < N; i++)
            s2 += (v[i] - m) * (v[i] - m);
        s2 /= N - 1;
        char buf[64];
        const double se_mean = sqrt(var / N), se_var = sqrt((mu4 - var * var) / N);
        CHECK(fabs(m - mean) < 4 * se_mean, "%s: mean %.6g, want %.6g +- 4 x %.2g", name(d, buf), m, mean, se_mean);
        CHECK(fabs(s2 - var) < 4 * se_var, "%s: variance %.6g, want %.6g +- 4 x %.2g", name(d, buf), s2, var, se_var);
        qsort(v, N, sizeof *v, cmp_double);
        double D = 0;
        for (int i = 0; i < N; i++) {
            const double F = cdf(d, v[i]);
            D = fmax(D, fmax(fabs(F - (double)i / N), fabs((double)(i + 1) / N - F)));
        }
        CHECK(D < 1.628 / sqrt(N), "%s: Kolmogorov-Smirnov D = %.5f below the 1%% value %.5f", name(d, buf), D,
              1.628 / sqrt(N));
        if (d->kind == RP_DIST_BETA)
            CHECK(v[0] >= 0 && v[N - 1] <= 1, "%s: within [0, 1]", name(d, buf));
    }
    free(v);
}

static int same_population(const rp_population *a, const rp_population *b)
{
    const size_t n = (size_t)a->n_patients, m = (size_t)a->n_providers, k = (size_t)a->n_dims;
    return !memcmp(a->patient_culture, b->patient_culture, n * k * sizeof(double)) &&
           !memcmp(a->mistrust, b->mistrust, n * sizeof(double)) && !memcmp(a->barrier, b->barrier, n * sizeof(double)) &&
           !memcmp(a->stressor_rate, b->stressor_rate, n * sizeof(double)) &&
           !memcmp(a->symptoms0, b->symptoms0, n * sizeof(double)) &&
           !memcmp(a->alliance_trait, b->alliance_trait, n * sizeof(double)) &&
           !memcmp(a->response, b->response, n * sizeof(double)) &&
           !memcmp(a->provider_culture, b->provider_culture, m * k * sizeof(double)) &&
           !memcmp(a->humility, b->humility, m * sizeof(double)) && !memcmp(a->skill, b->skill, m * sizeof(double)) &&
           !memcmp(a->retention, b->retention, m * sizeof(double)) &&
           !memcmp(a->capacity, b->capacity, m * sizeof(int64_t));
}

static const char *const SCENARIO =
    "seed: 9917\n"
    "patients:\n"
    "  count: 20011\n"
    "providers:\n"
    "  count: 1013\n"
    "  caseload: 25\n";

static rp_population *generate(const rp_params *p, int threads)
{
    rp_population *pop = rp_population_alloc(p);
    if (!pop) {
        printf("FAIL alloc\n");
        exit(1);
    }
    rp_population_generate(pop, p, KEY, threads);
    return pop;
}

/* The same bits on any thread count; and each agent's values its own: a
 * larger population starts with the same agents where the groups agree. */
static void test_population_threads(void)
{
    for (int model = 1; model <= 2; model++) {
        char set[32];
        snprintf(set, sizeof set, "model=%d", model);
        const char *sets[] = {set};
        rp_params p = rp_test_load(SCENARIO, sets, 1);
        rp_population *one = generate(&p, 1), *two = generate(&p, 2), *three = generate(&p, 3);
        CHECK(same_population(one, two) && same_population(one, three),
              "model %d: the population the same on 1, 2 and 3 threads", model);
        rp_population_free(one);
        rp_population_free(two);
        rp_population_free(three);
    }
}

static void test_assign_threads(void)
{
    const char *policies[] = {"random", "same_group", "min_distance"};
    for (int k = 0; k < 3; k++) {
        char set[64];
        snprintf(set, sizeof set, "assignment.policy=%s", policies[k]);
        const char *sets[] = {set};
        rp_params p = rp_test_load(SCENARIO, sets, 1);
        const int64_t n = p.patients.count;
        int64_t *prov[2];
        double *dist[2];
        int ok = 1;
        for (int t = 0; t < 2; t++) {
            rp_population *pop = generate(&p, 1);
            prov[t] = malloc((size_t)n * sizeof(int64_t));
            dist[t] = malloc((size_t)n * sizeof(double));
            rp_error err = {{0}};
            ok &= rp_assign(pop, &p, KEY, 1 + t, NULL, prov[t], dist[t], &err) == RP_OK;
            for (int64_t j = 0; j < pop->n_providers; j++)
                ok &= pop->capacity[j] >= 0;
            rp_population_free(pop);
        }
        CHECK(ok, "%s: every patient placed within the caseloads", policies[k]);
        CHECK(!memcmp(prov[0], prov[1], (size_t)n * sizeof(int64_t)) &&
                  !memcmp(dist[0], dist[1], (size_t)n * sizeof(double)),
              "%s: the same providers and distances on 1 and 2 threads", policies[k]);
        for (int t = 0; t < 2; t++) {
            free(prov[t]);
            free(dist[t]);
        }
    }
}

/* The choice of a random assignment is uniform over the providers with room:
 * early patients (all providers free) spread like a multinomial. */
static void test_assign_uniform(void)
{
    const char *sets[] = {"assignment.policy=random", "patients.count=20000", "providers.count=100",
                          "providers.caseload=1000"};
    rp_params p = rp_test_load(SCENARIO, sets, 4);
    rp_population *pop = generate(&p, 1);
    const int64_t n = p.patients.count;
    int64_t *prov = malloc((size_t)n * sizeof(int64_t));
    double *dist = malloc((size_t)n * sizeof(double));
    rp_error err = {{0}};
    CHECK(rp_assign(pop, &p, KEY, 2, NULL, prov, dist, &err) == RP_OK, "random: assigned");
    double count[100] = {0}, chi2 = 0;
    for (int64_t i = 0; i < n; i++)
        count[prov[i]]++;
    for (int j = 0; j < 100; j++)
        chi2 += (count[j] - 200) * (count[j] - 200) / 200;
    /* no provider fills (caseload 1000 against 200 expected): every choice is uniform over 100 */
    CHECK(chi2 < gsl_cdf_chisq_Pinv(0.999, 99), "random: providers' counts chi-square %.1f below the 0.1%% value %.1f",
          chi2, gsl_cdf_chisq_Pinv(0.999, 99));
    free(prov);
    free(dist);
    rp_population_free(pop);
}

/* Records by hand: 3 rows of 4 groups' patients, mistrust and class given,
 * row 1's mistrust missing (NaN: drawn). */
static void test_records(void)
{
    const char *sets[] = {"patients.count=3000", "providers.count=150"};
    rp_params p = rp_test_load(SCENARIO, sets, 2);
    static const uint8_t group[3] = {2, 0, 1};
    static const double mistrust[3] = {0.125, NAN, 0.875}, cls[3] = {0.25, 0.5, 0.75};
    rp_records rec = {.rows = 3, .group = group};
    rec.value[RP_REC_MISTRUST] = mistrust;
    const int k_class = 2; /* the reference's third dimension, continuous */
    CHECK(p.culture.dims[k_class].kind == RP_DIM_CONTINUOUS, "the reference's class is continuous");
    rec.value[k_class] = cls;
    rp_params drawn = p;
    p.patients.records = &rec;
    p.patients.resample = 1;
    rp_population *a = generate(&p, 1), *b = generate(&p, 2), *none = generate(&drawn, 1);
    int64_t count[3] = {0}, wrong = 0, same_draw = 0, k = a->n_dims;
    for (int64_t i = 0; i < a->n_patients; i++) {
        double c = a->patient_culture[i * k + k_class];
        int r = c == 0.25 ? 0 : c == 0.5 ? 1 : c == 0.75 ? 2 : -1;
        if (r < 0 || a->patient_group[i] != group[r] || (r != 1 && a->mistrust[i] != mistrust[r])) {
            wrong++;
            continue;
        }
        count[r]++;
        /* what the row does not give is the draw of a population without records, on the same stream,
         * where the group is the same (the reference's groups are contiguous blocks) */
        if (a->patient_group[i] == none->patient_group[i])
            same_draw += a->symptoms0[i] == none->symptoms0[i] &&
                         a->patient_culture[i * k + 3] == none->patient_culture[i * k + 3];
        else
            same_draw++;
    }
    CHECK(wrong == 0, "records: every patient has its row's group, class and mistrust (%lld wrong)", (long long)wrong);
    CHECK(same_draw == a->n_patients, "records: the rest drawn as without records (%lld of %lld)",
          (long long)same_draw, (long long)a->n_patients);
    double chi2 = 0;
    for (int r = 0; r < 3; r++)
        chi2 += (count[r] - 1000.0) * (count[r] - 1000.0) / 1000.0;
    CHECK(chi2 < 13.8, "records: rows drawn uniformly (chi-square %.2f < 13.8, the 0.1%% point of 2 df; %lld %lld %lld)",
          chi2, (long long)count[0], (long long)count[1], (long long)count[2]);
    CHECK(same_population(a, b), "records: the same population on 1 and 2 threads");
    rp_rng_key other = {p.seed, 1};
    rp_population *c = rp_population_alloc(&p);
    rp_population_generate(c, &p, other, 1);
    CHECK(memcmp(a->patient_group, c->patient_group, (size_t)a->n_patients) != 0,
          "records: another replicate draws other rows");
    int missing_drawn = 1;
    for (int64_t i = 0; i < a->n_patients; i++)
        if (a->patient_culture[i * k + k_class] == 0.5 && !(a->mistrust[i] > 0 && a->mistrust[i] < 1))
            missing_drawn = 0;
    CHECK(missing_drawn, "records: a missing mistrust (NaN) is drawn, in (0, 1)");
    rp_population_free(a);
    rp_population_free(b);
    rp_population_free(c);
    rp_population_free(none);
}

int main(void)
{
    gsl_set_error_handler_off();
    test_block0();
    test_block32();
    test_normal_inv();
    test_vector_math();
    test_lanes_exact();
    test_distributions();
    test_population_threads();
    test_records();
    test_assign_threads();
    test_assign_uniform();
    return rp_test_done();
}
