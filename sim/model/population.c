/* population.c - drawing patients and providers; see population.h. */
#include "rapport/population.h"

#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>

#include <gsl/gsl_cdf.h>

#include "model/draw.h"
#include "model/memory.h"

double rp_population_bytes(const rp_params *p)
{
    const double k = p->culture.n_dims;
    const double per_patient = 1 + 8 * k + 6 * 8;
    const double per_provider = 1 + 8 * k + 3 * 8 + 8;
    return (double)p->patients.count * per_patient + (double)p->providers.count * per_provider;
}

rp_population *rp_population_alloc(const rp_params *p)
{
    rp_population *pop = calloc(1, sizeof *pop);
    if (!pop)
        return NULL;
    size_t n = (size_t)p->patients.count, m = (size_t)p->providers.count;
    size_t k = (size_t)p->culture.n_dims;
    pop->n_patients = p->patients.count;
    pop->n_providers = p->providers.count;
    pop->n_dims = p->culture.n_dims;
    pop->patient_group = rp_big_alloc(n);
    pop->patient_culture = rp_big_alloc(n * k * sizeof(double));
    pop->mistrust = rp_big_alloc(n * sizeof(double));
    pop->barrier = rp_big_alloc(n * sizeof(double));
    pop->stressor_rate = rp_big_alloc(n * sizeof(double));
    pop->symptoms0 = rp_big_alloc(n * sizeof(double));
    pop->alliance_trait = rp_big_alloc(n * sizeof(double));
    pop->response = rp_big_alloc(n * sizeof(double));
    pop->provider_group = rp_big_alloc(m);
    pop->provider_culture = rp_big_alloc(m * k * sizeof(double));
    pop->humility = rp_big_alloc(m * sizeof(double));
    pop->skill = rp_big_alloc(m * sizeof(double));
    pop->retention = rp_big_alloc(m * sizeof(double));
    pop->capacity = rp_big_alloc(m * sizeof(int64_t));
    if (!pop->patient_group || !pop->patient_culture || !pop->mistrust || !pop->barrier ||
        !pop->stressor_rate || !pop->symptoms0 || !pop->alliance_trait || !pop->response ||
        !pop->provider_group || !pop->provider_culture || !pop->humility || !pop->skill ||
        !pop->retention || !pop->capacity) {
        rp_population_free(pop); /* exception in constructor: free what was allocated */
        return NULL;
    }
    return pop;
}

void rp_population_free(rp_population *pop)
{
    if (!pop)
        return;
    free(pop->patient_group);
    free(pop->patient_culture);
    free(pop->mistrust);
    free(pop->barrier);
    free(pop->stressor_rate);
    free(pop->symptoms0);
    free(pop->alliance_trait);
    free(pop->response);
    free(pop->provider_group);
    free(pop->provider_culture);
    free(pop->humility);
    free(pop->skill);
    free(pop->retention);
    free(pop->capacity);
    free(pop);
}

void rp_population_apportion(int64_t count, int n, const double *shares, int64_t *counts)
{
    double rem[RP_MAX_GROUPS];
    int64_t given = 0;
    for (int g = 0; g < n; g++) {
        double exact = shares[g] * (double)count;
        counts[g] = (int64_t)floor(exact);
        rem[g] = exact - (double)counts[g];
        given += counts[g];
    }
    /* Hand out what is left one by one to the largest remainders (earlier
     * group on ties); take back from the smallest if rounding overshot. */
    while (given < count) {
        int best = 0;
        for (int g = 1; g < n; g++)
            if (rem[g] > rem[best])
                best = g;
        counts[best]++;
        rem[best] -= 1.0;
        given++;
    }
    while (given > count) {
        int worst = -1;
        for (int g = 0; g < n; g++)
            if (counts[g] > 0 && (worst < 0 || rem[g] < rem[worst]))
                worst = g;
        counts[worst]--;
        rem[worst] += 1.0;
        given--;
    }
}

