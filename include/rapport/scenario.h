/* scenario.h - scenario files in, validated rp_params out (MODEL.md v1).
 *
 * A scenario is YAML that states only what differs from MODEL.md's defaults
 * (the reference scenario, population included), or from another scenario
 * that it extends (a top-level `extends: FILE`, a path relative to the
 * extending file: FILE is loaded the same way, then the file's keys go over
 * it as they go over the defaults, top-level keys and sections key by key,
 * anything deeper whole; at most 16 files one after another, no cycle).
 * Loading goes
 *     file -> YAML tree (with file, line, column of every node)
 *          -> over the files it extends (each node keeps its own file)
 *          -> overrides from --set KEY=VALUE (same tree, located as "--set")
 *          -> defaults + tree -> rp_params, every value validated.
 * One table of parameters (name, type, default, bounds, meaning, unit) drives
 * validation, --set, `show` and the scenario reference in the docs.
 * Every error is one line "WHERE: error: what is wrong, expected what", WHERE
 * being "FILE:LINE:COLUMN". This module knows nothing of the engine or HDF5.
 */
#ifndef RP_SCENARIO_H
#define RP_SCENARIO_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "rapport/paramtable.h"
#include "rapport/params.h"
#include "rapport/status.h"

typedef struct rp_scenario rp_scenario;

/* Read and parse the YAML file at path, and the files it extends (no
 * validation yet: call rp_scenario_resolve after any rp_scenario_set).
 * Returns RP_OK and a new scenario in *out, or RP_EINVAL (missing, empty,
 * binary or non-YAML file, duplicate key, anchors/aliases; an `extends` that
 * is not a path, names a missing file, a directory or other file that is
 * not a regular one, the file itself, a cycle or a 17th file, located at
 * the `extends` value; an extended file's own errors, located in it) /
 * RP_ENOMEM with err filled. */
int rp_scenario_load(const char *path, rp_scenario **out, rp_error *err);

/* The same, from a string in memory; name is used in error locations, and
 * an `extends` in text is relative to name's directory. */
int rp_scenario_load_string(const char *name, const char *text, rp_scenario **out, rp_error *err);

/* Apply one override "dotted.name=VALUE", VALUE read as YAML (a scalar, or a
 * flow mapping/sequence such as "{english: 1}"). Groups and dimensions are
 * addressed by name: patients.groups.latinx.mistrust=beta(3,5),
 * culture.dimensions.class.weight=0.9. A group's distribution is changed by
 * its mean or sd, patients.groups.black.mistrust.mean=0.3 (docs/SCENARIO.md,
 * "A distribution by its mean and sd"), applied at resolution to the
 * distribution the scenario gives; a later value of the key itself, its
 * group or the groups drops such a change. Errors are located in the
 * argument ("--set:1:COLUMN"). Unknown names get a "did you mean"
 * suggestion. */
int rp_scenario_set(rp_scenario *sc, const char *assignment, rp_error *err);

/* Validate everything and fill the parameters: defaults, then the file, then
 * the overrides. Returns RP_EINVAL with the first error, located. */
int rp_scenario_resolve(rp_scenario *sc, rp_error *err);

/* Resolve without reading the data files of patients.from and
 * providers.from (their keys are still checked; the records stay NULL): for
 * a scenario stored in an output file and read back, which states its
 * counts, on a machine that may not have the files. */
void rp_scenario_skip_data(rp_scenario *sc);

/* The resolved parameters (valid after rp_scenario_resolve returned RP_OK). */
const rp_params *rp_scenario_params(const rp_scenario *sc);

/* Where the value of a dotted parameter name came from, "FILE:LINE:COLUMN"
 * (FILE the file of the chain that gave it), or "FILE:1:1" for a default
 * (FILE the one given to rp_scenario_load); for located errors found after resolution
 * (e.g. a population too large for this machine's memory). */
const char *rp_scenario_where(const rp_scenario *sc, const char *name);

/* The source path given to rp_scenario_load. */
const char *rp_scenario_path(const rp_scenario *sc);

/* Every file the scenario was read from: its path, then each file it extends
 * (`extends:`), in order; *n receives their number. Owned by sc. The output
 * rule refuses all of them as outputs. */
const char *const *rp_scenario_files(const rp_scenario *sc, int *n);

/* Write the fully resolved scenario as YAML, without `extends` (its first
 * line, a comment, names the file and the chain it extends): every
 * parameter, defaults filled in, in the order of the parameter table, with a one-line comment of
 * meaning per scalar, and the sweep's axes as written (block style), so that
 * reading it back gives identical rp_params and the same sweep. A path of a
 * file (patients.from, providers.from, uncertainty.posterior) is written
 * absolute, so that the text read back from anywhere names the same file. */
int rp_scenario_write_yaml(const rp_scenario *sc, FILE *out);

/* The same text with a first line that names no file: what a file of runs
 * stores as /scenario, so that its bytes do not depend on where the scenario
 * was (the path is the file's scenario_path attribute) and parts of one sweep
 * run from two paths hold the same scenario; for the same reason its paths
 * of files are relative to the scenario's directory (as the scenario file
 * gives them; rebased when an extended file or a --set gave them). The plan
 * id hashes this text. */
int rp_scenario_write_stored_yaml(const rp_scenario *sc, FILE *out);

/* Whether key is a dotted name a sweep's axis (or --set) may address in the
 * resolved scenario sc: a top-level key or section, SECTION.KEY, a group or
 * dimension by name (patients.groups.NAME, culture.dimensions.NAME) or one
 * of its keys (patients.groups.NAME.KEY, culture.dimensions.NAME.KEY), or
 * the mean or sd of a group's distribution (patients.groups.NAME.KEY.mean,
 * .sd: *row reads the number, rp_paramtable_moment's bounds). *row
 * is the table row describing the value (NULL for a whole section, group or
 * dimension, or a group's categorical dimension). If not, why says so in one
 * phrase, with a "did you mean" for a near miss. */
bool rp_scenario_key(const rp_scenario *sc, const char *key, const rp_param **row, char *why, size_t why_size);

/* Print the scenario reference (every parameter: name, type, default, bounds,
 * meaning, unit) as Markdown; the docs are generated from it. */
void rp_scenario_write_reference(FILE *out);

/* Free; rp_scenario_free(NULL) does nothing. */
void rp_scenario_free(rp_scenario *sc);

/* The resolved parameters of a scenario that states only seed and
 * patients.count (both required): every other value is its table default,
 * the population is MODEL.md's reference population and providers.count is
 * ceil(patients / providers.caseload). For code that needs the defaults
 * without a copy of them (tests, benchmarks). Returns RP_OK, or RP_EINVAL
 * (patients out of range) / RP_ENOMEM with err filled. */
int rp_scenario_defaults(uint64_t seed, int64_t patients, rp_params *out, rp_error *err);

#endif
