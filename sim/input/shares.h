/* shares.h - a group's share given alone (docs/SCENARIO.md, "Groups").
 *
 * A share written without the rest of its group, in a file over the one it
 * extends (`patients: {groups: {black: {share: 0.4}}}`) or with --set
 * (patients.groups.black.share=0.4), is kept, and the shares of the groups
 * not named are scaled in proportion so that all sum to 1. Both happen in
 * the YAML tree, before resolution, so `show` prints every share as used.
 */
#ifndef RP_SHARES_H
#define RP_SHARES_H

#include <stdbool.h>
#include <stddef.h>

#include "rapport/status.h"
#include "input/yamltree.h"

/* The rule itself: the shares not given[i] scaled in place by (1 - the
 * given ones' sum) / (the others' sum), the sums in index order. False,
 * nothing changed, when none is given, the others sum to 0 or the given
 * reach 1 (resolution then reports the sum). Used on the tree's shares
 * (rp_shares_rescale) and on a sweep point's (scenario.c). */
bool rp_shares_scale(double *share, const bool *given, size_t n);

/* Scale the share of every group of the mapping groups whose name is not
 * among stated[0..n) by (1 - the stated shares' sum) / (the others' sum),
 * each written as a new scalar of t (located where the old one was), by
 * rp_shares_scale. Does nothing (resolution then reports it, located) when a
 * share is not a valid share (the groups' row parses it) or
 * rp_shares_scale changes nothing.
 * RP_OK or RP_ENOMEM. */
int rp_shares_rescale(rp_ytree *t, rp_ynode *groups, const char *const *stated, size_t n);

/* Whether groups (a file's patients.groups or providers.groups) only gives
 * shares of groups that base (the groups of the file it extends) has: each
 * value a mapping of the one key share. */
int rp_shares_only(const rp_ynode *groups, const rp_ynode *base);

/* Where root (a file) only gives shares of base's groups (rp_shares_only),
 * in patients.groups or providers.groups: those shares put into base's
 * groups, the others scaled, and root's groups removed, so that base's, so
 * changed, fill their place when root sits on base (rp_yamltree_fill). Base
 * is a file root extends, or the defaults. RP_OK or RP_ENOMEM. */
int rp_shares_over(rp_ytree *t, rp_ynode *root, const rp_ynode *base);

#endif
