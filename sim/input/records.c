/* records.c - a population's CSV data file; see records.h.
 *
 * libcsv (strict, every field NUL-terminated) splits the bytes into fields
 * and rows; it reports neither lines nor columns, so the file is fed to it
 * one physical line at a time and the reader counts: the line where the
 * current row started, the line where the current field started (a quoted
 * field may hold line breaks), and the field's index in its row. The
 * header's columns are matched once; each later field goes straight into
 * the array of its slot. A row's shape comes before its fields: an error in a
 * field waits for the row's end, where a row of the wrong number of fields is
 * reported instead (a file cut short inside its last line is such a row,
 * whatever its last field, cut too, says). Bytes that are not text are
 * reported at once.
 */
#define _POSIX_C_SOURCE 200809L
#include "input/records.h"

#include <csv.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/files.h"
#include "core/sha256.h"
#include "core/text.h"

#define COL_IGNORED (-3)
#define CHUNK (1 << 20)

typedef struct {
    rp_records pub;
    uint8_t *group;
    double *value[RP_REC_SLOTS];
    char *path;
} owned;

typedef struct {
    const rp_records_spec *spec;
    const char *path;
    rp_error *err;
    int status;
    int64_t line;       /* the physical line being fed, from 1 */
    int64_t row_line;   /* where the current row started */
    int64_t field_line; /* where the current field started */
    int field;          /* index of the current field in its row */
    bool at_end;        /* the file is read: a row now is its last line, without a line break */
    char pending[RP_ERROR_MAX]; /* the first error in a field of the current row (or ""), */
    int64_t pending_line;       /* its line */
    int pending_col;            /* and column */
    int n_cols;         /* the header's fields; -1 while the header is read */
    char **names;
    int cap_names;
    int *col_slot;                 /* per column: a slot, RP_REC_GROUP or COL_IGNORED */
    const rp_records_map **col_map; /* per column: its map entry or NULL */
    owned *o;
    int64_t rows, cap;
} reader;

static const char *const patient_attr[] = {"mistrust", "barrier", "stressor_rate", "symptoms0", "alliance_trait",
                                           "response"};
static const char *const provider_attr[] = {"humility", "skill", "retention", "caseload"};

const char *rp_records_slot_name(const rp_params *p, bool providers, int s)
{
    if (s >= 0 && s < p->culture.n_dims)
        return p->culture.dims[s].name;
    if (s < RP_MAX_DIMS)
        return NULL;
    const size_t a = (size_t)(s - RP_MAX_DIMS);
    if (providers)
        return a < 4 && !(s == RP_REC_RETENTION && p->model < 2) ? provider_attr[a] : NULL;
    return a < 6 ? patient_attr[a] : NULL;
}

int rp_records_slot(const rp_params *p, bool providers, const char *name)
{
    if (strcmp(name, "group") == 0)
        return RP_REC_GROUP;
    for (int s = 0; s < RP_REC_SLOTS; s++) {
        const char *n = rp_records_slot_name(p, providers, s);
        if (n && strcmp(n, name) == 0)
            return s;
    }
    return -2;
}

static bool categorical(const rp_params *p, int s)
{
    return s >= 0 && s < p->culture.n_dims && p->culture.dims[s].kind == RP_DIM_CATEGORICAL;
}

