/* identify.c - which targets pin which coefficient, at a point of a
 * calibration: central differences on the fit's own random streams, then the
 * singular value decomposition of the scaled Jacobian; see calibrate.h. */
#define _POSIX_C_SOURCE 200809L
#include "rapport/calibrate.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_linalg.h>
#include <gsl/gsl_matrix.h>
#include <gsl/gsl_vector.h>

#include "exec/calibration_spec.h"
#include "exec/dist.h"

/* The values of every target in every replicate at x: v[k * R + r]. */
static int target_values(const rp_calibration *cal, const double *x, const rp_cal_options *opt, rp_summary *sum,
                         double *v, rp_error *err)
{
    const int R = cal->replicates;
    int status = rp_cal_run(cal, x, opt, sum, err);
    for (int k = 0; status == RP_OK && k < cal->n_targets; k++)
        for (int r = 0; r < R; r++)
            v[k * R + r] = rp_cal_target_value(cal, k, &sum[r]);
    return status;
}

int rp_calibration_identify(const rp_calibration *cal, const double *x, double step_fraction,
                            const rp_cal_options *opt, rp_cal_identification *id, rp_error *err)
{
    memset(id, 0, sizeof *id);
    if (!(step_fraction > 0 && step_fraction <= 0.5))
        RP_FAIL(err, RP_EINVAL, "the identification's step is %g of each range; expected a fraction in (0, 0.5]",
                step_fraction);
    const int R = cal->replicates, nt = cal->n_targets;
    id->n_free = cal->n_free;
    id->n_targets = nt;
    id->step_fraction = step_fraction;
    rp_summary *sum = calloc((size_t)R, sizeof *sum);
    double *lo = malloc((size_t)(nt * R) * sizeof *lo), *hi = malloc((size_t)(nt * R) * sizeof *hi);
    double *d = malloc((size_t)R * sizeof *d);
    /* under MPI every rank, or none, runs the evaluations (collectives) */
    int status = rp_dist_agree_error(sum && lo && hi && d ? RP_OK : rp_status_raise(err, RP_ENOMEM, "out of memory"),
                                     err);
    for (int i = 0; status == RP_OK && i < cal->n_free; i++) {
        const rp_cal_free *fr = &cal->free[i];
        const double range = fr->max - fr->min, h = step_fraction * range;
        double at[RP_CAL_MAX_FREE];
        memcpy(at, x, (size_t)cal->n_free * sizeof *at);
        id->lo[i] = at[i] = fmax(x[i] - h, fr->min);
        status = target_values(cal, at, opt, sum, lo, err);
        id->hi[i] = at[i] = fmin(x[i] + h, fr->max);
        if (status == RP_OK)
            status = target_values(cal, at, opt, sum, hi, err);
        id->evaluations += 2;
        const double width = id->hi[i] - id->lo[i];
        for (int k = 0; status == RP_OK && k < nt; k++) {
            for (int r = 0; r < R; r++)
                d[r] = (hi[k * R + r] - lo[k * R + r]) / width;
            const rp_cal_stat s = rp_cal_stat_of(d, R);
            const double per_tenth = range / 10 / cal->target[k].scale;
            id->derivative[k][i] = s.mean;
            id->jacobian[k][i] = s.mean * per_tenth;
            id->jacobian_se[k][i] = s.se * per_tenth;
        }
    }
    free(sum);
    free(lo);
    free(hi);
    free(d);
    if (status != RP_OK)
        return status;
    double weight[RP_CAL_MAX_TARGETS];
    for (int k = 0; k < nt; k++)
        weight[k] = cal->target[k].weight;
    return rp_calibration_identify_jacobian(id, weight, err);
}

/* ---- the analysis ---- */

/* The index of the largest |v[j]| over j < n with v[j] != 0 (-1: none). */
static int largest(const double *v, int n)
{
    int best = -1;
    for (int j = 0; j < n; j++)
        if (v[j] != 0 && (best < 0 || fabs(v[j]) > fabs(v[best])))
            best = j;
    return best;
}

/* The analysis of identify_jacobian with its GSL workspace: a (rows x n,
 * zero) becomes U, v (n x n) V, s the singular values. */
