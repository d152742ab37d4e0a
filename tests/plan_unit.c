/* plan_unit.c - the plan module: sweeps expanded into points and runs.
 *
 * Expected plans are written out by hand (order included); the Sobol points
 * are GSL's gsl_qrng_sobol values, (0.5, 0.5), (0.75, 0.25), (0.25, 0.75),
 * (0.375, 0.375) in two dimensions and, in four, (0.375, 0.375, 0.625,
 * 0.125) as the fourth point, mapped to the ranges by hand. Also: LHS
 * strata, runs and streams, overrides applied and the scenario left as it
 * was, the plan id, the round trip through `show`, every sweep error of the
 * corpus tests/invalid/13x-15x-sweep-*.yaml through the API (until `rapport
 * validate` creates the plan, the corpus script cannot see most of them),
 * and the time to validate a 10,000-point grid (printed, not asserted).
 */
#define _POSIX_C_SOURCE 200809L /* opendir, for the corpus */
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rapport/plan.h"
#include "rapport/scenario.h"
#include "testing.h"
#include "input/input.h"
#include "plan/sweep_spec.h"

#define BASE "seed: 20221\npatients:\n  count: 27\n"
#define EXACT 0.0

/* A resolved scenario from text, or NULL with err filled. */
static rp_scenario *load(const char *text, rp_error *err)
{
    rp_scenario *sc = NULL;
    int st = rp_scenario_load_string("s.yaml", text, &sc, err);
    if (!st)
        st = rp_scenario_resolve(sc, err);
    if (st) {
        rp_scenario_free(sc);
        return NULL;
    }
    return sc;
}

/* The plan of text; *sc_out keeps the scenario (the plan refers to it). */
static rp_plan *plan_of(const char *text, rp_scenario **sc_out, rp_error *err)
{
    rp_plan *plan = NULL;
    *sc_out = load(text, err);
    if (*sc_out && rp_plan_create(*sc_out, &plan, err) != RP_OK) {
        rp_scenario_free(*sc_out);
        *sc_out = NULL;
    }
    return plan;
}

static void drop(rp_plan *plan, rp_scenario *sc)
{
    rp_plan_free(plan);
    rp_scenario_free(sc);
}

/* The error of creating the plan of text ("" if none). */
static int plan_error(const char *text, rp_error *err)
{
    rp_scenario *sc;
    err->msg[0] = '\0';
    rp_plan *plan = plan_of(text, &sc, err);
    drop(plan, sc);
    return plan ? RP_OK : RP_EINVAL;
}

static char *read_stream(FILE *f)
{
    long len = ftell(f);
    char *buf = len >= 0 ? malloc((size_t)len + 1) : NULL;
    rewind(f);
    if (buf && fread(buf, 1, (size_t)len, f) != (size_t)len) {
        free(buf);
        return NULL;
    }
    if (buf)
        buf[len] = '\0';
    return buf;
}

/* What `show` writes: the resolved scenario, then the plan. */
static char *show(const rp_scenario *sc, const rp_plan *plan)
{
    FILE *f = tmpfile();
    char *text = NULL;
    if (f && rp_scenario_write_yaml(sc, f) == RP_OK && (!plan || rp_plan_write_yaml(plan, f) == RP_OK))
        text = read_stream(f);
    if (f)
        fclose(f);
    return text;
}

/* ---- grid and zip ---- */

static void test_grid(void)
{
    rp_error err = {{0}};
    rp_scenario *sc;
    rp_plan *plan = plan_of(BASE "sweep:\n"
                                 "  grid:\n"
                                 "    discussion.policy: [intake, responsive]\n"
                                 "    trust.rate: [0.05, 0.125, 0.3]\n",
                            &sc, &err);
    CHECK(plan != NULL, "grid 2 x 3: plan created: %s", plan ? "" : err.msg);
    if (!plan)
        return;
    static const char *const policy[] = {"intake", "intake", "intake", "responsive", "responsive", "responsive"};
    static const char *const rate[] = {"0.05", "0.125", "0.3", "0.05", "0.125", "0.3"};
    static const double rate_value[] = {0.05, 0.125, 0.3, 0.05, 0.125, 0.3};
    const char *const *names;
    CHECK(rp_plan_points(plan) == 6 && rp_plan_replicates(plan) == 1 && rp_plan_runs(plan) == 6,
          "grid 2 x 3: 6 points, 1 replicate, 6 runs (got %lld, %lld, %lld)", (long long)rp_plan_points(plan),
          (long long)rp_plan_replicates(plan), (long long)rp_plan_runs(plan));
    int axes = rp_plan_axes(plan, &names);
    CHECK(axes == 2 && strcmp(names[0], "discussion.policy") == 0 && strcmp(names[1], "trust.rate") == 0,
          "grid: axes are discussion.policy, trust.rate, in declared order");
    bool texts = true, values = true;
    for (int p = 0; p < 6; p++) {
        texts = texts && strcmp(rp_plan_value_text(plan, p, 0), policy[p]) == 0 &&
                strcmp(rp_plan_value_text(plan, p, 1), rate[p]) == 0;
        values = values && isnan(rp_plan_value(plan, p, 0)) && rp_plan_value(plan, p, 1) == rate_value[p];
    }
    CHECK(texts, "grid: the 6 points in order, the first axis slowest (texts as written)");
    CHECK(values, "grid: numeric values, NaN for a word");
    CHECK(rp_plan_value_text(plan, 6, 0) == NULL && isnan(rp_plan_value(plan, 0, 2)),
          "grid: a point or axis out of range gives NULL / NaN");

    /* point 3 is the base with exactly the two values changed */
    rp_params want = *rp_scenario_params(sc), got;
    want.discussion.policy = RP_DISCUSS_RESPONSIVE;
    want.trust.rate = 0.05;
    int st = rp_plan_params(plan, 3, &got, &err);
    CHECK(st == RP_OK && got.discussion.policy == RP_DISCUSS_RESPONSIVE && got.trust.rate == 0.05,
          "rp_plan_params: point 3 has discussion.policy responsive, trust.rate 0.05");
    CHECK(st == RP_OK && memcmp(&want, &got, sizeof want) == 0,
          "rp_plan_params: point 3 differs from the scenario in the swept values only");
    st = rp_plan_params(plan, 5, &got, &err);
    CHECK(st == RP_OK && got.trust.rate == 0.3 && got.discussion.policy == RP_DISCUSS_RESPONSIVE,
          "rp_plan_params: point 5 has trust.rate 0.3");
    CHECK(rp_plan_params(plan, 6, &got, &err) == RP_EINVAL && strstr(err.msg, "point 6 is not in the plan"),
          "rp_plan_params: point 6 of 6 is refused: %s", err.msg);
    int sample, matrix;
    CHECK(rp_plan_saltelli(plan, 2, &sample, &matrix) == 0 && sample == -1 && matrix == -1,
          "grid: no Saltelli labels (-1, -1)");
    drop(plan, sc);
}

