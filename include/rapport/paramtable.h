/* paramtable.h - the one table of scenario parameters (MODEL.md v1).
 *
 * Every scalar a scenario can set is one row: its dotted key, type, place in
 * rp_params, default, bounds, MODEL.md symbol, unit and meaning. Validation,
 * --set, `rapport show` and the reference in docs/SCENARIO.md all read these
 * rows, so none of them can drift from another. Three small tables of the same
 * rows describe the top level (offsets into rp_params), one cultural dimension
 * (offsets into rp_dimension) and one group (offsets into rp_group); the
 * structured entries (dimensions, groups, levels) are rows too, so that the
 * tables list every key in the order `show` writes them. The reference
 * population of MODEL.md is data here as well (rp_paramtable_population).
 *
 * The value parsers here work on text only (no YAML, no locations): they say
 * what is wrong in a short phrase, which the caller prefixes with a location.
 * Adding a section is adding rows: keys are SECTION.KEY or a top-level KEY.
 */
#ifndef RP_PARAMTABLE_H
#define RP_PARAMTABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rapport/params.h"

typedef enum {
    RP_PT_INT,    /* int */
    RP_PT_INT64,  /* int64_t */
    RP_PT_UINT64, /* uint64_t */
    RP_PT_DOUBLE, /* double, finite */
    RP_PT_PROB,   /* double in [min, max], written as a number or a fraction a/b */
    RP_PT_ENUM,   /* int (a C enum), written as one of words[] */
    RP_PT_FLAGS,  /* unsigned bit mask, bit k = words[k]: "all", "none" or words separated by commas */
    RP_PT_NAME,   /* char[RP_NAME_MAX]: letters, digits, '_' and '-' */
    RP_PT_DIST,   /* rp_dist of one of the families allowed, its value in [min, max] */
    /* structured entries, read by the scenario module */
    RP_PT_DIMENSIONS,      /* culture.dimensions: a sequence of dimensions */
    RP_PT_LEVELS,          /* a dimension's levels: a sequence of names */
    RP_PT_PATIENT_GROUPS,  /* patients.groups: a mapping name -> group */
    RP_PT_PROVIDER_GROUPS, /* providers.groups */
    /* sweep designs, read by the plan module (docs/SCENARIO.md, Sweeps) */
    RP_PT_SWEEP_GRID,  /* sweep.grid: a mapping KEY: [values] */
    RP_PT_SWEEP_ZIP,   /* sweep.zip: a sequence of such mappings */
    RP_PT_SWEEP_LHS,   /* sweep.lhs: {samples, ranges} */
    RP_PT_SWEEP_SOBOL, /* sweep.sobol: {samples, ranges, saltelli} */
    /* a population's data file and its keys (patients.from, .map, ...), read by the scenario module */
    RP_PT_DATA,
} rp_ptype;

enum {
    RP_PF_REQUIRED = 1 << 0, /* no default: the scenario must give it */
    RP_PF_COMPUTED = 1 << 1, /* default computed from other values (see meaning) */
    RP_PF_MIN_OPEN = 1 << 2, /* value > min rather than >= min */
    RP_PF_MAX_OPEN = 1 << 3, /* value < max rather than <= max */
    RP_PF_PATIENT = 1 << 4,  /* group key of patient groups */
    RP_PF_PROVIDER = 1 << 5, /* group key of provider groups */
    /* Fitted to the published figures (docs/TARGETS.md) by
     * scenarios/calibration.yaml: the default is model 2's calibrated value,
     * def_v1 model 1's (or the value that is version 1, for a row since 2),
     * and MODEL.md's value is the calibration's start. */
    RP_PF_CALIBRATED = 1 << 6,
};

/* Distribution families, as a bit mask of (1u << rp_dist_kind). */
#define RP_FAMILY(kind) (1u << (kind))

typedef struct {
    const char *name; /* scenario key: "dropout.base", "horizon"; in the dimension and group tables, the key */
    rp_ptype type;
    size_t offset;    /* of the field in rp_params / rp_dimension / rp_group */
    double def;       /* default (numbers; enums: index into words); unused if REQUIRED */
    const char *def_name; /* default of a RP_PT_NAME */
    double min, max;  /* bounds; -INFINITY / INFINITY when unbounded */
    unsigned flags;   /* RP_PF_* */
    const char *const *words; /* RP_PT_ENUM: the accepted words, NULL-terminated */
    unsigned families;        /* RP_PT_DIST: RP_FAMILY mask; FIXED always allowed */
    const char *symbol;       /* MODEL.md's symbol, "" if none */
    const char *unit;         /* "" if dimensionless */
    const char *meaning;      /* one line */
    /* The first version of MODEL.md with this parameter (0: every version).
     * Under an earlier model the row is not a parameter: its field holds
     * def_v1 (def_name_v1 for a name), the value that switches its term off,
     * and a scenario that gives it is refused. A CALIBRATED row of every
     * version holds def_v1 under model 1 too: version 1's calibrated value. */
    int since;
    double def_v1;
    const char *def_name_v1;
} rp_param;

