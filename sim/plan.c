/* plan.c - a scenario's sweep expanded into runs; see plan.h.
 *
 * Creation reads the sweep section in three steps: the axes (each a dotted
 * key checked by rp_scenario_key and its values, located where written),
 * the factors (a grid axis, a zip, or the samples: the point index is a
 * mixed-radix number over them, the first factor most significant), and the
 * sampled values of lhs or sobol. Then every point is resolved once, through
 * rp_scenario_resolve_with, so that an invalid value is reported at the list
 * item, key or range it came from. A point's values are never stored: they
 * are computed from the point index when asked for.
 *
 * Invariants: points = product of the factor sizes <= RP_PLAN_MAX_POINTS;
 * every axis belongs to exactly one factor; all sample axes share one.
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
#include "schema.h"
#include "yamltree.h"

#define SAMPLE_TEXT 32   /* a sampled number as text: "%.17g" takes at most 24 bytes */
#define VALUE_TEXT 256   /* a list item that is a collection, as flow text (cut with "...") */
#define CONTEXT_SIZE 48  /* "sweep.zip[12]", "sweep.sobol.ranges" */
#define PATH_SIZE 400    /* a context and a dotted key */
#define LISTED_POINTS 1000 /* points rp_plan_write_yaml lists */

typedef struct {
    int64_t size;   /* values along it */
    int64_t stride; /* points from one of its values to the next */
} factor;

typedef struct {
    const rp_ynode *key; /* as written; its text is the axis' name */
    const rp_param *row; /* what its value is; NULL for a collection */
    int factor;
    char context[CONTEXT_SIZE]; /* where the axis is declared, prefixed to its key in messages */
    /* grid and zip */
    const rp_ynode *list; /* the values */
    double *num;          /* [list->n] numeric value, NaN if not a number */
    char **text;          /* [list->n] as scenario text */
    /* lhs and sobol */
    int column;            /* in the sample matrix: 0..k-1 (B: k + column) */
    double lo, hi;
    const rp_ynode *range; /* [lo, hi], where errors in sampled values point */
} axis;

struct rp_plan {
    const rp_scenario *sc;
    int64_t points, replicates;
    rp_sweep_streams streams;
    axis *axes;
    const char **names; /* [n_axes] */
    size_t n_axes, cap_axes;
    factor *factors;
    int n_factors, cap_factors;
    /* the sample design: N samples of k ranges; cols = k, or 2k with
     * saltelli (matrix A in columns 0..k-1, B in k..2k-1) */
    bool saltelli;
    int dims, cols, sample_factor;
    int64_t samples;
    double *values; /* [samples x cols] */
    char *texts;    /* [samples x cols] of SAMPLE_TEXT bytes */
    uint64_t id;
};

/* ---- errors ---- */

