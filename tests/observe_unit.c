/* observe_unit.c - the observables of model 2 (MODEL-v2.md, Observables),
 * computed by hand: the therapist effect on dropout (rp_observe_dropout_icc)
 * and the repair-outcome r (rp_observe_repair_r); that a summary of model 2
 * holds them and a summary of model 1 (model 0, not set, or 1) does not; and
 * that the file's /runs and /summary columns follow the model version.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "io/output_layout.h"
#include "rapport/engine.h"
#include "rapport/observe.h"
#include "rapport/paramtable.h"
#include "testing.h"

static const double PI2_OVER_3 = 3.28986813369645287294483033; /* pi^2 / 3 */

/* The latent-scale ICC of a between-provider variance s2_b at share pbar. */
static double latent_icc(double s2_b, double pbar)
{
    const double s2_u = s2_b / (pbar * (1 - pbar) * pbar * (1 - pbar));
    return s2_u / (s2_u + PI2_OVER_3);
}

static void test_dropout_icc(void)
{
    int64_t size[5], count[5];
    /* Provider 0: 4 patients, 3 dropped (p = 3/4); 1: 4, none (0); 2: 2, one
     * (1/2); 3: 1 patient, dropped: left out (n_j < 2), of pbar too. Eligible
     * k = 3, N = 10, 4 dropped: pbar = 0.4, pbar (1 - pbar) = 0.24. Mean of
     * the p_j 5/12; deviations 1/3, -5/12, 1/12; squares 42/144; sample
     * variance (k - 1 = 2) 7/48. Binomial term 0.24 mean(1/4, 1/4, 1/2) =
     * 0.08. s2_b = 7/48 - 2/25 = 79/1200; s2_u = s2_b / 0.0576 = 1.14294;
     * ICC = 0.257837. */
    const uint8_t d[] = {1, 1, 1, 0, 0, 0, 0, 0, 1, 0, 1};
    const int64_t cl[] = {0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 3};
    CHECK_NEAR(rp_observe_dropout_icc(11, d, cl, 4, size, count), latent_icc(79.0 / 1200, 0.4), 1e-15,
               "dropout ICC: sample variance over providers with n_j >= 2, singleton left out");
    CHECK_NEAR(rp_observe_dropout_icc(11, d, cl, 4, size, count), 0.2578365289203798, 1e-15,
               "dropout ICC: the same, as a number (0.257837)");
    /* Order of the pairs is irrelevant, and an empty provider too. */
    const uint8_t d2[] = {1, 0, 0, 1, 1, 1, 0, 0, 0, 0, 1};
    const int64_t cl2[] = {3, 1, 2, 0, 0, 0, 1, 1, 0, 1, 2};
    CHECK_NEAR(rp_observe_dropout_icc(11, d2, cl2, 5, size, count), 0.2578365289203798, 1e-15,
               "dropout ICC: pairs in another order, provider 4 without patients");

    /* The max(0, .) branch: p_j 1/2 and 1/4 over 4 patients each; pbar 3/8;
     * Var = 2 (1/8)^2 / 1 = 1/32 below the binomial term (15/64)(1/4) =
     * 15/256: s2_b = 0, ICC = 0 exactly. */
    const uint8_t e[] = {1, 1, 0, 0, 1, 0, 0, 0};
    const int64_t ce[] = {0, 0, 0, 0, 1, 1, 1, 1};
    const double zero = rp_observe_dropout_icc(8, e, ce, 2, size, count);
    CHECK(zero == 0 && !signbit(zero), "dropout ICC: between-provider variance below binomial noise gives 0 (%g)",
          zero);
    /* Just above the binomial term: p_j 1 and 0 over 2 patients each, pbar
     * 1/2: Var = 1/2, binomial (1/4)(1/2) = 1/8, s2_b = 3/8. */
    const uint8_t f[] = {1, 1, 0, 0};
    const int64_t cf[] = {0, 0, 1, 1};
    CHECK_NEAR(rp_observe_dropout_icc(4, f, cf, 2, size, count), latent_icc(3.0 / 8, 0.5), 1e-15,
               "dropout ICC: two providers of 2, all and none dropped (s2_b = 3/8)");

    /* Undefined: fewer than 2 providers with >= 2 patients. */
    const int64_t one[] = {0, 0, 0, 0, 1, 2, 3, 4};
    CHECK(isnan(rp_observe_dropout_icc(8, e, one, 5, size, count)),
          "dropout ICC undefined with one provider of >= 2 patients (the others singletons)");
    CHECK(isnan(rp_observe_dropout_icc(0, e, one, 5, size, count)), "dropout ICC undefined without pairs");
    /* Undefined: pbar 0 or 1 over the eligible providers. */
    const uint8_t none[] = {0, 0, 0, 0, 1}, all[] = {1, 1, 1, 1, 0};
    const int64_t cn[] = {0, 0, 1, 1, 2};
    CHECK(isnan(rp_observe_dropout_icc(5, none, cn, 3, size, count)),
          "dropout ICC undefined when no eligible patient dropped (the singleton's dropout is left out)");
    CHECK(isnan(rp_observe_dropout_icc(5, all, cn, 3, size, count)),
          "dropout ICC undefined when every eligible patient dropped");
}

