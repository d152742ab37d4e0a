/* calibrate.c - fitting a scenario's coefficients to targets; see calibrate.h.
 *
 * The calibration file is read by calibration_spec.c into the struct of
 * calibration_spec.h; this module evaluates a point of the free values (R
 * replicates of the scenario with them as overrides) and fits them with
 * GSL's simplex. It reads no YAML.
 */
#define _POSIX_C_SOURCE 200809L
#include "rapport/calibrate.h"
#include "core/text.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_multimin.h>
#include <gsl/gsl_vector.h>
#include <omp.h>

#include "rapport/exec.h"
#include "rapport/paramtable.h"
#include "rapport/run.h"
#include "exec/calibration_spec.h"
#include "exec/dist.h"
#include "input/input.h"

/* ---- the calibration ---- */

/* The scenario resolved with x applied, in `show` form. */
static int scenario_with(const rp_calibration *cal, const double *x, FILE *out, rp_error *err)
{
    rp_scenario *sc = NULL;
    int status = rp_scenario_load(cal->scenario_path, &sc, err);
    for (int i = 0; status == RP_OK && x && i < cal->n_free; i++) {
        char assignment[RP_CAL_KEY_MAX + 64];
        snprintf(assignment, sizeof assignment, "%s=%.17g", cal->free[i].key, x[i]);
        status = rp_scenario_set(sc, assignment, err);
    }
    if (status == RP_OK)
        status = rp_scenario_resolve(sc, err);
    if (status == RP_OK && rp_scenario_write_yaml(sc, out) != RP_OK)
        status = rp_status_raise(err, RP_EIO, "cannot write the scenario: %s", strerror(errno));
    rp_scenario_free(sc);
    return status;
}

/* The overrides of an evaluation at x (n free values), texts in text. */
static int overrides(const rp_calibration *cal, const double *x, rp_override *ov, char (*text)[40])
{
    int n = 0;
    for (int i = 0; i < cal->n_free; i++) {
        snprintf(text[i], sizeof text[i], "%.17g", x[i]);
        ov[n++] = (rp_override){cal->free[i].key, NULL, text[i], cal->free[i].where, "free"};
    }
    if (cal->patients) {
        ov[n++] = (rp_override){"patients.count", NULL, cal->patients_text, cal->patients_where, "patients"};
        ov[n++] = (rp_override){"providers.count", NULL, cal->providers_text, cal->patients_where, "patients"};
    }
    return n;
}

/* The parameters of an evaluation at x, in *p (allocated; NULL on failure). */
static int resolve_at(const rp_calibration *cal, const double *x, rp_params **p, rp_error *err)
{
    rp_override ov[RP_CAL_MAX_FREE + 2];
    char text[RP_CAL_MAX_FREE][40];
    const int n = overrides(cal, x, ov, text);
    if (!(*p = malloc(sizeof **p)))
        RP_FAIL(err, RP_ENOMEM, "out of memory");
    return rp_scenario_resolve_with(cal->sc, (size_t)n, ov, *p, err);
}

/* Every point of the box must resolve: check the start now. */
static int check_start(const rp_calibration *cal, rp_error *err)
{
    double x[RP_CAL_MAX_FREE];
    for (int i = 0; i < cal->n_free; i++)
        x[i] = cal->free[i].start;
    rp_params *q;
    int status = resolve_at(cal, x, &q, err);
    free(q);
    return status;
}

static int load(rp_calibration *cal, int status, rp_calibration **out, rp_error *err)
{
    if (status == RP_OK)
        status = check_start(cal, err);
    if (status != RP_OK) {
        rp_calibration_free(cal);
        return status;
    }
    *out = cal;
    return RP_OK;
}

int rp_calibration_load_string(const char *name, const char *text, const char *dir, rp_calibration **out,
                               rp_error *err)
{
    *out = NULL;
    rp_calibration *cal = calloc(1, sizeof *cal);
    if (!cal)
        RP_FAIL(err, RP_ENOMEM, "out of memory");
    return load(cal, rp_cal_spec_read(name, text, dir, cal, err), out, err);
}

int rp_calibration_load(const char *path, rp_calibration **out, rp_error *err)
{
    *out = NULL;
    rp_calibration *cal = calloc(1, sizeof *cal);
    if (!cal)
        RP_FAIL(err, RP_ENOMEM, "out of memory");
    return load(cal, rp_cal_spec_load(path, cal, err), out, err);
}

void rp_calibration_free(rp_calibration *cal)
{
    if (!cal)
        return;
    rp_scenario_free(cal->sc);
    free(cal->path);
    free(cal->text);
    free(cal->scenario_path);
    free(cal);
}

