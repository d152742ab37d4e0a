/* scenario_unit.c - the scenario module against MODEL.md (versions 2 and 1).
 *
 * The defaults: every row of the parameter table against the resolved
 * minimal scenario, and the table against MODEL.md itself (its "Parameters
 * and defaults" table read from docs/MODEL.md and MODEL-v1.md, not copied here), so that a
 * wrong row in sim/input/paramtable.c fails here and a new row needs no edit; the
 * reference population by spot checks written from MODEL.md. Also: overrides by file and by --set, the bit-identical round trip of
 * `show`, where(), error statuses and messages through the API, and that
 * docs/SCENARIO.md carries the current generated reference.
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rapport/paramtable.h"
#include "rapport/population.h"
#include "rapport/run.h"
#include "rapport/scenario.h"
#include "input/input.h" /* rp_scenario_resolve_with, as a sweep's point */
#include "core/sha256.h"
#include "testing.h"

#define BASE "seed: 20221\npatients:\n  count: 27\n"

/* Load and resolve text named name (text NULL: the file at name), with
 * optional --set assignments (NULL-terminated). */
static rp_scenario *load_from(const char *name, const char *text, const char *const *sets, rp_error *err)
{
    rp_scenario *sc = NULL;
    int st = text ? rp_scenario_load_string(name, text, &sc, err) : rp_scenario_load(name, &sc, err);
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

/* Load and resolve text, with optional --set assignments (NULL-terminated). */
static rp_scenario *load(const char *text, const char *const *sets, rp_error *err)
{
    return load_from("unit.yaml", text, sets, err);
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

/* Whether row has a default that rp_paramtable_set_default stores: a scalar
 * that is neither required nor computed (assignment.match_on, a computed
 * name, has its default name). */
static bool has_scalar_default(const rp_param *row)
{
    return row->type <= RP_PT_NAME && !(row->flags & RP_PF_REQUIRED) &&
           !((row->flags & RP_PF_COMPUTED) && row->type != RP_PT_NAME);
}

/* Room for any scalar field of the table. */
typedef union {
    int n;
    int64_t i64;
    double d;
    char name[RP_NAME_MAX];
} scalar;

/* Every row's default is what the resolved minimal scenario p holds at the
 * row's field, and no two scalar rows share a field. */
static void check_table_defaults(const rp_params *p)
{
    size_t n;
    const rp_param *t = rp_paramtable_scenario(&n);
    int compared = 0;
    for (size_t i = 0; i < n; i++) {
        if (!has_scalar_default(&t[i]))
            continue;
        scalar def;
        char want[128], got[128];
        memset(&def, 0, sizeof def);
        rp_paramtable_set_default(&t[i], &def);
        rp_paramtable_format(&t[i], &def, want, sizeof want);
        rp_paramtable_format(&t[i], (const char *)p + t[i].offset, got, sizeof got);
        CHECK(strcmp(want, got) == 0, "default %s = %s (table %s)", t[i].name, got, want);
        compared++;
    }
    CHECK(compared > 40, "%d scalar defaults of the table compared with the resolved scenario", compared);
    bool distinct = true;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < i; j++)
            if (t[i].type <= RP_PT_DIST && t[j].type <= RP_PT_DIST && t[i].offset == t[j].offset) {
                printf("  rows %s and %s share offset %zu\n", t[j].name, t[i].name, t[i].offset);
                distinct = false;
            }
    CHECK(distinct, "no two scalar rows of the table share a field");
}

/* The table's rows point at the fields their keys name (key = field path in
 * rp_params, params.h): the fields the engine and population read, by name,
 * so that two swapped offsets fail here. A new row need not be listed (its
 * default is still checked above). */
#define FIELD(f) {#f, offsetof(rp_params, f)}
static void check_table_fields(void)
{
    static const struct {
        const char *key;
        size_t offset;
    } fields[] = {
        FIELD(horizon), FIELD(course), FIELD(replicates),
        FIELD(symptoms.max), FIELD(symptoms.recovered), FIELD(symptoms.improvement),
        FIELD(symptoms.stressor_jump), FIELD(symptoms.noise),
        FIELD(alliance.beta0), FIELD(alliance.beta_skill), FIELD(alliance.beta_trust),
        FIELD(alliance.beta_distance), FIELD(alliance.rate), FIELD(alliance.noise),
        FIELD(rupture.base), FIELD(rupture.distance), FIELD(rupture.low_alliance),
        FIELD(rupture.repair_gain), FIELD(rupture.loss),
        FIELD(repair.base), FIELD(repair.humility), FIELD(repair.discussed),
        FIELD(trust.rate), FIELD(trust.rupture_loss), FIELD(trust.undiscussed_erosion),
        FIELD(trust.notice_distance),
        FIELD(discussion.effect), FIELD(discussion.humility_share), FIELD(discussion.patient_raises),
        FIELD(discussion.policy), FIELD(discussion.week),
        FIELD(dropout.base), FIELD(dropout.low_alliance), FIELD(dropout.low_trust), FIELD(dropout.barrier),
        FIELD(dropout.stressor), FIELD(dropout.early), FIELD(dropout.early_weeks),
        FIELD(patients.count), FIELD(patients.alliance_sd), FIELD(patients.response_sd),
        FIELD(providers.count), FIELD(providers.caseload), FIELD(providers.skill_sd),
        FIELD(assignment.policy), FIELD(assignment.match_on),
        FIELD(report.ambivalence_week), FIELD(report.ambivalence_threshold),
    };
    size_t n;
    const rp_param *t = rp_paramtable_scenario(&n);
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        const rp_param *row = rp_paramtable_find(t, n, fields[i].key);
        CHECK(row && row->offset == fields[i].offset, "row %s points at rp_params.%s", fields[i].key,
              fields[i].key);
    }
}

/* The next cell of a Markdown table row at *s ('|' separated), trimmed, into
 * buf; false at the end of the row. */
