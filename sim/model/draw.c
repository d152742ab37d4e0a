/* draw.c - exact draws on per-agent streams; see draw.h. */
#include "model/draw.h"

#include <math.h>

/* Wichura (1988), Algorithm AS 241 (PPND16), Applied Statistics 37:477-484:
 * rational approximations of Phi^-1 with a relative error near 1e-16, in
 * three ranges of p; the same coefficients as gsl_cdf_ugaussian_Pinv, here
 * inline with fixed-length Horner forms (tests/population_unit.c compares the
 * two and checks Phi(Phi^-1(p)) = p). */
static inline double as241_central(double q)
{
    const double r = 0.180625 - q * q;
    return q *
           (((((((2.5090809287301226727e+3 * r + 3.3430575583588128105e+4) * r + 6.7265770927008700853e+4) * r +
                4.5921953931549871457e+4) * r + 1.3731693765509461125e+4) * r + 1.9715909503065514427e+3) * r +
             1.3314166789178437745e+2) * r + 3.3871328727963666080e+0) /
           (((((((5.2264952788528545610e+3 * r + 2.8729085735721942674e+4) * r + 3.9307895800092710610e+4) * r +
                2.1213794301586595867e+4) * r + 5.3941960214247511077e+3) * r + 6.8718700749205790830e+2) * r +
             4.2313330701600911252e+1) * r + 1.0);
}

double rp_draw_normal_inv(double p)
{
    const double q = p - 0.5;
    if (fabs(q) <= 0.425) /* |q| <= 0.425: one rational function of q^2 */
        return as241_central(q);
    if (!(p > 0 && p < 1))
        return p <= 0 ? -INFINITY : INFINITY; /* NaN goes here too, as +inf: never from a stream */
    double r = sqrt(-log(q < 0 ? p : 1.0 - p)), x;
    if (r <= 5.0) {
        r -= 1.6;
        x = (((((((7.74545014278341407640e-4 * r + 2.27238449892691845833e-2) * r + 2.41780725177450611770e-1) * r +
                 1.27045825245236838258e+0) * r + 3.64784832476320460504e+0) * r + 5.76949722146069140550e+0) * r +
              4.63033784615654529590e+0) * r + 1.42343711074968357734e+0) /
            (((((((1.05075007164441684324e-9 * r + 5.47593808499534494600e-4) * r + 1.51986665636164571966e-2) * r +
                 1.48103976427480074590e-1) * r + 6.89767334985100004550e-1) * r + 1.67638483018380384940e+0) * r +
              2.05319162663775882187e+0) * r + 1.0);
    } else {
        r -= 5.0;
        x = (((((((2.01033439929228813265e-7 * r + 2.71155556874348757815e-5) * r + 1.24266094738807843860e-3) * r +
                 2.65321895265761230930e-2) * r + 2.96560571828504891230e-1) * r + 1.78482653991729133580e+0) * r +
              5.46378491116411436990e+0) * r + 6.65790464350110377720e+0) /
            (((((((2.04426310338993978564e-15 * r + 1.42151175831644588870e-7) * r + 1.84631831751005468180e-5) * r +
                 7.86869131145613259100e-4) * r + 1.48753612908506148525e-2) * r + 1.36929880922735805310e-1) * r +
              5.99832206555887937690e-1) * r + 1.0);
    }
    return q < 0 ? -x : x;
}

double rp_draw_normal(rp_stream *s) { return rp_draw_normal_inv(rp_stream_open01(s)); }

/* Marsaglia & Tsang's constants for shape >= 1. */
static inline double mt_d(double shape) { return shape - 1.0 / 3.0; }
static inline double mt_c(double d) { return 1.0 / sqrt(9.0 * d); }

/* One try of Marsaglia & Tsang on normal x and uniform u, accepted by the
 * squeeze alone (no log): 1 and *g = d v^3, or 0 (v <= 0, or the squeeze
 * does not decide). The same arithmetic in the same order as gamma_mt, so
 * that the lanes (rp_draw_lanes) give gamma_mt's bits. */
