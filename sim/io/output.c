/* output.c - writing rapport's HDF5 files; see output.h and docs/FORMAT.md.
 * Columns and their order come from output_layout.c; this file maps a run's
 * arrays onto them, samples and packs trajectories, and keeps the promise
 * that only a complete file ever appears at the final path. */
#define _POSIX_C_SOURCE 200809L
#include "rapport/output.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <gsl/gsl_version.h>

#include "core/files.h"
#include "io/output_h5.h"
#include "io/output_layout.h"
#include "rapport/paramtable.h"
#include "rapport/rng.h"
#include "rapport/scenario.h"
#include "input/input.h"
#include "version.h"

#define LZ4_FILTER 32004

struct rp_output {
    char *final_path, *temp_path;
    bool force;
    hid_t file;
    rp_layout layout;
    int every;
    double sample;
    /* the run being written */
    int64_t index, point;
    uint64_t replicate;
    int32_t saltelli[2]; /* sample, matrix */
    rp_params run_params;
    int64_t first_trajectory; /* rows of /trajectories before this run */
    uint8_t *in_sample;       /* [patients of this run] */
    int64_t sample_capacity;
    /* one block's packed trajectory rows */
    void *pack[7];
    int64_t *pack_run, *pack_patient;
    int64_t pack_capacity;
};

const char *rp_output_hdf5_version(char *buf, size_t size)
{
    unsigned major = 0, minor = 0, release = 0;
    H5get_libversion(&major, &minor, &release);
    snprintf(buf, size, "%u.%u.%u", major, minor, release);
    return buf;
}

void rp_provenance_data(rp_provenance *prov, const rp_params *p)
{
    const rp_records *rec[2] = {p->patients.records, p->providers.records};
    for (int w = 0; w < 2; w++)
        if (!prov->data[w].path && rec[w])
            prov->data[w] = (rp_data_file){rec[w]->path, rec[w]->bytes, rec[w]->sha256};
}

herr_t rp_h5_attr_toolchain(hid_t root)
{
    char hdf5[32];
    if (rp_h5_attr_string(root, "gsl_version", GSL_VERSION) < 0 ||
        rp_h5_attr_string(root, "hdf5_version", rp_output_hdf5_version(hdf5, sizeof hdf5)) < 0 ||
        rp_h5_attr_string(root, "compiler", RP_COMPILER) < 0 ||
        rp_h5_attr_string(root, "compiler_flags", RP_COMPILER_FLAGS) < 0 ||
        rp_h5_attr_string(root, "rng", "Philox4x64-10 (Random123), key (seed, stream); weekly draws Philox4x32-10") < 0)
        return -1;
    return 0;
}

void rp_output_origin(const rp_params *p, const rp_provenance *prov, rp_origin *o)
{
    *o = (rp_origin){.model_version = rp_model_version(p->model), /* the runs' version of MODEL.md */
                     .seed = p->seed, .has_plan = true, .plan_id = prov->plan_id, .run = -1, .replicates = -1,
                     .threads = prov->threads};
    snprintf(o->rapport_version, sizeof o->rapport_version, "%s", RP_VERSION);
    snprintf(o->git_revision, sizeof o->git_revision, "%s", RP_GIT_REVISION);
    snprintf(o->scenario_path, sizeof o->scenario_path, "%s", prov->scenario_path ? prov->scenario_path : "");
    snprintf(o->part, sizeof o->part, "%s", prov->part ? prov->part : "");
    rp_provenance with = *prov;
    rp_provenance_data(&with, p);
    for (int w = 0; w < 2; w++)
        if (with.data[w].path) {
            snprintf(o->data[w].path, sizeof o->data[w].path, "%s", with.data[w].path);
            o->data[w].bytes = with.data[w].bytes;
            snprintf(o->data[w].sha256, sizeof o->data[w].sha256, "%s", with.data[w].sha256);
        }
}

/* ROLE_data_path, _bytes, _sha256 of each data file: where the population
 * came from, and nothing of what it holds. */
