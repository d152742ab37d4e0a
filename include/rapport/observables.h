/* observables.h - the one table of observables (MODEL.md, "Observables").
 *
 * Every observable a run reports is one row of RP_OBSERVABLES below: its
 * name, symbol, unit, whether it is measured per patient group, how it is
 * reduced over replicates, the values it can take, its label in the text
 * table, whether that table prints it as a percentage, and its definition.
 * rp_observables (one double per row, in row order) and the table of
 * rp_observables_table() are both made from these rows, and everything that
 * lists observables iterates that table: the summaries (text and JSON, runs
 * and sweeps), the /summary and /runs columns of the file (name, and the
 * definition as long_name), the target names of a calibration and their
 * ranges, the read-back of a file's summary. The analysis package and the
 * read-back tests take the list from the file (its /summary columns).
 *
 * A row exists from a model version on (its `since`): every consumer skips
 * the rows a run's version does not report (rp_observables_reported).
 *
 * Adding an observable is its row here and its computation in observe.c
 * (docs/ARCHITECTURE.md, "Add an observable"). Rows are in output order:
 * appending keeps every existing column, key and JSON position.
 */
#ifndef RP_OBSERVABLES_H
#define RP_OBSERVABLES_H

#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rapport/params.h"

/* How an observable is reduced over the replicates of a sweep point or of a
 * calibration's evaluation. */
typedef enum {
    RP_REDUCE_MEAN_SE, /* mean over replicates and its standard error (sd / sqrt(R)) */
} rp_reduction;

/* The rows: X(name, since, symbol, unit, per_group, reduction, lo, hi,
 * percent, label, definition).
 *   name        JSON key, /summary and /runs column, calibration target
 *   since       the model version (MODEL.md 1, MODEL-v2.md 2) from which it
 *               exists: a run of an earlier version neither computes nor
 *               reports it (no JSON key, text row, file column or target),
 *               so the outputs of version 1 are those of before version 2
 *   unit        "1" for shares, ratios and correlations
 *   per_group   false: measured overall only (NaN for each group, and no
 *               OBSERVABLE_by_group.GROUP calibration target)
 *   lo, hi      what the quantity can be: a calibration target outside is
 *               refused (a run's estimate may stray: ICC(1) below 0)
 *   percent     the text table prints 100 v with a '%'
 *   label       the text table's row label (at most 38 characters)
 *   definition  the long_name of its columns in the file */
#define RP_OBSERVABLES(X)                                                                                            \
    X(dropout, 1, "P(dropped)", "1", true, RP_REDUCE_MEAN_SE, 0, 1, true,                                               \
      "dropout", "share of pairs dropped")                                                                           \
    X(early_dropout, 1, "P(exit week <= 2 | dropped)", "1", true, RP_REDUCE_MEAN_SE, 0, 1, true,                        \
      "early dropout (of dropouts, week 1-2)", "share of dropouts with exit week 1 or 2")                            \
    X(sessions_mean, 1, "E[exit week]", "sessions", true, RP_REDUCE_MEAN_SE, 0, INFINITY, false,                        \
      "sessions attended, mean", "mean sessions attended")                                                           \
    X(recovered_share, 1, "P(completed, S_exit < S_rec)", "1", true, RP_REDUCE_MEAN_SE, 0, 1, true,                     \
      "recovered", "share completed with S below S_rec")                                                             \
    X(ambivalence, 1, "P(T_w < threshold)", "1", true, RP_REDUCE_MEAN_SE, 0, 1, true,                                   \
      "ambivalence (T below threshold)", "share with trust below the threshold at the report week")                  \
    X(early_alliance_mean, 1, "E[mean(A_1..A_3)]", "1", true, RP_REDUCE_MEAN_SE, 0, 1, false,                           \
      "early alliance, mean A1..A3", "mean early alliance (A_1..A_3), pairs with >= 3 sessions")                     \
    X(improvement_mean, 1, "E[S_0 - S_exit]", "points", true, RP_REDUCE_MEAN_SE, -INFINITY, INFINITY, false,            \
      "improvement S0 - S_exit, mean", "mean improvement S_0 - S_exit")                                              \
    X(alliance_outcome_r, 1, "r(mean(A_1..A_3), S_0 - S_exit)", "1", true, RP_REDUCE_MEAN_SE, -1, 1, false,             \
      "alliance-outcome r", "Pearson r of early alliance and improvement, >= 3 sessions")                            \
    X(therapist_icc, 1, "ICC(1)", "1", false, RP_REDUCE_MEAN_SE, 0, 1, false,                                           \
      "therapist ICC", "ICC(1) of improvement between providers (all pairs only)")                                   \
    X(rupture_rate, 1, "ruptures / pair-weeks", "1/week", true, RP_REDUCE_MEAN_SE, 0, INFINITY, false,                  \
      "ruptures per pair-week", "ruptures per pair-week")                                                            \
    X(repaired_share, 1, "repairs / ruptures", "1", true, RP_REDUCE_MEAN_SE, 0, 1, true,                                \
      "ruptures repaired", "share of ruptures repaired")                                                             \
    X(discussed_share, 1, "P(discussed by exit)", "1", true, RP_REDUCE_MEAN_SE, 0, 1, true,                             \
      "difference discussed", "share of pairs with difference discussed by exit")                                    \
    X(discussed_week_mean, 1, "E[week discussed | discussed]", "weeks", true, RP_REDUCE_MEAN_SE, 0, INFINITY,           \
      false, "week of discussion, mean", "mean week of discussion, among discussed")                                 \
    X(therapist_dropout, 2, "ICC_latent(dropped)", "1", false, RP_REDUCE_MEAN_SE, 0, 1, false,                       \
      "therapist effect on dropout (ICC)", "from model 2: latent-scale ICC of dropout between providers (all pairs only)")        \
    X(repair_outcome_r, 2, "r(repairs / ruptures, S_0 - S_exit)", "1", true, RP_REDUCE_MEAN_SE, -1, 1, false,       \
      "repair-outcome r", "from model 2: Pearson r of share repaired and improvement, >= 1 rupture, >= 3 sessions")              \
    X(distance_mean, 2, "E[d_ij]", "1", true, RP_REDUCE_MEAN_SE, 0, 1, false,                                       \
      "cultural distance to provider, mean", "from model 2: mean cultural distance d_ij of patient and provider (raw, not felt)") \
    X(concordance, 2, "E[matched / categorical dimensions]", "1", true, RP_REDUCE_MEAN_SE, 0, 1, true,             \
      "concordance on categorical dimensions", "from model 2: mean share of the categorical dimensions on which patient and provider have the same level") \
    /* a new row goes here, above this line */

