/* calibrate_unit.c - the calibration fits back coefficients it generated.
 *
 * Identifiability: targets are the simulator's own observables at known
 * coefficients (dropout.base = -7.6, dropout.early = 3.2; 4,000 patients, 4
 * replicates); the fit starts elsewhere (-8.5, 4.5) and must come back. With
 * common random numbers the objective at the truth is exactly 0, so the only
 * error is how flat the objective is around it: the dropout share moves in
 * steps of 1/4000 per run and early_dropout is a ratio of two such counts,
 * and the two coefficients trade off along a ridge (both raise dropout; only
 * the early share tells them apart, and it responds to dropout.early about
 * half as strongly as dropout does to dropout.base). Hence the tolerances:
 * 0.15 on dropout.base and 0.4 on dropout.early (each a few percent of its
 * range; in practice the fit comes much closer). Also checked: an evaluation
 * is deterministic and the same with 1 or 2 threads, and the calibrated
 * scenario written back resolves with the fitted values. Runs in ~10 s.
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rapport/calibrate.h"
#include "testing.h"

#ifndef RP_SOURCE_DIR
#define RP_SOURCE_DIR "."
#endif

/* The reference scenario with MODEL.md's starting values of the two free
 * coefficients (the table's defaults are calibrated), written to a
 * temporary file. */
static const char *scenario_text =
    "seed: 20221\npatients: {count: 100000}\nproviders: {count: 5000}\ndropout: {base: -8, early: 4}\n";

static const char *calibration_text = /* after "scenario: PATH" */
    "replicates: 4\n"
    "patients: 4000\n"
    "free:\n"
    "  dropout.base: {min: -10, max: -5, start: -8.5}\n"
    "  dropout.early: {min: 0, max: 8, start: 4.5}\n"
    "targets:\n"
    "  dropout: {value: 0.2, se: 0.005}\n"
    "  early_dropout: {value: 0.75, se: 0.01}\n"
    "budget: {evaluations: 150, tolerance: 1e-3}\n";

/* The status of loading a calibration of a scenario of model 1 (a file
 * extending discussion-never.yaml with `model: 1`) that fits dropout.base to
 * targets (the lines under "targets:"); err gets its message. */
static int load_error(const char *name, const char *targets, rp_error *err)
{
    char text[1024], scenario[] = "/tmp/rapport-calibrate-v1-XXXXXX";
    int fd = mkstemp(scenario);
    FILE *sf = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (!sf || fputs("extends: " RP_SOURCE_DIR "/scenarios/discussion-never.yaml\nmodel: 1\n", sf) < 0 ||
        fclose(sf) != 0)
        return -1;
    snprintf(text, sizeof text,
             "scenario: %s\n"
             "free:\n"
             "  dropout.base: {min: -10, max: -5, start: -8.5}\n"
             "targets:\n%s",
             scenario, targets);
    rp_calibration *cal = NULL;
    const int status = rp_calibration_load_string(name, text, NULL, &cal, err);
    rp_calibration_free(cal);
    remove(scenario);
    return status;
}