static bool next_cell(const char **s, char *buf, size_t size)
{
    const char *p = *s;
    if (*p == '|')
        p++;
    const char *end = strpbrk(p, "|\n");
    if (!end || *end != '|')
        return false;
    while (p < end && *p == ' ')
        p++;
    size_t len = (size_t)(end - p);
    while (len && p[len - 1] == ' ')
        len--;
    snprintf(buf, size, "%.*s", (int)(len < size ? len : size - 1), p);
    *s = end;
    return true;
}

/* Does the table's default of row read as text in MODEL.md (a number, with
 * MODEL.md's minus sign U+2212, or an enum's word or a name)? */
static bool default_is(const rp_param *row, const char *text)
{
    char def[64];
    if (row->type == RP_PT_ENUM)
        return strcmp(row->words[(int)row->def], text) == 0;
    if (row->type == RP_PT_NAME)
        return row->def_name && strcmp(row->def_name, text) == 0;
    snprintf(def, sizeof def, "%s", text);
    if (strncmp(def, "\xe2\x88\x92", 3) == 0) /* U+2212 */
        memmove(def + 1, def + 3, strlen(def + 3) + 1), def[0] = '-';
    char *end;
    double x = strtod(def, &end);
    return *def && !*end && x == row->def;
}

/* The start of key among the free coefficients of scenarios/calibration.yaml
 * ("  KEY: {min: A, max: B, start: X}"), into *x; false if it is not one. */
static bool calibration_start(const char *key, double *x)
{
    FILE *f = fopen(RP_SOURCE_DIR "/scenarios/calibration.yaml", "rb");
    char line[512];
    bool found = false;
    while (f && !found && fgets(line, sizeof line, f)) {
        size_t len = strlen(key);
        const char *start = strstr(line, "start: ");
        found = strncmp(line, "  ", 2) == 0 && strncmp(line + 2, key, len) == 0 && line[2 + len] == ':' && start &&
                sscanf(start + 7, "%lf", x) == 1;
    }
    if (f)
        fclose(f);
    return found;
}

/* MODEL.md "Parameters and defaults" of model version `model`, read from
 * path (a copy of the contract that docs_in_sync keeps equal): every key of
 * the table there exists in the parameter table, and every default there is
 * the table's under that model; a calibrated row's (RP_PF_CALIBRATED) is the
 * start of scenarios/calibration.yaml instead, MODEL.md's values being
 * starting values. A row whose defaults do not list one value per key (N, M,
 * C: "scenario's own") is left to the exact checks below; required keys have
 * none. */
static void check_model_md_defaults(const char *path, int model)
{
    FILE *f = fopen(path, "rb");
    CHECK(f != NULL, "%s opens", path);
    if (!f)
        return;
    size_t n;
    const rp_param *t = rp_paramtable_scenario(&n);
    char line[1024];
    bool in_section = false;
    int compared = 0, skipped = 0, calibrated = 0;
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "## ", 3) == 0)
            in_section = strncmp(line, "## Parameters and defaults", 26) == 0;
        if (!in_section || strncmp(line, "| ", 2) != 0 || strstr(line, "| symbol |"))
            continue;
        char symbol[256], names[512], defaults[512];
        const char *s = line;
        if (!next_cell(&s, symbol, sizeof symbol) || !next_cell(&s, names, sizeof names) ||
            !next_cell(&s, defaults, sizeof defaults))
            continue;
        /* the keys: `a.b`, `.c` (same section as the key before) */
        char keys[8][64];
        int n_keys = 0;
        for (const char *q = strchr(names, '`'); q && n_keys < 8; q = strchr(q + 1, '`')) {
            const char *e = strchr(q + 1, '`');
            if (!e)
                break;
            int len = (int)(e - q - 1);
            if (q[1] == '.' && n_keys > 0) /* the previous key up to its last dot */
                snprintf(keys[n_keys], sizeof keys[0], "%.*s%.*s",
                         (int)(strrchr(keys[n_keys - 1], '.') - keys[n_keys - 1]), keys[n_keys - 1], len, q + 1);
            else
                snprintf(keys[n_keys], sizeof keys[0], "%.*s", len, q + 1);
            n_keys++;
            q = e;
        }
        /* the defaults: "a, b, c", then perhaps version 1's: " (v1: x)", " (v1 calibrated: x)" */
        char v1_note[64] = "";
        char *note = strstr(defaults, " (v1");
        if (note) {
            const char *colon = strchr(note, ':');
            snprintf(v1_note, sizeof v1_note, "%.*s", colon ? (int)strcspn(colon + 2, ")") : 0, colon ? colon + 2 : "");
            *note = '\0';
        }
        char values[8][64];
        int n_values = 0;
        for (char *v = defaults; v && n_values < 8; n_values++) {
            char *comma = strstr(v, ", ");
            snprintf(values[n_values], sizeof values[0], "%.*s", comma ? (int)(comma - v) : (int)strlen(v), v);
            v = comma ? comma + 2 : NULL;
        }
        for (int k = 0; k < n_keys; k++) {
            const rp_param *row = rp_paramtable_find(t, n, keys[k]);
            CHECK(row != NULL, "%s: %s is a row of the table", path, keys[k]);
            if (!row || (row->flags & RP_PF_REQUIRED) || n_values != n_keys) {
                skipped++;
                continue;
            }
            rp_param as_model = *row; /* the row's default under this model */
            if (model < 2 && rp_paramtable_by_model(row))
                as_model.def = row->def_v1, as_model.def_name = row->def_name_v1;
            double start;
            if (row->flags & RP_PF_CALIBRATED) {
                CHECK(calibration_start(keys[k], &start), "%s is a free coefficient of scenarios/calibration.yaml",
                      keys[k]);
                as_model.def = start;
                calibrated++;
            }
            char def[64];
            CHECK(default_is(&as_model, values[k]), "%s: default %s = %s under model %d (there %s)", path, keys[k],
                  rp_paramtable_format_default(&as_model, def, sizeof def), model, values[k]);
            compared++;
            if (*v1_note && n_keys == 1) { /* version 1's value, as the row holds it */
                rp_param v1 = *row;
                v1.def = row->def_v1, v1.def_name = row->def_name_v1, v1.since = 0, v1.flags = 0;
                CHECK(default_is(&v1, v1_note), "%s: %s under model 1 = %s", path, keys[k], v1_note);
                compared++;
            }
        }
    }
    fclose(f);
    CHECK(compared >= 44 && skipped <= 4, "%s: %d defaults compared, %d keys without one", path, compared, skipped);
    CHECK(calibrated == (model < 2 ? 4 : 5), "%s: %d calibrated rows, each at the calibration's start", path,
          calibrated);
}

