/* draw.c - exact draws on per-agent streams; see draw.h. */
#include "model/draw.h"

#include <math.h>
#include <stdlib.h>

#include "model/draw_vec.h"
#include "rapport/engine.h"

_Static_assert(RP_DRAW_LANES == RP_DRAWV_LANES, "draw_vec.c works on rp_draw_lanes' lanes");

/* The vector arithmetic (draw_vec.c) of the instruction set that
 * rp_draw_vec_path names; every path gives the same bits. */
int rp_draw_vec_path = -1;

/* The path rp_draw_vec_path names, chosen on the first call. */
static int vec_path(void)
{
    int path = __atomic_load_n(&rp_draw_vec_path, __ATOMIC_RELAXED);
    if (path < RP_ENGINE_SCALAR || path > RP_ENGINE_AVX512) {
        /* the kernel the environment names (RAPPORT_ENGINE), or if it names
         * none this processor runs, the widest: the engine reports the error */
        if (rp_engine_path(getenv("RAPPORT_ENGINE"), &path, NULL) != RP_OK)
            rp_engine_path(NULL, &path, NULL);
        __atomic_store_n(&rp_draw_vec_path, path, __ATOMIC_RELAXED);
    }
    return path;
}

const rp_drawv *rp_draw_vec(void)
{
    static const rp_drawv *const by_path[] = {
        [RP_ENGINE_SCALAR] = &rp_drawv_scalar, [RP_ENGINE_AVX2] = &rp_drawv_avx2, [RP_ENGINE_AVX512] = &rp_drawv_avx512};
    return by_path[vec_path()];
}

/* One value, a lane at a time (rp_drawv_one: every build agrees). */
double rp_draw_normal_inv(double p)
{
    double x;
    rp_drawv_one.normal_inv(&p, &x, 1);
    return x;
}

double rp_draw_log(double x)
{
    double y;
    rp_drawv_one.log(&x, &y, 1);
    return y;
}

double rp_draw_exp(double x)
{
    double y;
    rp_drawv_one.exp(&x, &y, 1);
    return y;
}

double rp_draw_normal(rp_draw_stream *s) { return rp_draw_normal_inv(rp_draw_stream_open01(s)); }

/* Marsaglia & Tsang's constants for shape >= 1. */
static inline double mt_d(double shape) { return shape - 1.0 / 3.0; }
static inline double mt_c(double d) { return 1.0 / sqrt(9.0 * d); }

/* Marsaglia & Tsang for shape >= 1, scale 1. */
static double gamma_mt(rp_draw_stream *s, double shape)
{
    const double d = mt_d(shape), c = mt_c(d);
    for (;;) {
        double x, v;
        do {
            x = rp_draw_normal(s);
            v = 1.0 + c * x;
        } while (v <= 0);
        v = v * v * v;
        const double u = rp_draw_stream_open01(s), x2 = x * x;
        if (u < 1.0 - 0.0331 * x2 * x2) /* the squeeze: accepted without a log */
            return d * v;
        if (rp_draw_log(u) < 0.5 * x2 + d * (1.0 - v + rp_draw_log(v))) /* as draw_vec.c's vgamma_try */
            return d * v;
    }
}

/* log of a Gamma(shape, 1) draw, any shape > 0: for shape < 1 the boost
 * Gamma(shape + 1) U^(1/shape) in logarithms, which cannot underflow. */
static double log_gamma_draw(rp_draw_stream *s, double shape)
{
    if (shape >= 1)
        return rp_draw_log(gamma_mt(s, shape));
    const double g = gamma_mt(s, shape + 1.0);
    return rp_draw_log(g) + rp_draw_log(rp_draw_stream_open01(s)) / shape;
}

double rp_draw_gamma(rp_draw_stream *s, double shape, double scale)
{
    if (shape >= 1)
        return scale * gamma_mt(s, shape);
    const double g = gamma_mt(s, shape + 1.0);
    return scale * g * rp_draw_exp(rp_draw_log(rp_draw_stream_open01(s)) / shape);
}