static herr_t write_data_files(hid_t root, const rp_origin *o)
{
    static const char *const role[2] = {"patients", "providers"};
    for (int w = 0; w < 2; w++) {
        char name[64];
        if (!o->data[w].path[0])
            continue;
        snprintf(name, sizeof name, "%s_data_path", role[w]);
        if (rp_h5_attr_string(root, name, o->data[w].path) < 0)
            return -1;
        snprintf(name, sizeof name, "%s_data_bytes", role[w]);
        if (rp_h5_attr_scalar(root, name, H5T_NATIVE_INT64, &o->data[w].bytes) < 0)
            return -1;
        snprintf(name, sizeof name, "%s_data_sha256", role[w]);
        if (rp_h5_attr_string(root, name, o->data[w].sha256) < 0)
            return -1;
    }
    return 0;
}

static herr_t write_provenance(hid_t root, const rp_params *p, const rp_provenance *prov)
{
    char host[256] = "unknown", start[32], plan_id[32];
    gethostname(host, sizeof host - 1);
    rp_h5_utc_now(start, sizeof start);
    rp_origin o; /* what the JSON of these runs says too */
    rp_output_origin(p, prov, &o);
    snprintf(plan_id, sizeof plan_id, "%016llx", (unsigned long long)o.plan_id);
    const int format = RP_FORMAT_VERSION;
    if (rp_h5_attr_string(root, "format", "rapport") < 0 ||
        rp_h5_attr_scalar(root, "format_version", H5T_NATIVE_INT, &format) < 0 ||
        rp_h5_attr_string(root, "title", "rapport: cultural distance, therapeutic alliance and dropout") < 0 ||
        rp_h5_attr_string(root, "rapport_version", o.rapport_version) < 0 ||
        rp_h5_attr_string(root, "git_revision", o.git_revision) < 0 ||
        rp_h5_attr_scalar(root, "model_version", H5T_NATIVE_INT, &o.model_version) < 0 ||
        rp_h5_attr_string(root, "command_line", prov->command_line) < 0 ||
        rp_h5_attr_string(root, "scenario_path", o.scenario_path) < 0 ||
        rp_h5_attr_scalar(root, "seed", H5T_NATIVE_UINT64, &o.seed) < 0 ||
        rp_h5_attr_scalar(root, "threads", H5T_NATIVE_INT, &o.threads) < 0 ||
        rp_h5_attr_string(root, "host", host) < 0 || rp_h5_attr_string(root, "start_time", start) < 0 ||
        rp_h5_attr_toolchain(root) < 0 ||
        rp_h5_attr_string(root, "sweep_id", plan_id) < 0 ||
        rp_h5_attr_scalar(root, "runs_total", H5T_NATIVE_INT64, &prov->runs_total) < 0 ||
        rp_h5_attr_string(root, "part", o.part) < 0 || write_data_files(root, &o) < 0)
        return -1;
    if (prov->uncertainty && prov->uncertainty[0] &&
        (rp_h5_attr_string(root, "uncertainty_source", prov->uncertainty) < 0 ||
         rp_h5_attr_scalar(root, "uncertainty_draws", H5T_NATIVE_INT64, &prov->uncertainty_draws) < 0))
        return -1;
    /* The resolved scenario: re-runs to the same result. */
    hid_t t = rp_h5_string_type(), s = H5Screate(H5S_SCALAR);
    hid_t ds = t < 0 || s < 0 ? -1 : H5Dcreate2(root, "scenario", t, s, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    herr_t st = ds < 0 ? -1 : H5Dwrite(ds, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, &prov->scenario_yaml);
    if (st >= 0)
        st = rp_h5_attr_string(ds, "long_name", "the resolved scenario (YAML), as rapport show prints it");
    if (ds >= 0) H5Dclose(ds);
    if (s >= 0) H5Sclose(s);
    if (t >= 0) H5Tclose(t);
    return st;
}

static void free_output(rp_output *o)
{
    if (!o)
        return;
    rp_layout_close(&o->layout);
    if (o->file >= 0)
        H5Fclose(o->file);
    free(o->final_path);
    free(o->temp_path);
    free(o->in_sample);
    for (int v = 0; v < 7; v++)
        free(o->pack[v]);
    free(o->pack_run);
    free(o->pack_patient);
    free(o);
}

void rp_output_discard(rp_output *o)
{
    if (!o)
        return;
    char *temp = o->temp_path;
    o->temp_path = NULL;
    free_output(o);
    if (temp)
        unlink(temp);
    free(temp);
}

/* The temporary name: the final name with ".partial-PID" added, in the same
 * directory, so the final rename is atomic. */
static char *temp_name(const char *path)
{
    size_t n = strlen(path) + 32;
    char *t = malloc(n);
    if (t)
        snprintf(t, n, "%s.partial-%ld", path, (long)getpid());
    return t;
}

/* The /runs columns of the axes over a distribution's mean or sd in the
 * sweep of yaml, the resolved scenario the file stores (a scenario without
 * a sweep, or one that does not read back: none). */
static int moment_columns(rp_layout *l, const char *yaml, rp_error *err)
{
    rp_scenario *sc = NULL;
    rp_error ignored;
    if (!yaml || !strstr(yaml, "\nsweep:\n") || (!strstr(yaml, ".mean:") && !strstr(yaml, ".sd:")))
        return RP_OK; /* no such axis: the file is as it always was */
    int status = rp_scenario_load_string("/scenario", yaml, &sc, &ignored) == RP_OK &&
                         (rp_scenario_skip_data(sc), rp_scenario_resolve(sc, &ignored)) == RP_OK
                     ? rp_layout_add_moments(l, sc, err)
                     : RP_OK;
    rp_scenario_free(sc);
    return status;
}

int rp_output_create(const char *path, bool force, const rp_params *p, int max_horizon, const rp_provenance *prov,
                     rp_output **out, rp_error *err)
{
    *out = NULL;
    rp_h5_quiet();
    int status = rp_file_check_output(path, force, NULL, 0, err);
    if (status != RP_OK)
        return status;
    if (p->output.compression == RP_COMPRESS_LZ4 && H5Zfilter_avail(LZ4_FILTER) <= 0)
        RP_FAIL(err, RP_EINVAL,
                "output.compression is lz4 but HDF5's LZ4 filter plugin (id %d) is not available; expected "
                "none or deflate, or the plugin (Debian: hdf5-filter-plugin; or set HDF5_PLUGIN_PATH)",
                LZ4_FILTER);
    rp_output *o = calloc(1, sizeof *o);
    if (!o)
        RP_FAIL(err, RP_ENOMEM, "out of memory");
    o->file = H5I_INVALID_HID;
    o->force = force;
    o->every = p->output.every;
    o->sample = p->output.sample;
    o->final_path = strdup(path);
    o->temp_path = temp_name(path);
    status = o->final_path && o->temp_path ? RP_OK : rp_status_raise(err, RP_ENOMEM, "out of memory");
    if (status == RP_OK)
        status = rp_layout_init(&o->layout, p, max_horizon / p->output.every + 1, err);
    if (status == RP_OK)
        status = moment_columns(&o->layout, prov->scenario_yaml, err);
    if (status == RP_OK && prov->threads > 1)
        o->layout.threads = prov->threads;
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    /* Closing the file closes whatever is still open in it, so a failed
     * write (a full disk) cannot leave HDF5 a half-open file to trip on at
     * exit. */
    if (fapl >= 0)
        H5Pset_fclose_degree(fapl, H5F_CLOSE_STRONG);
    /* A stale temporary file of a killed run whose PID this process reuses is
     * ours to replace; anything else at that name is not (EXCL refuses it). */
    struct stat stale;
    if (status == RP_OK && lstat(o->temp_path, &stale) == 0 && (S_ISREG(stale.st_mode) || S_ISLNK(stale.st_mode)))
        unlink(o->temp_path);
    if (status == RP_OK && (o->file = H5Fcreate(o->temp_path, H5F_ACC_EXCL, H5P_DEFAULT, fapl)) < 0)
        status = rp_h5_error(err, "create", o->temp_path);
    if (fapl >= 0)
        H5Pclose(fapl);
    if (status == RP_OK && write_provenance(o->file, p, prov) < 0)
        status = rp_h5_error(err, "write", o->temp_path);
    if (status == RP_OK)
        status = rp_layout_create(&o->layout, o->file, o->temp_path, err);
    if (status != RP_OK) {
        rp_output_discard(o);
        return status;
    }
    *out = o;
    return RP_OK;
}

enum { N_STAT_FIELDS = 5 }; /* estimate, se, ci_lo, ci_hi, n */

double rp_output_bytes(const rp_params *p, double runs, double points, double pairs, double providers)
{
    rp_layout l;
    rp_error err;
    if (rp_layout_init(&l, p, p->horizon / p->output.every + 1, &err) != RP_OK)
        return NAN;
    /* what compression keeps of the tables, as measured on the reference
     * scenario with the vectorised engine's float trajectories (deflate
     * level 1: 0.327 of the whole file, 0.29 on tests/output_files.sh's
     * sweep; lz4 0.41) */
    const double kept = p->output.compression == RP_COMPRESS_DEFLATE ? 0.32
                        : p->output.compression == RP_COMPRESS_LZ4 ? 0.42 : 1.0;
    const double trajectories = p->output.variables ? pairs * p->output.sample : 0;
    const double tables = rp_layout_bytes(&l, RP_T_RUNS, runs) + rp_layout_bytes(&l, RP_T_SUMMARY, runs) +
                          rp_layout_bytes(&l, RP_T_PAIRS, p->output.pairs ? pairs : 0) +
                          rp_layout_bytes(&l, RP_T_PROVIDERS, providers) +
                          rp_layout_bytes(&l, RP_T_TRAJECTORIES, trajectories);
    /* /statistics (output_stats.c): at most 7 doubles x 5 fields a point,
     * group and observable, and 5 a point, group and categorical dimension
     * (concordance_by_dimension, model 2: one /summary column each), always
     * deflated, to about 0.13 (one replicate a point: its intervals are NaN)
     * to 0.28 (five) of that */
    int by_dimension = 0;
    for (int c = 0; c < l.n_cols; c++)
        by_dimension += l.col[c].table == RP_T_SUMMARY && l.col[c].source == RP_SRC_DIM_CONCORDANCE;
    const double statistics =
        points * N_STAT_FIELDS * (1 + l.n_groups) * (7.0 * RP_N_OBSERVABLES + by_dimension) * 8.0 * 0.25;
    rp_layout_close(&l);
    return tables * kept + statistics + (256 << 10); /* metadata, /scenario, dimension scales */
}

int rp_output_check_space(const char *path, double bytes, rp_error *err)
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash)
        slash == dir ? (void)(dir[1] = '\0') : (void)(*slash = '\0');
    else
        snprintf(dir, sizeof dir, ".");
    struct statvfs fs;
    if (statvfs(dir, &fs) != 0)
        RP_FAIL(err, RP_EIO, "cannot write %s: %s: %s", path, dir, strerror(errno));
    const double free_bytes = (double)fs.f_bavail * (double)fs.f_frsize;
    if (bytes > free_bytes)
        RP_FAIL(err, RP_EIO,
                "cannot write %s: it needs about %.0f MB and %s has %.0f MB free; expected more space, fewer "
                "trajectories (output.variables, every, sample) or compression",
                path, bytes / 1e6, dir, free_bytes / 1e6);
    return RP_OK;
}

