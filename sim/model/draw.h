/* draw.h - the population's draws on one per-agent stream, without the
 * gsl_rng layer: exact methods that read few uniforms.
 *
 * A stream is (key, purpose, agent, sub) and reads the 64-bit outputs of
 * Philox4x64-10 blocks 0, 1, 2, ... in order, exactly as a gsl_rng of type
 * rp_rng_philox selected on it (rng.h), but inline and with no call through a
 * table per output. The methods (docs/ENGINE.md, "Population"):
 * - uniform on [0, 1): one output, rp_rng_u01;
 * - Normal: inversion of one uniform on (0, 1) by Wichura's AS 241 (the
 *   method of gsl_cdf_ugaussian_Pinv, relative error about 1e-16): one
 *   output a draw;
 * - Gamma(shape, scale): Marsaglia & Tsang (2000), "A simple method for
 *   generating gamma variables", exact rejection with a normal and a uniform
 *   per try (1.02 tries on average at shape 2); shape < 1 as
 *   Gamma(shape + 1) U^(1/shape);
 * - Beta(a, b): X / (X + Y) with X ~ Gamma(a), Y ~ Gamma(b), exact; worked in
 *   logarithms when a shape is below 1, so that tiny shapes cannot give 0 / 0.
 * Every draw is a pure function of its stream: no thread, no order.
 * rp_draw_lanes gives the same values on several agents side by side.
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

/* Uniform on [0, 1), 53 bits: the value gsl_rng_uniform gave on this stream. */
static inline double rp_stream_u01(rp_stream *s) { return rp_rng_u01(rp_stream_bits(s)); }

/* Uniform on (0, 1): the midpoints (k + 1/2) 2^-53, never 0 or 1. */
static inline double rp_stream_open01(rp_stream *s)
{
    return ((double)(rp_stream_bits(s) >> 11) + 0.5) * 0x1.0p-53;
}

/* Phi^-1(p), p in (0, 1), by AS 241 (draw_vec.c); -inf at p <= 0, +inf at p >= 1. */
double rp_draw_normal_inv(double p);

/* log and exp as the lanes compute them (draw_vec.h): the same bits on every
 * machine, unlike libm's, whose variants differ between processors. */
double rp_draw_log(double x);
double rp_draw_exp(double x);

/* The lanes' arithmetic for the instruction set that rp_draw_vec_path names
 * (an rp_engine_path_id of a fast kernel; below RP_ENGINE_SCALAR until the
 * first call chooses by RAPPORT_ENGINE, as the engine does); rp_draw_block0
 * follows it too. A test may set it to compare the paths. */
extern int rp_draw_vec_path;
const rp_drawv *rp_draw_vec(void);

/* Standard normal by inversion of one uniform on (0, 1). */
double rp_draw_normal(rp_stream *s);

/* Gamma(shape, scale), shape > 0. */
double rp_draw_gamma(rp_stream *s, double shape, double scale);

/* Beta(a, b), a, b > 0. */
double rp_draw_beta(rp_stream *s, double a, double b);

/* One draw of a scenario's distribution: Beta(a, b), Gamma(shape a, scale b),
 * Normal(mean a, sd b) or the fixed value a. */
double rp_draw_dist(rp_stream *s, const rp_dist *d);

/* The same draws on several agents at once: lanes l < n (n <= RP_DRAW_LANES)
 * are the streams (key, purpose, agent0 + l, sub). */
#define RP_DRAW_LANES 64

/* Chunks of RP_DRAW_LANES agents out of count: how many, and of chunk c
 * its first agent and how many lanes it has. */
static inline int64_t rp_draw_chunks(int64_t count) { return (count + RP_DRAW_LANES - 1) / RP_DRAW_LANES; }
static inline int rp_draw_chunk(int64_t count, int64_t c, int64_t *first)
{
    *first = c * RP_DRAW_LANES;
    return (int)(count - *first < RP_DRAW_LANES ? count - *first : RP_DRAW_LANES);
}

/* Block 0 of each lane's stream: rp_rng_block's values, computed together
 * (in AVX-512 registers when rp_draw_vec_path is RP_ENGINE_AVX512, else
 * portably; the same bits). */
void rp_draw_block0(rp_rng_key key, uint64_t purpose, int64_t agent0, int n, uint64_t sub,
                    uint64_t out[][4]);

/* out[l * stride] = rp_draw_dist on lane l's stream with distribution d[l],
 * bit for bit: the first try of every lane is computed from block 0 side by
 * side in vector registers (normal inversion, Marsaglia & Tsang's test), and
 * a lane that the first try does not settle (a rejection, a shape below 1)
 * is drawn again by rp_draw_dist. */
void rp_draw_lanes(rp_rng_key key, uint64_t purpose, int64_t agent0, int n, uint64_t sub,
                   const rp_dist *const *d, double *out, int64_t stride);

#endif
