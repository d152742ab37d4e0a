/* sweep.c - running a plan's runs on this process; see sweep.h.
 *
 * Load: up to ~10^6 runs of ~10^3 pairs, or a few runs of ~10^6 pairs. The
 * per-run cost outside the engine (parameters, allocation, assignment,
 * summary) is what decides the small-run case, so a run's arrays are
 * allocated per run but nothing is recomputed that the plan already knows.
 */
#include "rapport/sweep.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <omp.h>

/* Runs of at most this many patients go one per thread when there are
 * enough of them; larger runs use every thread inside the run. */
#define SMALL_RUN_PATIENTS 50000

bool rp_sweep_parallel_over_runs(const rp_plan *plan, int threads)
{
    if (threads < 2 || rp_plan_runs(plan) < 2 * threads)
        return false;
    rp_params p;
    rp_error err;
    int64_t largest = 0;
    const int64_t points = rp_plan_points(plan);
    const int64_t step = points > 64 ? points / 64 : 1; /* a sample of points is enough */
    for (int64_t i = 0; i < points; i += step)
        if (rp_plan_params(plan, i, &p, &err) == RP_OK && p.patients.count > largest)
            largest = p.patients.count;
    return largest <= SMALL_RUN_PATIENTS;
}

void rp_sweep_result_free(rp_sweep_result *res)
{
    free(res->summary);
    free(res->done);
    *res = (rp_sweep_result){0};
}

/* One run, start to end, its results to the sink. `inner` threads inside
 * the run; `whole` keeps the trajectories to hand over in one go (a run on
 * one thread of many, whose sink calls must not interleave with others'). */
static int one_run(const rp_plan *plan, const rp_sweep_options *opt, int64_t r, int inner, bool whole,
                   rp_sweep_result *res, rp_error *err)
{
    int64_t point;
    uint64_t replicate, stream;
    rp_params p;
    rp_plan_run(plan, r, &point, &replicate, &stream);
    int status = rp_plan_params(plan, point, &p, err); /* pure: no lock */
    if (status != RP_OK)
        return status;
    const rp_run_sink *sink = opt->sink;
    rp_run_options ro = {.threads = inner, .replicate = stream, .stop = opt->stop};
    if (sink && sink->variables) {
        ro.variables = sink->variables;
        if (whole)
            ro.keep_trajectory = true;
        else {
            ro.on_block = sink->block;
            ro.ctx = sink->ctx;
        }
    }
    rp_run *run = NULL;
    rp_run_id id = {r, point, replicate, -1, -1};
    rp_plan_saltelli(plan, point, &id.saltelli_sample, &id.saltelli_matrix);
    if (sink && !whole && (status = sink->begin(sink->ctx, &id, &p, err)) != RP_OK)
        return status;
    status = rp_run_execute(&p, &ro, &run, err);
    if (status == RP_OK && sink) {
#pragma omp critical(rp_sweep_sink)
        {
            if (whole)
                status = sink->begin(sink->ctx, &id, &p, err);
            if (status == RP_OK && whole && sink->variables)
                status = sink->block(sink->ctx, &run->trajectory, run->outcomes, err);
            if (status == RP_OK)
                status = sink->end(sink->ctx, r, run, err);
        }
    }
    if (status == RP_OK) {
        res->summary[r] = run->summary;
        res->done[r] = 1;
        int64_t weeks = 0;
        for (int64_t i = 0; i < run->outcomes->n; i++)
            weeks += run->outcomes->exit_week[i];
#pragma omp atomic
        res->pair_weeks += weeks;
    }
    rp_run_free(run);
    return status;
}

