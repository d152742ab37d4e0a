/* engine_unit.c - exact checks of every formula of MODEL.md v1 (and of
 * version 2's terms: chi, Delta_T+, epsilon_j, the gradient, the truncated
 * normal) against values
 * computed by hand here, independently of the engine's own helpers: d_ij,
 * d_eff, A*, the rupture, repair and dropout hazards (each probed just below
 * and just above its threshold), intake, the noiseless recurrence over
 * several weeks, Poisson inversion, apportionment and the ICC estimator.
 * Parameters are deliberately not round numbers. */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>

#include "rapport/engine.h"
#include "rapport/observe.h"
#include "rapport/population.h"
#include "rapport/rng.h"
#include "rapport/scenario.h"
#include "testing.h"

static double L(double x) { return 1.0 / (1.0 + exp(-x)); }
static double clip(double x) { return fmin(fmax(x, 0.001), 0.999); }

/* The library's defaults (so that a parameter added to the table has its
 * default here too, never a silent 0), then every input of the formulas
 * below stated explicitly: the scalars of the model, all different from
 * MODEL.md's defaults, and the four dimensions. */
static void set_params(rp_params *p)
{
    rp_error err = {{0}};
    if (rp_scenario_defaults(20221, 27, p, &err) != RP_OK) {
        printf("FAIL defaults: %s\n", err.msg);
        exit(1);
    }
    p->horizon = 30;
    p->course = 20;
    p->symptoms.max = 27;
    p->symptoms.recovered = 4.5;
    p->symptoms.improvement = 0.11;
    p->symptoms.stressor_jump = 1.385;
    p->symptoms.noise = 2.25;
    p->alliance.beta0 = 0.915;
    p->alliance.beta_skill = 1.125;
    p->alliance.beta_trust = 2.385;
    p->alliance.beta_distance = 1.275;
    p->alliance.rate = 0.315;
    p->alliance.noise = 0.035;
    p->rupture.base = -2.415;
    p->rupture.distance = 1.935;
    p->rupture.low_alliance = 2.085;
    p->rupture.repair_gain = 0.0325;
    p->rupture.loss = 0.1125;
    p->repair.base = -0.455;
    p->repair.humility = 1.915;
    p->repair.discussed = 1.035;
    p->trust.rate = 0.1625;
    p->trust.rupture_loss = 0.0825;
    p->trust.undiscussed_erosion = 0.0215;
    p->trust.notice_distance = 0.285;
    p->discussion.effect = 0.615;
    p->discussion.humility_share = 0.4875;
    p->discussion.patient_raises = 0.0235;
    p->discussion.policy = RP_DISCUSS_NEVER;
    p->discussion.week = 4;
    p->dropout.base = -7.85;
    p->dropout.low_alliance = 2.115;
    p->dropout.low_trust = 1.485;
    p->dropout.barrier = 1.035;
    p->dropout.stressor = 0.415;
    p->dropout.early = 3.915;
    p->dropout.early_weeks = 1.485;
    /* version 1: the terms of model 2 off (the tests of model 2 set them) */
    p->model = 1;
    p->humility.felt_distance = 0;
    p->trust.repair_gain = 0;
    p->providers.retention_sd = 0;
    p->patients.gradient.dim = -1;
    p->patients.gradient.barrier = p->patients.gradient.stressor_rate = p->patients.gradient.mistrust = 0;
    p->culture.n_dims = 4;
    p->culture.dims[0] = (rp_dimension){.name = "ethnoracial", .kind = RP_DIM_CATEGORICAL, .weight = 1.0, .n_levels = 4};
    p->culture.dims[1] = (rp_dimension){.name = "language", .kind = RP_DIM_CATEGORICAL, .weight = 0.6, .n_levels = 3};
    p->culture.dims[2] = (rp_dimension){.name = "class", .kind = RP_DIM_CONTINUOUS, .weight = 0.7};
    p->culture.dims[3] = (rp_dimension){.name = "explanatory_model", .kind = RP_DIM_CONTINUOUS, .weight = 0.8};
}

/* One patient (i = 0) and one provider (j = 0). */
typedef struct {
    uint8_t pg, qg;
    double pc[4], qc[4], m, b, lambda, s0, u, gamma, h, skill, eps;
    int64_t cap;
} tiny;

static void tiny_population(rp_population *pop, tiny *t)
{
    *pop = (rp_population){
        .n_patients = 1, .n_providers = 1, .n_dims = 4,
        .patient_group = &t->pg, .patient_culture = t->pc, .mistrust = &t->m, .barrier = &t->b,
        .stressor_rate = &t->lambda, .symptoms0 = &t->s0, .alliance_trait = &t->u,
        .response = &t->gamma, .provider_group = &t->qg, .provider_culture = t->qc,
        .humility = &t->h, .skill = &t->skill, .retention = &t->eps, .capacity = &t->cap};
}

static void test_distance(const rp_params *p)
{
    const double c[4] = {0, 1, 0.3, 0.9}, q[4] = {0, 0, 0.8, 0.2};
    /* delta = 0, 1, 0.5, 0.7: (0.6 * 1 + 0.7 * 0.25 + 0.8 * 0.49) / 3.1 */
    CHECK_NEAR(rp_population_distance(p, c, q), sqrt(1.167 / 3.1), 1e-15, "d_ij mixed dimensions");
    CHECK_NEAR(rp_population_distance(p, c, c), 0.0, 0, "d_ij of identical vectors is 0");
    const double a[4] = {0, 0, 0, 0}, z[4] = {1, 1, 1, 1};
    CHECK_NEAR(rp_population_distance(p, a, z), 1.0, 1e-15, "d_ij of opposite vectors is 1");
}

