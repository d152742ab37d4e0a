/* output.c - the HDF5 file of one run; see output.h and docs/FORMAT.md.
 *
 * Every HDF5 call is checked; HDF5's own error printing is off and its error
 * stack is turned into one line (the innermost message) by hdf5_error.
 * Groups: / (provenance), /trajectories, /pairs, /providers, /runs, /summary,
 * and the dataset /scenario. Dimension scales (HDF5 HL H5DS) name every
 * dimension, so netCDF readers (xarray with h5netcdf) see named dimensions
 * and coordinates.
 */
#define _POSIX_C_SOURCE 200809L
#include "output.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <gsl/gsl_version.h>
#include <hdf5.h>
#include <hdf5_hl.h>

#include "paramtable.h"
#include "rng.h"
#include "scenario.h"
#include "version.h"

#define FORMAT_VERSION 1
#define LZ4_FILTER 32004          /* registered HDF5 filter id of LZ4 */
#define CHUNK_BYTES (1 << 20)     /* target size of a trajectory chunk */
#define CHUNK_CACHE (8u << 20)    /* per dataset: holds partial chunks between blocks */
#define CONTIGUOUS_MAX (64 << 10) /* smaller tables are stored whole, unchunked */

/* The trajectory variables, in the order of the RP_TRAJ_* bits. */
typedef struct {
    const char *name, *long_name, *units;
    bool is_float;
} variable;

static const variable variables[7] = {
    {"A", "therapeutic alliance", "1", true},
    {"T", "trust", "1", true},
    {"S", "symptom severity", "points (0-27 scale)", true},
    {"D", "difference discussed (in effect this week)", "1", false},
    {"N", "stressors this week", "count", false},
    {"rupture", "alliance rupture this week", "1", false},
    {"repaired", "rupture repaired this week", "1", false},
};

struct rp_output {
    char *final_path, *temp_path;
    bool force;
    rp_params p;
    hid_t file;
    hid_t traj[7];        /* trajectory datasets, or H5I_INVALID_HID */
    unsigned vars;        /* RP_TRAJ_* bits written */
    int n_weeks;          /* weeks written: 0, every, 2 every, ... <= horizon */
    int64_t n_sampled;    /* pairs with trajectories */
    uint8_t *in_sample;   /* [pair]: 1 if its trajectory is written */
    int64_t next_row;     /* next trajectory row to write */
    void *pack;           /* staging for one block's sampled rows and weeks */
    char start_time[32];
};

/* ---- errors ---- */

typedef struct {
    char text[512];
    bool found;
} hdf5_message;

/* The innermost error of HDF5's stack: where it started, with its reason. */
static herr_t first_error(unsigned n, const H5E_error2_t *e, void *data)
{
    hdf5_message *m = data;
    if (n == 0 && !m->found) {
        char minor[128] = "";
        H5Eget_msg(e->min_num, NULL, minor, sizeof minor);
        snprintf(m->text, sizeof m->text, "%s%s%s", e->desc ? e->desc : "", minor[0] ? ": " : "", minor);
        m->found = true;
    }
    return 0;
}

/* Fill err with "cannot WHAT PATH: HDF5's innermost message" and return RP_EIO. */
static int hdf5_error(rp_error *err, const char *what, const char *path)
{
    hdf5_message m = {.found = false};
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_DOWNWARD, first_error, &m);
    H5Eclear2(H5E_DEFAULT);
    return rp_error_raise(err, RP_EIO, "cannot %s %s: %s", what, path,
                          m.found ? m.text : "HDF5 reported no reason");
}

/* Quiet HDF5's automatic error printing: errors come back as one line. */
static void hdf5_quiet(void)
{
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
}

const char *rp_output_hdf5_version(char *buf, size_t size)
{
    unsigned major = 0, minor = 0, release = 0;
    H5get_libversion(&major, &minor, &release);
    snprintf(buf, size, "%u.%u.%u", major, minor, release);
    return buf;
}

/* ---- small writers; each returns < 0 on an HDF5 failure ---- */

static hid_t utf8_string_type(void)
{
    hid_t t = H5Tcopy(H5T_C_S1);
    if (t < 0)
        return t;
    if (H5Tset_size(t, H5T_VARIABLE) < 0 || H5Tset_cset(t, H5T_CSET_UTF8) < 0) {
        H5Tclose(t);
        return -1;
    }
    return t;
}

static herr_t attr_string(hid_t obj, const char *name, const char *value)
{
    hid_t t = utf8_string_type(), s = H5Screate(H5S_SCALAR);
    hid_t a = t < 0 || s < 0 ? -1 : H5Acreate2(obj, name, t, s, H5P_DEFAULT, H5P_DEFAULT);
    herr_t st = a < 0 ? -1 : H5Awrite(a, t, &value);
    if (a >= 0)
        H5Aclose(a);
    if (s >= 0)
        H5Sclose(s);
    if (t >= 0)
        H5Tclose(t);
    return st;
}

static herr_t attr_scalar(hid_t obj, const char *name, hid_t type, const void *value)
{
    hid_t s = H5Screate(H5S_SCALAR);
    hid_t a = s < 0 ? -1 : H5Acreate2(obj, name, type, s, H5P_DEFAULT, H5P_DEFAULT);
    herr_t st = a < 0 ? -1 : H5Awrite(a, type, value);
    if (a >= 0)
        H5Aclose(a);
    if (s >= 0)
        H5Sclose(s);
    return st;
}

