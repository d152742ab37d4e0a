/* calibrate.h - fitting a scenario's coefficients to published targets.
 *
 * A calibration file (YAML, read by the input layer like a scenario, so every
 * error is located "FILE:LINE:COLUMN: error: ...") names a scenario, the coefficients to fit
 * (dotted scenario keys of numeric parameters, each with bounds and a start)
 * and the targets (the observables of observables.h, overall, or
 * OBS_by_group.GROUP for those measured per group) with a value and a band
 * or standard error and a weight:
 *
 *     scenario: baseline.yaml      # relative to the calibration file
 *     replicates: 8                # runs per evaluation, streams 0..R-1
 *     patients: 20000              # optional: patients.count of every run,
 *                                  # providers.count = ceil(N / caseload)
 *     free:
 *       dropout.base: {min: -10, max: -5, start: -8}
 *     targets:
 *       dropout: {value: 0.197, band: [0.187, 0.207], weight: 1}
 *       therapist_icc: {value: 0.05, se: 0.015}
 *     budget: {evaluations: 200, tolerance: 1e-4}
 *
 * The fit minimises sum_k w_k ((m_k - value_k) / s_k)^2, m_k the mean over
 * the R replicates of target k and s_k half the band's width (or the se),
 * with GSL's Nelder-Mead simplex (nmsimplex2) on the unbounded space
 * y = logit((x - min) / (max - min)). Each evaluation resolves the scenario
 * with the free values as overrides (as --set would, leaving the scenario
 * unchanged) and runs replicate r on random stream r: the same
 * streams at every evaluation (common random numbers), so the objective is a
 * deterministic function of x. Replicates run in parallel over OpenMP (one
 * thread per run when R > 1). The fit stops when the simplex's size in y is
 * below budget.tolerance or after budget.evaluations evaluations (an
 * iteration in progress may add up to n + 1 more). The fitted values are
 * rounded to 5 significant digits and evaluated once more; that final
 * evaluation is what is reported and what the calibrated scenario holds.
 * Load: an evaluation is R runs of the scenario (at 20,000 patients, about
 * 0.1 s per run on one core).
 */
#ifndef RP_CALIBRATE_H
#define RP_CALIBRATE_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "rapport/observe.h"
#include "rapport/posterior.h"
#include "rapport/scenario.h"
#include "rapport/status.h"

#define RP_CAL_MAX_FREE 16
#define RP_CAL_MAX_TARGETS 64
#define RP_CAL_KEY_MAX 160

typedef struct rp_calibration rp_calibration;

/* A prior of an ABC-SMC calibration, on [min, max] of its coefficient. */
typedef enum { RP_PRIOR_NONE = 0, RP_PRIOR_UNIFORM, RP_PRIOR_NORMAL, RP_PRIOR_BETA, RP_PRIOR_LOGNORMAL } rp_prior_kind;

typedef struct {
    rp_prior_kind kind;
    double a, b; /* uniform(lo, hi), normal(mean, sd), beta(a, b), lognormal(meanlog, sdlog) */
} rp_prior;

/* One coefficient to fit. */
typedef struct {
    char key[RP_CAL_KEY_MAX]; /* dotted scenario key, e.g. dropout.base */
    double min, max, start;   /* min < start < max; ABC-SMC: the prior's support (it is truncated to it) */
    rp_prior prior;           /* ABC-SMC only (RP_PRIOR_NONE under Nelder-Mead) */
    char prior_text[64];      /* as written, e.g. "uniform(-10, -5)" */
    double scenario_value;    /* its value in the scenario (NaN if not a plain number) */
    char where[RP_CAL_KEY_MAX + 64]; /* FILE:LINE:COLUMN of the key in the calibration file */
} rp_cal_free;

/* One target. */
typedef struct {
    char name[RP_CAL_KEY_MAX]; /* as written: dropout, dropout_by_group.latinx */
    int observable;            /* row of rp_observables_table() */
    int group;                 /* -1: overall; else the patient group's index in the summary */
    double value;              /* the target */
    double lo, hi;             /* band; with an se, value -/+ 1.96 se */
    double scale;              /* s_k: half the band's width, or the se */
    double weight;             /* >= 0 */
    bool has_band;
} rp_cal_target;

/* Mean over replicates and its Monte-Carlo standard error (sd / sqrt(R);
 * NaN with one replicate). */
typedef struct {
    double mean, se;
} rp_cal_stat;

