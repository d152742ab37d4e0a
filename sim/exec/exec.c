/* exec.c - executing a plan on this process: a single run straight to its
 * file, or this process's share of a sweep through the parts folder and the
 * join; and the replicates of one parameter set (calibration); see exec.h. The order of the checks is the order of the messages a
 * user meets, so it is kept: layout, memory, summaries' memory, disk space,
 * the output path, the folder's lock and kept runs; every rank has checked
 * before any writes. */
#define _POSIX_C_SOURCE 200809L
#include "rapport/exec.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "exec/dist.h"
#include "core/files.h"
#include "core/text.h"
#include "exec/parts.h"
#include "input/input.h"
#include "rapport/output.h"
#include "rapport/run.h"

static double physical_memory(void) { return (double)sysconf(_SC_PHYS_PAGES) * (double)sysconf(_SC_PAGESIZE); }

/* The refusal of a run that needs about need bytes, of "what" (e.g. "sweep
 * point 3: ") at where. */
static int check_need(double need, const char *where, const char *what, rp_error *err)
{
    const double have = physical_memory();
    if (have > 0 && need > 0.9 * have)
        RP_FAIL(err, RP_EINVAL,
                "%s: error: %spopulation too large for memory: about %.1f GiB needed, this machine "
                "has %.1f GiB; expected fewer patients or providers",
                where, what, need / (1 << 30), have / (1 << 30));
    return RP_OK;
}

int rp_exec_check_memory(const rp_params *p, const char *where, rp_error *err)
{
    return check_need(rp_run_bytes(p), where, "", err);
}

static int check_memory(const rp_scenario *sc, rp_error *err)
{
    return rp_exec_check_memory(rp_scenario_params(sc), rp_scenario_where(sc, "patients.count"), err);
}

/* A sweep's point that needs more memory than the scenario itself (its axes
 * move the counts), refused as check_memory refuses the scenario, located at
 * the sweep. Not inlined: a point's parameters would stay on the stack under
 * every run of the sweep. */
__attribute__((noinline)) static int check_points_memory(const rp_scenario *sc, const rp_plan *plan, rp_error *err)
{
    double most = rp_run_bytes(rp_scenario_params(sc));
    int64_t largest = -1;
    for (int64_t point = 0; point < rp_plan_points(plan); point++) {
        rp_params p;
        int status = rp_plan_params(plan, point, &p, err);
        if (status != RP_OK)
            return status;
        const double need = rp_run_bytes(&p);
        if (need > most) {
            most = need;
            largest = point;
        }
    }
    char what[48];
    snprintf(what, sizeof what, "sweep point %lld: ", (long long)largest);
    const char *where = rp_scenario_where(sc, "sweep");
    return largest < 0 ? RP_OK : check_need(most, where ? where : rp_scenario_where(sc, "patients.count"), what, err);
}

void rp_exec_result_free(rp_exec_result *res)
{
    rp_summaries_free(&res->summaries);
    *res = (rp_exec_result){0};
}

char *rp_exec_scenario_text(const rp_scenario *sc)
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

/* The output rule (core/files.h) with the command's inputs: the scenario and
 * every file it extends. */
static int check_output(const rp_exec_options *o, const rp_scenario *sc, rp_error *err)
{
    int n;
    const char *const *files = rp_scenario_files(sc, &n);
    const rp_params *p = rp_scenario_params(sc);
    const char **inputs = malloc((size_t)(n + 2) * sizeof *inputs);
    if (!inputs)
        RP_FAIL(err, RP_ENOMEM, "out of memory");
    for (int i = 0; i < n; i++)
        inputs[i] = files[i];
    /* and the data files, which --force must not overwrite either */
    inputs[n] = p->patients.records ? p->patients.records->path : NULL;
    inputs[n + 1] = p->providers.records ? p->providers.records->path : NULL;
    int status = rp_file_check_output(o->output, o->force, inputs, n + 2, err);
    free(inputs);
    return status;
}

/* The rows of this part's output (a shard's share of the plan): its runs,
 * their pairs and their providers, and the points of its /statistics (a
 * whole sweep's file only). */
typedef struct {
    double runs, pairs, providers, points;
} part_rows;

