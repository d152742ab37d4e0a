/* output_merge.c - reading rapport files back: joining parts of a sweep
 * into one file in run order, listing the runs of a part (for --resume), and
 * recomputing a run's summary from its per-pair table. See output.h.
 *
 * Files are input like any other: every reader opens them through open_part,
 * which refuses what docs/FORMAT.md does not allow (another format_version,
 * columns that do not match the file's own /scenario, row ranges outside
 * their tables, ...) before anything is allocated from what a file declares,
 * and the rows of a run are checked as they are read (check_rows). */
#define _POSIX_C_SOURCE 200809L
#include "rapport/output.h"
#include "core/text.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "io/output_h5.h"
#include "io/output_layout.h"
#include "io/output_stats.h"
#include "rapport/paramtable.h"
#include "rapport/scenario.h"
#include "version.h"

/* The /runs columns that say where each run's rows are (docs/FORMAT.md, Row ranges). */
enum { R_PAIRS, R_PROVIDERS, R_TRAJECTORIES, N_RANGES };
static const struct {
    rp_table table;
    const char *first, *count;
} range[N_RANGES] = {{RP_T_PAIRS, "first_pair", "pairs"},
                     {RP_T_PROVIDERS, "first_provider", "providers"},
                     {RP_T_TRAJECTORIES, "first_trajectory", "trajectories"}};

/* The parameters of a run that bound what its rows may hold: /runs columns,
 * each checked as the scenario's own value would be (a sweep may vary them). */
enum { P_HORIZON, P_COURSE, P_SYMPTOMS_MAX, P_RECOVERED, P_THRESHOLD, P_PATIENTS, P_PROVIDERS, N_PARAMS };
static const char *const param_name[N_PARAMS] = {"horizon", "course", "symptoms.max", "symptoms.recovered",
                                                 "report.ambivalence_threshold", "patients.count", "providers.count"};

/* One input file, open, with its /runs in memory. */
typedef struct {
    const char *path;
    hid_t file;
    rp_layout layout;
    char sweep_id[32];
    char scenario_path[1024];
    int64_t runs_total, n_runs, model_version; /* runs of the plan; in this file */
    int64_t *run, *first[N_RANGES], *count[N_RANGES];
    double *param[N_PARAMS];
    char *yaml;
    rp_scenario *sc;
    /* its data files (patients_data_*, providers_data_*): path "" if none */
    char data_path[2][1024], data_sha256[2][72];
    char uncertainty[8448]; /* uncertainty_source ("": none) */
    int64_t uncertainty_draws;
    int64_t data_bytes[2];
} part;

static void close_part(part *p)
{
    if (p->layout.col)
        rp_layout_close(&p->layout);
    if (p->file >= 0)
        H5Fclose(p->file);
    free(p->run);
    for (int r = 0; r < N_RANGES; r++) {
        free(p->first[r]);
        free(p->count[r]);
    }
    for (int q = 0; q < N_PARAMS; q++)
        free(p->param[q]);
    free(p->yaml);
    rp_scenario_free(p->sc);
    p->file = H5I_INVALID_HID;
}

/* /scenario: one variable-length string (anything else would be read into a
 * pointer it does not fit). */
static int read_scenario_text(part *p, rp_error *err)
{
    if (H5Lexists(p->file, "scenario", H5P_DEFAULT) <= 0)
        RP_FAIL(err, RP_EINVAL, "%s is not a rapport file (it has no /scenario)", p->path);
    hid_t ds = H5Dopen2(p->file, "scenario", H5P_DEFAULT);
    if (ds < 0)
        return rp_h5_read_error(err, "read /scenario of", p->path);
    hid_t s = H5Dget_space(ds), t = H5Dget_type(ds), mem = rp_h5_string_type();
    const bool one_string = s >= 0 && H5Sget_simple_extent_npoints(s) == 1 && t >= 0 &&
                            H5Tget_class(t) == H5T_STRING && H5Tis_variable_str(t) > 0;
    char *text = NULL;
    int status = !one_string ? rp_status_raise(err, RP_EINVAL, "%s: /scenario is not one string of YAML text", p->path)
                 : mem < 0 || H5Dread(ds, mem, H5S_ALL, H5S_ALL, H5P_DEFAULT, &text) < 0
                     ? rp_h5_read_error(err, "read /scenario of", p->path)
                 : !text || !text[0] ? rp_status_raise(err, RP_EINVAL, "%s: /scenario is empty", p->path)
                 : !(p->yaml = strdup(text)) ? rp_status_raise(err, RP_ENOMEM, "out of memory")
                                             : RP_OK;
    if (text)
        H5free_memory(text);
    if (mem >= 0) H5Tclose(mem);
    if (t >= 0) H5Tclose(t);
    if (s >= 0) H5Sclose(s);
    H5Dclose(ds);
    return status;
}

/* The number of weeks of a file's trajectories (1 if it has none): its week
 * coordinate, which must be 0, every, 2 every, ... up to at most the
 * longest horizon a scenario may have. */
static int trajectory_weeks(part *p, int *weeks, rp_error *err)
{
    const rp_params *prm = rp_scenario_params(p->sc);
    *weeks = 1;
    if (!prm->output.variables)
        return RP_OK;
    if (H5Lexists(p->file, "trajectories", H5P_DEFAULT) <= 0 || H5Lexists(p->file, "trajectories/week", H5P_DEFAULT) <= 0)
        RP_FAIL(err, RP_EINVAL, "%s has no /trajectories/week, which its /scenario implies; expected a file written "
                "by rapport", p->path);
    size_t n_rows;
    const rp_param *table = rp_paramtable_scenario(&n_rows);
    const rp_param *horizon = rp_paramtable_find(table, n_rows, "horizon");
    const int every = prm->output.every, most = (int)horizon->max / every + 1;
    int32_t *week = malloc((size_t)most * sizeof *week);
    hid_t ds = H5Dopen2(p->file, "trajectories/week", H5P_DEFAULT);
    hid_t s = ds < 0 ? -1 : H5Dget_space(ds), t = ds < 0 ? -1 : H5Dget_type(ds);
    const hssize_t n = s >= 0 && H5Sget_simple_extent_type(s) == H5S_SIMPLE && H5Sget_simple_extent_ndims(s) == 1
                           ? H5Sget_simple_extent_npoints(s) : -1;
    int status = !week ? rp_status_raise(err, RP_ENOMEM, "out of memory")
                 : ds < 0 ? rp_h5_read_error(err, "read /trajectories/week of", p->path)
                 : n < 1 || n > most || t < 0 || H5Tget_class(t) != H5T_INTEGER
                     ? rp_status_raise(err, RP_EINVAL, "%s: /trajectories/week is not 1 to %d integer weeks", p->path,
                                      most)
                 : H5Dread(ds, H5T_NATIVE_INT32, H5S_ALL, H5S_ALL, H5P_DEFAULT, week) < 0
                     ? rp_h5_read_error(err, "read /trajectories/week of", p->path)
                     : RP_OK;
    for (hssize_t w = 0; status == RP_OK && w < n; w++)
        if (week[w] != w * every)
            status = rp_status_raise(err, RP_EINVAL, "%s: /trajectories/week row %lld is %d; expected %lld (output.every "
                                    "is %d)", p->path, (long long)w, week[w], (long long)(w * every), every);
    if (t >= 0) H5Tclose(t);
    if (s >= 0) H5Sclose(s);
    if (ds >= 0) H5Dclose(ds);
    free(week);
    *weeks = status == RP_OK ? (int)n : 1;
    return status;
}

