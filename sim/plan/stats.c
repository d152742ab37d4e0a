/* stats.c - the numbers of a sweep from its runs' summaries; see stats.h.
 *
 * Load: a few passes over a point's replicates per observable and group; a
 * PSA's `lowest` passes over every point's draws for each point (capped at
 * RP_PSA_MAX_BEST_POINTS points).
 */
#include "rapport/stats.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>

/* The 0.975 quantile of Student's t with df degrees of freedom. */
static double t975(int64_t df) { return gsl_cdf_tdist_Pinv(0.975, (double)df); }

/* Mean, se and interval from k values' sum and sum of squares. */
static rp_stat mean_stat(int64_t k, double sum, double sumsq)
{
    rp_stat st = {k ? sum / (double)k : NAN, NAN, NAN, NAN, k};
    if (k > 1) {
        st.se = sqrt(fmax(sumsq - sum * sum / (double)k, 0) / (double)(k - 1) / (double)k);
        const double half = t975(k - 1) * st.se;
        st.lo = st.mean - half;
        st.hi = st.mean + half;
    }
    return st;
}

rp_stat rp_stats_of(const double *v, int64_t n)
{
    double sum = 0, sumsq = 0;
    int64_t k = 0;
    for (int64_t i = 0; i < n; i++)
        if (!isnan(v[i])) {
            sum += v[i];
            sumsq += v[i] * v[i];
            k++;
        }
    return mean_stat(k, sum, sumsq);
}

/* The sums of pairs (x, y) that a ratio of means needs. */
typedef struct {
    int64_t k;
    double sx, sy, sxx, syy, sxy;
} pair_sums;

static void add_pair(pair_sums *m, double y, double x)
{
    if (isnan(x) || isnan(y))
        return;
    m->k++;
    m->sx += x;
    m->sy += y;
    m->sxx += x * x;
    m->syy += y * y;
    m->sxy += x * y;
}

static rp_stat ratio_stat(const pair_sums *m)
{
    const int64_t k = m->k;
    rp_stat st = {NAN, NAN, NAN, NAN, k};
    if (!k)
        return st;
    const double xbar = m->sx / (double)k, ybar = m->sy / (double)k;
    st.mean = ybar / xbar;
    if (!isfinite(st.mean)) { /* xbar = 0: no ratio */
        st.mean = NAN;
        return st;
    }
    if (k < 2)
        return st;
    /* the (co)variances of the two means */
    const double d = (double)(k - 1) * (double)k;
    const double vxx = fmax(m->sxx - m->sx * xbar, 0) / d, vyy = fmax(m->syy - m->sy * ybar, 0) / d,
                 vxy = (m->sxy - m->sx * ybar) / d;
    const double r = st.mean;
    st.se = sqrt(fmax(vyy - 2 * r * vxy + r * r * vxx, 0)) / fabs(xbar);
    /* Fieller: a r^2 + b r + c <= 0 */
    const double t2 = t975(k - 1) * t975(k - 1);
    const double a = xbar * xbar - t2 * vxx, b = -2 * (xbar * ybar - t2 * vxy), c = ybar * ybar - t2 * vyy;
    const double disc = b * b - 4 * a * c;
    if (a > 0 && disc >= 0) {
        const double root = sqrt(disc);
        st.lo = (-b - root) / (2 * a);
        st.hi = (-b + root) / (2 * a);
    }
    return st;
}

rp_stat rp_stats_ratio_of(const double *y, const double *x, int64_t n)
{
    pair_sums m = {0};
    for (int64_t i = 0; i < n; i++)
        add_pair(&m, y[i], x[i]);
    return ratio_stat(&m);
}

/* The runs' values of one observable. */
typedef struct {
    const rp_summaries *s;
    int64_t R;
    const rp_observable_def *f;
} runs_of;

/* Observable f of group g (-1: all) in replicate r of point; NaN if that run
 * is not done here. */
static double at(const runs_of *c, int64_t point, int64_t r, int g)
{
    const int64_t i = point * c->R + r;
    if (!c->s->done[i])
        return NAN;
    return rp_observables_get(rp_summaries_observables(c->s, i, g), c->f);
}

