/* abc.c - Bayesian calibration by ABC-SMC (adaptive tolerances, a
 * population-covariance kernel, importance weights); see calibrate.h.
 *
 * Every random draw of a calibration comes from one of two streams of the
 * scenario's seed, both a pure function of (generation, slot, attempt):
 * the proposal's (purpose RP_PURPOSE_ABC_PROPOSAL) and the simulation's
 * replicates (streams rp_abc_stream(...) + r). A slot's attempts are
 * therefore the same whichever thread or MPI rank runs it, and so is every
 * number of the result: OpenMP over slots, and MPI ranks over blocks of
 * slots (rp_dist_block; the ranks exchange their slots' records and then
 * their weights, rp_dist_allgather_blocks, so that every rank holds every
 * generation), change nothing but the time. The sums over particles
 * (weights, covariances) run in index order, outside the parallel loops or
 * with one sum per index inside them, on every rank alike.
 */
#define _POSIX_C_SOURCE 200809L
#include "rapport/calibrate.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_linalg.h>
#include <gsl/gsl_matrix.h>
#include <gsl/gsl_sf_gamma.h>
#include <omp.h>

#include "rapport/exec.h"
#include "rapport/posterior.h"
#include "rapport/rng.h"
#include "exec/calibration_spec.h"
#include "exec/dist.h"
#include "exec/parts.h"

/* ---- priors ---- */

double rp_prior_cdf(const rp_cal_free *fr, double x)
{
    const rp_prior *p = &fr->prior;
    switch (p->kind) {
    case RP_PRIOR_UNIFORM:
        return x <= p->a ? 0 : x >= p->b ? 1 : (x - p->a) / (p->b - p->a);
    case RP_PRIOR_NORMAL:
        return gsl_cdf_gaussian_P(x - p->a, p->b);
    case RP_PRIOR_BETA:
        return x <= 0 ? 0 : x >= 1 ? 1 : gsl_cdf_beta_P(x, p->a, p->b);
    case RP_PRIOR_LOGNORMAL:
        return x <= 0 ? 0 : gsl_cdf_lognormal_P(x, p->a, p->b);
    default:
        return NAN;
    }
}

/* The untruncated quantile at v in (0, 1). */
static double untruncated_quantile(const rp_prior *p, double v)
{
    switch (p->kind) {
    case RP_PRIOR_UNIFORM:
        return p->a + v * (p->b - p->a);
    case RP_PRIOR_NORMAL:
        return p->a + p->b * gsl_cdf_ugaussian_Pinv(v);
    case RP_PRIOR_BETA:
        return gsl_cdf_beta_Pinv(v, p->a, p->b);
    case RP_PRIOR_LOGNORMAL:
        return gsl_cdf_lognormal_Pinv(v, p->a, p->b);
    default:
        return NAN;
    }
}

double rp_prior_quantile(const rp_cal_free *fr, double u)
{
    const double lo = rp_prior_cdf(fr, fr->min), hi = rp_prior_cdf(fr, fr->max);
    const double x = untruncated_quantile(&fr->prior, lo + u * (hi - lo));
    /* rounding at the ends of the support: stay inside it */
    return x < fr->min ? fr->min : x > fr->max ? fr->max : x;
}

double rp_prior_density(const rp_cal_free *fr, double x)
{
    const rp_prior *p = &fr->prior;
    if (!(x >= fr->min && x <= fr->max))
        return 0;
    switch (p->kind) {
    case RP_PRIOR_UNIFORM:
        return 1;
    case RP_PRIOR_NORMAL: {
        const double z = (x - p->a) / p->b;
        return exp(-0.5 * z * z);
    }
    case RP_PRIOR_BETA:
        return x <= 0 || x >= 1 ? 0 : exp((p->a - 1) * log(x) + (p->b - 1) * log1p(-x));
    case RP_PRIOR_LOGNORMAL: {
        if (x <= 0)
            return 0;
        const double z = (log(x) - p->a) / p->b;
        return exp(-0.5 * z * z) / x;
    }
    default:
        return 0;
    }
}