/* Read column name of /runs (every row) into *out, a new array of its type. */
static int runs_column(part *p, const char *name, void *out, rp_error *err)
{
    const int c = rp_layout_find(&p->layout, RP_T_RUNS, name); /* every name here is a column of /runs */
    void *v = malloc((size_t)(p->n_runs ? p->n_runs : 1) * rp_layout_elem(&p->layout.col[c]));
    int status = v ? rp_layout_read_column(&p->layout, c, 0, p->n_runs, v, p->path, err)
                   : rp_status_raise(err, RP_ENOMEM, "out of memory");
    if (status != RP_OK) {
        free(v);
        v = NULL;
    }
    memcpy(out, &v, sizeof v);
    return status;
}

static int by_value(const void *a, const void *b)
{
    const int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* What /runs says, against what it may say: each run of the plan at most
 * once, parameters a scenario could have, counts that agree with them, row
 * ranges that follow one another from row 0 and cover their tables (so every
 * slice read later is inside its table), and /summary in the same order. */
static int check_runs(part *p, rp_error *err)
{
    const rp_layout *l = &p->layout;
    const int64_t n = p->n_runs;
    int status = RP_OK;
    for (int64_t k = 0; status == RP_OK && k < n; k++)
        if (p->run[k] < 0 || p->run[k] >= p->runs_total)
            status = rp_status_raise(err, RP_EINVAL, "%s: /runs/run row %lld is %lld; expected 0 to %lld (runs_total "
                                    "is %lld)", p->path, (long long)k, (long long)p->run[k],
                                    (long long)p->runs_total - 1, (long long)p->runs_total);
    int64_t *sorted = status == RP_OK ? malloc((size_t)(n ? n : 1) * sizeof *sorted) : NULL;
    if (status == RP_OK && !sorted)
        status = rp_status_raise(err, RP_ENOMEM, "out of memory");
    if (status == RP_OK) {
        memcpy(sorted, p->run, (size_t)n * sizeof *sorted);
        qsort(sorted, (size_t)n, sizeof *sorted, by_value);
    }
    for (int64_t k = 1; status == RP_OK && k < n; k++)
        if (sorted[k] == sorted[k - 1])
            status = rp_status_raise(err, RP_EINVAL, "%s: /runs holds run %lld twice; expected each run once",
                                    p->path, (long long)sorted[k]);
    free(sorted);

    size_t n_rows;
    const rp_param *table = rp_paramtable_scenario(&n_rows);
    for (int q = 0; status == RP_OK && q < N_PARAMS; q++) {
        const rp_param *row = rp_paramtable_find(table, n_rows, param_name[q]);
        for (int64_t k = 0; status == RP_OK && k < n; k++) {
            char text[64], why[256];
            union {
                int i;
                int64_t i64;
                double d;
            } field;
            snprintf(text, sizeof text, "%.17g", p->param[q][k]);
            if (!rp_paramtable_parse(row, text, false, &field, why, sizeof why))
                status = rp_status_raise(err, RP_EINVAL, "%s: /runs/%s row %lld: %s", p->path, param_name[q],
                                        (long long)k, why);
        }
    }
    const bool has_pairs = rp_layout_find(l, RP_T_PAIRS, "pair") >= 0;
    for (int64_t k = 0; status == RP_OK && k < n; k++) {
        const int64_t patients = (int64_t)p->param[P_PATIENTS][k], providers = (int64_t)p->param[P_PROVIDERS][k];
        const int bad = p->count[R_PROVIDERS][k] != providers                                      ? R_PROVIDERS
                        : p->count[R_PAIRS][k] != (has_pairs ? patients : 0)                        ? R_PAIRS
                        : p->count[R_TRAJECTORIES][k] < 0 || p->count[R_TRAJECTORIES][k] > patients ? R_TRAJECTORIES
                                                                                                    : -1;
        if (bad >= 0)
            status = rp_status_raise(err, RP_EINVAL, "%s: /runs/%s row %lld is %lld, which does not agree with the "
                                    "run's patients.count %lld and providers.count %lld%s", p->path, range[bad].count,
                                    (long long)k, (long long)p->count[bad][k], (long long)patients,
                                    (long long)providers, has_pairs ? "" : " (the file has no /pairs)");
        const int horizon = (int)p->param[P_HORIZON][k];
        if (status == RP_OK && rp_layout_find(l, RP_T_TRAJECTORIES, "pair") >= 0 &&
            horizon / l->every + 1 > l->n_weeks)
            status = rp_status_raise(err, RP_EINVAL, "%s: /runs/horizon row %lld is %d, beyond the %d weeks of "
                                    "/trajectories/week", p->path, (long long)k, horizon, l->n_weeks);
    }
    for (int r = 0; status == RP_OK && r < N_RANGES; r++) {
        const int64_t rows = l->rows[range[r].table];
        int64_t next = 0;
        for (int64_t k = 0; status == RP_OK && k < n; k++) {
            const int64_t first = p->first[r][k], count = p->count[r][k];
            if (first != next || count < 0 || count > rows - next) {
                status = rp_status_raise(err, RP_EINVAL, "%s: /runs/%s row %lld is %lld and /runs/%s %lld; expected "
                                        "the runs' rows of /%s (%lld) to follow one another from row 0",
                                        p->path, range[r].first, (long long)k, (long long)first, range[r].count,
                                        (long long)count, rp_layout_table_name(range[r].table), (long long)rows);
                break;
            }
            next += count; /* at most rows */
        }
        if (status == RP_OK && next != rows)
            status = rp_status_raise(err, RP_EINVAL, "%s: the runs' rows cover %lld of the %lld rows of /%s",
                                    p->path, (long long)next, (long long)rows, rp_layout_table_name(range[r].table));
    }
    if (status == RP_OK && l->rows[RP_T_SUMMARY] != n)
        status = rp_status_raise(err, RP_EINVAL, "%s: /summary has %lld rows and /runs %lld; expected one per run",
                                p->path, (long long)l->rows[RP_T_SUMMARY], (long long)n);
    int64_t *summary_run = status == RP_OK ? malloc((size_t)(n ? n : 1) * sizeof *summary_run) : NULL;
    if (status == RP_OK)
        status = !summary_run ? rp_status_raise(err, RP_ENOMEM, "out of memory")
                              : rp_layout_read_column(l, rp_layout_find(l, RP_T_SUMMARY, "run"), 0, n, summary_run,
                                                      p->path, err);
    for (int64_t k = 0; status == RP_OK && k < n; k++)
        if (summary_run[k] != p->run[k])
            status = rp_status_raise(err, RP_EINVAL, "%s: /summary/run row %lld is %lld and /runs/run %lld; expected "
                                    "the same runs in the same order", p->path, (long long)k,
                                    (long long)summary_run[k], (long long)p->run[k]);
    free(summary_run);
    return status;
}

/* Open a file of runs: its identity, scenario, layout and /runs, checked. */
/* The root attributes that name the data files of the file's populations. */
static int read_data_files(part *p, rp_error *err)
{
    static const char *const role[2] = {"patients", "providers"};
    for (int w = 0; w < 2; w++) {
        char name[64];
        snprintf(name, sizeof name, "%s_data_path", role[w]);
        int a = rp_h5_read_attr_string(p->file, name, p->data_path[w], sizeof p->data_path[w]);
        snprintf(name, sizeof name, "%s_data_sha256", role[w]);
        int b = rp_h5_read_attr_string(p->file, name, p->data_sha256[w], sizeof p->data_sha256[w]);
        snprintf(name, sizeof name, "%s_data_bytes", role[w]);
        int c = rp_h5_read_attr_int(p->file, name, &p->data_bytes[w]);
        if (a < 0 || b < 0 || c < 0 || (a > 0) != (b > 0) || (a > 0) != (c > 0) ||
            (b > 0 && (strlen(p->data_sha256[w]) != 64 || strspn(p->data_sha256[w], "0123456789abcdef") != 64)))
            RP_FAIL(err, RP_EINVAL, "%s: its root attributes %s_data_path, _bytes and _sha256 are incomplete or "
                    "malformed; expected a file written by rapport", p->path, role[w]);
        if (a == 0)
            p->data_path[w][0] = '\0';
    }
    const int u = rp_h5_read_attr_string(p->file, "uncertainty_source", p->uncertainty, sizeof p->uncertainty),
              d = rp_h5_read_attr_int(p->file, "uncertainty_draws", &p->uncertainty_draws);
    if (u < 0 || d < 0 || (u > 0) != (d > 0) || (d > 0 && p->uncertainty_draws < 1))
        RP_FAIL(err, RP_EINVAL, "%s: its root attributes uncertainty_source and uncertainty_draws are incomplete or "
                "malformed; expected a file written by rapport", p->path);
    if (u == 0)
        p->uncertainty[0] = '\0';
    return RP_OK;
}

static int open_part(part *p, const char *path, rp_error *err)
{
    memset(p, 0, sizeof *p);
    p->path = path;
    p->file = H5I_INVALID_HID;
    rp_h5_quiet();
    /* HDF5 would block opening a FIFO, and read a device for ever */
    struct stat st;
    if (stat(path, &st) != 0 || access(path, R_OK) != 0)
        RP_FAIL(err, RP_EIO, "cannot open %s: %s", path, strerror(errno));
    if (!S_ISREG(st.st_mode))
        RP_FAIL(err, RP_EINVAL, "%s is %s, not a regular file; expected a file written by rapport run -o", path,
                S_ISDIR(st.st_mode) ? "a directory" : S_ISFIFO(st.st_mode) ? "a FIFO"
                : S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode) ? "a device" : "a socket or another special file");
    htri_t is_hdf5 = H5Fis_hdf5(path);
    if (is_hdf5 < 0)
        return rp_h5_read_error(err, "read", path);
    if (is_hdf5 == 0)
        RP_FAIL(err, RP_EINVAL, "%s is not an HDF5 file; expected a file written by rapport run -o", path);
    /* closing the file closes whatever an error path left open in it */
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    if (fapl >= 0)
        H5Pset_fclose_degree(fapl, H5F_CLOSE_STRONG);
    p->file = fapl < 0 ? H5I_INVALID_HID : H5Fopen(path, H5F_ACC_RDONLY, fapl);
    if (fapl >= 0)
        H5Pclose(fapl);
    if (p->file < 0)
        return rp_h5_read_error(err, "open", path);
    char format[32];
    if (rp_h5_read_attr_string(p->file, "format", format, sizeof format) <= 0 || strcmp(format, "rapport") != 0)
        RP_FAIL(err, RP_EINVAL, "%s is not a rapport file (its root attribute format is not 'rapport')", path);
    int64_t version;
    int found = rp_h5_read_attr_int(p->file, "format_version", &version);
    if (found <= 0)
        RP_FAIL(err, RP_EINVAL, "%s has %s format_version; this rapport reads format_version %d", path,
                found ? "an unreadable" : "no", RP_FORMAT_VERSION);
    if (version != RP_FORMAT_VERSION)
        RP_FAIL(err, RP_EINVAL, "%s has format_version %lld; this rapport reads format_version %d", path,
                (long long)version, RP_FORMAT_VERSION);
    const char *bad = rp_h5_read_attr_int(p->file, "model_version", &p->model_version) <= 0 || p->model_version < 1
                          ? "model_version (one whole number >= 1)"
                      : rp_h5_read_attr_int(p->file, "runs_total", &p->runs_total) <= 0 || p->runs_total < 1
                          ? "runs_total (one whole number >= 1)"
                      : rp_h5_read_attr_string(p->file, "sweep_id", p->sweep_id, sizeof p->sweep_id) <= 0 ||
                              strlen(p->sweep_id) != 16 || strspn(p->sweep_id, "0123456789abcdef") != 16
                          ? "sweep_id (a string of 16 lowercase hex digits)"
                      : rp_h5_read_attr_string(p->file, "scenario_path", p->scenario_path, sizeof p->scenario_path) < 0
                          ? "scenario_path (a string)"
                          : NULL;
    if (bad)
        RP_FAIL(err, RP_EINVAL, "%s: its root attribute %s is missing or malformed; expected a file written by rapport",
                path, bad);
    int status = read_scenario_text(p, err);
    char name[1100];
    snprintf(name, sizeof name, "%s:/scenario", path); /* where its errors are */
    if (status == RP_OK)
        status = read_data_files(p, err);
    if (status == RP_OK)
        status = rp_scenario_load_string(name, p->yaml, &p->sc, err);
    if (status == RP_OK) {
        rp_scenario_skip_data(p->sc); /* the file states its counts; its data files may be elsewhere */
        status = rp_scenario_resolve(p->sc, err);
    }
    /* The layout of this file: its scenario's tables, its week count. */
    int weeks = 1;
    if (status == RP_OK)
        status = trajectory_weeks(p, &weeks, err);
    if (status == RP_OK)
        status = rp_layout_init(&p->layout, rp_scenario_params(p->sc), weeks, err);
    if (status == RP_OK)
        status = rp_layout_add_moments(&p->layout, p->sc, err);
    if (status == RP_OK)
        status = rp_layout_open(&p->layout, p->file, path, err);
    if (status != RP_OK)
        return status;
    p->n_runs = p->layout.rows[RP_T_RUNS];
    status = runs_column(p, "run", &p->run, err);
    for (int r = 0; status == RP_OK && r < N_RANGES; r++)
        if ((status = runs_column(p, range[r].first, &p->first[r], err)) == RP_OK)
            status = runs_column(p, range[r].count, &p->count[r], err);
    for (int q = 0; status == RP_OK && q < N_PARAMS; q++)
        status = runs_column(p, param_name[q], &p->param[q], err);
    return status == RP_OK ? check_runs(p, err) : status;
}

