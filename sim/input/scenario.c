/* scenario.c - scenario files in, validated rp_params out; see scenario.h.
 *
 * One effective YAML tree per scenario: the user's file, with the reference
 * population (rp_paramtable_population) filled in under it where the file is
 * silent, and --set overrides written into it. Sections (the top-level
 * mappings) merge key by key; anything below a section (a group, the
 * dimensions, a level mapping) is replaced wholesale, so a file that gives
 * patients.groups gives all of them. Scalars missing from the tree take the
 * table's default. Resolution walks the parameter table in order and stops
 * at the first error.
 *
 * Locations: nodes remember where they were written. A node that came from
 * the defaults has no place in the user's text, so an error in it points at
 * the nearest enclosing node the user wrote (the top-level mapping at worst)
 * and says which default is involved.
 */
#include "rapport/scenario.h"

#include "rapport/observables.h"
#include "core/files.h"
#include "core/text.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "rapport/paramtable.h"
#include "input/extends.h"
#include "input/input.h"
#include "input/records.h"
#include "input/schema.h"
#include "input/shares.h"
#include "input/yamltree.h"

#define DEFAULTS_NAME "(defaults)"
#define SET_NAME "--set"
#define PATH_SIZE 320     /* a dotted path: section, group, dimension, key */
#define MAX_COMPONENTS 16 /* of a --set key */
#define MAX_NAMES 96      /* candidate names for one "did you mean" */
#define SUM_TOLERANCE 1e-9 /* shares and level probabilities; the messages say 1e-9 */

struct rp_scenario {
    rp_ytree *tree;
    rp_ynode *root;       /* the effective tree */
    int defaults;         /* the document number of nodes from the defaults */
    char *path;
    char *default_where; /* "PATH:1:1", the location of a default value */
    char **files;        /* [0] path, then the files it extends, in order (extends.c) */
    int n_files;
    rp_params params;
    rp_params raw; /* params before resolve_across: what a plan's points start from */
    bool resolved;
    /* --set KEY.mean=X and KEY.sd=X, in order: applied to the distribution
     * the table walk made of KEY (apply_moments) */
    struct moment_set {
        char *key;
        const struct rp_ynode *value; /* a node of tree */
    } *moments;
    size_t n_moments;
    /* the data files of patients.from and providers.from, read by
     * rp_scenario_resolve, shared by every resolution of sc */
    rp_records *records[2];
    bool skip_data; /* rp_scenario_skip_data: their keys checked, the files not read */
    /* the groups whose share --set gave alone (patients [0], providers [1]):
     * kept as given while the others are scaled (shares.h) */
    char stated[2][RP_MAX_GROUPS][RP_NAME_MAX];
    size_t n_stated[2];
};

static bool from_defaults(const rp_scenario *sc, const rp_ynode *n)
{
    return n->doc == sc->defaults;
}

/* ---- paths ---- */

static const char *join_path(char *buf, const char *base, const char *key)
{
    /* Names are bounded (RP_NAME_MAX) and paths have at most 4 parts, so this
     * never truncates; if it ever did, the path would only read shorter.
     * Copies rather than snprintf: resolution builds a path per value, and a
     * sweep resolves every point. */
    size_t lb = strlen(base), lk = strlen(key), used = 0;
    if (lb > PATH_SIZE - 1)
        lb = PATH_SIZE - 1;
    memmove(buf, base, lb);
    used = lb;
    if (lb && used < PATH_SIZE - 1)
        buf[used++] = '.';
    if (lk > PATH_SIZE - 1 - used)
        lk = PATH_SIZE - 1 - used;
    memcpy(buf + used, key, lk);
    buf[used + lk] = '\0';
    return buf;
}

/* The child of a collection called name: a mapping's key, or the item of a
 * sequence of named mappings (culture.dimensions) whose name is name. */
static rp_ynode *child_named(const rp_ynode *coll, const char *name, long *index)
{
    *index = -1;
    if (coll->kind == RP_YNODE_MAPPING) {
        *index = rp_yamltree_find(coll, name);
        return *index < 0 ? NULL : coll->values[*index];
    }
    if (coll->kind != RP_YNODE_SEQUENCE)
        return NULL;
    for (size_t i = 0; i < coll->n; i++) {
        const rp_ynode *nm = rp_yamltree_get(coll->values[i], "name");
        if (nm && nm->kind == RP_YNODE_SCALAR && strcmp(nm->text, name) == 0) {
            *index = (long)i;
            return coll->values[i];
        }
    }
    return NULL;
}

/* The node at a dotted path in the tree at root, or NULL. */
static rp_ynode *node_at(const rp_ynode *root, const char *dotted_name)
{
    char comp[PATH_SIZE];
    long index;
    rp_ynode *n = (rp_ynode *)root; /* a tree's nodes are not const to their tree */
    for (const char *p = dotted_name; n; p++) {
        size_t len = strcspn(p, ".");
        if (len >= sizeof comp)
            return NULL;
        memcpy(comp, p, len);
        comp[len] = '\0';
        n = child_named(n, comp, &index);
        p += len;
        if (!*p)
            break;
    }
    return n;
}

/* The names under which n sits, "patients.groups.white", for messages. */
static void path_of(const rp_ynode *n, char *buf)
{
    char tmp[PATH_SIZE];
    buf[0] = '\0';
    for (; n && n->parent; n = n->parent) {
        const rp_ynode *p = n->parent, *name = NULL;
        for (size_t i = 0; i < p->n && !name; i++)
            if (p->values[i] == n)
                name = p->kind == RP_YNODE_MAPPING ? p->keys[i] : rp_yamltree_get(n, "name");
        snprintf(tmp, sizeof tmp, "%s%s%s", name && name->kind == RP_YNODE_SCALAR ? name->text : "?",
                 buf[0] ? "." : "", buf);
        memcpy(buf, tmp, PATH_SIZE);
    }
}

/* ---- errors ---- */

typedef struct {
    const rp_scenario *sc;
    const rp_ynode *root; /* the tree resolved: sc's own, or a copy with overrides */
    rp_params *p;
    rp_error *err;
    /* rp_scenario_resolve_with: the overrides and the node of each value */
    const rp_override *ov;
    const rp_ynode *const *ov_nodes;
    size_t n_ov;
    /* rp_scenario_derive: the keys the caller set in p (given, though not in
     * the tree); quiet, errors are only RP_EINVAL, without a message */
    const char *const *set_keys;
    size_t n_set;
    bool quiet;
    /* rp_scenario_resolve: the scenario that reads the data files and keeps them */
    rp_scenario *load;
} resolver;

static const rp_ynode *data_from(const resolver *r, bool prov);

/* The first node under n (n included) that the user wrote, or NULL. */
static const rp_ynode *first_written(const rp_scenario *sc, const rp_ynode *n)
{
    if (!from_defaults(sc, n))
        return n;
    for (size_t i = 0; i < n->n; i++) {
        const rp_ynode *w = first_written(sc, n->values[i]);
        if (w)
            return w;
    }
    return NULL;
}

/* The context of the override whose value holds n ("sweep.grid"), else "":
 * an error in a sweep's value names the axis the value came from. */
static const char *override_context(const resolver *r, const rp_ynode *n)
{
    for (; n && r->n_ov; n = n->parent)
        for (size_t i = 0; i < r->n_ov; i++)
            if (r->ov_nodes[i] == n)
                return r->ov[i].context ? r->ov[i].context : "";
    return "";
}

/* Raise "WHERE: error: PATH: MESSAGE" for node at. A node from the defaults
 * has no place in the user's text: the error points at what the user changed
 * inside it (a --set share of a default group), else at the nearest node the
 * user wrote around it, naming the default involved. */
__attribute__((format(printf, 4, 5))) static int fail(const resolver *r, const rp_ynode *at, const char *path,
                                                      const char *fmt, ...)
{
    char msg[RP_ERROR_MAX], note[PATH_SIZE + 64] = "";
    va_list ap;
    if (r->quiet) /* rp_scenario_derive: the caller resolves again for the message */
        return RP_EINVAL;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    const rp_ynode *loc = first_written(r->sc, at);
    if (!loc) {
        loc = at;
        while (loc->parent && from_defaults(r->sc, loc->parent))
            loc = loc->parent; /* the outermost default around at */
        char dpath[PATH_SIZE];
        path_of(loc, dpath);
        snprintf(note, sizeof note, " (%s is MODEL.md's default; give your own)", dpath);
        if (loc->parent)
            loc = loc->parent;
    }
    const char *ctx = override_context(r, loc);
    return rp_status_raise(r->err, RP_EINVAL, "%s: error: %s%s%s%s%s%s", loc->where, ctx, ctx[0] && path[0] ? "." : "",
                          path, ctx[0] || path[0] ? ": " : "", msg, note);
}

/* "unknown key 'x'; did you mean 'y'?" for a near miss, else the list of
 * what is allowed (rp_schema_unknown). what/detail frame the word:
 * "undeclared level", " of dimension 'language'". */
static int fail_unknown(const resolver *r, const rp_ynode *word, const char *path, const char *what,
                        const char *detail, const char *const *names, size_t n)
{
    char why[RP_ERROR_MAX / 2];
    return fail(r, word, path, "%s", rp_schema_unknown(what, word->text, detail, names, n, NULL, why, sizeof why));
}

/* Every key of map must be one of names (the section's schema). */
static int check_keys(const resolver *r, const rp_ynode *map, const char *path, const char *const *names, size_t n)
{
    char why[RP_ERROR_MAX / 2];
    long bad = rp_schema_check_names(map, names, n, "", why, sizeof why);
    return bad < 0 ? RP_OK : fail(r, map->keys[bad], path, "%s", why);
}

/* ---- scalars ---- */

/* A set of words written as a YAML list ([A, S]) means the same as "A,S"
 * (and [] as none); each word is checked where it stands. */
static int resolve_word_list(const resolver *r, const rp_param *row, const rp_ynode *node, const char *path,
                             void *field)
{
    char got[96], why[RP_ERROR_MAX / 2], words[256];
    size_t n_words = 0;
    while (row->words[n_words])
        n_words++;
    rp_paramtable_join(row->words, n_words, words, sizeof words);
    unsigned bits = 0, one;
    for (size_t k = 0; k < node->n; k++) {
        const rp_ynode *item = node->values[k];
        if (item->kind != RP_YNODE_SCALAR || strcmp(item->text, "all") == 0 || strcmp(item->text, "none") == 0)
            return fail(r, item, path, "expected one of %s in the list, got %s", words,
                        rp_yamltree_describe(item, got, sizeof got));
        if (!rp_paramtable_parse(row, item->text, false, &one, why, sizeof why))
            return fail(r, item, path, "%s", why);
        if (bits & one)
            return fail(r, item, path, "'%s' is in the list twice; expected each of %s at most once", item->text,
                        words);
        bits |= one;
    }
    *(unsigned *)field = bits;
    return RP_OK;
}

/* The value of row at node (NULL: missing, so the default, or an error at
 * missing_at if the row has none). */
static int resolve_scalar(const resolver *r, const rp_param *row, const rp_ynode *node, const rp_ynode *missing_at,
                          const char *path, void *field)
{
    char expect[256], got[96], why[RP_ERROR_MAX / 2];
    if (!node) {
        while (from_defaults(r->sc, missing_at) && missing_at->parent)
            missing_at = missing_at->parent; /* a missing key is the user's, not the defaults' */
        if ((row->flags & RP_PF_REQUIRED) && !(strcmp(row->name, "patients.count") == 0 && data_from(r, false)))
            return fail(r, missing_at, path, "missing; expected %s (%s)",
                        rp_paramtable_expected(row, expect, sizeof expect), row->meaning);
        rp_paramtable_set_default(row, field);
        return RP_OK;
    }
    if (node->kind == RP_YNODE_SEQUENCE && row->type == RP_PT_FLAGS)
        return resolve_word_list(r, row, node, path, field);
    if (node->kind != RP_YNODE_SCALAR)
        return fail(r, node, path, "expected %s, got %s", rp_paramtable_expected(row, expect, sizeof expect),
                    rp_yamltree_describe(node, got, sizeof got));
    if (!rp_paramtable_parse(row, node->text, node->quoted, field, why, sizeof why))
        return fail(r, node, path, "%s", why);
    return RP_OK;
}

/* ---- dimensions ---- */

static int find_dim(const rp_params *p, const char *name)
{
    for (int k = 0; k < p->culture.n_dims; k++)
        if (strcmp(p->culture.dims[k].name, name) == 0)
            return k;
    return -1;
}

static int find_level(const rp_dimension *d, const char *name)
{
    for (int l = 0; l < d->n_levels; l++)
        if (strcmp(d->levels[l], name) == 0)
            return l;
    return -1;
}

static size_t level_names(const rp_dimension *d, const char **names)
{
    for (int l = 0; l < d->n_levels; l++)
        names[l] = d->levels[l];
    return (size_t)d->n_levels;
}

static int resolve_levels(const resolver *r, const rp_ynode *item, rp_dimension *d, const char *dpath)
{
    char path[PATH_SIZE], why[RP_ERROR_MAX / 2], got[96];
    const rp_ynode *node = rp_yamltree_get(item, "levels");
    join_path(path, dpath, "levels");
    if (d->kind == RP_DIM_CONTINUOUS) {
        if (node)
            return fail(r, node, path, "a continuous dimension has no levels; expected no 'levels', or kind: "
                        "categorical");
        return RP_OK;
    }
    if (!node)
        return fail(r, item, dpath, "categorical dimension without levels; expected levels: [NAME, ...]");
    if (node->kind != RP_YNODE_SEQUENCE)
        return fail(r, node, path, "expected a sequence of level names such as [english, spanish], got %s",
                    rp_yamltree_describe(node, got, sizeof got));
    if (node->n == 0)
        return fail(r, node, path, "no levels; expected at least one level name");
    if (node->n > RP_MAX_LEVELS)
        return fail(r, node->values[RP_MAX_LEVELS], path, "too many levels (%zu); expected at most %d", node->n,
                    RP_MAX_LEVELS);
    for (size_t l = 0; l < node->n; l++) {
        const rp_ynode *v = node->values[l];
        if (v->kind != RP_YNODE_SCALAR)
            return fail(r, v, path, "expected a level name, got %s", rp_yamltree_describe(v, got, sizeof got));
        if (!rp_paramtable_check_name(v->text, why, sizeof why))
            return fail(r, v, path, "%s", why);
        if (find_level(d, v->text) >= 0)
            return fail(r, v, path, "duplicate level '%s'; expected each level once", v->text);
        snprintf(d->levels[l], RP_NAME_MAX, "%s", v->text);
        d->n_levels = (int)l + 1;
    }
    return RP_OK;
}

/* A dimension's name must be unique and must not be a key of groups
 * (share, mistrust, ...), where dimensions and group keys share a mapping. */
static int check_dim_name(const resolver *r, const rp_ynode *item, int k, const char *path)
{
    size_t n;
    const rp_param *group_keys = rp_paramtable_group(&n);
    const char *name = r->p->culture.dims[k].name;
    const rp_ynode *at = rp_yamltree_get(item, "name");
    if (rp_paramtable_find(group_keys, n, name))
        return fail(r, at, path, "'%s' is a key of groups, not available as a dimension name; expected another "
                    "name", name);
    for (int j = 0; j < k; j++)
        if (strcmp(r->p->culture.dims[j].name, name) == 0)
            return fail(r, at, path, "duplicate dimension name '%s'; expected each dimension once", name);
    return RP_OK;
}

