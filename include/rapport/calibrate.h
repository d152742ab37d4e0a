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
#include <stdio.h>

#include "rapport/observe.h"
#include "rapport/scenario.h"
#include "rapport/status.h"

#define RP_CAL_MAX_FREE 16
#define RP_CAL_MAX_TARGETS 64
#define RP_CAL_KEY_MAX 160

typedef struct rp_calibration rp_calibration;

/* One coefficient to fit. */
typedef struct {
    char key[RP_CAL_KEY_MAX]; /* dotted scenario key, e.g. dropout.base */
    double min, max, start;   /* min < start < max */
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

typedef struct {
    int threads; /* >= 1 */
    const volatile sig_atomic_t *stop; /* optional; non-zero stops with RP_EINTR */
    /* optional: called after every iteration */
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

#endif