/* Files are joined and continued only by an engine that implements their
 * model version, which is the one their scenario runs. */
static int same_model(const part *p, const char *doing, rp_error *err)
{
    if (p->model_version > RP_MODEL_LATEST)
        RP_FAIL(err, RP_EINVAL, "%s holds runs of model version %lld; this rapport implements model versions 1 to %d "
                "and %s only runs of those", p->path, (long long)p->model_version, RP_MODEL_LATEST, doing);
    const int model = rp_model_version(rp_scenario_params(p->sc)->model);
    if (p->model_version != model)
        RP_FAIL(err, RP_EINVAL, "%s says model_version %lld, but its /scenario runs model %d; expected a file written "
                "by rapport run", p->path, (long long)p->model_version, model);
    return RP_OK;
}

int rp_output_runs_in(const char *path, uint64_t plan_id, int64_t runs_total, int64_t worker, int64_t workers,
                      uint8_t *done, rp_error *err)
{
    part p;
    int status = open_part(&p, path, err);
    char want[32];
    snprintf(want, sizeof want, "%016llx", (unsigned long long)plan_id);
    if (status == RP_OK && (strcmp(p.sweep_id, want) != 0 || p.runs_total != runs_total))
        status = rp_status_raise(err, RP_EINVAL, "%s belongs to another sweep (id %s, %lld runs; this one is %s, %lld runs: its scenario, "
                                "data files or uncertainty draws differ)",
                                path, p.sweep_id, (long long)p.runs_total, want, (long long)runs_total);
    if (status == RP_OK)
        status = same_model(&p, "continues", err);
    /* a batch of worker w holds runs r with r % workers == w: one of another
     * layout (another --shard N or mpirun -n) would be resumed wrongly */
    for (int64_t k = 0; status == RP_OK && workers > 0 && k < p.n_runs; k++)
        if (p.run[k] % workers != worker)
            status = rp_status_raise(err, RP_EINVAL,
                                    "%s holds run %lld, which is not one of worker %lld's runs among %lld: the "
                                    "folder was written with another --shard N or mpirun -n; expected the layout "
                                    "of the interrupted run (or remove the folder)",
                                    path, (long long)p.run[k], (long long)worker, (long long)workers);
    for (int64_t k = 0; status == RP_OK && k < p.n_runs; k++)
        done[p.run[k]] = 1; /* in [0, runs_total): checked by open_part */
    close_part(&p);
    return status;
}