/* Groups as contiguous index blocks in declared order. */
static void assign_groups(uint8_t *group, int64_t count, int n_groups, const rp_group *groups)
{
    double shares[RP_MAX_GROUPS] = {0};
    int64_t counts[RP_MAX_GROUPS] = {0};
    for (int g = 0; g < n_groups; g++)
        shares[g] = groups[g].share;
    rp_population_apportion(count, n_groups, shares, counts);
    int64_t i = 0;
    for (int g = 0; g < n_groups; g++)
        for (int64_t c = 0; c < counts[g]; c++)
            group[i++] = (uint8_t)g;
}

/* One attribute of lanes agent0 + l, l < n: the distribution of each
 * lane's group (field `field` of rp_group) on stream (purpose, agent, sub). */
static void draw_attribute(rp_rng_key key, rp_purpose purpose, int64_t agent0, int n, uint32_t sub,
                           const rp_group *groups, const uint8_t *group, size_t field, double *out,
                           int64_t stride)
{
    const rp_dist *d[RP_DRAW_LANES];
    for (int l = 0; l < n; l++)
        d[l] = (const rp_dist *)((const char *)&groups[group[agent0 + l]] + field);
    rp_draw_lanes(key, purpose, agent0, n, sub, d, out, stride);
}

/* One distribution for all lanes. */
static void draw_common(rp_rng_key key, rp_purpose purpose, int64_t agent0, int n, const rp_dist *dist,
                        double *out)
{
    const rp_dist *d[RP_DRAW_LANES];
    for (int l = 0; l < n; l++)
        d[l] = dist;
    rp_draw_lanes(key, purpose, agent0, n, 0, d, out, 1);
}

/* Culture vectors of lanes agent0 + l: dimension k drawn from stream
 * (purpose, agent, k); a categorical level by one uniform against the
 * cumulative level probabilities. */
static void draw_culture(rp_rng_key key, rp_purpose purpose, int64_t agent0, int n, const rp_params *p,
                         const rp_group *groups, const uint8_t *group, double *culture)
{
    const int64_t nk = p->culture.n_dims;
    for (int k = 0; k < p->culture.n_dims; k++) {
        const rp_dimension *dim = &p->culture.dims[k];
        if (dim->kind == RP_DIM_CONTINUOUS) {
            draw_attribute(key, purpose, agent0, n, (uint32_t)k, groups, group,
                           offsetof(rp_group, trait) + (size_t)k * sizeof(rp_dist), &culture[agent0 * nk + k], nk);
            continue;
        }
        uint32_t b[4][RP_DRAW_LANES];
        rp_draw_block32(key, purpose, agent0, n, (uint32_t)k, b);
        for (int l = 0; l < n; l++) {
            const rp_group *g = &groups[group[agent0 + l]];
            double u = rp_draw_u01(b[0][l]), cum = 0;
            int level = dim->n_levels - 1; /* u beyond a sum rounded below 1 */
            for (int v = 0; v < dim->n_levels; v++) {
                cum += g->level_prob[k][v];
                if (u < cum && g->level_prob[k][v] > 0) {
                    level = v;
                    break;
                }
            }
            while (level > 0 && g->level_prob[k][level] == 0) /* never a level of probability 0 */
                level--;
            culture[(agent0 + l) * nk + k] = level;
        }
    }
}

/* The truncated normal's constants, computed once a group instead of once a
 * patient: the standardised bounds, the branch, and Phi (or Q) at both. */
typedef struct {
    double mean, sd, lo, hi, a, f_a, f_b;
    int upper; /* both bounds above the mean: the upper tail through Q */
} truncated_normal;

static truncated_normal truncated_normal_init(double mean, double sd, double lo, double hi)
{
    truncated_normal t = {.mean = mean, .sd = sd, .lo = lo, .hi = hi};
    if (!(sd > 0))
        return t;
    t.a = (lo - mean) / sd;
    const double b = (hi - mean) / sd;
    t.upper = t.a > 0;
    t.f_a = t.upper ? gsl_cdf_ugaussian_Q(t.a) : gsl_cdf_ugaussian_P(t.a);
    t.f_b = t.upper ? gsl_cdf_ugaussian_Q(b) : gsl_cdf_ugaussian_P(b);
    return t;
}