static part_rows rows_of(const rp_plan *plan, int64_t shards)
{
    part_rows n = {(double)rp_plan_runs(plan), 0, 0, 0};
    for (int64_t point = 0; point < rp_plan_points(plan); point++) {
        rp_params pp;
        rp_error err;
        if (rp_plan_params(plan, point, &pp, &err) == RP_OK) {
            n.pairs += (double)pp.patients.count * (double)rp_plan_replicates(plan);
            n.providers += (double)pp.providers.count * (double)rp_plan_replicates(plan);
        }
    }
    const double s = (double)(shards > 1 ? shards : 1);
    const double points = shards > 1 || rp_plan_runs(plan) < 2 ? 0 : (double)rp_plan_points(plan);
    return (part_rows){n.runs / s, n.pairs / s, n.providers / s, points};
}

/* The estimated size of a file of those rows; summary_only: as
 * --summary-only writes it (no trajectories, no /pairs). */
static double rows_bytes(const rp_params *base, part_rows n, bool summary_only)
{
    rp_params p = *base;
    if (summary_only) {
        p.output.variables = 0;
        p.output.pairs = false;
    }
    return rp_output_bytes(&p, n.runs, n.points, n.pairs, n.providers);
}

double rp_exec_output_bytes(const rp_plan *plan, const rp_params *base, bool summary_only)
{
    return rows_bytes(base, rows_of(plan, 1), summary_only);
}

/* The output's size, estimated before anything runs: over o->max_output it
 * is refused, saying what would shrink it; over the free space (twice it for
 * a sweep, whose parts and joined file coexist while joining) too. */
static int check_size(const rp_exec_options *o, const rp_plan *plan, const rp_params *base, int64_t shards,
                      double copies, rp_error *err)
{
    const part_rows n = rows_of(plan, shards);
    const double bytes = rows_bytes(base, n, false);
    if (o->max_output > 0 && bytes > o->max_output) {
        char est[32], limit[32], brief[32];
        const long long runs = (long long)n.runs;
        const bool giga = bytes >= 1e9;
        RP_FAIL(err, RP_EINVAL, "%s would be about %s (%lld run%s), over the limit of %s (--max-output); expected "
                "--summary-only (about %s), fewer trajectories (output.variables, output.sample, output.every), "
                "output.compression: deflate (about a third), or --max-output %.0f%s to write it",
                o->output, rp_text_size(bytes, est, sizeof est), runs, runs == 1 ? "" : "s",
                rp_text_size(o->max_output, limit, sizeof limit),
                rp_text_size(rows_bytes(base, n, true), brief, sizeof brief), ceil(bytes / (giga ? 1e9 : 1e6)),
                giga ? "G" : "M");
    }
    return rp_output_check_space(o->output, copies * bytes, err);
}

/* How this execution came to be, for its file's root attributes and (through
 * rp_output_origin) its summaries' provenance: the same values for both.
 * part (size >= 64) receives "shard I of N" or "". */
static rp_provenance provenance(const rp_scenario *sc, const rp_plan *plan, const rp_exec_options *o, bool single,
                                char *part)
{
    const int64_t shards = o->shards > 1 ? o->shards : 1;
    part[0] = '\0';
    if (shards > 1)
        snprintf(part, 64, "shard %lld of %lld", (long long)o->shard + 1, (long long)shards);
    return (rp_provenance){o->command_line ? o->command_line : "", rp_scenario_path(sc), "", o->threads,
                           single ? 0 : rp_plan_id(plan), single ? 1 : rp_plan_runs(plan), part,
                           {{NULL, 0, NULL}, {NULL, 0, NULL}}, rp_plan_draws_source(plan), rp_plan_draws(plan)};
}

