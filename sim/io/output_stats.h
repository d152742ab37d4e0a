/* output_stats.h - a sweep file's /statistics: the numbers of stats.h for
 * every point (docs/FORMAT.md, "/statistics"), written when the runs of a
 * sweep are joined into one file (the join of `rapport run`, and `rapport
 * merge`), from the runs' stored summaries. */
#ifndef RP_OUTPUT_STATS_H
#define RP_OUTPUT_STATS_H

#include <stdbool.h>
#include <stdint.h>

#include "io/output_layout.h"
#include "rapport/stats.h"

/* The summary of run `run` of the sweep into *s, *held = false (and RP_OK)
 * when the file being written does not hold that run. */
typedef int (*rp_stats_source)(void *ctx, int64_t run, rp_summary *s, bool *held, rp_error *err);

/* Write /statistics into l's file for the sweep of design d, reading the
 * runs' summaries, each of shape (rp_observe_shape), from read (each run
 * once, point by point; the reference point's runs kept throughout).
 * Memory: a store of 2 x replicates summaries (of every run, with draws)
 * and a block of points' numbers. RP_OK, RP_EIO (HDF5), RP_ENOMEM, or what
 * read returns. */
int rp_output_stats_write(const rp_layout *l, const rp_stats_design *d, const rp_summary *shape,
                          rp_stats_source read, void *ctx, rp_error *err);

#endif
