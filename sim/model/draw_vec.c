/* draw_vec.c - the population's arithmetic in vector registers; see
 * draw_vec.h. Built with -DRP_DRAWV_NAME=rp_drawv_ISA and -ffp-contract=off
 * (CMakeLists.txt), once per instruction set. */
#include <stdint.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

#include "model/draw_vec.h"

#ifndef RP_DRAWV_NAME
#error "draw_vec.c is built with -DRP_DRAWV_NAME=rp_drawv_ISA (CMakeLists.txt)"
#endif

/* One register of doubles: 8 with AVX-512, 4 with AVX2, 2 otherwise, and 1
 * in rp_drawv_one (-DRP_DRAWV_ONE: one value at a time, for the scalar
 * callers); the RP_DRAWV_LANES lanes go through it in turn. */
#if defined(RP_DRAWV_ONE)
#define VW 1
#elif defined(__AVX512F__)
#define VW 8
#elif defined(__AVX2__)
#define VW 4
#else
#define VW 2
#endif
typedef double vd __attribute__((vector_size(8 * VW)));
typedef int64_t vl __attribute__((vector_size(8 * VW)));
typedef uint64_t vu __attribute__((vector_size(8 * VW)));

#define INLINE static inline __attribute__((always_inline))

/* a where m is set (all ones), else b */
INLINE vd sel(vl m, vd a, vd b) { return (vd)(((vl)a & m) | ((vl)b & ~m)); }

INLINE vd vsqrt(vd x)
{
#if defined(RP_DRAWV_ONE)
    x[0] = __builtin_sqrt(x[0]);
    return x;
#elif defined(__AVX512F__)
    return (vd)_mm512_sqrt_pd((__m512d)x);
#elif defined(__AVX2__)
    return (vd)_mm256_sqrt_pd((__m256d)x);
#elif defined(__SSE2__)
    return (vd)_mm_sqrt_pd((__m128d)x);
#else
    for (int l = 0; l < VW; l++)
        x[l] = __builtin_sqrt(x[l]);
    return x;
#endif
}

/* fdlibm's e_log.c: x = 2^k (1 + f), 1 + f in [sqrt(2)/2, sqrt(2)), and
 * log(1 + f) = f - f^2/2 + s (f^2/2 + R(s^2)), s = f / (2 + f). */
INLINE vd vlog(vd x)
{
    const vl subnormal = (vu)x < (vu){0} + UINT64_C(0x0010000000000000);
    const vd xs = sel(subnormal, x * 0x1p54, x);
    vu ux = (vu)xs, hx = (ux >> 32) + (0x3ff00000 - 0x3fe6a09e);
    /* the exponent field as a double: 2^52 + e, less 2^52, exactly */
    const vd e = (vd)((hx >> 20) | UINT64_C(0x4330000000000000)) - 0x1p52;
    const vd k = e - 1023.0 - sel(subnormal, (vd){0} + 54.0, (vd){0});
    hx = (hx & 0x000fffff) + 0x3fe6a09e;
    ux = (hx << 32) | (ux & 0xffffffff);
    const vd f = (vd)ux - 1.0, hfsq = 0.5 * f * f, s = f / (2.0 + f), z = s * s, w = z * z;
    const vd t1 = w * (3.999999999940941908e-01 + w * (2.222219843214978396e-01 + w * 1.531383769920937332e-01));
    const vd t2 = z * (6.666666666666735130e-01 +
                       w * (2.857142874366239149e-01 + w * (1.818357216161805012e-01 + w * 1.479819860511658591e-01)));
    const vd r = s * (hfsq + (t2 + t1)) + k * 1.90821492927058770002e-10 - hfsq + f + k * 6.93147180369123816490e-01;
    return sel(x == 0.0, (vd){0} - __builtin_inf(), r);
}

/* fdlibm's e_exp.c: x = k ln 2 + r, |r| <= ln 2 / 2, exp(r) by a rational
 * form, times 2^k in two halves (so that 2^k never overflows on the way). */