bool rp_records_in_range(const rp_params *p, bool providers, int s, double x, char *why, size_t why_size)
{
    double lo = 0, hi = 1;
    const char *what = "a number in [0, 1]";
    char buf[128];
    if (s >= RP_MAX_DIMS && providers && (s == RP_REC_SKILL || s == RP_REC_RETENTION))
        lo = -50, hi = 50, what = "a number in [-50, 50] (logit scale)";
    else if (s >= RP_MAX_DIMS && providers && s == RP_REC_CASELOAD)
        lo = 1, hi = 1e6, what = "a whole number in [1, 1000000]";
    else if (s >= RP_MAX_DIMS && !providers && s == RP_REC_STRESSOR_RATE)
        lo = 0, hi = 1e6, what = "a number in [0, 1000000] (stressors a week)";
    else if (s >= RP_MAX_DIMS && !providers && s == RP_REC_RESPONSE)
        lo = 0, hi = 1e6, what = "a number in [0, 1000000] (a week)";
    else if (s >= RP_MAX_DIMS && !providers && s == RP_REC_ALLIANCE_TRAIT)
        lo = -50, hi = 50, what = "a number in [-50, 50] (logit scale)";
    else if (s >= RP_MAX_DIMS && !providers && s == RP_REC_SYMPTOMS0) {
        lo = p->symptoms.recovered, hi = p->symptoms.max;
        snprintf(buf, sizeof buf, "a number in [symptoms.recovered, symptoms.max] = [%g, %g]", lo, hi);
        what = buf;
    }
    const bool whole = providers && s == RP_REC_CASELOAD;
    if (x >= lo && x <= hi && (!whole || x == floor(x)))
        return true;
    snprintf(why, why_size, "%s", what);
    return false;
}

/* ---- errors ---- */

/* An error of the file, or of a whole row: raised now. */
__attribute__((format(printf, 4, 5))) static void fail(reader *r, int64_t line, int col, const char *fmt, ...)
{
    char msg[RP_ERROR_MAX], path[256];
    va_list ap;
    if (r->status != RP_OK)
        return;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    r->status = rp_status_raise(r->err, RP_EINVAL, "%s:%" PRId64 ":%d: error: %s",
                                rp_text_excerpt(r->path, path, sizeof path), line, col, msg);
}

/* An error in a field of the current row: kept (the row's first) until the
 * row ends, where on_row raises it if the row has the header's fields. */
__attribute__((format(printf, 4, 5))) static void fail_field(reader *r, int64_t line, int col, const char *fmt, ...)
{
    va_list ap;
    if (r->status != RP_OK || r->pending[0])
        return;
    va_start(ap, fmt);
    vsnprintf(r->pending, sizeof r->pending, fmt, ap);
    va_end(ap);
    r->pending_line = line;
    r->pending_col = col;
}

/* An error in the current row's field of column c: "column 'NAME': ...". */
__attribute__((format(printf, 3, 4))) static void fail_column(reader *r, int c, const char *fmt, ...)
{
    char msg[RP_ERROR_MAX], col[96];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fail_field(r, r->row_line, c + 1, "column '%s': %s", rp_text_excerpt(r->names[c], col, sizeof col), msg);
}

static void fail_memory(reader *r)
{
    if (r->status == RP_OK)
        r->status = rp_status_raise(r->err, RP_ENOMEM, "%s: error: out of memory after %" PRId64 " rows", r->path,
                                    r->rows);
}

/* The offset of the first byte that is not UTF-8 text in s (a NUL or an
 * invalid sequence), or -1. */
static long bad_byte(const unsigned char *s, size_t len)
{
    for (size_t i = 0; i < len;) {
        size_t n = s[i] ? rp_text_utf8_length(s + i, len - i) : 0;
        if (!n)
            return (long)i;
        i += n;
    }
    return -1;
}

/* "a, b, c" of n names into buf. */
static const char *join_names(const char *const *names, size_t n, char *buf, size_t size)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < n && used + 1 < size; i++)
        used += (size_t)snprintf(buf + used, size - used, "%s%s", i ? ", " : "", names[i]);
    return buf;
}

/* ---- the header ---- */

static const char *column_name(const reader *r, int c) { return r->names[c]; }

static void header_field(reader *r, const char *text)
{
    if (r->field >= r->cap_names) {
        int cap = r->cap_names ? 2 * r->cap_names : 16;
        char **n = realloc(r->names, (size_t)cap * sizeof *n);
        if (!n)
            return fail_memory(r);
        memset(n + r->cap_names, 0, (size_t)(cap - r->cap_names) * sizeof *n);
        r->names = n;
        r->cap_names = cap;
    }
    if (!(r->names[r->field] = strdup(text)))
        return fail_memory(r);
    char ex[96];
    if (!text[0])
        return fail_field(r, r->row_line, r->field + 1, "an empty column name in the header; expected every column "
                          "named");
    for (int c = 0; c < r->field; c++)
        if (strcmp(r->names[c], text) == 0)
            return fail_field(r, r->row_line, r->field + 1, "duplicate column '%s' in the header (also column %d); "
                              "expected each column once", rp_text_excerpt(text, ex, sizeof ex), c + 1);
}

