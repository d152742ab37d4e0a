/* engine_fast.c - the weekly step of rp_engine_week_step, W pairs at a time
 * in vector lanes (docs/ENGINE.md).
 *
 * Written with GCC's vector extensions and built three times (CMakeLists.txt):
 * RP_FAST_NAME = rp_engine_fast_scalar (the baseline instruction set),
 * rp_engine_fast_avx2 (-mavx2) and rp_engine_fast_avx512 (-mavx512f), all with
 * -ffp-contract=off. Every lane does the same IEEE operations (+, -, *, /,
 * sqrt, comparisons, integer and bit operations) in the same order whatever
 * the vector width, and the math functions are polynomials written here, not
 * libm's or a vector library's, so the three builds give the same bits; only
 * their speed differs.
 *
 * State and arithmetic are float (a register of lanes, 16 with AVX-512), except the
 * stressor count, inverted in double as the reference does (a count must not
 * depend on float rounding of a CDF). The draws are the reference's own
 * (Philox4x32-10, rng.h's rp_rng_block32), computed in lanes. A lane whose
 * pair leaves takes the next pair of the chunk, so lanes stay busy; a pair's
 * result depends on its own draws only, never on its lane or its neighbours.
 */
#include <math.h>
#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

#include "model/draw_vec.h"
#include "model/engine_fast.h"

#ifndef RP_FAST_NAME
#error "engine_fast.c is built with -DRP_FAST_NAME=rp_engine_fast_ISA (CMakeLists.txt)"
#endif

/* Lanes: one register of floats, 16 with AVX-512, 8 with AVX2, 4 otherwise
 * (SSE2, x86-64's baseline). A wider vector than the registers would be
 * lowered by GCC to scalar comparisons. The lanes a pair runs in change
 * nothing of its result. */
#if defined(__AVX512F__)
#define W 16
#elif defined(__AVX2__)
#define W 8
#else
#define W 4
#endif
#define H (W / 2) /* lanes of a register of doubles */
typedef float vf __attribute__((vector_size(4 * W)));
typedef int32_t vi __attribute__((vector_size(4 * W)));
typedef uint32_t vu __attribute__((vector_size(4 * W)));
typedef uint64_t vq2 __attribute__((vector_size(4 * W))); /* the same bits as 64-bit halves */
typedef double vd __attribute__((vector_size(4 * W)));    /* half of the lanes, in double */
typedef int64_t vl __attribute__((vector_size(4 * W)));
typedef float vfh __attribute__((vector_size(2 * W)));   /* half of a vf */
typedef int32_t vih __attribute__((vector_size(2 * W)));

/* A register of lanes as two halves (for the doubles of the stressor count). */
typedef union {
    vf v;
    vfh h[2];
} vf_halves;
typedef union {
    vi v;
    vih h[2];
} vi_halves;

#define INLINE static inline __attribute__((always_inline))

INLINE vf bf(float x)
{
    vf v;
    for (int l = 0; l < W; l++)
        v[l] = x;
    return v;
}

INLINE vi bi(int32_t x)
{
    vi v;
    for (int l = 0; l < W; l++)
        v[l] = x;
    return v;
}

INLINE vd bd(double x)
{
    vd v;
    for (int l = 0; l < H; l++)
        v[l] = x;
    return v;
}

/* m ? a : b, lane by lane (m is -1 or 0) */
INLINE vf sel(vi m, vf a, vf b) { return (vf)(((vi)a & m) | ((vi)b & ~m)); }
INLINE vi seli(vi m, vi a, vi b) { return (a & m) | (b & ~m); }
INLINE vd seld(vl m, vd a, vd b) { return (vd)(((vl)a & m) | ((vl)b & ~m)); }

/* Is any lane of m set? */
INLINE bool any(vi m)
{
#if defined(__AVX512F__)
    return _mm512_test_epi32_mask((__m512i)m, (__m512i)m) != 0;
#elif defined(__AVX2__)
    return !_mm256_testz_si256((__m256i)m, (__m256i)m);
#elif defined(__SSE2__)
    return _mm_movemask_epi8((__m128i)m) != 0;
#else
    int32_t r = 0;
    for (int l = 0; l < W; l++)
        r |= m[l];
    return r != 0;
#endif
}

