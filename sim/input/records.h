/* records.h - a population's data file (patients.from, providers.from): a
 * CSV file of one row per person read into an rp_records (params.h), every
 * value checked, every error located "FILE:LINE:COLUMN: error: ...", LINE
 * the file's line where the row starts (1 is the header; for a byte that is
 * not UTF-8, a stray or an unclosed quote, the line of that field) and
 * COLUMN the CSV column (1 for the first field). The only user of libcsv.
 *
 * The header names the columns: a cultural dimension (level names for a
 * categorical one, a number in [0, 1] for a continuous one), an attribute of
 * the agents (rp_records_slot_name), `group` (a group's name), a column
 * named under the scenario's map (its codes or breakpoints turn the clinic's
 * values into the scenario's), or one the scenario ignores. Only the columns
 * used are kept: memory is 8 bytes a row per used column, 1 for the group
 * (rp_records_bytes, which a run's memory check counts).
 * The file's SHA-256 and size are computed in the same pass.
 */
#ifndef RP_RECORDS_H
#define RP_RECORDS_H

#include <stdbool.h>
#include <stddef.h>

#include "rapport/params.h"
#include "rapport/status.h"

#define RP_REC_GROUP (-1) /* the slot of the group column */

/* One column of the map: the file's column `column` fills slot `slot`
 * (or the group), through codes (text -> a level or group index) or
 * breakpoints (a number x -> values[i], i the number of breaks <= x), or as
 * it is when it has neither. */
typedef struct {
    const char *column;
    int slot;
    size_t n_codes;
    const char *const *code;
    const double *code_value;
    size_t n_breaks;
    const double *breaks; /* increasing */
    const double *values; /* [n_breaks + 1] */
} rp_records_map;

typedef struct {
    const rp_params *p; /* dimensions, groups, symptoms bounds, model */
    bool providers;
    bool missing_draw; /* an empty or NA value is drawn from the group (else an error) */
    const char *const *ignore;
    size_t n_ignore;
    const rp_records_map *map;
    size_t n_map;
} rp_records_spec;

/* Read the CSV file at path (shown as path in errors). RP_OK and a new
 * rp_records in *out, or RP_EINVAL (located) / RP_ENOMEM / RP_EIO. */
int rp_records_read(const char *path, const rp_records_spec *spec, rp_records **out, rp_error *err);
void rp_records_free(rp_records *r);

/* The column name of slot s (a dimension's name, or an attribute:
 * mistrust, barrier, stressor_rate, symptoms0, alliance_trait, response for
 * patients; humility, skill, retention, caseload for providers), or NULL
 * when slot s is not one for p and these agents (retention under model 1). */
const char *rp_records_slot_name(const rp_params *p, bool providers, int s);

/* The slot of a column name (a dimension or an attribute), RP_REC_GROUP
 * for "group", or -2. */
int rp_records_slot(const rp_params *p, bool providers, const char *name);

/* Whether x is a value slot s may hold; else why, "a number in [0, 1]". */
bool rp_records_in_range(const rp_params *p, bool providers, int s, double x, char *why, size_t why_size);

#endif
