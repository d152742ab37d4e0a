/* assign.c - assignment policies; see assign.h.
 *
 * Free providers are kept in "room lists": arrays of provider indices with
 * swap-removal and a position index, so taking a uniform member and removing
 * a full provider are O(1). One list holds every provider with room; under
 * same_group there is one more list per level of the matching dimension.
 */
#include "rapport/assign.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>

#include <gsl/gsl_randist.h>

#include "model/nearest.h"

typedef struct {
    int64_t *item; /* provider indices */
    int64_t *pos;  /* pos[j]: index of j in item, or -1 */
    int64_t n;
} room_list;

static int room_init(room_list *l, int64_t m)
{
    l->item = malloc((size_t)m * sizeof(int64_t));
    l->pos = malloc((size_t)m * sizeof(int64_t));
    l->n = 0;
    if (!l->item || !l->pos)
        return RP_ENOMEM;
    for (int64_t j = 0; j < m; j++)
        l->pos[j] = -1;
    return RP_OK;
}

static void room_free(room_list *l)
{
    free(l->item);
    free(l->pos);
}

static void room_add(room_list *l, int64_t j)
{
    l->pos[j] = l->n;
    l->item[l->n++] = j;
}

static void room_remove(room_list *l, int64_t j)
{
    int64_t at = l->pos[j];
    if (at < 0)
        return;
    int64_t last = l->item[--l->n];
    l->item[at] = last;
    l->pos[last] = at;
    l->pos[j] = -1;
}

static int64_t uniform_member(const room_list *l, gsl_rng *r, rp_rng_key key, int64_t patient)
{
    rp_rng_select(r, key, RP_PURPOSE_ASSIGN_CHOICE, (uint64_t)patient, 0);
    return l->item[gsl_rng_uniform_int(r, (unsigned long)l->n)];
}

int rp_assign(rp_population *pop, const rp_params *p, rp_rng_key key, int threads, const volatile sig_atomic_t *stop,
              int64_t *provider_of, double *dist, rp_error *err)
{
    const int64_t n = pop->n_patients, m = pop->n_providers;
    int64_t capacity = 0;
    for (int64_t j = 0; j < m; j++)
        capacity += pop->capacity[j];
    if (capacity < n)
        RP_FAIL(err, RP_EINVAL, "total caseload %lld is below the %lld patients",
                (long long)capacity, (long long)n);

    const bool by_level = p->assignment.policy == RP_ASSIGN_SAME_GROUP;
    const int mk = p->assignment.match_dim, n_levels = by_level ? p->culture.dims[mk].n_levels : 0;
    int status = RP_ENOMEM;
    int64_t *order = malloc((size_t)n * sizeof(int64_t));
    gsl_rng *r = gsl_rng_alloc(rp_rng_philox);
    room_list all = {0}, level[RP_MAX_LEVELS] = {{0}};
    rp_nearest *nearest = NULL;
    if (!order || !r || room_init(&all, m) != RP_OK)
        goto done;
    if (p->assignment.policy == RP_ASSIGN_MIN_DISTANCE && !(nearest = rp_nearest_build(pop, p)))
        goto done;
    for (int l = 0; l < n_levels; l++)
        if (room_init(&level[l], m) != RP_OK)
            goto done;

    for (int64_t j = 0; j < m; j++) {
        if (pop->capacity[j] <= 0)
            continue;
        room_add(&all, j);
        if (by_level)
            room_add(&level[(int)pop->provider_culture[j * pop->n_dims + mk]], j);
    }
    for (int64_t i = 0; i < n; i++)
        order[i] = i;
    rp_rng_select(r, key, RP_PURPOSE_ASSIGN_ORDER, 0, 0);
    gsl_ran_shuffle(r, order, (size_t)n, sizeof(int64_t));

    for (int64_t a = 0; a < n; a++) {
        if (stop && a % 4096 == 0 && *stop) {
            status = RP_EINTR;
            goto done;
        }
        int64_t i = order[a], j;
        if (p->assignment.policy == RP_ASSIGN_MIN_DISTANCE) {
            j = rp_nearest_query(nearest, &pop->patient_culture[i * pop->n_dims]);
        } else {
            const room_list *from = &all;
            if (by_level) {
                const room_list *mine = &level[(int)pop->patient_culture[i * pop->n_dims + mk]];
                if (mine->n > 0)
                    from = mine;
            }
            j = uniform_member(from, r, key, i);
        }
        provider_of[i] = j;
        if (--pop->capacity[j] == 0) {
            room_remove(&all, j);
            if (nearest)
                rp_nearest_remove(nearest, j);
            if (by_level)
                room_remove(&level[(int)pop->provider_culture[j * pop->n_dims + mk]], j);
        }
    }
    /* Distances in pair order, in parallel: cache-friendly, unlike the
     * random order of assignment. */
#pragma omp parallel for schedule(static) num_threads(threads)
    for (int64_t i = 0; i < n; i++)
        dist[i] = rp_population_distance(p, &pop->patient_culture[i * pop->n_dims],
                                         &pop->provider_culture[provider_of[i] * pop->n_dims]);
    status = RP_OK;
done:
    rp_nearest_free(nearest);
    for (int l = 0; l < n_levels; l++)
        room_free(&level[l]);
    room_free(&all);
    gsl_rng_free(r);
    free(order);
    if (status == RP_EINTR)
        RP_FAIL(err, status, "interrupted while assigning %lld patients to providers", (long long)n);
    if (status != RP_OK)
        RP_FAIL(err, status, "out of memory while assigning %lld patients", (long long)n);
    return RP_OK;
}
