/* yamltree.c - libyaml events to a located node tree; see yamltree.h.
 *
 * The builder reads one node's events recursively; recursion depth is bounded
 * by RP_YAMLTREE_MAX_DEPTH, checked before descending. The text is checked
 * for binary content before libyaml sees it, so that a NUL or a broken UTF-8
 * sequence is reported with its byte offset rather than as a YAML problem.
 */
#define _POSIX_C_SOURCE 200809L
#include "input/yamltree.h"

#include "core/text.h"

#include "core/files.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

struct rp_ytree {
    rp_ynode **nodes; /* every node, for freeing */
    size_t n_nodes, cap_nodes;
    char **names; /* interned document names */
    size_t n_names, cap_names;
    int n_docs; /* parse calls so far */
};

/* Grow *arr (of elements of size elem) to hold at least need elements. */
static bool grow(void *arr, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return true;
    size_t c = *cap ? *cap : 8;
    while (c < need)
        c *= 2;
    void *p = realloc(*(void **)arr, c * elem);
    if (!p)
        return false;
    *(void **)arr = p;
    *cap = c;
    return true;
}

rp_ytree *rp_yamltree_alloc(void)
{
    return calloc(1, sizeof(rp_ytree));
}

void rp_yamltree_free(rp_ytree *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->n_nodes; i++) {
        rp_ynode *n = t->nodes[i];
        free(n->text);
        free(n->keys);
        free(n->values);
        free((char *)n->where);
        free(n);
    }
    for (size_t i = 0; i < t->n_names; i++)
        free(t->names[i]);
    free(t->nodes);
    free(t->names);
    free(t);
}

static const char *intern(rp_ytree *t, const char *name)
{
    for (size_t i = 0; i < t->n_names; i++)
        if (strcmp(t->names[i], name) == 0)
            return t->names[i];
    if (!grow(&t->names, &t->cap_names, t->n_names + 1, sizeof(char *)))
        return NULL;
    size_t len = strlen(name) + 1;
    char *copy = malloc(len);
    if (!copy)
        return NULL;
    memcpy(copy, name, len);
    t->names[t->n_names++] = copy;
    return copy;
}

static rp_ynode *new_node(rp_ytree *t, rp_ynode_kind kind, const char *file, int line, int column)
{
    const char *name = intern(t, file);
    if (!name || !grow(&t->nodes, &t->cap_nodes, t->n_nodes + 1, sizeof(rp_ynode *)))
        return NULL;
    rp_ynode *n = calloc(1, sizeof *n);
    if (!n)
        return NULL;
    int len = snprintf(NULL, 0, "%s:%d:%d", name, line, column);
    char *where = malloc((size_t)len + 1);
    if (!where) {
        free(n);
        return NULL;
    }
    snprintf(where, (size_t)len + 1, "%s:%d:%d", name, line, column);
    n->kind = kind;
    n->file = name;
    n->line = line;
    n->column = column;
    n->where = where;
    t->nodes[t->n_nodes++] = n;
    return n;
}

rp_ynode *rp_yamltree_scalar(rp_ytree *t, const char *file, int line, int column, const char *text)
{
    rp_ynode *n = new_node(t, RP_YNODE_SCALAR, file, line, column);
    if (!n)
        return NULL;
    size_t len = strlen(text) + 1;
    n->text = malloc(len);
    if (!n->text)
        return NULL; /* n stays owned by the tree */
    memcpy(n->text, text, len);
    return n;
}

rp_ynode *rp_yamltree_mapping(rp_ytree *t, const char *file, int line, int column)
{
    return new_node(t, RP_YNODE_MAPPING, file, line, column);
}

