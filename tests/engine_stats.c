/* engine_stats.c - statistical checks, invariants and reproducibility of
 * whole runs, with fixed seeds (so they never flake) and stated tolerances:
 * every rate within 4 standard errors of its expectation.
 *   - a constant dropout hazard h gives survival (1 - h)^t;
 *   - stressor counts have the Poisson mean and variance of their rate;
 *   - population draws: level probabilities and Beta means per group;
 *   - invariants on every pair-week of the reference scenario: A, T in
 *     [0.001, 0.999], S in [0, S_max], nothing recorded after exit, exit
 *     reasons consistent with the exit week and symptoms;
 *   - 1 and 2 threads, and repeated runs, give bit-identical outcomes and
 *     summaries, with and without trajectories; the summary of several
 *     blocks of pairs the same on 1, 2 and 3 threads;
 *   - the reference scenario's ordering: intake < never in dropout;
 *   - model 2: truncated-normal intake symptoms (bounds, no mass at S_rec,
 *     mean and variance), and with every new coefficient 0 the same pairs
 *     as model 1, bit for bit. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rapport/run.h"
#include "rapport/scenario.h"
#include "testing.h"

static void test_constant_hazard(void)
{
    const double h = 0.0725, logit = log(h / (1 - h));
    char base[64];
    snprintf(base, sizeof base, "dropout.base=%.17g", logit);
    const char *sets[] = {base, "dropout.low_alliance=0", "dropout.low_trust=0",
                          "dropout.barrier=0", "dropout.stressor=0", "dropout.early=0"};
    rp_params p = rp_test_load(rp_test_one_group, sets, 6);
    rp_run_options opt = {.threads = 2};
    rp_run *run = rp_test_run(&p, &opt);
    const double n = (double)p.patients.count;
    bool ok = true;
    for (int t = 1; t <= 15; t++) {
        int64_t alive = 0;
        for (int64_t i = 0; i < run->outcomes->n; i++)
            alive += run->outcomes->exit_week[i] > t;
        const double want = pow(1 - h, t), se = sqrt(want * (1 - want) / n);
        const double z = (alive / n - want) / se;
        if (fabs(z) > 4)
            ok = false;
        if (t % 5 == 0 || fabs(z) > 4)
            printf("  week %2d: survival %.5f, (1 - h)^t %.5f, z %+.2f\n", t, alive / n, want, z);
    }
    CHECK(ok, "constant hazard h = %.4f: survival (1 - h)^t within 4 SE at weeks 1-15", h);
    int64_t censored = 0;
    for (int64_t i = 0; i < run->outcomes->n; i++)
        censored += run->outcomes->exit_reason[i] == RP_EXIT_CENSORED &&
                    run->outcomes->exit_week[i] == p.horizon;
    const double want = pow(1 - h, p.horizon), se = sqrt(want * (1 - want) / n);
    CHECK(fabs(censored / n - want) < 4 * se, "censored at the horizon: %.5f vs %.5f (4 SE %.5f)",
          censored / n, want, 4 * se);
    rp_run_free(run);
}

/* Accumulates stressor counts of recorded pair-weeks. */
typedef struct {
    double sum, sumsq;
    int64_t n;
} moments;

static int count_stressors(void *ctx, const rp_trajectory *tr, const rp_outcomes *out, rp_error *err)
{
    (void)err, (void)out;
    moments *m = ctx;
    const int64_t cells = tr->count * 27;
    for (int64_t c = 0; c < cells; c++)
        if (tr->N[c] != RP_TRAJ_FILL_U8) {
            m->sum += tr->N[c];
            m->sumsq += (double)tr->N[c] * tr->N[c];
            m->n++;
        }
    return RP_OK;
}