static void test_zip(void)
{
    rp_error err = {{0}};
    rp_scenario *sc;
    rp_plan *plan = plan_of(BASE "sweep:\n"
                                 "  zip:\n"
                                 "    - {dropout.base: [-8, -7.5, -7], dropout.early: [4, 3.5, 3]}\n",
                            &sc, &err);
    CHECK(plan && rp_plan_points(plan) == 3, "zip: 3 points: %s", plan ? "" : err.msg);
    if (plan) {
        bool ok = true;
        static const double base[] = {-8, -7.5, -7}, early[] = {4, 3.5, 3};
        for (int p = 0; p < 3; p++) {
            rp_params got;
            ok = ok && rp_plan_value(plan, p, 0) == base[p] && rp_plan_value(plan, p, 1) == early[p] &&
                 rp_plan_params(plan, p, &got, &err) == RP_OK && got.dropout.base == base[p] &&
                 got.dropout.early == early[p];
        }
        CHECK(ok, "zip: the two lists move together (values and parameters)");
    }
    drop(plan, sc);

    /* grid x two zips: grid slowest, then zip 1, then zip 2 */
    plan = plan_of(BASE "sweep:\n"
                        "  zip:\n"
                        "    - {dropout.base: [-8, -7.5, -7], dropout.early: [4, 3.5, 3]}\n"
                        "    - {trust.rate: [0.1, 0.2], trust.rupture_loss: [0.05, 0.06]}\n"
                        "  grid:\n"
                        "    discussion.policy: [never, intake]\n",
                   &sc, &err);
    CHECK(plan && rp_plan_points(plan) == 12, "grid x zip x zip: 2 x 3 x 2 = 12 points: %s", plan ? "" : err.msg);
    if (plan) {
        static const char *const want[12] = {
            "never -8 4 0.1 0.05",    "never -8 4 0.2 0.06",    "never -7.5 3.5 0.1 0.05",
            "never -7.5 3.5 0.2 0.06", "never -7 3 0.1 0.05",   "never -7 3 0.2 0.06",
            "intake -8 4 0.1 0.05",   "intake -8 4 0.2 0.06",   "intake -7.5 3.5 0.1 0.05",
            "intake -7.5 3.5 0.2 0.06", "intake -7 3 0.1 0.05", "intake -7 3 0.2 0.06"};
        const char *const *names;
        int axes = rp_plan_axes(plan, &names);
        bool ok = axes == 5 && strcmp(names[0], "discussion.policy") == 0 && strcmp(names[1], "dropout.base") == 0 &&
                  strcmp(names[4], "trust.rupture_loss") == 0;
        CHECK(ok, "grid x zip: axes are the grid's, then each zip's, in declared order");
        for (int p = 0; p < 12 && ok; p++) {
            char line[128] = "";
            for (int a = 0; a < axes; a++)
                snprintf(line + strlen(line), sizeof line - strlen(line), "%s%s", a ? " " : "",
                         rp_plan_value_text(plan, p, a));
            ok = strcmp(line, want[p]) == 0;
            if (!ok)
                printf("  point %d: '%s', expected '%s'\n", p, line, want[p]);
        }
        CHECK(ok, "grid x zip x zip: the 12 points as written by hand, in order");
    }
    drop(plan, sc);
}

/* Values of other kinds: a group's distribution, a level mapping, a
 * dimension by name, a section merged key by key, quoted text. */
static void test_values(void)
{
    rp_error err = {{0}};
    rp_scenario *sc;
    rp_plan *plan = plan_of(BASE "discussion: {week: 7}\n"
                                 "sweep:\n"
                                 "  grid:\n"
                                 "    patients.groups.latinx.mistrust:\n"
                                 "      - beta(3, 5)\n"
                                 "      - \"beta(2, 2)\"\n"
                                 "    patients.groups.asian.language: [english, {english: 0.25, other: 0.75}]\n"
                                 "    culture.dimensions.class.weight: [0.9]\n"
                                 "    discussion: [{policy: delayed}]\n",
                            &sc, &err);
    CHECK(plan && rp_plan_points(plan) == 4, "values of every kind: 4 points: %s", plan ? "" : err.msg);
    if (!plan)
        return;
    rp_params p;
    int st = rp_plan_params(plan, 3, &p, &err);
    const rp_group *latinx = &p.patients.groups[1], *asian = &p.patients.groups[3];
    CHECK(st == RP_OK && latinx->mistrust.kind == RP_DIST_BETA && latinx->mistrust.a == 2 && latinx->mistrust.b == 2,
          "point 3: latinx mistrust is the quoted \"beta(2, 2)\"");
    CHECK(st == RP_OK && asian->level_prob[1][0] == 0.25 && asian->level_prob[1][2] == 0.75,
          "point 3: asian language is the mapping {english: 0.25, other: 0.75}");
    CHECK(st == RP_OK && p.culture.dims[2].weight == 0.9, "culture.dimensions.class.weight addresses by name");
    CHECK(st == RP_OK && p.discussion.policy == RP_DISCUSS_DELAYED && p.discussion.week == 7,
          "a section value merges key by key (policy delayed, the file's week 7 kept)");
    CHECK(strcmp(rp_plan_value_text(plan, 3, 1), "{english: 0.25, other: 0.75}") == 0 &&
              strcmp(rp_plan_value_text(plan, 1, 0), "beta(3, 5)") == 0,
          "a collection's value text is flow YAML ('%s')", rp_plan_value_text(plan, 3, 1));
    drop(plan, sc);
}

/* ---- lhs and sobol ---- */

#define LHS_N 7
static const char lhs_yaml[] = "sweep:\n"
                               "  lhs:\n"
                               "    samples: 7\n"
                               "    ranges: {trust.rate: [0.05, 0.3], discussion.effect: [0.2, 0.9]}\n";

static bool same_values(const rp_plan *a, const rp_plan *b)
{
    const char *const *names;
    int axes = rp_plan_axes(a, &names);
    if (rp_plan_points(a) != rp_plan_points(b) || axes != rp_plan_axes(b, &names))
        return false;
    for (int64_t p = 0; p < rp_plan_points(a); p++)
        for (int x = 0; x < axes; x++) {
            double va = rp_plan_value(a, p, x), vb = rp_plan_value(b, p, x);
            if ((isnan(va) ? !isnan(vb) : va != vb) || strcmp(rp_plan_value_text(a, p, x), rp_plan_value_text(b, p, x)))
                return false;
        }
    return true;
}