/* What one evaluation measured. */
typedef struct {
    double x[RP_CAL_MAX_FREE];
    double objective;
    rp_cal_stat target[RP_CAL_MAX_TARGETS];
    /* reported, not fitted: dropout by patient group, and the dropout of all
     * groups but "white" pooled over that of "white" (NaN without a group
     * called white) */
    int n_groups;
    char group_name[RP_MAX_GROUPS][RP_NAME_MAX];
    rp_cal_stat group_dropout[RP_MAX_GROUPS];
    rp_cal_stat minority_ratio;
} rp_cal_eval;

/* One line of the objective's history: after each simplex iteration. */
typedef struct {
    int iteration;
    int evaluations;
    double objective; /* the best vertex's */
    double size;      /* the simplex's characteristic size in the transformed space */
    double x[RP_CAL_MAX_FREE];
} rp_cal_step;

/* Under MPI (ranks > 1) every evaluation is a collective of the ranks of
 * the process's rp_dist_init, called by every rank with the same
 * calibration and options but rank: rank k runs its block of the R
 * replicates (rp_dist_block) over its threads, and the ranks exchange the
 * summaries, so that every rank has all R, the same bits as one process,
 * and takes the same steps; every rank returns the same status and message. */
typedef struct {
    int threads;     /* >= 1, per rank */
    int rank, ranks; /* this process's MPI rank and the job's ranks (0 and 0 or 1: one process) */
    const volatile sig_atomic_t *stop; /* optional; non-zero (on any rank) stops with RP_EINTR */
    /* optional: called after every iteration (on every rank) */
    void (*on_step)(void *ctx, const rp_calibration *cal, const rp_cal_step *step);
    void *ctx;
} rp_cal_options;

typedef struct {
    rp_cal_eval final;  /* at the fitted (rounded) values */
    bool converged;     /* tolerance reached (else the budget ran out) */
    int iterations;
    int evaluations;    /* the final evaluation included */
    double seconds;
    rp_cal_step *history; /* [iterations] */
} rp_cal_result;

/* Read and check a calibration file, load and resolve its scenario, check
 * every free key against it (a numeric parameter, bounds inside the
 * parameter's) and every target (an observable, a group of the scenario).
 * RP_OK, RP_EINVAL (located) or RP_ENOMEM. */
int rp_calibration_load(const char *path, rp_calibration **out, rp_error *err);

/* The same from text; name is used in locations, and a relative scenario
 * path is taken relative to dir (NULL: the current directory). */
int rp_calibration_load_string(const char *name, const char *text, const char *dir, rp_calibration **out,
                               rp_error *err);

void rp_calibration_free(rp_calibration *cal);

const rp_cal_free *rp_calibration_free_params(const rp_calibration *cal, int *n);
const rp_cal_target *rp_calibration_targets(const rp_calibration *cal, int *n);
const rp_scenario *rp_calibration_scenario(const rp_calibration *cal);
const char *rp_calibration_path(const rp_calibration *cal);
const char *rp_calibration_scenario_path(const rp_calibration *cal);
int rp_calibration_replicates(const rp_calibration *cal);
long long rp_calibration_patients(const rp_calibration *cal); /* 0: the scenario's own */

/* Replace target k's value and scale (its band becomes value -/+ 1.96 se);
 * for tests that make targets from the simulator itself. */
void rp_calibration_set_target(rp_calibration *cal, int k, double value, double se);

/* Evaluate at x (n free values, in the parameters' own units). */
int rp_calibration_evaluate(const rp_calibration *cal, const double *x, const rp_cal_options *opt,
                            rp_cal_eval *out, rp_error *err);

/* Fit. On RP_OK, res holds the result (free it with rp_calibration_result_free). */
int rp_calibration_fit(const rp_calibration *cal, const rp_cal_options *opt, rp_cal_result *res,
                       rp_error *err);
void rp_calibration_result_free(rp_cal_result *res);