static void test_stressors(void)
{
    const char *sets[] = {"dropout.base=-40", "dropout.early=0", "symptoms.stressor_jump=0"};
    rp_params p = rp_test_load(rp_test_one_group, sets, 3);
    moments m = {0};
    rp_run_options opt = {.threads = 2, .on_block = count_stressors, .ctx = &m,
                          .variables = RP_TRAJ_N, .block_pairs = 7777};
    rp_run *run = rp_test_run(&p, &opt);
    const double lambda = 0.35, mean = m.sum / m.n, var = m.sumsq / m.n - mean * mean;
    CHECK(m.n == p.patients.count * 26, "every pair recorded 26 weeks of stressors (%lld)",
          (long long)m.n);
    CHECK(fabs(mean - lambda) < 4 * sqrt(lambda / m.n), "Poisson mean %.5f vs %.2f (4 SE %.5f)",
          mean, lambda, 4 * sqrt(lambda / m.n));
    /* Var of the sample variance of a Poisson: (lambda + 2 lambda^2) / n. */
    const double se_var = sqrt((lambda + 2 * lambda * lambda) / m.n);
    CHECK(fabs(var - lambda) < 4 * se_var, "Poisson variance %.5f vs %.2f (4 SE %.5f)", var, lambda,
          4 * se_var);
    rp_run_free(run);
}

static void test_population_draws(void)
{
    rp_params p = rp_test_load(rp_test_one_group, NULL, 0);
    rp_run_options opt = {.threads = 2};
    rp_run *run = rp_test_run(&p, &opt);
    const rp_population *pop = run->pop;
    const double n = (double)pop->n_patients;
    double latinx = 0, cls = 0, m = 0;
    for (int64_t i = 0; i < pop->n_patients; i++) {
        latinx += pop->patient_culture[i * pop->n_dims + 0] == 1;
        cls += pop->patient_culture[i * pop->n_dims + 2];
        m += pop->mistrust[i];
    }
    const double se_l = sqrt(0.75 * 0.25 / n);
    CHECK(fabs(latinx / n - 0.75) < 4 * se_l, "level probability 0.75: %.5f (4 SE %.5f)", latinx / n,
          4 * se_l);
    /* Beta(a, b): mean a / (a + b), variance ab / ((a + b)^2 (a + b + 1)). */
    const double se_c = sqrt(2.5 * 4.5 / (49.0 * 8.0) / n), se_m = sqrt(15.0 / (64.0 * 9.0) / n);
    CHECK(fabs(cls / n - 2.5 / 7) < 4 * se_c, "Beta(2.5, 4.5) mean %.5f vs %.5f", cls / n, 2.5 / 7);
    CHECK(fabs(m / n - 3.0 / 8) < 4 * se_m, "mistrust Beta(3, 5) mean %.5f vs %.5f", m / n, 3.0 / 8);
    bool same_culture = true;
    for (int64_t j = 0; j < pop->n_providers; j++)
        same_culture = same_culture && pop->provider_culture[j * pop->n_dims] == 0 &&
                       pop->provider_culture[j * pop->n_dims + 2] == 0.5;
    CHECK(same_culture, "fixed provider culture: every provider white, class 0.5");
    rp_run_free(run);
}

/* Checks every recorded pair-week of a block against the outcomes. */
typedef struct {
    const rp_params *p;
    int64_t bad, checked;
    char first_bad[256];
} invariants;

static void flag(invariants *v, int64_t i, int w, const char *what)
{
    if (v->bad++ == 0)
        snprintf(v->first_bad, sizeof v->first_bad, "pair %lld week %d: %s", (long long)i, w, what);
}