rp_layout *rp_output_layout_of(rp_output *o)
{
    return &o->layout;
}

unsigned rp_output_variables(const rp_output *o)
{
    unsigned bits = 0;
    for (int c = 0; c < o->layout.n_cols; c++)
        bits |= (unsigned)o->layout.col[c].trajectory_bit;
    return bits;
}

int rp_output_begin_run(void *ctx, const rp_run_id *id, const rp_params *p, rp_error *err)
{
    rp_output *o = ctx;
    const uint64_t replicate = id->replicate;
    o->index = id->index;
    o->point = id->point;
    o->replicate = replicate;
    o->saltelli[0] = id->saltelli_sample;
    o->saltelli[1] = id->saltelli_matrix;
    o->run_params = *p;
    o->first_trajectory = o->layout.rows[RP_T_TRAJECTORIES];
    const int64_t n = p->patients.count;
    if (n > o->sample_capacity) {
        uint8_t *grown = realloc(o->in_sample, (size_t)n);
        if (!grown)
            RP_FAIL(err, RP_ENOMEM, "out of memory");
        o->in_sample = grown;
        o->sample_capacity = n;
    }
    /* The sample: pair i is kept when its own uniform is below the share,
     * so whether a pair is kept never depends on the others. */
    for (int64_t i = 0; i < n; i++) {
        uint64_t x[4];
        rp_rng_block((rp_rng_key){p->seed, replicate}, RP_PURPOSE_OUTPUT_SAMPLE, (uint64_t)i, 0, 0, x);
        o->in_sample[i] = o->sample >= 1.0 || rp_rng_u01(x[0]) < o->sample;
    }
    return RP_OK;
}