/* Replicate r's value at point, minus (base >= 0) the same at point base,
 * of group g, minus (ref >= 0) the same of group ref: the observable, its
 * paired difference, a gap between groups, or the change of a gap. */
static double contrast(const runs_of *c, int64_t point, int64_t base, int64_t r, int g, int ref)
{
    double v = at(c, point, r, g);
    if (ref >= 0)
        v -= at(c, point, r, ref);
    if (base >= 0) {
        double w = at(c, base, r, g);
        if (ref >= 0)
            w -= at(c, base, r, ref);
        v -= w;
    }
    return v;
}

/* The statistic over replicates of contrast(point, base, ., g, ref). */
static rp_stat over_replicates(const runs_of *c, int64_t point, int64_t base, int g, int ref)
{
    double sum = 0, sumsq = 0;
    int64_t k = 0;
    for (int64_t r = 0; r < c->R; r++) {
        const double v = contrast(c, point, base, r, g, ref);
        if (isnan(v))
            continue;
        sum += v;
        sumsq += v * v;
        k++;
    }
    return mean_stat(k, sum, sumsq);
}

/* The share of point base's gap (g - ref) closed at point: -change / gap
 * at base. */
static rp_stat gap_closed(const runs_of *c, int64_t point, int64_t base, int g, int ref)
{
    pair_sums m = {0};
    for (int64_t r = 0; r < c->R; r++)
        add_pair(&m, contrast(c, point, base, r, g, ref), contrast(c, base, -1, r, g, ref));
    rp_stat st = ratio_stat(&m);
    const double lo = st.lo;
    st.mean = -st.mean;
    st.lo = -st.hi;
    st.hi = -lo;
    return st;
}

/* What the statistics of point need first: its runs done, its model
 * version (the design's: a sweep cannot vary it) and its patient groups (the
 * store's, with a run done; none without), and the reference group's index
 * among them (-1 without groups). Returns the replicates done, or -1 when
 * the design names a reference group the point does not have. */
static int64_t point_shape(const rp_stats_design *d, const rp_summaries *s, int64_t point, int *n_groups,
                           char names[RP_MAX_GROUPS][RP_NAME_MAX], int *reference, rp_error *err)
{
    const int64_t R = d->replicates;
    int64_t replicates = 0;
    for (int64_t r = 0; r < R; r++)
        replicates += s->done[point * R + r];
    *n_groups = replicates ? s->shape.n_groups : 0;
    for (int g = 0; g < *n_groups; g++)
        memcpy(names[g], s->shape.group_name[g], RP_NAME_MAX);
    *reference = *n_groups ? 0 : -1;
    if (*n_groups && d->reference_group[0]) {
        *reference = -1;
        for (int g = 0; g < *n_groups; g++)
            if (strcmp(names[g], d->reference_group) == 0)
                *reference = g;
        if (*reference < 0) {
            rp_status_raise(err, RP_EINVAL, "contrasts.reference_group '%s' is none of the patient groups",
                            d->reference_group);
            return -1;
        }
    }
    return replicates;
}

/* The ratio of means over replicates of contrast(point, -1, ., g, ref)
 * to the same at point base (or, base < 0, to group ref's value): a
 * point's relative value, or a group's ratio to the reference group. */
static rp_stat ratio_over_replicates(const runs_of *c, int64_t point, int64_t base, int g, int ref)
{
    pair_sums m = {0};
    for (int64_t r = 0; r < c->R; r++)
        add_pair(&m, at(c, point, r, g), base >= 0 ? at(c, base, r, g) : at(c, point, r, ref));
    return ratio_stat(&m);
}