static void test_repair_r(void)
{
    /* pair: ruptures, repairs, sessions, improvement
     *   0: 2, 1, 5,    4   x = 1/2
     *   1: 1, 1, 3,    6   x = 1     (exactly 3 sessions: in)
     *   2: 4, 0, 10,   1   x = 0
     *   3: 2, 2, 2,  100   left out: 2 sessions
     *   4: 0, 0, 8,  -50   left out: no rupture
     *   5: 4, 1, 4,    2   x = 1/4
     * Over 0, 1, 2, 5: means 7/16 and 13/4; sxy = 2.8125, sxx = 0.546875,
     * syy = 14.75; r = 0.990267. */
    const int32_t rup[] = {2, 1, 4, 2, 0, 4}, rep[] = {1, 1, 0, 2, 0, 1}, ses[] = {5, 3, 10, 2, 8, 4};
    const double imp[] = {4, 6, 1, 100, -50, 2};
    CHECK_NEAR(rp_observe_repair_r(6, rup, rep, ses, imp, NULL, 0), 2.8125 / sqrt(0.546875 * 14.75), 1e-15,
               "repair-outcome r over pairs with >= 1 rupture and >= 3 sessions");
    CHECK_NEAR(rp_observe_repair_r(6, rup, rep, ses, imp, NULL, 0), 0.9902674083052385, 1e-15,
               "repair-outcome r, as a number (0.990267)");
    /* By group: group 0 is pairs 0-2 (x 1/2, 1, 0; y 4, 6, 1: sxy 5/2, sxx
     * 1/2, syy 114/9); group 1 has one eligible pair (5): undefined. */
    const uint8_t grp[] = {0, 0, 0, 1, 1, 1};
    CHECK_NEAR(rp_observe_repair_r(6, rup, rep, ses, imp, grp, 0), 2.5 / sqrt(0.5 * 114.0 / 9), 1e-15,
               "repair-outcome r of one group");
    CHECK(isnan(rp_observe_repair_r(6, rup, rep, ses, imp, grp, 1)),
          "repair-outcome r undefined with fewer than 3 eligible pairs");
    CHECK(isnan(rp_observe_repair_r(6, rup, rep, ses, imp, grp, 2)), "repair-outcome r undefined for no pair");
    CHECK(isnan(rp_observe_repair_r(2, rup, rep, ses, imp, NULL, 0)),
          "repair-outcome r undefined with 2 eligible pairs (r = +-1 whatever they are)");
    /* No eligible pair: ruptures only with < 3 sessions, or none. */
    const int32_t short_ses[] = {2, 2, 1, 2, 8, 0};
    CHECK(isnan(rp_observe_repair_r(6, rup, rep, short_ses, imp, NULL, 0)),
          "repair-outcome r undefined when every pair with a rupture has < 3 sessions");
    /* No variance: every rupture repaired (x = 1), or the same improvement. */
    const int32_t rep_all[] = {2, 1, 4, 2, 0, 4};
    CHECK(isnan(rp_observe_repair_r(6, rup, rep_all, ses, imp, NULL, 0)),
          "repair-outcome r undefined when the share repaired has no variance");
    const double flat[] = {3, 3, 3, 100, -50, 3};
    CHECK(isnan(rp_observe_repair_r(6, rup, rep, ses, flat, NULL, 0)),
          "repair-outcome r undefined when the improvement has no variance");
}

/* The tiny run of test_dropout_icc and test_repair_r as a summary: 11 pairs,
 * two groups, 5 providers. */
