/* observe.c - summaries of a run; see observe.h. The computation of every
 * observable of the table (observables.h) is here: its sums in tally and
 * tally_pair, its value and denominator in finish (the ICCs, over
 * providers, the repair-outcome r and the assignment's culture (distance,
 * concordance, overall and on each categorical dimension: culture_sums) in
 * rp_observe_summary; the rows of model 2 only
 * for a run of model 2, NaN otherwise). Sums over pairs in fixed blocks
 * (BLOCK), in parallel, the blocks' sums added in block order: the same bits
 * on any thread count; the per-provider sums of the ICCs serial, in pair
 * order. */
#include "rapport/observe.h"

#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

/* Running sums for one population (all pairs, or one group). */
typedef struct {
    int64_t pairs, dropped, early_dropped, recovered, amb_n, amb_below, discussed;
    int64_t pair_weeks, ruptures, repairs, r_n;
    double exit_weeks, improvement, discussed_weeks, early_alliance;
    double r_sxx, r_syy, r_sxy; /* centred sums, second pass */
} tally;

static double share(double num, double den) { return den > 0 ? num / den : NAN; }

static void tally_pair(tally *a, const rp_params *p, const rp_outcomes *o, int64_t i, double imp)
{
    a->pairs++;
    a->exit_weeks += o->exit_week[i];
    a->pair_weeks += o->exit_week[i];
    a->improvement += imp;
    if (o->exit_reason[i] == RP_EXIT_DROPPED) {
        a->dropped++;
        a->early_dropped += o->exit_week[i] <= 2;
    }
    a->recovered += o->exit_reason[i] == RP_EXIT_RECOVERED;
    if (!isnan(o->trust_report[i])) {
        a->amb_n++;
        a->amb_below += o->trust_report[i] < p->report.ambivalence_threshold;
    }
    if (o->discussed_week[i] >= 0 && o->discussed_week[i] <= o->exit_week[i]) {
        a->discussed++;
        a->discussed_weeks += o->discussed_week[i];
    }
    a->ruptures += o->ruptures[i];
    a->repairs += o->repairs[i];
    if (!isnan(o->early_alliance[i])) {
        a->r_n++;
        a->early_alliance += o->early_alliance[i];
    }
}

/* The observables of a tally, and in *den the denominator of each. An
 * observable is defined where its denominator is not zero; where it is zero
 * the observable is NaN (a share of an empty set, r or the ICC without
 * variance) and printed as undefined. A defined observable that is not
 * finite is an overflow, never a result (check_finite). */
static rp_observables finish(const tally *a, rp_observables *den)
{
    const double n = (double)a->pairs;
    /* sqrt(sxx syy), or where that product under- or overflows, the product
     * of the roots (equal within an ulp; the first keeps the bits of results
     * already published). Zero only when a variance is. */
    const double prod = a->r_sxx * a->r_syy;
    const bool exact = isnormal(prod) || (prod == 0 && (a->r_sxx == 0 || a->r_syy == 0));
    const double r_den = a->r_n <= 2 ? 0 : exact ? sqrt(prod) : sqrt(a->r_sxx) * sqrt(a->r_syy);
    *den = (rp_observables){
        .pairs = a->pairs,
        .dropout = n,
        .early_dropout = (double)a->dropped,
        .sessions_mean = n,
        .recovered_share = n,
        .ambivalence = (double)a->amb_n,
        .early_alliance_mean = (double)a->r_n,
        .improvement_mean = n,
        .alliance_outcome_r = r_den,
        .therapist_icc = 0, /* set with the ICC */
        .rupture_rate = (double)a->pair_weeks,
        .repaired_share = (double)a->ruptures,
        .discussed_share = n,
        .discussed_week_mean = (double)a->discussed,
        .therapist_dropout = 0, /* set with the values */
        .repair_outcome_r = 0,
        .distance_mean = 0,
        .concordance = 0,
    };
    return (rp_observables){
        .pairs = a->pairs,
        .dropout = share((double)a->dropped, n),
        .early_dropout = share((double)a->early_dropped, (double)a->dropped),
        .sessions_mean = share(a->exit_weeks, n),
        .recovered_share = share((double)a->recovered, n),
        .ambivalence = share((double)a->amb_below, (double)a->amb_n),
        .early_alliance_mean = share(a->early_alliance, (double)a->r_n),
        .improvement_mean = share(a->improvement, n),
        .alliance_outcome_r = a->r_n > 2 ? a->r_sxy / r_den : NAN,
        .therapist_icc = NAN,
        .rupture_rate = share((double)a->ruptures, (double)a->pair_weeks),
        .repaired_share = share((double)a->repairs, (double)a->ruptures),
        .discussed_share = share((double)a->discussed, n),
        .discussed_week_mean = share(a->discussed_weeks, (double)a->discussed),
        .therapist_dropout = NAN, /* set over providers, from model 2 on */
        .repair_outcome_r = NAN,  /* set from model 2 on */
        .distance_mean = NAN,
        .concordance = NAN,
    };
}