__attribute__((format(printf, 4, 5))) static int plan_fail(rp_error *err, const rp_ynode *at, const char *path,
                                                           const char *fmt, ...)
{
    char msg[RP_ERROR_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return rp_error_raise(err, RP_EINVAL, "%s: error: %s: %s", at->where, path, msg);
}

static int no_memory(rp_error *err)
{
    RP_FAIL(err, RP_ENOMEM, "rapport: error: out of memory for the sweep's plan");
}

/* "CONTEXT.KEY" for messages; a very long key is cut (and marked). */
static const char *path_of(char *buf, const char *context, const char *key)
{
    if (snprintf(buf, PATH_SIZE, "%s.%s", context, key) >= PATH_SIZE)
        memcpy(buf + PATH_SIZE - 4, "...", 4);
    return buf;
}

/* ---- axes and factors ---- */

static int add_factor(rp_plan *pl, int64_t size, rp_error *err)
{
    if (pl->n_factors == pl->cap_factors) {
        int cap = pl->cap_factors ? 2 * pl->cap_factors : 8;
        factor *f = realloc(pl->factors, (size_t)cap * sizeof *f);
        if (!f)
            return no_memory(err);
        pl->factors = f;
        pl->cap_factors = cap;
    }
    pl->factors[pl->n_factors++] = (factor){size, 0};
    return RP_OK;
}

static axis *add_axis(rp_plan *pl, const rp_ynode *key, const rp_param *row, const char *context)
{
    if (pl->n_axes == pl->cap_axes) {
        size_t cap = pl->cap_axes ? 2 * pl->cap_axes : 8;
        axis *a = realloc(pl->axes, cap * sizeof *a);
        if (!a)
            return NULL;
        pl->axes = a;
        pl->cap_axes = cap;
    }
    axis *a = &pl->axes[pl->n_axes++];
    *a = (axis){.key = key, .row = row, .factor = pl->n_factors - 1, .column = -1};
    size_t len = strlen(context); /* a short literal or "sweep.zip[N]" */
    len = len < sizeof a->context ? len : sizeof a->context - 1;
    memcpy(a->context, context, len);
    a->context[len] = '\0';
    return a;
}

/* Check a swept key: one rp_scenario_key accepts, and not one that shapes
 * the plan itself. */
static int check_key(const rp_plan *pl, const rp_ynode *key, const char *context, const rp_param **row,
                     rp_error *err)
{
    char why[RP_ERROR_MAX / 2];
    const char *k = key->text;
    if (!rp_scenario_key(pl->sc, k, row, why, sizeof why))
        return plan_fail(err, key, context, "%s", why);
    if (strcmp(k, "replicates") == 0 || strcmp(k, "sweep") == 0 || strncmp(k, "sweep.", 6) == 0)
        return plan_fail(err, key, context, "'%s' shapes the sweep itself and cannot be swept; expected a "
                         "parameter of the model, such as trust.rate", k);
    return RP_OK;
}

/* ---- values of list axes ---- */

static bool numeric_row(const rp_param *row)
{
    return row && (row->type == RP_PT_INT || row->type == RP_PT_INT64 || row->type == RP_PT_UINT64 ||
                   row->type == RP_PT_DOUBLE || row->type == RP_PT_PROB);
}

/* The number a list item stands for under row, or NaN. */
static double item_number(const rp_param *row, const rp_ynode *item)
{
    union {
        int i;
        int64_t i64;
        uint64_t u64;
        double d;
    } v;
    char why[256];
    if (!numeric_row(row) || item->kind != RP_YNODE_SCALAR ||
        !rp_paramtable_parse(row, item->text, item->quoted, &v, why, sizeof why))
        return NAN;
    switch (row->type) {
    case RP_PT_INT: return v.i;
    case RP_PT_INT64: return (double)v.i64;
    case RP_PT_UINT64: return (double)v.u64;
    default: return v.d;
    }
}

/* Append s to buf[size] at *used, ending with "..." when it does not fit. */
static void append(char *buf, size_t size, size_t *used, const char *s)
{
    size_t len = strlen(s);
    if (*used + len < size) {
        memcpy(buf + *used, s, len + 1);
        *used += len;
    } else if (*used < size) {
        snprintf(buf + (size > 4 ? size - 4 : 0), size > 4 ? 4 : size, "...");
        *used = size;
    }
}

/* n as one line of flow YAML: "{english: 0.3, other: 0.7}". */
static void flow_text(const rp_ynode *n, char *buf, size_t size, size_t *used)
{
    if (n->kind == RP_YNODE_SCALAR) {
        append(buf, size, used, n->quoted ? "\"" : "");
        append(buf, size, used, n->text);
        append(buf, size, used, n->quoted ? "\"" : "");
        return;
    }
    append(buf, size, used, n->kind == RP_YNODE_MAPPING ? "{" : "[");
    for (size_t i = 0; i < n->n; i++) {
        append(buf, size, used, i ? ", " : "");
        if (n->kind == RP_YNODE_MAPPING) {
            flow_text(n->keys[i], buf, size, used);
            append(buf, size, used, ": ");
        }
        flow_text(n->values[i], buf, size, used);
    }
    append(buf, size, used, n->kind == RP_YNODE_MAPPING ? "}" : "]");
}

static char *item_text(const rp_ynode *item)
{
    char buf[VALUE_TEXT] = "";
    size_t used = 0;
    if (item->kind == RP_YNODE_SCALAR)
        return strdup(item->text);
    flow_text(item, buf, sizeof buf, &used);
    return strdup(buf);
}

/* An axis of grid or zip: key: [values], moved by the last factor. */
static int list_axis(rp_plan *pl, const rp_ynode *key, const rp_ynode *list, const char *context, rp_error *err)
{
    const rp_param *row;
    char path[PATH_SIZE], got[96];
    int st = check_key(pl, key, context, &row, err);
    if (st)
        return st;
    path_of(path, context, key->text);
    if (list->kind != RP_YNODE_SEQUENCE)
        return plan_fail(err, list, path, "expected a list of values such as [0.1, 0.2], got %s",
                         rp_yamltree_describe(list, got, sizeof got));
    if (list->n == 0)
        return plan_fail(err, list, path, "an empty list; expected at least one value");
    axis *a = add_axis(pl, key, row, context);
    if (!a)
        return no_memory(err);
    a->list = list;
    a->num = malloc(list->n * sizeof *a->num);
    a->text = calloc(list->n, sizeof *a->text);
    if (!a->num || !a->text)
        return no_memory(err);
    for (size_t i = 0; i < list->n; i++) {
        a->num[i] = item_number(row, list->values[i]);
        if (!(a->text[i] = item_text(list->values[i])))
            return no_memory(err);
    }
    return RP_OK;
}

/* ---- grid and zip ---- */

static int parse_grid(rp_plan *pl, const rp_ynode *grid, rp_error *err)
{
    char got[96];
    if (grid->kind != RP_YNODE_MAPPING)
        return plan_fail(err, grid, "sweep.grid", "expected a mapping of dotted keys to lists of values, such as "
                         "{discussion.policy: [never, intake]}, got %s", rp_yamltree_describe(grid, got, sizeof got));
    if (grid->n == 0)
        return plan_fail(err, grid, "sweep.grid", "no axes; expected at least one KEY: [VALUE, ...]");
    for (size_t i = 0; i < grid->n; i++) {
        int st = add_factor(pl, 0, err);
        if (!st)
            st = list_axis(pl, grid->keys[i], grid->values[i], "sweep.grid", err);
        if (st)
            return st;
        pl->factors[pl->n_factors - 1].size = (int64_t)grid->values[i]->n;
    }
    return RP_OK;
}

static int parse_zip(rp_plan *pl, const rp_ynode *zip, size_t z, rp_error *err)
{
    char ctx[CONTEXT_SIZE], path[PATH_SIZE], got[96];
    snprintf(ctx, sizeof ctx, "sweep.zip[%zu]", z + 1);
    if (zip->kind != RP_YNODE_MAPPING || zip->n == 0)
        return plan_fail(err, zip, ctx, "expected a mapping of dotted keys to lists of values that move together, "
                         "such as {dropout.base: [-8, -7], dropout.early: [4, 3]}, got %s",
                         rp_yamltree_describe(zip, got, sizeof got));
    int st = add_factor(pl, 0, err);
    for (size_t i = 0; i < zip->n && !st; i++) {
        const rp_ynode *list = zip->values[i], *first = zip->values[0];
        if ((st = list_axis(pl, zip->keys[i], list, ctx, err)))
            break;
        if (list->n != first->n)
            return plan_fail(err, list, path_of(path, ctx, zip->keys[i]->text), "%zu values, but %s has %zu; "
                             "expected the lists of one zip to be equally long", list->n, zip->keys[0]->text,
                             first->n);
    }
    if (!st)
        pl->factors[pl->n_factors - 1].size = (int64_t)zip->values[0]->n;
    return st;
}

static int parse_zips(rp_plan *pl, const rp_ynode *zips, rp_error *err)
{
    char got[96];
    if (zips->kind != RP_YNODE_SEQUENCE)
        return plan_fail(err, zips, "sweep.zip", "expected a sequence of zips, each a mapping of dotted keys to "
                         "lists of one length (- {dropout.base: [-8, -7], dropout.early: [4, 3]}), got %s",
                         rp_yamltree_describe(zips, got, sizeof got));
    if (zips->n == 0)
        return plan_fail(err, zips, "sweep.zip", "no zips; expected at least one mapping of lists");
    for (size_t z = 0; z < zips->n; z++) {
        int st = parse_zip(pl, zips->values[z], z, err);
        if (st)
            return st;
    }
    return RP_OK;
}

/* ---- lhs and sobol: the declaration ---- */

static const char *const no_yes[] = {"false", "true", NULL};
static const rp_param samples_row = {"samples", RP_PT_INT64, 0, 0, NULL, 1, RP_PLAN_MAX_POINTS, 0, NULL, 0, "", "",
                                     "samples of the design"};
static const rp_param saltelli_row = {"saltelli", RP_PT_ENUM, 0, 0, NULL, 0, 0, 0, no_yes, 0, "", "",
                                      "Saltelli design"};

/* A scalar option of the design (samples, saltelli) through row; a missing
 * one keeps *field. */
static int design_option(const rp_ynode *design, const rp_param *row, const char *ctx, void *field, rp_error *err)
{
    char path[PATH_SIZE], why[RP_ERROR_MAX / 2], expect[128], got[96];
    const rp_ynode *v = rp_yamltree_get(design, row->name);
    path_of(path, ctx, row->name);
    if (!v)
        return RP_OK;
    if (v->kind != RP_YNODE_SCALAR)
        return plan_fail(err, v, path, "expected %s, got %s", rp_paramtable_expected(row, expect, sizeof expect),
                         rp_yamltree_describe(v, got, sizeof got));
    if (!rp_paramtable_parse(row, v->text, v->quoted, field, why, sizeof why))
        return plan_fail(err, v, path, "%s", why);
    return RP_OK;
}

static const rp_schema_key design_keys[] = {{"samples", RP_SK_INTEGER}, {"ranges", RP_SK_MAPPING},
                                            {"saltelli", RP_SK_TEXT}};

static int check_design_keys(const rp_ynode *design, bool sobol, const char *ctx, rp_error *err)
{
    const rp_schema schema = {design_keys, sobol ? 3 : 2};
    char why[RP_ERROR_MAX / 2];
    long bad = rp_schema_check(design, &schema, why, sizeof why);
    if (bad < 0)
        return RP_OK;
    if (!sobol && strcmp(design->keys[bad]->text, "saltelli") == 0)
        return plan_fail(err, design->keys[bad], ctx, "saltelli is a design of sobol; expected lhs to have only "
                         "samples and ranges, or sobol with saltelli: true");
    return plan_fail(err, design->keys[bad], ctx, "%s", why);
}

/* One range KEY: [lo, hi] of a real-valued parameter, inside its bounds. */
static int parse_range(rp_plan *pl, const rp_ynode *key, const rp_ynode *v, const char *ctx, rp_error *err)
{
    const rp_param *row;
    char path[PATH_SIZE], why[RP_ERROR_MAX / 2], expect[256], got[96];
    double lo, hi;
    int st = check_key(pl, key, ctx, &row, err);
    if (st)
        return st;
    if (!row || (row->type != RP_PT_DOUBLE && row->type != RP_PT_PROB))
        return plan_fail(err, key, ctx, "'%s' takes %s, not a real number; expected a key whose value is a real "
                         "number, such as trust.rate (sweep other values with grid)", key->text,
                         row ? rp_paramtable_expected(row, expect, sizeof expect) : "a collection of values");
    path_of(path, ctx, key->text);
    if (v->kind != RP_YNODE_SEQUENCE || v->n != 2 || v->values[0]->kind != RP_YNODE_SCALAR ||
        v->values[1]->kind != RP_YNODE_SCALAR)
        return plan_fail(err, v, path, "expected [lo, hi], two numbers, got %s",
                         v->kind == RP_YNODE_SEQUENCE && v->n != 2 ? "a list of another length"
                                                                   : rp_yamltree_describe(v, got, sizeof got));
    for (int i = 0; i < 2; i++)
        if (!rp_paramtable_parse(row, v->values[i]->text, v->values[i]->quoted, i ? &hi : &lo, why, sizeof why))
            return plan_fail(err, v->values[i], path, "%s", why);
    if (!(lo < hi))
        return plan_fail(err, v, path, "lo %s is not below hi %s; expected [lo, hi] with lo < hi",
                         v->values[0]->text, v->values[1]->text);
    axis *a = add_axis(pl, key, row, ctx);
    if (!a)
        return no_memory(err);
    a->column = pl->dims++;
    a->lo = lo;
    a->hi = hi;
    a->range = v;
    return RP_OK;
}

static int parse_ranges(rp_plan *pl, const rp_ynode *design, bool sobol, const char *ctx, rp_error *err)
{
    char path[PATH_SIZE], got[96];
    const rp_ynode *ranges = rp_yamltree_get(design, "ranges");
    path_of(path, ctx, "ranges");
    if (!ranges)
        return plan_fail(err, design, ctx, "missing ranges; expected ranges: {KEY: [lo, hi], ...}");
    if (ranges->kind != RP_YNODE_MAPPING || ranges->n == 0)
        return plan_fail(err, ranges, path, "expected a mapping of dotted keys to ranges [lo, hi], such as "
                         "{trust.rate: [0.05, 0.3]}, got %s", rp_yamltree_describe(ranges, got, sizeof got));
    size_t per = pl->saltelli ? 2 : 1;
    if (sobol && ranges->n * per > RP_PLAN_MAX_SOBOL_DIMS)
        return plan_fail(err, ranges->keys[RP_PLAN_MAX_SOBOL_DIMS / per], path, "%zu ranges%s need %zu Sobol "
                         "dimensions; expected at most %zu ranges (gsl_qrng_sobol has at most %d dimensions)",
                         ranges->n, pl->saltelli ? " with saltelli: true" : "", ranges->n * per,
                         RP_PLAN_MAX_SOBOL_DIMS / per, RP_PLAN_MAX_SOBOL_DIMS);
    for (size_t i = 0; i < ranges->n; i++) {
        int st = parse_range(pl, ranges->keys[i], ranges->values[i], path, err);
        if (st)
            return st;
    }
    return RP_OK;
}

/* lhs or sobol: {samples: N, ranges: {...}[, saltelli: B]}. */
static int parse_design(rp_plan *pl, const rp_ynode *design, bool sobol, rp_error *err)
{
    const char *ctx = sobol ? "sweep.sobol" : "sweep.lhs";
    char got[96];
    int saltelli = 0;
    if (design->kind != RP_YNODE_MAPPING)
        return plan_fail(err, design, ctx, "expected a mapping {samples: N, ranges: {KEY: [lo, hi], ...}}, got %s",
                         rp_yamltree_describe(design, got, sizeof got));
    int st = check_design_keys(design, sobol, ctx, err);
    if (!st && !rp_yamltree_get(design, "samples"))
        return plan_fail(err, design, ctx, "missing samples; expected samples: N, a whole number in [1, %d]",
                         RP_PLAN_MAX_POINTS);
    if (!st)
        st = design_option(design, &samples_row, ctx, &pl->samples, err);
    if (!st && sobol)
        st = design_option(design, &saltelli_row, ctx, &saltelli, err);
    pl->saltelli = saltelli == 1;
    if (!st)
        st = add_factor(pl, 0, err);
    if (!st)
        st = parse_ranges(pl, design, sobol, ctx, err);
    if (st)
        return st;
    pl->sample_factor = pl->n_factors - 1;
    pl->cols = pl->dims * (pl->saltelli ? 2 : 1);
    /* at most RP_PLAN_MAX_POINTS x (40 / 2 + 2): no overflow; the total is checked with the others */
    pl->factors[pl->sample_factor].size = pl->samples * (pl->saltelli ? pl->dims + 2 : 1);
    return RP_OK;
}

/* ---- the whole sweep ---- */

/* Whether keys a and b address the same value or one inside the other
 * (discussion and discussion.policy). */
static bool overlap(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b), l = la < lb ? la : lb;
    return strncmp(a, b, l) == 0 && (la == lb || (la < lb ? b[la] : a[lb]) == '.');
}

