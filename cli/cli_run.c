/* cli_run.c - rapport run: the options to rp_exec_run (exec.h: one run, or
 * a sweep on this process's threads, shard and MPI rank), progress on a
 * terminal, and the summary printed; see cli.h. */
#define _POSIX_C_SOURCE 200809L
#include "cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <omp.h>

#include "exec/dist.h"
#include "rapport/exec.h"
#include "rapport/plan.h"
#include "version.h"

/* Progress on stderr, only when it is a terminal and the run is long enough
 * to want it: pairs done, pair rate, time left. */
typedef struct {
    double start, last;
} progress_state;

static void show_progress(void *ctx, int64_t done, int64_t total)
{
    progress_state *ps = ctx;
    const double now = omp_get_wtime();
    if (now - ps->last < 0.5 && done < total)
        return;
    ps->last = now;
    const double rate = done / (now - ps->start + 1e-9);
    fprintf(stderr, "\r%s: %lld of %lld pairs (%.0f%%), %.3g pairs/s, %.0f s left   ", cli_name,
            (long long)done, (long long)total, 100.0 * done / total, rate, (total - done) / rate);
    if (done == total)
        fputc('\n', stderr);
}

/* Progress of a sweep on stderr (a terminal only): runs, pair-weeks per
 * second, time left. */
static void show_sweep_progress(void *ctx, int64_t done, int64_t total, int64_t pair_weeks)
{
    progress_state *ps = ctx;
    const double now = omp_get_wtime();
    if (now - ps->last < 0.5 && done < total)
        return;
    ps->last = now;
    const double elapsed = now - ps->start + 1e-9;
    fprintf(stderr, "\r%s: %lld of %lld runs, %.3g pair-weeks/s, %.0f s left   ", cli_name, (long long)done,
            (long long)total, pair_weeks / elapsed, elapsed / done * (total - done));
    if (done == total)
        fputc('\n', stderr);
}

/* A single run's summary, under a header naming the run. */
static int print_run(const cli_options *o, const rp_scenario *sc, const rp_exec_result *res, rp_error *err)
{
    const rp_params *p = rp_scenario_params(sc);
    char header[512];
    snprintf(header, sizeof header,
             "rapport %s: %s, seed %llu, replicate %llu, %lld patients, %lld providers, %d weeks%s%s", RP_VERSION,
             rp_scenario_path(sc), (unsigned long long)p->seed, (unsigned long long)o->replicate,
             (long long)p->patients.count, (long long)p->providers.count, p->horizon,
             o->output ? "; written to " : "", o->output ? o->output : "");
    rp_summary sum;
    rp_summaries_get(&res->summaries, 0, &sum);
    return cli_print_summary(&sum, &res->origin, header, o->json, err);
}

/* A sweep's summary (of this part), the header naming the sweep. */
static int print_sweep(const cli_options *o, const rp_scenario *sc, const rp_plan *plan, const rp_exec_result *res,
                       rp_error *err)
{
    if (o->json)
        cli_print_sweep_json(plan, &res->summaries, &res->origin, stdout);
    else {
        char part[64] = "";
        if (o->shards > 1)
            snprintf(part, sizeof part, ", shard %lld of %lld", (long long)o->shard + 1, (long long)o->shards);
        char draws[48] = "";
        if (rp_plan_draws(plan))
            snprintf(draws, sizeof draws, " x %lld draws", (long long)rp_plan_draws(plan));
        printf("rapport %s: %s, seed %llu, %lld points%s x %lld replicates = %lld runs%s%s%s\n\n", RP_VERSION,
               rp_scenario_path(sc), (unsigned long long)rp_scenario_params(sc)->seed,
               (long long)rp_plan_points(plan), draws, (long long)rp_plan_draw_replicates(plan),
               (long long)rp_plan_runs(plan), part, o->output ? "; written to " : "", o->output ? o->output : "");
        cli_print_sweep_table(plan, &res->summaries, stdout);
    }
    if (fflush(stdout) != 0 || ferror(stdout))
        RP_FAIL(err, RP_EIO, "cannot write the summary: %s", strerror(errno));
    return RP_OK;
}

