/* population.h - the agents of one run: patients and providers (MODEL.md "Agents").
 *
 * Structure of arrays, one entry per agent, allocated once per run and never
 * resized. Group membership is apportioned exactly (largest remainder of
 * share x count, groups in declared order, contiguous indices), so a cohort of
 * 27 with shares 2/27, 14/27, 8/27, 3/27 has exactly 2, 14, 8 and 3 patients.
 * Every attribute of agent i is drawn from its own stream (purpose, i), so
 * generation is parallel and independent of the thread count.
 */
#ifndef RP_POPULATION_H
#define RP_POPULATION_H

#include <math.h>
#include <stdbool.h>
#include <stdint.h>

#include "rapport/params.h"
#include "rapport/rng.h"
#include "rapport/status.h"

typedef struct {
    int64_t n_patients, n_providers;
    int n_dims;

    /* patients, index i in [0, n_patients) */
    uint8_t *patient_group;
    double *patient_culture; /* [i * n_dims + k]: level index (categorical) or value in [0, 1] */
    double *mistrust;        /* m_i */
    double *barrier;         /* b_i */
    double *stressor_rate;   /* lambda_i */
    double *symptoms0;       /* S_0 in [S_rec, S_max]: clamped (model 1) or truncated (model 2) */
    double *alliance_trait;  /* u_i */
    double *response;        /* gamma_i */

    /* providers, index j in [0, n_providers) */
    uint8_t *provider_group;
    double *provider_culture; /* [j * n_dims + k] */
    double *humility;         /* h_j */
    double *skill;            /* sigma_j */
    double *retention;        /* epsilon_j, the retention effect (0 under model 1) */
    int64_t *capacity;        /* C */
} rp_population;

/* Bytes that rp_population_alloc needs for these parameters. */
double rp_population_bytes(const rp_params *p);

/* Bytes the rows of a data file hold (rp_records, read by the scenario and
 * kept for all its runs): 8 a row for each value column kept, 1 a row for
 * the group column; 0 for NULL. Part of rp_run_bytes. */
double rp_records_bytes(const rp_records *rec);

/* Allocate the arrays for p's counts (contents undefined). NULL if out of memory. */
rp_population *rp_population_alloc(const rp_params *p);
void rp_population_free(rp_population *pop);

/* Draw every agent of replicate stream key.stream; threads as given (>= 1). */
void rp_population_generate(rp_population *pop, const rp_params *p, rp_rng_key key, int threads);

/* Largest-remainder apportionment of count over n groups with the given
 * shares: counts[g] sums to count; ties go to the earlier group. */
void rp_population_apportion(int64_t count, int n, const double *shares, int64_t *counts);

/* S0 of model 2: Normal(mean, sd) truncated to [lo, hi] by inversion of
 * one uniform u in [0, 1): mean + sd Phi^-1(Phi(a) + u (Phi(b) - Phi(a))),
 * a = (lo - mean) / sd, b = (hi - mean) / sd (in the upper tail through
 * Q = 1 - Phi, so that no precision is lost there). sd 0 is the mean clamped. */
double rp_population_truncated_normal(double mean, double sd, double lo, double hi, double u);

/* The deprivation gradient of model 2 on one patient at position c of the
 * gradient's dimension: b <- L(logit(b) + g_b (c - 1/2)), lambda <- lambda
 * e^(g_lambda (c - 1/2)), m <- L(logit(m) + g_m (c - 1/2)); a coefficient
 * 0 leaves its value's bits alone. */
void rp_population_gradient(const rp_params *p, double c, double *barrier, double *stressor_rate,
                            double *mistrust);

/* Cultural distance d_ij of MODEL.md: sqrt(sum_k w_k delta_k^2 / sum_k w_k). */
double rp_population_distance(const rp_params *p, const double *patient_culture,
                              const double *provider_culture);

/* The same distance for many pairs: the dimensions' kinds and weights read
 * once into arrays of their own, and the weights' sum in the order of the
 * dimensions (the same bits as rp_population_distance). */
typedef struct {
    int n;
    bool categorical[RP_MAX_DIMS];
    double weight[RP_MAX_DIMS], total;
} rp_metric;

rp_metric rp_metric_of(const rp_params *p);

static inline double rp_metric_distance(const rp_metric *m, const double *c, const double *q)
{
    double num = 0;
    for (int k = 0; k < m->n; k++) {
        const double delta = m->categorical[k] ? (double)(c[k] != q[k]) : fabs(c[k] - q[k]);
        num += m->weight[k] * delta * delta;
    }
    return sqrt(num / m->total);
}

/* d_ij of every pair i < n, patient i with provider provider_of[i], into
 * dist[i]: the same bits as rp_population_distance, in parallel. */
void rp_population_distances(const rp_params *p, const rp_population *pop, const int64_t *provider_of,
                             int threads, double *dist);

#endif