double rp_draw_beta(rp_draw_stream *s, double a, double b)
{
    if (a >= 1 && b >= 1) {
        const double x = gamma_mt(s, a), y = gamma_mt(s, b);
        return x / (x + y);
    }
    const double lx = log_gamma_draw(s, a), ly = log_gamma_draw(s, b);
    return 1.0 / (1.0 + rp_draw_exp(ly - lx));
}

double rp_draw_dist(rp_draw_stream *s, const rp_dist *d)
{
    switch (d->kind) {
    case RP_DIST_BETA: return rp_draw_beta(s, d->a, d->b);
    case RP_DIST_GAMMA: return rp_draw_gamma(s, d->a, d->b);
    case RP_DIST_NORMAL: return d->a + d->b * rp_draw_normal(s);
    case RP_DIST_FIXED:
    default: return d->a;
    }
}

/* Philox4x64-10 (Random123's philox4x64 with its constants) on several
 * counters at once. Integer arithmetic only: every path gives the same bits
 * (tests/population_unit.c checks each against rp_rng_block). */
#define PHILOX_M0 UINT64_C(0xD2E7470EE14C6C93)
#define PHILOX_M1 UINT64_C(0xCA5A826395121157)
#define PHILOX_W0 UINT64_C(0x9E3779B97F4A7C15)
#define PHILOX_W1 UINT64_C(0xBB67AE8584CAA73B)

__extension__ typedef unsigned __int128 u128;

/* The portable lanes: the rounds of the lanes interleave, so that their
 * multiplications overlap instead of waiting on one another. */
static void block0_portable(rp_rng_key key, uint64_t purpose, int64_t agent0, int n, uint64_t sub,
                            uint64_t out[][4])
{
    uint64_t c0[RP_DRAW_LANES], c1[RP_DRAW_LANES], c2[RP_DRAW_LANES], c3[RP_DRAW_LANES];
    for (int l = 0; l < n; l++) {
        c0[l] = purpose;
        c1[l] = (uint64_t)(agent0 + l);
        c2[l] = sub;
        c3[l] = 0;
    }
    uint64_t k0 = key.seed, k1 = key.stream;
    for (int round = 0; round < 10; round++) {
        if (round > 0) {
            k0 += PHILOX_W0;
            k1 += PHILOX_W1;
        }
        for (int l = 0; l < n; l++) {
            const u128 p0 = (u128)PHILOX_M0 * c0[l], p1 = (u128)PHILOX_M1 * c2[l];
            const uint64_t n0 = (uint64_t)(p1 >> 64) ^ c1[l] ^ k0, n2 = (uint64_t)(p0 >> 64) ^ c3[l] ^ k1;
            c1[l] = (uint64_t)p1;
            c3[l] = (uint64_t)p0;
            c0[l] = n0;
            c2[l] = n2;
        }
    }
    for (int l = 0; l < n; l++) {
        out[l][0] = c0[l];
        out[l][1] = c1[l];
        out[l][2] = c2[l];
        out[l][3] = c3[l];
    }
}

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define BLOCK0_AVX512 1

/* The 128-bit product of each lane of a and the constant m, from four
 * 32 x 32 -> 64 products (AVX-512F has no 64-bit high multiply). */
__attribute__((target("avx512f"))) static inline void mulhilo_avx512(__m512i a, uint64_t m, __m512i *hi,
                                                                    __m512i *lo)
{
    const __m512i lo32 = _mm512_set1_epi64((long long)0xffffffffULL);
    const __m512i bl = _mm512_set1_epi64((long long)(m & 0xffffffffULL)), bh = _mm512_set1_epi64((long long)(m >> 32));
    const __m512i ah = _mm512_srli_epi64(a, 32);
    const __m512i ll = _mm512_mul_epu32(a, bl), lh = _mm512_mul_epu32(a, bh);
    const __m512i hl = _mm512_mul_epu32(ah, bl), hh = _mm512_mul_epu32(ah, bh);
    const __m512i t = _mm512_add_epi64(_mm512_add_epi64(_mm512_srli_epi64(ll, 32), _mm512_and_si512(lh, lo32)),
                                       _mm512_and_si512(hl, lo32));
    *hi = _mm512_add_epi64(_mm512_add_epi64(hh, _mm512_srli_epi64(lh, 32)),
                           _mm512_add_epi64(_mm512_srli_epi64(hl, 32), _mm512_srli_epi64(t, 32)));
    *lo = _mm512_or_si512(_mm512_slli_epi64(t, 32), _mm512_and_si512(ll, lo32));
}