static int resolve_dimension(const resolver *r, const rp_ynode *item, int k, const char *base)
{
    size_t n;
    const rp_param *t = rp_paramtable_dimension(&n);
    const char *names[MAX_NAMES];
    char path[PATH_SIZE], kpath[PATH_SIZE], got[96];
    rp_dimension *d = &r->p->culture.dims[k];
    snprintf(path, sizeof path, "%s[%d]", base, k + 1);
    if (item->kind != RP_YNODE_MAPPING)
        return fail(r, item, path, "expected a mapping {name: ..., kind: ..., weight: ...}, got %s",
                    rp_yamltree_describe(item, got, sizeof got));
    for (size_t i = 0; i < n; i++)
        names[i] = t[i].name;
    int st = check_keys(r, item, path, names, n);
    for (size_t i = 0; i < n && !st; i++) {
        if (t[i].type == RP_PT_LEVELS) {
            st = resolve_levels(r, item, d, path);
            continue;
        }
        st = resolve_scalar(r, &t[i], rp_yamltree_get(item, t[i].name), item, join_path(kpath, path, t[i].name),
                            (char *)d + t[i].offset);
        if (!st && strcmp(t[i].name, "name") == 0) {
            st = check_dim_name(r, item, k, path);
            join_path(path, base, d->name); /* from here on, addressed by name as in --set */
        }
    }
    return st;
}

static int resolve_dimensions(const resolver *r, const rp_ynode *node, const rp_ynode *missing_at, const char *path)
{
    char got[96];
    if (!node)
        return fail(r, missing_at, path, "missing; expected a sequence of dimensions");
    if (node->kind != RP_YNODE_SEQUENCE)
        return fail(r, node, path, "expected a sequence of dimensions (- {name: ..., kind: ..., weight: ...}), "
                    "got %s", rp_yamltree_describe(node, got, sizeof got));
    if (node->n == 0)
        return fail(r, node, path, "no dimensions; expected at least one");
    if (node->n > RP_MAX_DIMS)
        return fail(r, node->values[RP_MAX_DIMS], path, "too many dimensions (%zu); expected at most %d", node->n,
                    RP_MAX_DIMS);
    for (size_t k = 0; k < node->n; k++) {
        r->p->culture.n_dims = (int)k; /* the dimensions so far, for the duplicate check */
        int st = resolve_dimension(r, node->values[k], (int)k, path);
        if (st)
            return st;
    }
    r->p->culture.n_dims = (int)node->n;
    return RP_OK;
}

/* ---- groups ---- */

static int fail_undeclared_level(const resolver *r, const rp_ynode *at, const char *path, const rp_dimension *d)
{
    const char *names[RP_MAX_LEVELS];
    size_t n = level_names(d, names);
    char detail[96];
    snprintf(detail, sizeof detail, " of dimension '%s'", d->name);
    return fail_unknown(r, at, path, "undeclared level", detail, names, n);
}

/* A categorical dimension in a group: one level name (probability 1) or a
 * mapping level -> probability summing to 1. */
static int resolve_level_probs(const resolver *r, const rp_ynode *v, const rp_dimension *d, double *prob,
                               const char *path)
{
    char got[96], lpath[PATH_SIZE];
    if (v->kind == RP_YNODE_SCALAR && (v->text[0] || v->quoted)) {
        int l = find_level(d, v->text);
        if (l < 0)
            return fail_undeclared_level(r, v, path, d);
        prob[l] = 1.0;
        return RP_OK;
    }
    if (v->kind != RP_YNODE_MAPPING || v->n == 0)
        return fail(r, v, path, "expected a level of '%s' or a mapping {level: probability}, got %s", d->name,
                    rp_yamltree_describe(v, got, sizeof got));
    double sum = 0;
    for (size_t i = 0; i < v->n; i++) {
        int l = find_level(d, v->keys[i]->text);
        if (l < 0)
            return fail_undeclared_level(r, v->keys[i], path, d);
        int st = resolve_scalar(r, rp_paramtable_level_prob(), v->values[i], v, join_path(lpath, path, d->levels[l]),
                                &prob[l]);
        if (st)
            return st;
        sum += prob[l];
    }
    if (fabs(sum - 1.0) > SUM_TOLERANCE)
        return fail(r, v, path, "level probabilities sum to %.12g; expected 1 (within 1e-9)", sum);
    return RP_OK;
}

/* The keys a group of this population may have: share, every dimension, its
 * own group keys. */
static size_t group_key_names(const rp_params *p, unsigned who, const char **names)
{
    size_t n, m = 0;
    const rp_param *t = rp_paramtable_group(&n);
    names[m++] = "share";
    for (int k = 0; k < p->culture.n_dims; k++)
        names[m++] = p->culture.dims[k].name;
    for (size_t i = 0; i < n; i++)
        if ((t[i].flags & who) && strcmp(t[i].name, "share") != 0)
            names[m++] = t[i].name;
    return m;
}

static int check_group_keys(const resolver *r, const rp_ynode *g, unsigned who, const char *path)
{
    size_t n;
    const rp_param *t = rp_paramtable_group(&n);
    const char *names[MAX_NAMES];
    size_t m = group_key_names(r->p, who, names);
    for (size_t i = 0; i < g->n; i++) {
        const char *key = g->keys[i]->text;
        const rp_param *row = rp_paramtable_find(t, n, key);
        if (row && !(row->flags & who)) {
            const char *mine = who == RP_PF_PATIENT ? "patient" : "provider";
            const char *other = who == RP_PF_PATIENT ? "provider" : "patient";
            return fail(r, g->keys[i], path, "'%s' is a %s-group key, not allowed in a %s group; expected only "
                        "share, dimensions and %s-group keys", key, other, mine, mine);
        }
        if (!row && find_dim(r->p, key) < 0)
            return fail_unknown(r, g->keys[i], path, "unknown key", " (not a declared dimension or group key)", names,
                                    m);
    }
    return RP_OK;
}

static int resolve_group(const resolver *r, const rp_ynode *g, rp_group *out, unsigned who, const char *path)
{
    size_t n;
    const rp_param *t = rp_paramtable_group(&n);
    char kpath[PATH_SIZE], got[96];
    if (g->kind != RP_YNODE_MAPPING)
        return fail(r, g, path, "expected a mapping of the group's share, dimensions and %s keys, got %s",
                    who == RP_PF_PATIENT ? "patient" : "provider", rp_yamltree_describe(g, got, sizeof got));
    int st = check_group_keys(r, g, who, path);
    for (int k = 0; k < r->p->culture.n_dims && !st; k++) {
        const rp_dimension *d = &r->p->culture.dims[k];
        const rp_ynode *v = rp_yamltree_get(g, d->name);
        join_path(kpath, path, d->name);
        if (!v)
            st = fail(r, g, path, "missing dimension '%s'; expected a value for every dimension of "
                      "culture.dimensions", d->name);
        else if (d->kind == RP_DIM_CATEGORICAL)
            st = resolve_level_probs(r, v, d, out->level_prob[k], kpath);
        else
            st = resolve_scalar(r, rp_paramtable_trait(), v, g, kpath, &out->trait[k]);
    }
    for (size_t i = 0; i < n && !st; i++)
        if (t[i].flags & who)
            st = resolve_scalar(r, &t[i], rp_yamltree_get(g, t[i].name), g, join_path(kpath, path, t[i].name),
                                (char *)out + t[i].offset);
    return st;
}

/* Whether the shares of n groups sum to 1 (within SUM_TOLERANCE); *sum. */
static bool shares_sum_to_one(const rp_group *groups, int n, double *sum)
{
    *sum = 0;
    for (int i = 0; i < n; i++)
        *sum += groups[i].share;
    return !(fabs(*sum - 1.0) > SUM_TOLERANCE);
}

/* Whether the point's overrides (resolve_with) or the fields set
 * (derive) give SECTION.groups.NAME.share. */
static bool share_given(const resolver *r, const char *section, const char *name)
{
    char key[PATH_SIZE];
    snprintf(key, sizeof key, "%s.groups.%s.share", section, name);
    for (size_t i = 0; i < r->n_ov; i++)
        if (strcmp(r->ov[i].key, key) == 0)
            return true;
    for (size_t i = 0; i < r->n_set; i++)
        if (strcmp(r->set_keys[i], key) == 0)
            return true;
    return false;
}

/* A share a sweep's point gives alone (shares.h): kept, and the groups'
 * shares it does not give scaled by the rule of rp_shares_scale (which
 * shares.c applies in the tree for a file or --set). */
static void scale_other_shares(const resolver *r, rp_group *groups, int n, const char *section)
{
    double share[RP_MAX_GROUPS] = {0};
    bool given[RP_MAX_GROUPS] = {false};
    for (int i = 0; i < n; i++) {
        share[i] = groups[i].share;
        given[i] = share_given(r, section, groups[i].name);
    }
    if (rp_shares_scale(share, given, (size_t)n))
        for (int i = 0; i < n; i++)
            groups[i].share = share[i];
}

static int resolve_groups(const resolver *r, const rp_ynode *node, const rp_ynode *missing_at, const char *path,
                          bool providers)
{
    char got[96], why[RP_ERROR_MAX / 2], gpath[PATH_SIZE];
    int *n_groups = providers ? &r->p->providers.n_groups : &r->p->patients.n_groups;
    rp_group *groups = providers ? r->p->providers.groups : r->p->patients.groups;
    unsigned who = providers ? RP_PF_PROVIDER : RP_PF_PATIENT;
    if (!node)
        return fail(r, missing_at, path, "missing; expected a mapping of group names to groups");
    if (node->kind != RP_YNODE_MAPPING)
        return fail(r, node, path, "expected a mapping of group names to groups, got %s",
                    rp_yamltree_describe(node, got, sizeof got));
    if (node->n == 0)
        return fail(r, node, path, "no groups; expected at least one");
    if (node->n > RP_MAX_GROUPS)
        return fail(r, node->keys[RP_MAX_GROUPS], path, "too many groups (%zu); expected at most %d", node->n,
                    RP_MAX_GROUPS);
    for (size_t i = 0; i < node->n; i++) {
        const rp_ynode *key = node->keys[i];
        if (!rp_paramtable_check_name(key->text, why, sizeof why))
            return fail(r, key, path, "group name: %s", why);
        if (!providers && strcmp(key->text, "all") == 0) /* the summaries' column of the whole population */
            return fail(r, key, path, "group name 'all' is reserved for the whole population in summaries; "
                        "expected another name");
        snprintf(groups[i].name, RP_NAME_MAX, "%s", key->text);
        int st = resolve_group(r, node->values[i], &groups[i], who, join_path(gpath, path, key->text));
        if (st)
            return st;
    }
    double sum;
    scale_other_shares(r, groups, (int)node->n, providers ? "providers" : "patients");
    if (!shares_sum_to_one(groups, (int)node->n, &sum))
        return fail(r, node, path, "shares sum to %.12g; expected 1 (within 1e-9)", sum);
    *n_groups = (int)node->n;
    return RP_OK;
}

/* ---- a distribution by its mean and sd (KEY.mean, KEY.sd) ---- */

static int split_dotted(const char *key, char *text, const char **comp);
static int find_group(const rp_group *groups, int n, const char *name);

/* 1 for KEY.mean, 2 for KEY.sd (a group's key or dimension: five names,
 * patients.groups.NAME.KEY.mean), else 0. */
static int moment_key(const char *key)
{
    int dots = 0;
    for (const char *c = key; *c; c++)
        dots += *c == '.';
    const char *last = strrchr(key, '.');
    if (dots != 4)
        return 0;
    return strcmp(last, ".mean") == 0 ? 1 : strcmp(last, ".sd") == 0 ? 2 : 0;
}

/* Whether a value put at key `by` replaces the distribution of the moment
 * key `key`: by is its group's collection, its group or its key
 * (patients.groups, patients.groups.NAME, patients.groups.NAME.KEY). A
 * section given a mapping (patients) merges key by key and keeps it. */
static bool replaces_moment(const char *by, const char *key)
{
    const size_t len = strlen(by);
    return strchr(by, '.') && !moment_key(by) && strncmp(by, key, len) == 0 && key[len] == '.';
}

bool rp_scenario_moment(const rp_param *row, rp_dist *d, bool sd, double x, char *why, size_t why_size)
{
    rp_dist out = *d;
    char in[96], made[96], num[64], detail[RP_ERROR_MAX / 2];
    rp_paramtable_format(row, d, in, sizeof in);
    rp_paramtable_format(rp_paramtable_moment(row, sd), &x, num, sizeof num);
    switch (d->kind) {
    case RP_DIST_FIXED:
        if (sd) {
            snprintf(why, why_size, "%s is a fixed number, which has no spread; expected .sd of a distribution "
                     "(beta(a, b), gamma(shape, scale), normal(mean, sd)), or .mean to set the number", in);
            return false;
        }
        out.a = x;
        break;
    case RP_DIST_BETA: {
        const double k = d->a + d->b, m = sd ? d->a / k : x;
        if (!sd && !(x > 0 && x < 1)) {
            snprintf(why, why_size, "%s cannot have mean %s; expected a mean strictly between 0 and 1 (a = mean x "
                     "(a + b) and b = (1 - mean) x (a + b) must be positive)", in, num);
            return false;
        }
        const double c = sd ? m * (1 - m) / (x * x) - 1 : k;
        if (!(c > 0)) {
            snprintf(why, why_size, "sd %s of %s (mean %.6g) makes a + b = mean (1 - mean) / sd^2 - 1 = %.6g; "
                     "expected an sd below sqrt(mean (1 - mean)) = %.6g, so that a + b > 0", num, in, m, c,
                     sqrt(m * (1 - m)));
            return false;
        }
        out.a = m * c;
        out.b = (1 - m) * c;
        break;
    }
    case RP_DIST_GAMMA: {
        const double mean = sd ? d->a * d->b : x;
        if (!(mean > 0)) {
            snprintf(why, why_size, "%s cannot have mean %s; expected a mean above 0 (scale = mean / shape must "
                     "be positive)", in, num);
            return false;
        }
        if (sd) {
            out.a = (mean / x) * (mean / x);
            out.b = x * x / mean;
        } else {
            out.b = x / d->a;
        }
        break;
    }
    case RP_DIST_NORMAL:
        if (sd)
            out.b = x;
        else
            out.a = x;
        break;
    }
    /* the distribution made, checked as if written (bounds of a, b, shape,
     * scale, sd; the key's range): its text reads back to the same doubles */
    rp_dist check;
    rp_paramtable_format(row, &out, made, sizeof made);
    if (!rp_paramtable_parse(row, made, false, &check, detail, sizeof detail)) {
        snprintf(why, why_size, "%s %s turns %s into %s, which is not a valid value: %s", sd ? "sd" : "mean", num, in,
                 made, detail);
        return false;
    }
    d->kind = check.kind; /* field by field: d's padding stays zero (resolutions compare with memcmp) */
    d->a = check.a;
    d->b = check.b;
    return true;
}

