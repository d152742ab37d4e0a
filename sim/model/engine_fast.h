/* engine_fast.h - what the engine's loop over pairs (engine.c) shares with
 * its kernels: the reference, pair by pair, and the vectorised kernel of
 * engine_fast.c, built three times (scalar, AVX2, AVX-512; docs/ENGINE.md).
 * Private to the model layer.
 */
#ifndef RP_MODEL_ENGINE_FAST_H
#define RP_MODEL_ENGINE_FAST_H

#include <stdbool.h>
#include <stdint.h>

#include "rapport/engine.h"

/* Pairs per unit of work handed to a thread. */
#define RP_ENGINE_CHUNK 4096

/* What the fast kernel's intake reads of provider j, in one place: one
 * cache line a pair instead of one per attribute (the providers are read in
 * the random order of the assignment). */
typedef struct {
    double humility, skill, retention; /* pop->humility[j], skill[j], retention[j] */
    float repair_prob[2];              /* rp_engine_repair_probs, rounded to float */
} rp_engine_provider;

/* One call of rp_engine_run: what every pair of it reads and writes. */
typedef struct {
    const rp_params *p;
    const rp_population *pop;
    const int64_t *provider_of;
    const double *dist;
    rp_rng_key key;
    const double *early; /* delta_E e^(-t / tau_E), t = 0 .. horizon - 1 */
    const float *early_f; /* the same, rounded to float (the fast kernel's) */
    const double *repair_prob; /* 2 a provider: rp_engine_repair_probs */
    const rp_engine_provider *provider; /* the same, with the provider's attributes */
    rp_outcomes *out;
    rp_trajectory *traj; /* or NULL */
} rp_engine_job;

/* The repair probabilities L(theta0 + theta_h h + theta_D D), D = 0, 1, of a
 * provider of humility h: computed once a provider, shared by its pairs. */
void rp_engine_repair_probs(const rp_params *p, double h, double repair_prob[2]);

/* rp_engine_pair_init with provider j's repair probabilities given. */
void rp_engine_pair_init_with(rp_pair_consts *c, const rp_params *p, const rp_population *pop, int64_t i,
                              int64_t j, double distance, const double repair_prob[2]);

/* Where a NaN first appeared in a pair, for the error message. */
typedef struct {
    int64_t pair;
    int week;
    const char *variable;
} rp_engine_nan;

/* A pair's outcome when it leaves: what rp_engine_finish_pair stores. */
typedef struct {
    int exit_week;
    rp_exit_reason reason;
    int discussed, ruptures, repairs;
    double S, early_sum, trust_report;
} rp_pair_result;

/* Pairs [first, first + count) of job; false with the first pair (lowest
 * index) that produced a NaN in *nan. */
typedef bool rp_engine_kernel(const rp_engine_job *job, int64_t first, int64_t count, rp_engine_nan *nan);

/* The vectorised kernel as built for each instruction set (engine_fast.c). */
rp_engine_kernel rp_engine_fast_scalar, rp_engine_fast_avx2, rp_engine_fast_avx512;

/* The trajectory record of row r (pair traj->first + r): state at week w,
 * and the events of week w. */
void rp_engine_record_state(rp_trajectory *tr, int64_t r, int stride, int w, float A, float T, float S, int D);
void rp_engine_record_events(rp_trajectory *tr, int64_t r, int stride, int w, const rp_week_events *ev);

/* Pair i has left: its outcomes, and its trajectory's missing weeks. */
void rp_engine_finish_pair(const rp_engine_job *job, int64_t i, const rp_pair_result *r);

/* Which variable a NaN of A + T + S was in. */
const char *rp_engine_nan_variable(double A, double T);

#endif