static herr_t attr_vector(hid_t obj, const char *name, hid_t type, hsize_t n, const void *value)
{
    hid_t s = H5Screate_simple(1, &n, NULL);
    hid_t a = s < 0 ? -1 : H5Acreate2(obj, name, type, s, H5P_DEFAULT, H5P_DEFAULT);
    herr_t st = a < 0 ? -1 : H5Awrite(a, type, value);
    if (a >= 0)
        H5Aclose(a);
    if (s >= 0)
        H5Sclose(s);
    return st;
}

/* Describe a dataset: long_name and units, as netCDF readers expect. */
static herr_t describe(hid_t ds, const char *long_name, const char *units)
{
    if (attr_string(ds, "long_name", long_name) < 0)
        return -1;
    return units ? attr_string(ds, "units", units) : 0;
}

/* A dataset creation property list: chunked and compressed as the scenario
 * says when chunk is not NULL, with fill value fill when not NULL. */
static hid_t make_dcpl(const rp_output *o, int rank, const hsize_t *chunk, hid_t type, const void *fill)
{
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    if (dcpl < 0)
        return -1;
    herr_t st = 0;
    if (fill)
        st = H5Pset_fill_value(dcpl, type, fill);
    if (st >= 0 && chunk) {
        st = H5Pset_chunk(dcpl, rank, chunk);
        if (st >= 0 && o->p.output.compression == RP_COMPRESS_LZ4)
            st = H5Pset_filter(dcpl, LZ4_FILTER, H5Z_FLAG_MANDATORY, 0, NULL);
        if (st >= 0 && o->p.output.compression == RP_COMPRESS_DEFLATE) {
            st = H5Pset_shuffle(dcpl);
            if (st >= 0)
                st = H5Pset_deflate(dcpl, (unsigned)o->p.output.level);
        }
    }
    if (st < 0) {
        H5Pclose(dcpl);
        return -1;
    }
    return dcpl;
}

/* Chunk rows of a [n x width] table of elem-byte values: about CHUNK_BYTES. */
static hsize_t chunk_rows(int64_t n, hsize_t width, size_t elem)
{
    hsize_t rows = CHUNK_BYTES / (width * elem);
    if (rows < 1)
        rows = 1;
    return rows < (hsize_t)n ? rows : (hsize_t)(n > 0 ? n : 1);
}

/* Write a whole [n] or [n x width] dataset in one call and attach its
 * dimension scales; width 0 means one dimension. */