INLINE bool anyl(vl m) { return any((vi)m); }

/* Bit l set where lane l of m is. */
INLINE unsigned lane_bits(vi m)
{
#if defined(__AVX512F__)
    return _mm512_test_epi32_mask((__m512i)m, (__m512i)m);
#elif defined(__AVX2__)
    return (unsigned)_mm256_movemask_ps((__m256)m);
#elif defined(__SSE2__)
    return (unsigned)_mm_movemask_ps((__m128)m);
#else
    unsigned bits = 0;
    for (int l = 0; l < W; l++)
        bits |= (m[l] ? 1u : 0u) << l;
    return bits;
#endif
}

/* table[index[l]] in each lane */
INLINE vf gather(const float *table, vi index)
{
#if defined(__AVX512F__)
    return (vf)_mm512_i32gather_ps((__m512i)index, table, 4);
#elif defined(__AVX2__)
    return (vf)_mm256_i32gather_ps(table, (__m256i)index, 4);
#else
    vf v;
    for (int l = 0; l < W; l++)
        v[l] = table[index[l]];
    return v;
#endif
}

/* ---- Math: correctly rounded sqrt, and Cephes' single-precision
 * polynomials (S. Moshier) for exp, log and sin/cos, ~1 ulp ---- */

INLINE vf vsqrt(vf x)
{
#if defined(__AVX512F__)
    return (vf)_mm512_sqrt_ps((__m512)x);
#elif defined(__AVX2__)
    return (vf)_mm256_sqrt_ps((__m256)x);
#elif defined(__SSE2__)
    return (vf)_mm_sqrt_ps((__m128)x);
#else
    for (int l = 0; l < W; l++)
        x[l] = sqrtf(x[l]);
    return x;
#endif
}

/* Round to the nearest integer (ties to even), for |x| < 2^22. */
INLINE vf vround(vf x)
{
    const vf magic = bf(12582912.0f); /* 1.5 * 2^23 */
    return (x + magic) - magic;
}

/* e^x; x below -87 gives e^-87, above 88 e^88; a NaN stays NaN. */
INLINE vf vexp(vf x)
{
    x = sel(x > bf(88.0f), bf(88.0f), x);
    x = sel(x < bf(-87.0f), bf(-87.0f), x);
    const vf k = vround(x * 1.44269504088896341f);
    const vf r = (x - k * 0.693359375f) + k * 2.12194440e-4f; /* x - k ln 2, exactly in two parts */
    const vf z = r * r;
    const vf y = (((((1.9875691500e-4f * r + 1.3981999507e-3f) * r + 8.3334519073e-3f) * r + 4.1665795894e-2f) * r +
                   1.6666665459e-1f) * r + 5.0000001201e-1f) * z + r + 1.0f;
    const vu n = (vu)__builtin_convertvector(k, vi) + 127u;
    return y * (vf)(n << 23);
}

INLINE vf vlogistic(vf x) { return 1.0f / (1.0f + vexp(-x)); }

/* log x for x in [2^-24, 1] (the Box-Muller radius's argument). */
INLINE vf vlog(vf x)
{
    const vi bits = (vi)x;
    vi e = ((bits >> 23) & 0xff) - 126;
    vf m = (vf)((bits & 0x007fffff) | 0x3f000000); /* x = m 2^e, m in [0.5, 1) */
    const vi small = m < bf(0.707106781186547524f);
    e = e + small; /* - 1 where small */
    m = sel(small, m + m, m) - 1.0f;
    const vf fe = __builtin_convertvector(e, vf);
    const vf z = m * m;
    vf y = ((((((((7.0376836292e-2f * m - 1.1514610310e-1f) * m + 1.1676998740e-1f) * m - 1.2420140846e-1f) * m +
                 1.4249322787e-1f) * m - 1.6668057665e-1f) * m + 2.0000714765e-1f) * m - 2.4999993993e-1f) * m +
          3.3333331174e-1f) * m * z;
    y = y + -2.12194440e-4f * fe;
    y = y - 0.5f * z;
    return (m + y) + 0.693359375f * fe;
}