/* The distribution of moment key's KEY in p and its row, or NULL (a group or
 * dimension that an override replaced is not there). */
static rp_dist *moment_dist(rp_params *p, const char *key, const rp_param **row)
{
    char text[PATH_SIZE];
    const char *comp[MAX_COMPONENTS];
    size_t n = 0;
    if (split_dotted(key, text, comp) != 5 || strcmp(comp[1], "groups") != 0)
        return NULL;
    const bool prov = strcmp(comp[0], "providers") == 0;
    rp_group *groups = prov ? p->providers.groups : p->patients.groups;
    const int g = find_group(groups, prov ? p->providers.n_groups : p->patients.n_groups, comp[2]);
    const int k = find_dim(p, comp[3]);
    if (g < 0)
        return NULL;
    if (k >= 0 && p->culture.dims[k].kind == RP_DIM_CONTINUOUS) {
        *row = rp_paramtable_trait();
        return &groups[g].trait[k];
    }
    const rp_param *t = rp_paramtable_group(&n);
    *row = rp_paramtable_find(t, n, comp[3]);
    return k < 0 && *row && (*row)->type == RP_PT_DIST ? (rp_dist *)(void *)((char *)&groups[g] + (*row)->offset)
                                                       : NULL;
}

bool rp_params_moment(const rp_params *p, const char *key, double *value)
{
    const rp_param *row;
    const int which = moment_key(key);
    const rp_dist *d = which ? moment_dist((rp_params *)p, key, &row) : NULL;
    if (!d)
        return false;
    const double a = d->a, b = d->b;
    switch (d->kind) {
    case RP_DIST_FIXED: *value = which == 1 ? a : 0; break;
    case RP_DIST_BETA: *value = which == 1 ? a / (a + b) : sqrt(a * b / ((a + b) * (a + b) * (a + b + 1))); break;
    case RP_DIST_GAMMA: *value = which == 1 ? a * b : sqrt(a) * b; break;
    case RP_DIST_NORMAL: *value = which == 1 ? a : b; break;
    }
    return true;
}

/* Change the distribution of key by the value at v (KEY.mean or KEY.sd). */
static int apply_moment(const resolver *r, const char *key, const rp_ynode *v)
{
    char why[RP_ERROR_MAX / 2], expect[128], got[96];
    const rp_param *row = NULL;
    rp_dist *d = moment_dist(r->p, key, &row);
    const bool sd = moment_key(key) == 2;
    double x;
    if (!d) {
        if (rp_scenario_key(r->sc, key, &row, why, sizeof why)) /* replaced by another override */
            snprintf(why, sizeof why, "no such distribution in the groups as the other values leave them");
        return fail(r, v, key, "%s", why);
    }
    const rp_param *m = rp_paramtable_moment(row, sd);
    if (v->kind != RP_YNODE_SCALAR)
        return fail(r, v, key, "expected %s, got %s", rp_paramtable_expected(m, expect, sizeof expect),
                    rp_yamltree_describe(v, got, sizeof got));
    if (!rp_paramtable_parse(m, v->text, v->quoted, &x, why, sizeof why) ||
        !rp_scenario_moment(row, d, sd, x, why, sizeof why))
        return fail(r, v, key, "%s", why);
    return RP_OK;
}

/* The means, then the sds (so that given both, a distribution has that mean
 * and that sd), each in order: --set's (unless an override replaces the
 * distribution), then the overrides'. */
static int apply_moments(const resolver *r)
{
    for (int which = 1; which <= 2; which++) {
        for (size_t i = 0; i < r->sc->n_moments; i++) {
            const struct moment_set *m = &r->sc->moments[i];
            bool replaced = false;
            for (size_t j = 0; j < r->n_ov && !replaced; j++)
                replaced = replaces_moment(r->ov[j].key, m->key);
            int st = moment_key(m->key) == which && !replaced ? apply_moment(r, m->key, m->value) : RP_OK;
            if (st)
                return st;
        }
        for (size_t j = 0; j < r->n_ov; j++) {
            int st = moment_key(r->ov[j].key) == which ? apply_moment(r, r->ov[j].key, r->ov_nodes[j]) : RP_OK;
            if (st)
                return st;
        }
    }
    return RP_OK;
}

/* ---- the table walk ---- */

/* The section of a row ("dropout" of "dropout.base", "" for "seed") into
 * section[RP_NAME_MAX]; returns the key within the section. */
static const char *split_row(const rp_param *row, char *section)
{
    const char *dot = strchr(row->name, '.');
    size_t len = dot ? (size_t)(dot - row->name) : 0;
    if (len > RP_NAME_MAX - 1)
        len = RP_NAME_MAX - 1; /* never: section names are short words */
    memcpy(section, row->name, len);
    section[len] = '\0';
    return dot ? dot + 1 : row->name;
}

/* The keys allowed in a section ("" for the top level), from the table.
 * Rows of a section are contiguous (scenario_unit checks it), so a section's
 * keys end at the first row of another section after them, and a repeated
 * section name at the top level can only repeat the last name. Section keys
 * point into the rows; top-level section names are copied into store. */
static size_t section_keys(const rp_param *t, size_t n, const char *section, const char **names,
                           char (*store)[RP_NAME_MAX])
{
    size_t m = 0;
    for (size_t i = 0; i < n && m < MAX_NAMES; i++) {
        char sec[RP_NAME_MAX];
        const char *key = split_row(&t[i], sec);
        if (section[0] && strcmp(sec, section) != 0) {
            if (m)
                break;
            continue;
        }
        if (!section[0] && sec[0]) {
            if (m && strcmp(names[m - 1], sec) == 0)
                continue;
            memcpy(store[m], sec, sizeof sec);
            key = store[m];
        } else if (section[0] && strchr(key, '.')) { /* a sub-section: patients.gradient.KEY */
            size_t len = strcspn(key, ".");
            if (m && strlen(names[m - 1]) == len && strncmp(names[m - 1], key, len) == 0)
                continue;
            snprintf(store[m], RP_NAME_MAX, "%.*s", (int)len, key);
            key = store[m];
        }
        names[m++] = key;
    }
    return m;
}

static int resolve_row(const resolver *r, const rp_param *row, const rp_ynode *container, const char *key)
{
    const rp_ynode *node = container ? rp_yamltree_get(container, key) : NULL;
    const rp_ynode *missing_at = container ? container : r->root;
    switch (row->type) {
    case RP_PT_DIMENSIONS:
        return resolve_dimensions(r, node, missing_at, row->name);
    case RP_PT_PATIENT_GROUPS:
    case RP_PT_PROVIDER_GROUPS:
        return resolve_groups(r, node, missing_at, row->name, row->type == RP_PT_PROVIDER_GROUPS);
    case RP_PT_SWEEP_GRID:
    case RP_PT_SWEEP_ZIP:
    case RP_PT_SWEEP_LHS:
    case RP_PT_SWEEP_SOBOL:
        return RP_OK; /* not parameters of a run: the plan module reads and checks them (rp_plan_create) */
    case RP_PT_DATA:
        return RP_OK; /* a data file's keys: resolve_data, once the groups are known */
    default:
        return resolve_scalar(r, row, node, missing_at, row->name, (char *)r->p + row->offset);
    }
}

/* The rows of a sub-section (patients.gradient.KEY), from row i on: the
 * sub-section's mapping checked as a section's, each row resolved in it; *last
 * is the sub-section's last row. */
static int resolve_subsection(const resolver *r, const rp_param *t, size_t n, size_t i, const rp_ynode *container,
                              size_t *last)
{
    char sec[RP_NAME_MAX], path[RP_NAME_MAX * 2], got[96], list[512];
    const char *names[MAX_NAMES];
    const char *key = split_row(&t[i], sec);
    const size_t len = strcspn(key, ".");
    snprintf(path, sizeof path, "%s.%.*s", sec, (int)len, key);
    size_t m = 0, j = i;
    for (; j < n && m < MAX_NAMES && strncmp(t[j].name, path, strlen(path)) == 0 && t[j].name[strlen(path)] == '.';
         j++)
        names[m++] = t[j].name + strlen(path) + 1;
    *last = j - 1;
    const rp_ynode *sub = container ? rp_yamltree_get(container, path + strlen(sec) + 1) : NULL;
    if (sub && sub->kind != RP_YNODE_MAPPING)
        return fail(r, sub, path, "expected a mapping of %s, got %s", rp_paramtable_join(names, m, list, sizeof list),
                    rp_yamltree_describe(sub, got, sizeof got));
    int st = sub ? check_keys(r, sub, path, names, m) : RP_OK;
    for (size_t k = 0; k < m && !st; k++)
        st = resolve_row(r, &t[i + k], sub ? sub : NULL, names[k]);
    return st;
}

/* Resolve the rows of one section, starting at row i; *end is the first row
 * of the next section. */
static int resolve_section(const resolver *r, const rp_param *t, size_t n, size_t i, size_t *end)
{
    char section[RP_NAME_MAX], sec[RP_NAME_MAX], got[96], list[512], store[MAX_NAMES][RP_NAME_MAX];
    const char *names[MAX_NAMES];
    split_row(&t[i], section);
    const rp_ynode *container = r->root;
    if (section[0]) {
        container = rp_yamltree_get(r->root, section);
        size_t m = section_keys(t + i, n - i, section, names, store);
        if (container && container->kind != RP_YNODE_MAPPING)
            return fail(r, container, section, "expected a mapping of %s, got %s",
                        rp_paramtable_join(names, m, list, sizeof list),
                        rp_yamltree_describe(container, got, sizeof got));
        int st = container ? check_keys(r, container, section, names, m) : RP_OK;
        if (st)
            return st;
    }
    for (*end = i; *end < n; ++*end) {
        const char *key = split_row(&t[*end], sec);
        if (strcmp(sec, section) != 0)
            break;
        int st = strchr(key, '.') ? resolve_subsection(r, t, n, *end, container, end)
                                  : resolve_row(r, &t[*end], container, key);
        if (st)
            return st;
    }
    return RP_OK;
}

/* ---- checks across values ---- */

/* Of two parameters, the node the user wrote (a over b), for errors that
 * involve both; NULL when neither is written. */
static const rp_ynode *written(const resolver *r, const char *a, const char *b)
{
    if (r->quiet)
        return NULL; /* only errors use it, and quiet ones are not located */
    const rp_ynode *na = node_at(r->root, a), *nb = b ? node_at(r->root, b) : NULL;
    if (na && !from_defaults(r->sc, na))
        return na;
    if (nb && !from_defaults(r->sc, nb))
        return nb;
    return na ? na : nb;
}

/* Whether the scenario gives name (the tree, or a key rp_scenario_derive's
 * caller set); a node of it, or NULL. */
static const rp_ynode *given(const resolver *r, const char *name)
{
    const rp_ynode *n = node_at(r->root, name);
    for (size_t i = 0; i < r->n_set && !n; i++)
        if (strcmp(r->set_keys[i], name) == 0)
            n = r->root; /* set outside the tree: only quiet errors use the node */
    return n;
}

/* ---- populations from data files (docs/SCENARIO.md) ---- */

#define MAX_MAP 64  /* columns of one map */
#define MAX_CODES 64 /* codes or breaks of one column */

static const char *const data_keys[] = {"from", "ignore", "map", "missing", "resample"};
static const char *const map_keys[] = {"to", "codes", "breaks", "values"};

/* What a map holds while its file is read. */
typedef struct {
    rp_records_map m[MAX_MAP];
    const char *code[MAX_MAP][MAX_CODES];
    double code_value[MAX_MAP][MAX_CODES], breaks[MAX_MAP][MAX_CODES], values[MAX_MAP][MAX_CODES + 1];
} map_store;

static int read_data(const resolver *r, rp_scenario *load, bool prov, const rp_ynode *from, int draw,
                     const char *const *ign, size_t n_ign, const rp_records_map *m, size_t n_map);

/* Whether the section (patients, providers) has a data file. */
static const rp_ynode *data_from(const resolver *r, bool prov)
{
    return node_at(r->root, prov ? "providers.from" : "patients.from");
}

/* The map's entry for the file's column `column` (at node v) into m; codes
 * and breaks into the caller's arrays. */
