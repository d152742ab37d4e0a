/* output_layout.c - the columns of rapport's HDF5 files; see output_layout.h
 * and docs/FORMAT.md, which this file must match. */
#include "io/output_layout.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "rapport/engine.h"
#include "rapport/observe.h"
#include "rapport/paramtable.h"
#include "input/input.h"
#include "plan/sweep_spec.h"

#define CHUNK_BYTES (1 << 20)
#define CHUNK_CACHE (4u << 20) /* trajectories: a partial chunk waits here for the next block */

static const char *const table_name[RP_N_TABLES] = {"runs", "summary", "pairs", "providers", "trajectories"};
static const char *const row_dim[RP_N_TABLES] = {"run", "run", "pair", "provider", "pair"};
/* Rows buffered before a table is written: whole chunks of the tables that
 * grow by blocks of pairs (RP_RUN_BLOCK_PAIRS is 65536). */
static const int64_t flush_rows[RP_N_TABLES] = {4096, 4096, 131072, 131072, 65536};

static const char *exit_meanings = "recovered course_completed dropped censored";
static const uint8_t exit_values[4] = {RP_EXIT_RECOVERED, RP_EXIT_COURSE, RP_EXIT_DROPPED, RP_EXIT_CENSORED};

size_t rp_layout_elem(const rp_column *c)
{
    static const size_t size[] = {4, 8, 4, 8, 1, 8};
    return size[c->type];
}

int64_t rp_layout_width(const rp_layout *l, const rp_column *c)
{
    switch (c->width) {
    case RP_W_DIMS: return l->n_dims;
    case RP_W_WEEKS: return l->n_weeks;
    case RP_W_GROUPS: return 1 + l->n_groups;
    default: return 1;
    }
}

static hid_t native(rp_ctype t)
{
    switch (t) {
    case RP_C_F32: return H5T_NATIVE_FLOAT;
    case RP_C_F64: return H5T_NATIVE_DOUBLE;
    case RP_C_I32: return H5T_NATIVE_INT32;
    case RP_C_I64: return H5T_NATIVE_INT64;
    case RP_C_U8: return H5T_NATIVE_UINT8;
    default: return H5T_NATIVE_UINT64;
    }
}

/* ---- the column list ---- */

static rp_column *add(rp_layout *l, rp_table t, const char *name, rp_ctype type, rp_width w, const char *long_name,
                      const char *units)
{
    rp_column *c = &l->col[l->n_cols++];
    *c = (rp_column){.table = t, .type = type, .width = w, .units = units};
    snprintf(c->name, sizeof c->name, "%s", name);
    snprintf(c->long_name, sizeof c->long_name, "%s", long_name);
    return c;
}

/* The column of observable d in /runs (overall) or /summary (overall, then
 * each group). */
static void observable_column(rp_layout *l, rp_table t, const rp_observable_def *d)
{
    rp_column *c = add(l, t, d->name, RP_C_F64, t == RP_T_SUMMARY ? RP_W_GROUPS : RP_W_ONE, d->definition, NULL);
    c->source = RP_SRC_OBSERVABLE;
    c->observable = d;
}

/* The columns of concordance on each categorical dimension (model 2:
 * rp_observe_dimensions), after the observables of /runs (overall) or
 * /summary (overall, then each group): concordance_by_dimension.DIM, the
 * JSON's key and the dimension's name joined as a calibration target's
 * NAME_by_group.GROUP is. */
static void dim_concordance_columns(rp_layout *l, rp_table t, const rp_params *p)
{
    rp_dim_concordance dims;
    rp_observe_dimensions(&dims, p);
    for (int a = 0; a < dims.n; a++) {
        char name[192], long_name[192];
        snprintf(name, sizeof name, "concordance_by_dimension.%s", dims.name[a]);
        snprintf(long_name, sizeof long_name,
                 "from model 2: share of pairs whose patient and provider have the same level of %s", dims.name[a]);
        rp_column *c = add(l, t, name, RP_C_F64, t == RP_T_SUMMARY ? RP_W_GROUPS : RP_W_ONE, long_name, NULL);
        c->source = RP_SRC_DIM_CONCORDANCE;
        c->dim = a;
    }
}