static void test_lhs(void)
{
    rp_error err = {{0}};
    rp_scenario *sc, *sc2, *sc3;
    char text[1024];
    snprintf(text, sizeof text, BASE "%s", lhs_yaml);
    rp_plan *plan = plan_of(text, &sc, &err);
    CHECK(plan && rp_plan_points(plan) == LHS_N, "lhs: 7 points: %s", plan ? "" : err.msg);
    if (!plan)
        return;
    static const double lo[] = {0.05, 0.2}, hi[] = {0.3, 0.9};
    for (int d = 0; d < 2; d++) {
        int hits[LHS_N] = {0};
        bool inside = true;
        for (int p = 0; p < LHS_N; p++) {
            double v = rp_plan_value(plan, p, d);
            int stratum = (int)floor((v - lo[d]) / (hi[d] - lo[d]) * LHS_N);
            inside = inside && v >= lo[d] && v <= hi[d];
            if (stratum >= 0 && stratum < LHS_N)
                hits[stratum]++;
            inside = inside && strtod(rp_plan_value_text(plan, p, d), NULL) == v;
        }
        bool once = true;
        for (int s = 0; s < LHS_N; s++)
            once = once && hits[s] == 1;
        CHECK(once, "lhs: every one of the 7 strata of dimension %d holds exactly one point", d);
        CHECK(inside, "lhs: values of dimension %d inside [%g, %g], their text reads back exactly", d, lo[d], hi[d]);
    }
    rp_params p;
    CHECK(rp_plan_params(plan, 4, &p, &err) == RP_OK && p.trust.rate == rp_plan_value(plan, 4, 0) &&
              p.discussion.effect == rp_plan_value(plan, 4, 1),
          "lhs: point 4's parameters carry its sampled values exactly");
    rp_plan *again = plan_of(text, &sc2, &err);
    CHECK(again && same_values(plan, again), "lhs: the same scenario gives the same plan, bit for bit");
    snprintf(text, sizeof text, "seed: 20222\npatients:\n  count: 27\n%s", lhs_yaml);
    rp_plan *other = plan_of(text, &sc3, &err);
    CHECK(other && !same_values(plan, other), "lhs: another seed gives another plan");
    drop(plan, sc);
    drop(again, sc2);
    drop(other, sc3);
}

static void test_sobol(void)
{
    rp_error err = {{0}};
    rp_scenario *sc;
    rp_plan *plan = plan_of(BASE "sweep:\n"
                                 "  sobol:\n"
                                 "    samples: 4\n"
                                 "    ranges: {trust.rate: [0.05, 0.3], discussion.effect: [0.2, 0.9]}\n",
                            &sc, &err);
    CHECK(plan && rp_plan_points(plan) == 4, "sobol: 4 points: %s", plan ? "" : err.msg);
    if (!plan)
        return;
    /* GSL's first four 2-D points, mapped: 0.05 + 0.25 x, 0.2 + 0.7 y */
    static const double x[] = {0.5, 0.75, 0.25, 0.375}, y[] = {0.5, 0.25, 0.75, 0.375};
    for (int p = 0; p < 4; p++) {
        CHECK_NEAR(rp_plan_value(plan, p, 0), 0.05 + 0.25 * x[p], 1e-15, "sobol point %d: trust.rate", p);
        CHECK_NEAR(rp_plan_value(plan, p, 1), 0.2 + 0.7 * y[p], 1e-15, "sobol point %d: discussion.effect", p);
    }
    drop(plan, sc);
}

static void test_saltelli(void)
{
    rp_error err = {{0}};
    rp_scenario *sc;
    rp_plan *plan = plan_of(BASE "sweep:\n"
                                 "  sobol:\n"
                                 "    samples: 4\n"
                                 "    saltelli: true\n"
                                 "    ranges: {trust.rate: [0.05, 0.3], discussion.effect: [0.2, 0.9]}\n",
                            &sc, &err);
    CHECK(plan && rp_plan_points(plan) == 16, "saltelli k = 2, N = 4: N (k + 2) = 16 points: %s",
          plan ? "" : err.msg);
    if (!plan)
        return;
    bool labels = true, rows = true;
    for (int p = 0; p < 16; p++) {
        int j, m, ja, ma;
        rp_plan_saltelli(plan, p, &j, &m);
        labels = labels && j == p / 4 && m == p % 4;
        rp_plan_saltelli(plan, 4 * j, &ja, &ma);
        /* A_j, B_j, AB^(1) (column 0 from B), AB^(2) (column 1 from B) */
        const int a = 4 * j, b = 4 * j + 1;
        for (int c = 0; c < 2; c++) {
            int from = m == 0 ? a : m == 1 ? b : (m - 2 == c ? b : a);
            rows = rows && rp_plan_value(plan, p, c) == rp_plan_value(plan, from, c);
        }
    }
    CHECK(labels, "saltelli: point 4j + m is sample j, matrix m (0 A, 1 B, 1 + i AB^(i))");
    CHECK(rows, "saltelli: AB^(i) is A with column i taken from B");
    /* GSL's 4-D points 1-3, (0.5, 0.5 | 0.5, 0.5), (0.75, 0.25 | 0.75, 0.25)
     * and (0.25, 0.75 | 0.25, 0.75), have A = B and are skipped: sample 0 is
     * point 4, (0.375, 0.375 | 0.625, 0.125), sample 1 point 5,
     * (0.875, 0.875 | 0.125, 0.625) */
    static const double want[2][4][2] = {{{0.375, 0.375}, {0.625, 0.125}, {0.625, 0.375}, {0.375, 0.125}},
                                         {{0.875, 0.875}, {0.125, 0.625}, {0.125, 0.875}, {0.875, 0.625}}};
    for (int j = 0; j < 2; j++)
        for (int m = 0; m < 4; m++) {
            CHECK_NEAR(rp_plan_value(plan, 4 * j + m, 0), 0.05 + 0.25 * want[j][m][0], 1e-15,
                       "saltelli sample %d, matrix %d: trust.rate", j, m);
            CHECK_NEAR(rp_plan_value(plan, 4 * j + m, 1), 0.2 + 0.7 * want[j][m][1], 1e-15,
                       "saltelli sample %d, matrix %d: discussion.effect", j, m);
        }
    bool distinct = true; /* no sample whose k + 2 points are one */
    for (int j = 0; j < 4; j++)
        distinct = distinct && (rp_plan_value(plan, 4 * j, 0) != rp_plan_value(plan, 4 * j + 1, 0) ||
                                rp_plan_value(plan, 4 * j, 1) != rp_plan_value(plan, 4 * j + 1, 1));
    CHECK(distinct, "saltelli: no sample has A_j = B_j (the degenerate leading points are skipped)");
    char *text = show(sc, plan);
    CHECK(text && strstr(text, "# point 2: trust.rate=0.20625 discussion.effect=0.46249999999999997 "
                               "(Saltelli sample 0, AB^(1))"),
          "show lists a Saltelli point with its sample and matrix: %s", text ? strstr(text, "# point 2:") : "");
    free(text);
    drop(plan, sc);
}

