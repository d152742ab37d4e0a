/* scenario_unit.c - the scenario module against MODEL.md (v1).
 *
 * The expected defaults below are copied from MODEL.md's tables by hand, not
 * from the parameter table, so that a wrong row in sim/paramtable.c fails
 * here. Also: overrides by file and by --set, the bit-identical round trip of
 * `show`, where(), error statuses and messages through the API, and that
 * docs/SCENARIO.md carries the current generated reference.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rapport/paramtable.h"
#include "rapport/scenario.h"
#include "testing.h"

#define BASE "seed: 20221\npatients:\n  count: 27\n"

/* Load and resolve text, with optional --set assignments (NULL-terminated). */
static rp_scenario *load(const char *text, const char *const *sets, rp_error *err)
{
    rp_scenario *sc = NULL;
    int st = rp_scenario_load_string("unit.yaml", text, &sc, err);
    for (int i = 0; !st && sets && sets[i]; i++)
        st = rp_scenario_set(sc, sets[i], err);
    if (!st)
        st = rp_scenario_resolve(sc, err);
    if (st) {
        rp_scenario_free(sc);
        return NULL;
    }
    return sc;
}

/* The status and message of loading text with sets. */
static int load_error(const char *text, const char *const *sets, rp_error *err)
{
    rp_scenario *sc = NULL;
    int st = rp_scenario_load_string("unit.yaml", text, &sc, err);
    for (int i = 0; !st && sets && sets[i]; i++)
        st = rp_scenario_set(sc, sets[i], err);
    if (!st)
        st = rp_scenario_resolve(sc, err);
    rp_scenario_free(sc);
    return st;
}

static char *read_stream(FILE *f)
{
    long len = ftell(f);
    char *buf = malloc((size_t)len + 1);
    rewind(f);
    if (buf && fread(buf, 1, (size_t)len, f) != (size_t)len) {
        free(buf);
        return NULL;
    }
    if (buf)
        buf[len] = '\0';
    return buf;
}

static char *show(const rp_scenario *sc)
{
    FILE *f = tmpfile();
    if (!f)
        return NULL;
    char *text = rp_scenario_write_yaml(sc, f) == RP_OK ? read_stream(f) : NULL;
    fclose(f);
    return text;
}

static bool dist_is(rp_dist d, rp_dist_kind kind, double a, double b)
{
    return d.kind == kind && d.a == a && d.b == b;
}

