/* output_h5.h - small checked HDF5 helpers shared by the output module's
 * files (output.c, output_layout.c, output_merge.c); nothing else includes
 * hdf5.h. Each helper returns < 0 on an HDF5 failure; rp_h5_error turns
 * HDF5's error stack into one line. */
#ifndef RP_OUTPUT_H5_H
#define RP_OUTPUT_H5_H

#include <stddef.h>
#include <stdint.h>

#include <hdf5.h>
#include <hdf5_hl.h>

#include "rapport/status.h"

/* Turn off HDF5's own printing of errors: each failure is recorded instead,
 * for rp_h5_error to turn into one line. Called as an operation on a file
 * begins (it forgets older failures). */
void rp_h5_quiet(void);

/* Fill err with "cannot WHAT PATH: REASON" and return RP_EIO. REASON is
 * strerror of the system call that failed when HDF5 recorded one (a full
 * disk), else HDF5's innermost message. */
int rp_h5_error(rp_error *err, const char *what, const char *path);

/* The same for reading a file: RP_EINVAL (the file is corrupt or not what
 * it claims, such as a truncated file), RP_EIO only for a failed system call. */
int rp_h5_read_error(rp_error *err, const char *what, const char *path);

/* A variable-length UTF-8 string type (close it with H5Tclose). */
hid_t rp_h5_string_type(void);

herr_t rp_h5_attr_string(hid_t obj, const char *name, const char *value);
herr_t rp_h5_attr_scalar(hid_t obj, const char *name, hid_t type, const void *value);
herr_t rp_h5_attr_vector(hid_t obj, const char *name, hid_t type, hsize_t n, const void *value);

/* Read a scalar attribute of obj, one variable-length string into buf
 * (truncated to size; "" if absent) or one integer of any integer type:
 * 1 read, 0 absent, -1 present but not one value of that kind. */
int rp_h5_read_attr_string(hid_t obj, const char *name, char *buf, size_t size);
int rp_h5_read_attr_int(hid_t obj, const char *name, int64_t *value);

/* The build's attributes of every rapport file's root, in this order:
 * gsl_version, hdf5_version, compiler, compiler_flags, rng (output.c). */
herr_t rp_h5_attr_toolchain(hid_t root);

/* A fixed coordinate: the one-dimensional dataset name of g holding n
 * values of type, made a dimension scale with a long_name; its id, or -1. */
hid_t rp_h5_scale(hid_t g, const char *name, hid_t type, hsize_t n, const void *data, const char *long_name);

/* "2026-11-25T20:39:53Z" */
void rp_h5_utc_now(char *buf, size_t size);

#endif
