/* fuzz_set.c - libFuzzer harness for --set: any bytes as one KEY=VALUE
 * override of a small valid scenario, then resolution and the plan. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rapport/plan.h"
#include "rapport/scenario.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *base = "seed: 3\npatients: {count: 40}\nproviders: {count: 2}\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *set = malloc(size + 1);
    if (!set)
        return 0;
    memcpy(set, data, size);
    set[size] = '\0';
    rp_scenario *sc = NULL;
    rp_plan *plan = NULL;
    rp_error err;
    if (rp_scenario_load_string("base.yaml", base, &sc, &err) == RP_OK && rp_scenario_set(sc, set, &err) == RP_OK &&
        rp_scenario_resolve(sc, &err) == RP_OK)
        rp_plan_create(sc, &plan, &err);
    rp_plan_free(plan);
    rp_scenario_free(sc);
    free(set);
    return 0;
}
