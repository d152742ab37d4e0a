/* cli_run.c - rapport run: one run, or a sweep on this process (its threads,
 * its shard, its MPI rank), written through batch files and joined; see cli.h. */
#define _POSIX_C_SOURCE 200809L
#include "cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <omp.h>

#include "exec/dist.h"
#include "core/files.h"
#include "exec/parts.h"
#include "rapport/output.h"
#include "rapport/plan.h"
#include "rapport/run.h"
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

/* The resolved scenario as text, for the output file's provenance. */
static char *resolved_yaml(const rp_scenario *sc)
{
    char *text = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&text, &size);
    if (!f)
        return NULL;
    int status = rp_scenario_write_stored_yaml(sc, f);
    if (fclose(f) != 0 || status != RP_OK) {
        free(text);
        return NULL;
    }
    return text;
}

static int run_one(const cli_options *o, rp_scenario *sc, const rp_plan *plan)
{
    rp_error err = {{0}};
    rp_run *run = NULL;
    rp_output *out = NULL;
    char *yaml = NULL;
    progress_state ps = {omp_get_wtime(), omp_get_wtime()};
    int status = cli_check_memory(sc, &err);
    const rp_params *p = rp_scenario_params(sc);
    /* the plan's stream of its one run (2^32 under sweep.streams:
     * independent), as a sweep of this one point would use; --replicate R
     * takes the R-th stream from there */
    uint64_t stream;
    rp_plan_run(plan, 0, NULL, NULL, &stream);
    rp_run_options ro = {.threads = o->threads, .replicate = stream + o->replicate, .stop = &cli_stop_requested};
    if (status == RP_OK && isatty(STDERR_FILENO) && p->patients.count >= 200000) {
        ro.progress = show_progress;
        ro.progress_ctx = &ps;
    }
    if (status == RP_OK && o->output)
        status = rp_file_check_output(o->output, o->force, &o->scenario, 1, &err);
    if (status == RP_OK && o->output)
        status = rp_output_check_space(o->output, rp_output_bytes(p, (double)p->patients.count,
                                                                  (double)p->providers.count), &err);
    if (status == RP_OK && o->output) {
        yaml = resolved_yaml(sc);
        rp_provenance prov = {o->command_line, rp_scenario_path(sc), yaml ? yaml : "", o->threads, 0, 1, ""};
        status = yaml ? rp_output_create(o->output, o->force, p, p->horizon, &prov, &out, &err)
                      : rp_error_raise(&err, RP_ENOMEM, "out of memory");
        if (status == RP_OK)
            status = rp_output_begin_run(out, &(rp_run_id){0, 0, o->replicate, -1, -1}, p, &err);
        if (status == RP_OK && rp_output_variables(out)) {
            ro.on_block = rp_output_write_block;
            ro.ctx = out;
            ro.variables = rp_output_variables(out);
        }
    }
    if (status == RP_OK)
        status = rp_run_execute(p, &ro, &run, &err);
    if (status == RP_OK && out) {
        status = rp_output_end_run(out, 0, run, &err);
        status = status == RP_OK ? rp_output_commit(out, &err) : status;
        out = NULL; /* commit frees it, whatever the result */
    }
    rp_output_discard(out);
    if (status == RP_OK && o->timing)
        fprintf(stderr, "%s: seconds: population %.3f, assignment %.3f, engine %.3f, summary %.3f\n",
                cli_name, run->seconds[0], run->seconds[1], run->seconds[2], run->seconds[3]);
    if (status == RP_OK) {
        char header[512];
        snprintf(header, sizeof header,
                 "rapport %s: %s, seed %llu, replicate %llu, %lld patients, %lld providers, %d weeks%s%s",
                 RP_VERSION, rp_scenario_path(sc), (unsigned long long)p->seed,
                 (unsigned long long)o->replicate, (long long)p->patients.count,
                 (long long)p->providers.count, p->horizon, o->output ? "; written to " : "",
                 o->output ? o->output : "");
        status = cli_print_summary(&run->summary, header, o->json, &err);
    }
    free(yaml);
    rp_run_free(run);
    return status == RP_OK ? EXIT_OK : cli_report(status, &err);
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

/* What every point of a sweep must share for one output file (dimensions,
 * groups, output settings), and the longest horizon. */
static int sweep_shape(const rp_plan *plan, const rp_params *base, bool output, int *max_horizon, rp_error *err)
{
    *max_horizon = 0;
    for (int64_t point = 0; point < rp_plan_points(plan); point++) {
        rp_params p;
        int status = rp_plan_params(plan, point, &p, err);
        if (status != RP_OK)
            return status;
        if (p.horizon > *max_horizon)
            *max_horizon = p.horizon;
        bool same = p.culture.n_dims == base->culture.n_dims && p.patients.n_groups == base->patients.n_groups &&
                    p.providers.n_groups == base->providers.n_groups &&
                    memcmp(&p.output, &base->output, sizeof p.output) == 0;
        for (int k = 0; same && k < p.culture.n_dims; k++)
            same = strcmp(p.culture.dims[k].name, base->culture.dims[k].name) == 0;
        for (int g = 0; same && g < p.patients.n_groups; g++)
            same = strcmp(p.patients.groups[g].name, base->patients.groups[g].name) == 0;
        if (output && !same)
            RP_FAIL(err, RP_EINVAL,
                    "sweep point %lld changes the cultural dimensions, the groups or the output section; "
                    "expected one file's tables to fit every point (sweep other keys, or write no file)",
                    (long long)point);
    }
    return RP_OK;
}

/* Summaries of runs done elsewhere (a resumed sweep), from the joined file. */
static void fill_summaries(const char *path, rp_sweep_result *res)
{
    for (int64_t r = 0; r < res->runs; r++) {
        rp_error e;
        if (!res->done[r] && rp_output_read_stored_summary(path, r, &res->summary[r], &e) == RP_OK)
            res->done[r] = 1;
    }
}

static int run_sweep(const cli_options *o, const rp_ranks *ranks, rp_scenario *sc, const rp_plan *plan, rp_error *err)
{
    const int64_t runs = rp_plan_runs(plan);
    const rp_params *base = rp_scenario_params(sc);
    if (o->shards > 1 && ranks->size > 1)
        RP_FAIL(err, RP_EINVAL, "--shard and mpirun both split the runs; expected one of them");
    if (o->resume && !o->output)
        RP_FAIL(err, RP_EINVAL, "--resume needs -o FILE: the finished runs are kept beside it");
    if (o->replicate)
        RP_FAIL(err, RP_EINVAL, "--replicate picks the stream of a single run; a sweep's replicates are its "
                                "`replicates:` (expected no --replicate)");
    const int64_t workers = o->shards * ranks->size, worker = o->shard * ranks->size + ranks->rank;
    int max_horizon;
    int status = sweep_shape(plan, base, o->output != NULL, &max_horizon, err);
    if (status == RP_OK)
        status = cli_check_memory(sc, err);
    const double have = (double)sysconf(_SC_PHYS_PAGES) * (double)sysconf(_SC_PAGESIZE);
    const double summaries = (double)runs * (sizeof(rp_summary) + 2); /* every run's summary, skip and done flags */
    if (status == RP_OK && have > 0 && summaries > 0.5 * have)
        status = rp_error_raise(err, RP_EINVAL,
                                "%s: error: a sweep of %lld runs: their summaries need about %.1f GiB, this machine "
                                "has %.1f GiB; expected fewer runs (points x replicates)",
                                rp_scenario_where(sc, "replicates"), (long long)runs, summaries / (1 << 30),
                                have / (1 << 30));
    char dir[4096] = "";
    int lock = -1;
    uint8_t *skip = calloc((size_t)runs, 1);
    if (status == RP_OK && !skip)
        status = rp_error_raise(err, RP_ENOMEM, "out of memory");
    if (status == RP_OK && o->output) {
        /* a sweep's file is written twice: batches, then the joined file */
        double pairs = 0, providers = 0;
        for (int64_t point = 0; point < rp_plan_points(plan); point++) {
            rp_params pp;
            if (rp_plan_params(plan, point, &pp, err) == RP_OK) {
                pairs += (double)pp.patients.count * (double)rp_plan_replicates(plan);
                providers += (double)pp.providers.count * (double)rp_plan_replicates(plan);
            }
        }
        status = rp_output_check_space(o->output, 2 * rp_output_bytes(base, pairs, providers) / (double)o->shards, err);
    }
    if (status == RP_OK && o->output) {
        snprintf(dir, sizeof dir, "%s.parts", o->output);
        status = rp_file_check_output(o->output, o->force, &o->scenario, 1, err);
        if (status == RP_OK && ranks->rank == 0) /* the ranks of one job share the folder */
            status = rp_parts_lock(dir, &lock, err);
        if (status == RP_OK)
            status = rp_parts_done(dir, rp_plan_id(plan), runs, workers, skip, err);
        int64_t found = 0;
        for (int64_t r = 0; r < runs; r++)
            found += skip[r];
        if (status == RP_OK && found && !o->resume)
            status = rp_error_raise(err, RP_EINVAL,
                                    "%s holds %lld finished runs of an interrupted sweep; expected --resume to "
                                    "continue it (or remove the folder to start again)",
                                    dir, (long long)found);
    }
    status = rp_dist_agree(status); /* every rank has checked before any writes */
    char *yaml = NULL;
    char part[64] = "";
    if (o->shards > 1)
        snprintf(part, sizeof part, "shard %lld of %lld", (long long)o->shard + 1, (long long)o->shards);
    rp_provenance prov = {o->command_line, rp_scenario_path(sc), "", o->threads, rp_plan_id(plan), runs, part};
    rp_parts *parts = NULL;
    rp_run_sink sink;
    if (status == RP_OK && o->output) {
        yaml = resolved_yaml(sc);
        prov.scenario_yaml = yaml ? yaml : "";
        status = yaml ? rp_parts_open(dir, worker, base, max_horizon, &prov, 2.0, &parts, err)
                      : rp_error_raise(err, RP_ENOMEM, "out of memory");
        sink = rp_parts_sink(parts, base->output.variables);
    }
    rp_sweep_result res = {0};
    progress_state ps = {omp_get_wtime(), omp_get_wtime()};
    if (status == RP_OK) {
        rp_sweep_options so = {.threads = o->threads, .parallel = o->parallel, .worker = worker, .workers = workers,
                               .skip = skip, .sink = parts ? &sink : NULL, .stop = &cli_stop_requested};
        if (isatty(STDERR_FILENO) && ranks->rank == 0) {
            so.progress = show_sweep_progress;
            so.progress_ctx = &ps;
        }
        status = rp_sweep_execute(plan, &so, &res, err);
    }
    rp_error close_err;
    int closed = rp_parts_close(parts, &close_err);
    if (status == RP_OK && closed != RP_OK) {
        status = closed;
        *err = close_err;
    }
    if (status == RP_EINTR) { /* say what was kept, not the pairs of the run that was stopped */
        int64_t kept = 0, mine = 0;
        for (int64_t r = 0; r < runs; r++) {
            kept += skip[r] || (res.done && res.done[r]);
            mine += r % workers == worker;
        }
        if (closed == RP_OK && o->output)
            rp_error_raise(err, RP_EINTR, "interrupted: %lld of this part's %lld runs are finished and kept in %s; "
                           "continue with the same command and --resume", (long long)kept, (long long)mine, dir);
        else
            rp_error_raise(err, RP_EINTR, "interrupted after %lld of %lld runs; nothing written", (long long)kept,
                           (long long)mine);
    }
    status = rp_dist_agree(status);
    if (status == RP_OK)
        status = rp_dist_gather_summaries(runs, res.summary, res.done);
    const bool empty_part = o->shards > 1 && o->shard >= runs; /* more shards than runs */
    if (status == RP_OK && o->output && ranks->rank == 0 && empty_part) {
        /* a part with no runs, so that merging all parts still works */
        rp_output *none = NULL;
        status = rp_output_create(o->output, o->force, base, max_horizon, &prov, &none, err);
        if (status == RP_OK)
            status = rp_output_commit(none, err);
        rmdir(dir);
    } else if (status == RP_OK && o->output && ranks->rank == 0)
        status = rp_parts_join(dir, o->shard * ranks->size, o->shard * ranks->size + ranks->size - 1, o->output,
                               o->force, o->shards == 1, &prov, &cli_stop_requested, err);
    status = rp_dist_agree(status);
    if (status == RP_OK && ranks->rank == 0) {
        if (o->output && o->resume)
            fill_summaries(o->output, &res);
        if (!o->json) {
            printf("rapport %s: %s, seed %llu, %lld points x %lld replicates = %lld runs%s%s%s%s\n\n", RP_VERSION,
                   rp_scenario_path(sc), (unsigned long long)base->seed, (long long)rp_plan_points(plan),
                   (long long)rp_plan_replicates(plan), (long long)runs, part[0] ? ", " : "", part,
                   o->output ? "; written to " : "", o->output ? o->output : "");
            rp_sweep_print_table(plan, res.summary, res.done, stdout);
        } else
            rp_sweep_print_json(plan, res.summary, res.done, stdout);
        if (fflush(stdout) != 0 || ferror(stdout))
            status = rp_error_raise(err, RP_EIO, "cannot write the summary: %s", strerror(errno));
    }
    rp_parts_unlock(dir, lock, true);
    if (ranks->rank == 0 && dir[0])
        rmdir(dir); /* fails, as it should, while finished runs are kept for --resume */
    rp_sweep_result_free(&res);
    free(yaml);
    free(skip);
    return status;
}

static int run_or_sweep(const cli_options *o, const rp_ranks *ranks)
{
    rp_error err = {{0}};
    rp_scenario *sc = NULL;
    rp_plan *plan = NULL;
    int status = cli_load_scenario(o, &sc, &err);
    if (status == RP_OK)
        status = rp_plan_create(sc, &plan, &err);
    int code;
    if (status != RP_OK)
        code = ranks->rank == 0 ? cli_report(status, &err) : cli_exit_code(status);
    else if (rp_plan_runs(plan) == 1 && (o->shards == 1 || o->shard_from_slurm) && ranks->size == 1)
        code = run_one(o, sc, plan); /* one run: nothing to shard or resume (an array task runs it whole) */
    else {
        status = run_sweep(o, ranks, sc, plan, &err);
        code = status == RP_OK ? EXIT_OK : cli_exit_code(status);
        if (status != RP_OK && !err.msg[0] && ranks->rank == 0)
            rp_error_raise(&err, status, "another MPI rank failed (its message is above)");
        if (status != RP_OK && err.msg[0])
            code = cli_report(status, &err);
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
    cli_catch_signals();
    rp_ranks ranks;
    rp_dist_init(&argc, &argv, &ranks);
    code = run_or_sweep(&o, &ranks);
    rp_dist_finalize();
    free(o.command_line);
    return code;
}