/* A pair's value y[i] as the estimators read it: a stored value (a[i]), or
 * where b is set a difference a[i] - b[i] computed where it is read (the
 * improvement S_0 - S_exit: the same bits as stored, and 8 bytes a pair
 * that are never allocated). */
typedef struct {
    const double *a, *b;
} pair_values;

static inline double value_of(pair_values v, int64_t i) { return v.b ? v.a[i] - v.b[i] : v.a[i]; }

/* Whether pair i has a flag: flag[i] == is, or flag[i] != 0 where is is 0. */
typedef struct {
    const uint8_t *flag;
    uint8_t is;
} pair_flags;

static inline int flag_of(pair_flags f, int64_t i) { return f.is ? f.flag[i] == f.is : f.flag[i] != 0; }

/* rp_observe_icc, with the estimator's denominator (0 when undefined). */
static double icc(int64_t n, pair_values y, const int64_t *cluster, int64_t n_clusters, int64_t *size,
                  double *mean, double *den)
{
    *den = 0;
    memset(size, 0, (size_t)n_clusters * sizeof *size);
    memset(mean, 0, (size_t)n_clusters * sizeof *mean);
    for (int64_t i = 0; i < n; i++) {
        size[cluster[i]]++;
        mean[cluster[i]] += value_of(y, i);
    }
    int64_t k = 0, total = 0;
    double grand = 0, sum_n2 = 0;
    for (int64_t j = 0; j < n_clusters; j++) {
        if (size[j] < 2)
            continue;
        k++;
        total += size[j];
        grand += mean[j];
        sum_n2 += (double)size[j] * (double)size[j];
        mean[j] /= (double)size[j];
    }
    if (k < 2 || total <= k)
        return NAN;
    grand /= (double)total;
    double ssb = 0, ssw = 0;
    for (int64_t j = 0; j < n_clusters; j++)
        if (size[j] >= 2)
            ssb += (double)size[j] * (mean[j] - grand) * (mean[j] - grand);
    for (int64_t i = 0; i < n; i++)
        if (size[cluster[i]] >= 2)
            ssw += (value_of(y, i) - mean[cluster[i]]) * (value_of(y, i) - mean[cluster[i]]);
    const double msb = ssb / (double)(k - 1), msw = ssw / (double)(total - k);
    const double n0 = ((double)total - sum_n2 / (double)total) / (double)(k - 1);
    *den = msb + (n0 - 1.0) * msw;
    return (msb - msw) / *den;
}

double rp_observe_icc(int64_t n, const double *y, const int64_t *cluster, int64_t n_clusters,
                      int64_t *size, double *mean)
{
    double den;
    return icc(n, (pair_values){y, NULL}, cluster, n_clusters, size, mean, &den);
}

/* pi^2 / 3, the variance of the standard logistic distribution: the
 * level-1 variance of the latent scale. */
static const double PI2_OVER_3 = 3.28986813369645287294483033;

/* rp_observe_dropout_icc, with its denominator pbar (1 - pbar) (0 when
 * undefined). */
