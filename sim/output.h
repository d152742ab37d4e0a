/* output.h - one run's HDF5 file: trajectories, per-pair and provider tables,
 * the run table, the summary, the resolved scenario and provenance.
 *
 * The only module that calls HDF5, from one thread. The layout is
 * docs/FORMAT.md (format_version 1). A file is written under a temporary
 * name beside its final path and renamed only when complete, so a failed,
 * interrupted or killed run never leaves a file at the final path; an
 * existing file is replaced only when asked (force). Trajectories stream in
 * blocks of pairs as the run goes: memory holds one block, whatever the
 * number of pairs and weeks.
 */
#ifndef RP_OUTPUT_H
#define RP_OUTPUT_H

#include <stdbool.h>
#include <stdint.h>

#include "engine.h"
#include "observe.h"
#include "params.h"
#include "run.h"
#include "status.h"

/* How the file came to be, recorded as attributes of its root. */
typedef struct {
    const char *command_line;  /* the whole command, shell-quoted */
    const char *scenario_path; /* as given */
    const char *scenario_yaml; /* the resolved scenario (rapport show) */
    int threads;
    uint64_t replicate;
} rp_provenance;

typedef struct rp_output rp_output;

/* Create the temporary file for path and the trajectory datasets that p's
 * output section asks for. RP_EINVAL if path exists and !force, or if the
 * compression asked for is not available; RP_EIO if the file cannot be made. */
int rp_output_create(const char *path, bool force, const rp_params *p, const rp_provenance *prov,
                     rp_output **out, rp_error *err);

/* Which trajectory variables the engine should record for this file (0: none). */
unsigned rp_output_variables(const rp_output *o);

/* The rp_trajectory_fn of rp_run_options: write one block's sampled rows and
 * weeks. ctx is the rp_output. */
int rp_output_write_block(void *ctx, const rp_trajectory *block, const rp_outcomes *outcomes,
                          rp_error *err);

/* Write the tables of a finished run, close and move the file to its final
 * path. Frees o, whatever the result; on failure nothing is left behind. */
int rp_output_commit(rp_output *o, const rp_run *run, rp_error *err);

/* Abandon the file: close, delete the temporary file, free. NULL is fine. */
void rp_output_discard(rp_output *o);

/* Recompute the summary of a file from its per-pair table (the same numbers
 * `rapport run` printed). RP_EINVAL if the file has no per-pair table or is
 * not a rapport file; RP_EIO if it cannot be read. */
int rp_output_read_summary(const char *path, rp_summary *sum, rp_error *err);

/* The HDF5 library version, "1.10.8". */
const char *rp_output_hdf5_version(char *buf, size_t size);

#endif
