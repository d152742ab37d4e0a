/* draw.h - the population's draws on one per-agent stream, without the
 * gsl_rng layer: exact methods that read few uniforms.
 *
 * A population stream (rp_draw_stream) is (key, purpose, agent, sub) and
 * reads the 32-bit words of Philox4x32-10 blocks 0, 1, 2, ... in order:
 * block b is rp_rng_block32(key, purpose, agent, b << 4 | sub) (rng.h; sub,
 * a culture dimension, below 16; b below 4096, 16,384 words a stream). Each
 * word w gives the uniform (w + 1/2) 2^-32 on (0, 1) (or w 2^-32 on [0, 1)
 * for a level), which moves a distribution's CDF by at most 2^-32 (below
 * 1e-6, as the tests check). The methods (docs/ENGINE.md, "Population"):
 * - Normal: inversion of one uniform on (0, 1) by Wichura's AS 241 (the
 *   method of gsl_cdf_ugaussian_Pinv, relative error about 1e-16): one
 *   word a draw;
 * - Gamma(shape, scale): Marsaglia & Tsang (2000), "A simple method for
 *   generating gamma variables", exact rejection with a normal and a uniform
 *   per try (1.02 tries on average at shape 2); shape < 1 as
 *   Gamma(shape + 1) U^(1/shape);
 * - Beta(a, b): X / (X + Y) with X ~ Gamma(a), Y ~ Gamma(b), exact; worked in
 *   logarithms when a shape is below 1, so that tiny shapes cannot give 0 / 0.
 * Every draw is a pure function of its stream: no thread, no order.
 * rp_draw_lanes gives the same values on several agents side by side.
 *
 * rp_stream is the older stream of Philox4x64-10's 64-bit outputs, which the
 * gsl_rng type rp_rng_philox (rng.h) and the assignment still read.
 */
#ifndef RP_DRAW_H
#define RP_DRAW_H

#include <stdint.h>

#include "model/draw_vec.h"
#include "rapport/params.h"
#include "rapport/rng.h"

typedef struct {
    rp_rng_key key;
    uint64_t purpose, agent, sub;
    uint64_t next_block;
    uint64_t buf[4];
    int pos; /* next unread element of buf; 4 = empty */
} rp_stream;

static inline void rp_stream_open(rp_stream *s, rp_rng_key key, uint64_t purpose, uint64_t agent, uint64_t sub)
{
    s->key = key;
    s->purpose = purpose;
    s->agent = agent;
    s->sub = sub;
    s->next_block = 0;
    s->pos = 4;
}

/* The next 64-bit output of the stream. */
static inline uint64_t rp_stream_bits(rp_stream *s)
{
    if (s->pos == 4) {
        rp_rng_block(s->key, s->purpose, s->agent, s->sub, s->next_block++, s->buf);
        s->pos = 0;
    }
    return s->buf[s->pos++];
}

/* A population stream: Philox4x32-10 words (above). */
#define RP_DRAW_SUBS 16     /* sub < 16: the culture dimension (RP_MAX_DIMS) */
#define RP_DRAW_BLOCKS 4096 /* blocks of a stream; a draw past them reads them again */
_Static_assert(RP_MAX_DIMS <= RP_DRAW_SUBS, "a culture dimension is a stream's sub");

typedef struct {
    rp_rng_key key;
    uint32_t purpose, sub, next_block;
    uint64_t agent;
    uint32_t buf[4];
    int pos; /* next unread word of buf; 4 = empty */
} rp_draw_stream;

/* The counter's word of block b of a stream of sub `sub` (rp_rng_block32's sub argument). */
static inline uint32_t rp_draw_block_sub(uint32_t sub, uint32_t b) { return (b % RP_DRAW_BLOCKS) << 4 | sub; }

static inline void rp_draw_stream_open(rp_draw_stream *s, rp_rng_key key, uint32_t purpose, uint64_t agent,
                                       uint32_t sub)
{
    s->key = key;
    s->purpose = purpose;
    s->agent = agent;
    s->sub = sub;
    s->next_block = 0;
    s->pos = 4;
}