/* Execute the plan (exec.h) and print its summary: a run's, or a sweep's on rank 0. */
static int execute(const cli_options *o, const rp_ranks *ranks, const rp_scenario *sc, const rp_plan *plan,
                   bool *resumable, rp_error *err)
{
    const rp_params *p = rp_scenario_params(sc);
    progress_state ps = {omp_get_wtime(), omp_get_wtime()};
    rp_exec_options eo = {.threads = o->threads, .parallel = o->parallel, .shard = o->shard, .shards = o->shards,
                          .rank = ranks->rank, .ranks = ranks->size, .output = o->output, .force = o->force,
                          .resume = o->resume, .max_output = o->max_output, .replicate = o->replicate,
                          .command_line = o->command_line,
                          .stop = &cli_stop_requested, .progress_ctx = &ps};
    if (rp_plan_runs(plan) == 1 && o->shard_from_slurm) {
        eo.shard = 0; /* an array task runs a one-run plan whole */
        eo.shards = 1;
    }
    if (isatty(STDERR_FILENO)) {
        eo.progress = show_sweep_progress;
        if (p->patients.count >= 200000)
            eo.run_progress = show_progress;
    }
    rp_exec_result res;
    int status = rp_exec_run(sc, plan, &eo, &res, err);
    *resumable = status == RP_EINTR && res.resumable;
    if (status == RP_OK && res.single && o->timing)
        fprintf(stderr, "%s: seconds: population %.3f, assignment %.3f, engine %.3f, summary %.3f\n", cli_name,
                res.seconds[0], res.seconds[1], res.seconds[2], res.seconds[3]);
    if (status == RP_OK && res.already_complete && ranks->rank == 0)
        fprintf(stderr, "%s: %s is complete: every run of this sweep%s is in it, nothing to resume\n", cli_name,
                o->output, o->shards > 1 ? " part" : "");
    if (status == RP_OK && ranks->rank == 0)
        status = res.single ? print_run(o, sc, &res, err) : print_sweep(o, sc, plan, &res, err);
    rp_exec_result_free(&res);
    return status;
}

static int run_or_sweep(const cli_options *o, const rp_ranks *ranks)
{
    rp_error err = {{0}};
    rp_scenario *sc = NULL;
    rp_plan *plan = NULL;
    int status = cli_load_scenario(o, &sc, &err);
    if (status == RP_OK)
        status = rp_exec_plan_create(sc, &plan, &err);
    int code;
    if (status != RP_OK)
        code = ranks->rank == 0 ? cli_report(status, &err) : cli_exit_code(status);
    else {
        bool resumable;
        status = execute(o, ranks, sc, plan, &resumable, &err);
        if (resumable) /* 75, every rank: a batch script requeues the job on it; one line, rank 0's */
            code = ranks->rank == 0 && err.msg[0] ? cli_report_resumable(&err) : EXIT_RESUMABLE;
        else
            code = status != RP_OK && err.msg[0] ? cli_report(status, &err) : cli_exit_code(status);
    }
    rp_plan_free(plan);
    rp_scenario_free(sc);
    return code;
}

/* rapport run SCENARIO [OPTIONS]: one run, or a sweep over this process's
 * share of the runs (its shard, its MPI rank). */
int cli_run(int argc, char **argv)
{
    cli_options o;
    int code = cli_parse_options(argc - 1, argv + 1, true, &o);
    if (code != EXIT_OK)
        return code;
    o.command_line = cli_command_line(argc, argv);
    if (!o.command_line) {
        cli_error("out of memory");
        return EXIT_RUNTIME;
    }
    rp_ranks ranks;
    rp_dist_init(&argc, &argv, &ranks);
    code = run_or_sweep(&o, &ranks);
    rp_dist_finalize();
    free(o.command_line);
    return code;
}
