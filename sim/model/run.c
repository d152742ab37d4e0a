/* run.c - one run; see run.h. */
#include "rapport/run.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>

#include <omp.h>

#include "rapport/assign.h"
#include "model/memory.h"

double rp_run_bytes(const rp_params *p)
{
    /* In double: a count of 10^18 must give a huge estimate, not an overflow. */
    const double n = (double)p->patients.count, m = (double)p->providers.count;
    const double pairs = n * (8 + 8); /* provider_of, distance */
    const double assign_scratch = n * 8 + m * 16 * (1 + RP_MAX_LEVELS); /* order, room lists */
    const double summary_scratch = m * 24; /* size, mean, count by provider; its pairs are read in place */
    const double records = rp_records_bytes(p->patients.records) + rp_records_bytes(p->providers.records);
    return records + rp_population_bytes(p) + pairs + (double)rp_engine_outcomes_bytes(1) * n +
           (assign_scratch > summary_scratch ? assign_scratch : summary_scratch);
}

/* The record buffers of the variables in `want` for `cells` pair-weeks;
 * false when memory ran out (what was allocated stays for free_record). */
static bool alloc_record(rp_trajectory *tr, size_t cells, unsigned want)
{
    float **floats[] = {&tr->A, &tr->T, &tr->S};
    uint8_t **bytes[] = {&tr->D, &tr->N, &tr->rupture, &tr->repaired};
    bool ok = true;
    for (int v = 0; v < 3; v++)
        if (want & (1u << v))
            ok = ok && (*floats[v] = malloc(cells * sizeof(float)));
    for (int v = 0; v < 4; v++)
        if (want & (1u << (3 + v)))
            ok = ok && (*bytes[v] = malloc(cells));
    return ok;
}

static void free_record(rp_trajectory *tr)
{
    free(tr->A), free(tr->T), free(tr->S);
    free(tr->D), free(tr->N), free(tr->rupture), free(tr->repaired);
    *tr = (rp_trajectory){0};
}

/* Hands one block's record to on_block on a thread of its own, so that the
 * engine computes the next block (into the other buffer) while this one is
 * written: writing a block costs about as much CPU as computing it, and done
 * in turn it left a core idle (1,000,000 pairs with all trajectories: 1.66x
 * the summary-only run, 1.44-1.55x overlapped; see docs/FORMAT.md). Blocks are still handed over
 * one at a time, in pair order, so the file is the same. */
typedef struct {
    const rp_run_options *opt;
    const rp_trajectory *block;
    const rp_outcomes *outcomes;
    pthread_t thread;
    bool busy;
    int status;
    rp_error err;
} block_writer;

static void *write_block(void *arg)
{
    block_writer *w = arg;
    w->status = w->opt->on_block(w->opt->ctx, w->block, w->outcomes, &w->err);
    return NULL;
}

/* Wait for the block being written, if any. Returns status, or when that
 * is RP_OK the write's status (its error then in err). */
static int writer_finish(block_writer *w, int status, rp_error *err)
{
    if (!w->busy)
        return status;
    pthread_join(w->thread, NULL);
    w->busy = false;
    if (status == RP_OK && w->status != RP_OK) {
        *err = w->err;
        return w->status;
    }
    return status;
}

static int writer_start(block_writer *w, const rp_trajectory *block, const rp_outcomes *outcomes,
                        rp_error *err)
{
    w->block = block;
    w->outcomes = outcomes;
    if (pthread_create(&w->thread, NULL, write_block, w) == 0) {
        w->busy = true;
        return RP_OK;
    }
    return w->opt->on_block(w->opt->ctx, block, outcomes, err); /* no thread: write it now */
}

/* The engine over blocks of pairs: each block's trajectories (if asked for)
 * go to on_block while the next block computes into the other of two
 * buffers; between blocks, progress is reported and a stop request honoured. */
