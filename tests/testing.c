/* testing.c - see testing.h. */
#include "testing.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "rapport/scenario.h"

static int n_pass, n_fail; /* per test process; tests are single-threaded here */

void rp_check(bool ok, const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    printf(ok ? "PASS " : "FAIL ");
    vprintf(fmt, ap);
    if (!ok)
        printf("  [%s:%d]", file, line);
    printf("\n");
    va_end(ap);
    if (ok)
        n_pass++;
    else
        n_fail++;
}

void rp_check_near(double a, double b, double tol, const char *file, int line, const char *fmt, ...)
{
    char name[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(name, sizeof name, fmt, ap);
    va_end(ap);
    rp_check(fabs(a - b) <= tol, file, line, "%s: %.17g vs %.17g (tol %g)", name, a, b, tol);
}

int rp_test_done(void)
{
    printf("%d passed, %d failed\n", n_pass, n_fail);
    return n_fail ? 1 : 0;
}

const char *const rp_test_one_group =
    "seed: 7741\n"
    "model: 1\n"
    "horizon: 26\n"
    "course: 40\n"
    "symptoms: {recovered: 0}\n"
    "patients:\n"
    "  count: 60000\n"
    "  groups:\n"
    "    everyone:\n"
    "      share: 1\n"
    "      ethnoracial: {white: 0.25, latinx: 0.75}\n"
    "      language: english\n"
    "      class: beta(2.5, 4.5)\n"
    "      explanatory_model: 0.5\n"
    "      mistrust: beta(3, 5)\n"
    "      barrier: beta(2, 3)\n"
    "      stressor_rate: 0.35\n"
    "      symptoms: normal(15, 4)\n"
    "providers:\n"
    "  count: 3000\n"
    "  groups:\n"
    "    all: {share: 1, ethnoracial: white, language: english, class: 0.5,\n"
    "          explanatory_model: 0.5, humility: \"beta(3, 3)\"}\n";

rp_params rp_test_load(const char *yaml, const char **sets, int n_sets)
{
    rp_scenario *sc = NULL;
    rp_error err = {{0}};
    int status = rp_scenario_load_string("test.yaml", yaml, &sc, &err);
    for (int k = 0; status == RP_OK && k < n_sets; k++)
        status = rp_scenario_set(sc, sets[k], &err);
    if (status == RP_OK)
        status = rp_scenario_resolve(sc, &err);
    if (status != RP_OK) {
        printf("FAIL scenario: %s\n", err.msg);
        exit(1);
    }
    rp_params p = *rp_scenario_params(sc);
    rp_scenario_free(sc);
    return p;
}

rp_run *rp_test_run(const rp_params *p, rp_run_options *opt)
{
    rp_run *run = NULL;
    rp_error err = {{0}};
    if (rp_run_execute(p, opt, &run, &err) != RP_OK) {
        printf("FAIL run: %s\n", err.msg);
        exit(1);
    }
    return run;
}