static int resolve_map_entry(const resolver *r, const rp_ynode *key, const rp_ynode *v, bool prov,
                             rp_records_map *m, const char **code, double *code_value, double *breaks,
                             double *values)
{
    const rp_params *p = r->p;
    const char *sec = prov ? "providers" : "patients";
    char path[PATH_SIZE], got[96], why[RP_ERROR_MAX / 2];
    snprintf(path, sizeof path, "%s.map.%s", sec, key->text);
    if (v->kind != RP_YNODE_MAPPING)
        return fail(r, v, path, "expected a mapping of to, codes, breaks, values, got %s",
                    rp_yamltree_describe(v, got, sizeof got));
    int st = check_keys(r, v, path, map_keys, sizeof map_keys / sizeof map_keys[0]);
    if (st)
        return st;
    const rp_ynode *to = rp_yamltree_get(v, "to"), *codes = rp_yamltree_get(v, "codes");
    const rp_ynode *br = rp_yamltree_get(v, "breaks"), *vals = rp_yamltree_get(v, "values");
    const char *target = to ? to->text : key->text;
    if (to && (to->kind != RP_YNODE_SCALAR || !to->text[0]))
        return fail(r, to, path, "to: expected the name of a dimension, an attribute or group, got %s",
                    rp_yamltree_describe(to, got, sizeof got));
    *m = (rp_records_map){.column = key->text, .slot = rp_records_slot(p, prov, target)};
    if (m->slot == -2) {
        const char *names[RP_REC_SLOTS + 1];
        size_t n = 0;
        for (int s = 0; s < RP_REC_SLOTS; s++)
            if (rp_records_slot_name(p, prov, s))
                names[n++] = rp_records_slot_name(p, prov, s);
        names[n++] = "group";
        return fail_unknown(r, to ? to : key, path, "unknown target", " (a dimension, an attribute or group)",
                            names, n);
    }
    const bool named = m->slot == RP_REC_GROUP ||
                       (m->slot < p->culture.n_dims && p->culture.dims[m->slot].kind == RP_DIM_CATEGORICAL);
    if (codes && (br || vals))
        return fail(r, codes, path, "codes and breaks together; expected one of them");
    if ((br != NULL) != (vals != NULL))
        return fail(r, br ? br : vals, path, "%s without %s; expected breaks: [b1, ..., bk] with values: [v0, ..., "
                    "vk]", br ? "breaks" : "values", br ? "values" : "breaks");
    if (codes) {
        if (codes->kind != RP_YNODE_MAPPING || codes->n == 0 || codes->n > MAX_CODES)
            return fail(r, codes, path, "codes: expected a mapping CODE: VALUE of 1 to %d codes, got %s", MAX_CODES,
                        rp_yamltree_describe(codes, got, sizeof got));
        for (size_t i = 0; i < codes->n; i++) {
            const rp_ynode *c = codes->values[i];
            code[i] = codes->keys[i]->text;
            if (c->kind != RP_YNODE_SCALAR)
                return fail(r, c, path, "codes: expected a level, group name or number, got %s",
                            rp_yamltree_describe(c, got, sizeof got));
            if (m->slot == RP_REC_GROUP) {
                const rp_group *g = prov ? p->providers.groups : p->patients.groups;
                int n = prov ? p->providers.n_groups : p->patients.n_groups, k = find_group(g, n, c->text);
                const char *names[RP_MAX_GROUPS];
                for (int j = 0; j < n; j++)
                    names[j] = g[j].name;
                if (k < 0)
                    return fail_unknown(r, c, path, "unknown group", "", names, (size_t)n);
                code_value[i] = k;
            } else if (named) {
                const rp_dimension *d = &p->culture.dims[m->slot];
                int l = find_level(d, c->text);
                if (l < 0)
                    return fail_undeclared_level(r, c, path, d);
                code_value[i] = l;
            } else if (!rp_schema_number(c, &code_value[i]) ||
                       !rp_records_in_range(p, prov, m->slot, code_value[i], why, sizeof why)) {
                rp_records_in_range(p, prov, m->slot, NAN, why, sizeof why);
                return fail(r, c, path, "codes: expected %s, got %s", why, rp_yamltree_describe(c, got, sizeof got));
            }
        }
        m->n_codes = codes->n;
        m->code = code;
        m->code_value = code_value;
    }
    if (br) {
        if (named)
            return fail(r, br, path, "breaks map numbers to numbers; expected codes for %s",
                        m->slot == RP_REC_GROUP ? "the group" : "a categorical dimension");
        if (br->kind != RP_YNODE_SEQUENCE || br->n == 0 || br->n > MAX_CODES)
            return fail(r, br, path, "breaks: expected a list of 1 to %d increasing numbers, got %s", MAX_CODES,
                        rp_yamltree_describe(br, got, sizeof got));
        if (vals->kind != RP_YNODE_SEQUENCE || vals->n != br->n + 1)
            return fail(r, vals, path, "values: expected a list of %zu numbers (one more than the breaks), got %s",
                        br->n + 1, rp_yamltree_describe(vals, got, sizeof got));
        for (size_t i = 0; i < br->n; i++)
            if (!rp_schema_number(br->values[i], &breaks[i]) || (i && !(breaks[i] > breaks[i - 1])))
                return fail(r, br->values[i], path, "breaks: expected increasing numbers, got %s",
                            rp_yamltree_describe(br->values[i], got, sizeof got));
        for (size_t i = 0; i <= br->n; i++)
            if (!rp_schema_number(vals->values[i], &values[i]) ||
                !rp_records_in_range(p, prov, m->slot, values[i], why, sizeof why)) {
                rp_records_in_range(p, prov, m->slot, NAN, why, sizeof why);
                return fail(r, vals->values[i], path, "values: expected %s, got %s", why,
                            rp_yamltree_describe(vals->values[i], got, sizeof got));
            }
        m->n_breaks = br->n;
        m->breaks = breaks;
        m->values = values;
    }
    return RP_OK;
}

/* A yes/no word of the data keys. */
static int data_word(const resolver *r, const rp_ynode *v, const char *path, const char *a, const char *b, int *out)
{
    char got[96];
    if (v->kind == RP_YNODE_SCALAR && !v->quoted && (strcmp(v->text, a) == 0 || strcmp(v->text, b) == 0)) {
        *out = strcmp(v->text, b) == 0;
        return RP_OK;
    }
    return fail(r, v, path, "expected %s or %s, got %s", a, b, rp_yamltree_describe(v, got, sizeof got));
}

/* patients.from (prov: providers.from) and its keys: the file read into
 * records (or the scenario's, read before), its rows in p. sc, when not
 * NULL, may read the file and keeps it; a resolution without it reuses what
 * sc read. */
static int resolve_data(const resolver *r, rp_scenario *load, bool prov)
{
    rp_params *p = r->p;
    const char *sec = prov ? "providers" : "patients";
    char path[PATH_SIZE], got[96];
    const rp_ynode *node[5];
    for (size_t k = 0; k < 5; k++)
        node[k] = node_at(r->root, join_path(path, sec, data_keys[k]));
    const rp_ynode *from = node[0], *ignore = node[1], *map = node[2], *missing = node[3], *resample = node[4];
    if (prov)
        p->providers.resample = -1;
    else
        p->patients.resample = -1;
    if (!from) {
        for (size_t k = 1; k < 5; k++)
            if (node[k])
                return fail(r, node[k], join_path(path, sec, data_keys[k]), "without %s.from; expected %s.from: "
                            "FILE.csv (the %s' data file) with it", sec, sec, sec);
        return RP_OK;
    }
    join_path(path, sec, "from");
    if (from->kind != RP_YNODE_SCALAR || !from->text[0])
        return fail(r, from, path, "expected the path of a CSV file (relative to this scenario), got %s",
                    rp_yamltree_describe(from, got, sizeof got));
    int draw = 0, res = -1;
    int st = missing ? data_word(r, missing, join_path(path, sec, "missing"), "error", "draw", &draw) : RP_OK;
    if (!st && resample)
        st = data_word(r, resample, join_path(path, sec, "resample"), "false", "true", &res);
    if (st)
        return st;
    if (prov)
        p->providers.resample = res;
    else
        p->patients.resample = res;
    const char *ign[MAX_NAMES];
    size_t n_ign = 0;
    if (ignore) {
        if (ignore->kind != RP_YNODE_SEQUENCE || ignore->n > MAX_NAMES)
            return fail(r, ignore, join_path(path, sec, "ignore"), "expected a list of the file's column names, "
                        "such as [record_id, visit_date], got %s", rp_yamltree_describe(ignore, got, sizeof got));
        for (size_t i = 0; i < ignore->n; i++) {
            if (ignore->values[i]->kind != RP_YNODE_SCALAR || !ignore->values[i]->text[0])
                return fail(r, ignore->values[i], join_path(path, sec, "ignore"), "expected a column name, got %s",
                            rp_yamltree_describe(ignore->values[i], got, sizeof got));
            ign[n_ign++] = ignore->values[i]->text;
        }
    }
    if (map && (map->kind != RP_YNODE_MAPPING || map->n > MAX_MAP))
        return fail(r, map, join_path(path, sec, "map"), "expected a mapping COLUMN: {to, codes, breaks, values} "
                    "of at most %d columns, got %s", MAX_MAP, rp_yamltree_describe(map, got, sizeof got));
    for (size_t i = 0; map && i < n_ign; i++)
        if (rp_yamltree_get(map, ign[i]))
            return fail(r, ignore->values[i], join_path(path, sec, "ignore"), "'%s' is also a column of %s.map; "
                        "expected a column mapped or ignored, not both", ign[i], sec);
    map_store *ms = malloc(sizeof *ms);
    if (!ms)
        return fail(r, from, path, "out of memory");
    size_t n_map = 0;
    for (; map && n_map < map->n && !st; n_map++)
        st = resolve_map_entry(r, map->keys[n_map], map->values[n_map], prov, &ms->m[n_map], ms->code[n_map],
                               ms->code_value[n_map], ms->breaks[n_map], ms->values[n_map]);
    st = st ? st : read_data(r, load, prov, from, draw, ign, n_ign, ms->m, n_map);
    free(ms);
    return st;
}

/* The rows of the data file at from, read with the map (or those sc read). */
static int read_data(const resolver *r, rp_scenario *load, bool prov, const rp_ynode *from, int draw,
                     const char *const *ign, size_t n_ign, const rp_records_map *m, size_t n_map)
{
    rp_params *p = r->p;
    const char *sec = prov ? "providers" : "patients";
    char path[PATH_SIZE], ex[256], full[256];
    int st;
    join_path(path, sec, "from");
    const rp_records *rec = load ? load->records[prov] : r->sc->records[prov];
    rp_records *out = NULL;
    if (!rec && r->sc->skip_data)
        return RP_OK; /* a stored scenario read back: its counts are written, its rows not needed */
    if (!rec && !load)
        return fail(r, from, path, "a data file that the scenario did not read; expected it in the scenario "
                    "file, not in an override");
    if (!rec) {
        char *file = rp_file_join(from->file, from->text);
        if (!file)
            return fail(r, from, path, "out of memory");
        rp_records_spec spec = {.p = p, .providers = prov, .missing_draw = draw, .ignore = ign, .n_ignore = n_ign,
                                .map = m, .n_map = n_map};
        struct stat stt;
        const int e = stat(file, &stt) != 0 ? errno : 0;
        if (e || !S_ISREG(stt.st_mode)) {
            const bool tried = strcmp(file, from->text) != 0;
            st = fail(r, from, path, "cannot open '%s': %s%s%s%s; expected a CSV file, relative to the scenario",
                      rp_text_excerpt(from->text, ex, sizeof ex), e ? strerror(e) : S_ISDIR(stt.st_mode) ?
                      "a directory" : "not a regular file", tried ? " (tried '" : "",
                      tried ? rp_text_excerpt(file, full, sizeof full) : "", tried ? "')" : "");
            free(file);
            return st;
        }
        st = rp_records_read(file, &spec, &out, r->err);
        free(file);
        if (st)
            return st;
        load->records[prov] = out;
        rec = out;
    }
    if (prov)
        p->providers.records = rec;
    else
        p->patients.records = rec;
    return RP_OK;
}

/* The counts of a population with a data file: count given, count rows
 * drawn with replacement (unless resample: false); else every row once. */
static int resolve_data_count(const resolver *r, bool prov)
{
    rp_params *p = r->p;
    const char *sec = prov ? "providers" : "patients";
    char key[PATH_SIZE];
    const rp_records *rec = prov ? p->providers.records : p->patients.records;
    int64_t *count = prov ? &p->providers.count : &p->patients.count;
    int *resample = prov ? &p->providers.resample : &p->patients.resample;
    if (!rec)
        return RP_OK;
    const rp_ynode *at = given(r, join_path(key, sec, "count"));
    if (*resample < 0)
        *resample = at != NULL;
    if (!at)
        *count = rec->rows;
    const double *s0 = prov ? NULL : rec->value[RP_REC_SYMPTOMS0];
    for (int64_t i = 0; s0 && i < rec->rows; i++) /* checked as read; a sweep's point may move the bounds */
        if (s0[i] < p->symptoms.recovered || s0[i] > p->symptoms.max) {
            const rp_ynode *from = data_from(r, false);
            return fail(r, from ? from : r->root, "patients.from", "symptoms0 %.17g of the file's row %" PRId64
                        " is outside [symptoms.recovered, symptoms.max] = [%.17g, %.17g]; expected a symptom scale "
                        "that holds every intake", s0[i], i + 1, p->symptoms.recovered, p->symptoms.max);
        }
    if (!*resample && *count != rec->rows)
        return fail(r, at ? at : r->root, key, "%" PRId64 " with %s.resample: false, but %s.from has %" PRId64
                    " rows; expected the file's row count, or resample: true to draw %" PRId64 " rows", *count, sec,
                    sec, rec->rows, *count);
    return RP_OK;
}

/* The patients the providers can take at once: count x caseload, or, with a
 * caseload column, each row's (every row once) or the smallest row's times
 * count (rows drawn). */
static int64_t total_capacity(const rp_params *p)
{
    const rp_records *rec = p->providers.records;
    const double *c = rec ? rec->value[RP_REC_CASELOAD] : NULL;
    if (!c)
        return p->providers.count * p->providers.caseload;
    int64_t sum = 0, least = INT64_MAX;
    for (int64_t j = 0; j < rec->rows; j++) {
        const int64_t cj = isnan(c[j]) ? p->providers.caseload : (int64_t)c[j];
        sum += cj;
        least = cj < least ? cj : least;
    }
    return p->providers.resample ? least * p->providers.count : sum;
}

static int resolve_match_on(const resolver *r)
{
    rp_params *p = r->p;
    const rp_ynode *given_at = given(r, "assignment.match_on");
    const char *names[RP_MAX_DIMS];
    size_t m = 0;
    for (int k = 0; k < p->culture.n_dims; k++)
        if (p->culture.dims[k].kind == RP_DIM_CATEGORICAL)
            names[m++] = p->culture.dims[k].name;
    int k = find_dim(p, p->assignment.match_on);
    bool ok = k >= 0 && p->culture.dims[k].kind == RP_DIM_CATEGORICAL;
    char list[512];
    rp_paramtable_join(names, m, list, sizeof list);
    if (given_at && !ok && k >= 0)
        return fail(r, given_at, "assignment.match_on", "'%s' is a continuous dimension; expected a categorical one: "
                    "%s", p->assignment.match_on, m ? list : "(none declared)");
    if (given_at && !ok)
        return fail_unknown(r, given_at, "assignment.match_on", "undeclared dimension", "", names, m);
    if (!ok && p->assignment.policy == RP_ASSIGN_SAME_GROUP) {
        const rp_ynode *at = written(r, "assignment.policy", NULL);
        return fail(r, at ? at : r->root, "assignment.match_on",
                    "missing, and the default '%s' is not a categorical dimension; expected one of %s for policy "
                    "same_group", p->assignment.match_on, m ? list : "(none declared)");
    }
    if (!ok)
        p->assignment.match_on[0] = '\0'; /* unused: no same_group, no dimension to match */
    p->assignment.match_dim = ok ? k : -1;
    return RP_OK;
}

/* contrasts.reference_group: one of the patient groups when given, else
 * the first (so that `show` prints the group the contrasts use). */
static int resolve_reference_group(const resolver *r)
{
    rp_params *p = r->p;
    const rp_ynode *given_at = given(r, "contrasts.reference_group");
    if (!given_at) {
        if (p->patients.n_groups > 0)
            memcpy(p->contrasts.reference_group, p->patients.groups[0].name, RP_NAME_MAX);
        return RP_OK;
    }
    const char *names[RP_MAX_GROUPS];
    for (int g = 0; g < p->patients.n_groups; g++) {
        names[g] = p->patients.groups[g].name;
        if (strcmp(names[g], p->contrasts.reference_group) == 0)
            return RP_OK;
    }
    char why[RP_ERROR_MAX / 2];
    return fail(r, given_at, "contrasts.reference_group", "%s",
                rp_schema_unknown("unknown patient group", p->contrasts.reference_group, "", names,
                                  (size_t)p->patients.n_groups, NULL, why, sizeof why));
}

/* The rows whose default depends on the model (a later model's, refused
 * when given under p's; a calibrated one): a silent one takes its default
 * under p's model (rp_paramtable_set_default_model). */
static int resolve_model_rows(const resolver *r)
{
    size_t n;
    const rp_param *t = rp_paramtable_scenario(&n);
    for (size_t i = 0; i < n; i++) {
        if (!rp_paramtable_by_model(&t[i]))
            continue;
        const rp_ynode *at = given(r, t[i].name);
        if (at && !rp_paramtable_in_model(&t[i], r->p->model)) {
            const rp_ynode *m = written(r, "model", NULL);
            return fail(r, at, t[i].name, "a parameter of model %d; expected model: %d to set it (the scenario "
                        "runs model %d%s)", t[i].since, t[i].since, r->p->model, m ? "" : ", the default");
        }
        if (!at)
            rp_paramtable_set_default_model(&t[i], r->p->model, (char *)r->p + t[i].offset);
    }
    return RP_OK;
}

