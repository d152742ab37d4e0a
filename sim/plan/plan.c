/* plan.c - a scenario's sweep expanded into runs; see plan.h.
 *
 * The input layer reads the sweep section into a sweep spec (input.h: axes
 * as dotted keys with their values as text, or ranges, and the factors);
 * the plan makes points of it: the point index is a mixed-radix number over
 * the factors (a grid axis, a zip, or the samples; the first factor most
 * significant), and the sampled values of lhs or sobol are drawn here.
 * Every point is checked once, through rp_scenario_resolve_with, so that an
 * invalid value is reported at the list item, key or range it came from.
 *
 * A point's parameters are made without YAML: at creation each value of an
 * axis is parsed once, through the parameter table row of its key, into the
 * bytes of its field in rp_params (rp_scenario_field); rp_plan_params copies
 * the scenario's parameters as the table walk left them, stores each axis'
 * value in its field and derives the rest with the resolution's own code
 * (rp_scenario_derive: computed defaults, shares, the checks across
 * values). A value that is a collection other than a section's mapping of
 * scalars (a group or dimension given whole, a group's level mapping, a
 * list of flags) is not one field: a plan with one resolves each point as
 * written (rp_scenario_resolve_with; several threads may do so at once).
 *
 * Invariants: points = product of the factor sizes <= RP_PLAN_MAX_POINTS;
 * every axis belongs to exactly one factor; all sample axes share one;
 * typed: every axis value has its fields' bytes, and each point's
 * parameters equal what resolve_with gives (plan_unit checks it).
 */
#define _POSIX_C_SOURCE 200809L /* open_memstream, for the plan id */
#include "rapport/plan.h"

#include <assert.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_qrng.h>

#include "rapport/paramtable.h"
#include "rapport/rng.h"
#include "input/input.h"
#include "plan/sweep_spec.h"
#include "core/text.h"

#define SAMPLE_TEXT 32   /* a sampled number as text: "%.17g" takes at most 24 bytes */
#define LISTED_POINTS 1000 /* points rp_plan_write_yaml lists */
#define FIELD_MAX 128    /* bytes of the largest field a value sets (a level row: RP_MAX_LEVELS doubles) */
#define STACK_KEYS 64    /* keys set by one point, kept on the stack */

typedef struct {
    int64_t size;   /* values along it */
    int64_t stride; /* points from one of its values to the next */
} factor;

/* One field a value sets: bytes at offset of rp_params. */
typedef struct {
    size_t offset, size;
    const char *key; /* the dotted key it is the value of */
    union {
        unsigned char bytes[FIELD_MAX];
        double align;
    } v;
} field_set;

typedef struct {
    const rp_sweep_axis *spec; /* key, where, context, values or range */
    const rp_param *row;       /* what its value is; NULL for a collection */
    int factor;
    /* grid and zip */
    double *num;   /* [n] numeric value, NaN if not a number */
    size_t *first; /* [n + 1]: value i sets sets[first[i] .. first[i + 1]) */
    /* lhs and sobol */
    int column; /* in the sample matrix: 0..k-1 (B: k + column); -1 for a list */
    double lo, hi;
    size_t offset; /* of the real-valued field a sample sets */
} axis;

struct rp_plan {
    const rp_scenario *sc;
    rp_sweep_spec spec;
    int64_t points, replicates;
    rp_sweep_streams streams;
    axis *axes;
    const char **names; /* [n_axes] */
    size_t n_axes;
    factor *factors;
    int n_factors;
    /* the sample design: N samples of k ranges; cols = k, or 2k with
     * saltelli (matrix A in columns 0..k-1, B in k..2k-1) */
    bool saltelli;
    int dims, cols, sample_factor;
    int64_t samples;
    double *values; /* [samples x cols] */
    char *texts;    /* [samples x cols] of SAMPLE_TEXT bytes */
    /* the points without YAML */
    bool typed;       /* every value is set field by field */
    field_set *sets;  /* of every list value, in axis and value order */
    size_t n_sets;
    size_t max_keys;  /* keys one point sets, at most */
    uint64_t id;
    /* a probabilistic sensitivity analysis (rp_plan_set_draws): each point's
     * replicates are draws x draw_replicates, draw j / draw_replicates */
    int64_t draws, draw_replicates;
    int n_draw_keys;
    char **draw_keys;     /* [n_draw_keys] */
    size_t *draw_offset;  /* [n_draw_keys]: of each key's double in rp_params */
    double *draw_values;  /* [draws x n_draw_keys] */
    char *draw_texts;     /* [draws x n_draw_keys] of SAMPLE_TEXT bytes: the values as text */
    char *draw_source;    /* what the draws came from (the uncertainty_source attribute) */
    char *draw_where;     /* FILE:LINE:COLUMN of the scenario's uncertainty section */
};

/* ---- errors ---- */

static int no_memory(rp_error *err)
{
    RP_FAIL(err, RP_ENOMEM, "rapport: error: out of memory for the sweep's plan");
}

/* ---- the spec's axes and factors ---- */

