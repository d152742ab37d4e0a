/* nearest_unit.c - the provider index of min_distance assignment (sim/model/nearest.h)
 * against the plain scan it replaces: for every query, the free provider with
 * the smallest rp_population_distance, ties to the lowest index. Random
 * populations of every shape (categorical only, continuous only, mixed,
 * coordinates on a coarse grid so that distances tie and boxes collapse, one
 * provider, providers without capacity), with providers filling up and
 * leaving the index between queries; fixed seeds. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/nearest.h"
#include "rapport/scenario.h"
#include "testing.h"

static uint64_t state;
static rp_params defaults; /* rp_scenario_defaults, read once */

static double uniform(void) /* xorshift64*: the test's own numbers */
{
    state ^= state >> 12, state ^= state << 25, state ^= state >> 27;
    return (double)((state * 2685821657736338717ull) >> 11) * 0x1.0p-53;
}

typedef struct {
    const char *name;
    int n_cat, n_cont, levels;
    double grid; /* > 0: continuous values rounded to multiples of it */
} shape;

static double draw_value(const shape *s, int k)
{
    if (k < s->n_cat)
        return floor(uniform() * s->levels);
    double x = uniform();
    return s->grid > 0 ? round(x / s->grid) * s->grid : x;
}

/* The scan nearest.h promises to equal. */
static int64_t scan(const rp_params *p, const rp_population *pop, const int64_t *left, const double *c)
{
    double best = INFINITY;
    int64_t best_j = -1;
    for (int64_t j = 0; j < pop->n_providers; j++) {
        if (left[j] <= 0)
            continue;
        double d = rp_population_distance(p, c, &pop->provider_culture[j * pop->n_dims]);
        if (d < best || (d == best && j < best_j))
            best = d, best_j = j;
    }
    return best_j;
}

/* One population: returns the number of queries that differed from the scan. */
static int64_t trial(const shape *s, int64_t m, int max_capacity, int64_t *queries)
{
    rp_params p = defaults; /* a random culture over the library's defaults */
    p.culture.n_dims = s->n_cat + s->n_cont;
    for (int k = 0; k < p.culture.n_dims; k++) {
        p.culture.dims[k].kind = k < s->n_cat ? RP_DIM_CATEGORICAL : RP_DIM_CONTINUOUS;
        p.culture.dims[k].n_levels = k < s->n_cat ? s->levels : 0;
        p.culture.dims[k].weight = 0.2 + uniform();
    }
    const int K = p.culture.n_dims;
    rp_population pop = {.n_providers = m, .n_dims = K};
    pop.provider_culture = malloc((size_t)(m * K) * sizeof(double));
    pop.capacity = malloc((size_t)m * sizeof(int64_t));
    int64_t *left = malloc((size_t)m * sizeof(int64_t)), total = 0;
    for (int64_t j = 0; j < m; j++) {
        for (int k = 0; k < K; k++)
            pop.provider_culture[j * K + k] = draw_value(s, k);
        pop.capacity[j] = left[j] = (int64_t)floor(uniform() * (max_capacity + 1));
        total += left[j];
    }
    rp_nearest *nn = rp_nearest_build(&pop, &p);
    int64_t wrong = 0;
    double c[RP_MAX_DIMS];
    for (int64_t q = 0; q <= total; q++) { /* the last query finds nobody free */
        for (int k = 0; k < K; k++)
            c[k] = draw_value(s, k);
        const int64_t want = scan(&p, &pop, left, c), got = rp_nearest_query(nn, c);
        if (got != want) {
            if (wrong++ == 0)
                printf("  %s, %lld providers, query %lld: index gives %lld, scan %lld\n", s->name, (long long)m,
                       (long long)q, (long long)got, (long long)want);
            break;
        }
        if (want >= 0 && --left[want] == 0)
            rp_nearest_remove(nn, want);
        (*queries)++;
    }
    rp_nearest_free(nn);
    free(pop.provider_culture);
    free(pop.capacity);
    free(left);
    return wrong;
}

int main(void)
{
    rp_error err = {{0}};
    if (rp_scenario_defaults(1, 1, &defaults, &err) != RP_OK) {
        printf("FAIL defaults: %s\n", err.msg);
        return 1;
    }
    const shape shapes[] = {
        {"reference (2 categorical, 2 continuous)", 2, 2, 4, 0},
        {"continuous only (3)", 0, 3, 0, 0},
        {"categorical only (3, 3 levels: ties everywhere)", 3, 0, 3, 0},
        {"mixed on a 0.25 grid (ties, collapsed boxes)", 1, 2, 2, 0.25},
        {"continuous on a 0.5 grid", 0, 2, 0, 0.5},
        {"one categorical of 16 levels, 1 continuous", 1, 1, 16, 0},
        {"12 dimensions", 6, 6, 3, 0},
    };
    const int64_t sizes[] = {1, 2, 9, 40, 300, 2000};
    for (size_t si = 0; si < sizeof shapes / sizeof shapes[0]; si++) {
        state = 0x9e3779b97f4a7c15ull + si;
        int64_t wrong = 0, queries = 0;
        for (size_t mi = 0; mi < sizeof sizes / sizeof sizes[0]; mi++)
            for (int rep = 0; rep < (sizes[mi] < 300 ? 20 : 2); rep++)
                wrong += trial(&shapes[si], sizes[mi], 1 + rep % 4, &queries);
        CHECK(wrong == 0 && queries > 1000, "%s: %lld queries equal to the scan", shapes[si].name,
              (long long)queries);
    }
    return rp_test_done();
}