static void check_scalar_defaults(const rp_params *p)
{
    check_table_defaults(p);
    check_table_fields();
    check_model_md_defaults(RP_SOURCE_DIR "/docs/MODEL.md", 2);
    check_model_md_defaults(RP_SOURCE_DIR "/docs/MODEL-v1.md", 1);
    /* What MODEL.md says in words, and the computed defaults. */
    CHECK(p->providers.caseload == 20, "default providers.caseload = 20 (MODEL.md \"C = 20\")");
    CHECK(p->providers.count == 2, "providers.count = ceil(27 / 20) = 2");
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
        if (!has_scalar_default(&t[i]))
            continue;
        scalar a, b;
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

/* ---- a distribution by its mean and sd (KEY.mean, KEY.sd) ---- */

/* The resolved parameters of BASE with sets, or false. */
static bool with_sets(const char *const *sets, rp_params *p)
{
    rp_error err = {""};
    rp_scenario *sc = load(BASE, sets, &err);
    CHECK(sc != NULL, "moments: %s resolves: %s", sets[0], err.msg);
    if (sc)
        *p = *rp_scenario_params(sc);
    rp_scenario_free(sc);
    return sc != NULL;
}

static int group_index(const rp_group *g, int n, const char *name)
{
    for (int i = 0; i < n; i++)
        if (strcmp(g[i].name, name) == 0)
            return i;
    return -1;
}

static void check_moment(const char *set, const char *group, const char *key, rp_dist_kind kind, double a, double b)
{
    const char *sets[] = {set, NULL};
    rp_params p;
    if (!with_sets(sets, &p))
        return;
    const rp_group *g = &p.patients.groups[group_index(p.patients.groups, p.patients.n_groups, group)];
    const rp_dist *d = strcmp(key, "mistrust") == 0 ? &g->mistrust : strcmp(key, "stressor_rate") == 0 ? &g->stressor_rate
                       : strcmp(key, "symptoms") == 0 ? &g->symptoms : strcmp(key, "class") == 0 ? &g->trait[2]
                       : NULL;
    if (strcmp(key, "humility") == 0)
        d = &p.providers.groups[group_index(p.providers.groups, p.providers.n_groups, group)].humility;
    CHECK(d && d->kind == kind, "moments: %s keeps the family", set);
    CHECK_NEAR(d ? d->a : NAN, a, 1e-12 * fabs(a), "moments: %s: first parameter", set);
    CHECK_NEAR(d ? d->b : NAN, b, 1e-12 * fabs(b), "moments: %s: second parameter", set);
}

static void test_moments(void)
{
    rp_params p;
    /* the reference population: black mistrust beta(5, 4), stressor_rate
     * gamma(2, 0.05), symptoms normal(15, 4), class beta(2, 4); provider
     * group white humility beta(3, 3) */
    CHECK(with_sets((const char *const[]){"seed=1", NULL}, &p) && strcmp(p.culture.dims[2].name, "class") == 0,
          "moments: class is the third dimension of the reference population");
    /* beta: the mean keeps a + b = 9; the sd keeps the mean 5/9, a + b =
     * (20/81) / 0.01 - 1 = 23.691358024691358 */
    check_moment("patients.groups.black.mistrust.mean=0.3", "black", "mistrust", RP_DIST_BETA, 2.7, 6.3);
    check_moment("patients.groups.black.mistrust.sd=0.1", "black", "mistrust", RP_DIST_BETA,
                 5.0 / 9 * 23.691358024691358, 4.0 / 9 * 23.691358024691358);
    /* gamma: the mean keeps the shape 2 (scale 0.3 / 2); the sd keeps the
     * mean 0.1: shape (0.1 / 0.05)^2 = 4, scale 0.05^2 / 0.1 = 0.025 */
    check_moment("patients.groups.black.stressor_rate.mean=0.3", "black", "stressor_rate", RP_DIST_GAMMA, 2, 0.15);
    check_moment("patients.groups.black.stressor_rate.sd=0.05", "black", "stressor_rate", RP_DIST_GAMMA, 4, 0.025);
    /* normal: directly */
    check_moment("patients.groups.black.symptoms.mean=12", "black", "symptoms", RP_DIST_NORMAL, 12, 4);
    check_moment("patients.groups.black.symptoms.sd=3", "black", "symptoms", RP_DIST_NORMAL, 15, 3);
    /* a continuous dimension, a provider group: beta(2, 4) to mean 0.5 is
     * beta(3, 3); beta(3, 3) to sd 0.1: a + b = 0.25 / 0.01 - 1 = 24 */
    check_moment("patients.groups.black.class.mean=0.5", "black", "class", RP_DIST_BETA, 3, 3);
    check_moment("providers.groups.white.humility.sd=0.1", "white", "humility", RP_DIST_BETA, 12, 12);

    /* both: the sd after the mean whatever their order, so that the result
     * has both: mean 0.3, sd 0.1, a + b = 0.21 / 0.01 - 1 = 20 */
    const char *both[] = {"patients.groups.black.mistrust.sd=0.1", "patients.groups.black.mistrust.mean=0.3", NULL};
    CHECK(with_sets(both, &p), "moments: sd and mean");
    const int black = group_index(p.patients.groups, p.patients.n_groups, "black");
    CHECK_NEAR(p.patients.groups[black].mistrust.a, 6, 1e-12, "moments: sd then mean: a = 0.3 x 20");
    CHECK_NEAR(p.patients.groups[black].mistrust.b, 14, 1e-12, "moments: sd then mean: b = 0.7 x 20");
    /* a fixed number takes a mean as its value */
    const char *fixed[] = {"patients.groups.black.mistrust=0.4", "patients.groups.black.mistrust.mean=0.25", NULL};
    CHECK(with_sets(fixed, &p) && p.patients.groups[black].mistrust.kind == RP_DIST_FIXED &&
              p.patients.groups[black].mistrust.a == 0.25,
          "moments: a fixed number's mean is the number");
    /* a later value of the key, or of its group, replaces the change */
    const char *later[] = {"patients.groups.black.mistrust.mean=0.3", "patients.groups.black.mistrust=beta(1, 2)",
                           NULL};
    CHECK(with_sets(later, &p) && p.patients.groups[black].mistrust.a == 1 && p.patients.groups[black].mistrust.b == 2,
          "moments: a later --set of the key drops its .mean");
    const char *twice[] = {"patients.groups.black.mistrust.mean=0.3", "patients.groups.black.mistrust.mean=0.4",
                           NULL};
    CHECK(with_sets(twice, &p) && fabs(p.patients.groups[black].mistrust.a - 3.6) < 1e-12 &&
              fabs(p.patients.groups[black].mistrust.b - 5.4) < 1e-12,
          "moments: a later --set of the same KEY.mean replaces the earlier (beta(3.6, 5.4))");
    /* show writes the distribution made, which resolves to the same bytes */
    rp_error err = {""};
    rp_scenario *sc = load(BASE, (const char *const[]){"patients.groups.black.mistrust.mean=0.3", NULL}, &err);
    char *text = sc ? show(sc) : NULL;
    CHECK(text && strstr(text, "      mistrust: beta(2.6999999999999997, 6.3)\n"), "moments: show writes beta(2.7, 6.3)");
    free(text);
    rp_scenario_free(sc);
    check_round_trip("moments", BASE, (const char *const[]){"patients.groups.black.mistrust.sd=0.1", NULL});

    /* the errors, located in the argument */
    check_error(BASE, "patients.groups.black.mistrust.mean=1",
                "--set:1:37: error: patients.groups.black.mistrust.mean: beta(5, 4) cannot have mean 1; expected a "
                "mean strictly between 0 and 1");
    check_error(BASE, "patients.groups.black.mistrust.mean=1.5",
                "--set:1:37: error: patients.groups.black.mistrust.mean: expected a number in [0, 1], got '1.5'");
    check_error(BASE, "patients.groups.black.mistrust.sd=0.499",
                "--set:1:35: error: patients.groups.black.mistrust.sd: sd 0.499 of beta(5, 4) (mean 0.555556) makes "
                "a + b = mean (1 - mean) / sd^2 - 1 = -0.00838318; expected an sd below sqrt(mean (1 - mean)) = "
                "0.496904, so that a + b > 0");
    check_error(BASE, "patients.groups.black.mistrust.sd=0.5",
                "--set:1:35: error: patients.groups.black.mistrust.sd: expected a number in (0, 0.5), got '0.5'");
    check_error(BASE, "patients.groups.black.stressor_rate.mean=0",
                "--set:1:42: error: patients.groups.black.stressor_rate.mean: gamma(2, 0.05) cannot have mean 0");
    check_error(BASE, "patients.groups.black.stressor_rate.sd=1e-9",
                "sd 1e-09 turns gamma(2, 0.05) into gamma(1e+16, 1e-17), which is not a valid value: expected");
    const char *no_sd[] = {"patients.groups.black.mistrust=0.4", "patients.groups.black.mistrust.sd=0.1", NULL};
    CHECK(load_error(BASE, no_sd, &err) == RP_EINVAL &&
              strstr(err.msg, "--set:1:35: error: patients.groups.black.mistrust.sd: 0.4 is a fixed number, which "
                              "has no spread; expected .sd of a distribution"),
          "moments: a fixed number has no sd (got '%s')", err.msg);
    check_error(BASE, "patients.groups.black.language.mean=0.3",
                "patients.groups.black.language.mean: 'patients.groups.black.language' is not a distribution");
    check_error(BASE, "patients.groups.black.share.sd=0.3", "'patients.groups.black.share' is not a distribution");
    check_error(BASE, "patients.groups.blak.mistrust.mean=0.3", "no group 'blak' in patients.groups; did you mean");
    check_error(BASE, "patients.groups.black.mistrust.mean=[0.3]", "expected a number in [0, 1], got a sequence");
}

/* ---- extends ---- */

/* Write text to dir/name; false on failure. */
static bool write_file(const char *dir, const char *name, const char *text)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    bool ok = f && fputs(text, f) >= 0;
    return f ? fclose(f) == 0 && ok : false;
}

