/* plan.h - a scenario's sweep expanded into runs (points x replicates).
 *
 * The `sweep:` section of a scenario declares axes: grid (a cartesian
 * product of value lists), zip (lists that move together), and at most one
 * sampling design, lhs (a Latin hypercube) or sobol (a Sobol sequence,
 * optionally a Saltelli design). A point is one value of every axis, applied
 * to the scenario as overrides of the axes' dotted keys (as --set would); a
 * run is one point and one replicate: run r is point r / R, replicate r % R.
 * Without a sweep, the plan has one point, the scenario itself.
 *
 * Point order: the first grid axis varies slowest, then the later grid axes,
 * then the zips in order, then the samples (fastest). The plan is a pure
 * function of the resolved scenario (LHS draws come from rapport's Philox
 * streams keyed by the seed); it knows nothing of the engine, HDF5 or MPI.
 * Creating a plan checks its points through the scenario's own validation
 * (every point of small plans; of large ones, the first 4096 and 4096 more
 * spread evenly: the others are checked when their parameters are made), and
 * parses every value of every axis once, into the field it sets.
 * docs/SCENARIO.md, "Sweeps", is the user's description.
 *
 * Load: creating resolves the checked points once (about 15 us a point in a
 * Release build, at most 8193 points); memory is small except for sampled
 * values, about 40 bytes per point and range, and about 150 bytes per value
 * of a list.
 */
#ifndef RP_PLAN_H
#define RP_PLAN_H

#include <stdint.h>
#include <stdio.h>

#include "rapport/params.h"
#include "rapport/scenario.h"
#include "rapport/stats.h"
#include "rapport/status.h"

#define RP_PLAN_MAX_POINTS 1000000 /* points of one sweep */
#define RP_PLAN_MAX_SOBOL_DIMS 40  /* of gsl_qrng_sobol: ranges, twice the ranges with saltelli */

typedef struct rp_plan rp_plan;

/* The plan of the resolved scenario sc (after rp_scenario_resolve returned
 * RP_OK): reads sc's sweep section and replicates, checks them, and resolves
 * every point. sc must outlive the plan. Returns RP_OK and a new plan in
 * *out, or RP_EINVAL with the first error located in the file ("FILE:LINE:COL:
 * error: sweep.grid.discussion.policy: expected one of ..., got 'sometimes'",
 * at the offending list item, key or range), or RP_ENOMEM. */
int rp_plan_create(const rp_scenario *sc, rp_plan **out, rp_error *err);

/* Points, replicates (R; with draws, D x R: a point's runs) and runs
 * (points x R) of the plan. */
int64_t rp_plan_points(const rp_plan *plan);
int64_t rp_plan_replicates(const rp_plan *plan);
int64_t rp_plan_runs(const rp_plan *plan);

/* What the statistics of the plan's sweep need (stats.h): its points,
 * replicates and draws, and the scenario's contrasts and model version. */
void rp_plan_stats_design(const rp_plan *plan, rp_stats_design *d);

/* The resolved parameters of point: the scenario's parameters with the
 * point's values stored in their fields and what resolution derives from
 * them recomputed (computed defaults, the checks across values); no YAML is
 * read (a plan with an axis whose values are collections other than a
 * section's mapping of scalars resolves the point as written). Pure: safe
 * to call from several threads at once, about 3 us (a copy of rp_params).
 * RP_OK, RP_EINVAL if point is not in [0, points) or is invalid (located as
 * by rp_plan_create), or RP_ENOMEM. */
int rp_plan_params(const rp_plan *plan, int64_t point, rp_params *out, rp_error *err);

/* ---- a probabilistic sensitivity analysis (the `uncertainty:` section) ----
 *
 * With draws attached, every point runs under each of D draws of some
 * coefficients (their values replacing the scenario's), R replicates each:
 * a point's runs are its D x R "replicates" j, draw j / R, replicate j % R
 * within the draw, on stream j (common streams: draw d's replicate r sees
 * the same random numbers at every point, and each (d, r) its own). The
 * exec layer makes the draws (rp_exec_plan_create: from a posterior file or
 * priors) and attaches them once, before any run. */