static bool numeric_row(const rp_param *row)
{
    return row && (row->type == RP_PT_INT || row->type == RP_PT_INT64 || row->type == RP_PT_UINT64 ||
                   row->type == RP_PT_DOUBLE || row->type == RP_PT_PROB);
}

/* The number a list item stands for under row, or NaN. */
static double item_number(const rp_param *row, const rp_sweep_value *item)
{
    union {
        int i;
        int64_t i64;
        uint64_t u64;
        double d;
    } v;
    char why[256];
    if (!numeric_row(row) || item->collection ||
        !rp_paramtable_parse(row, item->text, item->quoted, &v, why, sizeof why))
        return NAN;
    switch (row->type) {
    case RP_PT_INT: return v.i;
    case RP_PT_INT64: return (double)v.i64;
    case RP_PT_UINT64: return (double)v.u64;
    default: return v.d;
    }
}

/* The plan's axes and factors from its spec. */
static int take_spec(rp_plan *pl, rp_error *err)
{
    const rp_sweep_spec *sp = &pl->spec;
    pl->axes = calloc(sp->n_axes ? sp->n_axes : 1, sizeof *pl->axes);
    pl->factors = calloc(sp->n_factors ? (size_t)sp->n_factors : 1, sizeof *pl->factors);
    if (!pl->axes || !pl->factors)
        return no_memory(err);
    pl->n_axes = sp->n_axes;
    pl->n_factors = sp->n_factors;
    for (int f = 0; f < sp->n_factors; f++)
        pl->factors[f].size = sp->factor_sizes[f];
    pl->saltelli = sp->saltelli;
    pl->dims = sp->dims;
    pl->samples = sp->samples;
    pl->sample_factor = sp->sample_factor;
    pl->cols = pl->dims * (pl->saltelli ? 2 : 1);
    for (size_t a = 0; a < sp->n_axes; a++) {
        const rp_sweep_axis *s = &sp->axes[a];
        axis *ax = &pl->axes[a];
        *ax = (axis){.spec = s, .row = s->row, .factor = s->factor, .column = s->column, .lo = s->lo, .hi = s->hi};
        if (s->column >= 0)
            continue;
        if (!(ax->num = malloc(s->n * sizeof *ax->num)))
            return no_memory(err);
        for (size_t i = 0; i < s->n; i++)
            ax->num[i] = item_number(s->row, &s->values[i]);
    }
    return RP_OK;
}

/* Strides (the last factor moves fastest) and the number of points. */
static int count_points(rp_plan *pl, rp_error *err)
{
    int64_t points = 1;
    for (int f = pl->n_factors - 1; f >= 0; f--) {
        pl->factors[f].stride = points;
        if (pl->factors[f].size > RP_PLAN_MAX_POINTS / points)
            RP_FAIL(err, RP_EINVAL, "%s: error: sweep: more than %d points (the product of the lengths of the axes); "
                    "expected at most %d: split the sweep", pl->spec.where, RP_PLAN_MAX_POINTS, RP_PLAN_MAX_POINTS);
        points *= pl->factors[f].size;
    }
    pl->points = points;
    return RP_OK;
}

/* ---- sampled values ---- */

/* Uniform number m of the LHS stream (dimension, sub): rapport's Philox
 * keyed by (seed, stream 0), purpose RP_PURPOSE_PLAN_LHS. */
static double lhs_uniform(uint64_t seed, uint64_t dimension, uint64_t sub, uint64_t m)
{
    uint64_t out[4];
    rp_rng_block((rp_rng_key){seed, 0}, RP_PURPOSE_PLAN_LHS, dimension, sub, m / 4, out);
    return rp_rng_u01(out[m % 4]);
}

/* Latin hypercube (McKay, Beckman & Conover 1979): for each dimension d an
 * independent permutation perm of the N strata (Fisher-Yates with uniforms
 * m = 0, 1, ... of sub-stream 0; j = floor(u (i + 1)), a bias below N / 2^53)
 * and a uniform u_j of sub-stream 1 per sample: value j = lo + (hi - lo)
 * (perm[j] + u_j) / N. Each stratum of each dimension holds one sample. */
static int fill_lhs(rp_plan *pl, uint64_t seed, rp_error *err)
{
    const int64_t n = pl->samples;
    int64_t *perm = malloc((size_t)n * sizeof *perm);
    if (!perm)
        return no_memory(err);
    for (size_t a = 0; a < pl->n_axes; a++) {
        const axis *ax = &pl->axes[a];
        if (ax->column < 0)
            continue;
        const uint64_t d = (uint64_t)ax->column;
        for (int64_t i = 0; i < n; i++)
            perm[i] = i;
        for (int64_t i = n - 1, m = 0; i > 0; i--, m++) {
            int64_t j = (int64_t)(lhs_uniform(seed, d, 0, (uint64_t)m) * (double)(i + 1));
            int64_t t = perm[i];
            j = j > i ? i : j;
            perm[i] = perm[j];
            perm[j] = t;
        }
        for (int64_t j = 0; j < n; j++) {
            const double u = lhs_uniform(seed, d, 1, (uint64_t)j);
            pl->values[j * pl->cols + ax->column] = ax->lo + (ax->hi - ax->lo) * ((double)perm[j] + u) / (double)n;
        }
    }
    free(perm);
    return RP_OK;
}