/* patients.gradient.dimension: a continuous dimension's index, or -1 for none. */
static int resolve_gradient(const resolver *r)
{
    rp_params *p = r->p;
    const char *names[RP_MAX_DIMS];
    size_t m = 0;
    p->patients.gradient.dim = -1;
    if (strcmp(p->patients.gradient.dimension, "none") == 0)
        return RP_OK;
    for (int k = 0; k < p->culture.n_dims; k++)
        if (p->culture.dims[k].kind == RP_DIM_CONTINUOUS)
            names[m++] = p->culture.dims[k].name;
    const int k = find_dim(p, p->patients.gradient.dimension);
    if (k >= 0 && p->culture.dims[k].kind == RP_DIM_CONTINUOUS) {
        p->patients.gradient.dim = k;
        return RP_OK;
    }
    const rp_ynode *given_at = given(r, "patients.gradient.dimension");
    if (!given_at) { /* the default, class, where declared continuous (as match_on's ethnoracial) */
        snprintf(p->patients.gradient.dimension, RP_NAME_MAX, "none");
        return RP_OK;
    }
    char list[512];
    rp_paramtable_join(names, m, list, sizeof list);
    if (k >= 0)
        return fail(r, given_at, "patients.gradient.dimension", "'%s' is a categorical dimension; expected a "
                    "continuous one (%s) or none", p->patients.gradient.dimension, m ? list : "none declared");
    return fail(r, given_at, "patients.gradient.dimension", "undeclared dimension '%s'; expected a continuous "
                "dimension (%s) or none", p->patients.gradient.dimension, m ? list : "none declared");
}

/* Computed defaults and the rules that involve more than one value. */
static int resolve_across(const resolver *r)
{
    rp_params *p = r->p;
    const rp_ynode *root = r->root, *at;
    int st = resolve_model_rows(r);
    if (!st)
        st = resolve_gradient(r);
    if (!st)
        st = resolve_data_count(r, false);
    if (!st)
        st = resolve_data_count(r, true);
    if (st)
        return st;
    if (!given(r, "providers.count") && !p->providers.records) /* bounds keep this exact and free of overflow */
        p->providers.count = (p->patients.count + p->providers.caseload - 1) / p->providers.caseload;
    if (p->symptoms.recovered >= p->symptoms.max) {
        at = written(r, "symptoms.recovered", "symptoms.max");
        return fail(r, at ? at : root, "symptoms", "recovered (%.17g) is not below max (%.17g); expected "
                    "symptoms.recovered < symptoms.max", p->symptoms.recovered, p->symptoms.max);
    }
    if (p->report.ambivalence_week > p->horizon) {
        at = written(r, "report.ambivalence_week", "horizon");
        return fail(r, at ? at : root, "report.ambivalence_week", "week %d is after the horizon (%d); expected "
                    "a week in [0, horizon]", p->report.ambivalence_week, p->horizon);
    }
    if (p->providers.records && total_capacity(p) < p->patients.count) {
        at = written(r, "providers.from", NULL);
        return fail(r, at ? at : root, "providers", "the providers of providers.from take %" PRId64 " patients at "
                    "once%s, below patients.count %" PRId64 "; expected more providers or larger caseloads",
                    total_capacity(p), p->providers.resample ? " (count x the smallest caseload, as rows are drawn)"
                    : "", p->patients.count);
    }
    /* (read back without the data, a stored scenario's room was checked when it ran) */
    if (!data_from(r, true) && p->providers.count * p->providers.caseload < p->patients.count) {
        at = written(r, "providers.count", "providers.caseload");
        return fail(r, at ? at : root, "providers",
                    "total caseload %" PRId64 " x %" PRId64 " = %" PRId64 " is below patients.count %" PRId64
                    "; expected providers.count x providers.caseload >= patients.count",
                    p->providers.count, p->providers.caseload, p->providers.count * p->providers.caseload,
                    p->patients.count);
    }
    int status = resolve_match_on(r);
    return status == RP_OK ? resolve_reference_group(r) : status;
}

/* Resolve r->root into r->p; raw (if not NULL) gets the parameters before
 * resolve_across. */
static int resolve_tree(const resolver *r, rp_params *raw)
{
    size_t n;
    const rp_param *t = rp_paramtable_scenario(&n);
    const char *names[MAX_NAMES];
    char store[MAX_NAMES][RP_NAME_MAX];
    /* zeroed, padding and unused entries included: two resolutions of the
     * same scenario compare equal with memcmp */
    memset(r->p, 0, sizeof *r->p);
    int st = check_keys(r, r->root, "", names, section_keys(t, n, "", names, store));
    for (size_t i = 0; i < n && !st;)
        st = resolve_section(r, t, n, i, &i);
    if (!st)
        st = apply_moments(r);
    if (!st)
        st = resolve_data(r, r->load, false);
    if (!st)
        st = resolve_data(r, r->load, true);
    if (!st && raw)
        memcpy(raw, r->p, sizeof *raw);
    if (!st)
        st = resolve_across(r);
    return st;
}

int rp_scenario_resolve(rp_scenario *sc, rp_error *err)
{
    resolver r = {.sc = sc, .root = sc->root, .p = &sc->params, .err = err, .load = sc};
    for (int k = 0; k < 2; k++) { /* read again: an override may have changed them */
        rp_records_free(sc->records[k]);
        sc->records[k] = NULL;
    }
    sc->resolved = false;
    int st = resolve_tree(&r, &sc->raw);
    sc->resolved = st == RP_OK;
    return st;
}

const rp_params *rp_scenario_params(const rp_scenario *sc)
{
    return &sc->params;
}

/* ---- loading ---- */

/* In { } and [ ] a comma ends a plain value, so `{class: beta(6, 2)}` reads
 * as class: "beta(6" and a stray key "2)". Catch the cut value, which is the
 * first sign of it, with the fix. */
static int check_cut_values(const rp_ynode *n, rp_error *err)
{
    if (n->kind == RP_YNODE_SCALAR) {
        char ex[64];
        if (!n->in_flow || n->quoted || !strchr(n->text, '(') || strchr(n->text, ')'))
            return RP_OK;
        RP_FAIL(err, RP_EINVAL, "%s: error: '%s' is cut short by a comma: inside { } or [ ] a comma ends a "
                "value; expected the distribution in quotes, e.g. \"beta(2, 5)\", or block style (one key per "
                "line)", n->where, rp_text_excerpt(n->text, ex, sizeof ex));
    }
    for (size_t i = 0; i < n->n; i++) {
        int st = check_cut_values(n->values[i], err);
        if (st)
            return st;
    }
    return RP_OK;
}

static int alloc_scenario(const char *name, rp_scenario **out, rp_error *err)
{
    rp_scenario *sc = calloc(1, sizeof *sc);
    size_t len = strlen(name);
    if (sc) {
        sc->tree = rp_yamltree_alloc();
        sc->path = malloc(len + 1);
        sc->default_where = malloc(len + 8);
    }
    if (!sc || !sc->tree || !sc->path || !sc->default_where) {
        rp_scenario_free(sc);
        RP_FAIL(err, RP_ENOMEM, "%s: error: out of memory", name);
    }
    memcpy(sc->path, name, len + 1);
    snprintf(sc->default_where, len + 8, "%s:1:1", name);
    *out = sc;
    return RP_OK;
}

/* The checks of one document (the file, or a file it extends) before it is
 * merged: a mapping, without values cut short by a comma. */
static int check_document(const rp_ynode *root, const char *name, rp_error *err)
{
    char got[96];
    if (!root || (root->kind == RP_YNODE_SCALAR && !root->quoted && !root->text[0]))
        RP_FAIL(err, RP_EINVAL, "%s:1:1: error: empty scenario (no keys); expected a mapping with at least seed "
                "and patients.count", name);
    if (root->kind != RP_YNODE_MAPPING)
        RP_FAIL(err, RP_EINVAL, "%s: error: the top level is %s; expected a mapping of keys such as 'seed: 1'",
                root->where, rp_yamltree_describe(root, got, sizeof got));
    return check_cut_values(root, err);
}

/* sc->files: the scenario's path, then the files it extends. */
static int extended_files(rp_scenario *sc, rp_ynode *root, rp_error *err)
{
    char **ext;
    int n, st = rp_extends_resolve(sc->tree, root, sc->path, check_document, &ext, &n, err);
    if (st)
        return st;
    if (!(sc->files = malloc((size_t)(n + 1) * sizeof *sc->files))) {
        rp_extends_free(ext, n);
        RP_FAIL(err, RP_ENOMEM, "%s: error: out of memory", sc->path);
    }
    sc->files[0] = sc->path;
    for (int k = 0; k < n; k++)
        sc->files[k + 1] = ext[k];
    sc->n_files = n + 1;
    free(ext);
    return RP_OK;
}

/* The file, then what it extends under it (extends.c), then the defaults
 * under both where they are silent: top-level keys and sections key by key,
 * anything deeper whole. */
static int load_text(rp_scenario *sc, const char *text, size_t len, rp_error *err)
{
    const char *pop = rp_paramtable_population();
    rp_ynode *defaults, *root;
    int st = rp_yamltree_parse(sc->tree, DEFAULTS_NAME, pop, strlen(pop), 0, &defaults, err);
    if (st)
        return st;
    sc->defaults = defaults->doc;
    if ((st = rp_yamltree_parse(sc->tree, sc->path, text, len, 0, &root, err)) ||
        (st = check_document(root, sc->path, err)) ||
        (st = extended_files(sc, root, err)))
        return st;
    sc->root = root;
    if (rp_shares_over(sc->tree, root, defaults) || rp_yamltree_fill(root, defaults, 2))
        RP_FAIL(err, RP_ENOMEM, "%s: error: out of memory", sc->path);
    return RP_OK;
}

int rp_scenario_load_string(const char *name, const char *text, rp_scenario **out, rp_error *err)
{
    rp_scenario *sc;
    *out = NULL;
    int st = alloc_scenario(name, &sc, err);
    if (!st && (st = load_text(sc, text, strlen(text), err)))
        rp_scenario_free(sc);
    else if (!st)
        *out = sc;
    return st;
}

int rp_scenario_load(const char *path, rp_scenario **out, rp_error *err)
{
    char *text = NULL;
    size_t len = 0;
    rp_scenario *sc;
    *out = NULL;
    int st = rp_yamltree_read_file(path, &text, &len, err);
    if (!st && !(st = alloc_scenario(path, &sc, err))) {
        if ((st = load_text(sc, text, len, err)))
            rp_scenario_free(sc);
        else
            *out = sc;
    }
    free(text);
    return st;
}

void rp_scenario_free(rp_scenario *sc)
{
    if (!sc)
        return;
    rp_yamltree_free(sc->tree);
    for (size_t i = 0; i < sc->n_moments; i++)
        free(sc->moments[i].key);
    free(sc->moments);
    rp_records_free(sc->records[0]);
    rp_records_free(sc->records[1]);
    free(sc->path);
    free(sc->default_where);
    for (int k = 1; k < sc->n_files; k++)
        free(sc->files[k]);
    free(sc->files);
    free(sc);
}

void rp_scenario_skip_data(rp_scenario *sc)
{
    sc->skip_data = true;
}

const char *rp_scenario_path(const rp_scenario *sc)
{
    return sc->path;
}

const char *const *rp_scenario_files(const rp_scenario *sc, int *n)
{
    *n = sc->n_files; /* set by every load that succeeds */
    return (const char *const *)sc->files;
}

/* ---- --set ---- */

typedef struct {
    char text[PATH_SIZE];
    const char *comp[MAX_COMPONENTS];
    int column[MAX_COMPONENTS]; /* 1-based, in the argument */
    int n;
} dotted;

/* Split "a.b.c" (len bytes of key) into components; error if one is empty. */
static int split_key(const char *key, size_t len, dotted *d, rp_error *err)
{
    if (len >= sizeof d->text)
        RP_FAIL(err, RP_EINVAL, SET_NAME ":1:1: error: key of %zu bytes; expected a dotted key such as "
                "dropout.base", len);
    memcpy(d->text, key, len);
    d->text[len] = '\0';
    d->n = 0;
    for (size_t start = 0;;) {
        size_t end = start + strcspn(d->text + start, ".");
        if (end == start || d->n == MAX_COMPONENTS)
            RP_FAIL(err, RP_EINVAL, SET_NAME ":1:%zu: error: '%.*s' is not a dotted key (%s); expected KEY=VALUE "
                    "with a KEY such as patients.groups.latinx.mistrust", start + 1, (int)len, key,
                    end == start ? "an empty name" : "too many names");
        d->comp[d->n] = d->text + start;
        d->column[d->n++] = (int)start + 1;
        if (!d->text[end])
            break;
        d->text[end] = '\0';
        start = end + 1;
    }
    return RP_OK;
}

/* The prefix comp[0..n) of d joined with dots (it fits: d->text did). */
static const char *prefix(const dotted *d, int n, char *buf)
{
    size_t used = 0;
    buf[0] = '\0';
    for (int i = 0; i < n; i++)
        used += (size_t)snprintf(buf + used, PATH_SIZE - used, "%s%s", i ? "." : "", d->comp[i]);
    return buf;
}

/* Group mappings and the dimension sequence are collections of named items:
 * a --set key going through one must name an existing item. */
static bool named_collection(const rp_ynode *n, const char *path)
{
    size_t count;
    const rp_param *t = rp_paramtable_scenario(&count);
    const rp_param *row = rp_paramtable_find(t, count, path);
    return n->kind == RP_YNODE_SEQUENCE ||
           (row && (row->type == RP_PT_PATIENT_GROUPS || row->type == RP_PT_PROVIDER_GROUPS));
}

static int fail_no_item(const rp_ynode *coll, const dotted *d, int i, rp_error *err)
{
    const char *names[MAX_NAMES];
    char path[PATH_SIZE];
    size_t m = 0;
    for (size_t j = 0; j < coll->n && m < MAX_NAMES; j++) {
        const rp_ynode *nm =
            coll->kind == RP_YNODE_MAPPING ? coll->keys[j] : rp_yamltree_get(coll->values[j], "name");
        if (nm && nm->kind == RP_YNODE_SCALAR)
            names[m++] = nm->text;
    }
    const char *what = coll->kind == RP_YNODE_SEQUENCE ? "no dimension" : "no group";
    char why[RP_ERROR_MAX / 2];
    prefix(d, i, path);
    RP_FAIL(err, RP_EINVAL, SET_NAME ":1:%d: error: %s: %s", d->column[i], path,
            rp_schema_unknown(what, d->comp[i], "", names, m, NULL, why, sizeof why));
}

/* Walk d's components but the last from the root, creating missing section
 * mappings; *out is the collection that will hold the last one. */
