/* param_bounds.c - the model runs at every documented bound of every
 * parameter, and what it reports is a result.
 *
 * The parameter tables themselves are walked (rp_paramtable_*), so a new row
 * is covered without touching this file: every numeric row of the top level
 * and of each dimension and group is set to its min and to its max (one ulp
 * inside an open bound), every distribution key to its fixed min and max and
 * to each family's parameters at their bounds (one at a time, the others as
 * in the reference population, and at the corners), then two profiles put
 * every real parameter at its min, or at its max, at once. Each point is
 * resolved like a --set and, when valid, run (200 patients of the reference
 * population, default horizon) through the library. A point must either run,
 * with every observable finite or legitimately undefined (NaN, never an
 * infinity, and a share in [0, 1]), or be refused by one of the documented
 * cross-checks (recovered < max, a week within the horizon, total caseload,
 * shares summing to 1, a gamma's mean in its key's range); a cross-check with
 * a known companion value is retried with it and must then run. Points whose
 * population would not fit in 256 MiB (counts of 10^12) are resolved only.
 * Every real bound must be finite: that is what keeps calibration ranges and
 * sweep ranges finite too. */
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rapport/observe.h"
#include "rapport/paramtable.h"
#include "rapport/run.h"
#include "rapport/scenario.h"
#include "input/input.h" /* rp_scenario_resolve_with */
#include "testing.h"

/* model 2, the latest: every parameter of the table is one of its model */
#define BASE "model: 2\nseed: 7\npatients: {count: 200}\n"
#define MAX_BYTES (256.0 * 1024 * 1024)
#define MAX_OV 64

/* Messages of the documented checks across values (docs/SCENARIO.md). */
static const char *const cross_checks[] = {
    "expected symptoms.recovered < symptoms.max", "expected a week in [0, horizon]",
    "expected providers.count x providers.caseload >= patients.count", "; expected 1 (within 1e-9)",
    "(the mean shape x scale = ",
};

/* A value that resolves a cross-check, tried when the point alone is
 * refused by one: KEY at either bound -> also set EXTRA. */
static const struct {
    const char *key, *extra_key, *extra;
} companions[] = {
    {"symptoms.max", "symptoms.recovered", "0"},
    {"report.ambivalence_week", "horizon", "1040"},
    {"providers.count", "providers.caseload", "1000000"},
};

/* Keys held at their default in the all-at-max profile: the one real
 * parameter whose max collides with another's by a cross-check. */
static const char *const held_in_profile[] = {"symptoms.recovered"};

/* The observables are the rows of rp_observables_table(), so a new one is
 * checked (never an infinity) without touching this file; these lists add
 * what is known of some of them. */
static const char *const shares[] = {"dropout",         "early_dropout",   "recovered_share",  "ambivalence",
                                     "repaired_share",  "discussed_share", "therapist_dropout",
                                     "distance_mean",   "concordance"};
/* Defined whenever there is a pair: these are never NaN. */
static const char *const always_defined[] = {"dropout", "sessions_mean", "recovered_share", "improvement_mean",
                                             "discussed_share"};

typedef struct {
    const rp_scenario *sc;
    int points, runs, refused, resolved_only, failures;
} tally;

static bool listed(const char *s, const char *const *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(s, list[i]) == 0)
            return true;
    return false;
}

static bool is_real(const rp_param *row) { return row->type == RP_PT_DOUBLE || row->type == RP_PT_PROB; }
static bool is_numeric(const rp_param *row) { return row->type <= RP_PT_PROB; }

/* The row's min or max as text, one ulp inside an open bound; whole
 * numbers exactly. False when the bound is not finite. */
static bool bound_text(const rp_param *row, bool upper, char *buf, size_t size)
{
    double v = upper ? row->max : row->min;
    if (!isfinite(v))
        return false;
    if (row->type == RP_PT_UINT64)
        snprintf(buf, size, upper ? "18446744073709551615" : "0");
    else if (row->type == RP_PT_INT || row->type == RP_PT_INT64)
        snprintf(buf, size, "%.0f", v);
    else {
        if (upper && (row->flags & RP_PF_MAX_OPEN))
            v = nextafter(v, -INFINITY);
        if (!upper && (row->flags & RP_PF_MIN_OPEN))
            v = nextafter(v, INFINITY);
        snprintf(buf, size, "%.17g", v);
    }
    return true;
}