/* ---- runs, streams, id, show ---- */

static void test_runs(void)
{
    rp_error err = {{0}};
    rp_scenario *sc, *sc2;
    rp_plan *common = plan_of(BASE "replicates: 3\nsweep:\n  grid: {trust.rate: [0.1, 0.2, 0.3, 0.4]}\n", &sc, &err);
    rp_plan *indep = plan_of(BASE "replicates: 3\nsweep:\n  streams: independent\n"
                                  "  grid: {trust.rate: [0.1, 0.2, 0.3, 0.4]}\n",
                             &sc2, &err);
    CHECK(common && indep && rp_plan_runs(common) == 12 && rp_plan_replicates(indep) == 3,
          "runs: 4 points x 3 replicates = 12 runs: %s", err.msg);
    if (common && indep) {
        bool ok = true;
        for (int64_t r = 0; r < 12; r++) {
            int64_t point, p2;
            uint64_t rep, stream, r2, s2;
            rp_plan_run(common, r, &point, &rep, &stream);
            rp_plan_run(indep, r, &p2, &r2, &s2);
            ok = ok && point == r / 3 && rep == (uint64_t)(r % 3) && stream == rep && p2 == point && r2 == rep &&
                 s2 == ((uint64_t)point + 1) * 4294967296u + rep;
        }
        CHECK(ok, "runs: run r is point r / 3, replicate r %% 3; stream = replicate (common), (point + 1) 2^32 + "
                  "replicate (independent)");
        int64_t point;
        uint64_t stream;
        rp_plan_run(indep, 7, &point, NULL, &stream);
        CHECK(point == 2 && stream == 12884901889u, "run 7 of independent: point 2, stream 3 x 2^32 + 1");
    }
    drop(common, sc);
    drop(indep, sc2);

    rp_plan *one = plan_of(BASE, &sc, &err);
    CHECK(one && rp_plan_points(one) == 1 && rp_plan_runs(one) == 1, "no sweep: one point, one run");
    if (one) {
        rp_params p;
        const char *const *names;
        CHECK(rp_plan_axes(one, &names) == 0 && rp_plan_params(one, 0, &p, &err) == RP_OK &&
                  memcmp(&p, rp_scenario_params(sc), sizeof p) == 0,
              "no sweep: no axes, and point 0 is the scenario itself");
    }
    drop(one, sc);
}

static void test_id_and_show(void)
{
    rp_error err = {{0}};
    rp_scenario *sc, *sc2, *sc3, *sc4;
    static const char text[] = BASE "replicates: 2\n"
                                    "sweep:\n"
                                    "  grid:\n"
                                    "    discussion.policy: [never, intake]\n"
                                    "    patients.groups.latinx.mistrust:\n"
                                    "      - beta(3, 5)\n"
                                    "      - \"beta(2, 2)\"\n"
                                    "  zip:\n"
                                    "    - {dropout.base: [-8, -7], dropout.early: [4, 3]}\n"
                                    "  lhs: {samples: 3, ranges: {trust.rate: [0.05, 0.3]}}\n";
    rp_plan *plan = plan_of(text, &sc, &err), *again = plan_of(text, &sc2, &err);
    CHECK(plan && again && rp_plan_id(plan) == rp_plan_id(again), "plan id: the same for the same scenario");
    rp_plan *changed = plan_of(BASE "replicates: 2\n"
                                    "sweep:\n"
                                    "  grid:\n"
                                    "    discussion.policy: [never, intake]\n"
                                    "    patients.groups.latinx.mistrust:\n"
                                    "      - beta(3, 5)\n"
                                    "      - \"beta(2, 3)\"\n"
                                    "  zip:\n"
                                    "    - {dropout.base: [-8, -7], dropout.early: [4, 3]}\n"
                                    "  lhs: {samples: 3, ranges: {trust.rate: [0.05, 0.3]}}\n",
                               &sc3, &err);
    CHECK(plan && changed && rp_plan_id(plan) != rp_plan_id(changed), "plan id: changes with one swept value");
    drop(again, sc2);
    drop(changed, sc3);
    if (!plan)
        return;

    /* show, then show the shown file: the same scenario, plan and id */
    char *shown = show(sc, plan);
    rp_plan *back = shown ? plan_of(shown, &sc4, &err) : NULL;
    CHECK(back != NULL, "show: its output is a valid scenario with a valid sweep: %s", back ? "" : err.msg);
    if (back) {
        CHECK(memcmp(rp_scenario_params(sc4), rp_scenario_params(sc), sizeof(rp_params)) == 0,
              "show: re-reading it gives the same parameters");
        CHECK(rp_plan_id(back) == rp_plan_id(plan) && same_values(plan, back),
              "show: re-reading it gives the same plan and id (%016llx, %016llx)",
              (unsigned long long)rp_plan_id(back), (unsigned long long)rp_plan_id(plan));
        char *twice = show(sc4, back);
        const char *a = shown ? strchr(shown, '\n') : NULL, *b = twice ? strchr(twice, '\n') : NULL;
        CHECK(a && b && strcmp(a, b) == 0, "show of show is the same (after the first line)");
        free(twice);
        drop(back, sc4);
    }
    CHECK(shown && strstr(shown, "replicates: 2") && strstr(shown, "  streams: common") &&
              strstr(shown, "    discussion.policy: [never, intake]\n") &&
              strstr(shown, "    patients.groups.latinx.mistrust:\n      - beta(3, 5)\n      - \"beta(2, 2)\"\n") &&
              strstr(shown, "    - dropout.base: [-8, -7]\n      dropout.early: [4, 3]\n") &&
              strstr(shown, "# plan: 24 points x 2 replicates = 48 runs\n") &&
              strstr(shown, "# point 0: discussion.policy=never patients.groups.latinx.mistrust=beta(3, 5) "
                            "dropout.base=-8 dropout.early=4 trust.rate="),
          "show writes replicates, the sweep section and the plan");
    free(shown);
    drop(plan, sc);
}

/* The scenario is not changed by resolving overrides, and the overrides of a
 * text value are located where the caller says. */
