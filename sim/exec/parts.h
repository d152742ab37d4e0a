/* parts.h - a sweep's output as part files: runs written in batches into a
 * directory beside the final file (OUT.h5.parts/), each batch a complete
 * rapport file that appears only when closed; --resume reads which runs the
 * batches hold; the end joins them into OUT.h5 in run order and removes the
 * directory. A kill at any moment loses at most the batch being written.
 */
#ifndef RP_PARTS_H
#define RP_PARTS_H

#include <stdbool.h>
#include <stdint.h>

#include "rapport/output.h"
#include "rapport/params.h"
#include "rapport/status.h"
#include "rapport/sweep.h"

typedef struct rp_parts rp_parts;

/* ---- the first failure of a parallel loop (exec.c; for exec.c and abc.c) ----
 * Inside an OpenMP loop whose iterations may fail: rp_exec_failed says
 * whether one has (the others then skip their work); rp_exec_fail records
 * status and its message e as the loop's failure, if it is the first. */
bool rp_exec_failed(const int *failed);
void rp_exec_fail(int status, const rp_error *e, int *failed, rp_error *first);

/* Batches for worker `worker` into dir (created if missing), for a sweep of
 * runs like p over at most max_horizon weeks. A batch is closed after
 * about `seconds` of work (or 4096 runs), so a kill redoes little. */
int rp_parts_open(const char *dir, int64_t worker, const rp_params *p, int max_horizon, const rp_provenance *prov,
                  double seconds, rp_parts **out, rp_error *err);

/* The rp_run_sink that writes runs into the batches. */
rp_run_sink rp_parts_sink(rp_parts *parts, unsigned variables);

/* Close the batch being written (keep it) and free. */
int rp_parts_close(rp_parts *parts, rp_error *err);

/* The lock file inside a sweep's folder: one process writes a folder. */
#define RP_PARTS_LOCK ".lock"

/* Create dir if missing and take its lock (*fd, to keep open until the end):
 * RP_EINVAL if another process holds it. Where the file system has no
 * locks, there is nothing to take and it succeeds. */
int rp_parts_lock(const char *dir, int *fd, rp_error *err);
/* Release the lock; remove: also delete the lock file (the folder is done). */
void rp_parts_unlock(const char *dir, int fd, bool remove);

/* Mark in done[] the runs held by the complete batch files in dir (none if
 * dir does not exist). Files of another sweep, or of another layout (a batch
 * of worker w must hold runs r % workers == w), are an error. */
int rp_parts_done(const char *dir, uint64_t plan_id, int64_t runs_total, int64_t workers, uint8_t *done,
                  rp_error *err);

/* Join the batch files in dir whose worker is in [first_worker,
 * last_worker] (all: 0, INT64_MAX) into path; with complete, every run of
 * the sweep must be there. Removes the joined batches and, when empty, dir.
 * A stop request (stop, optional) ends it with RP_EINTR, batches kept. */
int rp_parts_join(const char *dir, int64_t first_worker, int64_t last_worker, const char *path, bool force,
                  bool complete, const rp_provenance *prov, const volatile sig_atomic_t *stop, rp_error *err);

#endif
