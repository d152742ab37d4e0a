/* engine.c - intake, the weekly loop of each pair, and the parallel loop over
 * pairs; see engine.h. Load: ~10^6 pairs x 26 weeks per run, so the weekly
 * step touches only registers and two Philox blocks. */
#include "rapport/engine.h"

#include <stdlib.h>

void rp_engine_pair_init(rp_pair_consts *c, const rp_params *p, const rp_population *pop,
                         int64_t i, int64_t j, double distance)
{
    const double h = pop->humility[j];
    /* d_ij (1 - chi h_j): with chi = 0 (model 1) exactly d_ij */
    c->distance = distance * (1.0 - p->humility.felt_distance * h);
    c->discussed_scale = 1.0 - p->discussion.effect * (1.0 - p->discussion.humility_share +
                                                       p->discussion.humility_share * h);
    c->alliance_base = p->alliance.beta0 + p->alliance.beta_skill * pop->skill[j] +
                       pop->alliance_trait[i];
    c->humility = h;
    for (int D = 0; D <= 1; D++)
        c->repair_prob[D] =
            rp_logistic(p->repair.base + p->repair.humility * h + p->repair.discussed * D);
    c->erosion = distance > p->trust.notice_distance ? p->trust.undiscussed_erosion * distance : 0.0;
    /* + epsilon_j, the provider's retention effect: 0 under model 1, and x + 0 is x */
    c->dropout_base = p->dropout.base + p->dropout.barrier * pop->barrier[i] + pop->retention[j];
    c->response = pop->response[i];
    c->stressor_rate = pop->stressor_rate[i];
    c->stressor_p0 = exp(-c->stressor_rate);
}

void rp_engine_week_draws(rp_week_draws *u, rp_rng_key key, int64_t i, int t)
{
    uint64_t a[4], b[4];
    rp_rng_block(key, RP_PURPOSE_WEEK_A, (uint64_t)i, (uint64_t)t, 0, a);
    rp_rng_block(key, RP_PURPOSE_WEEK_B, (uint64_t)i, (uint64_t)t, 0, b);
    u->discuss = rp_rng_u01(a[0]);
    u->stressor = rp_rng_u01(a[1]);
    u->rupture = rp_rng_u01(a[2]);
    u->repair = rp_rng_u01(a[3]);
    u->responsive = rp_rng_u01(b[0]);
    u->dropout = rp_rng_u01(b[1]);
    /* Box-Muller: 1 - u is in (0, 1], so the log is finite. */
    const double radius = sqrt(-2.0 * log(1.0 - rp_rng_u01(b[2])));
    const double angle = 6.283185307179586 * rp_rng_u01(b[3]);
    u->z_alliance = radius * cos(angle);
    u->z_symptoms = radius * sin(angle);
}

void rp_engine_intake(rp_pair_state *s, const rp_params *p, const rp_pair_consts *c, double mistrust,
                    double symptoms0)
{
    s->T = 1.0 - mistrust;
    s->D = p->discussion.policy == RP_DISCUSS_INTAKE;
    s->A = rp_alliance_target(p, c, s->T, s->D);
    s->S = symptoms0;
}

uint64_t rp_engine_outcomes_bytes(int64_t n) { return (uint64_t)n * (4 * 4 + 1 + 3 * 8); }

rp_outcomes *rp_engine_outcomes_alloc(int64_t n)
{
    rp_outcomes *o = calloc(1, sizeof *o);
    if (!o)
        return NULL;
    size_t m = (size_t)n;
    o->n = n;
    o->exit_week = malloc(m * sizeof(int32_t));
    o->exit_reason = malloc(m);
    o->discussed_week = malloc(m * sizeof(int32_t));
    o->ruptures = malloc(m * sizeof(int32_t));
    o->repairs = malloc(m * sizeof(int32_t));
    o->symptoms_exit = malloc(m * sizeof(double));
    o->early_alliance = malloc(m * sizeof(double));
    o->trust_report = malloc(m * sizeof(double));
    if (!o->exit_week || !o->exit_reason || !o->discussed_week || !o->ruptures || !o->repairs ||
        !o->symptoms_exit || !o->early_alliance || !o->trust_report) {
        rp_engine_outcomes_free(o);
        return NULL;
    }
    return o;
}

void rp_engine_outcomes_free(rp_outcomes *o)
{
    if (!o)
        return;
    free(o->exit_week);
    free(o->exit_reason);
    free(o->discussed_week);
    free(o->ruptures);
    free(o->repairs);
    free(o->symptoms_exit);
    free(o->early_alliance);
    free(o->trust_report);
    free(o);
}

/* Week w of row r of a trajectory block: state, or missing after exit. */
static void record_state(rp_trajectory *tr, int64_t r, int stride, int w, const rp_pair_state *s)
{
    const int64_t at = r * stride + w;
    if (tr->A) tr->A[at] = (float)s->A;
    if (tr->T) tr->T[at] = (float)s->T;
    if (tr->S) tr->S[at] = (float)s->S;
    if (tr->D) tr->D[at] = (uint8_t)s->D;
}

static void record_events(rp_trajectory *tr, int64_t r, int stride, int w, const rp_week_events *ev)
{
    const int64_t at = r * stride + w;
    if (tr->D) tr->D[at] = (uint8_t)ev->D_now; /* discussion in effect during week w */
    if (tr->N) tr->N[at] = (uint8_t)(ev->N < 254 ? ev->N : 254);
    if (tr->rupture) tr->rupture[at] = (uint8_t)ev->rupture;
    if (tr->repaired) tr->repaired[at] = (uint8_t)ev->repaired;
}

