/* dist_mpi.c - dist.h over MPI. Only collective steps live here: the sweep
 * itself runs independently on every rank. */
#define _POSIX_C_SOURCE 200809L
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <mpi.h>

#include "exec/dist.h"
#include "rapport/status.h"
#include "rapport/summaries.h"

/* Whether MPI was started: only under a launcher (mpirun, srun), so a
 * plain `rapport run` pays nothing for MPI (its start-up takes ~0.4 s and
 * leaves allocations that memcheck reports). Set once, in rp_dist_init. */
static bool mpi_on;

static bool launched_by_mpi(void)
{
    static const char *const vars[] = {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK", "PMI_SIZE",
                                       "MPI_LOCALNRANKS"};
    for (size_t k = 0; k < sizeof vars / sizeof vars[0]; k++)
        if (getenv(vars[k]))
            return true;
    return false;
}

void rp_dist_init(int *argc, char ***argv, rp_ranks *d)
{
    *d = (rp_ranks){0, 1};
    if (!(mpi_on = launched_by_mpi()))
        return;
    int provided;
    MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided);
    MPI_Comm_rank(MPI_COMM_WORLD, &d->rank);
    MPI_Comm_size(MPI_COMM_WORLD, &d->size);
}

void rp_dist_finalize(void)
{
    if (mpi_on)
        MPI_Finalize();
}

/* Wait for req without spinning a core: the ranks that finish their share
 * first wait here for the others, often for seconds, and a busy wait (the
 * MPI library's own) would take the core from a rank still working on a
 * shared or oversubscribed node. A fraction of a millisecond is nothing
 * next to what they wait for. */
static void wait_politely(MPI_Request *req)
{
    int done = 0;
    for (int polls = 0; MPI_Test(req, &done, MPI_STATUS_IGNORE) == MPI_SUCCESS && !done; polls++)
        if (polls >= 100)
            nanosleep(&(struct timespec){0, 200 * 1000}, NULL);
}

int rp_dist_agree(int status)
{
    if (!mpi_on)
        return status;
    int worst = status;
    MPI_Request req;
    MPI_Iallreduce(&status, &worst, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD, &req);
    wait_politely(&req);
    return worst;
}

int rp_dist_agree_error(int status, rp_error *err)
{
    const int worst = rp_dist_agree(status);
    if (!mpi_on || worst == RP_OK)
        return worst;
    int rank, size, from;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    const int mine = status == worst ? rank : size;
    MPI_Allreduce(&mine, &from, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
    err->msg[RP_ERROR_MAX - 1] = '\0';
    MPI_Bcast(err->msg, RP_ERROR_MAX, MPI_CHAR, from, MPI_COMM_WORLD);
    return worst;
}

/* In place: rank k's block is already where it belongs in items, so one
 * MPI_Allgatherv of items of `size` bytes fills in the others. */
int rp_dist_allgather_blocks(void *items, int64_t n, size_t size, int ranks)
{
    int world = 1;
    if (mpi_on)
        MPI_Comm_size(MPI_COMM_WORLD, &world);
    if (world != (ranks > 1 ? ranks : 1))
        return RP_EINVAL; /* the same answer on every rank: nobody enters a collective */
    if (world == 1)
        return RP_OK;
    if (n > INT_MAX || size > INT_MAX || size == 0)
        return RP_EINVAL;
    int *count = malloc((size_t)world * sizeof *count), *displ = malloc((size_t)world * sizeof *displ);
    MPI_Datatype item;
    const int typed = MPI_Type_contiguous((int)size, MPI_BYTE, &item) == MPI_SUCCESS;
    int ok = count && displ && typed && MPI_Type_commit(&item) == MPI_SUCCESS, all;
    MPI_Allreduce(&ok, &all, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
    if (all) {
        for (int k = 0; k < world; k++) {
            int64_t lo, hi;
            rp_dist_block(n, k, world, &lo, &hi);
            count[k] = (int)(hi - lo);
            displ[k] = (int)lo;
        }
        MPI_Allgatherv(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, items, count, displ, item, MPI_COMM_WORLD);
    }
    if (typed)
        MPI_Type_free(&item);
    free(count);
    free(displ);
    return all ? RP_OK : RP_ENOMEM;
}

void rp_dist_barrier(void)
{
    if (mpi_on)
        MPI_Barrier(MPI_COMM_WORLD);
}

/* Each rank sends the indices of its runs, then their values as bytes
 * (rp_summaries_pack: one cluster, one binary layout), one MPI item a run so
 * that the counts are of runs, not bytes. */
int rp_dist_gather_summaries(rp_summaries *s)
{
    if (!mpi_on)
        return RP_OK;
    int rank, size;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    if (size == 1)
        return RP_OK;
    const size_t bytes = rp_summaries_value_bytes(&s->shape); /* at least one rp_observables */
    MPI_Datatype run;
    MPI_Type_contiguous((int)bytes, MPI_BYTE, &run);
    MPI_Type_commit(&run);
    int status = RP_OK;
    if (rank != 0) {
        int64_t n = 0;
        for (int64_t r = 0; r < s->runs; r++)
            n += s->done[r];
        int64_t *index = malloc((size_t)(n ? n : 1) * sizeof *index);
        unsigned char *mine = malloc((size_t)(n ? n : 1) * bytes);
        if (!index || !mine || n > INT_MAX)
            n = -1; /* tell rank 0 that this rank failed */
        for (int64_t r = 0, k = 0; n > 0 && r < s->runs; r++)
            if (s->done[r]) {
                index[k] = r;
                rp_summaries_pack(s, r, mine + (size_t)k++ * bytes);
            }
        MPI_Send(&n, 1, MPI_INT64_T, 0, 1, MPI_COMM_WORLD);
        if (n > 0) {
            MPI_Send(index, (int)n, MPI_INT64_T, 0, 2, MPI_COMM_WORLD);
            MPI_Send(mine, (int)n, run, 0, 3, MPI_COMM_WORLD);
        }
        free(index);
        free(mine);
        MPI_Type_free(&run);
        return n < 0 ? RP_ENOMEM : RP_OK;
    }
    for (int from = 1; from < size; from++) {
        int64_t n;
        MPI_Recv(&n, 1, MPI_INT64_T, from, 1, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        if (n <= 0) {
            status = n < 0 ? RP_ENOMEM : status;
            continue;
        }
        int64_t *index = malloc((size_t)n * sizeof *index);
        unsigned char *theirs = malloc((size_t)n * bytes);
        if (!index || !theirs) {
            free(index);
            free(theirs);
            MPI_Type_free(&run);
            return RP_ENOMEM; /* rank 0 out of memory: the run fails anyway */
        }
        MPI_Recv(index, (int)n, MPI_INT64_T, from, 2, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        MPI_Recv(theirs, (int)n, run, from, 3, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        for (int64_t k = 0; k < n; k++)
            if (index[k] >= 0 && index[k] < s->runs)
                rp_summaries_unpack(s, index[k], theirs + (size_t)k * bytes);
        free(index);
        free(theirs);
    }
    MPI_Type_free(&run);
    return status;
}

const char *rp_dist_library(char *buf, size_t size)
{
    char version[MPI_MAX_LIBRARY_VERSION_STRING];
    int len;
    MPI_Get_library_version(version, &len);
    version[strcspn(version, ",\n")] = '\0';
    snprintf(buf, size, "%s", version);
    return buf;
}