/* ---- identification: which targets pin which coefficient ----
 *
 * A local sensitivity analysis at a point x (the fitted one): for every free
 * coefficient i, two evaluations at x_i -/+ h_i (h_i = step_fraction times
 * its range; a point outside [min, max] is moved onto the bound, which makes
 * the difference one-sided there), every other coefficient at x, on the same
 * random streams as the fit (common random numbers): 2 n_free evaluations.
 * The central difference of every target's mean is d m_k / d x_i; scaled, it
 * reads as the change of target k in units of its scale s_k (half its band)
 * when coefficient i moves by a tenth of its range:
 *     J_ki = (d m_k / d x_i) (max_i - min_i) / 10 / s_k,
 * with its Monte-Carlo SE from the replicates' own differences.
 *
 * The analysis uses the fitted targets only (weight > 0), each row times
 * sqrt(weight), so that J^T J is the objective's curvature (Gauss-Newton):
 * the singular values sigma_j of that matrix (n_free of them, descending;
 * with fewer fitted targets than coefficients the missing ones are 0) and
 * the right singular vectors v_j, in units of a tenth of each range. Moving
 * t tenths of the ranges along v_j changes the objective by about
 * (t sigma_j)^2, so the targets' bands (objective 1) allow about 1 / sigma_j
 * tenths of the ranges along it. A singular value below RP_CAL_FLAT (the
 * bands allow more than the whole range) is a flat direction: the
 * coefficients of v_j trade off against each other and the targets do not
 * tell them apart. */
#define RP_CAL_FLAT 0.1

typedef struct {
    int n_free, n_targets;  /* as the calibration's; every target has a row */
    double step_fraction;   /* h_i / (max_i - min_i) */
    double lo[RP_CAL_MAX_FREE], hi[RP_CAL_MAX_FREE]; /* the two values of coefficient i */
    int evaluations;        /* 2 n_free */
    /* d m_k / d x_i in the target's and the coefficient's own units */
    double derivative[RP_CAL_MAX_TARGETS][RP_CAL_MAX_FREE];
    /* J_ki, scaled as above, and its Monte-Carlo SE (NaN with one replicate) */
    double jacobian[RP_CAL_MAX_TARGETS][RP_CAL_MAX_FREE];
    double jacobian_se[RP_CAL_MAX_TARGETS][RP_CAL_MAX_FREE];
    /* ---- the analysis of the fitted targets' rows ---- */
    int n_fitted;           /* targets with weight > 0 */
    int n_unmeasured;       /* entries of those rows that are not finite (taken as 0) */
    /* the fitted target whose |J_ki| is largest in column i: what coefficient
     * i moves most (-1: it moves none) */
    int moves_most[RP_CAL_MAX_FREE];
    /* the linearised fit's answer to the targets, the pseudo-inverse of the
     * weighted matrix without its flat directions, times sqrt(weight):
     * pinned[i][k] is how far fitted coefficient i moves (tenths of its
     * range) when target k's value moves by one scale s_k (0 for a target of
     * weight 0); pinned_by[i] is the target with the largest |pinned[i][k]|
     * (-1: none, coefficient i lies in the flat directions only) */
    double pinned[RP_CAL_MAX_FREE][RP_CAL_MAX_TARGETS];
    int pinned_by[RP_CAL_MAX_FREE];
    /* sqrt(sum_k pinned[i][k]^2): how far fitted coefficient i moves (tenths
     * of its range) when every fitted target's value moves by its scale,
     * independently (root sum of squares): with targets given as value +- se
     * the SE the targets' own uncertainty gives the fitted value (linearised;
     * flat directions left out, along which it is unbounded) */
    double spread[RP_CAL_MAX_FREE];
    double singular[RP_CAL_MAX_FREE];                  /* descending */
    double direction[RP_CAL_MAX_FREE][RP_CAL_MAX_FREE]; /* direction[j] = v_j, unit length, largest component > 0 */
    double condition; /* singular[0] / singular[n_free - 1] (infinite when the last is 0) */
    /* each singular value's Monte-Carlo SE, to first order: sigma_j moves by
     * u_j^T E v_j for a small change E of the matrix, so its variance is
     * sum_ki (u_kj v_ij)^2 w_k se_ki^2, the entries' errors taken as
     * independent (NaN with one replicate) */
    double singular_se[RP_CAL_MAX_FREE];
    int n_flat;       /* singular values below RP_CAL_FLAT: the last n_flat directions */
} rp_cal_identification;

/* The sensitivity analysis at x (n_free values inside the ranges), step
 * fraction in (0, 0.5]. RP_OK, RP_EINVAL (a step outside that range),
 * RP_ENOMEM, RP_EINTR or an evaluation's error. */
int rp_calibration_identify(const rp_calibration *cal, const double *x, double step_fraction,
                            const rp_cal_options *opt, rp_cal_identification *id, rp_error *err);

/* The analysis alone, of id->jacobian and id->jacobian_se (id->n_free
 * columns and id->n_targets rows filled by the caller; weight[k] >= 0 each
 * target's weight): fills the fields from n_fitted on. For
 * rp_calibration_identify, and for tests with a known matrix. RP_OK,
 * RP_EINVAL (sizes outside 1..RP_CAL_MAX_*) or RP_ENOMEM. */
