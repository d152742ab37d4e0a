/* testing.c - see testing.h. */
#include "testing.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>

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