static void test_pair_formulas(const rp_params *p, const rp_population *pop, tiny *t)
{
    const double d = 0.4375;
    rp_pair_consts c;
    rp_engine_pair_init(&c, p, pop, 0, 0, d);
    const double phi = 0.615, omega = 0.4875, h = t->h;
    CHECK_NEAR(rp_felt_distance(&c, 0), d, 0, "d_eff(0) = d_ij");
    CHECK_NEAR(rp_felt_distance(&c, 1), d * (1 - phi * (1 - omega + omega * h)), 1e-15, "d_eff(1)");
    for (int D = 0; D <= 1; D++) {
        const double T = 0.6125;
        const double deff = d * (1 - D * phi * (1 - omega + omega * h));
        const double want = L(0.915 + 1.125 * t->skill + t->u + 2.385 * (T - 0.5) - 1.275 * deff);
        CHECK_NEAR(rp_alliance_target(p, &c, T, D), want, 1e-15, "A*(T, D=%d)", D);
        CHECK_NEAR(c.repair_prob[D], L(-0.455 + 1.915 * h + 1.035 * D), 1e-15, "repair P(D=%d)", D);
    }
    CHECK_NEAR(c.erosion, 0.0215 * d, 1e-15, "erosion psi d_ij when d_ij > d_notice");
    rp_pair_consts near;
    rp_engine_pair_init(&near, p, pop, 0, 0, 0.28);
    CHECK(near.erosion == 0, "no erosion when d_ij <= d_notice");

    rp_pair_state s;
    rp_engine_intake(&s, p, &c, t->m, t->s0);
    CHECK_NEAR(s.T, 1 - t->m, 0, "intake T_0 = 1 - m");
    CHECK(s.D == 0, "intake D_0 = 0 under policy never");
    CHECK_NEAR(s.A, rp_alliance_target(p, &c, 1 - t->m, 0), 0, "intake A_0 = A*(T_0, D_0)");
    CHECK_NEAR(s.S, t->s0, 0, "intake S_0");
    rp_params intake = *p;
    intake.discussion.policy = RP_DISCUSS_INTAKE;
    rp_engine_intake(&s, &intake, &c, t->m, t->s0);
    CHECK(s.D == 1, "intake D_0 = 1 under policy intake");
}

/* Draws that make nothing happen: no discussion, no stressor, no rupture, no
 * dropout, no noise. */
static rp_week_draws quiet(void)
{
    return (rp_week_draws){.discuss = 0.9999, .stressor = 0.0, .rupture = 0.9999, .repair = 0.9999,
                           .responsive = 0.9999, .dropout = 0.9999, .z_alliance = 0, .z_symptoms = 0};
}

/* The events of one week t of pair c from state s with draws u. */
static rp_week_events week_events(const rp_params *p, const rp_pair_consts *c, rp_pair_state s, int t, double early,
                                  const rp_week_draws *u)
{
    rp_week_events ev;
    rp_engine_week_step(p, c, t, early, &s, u, &ev);
    return ev;
}

/* Probe a hazard: with its uniform just below p the event happens, just
 * above it does not. */
