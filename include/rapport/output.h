/* output.h - rapport's HDF5 files: one run, a sweep, or a part of a sweep.
 *
 * The only module that calls HDF5 (output.c writes, output_merge.c joins
 * and reads back, output_layout.c is the one description of the layout,
 * docs/FORMAT.md). A file holds runs: per run, a row of /runs and /summary,
 * its pairs, providers and (a sample of) its trajectories. It is written
 * under a temporary name beside its final path and renamed only when
 * complete, so a failed, interrupted or killed run never leaves a file at the
 * final path; an existing file is replaced only with force. Trajectories
 * stream in blocks of pairs: memory holds one block, whatever the size.
 */
#ifndef RP_OUTPUT_H
#define RP_OUTPUT_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "rapport/engine.h"
#include "rapport/observe.h"
#include "rapport/params.h"
#include "rapport/run.h"
#include "rapport/status.h"

/* A data file a population was read from (patients.from, providers.from). */
typedef struct {
    const char *path; /* NULL: none */
    int64_t bytes;
    const char *sha256; /* 64 lowercase hex digits */
} rp_data_file;

/* How the file came to be, recorded as attributes of its root. */
typedef struct {
    const char *command_line;  /* the whole command, shell-quoted */
    const char *scenario_path; /* as given */
    const char *scenario_yaml; /* the resolved scenario (rapport show), sweep included */
    int threads;
    uint64_t plan_id;   /* identifies the sweep (rp_plan_id); 0 for a single run */
    int64_t runs_total; /* runs of the whole plan */
    const char *part;   /* "" for a whole file, else which part, e.g. "shard 2 of 3" */
    /* the data files of the patients [0] and providers [1]; where a path is
     * NULL, those of the parameters' records (rp_provenance_data) */
    rp_data_file data[2];
    /* a probabilistic sensitivity analysis (rp_plan_draws_source and
     * rp_plan_draws): the uncertainty_source and uncertainty_draws
     * attributes; NULL or "": none */
    const char *uncertainty;
    int64_t uncertainty_draws;
} rp_provenance;

/* The provenance a report carries (the `provenance` object of every
 * `--json`; docs/FORMAT.md, "Provenance in the JSON"): the values of the
 * output file's root attributes of the same names, which are written from
 * this struct (rp_output_origin), and which run or runs it reports. */
typedef struct {
    char rapport_version[32], git_revision[64]; /* of the program that ran it */
    int model_version;                          /* MODEL.md's version the runs followed */
    char scenario_path[4096];                   /* as given */
    uint64_t seed;
    bool has_plan;    /* false for a calibration: no plan, so no sweep_id, run or part */
    uint64_t plan_id; /* the sweep_id attribute: rp_plan_id, 0 for a single run */
    int64_t run;        /* one run: its index in the plan (0 for a single run); -1: a sweep or a calibration */
    uint64_t replicate; /* one run: its replicate (--replicate, /runs/replicate) */
    int64_t replicates; /* a sweep or a calibration: replicates of each point; -1 for one run */
    int threads;        /* per process */
    char part[64];      /* "" for a whole file, else e.g. "shard 2 of 3" */
    struct {            /* the data files of the patients [0] and providers [1] (ROLE_data_path, ...) */
        char path[4096]; /* "": none */
        int64_t bytes;
        char sha256[72];
    } data[2];
} rp_origin;

/* The origin of runs of p made now by this program under prov: version and
 * git revision of this build, p's model version and seed, prov's scenario
 * path, threads, plan id and part, the data files (prov's, else p's records); run = replicates = -1, replicate 0 (the
 * caller says which run or how many replicates). What the file's root
 * attributes record. */
void rp_output_origin(const rp_params *p, const rp_provenance *prov, rp_origin *origin);

/* prov->data from p's records (patients.records, providers.records), where
 * they are read. */
void rp_provenance_data(rp_provenance *prov, const rp_params *p);

typedef struct rp_output rp_output;

/* Create the temporary file for path, with tables for runs like p (its
 * dimensions, groups and output section) over at most max_horizon weeks.
 * RP_EINVAL if path exists and !force, or if the compression asked for is
 * not available; RP_EIO if the file cannot be made. */