/* Load the file dir/name (its path in locations) with sets, resolved. */
static rp_scenario *load_file(const char *dir, const char *name, const char *const *sets, rp_error *err)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return load_from(path, NULL, sets, err);
}

/* rp_scenario_where(sc, name) is dir/file:line:column. */
static void check_where(const rp_scenario *sc, const char *dir, const char *name, const char *file_place)
{
    char want[512];
    const char *w = rp_scenario_where(sc, name);
    snprintf(want, sizeof want, "%s/%s", dir, file_place);
    CHECK(w && strcmp(w, want) == 0, "extends: where %s = %s (%s)", name, want, w ? w : "NULL");
}

#define EXT_POPULATION                                                                                             \
    "culture:\n"                                                                                                   \
    "  dimensions:\n"                                                                                              \
    "    - {name: x, kind: continuous, weight: 1}\n"                                                               \
    "patients:\n"                                                                                                  \
    "  count: 1000\n"                                                                                              \
    "  response_sd: 1.2\n"                                                                                         \
    "  groups:\n"                                                                                                  \
    "    a: {share: 0.5, x: 0.2, mistrust: 0.1, barrier: 0.2, stressor_rate: 0.1, symptoms: 10}\n"               \
    "    b: {share: 0.5, x: 0.8, mistrust: 0.3, barrier: 0.2, stressor_rate: 0.1, symptoms: 12}\n"               \
    "providers:\n"                                                                                                 \
    "  groups:\n"                                                                                                  \
    "    p: {share: 1, x: 0.5, humility: 0.5}\n"