static int check_block(void *ctx, const rp_trajectory *tr, const rp_outcomes *out, rp_error *err)
{
    (void)err;
    invariants *v = ctx;
    const int stride = v->p->horizon + 1;
    for (int64_t r = 0; r < tr->count; r++) {
        const int64_t i = tr->first + r;
        const int exit = out->exit_week[i];
        for (int w = 0; w < stride; w++) {
            const int64_t at = r * stride + w;
            const float A = tr->A[at], T = tr->T[at], S = tr->S[at];
            v->checked++;
            if (w <= exit) {
                if (!(A >= 0.001f && A <= 0.999f) && w > 0) flag(v, i, w, "A outside [0.001, 0.999]");
                if (!(A > 0 && A < 1)) flag(v, i, w, "A outside (0, 1)");
                if (!(T > 0 && T < 1)) flag(v, i, w, "T outside (0, 1)");
                if (!(S >= 0 && S <= v->p->symptoms.max)) flag(v, i, w, "S outside [0, S_max]");
                if (tr->D[at] > 1) flag(v, i, w, "D not 0/1");
                if (w < exit && (tr->N[at] == RP_TRAJ_FILL_U8 || tr->rupture[at] > 1 ||
                                 tr->repaired[at] > tr->rupture[at]))
                    flag(v, i, w, "events of an engaged week missing or inconsistent");
                if (w == exit && tr->N[at] != RP_TRAJ_FILL_U8)
                    flag(v, i, w, "events recorded in the exit week");
            } else if (!isnan(A) || !isnan(T) || !isnan(S) || tr->D[at] != RP_TRAJ_FILL_U8 ||
                       tr->N[at] != RP_TRAJ_FILL_U8 || tr->rupture[at] != RP_TRAJ_FILL_U8) {
                flag(v, i, w, "a value after exit");
            }
        }
        const double S_exit = tr->S[r * stride + exit];
        switch (out->exit_reason[i]) {
        case RP_EXIT_RECOVERED:
            if (!(S_exit < v->p->symptoms.recovered)) flag(v, i, exit, "recovered with S >= S_rec");
            break;
        case RP_EXIT_COURSE:
            if (exit != v->p->course) flag(v, i, exit, "course completed before the course");
            break;
        case RP_EXIT_DROPPED:
            if (exit >= v->p->course) flag(v, i, exit, "dropped at or after the course");
            break;
        case RP_EXIT_CENSORED:
            if (exit != v->p->horizon) flag(v, i, exit, "censored before the horizon");
            break;
        default: flag(v, i, exit, "no exit reason");
        }
        if (exit < 1 || exit > v->p->horizon)
            flag(v, i, exit, "exit week outside 1..horizon");
    }
    return RP_OK;
}

static const char *reference = "seed: 20221\npatients: {count: 20000}\nproviders: {count: 1000}\n";

static void test_invariants(const char *policy)
{
    char set[64];
    snprintf(set, sizeof set, "discussion.policy=%s", policy);
    const char *sets[] = {set};
    rp_params p = rp_test_load(reference, sets, 1);
    rp_run *run = NULL;
    rp_error err = {{0}};
    invariants v = {.p = &p};
    rp_run_options opt = {.threads = 2, .on_block = check_block, .ctx = &v, .block_pairs = 4096};
    int status = rp_run_execute(&p, &opt, &run, &err);
    CHECK(status == RP_OK, "reference run with trajectories (%s)", status ? err.msg : "ok");
    CHECK(v.bad == 0 && v.checked == p.patients.count * (p.horizon + 1),
          "invariants on all %lld pair-weeks, policy %s%s%s", (long long)v.checked, policy,
          v.bad ? ": " : "", v.first_bad);
    rp_run_free(run);
}

static bool same_outcomes(const rp_outcomes *a, const rp_outcomes *b)
{
    const size_t n = (size_t)a->n;
    return a->n == b->n && !memcmp(a->exit_week, b->exit_week, n * 4) &&
           !memcmp(a->exit_reason, b->exit_reason, n) &&
           !memcmp(a->discussed_week, b->discussed_week, n * 4) &&
           !memcmp(a->ruptures, b->ruptures, n * 4) && !memcmp(a->repairs, b->repairs, n * 4) &&
           !memcmp(a->symptoms_exit, b->symptoms_exit, n * 8) &&
           !memcmp(a->early_alliance, b->early_alliance, n * 8) &&
           !memcmp(a->trust_report, b->trust_report, n * 8);
}