/* Append key (mappings only) and value to a collection. */
static int push(rp_ynode *coll, rp_ynode *key, rp_ynode *value)
{
    size_t cap = coll->cap;
    if (!grow(&coll->values, &cap, coll->n + 1, sizeof(rp_ynode *)))
        return RP_ENOMEM;
    if (coll->kind == RP_YNODE_MAPPING) {
        size_t kcap = coll->cap;
        if (!grow(&coll->keys, &kcap, coll->n + 1, sizeof(rp_ynode *)))
            return RP_ENOMEM;
        coll->keys[coll->n] = key;
        key->parent = coll;
    }
    coll->cap = cap;
    coll->values[coll->n++] = value;
    value->parent = coll;
    return RP_OK;
}

long rp_yamltree_find(const rp_ynode *map, const char *key)
{
    if (!map || map->kind != RP_YNODE_MAPPING)
        return -1;
    for (size_t i = 0; i < map->n; i++)
        if (strcmp(map->keys[i]->text, key) == 0)
            return (long)i;
    return -1;
}

rp_ynode *rp_yamltree_get(const rp_ynode *map, const char *key)
{
    long i = rp_yamltree_find(map, key);
    return i < 0 ? NULL : map->values[i];
}

int rp_yamltree_put(rp_ynode *map, rp_ynode *key, rp_ynode *value)
{
    long i = rp_yamltree_find(map, key->text);
    if (i < 0)
        return push(map, key, value);
    map->keys[i] = key;
    map->values[i] = value;
    key->parent = map;
    value->parent = map;
    return RP_OK;
}

void rp_yamltree_remove(rp_ynode *map, size_t index)
{
    if (index >= map->n)
        return;
    map->n--;
    memmove(map->keys + index, map->keys + index + 1, (map->n - index) * sizeof *map->keys);
    memmove(map->values + index, map->values + index + 1, (map->n - index) * sizeof *map->values);
}

int rp_yamltree_fill(rp_ynode *map, const rp_ynode *from, int levels)
{
    for (size_t i = 0; i < from->n; i++) {
        rp_ynode *mine = rp_yamltree_get(map, from->keys[i]->text), *theirs = from->values[i];
        int st = RP_OK;
        if (!mine)
            st = rp_yamltree_put(map, from->keys[i], theirs);
        else if (levels > 1 && mine->kind == RP_YNODE_MAPPING && theirs->kind == RP_YNODE_MAPPING)
            st = rp_yamltree_fill(mine, theirs, levels - 1);
        if (st)
            return st;
    }
    return RP_OK;
}

const char *rp_yamltree_describe(const rp_ynode *node, char *buf, size_t size)
{
    char ex[64];
    if (!node)
        snprintf(buf, size, "nothing");
    else if (node->kind == RP_YNODE_MAPPING)
        snprintf(buf, size, node->n ? "a mapping" : "an empty mapping {}");
    else if (node->kind == RP_YNODE_SEQUENCE)
        snprintf(buf, size, node->n ? "a sequence" : "an empty sequence []");
    else if (node->quoted)
        snprintf(buf, size, "the quoted string \"%s\"", rp_text_excerpt(node->text, ex, sizeof ex));
    else if (!node->text[0])
        snprintf(buf, size, "nothing (an empty value)");
    else
        snprintf(buf, size, "'%s'", rp_text_excerpt(node->text, ex, sizeof ex));
    return buf;
}

/* ---- reading files ---- */

