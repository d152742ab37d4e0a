/* parts.c - a sweep's part files; see parts.h. Batch files are named
 * batch-W<worker>-P<pid>-<seq>.h5: the worker says whose runs they hold (a
 * shard joins only its own), pid and seq keep names unique across resumes. */
#define _POSIX_C_SOURCE 200809L
#include "exec/parts.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <omp.h>

#define BATCH_RUNS 4096

struct rp_parts {
    char *dir;
    int64_t worker;
    rp_params p;
    int max_horizon;
    rp_provenance prov;
    double seconds, started;
    int seq;
    int runs_in_batch;
    rp_output *batch; /* NULL between batches */
    rp_error *sink_err;
};

/* dir is absent or a real directory: never a symbolic link, whose target's
 * files a join would delete, nor a file. */
static int check_folder(const char *dir, rp_error *err)
{
    struct stat st;
    if (lstat(dir, &st) != 0)
        return errno == ENOENT ? RP_OK : rp_status_raise(err, RP_EIO, "cannot read %s: %s", dir, strerror(errno));
    if (!S_ISDIR(st.st_mode))
        RP_FAIL(err, RP_EINVAL, "%s is %s; expected the folder of the sweep's finished runs (a directory), or no "
                "such name", dir, S_ISLNK(st.st_mode) ? "a symbolic link" : "not a directory");
    return RP_OK;
}

int rp_parts_open(const char *dir, int64_t worker, const rp_params *p, int max_horizon, const rp_provenance *prov,
                  double seconds, rp_parts **out, rp_error *err)
{
    *out = NULL;
    int status = check_folder(dir, err);
    if (status != RP_OK)
        return status;
    if (mkdir(dir, 0777) != 0 && errno != EEXIST)
        RP_FAIL(err, RP_EIO, "cannot create %s: %s", dir, strerror(errno));
    rp_parts *parts = calloc(1, sizeof *parts);
    if (!parts || !(parts->dir = strdup(dir))) {
        free(parts);
        RP_FAIL(err, RP_ENOMEM, "out of memory");
    }
    parts->worker = worker;
    parts->p = *p;
    parts->max_horizon = max_horizon;
    parts->prov = *prov;
    parts->seconds = seconds;
    *out = parts;
    return RP_OK;
}

/* Close the current batch: it appears under its final name, complete. */
static int close_batch(rp_parts *parts, rp_error *err)
{
    if (!parts->batch)
        return RP_OK;
    int status = rp_output_commit(parts->batch, err);
    parts->batch = NULL;
    return status;
}

static int begin(void *ctx, const rp_run_id *id, const rp_params *p, rp_error *err)
{
    rp_parts *parts = ctx;
    if (!parts->batch) {
        char path[4096];
        snprintf(path, sizeof path, "%s/batch-W%06" PRId64 "-P%ld-%04d.h5", parts->dir, parts->worker,
                 (long)getpid(), parts->seq++);
        int status = rp_output_create(path, false, &parts->p, parts->max_horizon, &parts->prov, &parts->batch, err);
        if (status != RP_OK)
            return status;
        parts->started = omp_get_wtime();
        parts->runs_in_batch = 0;
    }
    return rp_output_begin_run(parts->batch, id, p, err);
}

static int block(void *ctx, const rp_trajectory *b, const rp_outcomes *o, rp_error *err)
{
    rp_parts *parts = ctx;
    return rp_output_write_block(parts->batch, b, o, err);
}

static int end(void *ctx, int64_t index, const rp_run *run, rp_error *err)
{
    rp_parts *parts = ctx;
    int status = rp_output_end_run(parts->batch, index, run, err);
    if (status == RP_OK && (++parts->runs_in_batch >= BATCH_RUNS || omp_get_wtime() - parts->started > parts->seconds))
        status = close_batch(parts, err);
    return status;
}

rp_run_sink rp_parts_sink(rp_parts *parts, unsigned variables)
{
    return (rp_run_sink){.begin = begin, .block = block, .end = end, .ctx = parts, .variables = variables};
}

int rp_parts_close(rp_parts *parts, rp_error *err)
{
    if (!parts)
        return RP_OK;
    int status = close_batch(parts, err);
    free(parts->dir);
    free(parts);
    return status;
}

/* The batch files of dir (complete ones: temporary files end in .partial-PID)
 * whose worker is in [lo, hi], as a NULL-terminated, sorted list. */