/* ---- the rows of a run ---- */

/* The values of run k's rows [first, first + n) of table t (bufs as
 * rp_layout_read fills them) that rapport relies on, against docs/FORMAT.md:
 * a corrupt file is refused, naming its row, rather than summarised or copied. */
static int check_rows(const part *p, rp_table t, int64_t k, int64_t n, void *const *bufs, rp_error *err)
{
    if (t == RP_T_RUNS || t == RP_T_SUMMARY) /* checked when the file was opened */
        return RP_OK;
    const rp_layout *l = &p->layout;
    const int r = t == RP_T_PAIRS ? R_PAIRS : t == RP_T_PROVIDERS ? R_PROVIDERS : R_TRAJECTORIES;
    const int64_t first = p->first[r][k], run = p->run[k], patients = (int64_t)p->param[P_PATIENTS][k];
    const int64_t providers = p->count[R_PROVIDERS][k];
    const int horizon = (int)p->param[P_HORIZON][k], course = (int)p->param[P_COURSE][k];
    const int last = horizon < course ? horizon : course;
    const double s_max = p->param[P_SYMPTOMS_MAX][k], s_rec = p->param[P_RECOVERED][k];
    char value[64], expected[160];
#define COLUMN(type, name) ((const type *)bufs[rp_layout_find(l, t, name)])
#define REFUSE(column, fmt, v, ...)                                                                                    \
    do {                                                                                                               \
        snprintf(value, sizeof value, fmt, v);                                                                         \
        snprintf(expected, sizeof expected, __VA_ARGS__);                                                              \
        return rp_status_raise(err, RP_EINVAL, "%s: /%s/%s row %lld is %s; expected %s", p->path,                      \
                              rp_layout_table_name(t), column, (long long)(first + i), value, expected);               \
    } while (0)
    const int64_t *runs = COLUMN(int64_t, "run");
    for (int64_t i = 0; i < n; i++)
        if (runs[i] != run)
            REFUSE("run", "%lld", (long long)runs[i], "%lld, the run of its /runs row", (long long)run);
    if (t == RP_T_PAIRS || t == RP_T_PROVIDERS) { /* culture: a level index, or a value in [0, 1] */
        const rp_params *prm = rp_scenario_params(p->sc);
        const double *culture = COLUMN(double, "culture");
        const int nd = prm->culture.n_dims;
        for (int64_t i = 0; i < n; i++)
            for (int d = 0; d < nd; d++) {
                const rp_dimension *dim = &prm->culture.dims[d];
                const double v = culture[i * nd + d];
                if (dim->kind == RP_DIM_CATEGORICAL ? !(v >= 0 && v < dim->n_levels && v == floor(v))
                                                    : !(v >= 0 && v <= 1))
                    REFUSE("culture", "%g", v, "on dimension %d (%s) %s", d, dim->name,
                           dim->kind == RP_DIM_CATEGORICAL ? "a level index" : "a value in [0, 1]");
            }
    }
    if (t == RP_T_PROVIDERS) {
        const int64_t *index = COLUMN(int64_t, "index");
        const uint8_t *group = COLUMN(uint8_t, "group");
        for (int64_t i = 0; i < n; i++) {
            if (index[i] != i)
                REFUSE("index", "%lld", (long long)index[i], "%lld, the run's providers in order", (long long)i);
            if (group[i] >= l->n_provider_groups)
                REFUSE("group", "%d", group[i], "a provider group, 0 to %d", l->n_provider_groups - 1);
        }
        return RP_OK;
    }
    const int64_t *patient = COLUMN(int64_t, "patient");
    if (t == RP_T_TRAJECTORIES) {
        for (int64_t i = 0; i < n; i++)
            if (patient[i] < (i ? patient[i - 1] + 1 : 0) || patient[i] >= patients)
                REFUSE("patient", "%lld", (long long)patient[i], "a patient of the run, 0 to %lld, increasing",
                       (long long)patients - 1);
        return RP_OK;
    }
    const uint8_t *group = COLUMN(uint8_t, "group"), *reason = COLUMN(uint8_t, "exit_reason");
    const int64_t *provider = COLUMN(int64_t, "provider");
    const int32_t *exit_week = COLUMN(int32_t, "exit_week"), *discussed = COLUMN(int32_t, "discussed_week");
    const int32_t *ruptures = COLUMN(int32_t, "ruptures"), *repairs = COLUMN(int32_t, "repairs");
    const double *s0 = COLUMN(double, "symptoms0"), *s_exit = COLUMN(double, "symptoms_exit");
    const double *early = COLUMN(double, "early_alliance"), *trust = COLUMN(double, "trust_report");
    const double *distance = COLUMN(double, "distance");
    for (int64_t i = 0; i < n; i++) {
        const int e = exit_week[i];
        if (!(distance[i] >= 0 && distance[i] <= 1))
            REFUSE("distance", "%g", distance[i], "a cultural distance in [0, 1]");
        if (patient[i] != i)
            REFUSE("patient", "%lld", (long long)patient[i], "%lld, the run's patients in order", (long long)i);
        if (group[i] >= l->n_groups)
            REFUSE("group", "%d", group[i], "a patient group, 0 to %d", l->n_groups - 1);
        if (provider[i] < 0 || provider[i] >= providers)
            REFUSE("provider", "%lld", (long long)provider[i], "a provider of the run, 0 to %lld",
                   (long long)providers - 1);
        if (e < 1 || e > last)
            REFUSE("exit_week", "%d", e, "1 to %d (the run's course is %d, its horizon %d)", last, course, horizon);
        if (reason[i] < RP_EXIT_RECOVERED || reason[i] > RP_EXIT_CENSORED)
            REFUSE("exit_reason", "%d", reason[i], "an exit code, 1 to 4");
        if ((reason[i] == RP_EXIT_COURSE && e != course) || (reason[i] == RP_EXIT_DROPPED && e >= course) ||
            (reason[i] == RP_EXIT_CENSORED && e != horizon))
            REFUSE("exit_reason", "%d", reason[i], "a code its exit week %d allows (course %d, horizon %d)", e,
                   course, horizon);
        if (discussed[i] < -1 || discussed[i] > horizon)
            REFUSE("discussed_week", "%d", discussed[i], "-1 (never) or a week, 0 to %d", horizon);
        if (ruptures[i] < 0 || ruptures[i] > e)
            REFUSE("ruptures", "%d", ruptures[i], "0 to %d: at most one a week before the exit week", e);
        if (repairs[i] < 0 || repairs[i] > ruptures[i])
            REFUSE("repairs", "%d", repairs[i], "0 to %d, its ruptures", ruptures[i]);
        if (!(s0[i] >= 0 && s0[i] <= s_max))
            REFUSE("symptoms0", "%g", s0[i], "a severity in [0, %g] (symptoms.max)", s_max);
        if (!(s_exit[i] >= 0 && s_exit[i] <= s_max))
            REFUSE("symptoms_exit", "%g", s_exit[i], "a severity in [0, %g] (symptoms.max)", s_max);
        if (reason[i] == RP_EXIT_RECOVERED && !(s_exit[i] < s_rec))
            REFUSE("symptoms_exit", "%g", s_exit[i], "below symptoms.recovered (%g): the pair recovered", s_rec);
        if (e < 3 ? !isnan(early[i]) : !(early[i] >= 0 && early[i] <= 1))
            REFUSE("early_alliance", "%g", early[i], "%s", e < 3 ? "NaN (fewer than 3 sessions)" : "in [0, 1]");
        if (!isnan(trust[i]) && !(trust[i] >= 0 && trust[i] <= 1))
            REFUSE("trust_report", "%g", trust[i], "NaN or in [0, 1]");
    }
#undef REFUSE
#undef COLUMN
    return RP_OK;
}

