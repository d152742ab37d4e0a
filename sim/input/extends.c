/* extends.c - a scenario built on another (`extends: FILE`); see extends.h.
 *
 * The chain is followed depth first: a file's base is resolved (its own base
 * merged into it) before the file is put over it, so that a file always sits
 * on the whole of what it extends. Files are told apart by device and inode,
 * so another spelling of the same file (dir/../a.yaml, a link) is still a
 * cycle. The top document of rp_scenario_load_string may name no file: it
 * is then known by its name only.
 */
#define _POSIX_C_SOURCE 200809L
#include "input/extends.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/files.h"
#include "core/text.h"
#include "input/shares.h"

typedef struct {
    char *path;         /* as opened (the top's: its name), malloc'd but for the top */
    const rp_ynode *at; /* this file's `extends` value, once read */
    dev_t dev;
    ino_t ino;
    bool known; /* dev and ino are the file's */
} link;

typedef struct {
    rp_ytree *tree;
    rp_extends_check_fn check;
    link links[RP_EXTENDS_MAX + 1]; /* [0] the top document, [k] the k-th file extended */
    int n;
    rp_error *err;
} walk;

/* Whether links[j] is the file with identity st (or, for a document known by
 * name only, that name). */
static bool same_file(const link *l, const struct stat *st, const char *path)
{
    return l->known ? l->dev == st->st_dev && l->ino == st->st_ino : strcmp(l->path, path) == 0;
}

/* "A -> B -> ... -> A": links[from..to] then again, into buf. */
static const char *chain_text(const walk *w, int from, int to, const char *again, char *buf, size_t size)
{
    size_t used = 0;
    char ex[256];
    buf[0] = '\0';
    for (int k = from; k <= to + 1 && used < size; k++)
        used += (size_t)snprintf(buf + used, size - used, "%s%s", k > from ? " -> " : "",
                                 rp_text_excerpt(k <= to ? w->links[k].path : again, ex, sizeof ex));
    return buf;
}

/* Read, parse and check the file at path (identity st) for links[i]'s
 * `extends` value at: *root its top mapping. Its errors are its own,
 * except that a file that cannot be read is an error of at. */
static int read_base(walk *w, const rp_ynode *at, const char *path, rp_ynode **root)
{
    char *text = NULL;
    size_t len = 0;
    rp_error inner = {{0}};
    int st = rp_yamltree_read_file(path, &text, &len, &inner);
    if (st) {
        /* "PATH: error: WHAT" -> "WHERE: error: extends: PATH: WHAT" */
        const char *what = strstr(inner.msg, ": error: ");
        what = what ? what + strlen(": error: ") : inner.msg;
        char ex[256];
        RP_FAIL(w->err, st, "%s: error: extends: %s: %s", at->where, rp_text_excerpt(path, ex, sizeof ex), what);
    }
    st = rp_yamltree_parse(w->tree, path, text, len, 0, root, w->err);
    free(text);
    if (!st)
        st = w->check(*root, path, w->err);
    return st;
}

