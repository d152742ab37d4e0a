/* sweep.h - executing the runs of a plan on this process, and the numbers
 * of a sweep's summary (rp_sweep_point_stats; the command line prints them).
 * exec.h builds on this: the checks, the files, the shards and ranks.
 *
 * A plan's runs (points x replicates) are spread over workers (MPI ranks or
 * Slurm shards: run r belongs to worker r % workers) and, within a process,
 * over OpenMP threads: across runs when runs are many and small (each run on
 * one thread), across pairs when they are few and large (runs one after the
 * other, each on every thread). Every run is a pure function of its
 * parameters and stream, so the results are identical either way. Finished
 * runs go to a callback, one at a time (it writes them to disk); nothing
 * here knows HDF5 or MPI.
 */
#ifndef RP_SWEEP_H
#define RP_SWEEP_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "rapport/observe.h"
#include "rapport/output.h"
#include "rapport/plan.h"
#include "rapport/run.h"
#include "rapport/status.h"

typedef enum { RP_PARALLEL_AUTO = 0, RP_PARALLEL_RUNS, RP_PARALLEL_PAIRS } rp_parallel;

/* Where finished runs go (the output module). For each run: begin, then
 * its trajectories in blocks of pairs (streamed as a large run goes, or whole
 * for a small run), then end with the finished run. The three calls of a run
 * come together, from one thread at a time; runs come in any order. */
typedef struct {
    int (*begin)(void *ctx, const rp_run_id *id, const rp_params *p, rp_error *err);
    rp_trajectory_fn block;
    int (*end)(void *ctx, int64_t index, const rp_run *run, rp_error *err);
    void *ctx;
    unsigned variables; /* trajectory variables wanted (0: none) */
} rp_run_sink;

typedef struct {
    int threads;
    rp_parallel parallel;
    int64_t worker, workers;  /* this process does runs r with r % workers == worker */
    const uint8_t *skip;      /* [runs]: 1 = already done (resume); may be NULL */
    const rp_run_sink *sink;  /* may be NULL */
    const volatile sig_atomic_t *stop;
    void (*progress)(void *ctx, int64_t runs_done, int64_t runs_total, int64_t pair_weeks);
    void *progress_ctx;
} rp_sweep_options;

/* Per-run summaries of the runs done here. */
typedef struct {
    int64_t runs;
    rp_summary *summary; /* [runs] */
    uint8_t *done;       /* [runs]: 1 if summary[r] was computed here */
    int64_t pair_weeks;  /* simulated by this process */
} rp_sweep_result;

/* Run this worker's share of the plan. On RP_OK every run of the share that
 * was not skipped is done and in res. RP_EINTR when stopped. */
int rp_sweep_execute(const rp_plan *plan, const rp_sweep_options *opt, rp_sweep_result *res,
                     rp_error *err);

void rp_sweep_result_free(rp_sweep_result *res);

/* Whether the plan's runs are better spread over threads one run each. */
bool rp_sweep_parallel_over_runs(const rp_plan *plan, int threads);

/* A statistic over replicates: its estimate, its standard error and its 95%
 * confidence interval [lo, hi] over the n replicates where it is defined
 * (rp_sweep_stat_of, rp_sweep_ratio_of). NaN where undefined: mean with no
 * replicate, se and the interval with fewer than two. */
typedef struct {
    double mean, se, lo, hi;
    int64_t n;
} rp_sweep_stat;

/* The mean of the values v[0..n-1] that are not NaN (k of them), its
 * standard error sd / sqrt(k) (sd with divisor k - 1), and the interval
 * mean -+ t se, t the 0.975 quantile of Student's t with k - 1 degrees of
 * freedom. The sums are taken in order, in one pass (sum, sum of squares). */
rp_sweep_stat rp_sweep_stat_of(const double *v, int64_t n);

/* The ratio of means ybar / xbar over the pairs (x[i], y[i]) where neither
 * is NaN (k of them): its standard error by the delta method,
 * sqrt(Vyy - 2 r Vxy + r^2 Vxx) / |xbar| with r the ratio and V the
 * (co)variances of the means (sample (co)variances / k), and Fieller's 95%
 * interval: the r with (ybar - r xbar)^2 <= t^2 (Vyy - 2 r Vxy + r^2 Vxx),
 * t as above. lo and hi are NaN when that set is not a bounded interval
 * (xbar is within t standard errors of 0: the ratio is not pinned down). */
rp_sweep_stat rp_sweep_ratio_of(const double *y, const double *x, int64_t n);

/* The numbers of one point of a sweep, each a statistic over the point's
 * replicates (rp_sweep_stat_of; the reduction RP_REDUCE_MEAN_SE of the
 * table), overall and per patient group: [0] of the observable itself, [1]
 * of the paired difference to point 0, replicate by replicate (common
 * random numbers make it precise; zero at point 0). And the contrasts of
 * each group g with the reference group (the first, scenario order): the
 * gap g - reference within each run, at this point ([0]) and its change
 * from point 0 ([1], the difference of differences, replicate by replicate),
 * and the share of point 0's gap closed here, -change / gap at point 0, a
 * ratio of means over the replicates (rp_sweep_ratio_of). A replicate
 * counts where every value it needs is defined. Rows the model version does
 * not report, and overall-only rows by group, are NaN. */