static void test_extends(void)
{
    char dir[] = "/tmp/rapport-scenario-unit-XXXXXX", sub[64];
    rp_error err = {""};
    if (!mkdtemp(dir)) {
        CHECK(false, "extends: a temporary directory");
        return;
    }
    snprintf(sub, sizeof sub, "%s/sub", dir);
    mkdir(sub, 0700);
    /* base <- mid <- sub/top: three files, two directories */
    bool ok = write_file(dir, "base.yaml",
                         "seed: 7\n"
                         "horizon: 30\n"
                         "dropout: {base: -7.5, early: 3}\n"
                         "output: {variables: [A, T]}\n"
                         "sweep:\n"
                         "  grid:\n"
                         "    discussion.policy: [never, intake]\n" EXT_POPULATION) &&
              write_file(dir, "mid.yaml",
                         "extends: base.yaml\n"
                         "dropout:\n"
                         "  early: 2.5\n") &&
              write_file(sub, "top.yaml",
                         "# the top of the chain\n"
                         "patients:\n"
                         "  count: 2000\n"
                         "extends: ../mid.yaml\n"
                         "output: {variables: [S]}\n") &&
              write_file(sub, "groups.yaml",
                         "extends: ../mid.yaml\n"
                         "patients:\n"
                         "  groups:\n"
                         "    c: {share: 1, x: 0.4, mistrust: 0.2, barrier: 0.2, stressor_rate: 0.1, symptoms: 11}\n");
    /* what top.yaml means, written out */
    ok = ok && write_file(dir, "flat.yaml",
                    "seed: 7\n"
                    "horizon: 30\n"
                    "dropout: {base: -7.5, early: 2.5}\n"
                    "output: {variables: [S]}\n"
                    "sweep:\n"
                    "  grid:\n"
                    "    discussion.policy: [never, intake]\n"
                    "culture:\n"
                    "  dimensions:\n"
                    "    - {name: x, kind: continuous, weight: 1}\n"
                    "patients:\n"
                    "  count: 2000\n"
                    "  response_sd: 1.2\n"
                    "  groups:\n"
                    "    a: {share: 0.5, x: 0.2, mistrust: 0.1, barrier: 0.2, stressor_rate: 0.1, symptoms: 10}\n"
                    "    b: {share: 0.5, x: 0.8, mistrust: 0.3, barrier: 0.2, stressor_rate: 0.1, symptoms: 12}\n"
                    "providers:\n"
                    "  groups:\n"
                    "    p: {share: 1, x: 0.5, humility: 0.5}\n");
    CHECK(ok, "extends: the files are written");
    rp_scenario *top = load_file(sub, "top.yaml", NULL, &err);
    CHECK(top != NULL, "extends: a chain of three files resolves (%s)", err.msg);
    rp_scenario *flat = load_file(dir, "flat.yaml", NULL, &err);
    CHECK(flat != NULL, "extends: the flat equivalent resolves (%s)", err.msg);
    if (top && flat) {
        const rp_params *p = rp_scenario_params(top);
        CHECK(p->seed == 7 && p->horizon == 30, "extends: top-level keys from the base (seed %llu, horizon %d)",
              (unsigned long long)p->seed, p->horizon);
        CHECK(p->dropout.base == -7.5 && p->dropout.early == 2.5,
              "extends: a section merged key by key (dropout.base %g from base, dropout.early %g from mid)",
              p->dropout.base, p->dropout.early);
        CHECK(p->patients.count == 2000 && p->patients.response_sd == 1.2 && p->patients.n_groups == 2 &&
                  strcmp(p->patients.groups[1].name, "b") == 0 && p->patients.groups[1].mistrust.a == 0.3,
              "extends: the section of the groups merged: count from top, response_sd and groups a, b from base");
        CHECK(p->output.variables == (1u << 2), "extends: a list replaced, not joined (variables %#x, expected S "
              "alone, %#x)", p->output.variables, 1u << 2);
        CHECK(memcmp(p, rp_scenario_params(flat), sizeof *p) == 0, "extends: the same parameters as the flat file");
        char *a = show(top), *b = show(flat);
        CHECK(a && b && strcmp(a + strcspn(a, "\n"), b + strcspn(b, "\n")) == 0,
              "extends: show of the chain equals show of the flat file after the first line");
        CHECK(a && !strstr(a, "extends"), "extends: show prints no extends: key");
        char first[512];
        snprintf(first, sizeof first, "# %s/top.yaml, extending %s/../mid.yaml -> %s/../base.yaml, resolved by", sub,
                 sub, sub);
        CHECK(a && strncmp(a, first, strlen(first)) == 0, "extends: show's first line names the chain (%.*s)",
              a ? (int)strcspn(a, "\n") : 0, a ? a : "");
        CHECK(b && strstr(b, "extending") == NULL, "extends: a file that extends nothing: first line unchanged");
        check_where(top, sub, "patients.count", "top.yaml:3:10");
        check_where(top, sub, "dropout.early", "../mid.yaml:3:10");
        check_where(top, sub, "dropout.base", "../base.yaml:3:17");
        check_where(top, sub, "patients.groups.b.mistrust", "../base.yaml:16:39");
        check_where(top, sub, "trust.rate", "top.yaml:1:1");
        free(a);
        free(b);
    }
    rp_scenario_free(top);
    rp_scenario_free(flat);
    /* --set over the chain: a base's value and a base's group */
    const char *sets[] = {"dropout.base=-6", "patients.groups.a.mistrust=0.4", "output={variables: [D]}", NULL};
    top = load_file(sub, "top.yaml", sets, &err);
    CHECK(top != NULL, "extends: --set over the chain (%s)", err.msg);
    if (top) {
        const rp_params *p = rp_scenario_params(top);
        CHECK(p->dropout.base == -6 && p->dropout.early == 2.5 && p->patients.groups[0].mistrust.a == 0.4 &&
                  p->patients.groups[1].mistrust.a == 0.3 && p->output.variables == (1u << 3),
              "extends: --set wins over every file of the chain, key by key");
        const char *w = rp_scenario_where(top, "dropout.base");
        CHECK(w && strcmp(w, "--set:1:14") == 0, "extends: where of a --set over a base's value (%s)", w ? w : "NULL");
        w = rp_scenario_where(top, "patients.groups.a.mistrust");
        CHECK(w && strcmp(w, "--set:1:28") == 0, "extends: where of a --set into a base's group (%s)",
              w ? w : "NULL");
    }
    rp_scenario_free(top);
    /* a file that gives the groups gives all of them: the base's are replaced */
    top = load_file(sub, "groups.yaml", NULL, &err);
    CHECK(top && rp_scenario_params(top)->patients.n_groups == 1 &&
              strcmp(rp_scenario_params(top)->patients.groups[0].name, "c") == 0 &&
              rp_scenario_params(top)->patients.count == 1000,
          "extends: patients.groups given replaces the base's groups whole, count kept (%s)", err.msg);
    rp_scenario_free(top);
    /* errors, located in the file that wrote the value */
    char path[512], want[600];
    rp_scenario *sc = NULL;
    ok = write_file(sub, "bad-top.yaml", "extends: ../mid.yaml\ndropout: {early: abc}\n") &&
         write_file(dir, "bad-base.yaml", "seed: 1\npatients: {count: 10, response_sd: -1}\n") &&
         write_file(sub, "on-bad-base.yaml", "extends: ../bad-base.yaml\n") &&
         write_file(sub, "fixes-bad-base.yaml", "extends: ../bad-base.yaml\npatients: {response_sd: 1}\n") &&
         write_file(dir, "cycle-a.yaml", "extends: cycle-b.yaml\n") &&
         write_file(dir, "cycle-b.yaml", "seed: 1\nextends: sub/../cycle-a.yaml\n");
    CHECK(ok, "extends: the error files are written");
    CHECK(load_file(sub, "bad-top.yaml", NULL, &err) == NULL &&
              snprintf(want, sizeof want, "%s/bad-top.yaml:2:18: error: dropout.early: expected", sub) > 0 &&
              strncmp(err.msg, want, strlen(want)) == 0,
          "extends: an error in the extending file is located in it (%s)", err.msg);
    CHECK(load_file(sub, "on-bad-base.yaml", NULL, &err) == NULL &&
              snprintf(want, sizeof want, "%s/../bad-base.yaml:2:36: error: patients.response_sd: ", sub) > 0 &&
              strncmp(err.msg, want, strlen(want)) == 0,
          "extends: an error in the extended file is located in it (%s)", err.msg);
    top = load_file(sub, "fixes-bad-base.yaml", NULL, &err);
    CHECK(top != NULL, "extends: a base's value that the extending file replaces is never read (%s)", err.msg);
    rp_scenario_free(top);
    snprintf(path, sizeof path, "%s/cycle-a.yaml", dir);
    int st = rp_scenario_load(path, &sc, &err);
    snprintf(want, sizeof want,
             "%s/cycle-a.yaml:1:10: error: extends: a cycle, %s/cycle-a.yaml -> %s/cycle-b.yaml -> "
             "%s/sub/../cycle-a.yaml; expected",
             dir, dir, dir, dir);
    CHECK(st == RP_EINVAL && sc == NULL && strncmp(err.msg, want, strlen(want)) == 0,
          "extends: a cycle through another spelling of the file, located at its first link (%s)", err.msg);
    /* from a string: relative to the directory of its name */
    snprintf(path, sizeof path, "%s/string.yaml", sub);
    st = rp_scenario_load_string(path, "extends: ../mid.yaml\nhorizon: 12\n", &sc, &err);
    if (!st)
        st = rp_scenario_resolve(sc, &err);
    CHECK(st == RP_OK && rp_scenario_params(sc)->horizon == 12 && rp_scenario_params(sc)->dropout.early == 2.5,
          "extends: a scenario from a string extends relative to its name's directory (%s)", err.msg);
    rp_scenario_free(sc);
    sc = NULL;
    st = rp_scenario_load_string("unit.yaml", "extends: unit.yaml\n", &sc, &err);
    CHECK(st == RP_EINVAL && strstr(err.msg, "unit.yaml:1:10: error: extends: cannot open 'unit.yaml'"),
          "extends: a string named like no file: its extends is a file to open (%s)", err.msg);
    const char *names[] = {"base.yaml", "mid.yaml", "flat.yaml", "bad-base.yaml", "cycle-a.yaml", "cycle-b.yaml",
                           "sub/top.yaml", "sub/groups.yaml", "sub/bad-top.yaml", "sub/on-bad-base.yaml",
                           "sub/fixes-bad-base.yaml"};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        remove(path);
    }
    rmdir(sub);
    rmdir(dir);
}

