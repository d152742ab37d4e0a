/* nearest.c - nearest free provider by cells and k-d trees; see nearest.h. */
#include "model/nearest.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>

#define LEAF 8       /* providers per leaf, at most (unless all at one point) */
#define SLACK 1e-9   /* prune only nodes farther than the best by this much (relative) */
#define TINY 1e-250  /* ... and absolute, for a best distance of 0 */

typedef struct {
    int64_t lo, hi;      /* its providers: perm[lo .. hi) */
    int64_t left, right; /* children; -1 for a leaf */
    int64_t free;        /* providers in it still free */
} node;

typedef struct {
    int64_t lo, hi;   /* its providers in perm: by index, then in k-d order */
    int64_t root;     /* its k-d tree, or -1 without continuous dimensions */
    int64_t cursor;   /* without a tree: no free provider before perm[cursor] */
    int64_t free;
    double level[RP_MAX_DIMS]; /* its value on each categorical dimension */
} cell;

typedef struct {
    double cat; /* categorical part of the distance numerator */
    int64_t cell;
} ranked_cell;

struct rp_nearest {
    const rp_population *pop;
    rp_metric metric; /* the distance, its weights read once */
    int n_cat, n_cont;
    int cat_dim[RP_MAX_DIMS], cont_dim[RP_MAX_DIMS];
    double cat_w[RP_MAX_DIMS], cont_w[RP_MAX_DIMS], den;
    int64_t *perm;    /* indexed providers, cell by cell */
    int64_t *pos;     /* pos[j]: j's place in perm, -1 when not indexed */
    int64_t *cell_of; /* by provider */
    bool *removed;    /* by provider */
    node *nodes;
    double *box;      /* node k: lows at box[2k n_cont], highs after them */
    int64_t n_nodes, n_cells;
    cell *cells;
    ranked_cell *ranked; /* scratch of a query */
};

typedef struct {
    double d, num; /* distance, and its numerator num = d^2 x sum of weights */
    int64_t j;
} best_so_far;

static double coord(const rp_nearest *nn, int64_t j, int c)
{
    return nn->pop->provider_culture[j * nn->pop->n_dims + nn->cont_dim[c]];
}

static bool prunable(double bound, const best_so_far *b)
{
    return bound > b->num * (1 + SLACK) + TINY;
}

/* ---- building ---- */

typedef struct {
    uint64_t key; /* the provider's categorical levels, 4 bits each */
    int64_t j;
} keyed;

static int by_key_then_index(const void *a, const void *b)
{
    const keyed *x = a, *y = b;
    if (x->key != y->key)
        return x->key < y->key ? -1 : 1;
    return (x->j > y->j) - (x->j < y->j);
}

/* Reorder perm[lo .. hi) so that perm[mid] has the coordinate c it would
 * have if sorted, nothing above it before it and nothing below it after it
 * (quickselect with three-way partitions: equal coordinates cost nothing). */
static void select_nth(const rp_nearest *nn, int64_t lo, int64_t hi, int64_t mid, int c)
{
    int64_t *v = nn->perm;
    while (hi - lo > 1) {
        double a = coord(nn, v[lo], c), b = coord(nn, v[lo + (hi - lo) / 2], c), z = coord(nn, v[hi - 1], c);
        double pivot = fmax(fmin(a, b), fmin(fmax(a, b), z)); /* median of three */
        int64_t lt = lo, i = lo, gt = hi;
        while (i < gt) {
            double x = coord(nn, v[i], c);
            int64_t t = v[i];
            if (x < pivot)
                v[i++] = v[lt], v[lt++] = t;
            else if (x > pivot)
                v[i] = v[--gt], v[gt] = t;
            else
                i++;
        }
        if (mid < lt)
            hi = lt;
        else if (mid >= gt)
            lo = gt;
        else
            return;
    }
}

