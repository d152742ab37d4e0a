/* sweep_spec.c - a scenario's `sweep:` section read into a sweep spec; see
 * sweep_spec.h.
 *
 * The input layer's reader of sweeps: the axes (each a dotted key checked by
 * rp_scenario_key, its values located where written), the factors (a grid
 * axis, a zip, or the samples of lhs or sobol) and the design's options.
 * The plan (plan.c) turns the spec into points; it reads no YAML.
 * Every error is "FILE:LINE:COL: error: CONTEXT.KEY: what, expected what",
 * at the offending key, list, item or range.
 */
#define _POSIX_C_SOURCE 200809L /* strdup */
#include "plan/sweep_spec.h"

#include "input/input.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rapport/plan.h"
#include "input/schema.h"
#include "input/yamltree.h"

#define VALUE_TEXT 256   /* a list item that is a collection, as flow text (cut with "...") */
#define CONTEXT_SIZE 48  /* "sweep.zip[12]", "sweep.sobol.ranges" */
#define PATH_SIZE 400    /* a context and a dotted key */

typedef struct {
    const rp_scenario *sc;
    rp_sweep_spec *sp;
    size_t cap_axes;
    int cap_factors;
} reader;

/* ---- errors ---- */

__attribute__((format(printf, 4, 5))) static int fail_at(rp_error *err, const char *where, const char *path,
                                                         const char *fmt, ...)
{
    char msg[RP_ERROR_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return rp_status_raise(err, RP_EINVAL, "%s: error: %s: %s", where, path, msg);
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

static int add_factor(reader *rd, int64_t size, rp_error *err)
{
    rp_sweep_spec *sp = rd->sp;
    if (sp->n_factors == rd->cap_factors) {
        int cap = rd->cap_factors ? 2 * rd->cap_factors : 8;
        int64_t *f = realloc(sp->factor_sizes, (size_t)cap * sizeof *f);
        if (!f)
            return no_memory(err);
        sp->factor_sizes = f;
        rd->cap_factors = cap;
    }
    sp->factor_sizes[sp->n_factors++] = size;
    return RP_OK;
}

static rp_sweep_axis *add_axis(reader *rd, const rp_ynode *key, const rp_param *row, const char *context)
{
    rp_sweep_spec *sp = rd->sp;
    if (sp->n_axes == rd->cap_axes) {
        size_t cap = rd->cap_axes ? 2 * rd->cap_axes : 8;
        rp_sweep_axis *a = realloc(sp->axes, cap * sizeof *a);
        if (!a)
            return NULL;
        sp->axes = a;
        rd->cap_axes = cap;
    }
    char *name = strdup(key->text);
    if (!name)
        return NULL;
    rp_sweep_axis *a = &sp->axes[sp->n_axes++];
    *a = (rp_sweep_axis){.key = name, .where = key->where, .row = row, .factor = sp->n_factors - 1, .column = -1};
    size_t len = strlen(context); /* a short literal or "sweep.zip[N]" */
    len = len < sizeof a->context ? len : sizeof a->context - 1;
    memcpy(a->context, context, len);
    a->context[len] = '\0';
    return a;
}

/* Check a swept key: one rp_scenario_key accepts, and not one that shapes
 * the plan itself. */
static int check_key(const reader *rd, const rp_ynode *key, const char *context, const rp_param **row,
                     rp_error *err)
{
    char why[RP_ERROR_MAX / 2];
    const char *k = key->text;
    if (!rp_scenario_key(rd->sc, k, row, why, sizeof why))
        return fail_at(err, key->where, context, "%s", why);
    if (strcmp(k, "replicates") == 0 || strcmp(k, "sweep") == 0 || strncmp(k, "sweep.", 6) == 0)
        return fail_at(err, key->where, context, "'%s' shapes the sweep itself and cannot be swept; expected a "
                         "parameter of the model, such as trust.rate", k);
    if (strcmp(k, "contrasts") == 0 || strncmp(k, "contrasts.", 10) == 0)
        return fail_at(err, key->where, context, "'%s' says what the sweep's points are compared with and cannot "
                       "be swept; expected a parameter of the model, such as trust.rate", k);
    if (strcmp(k, "model") == 0) /* a file's columns and observables follow the scenario's model */
        return fail_at(err, key->where, context, "'model' decides the columns and observables of the whole "
                       "output and cannot be swept; expected one scenario per model version (model: 1, model: 2)");
    return RP_OK;
}

/* ---- values of list axes ---- */

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

/* A section given a mapping of scalars merges key by key (as --set): its
 * leaves SECTION.KEY = VALUE, so that the plan sets them one by one. Any
 * other collection keeps n_leaves 0 (the plan resolves it as written). */
static int leaves(const rp_sweep_axis *a, const rp_ynode *item, rp_sweep_value *v)
{
    if (item->kind == RP_YNODE_SCALAR) {
        v->n_leaves = 1;
        v->leaf_keys = malloc(sizeof *v->leaf_keys);
        v->leaf_texts = malloc(sizeof *v->leaf_texts);
        v->leaf_quoted = malloc(sizeof *v->leaf_quoted);
        if (!v->leaf_keys || !v->leaf_texts || !v->leaf_quoted || !(v->leaf_keys[0] = strdup(a->key)))
            return RP_ENOMEM;
        v->leaf_texts[0] = v->text;
        v->leaf_quoted[0] = item->quoted;
        return RP_OK;
    }
    if (item->kind != RP_YNODE_MAPPING || strchr(a->key, '.') || a->row || item->n == 0)
        return RP_OK;
    for (size_t i = 0; i < item->n; i++)
        if (item->values[i]->kind != RP_YNODE_SCALAR)
            return RP_OK;
    v->leaf_keys = calloc(item->n, sizeof *v->leaf_keys);
    v->leaf_texts = calloc(item->n, sizeof *v->leaf_texts);
    v->leaf_quoted = calloc(item->n, sizeof *v->leaf_quoted);
    if (!v->leaf_keys || !v->leaf_texts || !v->leaf_quoted)
        return RP_ENOMEM;
    v->n_leaves = item->n;
    for (size_t i = 0; i < item->n; i++) {
        const size_t len = strlen(a->key) + 1 + strlen(item->keys[i]->text) + 1;
        if (!(v->leaf_keys[i] = malloc(len)))
            return RP_ENOMEM;
        snprintf(v->leaf_keys[i], len, "%s.%s", a->key, item->keys[i]->text);
        v->leaf_texts[i] = item->values[i]->text;
        v->leaf_quoted[i] = item->values[i]->quoted;
    }
    return RP_OK;
}

/* An axis of grid or zip: key: [values], moved by the last factor. */
static int list_axis(reader *rd, const rp_ynode *key, const rp_ynode *list, const char *context, rp_error *err)
{
    const rp_param *row;
    char path[PATH_SIZE], got[96];
    int st = check_key(rd, key, context, &row, err);
    if (st)
        return st;
    path_of(path, context, key->text);
    if (list->kind != RP_YNODE_SEQUENCE)
        return fail_at(err, list->where, path, "expected a list of values such as [0.1, 0.2], got %s",
                         rp_yamltree_describe(list, got, sizeof got));
    if (list->n == 0)
        return fail_at(err, list->where, path, "an empty list; expected at least one value");
    rp_sweep_axis *a = add_axis(rd, key, row, context);
    if (!a || !(a->values = calloc(list->n, sizeof *a->values)))
        return no_memory(err);
    a->n = list->n;
    for (size_t i = 0; i < list->n; i++) {
        const rp_ynode *item = list->values[i];
        rp_sweep_value *v = &a->values[i];
        *v = (rp_sweep_value){.quoted = item->kind == RP_YNODE_SCALAR && item->quoted,
                              .collection = item->kind != RP_YNODE_SCALAR, .where = item->where, .node = item};
        if (!(v->text = item_text(item)) || leaves(a, item, v))
            return no_memory(err);
    }
    return RP_OK;
}

/* ---- grid and zip ---- */

static int parse_grid(reader *rd, const rp_ynode *grid, rp_error *err)
{
    char got[96];
    if (grid->kind != RP_YNODE_MAPPING)
        return fail_at(err, grid->where, "sweep.grid", "expected a mapping of dotted keys to lists of values, such as "
                         "{discussion.policy: [never, intake]}, got %s", rp_yamltree_describe(grid, got, sizeof got));
    if (grid->n == 0)
        return fail_at(err, grid->where, "sweep.grid", "no axes; expected at least one KEY: [VALUE, ...]");
    for (size_t i = 0; i < grid->n; i++) {
        int st = add_factor(rd, 0, err);
        if (!st)
            st = list_axis(rd, grid->keys[i], grid->values[i], "sweep.grid", err);
        if (st)
            return st;
        rd->sp->factor_sizes[rd->sp->n_factors - 1] = (int64_t)grid->values[i]->n;
    }
    return RP_OK;
}

static int parse_zip(reader *rd, const rp_ynode *zip, size_t z, rp_error *err)
{
    char ctx[CONTEXT_SIZE], path[PATH_SIZE], got[96];
    snprintf(ctx, sizeof ctx, "sweep.zip[%zu]", z + 1);
    if (zip->kind != RP_YNODE_MAPPING || zip->n == 0)
        return fail_at(err, zip->where, ctx, "expected a mapping of dotted keys to lists of values that move together, "
                         "such as {dropout.base: [-8, -7], dropout.early: [4, 3]}, got %s",
                         rp_yamltree_describe(zip, got, sizeof got));
    int st = add_factor(rd, 0, err);
    for (size_t i = 0; i < zip->n && !st; i++) {
        const rp_ynode *list = zip->values[i], *first = zip->values[0];
        if ((st = list_axis(rd, zip->keys[i], list, ctx, err)))
            break;
        if (list->n != first->n)
            return fail_at(err, list->where, path_of(path, ctx, zip->keys[i]->text), "%zu values, but %s has %zu; "
                             "expected the lists of one zip to be equally long", list->n, zip->keys[0]->text,
                             first->n);
    }
    if (!st)
        rd->sp->factor_sizes[rd->sp->n_factors - 1] = (int64_t)zip->values[0]->n;
    return st;
}

static int parse_zips(reader *rd, const rp_ynode *zips, rp_error *err)
{
    char got[96];
    if (zips->kind != RP_YNODE_SEQUENCE)
        return fail_at(err, zips->where, "sweep.zip", "expected a sequence of zips, each a mapping of dotted keys to "
                         "lists of one length (- {dropout.base: [-8, -7], dropout.early: [4, 3]}), got %s",
                         rp_yamltree_describe(zips, got, sizeof got));
    if (zips->n == 0)
        return fail_at(err, zips->where, "sweep.zip", "no zips; expected at least one mapping of lists");
    for (size_t z = 0; z < zips->n; z++) {
        int st = parse_zip(rd, zips->values[z], z, err);
        if (st)
            return st;
    }
    return RP_OK;
}

/* ---- lhs and sobol: the declaration ---- */

static const char *const no_yes[] = {"false", "true", NULL};
static const rp_param samples_row = {"samples", RP_PT_INT64, 0, 0, NULL, 1, RP_PLAN_MAX_POINTS, 0, NULL, 0, "", "",
                                     "samples of the design", 0, 0, NULL};
static const rp_param saltelli_row = {"saltelli", RP_PT_ENUM, 0, 0, NULL, 0, 0, 0, no_yes, 0, "", "",
                                      "Saltelli design", 0, 0, NULL};

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
        return fail_at(err, v->where, path, "expected %s, got %s", rp_paramtable_expected(row, expect, sizeof expect),
                         rp_yamltree_describe(v, got, sizeof got));
    if (!rp_paramtable_parse(row, v->text, v->quoted, field, why, sizeof why))
        return fail_at(err, v->where, path, "%s", why);
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
        return fail_at(err, design->keys[bad]->where, ctx, "saltelli is a design of sobol; expected lhs to have only "
                         "samples and ranges, or sobol with saltelli: true");
    return fail_at(err, design->keys[bad]->where, ctx, "%s", why);
}

/* One range KEY: [lo, hi] of a real-valued parameter, inside its bounds. */
static int parse_range(reader *rd, const rp_ynode *key, const rp_ynode *v, const char *ctx, rp_error *err)
{
    const rp_param *row;
    char path[PATH_SIZE], why[RP_ERROR_MAX / 2], expect[256], got[96];
    double lo, hi;
    int st = check_key(rd, key, ctx, &row, err);
    if (st)
        return st;
    if (row && row->type == RP_PT_DIST)
        return fail_at(err, key->where, ctx, "'%s' takes %s, not a real number; expected its mean or sd, %s.mean or "
                       "%s.sd, as a range (sweep whole distributions with grid)", key->text,
                       rp_paramtable_expected(row, expect, sizeof expect), key->text, key->text);
    if (!row || (row->type != RP_PT_DOUBLE && row->type != RP_PT_PROB))
        return fail_at(err, key->where, ctx, "'%s' takes %s, not a real number; expected a key whose value is a real "
                         "number, such as trust.rate (sweep other values with grid)", key->text,
                         row ? rp_paramtable_expected(row, expect, sizeof expect) : "a collection of values");
    path_of(path, ctx, key->text);
    if (v->kind != RP_YNODE_SEQUENCE || v->n != 2 || v->values[0]->kind != RP_YNODE_SCALAR ||
        v->values[1]->kind != RP_YNODE_SCALAR)
        return fail_at(err, v->where, path, "expected [lo, hi], two numbers, got %s",
                         v->kind == RP_YNODE_SEQUENCE && v->n != 2 ? "a list of another length"
                                                                   : rp_yamltree_describe(v, got, sizeof got));
    for (int i = 0; i < 2; i++)
        if (!rp_paramtable_parse(row, v->values[i]->text, v->values[i]->quoted, i ? &hi : &lo, why, sizeof why))
            return fail_at(err, v->values[i]->where, path, "%s", why);
    if (!(lo < hi))
        return fail_at(err, v->where, path, "lo %s is not below hi %s; expected [lo, hi] with lo < hi",
                         v->values[0]->text, v->values[1]->text);
    rp_sweep_axis *a = add_axis(rd, key, row, ctx);
    if (!a)
        return no_memory(err);
    a->column = rd->sp->dims++;
    a->lo = lo;
    a->hi = hi;
    a->range_where = v->where;
    return RP_OK;
}

static int parse_ranges(reader *rd, const rp_ynode *design, bool sobol, const char *ctx, rp_error *err)
{
    char path[PATH_SIZE], got[96];
    const rp_ynode *ranges = rp_yamltree_get(design, "ranges");
    path_of(path, ctx, "ranges");
    if (!ranges)
        return fail_at(err, design->where, ctx, "missing ranges; expected ranges: {KEY: [lo, hi], ...}");
    if (ranges->kind != RP_YNODE_MAPPING || ranges->n == 0)
        return fail_at(err, ranges->where, path, "expected a mapping of dotted keys to ranges [lo, hi], such as "
                         "{trust.rate: [0.05, 0.3]}, got %s", rp_yamltree_describe(ranges, got, sizeof got));
    size_t per = rd->sp->saltelli ? 2 : 1;
    if (sobol && ranges->n * per > RP_PLAN_MAX_SOBOL_DIMS)
        return fail_at(err, ranges->keys[RP_PLAN_MAX_SOBOL_DIMS / per]->where, path, "%zu ranges%s need %zu Sobol "
                         "dimensions; expected at most %zu ranges (gsl_qrng_sobol has at most %d dimensions)",
                         ranges->n, rd->sp->saltelli ? " with saltelli: true" : "", ranges->n * per,
                         RP_PLAN_MAX_SOBOL_DIMS / per, RP_PLAN_MAX_SOBOL_DIMS);
    for (size_t i = 0; i < ranges->n; i++) {
        int st = parse_range(rd, ranges->keys[i], ranges->values[i], path, err);
        if (st)
            return st;
    }
    return RP_OK;
}

/* lhs or sobol: {samples: N, ranges: {...}[, saltelli: B]}. */
static int parse_design(reader *rd, const rp_ynode *design, bool sobol, rp_error *err)
{
    const char *ctx = sobol ? "sweep.sobol" : "sweep.lhs";
    char got[96];
    int saltelli = 0;
    if (design->kind != RP_YNODE_MAPPING)
        return fail_at(err, design->where, ctx, "expected a mapping {samples: N, ranges: {KEY: [lo, hi], ...}}, got %s",
                         rp_yamltree_describe(design, got, sizeof got));
    int st = check_design_keys(design, sobol, ctx, err);
    if (!st && !rp_yamltree_get(design, "samples"))
        return fail_at(err, design->where, ctx, "missing samples; expected samples: N, a whole number in [1, %d]",
                         RP_PLAN_MAX_POINTS);
    if (!st)
        st = design_option(design, &samples_row, ctx, &rd->sp->samples, err);
    if (!st && sobol)
        st = design_option(design, &saltelli_row, ctx, &saltelli, err);
    rd->sp->saltelli = saltelli == 1;
    if (!st)
        st = add_factor(rd, 0, err);
    if (!st)
        st = parse_ranges(rd, design, sobol, ctx, err);
    if (st)
        return st;
    rd->sp->sample_factor = rd->sp->n_factors - 1;
    rd->sp->design = sobol ? RP_DESIGN_SOBOL : RP_DESIGN_LHS;
    /* at most RP_PLAN_MAX_POINTS x (40 / 2 + 2): no overflow; the total is checked with the others */
    rd->sp->factor_sizes[rd->sp->sample_factor] = rd->sp->samples * (rd->sp->saltelli ? rd->sp->dims + 2 : 1);
    return RP_OK;
}

/* ---- the whole sweep ---- */

/* Whether keys a and b address the same value or one inside the other
 * (discussion and discussion.policy). */
bool rp_sweep_keys_overlap(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b), l = la < lb ? la : lb;
    return strncmp(a, b, l) == 0 && (la == lb || (la < lb ? b[la] : a[lb]) == '.');
}

