/* calibration_spec.c - a calibration file read into its spec; see
 * calibration_spec.h.
 *
 * The input layer's reader of calibrations (the format is calibrate.h's):
 * the top level, each free key, each target and the budget are checked
 * against their schemas (schema.h: one key checker, one message), numbers
 * and whole numbers parsed by the parameter table's parsers, every error
 * located "FILE:LINE:COLUMN: error: SECTION.KEY: ...". The scenario is
 * loaded and resolved here, so that free keys and targets are checked
 * against it; calibrate.c evaluates and fits what this fills, reading no
 * YAML.
 */
#define _POSIX_C_SOURCE 200809L /* strdup */
#include "exec/calibration_spec.h"
#include "core/text.h"

#include "input/input.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rapport/observables.h"
#include "core/files.h"
#include "input/schema.h"
#include "input/yamltree.h"
#include "rapport/paramtable.h"

/* Targets' scales and weights: a scale below this (far below any
 * Monte-Carlo error) or a weight above the other bound would overflow the
 * objective. */
#define MIN_TARGET_SCALE 1e-9
#define MAX_TARGET_WEIGHT 1e6

typedef struct rp_calibration rp_calibration;

/* The schemas of a calibration's sections. */
static const rp_schema_key top_keys[] = {{"scenario", RP_SK_TEXT},   {"replicates", RP_SK_INTEGER},
                                         {"patients", RP_SK_INTEGER}, {"free", RP_SK_MAPPING},
                                         {"targets", RP_SK_MAPPING},  {"budget", RP_SK_MAPPING},
                                         {"method", RP_SK_TEXT},      {"abc", RP_SK_MAPPING}};
static const rp_schema_key free_keys[] = {
    {"min", RP_SK_NUMBER}, {"max", RP_SK_NUMBER}, {"start", RP_SK_NUMBER}, {"prior", RP_SK_TEXT}};
static const rp_schema_key abc_keys[] = {{"particles", RP_SK_INTEGER},  {"generations", RP_SK_INTEGER},
                                         {"tolerance", RP_SK_NUMBER},   {"quantile", RP_SK_NUMBER},
                                         {"min_acceptance", RP_SK_NUMBER}, {"simulations", RP_SK_INTEGER}};
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

/* The scenario's own value of each free key (a real-valued field). */
static void scenario_values(rp_calibration *cal)
{
    const rp_params *p = rp_scenario_params(cal->sc);
    for (int i = 0; i < cal->n_free; i++) {
        rp_field f;
        double x = NAN;
        if (rp_scenario_field(cal->sc, cal->free[i].key, &f) && f.size == sizeof x)
            memcpy(&x, (const char *)p + f.offset, sizeof x);
        else if (!rp_params_moment(p, cal->free[i].key, &x)) /* KEY.mean, KEY.sd: its distribution's */
            x = NAN;
        cal->free[i].scenario_value = x;
    }
}


/* The smallest probability mass a truncated prior may keep on [min, max]:
 * below it the prior is improper for any practical purpose (its draws
 * would all sit on a bound). */
#define MIN_PRIOR_MASS 1e-6

/* free.KEY.prior: one of the prior families, in the scenario's syntax of
 * distributions, on the support [min, max] of fr: the prior's own support
 * within the parameter's bounds, cut to the min and max given. */