int rp_yamltree_read_file(const char *path, char **text, size_t *len, rp_error *err)
{
    FILE *f = rp_file_open_input(path); /* never waits for a FIFO's writer */
    if (!f)
        RP_FAIL(err, RP_EINVAL, "%s: error: cannot open: %s", path, strerror(errno));
    /* Read at most one byte more than allowed: that is enough to refuse a
     * file that is too large, whatever kind of file it is (pipe, device). */
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap + 1);
    int st = RP_OK;
    while (buf) {
        if (n == cap) {
            size_t ncap = cap * 2 > (size_t)RP_YAMLTREE_MAX_BYTES + 1 ? (size_t)RP_YAMLTREE_MAX_BYTES + 1 : cap * 2;
            char *p = ncap > cap ? realloc(buf, ncap + 1) : NULL;
            if (!p)
                break;
            buf = p;
            cap = ncap;
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (n > RP_YAMLTREE_MAX_BYTES) {
            st = rp_status_raise(err, RP_EINVAL,
                                "%s: error: file is larger than %u bytes (16 MiB); expected a scenario of "
                                "at most 16 MiB", path, (unsigned)RP_YAMLTREE_MAX_BYTES);
            goto out;
        }
        if (got == 0)
            break;
    }
    if (!buf) {
        st = rp_status_raise(err, RP_ENOMEM, "%s: error: out of memory reading the file", path);
        goto out;
    }
    if (ferror(f)) {
        st = rp_status_raise(err, RP_EINVAL, "%s: error: cannot read: %s", path, strerror(errno));
        goto out;
    }
    buf[n] = '\0';
    *text = buf;
    *len = n;
    buf = NULL;
out:
    free(buf);
    fclose(f);
    return st;
}

/* ---- checking the text ---- */

/* Line and column (1-based, in characters) of byte offset off. */
static void locate_offset(const char *text, size_t off, int col0, int *line, int *column)
{
    int l = 1, c = 1 + col0;
    for (size_t i = 0; i < off; i++) {
        unsigned char ch = (unsigned char)text[i];
        if (ch == '\n')
            l++, c = 1;
        else if ((ch & 0xc0) != 0x80)
            c++;
    }
    *line = l;
    *column = c;
}

/* Refuse text that is not UTF-8 YAML: a NUL byte, a control byte other than
 * tab, newline and carriage return, or a broken UTF-8 sequence. */
static int check_text(const char *name, const char *text, size_t len, int col0, rp_error *err)
{
    const unsigned char *s = (const unsigned char *)text;
    for (size_t i = 0; i < len;) {
        char what[64] = "";
        size_t n = 1;
        if (s[i] == 0)
            snprintf(what, sizeof what, "a NUL byte");
        else if ((s[i] < 0x20 && s[i] != '\t' && s[i] != '\n' && s[i] != '\r') || s[i] == 0x7f)
            snprintf(what, sizeof what, "control byte 0x%02x", s[i]);
        else if ((n = rp_text_utf8_length(s + i, len - i)) == 0)
            snprintf(what, sizeof what, "invalid UTF-8 (byte 0x%02x)", s[i]);
        if (what[0]) {
            int line, column;
            locate_offset(text, i, col0, &line, &column);
            RP_FAIL(err, RP_EINVAL,
                    "%s:%d:%d: error: binary data, %s at byte offset %zu; expected a UTF-8 YAML text",
                    name, line, column, what, i);
        }
        i += n;
    }
    return RP_OK;
}

/* ---- building the tree from libyaml events ---- */

typedef struct {
    yaml_parser_t parser;
    rp_ytree *tree;
    const char *name; /* interned */
    int doc;
    const char *text;
    size_t len, n_chars; /* in bytes, in characters (libyaml's marks count characters) */
    int col0;
    int flow; /* depth of flow collections around the current event */
    rp_error *err;
} builder;

static void mark_position(const builder *b, yaml_mark_t m, int *line, int *column)
{
    *line = (int)m.line + 1;
    *column = (int)m.column + 1 + (m.line == 0 ? b->col0 : 0);
}

static int fail_at(const builder *b, yaml_mark_t m, const char *what)
{
    int line, column;
    mark_position(b, m, &line, &column);
    if (m.index >= b->n_chars) /* at the end of the input: where the text ends, not on a line after it */
        locate_offset(b->text, b->len, b->col0, &line, &column);
    RP_FAIL(b->err, RP_EINVAL, "%s:%d:%d: error: %s", b->name, line, column, what);
}