static double dropout_icc(int64_t n, pair_flags dropped, const int64_t *cluster, int64_t n_clusters,
                          int64_t *size, int64_t *count, double *den)
{
    *den = 0;
    memset(size, 0, (size_t)n_clusters * sizeof *size);
    memset(count, 0, (size_t)n_clusters * sizeof *count);
    for (int64_t i = 0; i < n; i++) {
        size[cluster[i]]++;
        count[cluster[i]] += flag_of(dropped, i);
    }
    int64_t k = 0, total = 0, drops = 0;
    double sum_p = 0, sum_inv = 0;
    for (int64_t j = 0; j < n_clusters; j++)
        if (size[j] >= 2) { /* eligible: counts, p_j and 1 / n_j summed */
            const double n_j = (double)size[j];
            sum_p += (double)count[j] / n_j;
            sum_inv += 1.0 / n_j;
            drops += count[j];
            total += size[j];
            k++;
        }
    if (k < 2 || drops == 0 || drops == total)
        return NAN;
    const double pbar = (double)drops / (double)total, pq = pbar * (1.0 - pbar), mean_p = sum_p / (double)k;
    double ss = 0;
    for (int64_t j = 0; j < n_clusters; j++)
        if (size[j] >= 2) {
            const double d = (double)count[j] / (double)size[j] - mean_p;
            ss += d * d;
        }
    const double var = ss / (double)(k - 1), binomial = pq * sum_inv / (double)k;
    const double s2_b = var > binomial ? var - binomial : 0, s2_u = s2_b / (pq * pq);
    *den = pq;
    return s2_u / (s2_u + PI2_OVER_3);
}

double rp_observe_dropout_icc(int64_t n, const uint8_t *dropped, const int64_t *cluster, int64_t n_clusters,
                              int64_t *size, int64_t *count)
{
    double den;
    return dropout_icc(n, (pair_flags){dropped, 0}, cluster, n_clusters, size, count, &den);
}

/* Sums over pairs in blocks of BLOCK pairs, whatever the thread count: each
 * block's sums in pair order, then the blocks' in block order, so that the
 * result is a function of the outcomes alone (threads, ranks and shards give
 * the same bits) and the blocks can be summed in parallel. */
#define BLOCK ((int64_t)1 << 16)
static int64_t blocks_of(int64_t n) { return n > 0 ? (n + BLOCK - 1) / BLOCK : 0; }
static int64_t block_end(int64_t n, int64_t b) { return n < (b + 1) * BLOCK ? n : (b + 1) * BLOCK; }

#define SLOTS (1 + RP_MAX_GROUPS)

/* The repair-outcome r over all pairs (slot 0) and, with group, over each
 * group g < ng (slot 1 + g), in two passes for all slots at once (blocked
 * sums, above); den[s] = sqrt(sxx) sqrt(syy), 0 where undefined. Pairs count
 * with at least one rupture and three sessions. */
typedef struct {
    int64_t m[SLOTS];
    double mx[SLOTS], my[SLOTS], sxx[SLOTS], syy[SLOTS], sxy[SLOTS];
} repair_sums;

static void repair_r(int64_t n, const int32_t *ruptures, const int32_t *repairs, const int32_t *sessions,
                     pair_values improvement, const uint8_t *group, int ng, int threads, double *r, double *den)
{
    const int slots = group ? 1 + ng : 1;
    const int64_t nb = blocks_of(n);
    repair_sums *bs = calloc((size_t)(nb ? nb : 1), sizeof *bs), all;
    memset(&all, 0, sizeof all);
    if (!bs) { /* no memory for the blocks' sums: r undefined */
        for (int k = 0; k < slots; k++)
            den[k] = 0, r[k] = NAN;
        return;
    }
    for (int pass = 0; pass < 2; pass++) {
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads)
        for (int64_t blk = 0; blk < nb; blk++) {
            repair_sums *q = &bs[blk];
            for (int64_t i = blk * BLOCK; i < block_end(n, blk); i++)
                if (ruptures[i] >= 1 && sessions[i] >= 3)
                    for (int s = 0; s < (group ? 2 : 1); s++) {
                        const int k = s ? 1 + group[i] : 0;
                        if (k >= slots)
                            continue;
                        const double x = (double)repairs[i] / (double)ruptures[i];
                        if (pass == 0) {
                            q->m[k]++;
                            q->mx[k] += x;
                            q->my[k] += value_of(improvement, i);
                            continue;
                        }
                        const double dx = x - all.mx[k], dy = value_of(improvement, i) - all.my[k];
                        q->sxx[k] += dx * dx;
                        q->syy[k] += dy * dy;
                        q->sxy[k] += dx * dy;
                    }
        }
        for (int64_t blk = 0; blk < nb; blk++)
            for (int k = 0; k < slots; k++) {
                if (pass == 0) {
                    all.m[k] += bs[blk].m[k];
                    all.mx[k] += bs[blk].mx[k];
                    all.my[k] += bs[blk].my[k];
                    continue;
                }
                all.sxx[k] += bs[blk].sxx[k];
                all.syy[k] += bs[blk].syy[k];
                all.sxy[k] += bs[blk].sxy[k];
            }
        if (pass == 0)
            for (int k = 0; k < slots; k++) {
                all.mx[k] /= (double)all.m[k];
                all.my[k] /= (double)all.m[k];
            }
    }
    free(bs);
    for (int k = 0; k < slots; k++) {
        den[k] = all.m[k] < 3 ? 0 : sqrt(all.sxx[k]) * sqrt(all.syy[k]);
        r[k] = den[k] > 0 ? all.sxy[k] / den[k] : NAN;
    }
}