int rp_layout_init(rp_layout *l, const rp_params *p, int n_weeks, rp_error *err)
{
    memset(l, 0, sizeof *l);
    l->file = H5I_INVALID_HID;
    for (int t = 0; t < RP_N_TABLES; t++)
        l->group[t] = l->row_scale[t] = H5I_INVALID_HID;
    size_t n_params;
    const rp_param *param = rp_paramtable_scenario(&n_params);
    /* the parameters, each observable and concordance on each dimension in
     * /runs and /summary, and the 56 other columns */
    l->col = calloc(n_params + 2 * (RP_N_OBSERVABLES + RP_MAX_DIMS) + 64, sizeof *l->col);
    if (!l->col)
        RP_FAIL(err, RP_ENOMEM, "out of memory");
    l->n_dims = p->culture.n_dims;
    for (int k = 0; k < l->n_dims; k++)
        memcpy(l->dim_name[k], p->culture.dims[k].name, RP_NAME_MAX);
    l->n_groups = p->patients.n_groups;
    snprintf(l->group_name[0], RP_NAME_MAX, "all");
    for (int g = 0; g < l->n_groups; g++)
        memcpy(l->group_name[1 + g], p->patients.groups[g].name, RP_NAME_MAX);
    memcpy(l->patient_groups, p->patients.groups, sizeof l->patient_groups);
    memcpy(l->provider_groups, p->providers.groups, sizeof l->provider_groups);
    l->n_provider_groups = p->providers.n_groups;
    l->n_weeks = n_weeks;
    l->every = p->output.every;
    l->compression = p->output.compression;
    l->level = p->output.level;
    l->threads = 1;

    /* /runs: one row per run */
    add(l, RP_T_RUNS, "run", RP_C_I64, RP_W_ONE, "run index in the plan (points x replicates)", NULL);
    add(l, RP_T_RUNS, "point", RP_C_I64, RP_W_ONE, "sweep point", NULL);
    add(l, RP_T_RUNS, "replicate", RP_C_U64, RP_W_ONE, "replicate", NULL);
    add(l, RP_T_RUNS, "stream", RP_C_U64, RP_W_ONE, "random stream (key word 2 of Philox)", NULL);
    add(l, RP_T_RUNS, "seed", RP_C_U64, RP_W_ONE, "master seed", NULL);
    add(l, RP_T_RUNS, "first_pair", RP_C_I64, RP_W_ONE, "first row of this run in /pairs", NULL)->row_offset = true;
    add(l, RP_T_RUNS, "pairs", RP_C_I64, RP_W_ONE, "rows of this run in /pairs", NULL);
    add(l, RP_T_RUNS, "first_provider", RP_C_I64, RP_W_ONE, "first row of this run in /providers", NULL)->row_offset =
        true;
    add(l, RP_T_RUNS, "providers", RP_C_I64, RP_W_ONE, "rows of this run in /providers", NULL);
    add(l, RP_T_RUNS, "first_trajectory", RP_C_I64, RP_W_ONE, "first row of this run in /trajectories",
        NULL)->row_offset = true;
    add(l, RP_T_RUNS, "trajectories", RP_C_I64, RP_W_ONE, "rows of this run in /trajectories", NULL);
    add(l, RP_T_RUNS, "saltelli_sample", RP_C_I32, RP_W_ONE, "Saltelli design: sample j, or -1", NULL);
    add(l, RP_T_RUNS, "saltelli_matrix", RP_C_I32, RP_W_ONE, "Saltelli design: 0 A, 1 B, 1 + i AB^(i), or -1",
        NULL);
    for (size_t k = 0; k < n_params; k++) {
        const rp_param *row = &param[k];
        if (row->type != RP_PT_INT && row->type != RP_PT_ENUM && row->type != RP_PT_FLAGS &&
            row->type != RP_PT_INT64 && row->type != RP_PT_DOUBLE && row->type != RP_PT_PROB)
            continue; /* seed has its column; names and structures are in /scenario */
        if (!rp_paramtable_in_model(row, p->model))
            continue; /* a parameter of a later model than the scenario's, as its observables */
        rp_column *c = add(l, RP_T_RUNS, row->name, RP_C_F64, RP_W_ONE, row->meaning, row->unit[0] ? row->unit : NULL);
        c->source = RP_SRC_PARAM;
        c->param_row = (int)k;
        if (row->words) {
            c->words_are_bits = row->type == RP_PT_FLAGS;
            for (int w = 0; row->words[w]; w++)
                snprintf(c->words + strlen(c->words), sizeof c->words - strlen(c->words), "%s%s", w ? " " : "",
                         row->words[w]);
        }
    }
    /* The observables (the table's rows), overall. No units attribute: the
     * files of format_version 1 have none for them. */
    size_t n_obs;
    const rp_observable_def *obs = rp_observables_table(&n_obs);
    for (size_t k = 0; k < n_obs; k++) /* those the scenario's model version reports */
        if (rp_observables_reported(&obs[k], p->model))
            observable_column(l, RP_T_RUNS, &obs[k]);
    dim_concordance_columns(l, RP_T_RUNS, p);

    /* /summary: one row per run, one column per group (all first) */
    add(l, RP_T_SUMMARY, "run", RP_C_I64, RP_W_ONE, "run index in the plan", NULL);
    add(l, RP_T_SUMMARY, "pairs", RP_C_I64, RP_W_GROUPS, "pairs", "count");
    for (size_t k = 0; k < n_obs; k++)
        if (rp_observables_reported(&obs[k], p->model))
            observable_column(l, RP_T_SUMMARY, &obs[k]);
    dim_concordance_columns(l, RP_T_SUMMARY, p);

    /* /pairs: one row per pair */
    add(l, RP_T_PAIRS, "pair", RP_C_I64, RP_W_ONE, "row index", NULL);
    add(l, RP_T_PAIRS, "run", RP_C_I64, RP_W_ONE, "run index in the plan", NULL);
    add(l, RP_T_PAIRS, "patient", RP_C_I64, RP_W_ONE, "patient (= pair) index within its run", NULL);
    add(l, RP_T_PAIRS, "group", RP_C_U8, RP_W_ONE, "patient group", NULL)->flags = RP_FL_PATIENT_GROUP;
    add(l, RP_T_PAIRS, "provider", RP_C_I64, RP_W_ONE, "provider index within the run", NULL);
    add(l, RP_T_PAIRS, "distance", RP_C_F64, RP_W_ONE, "cultural distance d_ij", "1");
    add(l, RP_T_PAIRS, "culture", RP_C_F64, RP_W_DIMS,
        "patient culture: level index (categorical) or value in [0, 1] (continuous)", NULL);
    add(l, RP_T_PAIRS, "mistrust", RP_C_F64, RP_W_ONE, "institutional mistrust m", "1");
    add(l, RP_T_PAIRS, "barrier", RP_C_F64, RP_W_ONE, "structural barrier b", "1");
    add(l, RP_T_PAIRS, "stressor_rate", RP_C_F64, RP_W_ONE, "weekly stressor rate lambda", "1/week");
    add(l, RP_T_PAIRS, "symptoms0", RP_C_F64, RP_W_ONE, "intake symptom severity S_0", "points");
    add(l, RP_T_PAIRS, "alliance_trait", RP_C_F64, RP_W_ONE, "alliance propensity u", "logit");
    add(l, RP_T_PAIRS, "response", RP_C_F64, RP_W_ONE, "treatment responsiveness gamma_i", "1/week");
    add(l, RP_T_PAIRS, "exit_week", RP_C_I32, RP_W_ONE, "exit week (= sessions attended)", "weeks");
    add(l, RP_T_PAIRS, "exit_reason", RP_C_U8, RP_W_ONE, "how the pair ended", NULL)->flags = RP_FL_EXIT;
    add(l, RP_T_PAIRS, "discussed_week", RP_C_I32, RP_W_ONE,
        "first week with difference discussed; -1 never (discussed by exit iff 0 <= it <= exit_week)", "weeks");
    add(l, RP_T_PAIRS, "ruptures", RP_C_I32, RP_W_ONE, "ruptures", "count");
    add(l, RP_T_PAIRS, "repairs", RP_C_I32, RP_W_ONE, "repaired ruptures", "count");
    add(l, RP_T_PAIRS, "symptoms_exit", RP_C_F64, RP_W_ONE, "symptom severity at exit", "points");
    add(l, RP_T_PAIRS, "improvement", RP_C_F64, RP_W_ONE, "improvement S_0 - S_exit", "points");
    add(l, RP_T_PAIRS, "early_alliance", RP_C_F64, RP_W_ONE,
        "early alliance, mean of A_1..A_3; NaN with fewer than 3 sessions", "1");
    add(l, RP_T_PAIRS, "trust_report", RP_C_F64, RP_W_ONE, "trust at report.ambivalence_week; NaN if exited before",
        "1");

    /* /providers: one row per provider */
    add(l, RP_T_PROVIDERS, "provider", RP_C_I64, RP_W_ONE, "row index", NULL);
    add(l, RP_T_PROVIDERS, "run", RP_C_I64, RP_W_ONE, "run index in the plan", NULL);
    add(l, RP_T_PROVIDERS, "index", RP_C_I64, RP_W_ONE, "provider index within its run", NULL);
    add(l, RP_T_PROVIDERS, "group", RP_C_U8, RP_W_ONE, "provider group", NULL)->flags = RP_FL_PROVIDER_GROUP;
    add(l, RP_T_PROVIDERS, "culture", RP_C_F64, RP_W_DIMS,
        "provider culture: level index (categorical) or value in [0, 1] (continuous)", NULL);
    add(l, RP_T_PROVIDERS, "humility", RP_C_F64, RP_W_ONE, "cultural humility h", "1");
    add(l, RP_T_PROVIDERS, "skill", RP_C_F64, RP_W_ONE, "skill sigma_j (therapist effect)", "logit");
    if (p->model >= 2) /* as the parameters and observables, only in files of the model that has it */
        add(l, RP_T_PROVIDERS, "retention", RP_C_F64, RP_W_ONE,
            "retention effect epsilon_j in the dropout hazard (therapist effect on dropout)", "logit");
    add(l, RP_T_PROVIDERS, "caseload", RP_C_I64, RP_W_ONE, "caseload capacity C", "patients");
    add(l, RP_T_PROVIDERS, "patients", RP_C_I64, RP_W_ONE, "patients assigned", "patients");

    /* /trajectories: one row per pair whose trajectory is kept */
    add(l, RP_T_TRAJECTORIES, "pair", RP_C_I64, RP_W_ONE, "row index", NULL);
    add(l, RP_T_TRAJECTORIES, "run", RP_C_I64, RP_W_ONE, "run index in the plan", NULL);
    add(l, RP_T_TRAJECTORIES, "patient", RP_C_I64, RP_W_ONE, "patient (= pair) index within its run", NULL);
    static const struct {
        const char *name, *long_name, *units;
        bool is_float;
    } vars[7] = {
        {"A", "therapeutic alliance", "1", true},
        {"T", "trust", "1", true},
        {"S", "symptom severity", "points (0-27 scale)", true},
        {"D", "difference discussed (in effect this week)", "1", false},
        {"N", "stressors this week", "count", false},
        {"rupture", "alliance rupture this week", "1", false},
        {"repaired", "rupture repaired this week", "1", false},
    };
    for (int v = 0; v < 7; v++)
        if (p->output.variables & (1u << v))
            add(l, RP_T_TRAJECTORIES, vars[v].name, vars[v].is_float ? RP_C_F32 : RP_C_U8, RP_W_WEEKS,
                vars[v].long_name, vars[v].units)->trajectory_bit = 1 << v;
    if (!p->output.variables || !p->output.pairs) { /* no trajectories: drop that table; no pairs likewise */
        int kept = 0;
        for (int c = 0; c < l->n_cols; c++)
            if (!(l->col[c].table == RP_T_TRAJECTORIES && !p->output.variables) &&
                !(l->col[c].table == RP_T_PAIRS && !p->output.pairs))
                l->col[kept++] = l->col[c];
        l->n_cols = kept;
    }
    l->ds = malloc((size_t)l->n_cols * sizeof *l->ds);
    l->buf = calloc((size_t)l->n_cols, sizeof *l->buf);
    if (!l->ds || !l->buf) {
        rp_layout_close(l);
        RP_FAIL(err, RP_ENOMEM, "out of memory");
    }
    for (int c = 0; c < l->n_cols; c++)
        l->ds[c] = H5I_INVALID_HID;
    return RP_OK;
}