int rp_sweep_execute(const rp_plan *plan, const rp_sweep_options *opt, rp_sweep_result *res, rp_error *err)
{
    const int64_t runs = rp_plan_runs(plan), workers = opt->workers > 0 ? opt->workers : 1;
    *res = (rp_sweep_result){.runs = runs};
    res->summary = calloc((size_t)runs, sizeof *res->summary);
    res->done = calloc((size_t)runs, 1);
    if (!res->summary || !res->done) {
        rp_sweep_result_free(res);
        RP_FAIL(err, RP_ENOMEM, "out of memory for the summaries of %lld runs", (long long)runs);
    }
    /* This worker's runs, in run order, less those already done. */
    int64_t *mine = malloc((size_t)(runs / workers + 1) * sizeof *mine), n = 0;
    if (!mine) {
        rp_sweep_result_free(res);
        RP_FAIL(err, RP_ENOMEM, "out of memory");
    }
    /* r + workers can overflow for a huge worker count; runs - r cannot */
    for (int64_t r = opt->worker; r >= 0 && r < runs; r = runs - r > workers ? r + workers : runs)
        if (!opt->skip || !opt->skip[r])
            mine[n++] = r;

    const bool over_runs = opt->parallel == RP_PARALLEL_RUNS ||
                           (opt->parallel == RP_PARALLEL_AUTO && rp_sweep_parallel_over_runs(plan, opt->threads));
    int status = RP_OK;
    int64_t done = 0;
    if (over_runs) {
        rp_error first = {{0}};
        int64_t first_run = -1;
#pragma omp parallel for schedule(dynamic, 1) num_threads(opt->threads)
        for (int64_t k = 0; k < n; k++) {
            int st = RP_OK;
            rp_error e;
#pragma omp atomic read
            st = status;
            if (st != RP_OK || (opt->stop && *opt->stop))
                continue;
            st = one_run(plan, opt, mine[k], 1, true, res, &e);
#pragma omp critical(rp_sweep_status)
            {
                if (st != RP_OK && (first_run < 0 || mine[k] < first_run)) {
                    first_run = mine[k];
                    first = e;
                    status = st;
                }
                done++;
                if (opt->progress)
                    opt->progress(opt->progress_ctx, done, n, res->pair_weeks);
            }
        }
        if (status != RP_OK && err)
            *err = first;
    } else {
        for (int64_t k = 0; k < n && status == RP_OK; k++) {
            if (opt->stop && *opt->stop)
                break;
            status = one_run(plan, opt, mine[k], opt->threads, false, res, err);
            if (status == RP_OK && opt->progress)
                opt->progress(opt->progress_ctx, k + 1, n, res->pair_weeks);
        }
    }
    free(mine);
    if (status == RP_OK && opt->stop && *opt->stop)
        status = rp_error_raise(err, RP_EINTR, "interrupted; finished runs are kept for --resume");
    return status;
}

/* ---- the summary of a sweep ---- */

/* Mean and standard error over replicates of point (or of the paired
 * difference point - 0 when paired), for observable f of group g (-1: all):
 * the table's RP_REDUCE_MEAN_SE, over the replicates where it is defined. */
static void stats(const rp_plan *plan, const rp_summary *s, const uint8_t *done, int64_t point, bool paired,
                  const rp_observable_def *f, int g, double *mean, double *se)
{
    const int64_t R = rp_plan_replicates(plan);
    double sum = 0, sumsq = 0;
    int64_t k = 0;
    for (int64_t r = 0; r < R; r++) {
        if (!done[point * R + r] || (paired && !done[r]))
            continue;
        const rp_summary *a = &s[point * R + r], *b = &s[r];
        double v = rp_observables_get(g < 0 ? &a->all : &a->group[g], f);
        if (paired)
            v -= rp_observables_get(g < 0 ? &b->all : &b->group[g], f);
        if (isnan(v))
            continue;
        sum += v;
        sumsq += v * v;
        k++;
    }
    *mean = k ? sum / (double)k : NAN;
    *se = k > 1 ? sqrt(fmax(sumsq - sum * sum / (double)k, 0) / (double)(k - 1) / (double)k) : NAN;
}

/* A done run of point (for its group names), or NULL. */
static const rp_summary *any_run(const rp_plan *plan, const rp_summary *s, const uint8_t *done, int64_t point)
{
    const int64_t R = rp_plan_replicates(plan);
    for (int64_t r = 0; r < R; r++)
        if (done[point * R + r])
            return &s[point * R + r];
    return NULL;
}

/* "discussion.policy=intake trust.rate=0.1" */
static void point_label(const rp_plan *plan, int64_t point, char *buf, size_t size)
{
    const char *const *names;
    const int axes = rp_plan_axes(plan, &names);
    size_t used = 0;
    buf[0] = '\0';
    for (int a = 0; a < axes && used < size; a++)
        used += (size_t)snprintf(buf + used, size - used, "%s%s=%s", a ? " " : "", names[a],
                                 rp_plan_value_text(plan, point, a));
    if (!axes)
        snprintf(buf, size, "(no sweep)");
}

/* One cell of the table: "-" where the value is undefined (one replicate has
 * no standard error; a group with no pairs has no share), never "nan". */
static void cell(FILE *f, const char *fmt, int width, double v)
{
    if (isnan(v))
        fprintf(f, " %*s", width, "-");
    else
        fprintf(f, fmt, v);
}