/* Whether a summary of one population is a result; why if not. */
static bool observables_ok(rp_observables o, const rp_params *p, char *why, size_t size)
{
    size_t n;
    const rp_observable_def *table = rp_observables_table(&n);
    for (size_t k = 0; k < n; k++) {
        const char *name = table[k].name;
        const double v = rp_observables_get(&o, &table[k]);
        bool ok = !isinf(v);
        if (!rp_observables_reported(&table[k], p->model))
            ok = isnan(v); /* a row of a later model version is neither computed nor reported */
        if (listed(name, shares, sizeof shares / sizeof shares[0]))
            ok = ok && (isnan(v) || (v >= 0 && v <= 1));
        if (o.pairs > 0 && listed(name, always_defined, sizeof always_defined / sizeof always_defined[0]))
            ok = ok && isfinite(v);
        if (strcmp(name, "sessions_mean") == 0 || strcmp(name, "discussed_week_mean") == 0)
            ok = ok && (isnan(v) || (v >= 0 && v <= p->horizon));
        if (strcmp(name, "improvement_mean") == 0)
            ok = ok && (isnan(v) || fabs(v) <= p->symptoms.max);
        if (strcmp(name, "alliance_outcome_r") == 0 || strcmp(name, "repair_outcome_r") == 0)
            ok = ok && (isnan(v) || fabs(v) <= 1 + 1e-12);
        if (!ok) {
            snprintf(why, size, "%s = %g", name, v);
            return false;
        }
    }
    return true;
}

/* Resolve and run one point; returns 1 if it ran or was only resolved, 0 if
 * a cross-check refused it (why holds the message), -1 on a failure. */
static int try_point(tally *t, const char *label, size_t n, const rp_override *ov, char *why, size_t size)
{
    rp_params p;
    rp_error err = {{0}};
    int st = rp_scenario_resolve_with(t->sc, n, ov, &p, &err);
    if (st != RP_OK) {
        snprintf(why, size, "%s", err.msg);
        for (size_t i = 0; i < sizeof cross_checks / sizeof cross_checks[0]; i++)
            if (st == RP_EINVAL && strstr(err.msg, cross_checks[i]))
                return 0;
        return -1;
    }
    if (rp_run_bytes(&p) > MAX_BYTES) {
        t->resolved_only++;
        return 1;
    }
    rp_run *run = NULL;
    rp_run_options opt = {.threads = 2, .replicate = (uint64_t)(p.replicates - 1)};
    st = rp_run_execute(&p, &opt, &run, &err);
    t->runs++;
    if (st != RP_OK) {
        snprintf(why, size, "the run failed: %s", err.msg);
        return -1;
    }
    bool ok = observables_ok(run->summary.all, &p, why, size);
    for (int g = 0; ok && g < run->summary.n_groups; g++)
        ok = observables_ok(run->summary.group[g], &p, why, size);
    rp_run_free(run);
    (void)label;
    return ok ? 1 : -1;
}

/* One point (key = text), retried with a companion when refused by a
 * cross-check that has one; a failure is printed and counted. */
static void point(tally *t, const char *key, const char *text)
{
    char why[RP_ERROR_MAX + 64], label[512];
    rp_override ov[2] = {{.key = key, .text = text, .where = "param_bounds:1:1"}};
    snprintf(label, sizeof label, "%s=%s", key, text);
    t->points++;
    int r = try_point(t, label, 1, ov, why, sizeof why);
    for (size_t c = 0; r == 0 && c < sizeof companions / sizeof companions[0]; c++)
        if (strcmp(key, companions[c].key) == 0) {
            ov[1] = (rp_override){.key = companions[c].extra_key, .text = companions[c].extra,
                                  .where = "param_bounds:1:1"};
            r = try_point(t, label, 2, ov, why, sizeof why);
            if (r == 0)
                r = -1; /* the companion must resolve it */
        }
    if (r == 0) {
        t->refused++;
        printf("  refused by a cross-check, as documented: %s: %s\n", label, strstr(why, "error: ") ? strstr(why, "error: ") + 7 : why);
    }
    if (r < 0) {
        t->failures++;
        printf("  %s: %s\n", label, why);
    }
}

/* A row of a table at both bounds, under the dotted prefix. */
static void numeric_row(tally *t, const char *prefix, const rp_param *row)
{
    char key[256], text[64];
    snprintf(key, sizeof key, "%s%s", prefix, row->name);
    for (int upper = 0; upper <= 1; upper++) {
        if (!bound_text(row, upper, text, sizeof text)) {
            t->failures++;
            printf("  %s: its %s is not finite\n", key, upper ? "max" : "min");
            continue;
        }
        point(t, key, text);
    }
}

static const char *const family_word[] = {"fixed", "beta", "gamma", "normal"};

/* A distribution key (row, its current value cur) at its fixed bounds and
 * each allowed family's parameters at theirs. */
