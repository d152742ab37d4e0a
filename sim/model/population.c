/* population.c - drawing patients and providers; see population.h. */
#include "rapport/population.h"

#include <math.h>
#include <stdlib.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_randist.h>

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
    pop->patient_group = malloc(n);
    pop->patient_culture = malloc(n * k * sizeof(double));
    pop->mistrust = malloc(n * sizeof(double));
    pop->barrier = malloc(n * sizeof(double));
    pop->stressor_rate = malloc(n * sizeof(double));
    pop->symptoms0 = malloc(n * sizeof(double));
    pop->alliance_trait = malloc(n * sizeof(double));
    pop->response = malloc(n * sizeof(double));
    pop->provider_group = malloc(m);
    pop->provider_culture = malloc(m * k * sizeof(double));
    pop->humility = malloc(m * sizeof(double));
    pop->skill = malloc(m * sizeof(double));
    pop->retention = malloc(m * sizeof(double));
    pop->capacity = malloc(m * sizeof(int64_t));
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

/* One draw from a readable distribution on the selected stream. */
static double draw(gsl_rng *r, const rp_dist *d)
{
    switch (d->kind) {
    case RP_DIST_BETA: return gsl_ran_beta(r, d->a, d->b);
    case RP_DIST_GAMMA: return gsl_ran_gamma(r, d->a, d->b);
    case RP_DIST_NORMAL: return d->a + gsl_ran_gaussian(r, d->b);
    case RP_DIST_FIXED:
    default: return d->a;
    }
}

static double draw_from(gsl_rng *r, rp_rng_key key, rp_purpose purpose, int64_t agent,
                        const rp_dist *d)
{
    rp_rng_select(r, key, purpose, (uint64_t)agent, 0);
    return draw(r, d);
}

/* Culture vector of one agent: dimension k drawn from stream (purpose, agent, k). */
static void draw_culture(gsl_rng *r, rp_rng_key key, rp_purpose purpose, int64_t agent,
                         const rp_params *p, const rp_group *g, double *out)
{
    for (int k = 0; k < p->culture.n_dims; k++) {
        const rp_dimension *dim = &p->culture.dims[k];
        rp_rng_select(r, key, purpose, (uint64_t)agent, (uint64_t)k);
        if (dim->kind == RP_DIM_CONTINUOUS) {
            out[k] = draw(r, &g->trait[k]);
            continue;
        }
        double u = gsl_rng_uniform(r), cum = 0;
        int level = dim->n_levels - 1; /* u beyond a sum rounded below 1 */
        for (int l = 0; l < dim->n_levels; l++) {
            cum += g->level_prob[k][l];
            if (u < cum && g->level_prob[k][l] > 0) {
                level = l;
                break;
            }
        }
        while (level > 0 && g->level_prob[k][level] == 0) /* never a level of probability 0 */
            level--;
        out[k] = level;
    }
}

double rp_population_truncated_normal(double mean, double sd, double lo, double hi, double u)
{
    if (!(sd > 0))
        return fmin(fmax(mean, lo), hi);
    const double a = (lo - mean) / sd, b = (hi - mean) / sd;
    double x;
    if (a > 0) { /* both bounds above the mean: invert the upper tail */
        const double qa = gsl_cdf_ugaussian_Q(a), qb = gsl_cdf_ugaussian_Q(b);
        x = qa - qb > 0 ? gsl_cdf_ugaussian_Qinv(qa - u * (qa - qb)) : a;
    } else {
        const double pa = gsl_cdf_ugaussian_P(a), pb = gsl_cdf_ugaussian_P(b);
        x = pb - pa > 0 ? gsl_cdf_ugaussian_Pinv(pa + u * (pb - pa)) : a;
    }
    /* Rounding of the inverse may step a last bit outside; and an interval
     * with no mass in double (both bounds > ~37 sd away) gives its bound a. */
    return fmin(fmax(mean + sd * x, lo), hi);
}

static double shifted_logit(double v, double g, double c)
{
    return 1.0 / (1.0 + exp(-(log(v) - log1p(-v) + g * (c - 0.5))));
}

void rp_population_gradient(const rp_params *p, double c, double *barrier, double *stressor_rate,
                            double *mistrust)
{
    if (p->patients.gradient.barrier != 0)
        *barrier = shifted_logit(*barrier, p->patients.gradient.barrier, c);
    if (p->patients.gradient.stressor_rate != 0)
        *stressor_rate *= exp(p->patients.gradient.stressor_rate * (c - 0.5));
    if (p->patients.gradient.mistrust != 0)
        *mistrust = shifted_logit(*mistrust, p->patients.gradient.mistrust, c);
}

