/* identify_unit.c - the identification of a calibration (calibrate.h):
 * which targets pin which coefficient, and the flat directions.
 *
 * First the analysis alone, on matrices whose singular values, directions
 * and pseudo-inverse are known by hand: a diagonal one (one direction below
 * the flatness threshold), two equal columns (the flat direction (1, -1) /
 * sqrt 2), weights (a row times sqrt(w); an exactly determined fit does not
 * depend on them), a target of weight 0 left out (fewer fitted targets than
 * coefficients: a flat direction), the first-order SE of a singular value,
 * a non-finite entry, sizes refused.
 *
 * Then through the public API on a tiny scenario (2,000 patients, 2
 * replicates) where nothing is ever discussed (policy never, patients never
 * raise it): repair.discussed then enters no target, so its column of the
 * Jacobian is exactly 0 on common random numbers and the analysis must
 * report one flat direction, along repair.discussed alone, while dropout.base
 * and dropout.early are pinned (dropout moves most under dropout.base, the
 * early share under dropout.early). Runs in ~2 s.
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rapport/calibrate.h"
#include "testing.h"

/* An identification of the n_t x n matrix j (row-major), every SE se. */
static rp_cal_identification *analyse(int n_t, int n, const double *j, double se, const double *weight, int *status)
{
    static rp_cal_identification id;
    static rp_error err;
    memset(&id, 0, sizeof id);
    id.n_targets = n_t;
    id.n_free = n;
    for (int k = 0; k < n_t; k++)
        for (int i = 0; i < n; i++) {
            id.jacobian[k][i] = j[k * n + i];
            id.jacobian_se[k][i] = se;
        }
    *status = rp_calibration_identify_jacobian(&id, weight, &err);
    if (*status != RP_OK)
        printf("# %s\n", err.msg);
    return &id;
}