static void dist_row(tally *t, const char *key, const rp_param *row, const rp_dist *cur)
{
    char text[192], lo[64], hi[64];
    numeric_row(t, "", &(rp_param){.name = key, .type = RP_PT_DOUBLE, .min = row->min, .max = row->max,
                                    .flags = row->flags});
    size_t nf;
    const rp_param *fam = rp_paramtable_family(&nf);
    for (int kind = RP_DIST_BETA; kind <= RP_DIST_NORMAL; kind++) {
        if (!(row->families & RP_FAMILY(kind)))
            continue;
        /* the parameters: a (beta a, gamma shape, normal mean) and b */
        const rp_param *pa = NULL, *pb = NULL;
        for (size_t i = 0; i < nf; i++)
            if (fam[i].families & RP_FAMILY(kind)) {
                if (fam[i].offset == offsetof(rp_dist, a))
                    pa = &fam[i];
                else
                    pb = &fam[i];
            }
        /* a normal's mean takes the key's own range */
        const rp_param mean = {.name = "mean", .type = RP_PT_DOUBLE, .min = row->min, .max = row->max,
                               .flags = row->flags};
        if (!pa)
            pa = &mean;
        double a = cur->kind == (rp_dist_kind)kind ? cur->a : kind == RP_DIST_NORMAL ? fmin(row->max, 15) : 2;
        double b = cur->kind == (rp_dist_kind)kind ? cur->b : kind == RP_DIST_GAMMA ? 0.05 : kind == RP_DIST_BETA ? 2 : 1;
        char da[64], db[64];
        snprintf(da, sizeof da, "%.17g", a);
        snprintf(db, sizeof db, "%.17g", b);
        const rp_param *rows[2] = {pa, pb};
        for (int which = 0; which < 2; which++)
            for (int upper = 0; upper <= 1; upper++) {
                if (!bound_text(rows[which], upper, lo, sizeof lo)) {
                    t->failures++;
                    printf("  %s: %s's %s %s is not finite\n", key, family_word[kind], rows[which]->name,
                           upper ? "max" : "min");
                    continue;
                }
                snprintf(text, sizeof text, "%s(%s, %s)", family_word[kind], which ? da : lo, which ? lo : db);
                point(t, key, text);
            }
        for (int ua = 0; ua <= 1; ua++) /* the corners */
            for (int ub = 0; ub <= 1; ub++)
                if (bound_text(pa, ua, lo, sizeof lo) && bound_text(pb, ub, hi, sizeof hi)) {
                    snprintf(text, sizeof text, "%s(%s, %s)", family_word[kind], lo, hi);
                    point(t, key, text);
                }
    }
}

/* A group's share at 0 or 1, the other shares moved so that they still sum
 * to 1: at 1 every other group is empty, at 0 this one is, and the
 * observables of an empty group must come out undefined, not as an error. */
static void share_point(tally *t, const char *pop, const rp_group *grp, int ng, int g, bool upper)
{
    static char keys[RP_MAX_GROUPS][160], texts[RP_MAX_GROUPS][32];
    rp_override ov[RP_MAX_GROUPS];
    const int other = g == 0 ? 1 : 0;
    for (int h = 0; h < ng; h++) {
        const double v = h == g ? upper : upper ? 0 : h == other ? grp[h].share + grp[g].share : grp[h].share;
        snprintf(keys[h], sizeof keys[h], "%s.groups.%.47s.share", pop, grp[h].name);
        snprintf(texts[h], sizeof texts[h], "%.17g", v);
        ov[h] = (rp_override){.key = keys[h], .text = texts[h], .where = "param_bounds:1:1"};
    }
    char why[RP_ERROR_MAX + 64];
    t->points++;
    if (try_point(t, keys[g], (size_t)ng, ov, why, sizeof why) != 1) {
        t->failures++;
        printf("  %s=%d, the other shares moved to sum to 1: %s\n", keys[g], upper, why);
    }
}

/* Every key of every group of one population. */
static void groups(tally *t, const rp_params *p, bool providers)
{
    size_t n;
    const rp_param *gt = rp_paramtable_group(&n);
    const int ng = providers ? p->providers.n_groups : p->patients.n_groups;
    for (int g = 0; g < ng; g++) {
        const rp_group *grp = providers ? &p->providers.groups[g] : &p->patients.groups[g];
        char prefix[128], key[256];
        snprintf(prefix, sizeof prefix, "%s.groups.%s.", providers ? "providers" : "patients", grp->name);
        for (size_t i = 0; i < n; i++) {
            if (!(gt[i].flags & (providers ? RP_PF_PROVIDER : RP_PF_PATIENT)))
                continue;
            snprintf(key, sizeof key, "%s%s", prefix, gt[i].name);
            if (gt[i].type == RP_PT_DIST)
                dist_row(t, key, &gt[i], (const rp_dist *)((const char *)grp + gt[i].offset));
            else if (strcmp(gt[i].name, "share") == 0 && ng > 1)
                for (int upper = 0; upper <= 1; upper++)
                    share_point(t, providers ? "providers" : "patients",
                                providers ? p->providers.groups : p->patients.groups, ng, g, upper);
            else if (is_numeric(&gt[i]))
                numeric_row(t, prefix, &gt[i]);
        }
        /* continuous dimensions; a categorical one's level probabilities
         * must sum to 1, so no single one can move to a bound alone */
        for (int k = 0; k < p->culture.n_dims; k++)
            if (p->culture.dims[k].kind == RP_DIM_CONTINUOUS) {
                snprintf(key, sizeof key, "%s%s", prefix, p->culture.dims[k].name);
                dist_row(t, key, rp_paramtable_trait(), &grp->trait[k]);
            }
    }
}