const char *rp_layout_table_name(rp_table t)
{
    return table_name[t];
}

int rp_layout_add_moments(rp_layout *l, const rp_scenario *sc, rp_error *err)
{
    rp_sweep_spec spec;
    rp_error ignored;
    double v;
    const rp_params *p = rp_scenario_params(sc);
    if (rp_sweep_spec_read(sc, &spec, &ignored) != RP_OK) { /* not a valid sweep: no plan writes this file */
        rp_sweep_spec_free(&spec);
        return RP_OK;
    }
    size_t n = 0;
    for (size_t i = 0; i < spec.n_axes; i++)
        n += rp_params_moment(p, spec.axes[i].key, &v);
    rp_column *col = n ? realloc(l->col, ((size_t)l->n_cols + n) * sizeof *col) : l->col;
    if (col)
        l->col = col;
    void **buf = col && n ? realloc(l->buf, ((size_t)l->n_cols + n) * sizeof *buf) : l->buf;
    if (buf) {
        l->buf = buf;
        memset(buf + l->n_cols, 0, n * sizeof *buf);
    }
    hid_t *ds = col && buf && n ? realloc(l->ds, ((size_t)l->n_cols + n) * sizeof *ds) : l->ds;
    if (ds)
        l->ds = ds;
    if (!col || !buf || !ds) {
        rp_sweep_spec_free(&spec);
        RP_FAIL(err, RP_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < spec.n_axes; i++) {
        const char *key = spec.axes[i].key, *last = strrchr(key, '.');
        char meaning[192];
        if (!rp_params_moment(p, key, &v))
            continue;
        snprintf(meaning, sizeof meaning, "%s of %.*s (a sweep axis)", strcmp(last, ".sd") == 0 ? "standard deviation"
                 : "mean", (int)(last - key), key);
        add(l, RP_T_RUNS, key, RP_C_F64, RP_W_ONE, meaning, NULL)->source = RP_SRC_MOMENT;
    }
    rp_sweep_spec_free(&spec);
    return RP_OK;
}

int rp_layout_find(const rp_layout *l, rp_table t, const char *name)
{
    for (int c = 0; c < l->n_cols; c++)
        if (l->col[c].table == t && strcmp(l->col[c].name, name) == 0)
            return c;
    return -1;
}

static bool table_used(const rp_layout *l, rp_table t)
{
    for (int c = 0; c < l->n_cols; c++)
        if (l->col[c].table == t)
            return true;
    return false;
}

/* ---- creating ---- */

static hsize_t chunk_rows(const rp_layout *l, rp_table t);

double rp_layout_bytes(const rp_layout *l, rp_table t, double rows)
{
    const double chunk = (double)chunk_rows(l, t), stored = ceil(rows / chunk) * chunk;
    double row = 0;
    for (int c = 0; c < l->n_cols; c++)
        if (l->col[c].table == t)
            row += (double)rp_layout_elem(&l->col[c]) * (double)rp_layout_width(l, &l->col[c]);
    return stored * row;
}

/* Rows of a chunk: a power of two (blocks of pairs are whole chunks) of about
 * CHUNK_BYTES for the widest row of the table. */
static hsize_t chunk_rows(const rp_layout *l, rp_table t)
{
    if (t == RP_T_RUNS || t == RP_T_SUMMARY)
        return 1024;
    size_t row = 8;
    for (int c = 0; c < l->n_cols; c++)
        if (l->col[c].table == t) {
            size_t b = rp_layout_elem(&l->col[c]) * (size_t)rp_layout_width(l, &l->col[c]);
            row = b > row ? b : row;
        }
    hsize_t rows = 1;
    while (rows * 2 <= 65536 && rows * 2 * row <= CHUNK_BYTES)
        rows *= 2;
    return rows;
}

static herr_t flag_attributes(const rp_layout *l, hid_t ds, rp_flags f)
{
    if (f == RP_FL_EXIT)
        return rp_h5_attr_vector(ds, "flag_values", H5T_NATIVE_UINT8, 4, exit_values) < 0
                   ? -1
                   : rp_h5_attr_string(ds, "flag_meanings", exit_meanings);
    const rp_group *groups = f == RP_FL_PATIENT_GROUP ? l->patient_groups : l->provider_groups;
    const int n = f == RP_FL_PATIENT_GROUP ? l->n_groups : l->n_provider_groups;
    char meanings[RP_MAX_GROUPS * RP_NAME_MAX] = "";
    uint8_t values[RP_MAX_GROUPS];
    for (int g = 0; g < n; g++) {
        values[g] = (uint8_t)g;
        strcat(meanings, g ? " " : "");
        strcat(meanings, groups[g].name);
    }
    return rp_h5_attr_vector(ds, "flag_values", H5T_NATIVE_UINT8, (hsize_t)n, values) < 0
               ? -1
               : rp_h5_attr_string(ds, "flag_meanings", meanings);
}

static hid_t second_scale(const rp_layout *l, hid_t g, rp_width w)
{
    const char *names[1 + RP_MAX_GROUPS];
    hid_t t = rp_h5_string_type(), ds = -1;
    if (t < 0)
        return -1;
    if (w == RP_W_DIMS) {
        for (int k = 0; k < l->n_dims; k++)
            names[k] = l->dim_name[k];
        ds = rp_h5_scale(g, "dimension", t, (hsize_t)l->n_dims, names, "cultural dimension");
    } else if (w == RP_W_GROUPS) {
        for (int k = 0; k <= l->n_groups; k++)
            names[k] = l->group_name[k];
        ds = rp_h5_scale(g, "group", t, (hsize_t)(1 + l->n_groups), names, "patient group (all: every pair)");
    } else {
        int32_t *weeks = malloc((size_t)l->n_weeks * sizeof *weeks);
        if (weeks) {
            for (int w2 = 0; w2 < l->n_weeks; w2++)
                weeks[w2] = w2 * l->every;
            ds = rp_h5_scale(g, "week", H5T_NATIVE_INT32, (hsize_t)l->n_weeks, weeks, "week since intake");
            if (ds >= 0 && rp_h5_attr_string(ds, "units", "weeks") < 0) {
                H5Dclose(ds);
                ds = -1;
            }
        }
        free(weeks);
    }
    H5Tclose(t);
    return ds;
}

static herr_t create_column(rp_layout *l, int c, hid_t scale2)
{
    const rp_column *col = &l->col[c];
    const int64_t width = rp_layout_width(l, col);
    const int rank = col->width == RP_W_ONE ? 1 : 2;
    hsize_t dims[2] = {0, (hsize_t)width}, max[2] = {H5S_UNLIMITED, (hsize_t)width};
    hsize_t chunk[2] = {chunk_rows(l, col->table), (hsize_t)width};
    const hid_t type = native(col->type);
    hid_t space = H5Screate_simple(rank, dims, max), dcpl = H5Pcreate(H5P_DATASET_CREATE);
    hid_t dapl = H5Pcreate(H5P_DATASET_ACCESS);
    herr_t st = space < 0 || dcpl < 0 || dapl < 0 ? -1 : H5Pset_chunk(dcpl, rank, chunk);
    const float nan32 = NAN;
    const double nan64 = NAN;
    const uint8_t fill8 = RP_TRAJ_FILL_U8;
    const bool traj = col->table == RP_T_TRAJECTORIES && col->width == RP_W_WEEKS;
    const void *fill = col->type == RP_C_F32 ? (const void *)&nan32 : col->type == RP_C_F64 ? (const void *)&nan64
                       : traj ? (const void *)&fill8 : NULL;
    if (st >= 0 && fill)
        st = H5Pset_fill_value(dcpl, type, fill);
    if (st >= 0 && l->compression == RP_COMPRESS_LZ4)
        st = H5Pset_filter(dcpl, 32004, H5Z_FLAG_MANDATORY, 0, NULL);
    if (st >= 0 && l->compression == RP_COMPRESS_DEFLATE)
        st = H5Pset_shuffle(dcpl) < 0 ? -1 : H5Pset_deflate(dcpl, (unsigned)l->level);
    if (st >= 0 && traj)
        st = H5Pset_chunk_cache(dapl, 12421, CHUNK_CACHE, 1.0);
    hid_t ds = st < 0 ? -1 : H5Dcreate2(l->group[col->table], col->name, type, space, H5P_DEFAULT, dcpl, dapl);
    l->ds[c] = ds;
    st = ds < 0 ? -1 : rp_h5_attr_string(ds, "long_name", col->long_name);
    if (st >= 0 && col->units)
        st = rp_h5_attr_string(ds, "units", col->units);
    if (st >= 0 && traj)
        st = col->type == RP_C_F32 ? rp_h5_attr_scalar(ds, "_FillValue", H5T_NATIVE_FLOAT, &nan32)
                                   : rp_h5_attr_scalar(ds, "_FillValue", H5T_NATIVE_UINT8, &fill8);
    if (st >= 0 && col->flags)
        st = flag_attributes(l, ds, col->flags);
    if (st >= 0 && col->words[0])
        st = rp_h5_attr_string(ds, col->words_are_bits ? "bit_k_means_word_k" : "value_k_means_word_k", col->words);
    if (st >= 0 && strcmp(col->name, row_dim[col->table]) == 0) {
        st = H5DSset_scale(ds, row_dim[col->table]);
        l->row_scale[col->table] = ds;
    } else if (st >= 0) {
        st = H5DSattach_scale(ds, l->row_scale[col->table], 0);
        if (st >= 0 && rank == 2)
            st = H5DSattach_scale(ds, scale2, 1);
    }
    if (dapl >= 0) H5Pclose(dapl);
    if (dcpl >= 0) H5Pclose(dcpl);
    if (space >= 0) H5Sclose(space);
    return st;
}

int rp_layout_create(rp_layout *l, hid_t file, const char *path, rp_error *err)
{
    l->file = file;
    snprintf(l->path, sizeof l->path, "%s", path);
    for (int t = 0; t < RP_N_TABLES; t++) {
        if (!table_used(l, (rp_table)t))
            continue;
        l->group[t] = H5Gcreate2(file, table_name[t], H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
        if (l->group[t] < 0)
            return rp_h5_error(err, "write", path);
        hid_t scale2[4] = {-1, -1, -1, -1};
        for (int c = 0; c < l->n_cols; c++) {
            const rp_column *col = &l->col[c];
            if (col->table != (rp_table)t)
                continue;
            if (col->width != RP_W_ONE && scale2[col->width] < 0 &&
                (scale2[col->width] = second_scale(l, l->group[t], col->width)) < 0)
                return rp_h5_error(err, "write", path);
            if (create_column(l, c, scale2[col->width]) < 0) {
                for (int w = 0; w < 4; w++)
                    if (scale2[w] >= 0)
                        H5Dclose(scale2[w]);
                return rp_h5_error(err, "write", path);
            }
        }
        for (int w = 0; w < 4; w++)
            if (scale2[w] >= 0)
                H5Dclose(scale2[w]);
    }
    return RP_OK;
}

/* Chunks above this are not rapport's (its own are about 1 MiB): reading one
 * would make HDF5 allocate it whole. */
#define MAX_CHUNK_BYTES (64u << 20)
/* No filter rapport uses packs data tighter than this (zlib's limit is 1032:1). */
#define MAX_RATIO 1100.0

static const char *const ctype_name[] = {"float32", "float64", "int32", "int64", "uint8", "uint64"};

/* Column c of a file opened for reading, against the layout: its type, its
 * shape (rows x width), chunks of a sane size, and storage for every row it
 * declares (a corrupt extent must not make us allocate what the file cannot
 * hold). Its rows go to *rows. */
static int check_column(const rp_layout *l, int c, hsize_t file_size, int64_t *rows, const char *path,
                        rp_error *err)
{
    const rp_column *col = &l->col[c];
    const hid_t ds = l->ds[c];
    const int rank = col->width == RP_W_ONE ? 1 : 2;
    const hsize_t width = (hsize_t)rp_layout_width(l, col);
    hid_t t = H5Dget_type(ds), s = H5Dget_space(ds), dcpl = H5Dget_create_plist(ds);
    const H5T_class_t cls = t < 0 ? H5T_NO_CLASS : H5Tget_class(t);
    const size_t size = t < 0 ? 0 : H5Tget_size(t);
    const bool is_float = col->type == RP_C_F32 || col->type == RP_C_F64;
    const bool is_signed = col->type == RP_C_I32 || col->type == RP_C_I64;
    const bool type_ok = size == rp_layout_elem(col) && (is_float ? cls == H5T_FLOAT
                                                                  : cls == H5T_INTEGER &&
                                                                        (H5Tget_sign(t) == H5T_SGN_2) == is_signed);
    hsize_t dims[2] = {0, 0}, chunk[2] = {1, 1};
    const int got_rank = s < 0 || H5Sget_simple_extent_type(s) != H5S_SIMPLE ? -1 : H5Sget_simple_extent_ndims(s);
    if (got_rank == rank)
        H5Sget_simple_extent_dims(s, dims, NULL);
    const bool chunked = dcpl >= 0 && H5Pget_layout(dcpl) == H5D_CHUNKED;
    const int chunk_rank = chunked ? H5Pget_chunk(dcpl, 2, chunk) : rank;
    const int filters = dcpl < 0 ? 0 : H5Pget_nfilters(dcpl);
    const hsize_t stored = H5Dget_storage_size(ds);
    if (t >= 0) H5Tclose(t);
    if (s >= 0) H5Sclose(s);
    if (dcpl >= 0) H5Pclose(dcpl);
    const char *table = table_name[col->table];
    if (!type_ok)
        RP_FAIL(err, RP_EINVAL, "%s: /%s/%s is not %s; expected the type of docs/FORMAT.md", path, table, col->name,
                ctype_name[col->type]);
    if (got_rank != rank)
        RP_FAIL(err, RP_EINVAL, "%s: /%s/%s has %d dimensions; expected %d", path, table, col->name, got_rank, rank);
    if (rank == 2 && dims[1] != width)
        RP_FAIL(err, RP_EINVAL, "%s: /%s/%s has %llu columns; expected %llu (one per %s)", path, table, col->name,
                (unsigned long long)dims[1], (unsigned long long)width,
                col->width == RP_W_WEEKS ? "written week" : col->width == RP_W_DIMS ? "cultural dimension" : "group");
    const double row_bytes = (double)width * (double)rp_layout_elem(col);
    const double bytes = (double)dims[0] * row_bytes;
    if (chunk_rank != rank || (double)chunk[0] * (rank == 2 ? (double)chunk[1] : 1.0) * (double)rp_layout_elem(col) >
                                  MAX_CHUNK_BYTES)
        RP_FAIL(err, RP_EINVAL, "%s: /%s/%s has chunks that are not rapport's (over %u MiB, or of another shape)",
                path, table, col->name, MAX_CHUNK_BYTES >> 20);
    if ((double)stored > (double)file_size || bytes > (filters > 0 ? MAX_RATIO : 1.0) * (double)stored)
        RP_FAIL(err, RP_EINVAL, "%s: /%s/%s declares %llu rows (%.0f bytes) but the file stores %llu bytes of it",
                path, table, col->name, (unsigned long long)dims[0], bytes, (unsigned long long)stored);
    *rows = (int64_t)dims[0];
    return RP_OK;
}

int rp_layout_open(rp_layout *l, hid_t file, const char *path, rp_error *err)
{
    l->file = file;
    hsize_t file_size = 0;
    if (H5Fget_filesize(file, &file_size) < 0)
        return rp_h5_read_error(err, "read", path);
    for (int t = 0; t < RP_N_TABLES; t++) {
        if (!table_used(l, (rp_table)t))
            continue;
        if (H5Lexists(file, table_name[t], H5P_DEFAULT) <= 0)
            RP_FAIL(err, RP_EINVAL, "%s has no /%s, which its /scenario implies; expected a file written by rapport",
                    path, table_name[t]);
        if ((l->group[t] = H5Gopen2(file, table_name[t], H5P_DEFAULT)) < 0)
            return rp_h5_read_error(err, "read the tables of", path);
    }
    for (int c = 0; c < l->n_cols; c++) {
        const rp_column *col = &l->col[c];
        if (H5Lexists(l->group[col->table], col->name, H5P_DEFAULT) <= 0)
            RP_FAIL(err, RP_EINVAL, "%s has no /%s/%s, which its /scenario implies; expected a file written by rapport",
                    path, table_name[col->table], col->name);
        if ((l->ds[c] = H5Dopen2(l->group[col->table], col->name, H5P_DEFAULT)) < 0)
            return rp_h5_read_error(err, "read the tables of", path);
    }
    /* every column of a table has the rows of its row coordinate */
    for (int t = 0; t < RP_N_TABLES; t++) {
        const int coord = rp_layout_find(l, (rp_table)t, row_dim[t]);
        int64_t rows = 0;
        int status = coord < 0 ? RP_OK : check_column(l, coord, file_size, &rows, path, err);
        for (int c = 0; status == RP_OK && c < l->n_cols; c++) {
            int64_t n = 0;
            if (l->col[c].table != (rp_table)t || c == coord)
                continue;
            status = check_column(l, c, file_size, &n, path, err);
            if (status == RP_OK && n != rows)
                status = rp_status_raise(err, RP_EINVAL, "%s: /%s/%s has %lld rows, /%s/%s %lld; expected one length "
                                        "for every column of a table", path, table_name[t], l->col[c].name,
                                        (long long)n, table_name[t], row_dim[t], (long long)rows);
        }
        if (status != RP_OK)
            return status;
        l->rows[t] = l->written[t] = rows;
    }
    return RP_OK;
}

/* ---- appending, buffered ---- */

/* Rows [first, first + n) of column c, through HDF5's filters: written from
 * in, or, when in is NULL, read into out. */
static herr_t slab(const rp_layout *l, int c, int64_t first, int64_t n, const void *in, void *out)
{
    const rp_column *col = &l->col[c];
    const hsize_t width = (hsize_t)rp_layout_width(l, col);
    const int rank = col->width == RP_W_ONE ? 1 : 2;
    hsize_t start[2] = {(hsize_t)first, 0}, count[2] = {(hsize_t)n, width};
    hid_t fs = H5Dget_space(l->ds[c]), ms = H5Screate_simple(rank, count, NULL);
    herr_t st = fs < 0 || ms < 0 ? -1 : H5Sselect_hyperslab(fs, H5S_SELECT_SET, start, NULL, count, NULL);
    if (st >= 0)
        st = in ? H5Dwrite(l->ds[c], native(col->type), ms, fs, H5P_DEFAULT, in)
                : H5Dread(l->ds[c], native(col->type), ms, fs, H5P_DEFAULT, out);
    if (ms >= 0) H5Sclose(ms);
    if (fs >= 0) H5Sclose(fs);
    return st;
}

/* The shuffle filter's byte order: byte b of every element, for b = 0, 1, ... */
static void shuffle(const uint8_t *in, uint8_t *out, size_t elements, size_t elem)
{
    for (size_t b = 0; b < elem; b++)
        for (size_t i = 0; i < elements; i++)
            out[b * elements + i] = in[i * elem + b];
}

/* n_chunks whole chunks of column c from row first on, shuffled and
 * deflated here on l->threads threads and stored as they are
 * (H5Dwrite_chunk): what HDF5's shuffle + deflate pipeline would store, so
 * every reader decodes them alike, but HDF5 runs its filters on one thread
 * (4.3 of the 8.2 s of a 1,000,000-pair file with all trajectories). */
static herr_t write_deflated_chunks(rp_layout *l, int c, int64_t first, int64_t n_chunks, hsize_t chunk,
                                    const void *data)
{
    const rp_column *col = &l->col[c];
    const size_t elem = rp_layout_elem(col), width = (size_t)rp_layout_width(l, col);
    const size_t raw = (size_t)chunk * width * elem;
    uint8_t **packed = calloc((size_t)n_chunks, sizeof *packed);
    uLongf *size = calloc((size_t)n_chunks, sizeof *size);
    int failed = !packed || !size;
#pragma omp parallel num_threads(l->threads) if (!failed && n_chunks > 1)
    {
        uint8_t *shuffled = elem > 1 ? malloc(raw) : NULL;
#pragma omp for schedule(dynamic, 1)
        for (int64_t k = 0; k < n_chunks; k++) {
            const uint8_t *from = (const uint8_t *)data + (size_t)k * raw;
            size[k] = compressBound((uLong)raw);
            packed[k] = malloc(size[k]);
            if (elem > 1 && shuffled)
                shuffle(from, shuffled, raw / elem, elem);
            if (!packed[k] || (elem > 1 && !shuffled) ||
                compress2(packed[k], &size[k], elem > 1 ? shuffled : from, (uLong)raw, l->level) != Z_OK) {
#pragma omp atomic write
                failed = 1;
            }
        }
        free(shuffled);
    }
    herr_t st = failed ? -1 : 0;
    for (int64_t k = 0; k < n_chunks && st >= 0; k++) {
        hsize_t offset[2] = {(hsize_t)first + (hsize_t)k * chunk, 0};
        st = H5Dwrite_chunk(l->ds[c], H5P_DEFAULT, 0, offset, size[k], packed[k]);
    }
    for (int64_t k = 0; packed && k < n_chunks; k++)
        free(packed[k]);
    free(packed);
    free(size);
    return st;
}

/* Rows [first, first + n) of column c, appended at the end of its dataset. */
static herr_t write_rows(rp_layout *l, int c, int64_t first, int64_t n, const void *data)
{
    const rp_column *col = &l->col[c];
    hsize_t size[2] = {(hsize_t)(first + n), (hsize_t)rp_layout_width(l, col)};
    if (H5Dset_extent(l->ds[c], size) < 0)
        return -1;
    if (l->compression != RP_COMPRESS_DEFLATE)
        return slab(l, c, first, n, data, NULL);
    /* A partial chunk first and last through HDF5, the whole ones between here. */
    const hsize_t chunk = chunk_rows(l, col->table);
    const size_t row = rp_layout_elem(col) * (size_t)rp_layout_width(l, col);
    const int64_t end = first + n, body = first + ((int64_t)chunk - first % (int64_t)chunk) % (int64_t)chunk;
    const int64_t whole = body < end ? (end - body) / (int64_t)chunk : 0, tail = body + whole * (int64_t)chunk;
    herr_t st = 0;
    if (whole == 0)
        return slab(l, c, first, n, data, NULL);
    if (body > first)
        st = slab(l, c, first, body - first, data, NULL);
    if (st >= 0)
        st = write_deflated_chunks(l, c, body, whole, chunk, (const char *)data + (size_t)(body - first) * row);
    if (st >= 0 && tail < end)
        st = slab(l, c, tail, end - tail, (const char *)data + (size_t)(tail - first) * row, NULL);
    return st;
}

static int flush_table(rp_layout *l, rp_table t, rp_error *err)
{
    if (!l->buffered[t])
        return RP_OK;
    for (int c = 0; c < l->n_cols; c++)
        if (l->col[c].table == t && write_rows(l, c, l->written[t], l->buffered[t], l->buf[c]) < 0)
            return rp_h5_error(err, "write", l->path);
    l->written[t] += l->buffered[t];
    l->buffered[t] = 0;
    return RP_OK;
}

int rp_layout_flush(rp_layout *l, rp_error *err)
{
    for (int t = 0; t < RP_N_TABLES; t++) {
        int status = flush_table(l, (rp_table)t, err);
        if (status != RP_OK)
            return status;
    }
    return RP_OK;
}

/* n fill values of column col at dst: NaN, 255 (trajectory bytes), else -1. */
static void fill_values(const rp_column *col, void *dst, int64_t n)
{
    for (int64_t i = 0; i < n; i++)
        switch (col->type) {
        case RP_C_F32: ((float *)dst)[i] = NAN; break;
        case RP_C_F64: ((double *)dst)[i] = NAN; break;
        case RP_C_I32: ((int32_t *)dst)[i] = -1; break;
        case RP_C_I64: ((int64_t *)dst)[i] = -1; break;
        case RP_C_U8: ((uint8_t *)dst)[i] = RP_TRAJ_FILL_U8; break;
        default: ((uint64_t *)dst)[i] = 0; break;
        }
}

/* A large append with nothing buffered goes straight to the file: no copy. */
static int append_direct(rp_layout *l, rp_table t, int64_t n, const void *const *data, rp_error *err)
{
    void *scratch = NULL;
    size_t scratch_size = 0;
    int status = RP_OK;
    const int row_coord = rp_layout_find(l, t, row_dim[t]);
    for (int c = 0; c < l->n_cols && status == RP_OK; c++) {
        const rp_column *col = &l->col[c];
        if (col->table != t)
            continue;
        const void *from = data[c];
        if (!from) { /* row numbers or fill values */
            const size_t need = (size_t)n * rp_layout_elem(col) * (size_t)rp_layout_width(l, col);
            if (need > scratch_size) {
                void *grown = realloc(scratch, need);
                if (!grown) {
                    status = rp_status_raise(err, RP_ENOMEM, "out of memory for output buffers");
                    break;
                }
                scratch = grown;
                scratch_size = need;
            }
            if (c == row_coord)
                for (int64_t i = 0; i < n; i++)
                    ((int64_t *)scratch)[i] = l->rows[t] + i;
            else
                fill_values(col, scratch, n * rp_layout_width(l, col));
            from = scratch;
        }
        if (write_rows(l, c, l->written[t], n, from) < 0)
            status = rp_h5_error(err, "write", l->path);
    }
    free(scratch);
    if (status == RP_OK) {
        l->written[t] += n;
        l->rows[t] += n;
    }
    return status;
}

int rp_layout_append(rp_layout *l, rp_table t, int64_t n, const void *const *data, rp_error *err)
{
    if (n <= 0)
        return RP_OK;
    if (l->buffered[t] == 0 && n >= flush_rows[t])
        return append_direct(l, t, n, data, err);
    if (l->buffered[t] + n > l->capacity[t]) {
        int64_t want = l->buffered[t] + n > flush_rows[t] ? l->buffered[t] + n : flush_rows[t];
        for (int c = 0; c < l->n_cols; c++) {
            if (l->col[c].table != t)
                continue;
            const size_t row = rp_layout_elem(&l->col[c]) * (size_t)rp_layout_width(l, &l->col[c]);
            void *grown = realloc(l->buf[c], (size_t)want * row);
            if (!grown)
                RP_FAIL(err, RP_ENOMEM, "out of memory for output buffers");
            l->buf[c] = grown;
        }
        l->capacity[t] = want;
    }
    const int row_coord = rp_layout_find(l, t, row_dim[t]);
    for (int c = 0; c < l->n_cols; c++) {
        const rp_column *col = &l->col[c];
        if (col->table != t)
            continue;
        const size_t row = rp_layout_elem(col) * (size_t)rp_layout_width(l, col);
        char *dst = (char *)l->buf[c] + (size_t)l->buffered[t] * row;
        if (data[c])
            memcpy(dst, data[c], (size_t)n * row);
        else if (c == row_coord) /* row coordinates number the rows */
            for (int64_t i = 0; i < n; i++)
                ((int64_t *)dst)[i] = l->rows[t] + i;
        else
            fill_values(col, dst, n * rp_layout_width(l, col));
    }
    l->buffered[t] += n;
    l->rows[t] += n;
    return l->buffered[t] >= flush_rows[t] ? flush_table(l, t, err) : RP_OK;
}

int rp_layout_read_column(const rp_layout *l, int c, int64_t first, int64_t n, void *buf, const char *path,
                          rp_error *err)
{
    if (n <= 0)
        return RP_OK;
    return slab(l, c, first, n, NULL, buf) < 0 ? rp_h5_read_error(err, "read", path) : RP_OK;
}

int rp_layout_read(const rp_layout *l, rp_table t, int64_t first, int64_t n, void **bufs, const char *path,
                   rp_error *err)
{
    for (int c = 0; c < l->n_cols; c++)
        if (l->col[c].table == t) {
            int status = rp_layout_read_column(l, c, first, n, bufs[c], path, err);
            if (status != RP_OK)
                return status;
        }
    return RP_OK;
}

void rp_layout_close(rp_layout *l)
{
    for (int c = 0; l->ds && c < l->n_cols; c++)
        if (l->ds[c] >= 0)
            H5Dclose(l->ds[c]);
    for (int t = 0; t < RP_N_TABLES; t++) {
        if (l->group[t] >= 0)
            H5Gclose(l->group[t]);
        l->group[t] = H5I_INVALID_HID; /* closing twice is harmless */
    }
    for (int c = 0; l->buf && c < l->n_cols; c++)
        free(l->buf[c]);
    free(l->buf);
    free(l->ds);
    free(l->col);
    l->buf = NULL;
    l->ds = NULL;
    l->col = NULL;
    l->n_cols = 0;
}