static void record_missing(rp_trajectory *tr, int64_t r, int stride, int from)
{
    for (int w = from; w < stride; w++) {
        const int64_t at = r * stride + w;
        if (tr->A) tr->A[at] = NAN;
        if (tr->T) tr->T[at] = NAN;
        if (tr->S) tr->S[at] = NAN;
        if (tr->D) tr->D[at] = RP_TRAJ_FILL_U8;
        if (tr->N) tr->N[at] = RP_TRAJ_FILL_U8;
        if (tr->rupture) tr->rupture[at] = RP_TRAJ_FILL_U8;
        if (tr->repaired) tr->repaired[at] = RP_TRAJ_FILL_U8;
    }
}

/* Where a NaN first appeared in a pair, for the error message. */
typedef struct {
    int64_t pair;
    int week;
    const char *variable;
} nan_report;

static const char *nan_variable(const rp_pair_state *s)
{
    return isnan(s->A) ? "alliance A" : isnan(s->T) ? "trust T" : "symptoms S";
}

/* One pair from intake to exit. Returns false (and fills *nan) on a NaN. */
static bool simulate_pair(const rp_params *p, const rp_population *pop, int64_t i, int64_t j,
                          double distance, rp_rng_key key, const double *early, rp_outcomes *out,
                          rp_trajectory *traj, nan_report *nan)
{
    rp_pair_consts c;
    rp_engine_pair_init(&c, p, pop, i, j, distance);
    rp_pair_state s;
    rp_engine_intake(&s, p, &c, pop->mistrust[i], pop->symptoms0[i]);

    const int stride = p->horizon + 1, report_week = p->report.ambivalence_week;
    const int64_t row = traj ? i - traj->first : 0;
    int discussed = s.D ? 0 : -1, ruptures = 0, repairs = 0, t = 0;
    double early_sum = 0, trust_report = report_week == 0 ? s.T : NAN;
    if (traj)
        record_state(traj, row, stride, 0, &s);

    rp_exit_reason exit = RP_EXIT_ENGAGED;
    for (t = 0; exit == RP_EXIT_ENGAGED; t++) {
        rp_week_draws u;
        rp_week_events ev;
        rp_engine_week_draws(&u, key, i, t);
        exit = rp_engine_week_step(p, &c, t, early[t], &s, &u, &ev);
        if (isnan(s.A + s.T + s.S)) {
            *nan = (nan_report){i, t + 1, nan_variable(&s)};
            return false;
        }
        if (discussed < 0 && ev.D_now)
            discussed = t;
        if (discussed < 0 && s.D)
            discussed = t + 1;
        ruptures += ev.rupture;
        repairs += ev.repaired;
        if (t + 1 <= 3)
            early_sum += s.A;
        if (t + 1 == report_week)
            trust_report = s.T;
        if (traj) {
            record_events(traj, row, stride, t, &ev);
            record_state(traj, row, stride, t + 1, &s);
        }
    }
    const int exit_week = t; /* the loop's last t was exit_week - 1 */
    if (traj) {
        /* The exit week's own events never happen: the pair has left. */
        record_missing(traj, row, stride, exit_week + 1);
        const int64_t at = row * stride + exit_week;
        if (traj->N) traj->N[at] = RP_TRAJ_FILL_U8;
        if (traj->rupture) traj->rupture[at] = RP_TRAJ_FILL_U8;
        if (traj->repaired) traj->repaired[at] = RP_TRAJ_FILL_U8;
    }
    out->exit_week[i] = exit_week;
    out->exit_reason[i] = (uint8_t)exit;
    out->discussed_week[i] = discussed;
    out->ruptures[i] = ruptures;
    out->repairs[i] = repairs;
    out->symptoms_exit[i] = s.S;
    out->early_alliance[i] = exit_week >= 3 ? early_sum / 3.0 : NAN;
    out->trust_report[i] = trust_report;
    return true;
}

int rp_engine_run(const rp_params *p, const rp_population *pop, const int64_t *provider_of,
                  const double *dist, rp_rng_key key, int threads, int64_t first, int64_t count,
                  rp_outcomes *out, rp_trajectory *traj, rp_error *err)
{
    double *early = malloc((size_t)p->horizon * sizeof(double));
    if (!early)
        RP_FAIL(err, RP_ENOMEM, "out of memory for %d weeks", p->horizon);
    for (int t = 0; t < p->horizon; t++)
        early[t] = p->dropout.early * exp(-t / p->dropout.early_weeks);

    nan_report first_nan = {.pair = -1};
#pragma omp parallel for schedule(dynamic, 1024) num_threads(threads)
    for (int64_t i = first; i < first + count; i++) {
        nan_report nan;
        if (!simulate_pair(p, pop, i, provider_of[i], dist[i], key, early, out, traj, &nan)) {
#pragma omp critical(rp_engine_nan)
            if (first_nan.pair < 0 || nan.pair < first_nan.pair)
                first_nan = nan;
        }
    }
    free(early);
    if (first_nan.pair >= 0)
        RP_FAIL(err, RP_EFAIL, "the model produced NaN in %s of pair %lld at week %d",
                first_nan.variable, (long long)first_nan.pair, first_nan.week);
    return RP_OK;
}