/* sin and cos of 2 pi u, u in [0, 1): u = q / 4 + r exactly, |r| <= 1/8. */
INLINE void vsincos2pi(vf u, vf *sin_out, vf *cos_out)
{
    const vf q = vround(u * 4.0f);
    const vf x = (u - q * 0.25f) * 6.28318530717958648f;
    const vf z = x * x;
    const vf s = ((-1.9515295891e-4f * z + 8.3321608736e-3f) * z - 1.6666654611e-1f) * z * x + x;
    const vf c = ((2.443315711809948e-5f * z - 1.388731625493765e-3f) * z + 4.166664568298827e-2f) * z * z -
                 0.5f * z + 1.0f;
    const vi qi = __builtin_convertvector(q, vi) & 3;
    const vi swap = (qi & 1) != bi(0), neg_s = (qi & 2) != bi(0), neg_c = (qi == bi(1)) | (qi == bi(2));
    const vf S = sel(swap, c, s), C = sel(swap, s, c);
    *sin_out = sel(neg_s, -S, S);
    *cos_out = sel(neg_c, -C, C);
}

/* ---- Draws: Philox4x32-10 in lanes, as rp_rng_block32 ---- */

/* The low 32 bits of each 64-bit element of a times M, as 64-bit products:
 * one vpmuludq. Written with intrinsics where there are: GCC 12 lowers the
 * plain (a & 2^32 - 1) * M to a full 64 x 64 multiply (three vpmuludq and
 * their shifts and adds under AVX-512F, which has no vpmullq). */
INLINE vq2 mul32(vq2 a, uint32_t M)
{
#if defined(__AVX512F__)
    return (vq2)_mm512_mul_epu32((__m512i)a, _mm512_set1_epi64(M));
#elif defined(__AVX2__)
    return (vq2)_mm256_mul_epu32((__m256i)a, _mm256_set1_epi64x(M));
#elif defined(__SSE2__)
    return (vq2)_mm_mul_epu32((__m128i)a, _mm_set1_epi64x(M));
#else
    return (a & 0xffffffffu) * M;
#endif
}

/* hi and lo of M x in each lane, in 64-bit halves: a 64-bit element holds
 * lanes 2j (low word) and 2j + 1 (high word), and (x & 2^32 - 1) * M is the
 * one 32 x 32 -> 64 multiply (vpmuludq) per even lane, (x >> 32) * M per odd. */
INLINE void mulhilo(uint32_t M, vu x, vu *hi, vu *lo)
{
    const vq2 low = (vq2){0} + 0xffffffffu;
    const vq2 even = mul32((vq2)x, M), odd = mul32((vq2)x >> 32, M);
    *lo = (vu)((even & low) | (odd << 32));
    *hi = (vu)((even >> 32) | (odd & ~low));
}

/* The four outputs of the block of counter {c0, c1, c2, c3}, key {k0, k1}. */
INLINE void philox(uint32_t c0, uint32_t c1, vu c2, vu c3, uint32_t k0, uint32_t k1, vu out[4])
{
    vu x0 = (vu){0} + c0, x1 = (vu){0} + c1, x2 = c2, x3 = c3;
    for (int r = 0; r < 10; r++) {
        if (r) {
            k0 += 0x9E3779B9u;
            k1 += 0xBB67AE85u;
        }
        vu hi0, lo0, hi1, lo1;
        mulhilo(0xD2511F53u, x0, &hi0, &lo0);
        mulhilo(0xCD9E8D57u, x2, &hi1, &lo1);
        x0 = hi1 ^ x1 ^ k0;
        x1 = lo1;
        x2 = hi0 ^ x3 ^ k1;
        x3 = lo0;
    }
    out[0] = x0, out[1] = x1, out[2] = x2, out[3] = x3;
}

INLINE vf u24(vu x) { return __builtin_convertvector((vi)(x >> 8), vf) * 0x1.0p-24f; }

/* Poisson by inversion in double, lane by lane the loop of
 * rp_rng_poisson_inv_p0 below POISSON_DIRECT_MAX (rate < 30), in the lanes
 * of on; one half of the lanes (a register of doubles). */