static char **list_batches(const char *dir, int64_t lo, int64_t hi, int *n, rp_error *err)
{
    *n = 0;
    DIR *d = opendir(dir);
    if (!d) {
        if (errno == ENOENT)
            return calloc(1, sizeof(char *));
        rp_status_raise(err, RP_EIO, "cannot read %s: %s", dir, strerror(errno));
        return NULL;
    }
    char **names = NULL;
    int cap = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        int64_t w;
        size_t len = strlen(e->d_name);
        if (sscanf(e->d_name, "batch-W%" SCNd64, &w) != 1 || len < 4 || strcmp(e->d_name + len - 3, ".h5") != 0 ||
            w < lo || w > hi)
            continue;
        if (*n + 2 > cap) {
            cap = cap ? 2 * cap : 64;
            char **grown = realloc(names, (size_t)cap * sizeof *names);
            if (!grown)
                break;
            names = grown;
        }
        size_t size = strlen(dir) + len + 2;
        if (!(names[*n] = malloc(size)))
            break;
        snprintf(names[*n], size, "%s/%s", dir, e->d_name);
        (*n)++;
        names[*n] = NULL;
    }
    closedir(d);
    if (!names)
        names = calloc(1, sizeof *names);
    for (int i = 1; i < *n; i++) /* insertion sort: a few hundred names */
        for (int j = i; j > 0 && strcmp(names[j - 1], names[j]) > 0; j--) {
            char *t = names[j];
            names[j] = names[j - 1];
            names[j - 1] = t;
        }
    if (!names)
        rp_status_raise(err, RP_ENOMEM, "out of memory");
    return names;
}

static void free_list(char **names)
{
    for (int i = 0; names && names[i]; i++)
        free(names[i]);
    free(names);
}

int rp_parts_lock(const char *dir, int *fd, rp_error *err)
{
    *fd = -1;
    int status = check_folder(dir, err);
    if (status != RP_OK)
        return status;
    if (mkdir(dir, 0777) != 0 && errno != EEXIST)
        RP_FAIL(err, RP_EIO, "cannot create %s: %s", dir, strerror(errno));
    char path[4096];
    snprintf(path, sizeof path, "%s/" RP_PARTS_LOCK, dir);
    *fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0666);
    if (*fd < 0)
        RP_FAIL(err, RP_EIO, "cannot create %s: %s", path, strerror(errno));
    if (flock(*fd, LOCK_EX | LOCK_NB) == 0 || (errno != EWOULDBLOCK && errno != EAGAIN))
        return RP_OK; /* locked, or a file system without locks: nothing to wait for */
    close(*fd);
    *fd = -1;
    RP_FAIL(err, RP_EINVAL, "another rapport process is writing the sweep in %s (the same -o); expected one "
            "process per output file (wait for it, or choose another -o)", dir);
}

void rp_parts_unlock(const char *dir, int fd, bool remove)
{
    if (fd < 0)
        return;
    if (remove) {
        char path[4096];
        snprintf(path, sizeof path, "%s/" RP_PARTS_LOCK, dir);
        unlink(path);
    }
    close(fd); /* releases the lock */
}

int rp_parts_done(const char *dir, uint64_t plan_id, int64_t runs_total, int64_t workers, uint8_t *done,
                  rp_error *err)
{
    int n, status = check_folder(dir, err);
    if (status != RP_OK)
        return status;
    char **names = list_batches(dir, 0, INT64_MAX, &n, err);
    if (!names)
        return RP_EIO;
    for (int i = 0; i < n && status == RP_OK; i++) {
        const char *name = strrchr(names[i], '/') + 1; /* list_batches gives dir/batch-W<worker>-... */
        int64_t w = -1;
        sscanf(name, "batch-W%" SCNd64, &w);
        if (w < 0 || w >= workers)
            status = rp_status_raise(err, RP_EINVAL,
                                    "%s is a batch of worker %lld, beyond this layout's %lld workers: the folder was "
                                    "written with another --shard N or mpirun -n; expected the layout of the "
                                    "interrupted run (or remove the folder)",
                                    names[i], (long long)w, (long long)workers);
        else
            status = rp_output_runs_in(names[i], plan_id, runs_total, w, workers, done, err);
    }
    free_list(names);
    return status;
}

/* Delete the temporary files of batches (batch-W...h5.partial-PID) left in
 * dir by killed runs; nothing else, whatever its name. */
static void remove_stale(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    char path[4096];
    while ((e = readdir(d)))
        if (strncmp(e->d_name, "batch-W", 7) == 0 && strstr(e->d_name, ".h5.partial-")) {
            snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
            unlink(path);
        }
    closedir(d);
}

int rp_parts_join(const char *dir, int64_t first_worker, int64_t last_worker, const char *path, bool force,
                  bool complete, const rp_provenance *prov, const volatile sig_atomic_t *stop, rp_error *err)
{
    int n;
    char **names = list_batches(dir, first_worker, last_worker, &n, err);
    if (!names)
        return RP_EIO;
    int status = n ? rp_output_merge((const char *const *)names, n, path, force, complete, prov, stop, err)
                   : rp_status_raise(err, RP_EINVAL, "no finished runs in %s to join", dir);
    for (int i = 0; status == RP_OK && i < n; i++)
        unlink(names[i]);
    if (status == RP_OK && complete)
        remove_stale(dir); /* temporary files of killed runs */
    if (status == RP_OK) {
        char lock[4096];
        snprintf(lock, sizeof lock, "%s/" RP_PARTS_LOCK, dir);
        unlink(lock); /* the folder's last file once every batch is joined */
        rmdir(dir);   /* fails, harmlessly, while other shards' batches remain */
    }
    free_list(names);
    return status;
}