/* Follow the `extends` of root, the document of links[i]. */
static int follow(walk *w, rp_ynode *root, int i)
{
    char got[96], ex[256], full[256], chain[RP_ERROR_MAX];
    long k = rp_yamltree_find(root, "extends");
    if (k < 0)
        return RP_OK;
    const rp_ynode *at = root->values[k];
    rp_yamltree_remove(root, (size_t)k);
    w->links[i].at = at;
    if (at->kind != RP_YNODE_SCALAR || !at->text[0])
        RP_FAIL(w->err, RP_EINVAL, "%s: error: extends: expected the path of a scenario file (relative to this "
                "file), got %s", at->where, rp_yamltree_describe(at, got, sizeof got));
    if (i == RP_EXTENDS_MAX)
        RP_FAIL(w->err, RP_EINVAL, "%s: error: extends: '%s' would be the %dth file extended one after another from "
                "%s; expected at most %d", at->where, rp_text_excerpt(at->text, ex, sizeof ex), RP_EXTENDS_MAX + 1,
                rp_text_excerpt(w->links[0].path, full, sizeof full), RP_EXTENDS_MAX);
    char *path = rp_file_join(w->links[i].path, at->text);
    if (!path)
        RP_FAIL(w->err, RP_ENOMEM, "%s: error: out of memory", at->where);
    link *next = &w->links[i + 1];
    *next = (link){.path = path};
    w->n = i + 2; /* links[i + 1] is freed with the others from here on */
    const bool tried = strcmp(path, at->text) != 0;
    struct stat st;
    if (stat(path, &st) != 0)
        RP_FAIL(w->err, RP_EINVAL, "%s: error: extends: cannot open '%s': %s%s%s%s; expected the path of a scenario "
                "file, relative to the file that extends it", at->where, rp_text_excerpt(at->text, ex, sizeof ex),
                strerror(errno), tried ? " (tried '" : "", tried ? rp_text_excerpt(path, full, sizeof full) : "",
                tried ? "')" : "");
    /* a regular file only: an extended /dev/tty or FIFO would wait for a
     * writer, /dev/zero read 16 MiB, and nothing needs them */
    if (!S_ISREG(st.st_mode))
        RP_FAIL(w->err, RP_EINVAL, "%s: error: extends: '%s' is %s%s%s%s; expected a scenario file", at->where,
                rp_text_excerpt(at->text, ex, sizeof ex),
                S_ISDIR(st.st_mode) ? "a directory" : "not a regular file (a device, FIFO or socket)",
                tried ? " (tried '" : "", tried ? rp_text_excerpt(path, full, sizeof full) : "", tried ? "')" : "");
    for (int j = 0; j <= i; j++) {
        if (!same_file(&w->links[j], &st, path))
            continue;
        if (j == i)
            RP_FAIL(w->err, RP_EINVAL, "%s: error: extends: '%s' is this file itself; expected another scenario "
                    "file", at->where, rp_text_excerpt(at->text, ex, sizeof ex));
        RP_FAIL(w->err, RP_EINVAL, "%s: error: extends: a cycle, %s; expected a chain of files that ends with a "
                "file without extends", w->links[j].at->where, chain_text(w, j, i, path, chain, sizeof chain));
    }
    next->dev = st.st_dev;
    next->ino = st.st_ino;
    next->known = true;
    rp_ynode *base;
    int status = read_base(w, at, path, &base);
    if (!status)
        status = follow(w, base, i + 1);
    if (!status && rp_shares_over(w->tree, root, base))
        RP_FAIL(w->err, RP_ENOMEM, "%s: error: out of memory", at->where);
    if (!status && rp_yamltree_fill(root, base, 2))
        RP_FAIL(w->err, RP_ENOMEM, "%s: error: out of memory", at->where);
    return status;
}

int rp_extends_resolve(rp_ytree *t, rp_ynode *root, const char *name, rp_extends_check_fn check, char ***files,
                       int *n, rp_error *err)
{
    walk w = {.tree = t, .check = check, .n = 1, .err = err};
    struct stat st;
    w.links[0] = (link){.path = (char *)name};
    if (stat(name, &st) == 0 && !S_ISDIR(st.st_mode)) {
        w.links[0].dev = st.st_dev;
        w.links[0].ino = st.st_ino;
        w.links[0].known = true;
    }
    *files = NULL;
    *n = 0;
    int status = follow(&w, root, 0);
    if (!status && w.n > 1) {
        if (!(*files = malloc((size_t)(w.n - 1) * sizeof **files)))
            status = rp_status_raise(err, RP_ENOMEM, "%s: error: out of memory", name);
        for (int k = 1; *files && k < w.n; k++) /* the paths change hands */
            (*files)[k - 1] = w.links[k].path, w.links[k].path = NULL;
        if (*files)
            *n = w.n - 1;
    }
    for (int k = 1; k < w.n; k++)
        free(w.links[k].path);
    return status;
}

void rp_extends_free(char **files, int n)
{
    for (int k = 0; k < n; k++)
        free(files[k]);
    free(files);
}