/* Read run k's rows [first, first + n) of table t of part, checked, into
 * *bufs (one buffer per column of the part's layout, NULL for the other
 * tables'; free with free_rows, also on an error). */
static int read_rows(part *in, rp_table t, int64_t k, int64_t first, int64_t n, void ***bufs, rp_error *err)
{
    rp_layout *l = &in->layout;
    void **b = *bufs = calloc((size_t)l->n_cols, sizeof *b);
    int status = b ? RP_OK : rp_status_raise(err, RP_ENOMEM, "out of memory");
    for (int c = 0; status == RP_OK && c < l->n_cols; c++)
        if (l->col[c].table == t &&
            !(b[c] = malloc((size_t)(n ? n : 1) * rp_layout_elem(&l->col[c]) * (size_t)rp_layout_width(l, &l->col[c]))))
            status = rp_status_raise(err, RP_ENOMEM, "out of memory");
    if (status == RP_OK)
        status = rp_layout_read(l, t, first, n, b, in->path, err);
    if (status == RP_OK)
        status = check_rows(in, t, k, n, b, err);
    return status;
}

static void free_rows(const part *in, void **bufs)
{
    for (int c = 0; bufs && c < in->layout.n_cols; c++)
        free(bufs[c]);
    free(bufs);
}

/* Copy run k's rows [first, first + n) of table t from part to the output
 * layout, checked; offsets of /runs are given by the caller in over (column
 * -> value). */
static int copy_rows(part *in, rp_layout *out, rp_table t, int64_t k, int64_t first, int64_t n, const int64_t *over,
                     rp_error *err)
{
    if (n <= 0)
        return RP_OK;
    rp_layout *l = &in->layout;
    void **bufs = NULL;
    const void **data = calloc((size_t)out->n_cols, sizeof *data);
    int status = data ? read_rows(in, t, k, first, n, &bufs, err) : rp_status_raise(err, RP_ENOMEM, "out of memory");
    for (int c = 0; status == RP_OK && c < out->n_cols; c++) {
        const rp_column *col = &out->col[c];
        if (col->table != t)
            continue;
        int from = rp_layout_find(l, t, col->name);
        if (t == RP_T_RUNS && col->row_offset)
            data[c] = &over[c];
        else if (from >= 0 && !(t != RP_T_RUNS && t != RP_T_SUMMARY && strcmp(col->name, "pair") == 0) &&
                 !(t == RP_T_PROVIDERS && strcmp(col->name, "provider") == 0))
            data[c] = bufs[from]; /* row coordinates (pair, provider) are renumbered */
    }
    if (status == RP_OK)
        status = rp_layout_append(out, t, n, data, err);
    free_rows(in, bufs);
    free(data);
    return status;
}

/* Run k's provider cultures (its /providers rows, checked) into culture
 * (providers x dimensions). */
static int read_provider_culture(part *in, int64_t k, double *culture, rp_error *err)
{
    const int64_t n = in->count[R_PROVIDERS][k];
    void **bufs = NULL;
    int status = read_rows(in, RP_T_PROVIDERS, k, in->first[R_PROVIDERS][k], n, &bufs, err);
    const int c = rp_layout_find(&in->layout, RP_T_PROVIDERS, "culture");
    if (status == RP_OK)
        memcpy(culture, bufs[c], (size_t)n * (size_t)rp_layout_width(&in->layout, &in->layout.col[c]) * sizeof(double));
    free_rows(in, bufs);
    return status;
}