double rp_observe_repair_r(int64_t n, const int32_t *ruptures, const int32_t *repairs, const int32_t *sessions,
                           const double *improvement, const uint8_t *group, int g)
{
    double r[1 + RP_MAX_GROUPS], den[1 + RP_MAX_GROUPS];
    repair_r(n, ruptures, repairs, sessions, (pair_values){improvement, NULL}, group, group ? g + 1 : 0, 1, r, den);
    return r[group ? 1 + g : 0];
}

/* The categorical dimensions of p, in scenario order: their indices into
 * the cultures' rows; returns how many. */
static int categorical_dims(const rp_params *p, int cat[RP_MAX_DIMS])
{
    int nc = 0;
    for (int k = 0; k < p->culture.n_dims; k++)
        if (p->culture.dims[k].kind == RP_DIM_CATEGORICAL)
            cat[nc++] = k;
    return nc;
}

/* The assignment's culture over pairs [from, to): over all pairs (slot 0)
 * and each group (slot 1 + g), the sum of the pairs' distances d_ij
 * (distance[i], as assignment computed it) added to dist_sum, and for each
 * categorical dimension a (cat[a], nc of them) the count of pairs whose
 * patient and provider have the same level on it added to matches (integers:
 * exact in any order). The providers' levels are read through provider_of
 * (a few bytes per provider: in cache). */
static void culture_sums(const rp_population *pop, const int64_t *provider_of, const double *distance,
                         const int *cat, int nc, int64_t from, int64_t to, double *dist_sum,
                         int64_t (*matches)[RP_MAX_DIMS])
{
    const int64_t nd = pop->n_dims;
    for (int64_t i = from; i < to; i++) {
        const int g = 1 + pop->patient_group[i];
        dist_sum[0] += distance[i];
        dist_sum[g] += distance[i];
        if (nc > 0) {
            const double *c = &pop->patient_culture[i * nd], *q = &pop->provider_culture[provider_of[i] * nd];
            for (int a = 0; a < nc; a++) {
                const int64_t same = c[cat[a]] == q[cat[a]];
                matches[0][a] += same;
                matches[g][a] += same;
            }
        }
    }
}

void rp_observe_dimensions(rp_dim_concordance *c, const rp_params *p)
{
    int cat[RP_MAX_DIMS];
    memset(c, 0, sizeof *c);
    if (rp_model_version(p->model) < 2)
        return;
    c->n = categorical_dims(p, cat);
    for (int a = 0; a < c->n; a++) {
        memcpy(c->name[a], p->culture.dims[cat[a]].name, RP_NAME_MAX);
        c->all[a] = NAN;
        for (int g = 0; g < RP_MAX_GROUPS; g++)
            c->group[g][a] = NAN;
    }
}

void rp_observe_shape(rp_summary *sum, const rp_params *p)
{
    memset(sum, 0, sizeof *sum);
    sum->model = rp_model_version(p->model);
    sum->n_groups = p->patients.n_groups;
    for (int g = 0; g < sum->n_groups; g++)
        memcpy(sum->group_name[g], p->patients.groups[g].name, RP_NAME_MAX);
    rp_observe_dimensions(&sum->by_dimension, p);
}

