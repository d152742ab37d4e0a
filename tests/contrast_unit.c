/* contrast_unit.c - the statistics of a sweep's summary (stats.h): the mean,
 * standard error and 95% interval over replicates, the ratio of means with
 * its delta-method se and Fieller interval, and the contrasts of a point
 * (gap between groups, its change from point 0, the share of the gap
 * closed, the ratios between groups and between points, under another
 * reference point or group) on per-run summaries written by hand.
 *
 * Every expected number is worked out by hand below from the definitions
 * (sample variances with divisor k - 1), with the t quantiles from the
 * closed forms of Student's t: t(0.975; 1) = tan(0.475 pi); t(0.975; 2) =
 * (2p - 1) / sqrt(2 p (1 - p)) at p = 0.975; t(0.975; 3) the root of
 * F(t) = 1/2 + (atan(t / sqrt 3) + (t / sqrt 3) / (1 + t^2 / 3)) / pi = 0.975,
 * 3.182446305283706 by bisection. (SciPy's t.ppf is off by up to 3e-10.)
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rapport/plan.h"
#include "rapport/scenario.h"
#include "rapport/stats.h"
#include "testing.h"

#define T1 tan(0.475 * 4 * atan(1.0)) /* 0.475 pi */
#define T2 (0.95 / sqrt(2 * 0.975 * 0.025))
#define T3 3.182446305283706
#define TOL 1e-12

static void mean_and_interval(void)
{
    /* 1, 2, 3, 4 (and a NaN, left out): k = 4, mean 2.5, squared deviations
     * 2.25 + 0.25 + 0.25 + 2.25 = 5, sd^2 = 5/3, se = sqrt(5/12) =
     * 0.6454972243679028, interval 2.5 -+ t(0.975; 3) se. */
    const double v[] = {1, 2, NAN, 3, 4};
    rp_stat st = rp_stats_of(v, 5);
    CHECK(st.n == 4, "stat_of: n counts the defined values (%lld)", (long long)st.n);
    CHECK_NEAR(st.mean, 2.5, TOL, "stat_of: mean of 1, 2, 3, 4");
    CHECK_NEAR(st.se, sqrt(5.0 / 12), TOL, "stat_of: se = sqrt(5/12)");
    CHECK_NEAR(st.lo, 2.5 - T3 * sqrt(5.0 / 12), TOL, "stat_of: lo = 2.5 - t3 se = 0.44574");
    CHECK_NEAR(st.hi, 4.55426025676052, 1e-12, "stat_of: hi = 4.55426");
    /* two values: df 1 */
    st = rp_stats_of((const double[]){-1, 3}, 2);
    CHECK_NEAR(st.mean, 1, TOL, "stat_of: mean of -1, 3");
    CHECK_NEAR(st.se, 2, TOL, "stat_of: se of -1, 3 (sd 2 sqrt 2, / sqrt 2)");
    CHECK_NEAR(st.hi - st.mean, 2 * T1, 1e-12, "stat_of: half-width t(0.975; 1) se");
    /* one value: a mean, no se, no interval; none: nothing */
    st = rp_stats_of((const double[]){7, NAN}, 2);
    CHECK(st.mean == 7 && st.n == 1 && isnan(st.se) && isnan(st.lo) && isnan(st.hi), "stat_of: one value");
    st = rp_stats_of((const double[]){NAN}, 1);
    CHECK(isnan(st.mean) && st.n == 0, "stat_of: no value");
}