/* Every real top-level parameter at its min (upper 0) or max at once, and
 * every fixed group value too. */
static void profile(tally *t, const rp_params *p, bool upper)
{
    static char texts[MAX_OV][64];
    static char keys[MAX_OV][160];
    rp_override ov[MAX_OV];
    size_t n = 0, nt;
    const rp_param *rows = rp_paramtable_scenario(&nt);
    for (size_t i = 0; i < nt && n < MAX_OV; i++)
        if (is_real(&rows[i]) &&
            !(upper && listed(rows[i].name, held_in_profile, sizeof held_in_profile / sizeof held_in_profile[0])) &&
            bound_text(&rows[i], upper, texts[n], sizeof texts[n]))
            ov[n] = (rp_override){.key = rows[i].name, .text = texts[n], .where = "param_bounds:1:1"}, n++;
    size_t ng;
    const rp_param *gt = rp_paramtable_group(&ng);
    for (int g = 0; g < p->patients.n_groups; g++)
        for (size_t i = 0; i < ng && n < MAX_OV; i++)
            if (gt[i].type == RP_PT_DIST && (gt[i].flags & RP_PF_PATIENT) &&
                bound_text(&gt[i], upper, texts[n], sizeof texts[n])) {
                snprintf(keys[n], sizeof keys[n], "patients.groups.%s.%s", p->patients.groups[g].name, gt[i].name);
                ov[n] = (rp_override){.key = keys[n], .text = texts[n], .where = "param_bounds:1:1"}, n++;
            }
    char why[RP_ERROR_MAX + 64];
    t->points++;
    const int r = try_point(t, upper ? "all at max" : "all at min", n, ov, why, sizeof why);
    CHECK(r == 1 && n < MAX_OV, "every real parameter and fixed patient-group value at its %s at once (%zu values)%s%s",
          upper ? "max" : "min", n, r == 1 ? "" : ": ", r == 1 ? "" : why);
}

int main(void)
{
    const clock_t t0 = clock();
    rp_scenario *sc = NULL;
    rp_error err = {{0}};
    int st = rp_scenario_load_string("param_bounds.yaml", BASE, &sc, &err);
    if (st == RP_OK)
        st = rp_scenario_resolve(sc, &err);
    CHECK(st == RP_OK, "the base scenario resolves%s%s", st ? ": " : "", st ? err.msg : "");
    if (st != RP_OK)
        return rp_test_done();
    const rp_params *p = rp_scenario_params(sc);
    tally t = {.sc = sc};

    size_t n;
    const rp_param *rows = rp_paramtable_scenario(&n);
    for (size_t i = 0; i < n; i++)
        if (is_numeric(&rows[i]))
            numeric_row(&t, "", &rows[i]);
    const int top = t.points;
    const rp_param *dim = rp_paramtable_dimension(&n);
    for (int k = 0; k < p->culture.n_dims; k++) {
        char prefix[128];
        snprintf(prefix, sizeof prefix, "culture.dimensions.%s.", p->culture.dims[k].name);
        for (size_t i = 0; i < n; i++)
            if (is_numeric(&dim[i]))
                numeric_row(&t, prefix, &dim[i]);
    }
    const int dims = t.points - top;
    groups(&t, p, false);
    groups(&t, p, true);
    CHECK(t.failures == 0,
          "%d points at the bounds (%d top-level, %d of dimensions, %d of groups): %d runs, %d refused by a "
          "documented cross-check, %d resolved only (too large to run here), %d failures",
          t.points, top, dims, t.points - top - dims, t.runs, t.refused, t.resolved_only, t.failures);
    profile(&t, p, false);
    profile(&t, p, true);
    rp_scenario_free(sc);
    printf("  %.1f s of CPU\n", (double)(clock() - t0) / CLOCKS_PER_SEC);
    return rp_test_done();
}
