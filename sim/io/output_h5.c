/* output_h5.c - see output_h5.h. */
#define _POSIX_C_SOURCE 200809L
#include "io/output_h5.h"
#include "core/text.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>


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
    int sys_errno; /* of the failed system call, as HDF5 recorded it; 0 if none */
    bool found;
} hdf5_reason;

/* Walked from the innermost record out: the first says where the failure
 * started; a file driver's record carries the errno of its failed system
 * call in its text ("..., errno = 28, error message = '...'"). */
static herr_t innermost(unsigned n, const H5E_error2_t *e, void *data)
{
    hdf5_reason *m = data;
    const char *sys = e->desc ? strstr(e->desc, "errno = ") : NULL;
    int code = 0;
    if (!m->sys_errno && sys && sscanf(sys, "errno = %d", &code) == 1 && code > 0)
        m->sys_errno = code;
    if (n == 0) {
        char minor[128] = "";
        H5Eget_msg(e->min_num, NULL, minor, sizeof minor);
        snprintf(m->text, sizeof m->text, "%s", e->desc && e->desc[0] ? e->desc : minor);
        m->found = true;
    }
    return 0;
}

/* The latest failure HDF5 reported, recorded when it happened: the calls
 * that close what a failed operation opened clear HDF5's error stack, so it
 * is empty by the time the caller turns the failure into a message. */
static hdf5_reason last_failure;

static herr_t record_failure(hid_t stack, void *data)
{
    (void)data;
    last_failure = (hdf5_reason){.found = false};
    H5Ewalk2(stack, H5E_WALK_UPWARD, innermost, &last_failure);
    return 0;
}

void rp_h5_quiet(void)
{
    H5Eset_auto2(H5E_DEFAULT, record_failure, NULL);
    last_failure = (hdf5_reason){.found = false}; /* a new operation: nothing failed yet */
}

/* HDF5's reason as one line: a system call's failure by its errno (never a
 * stale errno: HDF5 calls that fail without a system call leave an old one),
 * else the innermost message; status for the latter. The record is used
 * once. */
static int hdf5_error(rp_error *err, int status, const char *what, const char *path)
{
    const hdf5_reason m = last_failure;
    last_failure = (hdf5_reason){.found = false};
    H5Eclear2(H5E_DEFAULT);
    if (m.sys_errno)
        return rp_status_raise(err, RP_EIO, "cannot %s %s: %s", what, path, strerror(m.sys_errno));
    char line[sizeof m.text];
    rp_text_excerpt(m.found ? m.text : "HDF5 reported no reason", line, sizeof line);
    return rp_status_raise(err, status, "cannot %s %s: %s", what, path, line);
}

int rp_h5_error(rp_error *err, const char *what, const char *path)
{
    return hdf5_error(err, RP_EIO, what, path);
}

int rp_h5_read_error(rp_error *err, const char *what, const char *path)
{
    return hdf5_error(err, RP_EINVAL, what, path);
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

/* The attribute name of obj, open, if it is one value (a scalar, or a vector
 * of one) of type class cls: 1; 0 if absent; -1 if it is something else, so
 * that nothing is read into a buffer it does not fit. */
static int open_scalar_attr(hid_t obj, const char *name, H5T_class_t cls, hid_t *attr)
{
    *attr = H5I_INVALID_HID;
    htri_t exists = H5Aexists(obj, name);
    if (exists <= 0)
        return exists < 0 ? -1 : 0;
    hid_t a = H5Aopen(obj, name, H5P_DEFAULT);
    hid_t s = a < 0 ? -1 : H5Aget_space(a), t = a < 0 ? -1 : H5Aget_type(a);
    const bool one = s >= 0 && H5Sget_simple_extent_npoints(s) == 1, right = t >= 0 && H5Tget_class(t) == cls;
    const bool variable = t >= 0 && cls == H5T_STRING && H5Tis_variable_str(t) > 0;
    if (s >= 0) H5Sclose(s);
    if (t >= 0) H5Tclose(t);
    if (!one || !right || (cls == H5T_STRING && !variable)) {
        if (a >= 0)
            H5Aclose(a);
        return -1;
    }
    *attr = a;
    return 1;
}

int rp_h5_read_attr_string(hid_t obj, const char *name, char *buf, size_t size)
{
    buf[0] = '\0';
    hid_t a;
    int found = open_scalar_attr(obj, name, H5T_STRING, &a);
    if (found <= 0)
        return found;
    hid_t t = rp_h5_string_type();
    char *value = NULL;
    herr_t st = t < 0 ? -1 : H5Aread(a, t, &value);
    if (st >= 0 && value)
        snprintf(buf, size, "%s", value);
    if (value)
        H5free_memory(value);
    if (t >= 0)
        H5Tclose(t);
    H5Aclose(a);
    return st < 0 ? -1 : 1;
}

int rp_h5_read_attr_int(hid_t obj, const char *name, int64_t *value)
{
    *value = 0;
    hid_t a;
    int found = open_scalar_attr(obj, name, H5T_INTEGER, &a);
    if (found <= 0)
        return found;
    herr_t st = H5Aread(a, H5T_NATIVE_INT64, value); /* HDF5 converts, and fails on overflow */
    H5Aclose(a);
    return st < 0 ? -1 : 1;
}

void rp_h5_utc_now(char *buf, size_t size)
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

hid_t rp_h5_scale(hid_t g, const char *name, hid_t type, hsize_t n, const void *data, const char *long_name)
{
    hid_t s = H5Screate_simple(1, &n, NULL);
    hid_t ds = s < 0 ? -1 : H5Dcreate2(g, name, type, s, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    herr_t st = ds < 0 ? -1 : H5Dwrite(ds, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data);
    if (st >= 0)
        st = H5DSset_scale(ds, name);
    if (st >= 0)
        st = rp_h5_attr_string(ds, "long_name", long_name);
    if (s >= 0)
        H5Sclose(s);
    if (st < 0 && ds >= 0) {
        H5Dclose(ds);
        return -1;
    }
    return ds;
}