static void ratio(void)
{
    /* x = 2, 4, 6, 8 (mean 5), y = 1, 3, 2, 6 (mean 3): ratio 3/5 = 0.6.
     * Deviations dx = -3, -1, 1, 3 and dy = -2, 0, -1, 3: sum dx^2 = 20,
     * sum dy^2 = 14, sum dx dy = 14; variances of the means (/ 3 / 4):
     * Vxx = 5/3, Vyy = 7/6, Vxy = 7/6.
     * Delta method: sqrt(7/6 - 2 (0.6) 7/6 + 0.36 (5/3)) / 5
     *             = sqrt(11/30) / 5 = 0.12110601416389966.
     * Fieller, t = t(0.975; 3): a = 25 - t^2 5/3, b = -2 (15 - t^2 7/6),
     * c = 9 - t^2 7/6, roots (-b -+ sqrt(b^2 - 4ac)) / 2a
     *     = -0.3153743084450975 and 1.0996152501648486. */
    const double x[] = {2, 4, 6, 8, NAN}, y[] = {1, 3, 2, 6, 100};
    rp_stat st = rp_stats_ratio_of(y, x, 5);
    CHECK(st.n == 4, "ratio_of: a pair with a NaN is left out (n %lld)", (long long)st.n);
    CHECK_NEAR(st.mean, 0.6, TOL, "ratio_of: 3 / 5");
    CHECK_NEAR(st.se, sqrt(11.0 / 30) / 5, TOL, "ratio_of: delta-method se sqrt(11/30) / 5");
    CHECK_NEAR(st.lo, -0.3153743084450975, 1e-12, "ratio_of: Fieller lo");
    CHECK_NEAR(st.hi, 1.0996152501648486, 1e-12, "ratio_of: Fieller hi");
    /* the bounds solve (ybar - r xbar)^2 = t^2 (Vyy - 2 r Vxy + r^2 Vxx) */
    for (int side = 0; side < 2; side++) {
        const double r = side ? st.hi : st.lo;
        const double lhs = (3 - 5 * r) * (3 - 5 * r), rhs = T3 * T3 * (7.0 / 6 - 2 * r * 7.0 / 6 + r * r * 5.0 / 3);
        CHECK_NEAR(lhs, rhs, 1e-10, "ratio_of: Fieller bound %d solves its equation", side);
    }
    /* x's mean 0.1 is within t standard errors of 0 (x = 0.5, -0.3, 0.4,
     * -0.2: Vxx = 0.1/12 = 0.00833, t^2 Vxx = 0.0844 > 0.01 = xbar^2): the
     * ratio is a number, its interval unbounded (NaN). */
    st = rp_stats_ratio_of((const double[]){1, 1, 1, 1}, (const double[]){0.5, -0.3, 0.4, -0.2}, 4);
    CHECK_NEAR(st.mean, 10, 1e-12, "ratio_of: 1 / 0.1");
    CHECK(isnan(st.lo) && isnan(st.hi), "ratio_of: x not distinguishable from 0: no bounded interval (%g, %g)",
          st.lo, st.hi);
}