static int grow_pack(rp_output *o, int64_t rows, rp_error *err)
{
    if (rows <= o->pack_capacity)
        return RP_OK;
    const size_t cells = (size_t)rows * (size_t)o->layout.n_weeks;
    for (int v = 0; v < 7; v++) {
        void *grown = realloc(o->pack[v], cells * (v < 3 ? sizeof(float) : 1));
        if (!grown)
            RP_FAIL(err, RP_ENOMEM, "out of memory for trajectories");
        o->pack[v] = grown;
    }
    int64_t *r = realloc(o->pack_run, (size_t)rows * sizeof *r), *q = realloc(o->pack_patient, (size_t)rows * sizeof *q);
    if (r)
        o->pack_run = r;
    if (q)
        o->pack_patient = q;
    if (!r || !q)
        RP_FAIL(err, RP_ENOMEM, "out of memory for trajectories");
    o->pack_capacity = rows;
    return RP_OK;
}

/* Copy week w * every of each kept row into column w, filling weeks past the
 * run's horizon (a sweep's runs may have different horizons). */
static void pack_variable(const rp_output *o, const rp_trajectory *b, const void *src, size_t elem, void *dst)
{
    const int stride = o->run_params.horizon + 1, weeks = o->layout.n_weeks;
    int64_t rows = 0;
    for (int64_t r = 0; r < b->count; r++) {
        if (!o->in_sample[b->first + r])
            continue;
        const char *row = (const char *)src + (size_t)(r * stride) * elem;
        char *to = (char *)dst + (size_t)(rows * weeks) * elem;
        if (o->every == 1 && stride == weeks) { /* the usual case: whole rows */
            memcpy(to, row, (size_t)weeks * elem);
            rows++;
            continue;
        }
        for (int w = 0; w < weeks; w++) {
            const int week = w * o->every;
            if (week < stride)
                memcpy(to + (size_t)w * elem, row + (size_t)week * elem, elem);
            else if (elem == 4)
                ((float *)to)[w] = NAN;
            else
                ((uint8_t *)to)[w] = RP_TRAJ_FILL_U8;
        }
        rows++;
    }
}