static void known_matrices(void)
{
    int status;
    const double ones[4] = {1, 1, 1, 1};

    /* diag(3, 0.05): singular values 3 and 0.05 (flat), directions e1, e2 */
    rp_cal_identification *id = analyse(2, 2, (const double[]){3, 0, 0, 0.05}, 0.1, ones, &status);
    CHECK(status == RP_OK, "diagonal: analysed");
    CHECK_NEAR(id->singular[0], 3, 1e-12, "diagonal: first singular value");
    CHECK_NEAR(id->singular[1], 0.05, 1e-12, "diagonal: second singular value");
    CHECK_NEAR(id->condition, 60, 1e-9, "diagonal: condition number 3 / 0.05");
    CHECK(id->n_flat == 1 && id->n_fitted == 2, "diagonal: one flat direction (%d), two fitted targets (%d)",
          id->n_flat, id->n_fitted);
    CHECK(fabs(id->direction[0][0] - 1) < 1e-12 && fabs(id->direction[1][1] - 1) < 1e-12,
          "diagonal: directions e1 and e2, largest component positive (%g, %g)", id->direction[0][0],
          id->direction[1][1]);
    CHECK(id->moves_most[0] == 0 && id->moves_most[1] == 1, "diagonal: coefficient i moves target i most");
    CHECK_NEAR(id->pinned[0][0], 1.0 / 3, 1e-12, "diagonal: the fit of coefficient 1 moves 1/3 per half-band");
    CHECK(id->pinned_by[0] == 0 && id->pinned_by[1] == -1 && id->pinned[1][1] == 0,
          "diagonal: coefficient 2 lies in the flat direction only: pinned by nothing (%d)", id->pinned_by[1]);
    CHECK(fabs(id->spread[0] - 1.0 / 3) < 1e-12 && id->spread[1] == 0,
          "diagonal: spread 1/3 and 0 (flat directions left out) (%g, %g)", id->spread[0], id->spread[1]);
    /* first order: sigma_j moves by u_j^T E v_j, here E_jj: its SE is se */
    CHECK_NEAR(id->singular_se[0], 0.1, 1e-12, "diagonal: SE of a singular value");
    CHECK_NEAR(id->singular_se[1], 0.1, 1e-12, "diagonal: SE of the other");

    /* two equal columns: singular values 2 and 0, flat along (1, -1) / sqrt 2 */
    id = analyse(2, 2, (const double[]){1, 1, 1, 1}, 0, ones, &status);
    CHECK(status == RP_OK && fabs(id->singular[0] - 2) < 1e-12 && id->singular[1] < 1e-12,
          "equal columns: singular values 2 and 0 (%g, %g)", id->singular[0], id->singular[1]);
    CHECK(fabs(fabs(id->direction[1][0]) - sqrt(0.5)) < 1e-12 &&
              fabs(id->direction[1][0] + id->direction[1][1]) < 1e-12,
          "equal columns: the flat direction trades them one for one (%g, %g)", id->direction[1][0],
          id->direction[1][1]);
    CHECK(id->n_flat == 1 && isinf(id->condition), "equal columns: one flat direction, infinite condition");
    CHECK(id->singular_se[0] == 0, "no Monte-Carlo error: SE 0");

    /* weights: a row times sqrt(w) in the decomposition; the pinned fit of
     * an exactly determined system does not depend on them */
    id = analyse(2, 2, (const double[]){1, 0, 0, 1}, 0, (const double[]){4, 1}, &status);
    CHECK(status == RP_OK && fabs(id->singular[0] - 2) < 1e-12 && fabs(id->singular[1] - 1) < 1e-12,
          "weights: singular values 2 and 1 (%g, %g)", id->singular[0], id->singular[1]);
    CHECK(fabs(id->pinned[0][0] - 1) < 1e-12 && fabs(id->pinned[1][1] - 1) < 1e-12 && id->pinned[0][1] == 0,
          "weights: each coefficient moves one tenth per half-band of its target (%g, %g, %g)", id->pinned[0][0],
          id->pinned[1][1], id->pinned[0][1]);

    /* two targets on one coefficient, J = (1, 1): least squares takes their
     * mean, so each pins it by 1/2 and the spread is sqrt(1/4 + 1/4) */
    id = analyse(2, 1, (const double[]){1, 1}, 0, ones, &status);
    CHECK(status == RP_OK && fabs(id->singular[0] - sqrt(2)) < 1e-12 && fabs(id->pinned[0][0] - 0.5) < 1e-12 &&
              fabs(id->pinned[0][1] - 0.5) < 1e-12 && fabs(id->spread[0] - sqrt(0.5)) < 1e-12,
          "two targets, one coefficient: sigma sqrt 2 (%g), pinned 1/2 each (%g, %g), spread sqrt(1/2) (%g)",
          id->singular[0], id->pinned[0][0], id->pinned[0][1], id->spread[0]);

    /* a target of weight 0 is left out: one fitted target, two coefficients */
    id = analyse(2, 2, (const double[]){1, 0, 5, 5}, 0, (const double[]){1, 0}, &status);
    CHECK(status == RP_OK && id->n_fitted == 1 && id->n_flat == 1, "weight 0: one fitted target (%d), one flat (%d)",
          id->n_fitted, id->n_flat);
    CHECK(fabs(id->singular[0] - 1) < 1e-12 && id->singular[1] == 0 && fabs(id->direction[1][1] - 1) < 1e-12,
          "weight 0: singular values 1 and 0, flat along coefficient 2 (%g, %g; %g)", id->singular[0],
          id->singular[1], id->direction[1][1]);
    CHECK(id->moves_most[0] == 0 && id->moves_most[1] == -1 && id->pinned[0][1] == 0,
          "weight 0: its row moves and pins nothing (%d)", id->moves_most[1]);

    /* a non-finite derivative counts as 0 and is counted */
    id = analyse(2, 2, (const double[]){1, NAN, 0, 1}, 0, ones, &status);
    CHECK(status == RP_OK && id->n_unmeasured == 1 && fabs(id->singular[0] - 1) < 1e-12,
          "a NaN derivative: counted (%d), taken as 0", id->n_unmeasured);

    analyse(1, 0, (const double[]){0}, 0, ones, &status);
    CHECK(status == RP_EINVAL, "no coefficient: refused");
    analyse(0, 1, (const double[]){0}, 0, ones, &status);
    CHECK(status == RP_EINVAL, "no target: refused");
}

static const char *scenario_text =
    "seed: 7\npatients: {count: 2000}\ndiscussion: {policy: never, patient_raises: 0}\n";

static const char *calibration_text = /* after "scenario: PATH" */
    "replicates: 2\n"
    "free:\n"
    "  dropout.base: {min: -10, max: -5, start: -8}\n"
    "  dropout.early: {min: 0, max: 8, start: 4}\n"
    "  repair.discussed: {min: 0, max: 4, start: 1}\n"
    "targets:\n"
    "  dropout: {value: 0.2, se: 0.005}\n"
    "  early_dropout: {value: 0.75, se: 0.01}\n"
    "  alliance_outcome_r: {value: 0.28, se: 0.01}\n"
    "  therapist_icc: {value: 0.05, se: 0.015, weight: 0}\n";

