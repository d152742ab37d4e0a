/* output_h5.h - small checked HDF5 helpers shared by the output module's
 * files (output.c, output_layout.c, output_merge.c); nothing else includes
 * hdf5.h. Each helper returns < 0 on an HDF5 failure; hdf5_error turns
 * HDF5's error stack into one line. */
#ifndef RP_OUTPUT_H5_H
#define RP_OUTPUT_H5_H

#include <stddef.h>
#include <stdint.h>

#include <hdf5.h>
#include <hdf5_hl.h>

#include "rapport/status.h"

/* Turn off HDF5's own printing of errors (they come back as one line). */
void rp_h5_quiet(void);

/* Fill err with "cannot WHAT PATH: <innermost HDF5 message>", return RP_EIO. */
int rp_h5_error(rp_error *err, const char *what, const char *path);

/* A variable-length UTF-8 string type (close it with H5Tclose). */
hid_t rp_h5_string_type(void);

herr_t rp_h5_attr_string(hid_t obj, const char *name, const char *value);
herr_t rp_h5_attr_scalar(hid_t obj, const char *name, hid_t type, const void *value);
herr_t rp_h5_attr_vector(hid_t obj, const char *name, hid_t type, hsize_t n, const void *value);

/* The string attribute name of obj into buf ("" if absent); < 0 on error. */
herr_t rp_h5_read_attr_string(hid_t obj, const char *name, char *buf, size_t size);

/* "2026-11-25T20:39:53Z" */
void rp_h5_utc_now(char *buf, size_t size);

#endif
