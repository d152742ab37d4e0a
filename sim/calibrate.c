/* calibrate.c - see calibrate.h. */
#define _POSIX_C_SOURCE 200809L
#include "rapport/calibrate.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_multimin.h>
#include <gsl/gsl_vector.h>
#include <omp.h>

#include "rapport/paramtable.h"
#include "rapport/run.h"
#include "files.h"
#include "input.h"
#include "schema.h"
#include "yamltree.h"

/* Targets' scales and weights: a scale below this (far below any
 * Monte-Carlo error) or a weight above the other bound would overflow the
 * objective. */
#define MIN_TARGET_SCALE 1e-9
#define MAX_TARGET_WEIGHT 1e6

/* ---- the calibration ---- */

struct rp_calibration {
    char *path;          /* the calibration file's name */
    char *scenario_path; /* as opened */
    rp_scenario *sc;
    int replicates;
    long long patients;  /* 0: the scenario's */
    char patients_text[32], providers_text[32];
    char patients_where[RP_CAL_KEY_MAX + 64];
    int n_free, n_targets;
    rp_cal_free free[RP_CAL_MAX_FREE];
    rp_cal_target target[RP_CAL_MAX_TARGETS];
    int evaluations;
    double tolerance;
    int n_groups;
    char group_name[RP_MAX_GROUPS][RP_NAME_MAX];
};

/* The schemas of a calibration's sections. */
static const rp_schema_key top_keys[] = {{"scenario", RP_SK_TEXT},   {"replicates", RP_SK_INTEGER},
                                         {"patients", RP_SK_INTEGER}, {"free", RP_SK_MAPPING},
                                         {"targets", RP_SK_MAPPING},  {"budget", RP_SK_MAPPING}};
static const rp_schema_key free_keys[] = {{"min", RP_SK_NUMBER}, {"max", RP_SK_NUMBER}, {"start", RP_SK_NUMBER}};
static const rp_schema_key target_keys[] = {
    {"value", RP_SK_NUMBER}, {"band", RP_SK_SEQUENCE}, {"se", RP_SK_NUMBER}, {"weight", RP_SK_NUMBER}};
static const rp_schema_key budget_keys[] = {{"evaluations", RP_SK_INTEGER}, {"tolerance", RP_SK_NUMBER}};
#define SCHEMA(keys) (&(const rp_schema){keys, sizeof keys / sizeof keys[0]})

/* Every key of map is one of the schema's, else a located error (the
 * input layer's one message: "unknown key 'x'; did you mean 'y'?"). */
static int check_keys(const rp_ynode *map, const char *context, const rp_schema *schema, rp_error *err)
{
    char why[RP_ERROR_MAX / 2];
    long bad = rp_schema_check(map, schema, why, sizeof why);
    if (bad < 0)
        return RP_OK;
    RP_FAIL(err, RP_EINVAL, "%s: error: %s%s%s", map->keys[bad]->where, context ? context : "", context ? ": " : "",
            why);
}

/* A plain number (not quoted), finite: the parameter table's parser. */
static int get_number(const rp_ynode *v, const char *name, double *out, rp_error *err)
{
    char desc[160];
    if (rp_schema_number(v, out))
        return RP_OK;
    RP_FAIL(err, RP_EINVAL, "%s: error: %s: expected a number, got %s", v->where, name,
            rp_yamltree_describe(v, desc, sizeof desc));
}

static int get_integer(const rp_ynode *v, const char *name, long long min, long long max, long long *out,
                       rp_error *err)
{
    char desc[160];
    if (rp_schema_integer(v, min, max, out))
        return RP_OK;
    RP_FAIL(err, RP_EINVAL, "%s: error: %s: expected a whole number in [%lld, %lld], got %s", v->where, name, min,
            max, rp_yamltree_describe(v, desc, sizeof desc));
}

/* The value at a dotted path of a `show`-style tree: mappings by key,
 * sequences (culture.dimensions) by their items' name. */
static const rp_ynode *tree_lookup(const rp_ynode *node, const char *key)
{
    char buf[RP_CAL_KEY_MAX], *save = NULL;
    snprintf(buf, sizeof buf, "%s", key);
    for (char *c = strtok_r(buf, ".", &save); c && node; c = strtok_r(NULL, ".", &save)) {
        if (node->kind == RP_YNODE_MAPPING)
            node = rp_yamltree_get(node, c);
        else if (node->kind == RP_YNODE_SEQUENCE) {
            const rp_ynode *found = NULL;
            for (size_t i = 0; i < node->n && !found; i++) {
                const rp_ynode *name = rp_yamltree_get(node->values[i], "name");
                if (name && name->kind == RP_YNODE_SCALAR && strcmp(name->text, c) == 0)
                    found = node->values[i];
            }
            node = found;
        } else
            node = NULL;
    }
    return node;
}

/* The scenario resolved with x applied, in `show` form. */
static int scenario_with(const rp_calibration *cal, const double *x, FILE *out, rp_error *err)
{
    rp_scenario *sc = NULL;
    int status = rp_scenario_load(cal->scenario_path, &sc, err);
    for (int i = 0; status == RP_OK && x && i < cal->n_free; i++) {
        char assignment[RP_CAL_KEY_MAX + 64];
        snprintf(assignment, sizeof assignment, "%s=%.17g", cal->free[i].key, x[i]);
        status = rp_scenario_set(sc, assignment, err);
    }
    if (status == RP_OK)
        status = rp_scenario_resolve(sc, err);
    if (status == RP_OK && rp_scenario_write_yaml(sc, out) != RP_OK)
        status = rp_error_raise(err, RP_EIO, "cannot write the scenario: %s", strerror(errno));
    rp_scenario_free(sc);
    return status;
}

