/* input.h - the input layer's internal interface (not installed).
 *
 * The input layer reads YAML (yamltree) and hands plain specs to the rest of
 * the library: resolved parameters (scenario.h), the sweep spec of a
 * scenario's `sweep:` section (axes as dotted keys with their values as
 * text, or ranges) for the plan, and the calibration spec of a calibration
 * file (free keys with bounds and start, targets, budget) for calibrate.c.
 * Every section is checked against its schema (schema.h) and every error is
 * located "FILE:LINE:COLUMN: error: ...". No YAML type leaves sim/: what is
 * here is shared by the input modules (scenario.c, input_sweep.c,
 * input_calibration.c), the plan and calibrate.c, and by white-box tests;
 * outside the input modules a node is an opaque handle, never read.
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

#include "rapport/calibrate.h"
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

/* ---- the sweep spec ---- */

/* One value of a list axis. */
typedef struct {
    char *text;                  /* as scenario text: a scalar as written, a collection as flow text */
    bool quoted;                 /* a scalar written in quotes */
    bool collection;             /* a mapping or a sequence */
    const char *where;           /* FILE:LINE:COLUMN */
    const struct rp_ynode *node; /* opaque: for rp_override.value */
    /* a section given a mapping of scalars merges key by key: its leaves
     * SECTION.KEY = VALUE (n_leaves 0 for any other collection) */
    size_t n_leaves;
    char **leaf_keys, **leaf_texts;
    bool *leaf_quoted;
} rp_sweep_value;

typedef struct {
    char *key;           /* dotted key */
    const char *where;   /* of the key */
    char context[48];    /* where declared: "sweep.grid", "sweep.zip[2]", "sweep.lhs.ranges" */
    const rp_param *row; /* rp_scenario_key's row; NULL for a collection */
    int factor;          /* index of the factor that moves it */
    /* a list (grid, zip) */
    size_t n;
    rp_sweep_value *values;
    /* a range (lhs, sobol) */
    int column; /* -1 for a list */
    double lo, hi;
    const char *range_where; /* of [lo, hi] */
} rp_sweep_axis;

typedef enum { RP_DESIGN_NONE = 0, RP_DESIGN_LHS, RP_DESIGN_SOBOL } rp_design;

typedef struct {
    const char *where; /* of the sweep section (NULL: no sweep, one point) */
    rp_sweep_axis *axes;
    size_t n_axes;
    int64_t *factor_sizes; /* grid axes, then zips, then the sample design */
    int n_factors;
    rp_design design;
    int64_t samples;
    bool saltelli;
    int dims, sample_factor; /* ranges; the design's factor (-1: none) */
} rp_sweep_spec;

/* Read and check sc's sweep section (sc resolved): axes with keys
 * rp_scenario_key accepts, not overlapping, values or ranges as written.
 * RP_OK, RP_EINVAL located at the key, list, item or range, or RP_ENOMEM;
 * free the spec with rp_sweep_spec_free in any case. */
int rp_sweep_spec_read(const rp_scenario *sc, rp_sweep_spec *spec, rp_error *err);
void rp_sweep_spec_free(rp_sweep_spec *spec);

/* ---- the plan's two paths (plan.c; for tests) ---- */

struct rp_plan;

/* Whether the plan makes its points field by field (rp_scenario_field and
 * rp_scenario_derive), rather than resolving each as written. */
bool rp_plan_typed(const struct rp_plan *plan);

/* Point resolved as written, through rp_scenario_resolve_with: what
 * rp_plan_params gives, the slow way. RP_OK, RP_EINVAL or RP_ENOMEM. */
int rp_plan_resolve(const struct rp_plan *plan, int64_t point, rp_params *out, rp_error *err);

/* ---- the calibration spec ---- */

/* A calibration as its file states it (calibrate.h's rp_calibration): the
 * input layer fills it, calibrate.c evaluates and fits it. */
struct rp_calibration {
    char *path;          /* the calibration file's name */
    char *scenario_path; /* as opened */
    rp_scenario *sc;     /* loaded and resolved, without a sweep */
    int replicates;
    long long patients; /* 0: the scenario's */
    char patients_text[32], providers_text[32]; /* patients.count and the providers.count it implies */
    char patients_where[RP_CAL_KEY_MAX + 64];
    int n_free, n_targets;
    rp_cal_free free[RP_CAL_MAX_FREE];   /* with the scenario's own value of each */
    rp_cal_target target[RP_CAL_MAX_TARGETS];
    int evaluations;
    double tolerance;
    int n_groups; /* the scenario's patient groups, which targets may name */
    char group_name[RP_MAX_GROUPS][RP_NAME_MAX];
};

/* Read the calibration text named name into cal (zeroed by the caller; a
 * relative scenario path is taken relative to dir, NULL: the current
 * directory): every section checked against its schema, the scenario loaded
 * and resolved, every free key (a real-valued parameter, bounds inside its
 * own) and target (an observable, a patient group of the scenario) checked
 * against it. RP_OK, RP_EINVAL (located) or RP_ENOMEM; what cal holds is
 * the caller's to free in any case. */
int rp_cal_spec_read(const char *name, const char *text, const char *dir, struct rp_calibration *cal,
                     rp_error *err);

/* The same from the file at path (a relative scenario path is relative to
 * the file's folder). */
int rp_cal_spec_load(const char *path, struct rp_calibration *cal, rp_error *err);

#endif