/* Whether row is a parameter of model version `model` (0 counts as 1): a row
 * since a later version is not, and holds its def_v1. */
static inline bool rp_paramtable_in_model(const rp_param *row, int model)
{
    return row->since <= (model > 1 ? model : 1);
}

/* Whether row's default depends on the model: a row since a later version,
 * or one calibrated for each version. */
static inline bool rp_paramtable_by_model(const rp_param *row)
{
    return row->since > 1 || (row->flags & RP_PF_CALIBRATED);
}

/* The top-level table (offsets into rp_params), in the order of `show`. */
const rp_param *rp_paramtable_scenario(size_t *n);
/* The keys of one item of culture.dimensions (offsets into rp_dimension). */
const rp_param *rp_paramtable_dimension(size_t *n);
/* The keys of one group besides its dimensions (offsets into rp_group). */
const rp_param *rp_paramtable_group(size_t *n);
/* The row describing a group's value for a continuous dimension (rp_dist). */
const rp_param *rp_paramtable_trait(void);
/* The parameters of the distribution families (offsets into rp_dist), each
 * row's `families` naming its family, with their bounds. A normal's mean is
 * not among them: it takes the range of its key's fixed value, and so does a
 * gamma's mean shape x scale. */
const rp_param *rp_paramtable_family(size_t *n);
/* The row describing a probability of one level in a group's level mapping. */
const rp_param *rp_paramtable_level_prob(void);

/* The row called name in a table of n rows, or NULL. */
const rp_param *rp_paramtable_find(const rp_param *table, size_t n, const char *name);

/* The reference population of MODEL.md (dimensions, patient and provider
 * groups) as scenario YAML, read by the same code as a user's file. */
const char *rp_paramtable_population(void);

/* Store row's default at field (the address of row's field) under model
 * RP_MODEL_DEFAULT. Not for REQUIRED or structured rows. */
void rp_paramtable_set_default(const rp_param *row, void *field);

/* The same under a given model (1, 2): under model 1, a row whose default
 * depends on the model (rp_paramtable_by_model) stores def_v1. */
void rp_paramtable_set_default_model(const rp_param *row, int model, void *field);

/* Parse text (quoted: it was written in quotes, so it is a string, never a
 * number) into field. Returns true, or false with why = "expected WHAT, got
 * 'TEXT' (DETAIL)" describing the problem in one phrase. */
bool rp_paramtable_parse(const rp_param *row, const char *text, bool quoted, void *field, char *why,
                         size_t why_size);

/* What row accepts, e.g. "a number in [0, 1]", "one of never, intake, ...". */
const char *rp_paramtable_expected(const rp_param *row, char *buf, size_t size);

/* Split "family(x, y)" (a scenario distribution's text, e.g. beta(2, 5))
 * into its family name and its numbers, by the scenario's own parser: true
 * with *n_args numbers (the first max_args of them, at most 3, in args), or
 * false with *detail saying what is malformed (NULL: the text is not of the
 * form family(...) at all). For readers of other families (a calibration's
 * priors), which check the family and its parameters themselves. */
bool rp_paramtable_split_dist(const char *text, char *family, size_t family_size, double *args, int max_args,
                              int *n_args, const char **detail);

/* The value at field as scenario text that parses back to the same bits
 * ("%.17g" for doubles). */
const char *rp_paramtable_format(const rp_param *row, const void *field, char *buf, size_t size);

/* The default of row as text for the reference ("required" / "computed" when
 * there is none). */
const char *rp_paramtable_format_default(const rp_param *row, char *buf, size_t size);

/* Whether s is a valid name (non-empty, shorter than RP_NAME_MAX, letters,
 * digits, '_' and '-', not starting with '-'); if not, why says so. */
bool rp_paramtable_check_name(const char *s, char *why, size_t why_size);

/* Of the n candidates, the one nearest to word by edit distance (case
 * folded, a transposition counting as one edit) if near enough to be a
 * likely typo, else NULL. */
const char *rp_paramtable_suggest(const char *word, const char *const *candidates, size_t n);

/* "a, b, c" for the candidates, cut short with ", ..." if it exceeds buf. */
const char *rp_paramtable_join(const char *const *candidates, size_t n, char *buf, size_t size);

#endif