/* The scenario's own value of each free key (NaN if not a number). */
static void scenario_values(rp_calibration *cal)
{
    for (int i = 0; i < cal->n_free; i++)
        cal->free[i].scenario_value = NAN;
    char *text = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&text, &size);
    if (!f)
        return;
    rp_error err;
    int status = rp_scenario_write_yaml(cal->sc, f);
    if (fclose(f) != 0 || status != RP_OK) {
        free(text);
        return;
    }
    rp_ytree *t = rp_yamltree_alloc();
    rp_ynode *root = NULL;
    if (t && rp_yamltree_parse(t, "show", text, size, 0, &root, &err) == RP_OK && root) {
        for (int i = 0; i < cal->n_free; i++) {
            const rp_ynode *v = tree_lookup(root, cal->free[i].key);
            double x;
            if (v && get_number(v, "", &x, &err) == RP_OK)
                cal->free[i].scenario_value = x;
        }
    }
    rp_yamltree_free(t);
    free(text);
}

static int parse_free(rp_calibration *cal, const rp_ynode *free_node, rp_error *err)
{
    char desc[160];
    if (free_node->kind != RP_YNODE_MAPPING || free_node->n == 0)
        RP_FAIL(err, RP_EINVAL, "%s: error: free: expected a mapping of KEY: {min, max, start}, got %s",
                free_node->where, rp_yamltree_describe(free_node, desc, sizeof desc));
    if (free_node->n > RP_CAL_MAX_FREE)
        RP_FAIL(err, RP_EINVAL, "%s: error: free: %zu coefficients; expected at most %d",
                free_node->keys[RP_CAL_MAX_FREE]->where, free_node->n, RP_CAL_MAX_FREE);
    for (size_t i = 0; i < free_node->n; i++) {
        const rp_ynode *key = free_node->keys[i], *v = free_node->values[i];
        rp_cal_free *fr = &cal->free[cal->n_free];
        char ex[128], why[512], name[RP_CAL_KEY_MAX + 16];
        const rp_param *row = NULL;
        if (strlen(key->text) >= RP_CAL_KEY_MAX || !rp_scenario_key(cal->sc, key->text, &row, why, sizeof why))
            RP_FAIL(err, RP_EINVAL, "%s: error: free: '%s' is not a parameter of the scenario: %s", key->where,
                    rp_yamltree_excerpt(key->text, ex, sizeof ex), why);
        if (!row || (row->type != RP_PT_DOUBLE && row->type != RP_PT_PROB))
            RP_FAIL(err, RP_EINVAL, "%s: error: free: '%s' is not a numeric parameter; expected a key whose value is "
                    "a real number (e.g. dropout.base)", key->where, rp_yamltree_excerpt(key->text, ex, sizeof ex));
        for (int j = 0; j < cal->n_free; j++)
            if (strcmp(cal->free[j].key, key->text) == 0)
                RP_FAIL(err, RP_EINVAL, "%s: error: free: '%s' is given twice", key->where, ex);
        snprintf(fr->key, sizeof fr->key, "%s", key->text);
        snprintf(fr->where, sizeof fr->where, "%s", key->where);
        snprintf(name, sizeof name, "free.%s", fr->key);
        if (v->kind != RP_YNODE_MAPPING)
            RP_FAIL(err, RP_EINVAL, "%s: error: %s: expected a mapping {min: A, max: B, start: C}, got %s", v->where,
                    name, rp_yamltree_describe(v, desc, sizeof desc));
        int status = check_keys(v, name, SCHEMA(free_keys), err);
        if (status != RP_OK)
            return status;
        const rp_ynode *mn = rp_yamltree_get(v, "min"), *mx = rp_yamltree_get(v, "max"),
                       *st = rp_yamltree_get(v, "start");
        if (!mn || !mx)
            RP_FAIL(err, RP_EINVAL, "%s: error: %s: %s missing; expected {min: A, max: B, start: C}", v->where, name,
                    !mn ? "min" : "max");
        char sub[RP_CAL_KEY_MAX + 32];
        snprintf(sub, sizeof sub, "%s.min", name);
        if ((status = get_number(mn, sub, &fr->min, err)) != RP_OK)
            return status;
        snprintf(sub, sizeof sub, "%s.max", name);
        if ((status = get_number(mx, sub, &fr->max, err)) != RP_OK)
            return status;
        if (!(fr->min < fr->max))
            RP_FAIL(err, RP_EINVAL, "%s: error: %s: min %g is not below max %g; expected min < max", mx->where,
                    name, fr->min, fr->max);
        /* The range lies within the parameter's bounds, which are finite:
         * so is max - min, by which the fit scales its coordinates. */
        const bool min_open = row->flags & RP_PF_MIN_OPEN, max_open = row->flags & RP_PF_MAX_OPEN;
        char range[192];
        if (fr->min < row->min || (min_open && fr->min == row->min))
            RP_FAIL(err, RP_EINVAL, "%s: error: %s: min %g is outside the parameter's range; expected min and max "
                    "within %s's bounds: %s", mn->where, name, fr->min, fr->key,
                    rp_paramtable_expected(row, range, sizeof range));
        if (fr->max > row->max || (max_open && fr->max == row->max))
            RP_FAIL(err, RP_EINVAL, "%s: error: %s: max %g is outside the parameter's range; expected min and max "
                    "within %s's bounds: %s", mx->where, name, fr->max, fr->key,
                    rp_paramtable_expected(row, range, sizeof range));
        fr->start = 0.5 * (fr->min + fr->max);
        if (st) {
            snprintf(sub, sizeof sub, "%s.start", name);
            if ((status = get_number(st, sub, &fr->start, err)) != RP_OK)
                return status;
            if (!(fr->start > fr->min && fr->start < fr->max))
                RP_FAIL(err, RP_EINVAL, "%s: error: %s: start %g is not strictly between min %g and max %g",
                        st->where, name, fr->start, fr->min, fr->max);
        }
        cal->n_free++;
    }
    return RP_OK;
}