static int check_overlaps(const reader *rd, rp_error *err)
{
    const rp_sweep_spec *sp = rd->sp;
    for (size_t j = 1; j < sp->n_axes; j++)
        for (size_t i = 0; i < j; i++) {
            const rp_sweep_axis *a = &sp->axes[i], *b = &sp->axes[j];
            if (!rp_sweep_keys_overlap(a->key, b->key))
                continue;
            if (strcmp(a->key, b->key) == 0)
                return fail_at(err, b->where, b->context, "'%s' is already swept by %s at %s; expected each "
                               "parameter on one axis only", b->key, a->context, a->where);
            return fail_at(err, b->where, b->context, "'%s' overlaps '%s', swept by %s at %s; expected each "
                           "parameter on one axis only", b->key, a->key, a->context, a->where);
        }
    return RP_OK;
}

static int parse_sweep(reader *rd, const rp_ynode *sweep, rp_error *err)
{
    int st = RP_OK;
    if (!sweep) /* no sweep: one point */
        return RP_OK;
    rd->sp->where = sweep->where;
    long lhs = rp_yamltree_find(sweep, "lhs"), sobol = rp_yamltree_find(sweep, "sobol");
    const rp_ynode *grid = rp_yamltree_get(sweep, "grid"), *zip = rp_yamltree_get(sweep, "zip");
    if (lhs >= 0 && sobol >= 0)
        return fail_at(err, sweep->keys[lhs > sobol ? lhs : sobol]->where, "sweep", "both lhs and sobol; expected at "
                         "most one sampling design");
    if (grid)
        st = parse_grid(rd, grid, err);
    if (!st && zip)
        st = parse_zips(rd, zip, err);
    if (!st && lhs >= 0)
        st = parse_design(rd, sweep->values[lhs], false, err);
    if (!st && sobol >= 0)
        st = parse_design(rd, sweep->values[sobol], true, err);
    if (!st)
        st = check_overlaps(rd, err);
    return st;
}

/* ---- the interface ---- */

int rp_sweep_spec_read(const rp_scenario *sc, rp_sweep_spec *spec, rp_error *err)
{
    reader rd = {sc, spec, 0, 0};
    *spec = (rp_sweep_spec){.sample_factor = -1};
    return parse_sweep(&rd, rp_scenario_node(sc, "sweep"), err);
}

void rp_sweep_spec_free(rp_sweep_spec *spec)
{
    for (size_t a = 0; a < spec->n_axes; a++) {
        rp_sweep_axis *ax = &spec->axes[a];
        for (size_t i = 0; i < ax->n; i++) {
            rp_sweep_value *v = &ax->values[i];
            for (size_t k = 0; v->leaf_keys && k < v->n_leaves; k++)
                free(v->leaf_keys[k]);
            free(v->leaf_keys);
            free(v->leaf_texts);
            free(v->leaf_quoted);
            free(v->text);
        }
        free(ax->values);
        free(ax->key);
    }
    free(spec->axes);
    free(spec->factor_sizes);
    *spec = (rp_sweep_spec){.sample_factor = -1};
}
