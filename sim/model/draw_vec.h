/* draw_vec.h - the population's double-precision arithmetic on the
 * RP_DRAW_LANES lanes of rp_draw_lanes (draw.c), in vector registers.
 *
 * draw_vec.c is built once per instruction set, like engine_fast.c
 * (CMakeLists.txt): rp_drawv_scalar (SSE2 on x86-64), rp_drawv_avx2 and
 * rp_drawv_avx512; and once more as rp_drawv_one, a lane at a time, for
 * callers of one value (rp_draw_exp and the like). Every function is IEEE +, -, *, /, sqrt, comparisons and
 * bit operations in one fixed order, built with -ffp-contract=off: the three
 * give the same bits, so a population never depends on the machine (nor on
 * which libm the machine has). log and exp are fdlibm's polynomials (Sun,
 * 1993; under 1 ulp), the normal inversion Wichura's AS 241 on every lane.
 */
#ifndef RP_DRAW_VEC_H
#define RP_DRAW_VEC_H

#include <stdint.h>

#define RP_DRAWV_LANES 64 /* = RP_DRAW_LANES (draw.c checks) */

/* Each function works on lanes l < n, n <= RP_DRAWV_LANES, in whole
 * registers: it reads and writes lanes up to the next multiple of its width,
 * so every array holds RP_DRAWV_LANES values. */
typedef struct {
    /* x[l] = Phi^-1(p[l]), p[l] in (0, 1); -inf at p <= 0, +inf at p >= 1 */
    void (*normal_inv)(const double *p, double *x, int n);
    /* y[l] = log(x[l]): x >= 0 (subnormals included), log 0 = -inf */
    void (*log)(const double *x, double *y, int n);
    /* y[l] = exp(x[l]): 0 below -708.39 (no subnormal results), inf above 709.78 */
    void (*exp)(const double *x, double *y, int n);
    /* One try of Marsaglia & Tsang (2000) on normal x and uniform u with
     * d = shape - 1/3, c = 1 / sqrt(9 d): ok[l] = 1 and g[l] = d v^3 if it
     * accepts (the squeeze, or the test in logarithms), else ok[l] = 0. */
    void (*gamma_try)(const double *d, const double *c, const double *x, const double *u, double *g,
                      int64_t *ok, int n);
    /* out[w][l] = word w of Philox4x32-10's block of key {k0, k1} and
     * counter {c0, c1, c2[l], c3[l]}: rp_rng_block32's words (rng.h) */
    void (*philox32)(uint32_t k0, uint32_t k1, uint32_t c0, uint32_t c1, const uint32_t *c2, const uint32_t *c3,
                     uint32_t out[4][RP_DRAWV_LANES], int n);
    /* p[l] = (x[l] + 1/2) 2^-32, in (0, 1): a uniform from a 32-bit word */
    void (*open01)(const uint32_t *x, double *p, int n);
} rp_drawv;

extern const rp_drawv rp_drawv_scalar, rp_drawv_avx2, rp_drawv_avx512, rp_drawv_one;

#endif