const rp_cal_free *rp_calibration_free_params(const rp_calibration *cal, int *n)
{
    *n = cal->n_free;
    return cal->free;
}

const rp_cal_target *rp_calibration_targets(const rp_calibration *cal, int *n)
{
    *n = cal->n_targets;
    return cal->target;
}

const rp_scenario *rp_calibration_scenario(const rp_calibration *cal) { return cal->sc; }
const char *rp_calibration_path(const rp_calibration *cal) { return cal->path; }
const char *rp_calibration_scenario_path(const rp_calibration *cal) { return cal->scenario_path; }
int rp_calibration_replicates(const rp_calibration *cal) { return cal->replicates; }
long long rp_calibration_patients(const rp_calibration *cal) { return cal->patients; }
rp_cal_method rp_calibration_method(const rp_calibration *cal) { return cal->method; }
const rp_abc_settings *rp_calibration_abc(const rp_calibration *cal) { return &cal->abc; }
const char *rp_calibration_text(const rp_calibration *cal) { return cal->text; }

void rp_calibration_set_target(rp_calibration *cal, int k, double value, double se)
{
    rp_cal_target *tg = &cal->target[k];
    tg->value = value;
    tg->scale = se;
    tg->lo = value - 1.96 * se;
    tg->hi = value + 1.96 * se;
    tg->has_band = false;
}

/* ---- evaluation ---- */

rp_cal_stat rp_cal_stat_of(const double *v, int n)
{
    double sum = 0;
    for (int r = 0; r < n; r++)
        sum += v[r];
    const double mean = sum / n;
    double ss = 0;
    for (int r = 0; r < n; r++)
        ss += (v[r] - mean) * (v[r] - mean);
    return (rp_cal_stat){mean, n > 1 ? sqrt(ss / (n - 1) / n) : NAN};
}

/* A penalty standing for a target the simulation could not measure (NaN):
 * large, but finite, so that the simplex moves away from it. */
#define RP_CAL_PENALTY 1e12

/* Replicates first ... first + count - 1 of cal at x, replicate r on
 * stream stream + r, into sum[0 .. count - 1], over the threads. */
static int run_replicates(const rp_calibration *cal, const double *x, int threads, const volatile sig_atomic_t *stop,
                          uint64_t stream, int64_t first, int64_t count, rp_summary *sum, rp_error *err)
{
    if (count <= 0)
        return RP_OK;
    rp_params *p;
    int status = resolve_at(cal, x, &p, err);
    if (status == RP_OK) /* over the threads (exec.h) */
        status = rp_exec_replicates(p, (int)count,
                                    &(rp_exec_options){.threads = threads, .stop = stop,
                                                       .replicate = stream + (uint64_t)first},
                                    sum, err);
    free(p);
    return status;
}

int rp_cal_run_streams(const rp_calibration *cal, const double *x, int threads, const volatile sig_atomic_t *stop,
                       uint64_t stream, rp_summary *sum, rp_error *err)
{
    return run_replicates(cal, x, threads, stop, stream, 0, cal->replicates, sum, err);
}

int rp_cal_run(const rp_calibration *cal, const double *x, const rp_cal_options *opt, rp_summary *sum, rp_error *err)
{
    const int R = cal->replicates, ranks = opt && opt->ranks > 1 ? opt->ranks : 1;
    int64_t lo, hi;
    rp_dist_block(R, opt ? opt->rank : 0, ranks, &lo, &hi);
    int status = run_replicates(cal, x, opt ? opt->threads : 1, opt ? opt->stop : NULL, 0, lo, hi - lo, sum + lo, err);
    status = rp_dist_agree_error(status, err);
    if (status == RP_OK && (status = rp_dist_allgather_blocks(sum, R, sizeof *sum, ranks)) != RP_OK)
        rp_status_raise(err, status, "the MPI ranks could not exchange their replicates' summaries (%s)",
                        status == RP_ENOMEM ? "out of memory" : "the ranks are not those of this job");
    return status;
}

double rp_cal_target_value(const rp_calibration *cal, int k, const rp_summary *s)
{
    size_t n_obs;
    const rp_observable_def *table = rp_observables_table(&n_obs);
    const rp_cal_target *tg = &cal->target[k];
    return rp_observables_get(tg->group < 0 ? &s->all : &s->group[tg->group], &table[tg->observable]);
}

