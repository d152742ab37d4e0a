/* observe.h - the observables of MODEL.md (the rows of observables.h), from
 * one run's per-pair outcomes.
 *
 * Reductions run serially in pair order, so a summary is bit-identical
 * whatever the number of threads that produced the outcomes. Each observable
 * is computed overall (index 0) and per patient group (index 1 + g); shares of
 * an empty set are NaN (printed as null in JSON), and nothing else is: a
 * summary that would hold an infinity or another NaN is an error.
 */
#ifndef RP_OBSERVE_H
#define RP_OBSERVE_H

#include <stdint.h>

#include "rapport/engine.h"
#include "rapport/observables.h"
#include "rapport/params.h"
#include "rapport/population.h"

/* Compute the summary of a finished run: pop's agents (of a run of model 2
 * also their cultures, patient_culture and provider_culture, n_dims a row),
 * provider_of[i] and distance[i] (d_ij, as rp_assign gives them) of each
 * pair, and the engine's outcomes; with model 2 also by_dimension, in the
 * same pass as concordance. An observable that is undefined (its
 * denominator is zero: a share of an empty set, r or the ICC without variance)
 * is NaN; one that is defined but not finite (an overflow) is no result:
 * RP_EFAIL, naming it (the summary is filled all the same). */
int rp_observe_summary(rp_summary *sum, const rp_params *p, const rp_population *pop,
                       const int64_t *provider_of, const double *distance, const rp_outcomes *out, rp_error *err);

/* The same on `threads` threads: the same bits on any number (its sums
 * over pairs go in fixed blocks of pairs, added in block order). */
int rp_observe_summary_threads(rp_summary *sum, const rp_params *p, const rp_population *pop,
                               const int64_t *provider_of, const double *distance, const rp_outcomes *out,
                               int threads, rp_error *err);

/* The categorical dimensions a run of p reports concordance on (none under
 * model 1), names set and every share NaN: the shape of
 * rp_summary.by_dimension, for a reader that fills the values itself (a
 * file's stored summary). */
void rp_observe_dimensions(rp_dim_concordance *c, const rp_params *p);

/* The summary of a run of p before its values: its model version, patient
 * groups and categorical dimensions (rp_observe_dimensions), every other
 * field 0. What rp_observe_summary starts from, and the shape of a store of
 * summaries (summaries.h) or of a summary a file's columns fill in. */
void rp_observe_shape(rp_summary *sum, const rp_params *p);

/* One-way random-effects ANOVA estimator ICC(1) of y grouped by cluster[i]
 * in [0, n_clusters), over clusters with >= 2 members, with the unbalanced
 * n0 = (N - sum n_j^2 / N) / (k - 1); not truncated at 0. NaN when fewer
 * than 2 such clusters. size and mean are scratch of n_clusters entries. */
double rp_observe_icc(int64_t n, const double *y, const int64_t *cluster, int64_t n_clusters,
                      int64_t *size, double *mean);

/* The therapist effect on dropout (MODEL-v2.md, Observables): the
 * latent-scale ICC of dropped[i] (0 or 1) between the clusters cluster[i] in
 * [0, n_clusters), by the method of moments, over the clusters with
 * n_j >= 2 members (the others are left out entirely):
 *   p_j = dropouts_j / n_j,  pbar = sum_j dropouts_j / sum_j n_j,
 *   s2_b = max(0, Var_j(p_j) - mean_j(pbar (1 - pbar) / n_j)),
 *   s2_u = s2_b / (pbar (1 - pbar))^2,  ICC = s2_u / (s2_u + pi^2 / 3).
 * MODEL-v2.md leaves three choices open; this estimator takes, for each,
 * the one that makes s2_b unbiased under the binomial model (E p_j = p,
 * Var p_j = s2_b + p (1 - p) / n_j, the p_j independent):
 *   Var_j is the sample variance over the k eligible clusters (divisor
 *     k - 1, about the unweighted mean of the p_j): its expectation is
 *     s2_b + mean_j(p (1 - p) / n_j) exactly, where the divisor k would
 *     shrink both terms by (k - 1) / k and bias s2_b down in a run of few
 *     providers;
 *   mean_j is over the same k clusters (the terms of Var_j);
 *   pbar ("the overall share") is the pooled share of the eligible
 *     clusters' members, the data the estimator uses; it is the run's
 *     dropout whenever every provider has >= 2 patients.
 * NaN (undefined) with fewer than 2 eligible clusters, or pbar 0 or 1 (no
 * binomial variance to scale by). size and count are scratch of n_clusters
 * entries. */
double rp_observe_dropout_icc(int64_t n, const uint8_t *dropped, const int64_t *cluster, int64_t n_clusters,
                              int64_t *size, int64_t *count);

/* The repair-outcome correlation (MODEL-v2.md, Observables): Pearson r of
 * repairs[i] / ruptures[i] and improvement[i] over the pairs with
 * ruptures[i] >= 1 and sessions[i] >= 3 (and, when group is not NULL,
 * group[i] == g). Centred sums in two passes. NaN (undefined) with fewer
 * than 3 such pairs (as alliance_outcome_r: two points are always r = +-1)
 * or when either variable has no variance over them. */
double rp_observe_repair_r(int64_t n, const int32_t *ruptures, const int32_t *repairs, const int32_t *sessions,
                           const double *improvement, const uint8_t *group, int g);

#endif