/* The plan's one run, straight to its file. */
static int exec_single(const rp_scenario *sc, const rp_plan *plan, const rp_exec_options *o, rp_exec_result *res,
                       rp_error *err)
{
    rp_run *run = NULL;
    rp_output *out = NULL;
    char *yaml = NULL;
    int status = check_memory(sc, err);
    const rp_params *p = rp_scenario_params(sc);
    /* the plan's stream of its one run (2^32 under sweep.streams:
     * independent), as a sweep of this one point would use; replicate R
     * takes the R-th stream from there */
    uint64_t stream;
    rp_plan_run(plan, 0, NULL, NULL, &stream);
    rp_run_options ro = {.threads = o->threads, .replicate = stream + o->replicate, .stop = o->stop,
                         .progress = o->run_progress, .progress_ctx = o->progress_ctx};
    if (status == RP_OK && o->output)
        status = check_output(o, sc, err);
    if (status == RP_OK && o->output)
        status = check_size(o, plan, p, 1, 1, err);
    if (status == RP_OK && o->output) {
        yaml = rp_exec_scenario_text(sc);
        char part[64];
        rp_provenance prov = provenance(sc, plan, o, true, part);
        prov.scenario_yaml = yaml ? yaml : "";
        status = yaml ? rp_output_create(o->output, o->force, p, p->horizon, &prov, &out, err)
                      : rp_status_raise(err, RP_ENOMEM, "out of memory");
        if (status == RP_OK)
            status = rp_output_begin_run(out, &(rp_run_id){0, 0, o->replicate, -1, -1}, p, err);
        if (status == RP_OK && rp_output_variables(out)) {
            ro.on_block = rp_output_write_block;
            ro.ctx = out;
            ro.variables = rp_output_variables(out);
        }
    }
    if (status == RP_OK)
        status = rp_run_execute(p, &ro, &run, err);
    if (status == RP_OK && out) {
        status = rp_output_end_run(out, 0, run, err);
        status = status == RP_OK ? rp_output_commit(out, err) : status;
        out = NULL; /* commit frees it, whatever the result */
    }
    rp_output_discard(out);
    if (status == RP_OK)
        status = rp_summaries_init(&res->summaries, 1, &run->summary, err);
    if (status == RP_OK) {
        status = rp_summaries_put(&res->summaries, 0, &run->summary, err);
        memcpy(res->seconds, run->seconds, sizeof res->seconds);
    }
    free(yaml);
    rp_run_free(run);
    return status;
}

/* What every point of a sweep must share: the groups and categorical
 * dimensions of its summaries (its statistics compare runs group by group,
 * and a store holds them once), and for one output file also the other
 * dimensions, the provider groups and the output settings; and the longest
 * horizon and the bytes of a run's summary in the store. Not inlined: its
 * parameters and summaries (86 kB) would stay on the stack under every run
 * of exec_sweep. */
__attribute__((noinline)) static int sweep_shape(const rp_plan *plan, const rp_params *base, bool output,
                                                 int *max_horizon, size_t *summary_bytes, rp_error *err)
{
    *max_horizon = 0;
    rp_summary first, here;
    rp_observe_shape(&first, base);
    *summary_bytes = rp_summaries_value_bytes(&first);
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
        rp_observe_shape(&here, &p);
        if (!rp_summaries_same_shape(&first, &here))
            RP_FAIL(err, RP_EINVAL,
                    "sweep point %lld changes the patient groups or the categorical dimensions; expected the "
                    "scenario's at every point, as its runs are compared group by group (sweep other keys)",
                    (long long)point);
    }
    return RP_OK;
}

/* Run r's summary as the file at path stores it, into s. */
static int read_summary(const char *path, int64_t r, rp_summaries *s, rp_error *err)
{
    rp_summary sum;
    int status = rp_output_read_stored_summary(path, r, &sum, err);
    return status == RP_OK ? rp_summaries_put(s, r, &sum, err) : status;
}

/* Bytes of disk a sweep's file needs on this process: written twice
 * (batches, then the joined file), its share of the shards. */

/* Summaries of runs done elsewhere (a resumed sweep), from the joined file. */
static void fill_summaries(const char *path, rp_summaries *s)
{
    for (int64_t r = 0; r < s->runs; r++) {
        rp_error e;
        if (!s->done[r])
            read_summary(path, r, s, &e);
    }
}

/* --resume on an output that is already there, with no runs kept beside it
 * (a requeued job whose work had in fact finished): a file of this sweep
 * holding exactly this part's runs (every run, or those of this --shard) is
 * the work done: *complete, and res holds the summaries read from it. A
 * file of another sweep, or with another share of its runs, is refused;
 * anything but a regular file is left to the output rule. */