/* Sobol points of gsl_qrng_sobol (Bratley & Fox 1988), cols dimensions, from
 * GSL's first point on: GSL never returns the sequence's all-zero point, so
 * the first is (0.5, ..., 0.5), then (0.75, 0.25, ...), (0.25, 0.75, ...).
 * A Saltelli design skips the leading points whose A and B halves are equal
 * (the k + 2 runs of such a sample would all be one point): always the first,
 * and for k = 2 the next two as well, GSL's dimensions 3-4 repeating 1-2
 * there. Nothing more is skipped, so the design is a function of k and N
 * alone and a larger N extends a smaller one. Column c maps to the range of
 * column c % k. */
static int fill_sobol(rp_plan *pl, rp_error *err)
{
    gsl_qrng *q = gsl_qrng_alloc(gsl_qrng_sobol, (unsigned)pl->cols);
    double x[RP_PLAN_MAX_SOBOL_DIMS];
    const axis *by_column[RP_PLAN_MAX_SOBOL_DIMS] = {NULL};
    if (!q)
        return no_memory(err);
    for (size_t a = 0; a < pl->n_axes; a++)
        if (pl->axes[a].column >= 0)
            by_column[pl->axes[a].column] = &pl->axes[a];
    bool degenerate = pl->saltelli;
    for (int skipped = 0; degenerate && skipped < 64; skipped++) { /* a few at most; bounded all the same */
        gsl_qrng_get(q, x);
        for (int c = 0; c < pl->dims && degenerate; c++)
            degenerate = x[c] == x[c + pl->dims];
    }
    for (int64_t j = 0; j < pl->samples; j++) {
        if (j > 0 || !pl->saltelli)
            gsl_qrng_get(q, x); /* a Saltelli design's first sample is the point that ended the skip */
        for (int c = 0; c < pl->cols; c++) {
            const axis *ax = by_column[c % pl->dims];
            pl->values[j * pl->cols + c] = ax->lo + (ax->hi - ax->lo) * x[c];
        }
    }
    gsl_qrng_free(q);
    return RP_OK;
}

static int fill_samples(rp_plan *pl, uint64_t seed, rp_error *err)
{
    if (!pl->dims)
        return RP_OK;
    const size_t n = (size_t)pl->samples * (size_t)pl->cols;
    pl->values = malloc(n * sizeof *pl->values);
    pl->texts = malloc(n * SAMPLE_TEXT);
    if (!pl->values || !pl->texts)
        return no_memory(err);
    int st = pl->spec.design == RP_DESIGN_SOBOL ? fill_sobol(pl, err) : fill_lhs(pl, seed, err);
    for (size_t a = 0; a < pl->n_axes && !st; a++) {
        const axis *ax = &pl->axes[a];
        for (int64_t j = 0; ax->column >= 0 && j < pl->samples; j++)
            for (int c = ax->column; c < pl->cols; c += pl->dims) { /* A, and B with saltelli */
                const size_t i = (size_t)(j * pl->cols + c);
                rp_paramtable_format(ax->row, &pl->values[i], pl->texts + i * SAMPLE_TEXT, SAMPLE_TEXT);
            }
    }
    return st;
}

/* ---- a point's values ---- */

static int64_t factor_index(const rp_plan *pl, int64_t point, int f)
{
    return point / pl->factors[f].stride % pl->factors[f].size;
}

/* Index into values/texts of a sample axis at point. With saltelli, sample
 * s is row j = s / (k + 2) of matrix m = s % (k + 2): A (0), B (1) or
 * AB^(i) (1 + i), A with column i - 1 taken from B. */
static size_t sample_slot(const rp_plan *pl, int64_t point, const axis *a)
{
    const int64_t s = factor_index(pl, point, a->factor);
    if (!pl->saltelli)
        return (size_t)(s * pl->cols + a->column);
    const int64_t j = s / (pl->dims + 2), m = s % (pl->dims + 2);
    const bool from_b = m == 1 || m == 2 + a->column;
    return (size_t)(j * pl->cols + (from_b ? pl->dims : 0) + a->column);
}

static const char *value_text(const rp_plan *pl, int64_t point, const axis *a)
{
    if (a->column < 0)
        return a->spec->values[factor_index(pl, point, a->factor)].text;
    return pl->texts + sample_slot(pl, point, a) * SAMPLE_TEXT;
}

/* The overrides of point, one per axis. */
static void point_overrides(const rp_plan *pl, int64_t point, rp_override *ov)
{
    for (size_t i = 0; i < pl->n_axes; i++) {
        const axis *a = &pl->axes[i];
        ov[i] = (rp_override){.key = a->spec->key, .where = a->spec->where, .context = a->spec->context};
        if (a->column < 0) {
            ov[i].value = a->spec->values[factor_index(pl, point, a->factor)].node;
        } else {
            ov[i].text = value_text(pl, point, a);
            ov[i].where = a->spec->range_where;
        }
    }
}

