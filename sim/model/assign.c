/* assign.c - assignment policies; see assign.h.
 *
 * Free providers are kept in "room lists": arrays of provider indices with
 * swap-removal and a position index, so taking a uniform member and removing
 * a full provider are O(1). One list holds every provider with room; under
 * same_group there is one more list per level of the matching dimension.
 *
 * The draws are those of gsl_ran_shuffle and gsl_rng_uniform_int on
 * rapport's streams, bit for bit, but their Philox blocks are computed ahead,
 * in parallel (they are counter-based: output t of a stream is word t % 4 of
 * block t / 4), so that only the index arithmetic, which depends on what went
 * before, stays serial.
 */
#include "rapport/assign.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>

#include <gsl/gsl_rng.h>

#include "model/draw.h"
#include "model/memory.h"
#include "model/nearest.h"

typedef struct {
    int64_t *item; /* provider indices */
    int64_t *pos;  /* pos[j]: index of j in item, or -1 */
    int64_t n;
    uint64_t scale; /* gsl_rng_uniform_int's divisor for n: (2^64 - 1) / n */
    uint64_t inv;   /* (2^64 - 1) / scale: x / scale by a multiplication (quotient) */
} room_list;

/* gsl_rng_uniform_int(r, n) on a generator of range [0, 2^64 - 1], as GSL
 * computes it: k = x / ((2^64 - 1) / n), drawn again while k >= n. */
static inline void set_scale(room_list *l)
{
    l->scale = l->n ? UINT64_MAX / (uint64_t)l->n : 1;
    l->inv = UINT64_MAX / l->scale;
}

/* x / scale exactly, given inv = (2^64 - 1) / scale: the high half of
 * x inv is at most 2 below the quotient, and the remainder says how much. */
__extension__ typedef unsigned __int128 u128;
static inline uint64_t quotient(uint64_t x, uint64_t scale, uint64_t inv)
{
    uint64_t q = (uint64_t)(((u128)x * inv) >> 64), r = x - q * scale;
    while (r >= scale) {
        q++;
        r -= scale;
    }
    return q;
}

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
    set_scale(l);
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
    set_scale(l);
}

/* A uniform member for patient i, whose stream's first output is x; the
 * stream itself only when GSL would have drawn again (k >= n, a chance
 * below n / 2^64). */
static int64_t uniform_member(const room_list *l, uint64_t x, gsl_rng *r, rp_rng_key key, int64_t patient)
{
    const uint64_t k = quotient(x, l->scale, l->inv);
    if (k < (uint64_t)l->n)
        return l->item[k];
    rp_rng_select(r, key, RP_PURPOSE_ASSIGN_CHOICE, (uint64_t)patient, 0);
    return l->item[gsl_rng_uniform_int(r, (unsigned long)l->n)];
}

/* Outputs t0 .. t0 + count - 1 of stream (purpose, 0, 0), in parallel. */
static void stream_outputs(rp_rng_key key, uint64_t purpose, uint64_t t0, int64_t count, uint64_t *out,
                           int threads)
{
#pragma omp parallel for schedule(static) num_threads(threads)
    for (int64_t b = (int64_t)(t0 / 4); b <= (int64_t)((t0 + (uint64_t)count - 1) / 4); b++) {
        uint64_t v[4];
        rp_rng_block(key, purpose, 0, 0, (uint64_t)b, v);
        for (int w = 0; w < 4; w++) {
            const uint64_t t = (uint64_t)b * 4 + (uint64_t)w;
            if (t >= t0 && t < t0 + (uint64_t)count)
                out[t - t0] = v[w];
        }
    }
}

/* gsl_ran_shuffle(r, order, n, sizeof *order) with r on stream
 * (ASSIGN_ORDER, 0, 0): for i = n - 1 down to 1, swap i with
 * gsl_rng_uniform_int(r, i + 1). Step t (i = n - 1 - t) reads output t
 * unless an earlier step drew again, so its quotient x_t / ((2^64 - 1) /
 * (i + 1)) is computed ahead, in parallel, into `bits`; after a rejection (a
 * chance below n / 2^64 a step) the outputs come from the stream. */