static void test_reproducible(const char *policy, const char *assignment)
{
    char s1[64], s2[64];
    snprintf(s1, sizeof s1, "discussion.policy=%s", policy);
    snprintf(s2, sizeof s2, "assignment.policy=%s", assignment);
    const char *sets[] = {s1, s2, "patients.count=6000", "providers.count=300"};
    rp_params p = rp_test_load(reference, sets, 4);
    rp_run_options one = {.threads = 1}, two = {.threads = 2};
    rp_run *a = rp_test_run(&p, &one), *b = rp_test_run(&p, &two), *c = rp_test_run(&p, &two);
    CHECK(same_outcomes(a->outcomes, b->outcomes) && !memcmp(&a->summary, &b->summary, sizeof a->summary) &&
              !memcmp(a->provider_of, b->provider_of, (size_t)p.patients.count * 8),
          "1 and 2 threads bit-identical (%s, %s)", policy, assignment);
    CHECK(same_outcomes(b->outcomes, c->outcomes) && !memcmp(&b->summary, &c->summary, sizeof b->summary),
          "repeated runs bit-identical (%s, %s)", policy, assignment);
    rp_run_options other = {.threads = 2, .replicate = 1};
    rp_run *d = rp_test_run(&p, &other);
    CHECK(!same_outcomes(c->outcomes, d->outcomes), "another replicate differs (%s, %s)", policy, assignment);
    rp_run_free(a);
    rp_run_free(b);
    rp_run_free(c);
    rp_run_free(d);
}

/* The moments of x^0, x^1, ... x^4 of Normal(mu, sd) truncated to [lo, hi],
 * by Simpson's rule on its density (an oracle of its own, not the sampler's
 * formula). */
static void truncated_moments(double mu, double sd, double lo, double hi, double *mean, double *var, double *m4)
{
    const int n = 200000; /* even */
    const double h = (hi - lo) / n;
    double s[5] = {0};
    for (int k = 0; k <= n; k++) {
        const double x = lo + k * h, z = (x - mu) / sd;
        const double w = (k == 0 || k == n ? 1 : k % 2 ? 4 : 2) * exp(-0.5 * z * z);
        for (int q = 0; q < 5; q++)
            s[q] += w * pow(x, q);
    }
    const double m1 = s[1] / s[0], m2 = s[2] / s[0], m3 = s[3] / s[0], mm4 = s[4] / s[0];
    *mean = m1;
    *var = m2 - m1 * m1;
    *m4 = mm4 - 4 * m1 * m3 + 6 * m1 * m1 * m2 - 3 * m1 * m1 * m1 * m1; /* central */
}

/* Model 2's intake symptoms: Normal(8, 6) truncated to [S_rec, S_max] =
 * [5, 27] (a third of the mass is below 5): no value outside, none exactly at
 * S_rec (model 1 clamps a third of the patients there), mean and variance
 * within 4 SE of the truncated normal's. */
