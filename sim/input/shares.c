/* shares.c - a group's share given alone; see shares.h. */
#include "input/shares.h"

#include <stdio.h>
#include <string.h>

#include "rapport/paramtable.h"

bool rp_shares_scale(double *share, const bool *given, size_t n)
{
    double stated = 0, others = 0;
    bool any = false;
    for (size_t i = 0; i < n; i++) {
        any = any || given[i];
        *(given[i] ? &stated : &others) += share[i];
    }
    if (!any || !(others > 0) || !(stated < 1))
        return false;
    for (size_t i = 0; i < n; i++)
        if (!given[i])
            share[i] *= (1 - stated) / others;
    return true;
}

/* The share of group g as written, through the groups' own row (a number or
 * a fraction a/b in [0, 1]); false where resolution would refuse it. */
static bool share_of(const rp_ynode *g, double *x)
{
    size_t n;
    const rp_param *t = rp_paramtable_group(&n), *row = rp_paramtable_find(t, n, "share");
    const rp_ynode *v = g->kind == RP_YNODE_MAPPING ? rp_yamltree_get(g, "share") : NULL;
    char why[256];
    return row && v && v->kind == RP_YNODE_SCALAR && rp_paramtable_parse(row, v->text, v->quoted, x, why, sizeof why);
}

int rp_shares_rescale(rp_ytree *t, rp_ynode *groups, const char *const *stated, size_t n)
{
    if (!groups || groups->kind != RP_YNODE_MAPPING || groups->n > RP_MAX_GROUPS)
        return RP_OK;
    double share[RP_MAX_GROUPS];
    bool given[RP_MAX_GROUPS];
    for (size_t i = 0; i < groups->n; i++) {
        if (!share_of(groups->values[i], &share[i]))
            return RP_OK; /* resolution reports it */
        given[i] = false;
        for (size_t k = 0; k < n && !given[i]; k++)
            given[i] = strcmp(groups->keys[i]->text, stated[k]) == 0;
    }
    if (!rp_shares_scale(share, given, groups->n))
        return RP_OK;
    for (size_t i = 0; i < groups->n; i++) {
        if (given[i])
            continue;
        rp_ynode *g = groups->values[i];
        const long k = rp_yamltree_find(g, "share");
        const rp_ynode *old = g->values[k];
        char text[32];
        snprintf(text, sizeof text, "%.17g", share[i]);
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

