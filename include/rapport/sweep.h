/* sweep.h - executing the runs of a plan on this process (the numbers of a
 * sweep's summary, from the runs' summaries, are stats.h's).
 * exec.h builds on this: the checks, the files, the shards and ranks.
 *
 * A plan's runs (points x replicates) are spread over workers (MPI ranks or
 * Slurm shards: run r belongs to worker r % workers) and, within a process,
 * over OpenMP threads: across runs when runs are many and small (each run on
 * one thread), across pairs when they are few and large (runs one after the
 * other, each on every thread). Every run is a pure function of its
 * parameters and stream, so the results are identical either way. Finished
 * runs go to a callback, one at a time (it writes them to disk); nothing
 * here knows HDF5 or MPI.
 */
#ifndef RP_SWEEP_H
#define RP_SWEEP_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "rapport/observe.h"
#include "rapport/output.h"
#include "rapport/plan.h"
#include "rapport/run.h"
#include "rapport/stats.h"
#include "rapport/status.h"
#include "rapport/summaries.h"

typedef enum { RP_PARALLEL_AUTO = 0, RP_PARALLEL_RUNS, RP_PARALLEL_PAIRS } rp_parallel;

/* Where finished runs go (the output module). For each run: begin, then
 * its trajectories in blocks of pairs (streamed as a large run goes, or whole
 * for a small run), then end with the finished run. The three calls of a run
 * come together, from one thread at a time; runs come in any order. */
typedef struct {
    int (*begin)(void *ctx, const rp_run_id *id, const rp_params *p, rp_error *err);
    rp_trajectory_fn block;
    int (*end)(void *ctx, int64_t index, const rp_run *run, rp_error *err);
    void *ctx;
    unsigned variables; /* trajectory variables wanted (0: none) */
} rp_run_sink;

typedef struct {
    int threads;
    rp_parallel parallel;
    int64_t worker, workers;  /* this process does runs r with r % workers == worker */
    const uint8_t *skip;      /* [runs]: 1 = already done (resume); may be NULL */
    const rp_run_sink *sink;  /* may be NULL */
    const volatile sig_atomic_t *stop;
    void (*progress)(void *ctx, int64_t runs_done, int64_t runs_total, int64_t pair_weeks);
    void *progress_ctx;
} rp_sweep_options;

/* Per-run summaries of the runs done here. */
typedef struct {
    rp_summaries summaries; /* of every run of the plan; done: computed here */
    int64_t pair_weeks;     /* simulated by this process */
} rp_sweep_result;

/* Run this worker's share of the plan. On RP_OK every run of the share that
 * was not skipped is done and in res. RP_EINTR when stopped. */
int rp_sweep_execute(const rp_plan *plan, const rp_sweep_options *opt, rp_sweep_result *res,
                     rp_error *err);

void rp_sweep_result_free(rp_sweep_result *res);

/* Whether the plan's runs are better spread over threads one run each. */
bool rp_sweep_parallel_over_runs(const rp_plan *plan, int threads);

#endif
