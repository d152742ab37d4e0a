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

#include "rapport/status.h"
#include "rapport/summaries.h"

typedef struct {
    int rank, size;
} rp_ranks;

/* Start MPI if this is an MPI build (harmless without mpirun: one rank). */
void rp_dist_init(int *argc, char ***argv, rp_ranks *d);
void rp_dist_finalize(void);

/* The worst (largest) status over all ranks, so every rank takes the same
 * branch after a collective step. */
int rp_dist_agree(int status);

/* rp_dist_agree with its message: when a rank failed, every rank returns
 * the worst status and gets in err the message of the lowest rank that had
 * it, so that rank 0 alone can print the one line. */
int rp_dist_agree_error(int status, rp_error *err);

void rp_dist_barrier(void);

/* The block [*lo, *hi) of n items that rank `rank` of `ranks` works on:
 * consecutive blocks, in rank order, whose sizes differ by at most one. */
static inline void rp_dist_block(int64_t n, int rank, int ranks, int64_t *lo, int64_t *hi)
{
    *lo = n * rank / ranks;
    *hi = n * (rank + 1) / ranks;
}

/* items: n items of `size` bytes each, item i filled on the rank whose
 * rp_dist_block(n, rank, ranks) holds it; after the call every rank holds
 * every item (the bytes as sent: one cluster, one binary layout). A
 * collective of the ranks' rp_dist_init; ranks <= 1 is one process (nothing
 * to do). Every rank returns the same status: RP_OK, RP_ENOMEM, or
 * RP_EINVAL when ranks is not the job's number of ranks (or n or size is
 * beyond MPI's int counts). */
int rp_dist_allgather_blocks(void *items, int64_t n, size_t size, int ranks);

/* Rank 0 receives the summaries of the runs done elsewhere: after the call
 * its store (of the same shape on every rank) covers every rank's runs. */
int rp_dist_gather_summaries(rp_summaries *s);

/* "Open MPI 4.1.4" or "none". */
const char *rp_dist_library(char *buf, size_t size);

#endif