static int check_overlaps(const rp_plan *pl, rp_error *err)
{
    for (size_t j = 1; j < pl->n_axes; j++)
        for (size_t i = 0; i < j; i++) {
            const axis *a = &pl->axes[i], *b = &pl->axes[j];
            if (!overlap(a->key->text, b->key->text))
                continue;
            if (strcmp(a->key->text, b->key->text) == 0)
                return plan_fail(err, b->key, b->context, "'%s' is already swept by %s at %s; expected each "
                                 "parameter on one axis only", b->key->text, a->context, a->key->where);
            return plan_fail(err, b->key, b->context, "'%s' overlaps '%s', swept by %s at %s; expected each "
                             "parameter on one axis only", b->key->text, a->key->text, a->context, a->key->where);
        }
    return RP_OK;
}

/* Strides (the last factor moves fastest) and the number of points. */
static int count_points(rp_plan *pl, const rp_ynode *sweep, rp_error *err)
{
    int64_t points = 1;
    for (int f = pl->n_factors - 1; f >= 0; f--) {
        pl->factors[f].stride = points;
        if (pl->factors[f].size > RP_PLAN_MAX_POINTS / points)
            return plan_fail(err, sweep, "sweep", "more than %d points (the product of the lengths of the axes); "
                             "expected at most %d: split the sweep", RP_PLAN_MAX_POINTS, RP_PLAN_MAX_POINTS);
        points *= pl->factors[f].size;
    }
    pl->points = points;
    return RP_OK;
}