/* docs/SCENARIO.md must carry the reference as generated now. */
/* model: its default, the rows of model 2 (their value under model 1, their
 * defaults under model 2, the refusal under model 1), the gradient's
 * dimension, a sweep-like override of model moving the defaults, and show
 * round-tripping under model 2. */
static void test_model(void)
{
    rp_error err = {""};
    const char *one[] = {"model=1", NULL};
    rp_scenario *sc = load(BASE, one, &err);
    const rp_params *p = sc ? rp_scenario_params(sc) : NULL;
    CHECK(p && p->model == 1, "model=1 resolves");
    CHECK(p && p->humility.felt_distance == 0 && p->trust.repair_gain == 0 && p->providers.retention_sd == 0 &&
              p->patients.gradient.barrier == 0 && p->patients.gradient.stressor_rate == 0 &&
              p->patients.gradient.mistrust == 0 && p->patients.gradient.dim == -1 &&
              strcmp(p->patients.gradient.dimension, "none") == 0,
          "model 1: every term of model 2 off (chi, Delta_T+, sd_retention, gradient none)");
    /* version 1's calibration, as the previous release's baseline.yaml wrote it */
    CHECK(p && p->dropout.base == -8.1187 && p->dropout.early == 3.962 && p->patients.response_sd == 1.0427 &&
              p->providers.skill_sd == 1.3319,
          "model 1: the calibrated rows hold version 1's calibration (-8.1187, 3.962, 1.0427, 1.3319)");
    rp_scenario *s2 = load(BASE, NULL, &err);
    const rp_params *q = s2 ? rp_scenario_params(s2) : NULL;
    CHECK(q && q->model == 2 && RP_MODEL_DEFAULT == 2, "model defaults to 2 (RP_MODEL_DEFAULT)");
    CHECK(q && q->humility.felt_distance == 0.3 && q->trust.repair_gain == 0.05 &&
              q->patients.gradient.barrier == -1.5 && q->patients.gradient.stressor_rate == -1.0 &&
              q->patients.gradient.mistrust == 0 && q->patients.gradient.dim == 2 &&
              strcmp(q->patients.gradient.dimension, "class") == 0,
          "model 2: MODEL-v2.md's starting values (0.3, 0.05, class, -1.5, -1, 0)");
    {
        size_t n;
        const rp_param *t = rp_paramtable_scenario(&n);
        int calibrated = 0;
        for (size_t i = 0; i < n; i++)
            if (t[i].flags & RP_PF_CALIBRATED) {
                calibrated++;
                const double v2 = *(const double *)((const char *)q + t[i].offset);
                const double v1 = *(const double *)((const char *)p + t[i].offset);
                CHECK(t[i].type == RP_PT_DOUBLE && v2 == t[i].def && v1 == t[i].def_v1 && v1 != v2,
                      "%s: model 2 holds its calibration %g, model 1 version 1's %g", t[i].name, v2, v1);
            }
        CHECK(calibrated == 5, "5 calibrated rows (%d)", calibrated);
    }
    /* the table's own view: rows since 2, their v1 value */
    size_t n;
    const rp_param *t = rp_paramtable_scenario(&n);
    int since2 = 0;
    for (size_t i = 0; i < n; i++)
        if (t[i].since == 2) {
            since2++;
            if (t[i].type == RP_PT_DOUBLE) {
                double v1 = -1, v2 = -1;
                rp_paramtable_set_default_model(&t[i], 1, &v1);
                rp_paramtable_set_default_model(&t[i], 2, &v2);
                CHECK(v1 == 0 && v2 == t[i].def && v1 == *(const double *)((const char *)p + t[i].offset) &&
                          v2 == *(const double *)((const char *)q + t[i].offset),
                      "%s: model 1 holds %g (off), model 2 its default %g", t[i].name, v1, v2);
            }
        }
    CHECK(since2 == 7, "7 rows of model 2 in the table (%d)", since2);
    /* an override of model (as a sweep's point) moves the silent rows' defaults */
    rp_override ov = {.key = "model", .text = "1", .where = "unit:1:1"};
    rp_params r;
    CHECK(s2 && rp_scenario_resolve_with(s2, 1, &ov, &r, &err) == RP_OK && r.model == 1 &&
              r.humility.felt_distance == 0 && r.patients.gradient.dim == -1 && r.dropout.base == p->dropout.base,
          "an override model=1 resolves with model 1's defaults %s", err.msg);
    /* a written parameter of model 2 under model 1 */
    check_error(BASE "model: 1\nhumility: {felt_distance: 0.25}\n", NULL,
                "unit.yaml:5:27: error: humility.felt_distance: a parameter of model 2; expected model: 2");
    check_error(BASE "model: 1\n", "trust.repair_gain=0", "--set:1:19: error: trust.repair_gain: a parameter of model 2");
    check_error(BASE "model: 2\n", "patients.gradient.dimension=language",
                "patients.gradient.dimension: 'language' is a categorical dimension");
    /* the gradient's default where class is not declared: none */
    const char *custom = "seed: 1\nmodel: 2\nculture:\n  dimensions:\n"
                         "    - {name: race, kind: categorical, weight: 1, levels: [a, b]}\n"
                         "    - {name: income, kind: continuous, weight: 0.5}\n"
                         "patients:\n  count: 10\n  groups:\n    g: {share: 1, race: a, income: 0.5, mistrust: 0.2, "
                         "barrier: 0.2, stressor_rate: 0.1, symptoms: \"normal(15, 4)\"}\n"
                         "providers:\n  groups:\n    p: {share: 1, race: a, income: 0.5, humility: 0.5}\n";
    rp_scenario *s3 = load(custom, NULL, &err);
    CHECK(s3 && rp_scenario_params(s3)->patients.gradient.dim == -1 &&
              strcmp(rp_scenario_params(s3)->patients.gradient.dimension, "none") == 0,
          "model 2 without a dimension class: the gradient's default is none %s", err.msg);
    const char *income[] = {"patients.gradient.dimension=income", NULL};
    rp_scenario *s4 = load(custom, income, &err);
    CHECK(s4 && rp_scenario_params(s4)->patients.gradient.dim == 1, "gradient on a named continuous dimension");
    check_round_trip("model 2", BASE "model: 2\n", NULL);
    const char *grad[] = {"patients.gradient.dimension=explanatory_model", "patients.gradient.mistrust=0.75", NULL};
    check_round_trip("model 2, gradient set", BASE "model: 2\n", grad);
    check_round_trip("model 2, custom population", custom, income);
    rp_scenario_free(sc);
    rp_scenario_free(s2);
    rp_scenario_free(s3);
    rp_scenario_free(s4);
}

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
    CHECK(ref && doc && strstr(doc, ref), "docs/SCENARIO.md contains the output of `rapport reference` verbatim (else run scripts/regen-docs.sh)");
    free(ref);
    free(doc);
}