/* ---- the draws of one attempt ---- */

typedef struct {
    rp_rng_key key;
    uint64_t block[4];
    uint64_t index;
    int left;
} draws;

static draws draws_of(uint64_t seed, int generation, int slot, int attempt)
{
    return (draws){.key = {seed, rp_abc_stream(generation, slot, attempt)}};
}

/* The next uniform of the attempt's stream, in (0, 1). */
static double next_u(draws *d)
{
    if (d->left == 0) {
        rp_rng_block(d->key, RP_PURPOSE_ABC_PROPOSAL, 0, 0, d->index++, d->block);
        d->left = 4;
    }
    return rp_rng_u01(d->block[4 - d->left--]) + 0x1p-54;
}

/* ---- results ---- */

const char *rp_abc_stop_name(rp_abc_stop s)
{
    switch (s) {
    case RP_ABC_CONVERGED: return "tolerance";
    case RP_ABC_GENERATIONS: return "generations";
    case RP_ABC_ACCEPTANCE: return "acceptance";
    case RP_ABC_BUDGET: return "budget";
    default: return "running";
    }
}

int rp_abc_add_generation(rp_abc_result *res, rp_error *err)
{
    if (res->n_generations == res->cap) {
        const int cap = res->cap ? 2 * res->cap : 8;
        rp_abc_generation *g = realloc(res->gen, (size_t)cap * sizeof *g);
        if (!g)
            RP_FAIL(err, RP_ENOMEM, "out of memory");
        res->gen = g;
        res->cap = cap;
    }
    const size_t N = (size_t)res->particles;
    rp_abc_generation *g = &res->gen[res->n_generations];
    *g = (rp_abc_generation){0};
    g->theta = calloc(N * (size_t)res->n_free, sizeof *g->theta);
    g->weight = calloc(N, sizeof *g->weight);
    g->distance = calloc(N, sizeof *g->distance);
    g->simulated = calloc(N * (size_t)(res->n_targets > 0 ? res->n_targets : 1), sizeof *g->simulated);
    if (!g->theta || !g->weight || !g->distance || !g->simulated) {
        free(g->theta);
        free(g->weight);
        free(g->distance);
        free(g->simulated);
        RP_FAIL(err, RP_ENOMEM, "out of memory");
    }
    res->n_generations++;
    return RP_OK;
}

static void free_generation(rp_abc_generation *g);

void rp_abc_result_free(rp_abc_result *res)
{
    for (int g = 0; g < res->n_generations; g++)
        free_generation(&res->gen[g]);
    free(res->gen);
    *res = (rp_abc_result){0};
}

typedef struct {
    double value, weight;
} weighted;

static int by_value(const void *a, const void *b)
{
    const double x = ((const weighted *)a)->value, y = ((const weighted *)b)->value;
    return x < y ? -1 : x > y ? 1 : 0;
}

static double column_value(const rp_abc_result *res, const rp_abc_generation *g, bool simulated, int column, int i)
{
    return simulated ? g->simulated[(size_t)i * (size_t)res->n_targets + (size_t)column]
                     : g->theta[(size_t)i * (size_t)res->n_free + (size_t)column];
}

double rp_abc_mean(const rp_abc_result *res, int gi, bool simulated, int column)
{
    const rp_abc_generation *g = &res->gen[gi];
    double sum = 0, total = 0;
    for (int i = 0; i < res->particles; i++) {
        sum += g->weight[i] * column_value(res, g, simulated, column, i);
        total += g->weight[i];
    }
    return sum / total;
}