static void test_hazards(const rp_params *p, const rp_population *pop, tiny *t)
{
    const double d = 0.4375, eps = 1e-9;
    rp_pair_consts c;
    rp_engine_pair_init(&c, p, pop, 0, 0, d);
    /* T_0 away from where T_1 would equal it (T_1 - T_0 = 0.016), so that a
     * hazard read with T_t instead of T_{t+1} fails */
    const rp_pair_state s0 = {.A = 0.6325, .T = 0.4875, .S = 14.5, .D = 0};
    const int t_week = 3;
    const double early = 3.915 * exp(-t_week / 1.485);

    const double p_rupture = L(-2.415 + 1.935 * d + 2.085 * (1 - s0.A));
    for (int below = 0; below <= 1; below++) {
        rp_week_draws u = quiet();
        u.rupture = below ? p_rupture - eps : p_rupture + eps;
        const rp_week_events ev = week_events(p, &c, s0, t_week, early, &u);
        CHECK(ev.rupture == below, "rupture hazard L(rho0 + rho_d d_eff + rho_A (1 - A)) = %.6f, u %s",
              p_rupture, below ? "below" : "above");
    }
    const double p_repair = L(-0.455 + 1.915 * t->h);
    for (int below = 0; below <= 1; below++) {
        rp_week_draws u = quiet();
        u.rupture = 0;
        u.repair = below ? p_repair - eps : p_repair + eps;
        const rp_week_events ev = week_events(p, &c, s0, t_week, early, &u);
        CHECK(ev.rupture && ev.repaired == below, "repair probability %.6f, u %s", p_repair,
              below ? "below" : "above");
    }
    /* Difference discussed (D = 1): the rupture hazard reads d_eff(1) =
     * d (1 - phi (1 - omega + omega h)), the repair probability adds theta_D. */
    const double d1 = d * (1 - 0.615 * (1 - 0.4875 + 0.4875 * t->h));
    const double p_rupture1 = L(-2.415 + 1.935 * d1 + 2.085 * (1 - s0.A));
    const double p_repair1 = L(-0.455 + 1.915 * t->h + 1.035);
    rp_pair_state s1 = s0;
    s1.D = 1;
    for (int below = 0; below <= 1; below++) {
        rp_week_draws u = quiet();
        u.rupture = below ? p_rupture1 - eps : p_rupture1 + eps;
        rp_week_events ev = week_events(p, &c, s1, t_week, early, &u);
        CHECK(ev.rupture == below, "discussed: rupture hazard with d_eff(1) = %.6f, u %s", p_rupture1,
              below ? "below" : "above");
        u = quiet();
        u.rupture = 0;
        u.repair = below ? p_repair1 - eps : p_repair1 + eps;
        ev = week_events(p, &c, s1, t_week, early, &u);
        CHECK(ev.rupture && ev.repaired == below, "discussed: repair probability L(theta0 + theta_h h + theta_D) = "
              "%.6f, u %s", p_repair1, below ? "below" : "above");
    }
    /* A patient raises the difference with probability pi T_t. */
    const double p_raise = 0.0235 * s0.T;
    for (int below = 0; below <= 1; below++) {
        rp_week_draws u = quiet();
        u.discuss = below ? p_raise - eps : p_raise + eps;
        const rp_week_events ev = week_events(p, &c, s0, t_week, early, &u);
        CHECK(ev.D_now == below, "patient raises it: probability pi T = %.6f, u %s", p_raise,
              below ? "below" : "above");
    }
    /* Dropout: compute A_{t+1}, T_{t+1} by hand for a quiet week with N = 2. */
    rp_week_draws u = quiet();
    const double lambda = t->lambda;
    const double F1 = exp(-lambda) * (1 + lambda), F2 = F1 + exp(-lambda) * lambda * lambda / 2;
    u.stressor = (F1 + F2) / 2; /* N = 2 */
    const double Astar = L(0.915 + 1.125 * t->skill + t->u + 2.385 * (s0.T - 0.5) - 1.275 * d);
    const double A1 = clip(s0.A + 0.315 * (Astar - s0.A));
    const double T1 = clip(s0.T + 0.1625 * (A1 - s0.T) - 0.0215 * d);
    const double p_drop = L(-7.85 + 2.115 * (1 - A1) + 1.485 * (1 - T1) + 1.035 * t->b +
                            0.415 * 2 + 3.915 * exp(-t_week / 1.485));
    for (int below = 0; below <= 1; below++) {
        u.dropout = below ? p_drop - eps : p_drop + eps;
        rp_pair_state s = s0;
        rp_week_events ev;
        rp_exit_reason e = rp_engine_week_step(p, &c, t_week, early, &s, &u, &ev);
        CHECK(ev.N == 2, "Poisson inversion gives N = 2 at the midpoint of (F(1), F(2))");
        CHECK((e == RP_EXIT_DROPPED) == below, "dropout hazard %.6f, u %s", p_drop,
              below ? "below" : "above");
    }
}

/* With the noise terms 0 and fixed draws, a pair follows the recurrence of
 * MODEL.md exactly, written out here from the text. Includes a patient-raised
 * discussion at week 2 and an unrepaired rupture at week 3. */
static void test_recurrence(const rp_params *p, const rp_population *pop, tiny *t)
{
    const double d = 0.5125;
    rp_pair_consts c;
    rp_engine_pair_init(&c, p, pop, 0, 0, d);
    rp_pair_state s;
    rp_engine_intake(&s, p, &c, t->m, t->s0);
    double A = s.A, T = s.T, S = s.S;
    int D = 0;
    const double phi = 0.615, omega = 0.4875, h = t->h;
    bool same = true;
    for (int week = 0; week < 8; week++) {
        rp_week_draws u = quiet();
        if (week == 2)
            u.discuss = 0.0235 * T - 1e-12; /* the patient raises it */
        int rup = week == 3;
        if (rup) {
            u.rupture = 0;
            u.repair = 0.99999999;
        }
        rp_week_events ev;
        rp_exit_reason e = rp_engine_week_step(p, &c, week, 0.0, &s, &u, &ev);
        if (week == 2)
            D = 1;
        const double deff = d * (1 - D * phi * (1 - omega + omega * h));
        const double Astar = L(0.915 + 1.125 * t->skill + t->u + 2.385 * (T - 0.5) - 1.275 * deff);
        const double A1 = clip(A + 0.315 * (Astar - A) - 0.1125 * rup);
        const double T1 = clip(T + 0.1625 * (A1 - T) - 0.0825 * rup - (D ? 0 : 0.0215 * d));
        const double S1 = fmin(fmax(S - t->gamma * A1 * S, 0), 27);
        A = A1, T = T1, S = S1;
        same = same && e == RP_EXIT_ENGAGED && s.A == A && s.T == T && s.S == S && s.D == D &&
               ev.D_now == D && ev.rupture == rup && !ev.repaired;
    }
    CHECK(same, "noiseless pair follows the recurrence for 8 weeks (A %.15f T %.15f S %.15f)", A, T, S);

    /* Exits: recovered beats course beats dropout beats censoring. */
    rp_pair_state low = {.A = 0.9, .T = 0.9, .S = 4.6, .D = 1};
    rp_week_draws u = quiet();
    rp_week_events ev;
    CHECK(rp_engine_week_step(p, &c, 19, 0, &low, &u, &ev) == RP_EXIT_RECOVERED,
          "S_{t+1} < S_rec: recovered, first match even at the end of the course");
    rp_pair_state mid = {.A = 0.9, .T = 0.9, .S = 20, .D = 1};
    u.dropout = 0;
    CHECK(rp_engine_week_step(p, &c, 19, 0, &mid, &u, &ev) == RP_EXIT_COURSE,
          "t + 1 >= course: completed before the dropout draw");
    mid = (rp_pair_state){.A = 0.9, .T = 0.9, .S = 20, .D = 1};
    CHECK(rp_engine_week_step(p, &c, 10, 0, &mid, &u, &ev) == RP_EXIT_DROPPED, "u = 0: dropped");
    rp_params longer = *p;
    longer.course = 40;
    mid = (rp_pair_state){.A = 0.9, .T = 0.9, .S = 20, .D = 1};
    u = quiet();
    CHECK(rp_engine_week_step(&longer, &c, 29, 0, &mid, &u, &ev) == RP_EXIT_CENSORED,
          "t + 1 = horizon: censored");
}

