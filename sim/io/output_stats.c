/* output_stats.c - a sweep file's /statistics; see output_stats.h.
 *
 * Each statistic of stats.h is one dataset of float64 over (point, group,
 * observable, field): field is the estimate, its standard error, the 95%
 * interval's ends and the replicates it is over, so that
 * xarray.open_dataset(path, group="statistics") labels every number. The
 * concordance on each categorical dimension (model 2, rp_dim_point_stats) is
 * one more dataset, over (point, group, dimension, field): its own block, as
 * stats.h has it, since the dimensions are the scenario's and the JSON has
 * only their statistic over replicates (in a PSA too: over all D x R runs of
 * a point, so there its field coordinate is replicate_field). A
 * point's numbers are computed from its runs and the reference point's
 * (common random numbers pair them replicate by replicate), so the file is
 * written point by point in blocks, with the reference point's runs read
 * once.
 */
#include "io/output_stats.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "io/output_h5.h"

typedef struct {
    const char *name, *long_name;
} dataset_def;

/* The statistics over replicates, in dataset order; which field of
 * rp_point_stats each is (pick). */
enum { S_MEAN, S_PAIRED, S_RELATIVE, S_GAP, S_GAP_CHANGE, S_RATIO, S_CLOSED, N_STATS };
static const dataset_def stat_def[N_STATS] = {
    {"mean", "mean over the point's replicates"},
    {"paired_difference", "the point minus the reference point, replicate by replicate (0 at the reference point)"},
    {"relative", "the point's mean over the reference point's (ratio of means over pairs of replicates, Fieller "
                 "interval)"},
    {"gap", "the group minus the reference group, within each run (NaN for all)"},
    {"gap_change", "the gap minus the reference point's gap, replicate by replicate"},
    {"ratio", "the group's mean over the reference group's (ratio of means over the runs, Fieller interval; "
              "NaN for all)"},
    {"gap_closed", "the share of the reference point's gap closed: -gap_change / the reference point's gap (ratio "
                   "of means, Fieller interval)"},
};

enum { F_ESTIMATE, F_SE, F_LO, F_HI, F_N, N_FIELDS };
static const char *const field_name[N_FIELDS] = {"estimate", "se", "ci_lo", "ci_hi", "n"};

/* The statistics over the draws of a PSA (rp_psa_point), and their fields. */
enum { U_VALUE, U_DIFFERENCE, U_GAP, U_GAP_CHANGE, U_LOWEST, N_PSA };
static const dataset_def psa_def[N_PSA] = {
    {"value", "over the draws of each draw's mean over its replicates"},
    {"difference", "the point minus the reference point, draw by draw (0 at the reference point)"},
    {"gap", "the group minus the reference group, within each run (NaN for all)"},
    {"gap_change", "the gap minus the reference point's gap, draw by draw"},
    {"lowest", "the share of draws in which this point's value is the lowest of all points' (in `mean`; NaN for "
               "sweeps of more than 64 points)"},
};
enum { G_MEAN, G_LO, G_HI, G_MC, G_BELOW, G_N, N_PSA_FIELDS };
static const char *const psa_field_name[N_PSA_FIELDS] = {"mean", "ui_lo", "ui_hi", "mc_share", "p_below", "n"};

/* What the file holds of one kind of design: its datasets and fields. */
typedef struct {
    int n_sets, n_fields;
    const dataset_def *sets;
    const char *const *fields;
    const char *fields_long_name;
} family;

static const family over_replicates = {N_STATS, N_FIELDS, stat_def, field_name,
                                       "estimate, its standard error, its 95% interval, and the replicates it is "
                                       "over"};
static const family over_draws = {N_PSA, N_PSA_FIELDS, psa_def, psa_field_name,
                                  "mean over the draws, the 95% uncertainty interval (2.5% and 97.5% quantiles), "
                                  "the share of variance that is Monte Carlo noise, the share of draws below 0, "
                                  "and the draws it is over"};

#define BLOCK_POINTS 64 /* points per chunk and per write */

/* Statistic `which` of group g (-1: all) and table row k; NULL where none
 * is defined (a contrast of all pairs). */
