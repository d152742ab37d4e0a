/* uncertainty.c - the draws of a scenario's `uncertainty:` section, for a
 * probabilistic sensitivity analysis (docs/SCENARIO.md, "Uncertainty").
 *
 * D draws of some coefficients, from the last generation of an ABC-SMC
 * posterior file (particles drawn with replacement in proportion to their
 * weights) or from priors (each coefficient by the inverse of its truncated
 * CDF), both from rapport's Philox streams keyed by the scenario's seed
 * (purpose RP_PURPOSE_UNCERTAINTY_DRAW), so the draws are a pure function of
 * the scenario and the file. They are handed to the plan
 * (rp_plan_set_draws), which runs every point under each. Reading the
 * section, the file and the priors is here; what a draw does to a run is the
 * plan's.
 */
#define _POSIX_C_SOURCE 200809L /* strdup */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "rapport/exec.h"
#include "rapport/paramtable.h"
#include "rapport/posterior.h"
#include "rapport/rng.h"
#include "core/files.h"
#include "core/sha256.h"
#include "core/text.h"
#include "exec/calibration_spec.h"
#include "input/input.h"
#include "input/yamltree.h"

#define SOURCE_MAX 8400 /* "posterior PATH (sha256 HEX, N bytes), generation G of T" */

/* A uniform in (0, 1) of draw d's sub-stream sub, number m. */
static double draw_uniform(uint64_t seed, int64_t d, uint64_t sub, uint64_t m)
{
    uint64_t out[4];
    rp_rng_block((rp_rng_key){seed, 0}, RP_PURPOSE_UNCERTAINTY_DRAW, (uint64_t)d, sub, m / 4, out);
    return ((double)(out[m % 4] >> 11) + 0.5) * 0x1.0p-53;
}

/* The SHA-256 and size of the file at path. */
static int file_digest(const char *path, char hex[65], int64_t *bytes)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return RP_EIO;
    rp_sha256 sha;
    rp_sha256_init(&sha);
    unsigned char buf[1 << 16];
    size_t got;
    *bytes = 0;
    while ((got = fread(buf, 1, sizeof buf, f)) > 0) {
        rp_sha256_update(&sha, buf, got);
        *bytes += (int64_t)got;
    }
    const int bad = ferror(f);
    fclose(f);
    rp_sha256_final(&sha, hex);
    return bad ? RP_EIO : RP_OK;
}