static int walk_for_set(rp_scenario *sc, const dotted *d, rp_ynode **out, rp_error *err)
{
    char path[PATH_SIZE];
    rp_ynode *cur = sc->root;
    for (int i = 0; i + 1 < d->n; i++) {
        long index;
        rp_ynode *next = child_named(cur, d->comp[i], &index);
        prefix(d, i, path);
        if (!next && named_collection(cur, path))
            return fail_no_item(cur, d, i, err);
        if (!next) {
            rp_ynode *key = rp_yamltree_scalar(sc->tree, SET_NAME, 1, d->column[i], d->comp[i]);
            next = rp_yamltree_mapping(sc->tree, SET_NAME, 1, d->column[i]);
            if (!key || !next || rp_yamltree_put(cur, key, next))
                RP_FAIL(err, RP_ENOMEM, SET_NAME ": error: out of memory");
        }
        if (next->kind == RP_YNODE_SCALAR)
            RP_FAIL(err, RP_EINVAL, SET_NAME ":1:%d: error: %s: a single value has no key '%s'; expected KEY=VALUE "
                    "for an existing section, group or dimension", d->column[i + 1], prefix(d, i + 1, path),
                    d->comp[i + 1]);
        cur = next;
    }
    *out = cur;
    return RP_OK;
}

/* Store value as the last component of d under coll: merged key by key into
 * a top-level section, else replacing what was there. */
static int put_value(rp_scenario *sc, rp_ynode *coll, const dotted *d, rp_ynode *value, rp_error *err)
{
    long index;
    const char *last = d->comp[d->n - 1];
    rp_ynode *old = child_named(coll, last, &index);
    if (coll->kind == RP_YNODE_SEQUENCE) { /* a dimension, replaced whole in its place */
        if (!old)
            return fail_no_item(coll, d, d->n - 1, err);
        coll->values[index] = value;
        value->parent = coll;
        return RP_OK;
    }
    if (d->n == 1 && old && old->kind == RP_YNODE_MAPPING && value->kind == RP_YNODE_MAPPING) {
        for (size_t i = 0; i < value->n; i++)
            if (rp_yamltree_put(old, value->keys[i], value->values[i]))
                RP_FAIL(err, RP_ENOMEM, SET_NAME ": error: out of memory");
        return RP_OK;
    }
    rp_ynode *key = rp_yamltree_scalar(sc->tree, SET_NAME, 1, d->column[d->n - 1], last);
    if (!key || rp_yamltree_put(coll, key, value))
        RP_FAIL(err, RP_ENOMEM, SET_NAME ": error: out of memory");
    return RP_OK;
}

/* Keep --set KEY.mean=X or KEY.sd=X for resolution (apply_moments); a
 * later value of the same key replaces the earlier. */
static int set_moment(rp_scenario *sc, const char *key, const rp_ynode *value, rp_error *err)
{
    for (size_t i = 0; i < sc->n_moments; i++)
        if (strcmp(sc->moments[i].key, key) == 0) {
            sc->moments[i].value = value;
            return RP_OK;
        }
    struct moment_set *m = realloc(sc->moments, (sc->n_moments + 1) * sizeof *m);
    if (m)
        sc->moments = m;
    const size_t len = strlen(key) + 1;
    char *copy = m ? malloc(len) : NULL;
    if (copy)
        memcpy(copy, key, len);
    else
        RP_FAIL(err, RP_ENOMEM, SET_NAME ": error: out of memory");
    sc->moments[sc->n_moments++] = (struct moment_set){copy, value};
    return RP_OK;
}

int rp_scenario_set(rp_scenario *sc, const char *assignment, rp_error *err)
{
    const char *eq = strchr(assignment, '=');
    char ex[64], key[PATH_SIZE] = "";
    dotted d;
    rp_ynode *value = NULL, *coll = NULL;
    if (!eq)
        RP_FAIL(err, RP_EINVAL, SET_NAME ":1:%zu: error: '%s' has no '='; expected KEY=VALUE such as "
                "dropout.base=-7.5", strlen(assignment) + 1, rp_text_excerpt(assignment, ex, sizeof ex));
    int col0 = (int)(eq - assignment) + 1; /* columns before VALUE */
    int st = split_key(assignment, (size_t)(eq - assignment), &d, err);
    if (!st)
        st = rp_yamltree_parse(sc->tree, SET_NAME, eq + 1, strlen(eq + 1), col0, &value, err);
    if (!st && !value) /* "KEY=": an empty value, an error wherever a value is needed */
        value = rp_yamltree_scalar(sc->tree, SET_NAME, 1, col0 + 1, "");
    if (!st && !value)
        RP_FAIL(err, RP_ENOMEM, SET_NAME ": error: out of memory");
    if (!st)
        st = check_cut_values(value, err);
    if (!st && moment_key(prefix(&d, d.n, key)))
        st = set_moment(sc, key, value, err);
    else if (!st)
        st = walk_for_set(sc, &d, &coll, err);
    if (!st && !moment_key(key))
        st = put_value(sc, coll, &d, value, err);
    if (!st && d.n == 4 && strcmp(d.comp[1], "groups") == 0 && strcmp(d.comp[3], "share") == 0 &&
        (strcmp(d.comp[0], "patients") == 0 || strcmp(d.comp[0], "providers") == 0)) {
        /* a share alone: kept, with those given before; the other groups scaled */
        const int w = d.comp[0][1] == 'r'; /* providers */
        size_t i = 0;
        while (i < sc->n_stated[w] && strcmp(sc->stated[w][i], d.comp[2]) != 0)
            i++;
        if (i == sc->n_stated[w] && i < RP_MAX_GROUPS && strlen(d.comp[2]) < RP_NAME_MAX)
            snprintf(sc->stated[w][sc->n_stated[w]++], RP_NAME_MAX, "%s", d.comp[2]);
        const char *names[RP_MAX_GROUPS];
        for (size_t k = 0; k < sc->n_stated[w]; k++)
            names[k] = sc->stated[w][k];
        if (rp_shares_rescale(sc->tree, coll->parent, names, sc->n_stated[w]))
            st = rp_status_raise(err, RP_ENOMEM, SET_NAME ": error: out of memory");
    }
    for (size_t i = 0, k = 0; !st && i <= sc->n_moments; i++) /* a value of the key, group or groups replaces */
        if (i == sc->n_moments)
            sc->n_moments = k;
        else if (replaces_moment(key, sc->moments[i].key))
            free(sc->moments[i].key);
        else
            sc->moments[k++] = sc->moments[i];
    sc->resolved = false;
    return st;
}

const char *rp_scenario_where(const rp_scenario *sc, const char *name)
{
    size_t n;
    const rp_param *t = rp_paramtable_scenario(&n);
    const rp_ynode *node = node_at(sc->root, name);
    if (node)
        return from_defaults(sc, node) ? sc->default_where : node->where;
    return rp_paramtable_find(t, n, name) ? sc->default_where : NULL;
}

/* ---- resolving with overrides (the points of a sweep) ---- */

/* Split key at dots into comp (pointing into text[PATH_SIZE]); the number of
 * components, or 0 if the key is too long, has too many components or an
 * empty one. */
static int split_dotted(const char *key, char *text, const char **comp)
{
    size_t len = strlen(key);
    int n = 0;
    if (len >= PATH_SIZE)
        return 0;
    memcpy(text, key, len + 1);
    for (char *p = text;; p++) {
        char *dot = strchr(p, '.');
        if (n == MAX_COMPONENTS || (dot ? dot == p : !*p))
            return 0;
        comp[n++] = p;
        if (!dot)
            return n;
        *dot = '\0';
        p = dot;
    }
}

/* "WHAT 'KEY'WHERE; did you mean 'X'?" ("unknown parameter 'trust.rat'",
 * "no group 'latnix' in patients.groups"), else the hint or the candidates;
 * false, for rp_scenario_key. */
static bool unknown_key(const char *what, const char *key, const char *where, const char *const *names, size_t n,
                        const char *hint, char *why, size_t why_size)
{
    rp_schema_unknown(what, key, where, names, n, hint, why, why_size);
    return false;
}

/* A key of one or two names: a row of the table or a section. */
static bool top_key(const char *key, int nc, const rp_param **row, char *why, size_t why_size)
{
    size_t n;
    const rp_param *t = rp_paramtable_scenario(&n);
    const char *names[2 * MAX_NAMES];
    char store[MAX_NAMES][RP_NAME_MAX];
    *row = rp_paramtable_find(t, n, key);
    if (*row)
        return true;
    size_t m = section_keys(t, n, "", names, store); /* sections and top-level keys */
    for (size_t i = 0; i < m; i++)
        if (nc == 1 && strcmp(names[i], key) == 0)
            return true; /* a whole section, merged key by key */
    for (size_t i = 0; i < n && m < sizeof names / sizeof names[0]; i++)
        if (strchr(t[i].name, '.'))
            names[m++] = t[i].name;
    return unknown_key("unknown parameter", key, "", names, m,
                       "a dotted key of the scenario reference, such as trust.rate", why, why_size);
}

/* comp[3] of a key under an item of a collection row: a group's key or
 * dimension, or a dimension's key. */
static bool item_key(const rp_params *p, const rp_param *coll, const char *const *comp, const rp_param **row,
                     char *why, size_t why_size)
{
    size_t n;
    const char *names[MAX_NAMES];
    char where[PATH_SIZE + 8];
    snprintf(where, sizeof where, " of %s.%s.%s", comp[0], comp[1], comp[2]);
    if (coll->type == RP_PT_DIMENSIONS) {
        const rp_param *t = rp_paramtable_dimension(&n);
        if ((*row = rp_paramtable_find(t, n, comp[3])))
            return true;
        for (size_t i = 0; i < n; i++)
            names[i] = t[i].name;
        return unknown_key("unknown key", comp[3], where, names, n, NULL, why, why_size);
    }
    unsigned who = coll->type == RP_PT_PROVIDER_GROUPS ? RP_PF_PROVIDER : RP_PF_PATIENT;
    const rp_param *t = rp_paramtable_group(&n);
    const rp_param *r = rp_paramtable_find(t, n, comp[3]);
    int k = find_dim(p, comp[3]);
    if (r && (r->flags & who)) {
        *row = r;
        return true;
    }
    if (k >= 0) {
        *row = p->culture.dims[k].kind == RP_DIM_CONTINUOUS ? rp_paramtable_trait() : NULL;
        return true;
    }
    return unknown_key("unknown key", comp[3], where, names, group_key_names(p, who, names), NULL, why, why_size);
}

bool rp_scenario_key(const rp_scenario *sc, const char *key, const rp_param **row, char *why, size_t why_size)
{
    size_t n;
    const rp_param *t = rp_paramtable_scenario(&n);
    const rp_params *p = &sc->params;
    const char *comp[MAX_COMPONENTS], *names[MAX_NAMES];
    char text[PATH_SIZE], head[PATH_SIZE], ex[64];
    int nc = split_dotted(key, text, comp);
    *row = NULL;
    if (!nc) {
        snprintf(why, why_size, "'%s' is not a dotted key (an empty or too many names); expected a key such as "
                 "trust.rate", rp_text_excerpt(key, ex, sizeof ex));
        return false;
    }
    if (nc <= 2)
        return top_key(key, nc, row, why, why_size);
    if (moment_key(key)) { /* KEY.mean, KEY.sd: KEY must be a distribution */
        const rp_param *dist;
        char of[PATH_SIZE];
        snprintf(of, sizeof of, "%.*s", (int)(strrchr(key, '.') - key), key);
        if (!rp_scenario_key(sc, of, &dist, why, why_size))
            return false;
        if (!dist || dist->type != RP_PT_DIST) {
            snprintf(why, why_size, "'%s' is not a distribution, so it has no %s; expected the mean or sd of a "
                     "group's distribution, such as patients.groups.NAME.mistrust.mean", of, strrchr(key, '.') + 1);
            return false;
        }
        *row = rp_paramtable_moment(dist, moment_key(key) == 2);
        return true;
    }
    if (nc == 3 && (*row = rp_paramtable_find(t, n, key)))
        return true; /* a key of a sub-section: patients.gradient.barrier */
    snprintf(head, sizeof head, "%s.%s", comp[0], comp[1]);
    const rp_param *coll = rp_paramtable_find(t, n, head);
    if (!coll)
        return top_key(head, 2, row, why, why_size); /* not a row: says so about head */
    if (coll->type != RP_PT_DIMENSIONS && coll->type != RP_PT_PATIENT_GROUPS && coll->type != RP_PT_PROVIDER_GROUPS) {
        snprintf(why, why_size, "'%s' is a single value and has no key '%s'; expected %s alone", head, comp[2], head);
        return false;
    }
    bool dims = coll->type == RP_PT_DIMENSIONS, prov = coll->type == RP_PT_PROVIDER_GROUPS;
    int count = dims ? p->culture.n_dims : prov ? p->providers.n_groups : p->patients.n_groups;
    bool found = false;
    for (int i = 0; i < count; i++) {
        names[i] = dims ? p->culture.dims[i].name : prov ? p->providers.groups[i].name : p->patients.groups[i].name;
        found = found || strcmp(names[i], comp[2]) == 0;
    }
    if (!found) {
        char where[PATH_SIZE + 8];
        snprintf(where, sizeof where, " in %s", head);
        return unknown_key(dims ? "no dimension" : "no group", comp[2], where, names, (size_t)count, NULL, why,
                           why_size);
    }
    if (nc == 3)
        return true; /* a whole group or dimension */
    if (nc > 4) {
        snprintf(why, why_size, "'%s' goes deeper than %s.%s.%s.KEY; expected at most four names (a group's level "
                 "mapping is given whole)", rp_text_excerpt(key, ex, sizeof ex), comp[0], comp[1], comp[2]);
        return false;
    }
    return item_key(p, coll, comp, row, why, why_size);
}

/* ---- applying values without YAML (input.h) ---- */

const rp_params *rp_scenario_raw_params(const rp_scenario *sc)
{
    return &sc->raw;
}

int rp_scenario_derive(const rp_scenario *sc, rp_params *p, size_t n, const char *const *keys)
{
    resolver r = {.sc = sc, .root = sc->root, .p = p, .set_keys = keys, .n_set = n, .quiet = true};
    double sum;
    scale_other_shares(&r, p->patients.groups, p->patients.n_groups, "patients");
    scale_other_shares(&r, p->providers.groups, p->providers.n_groups, "providers");
    if (!shares_sum_to_one(p->patients.groups, p->patients.n_groups, &sum) ||
        !shares_sum_to_one(p->providers.groups, p->providers.n_groups, &sum))
        return RP_EINVAL;
    return resolve_across(&r);
}

/* Bytes of a scalar row's field. */
static size_t field_size(const rp_param *row)
{
    switch (row->type) {
    case RP_PT_INT: return sizeof(int);
    case RP_PT_INT64: return sizeof(int64_t);
    case RP_PT_UINT64: return sizeof(uint64_t);
    case RP_PT_DOUBLE:
    case RP_PT_PROB: return sizeof(double);
    case RP_PT_ENUM: return sizeof(int);
    case RP_PT_FLAGS: return sizeof(unsigned);
    case RP_PT_NAME: return RP_NAME_MAX;
    case RP_PT_DIST: return sizeof(rp_dist);
    default: return 0; /* structured rows are not one field */
    }
}

static int find_group(const rp_group *groups, int n, const char *name)
{
    for (int i = 0; i < n; i++)
        if (strcmp(groups[i].name, name) == 0)
            return i;
    return -1;
}