/* A truncated draw from uniform u: the argument of Phi^-1 (the upper tail
 * through Q^-1(y) = -Phi^-1(y)), then the value from x = Phi^-1 of it. */
static double truncated_normal_p(const truncated_normal *t, double u)
{
    return t->upper ? t->f_a - u * (t->f_a - t->f_b) : t->f_a + u * (t->f_b - t->f_a);
}

static double truncated_normal_value(const truncated_normal *t, double x)
{
    if (!(t->sd > 0))
        return fmin(fmax(t->mean, t->lo), t->hi);
    const double z = t->upper ? (t->f_a - t->f_b > 0 ? -x : t->a) : (t->f_b - t->f_a > 0 ? x : t->a);
    /* Rounding of the inverse may step a last bit outside; and an interval
     * with no mass in double (both bounds > ~37 sd away) gives its bound a. */
    return fmin(fmax(t->mean + t->sd * z, t->lo), t->hi);
}

double rp_population_truncated_normal(double mean, double sd, double lo, double hi, double u)
{
    const truncated_normal t = truncated_normal_init(mean, sd, lo, hi);
    return truncated_normal_value(&t, rp_draw_normal_inv(truncated_normal_p(&t, u)));
}

/* v[l] = 1 / (1 + e^-(logit v[l] + g (c[l] - 1/2))), lanes l < n. */
static void shifted_logit_lanes(const rp_drawv *V, double *v, double g, const double *c, int n)
{
    double lv[RP_DRAW_LANES], l1v[RP_DRAW_LANES], z[RP_DRAW_LANES], e[RP_DRAW_LANES];
    for (int l = 0; l < RP_DRAW_LANES; l++)
        lv[l] = l < n ? v[l] : 0.5;
    for (int l = 0; l < RP_DRAW_LANES; l++)
        l1v[l] = 1.0 - lv[l];
    V->log(lv, lv, n);
    V->log(l1v, l1v, n);
    for (int l = 0; l < RP_DRAW_LANES; l++)
        z[l] = -(lv[l] - l1v[l] + g * ((l < n ? c[l] : 0.5) - 0.5));
    V->exp(z, e, n);
    for (int l = 0; l < n; l++)
        v[l] = 1.0 / (1.0 + e[l]);
}

/* The deprivation gradient on lanes l < n (c: their c_g). */
static void gradient_lanes(const rp_params *p, const rp_drawv *V, const double *c, double *barrier,
                           double *stressor_rate, double *mistrust, int n)
{
    if (p->patients.gradient.barrier != 0)
        shifted_logit_lanes(V, barrier, p->patients.gradient.barrier, c, n);
    if (p->patients.gradient.stressor_rate != 0) {
        double z[RP_DRAW_LANES], e[RP_DRAW_LANES];
        for (int l = 0; l < RP_DRAW_LANES; l++)
            z[l] = p->patients.gradient.stressor_rate * ((l < n ? c[l] : 0.5) - 0.5);
        V->exp(z, e, n);
        for (int l = 0; l < n; l++)
            stressor_rate[l] *= e[l];
    }
    if (p->patients.gradient.mistrust != 0)
        shifted_logit_lanes(V, mistrust, p->patients.gradient.mistrust, c, n);
}

void rp_population_gradient(const rp_params *p, double c, double *barrier, double *stressor_rate,
                            double *mistrust)
{
    gradient_lanes(p, rp_draw_vec(), &c, barrier, stressor_rate, mistrust, 1);
}

/* ---- populations read from a data file (rp_records) ---- */

double rp_records_bytes(const rp_records *rec)
{
    if (!rec)
        return 0;
    double per_row = rec->group ? 1 : 0;
    for (int s = 0; s < RP_REC_SLOTS; s++)
        per_row += rec->value[s] ? sizeof(double) : 0;
    return (double)rec->rows * per_row;
}