int rp_output_write_block(void *ctx, const rp_trajectory *b, const rp_outcomes *outcomes, rp_error *err)
{
    (void)outcomes;
    rp_output *o = ctx;
    rp_layout *l = &o->layout;
    int64_t rows = 0;
    for (int64_t r = 0; r < b->count; r++)
        rows += o->in_sample[b->first + r];
    if (rows == 0 || rp_layout_find(l, RP_T_TRAJECTORIES, "pair") < 0)
        return RP_OK;
    int status = grow_pack(o, rows, err);
    if (status != RP_OK)
        return status;
    for (int64_t r = 0, k = 0; r < b->count; r++)
        if (o->in_sample[b->first + r]) {
            o->pack_run[k] = o->index;
            o->pack_patient[k++] = b->first + r;
        }
    const void *src[7] = {b->A, b->T, b->S, b->D, b->N, b->rupture, b->repaired};
    const void **data = calloc((size_t)l->n_cols, sizeof *data);
    if (!data)
        RP_FAIL(err, RP_ENOMEM, "out of memory");
    for (int c = 0; c < l->n_cols; c++) {
        const rp_column *col = &l->col[c];
        if (col->table != RP_T_TRAJECTORIES)
            continue;
        if (strcmp(col->name, "run") == 0)
            data[c] = o->pack_run;
        else if (strcmp(col->name, "patient") == 0)
            data[c] = o->pack_patient;
        else if (col->trajectory_bit) {
            int v = __builtin_ctz((unsigned)col->trajectory_bit);
            pack_variable(o, b, src[v], v < 3 ? sizeof(float) : 1, o->pack[v]);
            data[c] = o->pack[v];
        }
    }
    status = rp_layout_append(l, RP_T_TRAJECTORIES, rows, data, err);
    free(data);
    return status;
}

