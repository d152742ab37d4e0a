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

/* path opened for reading by the input rule; NULL with errno set. */
FILE *rp_file_open_input(const char *path);

/* Check path against the output rule before anything is computed; inputs
 * (n_inputs paths, NULLs skipped) are the files the command reads. RP_EINVAL
 * for a path the rule refuses, RP_EIO for one the system refuses. */
int rp_file_check_output(const char *path, bool force, const char *const *inputs, int n_inputs, rp_error *err);

#endif