INLINE vd poisson_half(vd lambda, vd p0, vd u, vl on)
{
    vd k = bd(0), p = p0, F = p0;
    vl go = on & (u >= F) & (lambda > bd(0));
    while (anyl(go)) {
        k = seld(go, k + 1.0, k);
        p = seld(go, p * (lambda / k), p);
        F = seld(go, F + p, F);
        go = go & (p != bd(0)) & (u >= F) & (k < bd(1000));
    }
    return k;
}

/* The count of every lane of on as a float (exact: counts stay below 1001). */
INLINE vf poisson(const vd lambda[2], const vd p0[2], vf u, vi on)
{
    const vf_halves uh = {u};
    const vi_halves oh = {on};
    vf_halves n;
    for (int h = 0; h < 2; h++)
        n.h[h] = __builtin_convertvector(poisson_half(lambda[h], p0[h], __builtin_convertvector(uh.h[h], vd),
                                                      __builtin_convertvector(oh.h[h], vl)),
                                         vfh);
    return n.v;
}

/* ---- The lanes ---- */

typedef struct {
    /* the pair's constants (rp_pair_consts) */
    vf d0, d1; /* felt distance with D = 0, 1 */
    vf abase, humility, rep0, rep1, erosion, dbase, response;
    vd lambda[2], p0[2]; /* lanes 0 .. H - 1, H .. W - 1 */
    vi big; /* rate >= 30 (or not a number): the count by rp_rng_poisson_inv_p0 */
    /* state at week t */
    vf A, T, S;
    vi D, t;
    /* what the outcomes count */
    vi discussed, ruptures, repairs;
    vf early_sum, trust_report;
    /* the pair's words of the Philox counter */
    vu agent_lo, agent_hi;
    int64_t pair[W]; /* -1: an empty lane */
} lanes;

/* The intake of the next pairs of a chunk, computed together: the pair's
 * constants (rp_engine_pair_init_with) and its state at intake
 * (rp_engine_intake), the same double operations in the same order, the
 * exponentials by the population's exp in vector registers (draw_vec.h: the
 * same bits as rp_engine_exp's). Reading the pairs' attributes in one pass
 * lets the processor overlap their cache misses, which one pair at a time,
 * at each lane's refill, it could not. */
#define BATCH RP_DRAWV_LANES
typedef struct {
    float d0[BATCH], d1[BATCH], abase[BATCH], humility[BATCH], rep0[BATCH], rep1[BATCH], erosion[BATCH];
    float dbase[BATCH], response[BATCH], A[BATCH], T[BATCH], S[BATCH];
    double lambda[BATCH], p0[BATCH];
    int64_t first; /* pairs first .. first + n - 1 */
    int n, next;   /* next: the next pair to load, from 0 */
} intake_batch;

static void intake_fill(intake_batch *b, const rp_engine_job *job, int64_t first, int n)
{
    const rp_params *p = job->p;
    const rp_population *pop = job->pop;
    const int D = p->discussion.policy == RP_DISCUSS_INTAKE;
    double x[BATCH] = {0}, e[BATCH], lambda[BATCH] = {0};
    for (int k = 0; k < n; k++) {
        const int64_t i = first + k;
        const rp_engine_provider *pj = &job->provider[job->provider_of[i]];
        const double h = pj->humility, dist = job->dist[i];
        const double distance = dist * (1.0 - p->humility.felt_distance * h);
        const double discussed_scale = 1.0 - p->discussion.effect * (1.0 - p->discussion.humility_share +
                                                                     p->discussion.humility_share * h);
        const double felt1 = distance * discussed_scale;
        const double alliance_base = p->alliance.beta0 + p->alliance.beta_skill * pj->skill +
                                     pop->alliance_trait[i];
        const double T = 1.0 - pop->mistrust[i];
        b->d0[k] = (float)distance;
        b->d1[k] = (float)felt1;
        b->abase[k] = (float)alliance_base;
        b->humility[k] = (float)h;
        b->rep0[k] = pj->repair_prob[0];
        b->rep1[k] = pj->repair_prob[1];
        b->erosion[k] = (float)(dist > p->trust.notice_distance ? p->trust.undiscussed_erosion * dist : 0.0);
        b->dbase[k] = (float)(p->dropout.base + p->dropout.barrier * pop->barrier[i] + pj->retention);
        b->response[k] = (float)pop->response[i];
        b->T[k] = (float)T;
        b->S[k] = (float)pop->symptoms0[i];
        lambda[k] = pop->stressor_rate[i];
        /* rp_alliance_target's argument; rp_logistic(y) = 1 / (1 + e^-y) */
        x[k] = -(alliance_base + p->alliance.beta_trust * (T - 0.5) -
                 p->alliance.beta_distance * (D ? felt1 : distance));
    }
    RP_DRAWV_NAME.exp(x, e, n);
    for (int k = 0; k < n; k++) {
        b->A[k] = (float)(1.0 / (1.0 + e[k]));
        b->lambda[k] = lambda[k];
        x[k] = -lambda[k];
    }
    RP_DRAWV_NAME.exp(x, b->p0, n);
    b->first = first;
    b->n = n;
    b->next = 0;
}