/* The box of node id: the bounds of the free providers in perm[lo .. hi). */
static void fit_box(rp_nearest *nn, int64_t id, int64_t lo, int64_t hi)
{
    double *blo = &nn->box[2 * id * nn->n_cont], *bhi = blo + nn->n_cont;
    for (int c = 0; c < nn->n_cont; c++)
        blo[c] = INFINITY, bhi[c] = -INFINITY;
    for (int64_t k = lo; k < hi; k++) {
        if (nn->removed[nn->perm[k]])
            continue;
        for (int c = 0; c < nn->n_cont; c++) {
            double x = coord(nn, nn->perm[k], c);
            blo[c] = fmin(blo[c], x), bhi[c] = fmax(bhi[c], x);
        }
    }
}

/* Node over perm[lo .. hi): its box, and children split at the middle of
 * the widest (weighted) continuous dimension. */
static int64_t build_tree(rp_nearest *nn, int64_t lo, int64_t hi)
{
    const int64_t id = nn->n_nodes++;
    fit_box(nn, id, lo, hi);
    const double *blo = &nn->box[2 * id * nn->n_cont], *bhi = blo + nn->n_cont;
    int widest = 0;
    double spread = 0;
    for (int c = 0; c < nn->n_cont; c++)
        if (nn->cont_w[c] * (bhi[c] - blo[c]) > spread)
            spread = nn->cont_w[c] * (bhi[c] - blo[c]), widest = c;
    nn->nodes[id] = (node){lo, hi, -1, -1, hi - lo};
    if (hi - lo <= LEAF || spread == 0) /* small, or every provider at one point */
        return id;
    const int64_t mid = lo + (hi - lo) / 2;
    select_nth(nn, lo, hi, mid, widest);
    int64_t left = build_tree(nn, lo, mid), right = build_tree(nn, mid, hi);
    nn->nodes[id].left = left, nn->nodes[id].right = right;
    return id;
}

/* Nodes a tree over n providers can need at most. */
static int64_t tree_nodes(int64_t n)
{
    return n <= LEAF ? 1 : 1 + tree_nodes(n / 2) + tree_nodes(n - n / 2);
}