double rp_abc_quantile(const rp_abc_result *res, int gi, bool simulated, int column, double q)
{
    const rp_abc_generation *g = &res->gen[gi];
    const int N = res->particles;
    weighted *v = malloc((size_t)N * sizeof *v);
    if (!v)
        return NAN;
    double total = 0;
    for (int i = 0; i < N; i++) {
        v[i] = (weighted){column_value(res, g, simulated, column, i), g->weight[i]};
        total += g->weight[i];
    }
    qsort(v, (size_t)N, sizeof *v, by_value); /* ties: equal values, so the order among them does not matter */
    double cum = 0, x = v[N - 1].value;
    for (int i = 0; i < N; i++) {
        cum += v[i].weight;
        if (cum >= q * total) {
            x = v[i].value;
            break;
        }
    }
    free(v);
    return x;
}

void rp_abc_median(const rp_calibration *cal, const rp_abc_result *res, double *x)
{
    for (int i = 0; i < cal->n_free; i++)
        x[i] = rp_cal_round5(&cal->free[i], rp_abc_quantile(res, res->n_generations - 1, false, i, 0.5));
}

/* ---- one generation ---- */

/* The kernel of generation t: the Cholesky factor L (row-major n x n, lower)
 * of twice the weighted covariance of generation t - 1 (Beaumont et al.
 * 2009); a singular covariance (a coefficient on which every particle
 * agrees) gets a jitter of 1e-10 of its range squared on the diagonal. */
static int kernel_of(const rp_calibration *cal, const rp_abc_result *res, const rp_abc_generation *prev, double *L,
                     rp_error *err)
{
    const int n = cal->n_free, N = res->particles;
    double mean[RP_CAL_MAX_FREE] = {0};
    for (int i = 0; i < N; i++)
        for (int k = 0; k < n; k++)
            mean[k] += prev->weight[i] * prev->theta[(size_t)i * (size_t)n + (size_t)k];
    gsl_matrix *c = gsl_matrix_calloc((size_t)n, (size_t)n);
    if (!c)
        RP_FAIL(err, RP_ENOMEM, "out of memory");
    for (int i = 0; i < N; i++) {
        const double *th = &prev->theta[(size_t)i * (size_t)n];
        for (int a = 0; a < n; a++)
            for (int b = 0; b <= a; b++)
                *gsl_matrix_ptr(c, (size_t)a, (size_t)b) += 2 * prev->weight[i] * (th[a] - mean[a]) * (th[b] - mean[b]);
    }
    for (int a = 0; a < n; a++)
        for (int b = 0; b < a; b++)
            gsl_matrix_set(c, (size_t)b, (size_t)a, gsl_matrix_get(c, (size_t)a, (size_t)b));
    gsl_matrix *work = gsl_matrix_alloc((size_t)n, (size_t)n);
    if (!work) {
        gsl_matrix_free(c);
        RP_FAIL(err, RP_ENOMEM, "out of memory");
    }
    gsl_error_handler_t *old = gsl_set_error_handler_off();
    int ok = 0;
    for (int attempt = 0; attempt < 2 && !ok; attempt++) {
        gsl_matrix_memcpy(work, c);
        if (attempt == 1)
            for (int a = 0; a < n; a++) {
                const double r = cal->free[a].max - cal->free[a].min;
                *gsl_matrix_ptr(work, (size_t)a, (size_t)a) += 1e-10 * r * r;
            }
        ok = gsl_linalg_cholesky_decomp1(work) == GSL_SUCCESS;
    }
    gsl_set_error_handler(old);
    for (int a = 0; a < n; a++)
        for (int b = 0; b < n; b++)
            L[a * n + b] = b <= a ? gsl_matrix_get(work, (size_t)a, (size_t)b) : 0;
    gsl_matrix_free(c);
    gsl_matrix_free(work);
    if (!ok)
        RP_FAIL(err, RP_EFAIL, "abc-smc: the particles' covariance is not positive definite, even with a jitter");
    return RP_OK;
}

