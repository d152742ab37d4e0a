/* engine.c - intake, the weekly loop of each pair, and the parallel loop over
 * pairs; see engine.h. Load: ~10^6 pairs x 26 weeks per run, so the weekly
 * step touches only registers and two Philox blocks. */
#include "rapport/engine.h"

#include <stdlib.h>
#include <string.h>

#include "model/draw.h"
#include "model/engine_fast.h"
#include "model/memory.h"

double rp_engine_exp(double x) { return rp_draw_exp(x); }

void rp_engine_repair_probs(const rp_params *p, double h, double repair_prob[2])
{
    for (int D = 0; D <= 1; D++)
        repair_prob[D] = rp_logistic(p->repair.base + p->repair.humility * h + p->repair.discussed * D);
}

void rp_engine_pair_init_with(rp_pair_consts *c, const rp_params *p, const rp_population *pop, int64_t i,
                              int64_t j, double distance, const double repair_prob[2])
{
    const double h = pop->humility[j];
    /* d_ij (1 - chi h_j): with chi = 0 (model 1) exactly d_ij */
    c->distance = distance * (1.0 - p->humility.felt_distance * h);
    c->discussed_scale = 1.0 - p->discussion.effect * (1.0 - p->discussion.humility_share +
                                                       p->discussion.humility_share * h);
    c->alliance_base = p->alliance.beta0 + p->alliance.beta_skill * pop->skill[j] +
                       pop->alliance_trait[i];
    c->humility = h;
    c->repair_prob[0] = repair_prob[0];
    c->repair_prob[1] = repair_prob[1];
    c->erosion = distance > p->trust.notice_distance ? p->trust.undiscussed_erosion * distance : 0.0;
    /* + epsilon_j, the provider's retention effect: 0 under model 1, and x + 0 is x */
    c->dropout_base = p->dropout.base + p->dropout.barrier * pop->barrier[i] + pop->retention[j];
    c->response = pop->response[i];
    c->stressor_rate = pop->stressor_rate[i];
    c->stressor_p0 = rp_engine_exp(-c->stressor_rate);
}

void rp_engine_pair_init(rp_pair_consts *c, const rp_params *p, const rp_population *pop,
                         int64_t i, int64_t j, double distance)
{
    double repair_prob[2];
    rp_engine_repair_probs(p, pop->humility[j], repair_prob);
    rp_engine_pair_init_with(c, p, pop, i, j, distance, repair_prob);
}