/* Put the batch's next pair in lane l. */
static void load(lanes *L, int l, const rp_engine_job *job, intake_batch *b)
{
    const rp_params *p = job->p;
    const int k = b->next++;
    const int64_t i = b->first + k;
    const int D = p->discussion.policy == RP_DISCUSS_INTAKE;
    L->d0[l] = b->d0[k];
    L->d1[l] = b->d1[k];
    L->abase[l] = b->abase[k];
    L->humility[l] = b->humility[k];
    L->rep0[l] = b->rep0[k];
    L->rep1[l] = b->rep1[k];
    L->erosion[l] = b->erosion[k];
    L->dbase[l] = b->dbase[k];
    L->response[l] = b->response[k];
    L->lambda[l / H][l % H] = b->lambda[k];
    L->p0[l / H][l % H] = b->p0[k];
    L->big[l] = !(b->lambda[k] < 30.0) ? -1 : 0;
    L->A[l] = b->A[k];
    L->T[l] = b->T[k];
    L->S[l] = b->S[k];
    L->D[l] = D ? -1 : 0; /* a lane mask */
    L->t[l] = 0;
    L->discussed[l] = D ? 0 : -1;
    L->ruptures[l] = 0;
    L->repairs[l] = 0;
    L->early_sum[l] = 0;
    L->trust_report[l] = p->report.ambivalence_week == 0 ? b->T[k] : NAN;
    L->agent_lo[l] = (uint32_t)i;
    L->agent_hi[l] = (uint32_t)((uint64_t)i >> 32);
    L->pair[l] = i;
    if (job->traj)
        rp_engine_record_state(job->traj, i - job->traj->first, p->horizon + 1, 0, L->A[l], L->T[l], L->S[l], D);
}

/* Whether a pair is left to load; the next batch computed when one is. */
static bool more(intake_batch *b, const rp_engine_job *job, int64_t end)
{
    if (b->next < b->n)
        return true;
    const int64_t first = b->first + b->n;
    if (first >= end)
        return false;
    intake_fill(b, job, first, end - first < BATCH ? (int)(end - first) : BATCH);
    return true;
}

/* The parameters of the step, in lanes. */
typedef struct {
    vf beta_trust, beta_distance, alliance_rate, alliance_noise;
    vf rupture_base, rupture_distance, rupture_low_alliance, repair_gain, rupture_loss;
    vf trust_rate, trust_rupture_loss, trust_repair_gain, patient_raises;
    vf s_max, s_rec, stressor_jump, s_noise;
    vf drop_low_alliance, drop_low_trust, drop_stressor;
    vi delayed, responsive; /* -1 under that discussion policy */
    vi discussion_week, course, horizon, report_week;
} coefs;