static int parse_targets(rp_calibration *cal, const rp_ynode *targets, rp_error *err)
{
    char desc[160];
    if (targets->kind != RP_YNODE_MAPPING || targets->n == 0)
        RP_FAIL(err, RP_EINVAL, "%s: error: targets: expected a mapping of OBSERVABLE: {value, band or se, weight}, "
                "got %s", targets->where, rp_yamltree_describe(targets, desc, sizeof desc));
    if (targets->n > RP_CAL_MAX_TARGETS)
        RP_FAIL(err, RP_EINVAL, "%s: error: targets: %zu targets; expected at most %d",
                targets->keys[RP_CAL_MAX_TARGETS]->where, targets->n, RP_CAL_MAX_TARGETS);
    double total_weight = 0;
    for (size_t i = 0; i < targets->n; i++) {
        const rp_ynode *key = targets->keys[i], *v = targets->values[i];
        rp_cal_target *tg = &cal->target[cal->n_targets];
        char ex[128], list[512], name[RP_CAL_KEY_MAX + 16];
        rp_yamltree_excerpt(key->text, ex, sizeof ex);
        if (strlen(key->text) >= RP_CAL_KEY_MAX)
            RP_FAIL(err, RP_EINVAL, "%s: error: targets: '%s' is too long a name", key->where, ex);
        snprintf(tg->name, sizeof tg->name, "%s", key->text);
        char obs[RP_CAL_KEY_MAX];
        snprintf(obs, sizeof obs, "%s", key->text);
        tg->group = -1;
        char *by = strstr(obs, "_by_group.");
        if (by) {
            const char *group = by + strlen("_by_group.");
            *by = '\0';
            int g = 0;
            while (g < cal->n_groups && strcmp(cal->group_name[g], group) != 0)
                g++;
            if (g == cal->n_groups) {
                const char *names[RP_MAX_GROUPS];
                for (int k = 0; k < cal->n_groups; k++)
                    names[k] = cal->group_name[k];
                const char *near = rp_paramtable_suggest(group, names, (size_t)cal->n_groups);
                rp_paramtable_join(names, (size_t)cal->n_groups, list, sizeof list);
                RP_FAIL(err, RP_EINVAL, "%s: error: targets: '%s' names no patient group of the scenario%s%s%s "
                        "expected one of %s", key->where, ex, near ? "; did you mean '" : "", near ? near : "",
                        near ? "'?" : ";", list);
            }
            tg->group = g;
        }
        size_t n_obs;
        const rp_observable_def *table = rp_observables_table(&n_obs), *d = rp_observables_find(obs);
        if (!d) {
            const char *names[RP_N_OBSERVABLES];
            for (size_t k = 0; k < n_obs; k++)
                names[k] = table[k].name;
            const char *near = rp_paramtable_suggest(obs, names, n_obs);
            rp_paramtable_join(names, n_obs, list, sizeof list);
            RP_FAIL(err, RP_EINVAL, "%s: error: targets: '%s' is not an observable%s%s%s expected one of %s, or "
                    "OBSERVABLE_by_group.GROUP", key->where, ex, near ? "; did you mean '" : "", near ? near : "",
                    near ? "'?" : ";", list);
        }
        if (!d->per_group && tg->group >= 0)
            RP_FAIL(err, RP_EINVAL, "%s: error: targets: '%s': %s is measured overall only", key->where, ex,
                    d->name);
        tg->observable = (int)(d - table);
        for (int j = 0; j < cal->n_targets; j++)
            if (strcmp(cal->target[j].name, tg->name) == 0)
                RP_FAIL(err, RP_EINVAL, "%s: error: targets: '%s' is given twice", key->where, ex);
        snprintf(name, sizeof name, "targets.%s", tg->name);
        if (v->kind != RP_YNODE_MAPPING)
            RP_FAIL(err, RP_EINVAL, "%s: error: %s: expected a mapping {value: V, band: [LO, HI] or se: SE, weight: W}, "
                    "got %s", v->where, name, rp_yamltree_describe(v, desc, sizeof desc));
        int status = check_keys(v, name, SCHEMA(target_keys), err);
        if (status != RP_OK)
            return status;
        const rp_ynode *val = rp_yamltree_get(v, "value"), *band = rp_yamltree_get(v, "band"),
                       *se = rp_yamltree_get(v, "se"), *w = rp_yamltree_get(v, "weight");
        char sub[RP_CAL_KEY_MAX + 32];
        if (!val)
            RP_FAIL(err, RP_EINVAL, "%s: error: %s: value missing; expected {value: V, band: [LO, HI] or se: SE}",
                    v->where, name);
        snprintf(sub, sizeof sub, "%s.value", name);
        if ((status = get_number(val, sub, &tg->value, err)) != RP_OK)
            return status;
        if (tg->value < d->lo || tg->value > d->hi)
            RP_FAIL(err, RP_EINVAL, "%s: error: %s: %g is outside what %s can be; expected a value in [%g, %g]",
                    val->where, sub, tg->value, d->name, d->lo, d->hi);
        if (band && se)
            RP_FAIL(err, RP_EINVAL, "%s: error: %s: both band and se given; expected one of them", se->where, name);
        if (!band && !se)
            RP_FAIL(err, RP_EINVAL, "%s: error: %s: neither band nor se given; expected band: [LO, HI] or se: SE",
                    v->where, name);
        if (band) {
            snprintf(sub, sizeof sub, "%s.band", name);
            if (band->kind != RP_YNODE_SEQUENCE || band->n != 2)
                RP_FAIL(err, RP_EINVAL, "%s: error: %s: expected two numbers [LO, HI], got %s", band->where, sub,
                        rp_yamltree_describe(band, desc, sizeof desc));
            if ((status = get_number(band->values[0], sub, &tg->lo, err)) != RP_OK ||
                (status = get_number(band->values[1], sub, &tg->hi, err)) != RP_OK)
                return status;
            if (!(tg->lo < tg->hi))
                RP_FAIL(err, RP_EINVAL, "%s: error: %s: low end %g is not below high end %g; expected LO < HI",
                        band->where, sub, tg->lo, tg->hi);
            if (tg->value < tg->lo || tg->value > tg->hi)
                RP_FAIL(err, RP_EINVAL, "%s: error: %s: [%g, %g] does not contain the target's value %g; expected a "
                        "band around the value", band->where, sub, tg->lo, tg->hi, tg->value);
            tg->scale = 0.5 * (tg->hi - tg->lo);
            if (!(tg->scale >= MIN_TARGET_SCALE))
                RP_FAIL(err, RP_EINVAL, "%s: error: %s: [%g, %g] is narrower than %g; expected a wider band",
                        band->where, sub, tg->lo, tg->hi, 2 * MIN_TARGET_SCALE);
            tg->has_band = true;
        } else {
            snprintf(sub, sizeof sub, "%s.se", name);
            if ((status = get_number(se, sub, &tg->scale, err)) != RP_OK)
                return status;
            if (!(tg->scale >= MIN_TARGET_SCALE))
                RP_FAIL(err, RP_EINVAL, "%s: error: %s: %g; expected a standard error >= %g", se->where, sub,
                        tg->scale, MIN_TARGET_SCALE);
            tg->lo = tg->value - 1.96 * tg->scale;
            tg->hi = tg->value + 1.96 * tg->scale;
        }
        tg->weight = 1;
        if (w) {
            snprintf(sub, sizeof sub, "%s.weight", name);
            if ((status = get_number(w, sub, &tg->weight, err)) != RP_OK)
                return status;
            if (tg->weight < 0 || tg->weight > MAX_TARGET_WEIGHT)
                RP_FAIL(err, RP_EINVAL, "%s: error: %s: %g; expected a weight in [0, %g]", w->where, sub, tg->weight,
                        MAX_TARGET_WEIGHT);
        }
        total_weight += tg->weight;
        cal->n_targets++;
    }
    if (!(total_weight > 0))
        RP_FAIL(err, RP_EINVAL, "%s: error: targets: every weight is 0; expected at least one weight > 0",
                targets->where);
    return RP_OK;
}