INLINE vd vexp(vd x)
{
    const double hi_max = 709.782712893383973096, lo_min = -708.39641853226410622;
    const vd xc = sel(x > hi_max, (vd){0} + hi_max, sel(x < lo_min, (vd){0} + lo_min, x));
    const vd big = (vd){0} + 0x1.8p52, kr = xc * 1.44269504088896338700e+00 + big;
    const vd kd = kr - big; /* round to nearest */
    const vd hi = xc - kd * 6.93147180369123816490e-01, lo = kd * 1.90821492927058770002e-10, r = hi - lo;
    const vd rr = r * r;
    const vd c = r - rr * (1.66666666666666019037e-01 +
                           rr * (-2.77777777770155933842e-03 +
                                 rr * (6.61375632143793436117e-05 +
                                       rr * (-1.65339022054652515390e-06 + rr * 4.13813679705723846039e-08))));
    const vd y = 1.0 + (r * c / (2.0 - c) - lo + hi);
    const vl k = (vl)kr - (vl)big, k1 = k >> 1, k2 = k - k1;
    const vd s1 = (vd)((k1 + 1023) << 52), s2 = (vd)((k2 + 1023) << 52);
    const vd v = y * s1 * s2;
    return sel(x > hi_max, (vd){0} + __builtin_inf(), sel(x < lo_min, (vd){0}, sel(x != x, x, v)));
}

/* Wichura's AS 241 (PPND16). Its central range (|p - 1/2| <= 0.425) here,
 * on every lane of a register. */
INLINE vd vnormal_central(vd p)
{
    const vd q = p - 0.5, rc = 0.180625 - q * q;
    const vd central_num =
        (((((((2.5090809287301226727e+3 * rc + 3.3430575583588128105e+4) * rc + 6.7265770927008700853e+4) * rc +
             4.5921953931549871457e+4) * rc + 1.3731693765509461125e+4) * rc + 1.9715909503065514427e+3) * rc +
          1.3314166789178437745e+2) * rc + 3.3871328727963666080e+0) * q;
    const vd central_den =
        (((((((5.2264952788528545610e+3 * rc + 2.8729085735721942674e+4) * rc + 3.9307895800092710610e+4) * rc +
             2.1213794301586595867e+4) * rc + 5.3941960214247511077e+3) * rc + 6.8718700749205790830e+2) * rc +
          4.2313330701600911252e+1) * rc + 1.0);
    return central_num / central_den;
}

/* ... and its tails (|p - 1/2| > 0.425), on lanes that are all in them
 * (any value of p in (0, 1) elsewhere is only kept finite). */
INLINE vd vnormal_tail(vd p)
{
    const vl lower = p - 0.5 < 0.0;
    const vd tail = sel(lower, p, 1.0 - p);
    const vd r = vsqrt(-vlog(sel(tail > 0.0, tail, (vd){0} + 0.25)));
    const vd r1 = r - 1.6;
    const vd near_num =
        (((((((7.74545014278341407640e-4 * r1 + 2.27238449892691845833e-2) * r1 + 2.41780725177450611770e-1) *
                 r1 + 1.27045825245236838258e+0) * r1 + 3.64784832476320460504e+0) * r1 +
           5.76949722146069140550e+0) * r1 + 4.63033784615654529590e+0) * r1 + 1.42343711074968357734e+0);
    const vd near_den =
        (((((((1.05075007164441684324e-9 * r1 + 5.47593808499534494600e-4) * r1 + 1.51986665636164571966e-2) *
                 r1 + 1.48103976427480074590e-1) * r1 + 6.89767334985100004550e-1) * r1 +
           1.67638483018380384940e+0) * r1 + 2.05319162663775882187e+0) * r1 + 1.0);
    const vl near = r <= 5.0;
    vd tail_num = near_num, tail_den = near_den;
    int far_lanes = 0; /* p below e^-25 = 1.4e-11: almost never */
    for (int l = 0; l < VW; l++)
        far_lanes |= !near[l];
    if (far_lanes) {
        const vd r2 = r - 5.0;
        const vd far_num =
            (((((((2.01033439929228813265e-7 * r2 + 2.71155556874348757815e-5) * r2 + 1.24266094738807843860e-3) *
                     r2 + 2.65321895265761230930e-2) * r2 + 2.96560571828504891230e-1) * r2 +
               1.78482653991729133580e+0) * r2 + 5.46378491116411436990e+0) * r2 + 6.65790464350110377720e+0);
        const vd far_den =
            (((((((2.04426310338993978564e-15 * r2 + 1.42151175831644588870e-7) * r2 + 1.84631831751005468180e-5) *
                     r2 + 7.86869131145613259100e-4) * r2 + 1.48753612908506148525e-2) * r2 +
               1.36929880922735805310e-1) * r2 + 5.99832206555887937690e-1) * r2 + 1.0);
        tail_num = sel(near, near_num, far_num);
        tail_den = sel(near, near_den, far_den);
    }
    const vd x = sel(lower, -tail_num, tail_num) / tail_den, inf = (vd){0} + __builtin_inf();
    return sel(p <= 0.0, -inf, sel(p >= 1.0, inf, x));
}