/* One row of the table. */
typedef struct {
    const char *name;
    int since; /* the first model version that reports it */
    const char *symbol, *unit;
    bool per_group;
    rp_reduction reduce;
    double lo, hi;
    bool percent;
    const char *label, *definition;
    size_t offset; /* of its value in rp_observables */
} rp_observable_def;

/* The observables of one population (all pairs, or one group): the number
 * of pairs, then one value per row of the table, in row order. */
typedef struct {
    int64_t pairs;
#define RP_OBSERVABLE_FIELD(name, ...) double name;
    RP_OBSERVABLES(RP_OBSERVABLE_FIELD)
#undef RP_OBSERVABLE_FIELD
} rp_observables;

/* Concordance on each categorical dimension (from model 2): the share of
 * pairs whose patient and provider have the same level on it, overall and
 * per patient group (NaN for a group without pairs). The dimensions a
 * scenario declares vary, so this is a block of its own beside the table of
 * observables, whose rows are fixed; `concordance` is the mean of these
 * shares over the dimensions. n is 0 in a run of model 1 or without a
 * categorical dimension. */
typedef struct {
    int n;                               /* categorical dimensions, in scenario order */
    char name[RP_MAX_DIMS][RP_NAME_MAX]; /* their names */
    double all[RP_MAX_DIMS];
    double group[RP_MAX_GROUPS][RP_MAX_DIMS];
} rp_dim_concordance;

/* The summary of one run (observe.h computes it): its model version, its
 * patient groups, and the observables of all pairs and of each group. Plain
 * data, so that the statistics of a sweep (stats.h) need nothing else of
 * the model. */
typedef struct {
    int model; /* the model version of the run (rp_model_version): which rows it reports */
    int n_groups;
    char group_name[RP_MAX_GROUPS][RP_NAME_MAX];
    rp_observables all;
    rp_observables group[RP_MAX_GROUPS];
    rp_dim_concordance by_dimension;
} rp_summary;

#define RP_OBSERVABLE_ONE(...) +1
enum { RP_N_OBSERVABLES = 0 RP_OBSERVABLES(RP_OBSERVABLE_ONE) };
#undef RP_OBSERVABLE_ONE

/* The table, in row order; *n receives its length (RP_N_OBSERVABLES). */
const rp_observable_def *rp_observables_table(size_t *n);

/* The row called name, or NULL. */
const rp_observable_def *rp_observables_find(const char *name);

/* The model version of a scenario's `model:` (rp_params.model): 0, not
 * set, is version 1. */
static inline int rp_model_version(int model) { return model >= 2 ? model : 1; }

/* Whether a run of model version `model` (0 is 1) reports row d. Every
 * consumer of the table skips the rows it does not. */
bool rp_observables_reported(const rp_observable_def *d, int model);

/* The value of row d in o. */
double rp_observables_get(const rp_observables *o, const rp_observable_def *d);

/* The place of row d's value in o. */
double *rp_observables_at(rp_observables *o, const rp_observable_def *d);

#endif
