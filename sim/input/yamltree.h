/* yamltree.h - YAML text to a small tree of mappings, sequences and scalars.
 *
 * libyaml's event stream turned into nodes that remember where they were
 * written ("FILE:LINE:COLUMN", 1-based), so that every later error can point
 * at the offending text. Only the YAML a scenario needs is accepted: one
 * document, string keys, no anchors, aliases or tags (they would let one
 * value stand for another and hide where it came from), nesting at most
 * RP_YAMLTREE_MAX_DEPTH, at most RP_YAMLTREE_MAX_BYTES of UTF-8 text without
 * NUL or control bytes and RP_YAMLTREE_MAX_NODES nodes, each key once per
 * mapping. Scalars stay text: the
 * caller decides what a number is (and a quoted "5" stays a string).
 *
 * All nodes of all documents parsed into one rp_ytree belong to it and are
 * freed with it, so nodes may be moved between documents (defaults, a file,
 * --set overrides) without ownership bookkeeping. Load: scenario-sized input
 * (kilobytes); nothing is quadratic in the input size.
 */
#ifndef RP_YAMLTREE_H
#define RP_YAMLTREE_H

#include <stdbool.h>
#include <stddef.h>

#include "rapport/status.h"

#define RP_YAMLTREE_MAX_BYTES (16u << 20) /* 16 MiB */
#define RP_YAMLTREE_MAX_DEPTH 32          /* nested collections, the top one included */
/* Nodes of one tree (keys and values; a scenario has a few hundred). About
 * 200 bytes each, so a dense 16 MiB file cannot take gigabytes. */
#define RP_YAMLTREE_MAX_NODES 200000

typedef enum { RP_YNODE_SCALAR = 0, RP_YNODE_MAPPING, RP_YNODE_SEQUENCE } rp_ynode_kind;

typedef struct rp_ynode rp_ynode;

struct rp_ynode {
    rp_ynode_kind kind;
    const char *file; /* document name, owned by the tree */
    int doc;          /* which rp_yamltree_parse call made it (1, 2, ...); 0 for the constructors */
    int line, column; /* 1-based */
    const char *where; /* "FILE:LINE:COLUMN", owned by the tree */
    rp_ynode *parent;  /* enclosing collection; NULL for a document root */
    bool quoted;       /* scalar written quoted or as a block scalar: a string, never a number */
    bool in_flow;      /* written inside { } or [ ] */
    char *text;        /* scalar: its value, NUL-terminated (a NUL inside is refused) */
    size_t n, cap;     /* mapping: pairs; sequence: items */
    rp_ynode **keys;   /* mapping: key scalars, in written order */
    rp_ynode **values; /* mapping: values; sequence: items */
};

typedef struct rp_ytree rp_ytree;

/* A new empty tree, or NULL if out of memory. */
rp_ytree *rp_yamltree_alloc(void);

/* Free the tree and every node in it; NULL does nothing. */
void rp_yamltree_free(rp_ytree *t);

/* Read a whole file, refusing files over RP_YAMLTREE_MAX_BYTES. On success
 * *text is a malloc'd, NUL-terminated copy (the caller frees it) of *len
 * bytes. Errors (RP_EINVAL, "PATH: error: cannot open: REASON", "cannot
 * read", "file is N bytes") or RP_ENOMEM. */
int rp_yamltree_read_file(const char *path, char **text, size_t *len, rp_error *err);

/* Parse text[0..len) as one YAML document into t. name is used in locations;
 * column_offset is added to the columns of line 1 (for text cut out of a
 * longer line, such as the VALUE of KEY=VALUE). *root is the document's top
 * node, or NULL for a document without content (empty or only comments).
 * Errors (RP_EINVAL, located): binary text (a NUL or control byte, invalid
 * UTF-8, with its byte offset), too large, YAML syntax (libyaml's problem),
 * several documents, non-scalar keys, duplicate keys, anchors, aliases,
 * tags, too deep nesting, too many nodes; or RP_ENOMEM. */
int rp_yamltree_parse(rp_ytree *t, const char *name, const char *text, size_t len,
                      int column_offset, rp_ynode **root, rp_error *err);

/* New nodes owned by t, located at file:line:column (file need not outlive
 * the call: it is interned). NULL if out of memory. */
rp_ynode *rp_yamltree_scalar(rp_ytree *t, const char *file, int line, int column, const char *text);
rp_ynode *rp_yamltree_mapping(rp_ytree *t, const char *file, int line, int column);

/* Set map[key->text] = value (nodes of the same tree), replacing key and
 * value if the key exists, else appending; sets the parents. RP_OK or
 * RP_ENOMEM. */
int rp_yamltree_put(rp_ynode *map, rp_ynode *key, rp_ynode *value);

/* Index of key in a mapping, or -1 (also when map is NULL or not a mapping). */
long rp_yamltree_find(const rp_ynode *map, const char *key);

/* The value of key in a mapping, or NULL. */
rp_ynode *rp_yamltree_get(const rp_ynode *map, const char *key);

/* Remove the pair at index from a mapping (nothing if index >= map->n); the
 * nodes stay owned by the tree. */
void rp_yamltree_remove(rp_ynode *map, size_t index);

/* Put from's keys into map where map is silent: a key map lacks gets from's
 * key and value (moved, not copied: they now sit in map); a key both give
 * keeps map's value, except that for levels > 1 two mappings merge the same
 * way one level down (levels - 1). levels 2 is how a scenario sits on what it
 * builds on (the defaults, a file it extends): top-level keys and sections
 * key by key, anything deeper whole. RP_OK or RP_ENOMEM. */
int rp_yamltree_fill(rp_ynode *map, const rp_ynode *from, int levels);

/* What a node is, for messages: "a mapping", "a sequence", "nothing (an empty
 * value)", "'text'" or "the quoted string \"text\"" (long text shortened). */
const char *rp_yamltree_describe(const rp_ynode *node, char *buf, size_t size);


#endif