/* The first observable that is infinite, or NaN although defined, as an error. */
static int check_finite(const rp_summary *sum, const rp_observables *den, rp_error *err)
{
    size_t n;
    const rp_observable_def *table = rp_observables_table(&n);
    for (int g = -1; g < sum->n_groups; g++) {
        const rp_observables *o = g < 0 ? &sum->all : &sum->group[g];
        for (size_t k = 0; k < n; k++) {
            const double v = rp_observables_get(o, &table[k]);
            if (isinf(v) || (rp_observables_get(&den[g + 1], &table[k]) != 0 && isnan(v)))
                RP_FAIL(err, RP_EFAIL, "the model's arithmetic gave %s = %s %s%s; expected a finite value (a "
                        "non-finite result is not printed)", table[k].name, isnan(v) ? "NaN" : v > 0 ? "+inf" : "-inf",
                        g < 0 ? "overall" : "in group ", g < 0 ? "" : sum->group_name[g]);
        }
    }
    return RP_OK;
}

/* What one block of pairs adds to each slot (all pairs, then each group). */
typedef struct {
    tally t[SLOTS];
    double my[SLOTS], dist_sum[SLOTS];
    int64_t rn[SLOTS], matches[SLOTS][RP_MAX_DIMS];
} block_sums;

int rp_observe_summary(rp_summary *sum, const rp_params *p, const rp_population *pop,
                       const int64_t *provider_of, const double *distance, const rp_outcomes *o, rp_error *err)
{
    return rp_observe_summary_threads(sum, p, pop, provider_of, distance, o, 1, err);
}