static coefs coefs_of(const rp_params *p)
{
    return (coefs){
        .beta_trust = bf((float)p->alliance.beta_trust),
        .beta_distance = bf((float)p->alliance.beta_distance),
        .alliance_rate = bf((float)p->alliance.rate),
        .alliance_noise = bf((float)p->alliance.noise),
        .rupture_base = bf((float)p->rupture.base),
        .rupture_distance = bf((float)p->rupture.distance),
        .rupture_low_alliance = bf((float)p->rupture.low_alliance),
        .repair_gain = bf((float)p->rupture.repair_gain),
        .rupture_loss = bf((float)p->rupture.loss),
        .trust_rate = bf((float)p->trust.rate),
        .trust_rupture_loss = bf((float)p->trust.rupture_loss),
        .trust_repair_gain = bf((float)p->trust.repair_gain),
        .patient_raises = bf((float)p->discussion.patient_raises),
        .s_max = bf((float)p->symptoms.max),
        .s_rec = bf((float)p->symptoms.recovered),
        .stressor_jump = bf((float)p->symptoms.stressor_jump),
        .s_noise = bf((float)p->symptoms.noise),
        .drop_low_alliance = bf((float)p->dropout.low_alliance),
        .drop_low_trust = bf((float)p->dropout.low_trust),
        .drop_stressor = bf((float)p->dropout.stressor),
        .delayed = bi(p->discussion.policy == RP_DISCUSS_DELAYED ? -1 : 0),
        .responsive = bi(p->discussion.policy == RP_DISCUSS_RESPONSIVE ? -1 : 0),
        .discussion_week = bi(p->discussion.week),
        .course = bi(p->course),
        .horizon = bi(p->horizon),
        .report_week = bi(p->report.ambivalence_week),
    };
}

INLINE vf clip(vf x)
{
    x = sel(x < bf(0.001f), bf(0.001f), x);
    return sel(x > bf(0.999f), bf(0.999f), x);
}