#define RP_PLAN_MAX_DRAWS 100000
#define RP_PLAN_MAX_DRAW_RUNS 1000000000 /* draws x replicates of one point */

typedef struct {
    int64_t draws;          /* D >= 1 */
    int n_keys;             /* K >= 1 */
    const char *const *keys;/* [K] dotted keys of real-valued coefficients, not swept */
    const double *values;   /* [D x K], draw-major */
    const char *source;     /* what they came from, for `show` and the file's uncertainty_source */
    const char *where;      /* FILE:LINE:COLUMN of the uncertainty section, for messages */
} rp_plan_draws_spec;

/* Attach the draws (copied): each key checked (a real-valued field of the
 * scenario, no sweep axis, given once), each value (within its key's range)
 * and each draw at point 0 (the scenario's checks across values); the plan id
 * then covers the draws. RP_OK, RP_EINVAL located at d->where, RP_ENOMEM. */
int rp_plan_set_draws(rp_plan *plan, const rp_plan_draws_spec *d, rp_error *err);

/* D (0: no draws), R (replicates per draw; without draws, per point), the
 * draw of run (-1 without draws), the keys, the source text. */
int64_t rp_plan_draws(const rp_plan *plan);
int64_t rp_plan_draw_replicates(const rp_plan *plan);
int64_t rp_plan_draw(const rp_plan *plan, int64_t run);
int rp_plan_draw_keys(const rp_plan *plan, const char *const **keys);
const char *rp_plan_draws_source(const rp_plan *plan);

/* The parameters of run: its point's (rp_plan_params) under its draw. */
int rp_plan_run_params(const rp_plan *plan, int64_t run, rp_params *out, rp_error *err);

/* The point, replicate and random stream of run (in [0, runs); NULL outputs
 * are skipped). Streams: common, stream = replicate, so replicate r of every
 * point sees the same random numbers; independent, stream = (point + 1) x
 * 2^32 + replicate, unique to the run and never a stream of common
 * (replicates < 2^32, points < 2^32 - 1). */
void rp_plan_run(const rp_plan *plan, int64_t run, int64_t *point, uint64_t *replicate, uint64_t *stream);

/* The number of axes, with *names (owned by the plan) set to their dotted
 * keys in declared order: grid axes, then each zip's keys, then the ranges
 * of lhs or sobol. */
int rp_plan_axes(const rp_plan *plan, const char *const **names);

/* The value of axis at point as scenario text (a list item as written,
 * flow-style for a collection; a sampled number as the shortest text that
 * reads back to the same double), or NULL if point or axis is out of range. */
const char *rp_plan_value_text(const rp_plan *plan, int64_t point, int axis);

/* The same as a number: NaN for a value that is not a number (a word, a
 * distribution, a collection) or out of range. */
double rp_plan_value(const rp_plan *plan, int64_t point, int axis);

/* For a Saltelli design, the sample j of point and its matrix (0: A, 1: B,
 * 1 + i: AB^(i), A with column i of B, i = 1..k), returning 1; otherwise
 * -1 and -1, returning 0. */
int rp_plan_saltelli(const rp_plan *plan, int64_t point, int *sample, int *matrix);

/* FNV-1a (64 bits) of the resolved scenario as `show` writes it, the sweep
 * included, without its first line (which names the file), then of the
 * SHA-256 of its data files (patients.from, providers.from) and of the
 * draws' values (rp_plan_set_draws): files of runs of the same sweep carry
 * the same id wherever the scenario file was, and --resume refuses the runs
 * of a sweep whose data or draws have changed since. */
uint64_t rp_plan_id(const rp_plan *plan);

/* For `rapport show`: YAML comments "# plan: P points x R replicates = N
 * runs", the streams and id, then "# point I: KEY=VALUE ..." for the first
 * 1000 points and "# ... and K more". RP_OK or RP_EIO. */
int rp_plan_write_yaml(const rp_plan *plan, FILE *out);

/* Free; rp_plan_free(NULL) does nothing. */
void rp_plan_free(rp_plan *plan);

#endif