/* ---- the tables of a finished run ---- */

/* The value of a scalar parameter as a double (the /runs columns). */
static double param_value(const rp_param *row, const rp_params *p)
{
    const void *field = (const char *)p + row->offset;
    switch (row->type) {
    case RP_PT_INT: case RP_PT_ENUM: return *(const int *)field;
    case RP_PT_FLAGS: return *(const unsigned *)field;
    case RP_PT_INT64: return (double)*(const int64_t *)field;
    default: return *(const double *)field;
    }
}

/* Per-run scratch arrays for the pair and provider tables. */
typedef struct {
    int64_t *run, *patient, *index, *caseload, *patients;
    double *improvement;
} run_columns;

static void free_columns(run_columns *rc)
{
    free(rc->run);
    free(rc->patient);
    free(rc->index);
    free(rc->caseload);
    free(rc->patients);
    free(rc->improvement);
}

static int pairs_and_providers(rp_output *o, const rp_run *run, const void **data, rp_error *err)
{
    rp_layout *l = &o->layout;
    const rp_population *pop = run->pop;
    const rp_outcomes *out = run->outcomes;
    const int64_t n = pop->n_patients, m = pop->n_providers, most = n > m ? n : m;
    run_columns rc = {malloc((size_t)most * 8), malloc((size_t)n * 8), malloc((size_t)m * 8), malloc((size_t)m * 8),
                      calloc((size_t)m, 8), malloc((size_t)n * 8)};
    int status = RP_OK;
    if (!rc.run || !rc.patient || !rc.index || !rc.caseload || !rc.patients || !rc.improvement) {
        free_columns(&rc);
        RP_FAIL(err, RP_ENOMEM, "out of memory");
    }
    for (int64_t i = 0; i < most; i++)
        rc.run[i] = o->index;
    for (int64_t i = 0; i < n; i++) {
        rc.patient[i] = i;
        rc.improvement[i] = pop->symptoms0[i] - out->symptoms_exit[i];
        rc.patients[run->provider_of[i]]++;
    }
    for (int64_t j = 0; j < m; j++) {
        rc.index[j] = j;
        /* the assignment took one place for each patient: what is left plus the patients is the caseload
         * (the scenario's, or the provider's own from a data file) */
        rc.caseload[j] = pop->capacity[j] + rc.patients[j];
    }
    const struct {
        rp_table t;
        const char *name;
        const void *src;
    } sources[] = {
        {RP_T_PAIRS, "run", rc.run}, {RP_T_PAIRS, "patient", rc.patient}, {RP_T_PAIRS, "group", pop->patient_group},
        {RP_T_PAIRS, "provider", run->provider_of}, {RP_T_PAIRS, "distance", run->distance},
        {RP_T_PAIRS, "culture", pop->patient_culture}, {RP_T_PAIRS, "mistrust", pop->mistrust},
        {RP_T_PAIRS, "barrier", pop->barrier}, {RP_T_PAIRS, "stressor_rate", pop->stressor_rate},
        {RP_T_PAIRS, "symptoms0", pop->symptoms0}, {RP_T_PAIRS, "alliance_trait", pop->alliance_trait},
        {RP_T_PAIRS, "response", pop->response}, {RP_T_PAIRS, "exit_week", out->exit_week},
        {RP_T_PAIRS, "exit_reason", out->exit_reason}, {RP_T_PAIRS, "discussed_week", out->discussed_week},
        {RP_T_PAIRS, "ruptures", out->ruptures}, {RP_T_PAIRS, "repairs", out->repairs},
        {RP_T_PAIRS, "symptoms_exit", out->symptoms_exit}, {RP_T_PAIRS, "improvement", rc.improvement},
        {RP_T_PAIRS, "early_alliance", out->early_alliance}, {RP_T_PAIRS, "trust_report", out->trust_report},
        {RP_T_PROVIDERS, "run", rc.run}, {RP_T_PROVIDERS, "index", rc.index},
        {RP_T_PROVIDERS, "group", pop->provider_group}, {RP_T_PROVIDERS, "culture", pop->provider_culture},
        {RP_T_PROVIDERS, "humility", pop->humility}, {RP_T_PROVIDERS, "skill", pop->skill},
        {RP_T_PROVIDERS, "retention", pop->retention},
        {RP_T_PROVIDERS, "caseload", rc.caseload}, {RP_T_PROVIDERS, "patients", rc.patients},
    };
    for (size_t k = 0; k < sizeof sources / sizeof sources[0]; k++) {
        int c = rp_layout_find(l, sources[k].t, sources[k].name);
        if (c >= 0)
            data[c] = sources[k].src;
    }
    if (rp_layout_find(l, RP_T_PAIRS, "pair") >= 0)
        status = rp_layout_append(l, RP_T_PAIRS, n, data, err);
    if (status == RP_OK)
        status = rp_layout_append(l, RP_T_PROVIDERS, m, data, err);
    free_columns(&rc);
    return status;
}