int rp_observe_summary_threads(rp_summary *sum, const rp_params *p, const rp_population *pop,
                               const int64_t *provider_of, const double *distance, const rp_outcomes *o,
                               int threads, rp_error *err)
{
    const int ng = p->patients.n_groups;
    rp_observe_shape(sum, p);

    const int64_t n = o->n, nb = blocks_of(n);
    int cat[RP_MAX_DIMS];
    const int n_cat = categorical_dims(p, cat);
    block_sums *bs = calloc((size_t)(nb ? nb : 1), sizeof *bs);
    if (!bs)
        RP_FAIL(err, RP_ENOMEM, "out of memory for the summary of %lld pairs", (long long)n);
    const pair_values y = {pop->symptoms0, o->symptoms_exit}; /* each pair's improvement */
    const pair_flags dropped = {o->exit_reason, RP_EXIT_DROPPED};
    /* First pass: the tallies, the mean improvement over the pairs with an
     * early alliance, and (model 2) the assignment's culture. */
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads)
    for (int64_t blk = 0; blk < nb; blk++) {
        block_sums *q = &bs[blk];
        const int64_t from = blk * BLOCK, to = block_end(n, blk);
        for (int64_t i = from; i < to; i++) {
            const double imp = value_of(y, i);
            const int g = 1 + pop->patient_group[i];
            tally_pair(&q->t[0], p, o, i, imp);
            tally_pair(&q->t[g], p, o, i, imp);
            if (!isnan(o->early_alliance[i])) {
                q->my[0] += imp;
                q->my[g] += imp;
                q->rn[0]++;
                q->rn[g]++;
            }
        }
        if (sum->model >= 2)
            culture_sums(pop, provider_of, distance, cat, n_cat, from, to, q->dist_sum, q->matches);
    }
    tally t[SLOTS];
    double my[SLOTS] = {0}, mx[SLOTS], dist_sum[SLOTS] = {0};
    int64_t rn[SLOTS] = {0}, matches[SLOTS][RP_MAX_DIMS] = {{0}};
    memset(t, 0, sizeof t);
    for (int64_t blk = 0; blk < nb; blk++)
        for (int g = 0; g <= ng; g++) {
            const block_sums *q = &bs[blk];
            tally *a = &t[g];
            const tally *b = &q->t[g];
            a->pairs += b->pairs, a->dropped += b->dropped, a->early_dropped += b->early_dropped;
            a->recovered += b->recovered, a->amb_n += b->amb_n, a->amb_below += b->amb_below;
            a->discussed += b->discussed, a->pair_weeks += b->pair_weeks, a->ruptures += b->ruptures;
            a->repairs += b->repairs, a->r_n += b->r_n;
            a->exit_weeks += b->exit_weeks, a->improvement += b->improvement;
            a->discussed_weeks += b->discussed_weeks, a->early_alliance += b->early_alliance;
            my[g] += q->my[g], rn[g] += q->rn[g];
            dist_sum[g] += q->dist_sum[g];
            for (int k = 0; k < n_cat; k++)
                matches[g][k] += q->matches[g][k];
        }
    /* Second pass: centred sums for Pearson r of early alliance and improvement. */
    for (int g = 0; g <= ng; g++) {
        mx[g] = share(t[g].early_alliance, (double)t[g].r_n);
        my[g] = share(my[g], (double)rn[g]);
    }
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads)
    for (int64_t blk = 0; blk < nb; blk++) {
        tally *q = bs[blk].t;
        for (int g = 0; g <= ng; g++)
            q[g].r_sxx = q[g].r_syy = q[g].r_sxy = 0;
        for (int64_t i = blk * BLOCK; i < block_end(n, blk); i++) {
            if (isnan(o->early_alliance[i]))
                continue;
            const double dx = o->early_alliance[i], dy = value_of(y, i);
            const int gs[2] = {0, 1 + pop->patient_group[i]};
            for (int a = 0; a < 2; a++) {
                const int g = gs[a];
                q[g].r_sxx += (dx - mx[g]) * (dx - mx[g]);
                q[g].r_syy += (dy - my[g]) * (dy - my[g]);
                q[g].r_sxy += (dx - mx[g]) * (dy - my[g]);
            }
        }
    }
    for (int64_t blk = 0; blk < nb; blk++)
        for (int g = 0; g <= ng; g++) {
            t[g].r_sxx += bs[blk].t[g].r_sxx;
            t[g].r_syy += bs[blk].t[g].r_syy;
            t[g].r_sxy += bs[blk].t[g].r_sxy;
        }
    free(bs);
    rp_observables den[1 + RP_MAX_GROUPS];
    sum->all = finish(&t[0], &den[0]);
    for (int g = 0; g < ng; g++)
        sum->group[g] = finish(&t[1 + g], &den[1 + g]);

    /* Therapist effect over all pairs (per provider: serial, in pair order). */
    int64_t *size = malloc((size_t)(pop->n_providers ? pop->n_providers : 1) * sizeof(int64_t));
    double *mean = malloc((size_t)(pop->n_providers ? pop->n_providers : 1) * sizeof(double));
    if (size && mean)
        sum->all.therapist_icc = icc(n, y, provider_of, pop->n_providers, size, mean, &den[0].therapist_icc);
    /* The observables of model 2: the therapist effect on dropout (all
     * pairs) and the repair-outcome r (all pairs and by group). */
    int64_t *count = sum->model >= 2 ? malloc((size_t)(pop->n_providers ? pop->n_providers : 1) * sizeof(int64_t))
                                     : NULL;
    if (size && count) {
        sum->all.therapist_dropout =
            dropout_icc(n, dropped, provider_of, pop->n_providers, size, count, &den[0].therapist_dropout);
        double r[1 + RP_MAX_GROUPS], rden[1 + RP_MAX_GROUPS];
        repair_r(n, o->ruptures, o->repairs, o->exit_week, y, pop->patient_group, ng, threads, r, rden);
        sum->all.repair_outcome_r = r[0];
        den[0].repair_outcome_r = rden[0];
        for (int g = 0; g < ng; g++) {
            sum->group[g].repair_outcome_r = r[1 + g];
            den[1 + g].repair_outcome_r = rden[1 + g];
        }
    }
    /* The assignment's culture (model 2): mean distance and concordance,
     * overall and on each categorical dimension, all pairs and by group.
     * concordance sums the matches of every dimension, as before the
     * per-dimension shares existed (the same bits). */
    if (sum->model >= 2)
        for (int g = 0; g <= ng; g++) {
            rp_observables *v = g ? &sum->group[g - 1] : &sum->all;
            double *by_dim = g ? sum->by_dimension.group[g - 1] : sum->by_dimension.all;
            const double pairs = (double)v->pairs;
            int64_t matched = 0;
            for (int a = 0; a < n_cat; a++) {
                matched += matches[g][a];
                by_dim[a] = share((double)matches[g][a], pairs);
            }
            v->distance_mean = share(dist_sum[g], pairs);
            v->concordance = share((double)matched, (double)n_cat * pairs);
            den[g].distance_mean = pairs;
            den[g].concordance = (double)n_cat * pairs;
        }
    free(count);
    free(size);
    free(mean);
    return check_finite(sum, den, err);
}
