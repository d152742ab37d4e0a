/* input.h - the input layer's internal interface (not installed).
 *
 * The input layer reads YAML (yamltree) and hands plain specs to the rest of
 * the library: resolved parameters (scenario.h), the sweep spec of a
 * scenario's `sweep:` section (sweep_spec.h: axes as dotted keys with their
 * values as text, or ranges) for the plan, and the calibration spec of a
 * calibration file (calibration_spec.h: free keys with bounds and start,
 * targets, budget) for calibrate.c. Every section is checked against its
 * schema (schema.h) and every error is located "FILE:LINE:COLUMN: error:
 * ...". No YAML type leaves sim/: what is here is shared by the readers
 * (scenario.c, sweep_spec.c, calibration_spec.c), the plan and calibrate.c,
 * and by white-box tests; outside the readers a node is an opaque handle,
 * never read. The two spec headers sit with their users' layers (plan,
 * exec): they name those layers' types and limits.
 *
 * The plan applies a point without YAML: rp_scenario_field says where a
 * swept key's value lives in rp_params, and rp_scenario_derive recomputes
 * what resolution derives (computed defaults, checks across values) with
 * the resolution's own code.
 */
#ifndef RP_INPUT_H
#define RP_INPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rapport/paramtable.h"
#include "rapport/params.h"
#include "rapport/scenario.h"
#include "rapport/status.h"

struct rp_ynode; /* yamltree.h: an opaque handle outside the input modules */

/* ---- overrides of a resolved scenario ---- */

/* One value to put at a dotted key, as --set would, for one resolution. */
typedef struct {
    const char *key;              /* dotted name as --set takes it: trust.rate, patients.groups.latinx.mistrust */
    const struct rp_ynode *value; /* the value as written (a node of the scenario's tree), or NULL: then text */
    const char *text;             /* with value NULL: the value as one plain scalar (not parsed as YAML) */
    const char *where;            /* "FILE:LINE:COLUMN" of a text value and of a new key */
    const char *context;          /* prefix of the key in messages, e.g. "sweep.grid", or NULL */
} rp_override;

/* Resolve sc's effective tree with the n overrides put into it, in order
 * (a later one of the same key wins; a section given a mapping merges key
 * by key, as with --set), into out, with exactly the validation of
 * rp_scenario_resolve. sc itself is not changed: the tree is shared and only
 * the collections on the way to each override are copied for the call, so
 * resolutions may run concurrently on one scenario. sc must have been
 * resolved. An error inside an override's value is located where the value
 * was written and names the key prefixed with its context:
 *     s.yaml:9:30: error: sweep.grid.discussion.policy: expected one of ...
 * Returns RP_OK, RP_EINVAL (sc not resolved, a key rp_scenario_key refuses,
 * an invalid value) or RP_ENOMEM. Load: about 15 us per call (Release). */
int rp_scenario_resolve_with(const rp_scenario *sc, size_t n, const rp_override *ov, rp_params *out,
                             rp_error *err);

/* The node at a dotted path of sc's effective tree (file, defaults, --set),
 * e.g. "sweep", or NULL; owned by sc. For the input modules only. */
const struct rp_ynode *rp_scenario_node(const rp_scenario *sc, const char *name);

/* ---- applying values without YAML (the points of a plan) ---- */

/* Where the value of a dotted key lives in rp_params. */
typedef struct {
    size_t offset, size;  /* of the bytes the value sets */
    const rp_param *row;  /* the row parsing the value; NULL for a group's categorical dimension */
    int levels;           /* >= 0: a group's categorical dimension (a level name sets level_prob[k]): its dimension */
} rp_field;

/* The field of key in sc's resolved parameters: a top-level row, a group's
 * key or continuous dimension, a group's categorical dimension (given a
 * level name), a dimension's weight. False for a key that is not one field
 * (a section, a whole group or dimension, a dimension's name, kind or
 * levels, which change the population's structure). */
bool rp_scenario_field(const rp_scenario *sc, const char *key, rp_field *f);

/* The value text (quoted: written in quotes) of field f as the bytes the
 * resolution would store there (size f->size, zeros besides the value).
 * False if the text is not a valid value there (resolution says why). */
bool rp_scenario_field_parse(const rp_scenario *sc, const rp_field *f, const char *text, bool quoted,
                             unsigned char *bytes);

/* The parameters as the table walk of rp_scenario_resolve left them, before
 * what resolution derives (rp_scenario_derive): copied, changed at fields,
 * then derived, they are the parameters of a point. */
const rp_params *rp_scenario_raw_params(const rp_scenario *sc);

/* What resolution derives from the values in p: computed defaults of keys
 * that sc's tree does not give and that are not among keys[0..n) (the
 * fields set), group shares summing to 1, the checks across values, the
 * dimension assignment matches on. The same code as rp_scenario_resolve's.
 * RP_OK, or RP_EINVAL without a message: resolve the point with
 * rp_scenario_resolve_with to have the located error. Pure: concurrent calls
 * on one scenario are safe. */
int rp_scenario_derive(const rp_scenario *sc, rp_params *p, size_t n, const char *const *keys);

/* ---- a distribution by its mean and sd (KEY.mean, KEY.sd) ---- */

/* The row a value of KEY.mean (sd false) or KEY.sd (sd true) is read
 * through, for the key's distribution row dist (a group's key or continuous
 * dimension): a number within the bounds the mean or sd can have there. NULL
 * if dist is not a distribution's row. */
const rp_param *rp_paramtable_moment(const rp_param *dist, bool sd);

/* d with its mean (sd false) or its sd (sd true) set to x, as
 * docs/SCENARIO.md says: beta(a, b) keeps its concentration a + b for a mean
 * and its mean for an sd (a + b = m (1 - m) / sd^2 - 1, refused unless > 0);
 * gamma(shape, scale) keeps its shape for a mean and its mean for an sd
 * (shape = (mean / sd)^2, scale = sd^2 / mean); normal(mean, sd) takes
 * either as it is; a fixed number takes a mean as its value and has no sd.
 * The distribution made must be a valid value of row (rp_paramtable_parse).
 * True, or false with why saying what is wrong and what was expected. */
bool rp_scenario_moment(const rp_param *row, rp_dist *d, bool sd, double x, char *why, size_t why_size);

/* The mean or sd that the moment key (patients.groups.NAME.KEY.mean, .sd)
 * names, of its distribution in p (a fixed number: its value, sd 0): what a
 * file's /runs column of such an axis holds. False if key is not a moment
 * key of a distribution in p. */
bool rp_params_moment(const rp_params *p, const char *key, double *value);

#endif
