/* schema.h - the one key checker of every input section (internal).
 *
 * Every section rapport reads (a scenario's sections, groups and dimensions,
 * a sweep's designs, a calibration and its entries) accepts a fixed set of
 * keys. A section's schema is that set, each key with the kind of value it
 * takes; one function checks a mapping against it and one phrase builder
 * words every unknown key, group or dimension the same way:
 *     unknown key 'strat'; did you mean 'start'?
 *     unknown key 'x'; expected one of min, max, start
 * The caller prefixes the phrase with its location and path ("FILE:LINE:COL:
 * error: free.dropout.base: ..."), as every message of the input layer does.
 * A key's kind says what its value is; numbers and whole numbers are read
 * through the parameter table's parsers (rp_schema_number, rp_schema_integer),
 * as every value of a scenario is.
 */
#ifndef RP_SCHEMA_H
#define RP_SCHEMA_H

#include <stdbool.h>
#include <stddef.h>

#include "rapport/paramtable.h"
#include "input/yamltree.h"

#define RP_SCHEMA_MAX_KEYS 96 /* keys of one section */

typedef enum {
    RP_SK_ANY = 0,  /* checked by the section's own reader */
    RP_SK_TEXT,     /* one scalar, as text */
    RP_SK_NUMBER,   /* a finite number (rp_schema_number) */
    RP_SK_INTEGER,  /* a whole number (rp_schema_integer) */
    RP_SK_MAPPING,
    RP_SK_SEQUENCE,
} rp_schema_kind;

typedef struct {
    const char *name;
    rp_schema_kind kind;
} rp_schema_key;

typedef struct {
    const rp_schema_key *keys;
    size_t n;
} rp_schema;

/* "WHAT 'WORD'DETAIL; did you mean 'X'?" when one of the n names is a near
 * miss, else "WHAT 'WORD'DETAIL; expected HINT" when hint is given, else
 * "...; expected one of A, B, C" ("(none declared)" for no names). WORD is
 * shortened for the message. Returns why. */
const char *rp_schema_unknown(const char *what, const char *word, const char *detail, const char *const *names,
                              size_t n, const char *hint, char *why, size_t why_size);

/* Check every key of the mapping map against names[0..n): the index of the
 * first key that is not one of them, with why = "unknown key 'K'DETAIL; ..."
 * (rp_schema_unknown), or -1 when all are known. */
long rp_schema_check_names(const rp_ynode *map, const char *const *names, size_t n, const char *detail, char *why,
                           size_t why_size);

/* The same against a schema's keys. */
long rp_schema_check(const rp_ynode *map, const rp_schema *schema, char *why, size_t why_size);

/* A plain (unquoted) finite number at v through the parameter table's
 * parser (rp_paramtable_parse with an unbounded RP_PT_DOUBLE row). */
bool rp_schema_number(const rp_ynode *v, double *out);

/* A plain whole number in [min, max] at v, through the parameter table's
 * parser (an RP_PT_INT64 row with these bounds). */
bool rp_schema_integer(const rp_ynode *v, long long min, long long max, long long *out);

#endif