static char *dir_join(const char *dir, const char *rel)
{
    size_t n = strlen(dir) + strlen(rel) + 2;
    char *s = malloc(n);
    if (s)
        snprintf(s, n, "%s/%s", dir, rel);
    return s;
}

static int parse(rp_calibration *cal, const rp_ynode *root, const char *dir, rp_error *err)
{
    char desc[160];
    if (!root)
        RP_FAIL(err, RP_EINVAL, "%s:1:1: error: the calibration is empty; expected a mapping with scenario, free "
                "and targets", cal->path);
    if (root->kind != RP_YNODE_MAPPING)
        RP_FAIL(err, RP_EINVAL, "%s: error: expected a mapping with scenario, free and targets, got %s", root->where,
                rp_yamltree_describe(root, desc, sizeof desc));
    int status = check_keys(root, NULL, SCHEMA(top_keys), err);
    if (status != RP_OK)
        return status;
    const char *need[] = {"scenario", "free", "targets"};
    for (int k = 0; k < 3; k++)
        if (!rp_yamltree_get(root, need[k]))
            RP_FAIL(err, RP_EINVAL, "%s: error: %s: missing; expected %s", root->where, need[k],
                    k == 0 ? "the path of a scenario file"
                    : k == 1 ? "the coefficients to fit, KEY: {min, max, start}"
                             : "the targets, OBSERVABLE: {value, band: [LO, HI] or se: SE, weight}");
    /* the scenario: check that it opens here, so the error points at this file */
    const rp_ynode *scn = rp_yamltree_get(root, "scenario");
    if (scn->kind != RP_YNODE_SCALAR || !scn->text[0])
        RP_FAIL(err, RP_EINVAL, "%s: error: scenario: expected the path of a scenario file, got %s", scn->where,
                rp_yamltree_describe(scn, desc, sizeof desc));
    cal->scenario_path = scn->text[0] == '/' || !dir ? strdup(scn->text) : dir_join(dir, scn->text);
    if (!cal->scenario_path)
        RP_FAIL(err, RP_ENOMEM, "out of memory");
    FILE *probe = rp_file_open_input(cal->scenario_path);
    if (!probe) {
        char ex[256], full[256];
        const bool same = strcmp(cal->scenario_path, scn->text) == 0;
        RP_FAIL(err, RP_EINVAL, "%s: error: scenario: cannot open '%s': %s%s%s%s", scn->where,
                rp_yamltree_excerpt(scn->text, ex, sizeof ex), strerror(errno), same ? "" : " (tried '",
                same ? "" : rp_yamltree_excerpt(cal->scenario_path, full, sizeof full), same ? "" : "')");
    }
    fclose(probe);
    /* replicates, patients, budget (before the scenario: cheaper errors first) */
    long long v;
    cal->replicates = 1;
    const rp_ynode *node = rp_yamltree_get(root, "replicates");
    if (node) {
        if ((status = get_integer(node, "replicates", 1, 100000, &v, err)) != RP_OK)
            return status;
        cal->replicates = (int)v;
    }
    node = rp_yamltree_get(root, "patients");
    if (node) {
        if ((status = get_integer(node, "patients", 1, 1000000000000LL, &v, err)) != RP_OK)
            return status;
        cal->patients = v;
        snprintf(cal->patients_where, sizeof cal->patients_where, "%s", node->where);
    }
    cal->evaluations = 200;
    cal->tolerance = 1e-4;
    node = rp_yamltree_get(root, "budget");
    if (node) {
        if (node->kind != RP_YNODE_MAPPING)
            RP_FAIL(err, RP_EINVAL, "%s: error: budget: expected a mapping {evaluations: N, tolerance: T}, got %s",
                    node->where, rp_yamltree_describe(node, desc, sizeof desc));
        if ((status = check_keys(node, "budget", SCHEMA(budget_keys), err)) != RP_OK)
            return status;
        const rp_ynode *e = rp_yamltree_get(node, "evaluations"), *t = rp_yamltree_get(node, "tolerance");
        if (e) {
            if ((status = get_integer(e, "budget.evaluations", 1, 1000000, &v, err)) != RP_OK)
                return status;
            cal->evaluations = (int)v;
        }
        if (t) {
            if ((status = get_number(t, "budget.tolerance", &cal->tolerance, err)) != RP_OK)
                return status;
            if (!(cal->tolerance > 0))
                RP_FAIL(err, RP_EINVAL, "%s: error: budget.tolerance: %g; expected a number > 0", t->where,
                        cal->tolerance);
        }
    }
    /* the scenario itself: its errors are located in it */
    if ((status = rp_scenario_load(cal->scenario_path, &cal->sc, err)) != RP_OK ||
        (status = rp_scenario_resolve(cal->sc, err)) != RP_OK)
        return status;
    /* a fit is of one point: a sweep's axes would be ignored, silently */
    const rp_ynode *sweep = rp_scenario_node(cal->sc, "sweep");
    if (sweep)
        RP_FAIL(err, RP_EINVAL, "%s: error: sweep: calibrate fits one scenario, not a sweep; expected a scenario "
                "without a sweep: section (calibrate each point's scenario on its own)", sweep->where);
    const rp_params *p = rp_scenario_params(cal->sc);
    cal->n_groups = p->patients.n_groups;
    for (int g = 0; g < cal->n_groups; g++)
        snprintf(cal->group_name[g], RP_NAME_MAX, "%s", p->patients.groups[g].name);
    if (cal->patients) {
        const long long caseload = p->providers.caseload > 0 ? p->providers.caseload : 20;
        snprintf(cal->patients_text, sizeof cal->patients_text, "%lld", cal->patients);
        snprintf(cal->providers_text, sizeof cal->providers_text, "%lld", (cal->patients + caseload - 1) / caseload);
    }
    if ((status = parse_free(cal, rp_yamltree_get(root, "free"), err)) != RP_OK ||
        (status = parse_targets(cal, rp_yamltree_get(root, "targets"), err)) != RP_OK)
        return status;
    scenario_values(cal);
    /* every point of the box must resolve: check the start now */
    double x[RP_CAL_MAX_FREE];
    for (int i = 0; i < cal->n_free; i++)
        x[i] = cal->free[i].start;
    rp_override ov[RP_CAL_MAX_FREE + 2];
    char text[RP_CAL_MAX_FREE][40];
    int n = 0;
    for (int i = 0; i < cal->n_free; i++) {
        snprintf(text[i], sizeof text[i], "%.17g", x[i]);
        ov[n++] = (rp_override){cal->free[i].key, NULL, text[i], cal->free[i].where, "free"};
    }
    if (cal->patients) {
        ov[n++] = (rp_override){"patients.count", NULL, cal->patients_text, cal->patients_where, "patients"};
        ov[n++] = (rp_override){"providers.count", NULL, cal->providers_text, cal->patients_where, "patients"};
    }
    rp_params *q = malloc(sizeof *q);
    if (!q)
        RP_FAIL(err, RP_ENOMEM, "out of memory");
    status = rp_scenario_resolve_with(cal->sc, (size_t)n, ov, q, err);
    free(q);
    return status;
}