int rp_stats_point(const rp_stats_design *d, const rp_summaries *s, int64_t point, rp_point_stats *out,
                   rp_error *err)
{
    const int64_t R = d->replicates, base = d->reference_point;
    out->replicates = point_shape(d, s, point, &out->n_groups, out->group_name, &out->reference, err);
    if (out->replicates < 0)
        return RP_EINVAL;
    out->model = d->model;
    out->reference_point = base;
    size_t n;
    const rp_observable_def *table = rp_observables_table(&n);
    const int ref = out->reference;
    for (size_t k = 0; k < n; k++) { /* a row the version does not report stays NaN */
        const runs_of c = {s, R, &table[k]};
        for (int paired = 0; paired < 2; paired++) {
            const int64_t b = paired ? base : -1;
            out->all[paired][k] = over_replicates(&c, point, b, -1, -1);
            for (int g = 0; g < out->n_groups; g++) {
                out->group[paired][g][k] = over_replicates(&c, point, b, g, -1);
                out->gap[paired][g][k] = over_replicates(&c, point, b, g, ref);
            }
        }
        for (int g = -1; g < out->n_groups; g++)
            out->relative[g + 1][k] = ratio_over_replicates(&c, point, base, g, -1);
        for (int g = 0; g < out->n_groups; g++) {
            out->ratio[g][k] = ratio_over_replicates(&c, point, -1, g, ref);
            out->closed[g][k] = gap_closed(&c, point, base, g, ref);
        }
    }
    return RP_OK;
}

void rp_stats_dimensions(const rp_stats_design *d, const rp_summaries *s, int64_t point, rp_dim_point_stats *out)
{
    const int64_t R = d->replicates;
    memset(out, 0, sizeof *out);
    bool any = false; /* the point's dimensions and groups (the store's) need a run done */
    for (int64_t r = 0; r < R && !any; r++)
        any = s->done[point * R + r];
    if (!any)
        return;
    out->n = s->shape.by_dimension.n;
    out->n_groups = s->shape.n_groups;
    memcpy(out->name, s->shape.by_dimension.name, sizeof out->name);
    memcpy(out->group_name, s->shape.group_name, sizeof out->group_name);
    for (int a = 0; a < out->n; a++)
        for (int g = -1; g < out->n_groups; g++) {
            double sum = 0, sumsq = 0; /* in replicate order, as rp_stats_of */
            int64_t k = 0;
            for (int64_t r = 0; r < R; r++) {
                const int64_t i = point * R + r;
                const double v = s->done[i] ? rp_summaries_concordance(s, i, g)[a] : NAN;
                if (isnan(v))
                    continue;
                sum += v;
                sumsq += v * v;
                k++;
            }
            *(g < 0 ? &out->all[a] : &out->group[g][a]) = mean_stat(k, sum, sumsq);
        }
}

/* ---- the summary of a probabilistic sensitivity analysis ---- */

/* The quantile q of the n sorted values v (linear between order statistics,
 * numpy's default: v[(n - 1) q]). */
static double sorted_quantile(const double *v, int64_t n, double q)
{
    const double h = (double)(n - 1) * q;
    const int64_t i = (int64_t)floor(h);
    return i + 1 < n ? v[i] + (h - (double)i) * (v[i + 1] - v[i]) : v[n - 1];
}