/* ov has room for n_axes + n_draw_keys overrides; draw -1: none. */
static int resolve_point(const rp_plan *pl, int64_t point, int64_t draw, rp_override *ov, rp_params *out,
                         rp_error *err)
{
    point_overrides(pl, point, ov);
    size_t n = pl->n_axes;
    for (int k = 0; draw >= 0 && k < pl->n_draw_keys; k++)
        ov[n++] = (rp_override){.key = pl->draw_keys[k],
                                .text = pl->draw_texts + (draw * pl->n_draw_keys + k) * SAMPLE_TEXT,
                                .where = pl->draw_where, .context = "uncertainty"};
    return rp_scenario_resolve_with(pl->sc, n, ov, out, err);
}

/* Points checked before running, through the validation of the file (into
 * p, scratch; the first error stops): all of them up to FULL_CHECK, else the
 * first FULL_CHECK (every value of the fast axes) and FULL_CHECK more spread
 * evenly (the slow axes), so that validation stays well under a second.
 * Every value of every axis is parsed at creation (typed_values), and every
 * point is checked again across its values (rp_scenario_derive, or its
 * resolution) when its runs start. */
#define FULL_CHECK 4096

static int validate_points(const rp_plan *pl, rp_params *p, rp_error *err)
{
    rp_override *ov = calloc(pl->n_axes ? pl->n_axes : 1, sizeof *ov);
    int st = ov ? RP_OK : no_memory(err);
    const int64_t head = pl->points < FULL_CHECK ? pl->points : FULL_CHECK;
    for (int64_t point = 0; point < head && !st; point++)
        st = resolve_point(pl, point, -1, ov, p, err);
    if (pl->points > FULL_CHECK) {
        const int64_t step = (pl->points - FULL_CHECK) / FULL_CHECK + 1;
        for (int64_t point = FULL_CHECK; point < pl->points && !st; point += step)
            st = resolve_point(pl, point, -1, ov, p, err);
        if (!st)
            st = resolve_point(pl, pl->points - 1, -1, ov, p, err);
    }
    free(ov);
    return st;
}

/* ---- the points without YAML ---- */

/* Each list value's fields, parsed once through the rows of their keys, and
 * each range's field. The plan stays untyped (each point resolved as
 * written) when a value is not a set of fields, or not valid in one (the
 * resolution then says why, located), or a sampled value fell outside its
 * range by rounding. */
static int typed_values(rp_plan *pl, rp_error *err)
{
    size_t n = 0, k = 0;
    for (size_t a = 0; a < pl->n_axes; a++)
        for (size_t i = 0; i < pl->axes[a].spec->n; i++)
            n += pl->axes[a].spec->values[i].n_leaves;
    if (!(pl->sets = calloc(n ? n : 1, sizeof *pl->sets)))
        return no_memory(err);
    pl->typed = true;
    for (size_t a = 0; a < pl->n_axes; a++) {
        axis *ax = &pl->axes[a];
        const rp_sweep_axis *s = ax->spec;
        rp_field f;
        if (s->column >= 0) {
            if (!rp_scenario_field(pl->sc, s->key, &f) || f.size != sizeof(double) || !f.row ||
                (f.row->type != RP_PT_DOUBLE && f.row->type != RP_PT_PROB))
                pl->typed = false;
            ax->offset = f.offset;
            for (int64_t j = 0; j < pl->samples; j++)
                for (int c = ax->column; c < pl->cols; c += pl->dims) {
                    const double v = pl->values[j * pl->cols + c];
                    pl->typed = pl->typed && v >= ax->lo && v <= ax->hi; /* lo and hi are valid values */
                }
            pl->max_keys++;
            continue;
        }
        size_t most = 0;
        if (!(ax->first = malloc((s->n + 1) * sizeof *ax->first)))
            return no_memory(err);
        for (size_t i = 0; i < s->n; i++) {
            const rp_sweep_value *v = &s->values[i];
            ax->first[i] = k;
            pl->typed = pl->typed && v->n_leaves > 0;
            most = v->n_leaves > most ? v->n_leaves : most;
            for (size_t l = 0; l < v->n_leaves; l++) {
                field_set *fs = &pl->sets[k++];
                const bool ok = rp_scenario_field(pl->sc, v->leaf_keys[l], &f) && f.size <= FIELD_MAX &&
                                rp_scenario_field_parse(pl->sc, &f, v->leaf_texts[l], v->leaf_quoted[l], fs->v.bytes);
                pl->typed = pl->typed && ok;
                *fs = (field_set){f.offset, ok ? f.size : 0, v->leaf_keys[l], fs->v};
            }
        }
        ax->first[s->n] = k;
        pl->max_keys += most;
    }
    pl->n_sets = k;
    return RP_OK;
}