int rp_calibration_load_string(const char *name, const char *text, const char *dir, rp_calibration **out,
                               rp_error *err)
{
    *out = NULL;
    rp_calibration *cal = calloc(1, sizeof *cal);
    rp_ytree *t = rp_yamltree_alloc();
    if (!cal || !t || !(cal->path = strdup(name))) {
        free(cal);
        rp_yamltree_free(t);
        RP_FAIL(err, RP_ENOMEM, "out of memory");
    }
    rp_ynode *root = NULL;
    int status = rp_yamltree_parse(t, name, text, strlen(text), 0, &root, err);
    if (status == RP_OK)
        status = parse(cal, root, dir, err);
    rp_yamltree_free(t);
    if (status != RP_OK) {
        rp_calibration_free(cal);
        return status;
    }
    *out = cal;
    return RP_OK;
}

int rp_calibration_load(const char *path, rp_calibration **out, rp_error *err)
{
    *out = NULL;
    char *text = NULL;
    size_t len = 0;
    int status = rp_yamltree_read_file(path, &text, &len, err);
    if (status != RP_OK)
        return status;
    char *dir = strdup(path);
    if (!dir) {
        free(text);
        RP_FAIL(err, RP_ENOMEM, "out of memory");
    }
    char *slash = strrchr(dir, '/');
    if (slash)
        slash[slash == dir ? 1 : 0] = '\0';
    status = rp_calibration_load_string(path, text, slash ? dir : NULL, out, err);
    free(dir);
    free(text);
    return status;
}

void rp_calibration_free(rp_calibration *cal)
{
    if (!cal)
        return;
    rp_scenario_free(cal->sc);
    free(cal->path);
    free(cal->scenario_path);
    free(cal);
}

const rp_cal_free *rp_calibration_free_params(const rp_calibration *cal, int *n)
{
    *n = cal->n_free;
    return cal->free;
}

const rp_cal_target *rp_calibration_targets(const rp_calibration *cal, int *n)
{
    *n = cal->n_targets;
    return cal->target;
}

const rp_scenario *rp_calibration_scenario(const rp_calibration *cal) { return cal->sc; }
const char *rp_calibration_path(const rp_calibration *cal) { return cal->path; }
const char *rp_calibration_scenario_path(const rp_calibration *cal) { return cal->scenario_path; }
int rp_calibration_replicates(const rp_calibration *cal) { return cal->replicates; }
long long rp_calibration_patients(const rp_calibration *cal) { return cal->patients; }

void rp_calibration_set_target(rp_calibration *cal, int k, double value, double se)
{
    rp_cal_target *tg = &cal->target[k];
    tg->value = value;
    tg->scale = se;
    tg->lo = value - 1.96 * se;
    tg->hi = value + 1.96 * se;
    tg->has_band = false;
}

/* ---- evaluation ---- */

static rp_cal_stat stat_of(const double *v, int n)
{
    double sum = 0;
    for (int r = 0; r < n; r++)
        sum += v[r];
    const double mean = sum / n;
    double ss = 0;
    for (int r = 0; r < n; r++)
        ss += (v[r] - mean) * (v[r] - mean);
    return (rp_cal_stat){mean, n > 1 ? sqrt(ss / (n - 1) / n) : NAN};
}

/* A penalty standing for a target the simulation could not measure (NaN):
 * large, but finite, so that the simplex moves away from it. */
#define RP_CAL_PENALTY 1e12