int rp_output_end_run(void *ctx, int64_t index, const rp_run *run, rp_error *err)
{
    rp_output *o = ctx;
    rp_layout *l = &o->layout;
    (void)index;
    const void **data = calloc((size_t)l->n_cols, sizeof *data);
    double *values = calloc((size_t)l->n_cols * (1 + RP_MAX_GROUPS), sizeof *values);
    if (!data || !values) {
        free(data);
        free(values);
        RP_FAIL(err, RP_ENOMEM, "out of memory");
    }
    const int64_t first_pair = l->rows[RP_T_PAIRS], first_provider = l->rows[RP_T_PROVIDERS];
    int status = pairs_and_providers(o, run, data, err);

    /* /runs and /summary: one row each */
    size_t n_params;
    const rp_param *param = rp_paramtable_scenario(&n_params);
    const rp_summary *sum = &run->summary;
    const int64_t has_pairs = rp_layout_find(l, RP_T_PAIRS, "pair") >= 0 ? run->pop->n_patients : 0;
    int64_t ints[16];
    uint64_t words[3] = {o->replicate, run->key.stream, o->run_params.seed};
    ints[0] = o->index, ints[1] = o->point, ints[2] = first_pair, ints[3] = has_pairs;
    ints[4] = first_provider, ints[5] = run->pop->n_providers;
    ints[6] = o->first_trajectory, ints[7] = l->rows[RP_T_TRAJECTORIES] - o->first_trajectory;
    int64_t group_pairs[1 + RP_MAX_GROUPS];
    group_pairs[0] = sum->all.pairs;
    for (int g = 0; g < sum->n_groups; g++)
        group_pairs[1 + g] = sum->group[g].pairs;
    for (int c = 0; c < l->n_cols; c++) {
        const rp_column *col = &l->col[c];
        double *v = &values[(size_t)c * (1 + RP_MAX_GROUPS)];
        if (col->table == RP_T_RUNS) {
            static const char *const int_names[] = {"run", "point", "first_pair", "pairs", "first_provider",
                                                    "providers", "first_trajectory", "trajectories"};
            for (int k = 0; k < 8; k++)
                if (strcmp(col->name, int_names[k]) == 0)
                    data[c] = &ints[k];
            if (strcmp(col->name, "replicate") == 0) data[c] = &words[0];
            if (strcmp(col->name, "stream") == 0) data[c] = &words[1];
            if (strcmp(col->name, "seed") == 0) data[c] = &words[2];
            if (strcmp(col->name, "saltelli_sample") == 0) data[c] = &o->saltelli[0];
            if (strcmp(col->name, "saltelli_matrix") == 0) data[c] = &o->saltelli[1];
            if (col->source == RP_SRC_PARAM) {
                v[0] = param_value(&param[col->param_row], &o->run_params);
                data[c] = v;
            } else if (col->source == RP_SRC_OBSERVABLE) {
                v[0] = rp_observables_get(&sum->all, col->observable);
                data[c] = v;
            } else if (col->source == RP_SRC_DIM_CONCORDANCE) {
                v[0] = sum->by_dimension.all[col->dim];
                data[c] = v;
            } else if (col->source == RP_SRC_MOMENT) {
                v[0] = rp_params_moment(&o->run_params, col->name, &v[0]) ? v[0] : NAN;
                data[c] = v;
            }
        } else if (col->table == RP_T_SUMMARY) {
            if (strcmp(col->name, "run") == 0)
                data[c] = &ints[0];
            else if (strcmp(col->name, "pairs") == 0)
                data[c] = group_pairs;
            else if (col->source == RP_SRC_OBSERVABLE) {
                v[0] = rp_observables_get(&sum->all, col->observable);
                for (int g = 0; g < sum->n_groups; g++)
                    v[1 + g] = rp_observables_get(&sum->group[g], col->observable);
                data[c] = v;
            } else if (col->source == RP_SRC_DIM_CONCORDANCE) {
                v[0] = sum->by_dimension.all[col->dim];
                for (int g = 0; g < sum->n_groups; g++)
                    v[1 + g] = sum->by_dimension.group[g][col->dim];
                data[c] = v;
            }
        }
    }
    if (status == RP_OK)
        status = rp_layout_append(l, RP_T_RUNS, 1, data, err);
    if (status == RP_OK)
        status = rp_layout_append(l, RP_T_SUMMARY, 1, data, err);
    free(data);
    free(values);
    return status;
}

