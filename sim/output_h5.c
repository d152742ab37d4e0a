/* output_h5.c - see output_h5.h. */
#define _POSIX_C_SOURCE 200809L
#include "output_h5.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

void rp_h5_quiet(void)
{
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
}

void rp_output_library_init(void)
{
    /* HDF5's own exit handler closes whatever is open; after a failed write
     * (a full disk) a file it could not close crashes it (seen with 1.10.8).
     * rapport closes its files itself and calls rp_output_library_close on
     * success instead. */
    H5dont_atexit();
    H5open();
    rp_h5_quiet();
}

void rp_output_library_close(void)
{
    H5close();
}

typedef struct {
    char text[512];
    bool found;
} first_message;

/* The innermost error of HDF5's stack: where it started, with its reason. */
static herr_t first_error(unsigned n, const H5E_error2_t *e, void *data)
{
    first_message *m = data;
    if (n == 0 && !m->found) {
        char minor[128] = "";
        H5Eget_msg(e->min_num, NULL, minor, sizeof minor);
        snprintf(m->text, sizeof m->text, "%s%s%s", e->desc ? e->desc : "", minor[0] ? ": " : "", minor);
        m->found = true;
    }
    return 0;
}

int rp_h5_error(rp_error *err, const char *what, const char *path)
{
    const int saved = errno; /* the file driver's reason, e.g. ENOSPC */
    first_message m = {.found = false};
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_DOWNWARD, first_error, &m);
    H5Eclear2(H5E_DEFAULT);
    if (saved && !m.found)
        return rp_error_raise(err, RP_EIO, "cannot %s %s: %s", what, path, strerror(saved));
    if (saved)
        return rp_error_raise(err, RP_EIO, "cannot %s %s: %s (%s)", what, path, m.text, strerror(saved));
    return rp_error_raise(err, RP_EIO, "cannot %s %s: %s", what, path, m.found ? m.text : "HDF5 reported no reason");
}

hid_t rp_h5_string_type(void)
{
    hid_t t = H5Tcopy(H5T_C_S1);
    if (t < 0)
        return t;
    if (H5Tset_size(t, H5T_VARIABLE) < 0 || H5Tset_cset(t, H5T_CSET_UTF8) < 0) {
        H5Tclose(t);
        return -1;
    }
    return t;
}

/* Create attribute name on obj in dataspace space (closed here) and write it. */
static herr_t write_attr(hid_t obj, const char *name, hid_t type, hid_t space, const void *value)
{
    hid_t a = space < 0 ? -1 : H5Acreate2(obj, name, type, space, H5P_DEFAULT, H5P_DEFAULT);
    herr_t st = a < 0 ? -1 : H5Awrite(a, type, value);
    if (a >= 0)
        H5Aclose(a);
    if (space >= 0)
        H5Sclose(space);
    return st;
}

herr_t rp_h5_attr_scalar(hid_t obj, const char *name, hid_t type, const void *value)
{
    return write_attr(obj, name, type, H5Screate(H5S_SCALAR), value);
}

herr_t rp_h5_attr_string(hid_t obj, const char *name, const char *value)
{
    hid_t t = rp_h5_string_type();
    herr_t st = t < 0 ? -1 : rp_h5_attr_scalar(obj, name, t, &value);
    if (t >= 0)
        H5Tclose(t);
    return st;
}

herr_t rp_h5_attr_vector(hid_t obj, const char *name, hid_t type, hsize_t n, const void *value)
{
    return write_attr(obj, name, type, H5Screate_simple(1, &n, NULL), value);
}

herr_t rp_h5_read_attr_string(hid_t obj, const char *name, char *buf, size_t size)
{
    buf[0] = '\0';
    if (H5Aexists(obj, name) <= 0)
        return 0;
    hid_t a = H5Aopen(obj, name, H5P_DEFAULT), t = rp_h5_string_type();
    char *value = NULL;
    herr_t st = a < 0 || t < 0 ? -1 : H5Aread(a, t, &value);
    if (st >= 0 && value)
        snprintf(buf, size, "%s", value);
    if (value)
        H5free_memory(value);
    if (t >= 0)
        H5Tclose(t);
    if (a >= 0)
        H5Aclose(a);
    return st;
}

void rp_h5_utc_now(char *buf, size_t size)
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}
