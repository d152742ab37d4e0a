/* abc_unit.c - the pieces of ABC-SMC (sim/exec/abc.c), exactly.
 *
 * Priors: each family's support after truncation (the prior's own support,
 * the parameter's bounds, min and max), its density at points where it is
 * known in closed form (ratios for the unnormalised ones), and the truncated
 * quantile inverting the truncated CDF (to 1e-12). The stream of an
 * attempt, bit by bit. Weighted means and quantiles of a generation of
 * known particles. A small calibration (20 particles, 3 generations, 400
 * patients): weights that sum to 1, an ESS in [1, N], tolerances that never
 * grow, the same bits at 1 and 2 threads and when run twice; a stop flag set
 * beforehand stops it with RP_EINTR and no generation. Runs in about a second.
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "exec/calibration_spec.h"
#include "rapport/calibrate.h"
#include "testing.h"

#ifndef RP_SOURCE_DIR
#define RP_SOURCE_DIR "."
#endif

static const char *priors_text =
    "scenario: " RP_SOURCE_DIR "/scenarios/baseline.yaml\n"
    "method: abc-smc\n"
    "patients: 400\n"
    "free:\n"
    "  dropout.base: {prior: \"uniform(-10, -5)\"}\n"
    "  dropout.early: {prior: \"normal(1, 0.5)\", min: 0, max: 3}\n"
    "  providers.retention_sd: {prior: \"beta(2, 5)\"}\n"
    "  providers.skill_sd: {prior: \"lognormal(0, 0.5)\", max: 2.5}\n"
    "targets:\n"
    "  dropout: {value: 0.197, band: [0.187, 0.207]}\n"
    "  early_dropout: {value: 0.775, band: [0.70, 0.85]}\n"
    "abc: {particles: 20, generations: 3, tolerance: 0.01, simulations: 100000}\n";

static bool same_generations(const rp_abc_result *a, const rp_abc_result *b)
{
    if (a->n_generations != b->n_generations || a->simulations != b->simulations)
        return false;
    const size_t N = (size_t)a->particles;
    for (int g = 0; g < a->n_generations; g++) {
        const rp_abc_generation *x = &a->gen[g], *y = &b->gen[g];
        if (memcmp(x->theta, y->theta, N * (size_t)a->n_free * sizeof *x->theta) != 0 ||
            memcmp(x->weight, y->weight, N * sizeof *x->weight) != 0 ||
            memcmp(x->distance, y->distance, N * sizeof *x->distance) != 0 ||
            memcmp(x->simulated, y->simulated, N * (size_t)a->n_targets * sizeof *x->simulated) != 0 ||
            x->simulations != y->simulations || x->attempts != y->attempts ||
            memcmp(&x->tolerance, &y->tolerance, sizeof x->tolerance) != 0)
            return false;
    }
    return true;
}

/* on_generation: checkpoint into the file ctx names, and stop (RP_EINTR)
 * once generation 1 is complete. */
static int checkpoint_then_stop(void *ctx, const rp_calibration *cal, const rp_abc_result *res, rp_error *err)
{
    int status = rp_abc_write(cal, res, ctx, "abc_unit", 1, 1, err);
    if (status == RP_OK && res->n_generations == 2)
        status = rp_status_raise(err, RP_EINTR, "stopped after generation 1");
    return status;
}