/* Replicate r (random stream r) of the parameters p; its summary to *sum. */
static int run_replicate(const rp_params *p, int r, int threads, const rp_cal_options *opt, rp_summary *sum,
                         rp_error *err)
{
    rp_run_options ro = {.threads = threads, .replicate = (uint64_t)r, .stop = opt ? opt->stop : NULL};
    rp_run *run = NULL;
    int s = rp_run_execute(p, &ro, &run, err);
    if (s == RP_OK)
        *sum = run->summary;
    rp_run_free(run);
    return s;
}

int rp_calibration_evaluate(const rp_calibration *cal, const double *x, const rp_cal_options *opt, rp_cal_eval *out,
                            rp_error *err)
{
    memset(out, 0, sizeof *out);
    rp_override ov[RP_CAL_MAX_FREE + 2];
    char text[RP_CAL_MAX_FREE][40];
    int n = 0;
    for (int i = 0; i < cal->n_free; i++) {
        out->x[i] = x[i];
        snprintf(text[i], sizeof text[i], "%.17g", x[i]);
        ov[n++] = (rp_override){cal->free[i].key, NULL, text[i], cal->free[i].where, "free"};
    }
    if (cal->patients) {
        ov[n++] = (rp_override){"patients.count", NULL, cal->patients_text, cal->patients_where, "patients"};
        ov[n++] = (rp_override){"providers.count", NULL, cal->providers_text, cal->patients_where, "patients"};
    }
    const int R = cal->replicates;
    rp_params *p = malloc(sizeof *p);
    rp_summary *sum = calloc((size_t)R, sizeof *sum);
    double *v = malloc((size_t)R * sizeof *v);
    if (!p || !sum || !v) {
        free(p);
        free(sum);
        free(v);
        RP_FAIL(err, RP_ENOMEM, "out of memory");
    }
    int status = rp_scenario_resolve_with(cal->sc, (size_t)n, ov, p, err);
    const int threads = opt && opt->threads > 0 ? opt->threads : 1;
    const int outer = R > 1 ? (threads < R ? threads : R) : 1;
    const int inner = R > 1 ? 1 : threads;
    int failed = RP_OK;
    rp_error first = {{0}};
    if (status == RP_OK) {
        if (outer > 1) {
#pragma omp parallel for num_threads(outer) schedule(dynamic, 1)
            for (int r = 0; r < R; r++) {
                int bad;
#pragma omp atomic read
                bad = failed;
                if (bad)
                    continue;
                rp_error e = {{0}};
                int s = run_replicate(p, r, inner, opt, &sum[r], &e);
                if (s != RP_OK) {
#pragma omp critical(rp_calibrate_error)
                    if (!failed) {
                        first = e;
#pragma omp atomic write
                        failed = s;
                    }
                }
            }
        } else {
            /* one replicate: outside any parallel region, so that the run
             * itself spreads over the threads */
            for (int r = 0; r < R && !failed; r++)
                failed = run_replicate(p, r, inner, opt, &sum[r], &first);
        }
        if (failed) {
            status = failed;
            *err = first;
        }
    }
    if (status == RP_OK) {
        double objective = 0;
        size_t n_obs;
        const rp_observable_def *table = rp_observables_table(&n_obs);
        for (int k = 0; k < cal->n_targets; k++) {
            const rp_cal_target *tg = &cal->target[k];
            for (int r = 0; r < R; r++)
                v[r] = rp_observables_get(tg->group < 0 ? &sum[r].all : &sum[r].group[tg->group],
                                          &table[tg->observable]);
            out->target[k] = stat_of(v, R);
            const double z = (out->target[k].mean - tg->value) / tg->scale;
            objective += isfinite(z) ? tg->weight * z * z : RP_CAL_PENALTY;
        }
        out->objective = objective;
        out->n_groups = sum[0].n_groups;
        int white = -1;
        for (int g = 0; g < out->n_groups; g++) {
            snprintf(out->group_name[g], RP_NAME_MAX, "%s", sum[0].group_name[g]);
            if (strcmp(sum[0].group_name[g], "white") == 0)
                white = g;
            for (int r = 0; r < R; r++)
                v[r] = sum[r].group[g].dropout;
            out->group_dropout[g] = stat_of(v, R);
        }
        out->minority_ratio = (rp_cal_stat){NAN, NAN};
        if (white >= 0 && out->n_groups > 1) {
            for (int r = 0; r < R; r++) {
                double dropped = 0, pairs = 0;
                for (int g = 0; g < out->n_groups; g++)
                    if (g != white && sum[r].group[g].pairs > 0) {
                        dropped += sum[r].group[g].dropout * (double)sum[r].group[g].pairs;
                        pairs += (double)sum[r].group[g].pairs;
                    }
                v[r] = dropped / pairs / sum[r].group[white].dropout;
            }
            out->minority_ratio = stat_of(v, R);
        }
    }
    free(p);
    free(sum);
    free(v);
    return status;
}

/* ---- the fit ---- */

static double to_unbounded(const rp_cal_free *fr, double x)
{
    const double u = (x - fr->min) / (fr->max - fr->min);
    return log(u / (1 - u));
}

static double to_bounded(const rp_cal_free *fr, double y)
{
    return fr->min + (fr->max - fr->min) / (1 + exp(-y));
}

typedef struct {
    const rp_calibration *cal;
    const rp_cal_options *opt;
    int evaluations;
    int status;
    rp_error err;
} fit_ctx;

static double objective_fn(const gsl_vector *y, void *params)
{
    fit_ctx *ctx = params;
    if (ctx->status != RP_OK)
        return RP_CAL_PENALTY;
    double x[RP_CAL_MAX_FREE];
    for (int i = 0; i < ctx->cal->n_free; i++)
        x[i] = to_bounded(&ctx->cal->free[i], gsl_vector_get(y, (size_t)i));
    rp_cal_eval *e = malloc(sizeof *e);
    if (!e) {
        ctx->status = rp_error_raise(&ctx->err, RP_ENOMEM, "out of memory");
        return RP_CAL_PENALTY;
    }
    ctx->evaluations++;
    ctx->status = rp_calibration_evaluate(ctx->cal, x, ctx->opt, e, &ctx->err);
    double f = ctx->status == RP_OK && isfinite(e->objective) ? e->objective : RP_CAL_PENALTY;
    free(e);
    return f;
}