static void test_truncated_intake(void)
{
    const char *sets[] = {"model=2", "symptoms.recovered=5", "patients.groups.everyone.symptoms=normal(8, 6)",
                          "providers.retention_sd=0.5"};
    rp_params p2 = rp_test_load(rp_test_one_group, sets, 4), p1 = rp_test_load(rp_test_one_group, sets + 1, 2);
    rp_run_options opt = {.threads = 2};
    rp_run *a = rp_test_run(&p2, &opt), *b = rp_test_run(&p1, &opt);
    const double n = (double)a->pop->n_patients;
    double sum = 0, sq = 0;
    int64_t outside = 0, at_lo = 0, at_lo_v1 = 0;
    for (int64_t i = 0; i < a->pop->n_patients; i++) {
        const double x = a->pop->symptoms0[i];
        outside += x < 5 || x > 27;
        at_lo += x == 5;
        at_lo_v1 += b->pop->symptoms0[i] == 5;
        sum += x;
    }
    const double mean = sum / n;
    for (int64_t i = 0; i < a->pop->n_patients; i++)
        sq += (a->pop->symptoms0[i] - mean) * (a->pop->symptoms0[i] - mean);
    const double var = sq / (n - 1);
    double tm, tv, t4;
    truncated_moments(8, 6, 5, 27, &tm, &tv, &t4);
    CHECK(outside == 0, "truncated S0: no value outside [5, 27] (%lld)", (long long)outside);
    CHECK(at_lo == 0 && at_lo_v1 > n / 4, "no mass at S_rec: %lld at 5 (model 1 clamps %lld there)",
          (long long)at_lo, (long long)at_lo_v1);
    const double se_m = sqrt(tv / n), se_v = sqrt((t4 - tv * tv) / n);
    CHECK(fabs(mean - tm) < 4 * se_m, "truncated S0 mean %.5f vs %.5f (4 SE %.5f)", mean, tm, 4 * se_m);
    CHECK(fabs(var - tv) < 4 * se_v, "truncated S0 variance %.5f vs %.5f (4 SE %.5f)", var, tv, 4 * se_v);
    /* epsilon_j ~ Normal(0, 0.5), drawn independently of skill: sd within
     * 4 SE (sd / sqrt(2M)), correlation with skill within 4 / sqrt(M). */
    const int64_t m = a->pop->n_providers;
    double se = 0, ss = 0, sk = 0, sx = 0, sxy = 0;
    for (int64_t j = 0; j < m; j++) {
        se += a->pop->retention[j] * a->pop->retention[j];
        sk += a->pop->skill[j] * a->pop->skill[j];
        sx += a->pop->retention[j];
        ss += a->pop->skill[j];
        sxy += a->pop->retention[j] * a->pop->skill[j];
    }
    const double sd_e = sqrt(se / m - (sx / m) * (sx / m)), md = (double)m;
    const double r = (sxy / md - sx / md * ss / md) / (sd_e * sqrt(sk / md - (ss / md) * (ss / md)));
    CHECK(fabs(sd_e - 0.5) < 4 * 0.5 / sqrt(2 * md), "retention effect sd %.4f vs 0.5 (4 SE %.4f)", sd_e,
          4 * 0.5 / sqrt(2 * md));
    CHECK(fabs(r) < 4 / sqrt(md), "retention effect independent of skill: r = %.4f (4 SE %.4f)", r, 4 / sqrt(md));
    bool zero = true;
    for (int64_t j = 0; j < b->pop->n_providers; j++)
        zero = zero && b->pop->retention[j] == 0;
    CHECK(zero, "model 1: every retention effect is 0");
    rp_run_free(a);
    rp_run_free(b);
}

/* Model 2 with every new coefficient 0 (chi, Delta_T+, sd_retention and the
 * gradient's three, its dimension still class) is model 1, pair by pair. The
 * intake symptoms differ by design (truncated, not clamped, from another
 * purpose), so S0 is a fixed value in every group here: it is drawn by no
 * one, and everything after it must be bit for bit the same. */
static void test_v2_zero_is_v1(const char *policy)
{
    char pol[64];
    snprintf(pol, sizeof pol, "discussion.policy=%s", policy);
    /* the calibrated coefficients at one value in both (each version has its own calibration) */
#define SAME_COEFFICIENTS "dropout.base=-8", "dropout.early=4", "patients.response_sd=0.8", "providers.skill_sd=0.8"
    const char *v1[] = {pol, "patients.count=20000", "providers.count=1000", "patients.groups.white.symptoms=15.5",
                        "patients.groups.latinx.symptoms=14.25", "patients.groups.black.symptoms=16",
                        "patients.groups.asian.symptoms=13.75", "model=1", SAME_COEFFICIENTS};
    const char *v2[] = {pol, "patients.count=20000", "providers.count=1000", "patients.groups.white.symptoms=15.5",
                        "patients.groups.latinx.symptoms=14.25", "patients.groups.black.symptoms=16",
                        "patients.groups.asian.symptoms=13.75", "model=2", "humility.felt_distance=0",
                        "trust.repair_gain=0", "providers.retention_sd=0", "patients.gradient.barrier=0",
                        "patients.gradient.stressor_rate=0", "patients.gradient.mistrust=0", SAME_COEFFICIENTS};
    const int n1 = (int)(sizeof v1 / sizeof v1[0]), n2 = (int)(sizeof v2 / sizeof v2[0]);
    rp_params p1 = rp_test_load(reference, v1, n1), p2 = rp_test_load(reference, v2, n2), p2d = rp_test_load(reference, v2, 8);
    CHECK(p2.model == 2 && p2.patients.gradient.dim == 2, "model 2, gradient on class with coefficients 0");
    rp_run_options opt = {.threads = 2};
    rp_run *a = rp_test_run(&p1, &opt), *b = rp_test_run(&p2, &opt), *c = rp_test_run(&p2d, &opt);
    const size_t n = (size_t)p1.patients.count, m = (size_t)p1.providers.count;
    CHECK(!memcmp(a->pop->mistrust, b->pop->mistrust, n * 8) && !memcmp(a->pop->barrier, b->pop->barrier, n * 8) &&
              !memcmp(a->pop->stressor_rate, b->pop->stressor_rate, n * 8) &&
              !memcmp(a->pop->symptoms0, b->pop->symptoms0, n * 8) && !memcmp(a->pop->skill, b->pop->skill, m * 8) &&
              !memcmp(a->pop->humility, b->pop->humility, m * 8),
          "v2 with new coefficients 0: the same agents as v1 (%s)", policy);
    CHECK(same_outcomes(a->outcomes, b->outcomes) && !memcmp(a->provider_of, b->provider_of, n * 8),
          "v2 with new coefficients 0: every pair's exit week, reason, ruptures, symptoms as v1 (%s)", policy);
    CHECK(!same_outcomes(a->outcomes, c->outcomes), "v2 with its own defaults differs from v1 (%s): the test can "
          "fail", policy);
    rp_run_free(a);
    rp_run_free(b);
    rp_run_free(c);
}

