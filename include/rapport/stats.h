/* stats.h - the numbers of a sweep: statistics over the replicates (or the
 * draws) of each point, from the runs' summaries.
 *
 * Pure arithmetic over a store of summaries (summaries.h) laid out as a plan
 * lays out its runs (run r is point r / R, replicate r % R). What it needs to know of the
 * sweep is an rp_stats_design: a plan gives it (rp_plan_stats_design), and
 * so does a file's attributes, so that `rapport run` (its text and JSON) and
 * the file's /statistics (written at the join of a sweep, and again by
 * `rapport merge`) are the same numbers from the same code.
 *
 * Contrasts (the scenario's `contrasts:` section, docs/SCENARIO.md): gaps and
 * ratios between each patient group and the reference group, within each
 * run; paired differences and ratios between each point and the reference
 * point, replicate by replicate (common random numbers make them precise);
 * and the differences of differences: the change of a gap from the
 * reference point, and the share of the reference point's gap closed.
 */
#ifndef RP_STATS_H
#define RP_STATS_H

#include <stdint.h>

#include "rapport/observables.h"
#include "rapport/status.h"
#include "rapport/summaries.h"

/* What the statistics need to know of a sweep. */
typedef struct {
    int64_t points;
    int64_t replicates;      /* runs of a point (with draws, D x R) */
    int64_t draws;           /* D (0: no draws) */
    int64_t reference_point; /* the point the paired contrasts compare with */
    char reference_group[RP_NAME_MAX]; /* the group gaps and ratios compare with; "" = the first */
    int model;               /* the scenario's model version (a sweep cannot vary it) */
} rp_stats_design;

/* A statistic over replicates: its estimate, its standard error and its 95%
 * confidence interval [lo, hi] over the n replicates where it is defined
 * (rp_stats_of, rp_stats_ratio_of). NaN where undefined: mean with no
 * replicate, se and the interval with fewer than two. */
typedef struct {
    double mean, se, lo, hi;
    int64_t n;
} rp_stat;

/* The mean of the values v[0..n-1] that are not NaN (k of them), its
 * standard error sd / sqrt(k) (sd with divisor k - 1), and the interval
 * mean -+ t se, t the 0.975 quantile of Student's t with k - 1 degrees of
 * freedom. The sums are taken in order, in one pass (sum, sum of squares). */
rp_stat rp_stats_of(const double *v, int64_t n);

/* The ratio of means ybar / xbar over the pairs (x[i], y[i]) where neither
 * is NaN (k of them): its standard error by the delta method,
 * sqrt(Vyy - 2 r Vxy + r^2 Vxx) / |xbar| with r the ratio and V the
 * (co)variances of the means (sample (co)variances / k), and Fieller's 95%
 * interval: the r with (ybar - r xbar)^2 <= t^2 (Vyy - 2 r Vxy + r^2 Vxx),
 * t as above. lo and hi are NaN when that set is not a bounded interval
 * (xbar is within t standard errors of 0: the ratio is not pinned down). */
rp_stat rp_stats_ratio_of(const double *y, const double *x, int64_t n);

/* The numbers of one point of a sweep, each a statistic over the point's
 * replicates, overall and per patient group: [0] of the observable itself,
 * [1] of the paired difference to the reference point, replicate by
 * replicate (zero at the reference point), and relative, the ratio of
 * means point / reference point over the same pairs of replicates. And
 * the contrasts of each group g with the reference group: the gap
 * g - reference within each run, at this point ([0]) and its change from
 * the reference point ([1], the difference of differences, replicate by
 * replicate); the ratio g / reference (ratio of means over the runs); and
 * the share of the reference point's gap closed here, -change / gap there
 * (a ratio of means). A replicate counts where every value it needs is
 * defined. Rows the model version does not report, and overall-only rows
 * by group, are NaN. */
