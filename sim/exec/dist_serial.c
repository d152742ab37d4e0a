/* dist_serial.c - dist.h for a build without MPI: one process, rank 0. */
#include <stdio.h>

#include "exec/dist.h"
#include "rapport/status.h"

void rp_dist_init(int *argc, char ***argv, rp_ranks *d)
{
    (void)argc, (void)argv;
    *d = (rp_ranks){0, 1};
}

void rp_dist_finalize(void) {}

int rp_dist_agree(int status) { return status; }

int rp_dist_agree_error(int status, rp_error *err)
{
    (void)err;
    return status;
}

void rp_dist_barrier(void) {}

int rp_dist_allgather_blocks(void *items, int64_t n, size_t size, int ranks)
{
    (void)items, (void)n, (void)size;
    return ranks > 1 ? RP_EINVAL : RP_OK; /* one process: every item is already here */
}

int rp_dist_gather_summaries(rp_summaries *s)
{
    (void)s;
    return RP_OK;
}

const char *rp_dist_library(char *buf, size_t size)
{
    snprintf(buf, size, "none");
    return buf;
}