/* libyaml's own error, located at its problem mark. */
static int yaml_failure(const builder *b)
{
    const yaml_parser_t *p = &b->parser;
    char msg[RP_ERROR_MAX];
    int line, column;
    if (p->error == YAML_MEMORY_ERROR)
        RP_FAIL(b->err, RP_ENOMEM, "%s: error: out of memory while parsing YAML", b->name);
    if (p->error == YAML_READER_ERROR) {
        locate_offset(b->text, p->problem_offset, b->col0, &line, &column);
        RP_FAIL(b->err, RP_EINVAL, "%s:%d:%d: error: not a text file, %s at byte offset %zu; expected a UTF-8 "
                "YAML text", b->name, line, column, p->problem ? p->problem : "unreadable", p->problem_offset);
    }
    if (p->context) {
        mark_position(b, p->context_mark, &line, &column);
        snprintf(msg, sizeof msg, "invalid YAML: %s (%s at line %d, column %d); expected valid YAML: check "
                 "indentation, colons and brackets", p->problem ? p->problem : "syntax error", p->context,
                 line, column);
    } else {
        snprintf(msg, sizeof msg, "invalid YAML: %s; expected valid YAML: check indentation, colons and brackets",
                 p->problem ? p->problem : "syntax error");
    }
    return fail_at(b, p->problem_mark, msg);
}

static int next_event(builder *b, yaml_event_t *ev)
{
    return yaml_parser_parse(&b->parser, ev) ? RP_OK : yaml_failure(b);
}

/* Anchors, aliases and tags are refused: a scenario value must be written
 * where it applies, so that its location is the place to fix it. */
static int refuse_extras(const builder *b, const yaml_event_t *ev)
{
    const yaml_char_t *anchor = NULL, *tag = NULL;
    switch (ev->type) {
    case YAML_ALIAS_EVENT:
        return fail_at(b, ev->start_mark, "anchors and aliases are not supported; expected the value written out");
    case YAML_SCALAR_EVENT:
        anchor = ev->data.scalar.anchor, tag = ev->data.scalar.tag;
        break;
    case YAML_SEQUENCE_START_EVENT:
        anchor = ev->data.sequence_start.anchor, tag = ev->data.sequence_start.tag;
        break;
    case YAML_MAPPING_START_EVENT:
        anchor = ev->data.mapping_start.anchor, tag = ev->data.mapping_start.tag;
        break;
    default:
        break;
    }
    if (anchor)
        return fail_at(b, ev->start_mark, "anchors and aliases are not supported; expected the value written out");
    if (tag) {
        char msg[256], ex[64];
        snprintf(msg, sizeof msg, "tags ('%s') are not supported; expected a plain value",
                 rp_text_excerpt((const char *)tag, ex, sizeof ex));
        return fail_at(b, ev->start_mark, msg);
    }
    return RP_OK;
}

static int build_node(builder *b, yaml_event_t *ev, int depth, rp_ynode **out);

static int build_scalar(builder *b, const yaml_event_t *ev, rp_ynode **out)
{
    const char *value = (const char *)ev->data.scalar.value;
    size_t len = ev->data.scalar.length;
    if (memchr(value, '\0', len))
        return fail_at(b, ev->start_mark, "a NUL character (\\0) in a value is not supported; expected text");
    int line, column;
    mark_position(b, ev->start_mark, &line, &column);
    rp_ynode *n = rp_yamltree_scalar(b->tree, b->name, line, column, value);
    if (!n)
        RP_FAIL(b->err, RP_ENOMEM, "%s: error: out of memory while parsing YAML", b->name);
    n->doc = b->doc;
    n->quoted = ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE;
    n->in_flow = b->flow > 0;
    *out = n;
    return RP_OK;
}

static int key_order(const void *pa, const void *pb)
{
    const rp_ynode *a = *(const rp_ynode *const *)pa, *b = *(const rp_ynode *const *)pb;
    int c = strcmp(a->text, b->text);
    if (c)
        return c;
    if (a->line != b->line)
        return a->line < b->line ? -1 : 1;
    return (a->column > b->column) - (a->column < b->column);
}