static void test_ordering(void)
{
    const char *ref = "seed: 20221\npatients: {count: 100000}\nproviders: {count: 5000}\n";
    const char *sets[] = {"discussion.policy=intake"};
    rp_params never = rp_test_load(ref, NULL, 0), intake = rp_test_load(ref, sets, 1);
    rp_run_options opt = {.threads = 2};
    rp_run *a = rp_test_run(&never, &opt), *b = rp_test_run(&intake, &opt);
    const double dn = a->summary.all.dropout, di = b->summary.all.dropout;
    /* Binomial SE of the difference of two shares of 100,000 pairs. */
    const double se = sqrt(dn * (1 - dn) / 1e5 + di * (1 - di) / 1e5);
    CHECK(di + 4 * se < dn, "reference scenario: dropout intake %.4f < never %.4f (by > 4 SE %.4f)",
          di, dn, 4 * se);
    const rp_summary *s = &a->summary;
    CHECK(s->group[0].dropout < s->group[1].dropout && s->group[0].dropout < s->group[2].dropout &&
              s->group[0].dropout < s->group[3].dropout,
          "minority gap: white %.3f below latinx %.3f, black %.3f, asian %.3f",
          s->group[0].dropout, s->group[1].dropout, s->group[2].dropout, s->group[3].dropout);
    rp_run_free(a);
    rp_run_free(b);
}

/* The summary's sums over pairs in fixed blocks: the same bits on 1, 2 and
 * 3 threads over several blocks (200,003 pairs: four blocks and a part),
 * the summary of a 2-thread run the same as of a 1-thread run. */
static void test_summary_threads(void)
{
    const char *sets[] = {"patients.count=200003", "providers.count=10001"};
    rp_params p = rp_test_load(reference, sets, 2);
    rp_run_options one = {.threads = 1}, two = {.threads = 2};
    rp_run *a = rp_test_run(&p, &one), *b = rp_test_run(&p, &two);
    int same = !memcmp(&a->summary, &b->summary, sizeof a->summary);
    for (int t = 1; t <= 3; t++) {
        rp_summary s;
        rp_error err = {{0}};
        same &= rp_observe_summary_threads(&s, &p, a->pop, a->provider_of, a->distance, a->outcomes, t, &err) ==
                    RP_OK &&
                !memcmp(&s, &a->summary, sizeof s);
    }
    CHECK(same, "the summary of 200,003 pairs the same bits on 1, 2 and 3 threads");
    rp_run_free(a);
    rp_run_free(b);
}

int main(void)
{
    test_constant_hazard();
    test_stressors();
    test_population_draws();
    test_invariants("never");
    test_invariants("responsive");
    test_reproducible("never", "random");
    test_reproducible("delayed", "same_group");
    test_reproducible("responsive", "min_distance");
    test_truncated_intake();
    test_v2_zero_is_v1("never");
    test_v2_zero_is_v1("responsive");
    test_ordering();
    test_summary_threads();
    return rp_test_done();
}
