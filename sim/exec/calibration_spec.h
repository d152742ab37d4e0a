/* calibration_spec.h - a calibration file as a plain spec (internal).
 *
 * Read by calibration_spec.c (the reader of calibration files: schemas,
 * the parameter table's parsers, every error located), evaluated and fitted
 * by calibrate.c, which reads no YAML. It names calibrate.h's types, so it
 * belongs with calibration (the exec layer).
 */
#ifndef RP_CALIBRATION_SPEC_H
#define RP_CALIBRATION_SPEC_H

#include "rapport/calibrate.h"
#include "rapport/params.h"
#include "rapport/scenario.h"
#include "rapport/status.h"

/* ---- the calibration spec ---- */

/* A calibration as its file states it (calibrate.h's rp_calibration): the
 * input layer fills it, calibrate.c evaluates and fits it. */
struct rp_calibration {
    char *path;          /* the calibration file's name */
    char *scenario_path; /* as opened */
    rp_scenario *sc;     /* loaded and resolved, without a sweep */
    int replicates;
    long long patients; /* 0: the scenario's */
    char patients_text[32], providers_text[32]; /* patients.count and the providers.count it implies */
    char patients_where[RP_CAL_KEY_MAX + 64];
    int n_free, n_targets;
    rp_cal_free free[RP_CAL_MAX_FREE];   /* with the scenario's own value of each */
    rp_cal_target target[RP_CAL_MAX_TARGETS];
    int evaluations;
    double tolerance;
    rp_cal_method method;  /* nelder-mead (default) or abc-smc */
    rp_abc_settings abc;   /* abc-smc's settings (defaults filled) */
    char *text;            /* the calibration file's text */
    int n_groups; /* the scenario's patient groups, which targets may name */
    char group_name[RP_MAX_GROUPS][RP_NAME_MAX];
};

/* Read the calibration text named name into cal (zeroed by the caller; a
 * relative scenario path is taken relative to dir, NULL: the current
 * directory): every section checked against its schema, the scenario loaded
 * and resolved, every free key (a real-valued parameter, bounds inside its
 * own) and target (an observable, a patient group of the scenario) checked
 * against it. RP_OK, RP_EINVAL (located) or RP_ENOMEM; what cal holds is
 * the caller's to free in any case. */
int rp_cal_spec_read(const char *name, const char *text, const char *dir, struct rp_calibration *cal,
                     rp_error *err);

/* The same from the file at path (a relative scenario path is relative to
 * the file's folder). */
int rp_cal_spec_load(const char *path, struct rp_calibration *cal, rp_error *err);

/* ---- shared by calibrate.c and identify.c ---- */

/* Run the R replicates of cal at x, replicate r on stream stream + r, into
 * sum[R], over threads threads; stop as rp_cal_options's. */
int rp_cal_run_streams(const struct rp_calibration *cal, const double *x, int threads,
                       const volatile sig_atomic_t *stop, uint64_t stream, rp_summary *sum, rp_error *err);

/* Run the R replicates of cal at x (replicate r on stream r) into sum[R]. */
int rp_cal_run(const struct rp_calibration *cal, const double *x, const rp_cal_options *opt, rp_summary *sum,
               rp_error *err);

/* The simulated value of target k in one replicate's summary. */
double rp_cal_target_value(const struct rp_calibration *cal, int k, const rp_summary *s);

struct rp_ynode;

/* The prior written at pr (a scalar "uniform(LO, HI)", normal(M, S),
 * beta(A, B) or lognormal(M, S); name is its key in messages) into fr, for
 * the parameter of row: fr->min and fr->max, set by the caller (the
 * parameter's bounds, or narrower), become the prior's support within them;
 * refused when that support is empty or keeps a mass below 1e-6. Also the
 * priors of a scenario's uncertainty section (uncertainty.c). RP_OK or
 * RP_EINVAL, located at pr. */
int rp_cal_prior_parse(const struct rp_ynode *pr, const char *name, const rp_param *row, rp_cal_free *fr,
                       rp_error *err);

/* A prior (fr->prior) on its support [fr->min, fr->max] (abc.c): its
 * untruncated CDF at x, its truncated quantile at u in (0, 1), and its
 * density up to a constant (0 outside the support). */
double rp_prior_cdf(const rp_cal_free *fr, double x);
double rp_prior_quantile(const rp_cal_free *fr, double u);
double rp_prior_density(const rp_cal_free *fr, double x);

/* A particle drawn by weight: the first j with cw[j] > u cw[n - 1], cw[n]
 * the cumulative weights, u in [0, 1) (abc.c's ancestors, uncertainty.c's
 * posterior draws). */
int rp_abc_pick(const double *cw, int n, double u);

/* x rounded to 5 significant digits, kept strictly inside (min, max) (x
 * itself when the rounded value is not): a calibrated scenario's value. */
double rp_cal_round5(const rp_cal_free *fr, double x);

/* Mean of v[n] and its Monte-Carlo SE, sd / sqrt(n) (NaN for n = 1). */
rp_cal_stat rp_cal_stat_of(const double *v, int n);

#endif