static int by_value(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Draw d's mean of contrast(point, base, ., g, ref) over its Rd replicates
 * (runs d Rd .. (d + 1) Rd - 1 of the point), NaN where none is defined;
 * *within gains the sum of squares about it, *df its k - 1. */
static double draw_mean(const runs_of *c, int64_t Rd, int64_t d, int64_t point, int64_t base, int g, int ref,
                        double *within, int64_t *df)
{
    double sum = 0, sumsq = 0;
    int64_t k = 0;
    for (int64_t r = d * Rd; r < (d + 1) * Rd; r++) {
        const double v = contrast(c, point, base, r, g, ref);
        if (!isnan(v)) {
            sum += v;
            sumsq += v * v;
            k++;
        }
    }
    if (!k)
        return NAN;
    *within += fmax(sumsq - sum * sum / (double)k, 0);
    *df += k - 1;
    return sum / (double)k;
}

/* The statistic over draws of contrast(point, base, ., g, ref); m[D] is
 * scratch. */
static rp_psa_stat over_draws(const runs_of *c, int64_t D, int64_t Rd, int64_t point, int64_t base, int g, int ref,
                              double *m)
{
    rp_psa_stat st = {NAN, NAN, NAN, NAN, NAN, 0};
    double within = 0, sum = 0, below = 0;
    int64_t df = 0, n = 0;
    for (int64_t d = 0; d < D; d++) {
        const double v = draw_mean(c, Rd, d, point, base, g, ref, &within, &df);
        if (isnan(v))
            continue;
        m[n++] = v;
        sum += v;
        below += v < 0 ? 1 : v == 0 ? 0.5 : 0;
    }
    st.n = n;
    if (!n)
        return st;
    st.mean = sum / (double)n;
    st.p_below = below / (double)n;
    qsort(m, (size_t)n, sizeof *m, by_value);
    st.lo = sorted_quantile(m, n, 0.025);
    st.hi = sorted_quantile(m, n, 0.975);
    if (n > 1 && df > 0) {
        double ss = 0;
        for (int64_t i = 0; i < n; i++)
            ss += (m[i] - st.mean) * (m[i] - st.mean);
        const double total = ss / (double)(n - 1), noise = within / (double)df / (double)Rd;
        st.mc_share = total > 0 ? fmin(noise / total, 1) : NAN;
    }
    return st;
}

/* The share of draws in which point has the lowest draw mean of (f, g) of
 * all the plan's points (ties split), over draws where every point's is
 * defined; m[D x P] is scratch. */
static double lowest_share(const runs_of *c, int64_t D, int64_t Rd, int64_t P, int64_t point, int g, double *m)
{
    double share = 0, scratch = 0;
    int64_t n = 0, df = 0;
    for (int64_t d = 0; d < D; d++) {
        double low = INFINITY;
        bool all = true;
        for (int64_t p = 0; p < P && all; p++) {
            m[p] = draw_mean(c, Rd, d, p, -1, g, -1, &scratch, &df);
            all = !isnan(m[p]);
            low = fmin(low, m[p]);
        }
        if (!all)
            continue;
        int ties = 0;
        for (int64_t p = 0; p < P; p++)
            ties += m[p] == low;
        share += m[point] == low ? 1.0 / ties : 0;
        n++;
    }
    return n ? share / (double)n : NAN;
}

int rp_stats_psa(const rp_stats_design *d, const rp_summaries *s, int64_t point, rp_psa_point *out,
                 rp_error *err)
{
    const int64_t D = d->draws, P = d->points, base = d->reference_point;
    if (D < 1)
        return rp_status_raise(err, RP_EINVAL, "a sweep without draws has no uncertainty statistics");
    const int64_t Rd = d->replicates / D;
    double *m = malloc((size_t)(D > P ? D : P) * sizeof *m);
    if (!m)
        return rp_status_raise(err, RP_ENOMEM, "out of memory");
    if (point_shape(d, s, point, &out->n_groups, out->group_name, &out->reference, err) < 0) {
        free(m);
        return RP_EINVAL;
    }
    out->model = d->model;
    out->draws = D;
    out->replicates = Rd;
    out->reference_point = base;
    size_t n;
    const rp_observable_def *table = rp_observables_table(&n);
    for (size_t k = 0; k < n; k++) {
        const runs_of c = {s, d->replicates, &table[k]};
        for (int g = -1; g < out->n_groups; g++) {
            out->value[g + 1][k] = over_draws(&c, D, Rd, point, -1, g, -1, m);
            out->diff[g + 1][k] = over_draws(&c, D, Rd, point, base, g, -1, m);
            out->lowest[g + 1][k] = P <= RP_PSA_MAX_BEST_POINTS ? lowest_share(&c, D, Rd, P, point, g, m) : NAN;
        }
        for (int g = 0; g < out->n_groups; g++) {
            out->gap[g][k] = over_draws(&c, D, Rd, point, -1, g, out->reference, m);
            out->gap_change[g][k] = over_draws(&c, D, Rd, point, base, g, out->reference, m);
        }
    }
    free(m);
    return RP_OK;
}