static int resume_complete(const rp_exec_options *o, const rp_plan *plan, const rp_params *base, int64_t workers,
                           int size, rp_sweep_result *res, bool *complete, rp_error *err)
{
    *complete = false;
    struct stat st;
    if (!o->resume || !o->output || stat(o->output, &st) != 0 || !S_ISREG(st.st_mode))
        return RP_OK;
    const int64_t runs = rp_plan_runs(plan);
    rp_summary shape;
    rp_observe_shape(&shape, base);
    uint8_t *in = calloc((size_t)runs, 1); /* the runs the file holds */
    int status = in ? rp_summaries_init(&res->summaries, runs, &shape, err)
                    : rp_status_raise(err, RP_ENOMEM, "out of memory");
    if (status == RP_OK)
        status = rp_output_runs_in(o->output, rp_plan_id(plan), runs, 0, 0, in, err);
    int64_t missing = 0, extra = 0;
    for (int64_t r = 0; status == RP_OK && r < runs; r++) {
        const bool mine = (r % workers) / size == o->shard; /* the runs of this part's workers */
        missing += mine && !in[r];
        extra += !mine && in[r];
    }
    if (status == RP_OK && (missing || extra))
        status = rp_status_raise(err, RP_EINVAL, "%s holds runs of this sweep but not this part's (%lld missing, "
                                 "%lld of another part); expected the output of this part, or --force to "
                                 "replace it", o->output, (long long)missing, (long long)extra);
    for (int64_t r = 0; status == RP_OK && r < runs; r++)
        if (in[r])
            status = read_summary(o->output, r, &res->summaries, err);
    free(in);
    *complete = status == RP_OK;
    return status;
}