/* Report the repeated key that comes first in the text. Sorting a copy of the
 * keys keeps this O(n log n) for a mapping of any size. */
static int check_duplicates(const builder *b, const rp_ynode *map)
{
    if (map->n < 2)
        return RP_OK;
    rp_ynode **k = malloc(map->n * sizeof *k);
    if (!k)
        RP_FAIL(b->err, RP_ENOMEM, "%s: error: out of memory while parsing YAML", b->name);
    memcpy(k, map->keys, map->n * sizeof *k);
    qsort(k, map->n, sizeof *k, key_order);
    const rp_ynode *dup = NULL, *first = NULL;
    for (size_t i = 1; i < map->n; i++) {
        if (strcmp(k[i]->text, k[i - 1]->text) != 0 || (i >= 2 && strcmp(k[i]->text, k[i - 2]->text) == 0))
            continue; /* only the second occurrence of each key is a candidate */
        if (!dup || k[i]->line < dup->line || (k[i]->line == dup->line && k[i]->column < dup->column))
            dup = k[i], first = k[i - 1];
    }
    int st = RP_OK;
    if (dup) {
        char ex[64];
        st = rp_status_raise(b->err, RP_EINVAL,
                            "%s: error: duplicate key '%s' (first at line %d, column %d); expected each key once",
                            dup->where, rp_text_excerpt(dup->text, ex, sizeof ex), first->line, first->column);
    }
    free(k);
    return st;
}

/* The entries of a mapping or sequence, up to its end event. */
static int build_entries(builder *b, rp_ynode *coll, int depth)
{
    yaml_event_t ev;
    for (;;) {
        int st = next_event(b, &ev);
        if (st)
            return st;
        if (ev.type == YAML_MAPPING_END_EVENT || ev.type == YAML_SEQUENCE_END_EVENT) {
            yaml_event_delete(&ev);
            return coll->kind == RP_YNODE_MAPPING ? check_duplicates(b, coll) : RP_OK;
        }
        rp_ynode *key = NULL, *value = NULL;
        if (coll->kind == RP_YNODE_MAPPING) {
            if (ev.type == YAML_MAPPING_START_EVENT || ev.type == YAML_SEQUENCE_START_EVENT) {
                st = fail_at(b, ev.start_mark, "a key must be a name, not a mapping or sequence; expected a "
                             "name such as 'seed'");
                yaml_event_delete(&ev);
                return st;
            }
            if ((st = build_node(b, &ev, depth + 1, &key)) || (st = next_event(b, &ev)))
                return st;
        }
        if ((st = build_node(b, &ev, depth + 1, &value)) || (st = push(coll, key, value)))
            return st == RP_ENOMEM ? rp_status_raise(b->err, st, "%s: error: out of memory while parsing YAML",
                                                    b->name)
                                   : st;
    }
}

/* Build the node that starts with event ev (consumed); depth counts the
 * collections around it, this one included. */