/* The parameters of point, field by field: the scenario's as the table walk
 * left them, each axis' value stored, then what resolution derives. RP_OK,
 * RP_EINVAL (an invalid point: no message) or RP_ENOMEM (no message). */
static int apply_point(const rp_plan *pl, int64_t point, int64_t draw, rp_params *out)
{
    const char *stack[STACK_KEYS], **keys = stack;
    size_t n = 0;
    const size_t most = pl->max_keys + (size_t)pl->n_draw_keys;
    if (most > STACK_KEYS && !(keys = malloc(most * sizeof *keys)))
        return RP_ENOMEM;
    memcpy(out, rp_scenario_raw_params(pl->sc), sizeof *out);
    for (size_t a = 0; a < pl->n_axes; a++) {
        const axis *ax = &pl->axes[a];
        if (ax->column >= 0) { /* the double its text reads back to */
            memcpy((char *)out + ax->offset, &pl->values[sample_slot(pl, point, ax)], sizeof(double));
            keys[n++] = ax->spec->key;
            continue;
        }
        const int64_t i = factor_index(pl, point, ax->factor);
        for (size_t k = ax->first[i]; k < ax->first[i + 1]; k++) {
            memcpy((char *)out + pl->sets[k].offset, pl->sets[k].v.bytes, pl->sets[k].size);
            keys[n++] = pl->sets[k].key;
        }
    }
    for (int k = 0; draw >= 0 && k < pl->n_draw_keys; k++) {
        memcpy((char *)out + pl->draw_offset[k], &pl->draw_values[draw * pl->n_draw_keys + k], sizeof(double));
        keys[n++] = pl->draw_keys[k];
    }
    int st = rp_scenario_derive(pl->sc, out, n, keys);
    if (keys != stack)
        free(keys);
    return st;
}

/* FNV-1a of the scenario as a file of runs stores it (/scenario: what `show`
 * writes, but its paths relative to the scenario's directory, the same
 * wherever the tree is), without its first line. */
static int hash_scenario(rp_plan *pl, rp_error *err)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return no_memory(err);
    int st = rp_scenario_write_stored_yaml(pl->sc, f);
    if (fclose(f) != 0 && !st)
        st = RP_ENOMEM;
    if (st) {
        free(buf);
        return st == RP_ENOMEM ? no_memory(err) : rp_status_raise(err, st, "rapport: error: cannot write the "
                                                                          "resolved scenario for the plan id");
    }
    const char *body = strchr(buf, '\n');
    uint64_t h = 14695981039346656037u; /* FNV-1a 64 offset basis */
    for (const unsigned char *c = (const unsigned char *)(body ? body + 1 : buf); *c; c++)
        h = (h ^ *c) * 1099511628211u; /* FNV prime */
    /* and the data files' contents (show names them only): a file changed
     * between an interrupted sweep and its --resume is another sweep */
    const rp_params *p = rp_scenario_params(pl->sc);
    const rp_records *rec[2] = {p->patients.records, p->providers.records};
    for (int w = 0; w < 2; w++)
        for (const unsigned char *c = (const unsigned char *)(rec[w] ? rec[w]->sha256 : ""); *c; c++)
            h = (h ^ *c) * 1099511628211u;
    pl->id = h;
    free(buf);
    return RP_OK;
}

/* ---- the interface ---- */

int rp_plan_create(const rp_scenario *sc, rp_plan **out, rp_error *err)
{
    *out = NULL;
    rp_plan *pl = calloc(1, sizeof *pl);
    rp_params *scratch = malloc(sizeof *scratch);
    if (!pl || !scratch) {
        free(pl);
        free(scratch);
        return no_memory(err);
    }
    const rp_params *base = rp_scenario_params(sc);
    pl->sc = sc;
    pl->replicates = base->replicates;
    pl->streams = base->sweep.streams;
    pl->sample_factor = -1;
    /* the base first: a scenario that is not resolved is refused here */
    int st = rp_scenario_resolve_with(sc, 0, NULL, scratch, err);
    if (!st)
        st = rp_sweep_spec_read(sc, &pl->spec, err);
    if (!st)
        st = take_spec(pl, err);
    if (!st)
        st = count_points(pl, err);
    if (!st && base->contrasts.reference_point >= pl->points)
        st = rp_status_raise(err, RP_EINVAL, "%s: error: contrasts.reference_point: point %lld of a sweep of %lld "
                             "point%s; expected a point in [0, %lld] (rapport show lists them)",
                             rp_scenario_where(sc, "contrasts.reference_point"),
                             (long long)base->contrasts.reference_point, (long long)pl->points,
                             pl->points == 1 ? "" : "s", (long long)pl->points - 1);
    if (!st)
        st = fill_samples(pl, base->seed, err);
    if (!st)
        st = validate_points(pl, scratch, err);
    if (!st)
        st = typed_values(pl, err);
    free(scratch);
    if (!st)
        st = hash_scenario(pl, err);
    if (!st && !(pl->names = malloc((pl->n_axes ? pl->n_axes : 1) * sizeof *pl->names)))
        st = no_memory(err);
    for (size_t a = 0; a < pl->n_axes && !st; a++)
        pl->names[a] = pl->axes[a].spec->key;
    if (st) {
        rp_plan_free(pl);
        return st;
    }
    *out = pl;
    return RP_OK;
}