int rp_output_create(const char *path, bool force, const rp_params *p, int max_horizon, const rp_provenance *prov,
                     rp_output **out, rp_error *err);

/* Which trajectory variables the engine should record (0: none). */
unsigned rp_output_variables(const rp_output *o);

/* Which run of a plan a run is (the /runs columns that say so). */
typedef struct {
    int64_t index, point;
    uint64_t replicate;
    int saltelli_sample, saltelli_matrix; /* -1 outside a Saltelli design */
} rp_run_id;

/* The three steps of writing one run (the rp_run_sink of sweep.h; ctx is
 * the rp_output): begin, trajectories block by block, end with the run. */
int rp_output_begin_run(void *ctx, const rp_run_id *id, const rp_params *p, rp_error *err);
int rp_output_write_block(void *ctx, const rp_trajectory *block, const rp_outcomes *outcomes, rp_error *err);
int rp_output_end_run(void *ctx, int64_t index, const rp_run *run, rp_error *err);

/* Finish, close and move the file to its final path. Frees o, whatever the
 * result; on failure nothing is left behind. */
int rp_output_commit(rp_output *o, rp_error *err);

/* Abandon the file: close, delete the temporary file, free. NULL is fine. */
void rp_output_discard(rp_output *o);

/* Join files of runs of one sweep (parts of shards, ranks or batches) into
 * one file at path, runs in plan order. Refuses files of different sweeps,
 * a run present twice, and, when complete is set, a missing run; each
 * refusal says which files and runs. prov describes the joined file.
 * Optional stop: checked between runs; when it becomes non-zero the join
 * ends with RP_EINTR and leaves nothing at path. */
int rp_output_merge(const char *const *inputs, int n_inputs, const char *path, bool force, bool complete,
                    const rp_provenance *prov, const volatile sig_atomic_t *stop, rp_error *err);

/* The runs a file holds (for --resume): done[r] = 1 for each run r in it,
 * after checking that it belongs to the sweep plan_id of runs_total runs
 * and, with workers > 0, that its runs are those of worker (r % workers). */
int rp_output_runs_in(const char *path, uint64_t plan_id, int64_t runs_total, int64_t worker, int64_t workers,
                      uint8_t *done, rp_error *err);

/* Recompute the summary of run `run` of a file from its per-pair table (the
 * same numbers `rapport run` printed); run < 0: the file's first run. A file
 * without a per-pair table (--summary-only) gives its stored /summary
 * instead, and *stored (may be NULL) says which. origin (may be NULL): the
 * run's provenance as the file records it (its root attributes, the run's
 * index and its /runs/replicate and /runs/seed): what `rapport run` printed
 * for it. RP_EINVAL if the file has no such run; RP_EIO if it cannot
 * be read. */
int rp_output_read_summary(const char *path, int64_t run, rp_summary *sum, bool *stored, rp_origin *origin,
                           rp_error *err);

/* Start HDF5 without its exit handler (call first, from main), and shut it
 * down cleanly after a successful run; after a failure, skip the shutdown. */
void rp_output_library_init(void);
void rp_output_library_close(void);

/* About how many bytes a file of `runs` runs like p takes, for `pairs` pairs
 * and `providers` providers in all (the runs' sums), with the /statistics of
 * `points` points (0: none, as in a shard's part): exact to within the
 * file's metadata when uncompressed (every column, in whole chunks), a
 * typical ratio of the reference scenario's when compressed (and of a
 * sweep's for /statistics, always compressed). NaN if p cannot make a
 * layout. And a check that the directory of path has that much free space
 * (RP_EIO with both figures if not). */
double rp_output_bytes(const rp_params *p, double runs, double points, double pairs, double providers);
int rp_output_check_space(const char *path, double bytes, rp_error *err);

/* The summary of run `run` as the file stored it (/summary), for files
 * without a per-pair table; RP_EINVAL if there is no such run. */
int rp_output_read_stored_summary(const char *path, int64_t run, rp_summary *sum, rp_error *err);

/* The HDF5 library version, "1.10.8". */
const char *rp_output_hdf5_version(char *buf, size_t size);

#endif