/* The next 32-bit word of the stream. */
static inline uint32_t rp_draw_stream_word(rp_draw_stream *s)
{
    if (s->pos == 4) {
        rp_rng_block32(s->key, s->purpose, s->agent, rp_draw_block_sub(s->sub, s->next_block++), s->buf);
        s->pos = 0;
    }
    return s->buf[s->pos++];
}

/* A word as a uniform on (0, 1), (w + 1/2) 2^-32 (never 0 or 1), and on [0, 1), w 2^-32. */
static inline double rp_draw_open01(uint32_t w) { return ((double)w + 0.5) * 0x1.0p-32; }
static inline double rp_draw_u01(uint32_t w) { return (double)w * 0x1.0p-32; }

static inline double rp_draw_stream_open01(rp_draw_stream *s) { return rp_draw_open01(rp_draw_stream_word(s)); }

/* Phi^-1(p), p in (0, 1), by AS 241 (draw_vec.c); -inf at p <= 0, +inf at p >= 1. */
double rp_draw_normal_inv(double p);

/* log and exp as the lanes compute them (draw_vec.h): the same bits on every
 * machine, unlike libm's, whose variants differ between processors. */
double rp_draw_log(double x);
double rp_draw_exp(double x);

/* The lanes' arithmetic for the instruction set that rp_draw_vec_path names
 * (an rp_engine_path_id of a fast kernel; below RP_ENGINE_SCALAR until the
 * first call chooses by RAPPORT_ENGINE, as the engine does); rp_draw_block0
 * and rp_draw_block32 follow it too. A test may set it to compare the paths. */
extern int rp_draw_vec_path;
const rp_drawv *rp_draw_vec(void);

/* Standard normal by inversion of one uniform on (0, 1). */
double rp_draw_normal(rp_draw_stream *s);

/* Gamma(shape, scale), shape > 0. */
double rp_draw_gamma(rp_draw_stream *s, double shape, double scale);

/* Beta(a, b), a, b > 0. */
double rp_draw_beta(rp_draw_stream *s, double a, double b);

/* One draw of a scenario's distribution: Beta(a, b), Gamma(shape a, scale b),
 * Normal(mean a, sd b) or the fixed value a. */
double rp_draw_dist(rp_draw_stream *s, const rp_dist *d);

/* The same draws on several agents at once: lanes l < n (n <= RP_DRAW_LANES)
 * are the population streams (key, purpose, agent0 + l, sub). */
#define RP_DRAW_LANES 64

/* Chunks of RP_DRAW_LANES agents out of count: how many, and of chunk c
 * its first agent and how many lanes it has. */
static inline int64_t rp_draw_chunks(int64_t count) { return (count + RP_DRAW_LANES - 1) / RP_DRAW_LANES; }
static inline int rp_draw_chunk(int64_t count, int64_t c, int64_t *first)
{
    *first = c * RP_DRAW_LANES;
    return (int)(count - *first < RP_DRAW_LANES ? count - *first : RP_DRAW_LANES);
}

/* Block 0 of each lane's rp_stream: rp_rng_block's values, computed together
 * (in AVX-512 registers when rp_draw_vec_path is RP_ENGINE_AVX512, else
 * portably; the same bits). For the assignment's streams. */
void rp_draw_block0(rp_rng_key key, uint64_t purpose, int64_t agent0, int n, uint64_t sub,
                    uint64_t out[][4]);

/* Block 0 of each lane's population stream (key, purpose, agent0 + l, sub),
 * l < n: out[w][l] is its word w, computed in vector registers (the same
 * bits as rp_draw_stream_word on every path). */
void rp_draw_block32(rp_rng_key key, uint32_t purpose, int64_t agent0, int n, uint32_t sub,
                     uint32_t out[4][RP_DRAW_LANES]);

/* out[l * stride] = rp_draw_dist on lane l's stream with distribution d[l],
 * bit for bit: the first try of every lane is computed from block 0 side by
 * side in vector registers (normal inversion, Marsaglia & Tsang's test), and
 * a lane that the first try does not settle (a rejection, a shape below 1)
 * is drawn again by rp_draw_dist. */
void rp_draw_lanes(rp_rng_key key, uint32_t purpose, int64_t agent0, int n, uint32_t sub,
                   const rp_dist *const *d, double *out, int64_t stride);

#endif