/* Up to 32 lanes (n <= 32) in four sets of AVX-512 registers of eight
 * 64-bit elements: the four sets' rounds interleave, so that the processor
 * overlaps their multiplications instead of waiting on one chain. */
#define BLOCK0_SETS 4
__attribute__((target("avx512f"))) static void block0_avx512(rp_rng_key key, uint64_t purpose, int64_t agent0,
                                                            int n, uint64_t sub, uint64_t out[][4])
{
    __m512i c0[BLOCK0_SETS], c1[BLOCK0_SETS], c2[BLOCK0_SETS], c3[BLOCK0_SETS];
    for (int s = 0; s < BLOCK0_SETS; s++) {
        c0[s] = _mm512_set1_epi64((long long)purpose);
        c2[s] = _mm512_set1_epi64((long long)sub);
        c1[s] = _mm512_add_epi64(_mm512_set1_epi64((long long)(agent0 + 8 * s)),
                                 _mm512_set_epi64(7, 6, 5, 4, 3, 2, 1, 0));
        c3[s] = _mm512_setzero_si512();
    }
    uint64_t k0 = key.seed, k1 = key.stream;
    for (int round = 0; round < 10; round++) {
        if (round > 0) {
            k0 += PHILOX_W0;
            k1 += PHILOX_W1;
        }
        const __m512i key0 = _mm512_set1_epi64((long long)k0), key1 = _mm512_set1_epi64((long long)k1);
        for (int s = 0; s < BLOCK0_SETS; s++) {
            __m512i hi0, lo0, hi1, lo1;
            mulhilo_avx512(c0[s], PHILOX_M0, &hi0, &lo0);
            mulhilo_avx512(c2[s], PHILOX_M1, &hi1, &lo1);
            c0[s] = _mm512_xor_si512(_mm512_xor_si512(hi1, c1[s]), key0);
            c2[s] = _mm512_xor_si512(_mm512_xor_si512(hi0, c3[s]), key1);
            c1[s] = lo1;
            c3[s] = lo0;
        }
    }
    for (int s = 0; s < BLOCK0_SETS && 8 * s < n; s++) {
        uint64_t v[4][8];
        _mm512_storeu_si512(v[0], c0[s]);
        _mm512_storeu_si512(v[1], c1[s]);
        _mm512_storeu_si512(v[2], c2[s]);
        _mm512_storeu_si512(v[3], c3[s]);
        for (int l = 8 * s; l < n && l < 8 * s + 8; l++)
            for (int w = 0; w < 4; w++)
                out[l][w] = v[w][l - 8 * s];
    }
}
#endif

void rp_draw_block0(rp_rng_key key, uint64_t purpose, int64_t agent0, int n, uint64_t sub,
                    uint64_t out[][4])
{
#ifdef BLOCK0_AVX512
    if (vec_path() == RP_ENGINE_AVX512) { /* the path of the lanes' arithmetic */
        const int step = 8 * BLOCK0_SETS;
        for (int l = 0; l < n; l += step)
            block0_avx512(key, purpose, agent0 + l, n - l < step ? n - l : step, sub, out + l);
        return;
    }
#endif
    block0_portable(key, purpose, agent0, n, sub, out);
}