/* Which row of the file agent i is: i itself (each row once), or a row drawn
 * uniformly on the agent's own stream (purpose, i): Lemire's multiply and
 * reject, exact, one 64-bit output nearly always. */
static int64_t record_row(rp_rng_key key, rp_purpose purpose, const rp_records *rec, int resample, int64_t i)
{
    if (!resample)
        return i;
    rp_stream s;
    rp_stream_open(&s, key, purpose, (uint64_t)i, 0);
    const uint64_t n = (uint64_t)rec->rows, threshold = -n % n;
    for (;;) {
        __extension__ const unsigned __int128 m = (unsigned __int128)rp_stream_bits(&s) * n;
        if ((uint64_t)m >= threshold)
            return (int64_t)(m >> 64);
    }
}

/* The rows of lanes agent0 + l, and their groups. */
static void record_rows(const rp_records *rec, int resample, rp_rng_key key, rp_purpose purpose, int64_t agent0,
                        int n, int64_t *row, uint8_t *group)
{
    for (int l = 0; l < n; l++) {
        row[l] = record_row(key, purpose, rec, resample, agent0 + l);
        group[agent0 + l] = rec->group ? rec->group[row[l]] : 0;
    }
}

/* out[l * stride] = the file's value of slot s in lane l's row, where the
 * file gives one (a missing value, NaN, keeps the draw). */
static void take(const rp_records *rec, int s, const int64_t *row, int n, double *out, int64_t stride)
{
    const double *v = rec ? rec->value[s] : NULL;
    for (int l = 0; v && l < n; l++)
        if (!isnan(v[row[l]]))
            out[l * stride] = v[row[l]];
}

static void take_culture(const rp_records *rec, int n_dims, const int64_t *row, int n, double *culture)
{
    for (int k = 0; rec && k < n_dims; k++)
        take(rec, k, row, n, &culture[k], n_dims);
}

