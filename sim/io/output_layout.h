/* output_layout.h - the layout of rapport's HDF5 files, as one table of
 * columns: the single description that the writer (from runs) and the merge
 * (from part files) both use, so the two cannot drift.
 *
 * A file has five tables, each an HDF5 group whose datasets are columns of
 * equal length along a row dimension named by a dimension scale:
 *   /runs (run), /summary (run x group), /pairs (pair, x dimension),
 *   /providers (provider, x dimension), /trajectories (pair x week).
 * Rows are appended; appends are buffered in memory and written in large
 * slabs, so a sweep of many small runs costs few HDF5 calls.
 */
#ifndef RP_OUTPUT_LAYOUT_H
#define RP_OUTPUT_LAYOUT_H

#include <stdbool.h>
#include <stdint.h>

#include "io/output_h5.h"
#include "rapport/observables.h"
#include "rapport/params.h"

/* The format_version of the files this layout describes (docs/FORMAT.md). */
#define RP_FORMAT_VERSION 1

typedef enum { RP_T_RUNS, RP_T_SUMMARY, RP_T_PAIRS, RP_T_PROVIDERS, RP_T_TRAJECTORIES, RP_N_TABLES } rp_table;
typedef enum { RP_C_F32, RP_C_F64, RP_C_I32, RP_C_I64, RP_C_U8, RP_C_U64 } rp_ctype;
typedef enum { RP_W_ONE, RP_W_DIMS, RP_W_WEEKS, RP_W_GROUPS } rp_width;
typedef enum { RP_FL_NONE, RP_FL_EXIT, RP_FL_PATIENT_GROUP, RP_FL_PROVIDER_GROUP } rp_flags;

/* What fills a column when the writer appends a run (see output.c). */
typedef enum {
    RP_SRC_NONE = 0,  /* given explicitly by the caller */
    RP_SRC_PARAM,     /* runs: a scalar parameter (param_row) */
    RP_SRC_OBSERVABLE, /* runs and summary: an observable (observable), overall or per group */
    RP_SRC_MOMENT,     /* runs: the mean or sd a sweep axis KEY.mean, KEY.sd sets (rp_params_moment of name) */
    RP_SRC_DIM_CONCORDANCE /* runs and summary: concordance on categorical dimension dim of
                            * rp_summary.by_dimension, overall or per group */
} rp_source;

typedef struct {
    rp_table table;
    char name[192]; /* an axis KEY.mean: providers.groups.NAME.DIMENSION.mean */
    rp_ctype type;
    rp_width width;
    char long_name[192];
    const char *units;    /* NULL: none */
    rp_flags flags;
    char words[256];      /* ENUM/FLAGS parameters: their words, space-separated */
    bool words_are_bits;
    bool row_offset;      /* runs: an offset into another table, recomputed on merge */
    rp_source source;
    int param_row;        /* RP_SRC_PARAM: the row in the scenario parameter table */
    const rp_observable_def *observable; /* RP_SRC_OBSERVABLE: its row in the table of observables */
    int dim;              /* RP_SRC_DIM_CONCORDANCE: its index in rp_summary.by_dimension */
    int trajectory_bit;   /* trajectories: RP_TRAJ_* bit of this variable, else 0 */
} rp_column;

typedef struct {
    int n_cols;
    rp_column *col;
    int n_dims, n_groups, n_weeks, every;
    char dim_name[RP_MAX_DIMS][RP_NAME_MAX];
    char group_name[1 + RP_MAX_GROUPS][RP_NAME_MAX]; /* "all", then the patient groups */
    rp_group patient_groups[RP_MAX_GROUPS], provider_groups[RP_MAX_GROUPS];
    int n_provider_groups;
    rp_compression compression;
    int level;
    int threads; /* that compress deflated chunks (set it before appending; default 1) */
    /* open objects */
    hid_t file;
    char path[1024]; /* for messages */
    hid_t group[RP_N_TABLES];
    hid_t row_scale[RP_N_TABLES];
    hid_t *ds; /* [n_cols] */
    /* buffered rows not yet written, per table */
    int64_t rows[RP_N_TABLES];    /* rows appended in all (written + buffered) */
    int64_t written[RP_N_TABLES]; /* rows on disk */
    int64_t buffered[RP_N_TABLES];
    int64_t capacity[RP_N_TABLES];
    void **buf; /* [n_cols]: buffered values */
} rp_layout;

/* Describe the columns for files of runs with parameters like p (dimensions,
 * groups, output settings) and n_weeks weeks of trajectories. */
int rp_layout_init(rp_layout *l, const rp_params *p, int n_weeks, rp_error *err);

/* Add to /runs a column for each axis of sc's sweep over a distribution's
 * mean or sd (KEY.mean, KEY.sd: docs/SCENARIO.md), named by the axis, after
 * rp_layout_init. No sweep, no such axis: nothing. RP_OK or RP_ENOMEM (sc's
 * sweep is valid: sc is a plan's scenario). */
struct rp_scenario;
int rp_layout_add_moments(rp_layout *l, const struct rp_scenario *sc, rp_error *err);

/* Create every table and column in file (extendible, chunked, compressed
 * as p's output settings say), with dimension scales and attributes. */
int rp_layout_create(rp_layout *l, hid_t file, const char *path, rp_error *err);

/* Open the columns of an existing file for reading, checked against the
 * layout (type, shape, chunks, the storage for the rows they declare, one
 * length per table): RP_EINVAL with one line saying what is wrong. */
int rp_layout_open(rp_layout *l, hid_t file, const char *path, rp_error *err);

/* Append n rows to table t: data[c] for each column c of t (others are
 * ignored) holds n x width values of the column's type; NULL data[c] means
 * the fill value. Buffered; written when the buffer is large. */
int rp_layout_append(rp_layout *l, rp_table t, int64_t n, const void *const *data, rp_error *err);

/* Write every buffered row. */
int rp_layout_flush(rp_layout *l, rp_error *err);

/* Read rows [first, first + n) of every column of table t (of a file opened
 * with rp_layout_open) into bufs[c] (n x width values each). */
int rp_layout_read(const rp_layout *l, rp_table t, int64_t first, int64_t n, void **bufs, const char *path,
                   rp_error *err);

/* Read rows [first, first + n) of column c into buf. */
int rp_layout_read_column(const rp_layout *l, int c, int64_t first, int64_t n, void *buf, const char *path,
                          rp_error *err);

/* Bytes of one value of column c, and values per row. */
size_t rp_layout_elem(const rp_column *c);
int64_t rp_layout_width(const rp_layout *l, const rp_column *c);

/* The bytes that rows rows of table t take in a file, uncompressed: every
 * column's values, in whole chunks (a table's last chunk is allocated whole). */
double rp_layout_bytes(const rp_layout *l, rp_table t, double rows);

/* The name of table t's group: "runs", "pairs", ... */
const char *rp_layout_table_name(rp_table t);

/* The index of column name in table t, or -1. */
int rp_layout_find(const rp_layout *l, rp_table t, const char *name);

/* The layout of an output being written (output.c), for the merge. */
struct rp_output;
rp_layout *rp_output_layout_of(struct rp_output *o);

/* Close datasets and groups (not the file) and free. */
void rp_layout_close(rp_layout *l);

#endif