/* Model 2's terms, by hand: chi in d_eff (erosion keeps the raw d_ij),
 * Delta_T+ in the trust update, epsilon_j in the dropout hazard. The values
 * are not round numbers, and each term moves its result. */
static void test_v2_formulas(const rp_params *p1, const rp_population *pop, tiny *t)
{
    rp_params q = *p1;
    q.model = 2;
    q.humility.felt_distance = 0.3125; /* chi */
    q.trust.repair_gain = 0.0475;      /* Delta_T+ */
    const rp_params *p = &q;
    const double d = 0.4375, chi = 0.3125, h = t->h, phi = 0.615, omega = 0.4875;
    t->eps = 0.3725; /* epsilon_j */
    rp_pair_consts c;
    rp_engine_pair_init(&c, p, pop, 0, 0, d);
    CHECK_NEAR(rp_felt_distance(&c, 0), d * (1 - chi * h), 1e-15, "v2 d_eff(0) = d_ij (1 - chi h_j)");
    CHECK_NEAR(rp_felt_distance(&c, 1), d * (1 - chi * h) * (1 - phi * (1 - omega + omega * h)), 1e-15,
               "v2 d_eff(1) = d_ij (1 - chi h_j)(1 - phi (1 - omega + omega h_j))");
    CHECK_NEAR(c.erosion, 0.0215 * d, 1e-15, "v2 erosion uses the raw d_ij, not d_eff");
    const double T0 = 0.6125;
    CHECK_NEAR(rp_alliance_target(p, &c, T0, 0),
               L(0.915 + 1.125 * t->skill + t->u + 2.385 * (T0 - 0.5) - 1.275 * d * (1 - chi * h)), 1e-15,
               "v2 A*(T, 0) with the humble provider's narrower felt distance");

    /* A repaired rupture at week 3, else quiet: trust gains Delta_T+. */
    /* T_0 away from where T_1 would equal it (T_1 - T_0 = 0.016), so that a
     * hazard read with T_t instead of T_{t+1} fails */
    const rp_pair_state s0 = {.A = 0.6325, .T = 0.4875, .S = 14.5, .D = 0};
    rp_week_draws u = quiet();
    u.rupture = 0;
    u.repair = 0;
    rp_pair_state s = s0;
    rp_week_events ev;
    rp_engine_week_step(p, &c, 3, 0.0, &s, &u, &ev);
    const double deff = d * (1 - chi * h);
    const double Astar = L(0.915 + 1.125 * t->skill + t->u + 2.385 * (s0.T - 0.5) - 1.275 * deff);
    const double A1 = clip(s0.A + 0.315 * (Astar - s0.A) + 0.0325);
    const double T1 = clip(s0.T + 0.1625 * (A1 - s0.T) + 0.0475 - 0.0215 * d);
    CHECK(ev.rupture && ev.repaired, "v2 a rupture, repaired");
    CHECK_NEAR(s.A, A1, 1e-15, "v2 A_{t+1} after a repaired rupture (+Delta_rep)");
    CHECK_NEAR(s.T, T1, 1e-15, "v2 T_{t+1} = clip(T + eta (A' - T) + Delta_T+ rep - psi d) = %.15f", T1);
    /* ... and an unrepaired one gains nothing: only rep carries Delta_T+. */
    u.repair = 0.9999999;
    s = s0;
    rp_engine_week_step(p, &c, 3, 0.0, &s, &u, &ev);
    const double A2 = clip(s0.A + 0.315 * (Astar - s0.A) - 0.1125);
    CHECK_NEAR(s.T, clip(s0.T + 0.1625 * (A2 - s0.T) - 0.0825 - 0.0215 * d), 1e-15,
               "v2 T_{t+1} after an unrepaired rupture: -Delta_T, no Delta_T+");

    /* Dropout with epsilon_j: probed just below and above, N = 0. */
    const int t_week = 2;
    const double early = 3.915 * exp(-t_week / 1.485);
    u = quiet();
    const double A3 = clip(s0.A + 0.315 * (Astar - s0.A));
    const double T3 = clip(s0.T + 0.1625 * (A3 - s0.T) - 0.0215 * d);
    const double p_drop = L(-7.85 + 2.115 * (1 - A3) + 1.485 * (1 - T3) + 1.035 * t->b + 0.3725 + early);
    for (int below = 0; below <= 1; below++) {
        u.dropout = below ? p_drop * (1 - 1e-9) : p_drop * (1 + 1e-9);
        s = s0;
        rp_exit_reason e = rp_engine_week_step(p, &c, t_week, early, &s, &u, &ev);
        CHECK((e == RP_EXIT_DROPPED) == below, "v2 dropout hazard with epsilon_j = 0.3725: %.9f, u %s", p_drop,
              below ? "below" : "above");
    }
    t->eps = 0;
}

