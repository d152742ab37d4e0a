/* files.h - the two rules for every file rapport opens, in one place so that
 * no command can open a file its own way.
 *
 * Inputs are opened without waiting: a FIFO nobody writes to is never waited
 * for (it reads as empty, and is refused as such), while a pipe with a writer,
 * e.g. <(generate-scenario), reads as usual.
 *
 * Outputs: the path is a new name or an existing regular file (replaced only
 * with --force), never a directory, device, FIFO, socket or symbolic link,
 * never one of the command's inputs (compared by device and inode, so another
 * spelling of the same file is caught), and short enough that the names made
 * from it (FILE.partial-PID, FILE.parts/batch-...) fit the file system.
 */
#ifndef RP_FILES_H
#define RP_FILES_H

#include <stdbool.h>
#include <stdio.h>

#include "rapport/status.h"

/* Longest suffix rapport adds to an output path for the names it makes
 * beside or below it (".partial-PID", ".parts/batch-W...-P...-NNNN.h5.partial-PID"). */
#define RP_FILE_SUFFIX_MAX 80

/* A path written in the file at dir_of (a scenario's `extends:`, a data
 * file's `from:`), as opened: dir_of's directory joined with rel, unless rel
 * is absolute or dir_of has no directory. Malloc'd; NULL if out of memory. */
char *rp_file_join(const char *dir_of, const char *rel);

/* path (as opened: absolute, or relative to the working directory) made
 * absolute: the real path of its directory joined with its last component
 * (kept as named, a symbolic link too). Malloc'd; NULL when its directory
 * does not resolve, or out of memory. */
char *rp_file_absolute(const char *path);

/* path (as opened) relative to the directory of dir_of (a file's path, as
 * opened), so that rp_file_join(dir_of, the result) names the same file:
 * path without dir_of's directory when it begins with it as written
 * (rp_file_join then gives path itself), else from the real paths of both
 * ("../data/x.csv"). Malloc'd; NULL when a directory does not resolve, or
 * out of memory. */
char *rp_file_relative(const char *dir_of, const char *path);

/* path opened for reading by the input rule; NULL with errno set. */
FILE *rp_file_open_input(const char *path);

/* Check path against the output rule before anything is computed; inputs
 * (n_inputs paths, NULLs skipped) are the files the command reads. RP_EINVAL
 * for a path the rule refuses, RP_EIO for one the system refuses. */
int rp_file_check_output(const char *path, bool force, const char *const *inputs, int n_inputs, rp_error *err);

#endif