int rp_calibration_identify_jacobian(rp_cal_identification *id, const double *weight, rp_error *err);

/* Write the calibrated scenario: the scenario file with x applied (as
 * --set would) and resolved, in `rapport show` form (patients is not
 * applied: the scenario keeps its own population). RP_OK, RP_EINVAL, RP_EIO. */
int rp_calibration_write_scenario(const rp_calibration *cal, const double *x, FILE *out, rp_error *err);

/* Whether the simulated value of target tg is inside its band. */
bool rp_calibration_target_in_band(const rp_cal_target *tg, double simulated);

/* providers.count of every run when the calibration sets patients (0 when
 * it does not): ceil(patients / the scenario's caseload). */
long long rp_calibration_providers(const rp_calibration *cal);

/* ---- Bayesian calibration: ABC-SMC ----
 *
 * `method: abc-smc` in a calibration file (the default is nelder-mead) asks
 * for the posterior of the free coefficients instead of a point. Each free
 * key has a prior, `prior: uniform(lo, hi)`, `normal(mean, sd)`,
 * `beta(a, b)` or `lognormal(meanlog, sdlog)` (the scenario's syntax of
 * distributions), truncated to [min, max] (default: the prior's own support
 * within the parameter's bounds). The settings:
 *
 *     method: abc-smc
 *     abc: {particles: 500, generations: 10, tolerance: 1, quantile: 0.5,
 *           min_acceptance: 0.02, simulations: 50000}
 *
 * The algorithm (Beaumont et al. 2009, "Adaptive approximate Bayesian
 * computation"; Del Moral et al. 2012's adaptive tolerances):
 *   - distance of a simulation to the targets:
 *     rho = sqrt(sum_k w_k ((m_k - value_k) / s_k)^2), m_k the mean over the
 *     calibration's replicates, s_k half the band (or the se); NaN: +inf;
 *   - generation 0: N particles from the prior, each simulated once, all
 *     kept (tolerance +inf), weights 1/N;
 *   - generation t >= 1: tolerance eps_t = max(the `quantile`-quantile of
 *     generation t-1's distances, abc.tolerance); particle slot i tries
 *     attempts a = 0, 1, ...: an ancestor j drawn with generation t-1's
 *     weights, moved by a multivariate normal kernel whose covariance is
 *     twice the weighted covariance of generation t-1 (Beaumont 2009; not
 *     Filippi et al. 2013's local one); a proposal outside the support is
 *     refused without a simulation, else simulated and kept when
 *     rho <= eps_t. Weight w_i ~ prior(theta_i) / sum_j w_j K(theta_i | theta_j),
 *     normalised; ESS = 1 / sum w_i^2;
 *   - stop after generation t when eps_t <= abc.tolerance (converged), when
 *     t + 1 = generations, when its acceptance (kept / simulated) is below
 *     min_acceptance, or when the simulations so far reach `simulations`
 *     (checked between generations: a generation runs to its end). A slot
 *     that finds nothing in RP_ABC_MAX_ATTEMPTS (or 10 / min_acceptance,
 *     whichever is smaller) attempts abandons its generation: the
 *     calibration ends with the previous one (stop "acceptance").
 * Randomness: attempt a of slot i of generation t draws its proposal from
 * the Philox stream rp_abc_stream(t, i, a) (purpose RP_PURPOSE_ABC_PROPOSAL)
 * and runs replicate r of its simulation on stream rp_abc_stream(t, i, a) + r
 * of the scenario's seed: every simulation has its own draws (the posterior
 * carries the model's noise), and the whole calibration is a pure function
 * of the seed and the file, whatever the threads (OpenMP over slots) and
 * MPI ranks (each rank takes a block of the slots, and of the weights, and
 * the ranks exchange their blocks after each step: every rank ends each
 * generation with all of it, bit for bit). */
#define RP_ABC_MAX_ATTEMPTS 100000
#define RP_ABC_MAX_PARTICLES 100000
#define RP_ABC_MAX_GENERATIONS 1000
#define RP_ABC_MAX_REPLICATES 256

/* The stream of attempt a of slot i in generation t: bit 63 set (apart from
 * every replicate and sweep stream), t in bits 48-62, i in bits 28-47, a in
 * bits 8-27, the replicate added in bits 0-7. */