static void test_summary(void)
{
    rp_params p;
    memset(&p, 0, sizeof p);
    p.patients.n_groups = 2;
    snprintf(p.patients.groups[0].name, RP_NAME_MAX, "g0");
    snprintf(p.patients.groups[1].name, RP_NAME_MAX, "g1");
    p.report.ambivalence_threshold = 0.5;
    enum { N = 11 };
    const uint8_t d[N] = {1, 1, 1, 0, 0, 0, 0, 0, 1, 0, 1};
    int64_t provider_of[N] = {0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 3};
    uint8_t group[N] = {0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1};
    double s0[N];
    const double dist[N] = {0};
    rp_population pop = {.n_patients = N, .n_providers = 5, .patient_group = group, .symptoms0 = s0};
    rp_outcomes *o = rp_engine_outcomes_alloc(N);
    const int32_t rup[N] = {2, 1, 4, 2, 0, 4, 1, 3, 0, 2, 1}, rep[N] = {1, 1, 0, 2, 0, 1, 0, 1, 0, 2, 1};
    const int32_t ses[N] = {5, 3, 10, 2, 8, 4, 6, 7, 3, 9, 12};
    double imp[N];
    for (int i = 0; i < N; i++) {
        s0[i] = 20;
        imp[i] = (double)((i * 7) % 5) + 0.5 * i;
        o->exit_week[i] = ses[i];
        o->exit_reason[i] = d[i] ? RP_EXIT_DROPPED : RP_EXIT_COURSE;
        o->discussed_week[i] = -1;
        o->ruptures[i] = rup[i];
        o->repairs[i] = rep[i];
        o->symptoms_exit[i] = s0[i] - imp[i];
        o->early_alliance[i] = ses[i] >= 3 ? 0.1 * i : NAN;
        o->trust_report[i] = 0.4;
    }
    int64_t size[5], count[5];
    rp_summary s1, s2, s0sum;
    rp_error err = {{0}};
    p.model = 0;
    int st = rp_observe_summary(&s0sum, &p, &pop, provider_of, dist, o, &err);
    p.model = 1;
    st = st == RP_OK ? rp_observe_summary(&s1, &p, &pop, provider_of, dist, o, &err) : st;
    p.model = 2;
    st = st == RP_OK ? rp_observe_summary(&s2, &p, &pop, provider_of, dist, o, &err) : st;
    CHECK(st == RP_OK, "the summaries of models 0, 1 and 2 are results (%s)", err.msg);
    CHECK(s0sum.model == 1 && s1.model == 1 && s2.model == 2, "a summary's model version: 0 and 1 are 1, 2 is 2");
    CHECK(isnan(s0sum.all.therapist_dropout) && isnan(s0sum.all.repair_outcome_r) &&
              isnan(s1.all.therapist_dropout) && isnan(s1.group[0].repair_outcome_r),
          "a model-1 summary leaves the model-2 observables undefined");
    CHECK(s2.all.therapist_dropout == rp_observe_dropout_icc(N, d, provider_of, 5, size, count) &&
              s2.all.therapist_dropout > 0.25,
          "a model-2 summary's therapist_dropout is rp_observe_dropout_icc over all pairs (%.17g)",
          s2.all.therapist_dropout);
    CHECK(isnan(s2.group[0].therapist_dropout) && isnan(s2.group[1].therapist_dropout),
          "therapist_dropout is measured overall only");
    CHECK(s2.all.repair_outcome_r == rp_observe_repair_r(N, rup, rep, ses, imp, NULL, 0) &&
              s2.group[0].repair_outcome_r == rp_observe_repair_r(N, rup, rep, ses, imp, group, 0) &&
              s2.group[1].repair_outcome_r == rp_observe_repair_r(N, rup, rep, ses, imp, group, 1) &&
              isfinite(s2.group[1].repair_outcome_r),
          "a model-2 summary's repair_outcome_r, overall and by group (%.17g, %.17g, %.17g)",
          s2.all.repair_outcome_r, s2.group[0].repair_outcome_r, s2.group[1].repair_outcome_r);
    /* Every model-1 observable is the same, bit for bit, in both versions. */
    size_t n;
    const rp_observable_def *table = rp_observables_table(&n);
    bool same = true;
    int v2_rows = 0;
    for (size_t k = 0; k < n; k++) {
        v2_rows += !rp_observables_reported(&table[k], 1);
        if (!rp_observables_reported(&table[k], 1))
            continue;
        for (int g = -1; g < 2; g++) {
            const double a = rp_observables_get(g < 0 ? &s1.all : &s1.group[g], &table[k]);
            const double b = rp_observables_get(g < 0 ? &s2.all : &s2.group[g], &table[k]);
            same = same && ((isnan(a) && isnan(b)) || memcmp(&a, &b, sizeof a) == 0);
        }
    }
    CHECK(same && v2_rows == 4, "the model-1 observables are the same in both versions; 4 rows are model 2's");
    rp_engine_outcomes_free(o);
}