/* Draws from the last generation of the posterior file named at node. */
static int posterior_draws(const rp_scenario *sc, const rp_ynode *node, int64_t D, rp_plan_draws_spec *d,
                           char *source, rp_error *err)
{
    char ex[256], full[256], hex[65];
    if (node->kind != RP_YNODE_SCALAR || !node->text[0])
        RP_FAIL(err, RP_EINVAL, "%s: error: uncertainty.posterior: expected the path of a posterior file (written "
                "by rapport calibrate, method: abc-smc), relative to this scenario", node->where);
    char *file = rp_file_join(node->file, node->text);
    if (!file)
        RP_FAIL(err, RP_ENOMEM, "rapport: error: out of memory");
    struct stat st;
    const int e = stat(file, &st) != 0 ? errno : 0;
    int64_t bytes = 0;
    int status = RP_OK;
    if (e || !S_ISREG(st.st_mode) || file_digest(file, hex, &bytes) != RP_OK) {
        status = rp_status_raise(err, RP_EINVAL, "%s: error: uncertainty.posterior: cannot read '%s': %s%s%s%s; "
                                 "expected a posterior file, relative to the scenario", node->where,
                                 rp_text_excerpt(node->text, ex, sizeof ex),
                                 e ? strerror(e) : !S_ISREG(st.st_mode) ? "not a regular file" : "a read error",
                                 strcmp(file, node->text) ? " (tried '" : "",
                                 strcmp(file, node->text) ? rp_text_excerpt(file, full, sizeof full) : "",
                                 strcmp(file, node->text) ? "')" : "");
        free(file);
        return status;
    }
    rp_posterior post;
    rp_error perr = {{0}};
    status = rp_posterior_read(file, &post, &perr);
    const int model = rp_model_version(rp_scenario_params(sc)->model);
    if (status != RP_OK)
        status = rp_status_raise(err, status == RP_ENOMEM ? RP_ENOMEM : RP_EINVAL,
                                 "%s: error: uncertainty.posterior: %s; expected a posterior file of rapport calibrate "
                                 "(method: abc-smc)", node->where, perr.msg);
    else if (!post.complete || post.n_generations < 1)
        status = rp_status_raise(err, RP_EINVAL, "%s: error: uncertainty.posterior: '%s' is a checkpoint of a "
                                 "calibration that has not finished; expected a complete posterior file (finish it "
                                 "with rapport calibrate --resume)", node->where,
                                 rp_text_excerpt(node->text, ex, sizeof ex));
    else if (rp_model_version(post.model_version) != model)
        status = rp_status_raise(err, RP_EINVAL, "%s: error: uncertainty.posterior: '%s' was calibrated under model "
                                 "%d; expected a posterior of this scenario's model %d", node->where,
                                 rp_text_excerpt(node->text, ex, sizeof ex), rp_model_version(post.model_version),
                                 model);
    if (status == RP_OK) {
        const rp_posterior_generation *g = &post.gen[post.n_generations - 1];
        const int K = post.n_free, N = post.particles;
        double *cum = malloc((size_t)N * sizeof *cum), *values = malloc((size_t)D * (size_t)K * sizeof *values);
        char **keys = calloc((size_t)K, sizeof *keys);
        if (!cum || !values || !keys)
            status = rp_status_raise(err, RP_ENOMEM, "rapport: error: out of memory for %" PRId64 " draws", D);
        double total = 0;
        for (int i = 0; status == RP_OK && i < N; i++)
            cum[i] = total += g->weight[i];
        for (int64_t k = 0; status == RP_OK && k < D; k++) {
            const int j = rp_abc_pick(cum, N, draw_uniform(rp_scenario_params(sc)->seed, k, 0, 0));
            memcpy(values + k * K, g->theta + (size_t)j * (size_t)K, (size_t)K * sizeof *values);
        }
        for (int k = 0; status == RP_OK && k < K; k++)
            if (!(keys[k] = strdup(post.key[k])))
                status = rp_status_raise(err, RP_ENOMEM, "rapport: error: out of memory");
        snprintf(source, SOURCE_MAX, "posterior %s (sha256 %s, %" PRId64 " bytes, generation %d)", file, hex, bytes,
                 post.n_generations); /* the file as opened, as a data file's *_data_path */
        *d = (rp_plan_draws_spec){.draws = D, .n_keys = K, .keys = (const char *const *)keys, .values = values};
        free(cum);
    }
    rp_posterior_free(&post);
    free(file);
    return status;
}

/* Draws from the priors of the mapping at node. */
static int prior_draws(const rp_scenario *sc, const rp_ynode *node, int64_t D, rp_plan_draws_spec *d, char *source,
                       rp_error *err)
{
    char desc[160], why[512], ex[128], name[RP_CAL_KEY_MAX + 32];
    if (node->kind != RP_YNODE_MAPPING || node->n == 0 || node->n > RP_CAL_MAX_FREE)
        RP_FAIL(err, RP_EINVAL, "%s: error: uncertainty.priors: expected a mapping of 1 to %d KEY: \"uniform(LO, HI)\" "
                "(or normal(M, S), beta(A, B), lognormal(M, S)), got %s", node->where, RP_CAL_MAX_FREE,
                rp_yamltree_describe(node, desc, sizeof desc));
    const int K = (int)node->n;
    rp_cal_free *fr = calloc((size_t)K, sizeof *fr);
    double *values = malloc((size_t)D * (size_t)K * sizeof *values);
    char **keys = calloc((size_t)K, sizeof *keys);
    int status = fr && values && keys ? RP_OK : rp_status_raise(err, RP_ENOMEM, "rapport: error: out of memory");
    size_t used = (size_t)snprintf(source, SOURCE_MAX, "priors");
    for (int k = 0; status == RP_OK && k < K; k++) {
        const rp_ynode *key = node->keys[k];
        const rp_param *row = NULL;
        rp_text_excerpt(key->text, ex, sizeof ex);
        if (strlen(key->text) >= RP_CAL_KEY_MAX || !rp_scenario_key(sc, key->text, &row, why, sizeof why)) {
            status = rp_status_raise(err, RP_EINVAL, "%s: error: uncertainty.priors: '%s' is not a parameter of the "
                                     "scenario: %s", key->where, ex, why);
            break;
        }
        if (!row || (row->type != RP_PT_DOUBLE && row->type != RP_PT_PROB)) {
            status = rp_status_raise(err, RP_EINVAL, "%s: error: uncertainty.priors: '%s' is not a real-valued "
                                     "coefficient; expected a key whose value is a number (e.g. dropout.base)",
                                     key->where, ex);
            break;
        }
        snprintf(fr[k].key, sizeof fr[k].key, "%s", key->text);
        fr[k].min = row->min;
        fr[k].max = row->max;
        snprintf(name, sizeof name, "uncertainty.priors.%s", fr[k].key);
        status = rp_cal_prior_parse(node->values[k], name, row, &fr[k], err);
        if (status == RP_OK && used < SOURCE_MAX)
            used += (size_t)snprintf(source + used, SOURCE_MAX - used, "%s %s: %s", k ? "," : "", fr[k].key,
                                     fr[k].prior_text);
    }
    for (int64_t i = 0; status == RP_OK && i < D; i++)
        for (int k = 0; k < K; k++)
            values[i * K + k] = rp_prior_quantile(&fr[k], draw_uniform(rp_scenario_params(sc)->seed, i, 1, (uint64_t)k));
    for (int k = 0; status == RP_OK && k < K; k++)
        if (!(keys[k] = strdup(fr[k].key)))
            status = rp_status_raise(err, RP_ENOMEM, "rapport: error: out of memory");
    free(fr);
    *d = (rp_plan_draws_spec){.draws = D, .n_keys = K, .keys = (const char *const *)keys, .values = values};
    return status;
}

