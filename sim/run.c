/* run.c - one run; see run.h. */
#include "run.h"

#include <stdbool.h>
#include <stdlib.h>

#include <omp.h>

#include "assign.h"

double rp_run_bytes(const rp_params *p)
{
    /* In double: a count of 10^18 must give a huge estimate, not an overflow. */
    const double n = (double)p->patients.count, m = (double)p->providers.count;
    const double pairs = n * (8 + 8); /* provider_of, distance */
    const double assign_scratch = n * 8 + m * 16 * (1 + RP_MAX_LEVELS); /* order, room lists */
    const double icc_scratch = n * 8 + m * 16;
    return rp_population_bytes(p) + pairs + (double)rp_outcomes_bytes(1) * n +
           (assign_scratch > icc_scratch ? assign_scratch : icc_scratch);
}

/* The engine over blocks of pairs: each block's trajectories (if asked for)
 * go to the callback before the next block overwrites the buffers; between
 * blocks, progress is reported and a stop request honoured. */
static int run_blocks(rp_run *run, const rp_run_options *opt, rp_error *err)
{
    const int64_t n = run->params.patients.count;
    const int64_t block = opt->keep_trajectory ? n
                          : opt->block_pairs > 0 ? (opt->block_pairs < n ? opt->block_pairs : n)
                                                 : (n < RP_RUN_BLOCK_PAIRS ? n : RP_RUN_BLOCK_PAIRS);
    const size_t cells = (size_t)block * (size_t)(run->params.horizon + 1);
    const unsigned want = opt->variables ? opt->variables : RP_TRAJ_ALL;
    const bool record = opt->on_block || opt->keep_trajectory;
    rp_trajectory tr = {0};
    float **floats[] = {&tr.A, &tr.T, &tr.S};
    uint8_t **bytes[] = {&tr.D, &tr.N, &tr.rupture, &tr.repaired};
    bool ok = true;
    for (int v = 0; v < 3 && record; v++)
        if (want & (1u << v))
            ok = ok && (*floats[v] = malloc(cells * sizeof(float)));
    for (int v = 0; v < 4 && record; v++)
        if (want & (1u << (3 + v)))
            ok = ok && (*bytes[v] = malloc(cells));
    int status = ok ? RP_OK : rp_error_raise(err, RP_ENOMEM, "out of memory for trajectories");
    for (int64_t first = 0; status == RP_OK && first < n; first += block) {
        if (opt->stop && *opt->stop) {
            status = rp_error_raise(err, RP_EINTR, "interrupted after %lld of %lld pairs", (long long)first,
                                    (long long)n);
            break;
        }
        tr.first = first;
        tr.count = n - first < block ? n - first : block;
        status = rp_engine_run(&run->params, run->pop, run->provider_of, run->distance, run->key,
                               opt->threads, first, tr.count, run->outcomes, record ? &tr : NULL, err);
        if (status == RP_OK && opt->on_block)
            status = opt->on_block(opt->ctx, &tr, run->outcomes, err);
        if (status == RP_OK && opt->progress)
            opt->progress(opt->progress_ctx, first + tr.count, n);
    }
    if (opt->keep_trajectory && status == RP_OK) {
        run->trajectory = tr; /* the run owns the buffers now */
        return RP_OK;
    }
    for (int v = 0; v < 3; v++)
        free(*floats[v]);
    for (int v = 0; v < 4; v++)
        free(*bytes[v]);
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
    run->provider_of = malloc((size_t)n * sizeof(int64_t));
    run->distance = malloc((size_t)n * sizeof(double));
    run->outcomes = rp_outcomes_alloc(n);
    if (!run->pop || !run->provider_of || !run->distance || !run->outcomes) {
        rp_run_free(run);
        RP_FAIL(err, RP_ENOMEM, "out of memory for %lld patients (about %.2f GiB needed)",
                (long long)n, (double)rp_run_bytes(p) / (1 << 30));
    }
    double t0 = omp_get_wtime();
    rp_population_generate(run->pop, &run->params, run->key, opt->threads);
    double t1 = omp_get_wtime();
    int status = rp_assign(run->pop, &run->params, run->key, opt->threads, run->provider_of,
                           run->distance, err);
    double t2 = omp_get_wtime();
    if (status == RP_OK)
        status = run_blocks(run, opt, err);
    if (status != RP_OK) {
        rp_run_free(run);
        return status;
    }
    double t3 = omp_get_wtime();
    rp_observe_summary(&run->summary, &run->params, run->pop, run->provider_of, run->outcomes);
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
    rp_outcomes_free(run->outcomes);
    free(run->trajectory.A);
    free(run->trajectory.T);
    free(run->trajectory.S);
    free(run->trajectory.D);
    free(run->trajectory.N);
    free(run->trajectory.rupture);
    free(run->trajectory.repaired);
    free(run);
}
