/* exec.h - executing a scenario's plan, as `rapport run` does: where its
 * runs go (this process's threads, its shard of --shard I/N or of a Slurm job
 * array, its MPI rank), the checks made before anything runs (the layout,
 * memory, disk space, the output path), the output file of a single run or
 * the parts folder of a sweep's (its lock, the runs kept by an interrupted
 * sweep for resume), the agreement of the ranks after each collective step,
 * and the join of the parts into one file. The command line parses, calls
 * rp_exec_run and prints; a program using the library does the same.
 *
 * A plan of one run, not split (shards <= 1, ranks <= 1), is a single run:
 * written straight to its file (no parts, no resume), on the stream of the
 * plan's run plus `replicate`. Anything else runs this process's share of
 * the sweep (sweep.h) through batch files beside the output, which the last
 * step joins: OUT.h5.parts/, removed when done. Every run is a pure function
 * of its parameters and stream, so the files and summaries never depend on
 * the threads, shards or ranks.
 *
 * The options mirror those of `rapport run`, and so do the messages, which
 * name them (--shard, --resume, -o FILE). MPI, when the program started it,
 * is reached only through sim/dist.h; this module calls no MPI itself.
 */
#ifndef RP_EXEC_H
#define RP_EXEC_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "rapport/observe.h"
#include "rapport/output.h"
#include "rapport/params.h"
#include "rapport/plan.h"
#include "rapport/scenario.h"
#include "rapport/status.h"
#include "rapport/summaries.h"
#include "rapport/sweep.h"

typedef struct {
    int threads; /* >= 1 */
    rp_parallel parallel;
    int64_t shard, shards; /* this process does part `shard` (0-based) of `shards`; 0 or 1 shards: the whole */
    int rank, ranks;       /* this process's MPI rank and the job's ranks (0 and 0 or 1: one process) */
    const char *output;    /* FILE.h5 to write, or NULL: no file */
    bool force;            /* output may replace an existing file */
    bool resume;           /* keep the finished runs an interrupted sweep left beside output */
    double max_output;     /* refuse, before anything runs, an output estimated larger (bytes); 0: no limit */
    uint64_t replicate;    /* a single run: added to its stream (--replicate); a sweep: must be 0 */
    const char *command_line; /* recorded in the file (may be NULL) */
    const volatile sig_atomic_t *stop; /* optional: non-zero stops with RP_EINTR, finished runs kept */
    /* Optional progress, on rank 0: a sweep's runs (done, of this process's
     * share, pair-weeks simulated), or a single run's pairs. */
    void (*progress)(void *ctx, int64_t runs_done, int64_t runs_total, int64_t pair_weeks);
    void (*run_progress)(void *ctx, int64_t pairs_done, int64_t pairs_total);
    void *progress_ctx;
} rp_exec_options;

typedef struct {
    int64_t runs;        /* of the plan */
    rp_summaries summaries; /* of its runs; done where known: the runs of this part (every rank's, on
                               rank 0), and with resume every run of the joined file */
    bool single;         /* ran as a single run (no parts) */
    bool already_complete; /* --resume found the output complete: nothing ran, the summaries are the file's */
    double seconds[4];   /* a single run's wall seconds: population, assignment, engine, summary */
    bool resumable;      /* kept on RP_EINTR too: a sweep with an output stopped early, its finished runs
                            kept beside the output; the same call with resume continues it */
    rp_origin origin;    /* the provenance of the summaries (what the output file records): a single
                            run's run 0 and replicate, or a sweep's replicates, this part */
} rp_exec_result;

/* Execute the plan of the resolved scenario sc as opt says. On RP_OK, res
 * holds the summaries (free with rp_exec_result_free) and the output file,
 * if any, is complete. Otherwise a status and err: RP_EINVAL for a layout,
 * an option, a path or a size this machine cannot take, RP_EIO, RP_ENOMEM,
 * RP_EFAIL, or RP_EINTR when stopped (saying which runs were kept; then
 * res->resumable says whether the same call with resume continues it, and
 * res holds nothing else to free). Every
 * rank returns the same status; a rank whose own step did not fail has an
 * empty err.msg, except rank 0, which then says that another rank failed. */
int rp_exec_run(const rp_scenario *sc, const rp_plan *plan, const rp_exec_options *opt, rp_exec_result *res,
                rp_error *err);

/* The plan of the resolved scenario sc (rp_plan_create) with the draws of
 * its `uncertainty:` section attached (rp_plan_set_draws), if it has one:
 * D draws of coefficients from the last generation of an abc-smc posterior
 * file (its particles drawn with replacement by weight) or from priors,
 * from rapport's streams keyed by the seed. What `run`, `show` and `check`
 * plan with; rp_exec_run refuses a scenario with an uncertainty section
 * whose plan has no draws. RP_OK, RP_EINVAL located in the scenario (the
 * section, the posterior file: unreadable, not complete, of another model;
 * a prior; a key), RP_ENOMEM. */
int rp_exec_plan_create(const rp_scenario *sc, rp_plan **out, rp_error *err);

void rp_exec_result_free(rp_exec_result *res);

/* R runs of the parameters p, replicate r on random stream
 * opt->replicate + r (0 + r for a Nelder-Mead evaluation; an ABC-SMC
 * simulation's own streams), their summaries to out[0..R-1] (a
 * calibration's evaluation): over opt->threads threads, one run per thread
 * when R > 1, every thread inside the run when R = 1. Reads only opt's
 * threads, replicate and stop; no file, no shards, no ranks.
 * On failure, the error of the first run that failed. */
int rp_exec_replicates(const rp_params *p, int replicates, const rp_exec_options *opt, rp_summary *out,
                       rp_error *err);

/* The estimated size of the file `rapport run -o` writes for the whole plan
 * (rp_output_bytes over its runs), in bytes; summary_only: the file of
 * `--summary-only` (no trajectories, no /pairs). */
double rp_exec_output_bytes(const rp_plan *plan, const rp_params *base, bool summary_only);

/* The resolved scenario as the output files store it (their /scenario), or
 * NULL when out of memory; to free. */
char *rp_exec_scenario_text(const rp_scenario *sc);

/* Refuse, before allocating, a run of p that this machine's memory cannot
 * hold: RP_EINVAL with "WHERE: error: population too large ...", where
 * being "FILE:LINE:COLUMN" of the population's size. */
int rp_exec_check_memory(const rp_params *p, const char *where, rp_error *err);

#endif