static void check_scalar_defaults(const rp_params *p)
{
    /* MODEL.md "Parameters and defaults" */
    const struct {
        const char *name;
        double got, model;
    } d[] = {
        {"horizon", p->horizon, 26},
        {"course", p->course, 16},
        {"symptoms.max", p->symptoms.max, 27},
        {"symptoms.recovered", p->symptoms.recovered, 5},
        {"alliance.beta0", p->alliance.beta0, 1.0},
        {"alliance.beta_skill", p->alliance.beta_skill, 1.0},
        {"alliance.beta_trust", p->alliance.beta_trust, 2.0},
        {"alliance.beta_distance", p->alliance.beta_distance, 1.2},
        {"patients.alliance_sd", p->patients.alliance_sd, 1.0},
        {"patients.response_sd", p->patients.response_sd, 0.8},
        {"alliance.rate", p->alliance.rate, 0.3},
        {"alliance.noise", p->alliance.noise, 0.03},
        {"rupture.repair_gain", p->rupture.repair_gain, 0.03},
        {"rupture.loss", p->rupture.loss, 0.10},
        {"rupture.base", p->rupture.base, -2.5},
        {"rupture.distance", p->rupture.distance, 2.0},
        {"rupture.low_alliance", p->rupture.low_alliance, 2.0},
        {"repair.base", p->repair.base, -0.5},
        {"repair.humility", p->repair.humility, 2.0},
        {"repair.discussed", p->repair.discussed, 1.0},
        {"trust.rate", p->trust.rate, 0.15},
        {"trust.rupture_loss", p->trust.rupture_loss, 0.08},
        {"trust.undiscussed_erosion", p->trust.undiscussed_erosion, 0.02},
        {"trust.notice_distance", p->trust.notice_distance, 0.3},
        {"discussion.effect", p->discussion.effect, 0.6},
        {"discussion.humility_share", p->discussion.humility_share, 0.5},
        {"discussion.patient_raises", p->discussion.patient_raises, 0.02},
        {"discussion.policy", p->discussion.policy, RP_DISCUSS_NEVER},
        {"discussion.week", p->discussion.week, 4},
        {"symptoms.improvement", p->symptoms.improvement, 0.1},
        {"symptoms.stressor_jump", p->symptoms.stressor_jump, 1.5},
        {"symptoms.noise", p->symptoms.noise, 2.5},
        {"dropout.base", p->dropout.base, -8.0},
        {"dropout.low_alliance", p->dropout.low_alliance, 2.0},
        {"dropout.low_trust", p->dropout.low_trust, 1.5},
        {"dropout.barrier", p->dropout.barrier, 1.0},
        {"dropout.stressor", p->dropout.stressor, 0.4},
        {"dropout.early", p->dropout.early, 4.0},
        {"dropout.early_weeks", p->dropout.early_weeks, 1.5},
        {"providers.skill_sd", p->providers.skill_sd, 0.8},
        {"providers.caseload", (double)p->providers.caseload, 20},
        {"providers.count = ceil(27 / 20)", (double)p->providers.count, 2},
        {"assignment.policy", p->assignment.policy, RP_ASSIGN_RANDOM},
        {"report.ambivalence_week", p->report.ambivalence_week, 1},
        {"report.ambivalence_threshold", p->report.ambivalence_threshold, 0.5},
    };
    for (size_t i = 0; i < sizeof d / sizeof d[0]; i++)
        CHECK(d[i].got == d[i].model, "default %s = %.17g (MODEL.md %.17g)", d[i].name, d[i].got, d[i].model);
    CHECK(p->seed == 20221 && p->patients.count == 27, "seed and patients.count from the file");
    CHECK(strcmp(p->assignment.match_on, "ethnoracial") == 0 && p->assignment.match_dim == 0,
          "assignment.match_on = ethnoracial, resolved to dimension 0");
}