/* |L^-1 v|^2 by forward substitution. */
static double mahalanobis2(const double *L, int n, const double *v)
{
    double y[RP_CAL_MAX_FREE], s = 0;
    for (int a = 0; a < n; a++) {
        double t = v[a];
        for (int b = 0; b < a; b++)
            t -= L[a * n + b] * y[b];
        y[a] = t / L[a * n + a];
        s += y[a] * y[a];
    }
    return s;
}

/* What one slot found, as one record of doubles (so that the ranks can
 * exchange the records of their slots as they are): its particle's theta
 * [n], simulated targets [K] and distance, then its attempts, simulations
 * and whether it found one (1 or 0; counts below 2^53 are exact). */
enum { REC_DISTANCE, REC_ATTEMPTS, REC_SIMULATIONS, REC_FOUND, REC_TAIL };

static int record_size(const rp_calibration *cal) { return cal->n_free + cal->n_targets + REC_TAIL; }

/* The simulation of one attempt at theta: each target's mean over the
 * replicates into m, and the distance. */
static int simulate(const rp_calibration *cal, const double *theta, const volatile sig_atomic_t *stop,
                    uint64_t stream, rp_summary *sum, double *m, double *distance, rp_error *err)
{
    const int R = cal->replicates;
    int status = rp_cal_run_streams(cal, theta, 1, stop, stream, sum, err);
    if (status != RP_OK)
        return status;
    double d2 = 0;
    for (int k = 0; k < cal->n_targets; k++) {
        double s = 0;
        for (int r = 0; r < R; r++)
            s += rp_cal_target_value(cal, k, &sum[r]);
        m[k] = s / R;
        const rp_cal_target *tg = &cal->target[k];
        const double z = (m[k] - tg->value) / tg->scale;
        d2 += tg->weight * z * z;
    }
    *distance = isfinite(d2) ? sqrt(d2) : INFINITY;
    return RP_OK;
}

