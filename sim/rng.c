/* rng.c - Philox4x64-10 streams and their gsl_rng_type; see rng.h. */
#include "rapport/rng.h"

#include <math.h>

#include <gsl/gsl_cdf.h>

/* State of a gsl_rng of type rp_rng_philox: the stream, the next block's
 * index, and the unread outputs of the current block. */
typedef struct {
    rp_rng_key key;
    uint64_t purpose, agent, sub;
    uint64_t next_block;
    uint64_t buf[4];
    int pos; /* next unread element of buf; 4 = empty */
} philox_state;

static unsigned long philox_get(void *vstate)
{
    philox_state *s = vstate;
    if (s->pos == 4) {
        rp_rng_block(s->key, s->purpose, s->agent, s->sub, s->next_block++, s->buf);
        s->pos = 0;
    }
    return (unsigned long)s->buf[s->pos++];
}

static double philox_get_double(void *vstate) { return rp_rng_u01(philox_get(vstate)); }

static void philox_set(void *vstate, unsigned long seed)
{
    philox_state *s = vstate;
    *s = (philox_state){.key = {seed, 0}, .pos = 4};
}

static const gsl_rng_type philox_type = {
    "rp_philox4x64", 0xffffffffffffffffUL, 0, sizeof(philox_state),
    &philox_set,     &philox_get,          &philox_get_double};

const gsl_rng_type *rp_rng_philox = &philox_type;

void rp_rng_select(gsl_rng *r, rp_rng_key key, uint64_t purpose, uint64_t agent, uint64_t sub)
{
    philox_state *s = r->state;
    *s = (philox_state){.key = key, .purpose = purpose, .agent = agent, .sub = sub, .pos = 4};
}

/* Below this rate, sum the probability mass upward from 0 (exp(-lambda) is
 * far from underflow and the expected number of terms is lambda + 1); above
 * it, start from the mode's exact CDF and walk whichever way u lies. */
#define POISSON_DIRECT_MAX 30.0

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
    unsigned k = (unsigned)floor(lambda);
    double F = gsl_cdf_poisson_P(k, lambda);
    double p = exp(k * log(lambda) - lambda - lgamma(k + 1.0));
    if (u < F) { /* walk down: find the smallest k with F(k) > u */
        while (k > 0 && u < F - p) {
            F -= p;
            p *= k / lambda;
            k--;
        }
        return k;
    }
    while (u >= F && p > 0) { /* walk up */
        k++;
        p *= lambda / k;
        F += p;
    }
    return k;
}