/* What posterior_draws and prior_draws allocated in d. */
static void free_draws(rp_plan_draws_spec *d)
{
    char **keys = (char **)d->keys;
    for (int k = 0; keys && k < d->n_keys; k++)
        free(keys[k]);
    free(keys);
    free((double *)d->values);
}

/* uncertainty.draws: a whole number 1 .. RP_PLAN_MAX_DRAWS. */
static int read_draws(const rp_ynode *sec, int64_t *D, rp_error *err)
{
    const rp_ynode *v = rp_yamltree_get(sec, "draws");
    char desc[160];
    if (!v)
        RP_FAIL(err, RP_EINVAL, "%s: error: uncertainty: draws missing; expected draws: D (1 to %d) with a posterior "
                "or priors", sec->where, RP_PLAN_MAX_DRAWS);
    char *end = NULL;
    errno = 0;
    const long long n = v->kind == RP_YNODE_SCALAR && !v->quoted ? strtoll(v->text, &end, 10) : 0;
    if (!end || end == v->text || *end || errno || n < 1 || n > RP_PLAN_MAX_DRAWS)
        RP_FAIL(err, RP_EINVAL, "%s: error: uncertainty.draws: expected a whole number of draws, 1 to %d, got %s",
                v->where, RP_PLAN_MAX_DRAWS, rp_yamltree_describe(v, desc, sizeof desc));
    *D = n;
    return RP_OK;
}

int rp_exec_plan_create(const rp_scenario *sc, rp_plan **out, rp_error *err)
{
    int status = rp_plan_create(sc, out, err);
    const rp_ynode *sec = status == RP_OK ? rp_scenario_node(sc, "uncertainty") : NULL;
    if (!sec)
        return status;
    int64_t D = 0;
    const rp_ynode *post = rp_yamltree_get(sec, "posterior"), *priors = rp_yamltree_get(sec, "priors");
    /* the schema has checked the section: a mapping of draws, posterior and priors */
    if (!post == !priors)
        status = rp_status_raise(err, RP_EINVAL, "%s: error: uncertainty: %s; expected one source of draws: "
                                 "posterior: FILE (an abc-smc calibration's) or priors: {KEY: \"uniform(LO, HI)\"}",
                                 post ? post->where : sec->where, post ? "both posterior and priors" :
                                 "neither posterior nor priors");
    else
        status = read_draws(sec, &D, err);
    rp_plan_draws_spec d = {0};
    char *source = status == RP_OK ? malloc(SOURCE_MAX) : NULL;
    if (status == RP_OK && !source)
        status = rp_status_raise(err, RP_ENOMEM, "rapport: error: out of memory");
    if (status == RP_OK)
        status = post ? posterior_draws(sc, post, D, &d, source, err) : prior_draws(sc, priors, D, &d, source, err);
    if (status == RP_OK) {
        d.source = source;
        d.where = sec->where;
        status = rp_plan_set_draws(*out, &d, err);
    }
    free_draws(&d);
    free(source);
    if (status != RP_OK) {
        rp_plan_free(*out);
        *out = NULL;
    }
    return status;
}
