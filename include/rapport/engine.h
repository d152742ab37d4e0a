/* engine.h - the weekly dynamics of MODEL.md (versions 1 and 2), pair by pair.
 *
 * Pairs never interact once assigned, so a pair runs from intake to exit in
 * one go and pairs are spread over OpenMP threads. Each week draws 8
 * uniforms from two Philox4x32 blocks keyed by (replicate, purpose, patient,
 * week): every draw has a fixed slot, so the result is bit-identical for any
 * thread count or schedule. rp_engine_week_step below is the readable
 * reference of one pair's week; rp_engine_run steps pairs by default with
 * the vectorised kernel of sim/model/engine_fast.c, the same step in vector
 * lanes (docs/ENGINE.md). The engine knows nothing of YAML, HDF5 or MPI, and
 * allocates nothing inside the weekly loop.
 */
#ifndef RP_ENGINE_H
#define RP_ENGINE_H

#include <math.h>
#include <stdbool.h>
#include <stdint.h>

#include "rapport/params.h"
#include "rapport/population.h"
#include "rapport/rng.h"
#include "rapport/status.h"

/* How a pair ended. Codes are part of the output format: never renumber. */
typedef enum {
    RP_EXIT_ENGAGED = 0,   /* still in therapy (not an exit) */
    RP_EXIT_RECOVERED = 1, /* completed: S < S_rec */
    RP_EXIT_COURSE = 2,    /* completed: planned course done */
    RP_EXIT_DROPPED = 3,   /* unilateral disengagement */
    RP_EXIT_CENSORED = 4   /* still engaged at the horizon */
} rp_exit_reason;

/* ---- One pair's week: the reference recurrence, also used by the engine ---- */

/* e^x with the same bits on every machine: fdlibm's algorithm (within 1 ulp
 * of libm's), in IEEE operations only. libm's exp is not used where a result
 * is written: glibc picks its variant by processor at run time, and a file
 * must not depend on the node that wrote it. */
double rp_engine_exp(double x);

static inline double rp_logistic(double x) { return 1.0 / (1.0 + rp_engine_exp(-x)); }

/* clip of MODEL.md, written with comparisons so that a NaN passes through
 * (and is caught) instead of being silently turned into 0.001. */
static inline double rp_clip(double x) { return x < 0.001 ? 0.001 : (x > 0.999 ? 0.999 : x); }

/* What does not change during a pair's course, precomputed at intake. */
typedef struct {
    double distance;        /* d_ij (1 - chi h_j): d_eff(0) */
    double discussed_scale; /* 1 - phi (1 - omega + omega h_j): d_eff(1) = distance * this */
    double alliance_base;   /* beta0 + beta_s sigma_j + u_i */
    double humility;        /* h_j */
    double repair_prob[2];  /* L(theta0 + theta_h h_j + theta_D D), D = 0, 1 */
    double erosion;         /* psi d_ij when d_ij > d_notice, else 0 */
    double dropout_base;    /* delta0 + delta_b b_i + epsilon_j */
    double response;        /* gamma_i */
    double stressor_rate;   /* lambda_i */
    double stressor_p0;     /* exp(-lambda_i), P(N = 0) */
} rp_pair_consts;

typedef struct {
    double A, T, S;
    int D; /* difference discussed (0/1) */
} rp_pair_state;

/* The 8 uniforms/normals of one pair-week, each in its fixed slot. */
typedef struct {
    double discuss, stressor, rupture, repair; /* block A */
    double responsive, dropout;                /* block B, lanes 0-1 */
    double z_alliance, z_symptoms;             /* block B, lanes 2-3 by Box-Muller */
} rp_week_draws;

typedef struct {
    int D_now;     /* D_t after step 1 (discussion in effect this week) */
    unsigned N;    /* stressors N_t */
    int rupture;   /* a rupture happened */
    int repaired;  /* ... and was repaired (rep); unrep = rupture && !repaired */
} rp_week_events;

/* d_eff(D) = d_ij (1 - chi h_j) (1 - D phi (1 - omega + omega h_j)) of MODEL-v2.md. */
static inline double rp_felt_distance(const rp_pair_consts *c, int D)
{
    return D ? c->distance * c->discussed_scale : c->distance;
}