bool rp_scenario_field(const rp_scenario *sc, const char *key, rp_field *f)
{
    size_t n;
    const rp_param *t = rp_paramtable_scenario(&n), *row;
    const rp_params *p = &sc->params;
    const char *comp[MAX_COMPONENTS];
    char text[PATH_SIZE], why[RP_ERROR_MAX / 2], head[PATH_SIZE];
    int nc = split_dotted(key, text, comp);
    *f = (rp_field){0, 0, NULL, -1};
    if (!nc || !rp_scenario_key(sc, key, &row, why, sizeof why))
        return false;
    if (nc <= 2 || (nc == 3 && rp_paramtable_find(t, n, key))) {
        row = rp_paramtable_find(t, n, key);
        if (!row || !field_size(row))
            return false; /* a section, a population's collection or a sweep design */
        *f = (rp_field){row->offset, field_size(row), row, -1};
        return true;
    }
    if (nc != 4)
        return false; /* a whole group or dimension */
    snprintf(head, sizeof head, "%s.%s", comp[0], comp[1]);
    const rp_param *coll = rp_paramtable_find(t, n, head);
    if (coll->type == RP_PT_DIMENSIONS) {
        const int k = find_dim(p, comp[2]);
        if (!row || (row->type != RP_PT_DOUBLE && row->type != RP_PT_PROB))
            return false; /* name, kind, levels: the population's structure */
        *f = (rp_field){offsetof(rp_params, culture.dims) + (size_t)k * sizeof(rp_dimension) + row->offset,
                        field_size(row), row, -1};
        return true;
    }
    const bool prov = coll->type == RP_PT_PROVIDER_GROUPS;
    const int g = prov ? find_group(p->providers.groups, p->providers.n_groups, comp[2])
                       : find_group(p->patients.groups, p->patients.n_groups, comp[2]);
    const size_t base = (prov ? offsetof(rp_params, providers.groups) : offsetof(rp_params, patients.groups)) +
                        (size_t)g * sizeof(rp_group);
    const int k = find_dim(p, comp[3]);
    if (k >= 0 && p->culture.dims[k].kind == RP_DIM_CATEGORICAL)
        *f = (rp_field){base + offsetof(rp_group, level_prob) + (size_t)k * sizeof p->patients.groups[0].level_prob[0],
                        sizeof p->patients.groups[0].level_prob[0], NULL, k};
    else if (k >= 0)
        *f = (rp_field){base + offsetof(rp_group, trait) + (size_t)k * sizeof(rp_dist), sizeof(rp_dist), row, -1};
    else
        *f = (rp_field){base + row->offset, field_size(row), row, -1};
    return true;
}

bool rp_scenario_field_parse(const rp_scenario *sc, const rp_field *f, const char *text, bool quoted,
                             unsigned char *bytes)
{
    char why[RP_ERROR_MAX / 2];
    memset(bytes, 0, f->size);
    if (f->levels >= 0) { /* as resolve_level_probs reads one level name */
        const int l = text[0] || quoted ? find_level(&sc->params.culture.dims[f->levels], text) : -1;
        if (l < 0)
            return false;
        ((double *)(void *)bytes)[l] = 1.0;
        return true;
    }
    return rp_paramtable_parse(f->row, text, quoted, bytes, why, sizeof why);
}

const rp_ynode *rp_scenario_node(const rp_scenario *sc, const char *name)
{
    return node_at(sc->root, name);
}

/* The nodes one rp_scenario_resolve_with adds, so that sc's tree stays as it
 * is: copies of the collections on the way to each override, new keys and
 * text values. A copy made under a copied collection has that copy as its
 * parent, while the nodes of sc's tree keep theirs: so a child is already a
 * copy of this call exactly when its parent is the collection being walked.
 * Each mapping copy has room for `extra` more keys, enough for every key the
 * overrides could add to it. All freed together after the call. */
typedef struct {
    rp_ynode **nodes;
    size_t n, cap;
    size_t extra;
} shadow;

static void shadow_free(shadow *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->nodes[i]);
    free(s->nodes);
}

/* A copy of orig (NULL: a new node of kind) with room for slots children
 * and text_size bytes of text, or NULL if out of memory. */
static rp_ynode *shadow_node(shadow *s, const rp_ynode *orig, rp_ynode_kind kind, size_t slots, size_t text_size)
{
    if (s->n == s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 16;
        rp_ynode **nodes = realloc(s->nodes, cap * sizeof *nodes);
        if (!nodes)
            return NULL;
        s->nodes = nodes;
        s->cap = cap;
    }
    rp_ynode *c = malloc(sizeof *c + 2 * slots * sizeof(rp_ynode *) + text_size);
    if (!c)
        return NULL;
    *c = orig ? *orig : (rp_ynode){.kind = kind};
    c->keys = (rp_ynode **)(c + 1);
    c->values = c->keys + slots;
    c->cap = slots;
    if (orig && orig->kind == RP_YNODE_MAPPING)
        memcpy(c->keys, orig->keys, orig->n * sizeof *c->keys);
    if (orig && orig->kind != RP_YNODE_SCALAR)
        memcpy(c->values, orig->values, orig->n * sizeof *c->values);
    if (text_size)
        c->text = (char *)(c->values + slots);
    s->nodes[s->n++] = c;
    return c;
}

/* map[key] = value in a copied mapping; a new key gets key_node, or a new
 * node located at where. */
static int shadow_set(shadow *s, rp_ynode *map, const char *key, rp_ynode *key_node, rp_ynode *value,
                      const char *where)
{
    long i = rp_yamltree_find(map, key);
    if (i >= 0) {
        map->values[i] = value;
        return RP_OK;
    }
    if (map->n == map->cap) /* never: extra bounds the keys the overrides add */
        return RP_ENOMEM;
    if (!key_node) {
        size_t len = strlen(key);
        if (!(key_node = shadow_node(s, NULL, RP_YNODE_SCALAR, 0, len + 1)))
            return RP_ENOMEM;
        memcpy(key_node->text, key, len + 1);
        key_node->file = key_node->where = where;
        key_node->parent = map;
    }
    map->keys[map->n] = key_node;
    map->values[map->n++] = value;
    return RP_OK;
}

/* The child of cur called name, copied for this call; a missing section is
 * created (rp_scenario_key allowed the key). */
static int shadow_child(shadow *s, rp_ynode *cur, const char *name, const rp_override *o, rp_ynode **out,
                        rp_error *err)
{
    long index;
    rp_ynode *next = child_named(cur, name, &index);
    if (!next && cur->kind == RP_YNODE_MAPPING) {
        if (!(next = shadow_node(s, NULL, RP_YNODE_MAPPING, s->extra, 0)))
            return RP_ENOMEM;
        next->file = next->where = o->where;
        next->parent = cur;
        if (shadow_set(s, cur, name, NULL, next, o->where))
            return RP_ENOMEM;
    } else if (!next || next->kind == RP_YNODE_SCALAR) {
        /* only after an earlier override replaced what the key goes through */
        RP_FAIL(err, RP_EINVAL, "%s: error: %s%s%s: no '%s' to put a value under (an earlier override replaced it)",
                o->where, o->context ? o->context : "", o->context ? "." : "", o->key, name);
    } else if (next->parent != cur) {
        rp_ynode *copy = shadow_node(s, next, next->kind, next->n + s->extra, 0);
        if (!copy)
            return RP_ENOMEM;
        copy->parent = cur;
        cur->values[index] = copy;
        next = copy;
    }
    *out = next;
    return RP_OK;
}

/* Put value at o->key in the copy at root, as --set puts a value (put_value). */
static int shadow_apply(shadow *s, rp_ynode *root, const rp_override *o, rp_ynode *value, rp_error *err)
{
    char text[PATH_SIZE];
    const char *comp[MAX_COMPONENTS];
    int n = split_dotted(o->key, text, comp), st = RP_OK;
    rp_ynode *cur = root;
    for (int i = 0; i + 1 < n && !st; i++)
        st = shadow_child(s, cur, comp[i], o, &cur, err);
    if (st)
        return st;
    long index;
    rp_ynode *old = child_named(cur, comp[n - 1], &index);
    if (cur->kind == RP_YNODE_SEQUENCE) { /* a dimension, replaced whole in its place */
        if (!old)
            RP_FAIL(err, RP_EINVAL, "%s: error: %s%s%s: no dimension '%s' (an earlier override replaced them)",
                    o->where, o->context ? o->context : "", o->context ? "." : "", o->key, comp[n - 1]);
        cur->values[index] = value;
        return RP_OK;
    }
    if (n == 1 && old && old->kind == RP_YNODE_MAPPING && value->kind == RP_YNODE_MAPPING) {
        if (old->parent != cur && (st = shadow_child(s, cur, comp[0], o, &old, err)))
            return st;
        for (size_t i = 0; i < value->n && !st; i++) /* a section merges key by key */
            st = shadow_set(s, old, value->keys[i]->text, value->keys[i], value->values[i], o->where);
        return st;
    }
    return shadow_set(s, cur, comp[n - 1], NULL, value, o->where);
}

/* Check the keys of the overrides, and count the keys they could add to one
 * mapping (s->extra). */
static int check_overrides(const rp_scenario *sc, size_t n, const rp_override *ov, shadow *s, rp_error *err)
{
    char why[RP_ERROR_MAX / 2];
    const rp_param *row;
    for (size_t i = 0; i < n; i++) {
        const char *ctx = ov[i].context ? ov[i].context : "";
        if (!rp_scenario_key(sc, ov[i].key, &row, why, sizeof why))
            RP_FAIL(err, RP_EINVAL, "%s: error: %s%s%s", ov[i].where ? ov[i].where : sc->default_where, ctx,
                    ctx[0] ? ": " : "", why);
        if (row && row->type == RP_PT_DATA)
            RP_FAIL(err, RP_EINVAL, "%s: error: %s%s%s: %s key is the same at every point; expected it "
                    "in the scenario (or --set), not in a sweep", ov[i].where ? ov[i].where : sc->default_where, ctx,
                    ctx[0] ? ": " : "", ov[i].key,
                    strncmp(ov[i].key, "uncertainty.", 12) == 0 ? "the uncertainty section's" : "a data file's");
        s->extra += 1 + (ov[i].value && ov[i].value->kind == RP_YNODE_MAPPING ? ov[i].value->n : 0);
    }
    return RP_OK;
}

int rp_scenario_resolve_with(const rp_scenario *sc, size_t n, const rp_override *ov, rp_params *out,
                             rp_error *err)
{
    shadow s = {NULL, 0, 0, 0};
    if (!sc->resolved)
        RP_FAIL(err, RP_EINVAL, "%s: error: overrides of a scenario that is not resolved; expected "
                "rp_scenario_resolve first", sc->path);
    int st = check_overrides(sc, n, ov, &s, err);
    if (st)
        return st;
    const rp_ynode **nodes = calloc(n ? n : 1, sizeof *nodes);
    rp_ynode *root = shadow_node(&s, sc->root, RP_YNODE_MAPPING, sc->root->n + s.extra, 0);
    if (!nodes || !root)
        st = RP_ENOMEM;
    for (size_t i = 0; i < n && !st; i++) {
        /* The overrides' nodes are only pointed at, never changed. */
        rp_ynode *v = (rp_ynode *)ov[i].value;
        if (!v && (v = shadow_node(&s, NULL, RP_YNODE_SCALAR, 0, 0))) {
            v->text = (char *)(ov[i].text ? ov[i].text : "");
            v->file = v->where = ov[i].where ? ov[i].where : sc->default_where;
        }
        nodes[i] = v;
        if (v && moment_key(ov[i].key))
            continue; /* applied to the distribution the walk makes (apply_moments) */
        st = v ? shadow_apply(&s, root, &ov[i], v, err) : RP_ENOMEM;
    }
    if (st == RP_ENOMEM)
        rp_status_raise(err, st, "%s: error: out of memory", sc->path);
    if (!st) {
        resolver r = {.sc = sc, .root = root, .p = out, .err = err, .ov = ov, .ov_nodes = nodes, .n_ov = n};
        st = resolve_tree(&r, NULL);
    }
    free(nodes);
    shadow_free(&s);
    return st;
}

/* ---- show ---- */

/* "  # SYMBOL: meaning [unit]"; a coefficient calibrated for model 2 also
 * says so there (model 1's comments stay as they were). */
static void write_comment(FILE *out, const rp_param *row, const char *key, int model)
{
    bool symbol = row->symbol[0] && strcmp(row->symbol, key) != 0;
    fprintf(out, "  # %s%s%s", symbol ? row->symbol : "", symbol ? ": " : "", row->meaning);
    if (row->unit[0])
        fprintf(out, " [%s]", row->unit);
    if ((row->flags & RP_PF_CALIBRATED) && model >= 2)
        fprintf(out, "; default calibrated to docs/TARGETS.md (scenarios/calibration.yaml)");
    fputc('\n', out);
}

static void write_dimensions(FILE *out, const rp_params *p)
{
    size_t n;
    const rp_param *t = rp_paramtable_dimension(&n);
    char buf[128];
    for (int k = 0; k < p->culture.n_dims; k++) {
        const rp_dimension *d = &p->culture.dims[k];
        for (size_t i = 0; i < n; i++) {
            const char *lead = i ? "      " : "    - ";
            if (t[i].type != RP_PT_LEVELS) {
                fprintf(out, "%s%s: %s\n", lead, t[i].name, rp_paramtable_format(&t[i], (const char *)d + t[i].offset,
                                                                                buf, sizeof buf));
            } else if (d->kind == RP_DIM_CATEGORICAL) {
                fprintf(out, "%slevels: [", lead);
                for (int l = 0; l < d->n_levels; l++)
                    fprintf(out, "%s%s", l ? ", " : "", d->levels[l]);
                fprintf(out, "]\n");
            }
        }
    }
}

/* One level name when a level has probability 1, else {level: p, ...} with
 * every level whose probability is not +0. */
static void write_level_probs(FILE *out, const rp_dimension *d, const double *prob)
{
    char buf[64];
    int one = -1, nonzero = 0;
    for (int l = 0; l < d->n_levels; l++) {
        nonzero += prob[l] != 0 || signbit(prob[l]);
        if (prob[l] == 1.0)
            one = l;
    }
    if (one >= 0 && nonzero == 1) {
        fprintf(out, "%s\n", d->levels[one]);
        return;
    }
    fputc('{', out);
    for (int l = 0, w = 0; l < d->n_levels; l++)
        if (prob[l] != 0 || signbit(prob[l]))
            fprintf(out, "%s%s: %s", w++ ? ", " : "", d->levels[l],
                    rp_paramtable_format(rp_paramtable_level_prob(), &prob[l], buf, sizeof buf));
    fprintf(out, "}\n");
}

