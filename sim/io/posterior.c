/* posterior.c - the posterior file of an ABC-SMC calibration: written whole,
 * atomically, after every generation, and read back for --resume; see
 * posterior.h and docs/FORMAT.md. */
#define _POSIX_C_SOURCE 200809L
#include "rapport/posterior.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "io/output_h5.h"
#include "rapport/output.h"
#include "version.h"

/* ---- writing ---- */

static herr_t write_text(hid_t loc, const char *name, const char *text, const char *long_name)
{
    hid_t t = rp_h5_string_type(), s = H5Screate(H5S_SCALAR);
    hid_t ds = t < 0 || s < 0 ? -1 : H5Dcreate2(loc, name, t, s, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    const char *v = text ? text : "";
    herr_t st = ds < 0 ? -1 : H5Dwrite(ds, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, &v);
    if (st >= 0 && long_name)
        st = rp_h5_attr_string(ds, "long_name", long_name);
    if (ds >= 0) H5Dclose(ds);
    if (s >= 0) H5Sclose(s);
    if (t >= 0) H5Tclose(t);
    return st;
}

static herr_t write_strings(hid_t loc, const char *name, char *const *text, hsize_t n)
{
    hid_t t = rp_h5_string_type(), s = H5Screate_simple(1, &n, NULL);
    hid_t ds = t < 0 || s < 0 ? -1 : H5Dcreate2(loc, name, t, s, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    herr_t st = ds < 0 ? -1 : H5Dwrite(ds, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, text);
    if (ds >= 0) H5Dclose(ds);
    if (s >= 0) H5Sclose(s);
    if (t >= 0) H5Tclose(t);
    return st;
}

/* A dataset of rows x cols (cols 0: a vector of rows) of type type from data. */
static herr_t write_array(hid_t loc, const char *name, hid_t type, hsize_t rows, hsize_t cols, const void *data,
                          const char *long_name)
{
    hsize_t dims[2] = {rows, cols};
    hid_t s = H5Screate_simple(cols ? 2 : 1, dims, NULL);
    hid_t ds = s < 0 ? -1 : H5Dcreate2(loc, name, type, s, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    const bool empty = rows == 0;
    herr_t st = ds < 0 ? -1 : empty ? 0 : H5Dwrite(ds, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data);
    if (st >= 0 && long_name)
        st = rp_h5_attr_string(ds, "long_name", long_name);
    if (ds >= 0) H5Dclose(ds);
    if (s >= 0) H5Sclose(s);
    return st;
}

static herr_t write_root(hid_t root, const rp_posterior *p)
{
    char host[256] = "unknown", now[32];
    gethostname(host, sizeof host - 1);
    rp_h5_utc_now(now, sizeof now);
    const int format = RP_POSTERIOR_FORMAT_VERSION, complete = p->complete;
    const long long runs = p->simulations * p->replicates;
    const int ranks = p->ranks > 1 ? p->ranks : 1;
    if (rp_h5_attr_string(root, "format", "rapport-posterior") < 0 ||
        rp_h5_attr_scalar(root, "format_version", H5T_NATIVE_INT, &format) < 0 ||
        rp_h5_attr_string(root, "title", "rapport: posterior of a Bayesian calibration (ABC-SMC)") < 0 ||
        rp_h5_attr_string(root, "rapport_version", RP_VERSION) < 0 ||
        rp_h5_attr_string(root, "git_revision", RP_GIT_REVISION) < 0 ||
        rp_h5_attr_scalar(root, "model_version", H5T_NATIVE_INT, &p->model_version) < 0 ||
        rp_h5_attr_string(root, "command_line", p->command_line ? p->command_line : "") < 0 ||
        rp_h5_attr_string(root, "calibration_path", p->calibration_path ? p->calibration_path : "") < 0 ||
        rp_h5_attr_string(root, "scenario_path", p->scenario_path ? p->scenario_path : "") < 0 ||
        rp_h5_attr_scalar(root, "seed", H5T_NATIVE_UINT64, &p->seed) < 0 ||
        rp_h5_attr_scalar(root, "threads", H5T_NATIVE_INT, &p->threads) < 0 ||
        rp_h5_attr_scalar(root, "ranks", H5T_NATIVE_INT, &ranks) < 0 ||
        rp_h5_attr_string(root, "host", host) < 0 || rp_h5_attr_string(root, "write_time", now) < 0 ||
        rp_h5_attr_toolchain(root) < 0 ||
        rp_h5_attr_string(root, "method", "abc-smc") < 0 ||
        rp_h5_attr_string(root, "kernel", "multivariate normal, twice the weighted covariance of the previous "
                                          "generation (Beaumont et al. 2009)") < 0 ||
        rp_h5_attr_scalar(root, "complete", H5T_NATIVE_INT, &complete) < 0 ||
        rp_h5_attr_string(root, "stop", p->stop ? p->stop : "running") < 0 ||
        rp_h5_attr_scalar(root, "generations", H5T_NATIVE_INT, &p->n_generations) < 0 ||
        rp_h5_attr_scalar(root, "particles", H5T_NATIVE_INT, &p->particles) < 0 ||
        rp_h5_attr_scalar(root, "replicates", H5T_NATIVE_INT, &p->replicates) < 0 ||
        rp_h5_attr_scalar(root, "simulations", H5T_NATIVE_LLONG, &p->simulations) < 0 ||
        rp_h5_attr_scalar(root, "runs", H5T_NATIVE_LLONG, &runs) < 0 ||
        rp_h5_attr_scalar(root, "seconds", H5T_NATIVE_DOUBLE, &p->seconds) < 0 ||
        rp_h5_attr_scalar(root, "abc_generations", H5T_NATIVE_INT, &p->max_generations) < 0 ||
        rp_h5_attr_scalar(root, "abc_tolerance", H5T_NATIVE_DOUBLE, &p->tolerance) < 0 ||
        rp_h5_attr_scalar(root, "abc_quantile", H5T_NATIVE_DOUBLE, &p->quantile) < 0 ||
        rp_h5_attr_scalar(root, "abc_min_acceptance", H5T_NATIVE_DOUBLE, &p->min_acceptance) < 0 ||
        rp_h5_attr_scalar(root, "abc_simulations", H5T_NATIVE_LLONG, &p->max_simulations) < 0)
        return -1;
    if (write_text(root, "calibration", p->calibration_text, "the calibration file, as read") < 0 ||
        write_text(root, "scenario", p->scenario_yaml, "the resolved scenario (YAML), as rapport show prints it") < 0)
        return -1;
    return 0;
}

static herr_t write_tables(hid_t root, const rp_posterior *p)
{
    const hsize_t n = (hsize_t)p->n_free, k = (hsize_t)p->n_targets, G = (hsize_t)p->n_generations;
    hid_t c = H5Gcreate2(root, "coefficients", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    herr_t st = c < 0 ? -1 : 0;
    if (st >= 0)
        st = write_strings(c, "key", p->key, n);
    if (st >= 0)
        st = write_strings(c, "prior", p->prior, n);
    if (st >= 0)
        st = write_array(c, "min", H5T_NATIVE_DOUBLE, n, 0, p->min, "lower end of the prior's support");
    if (st >= 0)
        st = write_array(c, "max", H5T_NATIVE_DOUBLE, n, 0, p->max, "upper end of the prior's support");
    if (c >= 0)
        H5Gclose(c);
    hid_t t = st < 0 ? -1 : H5Gcreate2(root, "targets", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    st = t < 0 ? -1 : 0;
    const struct {
        const char *name;
        const double *v;
        const char *long_name;
    } cols[] = {{"value", p->value, "the target's value"},
                {"lo", p->lo, "low end of its band"},
                {"hi", p->hi, "high end of its band"},
                {"scale", p->scale, "s_k of the distance: half the band, or the se"},
                {"weight", p->weight, "w_k of the distance"}};
    if (st >= 0)
        st = write_strings(t, "name", p->target, k);
    for (size_t i = 0; st >= 0 && i < sizeof cols / sizeof cols[0]; i++)
        st = write_array(t, cols[i].name, H5T_NATIVE_DOUBLE, k, 0, cols[i].v, cols[i].long_name);
    if (t >= 0)
        H5Gclose(t);
    /* per generation: the columns of the table, then a group of each */
    hid_t g = st < 0 ? -1 : H5Gcreate2(root, "generations", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    st = g < 0 ? -1 : 0;
    double *tol = malloc((G ? G : 1) * sizeof *tol), *acc = malloc((G ? G : 1) * sizeof *acc),
           *ess = malloc((G ? G : 1) * sizeof *ess);
    long long *att = malloc((G ? G : 1) * sizeof *att), *sims = malloc((G ? G : 1) * sizeof *sims);
    if (!tol || !acc || !ess || !att || !sims)
        st = -1;
    for (hsize_t i = 0; st >= 0 && i < G; i++) {
        tol[i] = p->gen[i].tolerance;
        acc[i] = p->gen[i].acceptance;
        ess[i] = p->gen[i].ess;
        att[i] = p->gen[i].attempts;
        sims[i] = p->gen[i].simulations;
    }
    if (st >= 0)
        st = write_array(g, "tolerance", H5T_NATIVE_DOUBLE, G, 0, tol, "the generation's tolerance (inf: the prior)");
    if (st >= 0)
        st = write_array(g, "acceptance", H5T_NATIVE_DOUBLE, G, 0, acc, "particles / simulations");
    if (st >= 0)
        st = write_array(g, "ess", H5T_NATIVE_DOUBLE, G, 0, ess, "effective sample size, 1 / sum w^2");
    if (st >= 0)
        st = write_array(g, "attempts", H5T_NATIVE_LLONG, G, 0, att, "proposals, outside the support included");
    if (st >= 0)
        st = write_array(g, "simulations", H5T_NATIVE_LLONG, G, 0, sims, "proposals simulated");
    free(tol);
    free(acc);
    free(ess);
    free(att);
    free(sims);
    const hsize_t N = (hsize_t)p->particles;
    for (hsize_t i = 0; st >= 0 && i < G; i++) {
        char name[32];
        snprintf(name, sizeof name, "%llu", (unsigned long long)i);
        hid_t one = H5Gcreate2(g, name, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
        st = one < 0 ? -1 : 0;
        if (st >= 0)
            st = write_array(one, "theta", H5T_NATIVE_DOUBLE, N, n, p->gen[i].theta,
                             "particles x coefficients (/coefficients/key)");
        if (st >= 0)
            st = write_array(one, "weight", H5T_NATIVE_DOUBLE, N, 0, p->gen[i].weight, "importance weights, sum 1");
        if (st >= 0)
            st = write_array(one, "distance", H5T_NATIVE_DOUBLE, N, 0, p->gen[i].distance,
                             "sqrt(sum_k w_k ((sim_k - value_k) / scale_k)^2)");
        if (st >= 0)
            st = write_array(one, "simulated", H5T_NATIVE_DOUBLE, N, k, p->gen[i].simulated,
                             "particles x targets (/targets/name): the simulated targets, mean over the replicates");
        if (one >= 0)
            H5Gclose(one);
    }
    if (st >= 0 && p->complete && G > 0) {
        char last[48];
        snprintf(last, sizeof last, "/generations/%llu", (unsigned long long)(G - 1));
        st = H5Lcreate_hard(root, last, root, "posterior", H5P_DEFAULT, H5P_DEFAULT);
    }
    if (g >= 0)
        H5Gclose(g);
    return st;
}

int rp_posterior_write(const char *path, const rp_posterior *post, rp_error *err)
{
    rp_h5_quiet();
    const size_t size = strlen(path) + 32;
    char *temp = malloc(size);
    if (!temp)
        RP_FAIL(err, RP_ENOMEM, "out of memory");
    snprintf(temp, size, "%s.partial-%ld", path, (long)getpid());
    struct stat stale;
    if (lstat(temp, &stale) == 0 && (S_ISREG(stale.st_mode) || S_ISLNK(stale.st_mode)))
        unlink(temp); /* a killed process's, whose PID this one reuses */
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    if (fapl >= 0)
        H5Pset_fclose_degree(fapl, H5F_CLOSE_STRONG);
    hid_t f = fapl < 0 ? -1 : H5Fcreate(temp, H5F_ACC_EXCL, H5P_DEFAULT, fapl);
    if (fapl >= 0)
        H5Pclose(fapl);
    int status = f < 0 ? rp_h5_error(err, "create", temp) : RP_OK;
    if (status == RP_OK && (write_root(f, post) < 0 || write_tables(f, post) < 0))
        status = rp_h5_error(err, "write", temp);
    if (f >= 0 && H5Fclose(f) < 0 && status == RP_OK)
        status = rp_h5_error(err, "write", temp);
    if (status == RP_OK && rename(temp, path) != 0)
        status = rp_status_raise(err, RP_EIO, "cannot move %s to %s", temp, path);
    if (status != RP_OK)
        unlink(temp);
    free(temp);
    return status;
}

/* ---- reading ---- */

static char *read_text(hid_t loc, const char *name)
{
    hid_t ds = H5Dopen2(loc, name, H5P_DEFAULT), t = rp_h5_string_type();
    char *v = NULL, *out = NULL;
    if (ds >= 0 && t >= 0 && H5Dread(ds, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, &v) >= 0 && v) {
        out = strdup(v);
        H5free_memory(v);
    }
    if (ds >= 0) H5Dclose(ds);
    if (t >= 0) H5Tclose(t);
    return out;
}

/* The number of elements of dataset name (-1: absent or not readable). */
static long long elements(hid_t loc, const char *name)
{
    hid_t ds = H5Lexists(loc, name, H5P_DEFAULT) > 0 ? H5Dopen2(loc, name, H5P_DEFAULT) : -1;
    hid_t s = ds < 0 ? -1 : H5Dget_space(ds);
    const long long n = s < 0 ? -1 : (long long)H5Sget_simple_extent_npoints(s);
    if (s >= 0) H5Sclose(s);
    if (ds >= 0) H5Dclose(ds);
    return n;
}

/* Dataset name, of exactly n elements, into a new array of type type. */
static void *read_array(hid_t loc, const char *name, hid_t type, size_t elem, long long n)
{
    if (elements(loc, name) != n)
        return NULL;
    void *v = malloc((size_t)(n ? n : 1) * elem);
    hid_t ds = v ? H5Dopen2(loc, name, H5P_DEFAULT) : -1;
    if (ds < 0 || (n && H5Dread(ds, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, v) < 0)) {
        free(v);
        v = NULL;
    }
    if (ds >= 0)
        H5Dclose(ds);
    return v;
}

static char **read_strings(hid_t loc, const char *name, long long n)
{
    if (elements(loc, name) != n)
        return NULL;
    char **raw = calloc((size_t)(n ? n : 1), sizeof *raw), **out = calloc((size_t)(n ? n : 1), sizeof *out);
    hid_t ds = raw && out ? H5Dopen2(loc, name, H5P_DEFAULT) : -1, t = rp_h5_string_type();
    bool ok = ds >= 0 && t >= 0 && (!n || H5Dread(ds, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, raw) >= 0);
    for (long long i = 0; ok && i < n; i++)
        ok = raw[i] && (out[i] = strdup(raw[i]));
    for (long long i = 0; raw && i < n; i++)
        if (raw[i])
            H5free_memory(raw[i]);
    free(raw);
    if (ds >= 0) H5Dclose(ds);
    if (t >= 0) H5Tclose(t);
    if (!ok && out) {
        for (long long i = 0; i < n; i++)
            free(out[i]);
        free(out);
        out = NULL;
    }
    return out;
}

static int read_attr_double(hid_t obj, const char *name, double *v)
{
    if (H5Aexists(obj, name) <= 0)
        return -1;
    hid_t a = H5Aopen(obj, name, H5P_DEFAULT);
    herr_t st = a < 0 ? -1 : H5Aread(a, H5T_NATIVE_DOUBLE, v);
    if (a >= 0)
        H5Aclose(a);
    return st < 0 ? -1 : 0;
}

static void free_strings(char **s, int n)
{
    for (int i = 0; s && i < n; i++)
        free(s[i]);
    free(s);
}

void rp_posterior_free(rp_posterior *p)
{
    free(p->command_line);
    free(p->calibration_path);
    free(p->calibration_text);
    free(p->scenario_path);
    free(p->scenario_yaml);
    free_strings(p->key, p->n_free);
    free_strings(p->prior, p->n_free);
    free_strings(p->target, p->n_targets);
    free(p->min);
    free(p->max);
    free(p->value);
    free(p->lo);
    free(p->hi);
    free(p->scale);
    free(p->weight);
    free(p->stop);
    for (int g = 0; p->gen && g < p->n_generations; g++) {
        free(p->gen[g].theta);
        free(p->gen[g].weight);
        free(p->gen[g].distance);
        free(p->gen[g].simulated);
    }
    free(p->gen);
    *p = (rp_posterior){0};
}

static char *attr_text(hid_t obj, const char *name)
{
    char buf[4096];
    return rp_h5_read_attr_string(obj, name, buf, sizeof buf) == 1 ? strdup(buf) : NULL;
}

static int read_body(hid_t f, rp_posterior *p, const char *path, rp_error *err)
{
    char format[64];
    int64_t v;
    if (rp_h5_read_attr_string(f, "format", format, sizeof format) != 1 || strcmp(format, "rapport-posterior") != 0)
        RP_FAIL(err, RP_EINVAL, "%s is not a rapport posterior file (its format attribute is '%s'; expected "
                "rapport-posterior, as rapport calibrate --posterior writes)", path, format);
    if (rp_h5_read_attr_int(f, "format_version", &v) != 1 || v != RP_POSTERIOR_FORMAT_VERSION)
        RP_FAIL(err, RP_EINVAL, "%s is a posterior file of format version %lld; expected version %d", path,
                (long long)v, RP_POSTERIOR_FORMAT_VERSION);
#define INT_ATTR(name, field)                                                                                \
    do {                                                                                                     \
        if (rp_h5_read_attr_int(f, name, &v) != 1)                                                           \
            RP_FAIL(err, RP_EINVAL, "%s: the posterior file has no attribute %s; expected one", path, name); \
        field = v;                                                                                           \
    } while (0)
    INT_ATTR("model_version", p->model_version);
    INT_ATTR("threads", p->threads);
    INT_ATTR("complete", p->complete);
    INT_ATTR("generations", p->n_generations);
    INT_ATTR("particles", p->particles);
    INT_ATTR("replicates", p->replicates);
    INT_ATTR("simulations", p->simulations);
    INT_ATTR("abc_generations", p->max_generations);
    INT_ATTR("abc_simulations", p->max_simulations);
#undef INT_ATTR
    p->ranks = rp_h5_read_attr_int(f, "ranks", &v) == 1 ? (int)v : 1; /* files before MPI calibrations: one */
    hid_t a = H5Aopen(f, "seed", H5P_DEFAULT);
    herr_t st = a < 0 ? -1 : H5Aread(a, H5T_NATIVE_UINT64, &p->seed);
    if (a >= 0)
        H5Aclose(a);
    if (st < 0 || read_attr_double(f, "seconds", &p->seconds) < 0 ||
        read_attr_double(f, "abc_tolerance", &p->tolerance) < 0 ||
        read_attr_double(f, "abc_quantile", &p->quantile) < 0 ||
        read_attr_double(f, "abc_min_acceptance", &p->min_acceptance) < 0)
        RP_FAIL(err, RP_EINVAL, "%s: the posterior file lacks its seed, seconds or abc settings", path);
    p->command_line = attr_text(f, "command_line");
    p->calibration_path = attr_text(f, "calibration_path");
    p->scenario_path = attr_text(f, "scenario_path");
    p->stop = attr_text(f, "stop");
    p->calibration_text = read_text(f, "calibration");
    p->scenario_yaml = read_text(f, "scenario");
    if (!p->command_line || !p->calibration_path || !p->scenario_path || !p->stop || !p->calibration_text ||
        !p->scenario_yaml)
        RP_FAIL(err, RP_EINVAL, "%s: the posterior file lacks its provenance (calibration, scenario, stop)", path);
    p->n_free = (int)elements(f, "coefficients/min");
    p->n_targets = (int)elements(f, "targets/value");
    if (p->n_free < 1 || p->n_targets < 1 || p->particles < 1 || p->n_generations < 0)
        RP_FAIL(err, RP_EINVAL, "%s: the posterior file has %d coefficients, %d targets and %d particles; expected "
                "at least one of each", path, p->n_free, p->n_targets, p->particles);
    const long long n = p->n_free, k = p->n_targets, N = p->particles, G = p->n_generations;
    p->key = read_strings(f, "coefficients/key", n);
    p->prior = read_strings(f, "coefficients/prior", n);
    p->target = read_strings(f, "targets/name", k);
    p->min = read_array(f, "coefficients/min", H5T_NATIVE_DOUBLE, sizeof(double), n);
    p->max = read_array(f, "coefficients/max", H5T_NATIVE_DOUBLE, sizeof(double), n);
    p->value = read_array(f, "targets/value", H5T_NATIVE_DOUBLE, sizeof(double), k);
    p->lo = read_array(f, "targets/lo", H5T_NATIVE_DOUBLE, sizeof(double), k);
    p->hi = read_array(f, "targets/hi", H5T_NATIVE_DOUBLE, sizeof(double), k);
    p->scale = read_array(f, "targets/scale", H5T_NATIVE_DOUBLE, sizeof(double), k);
    p->weight = read_array(f, "targets/weight", H5T_NATIVE_DOUBLE, sizeof(double), k);
    if (!p->key || !p->prior || !p->target || !p->min || !p->max || !p->value || !p->lo || !p->hi || !p->scale ||
        !p->weight)
        RP_FAIL(err, RP_EINVAL, "%s: the posterior file's coefficients or targets are incomplete", path);
    double *tol = read_array(f, "generations/tolerance", H5T_NATIVE_DOUBLE, sizeof(double), G);
    double *acc = read_array(f, "generations/acceptance", H5T_NATIVE_DOUBLE, sizeof(double), G);
    double *ess = read_array(f, "generations/ess", H5T_NATIVE_DOUBLE, sizeof(double), G);
    long long *att = read_array(f, "generations/attempts", H5T_NATIVE_LLONG, sizeof(long long), G);
    long long *sims = read_array(f, "generations/simulations", H5T_NATIVE_LLONG, sizeof(long long), G);
    int status = tol && acc && ess && att && sims && (p->gen = calloc((size_t)(G ? G : 1), sizeof *p->gen))
                     ? RP_OK
                     : rp_status_raise(err, RP_EINVAL, "%s: the posterior file's table of generations is incomplete",
                                       path);
    const int n_gen = p->n_generations;
    p->n_generations = 0; /* counts the generations read, for rp_posterior_free */
    for (long long g = 0; status == RP_OK && g < G; g++) {
        char name[64];
        rp_posterior_generation *x = &p->gen[g];
        x->tolerance = tol[g];
        x->acceptance = acc[g];
        x->ess = ess[g];
        x->attempts = att[g];
        x->simulations = sims[g];
        p->n_generations++;
        snprintf(name, sizeof name, "generations/%lld/theta", g);
        x->theta = read_array(f, name, H5T_NATIVE_DOUBLE, sizeof(double), N * n);
        snprintf(name, sizeof name, "generations/%lld/weight", g);
        x->weight = read_array(f, name, H5T_NATIVE_DOUBLE, sizeof(double), N);
        snprintf(name, sizeof name, "generations/%lld/distance", g);
        x->distance = read_array(f, name, H5T_NATIVE_DOUBLE, sizeof(double), N);
        snprintf(name, sizeof name, "generations/%lld/simulated", g);
        x->simulated = read_array(f, name, H5T_NATIVE_DOUBLE, sizeof(double), N * k);
        if (!x->theta || !x->weight || !x->distance || !x->simulated)
            status = rp_status_raise(err, RP_EINVAL, "%s: generation %lld of the posterior file is incomplete "
                                     "(expected %lld particles)", path, g, N);
    }
    if (status == RP_OK && p->n_generations != n_gen)
        status = rp_status_raise(err, RP_EINVAL, "%s: the posterior file's generations are incomplete", path);
    free(tol);
    free(acc);
    free(ess);
    free(att);
    free(sims);
    return status;
}

int rp_posterior_read(const char *path, rp_posterior *p, rp_error *err)
{
    *p = (rp_posterior){0};
    rp_h5_quiet();
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    if (fapl >= 0)
        H5Pset_fclose_degree(fapl, H5F_CLOSE_STRONG);
    hid_t f = fapl < 0 ? -1 : H5Fopen(path, H5F_ACC_RDONLY, fapl);
    if (fapl >= 0)
        H5Pclose(fapl);
    if (f < 0)
        return rp_h5_read_error(err, "read", path);
    int status = read_body(f, p, path, err);
    H5Fclose(f);
    if (status != RP_OK)
        rp_posterior_free(p);
    return status;
}