/* What each column fills, and the checks of the header as a whole. */
static void header_end(reader *r)
{
    const rp_records_spec *sp = r->spec;
    const rp_params *p = sp->p;
    const int n = r->n_cols = r->field;
    char ex[96], list[1024];
    r->col_slot = malloc((size_t)(n ? n : 1) * sizeof *r->col_slot);
    r->col_map = calloc((size_t)(n ? n : 1), sizeof *r->col_map);
    if (!r->col_slot || !r->col_map)
        return fail_memory(r);
    int given[RP_REC_SLOTS + 1]; /* the column that fills each slot (the group last), or -1 */
    for (int s = 0; s <= RP_REC_SLOTS; s++)
        given[s] = -1;
    for (int c = 0; c < n && r->status == RP_OK; c++) {
        const char *name = column_name(r, c);
        int slot = -2; /* ignored (even a dimension's or an attribute's name), mapped, or by its name */
        for (size_t k = 0; slot == -2 && k < sp->n_ignore; k++)
            if (strcmp(sp->ignore[k], name) == 0)
                slot = COL_IGNORED;
        for (size_t m = 0; slot == -2 && m < sp->n_map; m++)
            if (strcmp(sp->map[m].column, name) == 0) {
                r->col_map[c] = &sp->map[m];
                slot = sp->map[m].slot;
            }
        if (slot == -2)
            slot = rp_records_slot(p, sp->providers, name);
        if (slot == -2) {
            const char *names[RP_REC_SLOTS + 1];
            size_t m = 0;
            for (int s = 0; s < RP_REC_SLOTS; s++)
                if (rp_records_slot_name(p, sp->providers, s))
                    names[m++] = rp_records_slot_name(p, sp->providers, s);
            names[m++] = "group";
            return fail(r, r->row_line, c + 1, "unknown column '%s'; expected a cultural dimension or attribute (%s), a "
                        "column named under %s.map, or list it under %s.ignore",
                        rp_text_excerpt(name, ex, sizeof ex), join_names(names, m, list, sizeof list),
                        sp->providers ? "providers" : "patients", sp->providers ? "providers" : "patients");
        }
        r->col_slot[c] = slot;
        if (slot == COL_IGNORED)
            continue;
        int *g = &given[slot == RP_REC_GROUP ? RP_REC_SLOTS : slot];
        if (*g >= 0)
            return fail(r, r->row_line, c + 1, "column '%s' gives %s, which column %d ('%s') gives already; expected one "
                        "column for each", rp_text_excerpt(name, ex, sizeof ex),
                        slot == RP_REC_GROUP ? "group" : rp_records_slot_name(p, sp->providers, slot), *g + 1,
                        column_name(r, *g));
        *g = c;
    }
    if (r->status != RP_OK)
        return;
    for (size_t m = 0; m < sp->n_map; m++) {
        int c = 0;
        while (c < n && strcmp(column_name(r, c), sp->map[m].column) != 0)
            c++;
        if (c == n)
            return fail(r, r->row_line, 1, "missing required column '%s' (named under %s.map); expected it in the header",
                        rp_text_excerpt(sp->map[m].column, ex, sizeof ex), sp->providers ? "providers" : "patients");
    }
    const int n_groups = sp->providers ? p->providers.n_groups : p->patients.n_groups;
    if (n_groups > 1 && given[RP_REC_SLOTS] < 0)
        return fail(r, r->row_line, 1, "missing required column 'group'; expected each row's group (the %s have %d groups)",
                    sp->providers ? "providers" : "patients", n_groups);
    /* the arrays of the columns kept */
    r->cap = 1024;
    for (int s = 0; s <= RP_REC_SLOTS && r->status == RP_OK; s++) {
        if (given[s] < 0)
            continue;
        if (s == RP_REC_SLOTS ? !(r->o->group = malloc((size_t)r->cap))
                              : !(r->o->value[s] = malloc((size_t)r->cap * sizeof(double))))
            fail_memory(r);
    }
}