static void shuffle(int64_t *order, int64_t n, rp_rng_key key, uint64_t *bits, int threads)
{
    if (n < 2)
        return;
    const int64_t ahead = n - 1;
    stream_outputs(key, RP_PURPOSE_ASSIGN_ORDER, 0, ahead, bits, threads);
#pragma omp parallel for schedule(static) num_threads(threads)
    for (int64_t t = 0; t < ahead; t++)
        bits[t] /= UINT64_MAX / (uint64_t)(n - t);
    int64_t t = 0;        /* the next output of the stream */
    bool shifted = false; /* whether a step drew again, so that bits no longer line up */
    for (int64_t i = n - 1; i > 0; i--) {
        const uint64_t range = (uint64_t)i + 1;
        uint64_t k = shifted ? range : bits[t];
        if (k < range) {
            t++;
        } else { /* draw as GSL does, from the stream */
            if (!shifted)
                t++; /* output t was read and rejected */
            shifted = true;
            do {
                uint64_t v[4];
                rp_rng_block(key, RP_PURPOSE_ASSIGN_ORDER, 0, 0, (uint64_t)t / 4, v);
                k = v[t % 4] / (UINT64_MAX / range);
                t++;
            } while (k >= range);
        }
        const int64_t tmp = order[i];
        order[i] = order[k];
        order[k] = tmp;
    }
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
    int64_t *order = rp_big_alloc((size_t)n * sizeof(int64_t));
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
#pragma omp parallel for schedule(static) num_threads(threads)
    for (int64_t i = 0; i < n; i++)
        order[i] = i;
    /* dist is scratch until the distances are computed at the end: first
     * the shuffle's outputs, then each patient's choice in the order taken. */
    uint64_t *bits = (uint64_t *)dist;
    shuffle(order, n, key, bits, threads);

    const bool uniform = p->assignment.policy != RP_ASSIGN_MIN_DISTANCE;
    const int nk = pop->n_dims;
    /* The serial loop below reads in sequence, not at random: each
     * patient's draw (bits[a]) and under same_group level (level_of[a]),
     * gathered ahead in parallel in the order patients are taken; it writes
     * its choice over bits[a], scattered into provider_of in parallel after. */
    int64_t *level_of = provider_of;
    if (uniform) {
        /* The first output of stream (ASSIGN_CHOICE, i) of every patient, in
         * parallel, into provider_of in patient order, then gathered. */
        uint64_t *choice = (uint64_t *)provider_of;
        const int64_t n_chunks = rp_draw_chunks(n);
#pragma omp parallel num_threads(threads)
        {
#pragma omp for schedule(static)
            for (int64_t c = 0; c < n_chunks; c++) {
                int64_t i0;
                const int nl = rp_draw_chunk(n, c, &i0);
                uint64_t b[RP_DRAW_LANES][4];
                rp_draw_block0(key, RP_PURPOSE_ASSIGN_CHOICE, i0, nl, 0, b);
                for (int l = 0; l < nl; l++)
                    choice[i0 + l] = b[l][0];
            }
#pragma omp for schedule(static)
            for (int64_t a = 0; a < n; a++)
                bits[a] = choice[order[a]];
            /* the choices gathered, provider_of is scratch for the levels */
            if (by_level) {
#pragma omp for schedule(static)
                for (int64_t a = 0; a < n; a++)
                    level_of[a] = (int64_t)pop->patient_culture[order[a] * nk + mk];
            }
        }
    }

    for (int64_t a = 0; a < n; a++) {
        if (stop && a % 4096 == 0 && *stop) {
            status = RP_EINTR;
            goto done;
        }
        const int64_t i = order[a];
        int64_t j;
        if (!uniform) {
            j = rp_nearest_query(nearest, &pop->patient_culture[i * nk]);
        } else {
            const room_list *from = &all;
            if (by_level) {
                const room_list *mine = &level[level_of[a]];
                if (mine->n > 0)
                    from = mine;
            }
            j = uniform_member(from, bits[a], r, key, i);
        }
        bits[a] = (uint64_t)j;
        if (--pop->capacity[j] == 0) {
            room_remove(&all, j);
            if (nearest)
                rp_nearest_remove(nearest, j);
            if (by_level)
                room_remove(&level[(int)pop->provider_culture[j * nk + mk]], j);
        }
    }
#pragma omp parallel for schedule(static) num_threads(threads)
    for (int64_t a = 0; a < n; a++)
        provider_of[order[a]] = (int64_t)bits[a];
    /* Distances in pair order, in parallel: cache-friendly, unlike the
     * random order of assignment. */
    rp_population_distances(p, pop, provider_of, threads, dist);
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