static void check_population_defaults(const rp_params *p)
{
    const rp_dimension *dims = p->culture.dims;
    CHECK(p->culture.n_dims == 4 && strcmp(dims[0].name, "ethnoracial") == 0 && strcmp(dims[1].name, "language") == 0
              && strcmp(dims[2].name, "class") == 0 && strcmp(dims[3].name, "explanatory_model") == 0,
          "default dimensions in MODEL.md's order");
    CHECK(dims[0].kind == RP_DIM_CATEGORICAL && dims[0].n_levels == 4 && strcmp(dims[0].levels[1], "latinx") == 0
              && dims[0].weight == 1.0, "ethnoracial: categorical, 4 levels, weight 1");
    CHECK(dims[1].n_levels == 3 && strcmp(dims[1].levels[2], "other") == 0 && dims[1].weight == 0.6,
          "language: english/spanish/other, weight 0.6");
    CHECK(dims[2].kind == RP_DIM_CONTINUOUS && dims[2].weight == 0.7 && dims[3].weight == 0.8,
          "class 0.7, explanatory_model 0.8, continuous");
    const rp_group *pg = p->patients.groups, *vg = p->providers.groups;
    CHECK(p->patients.n_groups == 4 && strcmp(pg[1].name, "latinx") == 0 && strcmp(pg[3].name, "asian") == 0,
          "patient groups white, latinx, black, asian");
    CHECK(pg[0].share == 2.0 / 27 && pg[1].share == 14.0 / 27 && pg[2].share == 8.0 / 27 && pg[3].share == 3.0 / 27,
          "patient shares 2/27, 14/27, 8/27, 3/27 exactly");
    CHECK(pg[1].level_prob[1][0] == 0.4 && pg[1].level_prob[1][1] == 0.6 && pg[1].level_prob[1][2] == 0,
          "latinx language .4/.6/0");
    CHECK(pg[1].level_prob[0][1] == 1 && pg[1].level_prob[0][0] == 0,
          "latinx ethnoracial: latinx with probability 1");
    CHECK(pg[3].level_prob[1][0] == 0.5 && pg[3].level_prob[1][2] == 0.5, "asian language .5/0/.5");
    CHECK(dist_is(pg[1].mistrust, RP_DIST_BETA, 4, 5), "latinx mistrust beta(4, 5)");
    CHECK(dist_is(pg[2].mistrust, RP_DIST_BETA, 5, 4) && dist_is(pg[2].barrier, RP_DIST_BETA, 3, 4),
          "black mistrust beta(5, 4), barrier beta(3, 4)");
    CHECK(dist_is(pg[0].trait[2], RP_DIST_BETA, 5, 3) && dist_is(pg[3].trait[3], RP_DIST_BETA, 4, 3),
          "white class beta(5, 3), asian explanatory_model beta(4, 3)");
    CHECK(dist_is(pg[0].stressor_rate, RP_DIST_GAMMA, 2, 0.03) &&
              dist_is(pg[3].stressor_rate, RP_DIST_GAMMA, 2, 0.04),
          "stressor rates gamma(2, 0.03) white, gamma(2, 0.04) asian");
    CHECK(dist_is(pg[2].symptoms, RP_DIST_NORMAL, 15, 4), "symptoms normal(15, 4)");
    CHECK(p->providers.n_groups == 4 && vg[0].share == 0.65 && vg[1].share == 0.15 && vg[3].share == 0.10,
          "provider shares .65/.15/.10/.10");
    CHECK(vg[1].level_prob[1][0] == 0.2 && vg[1].level_prob[1][1] == 0.8, "latinx providers' language .2/.8/0");
    CHECK(vg[3].level_prob[1][0] == 0.6 && vg[3].level_prob[1][2] == 0.4, "asian providers' language .6/0/.4");
    CHECK(dist_is(vg[0].trait[2], RP_DIST_BETA, 6, 2) && dist_is(vg[2].humility, RP_DIST_BETA, 3, 3),
          "white providers' class beta(6, 2); humility beta(3, 3)");
}

static void test_defaults(void)
{
    rp_error err = {""};
    rp_scenario *sc = load(BASE, NULL, &err);
    CHECK(sc != NULL, "minimal scenario resolves: %s", err.msg);
    if (!sc)
        return;
    check_scalar_defaults(rp_scenario_params(sc));
    check_population_defaults(rp_scenario_params(sc));
    rp_scenario_free(sc);
}

/* Every default in the table is within its own bounds and formats to text
 * that parses back to itself; rows of a section are contiguous. */
static void test_table(void)
{
    size_t n;
    const rp_param *t = rp_paramtable_scenario(&n);
    for (size_t i = 0; i < n; i++) {
        if (t[i].type > RP_PT_NAME || (t[i].flags & RP_PF_REQUIRED) ||
            ((t[i].flags & RP_PF_COMPUTED) && t[i].type != RP_PT_NAME))
            continue;
        union {
            int n;
            int64_t i64;
            double d;
            char name[RP_NAME_MAX];
        } a, b;
        char text[128], why[512] = "";
        memset(&a, 0, sizeof a);
        memset(&b, 0, sizeof b);
        rp_paramtable_set_default(&t[i], &a);
        rp_paramtable_format(&t[i], &a, text, sizeof text);
        bool ok = rp_paramtable_parse(&t[i], text, false, &b, why, sizeof why) && memcmp(&a, &b, sizeof a) == 0;
        CHECK(ok, "table default of %s (%s) is valid and round-trips %s", t[i].name, text, why);
    }
    /* contiguous: a section, once left, never comes back */
    bool contiguous = true;
    for (size_t i = 1; i < n; i++) {
        size_t li = strcspn(t[i].name, "."), lp = strcspn(t[i - 1].name, ".");
        bool changed = li != lp || strncmp(t[i].name, t[i - 1].name, li) != 0;
        for (size_t j = 0; changed && j + 1 < i; j++)
            if (t[i].name[li] && strcspn(t[j].name, ".") == li && !strncmp(t[i].name, t[j].name, li))
                contiguous = false;
    }
    CHECK(contiguous, "rows of each section are contiguous in the table");
    const char *words[] = {"horizon", "course", "seed"};
    CHECK(rp_paramtable_suggest("hoirzon", words, 3) == words[0], "suggest: transposition 'hoirzon' -> horizon");
    CHECK(rp_paramtable_suggest("SEED", words, 3) == words[2], "suggest: case-folded 'SEED' -> seed");
    CHECK(rp_paramtable_suggest("zzz", words, 3) == NULL, "suggest: nothing for 'zzz'");
}