/* The assignment's culture by hand: 5 pairs in three groups (the last
 * empty), 3 providers, dimensions race (categorical, 3 levels), language
 * (categorical, 2) and explanatory model (continuous). Matches on the two
 * categorical dimensions, pair by pair: 2, 0, 2, 1, 1 (the continuous one
 * never counts, even when equal: pair 0, 2); overall 6 / (2 x 5), group 0
 * 4 / 6, group 1 2 / 4. The distances are the pairs' given d_ij (not
 * recomputed; dyadic, so every mean below is exact): 0, 1/2, 1/4 | 3/4, 1/2. */
static void test_culture(void)
{
    rp_params p;
    memset(&p, 0, sizeof p);
    p.model = 2;
    p.patients.n_groups = 3;
    for (int g = 0; g < 3; g++)
        snprintf(p.patients.groups[g].name, RP_NAME_MAX, "g%d", g);
    p.report.ambivalence_threshold = 0.5;
    p.culture.n_dims = 3;
    p.culture.dims[0] = (rp_dimension){.name = "race", .kind = RP_DIM_CATEGORICAL, .weight = 1, .n_levels = 3};
    p.culture.dims[1] = (rp_dimension){.name = "language", .kind = RP_DIM_CATEGORICAL, .weight = 1, .n_levels = 2};
    p.culture.dims[2] = (rp_dimension){.name = "explanatory_model", .kind = RP_DIM_CONTINUOUS, .weight = 2};
    enum { N = 5, M = 3 };
    double pc[N * 3] = {0, 0, 0.5, /**/ 0, 1, 0.25, /**/ 2, 1, 1.0, /**/ 1, 0, 0.0, /**/ 1, 1, 0.5};
    double qc[M * 3] = {0, 0, 0.5, /**/ 1, 0, 0.0, /**/ 2, 1, 1.0};
    int64_t provider_of[N] = {0, 1, 2, 0, 2};
    uint8_t group[N] = {0, 0, 0, 1, 1};
    double s0[N] = {20, 20, 20, 20, 20}, dist[N] = {0, 0.5, 0.25, 0.75, 0.5};
    rp_population pop = {.n_patients = N, .n_providers = M, .n_dims = 3, .patient_group = group, .symptoms0 = s0,
                         .patient_culture = pc, .provider_culture = qc};
    rp_outcomes *o = rp_engine_outcomes_alloc(N);
    for (int i = 0; i < N; i++) {
        o->exit_week[i] = 4;
        o->exit_reason[i] = RP_EXIT_COURSE;
        o->discussed_week[i] = -1;
        o->ruptures[i] = o->repairs[i] = 0;
        o->symptoms_exit[i] = 10;
        o->early_alliance[i] = 0.5;
        o->trust_report[i] = 0.6;
    }
    rp_summary s, s1;
    rp_error err = {{0}};
    int st = rp_observe_summary(&s, &p, &pop, provider_of, dist, o, &err);
    CHECK(st == RP_OK, "a model-2 summary with cultures (%s)", err.msg);
    CHECK(s.all.distance_mean == 2.0 / 5 && s.group[0].distance_mean == 0.75 / 3 &&
              s.group[1].distance_mean == 1.25 / 2 && isnan(s.group[2].distance_mean),
          "distance_mean: the mean of the pairs' d_ij, overall and by group, NaN for an empty group (%.17g, %.17g, "
          "%.17g, %g)",
          s.all.distance_mean, s.group[0].distance_mean, s.group[1].distance_mean, s.group[2].distance_mean);
    CHECK(s.all.concordance == 6.0 / 10 && s.group[0].concordance == 4.0 / 6 && s.group[1].concordance == 2.0 / 4 &&
              isnan(s.group[2].concordance),
          "concordance: matched categorical dimensions / categorical dimensions, overall and by group (%.17g, %.17g, "
          "%.17g, %g)",
          s.all.concordance, s.group[0].concordance, s.group[1].concordance, s.group[2].concordance);
    const rp_dim_concordance *bd = &s.by_dimension;
    CHECK(bd->n == 2 && strcmp(bd->name[0], "race") == 0 && strcmp(bd->name[1], "language") == 0,
          "by_dimension: the categorical dimensions, in scenario order (%d)", bd->n);
    CHECK(bd->all[0] == 2.0 / 5 && bd->group[0][0] == 2.0 / 3 && bd->group[1][0] == 0 && isnan(bd->group[2][0]) &&
              bd->all[1] == 4.0 / 5 && bd->group[0][1] == 2.0 / 3 && bd->group[1][1] == 1 && isnan(bd->group[2][1]),
          "by_dimension: the share of pairs with the same level, per dimension, overall and by group, NaN for an "
          "empty group (race %.17g %.17g %.17g, language %.17g %.17g %.17g)",
          bd->all[0], bd->group[0][0], bd->group[1][0], bd->all[1], bd->group[0][1], bd->group[1][1]);
    CHECK(fabs((bd->all[0] + bd->all[1]) / 2 - s.all.concordance) < 1e-15 &&
              fabs((bd->group[0][0] + bd->group[0][1]) / 2 - s.group[0].concordance) < 1e-15,
          "concordance is the mean of the per-dimension shares (within rounding: the shares are rounded first)");
    /* A level index equal to a continuous value never matches: the second
     * categorical dimension alone (race made continuous) gives 1, 0, 1, 1, 1. */
    p.culture.dims[0].kind = RP_DIM_CONTINUOUS;
    st = rp_observe_summary(&s1, &p, &pop, provider_of, dist, o, &err);
    CHECK(st == RP_OK && s1.all.concordance == 4.0 / 5 && s1.group[0].concordance == 2.0 / 3 &&
              s1.group[1].concordance == 1.0 && s1.all.distance_mean == s.all.distance_mean,
          "concordance over the categorical dimensions only (%.17g, %.17g, %.17g)", s1.all.concordance,
          s1.group[0].concordance, s1.group[1].concordance);
    CHECK(s1.by_dimension.n == 1 && strcmp(s1.by_dimension.name[0], "language") == 0 &&
              s1.by_dimension.all[0] == 4.0 / 5 && s1.by_dimension.group[1][0] == 1,
          "by_dimension skips a continuous dimension (%d)", s1.by_dimension.n);
    /* No categorical dimension: concordance undefined, not an error. */
    p.culture.dims[1].kind = RP_DIM_CONTINUOUS;
    st = rp_observe_summary(&s1, &p, &pop, provider_of, dist, o, &err);
    CHECK(st == RP_OK && isnan(s1.all.concordance) && isnan(s1.group[0].concordance) &&
              s1.all.distance_mean == 2.0 / 5,
          "without a categorical dimension concordance is undefined (NaN), distance_mean defined: %s", err.msg);
    CHECK(s1.by_dimension.n == 0, "without a categorical dimension by_dimension is empty");
    /* Model 1 neither computes nor reports them. */
    p.culture.dims[0].kind = p.culture.dims[1].kind = RP_DIM_CATEGORICAL;
    p.model = 1;
    st = rp_observe_summary(&s1, &p, &pop, provider_of, dist, o, &err);
    CHECK(st == RP_OK && isnan(s1.all.distance_mean) && isnan(s1.all.concordance) &&
              isnan(s1.group[0].distance_mean) && isnan(s1.group[1].concordance),
          "a model-1 summary leaves distance_mean and concordance undefined");
    CHECK(s1.by_dimension.n == 0, "a model-1 summary has no concordance by dimension");
    const rp_observable_def *d = rp_observables_find("distance_mean"), *c = rp_observables_find("concordance");
    CHECK(d && c && d->since == 2 && c->since == 2 && d->per_group && c->per_group && d->lo == 0 && d->hi == 1 &&
              c->lo == 0 && c->hi == 1 && c->percent && !d->percent,
          "distance_mean and concordance: rows of model 2, by group, in [0, 1], concordance printed as a percentage");
    rp_engine_outcomes_free(o);
}