int main(void)
{
    rp_error err = {{0}};
    rp_calibration *cal = NULL;
    char scenario_path[] = "/tmp/rapport-calibrate-unit-XXXXXX", text_buf[1024];
    int fd = mkstemp(scenario_path);
    FILE *sf = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (!sf || fputs(scenario_text, sf) < 0 || fclose(sf) != 0)
        return 1;
    snprintf(text_buf, sizeof text_buf, "scenario: %s\n%s", scenario_path, calibration_text);
    int status = rp_calibration_load_string("unit.yaml", text_buf, NULL, &cal, &err);
    CHECK(status == RP_OK, "load the calibration (%s)", err.msg);
    if (status != RP_OK) {
        remove(scenario_path);
        return rp_test_done();
    }
    int nf, nt;
    const rp_cal_free *fr = rp_calibration_free_params(cal, &nf);
    rp_calibration_targets(cal, &nt);
    CHECK(nf == 2 && nt == 2, "two free coefficients (%d) and two targets (%d)", nf, nt);
    CHECK(fr[0].scenario_value == -8 && fr[1].scenario_value == 4,
          "scenario values of the free keys read back (%g, %g)", fr[0].scenario_value, fr[1].scenario_value);

    const double truth[2] = {-7.6, 3.2};
    rp_cal_options one = {.threads = 1}, two = {.threads = 2};
    rp_cal_eval *a = malloc(sizeof *a), *b = malloc(sizeof *b), *c = malloc(sizeof *c);
    if (!a || !b || !c)
        return 1;
    status = rp_calibration_evaluate(cal, truth, &one, a, &err);
    CHECK(status == RP_OK, "evaluate at the truth (%s)", err.msg);
    status = rp_calibration_evaluate(cal, truth, &two, b, &err);
    CHECK(status == RP_OK && memcmp(a->target, b->target, sizeof a->target) == 0,
          "an evaluation is the same with 1 and 2 threads");
    status = rp_calibration_evaluate(cal, truth, &two, c, &err);
    CHECK(status == RP_OK && memcmp(b->target, c->target, sizeof b->target) == 0,
          "an evaluation is deterministic (common random numbers)");
    printf("# truth: dropout %.5f +- %.5f, early_dropout %.5f +- %.5f\n", a->target[0].mean, a->target[0].se,
           a->target[1].mean, a->target[1].se);
    CHECK(a->target[0].se > 0 && a->target[0].se < 0.01, "Monte-Carlo SE of dropout is small and positive (%g)",
          a->target[0].se);

    rp_calibration_set_target(cal, 0, a->target[0].mean, 0.005);
    rp_calibration_set_target(cal, 1, a->target[1].mean, 0.01);
    status = rp_calibration_evaluate(cal, truth, &two, c, &err);
    CHECK(status == RP_OK && c->objective == 0, "objective at the truth is exactly 0 (%g)", c->objective);

    rp_cal_result res;
    status = rp_calibration_fit(cal, &two, &res, &err);
    CHECK(status == RP_OK, "fit (%s)", err.msg);
    if (status == RP_OK) {
        printf("# fit: dropout.base %.4f, dropout.early %.4f; %d iterations, %d evaluations, %.1f s, objective %g, "
               "%s\n", res.final.x[0], res.final.x[1], res.iterations, res.evaluations, res.seconds,
               res.final.objective, res.converged ? "converged" : "budget spent");
        CHECK_NEAR(res.final.x[0], truth[0], 0.15, "dropout.base fitted back");
        CHECK_NEAR(res.final.x[1], truth[1], 0.4, "dropout.early fitted back");
        CHECK(res.iterations > 0 && res.history[res.iterations - 1].objective <= res.history[0].objective,
              "the objective's history does not increase");
        CHECK(res.evaluations <= 150 + 3 + 1, "the budget is kept (%d evaluations)", res.evaluations);
        CHECK(fabs(res.final.target[0].mean - a->target[0].mean) < 3 * 0.005,
              "fitted dropout within 3 target SE of the truth's");
        /* the calibrated scenario reads back with the fitted values */
        char *text = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&text, &size);
        status = f ? rp_calibration_write_scenario(cal, res.final.x, f, &err) : RP_ENOMEM;
        if (f)
            fclose(f);
        CHECK(status == RP_OK, "write the calibrated scenario (%s)", err.msg);
        rp_scenario *sc = NULL;
        status = status == RP_OK ? rp_scenario_load_string("calibrated.yaml", text, &sc, &err) : status;
        status = status == RP_OK ? rp_scenario_resolve(sc, &err) : status;
        CHECK(status == RP_OK, "the calibrated scenario is valid (%s)", err.msg);
        if (status == RP_OK) {
            const rp_params *p = rp_scenario_params(sc);
            CHECK(p->dropout.base == res.final.x[0] && p->dropout.early == res.final.x[1],
                  "the calibrated scenario holds the fitted values (%.17g, %.17g)", p->dropout.base,
                  p->dropout.early);
            CHECK(p->patients.count == 100000, "and keeps the scenario's own population (%lld)",
                  (long long)p->patients.count);
        }
        rp_scenario_free(sc);
        free(text);
        rp_calibration_result_free(&res);
    }
    free(a);
    free(b);
    free(c);
    rp_calibration_free(cal);
    remove(scenario_path);

    /* the shipped calibration of the reference scenario loads */
    cal = NULL;
    status = rp_calibration_load(RP_SOURCE_DIR "/scenarios/calibration.yaml", &cal, &err);
    CHECK(status == RP_OK, "scenarios/calibration.yaml loads (%s)", err.msg);
    if (status == RP_OK) {
        rp_calibration_free_params(cal, &nf);
        rp_calibration_targets(cal, &nt);
        CHECK(nf == 5 && nt == 5 && rp_calibration_replicates(cal) == 16 && rp_calibration_patients(cal) == 25000,
              "it fits 5 coefficients to 5 targets, 16 replicates of 25000 patients");
    }
    rp_calibration_free(cal);

    /* an observable of model 2 is no target of a model-1 scenario, and the names the "not an observable" error
     * lists are those of model 1 */
    static rp_error e2;
    status = load_error("v2.yaml", "  dropout: {value: 0.2, se: 0.005}\n"
                                   "  therapist_dropout: {value: 0.126, band: [0.08, 0.17]}\n", &e2);
    CHECK(status == RP_EINVAL &&
              strcmp(e2.msg, "v2.yaml:6:3: error: targets: 'therapist_dropout': therapist_dropout exists from "
                             "model 2 on, and the scenario runs model 1; expected an observable of model 1, or "
                             "`model: 2` in the scenario") == 0,
          "a model-2 target of a model-1 scenario is a located error: %s", e2.msg);
    status = load_error("typo.yaml", "  repair_outcome: {value: 0.29, band: [0.1, 0.47]}\n", &e2);
    CHECK(status == RP_EINVAL && strstr(e2.msg, "typo.yaml:5:3: error: targets: 'repair_outcome' is not an") &&
              strstr(e2.msg, "discussed_week_mean, or OBSERVABLE_by_group.GROUP") &&
              !strstr(e2.msg, "repair_outcome_r") && !strstr(e2.msg, "therapist_dropout"),
          "the observables listed for a model-1 scenario are model 1's: %s", e2.msg);
    return rp_test_done();
}