static int decompose(rp_cal_identification *id, const double *weight, gsl_matrix *a, gsl_matrix *v, gsl_vector *s,
                     gsl_vector *work, rp_error *err)
{
    const int n = id->n_free, nt = id->n_targets;
    int row_of[RP_CAL_MAX_TARGETS], m = 0;
    for (int k = 0; k < nt; k++)
        row_of[k] = weight[k] > 0 ? m++ : -1;
    id->n_fitted = m;
    id->n_unmeasured = 0;
    for (int i = 0; i < n; i++) {
        double column[RP_CAL_MAX_TARGETS];
        for (int k = 0; k < nt; k++) {
            const double jk = id->jacobian[k][i];
            column[k] = 0;
            if (row_of[k] < 0)
                continue;
            if (!isfinite(jk)) {
                id->n_unmeasured++;
                continue;
            }
            column[k] = jk;
            gsl_matrix_set(a, (size_t)row_of[k], (size_t)i, sqrt(weight[k]) * jk);
        }
        id->moves_most[i] = largest(column, nt);
    }
    const int gs = gsl_linalg_SV_decomp(a, v, s, work); /* a becomes U; s descending */
    if (gs != 0)
        RP_FAIL(err, RP_EFAIL, "the singular value decomposition failed: %s", gsl_strerror(gs));
    id->n_flat = 0;
    for (int j = 0; j < n; j++) {
        id->singular[j] = gsl_vector_get(s, (size_t)j);
        id->n_flat += id->singular[j] < RP_CAL_FLAT;
        double sign = 0;
        for (int i = 0; i < n; i++)
            if (fabs(gsl_matrix_get(v, (size_t)i, (size_t)j)) > fabs(sign))
                sign = gsl_matrix_get(v, (size_t)i, (size_t)j);
        double var = 0;
        for (int i = 0; i < n; i++) {
            const double vij = gsl_matrix_get(v, (size_t)i, (size_t)j);
            id->direction[j][i] = (sign < 0 ? -1 : 1) * vij;
            for (int k = 0; k < nt; k++)
                if (row_of[k] >= 0 && isfinite(id->jacobian[k][i])) {
                    const double ukj = gsl_matrix_get(a, (size_t)row_of[k], (size_t)j);
                    var += ukj * ukj * vij * vij * weight[k] * id->jacobian_se[k][i] * id->jacobian_se[k][i];
                }
        }
        id->singular_se[j] = sqrt(var);
    }
    id->condition = id->singular[n - 1] > 0 ? id->singular[0] / id->singular[n - 1] : INFINITY;
    /* pinned = V diag(1 / sigma_j, sigma_j >= RP_CAL_FLAT) U^T, column of
     * target k times sqrt(w_k) */
    for (int i = 0; i < n; i++) {
        double ss = 0;
        for (int k = 0; k < nt; k++) {
            double p = 0;
            for (int j = 0; row_of[k] >= 0 && j < n; j++)
                if (id->singular[j] >= RP_CAL_FLAT)
                    p += gsl_matrix_get(v, (size_t)i, (size_t)j) / id->singular[j] *
                         gsl_matrix_get(a, (size_t)row_of[k], (size_t)j);
            p *= row_of[k] >= 0 ? sqrt(weight[k]) : 0;
            id->pinned[i][k] = fabs(p) > 1e-12 ? p : 0; /* rounding of an exact 0 */
            ss += id->pinned[i][k] * id->pinned[i][k];
        }
        id->pinned_by[i] = largest(id->pinned[i], nt);
        id->spread[i] = sqrt(ss);
    }
    return RP_OK;
}

int rp_calibration_identify_jacobian(rp_cal_identification *id, const double *weight, rp_error *err)
{
    const int n = id->n_free, nt = id->n_targets;
    if (n < 1 || n > RP_CAL_MAX_FREE || nt < 1 || nt > RP_CAL_MAX_TARGETS)
        RP_FAIL(err, RP_EINVAL, "identification of %d coefficients by %d targets; expected 1 to %d and 1 to %d", n,
                nt, RP_CAL_MAX_FREE, RP_CAL_MAX_TARGETS);
    /* the weighted rows of the fitted targets, then zero rows up to n: GSL's
     * decomposition needs at least as many rows as columns */
    int m = 0;
    for (int k = 0; k < nt; k++)
        m += weight[k] > 0;
    const int rows = m > n ? m : n;
    gsl_matrix *a = gsl_matrix_calloc((size_t)rows, (size_t)n), *v = gsl_matrix_alloc((size_t)n, (size_t)n);
    gsl_vector *s = gsl_vector_alloc((size_t)n), *work = gsl_vector_alloc((size_t)n);
    const int status = a && v && s && work ? decompose(id, weight, a, v, s, work, err)
                                           : rp_status_raise(err, RP_ENOMEM, "out of memory");
    gsl_matrix_free(a); /* GSL's free functions take NULL */
    gsl_matrix_free(v);
    gsl_vector_free(s);
    gsl_vector_free(work);
    return status;
}