/* One try of Marsaglia & Tsang: the operations of draw.c's gamma_mt. */
INLINE vd vgamma_try(vd d, vd c, vd x, vd u, vl *ok)
{
    const vd v1 = 1.0 + c * x;
    const vl positive = v1 > 0.0;
    const vd v = v1 * v1 * v1, x2 = x * x;
    const vl squeeze = u < 1.0 - 0.0331 * x2 * x2;
    int undecided = 0; /* most registers: every lane accepted by the squeeze (or v <= 0) */
    for (int l = 0; l < VW; l++)
        undecided |= positive[l] & ~squeeze[l];
    if (!undecided) {
        *ok = positive & squeeze;
        return d * v;
    }
    const vl accept = vlog(u) < 0.5 * x2 + d * (1.0 - v + vlog(sel(positive, v, (vd){0} + 1.0)));
    *ok = positive & (squeeze | accept);
    return d * v;
}

/* ---- Philox4x32-10 (rp_rng_block32's) in lanes of 32-bit words ---- */

typedef uint32_t vw __attribute__((vector_size(8 * VW))); /* 2 VW words */
typedef int32_t vhi __attribute__((vector_size(4 * VW)));  /* VW words, to convert to doubles */

/* The low 32 bits of each 64-bit element of a times M, as 64-bit products:
 * one vpmuludq. Intrinsics where there are: GCC 12 lowers the plain
 * (a & 2^32 - 1) * M to a full 64 x 64 multiply (three vpmuludq and their
 * shifts and adds under AVX-512F). */
INLINE vu mul32(vu a, uint32_t M)
{
#if defined(RP_DRAWV_ONE)
    return (a & 0xffffffffu) * M;
#elif defined(__AVX512F__)
    return (vu)_mm512_mul_epu32((__m512i)a, _mm512_set1_epi64(M));
#elif defined(__AVX2__)
    return (vu)_mm256_mul_epu32((__m256i)a, _mm256_set1_epi64x(M));
#elif defined(__SSE2__)
    return (vu)_mm_mul_epu32((__m128i)a, _mm_set1_epi64x(M));
#else
    return (a & 0xffffffffu) * M;
#endif
}

/* hi and lo of M x in each word: a 64-bit element holds words 2j (low half)
 * and 2j + 1, and (x & 2^32 - 1) M, (x >> 32) M are the one 32 x 32 -> 64
 * multiply of each. */
INLINE void mulhilo32(uint32_t M, vw x, vw *hi, vw *lo)
{
    const vu low = (vu){0} + 0xffffffffu;
    const vu even = mul32((vu)x, M), odd = mul32((vu)x >> 32, M);
    *lo = (vw)((even & low) | (odd << 32));
    *hi = (vw)((even >> 32) | (odd & ~low));
}

INLINE vw loadw(const uint32_t *a)
{
    vw v;
    __builtin_memcpy(&v, a, sizeof v);
    return v;
}

/* Four registers of words at a time, their rounds interleaved: the
 * processor overlaps their multiplications instead of waiting on one chain. */