static void tiny_calibration(void)
{
    rp_error err = {{0}};
    char scenario_path[] = "/tmp/rapport-identify-unit-XXXXXX", text[1024];
    int fd = mkstemp(scenario_path);
    FILE *sf = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (!sf || fputs(scenario_text, sf) < 0 || fclose(sf) != 0) {
        CHECK(false, "write the tiny scenario");
        return;
    }
    snprintf(text, sizeof text, "scenario: %s\n%s", scenario_path, calibration_text);
    rp_calibration *cal = NULL;
    int status = rp_calibration_load_string("identify.yaml", text, NULL, &cal, &err);
    CHECK(status == RP_OK, "load the tiny calibration (%s)", err.msg);
    rp_cal_identification *id = malloc(sizeof *id), *id2 = malloc(sizeof *id2);
    const double x[3] = {-8, 4, 1};
    if (status == RP_OK && id && id2) {
        status = rp_calibration_identify(cal, x, 0.03, &(rp_cal_options){.threads = 1}, id, &err);
        CHECK(status == RP_OK, "identify (%s)", err.msg);
        CHECK(id->evaluations == 6 && id->n_fitted == 3, "6 evaluations (%d), 3 fitted targets (%d)", id->evaluations,
              id->n_fitted);
        CHECK(fabs(id->lo[0] - -8.15) < 1e-12 && fabs(id->hi[0] - -7.85) < 1e-12,
              "the step is 3%% of the range (%g to %g)", id->lo[0], id->hi[0]);
        CHECK(id->jacobian[0][2] == 0 && id->jacobian[1][2] == 0 && id->jacobian[2][2] == 0 &&
                  id->jacobian[3][2] == 0,
              "repair.discussed enters no target: its column is exactly 0 (%g, %g, %g)", id->jacobian[0][2],
              id->jacobian[1][2], id->jacobian[2][2]);
        CHECK(id->derivative[0][0] > 0 && id->derivative[0][1] > 0, "dropout rises with dropout.base and dropout.early");
        CHECK_NEAR(id->jacobian[0][0], id->derivative[0][0] * 0.5 / 0.005, 1e-9 * fabs(id->jacobian[0][0]),
                   "scaled: per tenth of the range (0.5), per scale (0.005)");
        CHECK(id->moves_most[0] == 0 && id->moves_most[2] == -1,
              "dropout.base moves dropout most (%d); repair.discussed moves nothing (%d)", id->moves_most[0],
              id->moves_most[2]);
        CHECK(id->n_flat == 1 && id->singular[2] < 1e-12 && id->singular[1] >= RP_CAL_FLAT,
              "one flat direction (%d; singular values %g %g %g)", id->n_flat, id->singular[0], id->singular[1],
              id->singular[2]);
        CHECK(fabs(id->direction[2][2] - 1) < 1e-9, "the flat direction is repair.discussed alone (%g, %g, %g)",
              id->direction[2][0], id->direction[2][1], id->direction[2][2]);
        CHECK(id->pinned_by[0] >= 0 && id->pinned_by[1] >= 0 && id->pinned_by[2] == -1,
              "dropout.base and dropout.early are pinned (%d, %d), repair.discussed is not (%d)", id->pinned_by[0],
              id->pinned_by[1], id->pinned_by[2]);
        CHECK(id->pinned[0][3] == 0 && id->pinned[1][3] == 0, "the weight-0 target pins nothing");
        CHECK(id->singular_se[0] > 0, "singular values have a Monte-Carlo SE (%g)", id->singular_se[0]);
        status = rp_calibration_identify(cal, x, 0.03, &(rp_cal_options){.threads = 2}, id2, &err);
        CHECK(status == RP_OK && memcmp(id->jacobian, id2->jacobian, sizeof id->jacobian) == 0 &&
                  memcmp(id->singular, id2->singular, sizeof id->singular) == 0,
              "the same with 2 threads");
        status = rp_calibration_identify(cal, x, 0.6, NULL, id2, &err);
        CHECK(status == RP_EINVAL, "a step above half the range is refused: %s", err.msg);
        /* at a bound the difference is one-sided */
        const double edge[3] = {-5, 4, 1};
        status = rp_calibration_identify(cal, edge, 0.03, NULL, id2, &err);
        CHECK(status == RP_OK && id2->hi[0] == -5 && fabs(id2->lo[0] - -5.15) < 1e-12,
              "at max the step stays inside the range (%g to %g)", id2->lo[0], id2->hi[0]);
    }
    free(id);
    free(id2);
    rp_calibration_free(cal);
    remove(scenario_path);
}

int main(void)
{
    known_matrices();
    tiny_calibration();
    return rp_test_done();
}