static int build_node(builder *b, yaml_event_t *ev, int depth, rp_ynode **out)
{
    int st = refuse_extras(b, ev);
    if (!st && b->tree->n_nodes >= RP_YAMLTREE_MAX_NODES) {
        char msg[128];
        snprintf(msg, sizeof msg, "more than %d keys and values; expected a smaller scenario",
                 RP_YAMLTREE_MAX_NODES);
        st = fail_at(b, ev->start_mark, msg);
    }
    if (!st && ev->type == YAML_SCALAR_EVENT)
        st = build_scalar(b, ev, out);
    else if (!st && (ev->type == YAML_MAPPING_START_EVENT || ev->type == YAML_SEQUENCE_START_EVENT)) {
        bool map = ev->type == YAML_MAPPING_START_EVENT;
        bool flow = map ? ev->data.mapping_start.style == YAML_FLOW_MAPPING_STYLE
                        : ev->data.sequence_start.style == YAML_FLOW_SEQUENCE_STYLE;
        int line, column;
        mark_position(b, ev->start_mark, &line, &column);
        if (depth > RP_YAMLTREE_MAX_DEPTH) {
            char msg[128];
            snprintf(msg, sizeof msg, "nesting deeper than %d levels; expected a shallower scenario",
                     RP_YAMLTREE_MAX_DEPTH);
            st = fail_at(b, ev->start_mark, msg);
        } else {
            rp_ynode *n = new_node(b->tree, map ? RP_YNODE_MAPPING : RP_YNODE_SEQUENCE, b->name, line, column);
            if (!n)
                st = rp_status_raise(b->err, RP_ENOMEM, "%s: error: out of memory while parsing YAML", b->name);
            else {
                n->doc = b->doc;
                n->in_flow = b->flow > 0 || flow;
                yaml_event_delete(ev);
                b->flow += flow;
                st = build_entries(b, n, depth);
                b->flow -= flow;
                *out = n;
                return st;
            }
        }
    } else if (!st)
        st = fail_at(b, ev->start_mark, "unexpected YAML structure; expected a value");
    yaml_event_delete(ev);
    return st;
}

/* stream-start (document-start node document-end)? stream-end, one document at most. */
static int build_stream(builder *b, rp_ynode **root)
{
    yaml_event_t ev;
    int st = next_event(b, &ev); /* stream start */
    if (st)
        return st;
    yaml_event_delete(&ev);
    if ((st = next_event(b, &ev)))
        return st;
    if (ev.type == YAML_STREAM_END_EVENT) {
        yaml_event_delete(&ev);
        return RP_OK; /* no document: empty or only comments */
    }
    yaml_event_delete(&ev); /* document start */
    if ((st = next_event(b, &ev)) || (st = build_node(b, &ev, 1, root)))
        return st;
    if ((st = next_event(b, &ev)))
        return st;
    yaml_event_delete(&ev); /* document end */
    if ((st = next_event(b, &ev)))
        return st;
    if (ev.type == YAML_DOCUMENT_START_EVENT)
        st = fail_at(b, ev.start_mark, "a second YAML document (after '---'); expected one document");
    yaml_event_delete(&ev);
    return st;
}

int rp_yamltree_parse(rp_ytree *t, const char *name, const char *text, size_t len,
                      int column_offset, rp_ynode **root, rp_error *err)
{
    *root = NULL;
    if (len > RP_YAMLTREE_MAX_BYTES)
        RP_FAIL(err, RP_EINVAL, "%s: error: text of %zu bytes; expected at most %u bytes (16 MiB)", name, len,
                (unsigned)RP_YAMLTREE_MAX_BYTES);
    /* YAML allows a byte-order mark at the start; libyaml, told the encoding,
     * would take it for content. */
    if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0) {
        text += 3;
        len -= 3;
    }
    int st = check_text(name, text, len, column_offset, err);
    if (st)
        return st;
    size_t n_chars = 0;
    for (size_t i = 0; i < len; i++)
        n_chars += ((unsigned char)text[i] & 0xc0) != 0x80;
    builder b = {.tree = t, .name = intern(t, name), .doc = ++t->n_docs, .text = text, .len = len, .n_chars = n_chars,
                 .col0 = column_offset, .err = err};
    if (!b.name || !yaml_parser_initialize(&b.parser))
        RP_FAIL(err, RP_ENOMEM, "%s: error: out of memory while parsing YAML", name);
    yaml_parser_set_input_string(&b.parser, (const unsigned char *)text, len);
    yaml_parser_set_encoding(&b.parser, YAML_UTF8_ENCODING);
    st = build_stream(&b, root);
    yaml_parser_delete(&b.parser);
    if (st)
        *root = NULL;
    return st;
}