static int run_blocks(rp_run *run, const rp_run_options *opt, rp_error *err)
{
    const int64_t n = run->params.patients.count;
    const bool record = opt->on_block || opt->keep_trajectory;
    /* Without a record a block costs only a check of stop and a progress
     * report, and each block's end leaves a thread idle while the other
     * finishes its last chunk: a few large blocks. */
    const int64_t most = opt->block_pairs > 0 ? opt->block_pairs
                         : record             ? RP_RUN_BLOCK_PAIRS
                                              : RP_RUN_BLOCK_PAIRS_SUMMARY;
    const int64_t block = opt->keep_trajectory ? n : most < n ? most : n;
    const size_t cells = (size_t)block * (size_t)(run->params.horizon + 1);
    const unsigned want = opt->variables ? opt->variables : RP_TRAJ_ALL;
    rp_trajectory tr[2] = {{0}};
    bool ok = !record || (alloc_record(&tr[0], cells, want) &&
                          (block == n || !opt->on_block || alloc_record(&tr[1], cells, want)));
    int status = ok ? RP_OK : rp_status_raise(err, RP_ENOMEM, "out of memory for trajectories");
    block_writer writer = {.opt = opt};
    for (int64_t first = 0, k = 0; status == RP_OK && first < n; first += block, k ^= 1) {
        if (opt->stop && *opt->stop) {
            status = rp_status_raise(err, RP_EINTR, "interrupted after %lld of %lld pairs", (long long)first,
                                    (long long)n);
            break;
        }
        tr[k].first = first;
        tr[k].count = n - first < block ? n - first : block;
        status = rp_engine_run(&run->params, run->pop, run->provider_of, run->distance, run->key,
                               opt->threads, opt->engine, first, tr[k].count, run->outcomes, record ? &tr[k] : NULL,
                               err);
        status = writer_finish(&writer, status, err);
        if (status == RP_OK && opt->on_block)
            status = writer_start(&writer, &tr[k], run->outcomes, err);
        if (status == RP_OK && opt->progress)
            opt->progress(opt->progress_ctx, first + tr[k].count, n);
    }
    status = writer_finish(&writer, status, err);
    if (opt->keep_trajectory && status == RP_OK) {
        run->trajectory = tr[0]; /* the run owns the buffers now */
        return RP_OK;
    }
    free_record(&tr[0]);
    free_record(&tr[1]);
    return status;
}

int rp_run_execute(const rp_params *p, const rp_run_options *opt, rp_run **out, rp_error *err)
{
    *out = NULL;
    rp_run *run = calloc(1, sizeof *run);
    if (!run)
        RP_FAIL(err, RP_ENOMEM, "out of memory");
    run->params = *p;
    run->key = (rp_rng_key){p->seed, opt->replicate};
    const int64_t n = p->patients.count;
    run->pop = rp_population_alloc(p);
    run->provider_of = rp_big_alloc((size_t)n * sizeof(int64_t));
    run->distance = rp_big_alloc((size_t)n * sizeof(double));
    run->outcomes = rp_engine_outcomes_alloc(n);
    if (!run->pop || !run->provider_of || !run->distance || !run->outcomes) {
        rp_run_free(run);
        RP_FAIL(err, RP_ENOMEM, "out of memory for %lld patients (about %.2f GiB needed)",
                (long long)n, (double)rp_run_bytes(p) / (1 << 30));
    }
    double t0 = omp_get_wtime();
    rp_population_generate(run->pop, &run->params, run->key, opt->threads);
    double t1 = omp_get_wtime();
    int status = rp_assign(run->pop, &run->params, run->key, opt->threads, opt->stop, run->provider_of,
                           run->distance, err);
    double t2 = omp_get_wtime();
    if (status == RP_OK)
        status = run_blocks(run, opt, err);
    if (status != RP_OK) {
        rp_run_free(run);
        return status;
    }
    double t3 = omp_get_wtime();
    /* Every command's results pass here (run, sweep, calibrate): a non-finite
     * observable fails the run instead of being printed. */
    status = rp_observe_summary_threads(&run->summary, &run->params, run->pop, run->provider_of, run->distance,
                                        run->outcomes, opt->threads, err);
    if (status != RP_OK) {
        rp_run_free(run);
        return status;
    }
    double t4 = omp_get_wtime();
    run->seconds[0] = t1 - t0, run->seconds[1] = t2 - t1;
    run->seconds[2] = t3 - t2, run->seconds[3] = t4 - t3;
    *out = run;
    return RP_OK;
}

void rp_run_free(rp_run *run)
{
    if (!run)
        return;
    rp_population_free(run->pop);
    free(run->provider_of);
    free(run->distance);
    rp_engine_outcomes_free(run->outcomes);
    free_record(&run->trajectory);
    free(run);
}