int64_t rp_plan_points(const rp_plan *plan)
{
    return plan->points;
}

int64_t rp_plan_replicates(const rp_plan *plan)
{
    return plan->replicates;
}

int64_t rp_plan_runs(const rp_plan *plan)
{
    return plan->points * plan->replicates; /* <= 1e6 x 1e9: no overflow */
}

void rp_plan_stats_design(const rp_plan *plan, rp_stats_design *d)
{
    const rp_params *p = rp_scenario_params(plan->sc);
    *d = (rp_stats_design){.points = plan->points, .replicates = rp_plan_replicates(plan),
                           .draws = rp_plan_draws(plan), .reference_point = p->contrasts.reference_point,
                           .model = rp_model_version(p->model)};
    memcpy(d->reference_group, p->contrasts.reference_group, RP_NAME_MAX);
}

/* Point under draw (-1: none), as rp_plan_params says. */
static int point_params(const rp_plan *plan, int64_t point, int64_t draw, rp_params *out, rp_error *err)
{
    if (point < 0 || point >= plan->points)
        RP_FAIL(err, RP_EINVAL, "rapport: error: point %" PRId64 " is not in the plan; expected 0 to %" PRId64,
                point, plan->points - 1);
    if (plan->typed && apply_point(plan, point, draw, out) == RP_OK)
        return RP_OK;
    /* a collection the plan does not set field by field, or an invalid point:
     * resolution, for its located message */
    rp_override *ov = calloc(plan->n_axes + (size_t)plan->n_draw_keys + 1, sizeof *ov);
    if (!ov)
        return no_memory(err);
    int st = resolve_point(plan, point, draw, ov, out, err);
    free(ov);
    return st;
}

int rp_plan_params(const rp_plan *plan, int64_t point, rp_params *out, rp_error *err)
{
    return point_params(plan, point, -1, out, err);
}

int rp_plan_run_params(const rp_plan *plan, int64_t run, rp_params *out, rp_error *err)
{
    if (run < 0 || run >= rp_plan_runs(plan))
        RP_FAIL(err, RP_EINVAL, "rapport: error: run %" PRId64 " is not in the plan; expected 0 to %" PRId64, run,
                rp_plan_runs(plan) - 1);
    return point_params(plan, run / plan->replicates, rp_plan_draw(plan, run), out, err);
}

int64_t rp_plan_draw(const rp_plan *plan, int64_t run)
{
    if (!plan->draws || run < 0 || run >= rp_plan_runs(plan))
        return -1;
    return run % plan->replicates / plan->draw_replicates;
}

int64_t rp_plan_draws(const rp_plan *plan)
{
    return plan->draws;
}

int64_t rp_plan_draw_replicates(const rp_plan *plan)
{
    return plan->draws ? plan->draw_replicates : plan->replicates;
}

int rp_plan_draw_keys(const rp_plan *plan, const char *const **keys)
{
    *keys = (const char *const *)plan->draw_keys;
    return plan->n_draw_keys;
}

const char *rp_plan_draws_source(const rp_plan *plan)
{
    return plan->draw_source ? plan->draw_source : "";
}

/* The axis that sets key (or a section holding it), or NULL. */
static const char *swept_key(const rp_plan *pl, const char *key)
{
    for (size_t a = 0; a < pl->n_axes; a++) {
        const rp_sweep_axis *s = pl->axes[a].spec;
        if (rp_sweep_keys_overlap(s->key, key))
            return s->key;
        for (size_t i = 0; s->column < 0 && i < s->n; i++)
            for (size_t l = 0; l < s->values[i].n_leaves; l++)
                if (rp_sweep_keys_overlap(s->values[i].leaf_keys[l], key))
                    return s->key;
    }
    return NULL;
}

