/* sweep.c - running a plan's runs on this process; see sweep.h.
 *
 * Load: up to ~10^6 runs of ~10^3 pairs, or a few runs of ~10^6 pairs. The
 * per-run cost outside the engine (parameters, allocation, assignment,
 * summary) is what decides the small-run case, so a run's arrays are
 * allocated per run but nothing is recomputed that the plan already knows.
 */
#include "rapport/sweep.h"

#include <stdlib.h>

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
    rp_summaries_free(&res->summaries);
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
    int status = rp_plan_run_params(plan, r, &p, err); /* pure: no lock */
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
    if (status == RP_OK)
        status = rp_summaries_put(&res->summaries, r, &run->summary, err);
    if (status == RP_OK) {
        int64_t weeks = 0;
        for (int64_t i = 0; i < run->outcomes->n; i++)
            weeks += run->outcomes->exit_week[i];
#pragma omp atomic
        res->pair_weeks += weeks;
    }
    rp_run_free(run);
    return status;
}

/* A store for the plan's runs, shaped as its first point's (put checks
 * every run's). Not inlined: its parameters (75 kB) would stay on the stack
 * under every run. */
__attribute__((noinline)) static int plan_summaries(const rp_plan *plan, rp_summaries *s, rp_error *err)
{
    rp_params p;
    rp_summary shape;
    int status = rp_plan_params(plan, 0, &p, err);
    if (status != RP_OK)
        return status;
    rp_observe_shape(&shape, &p);
    return rp_summaries_init(s, rp_plan_runs(plan), &shape, err);
}

int rp_sweep_execute(const rp_plan *plan, const rp_sweep_options *opt, rp_sweep_result *res, rp_error *err)
{
    const int64_t runs = rp_plan_runs(plan), workers = opt->workers > 0 ? opt->workers : 1;
    *res = (rp_sweep_result){0};
    int status = plan_summaries(plan, &res->summaries, err);
    if (status != RP_OK)
        return status;
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
        status = rp_status_raise(err, RP_EINTR, "interrupted; finished runs are kept for --resume");
    return status;
}