static inline uint64_t rp_abc_stream(int generation, int particle, int attempt)
{
    return (uint64_t)1 << 63 | (uint64_t)generation << 48 | (uint64_t)particle << 28 | (uint64_t)attempt << 8;
}

typedef enum { RP_CAL_NELDER_MEAD = 0, RP_CAL_ABC_SMC } rp_cal_method;

typedef struct {
    int particles, generations;
    double tolerance, quantile, min_acceptance;
    long long simulations;
} rp_abc_settings;

rp_cal_method rp_calibration_method(const rp_calibration *cal);
const rp_abc_settings *rp_calibration_abc(const rp_calibration *cal);
/* The calibration file's text, as read. */
const char *rp_calibration_text(const rp_calibration *cal);

/* One generation of particles (posterior.h). */
typedef rp_posterior_generation rp_abc_generation;

typedef enum { RP_ABC_RUNNING = 0, RP_ABC_CONVERGED, RP_ABC_GENERATIONS, RP_ABC_ACCEPTANCE, RP_ABC_BUDGET } rp_abc_stop;
const char *rp_abc_stop_name(rp_abc_stop s); /* "tolerance", "generations", "acceptance", "budget", "running" */

typedef struct {
    int n_free, n_targets, particles;
    int n_generations, cap;
    rp_abc_generation *gen; /* [n_generations] */
    rp_abc_stop stop;       /* RP_ABC_RUNNING: a checkpoint */
    long long simulations;  /* over every generation (runs: times the replicates) */
    double seconds;         /* wall seconds of this process (and, resumed, of those before) */
} rp_abc_result;

/* Weighted summaries of generation g's column (coefficient i, or target k
 * when simulated): mean and the quantile q (the smallest value whose
 * cumulative weight reaches q). */
double rp_abc_mean(const rp_abc_result *res, int g, bool simulated, int column);
double rp_abc_quantile(const rp_abc_result *res, int g, bool simulated, int column, double q);

typedef struct {
    int threads;     /* per rank */
    int rank, ranks; /* this process's MPI rank and the job's ranks (0 and 0 or 1: one process) */
    const volatile sig_atomic_t *stop; /* stops between simulations with RP_EINTR; res keeps the complete generations */
    /* optional: after each complete generation (a checkpoint to write), on
     * rank 0 only; a status other than RP_OK ends the calibration with it
     * (on every rank) */
    int (*on_generation)(void *ctx, const rp_calibration *cal, const rp_abc_result *res, rp_error *err);
    void *ctx;
} rp_abc_options;

/* Run (or, with res holding complete generations read back from a
 * checkpoint, continue) the ABC-SMC calibration. res is zeroed by the caller
 * for a fresh start. RP_OK (res->stop says why it ended), RP_EINTR (res
 * holds the complete generations), RP_ENOMEM, or a simulation's error.
 * With ranks > 1 a collective of the MPI ranks of the process's
 * rp_dist_init (every rank calls it with the same calibration, res and
 * options but rank): every rank returns the same status, message and res. */
int rp_abc_run(const rp_calibration *cal, const rp_abc_options *opt, rp_abc_result *res, rp_error *err);
void rp_abc_result_free(rp_abc_result *res);
/* Append an empty generation (arrays allocated) to res: RP_OK or RP_ENOMEM. */
int rp_abc_add_generation(rp_abc_result *res, rp_error *err);

/* Write the posterior file of res (generations so far; complete when
 * res->stop is not RP_ABC_RUNNING) to path, atomically (posterior.h);
 * command_line, threads (per rank) and ranks are recorded. RP_OK, RP_EIO
 * or RP_ENOMEM. Under MPI, rank 0's to call. */
int rp_abc_write(const rp_calibration *cal, const rp_abc_result *res, const char *path, const char *command_line,
                 int threads, int ranks, rp_error *err);

/* Read the posterior file at path into res (zeroed here) to continue the
 * calibration: the file must be of this calibration (the same file text,
 * resolved scenario, seed and particles), else RP_EINVAL saying what
 * differs. A complete file gives res->stop != RP_ABC_RUNNING: nothing is
 * left to run. */
int rp_abc_resume(const rp_calibration *cal, const char *path, rp_abc_result *res, rp_error *err);

/* The posterior median of every coefficient (the last generation),
 * rounded to 5 significant digits inside the support: the calibrated
 * scenario's values. */
void rp_abc_median(const rp_calibration *cal, const rp_abc_result *res, double *x);

#endif