typedef struct {
    int64_t replicates; /* the point's runs that are done here */
    int model;          /* the point's model version (rp_model_version): which rows it reports */
    int n_groups;       /* 0 when none is */
    char group_name[RP_MAX_GROUPS][RP_NAME_MAX];
    rp_sweep_stat all[2][RP_N_OBSERVABLES];                   /* [0] mean, [1] paired, by table row */
    rp_sweep_stat group[2][RP_MAX_GROUPS][RP_N_OBSERVABLES]; /* [.][g][row] */
    int reference;                                            /* the reference group: 0 (-1 without groups) */
    rp_sweep_stat gap[2][RP_MAX_GROUPS][RP_N_OBSERVABLES];   /* [0] g - reference, [1] its change from point 0 */
    rp_sweep_stat closed[RP_MAX_GROUPS][RP_N_OBSERVABLES];   /* share of point 0's gap closed */
} rp_point_stats;

/* The numbers of point from per-run summaries (summaries[r], done[r]: runs
 * with done[r] = 0, another shard's, are left out). The command line
 * prints them as a table or as JSON. */
void rp_sweep_point_stats(const rp_plan *plan, const rp_summary *summaries, const uint8_t *done, int64_t point,
                          rp_point_stats *out);

/* Concordance on each categorical dimension at one point (model 2;
 * rp_summary.by_dimension): for each dimension of the point's runs, overall
 * and per patient group, the statistic over the point's replicates
 * (rp_sweep_stat_of: mean, se, 95% CI) of the share of pairs whose patient
 * and provider have the same level on it. n is 0 when no run of the point is
 * done here, or its model has none. A block of its own, as the dimensions
 * vary by scenario where the rows of rp_point_stats are fixed. */
typedef struct {
    int n, n_groups;
    char name[RP_MAX_DIMS][RP_NAME_MAX];
    char group_name[RP_MAX_GROUPS][RP_NAME_MAX];
    rp_sweep_stat all[RP_MAX_DIMS];
    rp_sweep_stat group[RP_MAX_GROUPS][RP_MAX_DIMS];
} rp_dim_point_stats;

/* The concordance by dimension of point from per-run summaries (as
 * rp_sweep_point_stats: runs with done[r] = 0 are left out). */
void rp_sweep_dimension_stats(const rp_plan *plan, const rp_summary *summaries, const uint8_t *done, int64_t point,
                              rp_dim_point_stats *out);

/* ---- a probabilistic sensitivity analysis (a plan with draws) ----
 *
 * Each point's runs are D draws of the coefficients x R replicates
 * (plan.h). A draw's value of a quantity is its mean over the draw's
 * replicates; the statistic is over the draws where that is defined:
 * their mean, the 95% uncertainty interval [lo, hi] = the 2.5% and 97.5%
 * quantiles of the draws' values (linear between order statistics), which
 * carries both the coefficients' uncertainty and the Monte Carlo noise of
 * R replicates, and mc_share, the part of the draws' variance that is Monte
 * Carlo noise: (pooled within-draw variance / R) / (variance of the draws'
 * values), at most 1 (NaN with one replicate per draw, or one draw);
 * p_below, the share of draws whose value is below 0 (ties half): for a
 * difference to point 0, the probability that the point lowers it. */
typedef struct {
    double mean, lo, hi, mc_share, p_below;
    int64_t n; /* draws where it is defined */
} rp_psa_stat;

#define RP_PSA_MAX_BEST_POINTS 64 /* `lowest` is computed for plans of at most this many points */

typedef struct {
    int64_t draws, replicates; /* D, and R per draw */
    int model, n_groups, reference;
    char group_name[RP_MAX_GROUPS][RP_NAME_MAX];
    rp_psa_stat value[RP_MAX_GROUPS + 1][RP_N_OBSERVABLES]; /* [0] all, [1 + g] group g; by table row */
    rp_psa_stat diff[RP_MAX_GROUPS + 1][RP_N_OBSERVABLES];  /* the point minus point 0, draw by draw */
    rp_psa_stat gap[RP_MAX_GROUPS][RP_N_OBSERVABLES];       /* group g minus the reference group */
    rp_psa_stat gap_change[RP_MAX_GROUPS][RP_N_OBSERVABLES];/* that gap minus point 0's */
    /* the share of draws in which this point's value is the lowest of all
     * points' (ties split): the probability it is best for a quantity to
     * lower, such as dropout; NaN for plans of more than
     * RP_PSA_MAX_BEST_POINTS points */
    double lowest[RP_MAX_GROUPS + 1][RP_N_OBSERVABLES];
} rp_psa_point;

/* The PSA statistics of point, from the runs' summaries (done[r] = 0: left
 * out). RP_OK, RP_EINVAL for a plan without draws, RP_ENOMEM. */
int rp_sweep_psa_stats(const rp_plan *plan, const rp_summary *summaries, const uint8_t *done, int64_t point,
                       rp_psa_point *out);

#endif
