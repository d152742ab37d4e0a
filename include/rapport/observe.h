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

typedef struct {
    int n_groups;
    char group_name[RP_MAX_GROUPS][RP_NAME_MAX];
    rp_observables all;
    rp_observables group[RP_MAX_GROUPS];
} rp_summary;

/* Compute the summary of a finished run. An observable that is undefined (its
 * denominator is zero: a share of an empty set, r or the ICC without variance)
 * is NaN; one that is defined but not finite (an overflow) is no result:
 * RP_EFAIL, naming it (the summary is filled all the same). */
int rp_observe_summary(rp_summary *sum, const rp_params *p, const rp_population *pop,
                       const int64_t *provider_of, const rp_outcomes *out, rp_error *err);

/* One-way random-effects ANOVA estimator ICC(1) of y grouped by cluster[i]
 * in [0, n_clusters), over clusters with >= 2 members, with the unbalanced
 * n0 = (N - sum n_j^2 / N) / (k - 1); not truncated at 0. NaN when fewer
 * than 2 such clusters. size and mean are scratch of n_clusters entries. */
double rp_observe_icc(int64_t n, const double *y, const int64_t *cluster, int64_t n_clusters,
                      int64_t *size, double *mean);

#endif
