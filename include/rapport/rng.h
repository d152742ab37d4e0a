/* rng.h - the only source of randomness in rapport: counter-based streams.
 *
 * Every draw is a pure function of (master seed, stream, purpose, agent, sub,
 * index) through Philox4x64-10 (Salmon et al. 2011, "Parallel random numbers:
 * as easy as 1, 2, 3"; Random123): key = {seed, stream}, counter = {purpose,
 * agent, sub, index}. `stream` is the replicate (common random numbers across
 * sweep points) and `sub` is the week for weekly draws or the dimension for
 * culture draws. Nothing depends on threads, ranks or run order, and each
 * purpose has its own counters, so changing one mechanism never shifts the
 * draws of another. There is no hidden state: a stream is a value.
 * The weekly draws of the engine use Philox4x32-10 instead, with the same
 * inputs (rp_rng_block32 below; docs/ENGINE.md says why).
 */
#ifndef RP_RNG_H
#define RP_RNG_H

#include <stdint.h>

#include <Random123/philox.h>
#include <gsl/gsl_rng.h>

/* What a draw is for; part of the counter. Values are part of the output's
 * reproducibility contract: append, never renumber. */
typedef enum {
    RP_PURPOSE_PATIENT_CULTURE = 1,
    RP_PURPOSE_MISTRUST = 2,
    RP_PURPOSE_BARRIER = 3,
    RP_PURPOSE_STRESSOR_RATE = 4,
    RP_PURPOSE_SYMPTOMS0 = 5,
    RP_PURPOSE_ALLIANCE_TRAIT = 6,
    RP_PURPOSE_RESPONSE_TRAIT = 7,
    RP_PURPOSE_PROVIDER_CULTURE = 8,
    RP_PURPOSE_HUMILITY = 9,
    RP_PURPOSE_SKILL = 10,
    RP_PURPOSE_ASSIGN_ORDER = 11,
    RP_PURPOSE_ASSIGN_CHOICE = 12,
    RP_PURPOSE_WEEK_A = 13, /* discussion, stressors, rupture, repair */
    RP_PURPOSE_WEEK_B = 14, /* responsive discussion, dropout, two noise uniforms */
    RP_PURPOSE_OUTPUT_SAMPLE = 15, /* which pairs' trajectories an output file keeps */
    RP_PURPOSE_PLAN_LHS = 16, /* a sweep's Latin hypercube (stream 0; agent: dimension; sub 0: permutation, 1: offsets) */
    RP_PURPOSE_RETENTION = 17, /* model 2: a provider's retention effect epsilon_j */
    RP_PURPOSE_SYMPTOMS0_TRUNCATED = 18, /* model 2: the one uniform of a patient's truncated-normal S0 */
    RP_PURPOSE_RESAMPLE_PATIENT = 19,  /* patients.from with count: which row of the file patient i is */
    RP_PURPOSE_RESAMPLE_PROVIDER = 20, /* providers.from with count: which row provider j is */
    RP_PURPOSE_ABC_PROPOSAL = 21,      /* ABC-SMC: a particle's proposal (stream: calibrate.h's rp_abc_stream) */
    RP_PURPOSE_UNCERTAINTY_DRAW = 22   /* a sweep's uncertainty draws (stream 0; agent: draw; sub 0: the posterior
                                          particle, 1: the priors' values, one uniform per coefficient) */
} rp_purpose;

typedef struct {
    uint64_t seed;
    uint64_t stream;
} rp_rng_key;

/* Four raw 64-bit outputs of block `index` of the stream (key, purpose, agent,
 * sub). Inline: the weekly step calls it twice per pair-week. */
static inline void rp_rng_block(rp_rng_key key, uint64_t purpose, uint64_t agent, uint64_t sub,
                                uint64_t index, uint64_t out[4])
{
    philox4x64_ctr_t c = {{purpose, agent, sub, index}};
    philox4x64_key_t k = {{key.seed, key.stream}};
    philox4x64_ctr_t r = philox4x64(c, k);
    for (int i = 0; i < 4; i++)
        out[i] = r.v[i];
}

/* A 64-bit output as a double in [0, 1) with 53 random bits. */
static inline double rp_rng_u01(uint64_t x) { return (double)(x >> 11) * 0x1.0p-53; }

/* The weekly draws (purposes RP_PURPOSE_WEEK_A and _B) come from Philox4x32-10
 * instead, the generator the vectorised engine computes in vector lanes
 * (docs/ENGINE.md): key = the seed's two 32-bit halves, counter = {stream low,
 * stream high, agent low, agent bits 32-39 | sub << 8 | purpose << 24}, which
 * is one-to-one for agent < 2^40 (patients.count <= 1e12), sub < 2^16 (weeks
 * <= 1040) and purpose < 256. */
static inline void rp_rng_block32(rp_rng_key key, uint32_t purpose, uint64_t agent, uint32_t sub,
                                  uint32_t out[4])
{
    philox4x32_ctr_t c = {{(uint32_t)key.stream, (uint32_t)(key.stream >> 32), (uint32_t)agent,
                           (uint32_t)(agent >> 32) | sub << 8 | purpose << 24}};
    philox4x32_key_t k = {{(uint32_t)key.seed, (uint32_t)(key.seed >> 32)}};
    philox4x32_ctr_t r = philox4x32(c, k);
    for (int i = 0; i < 4; i++)
        out[i] = r.v[i];
}

/* A 32-bit output as a number in [0, 1) with 24 random bits: exact as a
 * float, so the fast engine's float lanes and the reference's doubles hold
 * the same value. */
static inline double rp_rng_u24(uint32_t x) { return (double)(x >> 8) * 0x1.0p-24; }

/* A gsl_rng_type backed by Philox4x64-10, so that every gsl_ran_* works on
 * rapport's streams. A gsl_rng of this type reads 64-bit outputs of blocks 0,
 * 1, 2, ... of the stream set by rp_rng_select; gsl_rng_set(r, s) selects
 * stream (seed s, stream 0, purpose 0, agent 0, sub 0). */
extern const gsl_rng_type *rp_rng_philox;

/* Point r (of type rp_rng_philox) at the start of one stream. */
void rp_rng_select(gsl_rng *r, rp_rng_key key, uint64_t purpose, uint64_t agent, uint64_t sub);

/* Poisson(lambda) by inversion of one uniform u in [0, 1): one draw, one
 * uniform, whatever lambda, so a change of rate shifts no other draw. Exact
 * for every lambda below 4e9; from there on (and for +inf) UINT_MAX. */
unsigned rp_rng_poisson_inv(double lambda, double u);

/* The same, with exp(-lambda) precomputed by the caller (a pair's rate is
 * fixed, so the weekly step need not recompute it). */
unsigned rp_rng_poisson_inv_p0(double lambda, double exp_minus_lambda, double u);

#endif
