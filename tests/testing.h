/* testing.h - the tiny check harness of rapport's C tests.
 *
 * CHECK(cond, ...) prints one "PASS name" or "FAIL name: details" line and
 * counts failures; rp_test_done() prints "N passed, N failed" and returns the
 * exit status for main.
 */
#ifndef RP_TESTING_H
#define RP_TESTING_H

#include <stdbool.h>

#include "rapport/run.h"

void rp_check(bool ok, const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
int rp_test_done(void);

#define CHECK(cond, ...) rp_check((cond), __FILE__, __LINE__, __VA_ARGS__)
/* |a - b| <= tol, printing both values; the name is printf-style. */
void rp_check_near(double a, double b, double tol, const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));
#define CHECK_NEAR(a, b, tol, ...) rp_check_near((a), (b), (tol), __FILE__, __LINE__, __VA_ARGS__)

/* One group of patients and one of providers, everyone alike (60,000
 * patients, 3,000 providers, 26 weeks, course 40, no recovery), model 1
 * (without the retention effect and the gradient, hazards are constant):
 * isolates one mechanism at a time. */
extern const char *const rp_test_one_group;

/* A scenario from text plus --set overrides, resolved; on an error prints
 * "FAIL scenario: ..." and exits 1. */
rp_params rp_test_load(const char *yaml, const char **sets, int n_sets);

/* One run; on an error prints "FAIL run: ..." and exits 1. */
rp_run *rp_test_run(const rp_params *p, rp_run_options *opt);

#endif