static int parse_sweep(rp_plan *pl, const rp_ynode *sweep, rp_error *err)
{
    int st = RP_OK;
    if (!sweep) /* no sweep: one point */
        return count_points(pl, NULL, err);
    long lhs = rp_yamltree_find(sweep, "lhs"), sobol = rp_yamltree_find(sweep, "sobol");
    const rp_ynode *grid = rp_yamltree_get(sweep, "grid"), *zip = rp_yamltree_get(sweep, "zip");
    if (lhs >= 0 && sobol >= 0)
        return plan_fail(err, sweep->keys[lhs > sobol ? lhs : sobol], "sweep", "both lhs and sobol; expected at "
                         "most one sampling design");
    if (grid)
        st = parse_grid(pl, grid, err);
    if (!st && zip)
        st = parse_zips(pl, zip, err);
    if (!st && lhs >= 0)
        st = parse_design(pl, sweep->values[lhs], false, err);
    if (!st && sobol >= 0)
        st = parse_design(pl, sweep->values[sobol], true, err);
    if (!st)
        st = check_overlaps(pl, err);
    if (!st)
        st = count_points(pl, sweep, err);
    return st;
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
 * the first is (0.5, ..., 0.5), then (0.75, 0.25, ...), (0.25, 0.75, ...);
 * nothing more is skipped, so the design is a function of N alone and a
 * larger N extends a smaller one. Column c maps to the range of column c % k. */
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
    for (int64_t j = 0; j < pl->samples; j++) {
        gsl_qrng_get(q, x);
        for (int c = 0; c < pl->cols; c++) {
            const axis *ax = by_column[c % pl->dims];
            pl->values[j * pl->cols + c] = ax->lo + (ax->hi - ax->lo) * x[c];
        }
    }
    gsl_qrng_free(q);
    return RP_OK;
}

