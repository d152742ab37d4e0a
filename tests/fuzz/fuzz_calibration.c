/* fuzz_calibration.c - libFuzzer harness for the calibration-file loader:
 * any bytes as a calibration file whose scenario path resolves against the
 * project's scenarios/ folder (RP_SOURCE_DIR). Loading only: no fitting. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rapport/calibrate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    rp_calibration *cal = NULL;
    rp_error err;
    rp_calibration_load_string("fuzz.yaml", text, RP_SOURCE_DIR "/scenarios", &cal, &err);
    rp_calibration_free(cal);
    free(text);
    return 0;
}
