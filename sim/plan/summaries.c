/* summaries.c - the compact store of a plan's run summaries; see summaries.h. */
#include "rapport/summaries.h"

#include <stdlib.h>
#include <string.h>

/* Observables and concordance values a run has (all pairs, then each group). */
static size_t obs_per_run(const rp_summary *shape) { return (size_t)(1 + shape->n_groups); }
static size_t conc_per_run(const rp_summary *shape)
{
    return (size_t)(1 + shape->n_groups) * (size_t)shape->by_dimension.n;
}

size_t rp_summaries_value_bytes(const rp_summary *shape)
{
    return obs_per_run(shape) * sizeof(rp_observables) + conc_per_run(shape) * sizeof(double);
}

int rp_summaries_init(rp_summaries *s, int64_t runs, const rp_summary *shape, rp_error *err)
{
    *s = (rp_summaries){.shape = *shape, .runs = runs};
    const size_t n = runs > 0 ? (size_t)runs : 1, conc = conc_per_run(shape);
    s->obs = malloc(n * obs_per_run(shape) * sizeof *s->obs);
    s->concordance = malloc(n * (conc ? conc : 1) * sizeof *s->concordance);
    s->done = calloc(n, 1);
    if (!s->obs || !s->concordance || !s->done) {
        rp_summaries_free(s);
        RP_FAIL(err, RP_ENOMEM, "out of memory for the summaries of %lld runs", (long long)runs);
    }
    return RP_OK;
}

void rp_summaries_free(rp_summaries *s)
{
    free(s->obs);
    free(s->concordance);
    free(s->done);
    *s = (rp_summaries){0};
}

bool rp_summaries_same_shape(const rp_summary *a, const rp_summary *b)
{
    const rp_dim_concordance *x = &a->by_dimension, *y = &b->by_dimension;
    bool same = a->model == b->model && a->n_groups == b->n_groups && x->n == y->n;
    for (int g = 0; same && g < a->n_groups; g++)
        same = strcmp(a->group_name[g], b->group_name[g]) == 0;
    for (int k = 0; same && k < x->n; k++)
        same = strcmp(x->name[k], y->name[k]) == 0;
    return same;
}

int rp_summaries_put(rp_summaries *s, int64_t r, const rp_summary *sum, rp_error *err)
{
    if (!rp_summaries_same_shape(&s->shape, sum))
        RP_FAIL(err, RP_EINVAL, "run %lld has other patient groups or categorical dimensions than the sweep's "
                "other runs; expected the same at every point (sweep other keys)", (long long)r);
    const int G = s->shape.n_groups, D = s->shape.by_dimension.n;
    rp_observables *o = &s->obs[(size_t)r * obs_per_run(&s->shape)];
    double *c = &s->concordance[(size_t)r * conc_per_run(&s->shape)];
    o[0] = sum->all;
    memcpy(o + 1, sum->group, (size_t)G * sizeof *o);
    memcpy(c, sum->by_dimension.all, (size_t)D * sizeof *c);
    for (int g = 0; g < G; g++)
        memcpy(c + (size_t)(1 + g) * (size_t)D, sum->by_dimension.group[g], (size_t)D * sizeof *c);
    s->done[r] = 1;
    return RP_OK;
}

void rp_summaries_get(const rp_summaries *s, int64_t r, rp_summary *out)
{
    *out = s->shape;
    const int G = s->shape.n_groups, D = s->shape.by_dimension.n;
    out->all = *rp_summaries_observables(s, r, -1);
    memcpy(out->group, rp_summaries_observables(s, r, 0), (size_t)G * sizeof *out->group);
    memcpy(out->by_dimension.all, rp_summaries_concordance(s, r, -1), (size_t)D * sizeof(double));
    for (int g = 0; g < G; g++)
        memcpy(out->by_dimension.group[g], rp_summaries_concordance(s, r, g), (size_t)D * sizeof(double));
}

/* The two blocks of run r's values: its observables, then its concordance. */
void rp_summaries_pack(const rp_summaries *s, int64_t r, void *bytes)
{
    const size_t o = obs_per_run(&s->shape) * sizeof *s->obs, c = conc_per_run(&s->shape) * sizeof *s->concordance;
    memcpy(bytes, rp_summaries_observables(s, r, -1), o);
    memcpy((unsigned char *)bytes + o, rp_summaries_concordance(s, r, -1), c);
}

void rp_summaries_unpack(rp_summaries *s, int64_t r, const void *bytes)
{
    const size_t o = obs_per_run(&s->shape) * sizeof *s->obs, c = conc_per_run(&s->shape) * sizeof *s->concordance;
    memcpy(&s->obs[(size_t)r * obs_per_run(&s->shape)], bytes, o);
    memcpy(&s->concordance[(size_t)r * conc_per_run(&s->shape)], (const unsigned char *)bytes + o, c);
    s->done[r] = 1;
}