static int fill_samples(rp_plan *pl, const rp_ynode *sweep, uint64_t seed, rp_error *err)
{
    if (!pl->dims)
        return RP_OK;
    const size_t n = (size_t)pl->samples * (size_t)pl->cols;
    pl->values = malloc(n * sizeof *pl->values);
    pl->texts = malloc(n * SAMPLE_TEXT);
    if (!pl->values || !pl->texts)
        return no_memory(err);
    int st = rp_yamltree_find(sweep, "sobol") >= 0 ? fill_sobol(pl, err) : fill_lhs(pl, seed, err);
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
    if (a->list)
        return a->text[factor_index(pl, point, a->factor)];
    return pl->texts + sample_slot(pl, point, a) * SAMPLE_TEXT;
}

/* The overrides of point, one per axis. */
static void point_overrides(const rp_plan *pl, int64_t point, rp_override *ov)
{
    for (size_t i = 0; i < pl->n_axes; i++) {
        const axis *a = &pl->axes[i];
        ov[i] = (rp_override){.key = a->key->text, .where = a->key->where, .context = a->context};
        if (a->list) {
            ov[i].value = a->list->values[factor_index(pl, point, a->factor)];
        } else {
            ov[i].text = value_text(pl, point, a);
            ov[i].where = a->range->where;
        }
    }
}