int rp_cal_prior_parse(const rp_ynode *pr, const char *name, const rp_param *row, rp_cal_free *fr, rp_error *err)
{
    static const char *const families[] = {"uniform", "normal", "beta", "lognormal"};
    char desc[160], family[16], ex[80], range[192];
    double a[3] = {0};
    int n_args = 0;
    const char *detail = NULL;
    if (pr->kind != RP_YNODE_SCALAR ||
        !rp_paramtable_split_dist(pr->text, family, sizeof family, a, 3, &n_args, &detail))
        RP_FAIL(err, RP_EINVAL, "%s: error: %s: expected uniform(LO, HI), normal(M, S), beta(A, B) or lognormal(M, S)"
                ", got %s%s%s%s", pr->where, name, rp_yamltree_describe(pr, desc, sizeof desc), detail ? " (" : "",
                detail ? detail : "", detail ? ")" : "");
    int kind = 0;
    for (int k = 0; k < 4; k++)
        if (strcmp(family, families[k]) == 0)
            kind = k + 1;
    if (!kind) {
        const char *near = rp_paramtable_suggest(family, families, 4);
        RP_FAIL(err, RP_EINVAL, "%s: error: %s: unknown prior '%s'%s%s%s expected uniform, normal, beta or "
                "lognormal", pr->where, name, rp_text_excerpt(family, ex, sizeof ex), near ? "; did you mean '" : "",
                near ? near : "", near ? "'?" : ";");
    }
    if (n_args != 2)
        RP_FAIL(err, RP_EINVAL, "%s: error: %s: %s takes 2 parameters, got %d", pr->where, name, family, n_args);
    snprintf(fr->prior_text, sizeof fr->prior_text, "%s(%.10g, %.10g)", family, a[0], a[1]);
    fr->prior = (rp_prior){(rp_prior_kind)kind, a[0], a[1]};
    double lo = -INFINITY, hi = INFINITY; /* the family's own support */
    switch (fr->prior.kind) {
    case RP_PRIOR_UNIFORM:
        if (!(a[0] < a[1]))
            RP_FAIL(err, RP_EINVAL, "%s: error: %s: uniform(%g, %g) is empty; expected LO < HI", pr->where, name, a[0],
                    a[1]);
        if (a[0] < row->min || a[1] > row->max || ((row->flags & RP_PF_MIN_OPEN) && a[0] == row->min) ||
            ((row->flags & RP_PF_MAX_OPEN) && a[1] == row->max))
            RP_FAIL(err, RP_EINVAL, "%s: error: %s: uniform(%g, %g) reaches outside the parameter's range; expected "
                    "a prior within %s's bounds: %s", pr->where, name, a[0], a[1], fr->key,
                    rp_paramtable_expected(row, range, sizeof range));
        lo = a[0];
        hi = a[1];
        break;
    case RP_PRIOR_NORMAL:
    case RP_PRIOR_LOGNORMAL:
        if (!(a[1] > 0))
            RP_FAIL(err, RP_EINVAL, "%s: error: %s: %s(%g, %g) is improper; expected a standard deviation > 0",
                    pr->where, name, family, a[0], a[1]);
        if (fr->prior.kind == RP_PRIOR_LOGNORMAL)
            lo = 0;
        break;
    case RP_PRIOR_BETA:
        if (!(a[0] > 0 && a[1] > 0))
            RP_FAIL(err, RP_EINVAL, "%s: error: %s: beta(%g, %g) is improper; expected A > 0 and B > 0", pr->where,
                    name, a[0], a[1]);
        lo = 0;
        hi = 1;
        break;
    default:
        break;
    }
    fr->min = fmax(lo, fr->min); /* fr's min and max: as given, else the parameter's bounds */
    fr->max = fmin(hi, fr->max);
    if (!(fr->min < fr->max) || !isfinite(fr->min) || !isfinite(fr->max))
        RP_FAIL(err, RP_EINVAL, "%s: error: %s: %s has no support within [%g, %g]; expected a prior whose support "
                "meets min, max and %s's bounds (%s)", pr->where, name, fr->prior_text, fr->min, fr->max, fr->key,
                rp_paramtable_expected(row, range, sizeof range));
    const double mass = rp_prior_cdf(fr, fr->max) - rp_prior_cdf(fr, fr->min);
    if (!(mass >= MIN_PRIOR_MASS))
        RP_FAIL(err, RP_EINVAL, "%s: error: %s: %s puts mass %.3g on [%g, %g], improper once truncated; expected "
                "a prior with mass >= %g there", pr->where, name, fr->prior_text, mass, fr->min, fr->max,
                MIN_PRIOR_MASS);
    fr->start = rp_prior_quantile(fr, 0.5); /* where the scenario is checked to resolve */
    return RP_OK;
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
                    rp_text_excerpt(key->text, ex, sizeof ex), why);
        if (!row || (row->type != RP_PT_DOUBLE && row->type != RP_PT_PROB))
            RP_FAIL(err, RP_EINVAL, "%s: error: free: '%s' is not a numeric parameter; expected a key whose value is "
                    "a real number (e.g. dropout.base)", key->where, rp_text_excerpt(key->text, ex, sizeof ex));
        for (int j = 0; j < cal->n_free; j++)
            if (strcmp(cal->free[j].key, key->text) == 0)
                RP_FAIL(err, RP_EINVAL, "%s: error: free: '%s' is given twice", key->where, ex);
        snprintf(fr->key, sizeof fr->key, "%s", key->text);
        snprintf(fr->where, sizeof fr->where, "%s", key->where);
        snprintf(name, sizeof name, "free.%s", fr->key);
        if (v->kind != RP_YNODE_MAPPING)
            RP_FAIL(err, RP_EINVAL, "%s: error: %s: expected a mapping {min: A, max: B, start: C}, got %s", v->where,
                    name, rp_yamltree_describe(v, desc, sizeof desc));
        for (size_t k = 0; rp_yamltree_get(v, "prior") && k < v->n; k++) {
            const char *kt = v->keys[k]->text;
            const size_t len = strlen(kt);
            if (len && kt[len - 1] == ')')
                RP_FAIL(err, RP_EINVAL, "%s: error: %s: '%s' is the end of a prior cut at its comma (in {...} "
                        "YAML splits at every comma); expected the prior in quotes, prior: \"uniform(LO, HI)\", or "
                        "on a line of its own", v->keys[k]->where, name, rp_text_excerpt(kt, ex, sizeof ex));
        }
        int status = check_keys(v, name, SCHEMA(free_keys), err);
        if (status != RP_OK)
            return status;
        const rp_ynode *mn = rp_yamltree_get(v, "min"), *mx = rp_yamltree_get(v, "max"),
                       *st = rp_yamltree_get(v, "start"), *pr = rp_yamltree_get(v, "prior");
        const bool abc = cal->method == RP_CAL_ABC_SMC;
        if (pr && !abc)
            RP_FAIL(err, RP_EINVAL, "%s: error: %s.prior: a prior needs `method: abc-smc`; expected no prior under "
                    "nelder-mead, or `method: abc-smc` at the top of the file", pr->where, name);
        if (abc && !pr)
            RP_FAIL(err, RP_EINVAL, "%s: error: %s: prior missing; expected {prior: \"uniform(LO, HI)\"} (or normal(M, S), "
                    "beta(A, B), lognormal(M, S)) under method abc-smc", v->where, name);
        if (abc && st)
            RP_FAIL(err, RP_EINVAL, "%s: error: %s.start: abc-smc starts from the prior; expected no start",
                    st->where, name);
        if (!abc && (!mn || !mx))
            RP_FAIL(err, RP_EINVAL, "%s: error: %s: %s missing; expected {min: A, max: B, start: C}", v->where, name,
                    !mn ? "min" : "max");
        char sub[RP_CAL_KEY_MAX + 32];
        fr->min = row->min;
        fr->max = row->max;
        if (mn) {
            snprintf(sub, sizeof sub, "%s.min", name);
            if ((status = get_number(mn, sub, &fr->min, err)) != RP_OK)
                return status;
        }
        if (mx) {
            snprintf(sub, sizeof sub, "%s.max", name);
            if ((status = get_number(mx, sub, &fr->max, err)) != RP_OK)
                return status;
        }
        if (mn && mx && !(fr->min < fr->max))
            RP_FAIL(err, RP_EINVAL, "%s: error: %s: min %g is not below max %g; expected min < max", mx->where,
                    name, fr->min, fr->max);
        /* The range lies within the parameter's bounds, which are finite:
         * so is max - min, by which the fit scales its coordinates. */
        const bool min_open = row->flags & RP_PF_MIN_OPEN, max_open = row->flags & RP_PF_MAX_OPEN;
        char range[192];
        if (mn && (fr->min < row->min || (min_open && fr->min == row->min)))
            RP_FAIL(err, RP_EINVAL, "%s: error: %s: min %g is outside the parameter's range; expected min and max "
                    "within %s's bounds: %s", mn->where, name, fr->min, fr->key,
                    rp_paramtable_expected(row, range, sizeof range));
        if (mx && (fr->max > row->max || (max_open && fr->max == row->max)))
            RP_FAIL(err, RP_EINVAL, "%s: error: %s: max %g is outside the parameter's range; expected min and max "
                    "within %s's bounds: %s", mx->where, name, fr->max, fr->key,
                    rp_paramtable_expected(row, range, sizeof range));
        if (abc) {
            snprintf(sub, sizeof sub, "%s.prior", name);
            if ((status = rp_cal_prior_parse(pr, sub, row, fr, err)) != RP_OK)
                return status;
        } else {
            fr->start = 0.5 * (fr->min + fr->max);
            if (st) {
                snprintf(sub, sizeof sub, "%s.start", name);
                if ((status = get_number(st, sub, &fr->start, err)) != RP_OK)
                    return status;
                if (!(fr->start > fr->min && fr->start < fr->max))
                    RP_FAIL(err, RP_EINVAL, "%s: error: %s: start %g is not strictly between min %g and max %g",
                            st->where, name, fr->start, fr->min, fr->max);
            }
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
        rp_text_excerpt(key->text, ex, sizeof ex);
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
        const int model = rp_model_version(rp_scenario_params(cal->sc)->model);
        if (d && !rp_observables_reported(d, model))
            RP_FAIL(err, RP_EINVAL, "%s: error: targets: '%s': %s exists from model %d on, and the scenario runs "
                    "model %d; expected an observable of model %d, or `model: %d` in the scenario", key->where, ex,
                    d->name, d->since, model, model, d->since);
        if (!d) {
            const char *names[RP_N_OBSERVABLES];
            size_t n_names = 0; /* the observables of the scenario's model version */
            for (size_t k = 0; k < n_obs; k++)
                if (rp_observables_reported(&table[k], model))
                    names[n_names++] = table[k].name;
            const char *near = rp_paramtable_suggest(obs, names, n_names);
            rp_paramtable_join(names, n_names, list, sizeof list);
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

/* The key node of key in map (present). */
static const rp_ynode *key_node(const rp_ynode *map, const char *key)
{
    for (size_t i = 0; i < map->n; i++)
        if (strcmp(map->keys[i]->text, key) == 0)
            return map->keys[i];
    return map;
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
                rp_text_excerpt(scn->text, ex, sizeof ex), strerror(errno), same ? "" : " (tried '",
                same ? "" : rp_text_excerpt(cal->scenario_path, full, sizeof full), same ? "" : "')");
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
    /* the method, and abc-smc's settings */
    cal->method = RP_CAL_NELDER_MEAD;
    cal->abc = (rp_abc_settings){.particles = 200, .generations = 8, .tolerance = 1, .quantile = 0.5,
                                 .min_acceptance = 0.01, .simulations = 1000000};
    node = rp_yamltree_get(root, "method");
    if (node) {
        if (node->kind == RP_YNODE_SCALAR && strcmp(node->text, "abc-smc") == 0)
            cal->method = RP_CAL_ABC_SMC;
        else if (!(node->kind == RP_YNODE_SCALAR && strcmp(node->text, "nelder-mead") == 0)) {
            static const char *const methods[] = {"nelder-mead", "abc-smc"};
            const char *near = node->kind == RP_YNODE_SCALAR ? rp_paramtable_suggest(node->text, methods, 2) : NULL;
            RP_FAIL(err, RP_EINVAL, "%s: error: method: expected nelder-mead or abc-smc, got %s%s%s%s", node->where,
                    rp_yamltree_describe(node, desc, sizeof desc), near ? "; did you mean '" : "", near ? near : "",
                    near ? "'?" : "");
        }
    }
    node = rp_yamltree_get(root, "abc");
    if (node && cal->method != RP_CAL_ABC_SMC)
        RP_FAIL(err, RP_EINVAL, "%s: error: abc: settings of method abc-smc; expected `method: abc-smc`, or no abc "
                "section", key_node(root, "abc")->where);
    if (cal->method == RP_CAL_ABC_SMC && rp_yamltree_get(root, "budget"))
        RP_FAIL(err, RP_EINVAL, "%s: error: budget: nelder-mead's budget; abc-smc's is abc.simulations (expected no "
                "budget section)", key_node(root, "budget")->where);
    if (node) {
        if ((status = check_keys(node, "abc", SCHEMA(abc_keys), err)) != RP_OK)
            return status;
        const rp_ynode *e;
        if ((e = rp_yamltree_get(node, "particles"))) {
            if ((status = get_integer(e, "abc.particles", 2, RP_ABC_MAX_PARTICLES, &v, err)) != RP_OK)
                return status;
            cal->abc.particles = (int)v;
        }
        if ((e = rp_yamltree_get(node, "generations"))) {
            if ((status = get_integer(e, "abc.generations", 1, RP_ABC_MAX_GENERATIONS, &v, err)) != RP_OK)
                return status;
            cal->abc.generations = (int)v;
        }
        if ((e = rp_yamltree_get(node, "simulations"))) {
            if ((status = get_integer(e, "abc.simulations", 1, 1000000000000LL, &v, err)) != RP_OK)
                return status;
            cal->abc.simulations = v;
        }
        struct {
            const char *key;
            double *to, lo, hi;
            bool lo_open;
        } reals[] = {{"tolerance", &cal->abc.tolerance, 0, INFINITY, false},
                     {"quantile", &cal->abc.quantile, 0, 1, true},
                     {"min_acceptance", &cal->abc.min_acceptance, 0, 1, false}};
        for (size_t k = 0; k < sizeof reals / sizeof reals[0]; k++) {
            char sub[64];
            snprintf(sub, sizeof sub, "abc.%s", reals[k].key);
            if (!(e = rp_yamltree_get(node, reals[k].key)))
                continue;
            if ((status = get_number(e, sub, reals[k].to, err)) != RP_OK)
                return status;
            const double x = *reals[k].to;
            if (!(x > reals[k].lo || (!reals[k].lo_open && x == reals[k].lo)) || !(x < reals[k].hi))
                RP_FAIL(err, RP_EINVAL, "%s: error: %s: %g; expected a number in %s%g, %g)", e->where, sub, x,
                        reals[k].lo_open ? "(" : "[", reals[k].lo, reals[k].hi);
        }
    }
    if (cal->method == RP_CAL_ABC_SMC && cal->replicates > RP_ABC_MAX_REPLICATES)
        RP_FAIL(err, RP_EINVAL, "%s: error: replicates: %d; abc-smc takes at most %d replicates per simulation",
                rp_yamltree_get(root, "replicates")->where, cal->replicates, RP_ABC_MAX_REPLICATES);
    /* the scenario itself: its errors are located in it */
    if ((status = rp_scenario_load(cal->scenario_path, &cal->sc, err)) != RP_OK ||
        (status = rp_scenario_resolve(cal->sc, err)) != RP_OK)
        return status;
    /* a fit is of one point: a sweep's axes would be ignored, silently */
    const rp_ynode *sweep = rp_scenario_node(cal->sc, "sweep");
    if (sweep)
        RP_FAIL(err, RP_EINVAL, "%s: error: sweep: calibrate fits one scenario, not a sweep; expected a scenario "
                "without a sweep: section (calibrate each point's scenario on its own)", sweep->where);
    const rp_ynode *unc = rp_scenario_node(cal->sc, "uncertainty");
    if (unc)
        RP_FAIL(err, RP_EINVAL, "%s: error: uncertainty: calibrate fits the coefficients, not under draws of them; "
                "expected a scenario without an uncertainty: section (a sensitivity analysis runs after the "
                "calibration, from its posterior)", unc->where);
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
    return RP_OK;
}

/* ---- the interface ---- */

int rp_cal_spec_read(const char *name, const char *text, const char *dir, rp_calibration *cal, rp_error *err)
{
    rp_ytree *t = rp_yamltree_alloc();
    if (!t || !(cal->path = strdup(name)) || !(cal->text = strdup(text))) {
        rp_yamltree_free(t);
        RP_FAIL(err, RP_ENOMEM, "out of memory");
    }
    rp_ynode *root = NULL;
    int status = rp_yamltree_parse(t, name, text, strlen(text), 0, &root, err);
    if (status == RP_OK)
        status = parse(cal, root, dir, err);
    rp_yamltree_free(t);
    return status;
}

int rp_cal_spec_load(const char *path, rp_calibration *cal, rp_error *err)
{
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
    status = rp_cal_spec_read(path, text, slash ? dir : NULL, cal, err);
    free(dir);
    free(text);
    return status;
}
