/* extends.h - `extends: FILE`: a scenario that builds on another.
 *
 * A scenario's top-level `extends:` names a scenario file (a path relative
 * to the extending file, or absolute). The extended file is read, checked
 * and resolved the same way (it may extend another, at most RP_EXTENDS_MAX
 * files one after another), then the extending file's keys are put over it
 * as --set puts a mapping: top-level keys and sections key by key, anything
 * deeper (groups, dimensions, a sweep's grid) whole. What comes out is one
 * tree without `extends`, whose nodes keep the file, line and column where
 * they were written, so every later error and rp_scenario_where names the
 * file that gave the value.
 *
 * Errors are located at the `extends` value: not a path, a file that cannot
 * be opened or read, a directory or other file that is not a regular one
 * (a device, a FIFO), the file itself, a cycle (the files of the
 * cycle named), a chain longer than RP_EXTENDS_MAX. An extended file's own
 * errors (YAML, its top level, the caller's check) are located in it.
 */
#ifndef RP_EXTENDS_H
#define RP_EXTENDS_H

#include "rapport/status.h"
#include "input/yamltree.h"

#define RP_EXTENDS_MAX 16 /* files extended one after another by one scenario */

/* The checks of one document before it is merged (its top level is a
 * mapping, ...): RP_OK, or an error located in it. name is the document's
 * name in locations. */
typedef int (*rp_extends_check_fn)(const rp_ynode *root, const char *name, rp_error *err);

/* Follow the `extends:` of root, the parsed and checked top-level mapping of
 * the document name, parsing every file of the chain into t and checking
 * each with check. On RP_OK root has no `extends` key and holds, where it is
 * silent, the keys of the files it extends; *files is NULL and *n 0 if it
 * extends none, else a malloc'd array of the *n files extended, in order, as
 * opened (malloc'd strings; free with rp_extends_free). RP_EINVAL (located)
 * or RP_ENOMEM. */
int rp_extends_resolve(rp_ytree *t, rp_ynode *root, const char *name, rp_extends_check_fn check, char ***files,
                       int *n, rp_error *err);

/* Free what rp_extends_resolve returned. */
void rp_extends_free(char **files, int n);

#endif