/* A plan of 2 points x 3 replicates; summaries of 2 groups set by hand. */
static void point_contrasts(void)
{
    /* the plan gives the runs' layout; the groups are the summaries' */
    static const char *yaml = "seed: 1\npatients:\n  count: 100\nreplicates: 3\nsweep:\n  streams: common\n"
                              "  grid:\n    discussion.policy: [never, intake]\n";
    rp_error err = {{0}};
    rp_scenario *sc = NULL;
    rp_plan *plan = NULL;
    int st = rp_scenario_load_string("s.yaml", yaml, &sc, &err);
    if (!st)
        st = rp_scenario_resolve(sc, &err);
    if (!st)
        st = rp_plan_create(sc, &plan, &err);
    CHECK(st == RP_OK && rp_plan_runs(plan) == 6, "a plan of 2 x 3 runs: %s", err.msg);
    if (st != RP_OK) {
        rp_scenario_free(sc);
        return;
    }
    /* dropout of (white, black) in replicates 0, 1, 2:
     *   point 0: (0.10, 0.22), (0.12, 0.23), (0.11, 0.24): gaps 0.12, 0.11, 0.13
     *   point 1: (0.09, 0.18), (0.10, 0.19), (0.10, 0.21): gaps 0.09, 0.09, 0.11
     * gap at 0: mean 0.12, deviations 0, -0.01, 0.01: sd^2 = 1e-4, se = sqrt(1e-4 / 3)
     * gap at 1: mean 0.29/3
     * change: -0.03, -0.02, -0.02: mean -0.07/3, deviations -0.02/3, 0.01/3, 0.01/3:
     *   sum of squares 6e-4/9, sd^2 = 1e-4/3, se = sqrt(1e-4 / 9) = 1/300
     * closed: -mean(change) / mean(gap at 0) = (0.07/3) / 0.12 = 0.19444...
     * black's paired difference of dropout: -0.04, -0.04, -0.03: mean -0.11/3 */
    const double white[2][3] = {{0.10, 0.12, 0.11}, {0.09, 0.10, 0.10}};
    const double black[2][3] = {{0.22, 0.23, 0.24}, {0.18, 0.19, 0.21}};
    rp_summary s[6];
    memset(s, 0, sizeof s);
    for (int i = 0; i < 6; i++) {
        const int point = i / 3, r = i % 3;
        s[i].model = 2;
        s[i].n_groups = 2;
        strcpy(s[i].group_name[0], "white");
        strcpy(s[i].group_name[1], "black");
        s[i].group[0].dropout = white[point][r];
        s[i].group[1].dropout = black[point][r];
        s[i].all.dropout = (white[point][r] + black[point][r]) / 2;
        s[i].group[0].sessions_mean = NAN; /* undefined: no contrast */
        s[i].group[1].sessions_mean = 5;
    }
    rp_summaries runs;
    CHECK(rp_summaries_init(&runs, 6, &s[0], NULL) == RP_OK, "a store of 6 runs");
    for (int i = 0; i < 6; i++)
        rp_summaries_put(&runs, i, &s[i], NULL);
    const size_t d = (size_t)(rp_observables_find("dropout") - rp_observables_table(&(size_t){0}));
    const size_t m = (size_t)(rp_observables_find("sessions_mean") - rp_observables_table(&(size_t){0}));
    rp_point_stats ps;
    rp_stats_design design;
    rp_plan_stats_design(plan, &design);
    CHECK(design.points == 2 && design.replicates == 3 && design.draws == 0 && design.reference_point == 0 &&
              strcmp(design.reference_group, "white") == 0,
          "the plan's design: 2 points x 3, no draws, reference point 0, the first group (white)");
    rp_stats_point(&design, &runs, 1, &ps, NULL);
    CHECK(ps.reference == 0 && ps.n_groups == 2 && ps.replicates == 3, "point 1: reference white, 2 groups, 3 runs");
    const rp_stat gap0 = ps.gap[0][1][d], change = ps.gap[1][1][d], closed = ps.closed[1][d];
    CHECK_NEAR(gap0.mean, 0.29 / 3, TOL, "gap black - white at point 1: 0.29/3");
    CHECK_NEAR(change.mean, -0.07 / 3, TOL, "change of the gap from point 0: -0.07/3");
    CHECK_NEAR(change.se, 1.0 / 300, 1e-12, "its se: 1/300");
    CHECK_NEAR(change.hi, -0.07 / 3 + T2 / 300, 1e-12, "its interval: -+ t(0.975; 2) / 300");
    CHECK_NEAR(closed.mean, 0.07 / 3 / 0.12, 1e-12, "share of the gap closed: (0.07/3) / 0.12 = 0.1944");
    CHECK(closed.n == 3 && closed.lo < closed.mean && closed.mean < closed.hi,
          "its Fieller interval brackets it: [%g, %g]", closed.lo, closed.hi);
    CHECK_NEAR(ps.group[1][1][d].mean, -0.11 / 3, TOL, "black's paired difference of dropout: -0.11/3");
    CHECK(isnan(ps.gap[0][1][m].mean) && ps.gap[0][1][m].n == 0, "a gap with the reference undefined is NaN");
    CHECK(ps.gap[0][0][d].mean == 0, "the reference's own gap is 0");
    /* the same closed share by rp_stats_ratio_of: y = change, x = gap at 0, negated */
    const double y[] = {-0.03, -0.02, -0.02}, x[] = {0.12, 0.11, 0.13};
    const rp_stat by_hand = rp_stats_ratio_of(y, x, 3);
    CHECK_NEAR(closed.mean, -by_hand.mean, 1e-12, "closed = -ratio_of(change, gap at 0)");
    CHECK_NEAR(closed.lo, -by_hand.hi, 1e-9, "closed.lo = -ratio_of.hi");
    CHECK_NEAR(closed.hi, -by_hand.lo, 1e-9, "closed.hi = -ratio_of.lo");
    /* point 0: gap 0.12, its se sqrt(1e-4 / 3) */
    /* ratios of means: black / white at point 1 = 0.58 / 0.29 = 2; black at
     * point 1 relative to point 0: 0.58 / 0.69 */
    CHECK_NEAR(ps.ratio[1][d].mean, 2.0, 1e-12, "ratio black / white at point 1: 0.58 / 0.29 = 2");
    CHECK_NEAR(ps.ratio[1][d].mean, rp_stats_ratio_of(black[1], white[1], 3).mean, 1e-15,
               "the ratio is ratio_of(black, white) over the runs");
    CHECK_NEAR(ps.ratio[1][d].lo, rp_stats_ratio_of(black[1], white[1], 3).lo, 1e-12, "with its Fieller interval");
    CHECK_NEAR(ps.relative[2][d].mean, 0.58 / 0.69, 1e-12, "black's dropout relative to point 0: 0.58 / 0.69");
    CHECK_NEAR(ps.relative[2][d].hi, rp_stats_ratio_of(black[1], black[0], 3).hi, 1e-12,
               "relative: ratio_of(point 1, point 0) replicate by replicate");
    rp_stats_point(&design, &runs, 0, &ps, NULL);
    CHECK_NEAR(ps.gap[0][1][d].mean, 0.12, TOL, "gap at point 0: 0.12");
    CHECK_NEAR(ps.gap[0][1][d].se, sqrt(1e-4 / 3), 1e-12, "its se sqrt(1e-4 / 3)");
    CHECK_NEAR(ps.relative[2][d].mean, 1, 1e-15, "the reference point relative to itself: 1");
    /* reference point 1: point 0's change of the gap is 0.12 - 0.29/3 =
     * 0.07/3, the share of point 1's gap closed there -0.07 / 0.29 */
    design.reference_point = 1;
    rp_stats_point(&design, &runs, 0, &ps, NULL);
    CHECK(ps.reference_point == 1, "the point stats carry the reference point");
    CHECK_NEAR(ps.gap[1][1][d].mean, 0.07 / 3, 1e-12, "reference point 1: point 0's change of the gap 0.07/3");
    CHECK_NEAR(ps.closed[1][d].mean, -0.07 / 0.29, 1e-12, "and the share of point 1's gap closed: -0.07 / 0.29");
    CHECK_NEAR(ps.group[1][1][d].mean, 0.11 / 3, TOL, "black's paired difference to point 1: +0.11/3");
    /* reference group black: white's gap -0.12 and ratio 0.33 / 0.69 at point 0 */
    design.reference_point = 0;
    strcpy(design.reference_group, "black");
    rp_stats_point(&design, &runs, 0, &ps, NULL);
    CHECK(ps.reference == 1, "reference group black: index 1");
    CHECK_NEAR(ps.gap[0][0][d].mean, -0.12, TOL, "white - black at point 0: -0.12");
    CHECK_NEAR(ps.ratio[0][d].mean, 0.33 / 0.69, 1e-12, "white / black at point 0: 0.33 / 0.69");
    rp_error e = {0};
    strcpy(design.reference_group, "asian");
    CHECK(rp_stats_point(&design, &runs, 0, &ps, &e) == RP_EINVAL && strstr(e.msg, "'asian'"),
          "a reference group the runs lack is refused, named: %s", e.msg);
    design.reference_group[0] = 0;
    /* a run not done here is left out of every statistic */
    runs.done[4] = 0;
    rp_stats_point(&design, &runs, 1, &ps, NULL);
    CHECK(ps.gap[1][1][d].n == 2 && ps.closed[1][d].n == 2, "a run not done: 2 replicates count");
    CHECK_NEAR(ps.gap[1][1][d].mean, -0.025, TOL, "change over replicates 0 and 2: -0.025");
    rp_summaries_free(&runs);
    rp_plan_free(plan);
    rp_scenario_free(sc);
}

int main(void)
{
    mean_and_interval();
    ratio();
    point_contrasts();
    return rp_test_done();
}
