/* fuzz_scenario.c - libFuzzer harness for the scenario loader: any bytes as a
 * scenario file, then resolution, the sweep plan and `show`. The promise
 * under test: bad input gets an error, never a crash, a hang or a leak.
 * Build: cmake -DCMAKE_C_COMPILER=clang -DRAPPORT_FUZZ=ON (see scripts/fuzz.sh). */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rapport/plan.h"
#include "rapport/scenario.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    rp_scenario *sc = NULL;
    rp_plan *plan = NULL;
    rp_error err;
    if (rp_scenario_load_string("fuzz.yaml", text, &sc, &err) == RP_OK && rp_scenario_resolve(sc, &err) == RP_OK &&
        rp_plan_create(sc, &plan, &err) == RP_OK) {
        FILE *null = fopen("/dev/null", "w");
        if (null) {
            rp_scenario_write_yaml(sc, null);
            rp_plan_write_yaml(plan, null);
            fclose(null);
        }
    }
    rp_plan_free(plan);
    rp_scenario_free(sc);
    free(text);
    return 0;
}