int rp_calibration_evaluate(const rp_calibration *cal, const double *x, const rp_cal_options *opt, rp_cal_eval *out,
                            rp_error *err)
{
    memset(out, 0, sizeof *out);
    for (int i = 0; i < cal->n_free; i++)
        out->x[i] = x[i];
    const int R = cal->replicates;
    rp_summary *sum = calloc((size_t)R, sizeof *sum);
    double *v = malloc((size_t)R * sizeof *v);
    /* out of memory here: agreed on with the other ranks, which are in rp_cal_run's agreement */
    int status = sum && v ? rp_cal_run(cal, x, opt, sum, err)
                          : rp_dist_agree_error(rp_status_raise(err, RP_ENOMEM, "out of memory"), err);
    if (status == RP_OK) {
        double objective = 0;
        for (int k = 0; k < cal->n_targets; k++) {
            const rp_cal_target *tg = &cal->target[k];
            for (int r = 0; r < R; r++)
                v[r] = rp_cal_target_value(cal, k, &sum[r]);
            out->target[k] = rp_cal_stat_of(v, R);
            const double z = (out->target[k].mean - tg->value) / tg->scale;
            objective += isfinite(z) ? tg->weight * z * z : RP_CAL_PENALTY;
        }
        out->objective = objective;
        out->n_groups = sum[0].n_groups;
        int white = -1;
        for (int g = 0; g < out->n_groups; g++) {
            snprintf(out->group_name[g], RP_NAME_MAX, "%s", sum[0].group_name[g]);
            if (strcmp(sum[0].group_name[g], "white") == 0)
                white = g;
            for (int r = 0; r < R; r++)
                v[r] = sum[r].group[g].dropout;
            out->group_dropout[g] = rp_cal_stat_of(v, R);
        }
        out->minority_ratio = (rp_cal_stat){NAN, NAN};
        if (white >= 0 && out->n_groups > 1) {
            for (int r = 0; r < R; r++) {
                double dropped = 0, pairs = 0;
                for (int g = 0; g < out->n_groups; g++)
                    if (g != white && sum[r].group[g].pairs > 0) {
                        dropped += sum[r].group[g].dropout * (double)sum[r].group[g].pairs;
                        pairs += (double)sum[r].group[g].pairs;
                    }
                v[r] = dropped / pairs / sum[r].group[white].dropout;
            }
            out->minority_ratio = rp_cal_stat_of(v, R);
        }
    }
    free(sum);
    free(v);
    return status;
}

/* ---- the fit ---- */

static double to_unbounded(const rp_cal_free *fr, double x)
{
    const double u = (x - fr->min) / (fr->max - fr->min);
    return log(u / (1 - u));
}

static double to_bounded(const rp_cal_free *fr, double y)
{
    return fr->min + (fr->max - fr->min) / (1 + exp(-y));
}

typedef struct {
    const rp_calibration *cal;
    const rp_cal_options *opt;
    int evaluations;
    int status;
    rp_error err;
    rp_cal_eval *e; /* the evaluation's scratch */
} fit_ctx;

/* Every rank evaluates the same points in the same order (the evaluations
 * are collectives that give every rank the same bits), and a failure is
 * agreed on inside each one: after one, every rank has the same status. */
static double objective_fn(const gsl_vector *y, void *params)
{
    fit_ctx *ctx = params;
    if (ctx->status != RP_OK)
        return RP_CAL_PENALTY;
    double x[RP_CAL_MAX_FREE];
    for (int i = 0; i < ctx->cal->n_free; i++)
        x[i] = to_bounded(&ctx->cal->free[i], gsl_vector_get(y, (size_t)i));
    ctx->evaluations++;
    ctx->status = rp_calibration_evaluate(ctx->cal, x, ctx->opt, ctx->e, &ctx->err);
    return ctx->status == RP_OK && isfinite(ctx->e->objective) ? ctx->e->objective : RP_CAL_PENALTY;
}

/* x rounded to 5 significant digits, kept strictly inside (min, max). */
double rp_cal_round5(const rp_cal_free *fr, double x)
{
    char buf[40];
    snprintf(buf, sizeof buf, "%.5g", x);
    double r = strtod(buf, NULL);
    return r > fr->min && r < fr->max ? r : x;
}