/* The table: which rows each version reports. */
static void test_table(void)
{
    const rp_observable_def *a = rp_observables_find("therapist_dropout"), *b = rp_observables_find("repair_outcome_r"),
                            *c = rp_observables_find("therapist_icc");
    CHECK(a && b && c && a->since == 2 && b->since == 2 && c->since == 1 && !a->per_group && b->per_group,
          "therapist_dropout (overall only) and repair_outcome_r (by group) exist from model 2, therapist_icc from 1");
    CHECK(a && c && !rp_observables_reported(a, 0) && !rp_observables_reported(a, 1) &&
              rp_observables_reported(a, 2) && rp_observables_reported(c, 0) && rp_observables_reported(c, 2),
          "reported: model 0 (not set) and 1 skip the model-2 rows, 2 reports all");
    CHECK(rp_model_version(0) == 1 && rp_model_version(1) == 1 && rp_model_version(2) == 2, "rp_model_version");
}

/* The file's columns: a model-2 scenario's /runs and /summary have the
 * columns of its observables and of each categorical dimension's
 * concordance, a model-1 scenario's do not (and keep every other column). */
static void test_layout(void)
{
    rp_params p;
    memset(&p, 0, sizeof p);
    p.patients.n_groups = 1;
    snprintf(p.patients.groups[0].name, RP_NAME_MAX, "g0");
    p.culture.n_dims = 1;
    snprintf(p.culture.dims[0].name, RP_NAME_MAX, "d0");
    rp_layout l1, l2;
    rp_error err = {{0}};
    p.model = 0;
    int st = rp_layout_init(&l1, &p, 4, &err);
    p.model = 2;
    st = st == RP_OK ? rp_layout_init(&l2, &p, 4, &err) : st;
    CHECK(st == RP_OK, "layouts of models 1 and 2 (%s)", err.msg);
    if (st != RP_OK)
        return;
    /* model 2's numeric parameters: /runs columns of a model-2 file only */
    size_t n_rows;
    const rp_param *rows = rp_paramtable_scenario(&n_rows);
    int n_v2_params = 0;
    for (size_t k = 0; k < n_rows; k++)
        n_v2_params += rows[k].since == 2 && (rows[k].type == RP_PT_DOUBLE || rows[k].type == RP_PT_PROB ||
                                                  rows[k].type == RP_PT_INT || rows[k].type == RP_PT_INT64 ||
                                                  rows[k].type == RP_PT_ENUM || rows[k].type == RP_PT_FLAGS);
    CHECK(rp_layout_find(&l1, RP_T_SUMMARY, "therapist_dropout") < 0 &&
              rp_layout_find(&l1, RP_T_RUNS, "therapist_dropout") < 0 &&
              rp_layout_find(&l1, RP_T_SUMMARY, "repair_outcome_r") < 0 &&
              rp_layout_find(&l1, RP_T_RUNS, "repair_outcome_r") < 0 &&
              rp_layout_find(&l1, RP_T_SUMMARY, "discussed_week_mean") >= 0,
          "a model-1 file has no column of a model-2 observable");
    CHECK(rp_layout_find(&l2, RP_T_SUMMARY, "therapist_dropout") >= 0 &&
              rp_layout_find(&l2, RP_T_RUNS, "therapist_dropout") >= 0 &&
              rp_layout_find(&l2, RP_T_SUMMARY, "repair_outcome_r") >= 0 &&
              rp_layout_find(&l2, RP_T_RUNS, "repair_outcome_r") >= 0 &&
              rp_layout_find(&l1, RP_T_PROVIDERS, "retention") < 0 &&
              rp_layout_find(&l2, RP_T_PROVIDERS, "retention") >= 0 &&
              rp_layout_find(&l1, RP_T_SUMMARY, "concordance") < 0 &&
              rp_layout_find(&l2, RP_T_SUMMARY, "concordance") >= 0 &&
              rp_layout_find(&l2, RP_T_RUNS, "distance_mean") >= 0 &&
              rp_layout_find(&l1, RP_T_SUMMARY, "concordance_by_dimension.d0") < 0 &&
              rp_layout_find(&l2, RP_T_SUMMARY, "concordance_by_dimension.d0") >= 0 &&
              rp_layout_find(&l2, RP_T_RUNS, "concordance_by_dimension.d0") >= 0 &&
              l2.n_cols == l1.n_cols + 8 + n_v2_params + 1 + 2,
          "a model-2 file has its four observables and the concordance on its categorical dimension d0 in /runs "
          "and /summary, and /providers/retention (%d columns, model 1 %d)", l2.n_cols,
          l1.n_cols);
    rp_layout_close(&l1);
    rp_layout_close(&l2);
}

int main(void)
{
    test_dropout_icc();
    test_repair_r();
    test_summary();
    test_culture();
    test_table();
    test_layout();
    return rp_test_done();
}