/* Patients i0 .. i0 + nl - 1: each attribute across the lanes in turn. */
static void patients_chunk(rp_population *pop, const rp_params *p, rp_rng_key key, const truncated_normal *s0,
                           int64_t i0, int nl)
{
    const rp_group *g = p->patients.groups;
    const uint8_t *gi = pop->patient_group;
    const double sg = p->patients.response_sd;
    const rp_dist alliance = {RP_DIST_NORMAL, 0.0, p->patients.alliance_sd};
    const rp_dist response_z = {RP_DIST_NORMAL, 0.0, 1.0};
    const rp_records *rec = p->patients.records;
    int64_t row[RP_DRAW_LANES];
    if (rec)
        record_rows(rec, p->patients.resample, key, RP_PURPOSE_RESAMPLE_PATIENT, i0, nl, row, pop->patient_group);
    /* every draw as without a file, on the same streams; then the file's values over them */
    draw_culture(key, RP_PURPOSE_PATIENT_CULTURE, i0, nl, p, g, gi, pop->patient_culture);
    take_culture(rec, pop->n_dims, row, nl, &pop->patient_culture[i0 * pop->n_dims]);
    draw_attribute(key, RP_PURPOSE_MISTRUST, i0, nl, 0, g, gi, offsetof(rp_group, mistrust), &pop->mistrust[i0], 1);
    draw_attribute(key, RP_PURPOSE_BARRIER, i0, nl, 0, g, gi, offsetof(rp_group, barrier), &pop->barrier[i0], 1);
    draw_attribute(key, RP_PURPOSE_STRESSOR_RATE, i0, nl, 0, g, gi, offsetof(rp_group, stressor_rate),
                   &pop->stressor_rate[i0], 1);
    const rp_drawv *V = rp_draw_vec();
    if (p->model >= 2) { /* a normal truncated: one uniform, a purpose of its own; else drawn and clamped */
        uint32_t b[4][RP_DRAW_LANES];
        double q[RP_DRAW_LANES], x[RP_DRAW_LANES];
        rp_draw_block32(key, RP_PURPOSE_SYMPTOMS0_TRUNCATED, i0, nl, 0, b);
        for (int l = 0; l < RP_DRAW_LANES; l++)
            q[l] = l < nl ? truncated_normal_p(&s0[gi[i0 + l]], rp_draw_u01(b[0][l])) : 0.5;
        V->normal_inv(q, x, nl);
        for (int l = 0; l < nl; l++) {
            const rp_dist *sd = &g[gi[i0 + l]].symptoms;
            if (sd->kind == RP_DIST_NORMAL) {
                pop->symptoms0[i0 + l] = truncated_normal_value(&s0[gi[i0 + l]], x[l]);
                continue;
            }
            rp_draw_stream st;
            rp_draw_stream_open(&st, key, RP_PURPOSE_SYMPTOMS0, (uint64_t)(i0 + l), 0);
            pop->symptoms0[i0 + l] = fmin(fmax(rp_draw_dist(&st, sd), p->symptoms.recovered), p->symptoms.max);
        }
    } else { /* model 1: drawn and clamped */
        draw_attribute(key, RP_PURPOSE_SYMPTOMS0, i0, nl, 0, g, gi, offsetof(rp_group, symptoms), &pop->symptoms0[i0],
                       1);
        for (int l = 0; l < nl; l++)
            pop->symptoms0[i0 + l] = fmin(fmax(pop->symptoms0[i0 + l], p->symptoms.recovered), p->symptoms.max);
    }
    draw_common(key, RP_PURPOSE_ALLIANCE_TRAIT, i0, nl, &alliance, &pop->alliance_trait[i0]);
    double z[RP_DRAW_LANES] = {0}, e[RP_DRAW_LANES];
    draw_common(key, RP_PURPOSE_RESPONSE_TRAIT, i0, nl, &response_z, z);
    for (int l = 0; l < RP_DRAW_LANES; l++)
        z[l] = sg * z[l] - sg * sg / 2;
    V->exp(z, e, nl);
    for (int l = 0; l < nl; l++)
        pop->response[i0 + l] = p->symptoms.improvement * e[l];
    if (p->patients.gradient.dim >= 0) {
        const int k = pop->n_dims;
        double c[RP_DRAW_LANES];
        for (int l = 0; l < nl; l++)
            c[l] = pop->patient_culture[(i0 + l) * k + p->patients.gradient.dim];
        gradient_lanes(p, V, c, &pop->barrier[i0], &pop->stressor_rate[i0], &pop->mistrust[i0], nl);
    }
    if (rec) { /* a value of the file is the patient's as recorded: no gradient on it */
        take(rec, RP_REC_MISTRUST, row, nl, &pop->mistrust[i0], 1);
        take(rec, RP_REC_BARRIER, row, nl, &pop->barrier[i0], 1);
        take(rec, RP_REC_STRESSOR_RATE, row, nl, &pop->stressor_rate[i0], 1);
        take(rec, RP_REC_SYMPTOMS0, row, nl, &pop->symptoms0[i0], 1);
        take(rec, RP_REC_ALLIANCE_TRAIT, row, nl, &pop->alliance_trait[i0], 1);
        take(rec, RP_REC_RESPONSE, row, nl, &pop->response[i0], 1);
    }
}