void rp_engine_week_draws(rp_week_draws *u, rp_rng_key key, int64_t i, int t)
{
    uint32_t a[4], b[4];
    rp_rng_block32(key, RP_PURPOSE_WEEK_A, (uint64_t)i, (uint32_t)t, a);
    rp_rng_block32(key, RP_PURPOSE_WEEK_B, (uint64_t)i, (uint32_t)t, b);
    u->discuss = rp_rng_u24(a[0]);
    u->stressor = rp_rng_u24(a[1]);
    u->rupture = rp_rng_u24(a[2]);
    u->repair = rp_rng_u24(a[3]);
    u->responsive = rp_rng_u24(b[0]);
    u->dropout = rp_rng_u24(b[1]);
    /* Box-Muller: 1 - u is in [2^-24, 1], so the log is finite. */
    const double radius = sqrt(-2.0 * log(1.0 - rp_rng_u24(b[2])));
    const double angle = 6.283185307179586 * rp_rng_u24(b[3]);
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
    o->exit_week = rp_big_alloc(m * sizeof(int32_t));
    o->exit_reason = rp_big_alloc(m);
    o->discussed_week = rp_big_alloc(m * sizeof(int32_t));
    o->ruptures = rp_big_alloc(m * sizeof(int32_t));
    o->repairs = rp_big_alloc(m * sizeof(int32_t));
    o->symptoms_exit = rp_big_alloc(m * sizeof(double));
    o->early_alliance = rp_big_alloc(m * sizeof(double));
    o->trust_report = rp_big_alloc(m * sizeof(double));
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

void rp_engine_record_state(rp_trajectory *tr, int64_t r, int stride, int w, float A, float T, float S, int D)
{
    const int64_t at = r * stride + w;
    if (tr->A) tr->A[at] = A;
    if (tr->T) tr->T[at] = T;
    if (tr->S) tr->S[at] = S;
    if (tr->D) tr->D[at] = (uint8_t)D;
}

void rp_engine_record_events(rp_trajectory *tr, int64_t r, int stride, int w, const rp_week_events *ev)
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

const char *rp_engine_nan_variable(double A, double T)
{
    return isnan(A) ? "alliance A" : isnan(T) ? "trust T" : "symptoms S";
}

void rp_engine_finish_pair(const rp_engine_job *job, int64_t i, const rp_pair_result *r)
{
    rp_trajectory *traj = job->traj;
    if (traj) {
        /* The exit week's own events never happen: the pair has left. */
        const int stride = job->p->horizon + 1;
        const int64_t row = i - traj->first;
        record_missing(traj, row, stride, r->exit_week + 1);
        const int64_t at = row * stride + r->exit_week;
        if (traj->N) traj->N[at] = RP_TRAJ_FILL_U8;
        if (traj->rupture) traj->rupture[at] = RP_TRAJ_FILL_U8;
        if (traj->repaired) traj->repaired[at] = RP_TRAJ_FILL_U8;
    }
    rp_outcomes *out = job->out;
    out->exit_week[i] = r->exit_week;
    out->exit_reason[i] = (uint8_t)r->reason;
    out->discussed_week[i] = r->discussed;
    out->ruptures[i] = r->ruptures;
    out->repairs[i] = r->repairs;
    out->symptoms_exit[i] = r->S;
    out->early_alliance[i] = r->exit_week >= 3 ? r->early_sum / 3.0 : NAN;
    out->trust_report[i] = r->trust_report;
}

/* One pair from intake to exit by the reference step. Returns false (and
 * fills *nan) on a NaN. */
static bool simulate_pair(const rp_engine_job *job, int64_t i, rp_engine_nan *nan)
{
    const rp_params *p = job->p;
    const rp_population *pop = job->pop;
    rp_trajectory *traj = job->traj;
    rp_pair_consts c;
    rp_engine_pair_init_with(&c, p, pop, i, job->provider_of[i], job->dist[i], job->repair_prob + 2 * job->provider_of[i]);
    rp_pair_state s;
    rp_engine_intake(&s, p, &c, pop->mistrust[i], pop->symptoms0[i]);

    const int stride = p->horizon + 1, report_week = p->report.ambivalence_week;
    const int64_t row = traj ? i - traj->first : 0;
    int discussed = s.D ? 0 : -1, ruptures = 0, repairs = 0, t = 0;
    double early_sum = 0, trust_report = report_week == 0 ? s.T : NAN;
    if (traj)
        rp_engine_record_state(traj, row, stride, 0, (float)s.A, (float)s.T, (float)s.S, s.D);

    rp_exit_reason exit = RP_EXIT_ENGAGED;
    for (t = 0; exit == RP_EXIT_ENGAGED; t++) {
        rp_week_draws u;
        rp_week_events ev;
        rp_engine_week_draws(&u, job->key, i, t);
        exit = rp_engine_week_step(p, &c, t, job->early[t], &s, &u, &ev);
        if (isnan(s.A + s.T + s.S)) {
            *nan = (rp_engine_nan){i, t + 1, rp_engine_nan_variable(s.A, s.T)};
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
            rp_engine_record_events(traj, row, stride, t, &ev);
            rp_engine_record_state(traj, row, stride, t + 1, (float)s.A, (float)s.T, (float)s.S, s.D);
        }
    }
    /* the loop's last t was exit_week - 1 */
    rp_engine_finish_pair(job, i, &(rp_pair_result){t, exit, discussed, ruptures, repairs, s.S, early_sum,
                                                    trust_report});
    return true;
}

/* The reference over pairs [first, first + count). */
static bool run_reference(const rp_engine_job *job, int64_t first, int64_t count, rp_engine_nan *nan)
{
    bool ok = true;
    for (int64_t i = first; i < first + count; i++) {
        rp_engine_nan one;
        if (!simulate_pair(job, i, &one) && (ok || one.pair < nan->pair)) {
            *nan = one;
            ok = false;
        }
    }
    return ok;
}

/* The paths, by rp_engine_path_id. */
static const struct {
    const char *name;
    rp_engine_kernel *kernel;
    const char *cpu; /* what __builtin_cpu_supports must say, or NULL */
} paths[] = {
    [RP_ENGINE_AUTO] = {"auto", NULL, NULL},
    [RP_ENGINE_REFERENCE] = {"reference", run_reference, NULL},
    [RP_ENGINE_SCALAR] = {"scalar", rp_engine_fast_scalar, NULL},
    [RP_ENGINE_AVX2] = {"avx2", rp_engine_fast_avx2, "avx2"},
    [RP_ENGINE_AVX512] = {"avx512", rp_engine_fast_avx512, "avx512f"},
};
#define N_PATHS ((int)(sizeof paths / sizeof paths[0]))

static bool cpu_has(const char *feature)
{
    if (!feature)
        return true;
#if defined(__x86_64__) || defined(__i386__)
    __builtin_cpu_init();
    if (strcmp(feature, "avx2") == 0)
        return __builtin_cpu_supports("avx2");
    if (strcmp(feature, "avx512f") == 0)
        return __builtin_cpu_supports("avx512f");
#endif
    return false;
}

int rp_engine_path(const char *name, int *path, rp_error *err)
{
    if (!name || !*name || strcmp(name, "auto") == 0) {
        *path = RP_ENGINE_SCALAR;
        for (int k = RP_ENGINE_SCALAR + 1; k < N_PATHS; k++)
            if (cpu_has(paths[k].cpu))
                *path = k;
        return RP_OK;
    }
    for (int k = RP_ENGINE_SCALAR; k < N_PATHS; k++)
        if (strcmp(name, paths[k].name) == 0) {
            if (!cpu_has(paths[k].cpu))
                RP_FAIL(err, RP_EINVAL, "RAPPORT_ENGINE=%s: this processor has no %s", name, paths[k].cpu);
            *path = k;
            return RP_OK;
        }
    RP_FAIL(err, RP_EINVAL, "RAPPORT_ENGINE=%s: not one of auto, scalar, avx2, avx512", name);
}

const char *rp_engine_path_name(int path) { return path >= 0 && path < N_PATHS ? paths[path].name : "?"; }

int rp_engine_run(const rp_params *p, const rp_population *pop, const int64_t *provider_of,
                  const double *dist, rp_rng_key key, int threads, int engine, int64_t first, int64_t count,
                  rp_outcomes *out, rp_trajectory *traj, rp_error *err)
{
    int path = engine;
    if (engine == RP_ENGINE_AUTO) {
        const int status = rp_engine_path(getenv("RAPPORT_ENGINE"), &path, err);
        if (status != RP_OK)
            return status;
    } else if (engine < 0 || engine >= N_PATHS || !cpu_has(paths[engine].cpu)) {
        RP_FAIL(err, RP_EINVAL, "engine %s: %s", rp_engine_path_name(engine),
                engine < 0 || engine >= N_PATHS ? "no such path" : "this processor cannot run it");
    }
    if (first + count > RP_ENGINE_MAX_PAIRS || p->horizon > RP_ENGINE_MAX_WEEKS)
        RP_FAIL(err, RP_EINVAL, "the weekly draws' counters hold %lld pairs and %d weeks at most",
                (long long)RP_ENGINE_MAX_PAIRS, RP_ENGINE_MAX_WEEKS);
    double *early = malloc((size_t)p->horizon * sizeof(double));
    float *early_f = malloc((size_t)p->horizon * sizeof(float));
    /* the repair probabilities of each provider, shared by its pairs */
    double *repair_prob = malloc(2 * (size_t)(pop->n_providers ? pop->n_providers : 1) * sizeof(double));
    rp_engine_provider *provider = malloc((size_t)(pop->n_providers ? pop->n_providers : 1) * sizeof *provider);
    if (!early || !early_f || !repair_prob || !provider) {
        free(early);
        free(early_f);
        free(repair_prob);
        free(provider);
        RP_FAIL(err, RP_ENOMEM, "out of memory for %d weeks and %lld providers", p->horizon,
                (long long)pop->n_providers);
    }
#pragma omp parallel for schedule(static) num_threads(threads)
    for (int64_t j = 0; j < pop->n_providers; j++) {
        rp_engine_repair_probs(p, pop->humility[j], repair_prob + 2 * j);
        provider[j] = (rp_engine_provider){pop->humility[j], pop->skill[j], pop->retention[j],
                                           {(float)repair_prob[2 * j], (float)repair_prob[2 * j + 1]}};
    }
    for (int t = 0; t < p->horizon; t++) {
        early[t] = p->dropout.early * rp_engine_exp(-t / p->dropout.early_weeks);
        early_f[t] = (float)early[t];
    }

    const rp_engine_job job = {p, pop, provider_of, dist, key, early, early_f, repair_prob, provider, out, traj};
    rp_engine_kernel *kernel = paths[path].kernel;
    rp_engine_nan first_nan = {.pair = -1};
    /* Chunks of pairs: a pair's result depends on its own draws only, so
     * neither the chunks nor the lanes a kernel puts its pairs in change it. */
    const int64_t chunks = (count + RP_ENGINE_CHUNK - 1) / RP_ENGINE_CHUNK;
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads)
    for (int64_t k = 0; k < chunks; k++) {
        const int64_t from = first + k * RP_ENGINE_CHUNK;
        const int64_t n = first + count - from < RP_ENGINE_CHUNK ? first + count - from : RP_ENGINE_CHUNK;
        rp_engine_nan nan;
        if (!kernel(&job, from, n, &nan)) {
#pragma omp critical(rp_engine_nan)
            if (first_nan.pair < 0 || nan.pair < first_nan.pair)
                first_nan = nan;
        }
    }
    free(early);
    free(early_f);
    free(repair_prob);
    free(provider);
    if (first_nan.pair >= 0)
        RP_FAIL(err, RP_EFAIL, "the model produced NaN in %s of pair %lld at week %d",
                first_nan.variable, (long long)first_nan.pair, first_nan.week);
    return RP_OK;
}