#define PHILOX_SETS 4
static void philox32(uint32_t k0, uint32_t k1, uint32_t c0, uint32_t c1, const uint32_t *c2, const uint32_t *c3,
                     uint32_t out[4][RP_DRAWV_LANES], int n)
{
    enum { R = 2 * VW };
    _Static_assert(RP_DRAWV_LANES % (R * PHILOX_SETS) == 0, "whole sets of registers");
    for (int i = 0; i < n; i += R * PHILOX_SETS) {
        vw x0[PHILOX_SETS], x1[PHILOX_SETS], x2[PHILOX_SETS], x3[PHILOX_SETS];
        for (int s = 0; s < PHILOX_SETS; s++) {
            x0[s] = (vw){0} + c0;
            x1[s] = (vw){0} + c1;
            x2[s] = loadw(c2 + i + s * R);
            x3[s] = loadw(c3 + i + s * R);
        }
        uint32_t key0 = k0, key1 = k1;
        for (int r = 0; r < 10; r++) {
            if (r) {
                key0 += 0x9E3779B9u;
                key1 += 0xBB67AE85u;
            }
            for (int s = 0; s < PHILOX_SETS; s++) {
                vw hi0, lo0, hi1, lo1;
                mulhilo32(0xD2511F53u, x0[s], &hi0, &lo0);
                mulhilo32(0xCD9E8D57u, x2[s], &hi1, &lo1);
                x0[s] = hi1 ^ x1[s] ^ key0;
                x1[s] = lo1;
                x2[s] = hi0 ^ x3[s] ^ key1;
                x3[s] = lo0;
            }
        }
        for (int s = 0; s < PHILOX_SETS; s++) {
            __builtin_memcpy(out[0] + i + s * R, &x0[s], sizeof x0[s]);
            __builtin_memcpy(out[1] + i + s * R, &x1[s], sizeof x1[s]);
            __builtin_memcpy(out[2] + i + s * R, &x2[s], sizeof x2[s]);
            __builtin_memcpy(out[3] + i + s * R, &x3[s], sizeof x3[s]);
        }
    }
}

/* p = (x + 1/2) 2^-32 exactly: x - 2^31 as a signed word, converted, plus
 * 2^31 + 1/2 (every value below 2^33 is exact in double). */
static void open01_lanes(const uint32_t *x, double *p, int n)
{
    for (int i = 0; i < n; i += VW) {
        vhi w;
        __builtin_memcpy(&w, x + i, sizeof w);
        const vd d = __builtin_convertvector(w ^ ((vhi){0} + INT32_MIN), vd);
        const vd v = (d + 2147483648.5) * 0x1p-32;
        __builtin_memcpy(p + i, &v, sizeof v);
    }
}

/* The lanes as registers: unaligned loads and stores of arrays. */
INLINE vd load(const double *a)
{
    vd v;
    __builtin_memcpy(&v, a, sizeof v);
    return v;
}

INLINE void store(double *a, vd v) { __builtin_memcpy(a, &v, sizeof v); }

/* The central range on every register, then the lanes in the tails
 * (15%), gathered into whole registers of their own: most registers have a
 * lane in the tails (1 - 0.85^8 with AVX-512), and computing both forms on
 * each cost twice the central one. Every lane's operations are the same
 * whichever register it is computed in. */
static void normal_inv(const double *p, double *x, int n)
{
    double tp[RP_DRAWV_LANES + VW], tx[RP_DRAWV_LANES + VW];
    int at[RP_DRAWV_LANES], tails = 0;
    for (int i = 0; i < n; i += VW) {
        const vd v = load(p + i), q = v - 0.5;
        store(x + i, vnormal_central(v));
        const vl central = (q <= 0.425) & (q >= -0.425);
        for (int l = 0; l < VW && i + l < n; l++)
            if (!central[l]) {
                at[tails] = i + l;
                tp[tails++] = v[l];
            }
    }
    for (int k = tails; k % VW; k++)
        tp[k] = 0.01;
    for (int k = 0; k < tails; k += VW)
        store(tx + k, vnormal_tail(load(tp + k)));
    for (int k = 0; k < tails; k++)
        x[at[k]] = tx[k];
}

static void log_lanes(const double *x, double *y, int n)
{
    for (int i = 0; i < n; i += VW)
        store(y + i, vlog(load(x + i)));
}

static void exp_lanes(const double *x, double *y, int n)
{
    for (int i = 0; i < n; i += VW)
        store(y + i, vexp(load(x + i)));
}

static void gamma_try(const double *d, const double *c, const double *x, const double *u, double *g, int64_t *ok,
                      int n)
{
    for (int i = 0; i < n; i += VW) {
        vl m;
        store(g + i, vgamma_try(load(d + i), load(c + i), load(x + i), load(u + i), &m));
        for (int l = 0; l < VW; l++)
            ok[i + l] = m[l] != 0;
    }
}

const rp_drawv RP_DRAWV_NAME = {normal_inv, log_lanes, exp_lanes, gamma_try, philox32, open01_lanes};