/* The deprivation gradient's three shifts, by hand, and a coefficient 0
 * leaving its value's bits alone. */
static void test_gradient(const rp_params *p1)
{
    rp_params q = *p1;
    q.model = 2;
    q.patients.gradient.barrier = -1.5625;
    q.patients.gradient.stressor_rate = -0.9375;
    q.patients.gradient.mistrust = 0.6875;
    const double c = 0.2125, b0 = 0.3375, l0 = 0.0925, m0 = 0.4125;
    double b = b0, l = l0, m = m0;
    rp_population_gradient(&q, c, &b, &l, &m);
    CHECK_NEAR(b, L(log(b0 / (1 - b0)) - 1.5625 * (c - 0.5)), 1e-15, "gradient b <- L(logit b + g_b (c - 1/2))");
    CHECK_NEAR(l, l0 * exp(-0.9375 * (c - 0.5)), 1e-15, "gradient lambda <- lambda e^(g_lambda (c - 1/2))");
    CHECK_NEAR(m, L(log(m0 / (1 - m0)) + 0.6875 * (c - 0.5)), 1e-15, "gradient m <- L(logit m + g_m (c - 1/2))");
    CHECK(b > b0 && l > l0 && m < m0, "poorer (c < 1/2) with negative g_b, g_lambda: higher barrier, more stressors");
    q.patients.gradient.barrier = q.patients.gradient.stressor_rate = q.patients.gradient.mistrust = 0;
    b = b0, l = l0, m = m0;
    rp_population_gradient(&q, c, &b, &l, &m);
    CHECK(b == b0 && l == l0 && m == m0, "gradient coefficients 0 leave b, lambda, m bit for bit");
    q.patients.gradient.barrier = 3;
    b = 0, m = 1;
    rp_population_gradient(&q, 0.9, &b, &l, &m);
    CHECK(b == 0 && m == 1, "a barrier of 0 stays 0 (logit -inf), an untouched mistrust 1 stays 1");
}

/* The truncated normal by inversion: its ends, its median, and the
 * upper-tail branch agreeing with the formula of MODEL-v2.md. */
static void test_truncated_normal(void)
{
    const double mu = 15, sd = 4, lo = 5, hi = 27;
    const double Fa = gsl_cdf_ugaussian_P((lo - mu) / sd), Fb = gsl_cdf_ugaussian_P((hi - mu) / sd);
    for (int k = 0; k < 5; k++) {
        const double u = (k + 0.3) / 5.0;
        const double want = mu + sd * gsl_cdf_ugaussian_Pinv(Fa + u * (Fb - Fa));
        CHECK_NEAR(rp_population_truncated_normal(mu, sd, lo, hi, u), want, 1e-12,
                   "truncated normal u = %.2f: mu + sd Phi^-1(Phi(a) + u (Phi(b) - Phi(a)))", u);
    }
    CHECK_NEAR(rp_population_truncated_normal(mu, sd, lo, hi, 0.0), lo, 1e-12, "u = 0 gives S_rec");
    CHECK(rp_population_truncated_normal(mu, sd, lo, hi, 1 - 0x1p-53) <= hi, "u -> 1 stays at or below S_max");
    CHECK_NEAR(rp_population_truncated_normal(16, 3, 10, 22, 0.5), 16, 1e-12,
               "symmetric truncation: the median is the mean");
    /* Both bounds above the mean (a > 0): the upper-tail branch. */
    const double a = (20.0 - 2) / 3, b = (25.0 - 2) / 3;
    const double Qa = gsl_cdf_ugaussian_Q(a), Qb = gsl_cdf_ugaussian_Q(b);
    CHECK_NEAR(rp_population_truncated_normal(2, 3, 20, 25, 0.25), 2 + 3 * gsl_cdf_ugaussian_Qinv(Qa - 0.25 * (Qa - Qb)),
               1e-12, "bounds 6 sd above the mean: inverted in the upper tail, in [lo, hi]");
    const double x = rp_population_truncated_normal(2, 3, 20, 25, 0.25);
    CHECK(x > 20 && x < 20.5, "... and near the lower bound (%.6f), as the tail's mass is", x);
    CHECK(rp_population_truncated_normal(14, 0, 5, 27, 0.7) == 14 &&
              rp_population_truncated_normal(2, 0, 5, 27, 0.7) == 5,
          "sd 0: the mean, clamped");
}