/* ---- the rows ---- */

static bool grow(reader *r)
{
    const int64_t cap = 2 * r->cap;
    if (r->o->group) {
        uint8_t *g = realloc(r->o->group, (size_t)cap);
        if (!g)
            return false;
        r->o->group = g;
    }
    for (int s = 0; s < RP_REC_SLOTS; s++) {
        if (!r->o->value[s])
            continue;
        double *v = realloc(r->o->value[s], (size_t)cap * sizeof(double));
        if (!v)
            return false;
        r->o->value[s] = v;
    }
    r->cap = cap;
    return true;
}

static bool is_missing(const char *text) { return !text[0] || strcmp(text, "NA") == 0; }

/* text as a finite number, the whole of it. */
static bool number(const char *text, double *x)
{
    char *end;
    errno = 0;
    *x = strtod(text, &end);
    return end != text && !*end && isfinite(*x) && errno != ERANGE;
}

static void data_field(reader *r, const char *text)
{
    const rp_records_spec *sp = r->spec;
    const rp_params *p = sp->p;
    const int c = r->field;
    if (r->status != RP_OK || c >= r->n_cols) /* a field too many: the row's end says how many it has */
        return;
    const int slot = r->col_slot[c];
    if (slot == COL_IGNORED)
        return;
    const rp_records_map *m = r->col_map[c];
    const char *who = sp->providers ? "providers" : "patients";
    char ex[96], list[1024], why[160];
    if (is_missing(text)) {
        if (slot == RP_REC_GROUP)
            return fail_column(r, c, "missing group; expected the name of a %s group (a group is never drawn)",
                               who);
        if (!sp->missing_draw) /* the last of a whole row, and the file ends: empty, or cut after its comma */
            return fail_column(r, c, "missing value%s; expected a value, or %s.missing: draw to draw it from the "
                               "row's group", r->at_end && !text[0] && c == r->n_cols - 1 ? " (the file ends in "
                               "this empty field, without a line break: the file may be truncated)" : "", who);
        r->o->value[slot][r->rows] = NAN;
        return;
    }
    for (size_t k = 0; m && k < m->n_codes; k++)
        if (strcmp(m->code[k], text) == 0) {
            if (slot == RP_REC_GROUP)
                r->o->group[r->rows] = (uint8_t)m->code_value[k];
            else
                r->o->value[slot][r->rows] = m->code_value[k];
            return;
        }
    if (m && m->n_codes)
        return fail_column(r, c, "unknown code '%s'; expected one of the codes of %s.map.%s",
                           rp_text_excerpt(text, ex, sizeof ex), who, rp_text_excerpt(r->names[c], list, 96));
    if (slot == RP_REC_GROUP) {
        const rp_group *g = sp->providers ? p->providers.groups : p->patients.groups;
        const int n = sp->providers ? p->providers.n_groups : p->patients.n_groups;
        const char *names[RP_MAX_GROUPS];
        for (int k = 0; k < n; k++) {
            if (strcmp(g[k].name, text) == 0) {
                r->o->group[r->rows] = (uint8_t)k;
                return;
            }
            names[k] = g[k].name;
        }
        return fail_column(r, c, "unknown group '%s'; expected one of %s", rp_text_excerpt(text, ex, sizeof ex),
                           join_names(names, (size_t)n, list, sizeof list));
    }
    if (categorical(p, slot)) {
        const rp_dimension *d = &p->culture.dims[slot];
        const char *names[RP_MAX_LEVELS];
        for (int l = 0; l < d->n_levels; l++) {
            if (strcmp(d->levels[l], text) == 0) {
                r->o->value[slot][r->rows] = l;
                return;
            }
            names[l] = d->levels[l];
        }
        return fail_column(r, c, "unknown level '%s' of dimension '%s'; expected one of %s",
                           rp_text_excerpt(text, ex, sizeof ex), d->name,
                           join_names(names, (size_t)d->n_levels, list, sizeof list));
    }
    double x;
    if (!number(text, &x)) {
        if (!(m && m->n_breaks))
            rp_records_in_range(p, sp->providers, slot, NAN, why, sizeof why); /* what the slot takes */
        return fail_column(r, c, "'%s' is not a number; expected %s", rp_text_excerpt(text, ex, sizeof ex),
                           m && m->n_breaks ? "a number (mapped by its breaks)" : why);
    }
    if (m && m->n_breaks) {
        size_t i = 0;
        while (i < m->n_breaks && x >= m->breaks[i])
            i++;
        x = m->values[i]; /* each value checked against the slot's range with the map */
    } else if (!rp_records_in_range(p, sp->providers, slot, x, why, sizeof why)) {
        return fail_column(r, c, "%s is out of range; expected %s", rp_text_excerpt(text, ex, sizeof ex), why);
    }
    r->o->value[slot][r->rows] = x;
}