static int resolve_point(const rp_plan *pl, int64_t point, rp_override *ov, rp_params *out, rp_error *err)
{
    point_overrides(pl, point, ov);
    return rp_scenario_resolve_with(pl->sc, pl->n_axes, ov, out, err);
}

/* Every point, through the validation of the file (into p, scratch): the
 * first error stops. */
/* Points checked before running: all of them up to FULL_CHECK, else the
 * first FULL_CHECK (every value of the fast axes) and FULL_CHECK more spread
 * evenly (the slow axes), so that validation stays well under a second;
 * every point is resolved again, and so checked, when its runs start. */
#define FULL_CHECK 4096

static int validate_points(const rp_plan *pl, rp_params *p, rp_error *err)
{
    rp_override *ov = calloc(pl->n_axes ? pl->n_axes : 1, sizeof *ov);
    int st = ov ? RP_OK : no_memory(err);
    const int64_t head = pl->points < FULL_CHECK ? pl->points : FULL_CHECK;
    for (int64_t point = 0; point < head && !st; point++)
        st = resolve_point(pl, point, ov, p, err);
    if (pl->points > FULL_CHECK) {
        const int64_t step = (pl->points - FULL_CHECK) / FULL_CHECK + 1;
        for (int64_t point = FULL_CHECK; point < pl->points && !st; point += step)
            st = resolve_point(pl, point, ov, p, err);
        if (!st)
            st = resolve_point(pl, pl->points - 1, ov, p, err);
    }
    free(ov);
    return st;
}