/* Move the finished temporary file to its final path; without force, never
 * over a file that appeared meanwhile (link fails if the name exists). */
static int publish(rp_output *o, rp_error *err)
{
    if (o->force) {
        if (rename(o->temp_path, o->final_path) != 0)
            RP_FAIL(err, RP_EIO, "cannot move %s to %s: %s", o->temp_path, o->final_path, strerror(errno));
        return RP_OK;
    }
    if (link(o->temp_path, o->final_path) != 0) {
        if (errno == EEXIST)
            RP_FAIL(err, RP_EINVAL, "%s appeared while the run was writing; the result was not kept (use --force)",
                    o->final_path);
        RP_FAIL(err, RP_EIO, "cannot create %s: %s", o->final_path, strerror(errno));
    }
    unlink(o->temp_path);
    return RP_OK;
}

int rp_output_commit(rp_output *o, rp_error *err)
{
    char end[32];
    rp_h5_utc_now(end, sizeof end);
    int status = rp_layout_flush(&o->layout, err);
    if (status == RP_OK && rp_h5_attr_string(o->file, "end_time", end) < 0)
        status = rp_h5_error(err, "write", o->temp_path);
    rp_layout_close(&o->layout);
    if (status == RP_OK) {
        herr_t st = H5Fclose(o->file);
        o->file = H5I_INVALID_HID;
        if (st < 0)
            status = rp_h5_error(err, "close", o->temp_path);
    }
    if (status == RP_OK)
        status = publish(o, err);
    rp_output_discard(o); /* the temporary file is gone either way */
    return status;
}