static void test_overrides(void)
{
    rp_error err = {""};
    rp_scenario *sc = load(BASE "dropout:\n  base: -7.25\n", NULL, &err);
    CHECK(sc && rp_scenario_params(sc)->dropout.base == -7.25 && rp_scenario_params(sc)->dropout.low_alliance == 2.0,
          "a file overrides dropout.base only: %s", err.msg);
    rp_scenario_free(sc);

    const char *sets[] = {"dropout.base=-7.5", "patients.groups.latinx.mistrust=beta(3,5)",
                          "culture.dimensions.class.weight=0.9", "discussion={policy: delayed, week: 6}",
                          "seed=7", "patients.groups.asian.language={english: 1/3, other: 2/3}", NULL};
    sc = load(BASE "dropout: {base: -7.25}\n", sets, &err);
    CHECK(sc != NULL, "--set overrides resolve: %s", err.msg);
    if (!sc)
        return;
    const rp_params *p = rp_scenario_params(sc);
    CHECK(p->dropout.base == -7.5, "--set dropout.base=-7.5 wins over the file");
    CHECK(dist_is(p->patients.groups[1].mistrust, RP_DIST_BETA, 3, 5), "--set latinx mistrust beta(3,5)");
    CHECK(p->culture.dims[2].weight == 0.9, "--set culture.dimensions.class.weight=0.9");
    CHECK(p->discussion.policy == RP_DISCUSS_DELAYED && p->discussion.week == 6 && p->discussion.effect == 0.6,
          "--set of a section merges: policy delayed, week 6, effect still 0.6");
    CHECK(p->seed == 7, "--set seed=7");
    CHECK(p->patients.groups[3].level_prob[1][0] == 1.0 / 3 && p->patients.groups[3].level_prob[1][1] == 0,
          "--set a level mapping replaces it whole (spanish back to 0)");
    CHECK(p->patients.groups[0].share == 2.0 / 27, "other groups keep their defaults");
    rp_scenario_free(sc);

    sc = load(BASE "output: {variables: [A, N]}\n", NULL, &err);
    CHECK(sc && rp_scenario_params(sc)->output.variables == (RP_TRAJ_A | RP_TRAJ_N),
          "output.variables as a YAML list [A, N] is the same as 'A,N': %s", err.msg);
    rp_scenario_free(sc);
    const char *empty_list[] = {"output.variables=[]", NULL};
    sc = load(BASE, empty_list, &err);
    CHECK(sc && rp_scenario_params(sc)->output.variables == 0, "--set output.variables=[] is none: %s", err.msg);
    rp_scenario_free(sc);

    const char *seed_only[] = {"seed=11", "patients.count=1000", NULL};
    sc = load("horizon: 30\n", seed_only, &err);
    CHECK(sc && rp_scenario_params(sc)->seed == 11 && rp_scenario_params(sc)->patients.count == 1000
              && rp_scenario_params(sc)->providers.count == 50,
          "seed and patients.count may come from --set; providers.count = 1000 / 20: %s", err.msg);
    rp_scenario_free(sc);
}

/* load -> show -> load gives the same rp_params, bit for bit. */
static void check_round_trip(const char *name, const char *text, const char *const *sets)
{
    rp_error err = {""};
    rp_scenario *a = load(text, sets, &err), *b = NULL;
    char *shown = a ? show(a) : NULL;
    if (shown)
        b = load(shown, NULL, &err);
    CHECK(a && shown && b && memcmp(rp_scenario_params(a), rp_scenario_params(b), sizeof(rp_params)) == 0,
          "round trip of show is bit-identical: %s %s", name, err.msg);
    char *again = b ? show(b) : NULL;
    CHECK(again && strcmp(again + strcspn(again, "\n"), shown + strcspn(shown, "\n")) == 0,
          "show of the shown scenario is the same text: %s", name);
    free(again);
    free(shown);
    rp_scenario_free(a);
    rp_scenario_free(b);
}

