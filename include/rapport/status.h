/* status.h - status codes and the one error path of the rapport library.
 *
 * Every function in sim/ that can fail returns an int status from rp_status
 * and, when it fails, fills an rp_error with one human-readable line. All
 * errors are raised through RP_FAIL so that one breakpoint on rp_status_raise
 * catches them all. Only the command line (cli/cli.c) turns a status into an
 * exit code.
 */
#ifndef RP_STATUS_H
#define RP_STATUS_H

#include <stddef.h>

typedef enum {
    RP_OK = 0,
    RP_EINVAL, /* bad input: scenario, --set, arguments (exit code 2) */
    RP_ENOMEM, /* allocation failed (exit code 1) */
    RP_EIO,    /* reading or writing a file failed (exit code 3) */
    RP_EFAIL,  /* a runtime failure of the model, e.g. a NaN (exit code 1) */
    RP_EINTR   /* stopped by a signal (SIGINT, SIGTERM; exit code 130) */
} rp_status;

#define RP_ERROR_MAX 1024

/* One error message, e.g. "base.yaml:3:7: error: expected a number, got 'abc'". */
typedef struct {
    char msg[RP_ERROR_MAX];
} rp_error;

/* Format msg into err (if err is not NULL) and return status. The printf-style
 * message is stored as given: callers write the "FILE:LINE:COL: error: " prefix
 * themselves where a location applies. */
int rp_status_raise(rp_error *err, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define RP_FAIL(err, status, ...) return rp_status_raise((err), (status), __VA_ARGS__)

/* A short name of a status ("invalid input", "out of memory", ...). */
const char *rp_status_name(int status);

#endif