/* A*(T, D) of MODEL.md. */
static inline double rp_alliance_target(const rp_params *p, const rp_pair_consts *c, double T, int D)
{
    return rp_logistic(c->alliance_base + p->alliance.beta_trust * (T - 0.5) -
                       p->alliance.beta_distance * rp_felt_distance(c, D));
}

/* Precompute a pair's constants from its patient i and provider j. */
void rp_engine_pair_init(rp_pair_consts *c, const rp_params *p, const rp_population *pop,
                         int64_t i, int64_t j, double distance);

/* The draws of pair i at week t of replicate key.stream. */
void rp_engine_week_draws(rp_week_draws *u, rp_rng_key key, int64_t i, int t);

/* Intake (week 0): T_0 = 1 - m_i, D_0, A_0 = A*(T_0, D_0), S_0. */
void rp_engine_intake(rp_pair_state *s, const rp_params *p, const rp_pair_consts *c, double mistrust,
                    double symptoms0);

/* Week t of MODEL.md, steps 1-8, in order (the reference: sim/model/engine_fast.c is the same step in vector lanes, docs/ENGINE.md): s holds (A_t, T_t, S_t, D_t) on
 * entry and (A_{t+1}, T_{t+1}, S_{t+1}, D_{t+1}) on return; early is
 * delta_E e^(-t / tau_E). Returns the exit at week t + 1, or RP_EXIT_ENGAGED. */
static inline rp_exit_reason rp_engine_week_step(const rp_params *p, const rp_pair_consts *c, int t,
                                          double early, rp_pair_state *s, const rp_week_draws *u,
                                          rp_week_events *ev)
{
    /* 1. Discussion */
    int D = s->D;
    if (!D) {
        if (p->discussion.policy == RP_DISCUSS_DELAYED && t == p->discussion.week)
            D = 1;
        else if (u->discuss < p->discussion.patient_raises * s->T)
            D = 1;
    }
    /* 2. Stressors */
    unsigned N = rp_rng_poisson_inv_p0(c->stressor_rate, c->stressor_p0, u->stressor);
    /* 3. Rupture, and its repair */
    const double d_eff = rp_felt_distance(c, D);
    int rupture = u->rupture < rp_logistic(p->rupture.base + p->rupture.distance * d_eff +
                                           p->rupture.low_alliance * (1.0 - s->A));
    int rep = rupture && u->repair < c->repair_prob[D];
    int unrep = rupture && !rep;
    /* 4. Responsive discussion */
    int D_next = D;
    if (p->discussion.policy == RP_DISCUSS_RESPONSIVE && unrep && !D && u->responsive < c->humility)
        D_next = 1;
    /* 5. Alliance */
    const double A_star = rp_alliance_target(p, c, s->T, D);
    const double A = rp_clip(s->A + p->alliance.rate * (A_star - s->A) +
                             p->rupture.repair_gain * rep - p->rupture.loss * unrep +
                             p->alliance.noise * u->z_alliance);
    /* 6. Trust */
    /* + Delta_T+ rep: a term of 0.0 under model 1, and the sum before it is
     * positive (never -0.0), so it keeps version 1's bits */
    const double T = rp_clip(s->T + p->trust.rate * (A - s->T) - p->trust.rupture_loss * unrep +
                             p->trust.repair_gain * rep - (D ? 0.0 : c->erosion));
    /* 7. Symptoms */
    double S = s->S - c->response * A * s->S + p->symptoms.stressor_jump * N +
               p->symptoms.noise * u->z_symptoms;
    S = S < 0 ? 0 : (S > p->symptoms.max ? p->symptoms.max : S);

    *s = (rp_pair_state){.A = A, .T = T, .S = S, .D = D_next};
    *ev = (rp_week_events){.D_now = D, .N = N, .rupture = rupture, .repaired = rep};

    /* 8. Exit at week t + 1, first match wins */
    if (S < p->symptoms.recovered)
        return RP_EXIT_RECOVERED;
    if (t + 1 >= p->course)
        return RP_EXIT_COURSE;
    if (u->dropout < rp_logistic(c->dropout_base + p->dropout.low_alliance * (1.0 - A) +
                                 p->dropout.low_trust * (1.0 - T) + p->dropout.stressor * N +
                                 early))
        return RP_EXIT_DROPPED;
    if (t + 1 >= p->horizon)
        return RP_EXIT_CENSORED;
    return RP_EXIT_ENGAGED;
}