/* ---- joining ---- */

typedef struct {
    int64_t run;
    int input;
    int64_t row; /* in the input's /runs */
} run_place;

static int by_run(const void *a, const void *b)
{
    return by_value(&((const run_place *)a)->run, &((const run_place *)b)->run);
}

/* A /scenario without its first line: a comment, which in older files
 * named the scenario file (the sweep id leaves it out too). */
static const char *scenario_body(const char *yaml)
{
    const char *nl = yaml[0] == '#' ? strchr(yaml, '\n') : NULL;
    return nl ? nl + 1 : yaml;
}

/* Why parts a and b are not parts of one sweep (RP_OK when they are), saying
 * what differs. */
static int same_sweep(const part *a, const part *b, rp_error *err)
{
    if (strcmp(a->sweep_id, b->sweep_id) != 0)
        RP_FAIL(err, RP_EINVAL, "%s and %s are parts of different sweeps (sweep ids %s and %s)", a->path, b->path,
                a->sweep_id, b->sweep_id);
    if (a->runs_total != b->runs_total)
        RP_FAIL(err, RP_EINVAL, "%s and %s have sweep id %s but say the sweep has %lld and %lld runs (runs_total); "
                "expected parts of one sweep", a->path, b->path, a->sweep_id, (long long)a->runs_total,
                (long long)b->runs_total);
    for (int w = 0; w < 2; w++)
        if (strcmp(a->data_sha256[w], b->data_sha256[w]) != 0)
            RP_FAIL(err, RP_EINVAL, "%s and %s have sweep id %s but their %s were read from different data files "
                    "(SHA-256 %.12s... and %.12s...); expected parts of one sweep, run on the same files", a->path,
                    b->path, a->sweep_id, w ? "providers" : "patients", a->data_sha256[w][0] ? a->data_sha256[w] :
                    "(none)", b->data_sha256[w][0] ? b->data_sha256[w] : "(none)");
    const char *x = scenario_body(a->yaml), *y = scenario_body(b->yaml);
    if (strcmp(x, y) == 0)
        return RP_OK;
    int line = 1 + (x != a->yaml);
    size_t start = 0; /* of the first line that differs */
    for (size_t i = 0; x[i] == y[i]; i++)
        if (x[i] == '\n') {
            line++;
            start = i + 1;
        }
    char lx[80], ly[80], ex[80], ey[80];
    snprintf(lx, sizeof lx, "%.*s", (int)strcspn(x + start, "\n"), x + start);
    snprintf(ly, sizeof ly, "%.*s", (int)strcspn(y + start, "\n"), y + start);
    RP_FAIL(err, RP_EINVAL, "%s and %s have sweep id %s but different scenarios (/scenario line %d: '%s' and '%s'); "
            "expected parts of one sweep", a->path, b->path, a->sweep_id, line,
            rp_text_excerpt(lx, ex, sizeof ex), rp_text_excerpt(ly, ey, sizeof ey));
}

static int stored_summary(part *in, int64_t k, rp_summary *sum, rp_error *err);

/* The runs being joined, for the statistics: place[held], by run. */
typedef struct {
    part *parts;
    const run_place *place;
    int64_t held;
} joined;

static int joined_summary(void *ctx, int64_t run, rp_summary *s, bool *held, rp_error *err)
{
    const joined *j = ctx;
    const run_place key = {.run = run};
    const run_place *at = bsearch(&key, j->place, (size_t)j->held, sizeof key, by_run);
    *held = at != NULL;
    return at ? stored_summary(&j->parts[at->input], at->row, s, err) : RP_OK;
}

/* The design of the sweep the parts are runs of: its points from the
 * plan's runs and the scenario's replicates (times its draws). */
static rp_stats_design joined_design(const part *p)
{
    const rp_params *q = rp_scenario_params(p->sc);
    const int64_t R = q->replicates * (p->uncertainty_draws > 0 ? p->uncertainty_draws : 1);
    rp_stats_design d = {.points = p->runs_total / R, .replicates = R, .draws = p->uncertainty_draws,
                         .reference_point = q->contrasts.reference_point, .model = rp_model_version(q->model)};
    memcpy(d.reference_group, q->contrasts.reference_group, RP_NAME_MAX);
    return d;
}