static void test_resolve_with(void)
{
    rp_error err = {{0}};
    rp_scenario *sc = load(BASE, &err);
    if (!sc)
        return;
    rp_params before = *rp_scenario_params(sc), p;
    char *text_before = show(sc, NULL);
    rp_override ov[] = {{.key = "trust.rate", .text = "0.25", .where = "x.yaml:3:4", .context = "ctx"},
                        {.key = "horizon", .text = "40", .where = "x.yaml:5:6", .context = "ctx"}};
    int st = rp_scenario_resolve_with(sc, 2, ov, &p, &err);
    CHECK(st == RP_OK && p.trust.rate == 0.25 && p.horizon == 40, "resolve_with: text overrides apply");
    char *text_after = show(sc, NULL);
    CHECK(memcmp(&before, rp_scenario_params(sc), sizeof before) == 0 && text_before && text_after &&
              strcmp(text_before, text_after) == 0,
          "resolve_with: the scenario's parameters and tree are unchanged");
    ov[1].text = "0";
    st = rp_scenario_resolve_with(sc, 2, ov, &p, &err);
    CHECK(st == RP_EINVAL && strcmp(err.msg, "x.yaml:5:6: error: ctx.horizon: expected a whole number in [1, 1040], "
                                             "got '0' (out of range)") == 0,
          "resolve_with: an invalid text value is located at its where, named with its context: %s", err.msg);
    ov[1].key = "horizn";
    st = rp_scenario_resolve_with(sc, 2, ov, &p, &err);
    CHECK(st == RP_EINVAL && strstr(err.msg, "x.yaml:5:6: error: ctx: unknown parameter 'horizn'; did you mean "
                                             "'horizon'?"),
          "resolve_with: an unknown key is refused: %s", err.msg);
    free(text_before);
    free(text_after);
    rp_scenario_free(sc);
}

/* ---- points made field by field ---- */

/* Every point of plan made both ways, compared byte for byte. */
static int same_both_ways(const rp_plan *plan, const char *what)
{
    rp_error err = {{0}};
    rp_params *a = calloc(1, sizeof *a), *b = calloc(1, sizeof *b);
    int bad = 0;
    for (int64_t pt = 0; a && b && pt < rp_plan_points(plan) && !bad; pt++) {
        int sa = rp_plan_params(plan, pt, a, &err), sb = rp_plan_resolve(plan, pt, b, &err);
        bad = sa != RP_OK || sb != RP_OK || memcmp(a, b, sizeof *a) != 0;
        CHECK(!bad, "%s: point %lld set field by field equals the point resolved as written (%d %d)", what,
              (long long)pt, sa, sb);
    }
    free(a);
    free(b);
    return !bad;
}

/* One axis of every kind of row: int, int64, uint64, double, prob, enum,
 * flags, dist (a group key), name, a group's share (zipped to sum to 1), a
 * dimension's weight, a group's categorical dimension (a level name) and
 * continuous one, a section given a mapping; and providers.count, computed
 * from patients.count, recomputed at each point. */
static void test_apply(void)
{
    static const char yaml[] = BASE
        "sweep:\n"
        "  grid:\n"
        "    patients.count: [27, 300]\n"
        "    discussion.policy: [never, responsive]\n"
        "  zip:\n"
        "    - horizon: [26, 40, 30]\n"
        "      seed: [1, 18446744073709551615, 7]\n"
        "      trust.rate: [0.1, 0.25, 1e-3]\n"
        "      output.sample: [1/2, 0.25, 1]\n"
        "      output.variables: [none, \"A,T\", all]\n"
        "      patients.groups.latinx.mistrust: [\"beta(2, 3)\", 0.4, \"beta(4, 5)\"]\n"
        "      assignment.match_on: [language, ethnoracial, language]\n"
        "      culture.dimensions.language.weight: [0.9, 0.6, 2]\n"
        "      patients.groups.latinx.language: [spanish, english, other]\n"
        "      patients.groups.white.class: [0.5, \"beta(2, 2)\", 0]\n"
        "      providers: [{caseload: 10}, {caseload: 300}, {caseload: 20}]\n"
        "    - patients.groups.white.share: [3/27, 2/27]\n"
        "      patients.groups.latinx.share: [13/27, 14/27]\n";
    rp_error err = {{0}};
    rp_scenario *sc = load(yaml, &err);
    rp_plan *plan = NULL;
    CHECK(sc && rp_plan_create(sc, &plan, &err) == RP_OK, "apply: the plan of every row type: %s", err.msg);
    if (!plan) {
        rp_scenario_free(sc);
        return;
    }
    CHECK(rp_plan_typed(plan), "apply: a plan of scalars and a section's mapping is made field by field");
    CHECK(rp_plan_points(plan) == 24, "apply: 2 x 2 x 3 x 2 points (%lld)", (long long)rp_plan_points(plan));
    same_both_ways(plan, "apply");
    rp_params *p = malloc(sizeof *p);
    /* point 13: patients.count 300, policy never, zip 1 (value 2), shares zip 0... */
    const int64_t pt = 1 * 12 + 0 * 6 + 1 * 2 + 1; /* 300, never, zip value 1, shares value 1 */
    if (p && rp_plan_params(plan, pt, p, &err) == RP_OK) {
        CHECK(p->patients.count == 300 && p->providers.caseload == 300 && p->providers.count == 1,
              "apply: providers.count recomputed from patients.count and caseload (%lld)",
              (long long)p->providers.count);
        CHECK(p->horizon == 40 && p->seed == 18446744073709551615u && p->trust.rate == 0.25 &&
                  p->output.sample == 0.25 && p->assignment.match_dim == 0 &&
                  p->patients.groups[1].mistrust.kind == RP_DIST_FIXED && p->patients.groups[1].mistrust.a == 0.4 &&
                  p->patients.groups[0].share == 2.0 / 27,
              "apply: the values of point %lld are in their fields", (long long)pt);
    }
    rp_plan_params(plan, 0, p, &err);
    CHECK(p && p->providers.count == 3 && p->assignment.match_dim == 1,
          "apply: point 0: providers.count = ceil(27 / 10), match_on language is dimension 1");
    free(p);
    rp_plan_free(plan);
    rp_scenario_free(sc);
    /* providers.count swept: the computed default must not replace it */
    sc = load(BASE "sweep:\n  grid:\n    providers.count: [3, 4]\n", &err);
    plan = NULL;
    CHECK(sc && rp_plan_create(sc, &plan, &err) == RP_OK && rp_plan_typed(plan), "apply: providers.count: %s",
          err.msg);
    if (plan)
        same_both_ways(plan, "apply, providers.count swept");
    p = malloc(sizeof *p);
    CHECK(plan && p && rp_plan_params(plan, 1, p, &err) == RP_OK && p->providers.count == 4,
          "apply: a swept providers.count is kept (not computed from patients.count)");
    free(p);
    rp_plan_free(plan);
    rp_scenario_free(sc);
    /* a collection that is not a section's mapping: resolved as written */
    sc = load(BASE "sweep:\n  grid:\n    patients.groups.latinx.language:\n      - {english: 0.5, spanish: 0.5}\n"
                   "      - spanish\n", &err);
    plan = NULL;
    CHECK(sc && rp_plan_create(sc, &plan, &err) == RP_OK && !rp_plan_typed(plan),
          "apply: a level mapping makes the plan resolve its points: %s", err.msg);
    if (plan)
        same_both_ways(plan, "apply, resolved");
    rp_plan_free(plan);
    rp_scenario_free(sc);
}