static void test_policies(const rp_params *p, const rp_population *pop)
{
    rp_pair_consts c;
    rp_engine_pair_init(&c, p, pop, 0, 0, 0.5);
    rp_week_events ev;
    rp_params delayed = *p;
    delayed.discussion.policy = RP_DISCUSS_DELAYED;
    rp_week_draws u = quiet();
    rp_pair_state s = {.A = 0.5, .T = 0.5, .S = 15, .D = 0};
    rp_engine_week_step(&delayed, &c, 3, 0, &s, &u, &ev);
    CHECK(ev.D_now == 0 && s.D == 0, "delayed: no discussion before week k");
    s = (rp_pair_state){.A = 0.5, .T = 0.5, .S = 15, .D = 0};
    rp_engine_week_step(&delayed, &c, 4, 0, &s, &u, &ev);
    CHECK(ev.D_now == 1 && s.D == 1, "delayed: D_t = 1 at t = k");

    rp_params resp = *p;
    resp.discussion.policy = RP_DISCUSS_RESPONSIVE;
    u.rupture = 0;
    u.repair = 0.99999;
    u.responsive = c.humility - 1e-9;
    s = (rp_pair_state){.A = 0.5, .T = 0.5, .S = 15, .D = 0};
    rp_engine_week_step(&resp, &c, 5, 0, &s, &u, &ev);
    CHECK(ev.D_now == 0 && s.D == 1, "responsive: unrepaired rupture, u < h: D_{t+1} = 1, D_t = 0");
    /* the discussion a rupture triggers takes effect next week: this week's
     * alliance moves toward A*(T_t, D_t = 0), not A*(T_t, D_{t+1} = 1) */
    const double want_A = clip(0.5 + resp.alliance.rate * (rp_alliance_target(&resp, &c, 0.5, 0) - 0.5) -
                               resp.rupture.loss + resp.alliance.noise * u.z_alliance);
    CHECK(fabs(rp_alliance_target(&resp, &c, 0.5, 1) - rp_alliance_target(&resp, &c, 0.5, 0)) > 1e-3,
          "responsive: A*(T, 1) and A*(T, 0) differ here (the next check can fail)");
    CHECK_NEAR(s.A, want_A, 1e-15, "responsive: the week of the rupture pulls A toward A*(T_t, D_t = 0)");
    const double want_T = clip(0.5 + resp.trust.rate * (s.A - 0.5) - resp.trust.rupture_loss - c.erosion);
    CHECK(c.erosion > 0, "the pair's difference is noticed (erosion %g > 0: the next check can fail)", c.erosion);
    CHECK_NEAR(s.T, want_T, 1e-15, "responsive: undiscussed erosion still applies in the week of the rupture (D_t = 0)");
    u.responsive = c.humility + 1e-9;
    s = (rp_pair_state){.A = 0.5, .T = 0.5, .S = 15, .D = 0};
    rp_engine_week_step(&resp, &c, 5, 0, &s, &u, &ev);
    CHECK(s.D == 0, "responsive: u > h: no discussion");
    u.responsive = 0;
    u.repair = 0;
    s = (rp_pair_state){.A = 0.5, .T = 0.5, .S = 15, .D = 0};
    rp_engine_week_step(&resp, &c, 5, 0, &s, &u, &ev);
    CHECK(s.D == 0, "responsive: a repaired rupture does not lead to discussion");
    u.repair = 0.99999;
    s = (rp_pair_state){.A = 0.5, .T = 0.5, .S = 15, .D = 0};
    rp_engine_week_step(p, &c, 5, 0, &s, &u, &ev);
    CHECK(s.D == 0, "never: an unrepaired rupture does not lead to discussion");
}

static void test_poisson(void)
{
    const double lambdas[] = {0.0715, 1.385, 12.5, 29.99, 30.0, 47.25, 312.5};
    bool ok = true;
    for (size_t a = 0; a < sizeof lambdas / sizeof lambdas[0]; a++) {
        const double lam = lambdas[a];
        for (unsigned k = (unsigned)fmax(0, lam - 4 * sqrt(lam)); k < lam + 4 * sqrt(lam) + 3; k++) {
            const double F = gsl_cdf_poisson_P(k, lam), tol = 1e-9 * fmax(F, 1e-3);
            if (F - tol > 0 && rp_rng_poisson_inv(lam, F - tol) > k)
                ok = false, printf("  lambda %g: u just below F(%u) gives more than %u\n", lam, k, k);
            if (F + tol < 1 && rp_rng_poisson_inv(lam, F + tol) != k + 1 && F + tol < gsl_cdf_poisson_P(k + 1, lam))
                ok = false, printf("  lambda %g: u just above F(%u) does not give %u\n", lam, k, k + 1);
        }
    }
    CHECK(ok, "Poisson inversion matches GSL's CDF at every boundary, lambda 0.07 to 312");
    CHECK(rp_rng_poisson_inv(0, 0.999) == 0, "Poisson(0) = 0");
}

/* Large rates (the walk from the mode): the quantile at a few u against GSL's
 * CDF, F(k - 1) <= u < F(k) up to 1e-9 of rounding between the two ways of
 * summing (GSL's CDF is exact to ~1e-14 up to lambda = 1e6, checked against
 * mpmath; beyond, off its mode, its asymptotic series is not), then the mean
 * and variance of 20,000 draws on a fixed Philox stream within 5 standard
 * errors (the SE of a sample variance of a Poisson is about lambda
 * sqrt(2 / n)). A rate above 2^31 gives its exact median and 99% quantile
 * (by mpmath; the old lgamma form of P(N = k) was 5 counts off there); one
 * whose count cannot be an unsigned saturates, never wraps:
 * (unsigned)floor(4294967299) was 3. */