static void test_round_trip(void)
{
    check_round_trip("defaults", BASE, NULL);
    const char *custom =
        "seed: 18446744073709551615\n"
        "horizon: 40\n"
        "symptoms: {improvement: 0.30000000000000004, noise: 1e-300}\n"
        "dropout: {base: -0.0, early_weeks: 2.385}\n"
        "culture:\n"
        "  dimensions:\n"
        "    - {name: religion, kind: categorical, weight: 0.123456789012345678, levels: [none, a-1, b_2]}\n"
        "    - {name: acculturation, kind: continuous, weight: 3}\n"
        "patients:\n"
        "  count: 1001\n"
        "  groups:\n"
        "    g1:\n"
        "      share: 1/3\n"
        "      religion: {none: 1/3, a-1: 2/3, b_2: 0}\n"
        "      acculturation: 0.7\n"
        "      mistrust: 0\n"
        "      barrier: beta(0.5, 1e-3)\n"
        "      stressor_rate: 0.25\n"
        "      symptoms: 12.5\n"
        "    g2:\n"
        "      share: 2/3\n"
        "      religion: b_2\n"
        "      acculturation: beta(1.1, 7)\n"
        "      mistrust: 1\n"
        "      barrier: 0.1\n"
        "      stressor_rate: gamma(0.7, 1.3)\n"
        "      symptoms: normal(14.2, 0)\n"
        "providers:\n"
        "  caseload: 7\n"
        "  groups:\n"
        "    only: {share: 1, religion: none, acculturation: 0.5, humility: 0.99}\n"
        "assignment: {policy: same_group, match_on: religion}\n";
    check_round_trip("custom population", custom, NULL);
    const char *sets[] = {"dropout.base=-7.5", "patients.groups.latinx.mistrust=beta(3.3,5.1)",
                          "culture.dimensions.language.weight=0.1", "assignment.policy=min_distance", NULL};
    check_round_trip("after --set", BASE, sets);
    const char *no_match[] = {"culture.dimensions=[{name: x, kind: continuous, weight: 1}]",
                              "patients.groups={a: {share: 1, x: 0.5, mistrust: 0.1, barrier: 0.2, "
                              "stressor_rate: 0.1, symptoms: 10}}",
                              "providers.groups={a: {share: 1, x: 0.5, humility: 0.5}}", NULL};
    check_round_trip("no categorical dimension", BASE, no_match);
    rp_error err;
    rp_scenario *sc = load(BASE, no_match, &err);
    CHECK(sc && rp_scenario_params(sc)->assignment.match_dim == -1 && !rp_scenario_params(sc)->assignment.match_on[0],
          "without a categorical dimension and same_group, match_dim is -1");
    rp_scenario_free(sc);
}

static void test_where(void)
{
    rp_error err;
    const char *sets[] = {"dropout.base=-7.5", NULL};
    rp_scenario *sc = load(BASE "horizon: 30\n", sets, &err);
    if (!sc) {
        CHECK(false, "where: scenario loads: %s", err.msg);
        return;
    }
    const char *w = rp_scenario_where(sc, "patients.count");
    CHECK(w && strcmp(w, "unit.yaml:3:10") == 0, "where patients.count = unit.yaml:3:10 (%s)", w ? w : "NULL");
    w = rp_scenario_where(sc, "horizon");
    CHECK(w && strcmp(w, "unit.yaml:4:10") == 0, "where horizon = unit.yaml:4:10 (%s)", w ? w : "NULL");
    w = rp_scenario_where(sc, "dropout.base");
    CHECK(w && strcmp(w, "--set:1:14") == 0, "where of a --set value = --set:1:14 (%s)", w ? w : "NULL");
    w = rp_scenario_where(sc, "trust.rate");
    CHECK(w && strcmp(w, "unit.yaml:1:1") == 0, "where of a default = unit.yaml:1:1 (%s)", w ? w : "NULL");
    w = rp_scenario_where(sc, "patients.groups.latinx.mistrust");
    CHECK(w && strcmp(w, "unit.yaml:1:1") == 0, "where of a default group's value = unit.yaml:1:1");
    CHECK(rp_scenario_where(sc, "no.such") == NULL, "where of an unknown name is NULL");
    CHECK(strcmp(rp_scenario_path(sc), "unit.yaml") == 0, "path");
    rp_scenario_free(sc);
}