static const rp_stat *pick(const rp_point_stats *st, int which, int g, size_t k)
{
    switch (which) {
    case S_MEAN: return g < 0 ? &st->all[0][k] : &st->group[0][g][k];
    case S_PAIRED: return g < 0 ? &st->all[1][k] : &st->group[1][g][k];
    case S_RELATIVE: return &st->relative[g + 1][k];
    case S_GAP: return g < 0 ? NULL : &st->gap[0][g][k];
    case S_GAP_CHANGE: return g < 0 ? NULL : &st->gap[1][g][k];
    case S_RATIO: return g < 0 ? NULL : &st->ratio[g][k];
    default: return g < 0 ? NULL : &st->closed[g][k];
    }
}

#define MAX_SETS N_STATS /* the larger family */

/* The concordance by dimension (JSON concordance_by_dimension), and the
 * coordinates of its dimensions that the families' datasets lack. */
static const dataset_def dim_def = {"concordance_by_dimension",
                                    "the share of pairs whose patient and provider have the same level of the "
                                    "dimension, over the point's replicates (with draws: all D x R runs, as in "
                                    "the JSON; model 2)"};
enum { C_DIMENSION, C_FIELD, N_DIM_SCALES };

/* What is being written. */
typedef struct {
    const rp_layout *l;
    const rp_stats_design *d;
    const family *fam;
    int n_groups;
    size_t n_rows, row[RP_N_OBSERVABLES]; /* the table rows the model reports */
    hid_t group, scale[4], ds[MAX_SETS];
    double *block[MAX_SETS]; /* BLOCK_POINTS x (1 + groups) x rows x fields */
    const rp_dim_concordance *dims; /* the categorical dimensions (none: no dataset) */
    hid_t dim_scale[N_DIM_SCALES], dim_ds;
    double *dim_block; /* BLOCK_POINTS x (1 + groups) x dimensions x N_FIELDS */
} writer;

static size_t point_values(const writer *w) { return (size_t)(1 + w->n_groups) * w->n_rows * w->fam->n_fields; }

static size_t point_dim_values(const writer *w) { return (size_t)(1 + w->n_groups) * (size_t)w->dims->n * N_FIELDS; }

/* A dataset of float64 over (point, group, rows, fields) with those scales
 * attached, chunked by BLOCK_POINTS points, compressed and NaN-filled. */