void rp_population_generate(rp_population *pop, const rp_params *p, rp_rng_key key, int threads)
{
    const int64_t n = pop->n_patients, m = pop->n_providers;
    const int k = pop->n_dims;
    assign_groups(pop->patient_group, n, p->patients.n_groups, p->patients.groups);
    assign_groups(pop->provider_group, m, p->providers.n_groups, p->providers.groups);
    const rp_dist alliance = {RP_DIST_NORMAL, 0.0, p->patients.alliance_sd};
    const rp_dist response_z = {RP_DIST_NORMAL, 0.0, 1.0};
    const rp_dist skill = {RP_DIST_NORMAL, 0.0, p->providers.skill_sd};
    const rp_dist retention = {RP_DIST_NORMAL, 0.0, p->providers.retention_sd};
    const double sg = p->patients.response_sd;

#pragma omp parallel num_threads(threads)
    {
        gsl_rng *r = gsl_rng_alloc(rp_rng_philox); /* one per thread; a few bytes */
#pragma omp for schedule(static)
        for (int64_t i = 0; i < n; i++) {
            const rp_group *g = &p->patients.groups[pop->patient_group[i]];
            draw_culture(r, key, RP_PURPOSE_PATIENT_CULTURE, i, p, g, &pop->patient_culture[i * k]);
            pop->mistrust[i] = draw_from(r, key, RP_PURPOSE_MISTRUST, i, &g->mistrust);
            pop->barrier[i] = draw_from(r, key, RP_PURPOSE_BARRIER, i, &g->barrier);
            pop->stressor_rate[i] = draw_from(r, key, RP_PURPOSE_STRESSOR_RATE, i, &g->stressor_rate);
            if (g->symptoms.kind == RP_DIST_NORMAL && p->model >= 2) { /* truncated: one uniform, a purpose of its own */
                uint64_t u[4];
                rp_rng_block(key, RP_PURPOSE_SYMPTOMS0_TRUNCATED, (uint64_t)i, 0, 0, u);
                pop->symptoms0[i] = rp_population_truncated_normal(g->symptoms.a, g->symptoms.b,
                                                                   p->symptoms.recovered, p->symptoms.max,
                                                                   rp_rng_u01(u[0]));
            } else { /* model 1, or a fixed value: clamped */
                double s0 = draw_from(r, key, RP_PURPOSE_SYMPTOMS0, i, &g->symptoms);
                pop->symptoms0[i] = fmin(fmax(s0, p->symptoms.recovered), p->symptoms.max);
            }
            if (p->patients.gradient.dim >= 0)
                rp_population_gradient(p, pop->patient_culture[i * k + p->patients.gradient.dim], &pop->barrier[i],
                                       &pop->stressor_rate[i], &pop->mistrust[i]);
            pop->alliance_trait[i] = draw_from(r, key, RP_PURPOSE_ALLIANCE_TRAIT, i, &alliance);
            double z = draw_from(r, key, RP_PURPOSE_RESPONSE_TRAIT, i, &response_z);
            pop->response[i] = p->symptoms.improvement * exp(sg * z - sg * sg / 2);
        }
#pragma omp for schedule(static)
        for (int64_t j = 0; j < m; j++) {
            const rp_group *g = &p->providers.groups[pop->provider_group[j]];
            draw_culture(r, key, RP_PURPOSE_PROVIDER_CULTURE, j, p, g, &pop->provider_culture[j * k]);
            pop->humility[j] = draw_from(r, key, RP_PURPOSE_HUMILITY, j, &g->humility);
            pop->skill[j] = draw_from(r, key, RP_PURPOSE_SKILL, j, &skill);
            /* independent of skill: a purpose of its own; sd 0 (model 1) draws nothing */
            pop->retention[j] = p->providers.retention_sd > 0 ? draw_from(r, key, RP_PURPOSE_RETENTION, j, &retention)
                                                              : 0.0;
            pop->capacity[j] = p->providers.caseload;
        }
        gsl_rng_free(r);
    }
}

double rp_population_distance(const rp_params *p, const double *c, const double *q)
{
    double num = 0, den = 0;
    for (int k = 0; k < p->culture.n_dims; k++) {
        double w = p->culture.dims[k].weight;
        double delta = p->culture.dims[k].kind == RP_DIM_CATEGORICAL ? (double)(c[k] != q[k])
                                                                      : fabs(c[k] - q[k]);
        num += w * delta * delta;
        den += w;
    }
    return sqrt(num / den);
}
