/* dist.h - where runs execute across processes: MPI ranks (an MPI build) or
 * one process. The only module that calls MPI; without MPI (dist_serial.c)
 * every call is the trivial one-process answer, so callers never branch.
 *
 * Runs are split across processes by worker index (run r on worker
 * r % workers); each process writes its own part files and rank 0 joins
 * them, so the data never depend on the number of ranks.
 */
#ifndef RP_DIST_H
#define RP_DIST_H

#include <stddef.h>
#include <stdint.h>

#include "rapport/observe.h"

typedef struct {
    int rank, size;
} rp_ranks;

/* Start MPI if this is an MPI build (harmless without mpirun: one rank). */
void rp_dist_init(int *argc, char ***argv, rp_ranks *d);
void rp_dist_finalize(void);

/* The worst (largest) status over all ranks, so every rank takes the same
 * branch after a collective step. */
int rp_dist_agree(int status);

void rp_dist_barrier(void);

/* Rank 0 receives the summaries of the runs done elsewhere: after the call
 * done[r] and summary[r] on rank 0 cover every rank's runs. */
int rp_dist_gather_summaries(int64_t runs, rp_summary *summary, uint8_t *done);

/* "Open MPI 4.1.4" or "none". */
const char *rp_dist_library(char *buf, size_t size);

#endif