int rp_abc_pick(const double *cw, int n, double u)
{
    const double target = u * cw[n - 1];
    int lo = 0, hi = n - 1;
    while (lo < hi) {
        const int mid = lo + (hi - lo) / 2;
        if (cw[mid] > target)
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

/* Slot i of generation t (tolerance eps; prev and its kernel L, cumulative
 * weights cw, for t > 0): its attempts until one is kept or max_attempts,
 * into its record rec (record_size doubles, zeroed). */
static int run_slot(const rp_calibration *cal, const rp_abc_options *opt, int t, int i, double eps,
                    const rp_abc_generation *prev, const double *L, const double *cw, int N, int max_attempts,
                    double *rec, rp_summary *sum, rp_error *err)
{
    const int n = cal->n_free, K = cal->n_targets;
    const uint64_t seed = rp_scenario_params(cal->sc)->seed;
    double theta[RP_CAL_MAX_FREE], m[RP_CAL_MAX_TARGETS];
    double *tail = rec + n + K;
    for (int a = 0; a < max_attempts; a++) {
        if (opt->stop && *opt->stop)
            RP_FAIL(err, RP_EINTR, "interrupted");
        draws d = draws_of(seed, t, i, a);
        tail[REC_ATTEMPTS]++;
        bool inside = true;
        if (t == 0) {
            for (int k = 0; k < n; k++)
                theta[k] = rp_prior_quantile(&cal->free[k], next_u(&d));
        } else {
            const int lo = rp_abc_pick(cw, N, next_u(&d)); /* the ancestor, by the previous weights */
            double z[RP_CAL_MAX_FREE];
            for (int k = 0; k < n; k++)
                z[k] = gsl_cdf_ugaussian_Pinv(next_u(&d));
            for (int k = 0; k < n; k++) {
                double x = prev->theta[(size_t)lo * (size_t)n + (size_t)k];
                for (int b = 0; b <= k; b++)
                    x += L[k * n + b] * z[b];
                theta[k] = x;
                if (!(x >= cal->free[k].min && x <= cal->free[k].max) || rp_prior_density(&cal->free[k], x) <= 0)
                    inside = false;
            }
        }
        if (!inside)
            continue; /* outside the prior's support: refused without a simulation */
        double distance;
        tail[REC_SIMULATIONS]++;
        int status = simulate(cal, theta, opt->stop, rp_abc_stream(t, i, a), sum, m, &distance, err);
        if (status != RP_OK)
            return status;
        if (distance <= eps) {
            memcpy(rec, theta, (size_t)n * sizeof *theta);
            memcpy(rec + n, m, (size_t)K * sizeof *m);
            tail[REC_DISTANCE] = distance;
            tail[REC_FOUND] = 1;
            return RP_OK;
        }
    }
    return RP_OK;
}

/* The q-quantile of the distances of g (N of them): the smallest with at
 * least a share q at or below it. */
static int distance_quantile(const rp_abc_generation *g, int N, double q, double *out, rp_error *err)
{
    weighted *w = malloc((size_t)N * sizeof *w);
    if (!w)
        RP_FAIL(err, RP_ENOMEM, "out of memory");
    for (int i = 0; i < N; i++)
        w[i] = (weighted){g->distance[i], 0};
    qsort(w, (size_t)N, sizeof *w, by_value);
    int k = (int)ceil(q * N) - 1;
    k = k < 0 ? 0 : k >= N ? N - 1 : k;
    *out = w[k].value;
    free(w);
    return RP_OK;
}

static void free_generation(rp_abc_generation *g)
{
    free(g->theta);
    free(g->weight);
    free(g->distance);
    free(g->simulated);
    *g = (rp_abc_generation){0};
}

/* The importance weight of particle i of g (before normalisation):
 * prior / sum_j w_j K(theta_i | theta_j) over generation prev. */
static double weight_of(const rp_calibration *cal, const rp_abc_generation *g, const rp_abc_generation *prev,
                        const double *L, int N, int i)
{
    const int n = cal->n_free;
    const double *th = &g->theta[(size_t)i * (size_t)n];
    double prior = 1, denom = 0, v[RP_CAL_MAX_FREE];
    for (int k = 0; k < n; k++)
        prior *= rp_prior_density(&cal->free[k], th[k]);
    for (int j = 0; j < N; j++) {
        const double *tj = &prev->theta[(size_t)j * (size_t)n];
        for (int k = 0; k < n; k++)
            v[k] = th[k] - tj[k];
        denom += prev->weight[j] * exp(-0.5 * mahalanobis2(L, n, v));
    }
    return prior / denom;
}

/* Generation t into a new generation of res (added only when every slot
 * found a particle; *abandoned otherwise). This rank runs its block of the
 * slots (rp_dist_block), over its threads, and computes its block of the
 * weights; the ranks exchange their blocks, so that every rank ends with
 * the whole generation, and every step that can fail is agreed on
 * (rp_dist_agree_error) before the next exchange: each rank returns the
 * same status and message. */
static int run_generation(const rp_calibration *cal, const rp_abc_options *opt, rp_abc_result *res, bool *abandoned,
                          rp_error *err)
{
    const int t = res->n_generations, N = res->particles, n = cal->n_free, K = cal->n_targets;
    const int ranks = opt->ranks > 1 ? opt->ranks : 1, S = record_size(cal);
    const rp_abc_settings *s = &cal->abc;
    int64_t lo, hi;
    rp_dist_block(N, opt->rank, ranks, &lo, &hi);
    *abandoned = false;
    double eps = INFINITY, L[RP_CAL_MAX_FREE * RP_CAL_MAX_FREE];
    double *cw = NULL, *rec = NULL;
    rp_abc_generation *g = NULL;
    const rp_abc_generation *prev = NULL;
    /* the new generation's arrays first (counted once complete): adding it
     * may move res->gen, so prev is taken after */
    int status = rp_abc_add_generation(res, err);
    if (status == RP_OK) {
        res->n_generations--;
        g = &res->gen[t];
        prev = t > 0 ? &res->gen[t - 1] : NULL;
    }
    if (status == RP_OK && prev) {
        status = distance_quantile(prev, N, s->quantile, &eps, err);
        eps = fmax(eps, s->tolerance);
        if (status == RP_OK)
            status = kernel_of(cal, res, prev, L, err);
        if (status == RP_OK && !(cw = malloc((size_t)N * sizeof *cw)))
            status = rp_status_raise(err, RP_ENOMEM, "out of memory");
        double c = 0;
        for (int j = 0; status == RP_OK && j < N; j++)
            cw[j] = c += prev->weight[j];
    }
    if (status == RP_OK && !(rec = calloc((size_t)N * (size_t)S, sizeof *rec)))
        status = rp_status_raise(err, RP_ENOMEM, "out of memory");
    const int max_attempts = s->min_acceptance > 0 && 10 / s->min_acceptance < RP_ABC_MAX_ATTEMPTS
                                 ? (int)ceil(10 / s->min_acceptance)
                                 : RP_ABC_MAX_ATTEMPTS;
    const int threads = opt->threads > 0 ? opt->threads : 1;
    if (status == RP_OK) {
        int failed = RP_OK;
        rp_error first = {{0}};
#pragma omp parallel num_threads(threads)
        {
            rp_summary *sum = calloc((size_t)cal->replicates, sizeof *sum);
#pragma omp for schedule(dynamic, 1)
            for (int64_t i = lo; i < hi; i++) {
                if (rp_exec_failed(&failed))
                    continue;
                rp_error e = {{0}};
                int st = sum ? run_slot(cal, opt, t, (int)i, eps, prev, L, cw, N, max_attempts, &rec[i * S], sum, &e)
                             : rp_status_raise(&e, RP_ENOMEM, "out of memory");
                if (st != RP_OK)
                    rp_exec_fail(st, &e, &failed, &first);
            }
            free(sum);
        }
        if (failed) {
            status = failed;
            *err = first;
        }
    }
    free(cw);
    status = rp_dist_agree_error(status, err);
    if (status == RP_OK && (status = rp_dist_allgather_blocks(rec, N, (size_t)S * sizeof *rec, ranks)) != RP_OK)
        rp_status_raise(err, status, "abc-smc: the MPI ranks could not exchange their particles (%s)",
                        status == RP_ENOMEM ? "out of memory" : "the ranks are not those of this job");
    if (status != RP_OK) {
        free(rec);
        if (g)
            free_generation(g);
        return status;
    }
    for (int i = 0; i < N; i++) {
        const double *r = &rec[(size_t)i * (size_t)S], *tail = r + n + K;
        memcpy(&g->theta[(size_t)i * (size_t)n], r, (size_t)n * sizeof *r);
        memcpy(&g->simulated[(size_t)i * (size_t)K], r + n, (size_t)K * sizeof *r);
        g->distance[i] = tail[REC_DISTANCE];
        g->attempts += (long long)tail[REC_ATTEMPTS];
        g->simulations += (long long)tail[REC_SIMULATIONS];
        if (tail[REC_FOUND] == 0)
            *abandoned = true;
    }
    free(rec);
    g->tolerance = eps;
    res->simulations += g->simulations;
    if (*abandoned) {
        free_generation(g);
        return RP_OK;
    }
    g->acceptance = g->simulations > 0 ? (double)N / (double)g->simulations : NAN;
    /* the weights: this rank's block, then every rank's */
    if (!prev) {
        for (int i = 0; i < N; i++)
            g->weight[i] = 1.0 / N;
    } else {
#pragma omp parallel for num_threads(threads) schedule(static)
        for (int64_t i = lo; i < hi; i++)
            g->weight[i] = weight_of(cal, g, prev, L, N, (int)i);
        if ((status = rp_dist_allgather_blocks(g->weight, N, sizeof *g->weight, ranks)) != RP_OK) {
            free_generation(g);
            RP_FAIL(err, status, "abc-smc: the MPI ranks could not exchange their weights (out of memory)");
        }
        double total = 0;
        for (int i = 0; i < N; i++)
            total += g->weight[i];
        for (int i = 0; i < N; i++)
            g->weight[i] /= total;
    }
    double w2 = 0;
    for (int i = 0; i < N; i++)
        w2 += g->weight[i] * g->weight[i];
    g->ess = 1 / w2;
    res->n_generations++;
    return RP_OK;
}

/* The stopping rule after the last complete generation. */
static rp_abc_stop stop_rule(const rp_calibration *cal, const rp_abc_result *res)
{
    const rp_abc_settings *s = &cal->abc;
    const int t = res->n_generations;
    if (t == 0)
        return RP_ABC_RUNNING;
    const rp_abc_generation *last = &res->gen[t - 1];
    if (t > 1 && last->tolerance <= s->tolerance)
        return RP_ABC_CONVERGED;
    if (t >= s->generations)
        return RP_ABC_GENERATIONS;
    if (t > 1 && last->acceptance < s->min_acceptance)
        return RP_ABC_ACCEPTANCE;
    if (res->simulations >= s->simulations)
        return RP_ABC_BUDGET;
    return RP_ABC_RUNNING;
}

int rp_abc_run(const rp_calibration *cal, const rp_abc_options *opt, rp_abc_result *res, rp_error *err)
{
    if (cal->method != RP_CAL_ABC_SMC)
        RP_FAIL(err, RP_EINVAL, "%s: the calibration's method is not abc-smc", cal->path);
    if (opt->ranks > 1 ? opt->rank < 0 || opt->rank >= opt->ranks : opt->rank != 0)
        RP_FAIL(err, RP_EINVAL, "abc-smc: rank %d of %d ranks; expected 0 <= rank < ranks", opt->rank, opt->ranks);
    const double t0 = omp_get_wtime();
    res->n_free = cal->n_free;
    res->n_targets = cal->n_targets;
    res->particles = cal->abc.particles;
    int status = RP_OK;
    while (status == RP_OK && res->stop == RP_ABC_RUNNING) {
        if ((res->stop = stop_rule(cal, res)) != RP_ABC_RUNNING)
            break;
        bool abandoned;
        status = run_generation(cal, opt, res, &abandoned, err);
        if (status == RP_OK && abandoned) {
            res->stop = RP_ABC_ACCEPTANCE;
            break;
        }
        if (status == RP_OK && opt->on_generation && opt->rank == 0)
            status = opt->on_generation(opt->ctx, cal, res, err);
        status = rp_dist_agree_error(status, err); /* rank 0's checkpoint */
    }
    res->seconds += omp_get_wtime() - t0;
    return status;
}

/* ---- the posterior file ---- */

int rp_abc_write(const rp_calibration *cal, const rp_abc_result *res, const char *path, const char *command_line,
                 int threads, int ranks, rp_error *err)
{
    const int n = cal->n_free, K = cal->n_targets;
    char *key[RP_CAL_MAX_FREE], *prior[RP_CAL_MAX_FREE], *target[RP_CAL_MAX_TARGETS];
    double min[RP_CAL_MAX_FREE], max[RP_CAL_MAX_FREE];
    double value[RP_CAL_MAX_TARGETS], lo[RP_CAL_MAX_TARGETS], hi[RP_CAL_MAX_TARGETS], scale[RP_CAL_MAX_TARGETS],
        weight[RP_CAL_MAX_TARGETS];
    for (int i = 0; i < n; i++) {
        key[i] = (char *)cal->free[i].key; /* only read */
        prior[i] = (char *)cal->free[i].prior_text;
        min[i] = cal->free[i].min;
        max[i] = cal->free[i].max;
    }
    for (int k = 0; k < K; k++) {
        const rp_cal_target *tg = &cal->target[k];
        target[k] = (char *)tg->name;
        value[k] = tg->value;
        lo[k] = tg->lo;
        hi[k] = tg->hi;
        scale[k] = tg->scale;
        weight[k] = tg->weight;
    }
    char *yaml = rp_exec_scenario_text(cal->sc);
    if (!yaml)
        RP_FAIL(err, RP_ENOMEM, "out of memory");
    const rp_params *p = rp_scenario_params(cal->sc);
    const rp_posterior post = {
        .command_line = (char *)command_line, .calibration_path = cal->path, .calibration_text = cal->text,
        .scenario_path = cal->scenario_path, .scenario_yaml = yaml, .seed = p->seed, .threads = threads,
        .ranks = ranks > 1 ? ranks : 1,
        .model_version = rp_model_version(p->model), .n_free = n, .n_targets = K, .particles = res->particles,
        .replicates = cal->replicates, .key = key, .prior = prior, .min = min, .max = max, .target = target,
        .value = value, .lo = lo, .hi = hi, .scale = scale, .weight = weight,
        .max_generations = cal->abc.generations, .tolerance = cal->abc.tolerance, .quantile = cal->abc.quantile,
        .min_acceptance = cal->abc.min_acceptance, .max_simulations = cal->abc.simulations,
        .complete = res->stop != RP_ABC_RUNNING, .stop = (char *)rp_abc_stop_name(res->stop),
        .simulations = res->simulations, .seconds = res->seconds, .n_generations = res->n_generations,
        .gen = res->gen};
    int status = rp_posterior_write(path, &post, err);
    free(yaml);
    return status;
}

int rp_abc_resume(const rp_calibration *cal, const char *path, rp_abc_result *res, rp_error *err)
{
    *res = (rp_abc_result){.n_free = cal->n_free, .n_targets = cal->n_targets, .particles = cal->abc.particles};
    rp_posterior post;
    int status = rp_posterior_read(path, &post, err);
    if (status != RP_OK)
        return status;
    char *yaml = rp_exec_scenario_text(cal->sc);
    const char *differs = !yaml                                            ? NULL
                          : strcmp(post.calibration_text, cal->text) != 0 ? "the calibration file's text"
                          : strcmp(post.scenario_yaml, yaml) != 0         ? "the resolved scenario"
                          : post.seed != rp_scenario_params(cal->sc)->seed ? "the seed"
                          : post.particles != cal->abc.particles || post.n_free != cal->n_free ||
                                  post.n_targets != cal->n_targets
                              ? "the number of particles, coefficients or targets"
                              : NULL;
    if (!yaml)
        status = rp_status_raise(err, RP_ENOMEM, "out of memory");
    else if (differs)
        status = rp_status_raise(err, RP_EINVAL, "%s is the posterior of another calibration (%s differs); expected "
                                 "the file this calibration wrote, or no --resume (with --force to replace it)",
                                 path, differs);
    free(yaml);
    /* take the generations over */
    if (status == RP_OK) {
        res->gen = post.gen;
        res->n_generations = res->cap = post.n_generations;
        post.gen = NULL;
        post.n_generations = 0;
        res->simulations = post.simulations;
        res->seconds = post.seconds;
        static const rp_abc_stop stops[] = {RP_ABC_CONVERGED, RP_ABC_GENERATIONS, RP_ABC_ACCEPTANCE, RP_ABC_BUDGET};
        res->stop = RP_ABC_RUNNING;
        for (size_t k = 0; post.complete && k < sizeof stops / sizeof stops[0]; k++)
            if (strcmp(post.stop, rp_abc_stop_name(stops[k])) == 0)
                res->stop = stops[k];
        if (post.complete && res->stop == RP_ABC_RUNNING)
            status = rp_status_raise(err, RP_EINVAL, "%s: a complete posterior file whose stop is '%s'; expected "
                                     "tolerance, generations, acceptance or budget", path, post.stop);
    }
    rp_posterior_free(&post);
    if (status != RP_OK)
        rp_abc_result_free(res);
    return status;
}