typedef struct {
    int64_t replicates;      /* the point's runs that are done */
    int model;               /* which rows it reports */
    int n_groups;            /* 0 when no run is done */
    char group_name[RP_MAX_GROUPS][RP_NAME_MAX];
    int64_t reference_point; /* of the design */
    int reference;           /* the reference group's index (-1 without groups) */
    rp_stat all[2][RP_N_OBSERVABLES];                   /* [0] mean, [1] paired, by table row */
    rp_stat group[2][RP_MAX_GROUPS][RP_N_OBSERVABLES]; /* [.][g][row] */
    rp_stat relative[RP_MAX_GROUPS + 1][RP_N_OBSERVABLES]; /* [0] all, [1 + g]: point / reference point */
    rp_stat gap[2][RP_MAX_GROUPS][RP_N_OBSERVABLES];   /* [0] g - reference, [1] its change */
    rp_stat ratio[RP_MAX_GROUPS][RP_N_OBSERVABLES];    /* g / reference */
    rp_stat closed[RP_MAX_GROUPS][RP_N_OBSERVABLES];   /* share of the reference point's gap closed */
} rp_point_stats;

/* The numbers of point from the runs' summaries (runs not done in the
 * store, another shard's, are left out). RP_OK, or RP_EINVAL when the
 * design's reference group is none of the point's groups (named in err; err
 * may be NULL). */
int rp_stats_point(const rp_stats_design *d, const rp_summaries *summaries, int64_t point, rp_point_stats *out,
                   rp_error *err);

/* Concordance on each categorical dimension at one point (model 2;
 * rp_summary.by_dimension): for each dimension of the point's runs, overall
 * and per patient group, the statistic over the point's replicates
 * (rp_stats_of: mean, se, 95% CI) of the share of pairs whose patient and
 * provider have the same level on it. n is 0 when no run of the point is
 * done, or its model has none. A block of its own, as the dimensions vary
 * by scenario where the rows of rp_point_stats are fixed. */
typedef struct {
    int n, n_groups;
    char name[RP_MAX_DIMS][RP_NAME_MAX];
    char group_name[RP_MAX_GROUPS][RP_NAME_MAX];
    rp_stat all[RP_MAX_DIMS];
    rp_stat group[RP_MAX_GROUPS][RP_MAX_DIMS];
} rp_dim_point_stats;

/* The concordance by dimension of point from the runs' summaries (runs not
 * done are left out). */
void rp_stats_dimensions(const rp_stats_design *d, const rp_summaries *summaries, int64_t point,
                         rp_dim_point_stats *out);

/* ---- a probabilistic sensitivity analysis (a design with draws) ----
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
 * difference to the reference point, the probability that the point
 * lowers it. */
typedef struct {
    double mean, lo, hi, mc_share, p_below;
    int64_t n; /* draws where it is defined */
} rp_psa_stat;

#define RP_PSA_MAX_BEST_POINTS 64 /* `lowest` is computed for plans of at most this many points */

typedef struct {
    int64_t draws, replicates; /* D, and R per draw */
    int model, n_groups, reference;
    int64_t reference_point;
    char group_name[RP_MAX_GROUPS][RP_NAME_MAX];
    rp_psa_stat value[RP_MAX_GROUPS + 1][RP_N_OBSERVABLES]; /* [0] all, [1 + g] group g; by table row */
    rp_psa_stat diff[RP_MAX_GROUPS + 1][RP_N_OBSERVABLES];  /* the point minus the reference point, draw by draw */
    rp_psa_stat gap[RP_MAX_GROUPS][RP_N_OBSERVABLES];       /* group g minus the reference group */
    rp_psa_stat gap_change[RP_MAX_GROUPS][RP_N_OBSERVABLES];/* that gap minus the reference point's */
    /* the share of draws in which this point's value is the lowest of all
     * points' (ties split): the probability it is best for a quantity to
     * lower, such as dropout; NaN for plans of more than
     * RP_PSA_MAX_BEST_POINTS points */
    double lowest[RP_MAX_GROUPS + 1][RP_N_OBSERVABLES];
} rp_psa_point;

/* The PSA statistics of point, from the runs' summaries (runs not done:
 * left out). RP_OK, RP_EINVAL for a design without draws or a reference
 * group that is none of the point's groups, RP_ENOMEM. */
int rp_stats_psa(const rp_stats_design *d, const rp_summaries *summaries, int64_t point, rp_psa_point *out,
                 rp_error *err);

#endif