static void row(FILE *f, const rp_plan *plan, const rp_summary *s, const uint8_t *done, int64_t point,
                const rp_observable_def *o, int g)
{
    double m, e;
    stats(plan, s, done, point, false, o, g, &m, &e);
    fprintf(f, "  %-22s", o->name);
    cell(f, " %12.5g", 12, m);
    cell(f, " %10.3g", 10, e);
    if (point > 0) {
        stats(plan, s, done, point, true, o, g, &m, &e);
        cell(f, " %+14.5g", 14, m);
        cell(f, " %10.3g", 10, e);
    }
}

void rp_sweep_print_table(const rp_plan *plan, const rp_summary *s, const uint8_t *done, FILE *f)
{
    const int64_t P = rp_plan_points(plan), R = rp_plan_replicates(plan);
    size_t n;
    const rp_observable_def *table = rp_observables_table(&n), *dropout = rp_observables_find("dropout");
    char label[512];
    for (int64_t point = 0; point < P; point++) {
        int64_t here = 0; /* replicates run by this process (a shard holds some) */
        for (int64_t r = 0; r < R; r++)
            here += done[point * R + r];
        point_label(plan, point, label, sizeof label);
        if (here < R)
            fprintf(f, "point %lld: %s (%lld of %lld replicates in this part)\n", (long long)point, label,
                    (long long)here, (long long)R);
        else
            fprintf(f, "point %lld: %s (%lld replicates)\n", (long long)point, label, (long long)R);
        if (!here)
            continue;
        fprintf(f, "  %-22s %12s %10s", "observable", "mean", "se");
        if (point > 0)
            fprintf(f, " %14s %10s", "paired diff", "se");
        fprintf(f, "\n");
        for (size_t k = 0; k < n; k++) {
            row(f, plan, s, done, point, &table[k], -1);
            fprintf(f, "\n");
        }
        const rp_summary *any = any_run(plan, s, done, point);
        for (int g = 0; any && g < any->n_groups; g++) {
            row(f, plan, s, done, point, dropout, g);
            fprintf(f, "   %s\n", any->group_name[g]);
        }
    }
    if (P > 1)
        fprintf(f, "paired diff: the point minus point 0, replicate by replicate\n");
}

void rp_sweep_print_json(const rp_plan *plan, const rp_summary *s, const uint8_t *done, FILE *f)
{
    const int64_t P = rp_plan_points(plan), R = rp_plan_replicates(plan);
    const char *const *names;
    const int axes = rp_plan_axes(plan, &names);
    size_t n;
    const rp_observable_def *table = rp_observables_table(&n), *dropout = rp_observables_find("dropout");
    fprintf(f, "{\n  \"points\": %lld,\n  \"replicates\": %lld,\n  \"by_point\": [", (long long)P, (long long)R);
    for (int64_t point = 0; point < P; point++) {
        fprintf(f, "%s\n    {\"point\": %lld, \"values\": {", point ? "," : "", (long long)point);
        for (int a = 0; a < axes; a++) {
            fprintf(f, "%s", a ? ", " : "");
            rp_observe_json_string(f, names[a]);
            fprintf(f, ": ");
            rp_observe_json_string(f, rp_plan_value_text(plan, point, a));
        }
        fprintf(f, "}");
        for (int paired = 0; paired <= (point > 0); paired++) {
            fprintf(f, ",\n     \"%s\": {", paired ? "paired_difference" : "mean");
            for (size_t k = 0; k < n; k++) {
                double m, e;
                stats(plan, s, done, point, paired, &table[k], -1, &m, &e);
                fprintf(f, "%s\"%s\": ", k ? ", " : "", table[k].name);
                rp_observe_json_number(f, m);
                fprintf(f, ", \"%s_se\": ", table[k].name);
                rp_observe_json_number(f, e);
            }
            const rp_summary *any = any_run(plan, s, done, point);
            fprintf(f, ", \"dropout_by_group\": {");
            for (int g = 0; any && g < any->n_groups; g++) {
                double m, e;
                stats(plan, s, done, point, paired, dropout, g, &m, &e);
                fprintf(f, "%s", g ? ", " : "");
                rp_observe_json_string(f, any->group_name[g]);
                fprintf(f, ": ");
                rp_observe_json_number(f, m);
            }
            fprintf(f, "}}");
        }
        fprintf(f, "}");
    }
    fprintf(f, "\n  ]\n}\n");
}