void rp_draw_block32(rp_rng_key key, uint32_t purpose, int64_t agent0, int n, uint32_t sub,
                     uint32_t out[4][RP_DRAW_LANES])
{
    /* counter {stream low, stream high, agent low, agent bits 32-39 | sub << 8 | purpose << 24} */
    uint32_t c2[RP_DRAW_LANES], c3[RP_DRAW_LANES];
    const uint32_t high = rp_draw_block_sub(sub, 0) << 8 | purpose << 24;
    for (int l = 0; l < RP_DRAW_LANES; l++) {
        const uint64_t agent = (uint64_t)agent0 + (uint64_t)(l < n ? l : 0);
        c2[l] = (uint32_t)agent;
        c3[l] = (uint32_t)(agent >> 32) | high;
    }
    rp_draw_vec()->philox32((uint32_t)key.seed, (uint32_t)(key.seed >> 32), (uint32_t)key.stream,
                            (uint32_t)(key.stream >> 32), c2, c3, out, n);
}

void rp_draw_lanes(rp_rng_key key, uint32_t purpose, int64_t agent0, int n, uint32_t sub,
                   const rp_dist *const *d, double *out, int64_t stride)
{
    const rp_drawv *V = rp_draw_vec();
    uint32_t b[4][RP_DRAW_LANES];
    /* words 0 and 1 (X: normal, uniform), 2 and 3 (Y, for a beta) */
    double p[4][RP_DRAW_LANES], x[2][RP_DRAW_LANES], mt[2][2][RP_DRAW_LANES], g[2][RP_DRAW_LANES];
    int64_t ok[2][RP_DRAW_LANES];
    rp_draw_block32(key, purpose, agent0, n, sub, b);
    int gamma = 0, beta = 0; /* whether any lane needs a try of X, of Y */
    for (int l = 0; l < RP_DRAW_LANES; l++) {
        const int kind = l < n ? (int)d[l]->kind : RP_DIST_FIXED;
        const double shape[2] = {l < n ? d[l]->a : 1, l < n && kind == RP_DIST_BETA ? d[l]->b : 1};
        for (int v = 0; v < 2; v++) { /* Marsaglia & Tsang's d and c (any value where unused) */
            if (l > 0 && l < n && d[l] == d[l - 1]) { /* most lanes share their neighbour's */
                mt[v][0][l] = mt[v][0][l - 1];
                mt[v][1][l] = mt[v][1][l - 1];
                continue;
            }
            mt[v][0][l] = shape[v] >= 1 ? mt_d(shape[v]) : 1;
            mt[v][1][l] = mt_c(mt[v][0][l]);
        }
        gamma |= kind == RP_DIST_GAMMA || kind == RP_DIST_BETA;
        beta |= kind == RP_DIST_BETA;
    }
    for (int w = 0; w < (beta ? 4 : gamma ? 2 : 1); w++)
        V->open01(b[w], p[w], n);
    V->normal_inv(p[0], x[0], n);
    if (gamma)
        V->gamma_try(mt[0][0], mt[0][1], x[0], p[1], g[0], ok[0], n);
    if (beta) {
        V->normal_inv(p[2], x[1], n);
        V->gamma_try(mt[1][0], mt[1][1], x[1], p[3], g[1], ok[1], n);
    }
    for (int l = 0; l < n; l++) {
        const rp_dist *dl = d[l];
        double v;
        switch (dl->kind) {
        case RP_DIST_NORMAL: v = dl->a + dl->b * x[0][l]; break;
        case RP_DIST_GAMMA: /* first try: outputs 0 (normal) and 1 (uniform) */
            if (dl->a >= 1 && ok[0][l]) {
                v = dl->b * g[0][l];
                break;
            }
            goto stream;
        case RP_DIST_BETA: /* first tries of X (outputs 0, 1) and Y (2, 3) */
            if (dl->a >= 1 && dl->b >= 1 && ok[0][l] && ok[1][l]) {
                v = g[0][l] / (g[0][l] + g[1][l]);
                break;
            }
            goto stream;
        case RP_DIST_FIXED:
        default: v = dl->a; break;
        stream: { /* a rejection or a shape below 1: the stream from its start */
            rp_draw_stream s;
            rp_draw_stream_open(&s, key, purpose, (uint64_t)(agent0 + l), sub);
            v = rp_draw_dist(&s, dl);
        }
        }
        out[l * stride] = v;
    }
}