bool RP_FAST_NAME(const rp_engine_job *job, int64_t first, int64_t count, rp_engine_nan *nan)
{
    const rp_params *p = job->p;
    const coefs k = coefs_of(p);
    const uint32_t c0 = (uint32_t)job->key.stream, c1 = (uint32_t)(job->key.stream >> 32);
    const uint32_t k0 = (uint32_t)job->key.seed, k1 = (uint32_t)(job->key.seed >> 32);
    const int stride = p->horizon + 1;
    rp_trajectory *traj = job->traj;
    bool ok = true;

    lanes L;
    memset(&L, 0, sizeof L);
    const int64_t end = first + count;
    intake_batch batch = {.first = first, .n = 0, .next = 0};
    int active = 0;
    vi on = bi(0); /* -1 in lanes that hold a pair */
    for (int l = 0; l < W; l++) {
        L.pair[l] = -1;
        if (more(&batch, job, end)) {
            load(&L, l, job, &batch);
            on[l] = -1;
            active++;
        }
    }
    while (active > 0) {
        /* The draws (rp_engine_week_draws) */
        const vu c3 = L.agent_hi | (vu)L.t << 8;
        vu a[4], b[4];
        philox(c0, c1, L.agent_lo, c3 | (uint32_t)RP_PURPOSE_WEEK_A << 24, k0, k1, a);
        philox(c0, c1, L.agent_lo, c3 | (uint32_t)RP_PURPOSE_WEEK_B << 24, k0, k1, b);
        const vf u_discuss = u24(a[0]), u_stressor = u24(a[1]), u_rupture = u24(a[2]), u_repair = u24(a[3]);
        const vf u_responsive = u24(b[0]), u_dropout = u24(b[1]);
        vf sin_a, cos_a;
        vsincos2pi(u24(b[3]), &sin_a, &cos_a);
        const vf radius = vsqrt(-2.0f * vlog(1.0f - u24(b[2])));
        const vf z_alliance = radius * cos_a, z_symptoms = radius * sin_a;

        const vf early = gather(job->early_f, L.t);

        /* The step (rp_engine_week_step), in its order */
        const vf A0 = L.A, T0 = L.T;
        /* 1. Discussion */
        const vi D = L.D | (k.delayed & (L.t == k.discussion_week)) | (u_discuss < k.patient_raises * T0);
        /* 2. Stressors */
        vf N = poisson(L.lambda, L.p0, u_stressor, on & ~L.big);
        if (any(on & L.big))
            for (int l = 0; l < W; l++)
                if (on[l] && L.big[l])
                    N[l] = (float)rp_rng_poisson_inv_p0(L.lambda[l / H][l % H], L.p0[l / H][l % H], u_stressor[l]);
        /* 3. Rupture, and its repair */
        const vf d_eff = sel(D, L.d1, L.d0);
        const vi rupture =
            u_rupture < vlogistic(k.rupture_base + k.rupture_distance * d_eff + k.rupture_low_alliance * (1.0f - A0));
        const vi rep = rupture & (u_repair < sel(D, L.rep1, L.rep0));
        const vi unrep = rupture & ~rep;
        /* 4. Responsive discussion */
        const vi D_next = D | (k.responsive & unrep & ~D & (u_responsive < L.humility));
        /* 5. Alliance */
        const vf A_star = vlogistic(L.abase + k.beta_trust * (T0 - 0.5f) - k.beta_distance * d_eff);
        const vf A = clip(A0 + k.alliance_rate * (A_star - A0) + sel(rep, k.repair_gain, bf(0)) -
                          sel(unrep, k.rupture_loss, bf(0)) + k.alliance_noise * z_alliance);
        /* 6. Trust */
        const vf T = clip(T0 + k.trust_rate * (A - T0) - sel(unrep, k.trust_rupture_loss, bf(0)) +
                          sel(rep, k.trust_repair_gain, bf(0)) - sel(D, bf(0), L.erosion));
        /* 7. Symptoms */
        vf S = L.S - L.response * A * L.S + k.stressor_jump * N + k.s_noise * z_symptoms;
        S = sel(S < bf(0), bf(0), sel(S > k.s_max, k.s_max, S));
        /* 8. Exit at week t + 1, first match wins */
        const vi t1 = L.t + 1;
        const vi dropped = u_dropout < vlogistic(L.dbase + k.drop_low_alliance * (1.0f - A) +
                                                 k.drop_low_trust * (1.0f - T) + k.drop_stressor * N + early);
        const vi exit = seli(S < k.s_rec, bi(RP_EXIT_RECOVERED),
                             seli(t1 >= k.course, bi(RP_EXIT_COURSE),
                                  seli(dropped, bi(RP_EXIT_DROPPED),
                                       seli(t1 >= k.horizon, bi(RP_EXIT_CENSORED), bi(RP_EXIT_ENGAGED)))));

        /* What the outcomes count (simulate_pair's loop) */
        L.discussed = seli((L.discussed < 0) & D, L.t, L.discussed);
        L.discussed = seli((L.discussed < 0) & D_next, t1, L.discussed);
        L.ruptures -= rupture;
        L.repairs -= rep;
        L.early_sum = sel(t1 <= bi(3), L.early_sum + A, L.early_sum);
        L.trust_report = sel(t1 == k.report_week, T, L.trust_report);
        if (traj)
            for (int l = 0; l < W; l++)
                if (on[l]) {
                    const int64_t row = L.pair[l] - traj->first;
                    const rp_week_events ev = {D[l] & 1, (unsigned)(N[l] < 255 ? N[l] : 255), rupture[l] & 1,
                                               rep[l] & 1};
                    rp_engine_record_events(traj, row, stride, L.t[l], &ev);
                    rp_engine_record_state(traj, row, stride, t1[l], A[l], T[l], S[l], D_next[l] & 1);
                }
        L.A = A, L.T = T, L.S = S, L.D = D_next, L.t = t1;

        const vf sum = A + T + S;
        const vi is_nan = on & (sum != sum);
        const vi leaves = on & ((exit != bi(RP_EXIT_ENGAGED)) | is_nan);
        if (!any(leaves))
            continue;
        for (unsigned bits = lane_bits(leaves); bits; bits &= bits - 1) {
            const int l = __builtin_ctz(bits);
            const int64_t i = L.pair[l];
            if (is_nan[l]) {
                if (ok || i < nan->pair)
                    *nan = (rp_engine_nan){i, t1[l], rp_engine_nan_variable(A[l], T[l])};
                ok = false;
            } else {
                rp_engine_finish_pair(job, i,
                                      &(rp_pair_result){t1[l], (rp_exit_reason)exit[l], L.discussed[l],
                                                        L.ruptures[l], L.repairs[l], S[l], L.early_sum[l],
                                                        L.trust_report[l]});
            }
            if (more(&batch, job, end)) {
                load(&L, l, job, &batch);
            } else {
                L.pair[l] = -1;
                L.t[l] = 0;
                on[l] = 0;
                active--;
            }
        }
    }
    return ok;
}