/* This process's share of the sweep, through the parts folder. */
static int exec_sweep(const rp_scenario *sc, const rp_plan *plan, const rp_exec_options *o, rp_exec_result *out,
                      rp_error *err)
{
    const int64_t runs = rp_plan_runs(plan), shards = o->shards > 1 ? o->shards : 1;
    const int rank = o->rank, size = o->ranks > 1 ? o->ranks : 1;
    const rp_params *base = rp_scenario_params(sc);
    if (shards > 1 && size > 1)
        RP_FAIL(err, RP_EINVAL, "--shard and mpirun both split the runs; expected one of them");
    if (o->resume && !o->output)
        RP_FAIL(err, RP_EINVAL, "--resume needs -o FILE: the finished runs are kept beside it");
    if (o->replicate)
        RP_FAIL(err, RP_EINVAL, "--replicate picks the stream of a single run; a sweep's replicates are its "
                                "`replicates:` (expected no --replicate)");
    const int64_t workers = shards * size, worker = o->shard * size + rank;
    rp_sweep_result res = {0};
    bool complete;
    int status = rp_dist_agree(resume_complete(o, plan, base, workers, size, &res, &complete, err));
    if (status == RP_OK && complete) {
        out->summaries = res.summaries; /* handed over */
        out->already_complete = true;
        return RP_OK;
    }
    rp_sweep_result_free(&res);
    res = (rp_sweep_result){0};
    if (status != RP_OK)
        return status;
    int max_horizon;
    size_t summary_bytes;
    status = sweep_shape(plan, base, o->output != NULL, &max_horizon, &summary_bytes, err);
    if (status == RP_OK)
        status = check_memory(sc, err);
    if (status == RP_OK)
        status = check_points_memory(sc, plan, err);
    const double have = physical_memory();
    const double summaries = (double)runs * (double)(summary_bytes + 2); /* done and skip flags */
    if (status == RP_OK && have > 0 && summaries > 0.5 * have)
        status = rp_status_raise(err, RP_EINVAL,
                                "%s: error: a sweep of %lld runs: their summaries need about %.1f GiB, this machine "
                                "has %.1f GiB; expected fewer runs (points x replicates)",
                                rp_scenario_where(sc, "replicates"), (long long)runs, summaries / (1 << 30),
                                have / (1 << 30));
    char dir[4096] = "";
    int lock = -1;
    uint8_t *skip = calloc((size_t)runs, 1);
    if (status == RP_OK && !skip)
        status = rp_status_raise(err, RP_ENOMEM, "out of memory");
    if (status == RP_OK && o->output)
        status = check_size(o, plan, base, shards, 2, err);
    if (status == RP_OK && o->output) {
        snprintf(dir, sizeof dir, "%s.parts", o->output);
        status = check_output(o, sc, err);
        if (status == RP_OK && rank == 0) /* the ranks of one job share the folder */
            status = rp_parts_lock(dir, &lock, err);
        if (status == RP_OK)
            status = rp_parts_done(dir, rp_plan_id(plan), runs, workers, skip, err);
        int64_t found = 0;
        for (int64_t r = 0; r < runs; r++)
            found += skip[r];
        if (status == RP_OK && found && !o->resume)
            status = rp_status_raise(err, RP_EINVAL,
                                    "%s holds %lld finished runs of an interrupted sweep; expected --resume to "
                                    "continue it (or remove the folder to start again)",
                                    dir, (long long)found);
    }
    status = rp_dist_agree(status); /* every rank has checked before any writes */
    char *yaml = NULL;
    char part[64];
    rp_provenance prov = provenance(sc, plan, o, false, part);
    rp_parts *parts = NULL;
    rp_run_sink sink;
    if (status == RP_OK && o->output) {
        yaml = rp_exec_scenario_text(sc);
        prov.scenario_yaml = yaml ? yaml : "";
        status = yaml ? rp_parts_open(dir, worker, base, max_horizon, &prov, 2.0, &parts, err)
                      : rp_status_raise(err, RP_ENOMEM, "out of memory");
        sink = rp_parts_sink(parts, base->output.variables);
    }
    if (status == RP_OK) {
        rp_sweep_options so = {.threads = o->threads, .parallel = o->parallel, .worker = worker, .workers = workers,
                               .skip = skip, .sink = parts ? &sink : NULL, .stop = o->stop};
        if (rank == 0) {
            so.progress = o->progress;
            so.progress_ctx = o->progress_ctx;
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
            kept += skip[r] || (res.summaries.done && res.summaries.done[r]);
            mine += r % workers == worker;
        }
        if (closed == RP_OK && o->output)
            rp_status_raise(err, RP_EINTR, "stopped early: %lld of this part's %lld runs are finished and kept in %s; "
                           "continue with the same command and --resume", (long long)kept, (long long)mine, dir);
        else
            rp_status_raise(err, RP_EINTR, "interrupted after %lld of %lld runs; nothing written", (long long)kept,
                           (long long)mine);
    }
    status = rp_dist_agree(status);
    if (status == RP_OK)
        status = rp_dist_gather_summaries(&res.summaries);
    const bool empty_part = shards > 1 && o->shard >= runs; /* more shards than runs */
    if (status == RP_OK && o->output && rank == 0 && empty_part) {
        /* a part with no runs, so that merging all parts still works */
        rp_output *none = NULL;
        status = rp_output_create(o->output, o->force, base, max_horizon, &prov, &none, err);
        if (status == RP_OK)
            status = rp_output_commit(none, err);
        rmdir(dir);
    } else if (status == RP_OK && o->output && rank == 0) {
        status = rp_parts_join(dir, o->shard * size, o->shard * size + size - 1, o->output, o->force, shards == 1,
                               &prov, o->stop, err);
        if (status == RP_EINTR) /* the join keeps every batch */
            rp_status_raise(err, RP_EINTR, "stopped early while joining %s: every run of this part is finished and "
                            "kept in %s; continue with the same command and --resume", o->output, dir);
    }
    status = rp_dist_agree(status);
    out->resumable = status == RP_EINTR && o->output && closed == RP_OK;
    if (status == RP_OK && rank == 0 && o->output && o->resume)
        fill_summaries(o->output, &res.summaries);
    rp_parts_unlock(dir, lock, true);
    if (rank == 0 && dir[0])
        rmdir(dir); /* fails, as it should, while finished runs are kept for --resume */
    if (status != RP_OK && !err->msg[0] && rank == 0)
        rp_status_raise(err, status, "another MPI rank failed (its message is above)");
    if (status == RP_OK)
        out->summaries = res.summaries; /* handed over */
    else
        rp_sweep_result_free(&res);
    free(yaml);
    free(skip);
    return status;
}

