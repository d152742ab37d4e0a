/* rng.c - Philox4x64-10 streams and their gsl_rng_type; see rng.h. */
#include "rapport/rng.h"

#include "model/draw.h"

#include <limits.h>
#include <math.h>

#include <gsl/gsl_cdf.h>

/* State of a gsl_rng of type rp_rng_philox: a stream as the population
 * reads it (model/draw.h), the same outputs in the same order. */
typedef rp_stream philox_state;

static unsigned long philox_get(void *vstate) { return (unsigned long)rp_stream_bits(vstate); }

static double philox_get_double(void *vstate) { return rp_rng_u01(philox_get(vstate)); }

static void philox_set(void *vstate, unsigned long seed)
{
    rp_stream_open(vstate, (rp_rng_key){seed, 0}, 0, 0, 0);
}

static const gsl_rng_type philox_type = {
    "rp_philox4x64", 0xffffffffffffffffUL, 0, sizeof(philox_state),
    &philox_set,     &philox_get,          &philox_get_double};

const gsl_rng_type *rp_rng_philox = &philox_type;

void rp_rng_select(gsl_rng *r, rp_rng_key key, uint64_t purpose, uint64_t agent, uint64_t sub)
{
    rp_stream_open(r->state, key, purpose, agent, sub);
}

/* Below this rate, sum the probability mass upward from 0 (exp(-lambda) is
 * far from underflow and the expected number of terms is lambda + 1); above
 * it, start from the mode's exact CDF and walk whichever way u lies. */
#define POISSON_DIRECT_MAX 30.0
/* Up to here a count stays below UINT_MAX (2^32 - 1 is 4,600 sd above
 * 4e9); from here on the draw saturates at UINT_MAX. The scenario bounds
 * keep every rate below ~1.5e6 (paramtable.c, RATE_MAX). */
#define POISSON_INV_MAX 4e9

unsigned rp_rng_poisson_inv(double lambda, double u)
{
    return rp_rng_poisson_inv_p0(lambda, exp(-lambda), u);
}

unsigned rp_rng_poisson_inv_p0(double lambda, double exp_minus_lambda, double u)
{
    if (!(lambda > 0))
        return 0;
    if (lambda < POISSON_DIRECT_MAX) {
        double p = exp_minus_lambda, F = p;
        unsigned k = 0;
        while (u >= F && k < 1000) {
            k++;
            p *= lambda / k;
            F += p;
            if (p == 0)
                break;
        }
        return k;
    }
    if (!(lambda < POISSON_INV_MAX))
        return UINT_MAX;
    /* k is a double: exact for every count here, and no cast can wrap (an
     * unsigned k from floor(1e19) was undefined, from 4294967299 it was 3). */
    double k = floor(lambda);
    double F = gsl_cdf_poisson_P((unsigned)k, lambda);
    /* P(N = k) in Loader's (2000) saddle-point form: every term is small, so
     * it is exact to ~1e-15 for any k (k log(lambda) - lgamma(k + 1) lost
     * k log(lambda) x 1e-16 of it, 7e-6 at lambda = 3e9, and the walk's F
     * with it); k >= 30, where Stirling's series to k^-5 is exact to 3e-14. */
    const double stirlerr = (1.0 / 12 - (1.0 / 360 - 1.0 / (1260 * k * k)) / (k * k)) / k;
    double p = exp(k * log1p((lambda - k) / k) - (lambda - k) - 0.5 * log(6.283185307179586 * k) - stirlerr);
    if (u < F) { /* walk down: find the smallest k with F(k) > u */
        while (k > 0 && u < F - p) {
            F -= p;
            p *= k / lambda;
            k--;
        }
        return (unsigned)k;
    }
    while (u >= F && p > 0 && k < UINT_MAX) { /* walk up */
        k++;
        p *= lambda / k;
        F += p;
    }
    return (unsigned)k;
}