/* ---- All pairs of a run ---- */

/* Per-pair results, one entry per patient (= pair). */
typedef struct {
    int64_t n;
    int32_t *exit_week;      /* sessions attended */
    uint8_t *exit_reason;    /* rp_exit_reason */
    int32_t *discussed_week; /* first week with D = 1, or -1 */
    int32_t *ruptures, *repairs;
    double *symptoms_exit;   /* S at the exit week */
    double *early_alliance;  /* mean of A_1..A_3, NaN when exit week < 3 */
    double *trust_report;    /* T at report.ambivalence_week, NaN when exited before */
} rp_outcomes;

rp_outcomes *rp_engine_outcomes_alloc(int64_t n);
void rp_engine_outcomes_free(rp_outcomes *o);
uint64_t rp_engine_outcomes_bytes(int64_t n);

/* Optional week-by-week record of a block of pairs [first, first + count):
 * row r = pair first + r, column w = week 0..horizon (stride horizon + 1).
 * State (A, T, S, D) at week w; events (N, rupture, repaired) of week w.
 * After exit: NaN for floats, 255 for the byte arrays. Any pointer may be NULL. */
typedef struct {
    int64_t first, count;
    float *A, *T, *S;
    uint8_t *D, *N, *rupture, *repaired;
} rp_trajectory;

#define RP_TRAJ_FILL_U8 255

/* How rp_engine_run steps its pairs (docs/ENGINE.md). The fast kernel's
 * builds (scalar, AVX2, AVX-512) give byte-identical results, so the
 * instruction set never changes a result; the reference, rp_engine_week_step
 * pair by pair in double, reads the same draws and differs from the kernel
 * in a pair's last bits and, rarely, in a decision: it is there to check the
 * kernel, and only a program's explicit choice selects it. */
typedef enum {
    RP_ENGINE_AUTO = 0,      /* the environment's RAPPORT_ENGINE, by rp_engine_path */
    RP_ENGINE_REFERENCE = 1, /* rp_engine_week_step, pair by pair */
    RP_ENGINE_SCALAR = 2,    /* the fast kernel for the baseline instruction set */
    RP_ENGINE_AVX2 = 3,      /* ... built with -mavx2 */
    RP_ENGINE_AVX512 = 4     /* ... built with -mavx512f */
} rp_engine_path_id;

/* The fast kernel named by the environment variable RAPPORT_ENGINE's value
 * name, in *path: NULL, "" or "auto", the widest this processor runs;
 * "scalar", "avx2" or "avx512", that one. RP_EINVAL for another name
 * ("reference" included: an environment must not change results) or a
 * kernel this processor cannot run. */
int rp_engine_path(const char *name, int *path, rp_error *err);

/* The name of a path: "auto", "reference", "scalar", "avx2", "avx512". */
const char *rp_engine_path_name(int path);

/* Run pairs [first, first + count) of a population already assigned
 * (provider_of, dist) on engine (an rp_engine_path_id; RP_EINVAL for a
 * kernel this processor cannot run). Fills out at those indices and traj if
 * not NULL. Returns RP_EFAIL naming the pair, week and variable if a NaN
 * appears. */
int rp_engine_run(const rp_params *p, const rp_population *pop, const int64_t *provider_of,
                  const double *dist, rp_rng_key key, int threads, int engine, int64_t first, int64_t count,
                  rp_outcomes *out, rp_trajectory *traj, rp_error *err);

/* The weekly draws' Philox counters (rng.h, rp_rng_block32) hold pairs below
 * 2^40 and weeks below 2^16; rp_engine_run refuses more. */
#define RP_ENGINE_MAX_PAIRS ((int64_t)1 << 40)
#define RP_ENGINE_MAX_WEEKS 65535

#endif