static inline int mt_squeeze(double d, double c, double x, double u, double *g)
{
    double v = 1.0 + c * x;
    if (!(v > 0))
        return 0;
    v = v * v * v;
    const double x2 = x * x;
    if (!(u < 1.0 - 0.0331 * x2 * x2))
        return 0;
    *g = d * v;
    return 1;
}

/* Marsaglia & Tsang for shape >= 1, scale 1. */
static double gamma_mt(rp_stream *s, double shape)
{
    const double d = mt_d(shape), c = mt_c(d);
    for (;;) {
        double x, v;
        do {
            x = rp_draw_normal(s);
            v = 1.0 + c * x;
        } while (v <= 0);
        v = v * v * v;
        const double u = rp_stream_open01(s), x2 = x * x;
        if (u < 1.0 - 0.0331 * x2 * x2) /* the squeeze: accepted without a log */
            return d * v;
        if (log(u) < 0.5 * x2 + d * (1.0 - v + log(v)))
            return d * v;
    }
}

/* log of a Gamma(shape, 1) draw, any shape > 0: for shape < 1 the boost
 * Gamma(shape + 1) U^(1/shape) in logarithms, which cannot underflow. */
static double log_gamma_draw(rp_stream *s, double shape)
{
    if (shape >= 1)
        return log(gamma_mt(s, shape));
    const double g = gamma_mt(s, shape + 1.0);
    return log(g) + log(rp_stream_open01(s)) / shape;
}

double rp_draw_gamma(rp_stream *s, double shape, double scale)
{
    if (shape >= 1)
        return scale * gamma_mt(s, shape);
    const double g = gamma_mt(s, shape + 1.0);
    return scale * g * pow(rp_stream_open01(s), 1.0 / shape);
}

double rp_draw_beta(rp_stream *s, double a, double b)
{
    if (a >= 1 && b >= 1) {
        const double x = gamma_mt(s, a), y = gamma_mt(s, b);
        return x / (x + y);
    }
    const double lx = log_gamma_draw(s, a), ly = log_gamma_draw(s, b);
    return 1.0 / (1.0 + exp(ly - lx));
}

double rp_draw_dist(rp_stream *s, const rp_dist *d)
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

#if defined(__x86_64__) && defined(__GNUC__) && RP_DRAW_LANES == 8
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

/* Eight lanes in the eight 64-bit elements of AVX-512 registers. */
__attribute__((target("avx512f"))) static void block0_avx512(rp_rng_key key, uint64_t purpose, int64_t agent0,
                                                            int n, uint64_t sub, uint64_t out[][4])
{
    __m512i c0 = _mm512_set1_epi64((long long)purpose), c2 = _mm512_set1_epi64((long long)sub);
    __m512i c1 = _mm512_add_epi64(_mm512_set1_epi64((long long)agent0), _mm512_set_epi64(7, 6, 5, 4, 3, 2, 1, 0));
    __m512i c3 = _mm512_setzero_si512();
    uint64_t k0 = key.seed, k1 = key.stream;
    for (int round = 0; round < 10; round++) {
        if (round > 0) {
            k0 += PHILOX_W0;
            k1 += PHILOX_W1;
        }
        __m512i hi0, lo0, hi1, lo1;
        mulhilo_avx512(c0, PHILOX_M0, &hi0, &lo0);
        mulhilo_avx512(c2, PHILOX_M1, &hi1, &lo1);
        c0 = _mm512_xor_si512(_mm512_xor_si512(hi1, c1), _mm512_set1_epi64((long long)k0));
        c2 = _mm512_xor_si512(_mm512_xor_si512(hi0, c3), _mm512_set1_epi64((long long)k1));
        c1 = lo1;
        c3 = lo0;
    }
    uint64_t v[4][8];
    _mm512_storeu_si512(v[0], c0);
    _mm512_storeu_si512(v[1], c1);
    _mm512_storeu_si512(v[2], c2);
    _mm512_storeu_si512(v[3], c3);
    for (int l = 0; l < n; l++)
        for (int w = 0; w < 4; w++)
            out[l][w] = v[w][l];
}
#endif

