/* sweep_spec.h - a scenario's `sweep:` section as a plain spec (internal).
 *
 * Read by sweep_spec.c (the input layer's reader of sweeps: axes checked by
 * rp_scenario_key, every error located at the key, list, item or range),
 * used by the plan (plan.c), which reads no YAML. It names the plan's limits
 * (rapport/plan.h), so it belongs with the plan.
 */
#ifndef RP_SWEEP_SPEC_H
#define RP_SWEEP_SPEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rapport/paramtable.h"
#include "rapport/params.h"
#include "rapport/plan.h"
#include "rapport/scenario.h"
#include "rapport/status.h"

struct rp_ynode; /* yamltree.h: an opaque handle outside the readers */

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

/* Whether dotted keys a and b address the same value or one inside the
 * other (discussion and discussion.policy): two axes may not; an axis and an
 * uncertainty draw (plan.c) may not either. */
bool rp_sweep_keys_overlap(const char *a, const char *b);

/* ---- the plan's two paths (plan.c; for tests) ---- */

/* Whether the plan makes its points field by field (rp_scenario_field and
 * rp_scenario_derive), rather than resolving each as written. */
bool rp_plan_typed(const rp_plan *plan);

/* Point resolved as written, through rp_scenario_resolve_with: what
 * rp_plan_params gives, the slow way. RP_OK, RP_EINVAL or RP_ENOMEM. */
int rp_plan_resolve(const rp_plan *plan, int64_t point, rp_params *out, rp_error *err);

#endif
