/* shares.c - a group's share given alone; see shares.h. */
#include "input/shares.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A share as written: a number or a fraction a/b; false otherwise. */
static int share_of(const rp_ynode *v, double *x)
{
    if (!v || v->kind != RP_YNODE_SCALAR)
        return 0;
    char *end;
    *x = strtod(v->text, &end);
    if (end == v->text)
        return 0;
    if (*end == '/') {
        const char *b = end + 1;
        const double d = strtod(b, &end);
        if (end == b || !(d > 0))
            return 0;
        *x /= d;
    }
    return *end == '\0' && isfinite(*x);
}

static int is_stated(const char *name, const char *const *stated, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(name, stated[i]) == 0)
            return 1;
    return 0;
}

int rp_shares_rescale(rp_ytree *t, rp_ynode *groups, const char *const *stated, size_t n)
{
    if (!groups || groups->kind != RP_YNODE_MAPPING)
        return RP_OK;
    double given = 0, others = 0, x;
    for (size_t i = 0; i < groups->n; i++) {
        const rp_ynode *g = groups->values[i];
        if (g->kind != RP_YNODE_MAPPING || !share_of(rp_yamltree_get(g, "share"), &x))
            return RP_OK;
        if (is_stated(groups->keys[i]->text, stated, n))
            given += x;
        else
            others += x;
    }
    if (!(others > 0) || !(given < 1))
        return RP_OK;
    const double scale = (1 - given) / others;
    for (size_t i = 0; i < groups->n; i++) {
        if (is_stated(groups->keys[i]->text, stated, n))
            continue;
        rp_ynode *g = groups->values[i];
        const long k = rp_yamltree_find(g, "share");
        const rp_ynode *old = g->values[k];
        char text[32];
        share_of(old, &x);
        snprintf(text, sizeof text, "%.17g", x * scale);
        rp_ynode *v = rp_yamltree_scalar(t, old->file, old->line, old->column, text);
        if (!v)
            return RP_ENOMEM;
        g->values[k] = v;
        v->parent = g;
    }
    return RP_OK;
}

int rp_shares_only(const rp_ynode *groups, const rp_ynode *base)
{
    if (!groups || !base || groups->kind != RP_YNODE_MAPPING || base->kind != RP_YNODE_MAPPING || !groups->n)
        return 0;
    for (size_t i = 0; i < groups->n; i++) {
        const rp_ynode *g = groups->values[i];
        if (g->kind != RP_YNODE_MAPPING || g->n != 1 || strcmp(g->keys[0]->text, "share") != 0 ||
            !rp_yamltree_get(base, groups->keys[i]->text))
            return 0;
    }
    return 1;
}

int rp_shares_over(rp_ytree *t, rp_ynode *root, const rp_ynode *base)
{
    static const char *const sections[] = {"patients", "providers"};
    for (int s = 0; s < 2; s++) {
        rp_ynode *mine = rp_yamltree_get(root, sections[s]), *theirs = rp_yamltree_get(base, sections[s]);
        rp_ynode *groups = mine ? rp_yamltree_get(mine, "groups") : NULL;
        rp_ynode *under = theirs ? rp_yamltree_get(theirs, "groups") : NULL;
        if (!rp_shares_only(groups, under))
            continue;
        const char *stated[64]; /* groups of a section: at most RP_MAX_GROUPS */
        size_t n = 0;
        for (size_t i = 0; i < groups->n && n < sizeof stated / sizeof stated[0]; i++) {
            rp_ynode *g = groups->values[i];
            if (rp_yamltree_put(rp_yamltree_get(under, groups->keys[i]->text), g->keys[0], g->values[0]))
                return RP_ENOMEM;
            stated[n++] = groups->keys[i]->text;
        }
        if (rp_shares_rescale(t, under, stated, n))
            return RP_ENOMEM;
        rp_yamltree_remove(mine, (size_t)rp_yamltree_find(mine, "groups"));
    }
    return RP_OK;
}