int rp_output_merge(const char *const *inputs, int n_inputs, const char *path, bool force, bool complete,
                    const rp_provenance *prov_in, const volatile sig_atomic_t *stop, rp_error *err)
{
    part *parts = calloc((size_t)n_inputs, sizeof *parts);
    run_place *place = NULL;
    rp_output *out = NULL;
    int64_t *over = NULL;
    int status = parts ? RP_OK : rp_status_raise(err, RP_ENOMEM, "out of memory");
    for (int i = 0; status == RP_OK && i < n_inputs; i++)
        parts[i].file = H5I_INVALID_HID;
    for (int i = 0; status == RP_OK && i < n_inputs; i++)
        if ((status = open_part(&parts[i], inputs[i], err)) == RP_OK)
            status = same_model(&parts[i], "joins", err);
    for (int i = 1; status == RP_OK && i < n_inputs; i++)
        status = same_sweep(&parts[0], &parts[i], err);
    /* The runs the parts hold, in run order: memory for what the files hold,
     * not for the runs their sweep declares. */
    int64_t held = 0;
    for (int i = 0; status == RP_OK && i < n_inputs; i++)
        held += parts[i].n_runs;
    if (status == RP_OK && !(place = malloc((size_t)(held ? held : 1) * sizeof *place)))
        status = rp_status_raise(err, RP_ENOMEM, "out of memory");
    for (int i = 0, j = 0; status == RP_OK && i < n_inputs; i++)
        for (int64_t k = 0; k < parts[i].n_runs; k++)
            place[j++] = (run_place){parts[i].run[k], i, k};
    if (status == RP_OK)
        qsort(place, (size_t)held, sizeof *place, by_run);
    for (int64_t j = 1; status == RP_OK && j < held; j++)
        if (place[j].run == place[j - 1].run)
            status = rp_status_raise(err, RP_EINVAL, "run %lld is in both %s and %s; expected each run once",
                                    (long long)place[j].run, inputs[place[j - 1].input], inputs[place[j].input]);
    const int64_t total = status == RP_OK ? parts[0].runs_total : 0;
    if (status == RP_OK && complete && held < total) {
        int64_t first_missing = 0; /* runs are distinct and in [0, total): the first gap */
        while (first_missing < held && place[first_missing].run == first_missing)
            first_missing++;
        status = rp_status_raise(err, RP_EINVAL,
                                "%lld of the sweep's %lld runs are in none of the parts (the first: run %lld); "
                                "expected every part (or --resume the sweep)",
                                (long long)(total - held), (long long)total, (long long)first_missing);
    }
    if (status == RP_OK) {
        rp_provenance prov = *prov_in;
        prov.scenario_yaml = parts[0].yaml;
        prov.runs_total = total;
        prov.plan_id = strtoull(parts[0].sweep_id, NULL, 16);
        if (!prov.scenario_path || !prov.scenario_path[0])
            prov.scenario_path = parts[0].scenario_path; /* the same for every part of a sweep */
        for (int w = 0; w < 2; w++)
            if (!prov.data[w].path && parts[0].data_path[w][0])
                prov.data[w] = (rp_data_file){parts[0].data_path[w], parts[0].data_bytes[w], parts[0].data_sha256[w]};
        if (!prov.uncertainty || !prov.uncertainty[0]) {
            prov.uncertainty = parts[0].uncertainty;
            prov.uncertainty_draws = parts[0].uncertainty_draws;
        }
        const rp_params *p = rp_scenario_params(parts[0].sc);
        const int weeks = parts[0].layout.n_weeks;
        status = rp_output_create(path, force, p, (weeks - 1) * p->output.every, &prov, &out, err);
    }
    rp_layout *ol = out ? rp_output_layout_of(out) : NULL;
    if (status == RP_OK && !(over = calloc((size_t)ol->n_cols, sizeof *over)))
        status = rp_status_raise(err, RP_ENOMEM, "out of memory");
    for (int64_t j = 0; status == RP_OK && j < held; j++) {
        if (stop && *stop) {
            status = rp_status_raise(err, RP_EINTR, "interrupted while joining run %lld of %lld; nothing written to %s",
                                    (long long)place[j].run, (long long)total, path);
            break;
        }
        part *in = &parts[place[j].input];
        const int64_t k = place[j].row;
        for (int r = 0; r < N_RANGES; r++)
            over[rp_layout_find(ol, RP_T_RUNS, range[r].first)] = ol->rows[range[r].table];
        status = copy_rows(in, ol, RP_T_RUNS, k, k, 1, over, err);
        if (status == RP_OK)
            status = copy_rows(in, ol, RP_T_SUMMARY, k, k, 1, over, err);
        for (int r = 0; status == RP_OK && r < N_RANGES; r++)
            status = copy_rows(in, ol, range[r].table, k, in->first[r][k], in->count[r][k], over, err);
    }
    /* a whole sweep's statistics (a part's would be over some replicates
     * only) */
    const rp_stats_design design = status == RP_OK ? joined_design(&parts[0]) : (rp_stats_design){0};
    if (status == RP_OK && total > 1 && held == total && design.points * design.replicates == total) {
        joined j = {parts, place, held};
        rp_summary shape; /* of every stored summary (stored_summary) */
        rp_observe_shape(&shape, rp_scenario_params(parts[0].sc));
        status = rp_output_stats_write(ol, &design, &shape, joined_summary, &j, err);
    }
    for (int i = 0; parts && i < n_inputs; i++)
        close_part(&parts[i]);
    free(parts);
    free(place);
    free(over);
    if (status == RP_OK)
        return rp_output_commit(out, err);
    rp_output_discard(out);
    return status;
}

/* ---- reading one run ---- */

/* Open the file at path and find run's row k in its /runs. */
static int open_run(part *in, const char *path, int64_t run, int64_t *k, rp_error *err)
{
    int status = open_part(in, path, err);
    *k = run < 0 && in->n_runs > 0 ? 0 : -1; /* run < 0: the file's first (a shard's first is not run 0) */
    for (int64_t i = 0; status == RP_OK && run >= 0 && i < in->n_runs; i++)
        if (in->run[i] == run)
            *k = i;
    if (status == RP_OK && *k < 0 && run < 0)
        return rp_status_raise(err, RP_EINVAL, "%s holds no run", path);
    if (status == RP_OK && *k < 0)
        status = rp_status_raise(err, RP_EINVAL, "%s has no run %lld", path, (long long)run);
    return status;
}

/* The provenance of row k of an open file, as rapport run printed it: the
 * root attributes written from the same struct (rp_output_origin), the run's
 * index, replicate and seed from /runs. */
static int read_origin(part *in, int64_t k, rp_origin *o, rp_error *err)
{
    *o = (rp_origin){.model_version = (int)in->model_version, .has_plan = true,
                     .plan_id = strtoull(in->sweep_id, NULL, 16), .run = in->run[k], .replicates = -1};
    snprintf(o->scenario_path, sizeof o->scenario_path, "%s", in->scenario_path);
    int64_t threads = 0;
    const char *bad = rp_h5_read_attr_string(in->file, "rapport_version", o->rapport_version, sizeof o->rapport_version) <= 0
                          ? "rapport_version (a string)"
                      : rp_h5_read_attr_string(in->file, "git_revision", o->git_revision, sizeof o->git_revision) <= 0
                          ? "git_revision (a string)"
                      : rp_h5_read_attr_string(in->file, "part", o->part, sizeof o->part) <= 0 ? "part (a string)"
                      : rp_h5_read_attr_int(in->file, "threads", &threads) <= 0 || threads < 1 || threads > INT_MAX
                          ? "threads (one whole number >= 1)"
                          : NULL;
    if (bad)
        RP_FAIL(err, RP_EINVAL, "%s: its root attribute %s is missing or malformed; expected a file written by rapport",
                in->path, bad);
    o->threads = (int)threads;
    for (int w = 0; w < 2; w++) { /* read and checked with the file (read_data_files) */
        snprintf(o->data[w].path, sizeof o->data[w].path, "%s", in->data_path[w]);
        o->data[w].bytes = in->data_path[w][0] ? in->data_bytes[w] : 0;
        snprintf(o->data[w].sha256, sizeof o->data[w].sha256, "%s", in->data_path[w][0] ? in->data_sha256[w] : "");
    }
    uint64_t *column[2] = {NULL, NULL};
    static const char *const name[2] = {"replicate", "seed"};
    int status = RP_OK;
    for (int c = 0; c < 2 && status == RP_OK; c++)
        status = runs_column(in, name[c], &column[c], err);
    if (status == RP_OK) {
        o->replicate = column[0][k];
        o->seed = column[1][k];
    }
    free(column[0]);
    free(column[1]);
    return status;
}