int main(void)
{
    rp_error err = {{0}};
    rp_calibration *cal = NULL;
    int status = rp_calibration_load_string("abc-unit.yaml", priors_text, NULL, &cal, &err);
    CHECK(status == RP_OK, "load a calibration with a prior of each family (%s)", err.msg);
    if (status != RP_OK)
        return rp_test_done();
    int n;
    const rp_cal_free *fr = rp_calibration_free_params(cal, &n);
    CHECK(n == 4 && rp_calibration_method(cal) == RP_CAL_ABC_SMC, "four priors, method abc-smc");
    CHECK(fr[0].min == -10 && fr[0].max == -5, "uniform(-10, -5): support [-10, -5] ([%g, %g])", fr[0].min,
          fr[0].max);
    CHECK(fr[1].min == 0 && fr[1].max == 3, "normal(1, 0.5) with min 0, max 3: support [0, 3] ([%g, %g])",
          fr[1].min, fr[1].max);
    CHECK(fr[2].min == 0 && fr[2].max == 1, "beta(2, 5): support [0, 1] ([%g, %g])", fr[2].min, fr[2].max);
    CHECK(fr[3].min == 0 && fr[3].max == 2.5, "lognormal(0, 0.5) with max 2.5: support [0, 2.5] ([%g, %g])",
          fr[3].min, fr[3].max);
    CHECK(strcmp(fr[2].prior_text, "beta(2, 5)") == 0, "the prior's text ('%s')", fr[2].prior_text);

    /* densities where they are known in closed form */
    CHECK(rp_prior_density(&fr[0], -7) == 1 && rp_prior_density(&fr[0], -4.9) == 0 &&
              rp_prior_density(&fr[0], -10.1) == 0,
          "uniform: 1 inside, 0 outside");
    CHECK(fabs(rp_prior_density(&fr[1], 1.5) / rp_prior_density(&fr[1], 1) - exp(-0.5)) < 1e-15 &&
              rp_prior_density(&fr[1], -0.1) == 0,
          "normal: density ratio exp(-z^2/2) at z = 1, 0 below min");
    CHECK(rp_prior_density(&fr[2], 0.5) == 1.0 / 32, "beta(2, 5) at 0.5: 0.5 * 0.5^4 = 1/32 (%.17g)",
          rp_prior_density(&fr[2], 0.5));
    CHECK(rp_prior_density(&fr[3], 1) == 1 &&
              fabs(rp_prior_density(&fr[3], 2) - exp(-0.5 * pow(log(2) / 0.5, 2)) / 2) < 1e-15,
          "lognormal(0, 0.5): 1 at 1, exp(-(ln 2 / 0.5)^2 / 2) / 2 at 2");
    /* the truncated quantile inverts the truncated CDF */
    double worst = 0;
    for (int k = 0; k < 4; k++) {
        const double lo = rp_prior_cdf(&fr[k], fr[k].min), hi = rp_prior_cdf(&fr[k], fr[k].max);
        for (int j = 1; j < 100; j++) {
            const double u = j / 100.0, x = rp_prior_quantile(&fr[k], u);
            const double back = (rp_prior_cdf(&fr[k], x) - lo) / (hi - lo);
            worst = fmax(worst, fabs(back - u));
            if (!(x >= fr[k].min && x <= fr[k].max))
                worst = INFINITY;
        }
    }
    CHECK(worst < 1e-12, "every truncated quantile inverts its CDF inside the support (worst %.3g)", worst);
    CHECK(rp_prior_quantile(&fr[0], 0.25) == -8.75, "uniform(-10, -5) at 0.25: -8.75 (%.17g)",
          rp_prior_quantile(&fr[0], 0.25));

    /* the stream of an attempt */
    CHECK(rp_abc_stream(3, 5, 7) == ((uint64_t)1 << 63 | (uint64_t)3 << 48 | (uint64_t)5 << 28 | (uint64_t)7 << 8),
          "rp_abc_stream(3, 5, 7) packs its fields");
    CHECK(rp_abc_stream(RP_ABC_MAX_GENERATIONS - 1, RP_ABC_MAX_PARTICLES - 1, RP_ABC_MAX_ATTEMPTS - 1) + 255 <
              ((uint64_t)1 << 63 | (uint64_t)RP_ABC_MAX_GENERATIONS << 48),
          "the largest generation, particle, attempt and replicate stay in their fields");

    /* weighted summaries of known particles */
    double theta[4] = {1, 2, 3, 4}, weight[4] = {0.1, 0.2, 0.3, 0.4}, zero[4] = {0};
    rp_abc_generation g = {.theta = theta, .weight = weight, .distance = zero, .simulated = theta};
    rp_abc_result known = {.n_free = 1, .n_targets = 1, .particles = 4, .n_generations = 1, .gen = &g};
    CHECK(fabs(rp_abc_mean(&known, 0, false, 0) - 3) < 1e-15, "weighted mean 3 (%.17g)",
          rp_abc_mean(&known, 0, false, 0));
    CHECK(rp_abc_quantile(&known, 0, false, 0, 0.05) == 1 && rp_abc_quantile(&known, 0, false, 0, 0.3) == 2 &&
              rp_abc_quantile(&known, 0, false, 0, 0.5) == 3 && rp_abc_quantile(&known, 0, true, 0, 0.975) == 4,
          "weighted quantiles: the smallest value whose cumulative weight reaches p");

    /* a small calibration */
    rp_abc_result a = {0}, b = {0}, c = {0};
    status = rp_abc_run(cal, &(rp_abc_options){.threads = 1}, &a, &err);
    CHECK(status == RP_OK && a.n_generations == 3, "a small calibration runs its 3 generations (%s)", err.msg);
    bool weights_ok = true, tolerances_ok = true;
    for (int t = 0; status == RP_OK && t < a.n_generations; t++) {
        double sum = 0;
        for (int i = 0; i < a.particles; i++)
            sum += a.gen[t].weight[i];
        weights_ok = weights_ok && fabs(sum - 1) < 1e-12 && a.gen[t].ess >= 1 - 1e-9 && a.gen[t].ess <= 20 + 1e-9;
        for (int i = 0; i < a.particles; i++)
            tolerances_ok = tolerances_ok && a.gen[t].distance[i] <= a.gen[t].tolerance;
        if (t > 0)
            tolerances_ok = tolerances_ok && a.gen[t].tolerance <= a.gen[t - 1].tolerance;
    }
    CHECK(weights_ok, "each generation's weights sum to 1 and its ESS is in [1, 20]");
    CHECK(tolerances_ok, "every kept distance is within its tolerance, and the tolerances never grow");
    status = rp_abc_run(cal, &(rp_abc_options){.threads = 2}, &b, &err);
    CHECK(status == RP_OK && same_generations(&a, &b), "the same bits at 1 and 2 threads");
    status = rp_abc_run(cal, &(rp_abc_options){.threads = 2}, &c, &err);
    CHECK(status == RP_OK && same_generations(&b, &c), "the same bits when run again");
    printf("# %d generations, %lld simulations, last tolerance %.4g, ESS %.1f\n", a.n_generations, a.simulations,
           a.gen[a.n_generations - 1].tolerance, a.gen[a.n_generations - 1].ess);
    /* stopped after generation 1 with a checkpoint, read back (its array
     * exactly full, so the next generation moves it) and continued */
    char path[] = "/tmp/rapport-abc-unit-XXXXXX";
    const int fd = mkstemp(path);
    rp_abc_result e = {0}, f = {0};
    status = fd < 0 ? RP_EIO : rp_abc_run(cal, &(rp_abc_options){.threads = 2, .on_generation = checkpoint_then_stop,
                                                                  .ctx = path}, &e, &err);
    CHECK(status == RP_EINTR && e.n_generations == 2, "a callback's status stops the calibration (%d generations)",
          e.n_generations);
    status = rp_abc_resume(cal, path, &f, &err);
    CHECK(status == RP_OK && f.n_generations == 2 && f.stop == RP_ABC_RUNNING,
          "the checkpoint reads back: 2 generations, running (%s)", err.msg);
    if (status == RP_OK)
        status = rp_abc_run(cal, &(rp_abc_options){.threads = 1}, &f, &err);
    CHECK(status == RP_OK && same_generations(&a, &f), "resumed from the checkpoint: the same bits as uninterrupted");
    if (fd >= 0) {
        close(fd);
        remove(path);
    }
    rp_abc_result_free(&e);
    rp_abc_result_free(&f);
    rp_abc_result_free(&a);
    rp_abc_result_free(&b);
    rp_abc_result_free(&c);
    static volatile sig_atomic_t stop = 1;
    rp_abc_result d = {0};
    status = rp_abc_run(cal, &(rp_abc_options){.threads = 2, .stop = &stop}, &d, &err);
    CHECK(status == RP_EINTR && d.n_generations == 0, "a stop flag set beforehand: RP_EINTR, no generation");
    rp_abc_result_free(&d);
    rp_calibration_free(cal);
    return rp_test_done();
}