static void write_groups(FILE *out, const rp_params *p, bool providers)
{
    size_t n;
    const rp_param *t = rp_paramtable_group(&n);
    unsigned who = providers ? RP_PF_PROVIDER : RP_PF_PATIENT;
    int count = providers ? p->providers.n_groups : p->patients.n_groups;
    char buf[128];
    for (int gi = 0; gi < count; gi++) {
        const rp_group *g = providers ? &p->providers.groups[gi] : &p->patients.groups[gi];
        fprintf(out, "    %s:\n      share: %s\n", g->name, rp_paramtable_format(&t[0], &g->share, buf, sizeof buf));
        for (int k = 0; k < p->culture.n_dims; k++) {
            const rp_dimension *d = &p->culture.dims[k];
            fprintf(out, "      %s: ", d->name);
            if (d->kind == RP_DIM_CATEGORICAL)
                write_level_probs(out, d, g->level_prob[k]);
            else
                fprintf(out, "%s\n", rp_paramtable_format(rp_paramtable_trait(), &g->trait[k], buf, sizeof buf));
        }
        for (size_t i = 0; i < n; i++)
            if ((t[i].flags & who) && strcmp(t[i].name, "share") != 0)
                fprintf(out, "      %s: %s\n", t[i].name,
                        rp_paramtable_format(&t[i], (const char *)g + t[i].offset, buf, sizeof buf));
    }
}

/* A sweep's axes are written back as the YAML they were, in block style:
 * a plain scalar stays plain (so a number stays a number: quotes would make
 * it a string) and a quoted one is written double-quoted. A list of plain
 * scalars that need no quotes inside [ ] is written [a, b, c]. What this
 * writes reads back to the same tree, so `show` of `show` is the same. */
static void write_scalar(FILE *out, const rp_ynode *s)
{
    if (!s->quoted) {
        fputs(s->text, out);
        return;
    }
    fputc('"', out);
    for (const unsigned char *p = (const unsigned char *)s->text; *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(out, "\\%c", *p);
        else if (*p == '\n')
            fputs("\\n", out);
        else if (*p < 0x20 || *p == 0x7f)
            fprintf(out, "\\x%02x", *p);
        else
            fputc(*p, out);
    }
    fputc('"', out);
}

static bool flow_list(const rp_ynode *n)
{
    for (size_t i = 0; i < n->n; i++) {
        const rp_ynode *v = n->values[i];
        if (v->kind != RP_YNODE_SCALAR || (!v->quoted && (!v->text[0] || strpbrk(v->text, ",[]{}#:\"'\t"))))
            return false;
    }
    return true;
}

static void write_items(FILE *out, const rp_ynode *n, int indent, bool first_inline);

/* n as the value after "KEY:" or "-", its items indented by indent. */
static void write_node(FILE *out, const rp_ynode *n, int indent)
{
    if (n->kind == RP_YNODE_SCALAR) {
        if (n->quoted || n->text[0]) {
            fputc(' ', out);
            write_scalar(out, n);
        }
        fputc('\n', out);
    } else if (n->n == 0) {
        fputs(n->kind == RP_YNODE_MAPPING ? " {}\n" : " []\n", out);
    } else if (n->kind == RP_YNODE_SEQUENCE && flow_list(n)) {
        fputs(" [", out);
        for (size_t i = 0; i < n->n; i++) {
            fputs(i ? ", " : "", out);
            write_scalar(out, n->values[i]);
        }
        fputs("]\n", out);
    } else {
        fputc('\n', out);
        write_items(out, n, indent, false);
    }
}

/* The items of a collection; first_inline: the first goes on the current
 * line (a mapping that is an item of a sequence, after "- "). */
static void write_items(FILE *out, const rp_ynode *n, int indent, bool first_inline)
{
    for (size_t i = 0; i < n->n; i++) {
        const rp_ynode *v = n->values[i];
        if (i || !first_inline)
            fprintf(out, "%*s", indent, "");
        if (n->kind == RP_YNODE_MAPPING) {
            write_scalar(out, n->keys[i]);
            fputc(':', out);
            write_node(out, v, indent + 2);
        } else if (v->kind == RP_YNODE_MAPPING && v->n) {
            fputs("- ", out);
            write_items(out, v, indent + 2, true);
        } else {
            fputc('-', out);
            write_node(out, v, indent + 2);
        }
    }
}

/* The keys whose value is the path of a file, relative to the file that
 * gives it (a --set: to the working directory). */
static bool path_key(const char *name)
{
    return strcmp(name, "patients.from") == 0 || strcmp(name, "providers.from") == 0 ||
           strcmp(name, "uncertainty.posterior") == 0;
}

/* The path n gives, written so that it names the same file where the text
 * is meant to be read: `show` (named) absolute, from anywhere; a file of
 * runs relative to the scenario's directory, as a scenario file without
 * extends would give it (the same text wherever the tree is, as the plan
 * id needs). One that is absolute already, or does not resolve (a scenario
 * read back from a file of runs), is written as given. */
static void write_path(FILE *out, const rp_scenario *sc, const rp_ynode *n, bool named, int indent)
{
    char *opened = n->kind == RP_YNODE_SCALAR && n->text[0] && n->text[0] != '/' ? rp_file_join(n->file, n->text)
                                                                                  : NULL;
    char *text = !opened ? NULL : named ? rp_file_absolute(opened) : rp_file_relative(sc->path, opened);
    rp_ynode shown = *n;
    if (text) {
        shown.text = text;
        shown.quoted = n->quoted || strspn(text, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_"
                                                 "./+-") != strlen(text);
    }
    if (named && shown.kind == RP_YNODE_SCALAR && shown.text[0] == '/') {
        fputc(' ', out);
        write_scalar(out, &shown);
        fputs("  # absolute, so that this text reads the same file wherever it is saved\n", out);
    } else {
        write_node(out, &shown, indent);
    }
    free(opened);
    free(text);
}

/* The resolved scenario; its first line names the file when named is set
 * (the plan id hashes the form without it, after its first line). */
static int write_resolved(const rp_scenario *sc, bool named, FILE *out)
{
    size_t n;
    const rp_param *t = rp_paramtable_scenario(&n);
    const rp_params *p = &sc->params;
    char section[RP_NAME_MAX], current[RP_NAME_MAX] = "", buf[128];
    char path[512];
    if (!sc->resolved)
        return RP_EINVAL;
    fprintf(out, "# %s", named ? rp_text_excerpt(sc->path, path, sizeof path) : "");
    for (int k = 1; named && k < sc->n_files; k++) /* the files it extends, "B -> C" */
        fprintf(out, "%s%s", k == 1 ? ", extending " : " -> ", rp_text_excerpt(sc->files[k], path, sizeof path));
    fprintf(out, "%sresolved by rapport: every parameter, defaults filled in\n", named ? ", " : "");
    for (size_t i = 0; i < n; i++) {
        if (!rp_paramtable_in_model(&t[i], p->model))
            continue; /* not a parameter of this model (and refused if written) */
        if (t[i].type >= RP_PT_SWEEP_GRID && !node_at(sc->root, t[i].name) && !strstr(t[i].name, ".resample"))
            continue; /* written as given, and not given: nothing, not even its section's name (resample
                       * is written as resolved, below) */
        const char *key = split_row(&t[i], section);
        const char *indent = section[0] ? "  " : "";
        if (strcmp(section, current) != 0)
            fprintf(out, "%s:\n", section);
        snprintf(current, sizeof current, "%s", section);
        const char *sub = strchr(key, '.');
        if (sub) { /* a sub-section: its name once, then its keys one level deeper */
            const char *before = i ? strchr(t[i - 1].name, '.') : NULL;
            const size_t len = (size_t)(sub - key);
            if (!before || strncmp(before + 1, key, len + 1) != 0)
                fprintf(out, "  %.*s:\n", (int)len, key);
            key = sub + 1;
            indent = "    ";
        }
        if (t[i].type == RP_PT_DIMENSIONS) {
            fprintf(out, "%s%s:\n", indent, key);
            write_dimensions(out, p);
        } else if (t[i].type == RP_PT_PATIENT_GROUPS || t[i].type == RP_PT_PROVIDER_GROUPS) {
            fprintf(out, "%s%s:\n", indent, key);
            write_groups(out, p, t[i].type == RP_PT_PROVIDER_GROUPS);
        } else if (t[i].type == RP_PT_DATA && strcmp(key, "resample") == 0 &&
                   (strcmp(section, "patients") == 0 ? p->patients.resample : p->providers.resample) >= 0) {
            /* as resolved: the count is written, and without this a count that was the file's rows would
             * read back as one to draw */
            fprintf(out, "%s%s: %s\n", indent, key,
                    (strcmp(section, "patients") == 0 ? p->patients.resample : p->providers.resample) ? "true"
                                                                                                     : "false");
        } else if (t[i].type >= RP_PT_SWEEP_GRID) {
            const rp_ynode *node = node_at(sc->root, t[i].name);
            if (node) {
                fprintf(out, "%s%s:", indent, key);
                if (path_key(t[i].name))
                    write_path(out, sc, node, named, (int)strlen(indent) + 2);
                else
                    write_node(out, node, (int)strlen(indent) + 2);
            }
        } else if (t[i].type == RP_PT_NAME && !((const char *)p + t[i].offset)[0]) {
            fprintf(out, "%s# %s: none (policy is not same_group and no categorical dimension '%s')\n", indent, key,
                    t[i].def_name);
        } else {
            fprintf(out, "%s%s: %s", indent, key, rp_paramtable_format(&t[i], (const char *)p + t[i].offset, buf,
                                                                         sizeof buf));
            write_comment(out, &t[i], key, p->model);
        }
    }
    return ferror(out) ? RP_EIO : RP_OK;
}

int rp_scenario_write_yaml(const rp_scenario *sc, FILE *out)
{
    return write_resolved(sc, true, out);
}

int rp_scenario_write_stored_yaml(const rp_scenario *sc, FILE *out)
{
    return write_resolved(sc, false, out);
}

/* ---- the reference ---- */

/* One reference row; no table text contains '|', so cells need no escaping. */
static void write_row(FILE *out, const rp_param *row, const char *key)
{
    char def[64], expect[256];
    fprintf(out, "| `%s` | %s | %s | %s | %s | %s |\n", key, rp_paramtable_format_default(row, def, sizeof def),
            rp_paramtable_expected(row, expect, sizeof expect), row->unit, row->symbol, row->meaning);
}

/* The observables (observables.h): what a run reports, the columns of
 * /summary and /runs, and the names calibration targets take. */
static void write_observables(FILE *out)
{
    size_t n;
    const rp_observable_def *t = rp_observables_table(&n);
    fprintf(out, "\n### Observables\n\n"
                 "What every run reports (`rapport run`, its JSON, the `/summary` and `/runs` columns of its file), "
                 "in this order, and the names of calibration targets (`NAME`, or `NAME_by_group.GROUP` for those "
                 "measured by group). Undefined values (no pair to average over) are `-` in tables, `null` in JSON "
                 "and NaN in files.\n\n"
                 "| name | symbol | unit | by group | range | definition |\n|---|---|---|---|---|---|\n");
    for (size_t i = 0; i < n; i++) {
        fprintf(out, "| `%s` | ", t[i].name);
        for (const char *c = t[i].symbol; *c; c++) /* a '|' of a symbol would end the cell */
            fprintf(out, *c == '|' ? "\\|" : "%c", *c);
        fprintf(out, " | %s | %s | [%g, %g] | %s |\n", t[i].unit, t[i].per_group ? "yes" : "no (overall only)",
                t[i].lo, t[i].hi, t[i].definition);
    }
    fprintf(out, "\nBeside the table, from model 2, the concordance on each categorical dimension DIM of "
                 "`culture.dimensions` (its own block, as the dimensions are the scenario's): the share of pairs "
                 "whose patient and provider have the same level of DIM, overall and by group (`concordance` is "
                 "their mean over the dimensions). The text summary prints it as the rows `concordance on DIM`, "
                 "the JSON as `concordance_by_dimension: {DIM: {all, by_group}}` (a sweep's: mean, se and 95%% "
                 "interval over each point's replicates), the file as the `/summary` and `/runs` columns "
                 "`concordance_by_dimension.DIM`. It is not a calibration target.\n");
}

void rp_scenario_write_reference(FILE *out)
{
    size_t n;
    const rp_param *t = rp_paramtable_scenario(&n);
    static const char header[] = "| key | default | accepts | unit | symbol | meaning |\n|---|---|---|---|---|---|\n";
    fprintf(out, "### Scenario keys\n\n%s", header);
    for (size_t i = 0; i < n; i++)
        write_row(out, &t[i], t[i].name);
    t = rp_paramtable_dimension(&n);
    fprintf(out, "\n### Keys of one item of `culture.dimensions`\n\n%s", header);
    for (size_t i = 0; i < n; i++)
        write_row(out, &t[i], t[i].name);
    char trait[256];
    t = rp_paramtable_group(&n);
    fprintf(out, "\n### Keys of one group (`patients.groups.NAME`, `providers.groups.NAME`)\n\n"
                 "Besides these, a group gives every dimension: a categorical one as a level name or a mapping "
                 "`{level: probability}`, a continuous one as %s.\n\n"
                 "| key | groups | default | accepts | unit | symbol | meaning |\n"
                 "|---|---|---|---|---|---|---|\n",
            rp_paramtable_expected(rp_paramtable_trait(), trait, sizeof trait));
    for (size_t i = 0; i < n; i++) {
        char def[64], expect[256];
        unsigned f = t[i].flags & (RP_PF_PATIENT | RP_PF_PROVIDER);
        fprintf(out, "| `%s` | %s | %s | %s | %s | %s | %s |\n", t[i].name,
                f == (RP_PF_PATIENT | RP_PF_PROVIDER) ? "both" : f == RP_PF_PATIENT ? "patients" : "providers",
                rp_paramtable_format_default(&t[i], def, sizeof def),
                rp_paramtable_expected(&t[i], expect, sizeof expect), t[i].unit, t[i].symbol, t[i].meaning);
    }
    t = rp_paramtable_family(&n);
    fprintf(out, "\n### Parameters of the distributions\n\n"
                 "A normal's mean, and a gamma's mean shape x scale, are in the range of the key's fixed value.\n\n"
                 "| family | parameter | accepts | meaning |\n|---|---|---|---|\n");
    for (size_t i = 0; i < n; i++) {
        char expect[256];
        const char *family = t[i].families == RP_FAMILY(RP_DIST_BETA)    ? "beta"
                             : t[i].families == RP_FAMILY(RP_DIST_GAMMA) ? "gamma"
                                                                         : "normal";
        fprintf(out, "| %s | `%s` | %s | %s |\n", family, t[i].name,
                rp_paramtable_expected(&t[i], expect, sizeof expect), t[i].meaning);
    }
    fprintf(out, "\n### Default population (MODEL.md, reference scenario)\n\n```yaml\n%s```\n",
            rp_paramtable_population());
    write_observables(out);
}

int rp_scenario_defaults(uint64_t seed, int64_t patients, rp_params *out, rp_error *err)
{
    char text[96];
    snprintf(text, sizeof text, "seed: %" PRIu64 "\npatients: {count: %" PRId64 "}\n", seed, patients);
    rp_scenario *sc = NULL;
    int st = rp_scenario_load_string("(defaults)", text, &sc, err);
    if (st == RP_OK && (st = rp_scenario_resolve(sc, err)) == RP_OK)
        *out = *rp_scenario_params(sc);
    rp_scenario_free(sc);
    return st;
}