int rp_plan_set_draws(rp_plan *pl, const rp_plan_draws_spec *d, rp_error *err)
{
    char ex[128], why[256];
    if (pl->draws)
        RP_FAIL(err, RP_EINVAL, "%s: error: uncertainty: the plan has its draws already", d->where);
    if (d->draws < 1 || d->n_keys < 1 || pl->replicates > RP_PLAN_MAX_DRAW_RUNS / d->draws)
        RP_FAIL(err, RP_EINVAL, "%s: error: uncertainty: %" PRId64 " draws of %d coefficients x %" PRId64
                " replicates; expected 1 or more draws of 1 or more coefficients, draws x replicates at most %.0f",
                d->where, d->draws, d->n_keys, pl->replicates, (double)RP_PLAN_MAX_DRAW_RUNS);
    const int K = d->n_keys;
    pl->draw_keys = calloc((size_t)K, sizeof *pl->draw_keys);
    pl->draw_offset = calloc((size_t)K, sizeof *pl->draw_offset);
    pl->draw_values = malloc((size_t)d->draws * (size_t)K * sizeof *pl->draw_values);
    pl->draw_texts = malloc((size_t)d->draws * (size_t)K * SAMPLE_TEXT);
    pl->draw_source = strdup(d->source ? d->source : "");
    pl->draw_where = strdup(d->where);
    if (!pl->draw_keys || !pl->draw_offset || !pl->draw_values || !pl->draw_texts || !pl->draw_source ||
        !pl->draw_where)
        return no_memory(err);
    pl->n_draw_keys = K;
    for (int k = 0; k < K; k++) {
        rp_field f;
        const rp_param *row = NULL;
        rp_text_excerpt(d->keys[k], ex, sizeof ex);
        if (!(pl->draw_keys[k] = strdup(d->keys[k])))
            return no_memory(err);
        if (!rp_scenario_key(pl->sc, d->keys[k], &row, why, sizeof why))
            RP_FAIL(err, RP_EINVAL, "%s: error: uncertainty: '%s' is not a parameter of this scenario: %s", d->where,
                    ex, why);
        if (!rp_scenario_field(pl->sc, d->keys[k], &f) || f.size != sizeof(double) || !f.row ||
            (f.row->type != RP_PT_DOUBLE && f.row->type != RP_PT_PROB))
            RP_FAIL(err, RP_EINVAL, "%s: error: uncertainty: '%s' is not a real-valued coefficient; expected keys "
                    "whose values are numbers (e.g. dropout.base)", d->where, ex);
        const char *swept = swept_key(pl, d->keys[k]);
        if (swept)
            RP_FAIL(err, RP_EINVAL, "%s: error: uncertainty: '%s' is also the sweep's axis '%s'; expected the draws "
                    "and the sweep to set different keys", d->where, ex, rp_text_excerpt(swept, why, sizeof why));
        for (int j = 0; j < k; j++)
            if (strcmp(pl->draw_keys[j], d->keys[k]) == 0)
                RP_FAIL(err, RP_EINVAL, "%s: error: uncertainty: '%s' is given twice", d->where, ex);
        pl->draw_offset[k] = f.offset;
        for (int64_t i = 0; i < d->draws; i++) {
            const double v = d->values[i * K + k];
            char *text = pl->draw_texts + (i * K + k) * SAMPLE_TEXT;
            unsigned char bytes[sizeof(double)];
            rp_paramtable_format(f.row, &v, text, SAMPLE_TEXT);
            if (!isfinite(v) || !rp_scenario_field_parse(pl->sc, &f, text, false, bytes))
                RP_FAIL(err, RP_EINVAL, "%s: error: uncertainty: draw %" PRId64 " gives %s = %s, outside its range; "
                        "expected %s", d->where, i, ex, text, rp_paramtable_expected(f.row, why, sizeof why));
            pl->draw_values[i * K + k] = v;
        }
    }
    pl->draws = d->draws;
    pl->draw_replicates = pl->replicates;
    pl->replicates *= d->draws;
    /* the id covers the draws: the parts a sweep resumes ran under the same values */
    uint64_t h = pl->id;
    for (int k = 0; k < K; k++)
        for (const unsigned char *c = (const unsigned char *)pl->draw_keys[k]; *c; c++)
            h = (h ^ *c) * 1099511628211u;
    const unsigned char *b = (const unsigned char *)pl->draw_values;
    for (size_t i = 0; i < (size_t)d->draws * (size_t)K * sizeof(double); i++)
        h = (h ^ b[i]) * 1099511628211u;
    pl->id = h;
    /* every draw resolves at point 0 (each point's own checks run with its runs) */
    rp_params *p = malloc(sizeof *p);
    if (!p)
        return no_memory(err);
    int st = RP_OK;
    for (int64_t i = 0; i < d->draws && st == RP_OK; i++)
        st = point_params(pl, 0, i, p, err);
    free(p);
    return st;
}


bool rp_plan_typed(const rp_plan *plan)
{
    return plan->typed;
}

int rp_plan_resolve(const rp_plan *plan, int64_t point, rp_params *out, rp_error *err)
{
    if (point < 0 || point >= plan->points)
        RP_FAIL(err, RP_EINVAL, "rapport: error: point %" PRId64 " is not in the plan; expected 0 to %" PRId64,
                point, plan->points - 1);
    rp_override *ov = calloc(plan->n_axes ? plan->n_axes : 1, sizeof *ov);
    if (!ov)
        return no_memory(err);
    int st = resolve_point(plan, point, -1, ov, out, err);
    free(ov);
    return st;
}

void rp_plan_run(const rp_plan *plan, int64_t run, int64_t *point, uint64_t *replicate, uint64_t *stream)
{
    assert(run >= 0 && run < rp_plan_runs(plan));
    const int64_t p = run / plan->replicates;
    const uint64_t r = (uint64_t)(run % plan->replicates);
    if (point)
        *point = p;
    if (replicate)
        *replicate = r;
    if (stream)
        *stream = plan->streams == RP_STREAMS_COMMON ? r : ((uint64_t)p + 1) << 32 | r;
}