rp_nearest *rp_nearest_build(const rp_population *pop, const rp_params *p)
{
    rp_nearest *nn = calloc(1, sizeof *nn);
    if (!nn)
        return NULL;
    nn->pop = pop;
    nn->metric = rp_metric_of(p);
    for (int k = 0; k < p->culture.n_dims; k++) {
        const rp_dimension *dim = &p->culture.dims[k];
        if (dim->kind == RP_DIM_CATEGORICAL)
            nn->cat_dim[nn->n_cat] = k, nn->cat_w[nn->n_cat++] = dim->weight;
        else
            nn->cont_dim[nn->n_cont] = k, nn->cont_w[nn->n_cont++] = dim->weight;
        nn->den += dim->weight;
    }
    const int64_t m = pop->n_providers, nd = pop->n_dims;
    const size_t mm = m > 0 ? (size_t)m : 1; /* malloc(0) may give NULL */
    keyed *keys = malloc(mm * sizeof *keys);
    nn->perm = malloc(mm * sizeof(int64_t));
    nn->pos = malloc(mm * sizeof(int64_t));
    nn->cell_of = malloc(mm * sizeof(int64_t));
    nn->removed = calloc(mm, sizeof(bool));
    if (!keys || !nn->perm || !nn->pos || !nn->cell_of || !nn->removed) {
        free(keys);
        rp_nearest_free(nn);
        return NULL;
    }
    int64_t n = 0;
    for (int64_t j = 0; j < m; j++) {
        nn->pos[j] = -1;
        if (pop->capacity[j] <= 0)
            continue;
        uint64_t key = 0;
        for (int c = 0; c < nn->n_cat; c++) /* levels < RP_MAX_LEVELS = 16 */
            key = key << 4 | (uint64_t)pop->provider_culture[j * nd + nn->cat_dim[c]];
        keys[n++] = (keyed){key, j};
    }
    qsort(keys, (size_t)n, sizeof *keys, by_key_then_index);
    int64_t cells = 0, nodes = 0;
    for (int64_t k = 0, start = 0; k < n; k++) {
        nn->perm[k] = keys[k].j;
        if (k + 1 == n || keys[k + 1].key != keys[k].key) {
            cells++;
            nodes += nn->n_cont ? tree_nodes(k + 1 - start) : 0;
            start = k + 1;
        }
    }
    nn->cells = malloc((size_t)(cells > 0 ? cells : 1) * sizeof *nn->cells);
    nn->ranked = malloc((size_t)(cells > 0 ? cells : 1) * sizeof *nn->ranked);
    nn->nodes = malloc((size_t)(nodes > 0 ? nodes : 1) * sizeof *nn->nodes);
    nn->box = malloc((size_t)(nodes > 0 ? nodes : 1) * 2 * (size_t)(nn->n_cont ? nn->n_cont : 1) * sizeof(double));
    if (!nn->cells || !nn->ranked || !nn->nodes || !nn->box) {
        free(keys);
        rp_nearest_free(nn);
        return NULL;
    }
    for (int64_t k = 0, start = 0; k < n; k++) {
        if (k + 1 < n && keys[k + 1].key == keys[k].key)
            continue;
        cell *cl = &nn->cells[nn->n_cells];
        *cl = (cell){start, k + 1, -1, start, k + 1 - start, {0}};
        for (int c = 0; c < nn->n_cat; c++)
            cl->level[c] = pop->provider_culture[keys[start].j * nd + nn->cat_dim[c]];
        if (nn->n_cont)
            cl->root = build_tree(nn, start, k + 1);
        for (int64_t q = start; q <= k; q++) {
            nn->pos[nn->perm[q]] = q;
            nn->cell_of[nn->perm[q]] = nn->n_cells;
        }
        nn->n_cells++;
        start = k + 1;
    }
    free(keys);
    return nn;
}

void rp_nearest_free(rp_nearest *nn)
{
    if (!nn)
        return;
    free(nn->perm);
    free(nn->pos);
    free(nn->cell_of);
    free(nn->removed);
    free(nn->nodes);
    free(nn->box);
    free(nn->cells);
    free(nn->ranked);
    free(nn);
}

/* The box of node id shrunk to its free providers (a leaf) or to its
 * children's boxes that still hold any (an inner node). */
static void shrink_box(rp_nearest *nn, int64_t id)
{
    const node *nd = &nn->nodes[id];
    if (nd->left < 0) {
        fit_box(nn, id, nd->lo, nd->hi);
        return;
    }
    double *blo = &nn->box[2 * id * nn->n_cont], *bhi = blo + nn->n_cont;
    for (int c = 0; c < nn->n_cont; c++)
        blo[c] = INFINITY, bhi[c] = -INFINITY;
    const int64_t child[2] = {nd->left, nd->right};
    for (int h = 0; h < 2; h++) {
        if (nn->nodes[child[h]].free == 0)
            continue;
        const double *clo = &nn->box[2 * child[h] * nn->n_cont], *chi = clo + nn->n_cont;
        for (int c = 0; c < nn->n_cont; c++)
            blo[c] = fmin(blo[c], clo[c]), bhi[c] = fmax(bhi[c], chi[c]);
    }
}

void rp_nearest_remove(rp_nearest *nn, int64_t j)
{
    if (j < 0 || j >= nn->pop->n_providers || nn->pos[j] < 0 || nn->removed[j])
        return;
    nn->removed[j] = true;
    cell *cl = &nn->cells[nn->cell_of[j]];
    cl->free--;
    int64_t path[64], depth = 0; /* a tree of <= 2^63 providers is < 64 deep */
    for (int64_t id = cl->root; id >= 0;) {
        node *nd = &nn->nodes[id];
        nd->free--;
        path[depth++] = id;
        if (nd->left < 0)
            break;
        id = nn->pos[j] < nn->nodes[nd->left].hi ? nd->left : nd->right;
    }
    /* Tighter boxes, leaf first: the farther the free providers drift from
     * a box's first extent, the more a query can prune. */
    while (depth-- > 0)
        if (nn->nodes[path[depth]].free > 0) /* an empty node is never visited */
            shrink_box(nn, path[depth]);
}

