/* nearest.h - the free provider nearest to a patient in cultural distance,
 * for min_distance assignment, without scanning every provider.
 *
 * Providers are split into cells by their levels on the categorical
 * dimensions (the categorical part of the distance is the same for a whole
 * cell), and each cell's providers into a k-d tree over the continuous
 * dimensions whose nodes count the providers still free and whose boxes
 * shrink to them as providers fill up. A query visits the
 * cells in order of their categorical part and prunes every node whose
 * bounding box is farther than the best distance found. The answer is exactly
 * that of a scan of all free providers comparing rp_population_distance with
 * ties to the lowest index (tests/nearest_unit.c checks it against that scan):
 * candidates are compared with that same function, and only nodes whose bound
 * exceeds the best by a relative 1e-9, far above rounding, are pruned.
 *
 * Cost: O(log M) node visits per query for continuous cultures; with no
 * continuous dimension, one step per cell. Degenerate data (many providers at
 * the same point, e.g. a fixed trait) can cost up to a scan of that point's
 * providers, never a wrong answer.
 */
#ifndef RP_NEAREST_H
#define RP_NEAREST_H

#include <stdint.h>

#include "rapport/params.h"
#include "rapport/population.h"

typedef struct rp_nearest rp_nearest;

/* The index over every provider of pop with capacity > 0; NULL when out of
 * memory. pop and p must outlive it. */
rp_nearest *rp_nearest_build(const rp_population *pop, const rp_params *p);

/* The free provider nearest to a patient of this culture (ties: lowest
 * index), or -1 when none is free. */
int64_t rp_nearest_query(rp_nearest *nn, const double *culture);

/* Provider j is full: it is never returned again. */
void rp_nearest_remove(rp_nearest *nn, int64_t j);

void rp_nearest_free(rp_nearest *nn);

#endif