/* FNV-1a of what `show` writes, without its first line (the file's name). */
static int hash_scenario(rp_plan *pl, rp_error *err)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return no_memory(err);
    int st = rp_scenario_write_yaml(pl->sc, f);
    if (fclose(f) != 0 && !st)
        st = RP_ENOMEM;
    if (st) {
        free(buf);
        return st == RP_ENOMEM ? no_memory(err) : rp_error_raise(err, st, "rapport: error: cannot write the "
                                                                          "resolved scenario for the plan id");
    }
    const char *body = strchr(buf, '\n');
    uint64_t h = 14695981039346656037u; /* FNV-1a 64 offset basis */
    for (const unsigned char *c = (const unsigned char *)(body ? body + 1 : buf); *c; c++)
        h = (h ^ *c) * 1099511628211u; /* FNV prime */
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
    const rp_ynode *sweep = rp_scenario_node(sc, "sweep");
    pl->sc = sc;
    pl->replicates = base->replicates;
    pl->streams = base->sweep.streams;
    pl->sample_factor = -1;
    /* the base first: a scenario that is not resolved is refused here */
    int st = rp_scenario_resolve_with(sc, 0, NULL, scratch, err);
    if (!st)
        st = parse_sweep(pl, sweep, err);
    if (!st)
        st = fill_samples(pl, sweep, base->seed, err);
    if (!st)
        st = validate_points(pl, scratch, err);
    free(scratch);
    if (!st)
        st = hash_scenario(pl, err);
    if (!st && !(pl->names = malloc((pl->n_axes ? pl->n_axes : 1) * sizeof *pl->names)))
        st = no_memory(err);
    for (size_t a = 0; a < pl->n_axes && !st; a++)
        pl->names[a] = pl->axes[a].key->text;
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

int rp_plan_params(const rp_plan *plan, int64_t point, rp_params *out, rp_error *err)
{
    if (point < 0 || point >= plan->points)
        RP_FAIL(err, RP_EINVAL, "rapport: error: point %" PRId64 " is not in the plan; expected 0 to %" PRId64,
                point, plan->points - 1);
    rp_override *ov = calloc(plan->n_axes ? plan->n_axes : 1, sizeof *ov);
    if (!ov)
        return no_memory(err);
    int st = resolve_point(plan, point, ov, out, err);
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
    if (ax->list)
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
                rp_yamltree_excerpt(value_text(plan, point, &plan->axes[a]), ex, sizeof ex));
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
    fprintf(out, "# plan: %" PRId64 " point%s x %" PRId64 " replicate%s = %" PRId64 " run%s\n", P, P == 1 ? "" : "s",
            R, R == 1 ? "" : "s", rp_plan_runs(plan), rp_plan_runs(plan) == 1 ? "" : "s");
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
        const axis *ax = &plan->axes[a];
        for (size_t i = 0; ax->text && i < ax->list->n; i++)
            free(ax->text[i]);
        free(ax->text);
        free(ax->num);
    }
    free(plan->axes);
    free(plan->names);
    free(plan->factors);
    free(plan->values);
    free(plan->texts);
    free(plan);
}