static hid_t write_table(const rp_output *o, hid_t group, const char *name, hid_t type, int64_t n,
                         hsize_t width, const void *data, hid_t scale0, hid_t scale1)
{
    const int rank = width ? 2 : 1;
    hsize_t dims[2] = {(hsize_t)n, width};
    const size_t elem = H5Tget_size(type);
    hsize_t chunk[2] = {chunk_rows(n, width ? width : 1, elem), width};
    const bool chunked = (double)n * (double)(width ? width : 1) * (double)elem > CONTIGUOUS_MAX;
    hid_t space = H5Screate_simple(rank, dims, NULL);
    hid_t dcpl = make_dcpl(o, rank, chunked ? chunk : NULL, type, NULL);
    hid_t ds = space < 0 || dcpl < 0 ? -1 : H5Dcreate2(group, name, type, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    herr_t st = ds < 0 ? -1 : (n > 0 ? H5Dwrite(ds, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) : 0);
    if (st >= 0 && scale0 >= 0)
        st = H5DSattach_scale(ds, scale0, 0);
    if (st >= 0 && scale1 >= 0)
        st = H5DSattach_scale(ds, scale1, 1);
    if (dcpl >= 0)
        H5Pclose(dcpl);
    if (space >= 0)
        H5Sclose(space);
    if (st < 0 && ds >= 0) {
        H5Dclose(ds);
        return -1;
    }
    return ds;
}

/* write_table, described, then closed. */
static herr_t put(const rp_output *o, hid_t group, const char *name, hid_t type, int64_t n, hsize_t width,
                  const void *data, hid_t scale0, hid_t scale1, const char *long_name, const char *units)
{
    hid_t ds = write_table(o, group, name, type, n, width, data, scale0, scale1);
    if (ds < 0)
        return -1;
    herr_t st = describe(ds, long_name, units);
    H5Dclose(ds);
    return st;
}

/* A coordinate: a 1-D dataset made a dimension scale named after itself. */
static hid_t coordinate(const rp_output *o, hid_t group, const char *name, hid_t type, int64_t n,
                        const void *data, const char *long_name)
{
    hid_t ds = write_table(o, group, name, type, n, 0, data, -1, -1);
    if (ds < 0)
        return -1;
    if (H5DSset_scale(ds, name) < 0 || describe(ds, long_name, NULL) < 0) {
        H5Dclose(ds);
        return -1;
    }
    return ds;
}

/* A coordinate of names (variable-length UTF-8 strings). */
static hid_t name_coordinate(const rp_output *o, hid_t group, const char *name, int n,
                             const char *const *names, const char *long_name)
{
    hid_t t = utf8_string_type();
    if (t < 0)
        return -1;
    hid_t ds = coordinate(o, group, name, t, n, names, long_name);
    H5Tclose(t);
    return ds;
}

/* CF-style flag attributes of a coded integer dataset: values and meanings. */
static herr_t flags(hid_t ds, int n, const uint8_t *values, const char *meanings)
{
    if (attr_vector(ds, "flag_values", H5T_NATIVE_UINT8, (hsize_t)n, values) < 0)
        return -1;
    return attr_string(ds, "flag_meanings", meanings);
}

/* ---- creation and trajectories ---- */

static void utc_now(char *buf, size_t size)
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static herr_t write_provenance(const rp_output *o, const rp_provenance *prov)
{
    char host[256] = "unknown", hdf5[32];
    gethostname(host, sizeof host - 1);
    const int format = FORMAT_VERSION, model = RP_MODEL_VERSION;
    const uint64_t seed = o->p.seed;
    hid_t root = o->file;
    if (attr_string(root, "format", "rapport") < 0 || attr_scalar(root, "format_version", H5T_NATIVE_INT, &format) < 0 ||
        attr_string(root, "title", "rapport: cultural distance, therapeutic alliance and dropout") < 0 ||
        attr_string(root, "rapport_version", RP_VERSION) < 0 || attr_string(root, "git_revision", RP_GIT_REVISION) < 0 ||
        attr_scalar(root, "model_version", H5T_NATIVE_INT, &model) < 0 ||
        attr_string(root, "command_line", prov->command_line) < 0 ||
        attr_string(root, "scenario_path", prov->scenario_path) < 0 ||
        attr_scalar(root, "seed", H5T_NATIVE_UINT64, &seed) < 0 ||
        attr_scalar(root, "replicate", H5T_NATIVE_UINT64, &prov->replicate) < 0 ||
        attr_scalar(root, "threads", H5T_NATIVE_INT, &prov->threads) < 0 || attr_string(root, "host", host) < 0 ||
        attr_string(root, "start_time", o->start_time) < 0 || attr_string(root, "gsl_version", GSL_VERSION) < 0 ||
        attr_string(root, "hdf5_version", rp_output_hdf5_version(hdf5, sizeof hdf5)) < 0 ||
        attr_string(root, "compiler", RP_COMPILER) < 0 || attr_string(root, "compiler_flags", RP_COMPILER_FLAGS) < 0 ||
        attr_string(root, "rng", "Philox4x64-10 (Random123), key (seed, replicate)") < 0)
        return -1;
    /* The resolved scenario: re-runs to the same result. */
    hid_t t = utf8_string_type(), s = H5Screate(H5S_SCALAR);
    hid_t ds = t < 0 || s < 0 ? -1 : H5Dcreate2(root, "scenario", t, s, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    herr_t st = ds < 0 ? -1 : H5Dwrite(ds, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, &prov->scenario_yaml);
    if (st >= 0)
        st = describe(ds, "the resolved scenario (YAML), as rapport show prints it", NULL);
    if (ds >= 0)
        H5Dclose(ds);
    if (s >= 0)
        H5Sclose(s);
    if (t >= 0)
        H5Tclose(t);
    return st;
}

/* Rows of a trajectory chunk: a power of two (so a block of
 * RP_RUN_BLOCK_PAIRS rows is whole chunks: a chunk straddling two blocks
 * costs HDF5 a second pass, measured 3x slower) of about CHUNK_BYTES of
 * float32, the same for every variable. */
static hsize_t trajectory_chunk_rows(const rp_output *o)
{
    hsize_t rows = 1;
    while (rows * 2 <= RP_RUN_BLOCK_PAIRS && rows * 2 * (hsize_t)o->n_weeks * sizeof(float) <= CHUNK_BYTES)
        rows *= 2;
    return rows < (hsize_t)o->n_sampled ? rows : (hsize_t)(o->n_sampled ? o->n_sampled : 1);
}

/* Datasets of /trajectories, [pair x week], with their coordinates. */
static herr_t create_trajectories(rp_output *o)
{
    hid_t g = H5Gcreate2(o->file, "trajectories", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (g < 0)
        return -1;
    herr_t st = 0;
    int64_t *pairs = malloc((size_t)(o->n_sampled ? o->n_sampled : 1) * sizeof *pairs);
    int32_t *weeks = malloc((size_t)o->n_weeks * sizeof *weeks);
    hid_t pair = -1, week = -1;
    if (!pairs || !weeks)
        st = -1;
    if (st >= 0) {
        for (int64_t i = 0, r = 0; i < o->p.patients.count; i++)
            if (o->in_sample[i])
                pairs[r++] = i;
        for (int w = 0; w < o->n_weeks; w++)
            weeks[w] = w * o->p.output.every;
        pair = coordinate(o, g, "pair", H5T_NATIVE_INT64, o->n_sampled, pairs, "pair (= patient) index");
        week = coordinate(o, g, "week", H5T_NATIVE_INT32, o->n_weeks, weeks, "week since intake");
        st = pair < 0 || week < 0 ? -1 : attr_string(week, "units", "weeks");
    }
    const hsize_t dims[2] = {(hsize_t)o->n_sampled, (hsize_t)o->n_weeks};
    const float nan = NAN;
    const uint8_t fill8 = RP_TRAJ_FILL_U8;
    for (int v = 0; v < 7 && st >= 0; v++) {
        if (!(o->vars & (1u << v)))
            continue;
        const variable *var = &variables[v];
        hid_t type = var->is_float ? H5T_NATIVE_FLOAT : H5T_NATIVE_UINT8;
        hsize_t chunk[2] = {trajectory_chunk_rows(o), dims[1]};
        hid_t space = H5Screate_simple(2, dims, NULL);
        hid_t dcpl = make_dcpl(o, 2, o->n_sampled ? chunk : NULL, type, var->is_float ? (const void *)&nan : &fill8);
        hid_t dapl = H5Pcreate(H5P_DATASET_ACCESS);
        if (dapl >= 0)
            H5Pset_chunk_cache(dapl, 12421, CHUNK_CACHE, 1.0);
        hid_t ds = space < 0 || dcpl < 0 || dapl < 0 ? -1 : H5Dcreate2(g, var->name, type, space, H5P_DEFAULT, dcpl, dapl);
        o->traj[v] = ds;
        st = ds < 0 ? -1 : describe(ds, var->long_name, var->units);
        if (st >= 0)
            st = var->is_float ? attr_scalar(ds, "_FillValue", H5T_NATIVE_FLOAT, &nan)
                               : attr_scalar(ds, "_FillValue", H5T_NATIVE_UINT8, &fill8);
        if (st >= 0)
            st = H5DSattach_scale(ds, pair, 0) < 0 || H5DSattach_scale(ds, week, 1) < 0 ? -1 : 0;
        if (dapl >= 0) H5Pclose(dapl);
        if (dcpl >= 0) H5Pclose(dcpl);
        if (space >= 0) H5Sclose(space);
    }
    if (pair >= 0) H5Dclose(pair);
    if (week >= 0) H5Dclose(week);
    free(pairs);
    free(weeks);
    H5Gclose(g);
    return st;
}

static void free_output(rp_output *o)
{
    if (!o)
        return;
    for (int v = 0; v < 7; v++)
        if (o->traj[v] >= 0)
            H5Dclose(o->traj[v]);
    if (o->file >= 0)
        H5Fclose(o->file);
    free(o->final_path);
    free(o->temp_path);
    free(o->in_sample);
    free(o->pack);
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

int rp_output_create(const char *path, bool force, const rp_params *p, const rp_provenance *prov,
                     rp_output **out, rp_error *err)
{
    *out = NULL;
    hdf5_quiet();
    if (!force && access(path, F_OK) == 0)
        RP_FAIL(err, RP_EINVAL, "%s exists; expected a new path, or --force to replace it", path);
    if (p->output.compression == RP_COMPRESS_LZ4 && H5Zfilter_avail(LZ4_FILTER) <= 0)
        RP_FAIL(err, RP_EINVAL,
                "output.compression is lz4 but HDF5's LZ4 filter plugin (id %d) is not available; expected "
                "none or deflate, or the plugin (Debian: hdf5-filter-plugin; or set HDF5_PLUGIN_PATH)",
                LZ4_FILTER);
    rp_output *o = calloc(1, sizeof *o);
    if (!o)
        RP_FAIL(err, RP_ENOMEM, "out of memory");
    o->file = H5I_INVALID_HID;
    for (int v = 0; v < 7; v++)
        o->traj[v] = H5I_INVALID_HID;
    o->force = force;
    o->p = *p;
    o->vars = p->output.variables;
    o->n_weeks = p->horizon / p->output.every + 1;
    utc_now(o->start_time, sizeof o->start_time);
    const int64_t n = p->patients.count;
    o->final_path = strdup(path);
    o->temp_path = temp_name(path);
    o->in_sample = malloc((size_t)n);
    if (!o->final_path || !o->temp_path || !o->in_sample) {
        rp_output_discard(o);
        RP_FAIL(err, RP_ENOMEM, "out of memory");
    }
    /* The sample: pair i is in when its own uniform is below the share, so
     * the sample of a pair never depends on the others (stable across runs). */
    for (int64_t i = 0; i < n; i++) {
        uint64_t x[4];
        rp_rng_block((rp_rng_key){p->seed, prov->replicate}, RP_PURPOSE_OUTPUT_SAMPLE, (uint64_t)i, 0, 0, x);
        o->in_sample[i] = p->output.sample >= 1.0 || rp_rng_u01(x[0]) < p->output.sample;
        o->n_sampled += o->in_sample[i];
    }
    o->file = H5Fcreate(o->temp_path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    if (o->file < 0) {
        int status = hdf5_error(err, "create", o->temp_path);
        rp_output_discard(o);
        return status;
    }
    if (write_provenance(o, prov) < 0 || (o->vars && create_trajectories(o) < 0)) {
        int status = hdf5_error(err, "write", o->temp_path);
        rp_output_discard(o);
        return status;
    }
    *out = o;
    return RP_OK;
}

unsigned rp_output_variables(const rp_output *o)
{
    return o->vars;
}

/* Copy the sampled rows and written weeks of one variable of a block into
 * the staging buffer; returns the rows copied. */
static int64_t pack_rows(const rp_output *o, const rp_trajectory *b, const void *src, size_t elem, void *dst)
{
    const int stride = o->p.horizon + 1, every = o->p.output.every;
    int64_t rows = 0;
    for (int64_t r = 0; r < b->count; r++) {
        if (!o->in_sample[b->first + r])
            continue;
        const char *row = (const char *)src + (size_t)(r * stride) * elem;
        char *to = (char *)dst + (size_t)(rows * o->n_weeks) * elem;
        if (every == 1)
            memcpy(to, row, (size_t)o->n_weeks * elem);
        else
            for (int w = 0; w < o->n_weeks; w++)
                memcpy(to + (size_t)w * elem, row + (size_t)(w * every) * elem, elem);
        rows++;
    }
    return rows;
}

int rp_output_write_block(void *ctx, const rp_trajectory *b, const rp_outcomes *outcomes, rp_error *err)
{
    (void)outcomes;
    rp_output *o = ctx;
    if (!o->vars)
        return RP_OK;
    const bool direct = o->p.output.every == 1 && o->p.output.sample >= 1.0;
    if (!direct && !o->pack) {
        o->pack = malloc((size_t)b->count * (size_t)o->n_weeks * sizeof(float));
        if (!o->pack)
            RP_FAIL(err, RP_ENOMEM, "out of memory for a block of trajectories");
    }
    const void *src[7] = {b->A, b->T, b->S, b->D, b->N, b->rupture, b->repaired};
    int64_t rows = 0;
    for (int v = 0; v < 7; v++) {
        if (!(o->vars & (1u << v)))
            continue;
        const size_t elem = variables[v].is_float ? 4 : 1;
        const void *data = src[v];
        rows = b->count;
        if (!direct) {
            rows = pack_rows(o, b, src[v], elem, o->pack);
            data = o->pack;
        }
        if (rows == 0)
            continue;
        hsize_t start[2] = {(hsize_t)o->next_row, 0}, count[2] = {(hsize_t)rows, (hsize_t)o->n_weeks};
        hid_t fspace = H5Dget_space(o->traj[v]);
        hid_t mspace = H5Screate_simple(2, count, NULL);
        herr_t st = fspace < 0 || mspace < 0 ? -1 : H5Sselect_hyperslab(fspace, H5S_SELECT_SET, start, NULL, count, NULL);
        if (st >= 0)
            st = H5Dwrite(o->traj[v], variables[v].is_float ? H5T_NATIVE_FLOAT : H5T_NATIVE_UINT8, mspace, fspace,
                          H5P_DEFAULT, data);
        if (mspace >= 0) H5Sclose(mspace);
        if (fspace >= 0) H5Sclose(fspace);
        if (st < 0)
            return hdf5_error(err, "write trajectories to", o->temp_path);
    }
    o->next_row += rows;
    return RP_OK;
}

/* ---- the tables of a finished run ---- */

static const char *exit_meanings = "recovered course_completed dropped censored";
static const uint8_t exit_values[4] = {RP_EXIT_RECOVERED, RP_EXIT_COURSE, RP_EXIT_DROPPED, RP_EXIT_CENSORED};

/* "white latinx black asian" and 0..n-1, for the flags of a group code. */
static herr_t group_flags(hid_t ds, int n, const rp_group *groups)
{
    char meanings[RP_MAX_GROUPS * RP_NAME_MAX] = "";
    uint8_t values[RP_MAX_GROUPS];
    for (int g = 0; g < n; g++) {
        values[g] = (uint8_t)g;
        strcat(meanings, g ? " " : "");
        strcat(meanings, groups[g].name);
    }
    return flags(ds, n, values, meanings);
}

/* A coded uint8 [n] table with its flags. */
static herr_t put_codes(const rp_output *o, hid_t g, const char *name, int64_t n, const uint8_t *data, hid_t scale,
                        const char *long_name, int n_groups, const rp_group *groups)
{
    hid_t ds = write_table(o, g, name, H5T_NATIVE_UINT8, n, 0, data, scale, -1);
    herr_t st = ds < 0 ? -1 : describe(ds, long_name, NULL);
    if (st >= 0)
        st = groups ? group_flags(ds, n_groups, groups) : flags(ds, 4, exit_values, exit_meanings);
    if (ds >= 0)
        H5Dclose(ds);
    return st;
}

static herr_t write_pairs(const rp_output *o, const rp_run *run)
{
    const rp_population *pop = run->pop;
    const rp_outcomes *out = run->outcomes;
    const int64_t n = pop->n_patients;
    const char *dims[RP_MAX_DIMS];
    for (int k = 0; k < o->p.culture.n_dims; k++)
        dims[k] = o->p.culture.dims[k].name;
    int64_t *index = malloc((size_t)n * sizeof *index);
    double *improvement = malloc((size_t)n * sizeof *improvement);
    hid_t g = H5Gcreate2(o->file, "pairs", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    hid_t pair = -1, dim = -1;
    herr_t st = g < 0 || !index || !improvement ? -1 : 0;
    if (st >= 0) {
        for (int64_t i = 0; i < n; i++) {
            index[i] = i;
            improvement[i] = pop->symptoms0[i] - out->symptoms_exit[i];
        }
        pair = coordinate(o, g, "pair", H5T_NATIVE_INT64, n, index, "pair (= patient) index");
        dim = name_coordinate(o, g, "dimension", o->p.culture.n_dims, dims, "cultural dimension");
        st = pair < 0 || dim < 0 ? -1 : 0;
    }
#define PUT(name, type, data, long_name, units) \
    if (st >= 0) st = put(o, g, name, type, n, 0, data, pair, -1, long_name, units)
    if (st >= 0)
        st = put_codes(o, g, "group", n, pop->patient_group, pair, "patient group", o->p.patients.n_groups,
                       o->p.patients.groups);
    PUT("provider", H5T_NATIVE_INT64, run->provider_of, "provider index", NULL);
    PUT("distance", H5T_NATIVE_DOUBLE, run->distance, "cultural distance d_ij", "1");
    if (st >= 0)
        st = put(o, g, "culture", H5T_NATIVE_DOUBLE, n, (hsize_t)o->p.culture.n_dims, pop->patient_culture, pair, dim,
                 "patient culture: level index (categorical) or value in [0, 1] (continuous)", NULL);
    PUT("mistrust", H5T_NATIVE_DOUBLE, pop->mistrust, "institutional mistrust m", "1");
    PUT("barrier", H5T_NATIVE_DOUBLE, pop->barrier, "structural barrier b", "1");
    PUT("stressor_rate", H5T_NATIVE_DOUBLE, pop->stressor_rate, "weekly stressor rate lambda", "1/week");
    PUT("symptoms0", H5T_NATIVE_DOUBLE, pop->symptoms0, "intake symptom severity S_0", "points");
    PUT("alliance_trait", H5T_NATIVE_DOUBLE, pop->alliance_trait, "alliance propensity u", "logit");
    PUT("response", H5T_NATIVE_DOUBLE, pop->response, "treatment responsiveness gamma_i", "1/week");
    PUT("exit_week", H5T_NATIVE_INT32, out->exit_week, "exit week (= sessions attended)", "weeks");
    if (st >= 0)
        st = put_codes(o, g, "exit_reason", n, out->exit_reason, pair, "how the pair ended", 0, NULL);
    PUT("discussed_week", H5T_NATIVE_INT32, out->discussed_week,
        "first week with difference discussed; -1 never (discussed by exit iff 0 <= it <= exit_week)", "weeks");
    PUT("ruptures", H5T_NATIVE_INT32, out->ruptures, "ruptures", "count");
    PUT("repairs", H5T_NATIVE_INT32, out->repairs, "repaired ruptures", "count");
    PUT("symptoms_exit", H5T_NATIVE_DOUBLE, out->symptoms_exit, "symptom severity at exit", "points");
    PUT("improvement", H5T_NATIVE_DOUBLE, improvement, "improvement S_0 - S_exit", "points");
    PUT("early_alliance", H5T_NATIVE_DOUBLE, out->early_alliance,
        "early alliance, mean of A_1..A_3; NaN with fewer than 3 sessions", "1");
    PUT("trust_report", H5T_NATIVE_DOUBLE, out->trust_report,
        "trust at report.ambivalence_week; NaN if exited before", "1");
#undef PUT
    if (pair >= 0) H5Dclose(pair);
    if (dim >= 0) H5Dclose(dim);
    if (g >= 0) H5Gclose(g);
    free(index);
    free(improvement);
    return st;
}

static herr_t write_providers(const rp_output *o, const rp_run *run)
{
    const rp_population *pop = run->pop;
    const int64_t m = pop->n_providers, n = pop->n_patients;
    const char *dims[RP_MAX_DIMS];
    for (int k = 0; k < o->p.culture.n_dims; k++)
        dims[k] = o->p.culture.dims[k].name;
    int64_t *index = malloc((size_t)m * sizeof *index), *caseload = malloc((size_t)m * sizeof *caseload);
    int64_t *patients = calloc((size_t)m, sizeof *patients);
    hid_t g = H5Gcreate2(o->file, "providers", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    hid_t prov = -1, dim = -1;
    herr_t st = g < 0 || !index || !caseload || !patients ? -1 : 0;
    if (st >= 0) {
        for (int64_t j = 0; j < m; j++) {
            index[j] = j;
            caseload[j] = o->p.providers.caseload;
        }
        for (int64_t i = 0; i < n; i++)
            patients[run->provider_of[i]]++;
        prov = coordinate(o, g, "provider", H5T_NATIVE_INT64, m, index, "provider index");
        dim = name_coordinate(o, g, "dimension", o->p.culture.n_dims, dims, "cultural dimension");
        st = prov < 0 || dim < 0 ? -1 : 0;
    }
    if (st >= 0)
        st = put_codes(o, g, "group", m, pop->provider_group, prov, "provider group", o->p.providers.n_groups,
                       o->p.providers.groups);
    if (st >= 0)
        st = put(o, g, "culture", H5T_NATIVE_DOUBLE, m, (hsize_t)o->p.culture.n_dims, pop->provider_culture, prov, dim,
                 "provider culture: level index (categorical) or value in [0, 1] (continuous)", NULL);
    if (st >= 0)
        st = put(o, g, "humility", H5T_NATIVE_DOUBLE, m, 0, pop->humility, prov, -1, "cultural humility h", "1");
    if (st >= 0)
        st = put(o, g, "skill", H5T_NATIVE_DOUBLE, m, 0, pop->skill, prov, -1, "skill sigma_j (therapist effect)",
                 "logit");
    if (st >= 0)
        st = put(o, g, "caseload", H5T_NATIVE_INT64, m, 0, caseload, prov, -1, "caseload capacity C", "patients");
    if (st >= 0)
        st = put(o, g, "patients", H5T_NATIVE_INT64, m, 0, patients, prov, -1, "patients assigned", "patients");
    if (prov >= 0) H5Dclose(prov);
    if (dim >= 0) H5Dclose(dim);
    if (g >= 0) H5Gclose(g);
    free(index);
    free(caseload);
    free(patients);
    return st;
}

/* The observables, as listed in observe.h, in one place for both tables. */
typedef struct {
    const char *name, *long_name;
    size_t offset;
} observable;

#define OBS(f, what) {#f, what, offsetof(rp_observables, f)}
static const observable observables[] = {
    OBS(dropout, "share of pairs dropped"),
    OBS(early_dropout, "share of dropouts with exit week 1 or 2"),
    OBS(sessions_mean, "mean sessions attended"),
    OBS(recovered_share, "share completed with S below S_rec"),
    OBS(ambivalence, "share with trust below the threshold at the report week"),
    OBS(early_alliance_mean, "mean early alliance (A_1..A_3), pairs with >= 3 sessions"),
    OBS(improvement_mean, "mean improvement S_0 - S_exit"),
    OBS(alliance_outcome_r, "Pearson r of early alliance and improvement, >= 3 sessions"),
    OBS(therapist_icc, "ICC(1) of improvement between providers (overall only)"),
    OBS(rupture_rate, "ruptures per pair-week"),
    OBS(repaired_share, "share of ruptures repaired"),
    OBS(discussed_share, "share of pairs with difference discussed by exit"),
    OBS(discussed_week_mean, "mean week of discussion, among discussed"),
};
#undef OBS
#define N_OBSERVABLES (sizeof observables / sizeof observables[0])

static double observable_of(const rp_observables *s, const observable *ob)
{
    return *(const double *)((const char *)s + ob->offset);
}

/* /summary: each observable over the dimension group = all, then each group. */
static herr_t write_summary(const rp_output *o, const rp_summary *sum)
{
    const int n = 1 + sum->n_groups;
    const char *names[1 + RP_MAX_GROUPS] = {"all"};
    const rp_observables *rows[1 + RP_MAX_GROUPS] = {&sum->all};
    for (int g = 0; g < sum->n_groups; g++) {
        names[1 + g] = sum->group_name[g];
        rows[1 + g] = &sum->group[g];
    }
    hid_t g = H5Gcreate2(o->file, "summary", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    hid_t scale = g < 0 ? -1 : name_coordinate(o, g, "group", n, names, "patient group (all: every pair)");
    herr_t st = scale < 0 ? -1 : 0;
    int64_t pairs[1 + RP_MAX_GROUPS];
    double values[1 + RP_MAX_GROUPS];
    for (int r = 0; r < n; r++)
        pairs[r] = rows[r]->pairs;
    if (st >= 0)
        st = put(o, g, "pairs", H5T_NATIVE_INT64, n, 0, pairs, scale, -1, "pairs", "count");
    for (size_t k = 0; k < N_OBSERVABLES && st >= 0; k++) {
        for (int r = 0; r < n; r++)
            values[r] = observable_of(rows[r], &observables[k]);
        st = put(o, g, observables[k].name, H5T_NATIVE_DOUBLE, n, 0, values, scale, -1, observables[k].long_name, NULL);
    }
    if (scale >= 0) H5Dclose(scale);
    if (g >= 0) H5Gclose(g);
    return st;
}

/* /runs: one row per run (one here): seed, replicate, every scalar
 * parameter by its dotted name, and the overall observables. */
static herr_t write_runs(const rp_output *o, const rp_run *run, uint64_t replicate)
{
    hid_t g = H5Gcreate2(o->file, "runs", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    const int64_t zero = 0;
    hid_t scale = g < 0 ? -1 : coordinate(o, g, "run", H5T_NATIVE_INT64, 1, &zero, "run index");
    herr_t st = scale < 0 ? -1 : 0;
    if (st >= 0)
        st = put(o, g, "point", H5T_NATIVE_INT64, 1, 0, &zero, scale, -1, "sweep point", NULL);
    if (st >= 0)
        st = put(o, g, "replicate", H5T_NATIVE_UINT64, 1, 0, &replicate, scale, -1, "replicate (random stream)", NULL);
    size_t n_rows;
    const rp_param *t = rp_paramtable_scenario(&n_rows);
    for (size_t k = 0; k < n_rows && st >= 0; k++) {
        const void *field = (const char *)&o->p + t[k].offset;
        double v;
        switch (t[k].type) {
        case RP_PT_INT: case RP_PT_ENUM: v = *(const int *)field; break;
        case RP_PT_FLAGS: v = *(const unsigned *)field; break;
        case RP_PT_INT64: v = (double)*(const int64_t *)field; break;
        case RP_PT_DOUBLE: case RP_PT_PROB: v = *(const double *)field; break;
        case RP_PT_UINT64:
            st = put(o, g, t[k].name, H5T_NATIVE_UINT64, 1, 0, field, scale, -1, t[k].meaning, NULL);
            continue;
        default: continue; /* names and structured entries live in /scenario */
        }
        hid_t ds = write_table(o, g, t[k].name, H5T_NATIVE_DOUBLE, 1, 0, &v, scale, -1);
        st = ds < 0 ? -1 : describe(ds, t[k].meaning, t[k].unit[0] ? t[k].unit : NULL);
        if (st >= 0 && (t[k].type == RP_PT_ENUM || t[k].type == RP_PT_FLAGS)) {
            char words[256] = "";
            for (int w = 0; t[k].words[w]; w++)
                snprintf(words + strlen(words), sizeof words - strlen(words), "%s%s", w ? " " : "", t[k].words[w]);
            st = attr_string(ds, t[k].type == RP_PT_ENUM ? "value_k_means_word_k" : "bit_k_means_word_k", words);
        }
        if (ds >= 0)
            H5Dclose(ds);
    }
    for (size_t k = 0; k < N_OBSERVABLES && st >= 0; k++) {
        const double v = observable_of(&run->summary.all, &observables[k]);
        st = put(o, g, observables[k].name, H5T_NATIVE_DOUBLE, 1, 0, &v, scale, -1, observables[k].long_name, NULL);
    }
    if (scale >= 0) H5Dclose(scale);
    if (g >= 0) H5Gclose(g);
    return st;
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

int rp_output_commit(rp_output *o, const rp_run *run, rp_error *err)
{
    char end[32];
    utc_now(end, sizeof end);
    herr_t st = 0;
    if (o->p.output.pairs)
        st = write_pairs(o, run);
    if (st >= 0)
        st = write_providers(o, run);
    if (st >= 0)
        st = write_summary(o, &run->summary);
    uint64_t replicate = run->key.stream;
    if (st >= 0)
        st = write_runs(o, run, replicate);
    if (st >= 0)
        st = attr_string(o->file, "end_time", end);
    for (int v = 0; v < 7 && st >= 0; v++)
        if (o->traj[v] >= 0) {
            st = H5Dclose(o->traj[v]);
            o->traj[v] = H5I_INVALID_HID;
        }
    if (st >= 0) {
        st = H5Fclose(o->file);
        o->file = H5I_INVALID_HID;
    }
    int status = st < 0 ? hdf5_error(err, "write", o->temp_path) : publish(o, err);
    rp_output_discard(o); /* the temporary file is gone either way */
    return status;
}

/* ---- reading back ---- */

/* Read the whole 1-D dataset /pairs/name of n elements into data. */
static herr_t read_column(hid_t g, const char *name, hid_t type, int64_t n, void *data)
{
    hid_t ds = H5Dopen2(g, name, H5P_DEFAULT);
    if (ds < 0)
        return -1;
    hid_t space = H5Dget_space(ds);
    hssize_t have = space < 0 ? -1 : H5Sget_simple_extent_npoints(space);
    herr_t st = have != n ? -1 : H5Dread(ds, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data);
    if (space >= 0)
        H5Sclose(space);
    H5Dclose(ds);
    return st;
}

static char *read_scenario_text(hid_t file)
{
    hid_t ds = H5Dopen2(file, "scenario", H5P_DEFAULT);
    if (ds < 0)
        return NULL;
    hid_t t = utf8_string_type();
    char *text = NULL;
    if (t >= 0 && H5Dread(ds, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, &text) < 0)
        text = NULL;
    char *copy = text ? strdup(text) : NULL;
    if (text)
        H5free_memory(text);
    if (t >= 0)
        H5Tclose(t);
    H5Dclose(ds);
    return copy;
}

int rp_output_read_summary(const char *path, rp_summary *sum, rp_error *err)
{
    hdf5_quiet();
    if (access(path, R_OK) != 0)
        RP_FAIL(err, RP_EIO, "cannot open %s: %s", path, strerror(errno));
    if (H5Fis_hdf5(path) <= 0)
        RP_FAIL(err, RP_EINVAL, "%s is not an HDF5 file; expected a file written by rapport run -o", path);
    hid_t file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (file < 0)
        return hdf5_error(err, "open", path);
    int status = RP_OK;
    rp_scenario *sc = NULL;
    rp_population pop = {0};
    rp_outcomes *out = NULL;
    int64_t *provider_of = NULL;
    char *yaml = read_scenario_text(file);
    hid_t g = H5I_INVALID_HID;
    if (!yaml) {
        status = rp_error_raise(err, RP_EINVAL, "%s has no /scenario; expected a file written by rapport run -o", path);
        goto done;
    }
    if ((status = rp_scenario_load_string(path, yaml, &sc, err)) != RP_OK ||
        (status = rp_scenario_resolve(sc, err)) != RP_OK)
        goto done;
    const rp_params *p = rp_scenario_params(sc);
    if (H5Lexists(file, "pairs", H5P_DEFAULT) <= 0) {
        status = rp_error_raise(err, RP_EINVAL, "%s has no per-pair table (written with output.pairs: false)", path);
        goto done;
    }
    const int64_t n = p->patients.count;
    pop.n_patients = n;
    pop.n_providers = p->providers.count;
    pop.patient_group = malloc((size_t)n);
    pop.symptoms0 = malloc((size_t)n * sizeof(double));
    provider_of = malloc((size_t)n * sizeof *provider_of);
    out = rp_outcomes_alloc(n);
    if (!pop.patient_group || !pop.symptoms0 || !provider_of || !out) {
        status = rp_error_raise(err, RP_ENOMEM, "out of memory reading %s", path);
        goto done;
    }
    g = H5Gopen2(file, "pairs", H5P_DEFAULT);
    if (g < 0 || read_column(g, "group", H5T_NATIVE_UINT8, n, pop.patient_group) < 0 ||
        read_column(g, "symptoms0", H5T_NATIVE_DOUBLE, n, pop.symptoms0) < 0 ||
        read_column(g, "provider", H5T_NATIVE_INT64, n, provider_of) < 0 ||
        read_column(g, "exit_week", H5T_NATIVE_INT32, n, out->exit_week) < 0 ||
        read_column(g, "exit_reason", H5T_NATIVE_UINT8, n, out->exit_reason) < 0 ||
        read_column(g, "discussed_week", H5T_NATIVE_INT32, n, out->discussed_week) < 0 ||
        read_column(g, "ruptures", H5T_NATIVE_INT32, n, out->ruptures) < 0 ||
        read_column(g, "repairs", H5T_NATIVE_INT32, n, out->repairs) < 0 ||
        read_column(g, "symptoms_exit", H5T_NATIVE_DOUBLE, n, out->symptoms_exit) < 0 ||
        read_column(g, "early_alliance", H5T_NATIVE_DOUBLE, n, out->early_alliance) < 0 ||
        read_column(g, "trust_report", H5T_NATIVE_DOUBLE, n, out->trust_report) < 0) {
        status = hdf5_error(err, "read the per-pair table of", path);
        goto done;
    }
    for (int64_t i = 0; i < n; i++)
        if (pop.patient_group[i] >= p->patients.n_groups || provider_of[i] < 0 || provider_of[i] >= pop.n_providers) {
            status = rp_error_raise(err, RP_EINVAL, "%s: pair %lld has a group or provider out of range", path,
                                    (long long)i);
            goto done;
        }
    rp_observe_summary(sum, p, &pop, provider_of, out);
done:
    if (g >= 0)
        H5Gclose(g);
    H5Fclose(file);
    free(yaml);
    free(pop.patient_group);
    free(pop.symptoms0);
    free(provider_of);
    rp_outcomes_free(out);
    rp_scenario_free(sc);
    return status;
}
