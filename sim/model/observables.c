/* observables.c - the table of observables made from the rows of
 * observables.h, and access to a value by its row. A handful of rows: a
 * linear search by name is all a lookup needs. */
#include "rapport/observables.h"

#include <string.h>

#define ROW(name_, since_, symbol_, unit_, per_group_, reduce_, lo_, hi_, percent_, label_, definition_)            \
    {.name = #name_, .since = since_, .symbol = symbol_, .unit = unit_, .per_group = per_group_, .reduce = reduce_, .lo = lo_, \
     .hi = hi_, .percent = percent_, .label = label_, .definition = definition_,                              \
     .offset = offsetof(rp_observables, name_)},
static const rp_observable_def table[] = {RP_OBSERVABLES(ROW)};
#undef ROW
_Static_assert(sizeof table / sizeof table[0] == RP_N_OBSERVABLES, "one row per observable");
/* rp_observables is pairs, then the rows' doubles: nothing else in it. */
_Static_assert(sizeof(rp_observables) == sizeof(int64_t) + RP_N_OBSERVABLES * sizeof(double),
               "rp_observables holds the table's values only");

const rp_observable_def *rp_observables_table(size_t *n)
{
    *n = RP_N_OBSERVABLES;
    return table;
}

const rp_observable_def *rp_observables_find(const char *name)
{
    for (size_t k = 0; k < RP_N_OBSERVABLES; k++)
        if (strcmp(table[k].name, name) == 0)
            return &table[k];
    return NULL;
}

bool rp_observables_reported(const rp_observable_def *d, int model)
{
    return d->since <= rp_model_version(model);
}

double rp_observables_get(const rp_observables *o, const rp_observable_def *d)
{
    return *(const double *)((const char *)o + d->offset);
}

double *rp_observables_at(rp_observables *o, const rp_observable_def *d)
{
    return (double *)((char *)o + d->offset);
}