static void on_field(void *s, size_t len, void *data)
{
    reader *r = data;
    if (r->status != RP_OK)
        return;
    const char *text = s ? s : "";
    long bad = bad_byte((const unsigned char *)text, s ? len : 0);
    if (bad >= 0) {
        fail(r, r->field_line, r->field + 1, text[bad] ? "not UTF-8 text (byte 0x%02x); expected a CSV file in "
             "UTF-8" : "a NUL byte (0x%02x): a binary file; expected a CSV text file in UTF-8",
             (unsigned char)text[bad]);
        return;
    }
    if (r->n_cols < 0)
        header_field(r, text);
    else if (r->field == 0 && r->rows == r->cap && !grow(r))
        fail_memory(r);
    if (r->n_cols >= 0)
        data_field(r, text);
    r->field++;
}

/* The end of a row: its shape first (a file cut short inside its last line
 * is a row too short, whatever its last field says), then the first error
 * of its fields, then the header's checks or the row counted. */
static void on_row(int c, void *data)
{
    (void)c;
    reader *r = data;
    if (r->status != RP_OK)
        return;
    const char *cut = r->at_end ? " (the file ends inside it, without a line break: the file may be truncated)" : "";
    if (r->n_cols < 0 && r->at_end) /* nothing but a header, and not even its line break */
        fail(r, r->row_line, r->field, "no rows after the header%s; expected a header line naming the columns, then "
             "one row per %s", cut, r->spec->providers ? "provider" : "patient");
    else if (r->n_cols >= 0 && r->field != r->n_cols)
        fail(r, r->row_line, r->field < r->n_cols ? r->field : r->n_cols + 1, "a row of %d field%s%s; expected %d, "
             "as the header has", r->field, r->field == 1 ? "" : "s", r->field < r->n_cols ? cut : "", r->n_cols);
    else if (r->pending[0])
        fail(r, r->pending_line, r->pending_col, "%s", r->pending);
    else if (r->n_cols < 0)
        header_end(r);
    else
        r->rows++;
    r->pending[0] = '\0';
    r->field = 0;
}

/* ---- the file ---- */

static void reader_free(reader *r)
{
    for (int c = 0; r->names && c < r->cap_names; c++)
        free(r->names[c]);
    free(r->names);
    free(r->col_slot);
    free(r->col_map);
}

void rp_records_free(rp_records *rec)
{
    owned *o = (owned *)rec;
    if (!o)
        return;
    free(o->group);
    for (int s = 0; s < RP_REC_SLOTS; s++)
        free(o->value[s]);
    free(o->path);
    free(o);
}