static void test_poisson_large(void)
{
    const double lambdas[] = {1e3, 123456.5, 999999.5};
    const double us[] = {1e-6, 0.01, 0.3, 0.5, 0.7, 0.99, 1 - 1e-6};
    for (size_t a = 0; a < sizeof lambdas / sizeof lambdas[0]; a++) {
        const double lam = lambdas[a];
        bool ok = true;
        for (size_t b = 0; b < sizeof us / sizeof us[0]; b++) {
            const unsigned k = rp_rng_poisson_inv(lam, us[b]);
            const double below = k ? gsl_cdf_poisson_P(k - 1, lam) : 0, at = gsl_cdf_poisson_P(k, lam);
            if (!(below <= us[b] + 1e-9 && us[b] < at + 1e-9))
                ok = false, printf("  lambda %g, u %g: k = %u, F(k-1) = %.12g, F(k) = %.12g\n", lam, us[b], k, below,
                                   at);
        }
        CHECK(ok, "Poisson(%g): the quantile of u in [1e-6, 1 - 1e-6] matches GSL's CDF", lam);
    }
    const int n = 20000;
    const double big[] = {1e3, 123456.5, 1e6};
    for (size_t a = 0; a < sizeof big / sizeof big[0]; a++) {
        const double lam = big[a];
        double sum = 0, sum2 = 0;
        for (int i = 0; i < n; i++) {
            uint64_t out[4];
            rp_rng_block((rp_rng_key){12345, 0}, 99, 0, 0, (uint64_t)i, out);
            const double k = rp_rng_poisson_inv(lam, rp_rng_u01(out[0]));
            sum += k;
            sum2 += k * k;
        }
        const double mean = sum / n, var = (sum2 - n * mean * mean) / (n - 1);
        CHECK_NEAR(mean, lam, 5 * sqrt(lam / n), "Poisson(%g): mean of %d draws within 5 SE", lam, n);
        CHECK_NEAR(var, lam, 5 * lam * sqrt(2.0 / n), "Poisson(%g): variance of %d draws within 5 SE", lam, n);
    }
    /* mpmath, 40 digits: F(3000127419) = 0.98999972943535712528, F(3000127420) = 0.99000021602894254807 */
    CHECK(rp_rng_poisson_inv(3e9, 0.5) == 3000000000u && rp_rng_poisson_inv(3e9, 0.99) == 3000127420u,
          "Poisson(3e9): median %u, 99%% quantile %u (want 3000000000, 3000127420)", rp_rng_poisson_inv(3e9, 0.5),
          rp_rng_poisson_inv(3e9, 0.99));
    CHECK(rp_rng_poisson_inv(4294967299.0, 0.5) == UINT_MAX && rp_rng_poisson_inv(1e19, 0.01) == UINT_MAX,
          "Poisson beyond an unsigned's range saturates at UINT_MAX (no cast overflow, no wrap)");
}

static void test_apportion(void)
{
    const double cohort[4] = {2.0 / 27, 14.0 / 27, 8.0 / 27, 3.0 / 27};
    int64_t n[4];
    rp_population_apportion(27, 4, cohort, n);
    CHECK(n[0] == 2 && n[1] == 14 && n[2] == 8 && n[3] == 3, "27 patients: 2/14/8/3 exactly");
    rp_population_apportion(100000, 4, cohort, n);
    CHECK(n[0] == 7407 && n[1] == 51852 && n[2] == 29630 && n[3] == 11111 &&
              n[0] + n[1] + n[2] + n[3] == 100000,
          "100000 patients by largest remainder: %lld %lld %lld %lld", (long long)n[0],
          (long long)n[1], (long long)n[2], (long long)n[3]);
    const double prov[4] = {0.65, 0.15, 0.10, 0.10};
    rp_population_apportion(7, 4, prov, n);
    /* floors 4, 1, 0, 0; remainders .55, .05, .7, .7: the two left go to the .7s */
    CHECK(n[0] == 4 && n[1] == 1 && n[2] == 1 && n[3] == 1, "7 providers .65/.15/.10/.10: 4/1/1/1");
}

static void test_icc(void)
{
    /* Three clusters: {1, 2, 3}, {4, 6}, {8, 9, 10, 13} and a singleton that is
     * excluded. Hand computation: N = 9, k = 3, means 2, 5, 10, grand 56/9;
     * SSB = 3 (2 - 56/9)^2 + 2 (5 - 56/9)^2 + 4 (10 - 56/9)^2 = 110.2222...;
     * SSW = 2 + 2 + 14 = 18; MSB = 55.1111, MSW = 3; n0 = (9 - 29/9)/2. */
    const double y[] = {1, 2, 3, 4, 6, 8, 9, 10, 13, 100};
    const int64_t cl[] = {0, 0, 0, 1, 1, 2, 2, 2, 2, 3};
    int64_t size[4];
    double mean[4];
    const double g = 56.0 / 9;
    const double ssb = 3 * (2 - g) * (2 - g) + 2 * (5 - g) * (5 - g) + 4 * (10 - g) * (10 - g);
    const double msb = ssb / 2, msw = 18.0 / 6, n0 = (9 - 29.0 / 9) / 2;
    CHECK_NEAR(rp_observe_icc(10, y, cl, 4, size, mean), (msb - msw) / (msb + (n0 - 1) * msw),
               1e-14, "ICC(1) one-way ANOVA, unbalanced, singleton excluded");
    const int64_t one[] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    CHECK(isnan(rp_observe_icc(10, y, one, 4, size, mean)), "ICC undefined with one cluster");
}

/* A summary of 6 pairs in 2 groups (the second empty), 3 providers: the empty
 * group's observables and r without variance are undefined (NaN) and fine; an
 * infinite improvement is an error naming the observable and the group. */