/* A large plan checks 4096 points and 4096 more spread evenly at creation;
 * a point left unchecked that is invalid across values (the caseload, the
 * shares) is refused when made, with the message resolution gives, located.
 * head: the scenario up to the grid's key; good and bad: the values. */
static void unchecked_point(const char *head, const char *good, const char *bad_value, const char *want)
{
    const int n = 8200, bad = 4097; /* checked: 0..4095, then 4096, 4098, ... (step 2) */
    size_t size = strlen(head) + 16 + (size_t)n * (strlen(good) + strlen(bad_value) + 2);
    char *yaml = malloc(size);
    if (!yaml)
        return;
    int used = snprintf(yaml, size, "%s[", head);
    for (int i = 0; i < n; i++)
        used += snprintf(yaml + used, size - (size_t)used, "%s%s", i ? "," : "", i == bad ? bad_value : good);
    snprintf(yaml + used, size - (size_t)used, "]\n");
    rp_error err = {{0}}, err2 = {{0}};
    rp_scenario *sc = load(yaml, &err);
    rp_plan *plan = NULL;
    CHECK(sc && rp_plan_create(sc, &plan, &err) == RP_OK && rp_plan_typed(plan),
          "apply: a large plan with an unchecked invalid point is created: %s", err.msg);
    rp_params *p = malloc(sizeof *p);
    if (plan && p) {
        int st = rp_plan_params(plan, bad, p, &err), st2 = rp_plan_resolve(plan, bad, p, &err2);
        CHECK(st == RP_EINVAL && st2 == RP_EINVAL && strcmp(err.msg, err2.msg) == 0 && strstr(err.msg, want),
              "apply: the unchecked invalid point is refused, located as resolution locates it: %s", err.msg);
        CHECK(rp_plan_params(plan, bad + 1, p, &err) == RP_OK, "apply: the next point is made");
    }
    free(p);
    free(yaml);
    rp_plan_free(plan);
    rp_scenario_free(sc);
}

static void test_apply_unchecked(void)
{
    unchecked_point("seed: 1\npatients:\n  count: 50\nproviders:\n  count: 5\n  caseload: 20\n"
                    "sweep:\n  grid:\n    patients.count: ", "50", "500",
                    "s.yaml:5:10: error: providers: total caseload 5 x 20 = 100 is below patients.count 500");
    unchecked_point(BASE "sweep:\n  grid:\n    patients.groups.white.share: ", "2/27", "1",
                    "error: sweep.grid.patients.groups: shares sum to");
}

/* The time of rp_plan_params per point, field by field and resolved as
 * written (printed, not asserted). */
static void time_params(void)
{
    rp_error err = {{0}};
    rp_scenario *sc = load(BASE "sweep:\n  grid:\n    trust.rate: [0.1, 0.2, 0.3, 0.4]\n"
                                "    discussion.policy: [never, intake, delayed, responsive]\n"
                                "    patients.count: [27, 54, 81, 108, 135]\n", &err);
    rp_plan *plan = NULL;
    rp_params *p = malloc(sizeof *p);
    if (!sc || !p || rp_plan_create(sc, &plan, &err) != RP_OK) {
        CHECK(0, "time: plan: %s", err.msg);
        free(p);
        rp_scenario_free(sc);
        return;
    }
    double t[2];
    for (int way = 0; way < 2; way++) {
        struct timespec a, b;
        int st = RP_OK;
        clock_gettime(CLOCK_MONOTONIC, &a);
        for (int rep = 0; rep < 50; rep++)
            for (int64_t pt = 0; pt < rp_plan_points(plan) && !st; pt++)
                st = way ? rp_plan_resolve(plan, pt, p, &err) : rp_plan_params(plan, pt, p, &err);
        clock_gettime(CLOCK_MONOTONIC, &b);
        t[way] = ((double)(b.tv_sec - a.tv_sec) + 1e-9 * (double)(b.tv_nsec - a.tv_nsec)) / 50 /
                 (double)rp_plan_points(plan) * 1e6;
        CHECK(st == RP_OK, "time: every point made");
    }
    printf("# rp_plan_params: %.2f us a point field by field, %.2f us resolved as written\n", t[0], t[1]);
    free(p);
    rp_plan_free(plan);
    rp_scenario_free(sc);
}

/* ---- errors ---- */