static void check_error(const char *text, const char *set, const char *expect)
{
    rp_error err = {""};
    const char *sets[] = {set, NULL};
    int st = load_error(text, set ? sets : NULL, &err);
    CHECK(st == RP_EINVAL && strstr(err.msg, expect) && !strchr(err.msg, '\n'), "error '%s' (got '%s')", expect,
          err.msg);
}

static void test_errors(void)
{
    rp_error err = {""};
    rp_scenario *sc = (rp_scenario *)&err; /* must be reset to NULL on failure */
    int st = rp_scenario_load("/nonexistent/rapport.yaml", &sc, &err);
    CHECK(st == RP_EINVAL && sc == NULL &&
              strcmp(err.msg, "/nonexistent/rapport.yaml: error: cannot open: No such file or directory") == 0,
          "missing file: %s", err.msg);
    rp_scenario_free(NULL);
    check_error(BASE "dropout:\n  base: abc\n", NULL,
                "unit.yaml:5:9: error: dropout.base: expected a number in [-10000, 10000], got 'abc'");
    check_error(BASE, "dropout.base=abc", "--set:1:14: error: dropout.base: expected a number in [-10000, 10000], got 'abc'");
    check_error(BASE, "dropout.base", "--set:1:13: error: 'dropout.base' has no '='");
    check_error("patients: {count: 5}\n", NULL, "unit.yaml:1:1: error: seed: missing");
    check_error(BASE "dropout: {bse: 1}\n", NULL,
                "unit.yaml:4:11: error: dropout: unknown key 'bse'; did you mean 'base'?");
    check_error("", NULL, "unit.yaml:1:1: error: empty scenario");
    check_error(BASE "providers: {count: 1, caseload: 20}\n", NULL,
                "total caseload 1 x 20 = 20 is below patients.count 27");
    check_error(BASE "symptoms: {recovered: 27}\n", NULL,
                "unit.yaml:4:23: error: symptoms: recovered (27) is not below max (27)");
    /* a rejected --set leaves an error, and so does resolving a broken tree again */
    rp_error e2;
    sc = NULL;
    CHECK(rp_scenario_load_string("unit.yaml", BASE, &sc, &e2) == RP_OK && rp_scenario_set(sc, "x", &e2) == RP_EINVAL
              && rp_scenario_set(sc, "horizon=0", &e2) == RP_OK && rp_scenario_resolve(sc, &e2) == RP_EINVAL
              && rp_scenario_resolve(sc, &e2) == RP_EINVAL && rp_scenario_write_yaml(sc, stdout) == RP_EINVAL,
          "statuses: bad --set, bad resolve twice, no show of an unresolved scenario");
    rp_scenario_free(sc);
}

/* docs/SCENARIO.md must carry the reference as generated now. */
static void test_docs(void)
{
    FILE *f = tmpfile();
    char *ref = NULL, *doc = NULL;
    if (f) {
        rp_scenario_write_reference(f);
        ref = read_stream(f);
        fclose(f);
    }
    FILE *d = fopen(RP_SOURCE_DIR "/docs/SCENARIO.md", "rb");
    if (d) {
        fseek(d, 0, SEEK_END);
        doc = read_stream(d);
        fclose(d);
    }
    CHECK(ref && doc && strstr(doc, ref), "docs/SCENARIO.md contains the output of `rapport reference` verbatim");
    free(ref);
    free(doc);
}

int main(void)
{
    test_defaults();
    test_table();
    test_overrides();
    test_round_trip();
    test_where();
    test_errors();
    test_docs();
    return rp_test_done();
}