int rp_plan_axes(const rp_plan *plan, const char *const **names)
{
    *names = plan->names;
    return (int)plan->n_axes;
}

static const axis *axis_at(const rp_plan *plan, int64_t point, int a)
{
    if (point < 0 || point >= plan->points || a < 0 || (size_t)a >= plan->n_axes)
        return NULL;
    return &plan->axes[a];
}

const char *rp_plan_value_text(const rp_plan *plan, int64_t point, int a)
{
    const axis *ax = axis_at(plan, point, a);
    return ax ? value_text(plan, point, ax) : NULL;
}

double rp_plan_value(const rp_plan *plan, int64_t point, int a)
{
    const axis *ax = axis_at(plan, point, a);
    if (!ax)
        return NAN;
    if (ax->column < 0)
        return ax->num[factor_index(plan, point, ax->factor)];
    return plan->values[sample_slot(plan, point, ax)];
}

int rp_plan_saltelli(const rp_plan *plan, int64_t point, int *sample, int *matrix)
{
    *sample = *matrix = -1;
    if (!plan->saltelli || point < 0 || point >= plan->points)
        return 0;
    const int64_t s = factor_index(plan, point, plan->sample_factor);
    *sample = (int)(s / (plan->dims + 2));
    *matrix = (int)(s % (plan->dims + 2));
    return 1;
}

uint64_t rp_plan_id(const rp_plan *plan)
{
    return plan->id;
}

static void write_point(const rp_plan *plan, int64_t point, FILE *out)
{
    static const char *const matrices[] = {"A", "B"};
    char ex[160];
    int sample, matrix;
    fprintf(out, "# point %" PRId64 ":", point);
    for (size_t a = 0; a < plan->n_axes; a++)
        fprintf(out, " %s=%s", plan->names[a],
                rp_text_excerpt(value_text(plan, point, &plan->axes[a]), ex, sizeof ex));
    if (!plan->n_axes)
        fprintf(out, " the scenario as it is (no sweep)");
    if (rp_plan_saltelli(plan, point, &sample, &matrix)) {
        if (matrix < 2)
            fprintf(out, " (Saltelli sample %d, %s)", sample, matrices[matrix]);
        else
            fprintf(out, " (Saltelli sample %d, AB^(%d))", sample, matrix - 1);
    }
    fputc('\n', out);
}

int rp_plan_write_yaml(const rp_plan *plan, FILE *out)
{
    const int64_t P = plan->points, R = plan->replicates, shown = P < LISTED_POINTS ? P : LISTED_POINTS;
    if (plan->draws) {
        const int64_t D = plan->draws, r = plan->draw_replicates;
        fprintf(out, "# plan: %" PRId64 " point%s x %" PRId64 " draw%s x %" PRId64 " replicate%s = %" PRId64 " run%s\n",
                P, P == 1 ? "" : "s", D, D == 1 ? "" : "s", r, r == 1 ? "" : "s", rp_plan_runs(plan),
                rp_plan_runs(plan) == 1 ? "" : "s");
        fprintf(out, "# uncertainty: %d coefficient%s drawn from %s:", plan->n_draw_keys,
                plan->n_draw_keys == 1 ? "" : "s", plan->draw_source);
        for (int k = 0; k < plan->n_draw_keys; k++)
            fprintf(out, " %s", plan->draw_keys[k]);
        fputc('\n', out);
    } else
        fprintf(out, "# plan: %" PRId64 " point%s x %" PRId64 " replicate%s = %" PRId64 " run%s\n", P,
                P == 1 ? "" : "s", R, R == 1 ? "" : "s", rp_plan_runs(plan), rp_plan_runs(plan) == 1 ? "" : "s");
    fprintf(out, "# streams: %s; plan id: %016" PRIx64 "\n",
            plan->streams == RP_STREAMS_COMMON ? "common" : "independent", plan->id);
    for (int64_t point = 0; point < shown; point++)
        write_point(plan, point, out);
    if (P > shown)
        fprintf(out, "# ... and %" PRId64 " more\n", P - shown);
    return ferror(out) ? RP_EIO : RP_OK;
}

void rp_plan_free(rp_plan *plan)
{
    if (!plan)
        return;
    for (size_t a = 0; a < plan->n_axes; a++) {
        free(plan->axes[a].num);
        free(plan->axes[a].first);
    }
    for (int k = 0; k < plan->n_draw_keys; k++)
        free(plan->draw_keys[k]);
    free(plan->draw_keys);
    free(plan->draw_offset);
    free(plan->draw_values);
    free(plan->draw_texts);
    free(plan->draw_source);
    free(plan->draw_where);
    free(plan->sets);
    rp_sweep_spec_free(&plan->spec);
    free(plan->axes);
    free(plan->names);
    free(plan->factors);
    free(plan->values);
    free(plan->texts);
    free(plan);
}
