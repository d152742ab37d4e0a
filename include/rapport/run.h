/* run.h - one run of the model: population, assignment, engine, summary.
 *
 * The pipeline of ARCHITECTURE.md for one (scenario point, replicate):
 * draw the agents, assign pairs, run every pair week by week, observe. A run
 * owns its arrays; nothing is global, so runs can execute side by side.
 */
#ifndef RP_RUN_H
#define RP_RUN_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "rapport/engine.h"
#include "rapport/observe.h"
#include "rapport/params.h"
#include "rapport/population.h"
#include "rapport/status.h"

/* Receives the week-by-week record of each block of pairs, in pair order, as
 * the run goes (the output module writes it to disk), with the run's outcomes,
 * final for every pair before first + count. Returns an rp_status; anything
 * but RP_OK stops the run with that status. */
typedef int (*rp_trajectory_fn)(void *ctx, const rp_trajectory *block, const rp_outcomes *outcomes,
                                rp_error *err);

/* Pairs per block when a run streams trajectories: a power of two, so that
 * the output's chunks (power-of-two rows) never straddle two blocks. */
#define RP_RUN_BLOCK_PAIRS 65536
/* ... and when it records nothing: a check of stop and a progress report
 * every so many pairs (a fraction of a second). */
#define RP_RUN_BLOCK_PAIRS_SUMMARY (16 * RP_RUN_BLOCK_PAIRS)

typedef struct {
    int threads;        /* >= 1 */
    int engine;         /* rp_engine_path_id: 0, RP_ENGINE_AUTO, is the kernel RAPPORT_ENGINE names */
    uint64_t replicate; /* the random stream: replicate r of every point shares draws */
    /* Optional trajectories: when on_block is set, pairs run in blocks of
     * block_pairs (default RP_RUN_BLOCK_PAIRS) and each block's record goes to on_block;
     * memory stays at one block whatever the number of pairs. */
    rp_trajectory_fn on_block;
    void *ctx;
    unsigned variables; /* RP_TRAJ_* flags; 0 means all */
    int64_t block_pairs; /* 0: RP_RUN_BLOCK_PAIRS, or RP_RUN_BLOCK_PAIRS_SUMMARY without on_block */
    /* Optional: checked between blocks; when it becomes non-zero the run
     * stops with RP_EINTR (a signal handler sets it). */
    const volatile sig_atomic_t *stop;
    /* Keep the whole run's trajectories (variables) in run->trajectory
     * instead of streaming them; for small runs written later in one go. */
    bool keep_trajectory;
    /* Optional: called after each block with pairs done and in all. */
    void (*progress)(void *progress_ctx, int64_t done, int64_t total);
    void *progress_ctx;
} rp_run_options;

typedef struct {
    rp_params params;
    rp_rng_key key;
    rp_population *pop;
    int64_t *provider_of; /* provider of patient i */
    double *distance;     /* d_ij of patient i's pair */
    rp_outcomes *outcomes;
    rp_summary summary;
    /* wall seconds of each stage: population, assignment, engine, summary */
    double seconds[4];
    /* whole-run trajectories, with rp_run_options.keep_trajectory */
    rp_trajectory trajectory;
} rp_run;

/* Bytes a run of these parameters holds at its peak: what it allocates, and
 * the rows of its data files (read by the scenario, shared by its runs). */
double rp_run_bytes(const rp_params *p);

/* Run the model. On RP_OK, *out is a finished run to read and rp_run_free. */
int rp_run_execute(const rp_params *p, const rp_run_options *opt, rp_run **out, rp_error *err);

void rp_run_free(rp_run *run);

#endif
