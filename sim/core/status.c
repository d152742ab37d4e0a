/* status.c - formatting of rp_error; see status.h. */
#include "rapport/status.h"

#include <stdarg.h>
#include <stdio.h>

int rp_status_raise(rp_error *err, int status, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
    }
    return status;
}

const char *rp_status_name(int status)
{
    switch (status) {
    case RP_OK: return "ok";
    case RP_EINVAL: return "invalid input";
    case RP_ENOMEM: return "out of memory";
    case RP_EIO: return "input/output error";
    case RP_EFAIL: return "runtime failure";
    case RP_EINTR: return "interrupted";
    default: return "unknown status";
    }
}