int rp_draw_block0_path = -1; /* -1: not chosen yet; 0 portable, 1 AVX-512 */

void rp_draw_block0(rp_rng_key key, uint64_t purpose, int64_t agent0, int n, uint64_t sub,
                    uint64_t out[][4])
{
#ifdef BLOCK0_AVX512
    int path = __atomic_load_n(&rp_draw_block0_path, __ATOMIC_RELAXED);
    if (path < 0) {
        __builtin_cpu_init();
        path = __builtin_cpu_supports("avx512f") ? 1 : 0;
        __atomic_store_n(&rp_draw_block0_path, path, __ATOMIC_RELAXED);
    }
    if (path == 1) {
        block0_avx512(key, purpose, agent0, n, sub, out);
        return;
    }
#endif
    block0_portable(key, purpose, agent0, n, sub, out);
}

/* The central range of AS 241 on every lane, a loop without branches; the
 * lanes outside it (15%) by rp_draw_normal_inv. */
static void normal_inv_lanes(const double *p, double *x, int n)
{
    for (int l = 0; l < n; l++)
        x[l] = as241_central(p[l] - 0.5);
    for (int l = 0; l < n; l++)
        if (!(fabs(p[l] - 0.5) <= 0.425))
            x[l] = rp_draw_normal_inv(p[l]);
}

static inline double open01(uint64_t bits) { return ((double)(bits >> 11) + 0.5) * 0x1.0p-53; }

void rp_draw_lanes(rp_rng_key key, uint64_t purpose, int64_t agent0, int n, uint64_t sub,
                   const rp_dist *const *d, double *out, int64_t stride)
{
    uint64_t b[RP_DRAW_LANES][4];
    double p[2][RP_DRAW_LANES] = {{0}}, x[2][RP_DRAW_LANES] = {{0}};
    rp_draw_block0(key, purpose, agent0, n, sub, b);
    int beta = 0; /* whether any lane needs the second normal (output 2) */
    for (int l = 0; l < n; l++) {
        p[0][l] = open01(b[l][0]);
        p[1][l] = open01(b[l][2]);
        beta |= d[l]->kind == RP_DIST_BETA;
    }
    normal_inv_lanes(p[0], x[0], n);
    if (beta)
        normal_inv_lanes(p[1], x[1], n);
    for (int l = 0; l < n; l++) {
        const rp_dist *dl = d[l];
        double v, g, h;
        switch (dl->kind) {
        case RP_DIST_NORMAL: v = dl->a + dl->b * x[0][l]; break;
        case RP_DIST_GAMMA: /* first try: outputs 0 (normal) and 1 (uniform) */
            if (dl->a >= 1 && mt_squeeze(mt_d(dl->a), mt_c(mt_d(dl->a)), x[0][l], open01(b[l][1]), &g)) {
                v = dl->b * g;
                break;
            }
            goto stream;
        case RP_DIST_BETA: /* first tries of X (outputs 0, 1) and Y (2, 3) */
            if (dl->a >= 1 && dl->b >= 1 &&
                mt_squeeze(mt_d(dl->a), mt_c(mt_d(dl->a)), x[0][l], open01(b[l][1]), &g) &&
                mt_squeeze(mt_d(dl->b), mt_c(mt_d(dl->b)), x[1][l], open01(b[l][3]), &h)) {
                v = g / (g + h);
                break;
            }
            goto stream;
        case RP_DIST_FIXED:
        default: v = dl->a; break;
        stream: { /* a rejection or a shape below 1: the stream from its start */
            rp_stream s;
            rp_stream_open(&s, key, purpose, (uint64_t)(agent0 + l), sub);
            v = rp_draw_dist(&s, dl);
        }
        }
        out[l * stride] = v;
    }
}