static hid_t make_dataset(hid_t group, const dataset_def *def, const hsize_t dims[4], const hid_t scale[4])
{
    const hsize_t chunk[4] = {dims[0] < BLOCK_POINTS ? dims[0] : BLOCK_POINTS, dims[1], dims[2], dims[3]};
    const double nan = NAN;
    hid_t space = H5Screate_simple(4, dims, NULL), dcpl = H5Pcreate(H5P_DATASET_CREATE), ds = -1;
    if (space >= 0 && dcpl >= 0 && H5Pset_chunk(dcpl, 4, chunk) >= 0 &&
        H5Pset_fill_value(dcpl, H5T_NATIVE_DOUBLE, &nan) >= 0 && H5Pset_shuffle(dcpl) >= 0 &&
        H5Pset_deflate(dcpl, 4) >= 0)
        ds = H5Dcreate2(group, def->name, H5T_NATIVE_DOUBLE, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    herr_t st = ds < 0 ? -1 : rp_h5_attr_string(ds, "long_name", def->long_name);
    for (unsigned a = 0; st >= 0 && a < 4; a++)
        st = H5DSattach_scale(ds, scale[a], a);
    if (space >= 0)
        H5Sclose(space);
    if (dcpl >= 0)
        H5Pclose(dcpl);
    if (st < 0 && ds >= 0) {
        H5Dclose(ds);
        ds = -1;
    }
    return ds;
}

/* The dimension scale and the dataset of the concordance by dimension, with
 * the point and group scales (and, over replicates, the field scale) of the
 * families' datasets. */
static herr_t create_dimensions(writer *w, hid_t str)
{
    const char *names[RP_MAX_DIMS];
    for (int a = 0; a < w->dims->n; a++)
        names[a] = w->dims->name[a];
    w->dim_scale[C_DIMENSION] = rp_h5_scale(w->group, "dimension", str, (hsize_t)w->dims->n, names,
                                            "the categorical dimension of culture.dimensions (the /summary "
                                            "columns concordance_by_dimension.DIM)");
    if (w->dim_scale[C_DIMENSION] < 0)
        return -1;
    hid_t field = w->scale[3];
    if (w->fam != &over_replicates) { /* a PSA: the fields of a statistic over runs */
        field = w->dim_scale[C_FIELD] =
            rp_h5_scale(w->group, "replicate_field", str, N_FIELDS, field_name,
                        "estimate, its standard error, its 95% interval, and the runs it is over: a statistic "
                        "over all draws x replicates runs of the point, not over draws");
        if (field < 0)
            return -1;
    }
    const hsize_t dims[4] = {(hsize_t)w->d->points, (hsize_t)(1 + w->n_groups), (hsize_t)w->dims->n, N_FIELDS};
    const hid_t scale[4] = {w->scale[0], w->scale[1], w->dim_scale[C_DIMENSION], field};
    return (w->dim_ds = make_dataset(w->group, &dim_def, dims, scale)) < 0 ? -1 : 0;
}

static herr_t create(writer *w)
{
    const rp_layout *l = w->l;
    const rp_stats_design *d = w->d;
    w->group = H5Gcreate2(l->file, "statistics", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (w->group < 0)
        return -1;
    size_t n_table;
    const rp_observable_def *table = rp_observables_table(&n_table);
    const char *obs[RP_N_OBSERVABLES], *groups[1 + RP_MAX_GROUPS];
    for (size_t j = 0; j < w->n_rows; j++)
        obs[j] = table[w->row[j]].name;
    for (int g = 0; g <= w->n_groups; g++)
        groups[g] = l->group_name[g];
    int64_t *points = malloc((size_t)d->points * sizeof *points);
    hid_t str = rp_h5_string_type();
    herr_t st = points && str >= 0 ? 0 : -1;
    for (int64_t p = 0; points && p < d->points; p++)
        points[p] = p;
    if (st >= 0)
        st = (w->scale[0] = rp_h5_scale(w->group, "point", H5T_NATIVE_INT64, (hsize_t)d->points, points,
                                       "the sweep point (/runs/point)")) < 0 ? -1 : 0;
    if (st >= 0)
        st = (w->scale[1] = rp_h5_scale(w->group, "group", str, (hsize_t)(1 + w->n_groups), groups,
                                       "patient group (all: every pair)")) < 0 ? -1 : 0;
    if (st >= 0)
        st = (w->scale[2] = rp_h5_scale(w->group, "observable", str, (hsize_t)w->n_rows, obs,
                                       "the observable (a /summary column)")) < 0 ? -1 : 0;
    if (st >= 0)
        st = (w->scale[3] = rp_h5_scale(w->group, "field", str, (hsize_t)w->fam->n_fields, w->fam->fields,
                                       w->fam->fields_long_name)) < 0 ? -1 : 0;
    free(points);
    const hsize_t dims[4] = {(hsize_t)d->points, (hsize_t)(1 + w->n_groups), w->n_rows, (hsize_t)w->fam->n_fields};
    for (int s = 0; st >= 0 && s < w->fam->n_sets; s++)
        st = (w->ds[s] = make_dataset(w->group, &w->fam->sets[s], dims, w->scale)) < 0 ? -1 : 0;
    if (st >= 0 && w->dims->n)
        st = create_dimensions(w, str);
    if (str >= 0)
        H5Tclose(str);
    return st;
}

/* The group attributes: what the contrasts compare with, and the level. */
static herr_t describe(const writer *w, const char *reference_group)
{
    const double level = 0.95;
    herr_t st = rp_h5_attr_string(w->group, "long_name", w->d->draws
                                  ? "the sweep's statistics over the draws of its uncertainty section, by point, "
                                    "patient group and observable (rapport run --json's, docs/FORMAT.md)"
                                  : "the sweep's statistics over replicates, by point, patient group and "
                                    "observable (rapport run --json's, docs/FORMAT.md)");
    if (st >= 0)
        st = rp_h5_attr_string(w->group, "reference_group", reference_group);
    if (st >= 0)
        st = rp_h5_attr_scalar(w->group, "reference_point", H5T_NATIVE_INT64, &w->d->reference_point);
    if (st >= 0)
        st = rp_h5_attr_scalar(w->group, "replicates", H5T_NATIVE_INT64, &w->d->replicates);
    if (st >= 0)
        st = rp_h5_attr_scalar(w->group, "confidence_level", H5T_NATIVE_DOUBLE, &level);
    if (st >= 0)
        st = rp_h5_attr_string(w->group, "over", w->d->draws ? "draws" : "replicates");
    if (st >= 0 && w->d->draws) {
        const int64_t per_draw = w->d->replicates / w->d->draws;
        st = rp_h5_attr_scalar(w->group, "draws", H5T_NATIVE_INT64, &w->d->draws);
        if (st >= 0)
            st = rp_h5_attr_scalar(w->group, "replicates_per_draw", H5T_NATIVE_INT64, &per_draw);
    }
    return st;
}

/* The N_FIELDS fields of statistic x (NULL: none, over 0 replicates). */
static void put_stat(double *v, const rp_stat *x)
{
    v[F_ESTIMATE] = x ? x->mean : NAN;
    v[F_SE] = x ? x->se : NAN;
    v[F_LO] = x ? x->lo : NAN;
    v[F_HI] = x ? x->hi : NAN;
    v[F_N] = x ? (double)x->n : 0;
}

/* Point i of the block gets st's numbers. */
static void fill(writer *w, int64_t i, const rp_point_stats *st)
{
    const size_t per = point_values(w);
    assert(w->fam == &over_replicates);
    for (int s = 0; s < N_STATS; s++) {
        double *v = w->block[s] + (size_t)i * per;
        for (int g = -1; g < w->n_groups; g++)
            for (size_t j = 0; j < w->n_rows; j++, v += N_FIELDS)
                put_stat(v, st->replicates ? pick(st, s, g, w->row[j]) : NULL);
    }
}

/* Point i of the block gets the concordance by dimension of the point
 * (rp_stats_dimensions over the runs of point `at` of s). */
static void fill_dimensions(writer *w, int64_t i, const rp_stats_design *d, const rp_summaries *s, int64_t at,
                            rp_dim_point_stats *c)
{
    if (!w->dims->n)
        return;
    rp_stats_dimensions(d, s, at, c);
    double *v = w->dim_block + (size_t)i * point_dim_values(w);
    for (int g = -1; g < w->n_groups; g++)
        for (int a = 0; a < w->dims->n; a++, v += N_FIELDS)
            put_stat(v, c->n ? (g < 0 ? &c->all[a] : &c->group[g][a]) : NULL);
}

/* Statistic `which` of a PSA point for group g (-1: all) and row k; NULL
 * where none is defined. */
static const rp_psa_stat *pick_psa(const rp_psa_point *u, int which, int g, size_t k)
{
    switch (which) {
    case U_VALUE: return &u->value[g + 1][k];
    case U_DIFFERENCE: return &u->diff[g + 1][k];
    case U_GAP: return g < 0 ? NULL : &u->gap[g][k];
    default: return g < 0 ? NULL : &u->gap_change[g][k];
    }
}

/* Point i of the block gets the PSA point u's numbers. */
static void fill_psa(writer *w, int64_t i, const rp_psa_point *u)
{
    const size_t per = point_values(w);
    for (int s = 0; s < N_PSA; s++) {
        double *v = w->block[s] + (size_t)i * per;
        for (int g = -1; g < w->n_groups; g++)
            for (size_t j = 0; j < w->n_rows; j++, v += N_PSA_FIELDS) {
                const size_t k = w->row[j];
                for (int f = 0; f < N_PSA_FIELDS; f++)
                    v[f] = NAN;
                if (s == U_LOWEST) {
                    v[G_MEAN] = u->lowest[g + 1][k];
                    v[G_N] = (double)u->draws;
                    continue;
                }
                const rp_psa_stat *x = pick_psa(u, s, g, k);
                if (!x)
                    continue;
                v[G_MEAN] = x->mean;
                v[G_LO] = x->lo;
                v[G_HI] = x->hi;
                v[G_MC] = x->mc_share;
                v[G_BELOW] = s == U_VALUE ? NAN : x->p_below;
                v[G_N] = (double)x->n;
            }
    }
}

/* Points first .. first + n - 1 of dataset ds, from block (n x the other
 * three dimensions of count). */
static herr_t write_points(hid_t ds, int64_t first, int64_t n, const hsize_t count3[3], const double *block)
{
    const hsize_t start[4] = {(hsize_t)first, 0, 0, 0}, count[4] = {(hsize_t)n, count3[0], count3[1], count3[2]};
    hid_t file_space = H5Dget_space(ds), mem = H5Screate_simple(4, count, NULL);
    herr_t st =
        file_space < 0 || mem < 0 ? -1 : H5Sselect_hyperslab(file_space, H5S_SELECT_SET, start, NULL, count, NULL);
    if (st >= 0)
        st = H5Dwrite(ds, H5T_NATIVE_DOUBLE, mem, file_space, H5P_DEFAULT, block);
    if (mem >= 0)
        H5Sclose(mem);
    if (file_space >= 0)
        H5Sclose(file_space);
    return st;
}

static herr_t write_block(const writer *w, int64_t first, int64_t n)
{
    const hsize_t count[3] = {(hsize_t)(1 + w->n_groups), w->n_rows, (hsize_t)w->fam->n_fields},
                  dim_count[3] = {(hsize_t)(1 + w->n_groups), (hsize_t)w->dims->n, N_FIELDS};
    herr_t st = 0;
    for (int s = 0; st >= 0 && s < w->fam->n_sets; s++)
        st = write_points(w->ds[s], first, n, count, w->block[s]);
    if (st >= 0 && w->dims->n)
        st = write_points(w->dim_ds, first, n, dim_count, w->dim_block);
    return st;
}

/* The R runs of point into runs at, at + 1, ... of s, done as the file
 * holds them. */
static int read_point(rp_stats_source read, void *ctx, int64_t point, int64_t R, rp_summaries *s, int64_t at,
                      rp_error *err)
{
    int status = RP_OK;
    for (int64_t r = 0; status == RP_OK && r < R; r++) {
        bool held = false;
        rp_summary sum;
        s->done[at + r] = 0;
        status = read(ctx, point * R + r, &sum, &held, err);
        if (status == RP_OK && held)
            status = rp_summaries_put(s, at + r, &sum, err);
    }
    return status;
}

/* Over replicates: point by point, each with the reference point's runs (a
 * sweep of two points whose reference is point 0: the reference's runs
 * 0 .. R - 1 of the store, the point's R .. 2R - 1). */
static int write_replicates(writer *w, const rp_summary *shape, rp_stats_source read, void *ctx, rp_error *err)
{
    const rp_stats_design *d = w->d;
    const int64_t R = d->replicates, base = d->reference_point;
    rp_summaries s;
    rp_point_stats *st = malloc(sizeof *st);
    rp_dim_point_stats *c = malloc(sizeof *c);
    int status = rp_summaries_init(&s, 2 * R, shape, err);
    if (status == RP_OK && (!st || !c))
        status = rp_status_raise(err, RP_ENOMEM, "out of memory for the statistics of %s", w->l->path);
    if (status == RP_OK)
        status = read_point(read, ctx, base, R, &s, 0, err);
    rp_stats_design pair = *d;
    pair.points = 2;
    pair.reference_point = 0;
    for (int64_t first = 0; status == RP_OK && first < d->points; first += BLOCK_POINTS) {
        const int64_t n = d->points - first < BLOCK_POINTS ? d->points - first : BLOCK_POINTS;
        for (int64_t i = 0; status == RP_OK && i < n; i++) {
            const int64_t point = first + i;
            if (point != base)
                status = read_point(read, ctx, point, R, &s, R, err);
            if (status == RP_OK)
                status = rp_stats_point(&pair, &s, point == base ? 0 : 1, st, err);
            if (status == RP_OK) {
                fill(w, i, st);
                fill_dimensions(w, i, &pair, &s, point == base ? 0 : 1, c);
            }
        }
        if (status == RP_OK && write_block(w, first, n) < 0)
            status = rp_h5_error(err, "write /statistics of", w->l->path);
    }
    rp_summaries_free(&s);
    free(st);
    free(c);
    return status;
}

/* Over draws: every run at once, since a point's `lowest` compares it
 * with every other point (the summary of `rapport run` holds as many). */
static int write_draws(writer *w, const rp_summary *shape, rp_stats_source read, void *ctx, rp_error *err)
{
    const rp_stats_design *d = w->d;
    rp_summaries s;
    rp_psa_point *u = malloc(sizeof *u);
    rp_dim_point_stats *c = malloc(sizeof *c);
    int status = rp_summaries_init(&s, d->points * d->replicates, shape, err);
    if (status == RP_OK && (!u || !c))
        status = rp_status_raise(err, RP_ENOMEM, "out of memory for the statistics of %s", w->l->path);
    for (int64_t p = 0; status == RP_OK && p < d->points; p++)
        status = read_point(read, ctx, p, d->replicates, &s, p * d->replicates, err);
    for (int64_t first = 0; status == RP_OK && first < d->points; first += BLOCK_POINTS) {
        const int64_t n = d->points - first < BLOCK_POINTS ? d->points - first : BLOCK_POINTS;
        for (int64_t i = 0; status == RP_OK && i < n; i++)
            if ((status = rp_stats_psa(d, &s, first + i, u, err)) == RP_OK) {
                fill_psa(w, i, u);
                fill_dimensions(w, i, d, &s, first + i, c); /* as the JSON's: over the point's D x R runs */
            }
        if (status == RP_OK && write_block(w, first, n) < 0)
            status = rp_h5_error(err, "write /statistics of", w->l->path);
    }
    rp_summaries_free(&s);
    free(u);
    free(c);
    return status;
}

int rp_output_stats_write(const rp_layout *l, const rp_stats_design *d, const rp_summary *shape,
                          rp_stats_source read, void *ctx, rp_error *err)
{
    writer w = {.l = l, .d = d, .fam = d->draws ? &over_draws : &over_replicates, .n_groups = l->n_groups,
                .group = -1, .scale = {-1, -1, -1, -1}, .dims = &shape->by_dimension, .dim_scale = {-1, -1},
                .dim_ds = -1};
    for (int i = 0; i < MAX_SETS; i++)
        w.ds[i] = -1;
    size_t n_table;
    const rp_observable_def *table = rp_observables_table(&n_table);
    for (size_t k = 0; k < n_table; k++)
        if (rp_observables_reported(&table[k], d->model))
            w.row[w.n_rows++] = k;
    int status = RP_OK;
    for (int i = 0; status == RP_OK && i < w.fam->n_sets; i++)
        if (!(w.block[i] = malloc(BLOCK_POINTS * point_values(&w) * sizeof(double))))
            status = rp_status_raise(err, RP_ENOMEM, "out of memory for the statistics of %s", l->path);
    if (status == RP_OK && w.dims->n && !(w.dim_block = malloc(BLOCK_POINTS * point_dim_values(&w) * sizeof(double))))
        status = rp_status_raise(err, RP_ENOMEM, "out of memory for the statistics of %s", l->path);
    if (status == RP_OK && create(&w) < 0)
        status = rp_h5_error(err, "write /statistics of", l->path);
    if (status == RP_OK)
        status = d->draws ? write_draws(&w, shape, read, ctx, err) : write_replicates(&w, shape, read, ctx, err);
    if (status == RP_OK) {
        const char *reference = d->reference_group[0] ? d->reference_group : l->n_groups ? l->group_name[1] : "";
        if (describe(&w, reference) < 0)
            status = rp_h5_error(err, "write /statistics of", l->path);
    }
    for (int i = 0; i < MAX_SETS; i++) {
        free(w.block[i]);
        if (w.ds[i] >= 0)
            H5Dclose(w.ds[i]);
    }
    free(w.dim_block);
    if (w.dim_ds >= 0)
        H5Dclose(w.dim_ds);
    for (int a = 0; a < N_DIM_SCALES; a++)
        if (w.dim_scale[a] >= 0)
            H5Dclose(w.dim_scale[a]);
    for (int a = 0; a < 4; a++)
        if (w.scale[a] >= 0)
            H5Dclose(w.scale[a]);
    if (w.group >= 0)
        H5Gclose(w.group);
    return status;
}