/* Providers j0 .. j0 + nl - 1. */
static void providers_chunk(rp_population *pop, const rp_params *p, rp_rng_key key, int64_t j0, int nl)
{
    const rp_dist skill = {RP_DIST_NORMAL, 0.0, p->providers.skill_sd};
    const rp_dist retention = {RP_DIST_NORMAL, 0.0, p->providers.retention_sd};
    const rp_records *rec = p->providers.records;
    int64_t row[RP_DRAW_LANES];
    if (rec)
        record_rows(rec, p->providers.resample, key, RP_PURPOSE_RESAMPLE_PROVIDER, j0, nl, row, pop->provider_group);
    draw_culture(key, RP_PURPOSE_PROVIDER_CULTURE, j0, nl, p, p->providers.groups, pop->provider_group,
                 pop->provider_culture);
    take_culture(rec, pop->n_dims, row, nl, &pop->provider_culture[j0 * pop->n_dims]);
    draw_attribute(key, RP_PURPOSE_HUMILITY, j0, nl, 0, p->providers.groups, pop->provider_group,
                   offsetof(rp_group, humility), &pop->humility[j0], 1);
    draw_common(key, RP_PURPOSE_SKILL, j0, nl, &skill, &pop->skill[j0]);
    /* independent of skill: a purpose of its own; sd 0 (model 1) draws nothing */
    if (p->providers.retention_sd > 0)
        draw_common(key, RP_PURPOSE_RETENTION, j0, nl, &retention, &pop->retention[j0]);
    for (int64_t j = j0; j < j0 + nl; j++) {
        if (!(p->providers.retention_sd > 0))
            pop->retention[j] = 0.0;
        pop->capacity[j] = p->providers.caseload;
    }
    if (rec) {
        take(rec, RP_REC_HUMILITY, row, nl, &pop->humility[j0], 1);
        take(rec, RP_REC_SKILL, row, nl, &pop->skill[j0], 1);
        take(rec, RP_REC_RETENTION, row, nl, &pop->retention[j0], 1); /* a column of model 2 only */
        const double *c = rec->value[RP_REC_CASELOAD];
        for (int l = 0; c && l < nl; l++)
            if (!isnan(c[row[l]]))
                pop->capacity[j0 + l] = (int64_t)c[row[l]];
    }
}

void rp_population_generate(rp_population *pop, const rp_params *p, rp_rng_key key, int threads)
{
    const int64_t n = pop->n_patients, m = pop->n_providers;
    if (!p->patients.records) /* else each patient's row gives its group (patients_chunk) */
        assign_groups(pop->patient_group, n, p->patients.n_groups, p->patients.groups);
    if (!p->providers.records)
        assign_groups(pop->provider_group, m, p->providers.n_groups, p->providers.groups);
    truncated_normal s0[RP_MAX_GROUPS];
    for (int g = 0; g < p->patients.n_groups; g++)
        s0[g] = truncated_normal_init(p->patients.groups[g].symptoms.a, p->patients.groups[g].symptoms.b,
                                      p->symptoms.recovered, p->symptoms.max);

    /* Each agent's draws read its own streams only (draw.h): any schedule
     * and any thread count give the same bits. Agents go RP_DRAW_LANES at a
     * time, one attribute after another across the lanes. */
    const int64_t n_chunks = rp_draw_chunks(n), m_chunks = rp_draw_chunks(m);
#pragma omp parallel num_threads(threads)
    {
#pragma omp for schedule(static)
        for (int64_t c = 0; c < n_chunks; c++) {
            int64_t i0;
            const int nl = rp_draw_chunk(n, c, &i0);
            patients_chunk(pop, p, key, s0, i0, nl);
        }
#pragma omp for schedule(static)
        for (int64_t c = 0; c < m_chunks; c++) {
            int64_t j0;
            const int nl = rp_draw_chunk(m, c, &j0);
            providers_chunk(pop, p, key, j0, nl);
        }
    }
}

rp_metric rp_metric_of(const rp_params *p)
{
    rp_metric m = {.n = p->culture.n_dims};
    for (int k = 0; k < m.n; k++) {
        m.categorical[k] = p->culture.dims[k].kind == RP_DIM_CATEGORICAL;
        m.weight[k] = p->culture.dims[k].weight;
        m.total += m.weight[k];
    }
    return m;
}

double rp_population_distance(const rp_params *p, const double *c, const double *q)
{
    const rp_metric m = rp_metric_of(p);
    return rp_metric_distance(&m, c, q);
}

void rp_population_distances(const rp_params *p, const rp_population *pop, const int64_t *provider_of,
                             int threads, double *dist)
{
    const rp_metric m = rp_metric_of(p);
    const int64_t nk = pop->n_dims;
#pragma omp parallel for schedule(static) num_threads(threads)
    for (int64_t i = 0; i < pop->n_patients; i++)
        dist[i] = rp_metric_distance(&m, &pop->patient_culture[i * nk], &pop->provider_culture[provider_of[i] * nk]);
}
