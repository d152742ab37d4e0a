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
 *     summaries, with and without trajectories;
 *   - the reference scenario's ordering: intake < never in dropout. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rapport/run.h"
#include "rapport/scenario.h"
#include "testing.h"

/* Load a scenario from text plus overrides; aborts the test on error. */
static rp_params load(const char *yaml, const char **sets, int n_sets)
{
    rp_scenario *sc = NULL;
    rp_error err = {{0}};
    int status = rp_scenario_load_string("test.yaml", yaml, &sc, &err);
    for (int k = 0; status == RP_OK && k < n_sets; k++)
        status = rp_scenario_set(sc, sets[k], &err);
    if (status == RP_OK)
        status = rp_scenario_resolve(sc, &err);
    if (status != RP_OK) {
        printf("FAIL scenario: %s\n", err.msg);
        exit(1);
    }
    rp_params p = *rp_scenario_params(sc);
    rp_scenario_free(sc);
    return p;
}

static rp_run *run_or_die(const rp_params *p, rp_run_options *opt)
{
    rp_run *run = NULL;
    rp_error err = {{0}};
    if (rp_run_execute(p, opt, &run, &err) != RP_OK) {
        printf("FAIL run: %s\n", err.msg);
        exit(1);
    }
    return run;
}

/* One group, everyone alike: isolates one mechanism at a time. */
static const char *one_group =
    "seed: 7741\n"
    "horizon: 26\n"
    "course: 40\n"
    "symptoms: {recovered: 0}\n"
    "patients:\n"
    "  count: 60000\n"
    "  groups:\n"
    "    everyone:\n"
    "      share: 1\n"
    "      ethnoracial: {white: 0.25, latinx: 0.75}\n"
    "      language: english\n"
    "      class: beta(2.5, 4.5)\n"
    "      explanatory_model: 0.5\n"
    "      mistrust: beta(3, 5)\n"
    "      barrier: beta(2, 3)\n"
    "      stressor_rate: 0.35\n"
    "      symptoms: normal(15, 4)\n"
    "providers:\n"
    "  count: 3000\n"
    "  groups:\n"
    "    all: {share: 1, ethnoracial: white, language: english, class: 0.5,\n"
    "          explanatory_model: 0.5, humility: \"beta(3, 3)\"}\n";

static void test_constant_hazard(void)
{
    const double h = 0.0725, logit = log(h / (1 - h));
    char base[64];
    snprintf(base, sizeof base, "dropout.base=%.17g", logit);
    const char *sets[] = {base, "dropout.low_alliance=0", "dropout.low_trust=0",
                          "dropout.barrier=0", "dropout.stressor=0", "dropout.early=0"};
    rp_params p = load(one_group, sets, 6);
    rp_run_options opt = {.threads = 2};
    rp_run *run = run_or_die(&p, &opt);
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
    rp_params p = load(one_group, sets, 3);
    moments m = {0};
    rp_run_options opt = {.threads = 2, .on_block = count_stressors, .ctx = &m,
                          .variables = RP_TRAJ_N, .block_pairs = 7777};
    rp_run *run = run_or_die(&p, &opt);
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
    rp_params p = load(one_group, NULL, 0);
    rp_run_options opt = {.threads = 2};
    rp_run *run = run_or_die(&p, &opt);
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
    rp_params p = load(reference, sets, 1);
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
    rp_params p = load(reference, sets, 4);
    rp_run_options one = {.threads = 1}, two = {.threads = 2};
    rp_run *a = run_or_die(&p, &one), *b = run_or_die(&p, &two), *c = run_or_die(&p, &two);
    CHECK(same_outcomes(a->outcomes, b->outcomes) && !memcmp(&a->summary, &b->summary, sizeof a->summary) &&
              !memcmp(a->provider_of, b->provider_of, (size_t)p.patients.count * 8),
          "1 and 2 threads bit-identical (%s, %s)", policy, assignment);
    CHECK(same_outcomes(b->outcomes, c->outcomes) && !memcmp(&b->summary, &c->summary, sizeof b->summary),
          "repeated runs bit-identical (%s, %s)", policy, assignment);
    rp_run_options other = {.threads = 2, .replicate = 1};
    rp_run *d = run_or_die(&p, &other);
    CHECK(!same_outcomes(c->outcomes, d->outcomes), "another replicate differs (%s, %s)", policy, assignment);
    rp_run_free(a);
    rp_run_free(b);
    rp_run_free(c);
    rp_run_free(d);
}

static void test_ordering(void)
{
    const char *ref = "seed: 20221\npatients: {count: 100000}\nproviders: {count: 5000}\n";
    const char *sets[] = {"discussion.policy=intake"};
    rp_params never = load(ref, NULL, 0), intake = load(ref, sets, 1);
    rp_run_options opt = {.threads = 2};
    rp_run *a = run_or_die(&never, &opt), *b = run_or_die(&intake, &opt);
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
    test_ordering();
    return rp_test_done();
}