/* x rounded to 5 significant digits, kept strictly inside (min, max). */
static double round5(const rp_cal_free *fr, double x)
{
    char buf[40];
    snprintf(buf, sizeof buf, "%.5g", x);
    double r = strtod(buf, NULL);
    return r > fr->min && r < fr->max ? r : x;
}

int rp_calibration_fit(const rp_calibration *cal, const rp_cal_options *opt, rp_cal_result *res, rp_error *err)
{
    memset(res, 0, sizeof *res);
    const double t0 = omp_get_wtime();
    const size_t n = (size_t)cal->n_free;
    fit_ctx ctx = {cal, opt, 0, RP_OK, {{0}}};
    gsl_multimin_function fn = {objective_fn, n, &ctx};
    gsl_vector *y = gsl_vector_alloc(n), *step = gsl_vector_alloc(n);
    gsl_multimin_fminimizer *m = gsl_multimin_fminimizer_alloc(gsl_multimin_fminimizer_nmsimplex2, n);
    int cap = 64;
    res->history = malloc((size_t)cap * sizeof *res->history);
    if (!y || !step || !m || !res->history) {
        gsl_vector_free(y);
        gsl_vector_free(step);
        if (m)
            gsl_multimin_fminimizer_free(m);
        rp_cal_result_free(res);
        RP_FAIL(err, RP_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < n; i++) {
        gsl_vector_set(y, i, to_unbounded(&cal->free[i], cal->free[i].start));
        gsl_vector_set(step, i, 0.5); /* a step of 0.5 in logit: about an eighth of the range from the middle */
    }
    int status = RP_OK;
    int gs = gsl_multimin_fminimizer_set(m, &fn, y, step);
    if (ctx.status != RP_OK)
        status = ctx.status;
    else if (gs != GSL_SUCCESS)
        status = rp_error_raise(err, RP_EFAIL, "the simplex could not start: %s", gsl_strerror(gs));
    while (status == RP_OK && !res->converged && ctx.evaluations < cal->evaluations) {
        if (opt && opt->stop && *opt->stop) {
            status = rp_error_raise(err, RP_EINTR, "interrupted");
            break;
        }
        gs = gsl_multimin_fminimizer_iterate(m);
        if (ctx.status != RP_OK) {
            status = ctx.status;
            break;
        }
        if (gs != GSL_SUCCESS) {
            status = rp_error_raise(err, RP_EFAIL, "the simplex failed: %s", gsl_strerror(gs));
            break;
        }
        const double size = gsl_multimin_fminimizer_size(m);
        if (res->iterations == cap) {
            cap *= 2;
            rp_cal_step *h = realloc(res->history, (size_t)cap * sizeof *h);
            if (!h) {
                status = rp_error_raise(err, RP_ENOMEM, "out of memory");
                break;
            }
            res->history = h;
        }
        rp_cal_step *s = &res->history[res->iterations++];
        s->iteration = res->iterations;
        s->evaluations = ctx.evaluations;
        s->objective = gsl_multimin_fminimizer_minimum(m);
        s->size = size;
        for (size_t i = 0; i < n; i++)
            s->x[i] = to_bounded(&cal->free[i], gsl_vector_get(m->x, i));
        if (opt && opt->on_step)
            opt->on_step(opt->ctx, cal, s);
        res->converged = gsl_multimin_test_size(size, cal->tolerance) == GSL_SUCCESS;
    }
    if (status != RP_OK && ctx.status != RP_OK && status == ctx.status)
        *err = ctx.err;
    if (status == RP_OK) {
        double x[RP_CAL_MAX_FREE];
        for (size_t i = 0; i < n; i++)
            x[i] = round5(&cal->free[i], to_bounded(&cal->free[i], gsl_vector_get(m->x, i)));
        status = rp_calibration_evaluate(cal, x, opt, &res->final, err);
        ctx.evaluations++;
    }
    res->evaluations = ctx.evaluations;
    res->seconds = omp_get_wtime() - t0;
    gsl_multimin_fminimizer_free(m);
    gsl_vector_free(y);
    gsl_vector_free(step);
    if (status != RP_OK)
        rp_cal_result_free(res);
    return status;
}

void rp_cal_result_free(rp_cal_result *res)
{
    free(res->history);
    res->history = NULL;
}

int rp_calibration_write_scenario(const rp_calibration *cal, const double *x, FILE *out, rp_error *err)
{
    int status = scenario_with(cal, x, out, err);
    if (status == RP_OK && (fflush(out) != 0 || ferror(out)))
        status = rp_error_raise(err, RP_EIO, "cannot write the scenario: %s", strerror(errno));
    return status;
}

/* ---- reports ---- */

static bool in_band(const rp_cal_target *tg, double m) { return m >= tg->lo && m <= tg->hi; }

void rp_calibration_print_table(const rp_calibration *cal, const rp_cal_result *res, FILE *f)
{
    const rp_cal_eval *e = &res->final;
    fprintf(f, "rapport calibrate: %s\n", cal->path);
    fprintf(f, "scenario %s, ", cal->scenario_path);
    if (cal->patients)
        fprintf(f, "%lld patients and %s providers per run, ", cal->patients, cal->providers_text);
    fprintf(f, "%d replicates (streams 0-%d, common to every evaluation)\n", cal->replicates, cal->replicates - 1);
    fprintf(f, "%s after %d iterations, %d evaluations, %.1f s; objective %.6g\n\n",
            res->converged ? "converged" : "stopped: evaluation budget spent", res->iterations, res->evaluations,
            res->seconds, e->objective);
    fprintf(f, "%-36s %12s %12s %12s %12s\n", "coefficient", "scenario", "start", "fitted", "range");
    for (int i = 0; i < cal->n_free; i++) {
        const rp_cal_free *fr = &cal->free[i];
        char range[64];
        snprintf(range, sizeof range, "[%g, %g]", fr->min, fr->max);
        fprintf(f, "%-36s %12.6g %12.6g %12.6g %12s\n", fr->key, fr->scenario_value, fr->start, e->x[i], range);
    }
    fprintf(f, "\n%-36s %9s %18s %10s %10s %7s %6s %s\n", "target", "value", "band", "simulated", "MC SE", "z",
            "weight", "in band");
    int outside = 0;
    for (int k = 0; k < cal->n_targets; k++) {
        const rp_cal_target *tg = &cal->target[k];
        const rp_cal_stat *s = &e->target[k];
        char band[64];
        snprintf(band, sizeof band, "[%.4g, %.4g]", tg->lo, tg->hi);
        const bool in = in_band(tg, s->mean);
        outside += !in;
        char se[32] = "-"; /* one replicate: no Monte-Carlo SE */
        if (!isnan(s->se))
            snprintf(se, sizeof se, "%.2g", s->se);
        fprintf(f, "%-36s %9.4g %18s %10.5g %10s %7.2f %6g %s\n", tg->name, tg->value, band, s->mean, se,
                (s->mean - tg->value) / tg->scale, tg->weight, in ? "yes" : "NO");
    }
    fprintf(f, "\n%d of %d targets inside their band\n", cal->n_targets - outside, cal->n_targets);
    fprintf(f, "\nreported, not fitted: dropout by patient group (mean +- MC SE)\n");
    for (int g = 0; g < e->n_groups; g++)
        fprintf(f, "  %-20s %.4f +- %.4f\n", e->group_name[g], e->group_dropout[g].mean, e->group_dropout[g].se);
    if (isfinite(e->minority_ratio.mean))
        fprintf(f, "  minority (all but white) / white dropout ratio: %.3f +- %.3f (%s 1)\n", e->minority_ratio.mean,
                e->minority_ratio.se, e->minority_ratio.mean > 1 ? ">" : "not >");
}

void rp_calibration_print_json(const rp_calibration *cal, const rp_cal_result *res, const char *written, FILE *f)
{
    const rp_cal_eval *e = &res->final;
    fputs("{\n  \"calibration\": ", f);
    rp_observe_json_string(f, cal->path);
    fputs(",\n  \"scenario\": ", f);
    rp_observe_json_string(f, cal->scenario_path);
    fprintf(f, ",\n  \"patients\": %lld,\n  \"replicates\": %d,\n  \"converged\": %s,\n  \"iterations\": %d,\n"
               "  \"evaluations\": %d,\n  \"seconds\": %.3f,\n  \"objective\": ",
            cal->patients, cal->replicates, res->converged ? "true" : "false", res->iterations, res->evaluations,
            res->seconds);
    rp_observe_json_number(f, e->objective);
    fputs(",\n  \"free\": [", f);
    for (int i = 0; i < cal->n_free; i++) {
        const rp_cal_free *fr = &cal->free[i];
        fputs(i ? ",\n    {\"key\": " : "\n    {\"key\": ", f);
        rp_observe_json_string(f, fr->key);
        fputs(", \"scenario\": ", f);
        rp_observe_json_number(f, fr->scenario_value);
        fputs(", \"start\": ", f);
        rp_observe_json_number(f, fr->start);
        fputs(", \"min\": ", f);
        rp_observe_json_number(f, fr->min);
        fputs(", \"max\": ", f);
        rp_observe_json_number(f, fr->max);
        fputs(", \"fitted\": ", f);
        rp_observe_json_number(f, e->x[i]);
        fputs("}", f);
    }
    fputs("\n  ],\n  \"targets\": [", f);
    for (int k = 0; k < cal->n_targets; k++) {
        const rp_cal_target *tg = &cal->target[k];
        fputs(k ? ",\n    {\"name\": " : "\n    {\"name\": ", f);
        rp_observe_json_string(f, tg->name);
        fputs(", \"value\": ", f);
        rp_observe_json_number(f, tg->value);
        fputs(", \"band\": [", f);
        rp_observe_json_number(f, tg->lo);
        fputs(", ", f);
        rp_observe_json_number(f, tg->hi);
        fputs("], \"scale\": ", f);
        rp_observe_json_number(f, tg->scale);
        fputs(", \"weight\": ", f);
        rp_observe_json_number(f, tg->weight);
        fputs(", \"simulated\": ", f);
        rp_observe_json_number(f, e->target[k].mean);
        fputs(", \"mc_se\": ", f);
        rp_observe_json_number(f, e->target[k].se);
        fprintf(f, ", \"in_band\": %s}", in_band(tg, e->target[k].mean) ? "true" : "false");
    }
    fputs("\n  ],\n  \"dropout_by_group\": {", f);
    for (int g = 0; g < e->n_groups; g++) {
        fputs(g ? ", " : "", f);
        rp_observe_json_string(f, e->group_name[g]);
        fputs(": {\"mean\": ", f);
        rp_observe_json_number(f, e->group_dropout[g].mean);
        fputs(", \"mc_se\": ", f);
        rp_observe_json_number(f, e->group_dropout[g].se);
        fputs("}", f);
    }
    fputs("},\n  \"minority_white_dropout_ratio\": {\"mean\": ", f);
    rp_observe_json_number(f, e->minority_ratio.mean);
    fputs(", \"mc_se\": ", f);
    rp_observe_json_number(f, e->minority_ratio.se);
    fputs("},\n  \"written\": ", f);
    if (written)
        rp_observe_json_string(f, written);
    else
        fputs("null", f);
    fputs(",\n  \"history\": [", f);
    for (int h = 0; h < res->iterations; h++) {
        const rp_cal_step *s = &res->history[h];
        fprintf(f, "%s\n    {\"iteration\": %d, \"evaluations\": %d, \"objective\": ", h ? "," : "", s->iteration,
                s->evaluations);
        rp_observe_json_number(f, s->objective);
        fputs(", \"size\": ", f);
        rp_observe_json_number(f, s->size);
        fputs(", \"x\": [", f);
        for (int i = 0; i < cal->n_free; i++) {
            fputs(i ? ", " : "", f);
            rp_observe_json_number(f, s->x[i]);
        }
        fputs("]}", f);
    }
    fputs("\n  ]\n}\n", f);
}