bool rp_exec_failed(const int *failed)
{
    return __atomic_load_n(failed, __ATOMIC_SEQ_CST) != RP_OK;
}

void rp_exec_fail(int status, const rp_error *e, int *failed, rp_error *first)
{
#pragma omp critical(rp_exec_first_failure)
    {
        if (!*failed) {
            *first = *e;
            __atomic_store_n(failed, status, __ATOMIC_SEQ_CST); /* read by rp_exec_failed outside the region */
        }
    }
}

/* Replicate r (random stream opt->replicate + r) of p; its summary to *sum. */
static int run_replicate(const rp_params *p, int r, int threads, const rp_exec_options *opt, rp_summary *sum,
                         rp_error *err)
{
    rp_run_options ro = {.threads = threads, .replicate = opt->replicate + (uint64_t)r, .stop = opt->stop};
    rp_run *run = NULL;
    int s = rp_run_execute(p, &ro, &run, err);
    if (s == RP_OK)
        *sum = run->summary;
    rp_run_free(run);
    return s;
}

int rp_exec_replicates(const rp_params *p, int R, const rp_exec_options *opt, rp_summary *sum, rp_error *err)
{
    const int threads = opt->threads > 0 ? opt->threads : 1;
    const int outer = R > 1 ? (threads < R ? threads : R) : 1;
    const int inner = R > 1 ? 1 : threads;
    int failed = RP_OK;
    rp_error first = {{0}};
    if (outer > 1) {
#pragma omp parallel for num_threads(outer) schedule(dynamic, 1)
        for (int r = 0; r < R; r++) {
            if (rp_exec_failed(&failed))
                continue;
            rp_error e = {{0}};
            int s = run_replicate(p, r, inner, opt, &sum[r], &e);
            if (s != RP_OK)
                rp_exec_fail(s, &e, &failed, &first);
        }
    } else {
        /* one replicate: outside any parallel region, so that the run
         * itself spreads over the threads */
        for (int r = 0; r < R && !failed; r++)
            failed = run_replicate(p, r, inner, opt, &sum[r], &first);
    }
    if (failed)
        *err = first;
    return failed;
}

int rp_exec_run(const rp_scenario *sc, const rp_plan *plan, const rp_exec_options *opt, rp_exec_result *res,
                rp_error *err)
{
    *res = (rp_exec_result){.runs = rp_plan_runs(plan)};
    err->msg[0] = '\0'; /* stays empty on a rank whose own steps all succeeded */
    rp_exec_options o = *opt;
    o.threads = o.threads > 0 ? o.threads : 1;
    const int64_t shards = o.shards > 1 ? o.shards : 1, ranks = o.ranks > 1 ? o.ranks : 1;
    if (o.shard < 0 || o.shard >= shards || o.rank < 0 || o.rank >= ranks)
        RP_FAIL(err, RP_EINVAL, "part %lld of %lld shards, rank %d of %d: expected 0 <= part < shards and "
                "0 <= rank < ranks", (long long)o.shard, (long long)o.shards, o.rank, o.ranks);
    if (rp_scenario_node(sc, "uncertainty") && !rp_plan_draws(plan))
        RP_FAIL(err, RP_EINVAL, "%s: error: uncertainty: the plan has no draws; expected the plan of "
                "rp_exec_plan_create, which makes them", rp_scenario_path(sc));
    /* a plan with draws is a sweep even of one run: its draw sets coefficients */
    res->single = res->runs == 1 && o.shards <= 1 && o.ranks <= 1 && !rp_plan_draws(plan);
    int status = res->single ? exec_single(sc, plan, &o, res, err) : exec_sweep(sc, plan, &o, res, err);
    if (status == RP_OK) {
        char part[64];
        const rp_provenance prov = provenance(sc, plan, &o, res->single, part);
        rp_output_origin(rp_scenario_params(sc), &prov, &res->origin);
        if (res->single) {
            res->origin.run = 0;
            res->origin.replicate = o.replicate;
        } else
            res->origin.replicates = rp_plan_replicates(plan);
    }
    if (status != RP_OK) {
        const bool resumable = status == RP_EINTR && res->resumable;
        rp_exec_result_free(res);
        res->resumable = resumable;
    }
    return status;
}