static void test_summary_finite(rp_params *p)
{
    rp_params q = *p;
    q.patients.n_groups = 2;
    snprintf(q.patients.groups[0].name, RP_NAME_MAX, "g0");
    snprintf(q.patients.groups[1].name, RP_NAME_MAX, "g1");
    uint8_t group[6] = {0};
    double s0[6] = {20, 20, 20, 20, 20, 20};
    int64_t provider_of[6] = {0, 0, 1, 1, 2, 2};
    const double dist[6] = {0};
    rp_population pop = {.n_patients = 6, .n_providers = 3, .patient_group = group, .symptoms0 = s0};
    rp_outcomes *o = rp_engine_outcomes_alloc(6);
    for (int i = 0; i < 6; i++) {
        o->exit_week[i] = 5;
        o->exit_reason[i] = i < 2 ? RP_EXIT_DROPPED : RP_EXIT_COURSE;
        o->discussed_week[i] = -1;
        o->ruptures[i] = o->repairs[i] = 0;
        o->symptoms_exit[i] = 10 + i;
        o->early_alliance[i] = 0.5; /* no variance: r undefined */
        o->trust_report[i] = 0.4;
    }
    rp_summary sum;
    rp_error err = {{0}};
    int st = rp_observe_summary(&sum, &q, &pop, provider_of, dist, o, &err);
    CHECK(st == RP_OK && isnan(sum.group[1].dropout) && isnan(sum.all.alliance_outcome_r) &&
              isnan(sum.all.repaired_share) && isfinite(sum.all.improvement_mean),
          "undefined observables (empty group, r without variance, no ruptures) are NaN, not an error: %s",
          err.msg);
    o->symptoms_exit[3] = -INFINITY;
    st = rp_observe_summary(&sum, &q, &pop, provider_of, dist, o, &err);
    CHECK(st == RP_EFAIL && strstr(err.msg, "improvement_mean = +inf overall") && !strchr(err.msg, '\n'),
          "an infinite improvement fails the summary in one line naming it: %s", err.msg);
    o->symptoms_exit[3] = NAN;
    st = rp_observe_summary(&sum, &q, &pop, provider_of, dist, o, &err);
    CHECK(st == RP_EFAIL && strstr(err.msg, "improvement_mean = NaN overall"), "a NaN where defined fails: %s", err.msg);
    rp_engine_outcomes_free(o);
}

static void test_streams(void)
{
    rp_rng_key k = {20221, 3};
    uint64_t a[4], b[4], c[4];
    rp_rng_block(k, RP_PURPOSE_WEEK_A, 17, 5, 0, a);
    rp_rng_block(k, RP_PURPOSE_WEEK_A, 17, 5, 0, b);
    rp_rng_block(k, RP_PURPOSE_WEEK_B, 17, 5, 0, c);
    CHECK(memcmp(a, b, sizeof a) == 0, "a block is a pure function of its key");
    CHECK(memcmp(a, c, sizeof a) != 0, "purposes give different blocks");
    /* Two gsl_rngs on different streams share no state: interleaving draws
     * from one does not change the other's sequence. */
    gsl_rng *r1 = gsl_rng_alloc(rp_rng_philox), *r2 = gsl_rng_alloc(rp_rng_philox);
    rp_rng_select(r1, k, RP_PURPOSE_MISTRUST, 9, 0);
    double alone[6];
    for (int i = 0; i < 6; i++)
        alone[i] = gsl_rng_uniform(r1);
    rp_rng_select(r1, k, RP_PURPOSE_MISTRUST, 9, 0);
    rp_rng_select(r2, k, RP_PURPOSE_BARRIER, 9, 0);
    bool same = true;
    for (int i = 0; i < 6; i++) {
        gsl_rng_uniform(r2);
        same = same && gsl_rng_uniform(r1) == alone[i];
    }
    CHECK(same, "streams share no hidden state");
    /* Known-answer test of Random123 (kat_vectors): philox4x64-10, counter and
     * key all zero. Pins the generator across platforms and library versions. */
    rp_rng_block((rp_rng_key){0, 0}, 0, 0, 0, 0, a);
    CHECK(a[0] == 0x16554d9eca36314cULL && a[1] == 0xdb20fe9d672d0fdcULL &&
              a[2] == 0xd7e772cee186176bULL && a[3] == 0x7e68b68aec7ba23bULL,
          "philox4x64-10 known answer: %016llx %016llx", (unsigned long long)a[0],
          (unsigned long long)a[1]);
    gsl_rng_free(r1);
    gsl_rng_free(r2);
}

int main(void)
{
    rp_params p;
    set_params(&p);
    tiny t = {.pc = {1, 1, 0.25, 0.75}, .qc = {0, 0, 0.625, 0.3125}, .m = 0.4125, .b = 0.3375,
              .lambda = 0.2125, .s0 = 16.25, .u = -0.3125, .gamma = 0.0875, .h = 0.5625,
              .skill = 0.1875, .cap = 20};
    rp_population pop;
    tiny_population(&pop, &t);
    test_distance(&p);
    test_pair_formulas(&p, &pop, &t);
    test_hazards(&p, &pop, &t);
    test_recurrence(&p, &pop, &t);
    test_policies(&p, &pop);
    test_v2_formulas(&p, &pop, &t);
    test_gradient(&p);
    test_truncated_normal();
    test_poisson();
    test_poisson_large();
    test_apportion();
    test_icc();
    test_summary_finite(&p);
    test_streams();
    return rp_test_done();
}