/* SHA-256 against FIPS 180-2's examples; a data file's keys: counts, the
 * file's rows, show's round trip, a stored scenario resolved without the
 * file, an override of a data key refused. */
static void test_data_files(void)
{
    static const char *const msg[3] = {"", "abc", "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"};
    static const char *const want[3] = {
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
        "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"};
    for (int i = 0; i < 3; i++) {
        rp_sha256 s;
        char hex[65];
        rp_sha256_init(&s);
        for (const char *c = msg[i]; *c; c++) /* a byte at a time: the block boundaries */
            rp_sha256_update(&s, c, 1);
        rp_sha256_final(&s, hex);
        CHECK(strcmp(hex, want[i]) == 0, "sha256('%s') = %s", msg[i], hex);
    }
    char dir[] = "/tmp/rapport-scenario-data-XXXXXX";
    rp_error err = {""};
    if (!mkdtemp(dir)) {
        CHECK(false, "data files: a temporary directory");
        return;
    }
    bool ok = write_file(dir, "p.csv", "group,mistrust,id\nwhite,0.1,a\nblack,0.2,b\nasian,NA,c\n") &&
              write_file(dir, "once.yaml", "seed: 1\npatients: {from: p.csv, ignore: [id], missing: draw}\n") &&
              write_file(dir, "drawn.yaml", "seed: 1\npatients: {from: p.csv, count: 50, ignore: [id], "
                                            "missing: draw}\nsweep: {grid: {patients.count: [50, 60]}}\n");
    CHECK(ok, "data files: written");
    rp_scenario *sc = load_file(dir, "once.yaml", NULL, &err);
    const rp_params *p = sc ? rp_scenario_params(sc) : NULL;
    CHECK(p && p->patients.count == 3 && p->patients.resample == 0 && p->patients.records &&
              p->patients.records->rows == 3 && p->patients.records->group[1] == 2 &&
              p->patients.records->value[RP_REC_MISTRUST][1] == 0.2 &&
              isnan(p->patients.records->value[RP_REC_MISTRUST][2]) && p->providers.count == 1,
          "data files: every row once: 3 patients, rows as the file says, NA drawn, 1 provider (%s)", err.msg);
    if (p) { /* the memory a run needs counts the rows held: 3 x (mistrust 8 + group 1), not the ignored id */
        rp_params drawn = *p;
        drawn.patients.records = NULL;
        const double held = rp_run_bytes(p) - rp_run_bytes(&drawn);
        CHECK(held == 27 && rp_records_bytes(p->patients.records) == 27,
              "data files: a run's memory estimate counts the rows held (%g bytes, expected 27)", held);
    }
    /* show, read back from the same directory, resolves to the same parameters */
    char path[512], *text = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&text, &len);
    if (sc && mem)
        rp_scenario_write_yaml(sc, mem);
    if (mem)
        fclose(mem);
    snprintf(path, sizeof path, "%s/shown.yaml", dir);
    rp_scenario *again = NULL;
    ok = text && rp_scenario_load_string(path, text, &again, &err) == RP_OK && rp_scenario_resolve(again, &err) == RP_OK;
    if (ok && p) {
        rp_params a = *p, b = *rp_scenario_params(again);
        ok = b.patients.records && b.patients.records->rows == 3 &&
             strcmp(a.patients.records->sha256, b.patients.records->sha256) == 0;
        a.patients.records = b.patients.records = NULL;
        ok = ok && memcmp(&a, &b, sizeof a) == 0;
    }
    CHECK(ok && text && strstr(text, "resample: false"), "data files: show reads back to the same parameters (%s)",
          err.msg);
    rp_scenario_free(again);
    /* stored, resolved without the file (which is gone from a reader's view) */
    again = NULL;
    ok = text && rp_scenario_load_string("/elsewhere/x.h5:/scenario", text, &again, &err) == RP_OK;
    if (ok)
        rp_scenario_skip_data(again);
    ok = ok && rp_scenario_resolve(again, &err) == RP_OK && !rp_scenario_params(again)->patients.records &&
         rp_scenario_params(again)->patients.count == 3;
    CHECK(ok, "data files: a stored scenario resolves without its data file (%s)", err.msg);
    rp_scenario_free(again);
    free(text);
    rp_override ov = {.key = "patients.missing", .text = "error"};
    rp_params q;
    CHECK(sc && rp_scenario_resolve_with(sc, 1, &ov, &q, &err) == RP_EINVAL && strstr(err.msg, "not in a sweep"),
          "data files: a data key is refused as an override (%s)", err.msg);
    rp_scenario_free(sc);
    /* count given: rows drawn, and a sweep over the count keeps the records */
    sc = load_file(dir, "drawn.yaml", NULL, &err);
    rp_override oc = {.key = "patients.count", .text = "60"};
    ok = sc && rp_scenario_resolve_with(sc, 1, &oc, &q, &err) == RP_OK;
    CHECK(ok && q.patients.count == 60 && q.patients.resample == 1 &&
              q.patients.records == rp_scenario_params(sc)->patients.records,
          "data files: a point of a sweep over the count draws 60 rows of the same records (%s)", err.msg);
    rp_scenario_free(sc);
    const char *names[] = {"p.csv", "once.yaml", "drawn.yaml", "shown.yaml"};
    for (size_t i = 0; i < 4; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        unlink(path);
    }
    rmdir(dir);
}

int main(void)
{
    test_defaults();
    test_table();
    test_overrides();
    test_round_trip();
    test_where();
    test_errors();
    test_moments();
    test_extends();
    test_model();
    test_data_files();
    test_docs();
    return rp_test_done();
}