/* ---- queries ---- */

static void consider(const rp_nearest *nn, const double *culture, int64_t j, best_so_far *b)
{
    const double d = rp_metric_distance(&nn->metric, culture, &nn->pop->provider_culture[j * nn->pop->n_dims]);
    if (d < b->d || (d == b->d && j < b->j))
        *b = (best_so_far){d, d * d * nn->den, j};
}

/* Lower bound of the numerator over node id's box: cat plus the weighted
 * squared gaps between the patient and the box on continuous dimensions. */
static double box_bound(const rp_nearest *nn, int64_t id, const double *x, double cat)
{
    const double *blo = &nn->box[2 * id * nn->n_cont], *bhi = blo + nn->n_cont;
    double sum = cat;
    for (int c = 0; c < nn->n_cont; c++) {
        double gap = x[c] < blo[c] ? blo[c] - x[c] : x[c] > bhi[c] ? x[c] - bhi[c] : 0;
        sum += nn->cont_w[c] * gap * gap;
    }
    return sum;
}

static void search(const rp_nearest *nn, int64_t id, const double *culture, const double *x, double cat,
                   best_so_far *b)
{
    const node *nd = &nn->nodes[id];
    if (nd->free == 0 || prunable(box_bound(nn, id, x, cat), b))
        return;
    if (nd->left < 0) {
        for (int64_t k = nd->lo; k < nd->hi; k++)
            if (!nn->removed[nn->perm[k]])
                consider(nn, culture, nn->perm[k], b);
        return;
    }
    int64_t near = nd->left, far = nd->right;
    if (box_bound(nn, far, x, cat) < box_bound(nn, near, x, cat))
        near = nd->right, far = nd->left;
    search(nn, near, culture, x, cat, b);
    search(nn, far, culture, x, cat, b);
}

static int by_categorical_part(const void *a, const void *b)
{
    const ranked_cell *x = a, *y = b;
    if (x->cat != y->cat)
        return x->cat < y->cat ? -1 : 1;
    return (x->cell > y->cell) - (x->cell < y->cell);
}

int64_t rp_nearest_query(rp_nearest *nn, const double *culture)
{
    int64_t n = 0;
    for (int64_t ci = 0; ci < nn->n_cells; ci++) {
        if (nn->cells[ci].free == 0)
            continue;
        double cat = 0;
        for (int c = 0; c < nn->n_cat; c++)
            cat += nn->cat_w[c] * (culture[nn->cat_dim[c]] != nn->cells[ci].level[c]);
        nn->ranked[n++] = (ranked_cell){cat, ci};
    }
    qsort(nn->ranked, (size_t)n, sizeof *nn->ranked, by_categorical_part);
    double x[RP_MAX_DIMS];
    for (int c = 0; c < nn->n_cont; c++)
        x[c] = culture[nn->cont_dim[c]];
    best_so_far b = {INFINITY, INFINITY, -1};
    for (int64_t r = 0; r < n && !prunable(nn->ranked[r].cat, &b); r++) {
        cell *cl = &nn->cells[nn->ranked[r].cell];
        if (cl->root >= 0) {
            search(nn, cl->root, culture, x, nn->ranked[r].cat, &b);
            continue;
        }
        /* No continuous dimension: the whole cell is at one distance, so its
         * lowest free index is its answer. */
        while (nn->removed[nn->perm[cl->cursor]])
            cl->cursor++;
        consider(nn, culture, nn->perm[cl->cursor], &b);
    }
    return b.j;
}
