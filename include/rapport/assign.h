/* assign.h - each patient to one provider with free capacity (MODEL.md "Assignment").
 *
 * Patients are taken in a random order (stream ASSIGN_ORDER); then
 *   random:       uniform among providers with room (stream ASSIGN_CHOICE, i);
 *   same_group:   uniform among providers sharing the patient's level on
 *                 assignment.match_on that have room, else as random;
 *   min_distance: the free provider nearest in cultural distance (lowest index
 *                 on ties), found in an index of the providers (sim/model/nearest.h):
 *                 about O(N log M), where a scan of every provider was O(N x M).
 * Uses provider capacities as given and leaves them reduced.
 */
#ifndef RP_ASSIGN_H
#define RP_ASSIGN_H

#include <signal.h>
#include <stdint.h>

#include "rapport/params.h"
#include "rapport/population.h"
#include "rapport/rng.h"
#include "rapport/status.h"

/* Fill provider_of[i] for every patient and dist[i] = d_ij. RP_EINVAL when
 * total capacity is below the number of patients, RP_ENOMEM on allocation,
 * RP_EINTR when *stop (optional) is set: a large min_distance assignment
 * takes seconds, and a stop request must not wait for it. */
int rp_assign(rp_population *pop, const rp_params *p, rp_rng_key key, int threads, const volatile sig_atomic_t *stop,
              int64_t *provider_of, double *dist, rp_error *err);

#endif