int rp_calibration_fit(const rp_calibration *cal, const rp_cal_options *opt, rp_cal_result *res, rp_error *err)
{
    memset(res, 0, sizeof *res);
    const double t0 = omp_get_wtime();
    const size_t n = (size_t)cal->n_free;
    fit_ctx ctx = {cal, opt, 0, RP_OK, {{0}}, malloc(sizeof(rp_cal_eval))};
    gsl_multimin_function fn = {objective_fn, n, &ctx};
    gsl_vector *y = gsl_vector_alloc(n), *step = gsl_vector_alloc(n);
    gsl_multimin_fminimizer *m = gsl_multimin_fminimizer_alloc(gsl_multimin_fminimizer_nmsimplex2, n);
    int cap = 64;
    res->history = malloc((size_t)cap * sizeof *res->history);
    const int ready =
        y && step && m && res->history && ctx.e ? RP_OK : rp_status_raise(err, RP_ENOMEM, "out of memory");
    if (rp_dist_agree_error(ready, err) != RP_OK) { /* under MPI: every rank, or none, goes on */
        gsl_vector_free(y);
        gsl_vector_free(step);
        if (m)
            gsl_multimin_fminimizer_free(m);
        free(ctx.e);
        rp_calibration_result_free(res);
        return RP_ENOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        gsl_vector_set(y, i, to_unbounded(&cal->free[i], cal->free[i].start));
        gsl_vector_set(step, i, 0.5); /* a step of 0.5 in logit: about an eighth of the range from the middle */
    }
    int status = RP_OK;
    int gs = gsl_multimin_fminimizer_set(m, &fn, y, step);
    if (ctx.status != RP_OK)
        status = ctx.status;
    else if (gs != GSL_SUCCESS)
        status = rp_status_raise(err, RP_EFAIL, "the simplex could not start: %s", gsl_strerror(gs));
    while (status == RP_OK && !res->converged && ctx.evaluations < cal->evaluations) {
        /* a stop on any rank stops every rank here (or inside an evaluation) */
        if ((status = rp_dist_agree(opt && opt->stop && *opt->stop ? RP_EINTR : RP_OK)) != RP_OK) {
            rp_status_raise(err, RP_EINTR, "interrupted");
            break;
        }
        gs = gsl_multimin_fminimizer_iterate(m);
        if (ctx.status != RP_OK) {
            status = ctx.status;
            break;
        }
        if (gs != GSL_SUCCESS) {
            status = rp_status_raise(err, RP_EFAIL, "the simplex failed: %s", gsl_strerror(gs));
            break;
        }
        const double size = gsl_multimin_fminimizer_size(m);
        if (res->iterations == cap) {
            cap *= 2;
            rp_cal_step *h = realloc(res->history, (size_t)cap * sizeof *h);
            if (h)
                res->history = h;
            if ((status = rp_dist_agree_error(h ? RP_OK : rp_status_raise(err, RP_ENOMEM, "out of memory"), err)))
                break;
        }
        rp_cal_step *s = &res->history[res->iterations++];
        s->iteration = res->iterations;
        s->evaluations = ctx.evaluations;
        s->objective = gsl_multimin_fminimizer_minimum(m);
        s->size = size;
        for (size_t i = 0; i < n; i++)
            s->x[i] = to_bounded(&cal->free[i], gsl_vector_get(m->x, i));
        if (opt && opt->on_step)
            opt->on_step(opt->ctx, cal, s);
        res->converged = gsl_multimin_test_size(size, cal->tolerance) == GSL_SUCCESS;
    }
    if (status != RP_OK && ctx.status != RP_OK && status == ctx.status)
        *err = ctx.err;
    if (status == RP_OK) {
        double x[RP_CAL_MAX_FREE];
        for (size_t i = 0; i < n; i++)
            x[i] = rp_cal_round5(&cal->free[i], to_bounded(&cal->free[i], gsl_vector_get(m->x, i)));
        status = rp_calibration_evaluate(cal, x, opt, &res->final, err);
        ctx.evaluations++;
    }
    if (status == RP_EINTR) /* stopped between evaluations or inside one */
        rp_status_raise(err, RP_EINTR, "interrupted after %d of at most %d evaluations; nothing written (a "
                        "calibration keeps no checkpoint: run it again)", ctx.evaluations, cal->evaluations);
    res->evaluations = ctx.evaluations;
    res->seconds = omp_get_wtime() - t0;
    free(ctx.e);
    gsl_multimin_fminimizer_free(m);
    gsl_vector_free(y);
    gsl_vector_free(step);
    if (status != RP_OK)
        rp_calibration_result_free(res);
    return status;
}

void rp_calibration_result_free(rp_cal_result *res)
{
    free(res->history);
    res->history = NULL;
}

int rp_calibration_write_scenario(const rp_calibration *cal, const double *x, FILE *out, rp_error *err)
{
    int status = scenario_with(cal, x, out, err);
    if (status == RP_OK && (fflush(out) != 0 || ferror(out)))
        status = rp_status_raise(err, RP_EIO, "cannot write the scenario: %s", strerror(errno));
    return status;
}

/* ---- what the report shows ---- */

bool rp_calibration_target_in_band(const rp_cal_target *tg, double simulated)
{
    return simulated >= tg->lo && simulated <= tg->hi;
}

long long rp_calibration_providers(const rp_calibration *cal)
{
    return cal->patients ? strtoll(cal->providers_text, NULL, 10) : 0;
}