int rp_output_read_summary(const char *path, int64_t run, rp_summary *sum, bool *stored, rp_origin *origin,
                           rp_error *err)
{
    part in;
    rp_population pop = {0};
    rp_outcomes *out = NULL;
    int64_t *provider_of = NULL;
    double *distance = NULL;
    int64_t k;
    int status = open_run(&in, path, run, &k, err);
    if (status == RP_OK && origin)
        status = read_origin(&in, k, origin, err);
    if (stored)
        *stored = false;
    if (status == RP_OK && rp_layout_find(&in.layout, RP_T_PAIRS, "pair") < 0) { /* nothing to recompute from */
        close_part(&in);
        if (stored)
            *stored = true;
        return rp_output_read_stored_summary(path, run, sum, err);
    }
    rp_params p;
    const int64_t n = status == RP_OK ? in.count[R_PAIRS][k] : 0;
    if (status == RP_OK) {
        /* the run's own parameters (a sweep point) only matter through what
         * observe reads: the group names (shared by every run) and the
         * ambivalence threshold, which a sweep may vary */
        p = *rp_scenario_params(in.sc);
        p.report.ambivalence_threshold = in.param[P_THRESHOLD][k];
        pop.n_patients = n;
        pop.n_providers = in.count[R_PROVIDERS][k];
        pop.n_dims = p.culture.n_dims;
        out = rp_engine_outcomes_alloc(n);
        if (!out)
            status = rp_status_raise(err, RP_ENOMEM, "out of memory reading %s", path);
    }
    if (status == RP_OK) {
        rp_layout *l = &in.layout;
        void **bufs = calloc((size_t)l->n_cols, sizeof *bufs);
        const struct {
            const char *name;
            void *to;
        } want[] = {{"group", NULL}, {"symptoms0", NULL}, {"provider", NULL}, {"distance", NULL}, {"culture", NULL},
                    {"exit_week", out->exit_week},
                    {"exit_reason", out->exit_reason}, {"discussed_week", out->discussed_week},
                    {"ruptures", out->ruptures}, {"repairs", out->repairs}, {"symptoms_exit", out->symptoms_exit},
                    {"early_alliance", out->early_alliance}, {"trust_report", out->trust_report}};
        pop.patient_group = malloc((size_t)(n ? n : 1));
        pop.symptoms0 = malloc((size_t)(n ? n : 1) * sizeof(double));
        provider_of = malloc((size_t)(n ? n : 1) * sizeof *provider_of);
        distance = malloc((size_t)(n ? n : 1) * sizeof *distance);
        const size_t cultures = (size_t)pop.n_dims * (size_t)(n > pop.n_providers ? n : pop.n_providers);
        pop.patient_culture = malloc((cultures ? cultures : 1) * sizeof(double));
        pop.provider_culture = malloc((cultures ? cultures : 1) * sizeof(double));
        if (!bufs || !pop.patient_group || !pop.symptoms0 || !provider_of || !distance || !pop.patient_culture ||
            !pop.provider_culture)
            status = rp_status_raise(err, RP_ENOMEM, "out of memory reading %s", path);
        void *targets[] = {pop.patient_group, pop.symptoms0, provider_of, distance, pop.patient_culture};
        enum { N_TARGETS = sizeof targets / sizeof targets[0] };
        for (size_t w = 0; status == RP_OK && w < sizeof want / sizeof want[0]; w++) {
            int c = rp_layout_find(l, RP_T_PAIRS, want[w].name);
            bufs[c] = w < N_TARGETS ? targets[w] : want[w].to;
        }
        /* scratch for the columns not needed */
        for (int c = 0; status == RP_OK && c < l->n_cols; c++)
            if (l->col[c].table == RP_T_PAIRS && !bufs[c]) {
                bufs[c] = malloc((size_t)(n ? n : 1) * rp_layout_elem(&l->col[c]) * (size_t)rp_layout_width(l, &l->col[c]));
                if (!bufs[c])
                    status = rp_status_raise(err, RP_ENOMEM, "out of memory reading %s", path);
            }
        if (status == RP_OK)
            status = rp_layout_read(l, RP_T_PAIRS, in.first[R_PAIRS][k], n, bufs, path, err);
        if (status == RP_OK)
            status = check_rows(&in, RP_T_PAIRS, k, n, bufs, err);
        for (int c = 0; bufs && c < l->n_cols; c++) {
            bool mine = false;
            for (size_t w = 0; w < sizeof want / sizeof want[0]; w++)
                mine = mine || (l->col[c].table == RP_T_PAIRS && strcmp(l->col[c].name, want[w].name) == 0);
            if (!mine)
                free(bufs[c]);
        }
        free(bufs);
    }
    if (status == RP_OK) /* the providers' cultures, for concordance */
        status = read_provider_culture(&in, k, pop.provider_culture, err);
    if (status == RP_OK)
        status = rp_observe_summary(sum, &p, &pop, provider_of, distance, out, err);
    free(pop.patient_group);
    free(pop.symptoms0);
    free(pop.patient_culture);
    free(pop.provider_culture);
    free(provider_of);
    free(distance);
    rp_engine_outcomes_free(out);
    close_part(&in);
    return status;
}

/* The summary of row k of the open part in, as its /summary stores it. */
static int stored_summary(part *in, int64_t k, rp_summary *sum, rp_error *err)
{
    int status = RP_OK;
    const char *path = in->path;
    rp_observe_shape(sum, rp_scenario_params(in->sc)); /* the groups and dimensions; their values from the columns */
    rp_observables *row[1 + RP_MAX_GROUPS] = {&sum->all};
    for (int g = 0; g < sum->n_groups; g++)
        row[1 + g] = &sum->group[g];
    size_t n_obs; /* a row the model version does not report (no column) is NaN */
    const rp_observable_def *obs = rp_observables_table(&n_obs);
    for (int g = 0; g <= sum->n_groups; g++)
        for (size_t j = 0; j < n_obs; j++)
            *rp_observables_at(row[g], &obs[j]) = NAN;
    const rp_layout *l = &in->layout;
    for (int c = 0; status == RP_OK && c < l->n_cols; c++) {
        const rp_column *col = &l->col[c];
        if (col->table != RP_T_SUMMARY || col->width != RP_W_GROUPS)
            continue;
        double v[1 + RP_MAX_GROUPS];
        int64_t n[1 + RP_MAX_GROUPS];
        const bool pairs = strcmp(col->name, "pairs") == 0;
        status = rp_layout_read_column(l, c, k, 1, pairs ? (void *)n : (void *)v, path, err);
        bool counts_ok = !pairs || n[0] == (int64_t)in->param[P_PATIENTS][k];
        int64_t in_groups = 0; /* each at most n[0]: no overflow */
        for (int g = 1; pairs && g <= sum->n_groups; g++) {
            counts_ok = counts_ok && n[g] >= 0 && n[g] <= n[0];
            in_groups += counts_ok ? n[g] : 0;
        }
        if (status == RP_OK && pairs && (!counts_ok || in_groups != n[0]))
            status = rp_status_raise(err, RP_EINVAL, "%s: /summary/pairs row %lld is not the run's %lld patients, "
                                    "all and by group", path, (long long)k, (long long)in->param[P_PATIENTS][k]);
        for (int g = 0; status == RP_OK && g <= sum->n_groups; g++) {
            if (pairs)
                row[g]->pairs = n[g];
            else if (col->source == RP_SRC_OBSERVABLE)
                *rp_observables_at(row[g], col->observable) = v[g];
            else if (col->source == RP_SRC_DIM_CONCORDANCE)
                *(g ? &sum->by_dimension.group[g - 1][col->dim] : &sum->by_dimension.all[col->dim]) = v[g];
        }
    }
    return status;
}

int rp_output_read_stored_summary(const char *path, int64_t run, rp_summary *sum, rp_error *err)
{
    part in;
    int64_t k;
    int status = open_run(&in, path, run, &k, err);
    if (status == RP_OK)
        status = stored_summary(&in, k, sum, err);
    close_part(&in);
    return status;
}
