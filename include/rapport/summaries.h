/* summaries.h - the summaries of a plan's runs, held compactly: what a sweep
 * keeps of each of its runs (up to ~10^6), and what its statistics
 * (stats.h), its printed summary and a file's /statistics read.
 *
 * Every run of a plan has the same model version, patient groups and
 * categorical dimensions (exec refuses a sweep whose points change them), so
 * a store holds them once, as its shape, and each run only its values: the
 * observables of all pairs and of each group, and the concordance on each
 * categorical dimension, overall and by group. A run of the default
 * scenario (4 groups, 2 categorical dimensions) takes 801 bytes, where an
 * rp_summary, sized for the largest scenario, takes 5440. The values are
 * plain arrays, so a rank can send its runs' to rank 0 as bytes.
 */
#ifndef RP_SUMMARIES_H
#define RP_SUMMARIES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rapport/observables.h"
#include "rapport/status.h"

typedef struct {
    rp_summary shape;    /* the runs' model, groups and dimensions; its values are not theirs */
    int64_t runs;
    rp_observables *obs; /* [runs][1 + groups]: all pairs, then each group */
    double *concordance; /* [runs][1 + groups][dimensions]: by_dimension, in the same order */
    uint8_t *done;       /* [runs]: 1 where the run's values are held */
} rp_summaries;

/* A store of `runs` runs of shape (what rp_observe_shape gives), none done.
 * RP_OK or RP_ENOMEM (s is then empty). */
int rp_summaries_init(rp_summaries *s, int64_t runs, const rp_summary *shape, rp_error *err);

void rp_summaries_free(rp_summaries *s);

/* Bytes of one run's values in a store of shape (and its done flag: 1 more). */
size_t rp_summaries_value_bytes(const rp_summary *shape);

/* Whether a and b have the same model, patient groups and categorical
 * dimensions (names, in order): whether their values fit one store. */
bool rp_summaries_same_shape(const rp_summary *a, const rp_summary *b);

/* Keep sum's values as run r's, now done. RP_EINVAL, naming the run, when
 * sum's shape is not the store's. */
int rp_summaries_put(rp_summaries *s, int64_t r, const rp_summary *sum, rp_error *err);

/* Run r's summary: the shape with run r's values. */
void rp_summaries_get(const rp_summaries *s, int64_t r, rp_summary *out);

/* Run r's values as rp_summaries_value_bytes bytes, for another process
 * (of the same build) to unpack into a store of the same shape; unpack
 * marks the run done. */
void rp_summaries_pack(const rp_summaries *s, int64_t r, void *bytes);
void rp_summaries_unpack(rp_summaries *s, int64_t r, const void *bytes);

/* Run r's observables of group g (-1: all pairs). */
static inline const rp_observables *rp_summaries_observables(const rp_summaries *s, int64_t r, int g)
{
    return &s->obs[r * (1 + s->shape.n_groups) + 1 + g];
}

/* Run r's concordance on each categorical dimension, of group g (-1: all
 * pairs): shape.by_dimension.n values. */
static inline const double *rp_summaries_concordance(const rp_summaries *s, int64_t r, int g)
{
    return &s->concordance[(r * (1 + s->shape.n_groups) + 1 + g) * s->shape.by_dimension.n];
}

#endif