static void test_errors(void)
{
    static const struct {
        const char *yaml, *want;
    } cases[] = {
        {BASE "sweep:\n  grid:\n    discussion.policy: [never, intake, sometimes]\n",
         "s.yaml:6:40: error: sweep.grid.discussion.policy: expected one of never, intake, delayed, responsive, got "
         "'sometimes'"},
        {BASE "sweep:\n  grid: {}\n", "s.yaml:5:9: error: sweep.grid: no axes; expected at least one KEY: [VALUE, ...]"},
        {BASE "sweep:\n  zip: []\n", "s.yaml:5:8: error: sweep.zip: no zips"},
        {BASE "sweep:\n  zip: [{trust.rate: 0.1}]\n",
         "s.yaml:5:22: error: sweep.zip[1].trust.rate: expected a list of values"},
        {BASE "sweep:\n  lhs: {ranges: {trust.rate: [0.1, 0.2]}}\n", "s.yaml:5:8: error: sweep.lhs: missing samples"},
        {BASE "sweep:\n  lhs: {samples: 3}\n", "s.yaml:5:8: error: sweep.lhs: missing ranges"},
        {BASE "sweep:\n  lhs: {sample: 3}\n", "s.yaml:5:9: error: sweep.lhs: unknown key 'sample'; did you mean "
                                              "'samples'?"},
        {BASE "sweep:\n  sobol: {samples: 3, saltelli: yes, ranges: {trust.rate: [0.1, 0.2]}}\n",
         "s.yaml:5:33: error: sweep.sobol.saltelli: expected one of false, true, got 'yes'"},
        {BASE "sweep:\n  lhs: {samples: 3, ranges: {trust.rate: [0.1]}}\n",
         "s.yaml:5:42: error: sweep.lhs.ranges.trust.rate: expected [lo, hi], two numbers"},
        {BASE "sweep:\n  lhs: {samples: 3, ranges: {patients.groups.latinx: [0.1, 0.2]}}\n",
         "sweep.lhs.ranges: 'patients.groups.latinx' takes a collection of values, not a real number"},
        {BASE "sweep:\n  grid: {trust.rate.x: [1]}\n",
         "s.yaml:5:10: error: sweep.grid: 'trust.rate' is a single value and has no key 'x'"},
        {BASE "sweep:\n  grid: {patients.groups.latinx.share.x: [1]}\n", "goes deeper than"},
        {BASE "sweep:\n  grid: {patients.groups.latinx.humility: [0.5]}\n",
         "sweep.grid: unknown key 'humility' of patients.groups.latinx"},
        {BASE "sweep:\n  grid: {discussion: [1]}\n", "s.yaml:5:23: error: sweep.grid.discussion: expected a mapping"},
        {BASE "sweep:\n  grid:\n    discussion: [{policy: delayed}]\n    discussion.week: [3]\n",
         "s.yaml:7:5: error: sweep.grid: 'discussion.week' overlaps 'discussion', swept by sweep.grid at s.yaml:6:5"},
        {BASE "sweep:\n  lhs: {samples: 3, ranges: {symptoms.recovered: [1, 40]}}\n",
         "s.yaml:5:50: error: sweep.lhs.ranges.symptoms: recovered ("},
        /* axes over a distribution's mean and sd (test_moment_axes) */
        {BASE "sweep:\n  grid:\n    patients.groups.black.mistrust.sd: [0.1, 0.499]\n",
         "s.yaml:6:46: error: sweep.grid.patients.groups.black.mistrust.sd: sd 0.499 of beta(5, 4) (mean 0.555556) "
         "makes a + b"},
        {BASE "sweep:\n  lhs: {samples: 3, ranges: {patients.groups.black.mistrust.mean: [0.2, 1.5]}}\n",
         "s.yaml:5:73: error: sweep.lhs.ranges.patients.groups.black.mistrust.mean: expected a number in [0, 1], got "
         "'1.5'"},
        {BASE "sweep:\n  lhs: {samples: 3, ranges: {patients.groups.black.language.mean: [0.2, 0.5]}}\n",
         "s.yaml:5:30: error: sweep.lhs.ranges: 'patients.groups.black.language' is not a distribution"},
        {BASE "sweep:\n  grid: {patients.groups.black.mistrust: [0.5]}\n"
              "  lhs: {samples: 3, ranges: {patients.groups.black.mistrust.mean: [0.2, 0.5]}}\n",
         "'patients.groups.black.mistrust.mean' overlaps 'patients.groups.black.mistrust'"},
        {BASE "sweep:\n  grid: {patients.groups.black.mistrust: [0.5]}\n"
              "  zip: [{patients.groups.black.mistrust.sd: [0.1]}]\n",
         "overlaps 'patients.groups.black.mistrust'"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        rp_error err = {{0}};
        int st = plan_error(cases[i].yaml, &err);
        CHECK(st == RP_EINVAL && strstr(err.msg, cases[i].want), "sweep error %zu: '%s' (got '%s')", i, cases[i].want,
              err.msg);
    }
}

/* ---- axes over a distribution's mean and sd ---- */

static double beta_mean(rp_dist d) { return d.a / (d.a + d.b); }
static double beta_sd(rp_dist d) { return sqrt(d.a * d.b / ((d.a + d.b) * (d.a + d.b) * (d.a + d.b + 1))); }

/* The plan of text with --set sets (NULL-terminated). */
static rp_plan *plan_with(const char *text, const char *const *sets, rp_scenario **sc, rp_error *err)
{
    rp_plan *plan = NULL;
    int st = rp_scenario_load_string("s.yaml", text, sc, err);
    for (int i = 0; !st && sets[i]; i++)
        st = rp_scenario_set(*sc, sets[i], err);
    if (!st)
        st = rp_scenario_resolve(*sc, err);
    if (!st)
        st = rp_plan_create(*sc, &plan, err);
    if (st) {
        rp_scenario_free(*sc);
        *sc = NULL;
    }
    return plan;
}

static void test_moment_axes(void)
{
    rp_error err = {{0}};
    rp_scenario *sc;
    rp_params p, q;
    /* black mistrust is beta(5, 4) in the reference population (index 2) */
    rp_plan *plan = plan_of(BASE "sweep:\n  lhs:\n    samples: 5\n    ranges:\n"
                                 "      patients.groups.black.mistrust.mean: [0.2, 0.5]\n"
                                 "      patients.groups.black.mistrust.sd: [0.05, 0.15]\n",
                            &sc, &err);
    CHECK(plan && rp_plan_points(plan) == 5 && !rp_plan_typed(plan), "moment axes: lhs of 5 points, resolved as "
          "written: %s", plan ? "" : err.msg);
    const char *const *names;
    CHECK(plan && rp_plan_axes(plan, &names) == 2 && strcmp(names[0], "patients.groups.black.mistrust.mean") == 0 &&
              strcmp(names[1], "patients.groups.black.mistrust.sd") == 0,
          "moment axes: the axes are named by KEY.mean and KEY.sd");
    for (int i = 0; plan && i < 5; i++) {
        const bool ok = rp_plan_params(plan, i, &p, &err) == RP_OK && rp_plan_resolve(plan, i, &q, &err) == RP_OK;
        const rp_dist d = p.patients.groups[2].mistrust;
        CHECK(ok && d.kind == RP_DIST_BETA && strcmp(p.patients.groups[2].name, "black") == 0 &&
                  memcmp(&p, &q, sizeof p) == 0, "moment axes: point %d resolves, the same both ways", i);
        CHECK_NEAR(beta_mean(d), rp_plan_value(plan, i, 0), 1e-12, "moment axes: point %d has its mean", i);
        CHECK_NEAR(beta_sd(d), rp_plan_value(plan, i, 1), 1e-12, "moment axes: point %d has its sd", i);
        CHECK(memcmp(&p.patients.groups[1], &rp_scenario_params(sc)->patients.groups[1], sizeof(rp_group)) == 0,
              "moment axes: point %d leaves the other groups as they are", i);
    }
    drop(plan, sc);

    /* a grid: gamma(2, 0.05) by its mean (shape kept), normal(15, 4) by its sd */
    plan = plan_of(BASE "sweep:\n  grid:\n    patients.groups.black.stressor_rate.mean: [0.1, 0.2]\n"
                        "    patients.groups.black.symptoms.sd: [3, 5]\n", &sc, &err);
    CHECK(plan && rp_plan_points(plan) == 4 && rp_plan_params(plan, 3, &p, &err) == RP_OK &&
              p.patients.groups[2].stressor_rate.a == 2 && p.patients.groups[2].stressor_rate.b == 0.1 &&
              p.patients.groups[2].symptoms.a == 15 && p.patients.groups[2].symptoms.b == 5,
          "moment axes: grid point 3 has gamma(2, 0.1) and normal(15, 5): %s", plan ? "" : err.msg);
    drop(plan, sc);

    /* with --set: the means first, then the sds, --set's and the sweep's
     * together, so that the point has the swept mean and --set's sd (a + b =
     * 0.21 / 0.01 - 1 = 20); a sweep's whole value replaces --set's change */
    plan = plan_with(BASE "sweep:\n  grid:\n    patients.groups.black.mistrust.mean: [0.3]\n",
                     (const char *const[]){"patients.groups.black.mistrust.sd=0.1", NULL}, &sc, &err);
    CHECK(plan && rp_plan_params(plan, 0, &p, &err) == RP_OK, "moment axes: --set sd, swept mean: %s", err.msg);
    CHECK_NEAR(plan ? p.patients.groups[2].mistrust.a : NAN, 6, 1e-12, "moment axes: --set sd, swept mean: a = 0.3 x 20");
    CHECK_NEAR(plan ? p.patients.groups[2].mistrust.b : NAN, 14, 1e-12, "moment axes: --set sd, swept mean: b = 0.7 x 20");
    drop(plan, sc);
    plan = plan_with(BASE "sweep:\n  grid:\n    patients.groups.black.mistrust: [\"beta(1, 2)\"]\n",
                     (const char *const[]){"patients.groups.black.mistrust.mean=0.3", NULL}, &sc, &err);
    CHECK(plan && rp_plan_typed(plan) && rp_plan_params(plan, 0, &p, &err) == RP_OK &&
              rp_plan_resolve(plan, 0, &q, &err) == RP_OK && memcmp(&p, &q, sizeof p) == 0 &&
              p.patients.groups[2].mistrust.a == 1 && p.patients.groups[2].mistrust.b == 2,
          "moment axes: a swept distribution replaces --set's mean, on both paths: %s", plan ? "" : err.msg);
    CHECK(plan && beta_mean(rp_scenario_params(sc)->patients.groups[2].mistrust) == 0.3,
          "moment axes: the scenario itself has --set's mean");
    drop(plan, sc);
}

/* The sweep cases of the invalid-scenario corpus, through the API: the one
 * line, located, the corpus expects. */
static void test_corpus(void)
{
    char dir[512], path[1024], first[1024];
    snprintf(dir, sizeof dir, "%s/tests/invalid", RP_SOURCE_DIR);
    DIR *d = opendir(dir);
    int seen = 0;
    CHECK(d != NULL, "corpus: %s readable", dir);
    for (struct dirent *e; d && (e = readdir(d));) {
        if (!strstr(e->d_name, "-sweep-") || !strstr(e->d_name, ".yaml"))
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        FILE *f = fopen(path, "rb");
        if (!f || !fgets(first, sizeof first, f))
            first[0] = '\0';
        if (f)
            fclose(f);
        first[strcspn(first, "\n")] = '\0';
        const bool header = strncmp(first, "# expect: ", 10) == 0;
        char want[sizeof path + sizeof first + 2];
        snprintf(want, sizeof want, "%s:%s", path, header ? first + 10 : "(no '# expect: ' line)");
        rp_error err = {{0}};
        rp_scenario *sc = NULL;
        rp_plan *plan = NULL;
        int st = rp_scenario_load(path, &sc, &err);
        if (!st)
            st = rp_scenario_resolve(sc, &err);
        if (!st)
            st = rp_plan_create(sc, &plan, &err);
        CHECK(st == RP_EINVAL && header && strstr(err.msg, want) && !strchr(err.msg, '\n'),
              "corpus %s: %s", e->d_name, err.msg);
        rp_plan_free(plan);
        rp_scenario_free(sc);
        seen++;
    }
    if (d)
        closedir(d);
    CHECK(seen >= 12, "corpus: at least 12 sweep cases (%d)", seen);
}

/* ---- load ---- */

static void test_large_grid(void)
{
    enum { SIDE = 100 };
    size_t size = 4096;
    char *text = malloc(size);
    size_t used = (size_t)snprintf(text, size, BASE "sweep:\n  grid:\n    alliance.rate: [");
    for (int i = 0; i < SIDE; i++)
        used += (size_t)snprintf(text + used, size - used, "%s%.2f", i ? ", " : "", i / 100.0);
    used += (size_t)snprintf(text + used, size - used, "]\n    trust.rate: [");
    for (int i = 0; i < SIDE; i++)
        used += (size_t)snprintf(text + used, size - used, "%s%.2f", i ? ", " : "", i / 100.0);
    snprintf(text + used, size - used, "]\n");
    rp_error err = {{0}};
    rp_scenario *sc = load(text, &err);
    rp_plan *plan = NULL;
    struct timespec t0, t1;
    timespec_get(&t0, TIME_UTC);
    int st = sc ? rp_plan_create(sc, &plan, &err) : RP_EINVAL;
    timespec_get(&t1, TIME_UTC);
    double seconds = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
    CHECK(st == RP_OK && rp_plan_points(plan) == SIDE * SIDE, "a 100 x 100 grid: 10,000 points, all valid: %s",
          st ? err.msg : "");
    printf("TIME creating (validating) the 10,000-point plan: %.3f s (%.1f us a point)\n", seconds,
           1e6 * seconds / (SIDE * SIDE));
    rp_params p;
    CHECK(plan && rp_plan_params(plan, 9999, &p, &err) == RP_OK && p.alliance.rate == 0.99 && p.trust.rate == 0.99,
          "point 9999 is (0.99, 0.99)");
    char *shown = plan ? show(sc, plan) : NULL;
    CHECK(shown && strstr(shown, "# point 999: alliance.rate=0.09 trust.rate=0.99\n# ... and 9000 more\n"),
          "show lists 1000 points, then '... and 9000 more'");
    free(shown);
    drop(plan, sc);
    free(text);
}

int main(void)
{
    test_grid();
    test_zip();
    test_values();
    test_lhs();
    test_sobol();
    test_saltelli();
    test_runs();
    test_id_and_show();
    test_resolve_with();
    test_apply();
    test_apply_unchecked();
    time_params();
    test_errors();
    test_moment_axes();
    test_corpus();
    test_large_grid();
    return rp_test_done();
}