/* Feed buf[0..len) to the parser line by line, counting lines. */
static void feed(reader *r, struct csv_parser *cp, const char *buf, size_t len)
{
    for (size_t i = 0; i < len && r->status == RP_OK;) {
        const char *nl = memchr(buf + i, '\n', len - i);
        const size_t n = nl ? (size_t)(nl - (buf + i)) + 1 : len - i;
        if (cp->pstate == 0) /* libcsv's ROW_NOT_BEGUN: a row starts on this line (or later) */
            r->row_line = r->line;
        if (!cp->quoted)
            r->field_line = r->line;
        if (csv_parse(cp, buf + i, n, on_field, on_row, r) != n && r->status == RP_OK) {
            if (csv_error(cp) == CSV_ENOMEM)
                fail_memory(r);
            else
                fail(r, r->line, r->field + 1, "a quote inside a field that is not quoted whole, or after a "
                     "field's closing quote; expected a field quoted whole, \"like \"\"this\"\"\"");
        }
        if (nl)
            r->line++;
        i += n;
    }
}

int rp_records_read(const char *path, const rp_records_spec *spec, rp_records **out, rp_error *err)
{
    *out = NULL;
    char ex[256];
    FILE *f = rp_file_open_input(path);
    if (!f)
        RP_FAIL(err, RP_EINVAL, "%s:1:1: error: cannot open the data file: %s; expected a CSV file (a path "
                "relative to the scenario)", rp_text_excerpt(path, ex, sizeof ex), strerror(errno));
    reader r = {.spec = spec, .path = path, .err = err, .line = 1, .row_line = 1, .field_line = 1, .n_cols = -1};
    r.o = calloc(1, sizeof *r.o);
    char *buf = malloc(CHUNK);
    struct csv_parser cp;
    bool cp_ok = csv_init(&cp, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL) == 0;
    if (!r.o || !buf || !cp_ok || !(r.o->path = strdup(path)))
        fail_memory(&r);
    rp_sha256 sha;
    rp_sha256_init(&sha);
    int64_t bytes = 0;
    bool first = true;
    while (r.status == RP_OK) {
        size_t got = fread(buf, 1, CHUNK, f);
        if (got == 0) {
            if (ferror(f))
                r.status = rp_status_raise(err, RP_EIO, "%s: error: cannot read the data file: %s",
                                           rp_text_excerpt(path, ex, sizeof ex), strerror(errno));
            break;
        }
        rp_sha256_update(&sha, buf, got);
        bytes += (int64_t)got;
        size_t skip = 0;
        if (first && got >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0)
            skip = 3; /* a byte-order mark, as spreadsheets write */
        first = false;
        feed(&r, &cp, buf + skip, got - skip);
    }
    fclose(f);
    r.at_end = true; /* what csv_fini hands over is a last line without a line break */
    if (r.status == RP_OK && csv_fini(&cp, on_field, on_row, &r) != 0 && r.status == RP_OK)
        fail(&r, r.field_line, r.field + 1, "a quoted field that never closes (its quote opens here and the file "
             "ends inside it); expected a closing quote");
    if (r.status == RP_OK && r.n_cols < 0)
        fail(&r, 1, 1, "an empty data file; expected a header line naming the columns, then one row per %s",
             spec->providers ? "provider" : "patient");
    if (r.status == RP_OK && r.rows == 0)
        fail(&r, r.line, 1, "no rows after the header; expected one row per %s",
             spec->providers ? "provider" : "patient");
    if (cp_ok)
        csv_free(&cp);
    free(buf);
    reader_free(&r);
    if (r.status != RP_OK) {
        rp_records_free((rp_records *)r.o);
        return r.status;
    }
    owned *o = r.o;
    for (int s = 0; s < RP_REC_SLOTS; s++) { /* memory for the rows, not for the last doubling */
        double *v = o->value[s] ? realloc(o->value[s], (size_t)r.rows * sizeof(double)) : NULL;
        o->value[s] = v ? v : o->value[s];
    }
    uint8_t *g = o->group ? realloc(o->group, (size_t)r.rows) : NULL;
    o->group = g ? g : o->group;
    o->pub.rows = r.rows;
    o->pub.group = o->group;
    for (int s = 0; s < RP_REC_SLOTS; s++)
        o->pub.value[s] = o->value[s];
    o->pub.path = o->path;
    o->pub.bytes = bytes;
    rp_sha256_final(&sha, o->pub.sha256);
    *out = &o->pub;
    return RP_OK;
}
