/* paramtable.c - the parameter tables, the reference population and the
 * value parsers; see paramtable.h.
 *
 * Bounds are chosen so that no product the model or validation forms can
 * overflow (counts <= 1e12, caseload <= 1e6, so count x caseload <= 1e18 <
 * INT64_MAX) and so that a coefficient whose sign MODEL.md's formulas already
 * fix is non-negative. Rates and shares of MODEL.md are in [0, 1]. Every real
 * bound is finite: each is what the engine can compute in double (no value,
 * sum or mean it forms overflows, and none turns NaN), wide enough that it
 * refuses nothing a researcher could mean; the reason is beside each limit.
 * tests/param_bounds.c runs the model at every one of them.
 */
#include "rapport/paramtable.h"
#include "core/text.h"
#include "input/input.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


_Static_assert(sizeof(rp_discussion_policy) == sizeof(int), "enums are stored as int");
_Static_assert(sizeof(rp_assignment_policy) == sizeof(int), "enums are stored as int");
_Static_assert(sizeof(rp_dim_kind) == sizeof(int), "enums are stored as int");
_Static_assert(sizeof(rp_sweep_streams) == sizeof(int), "enums are stored as int");

/* Words of the enums, in the order of their C values. */
static const char *const discussion_policies[] = {"never", "intake", "delayed", "responsive", NULL};
static const char *const assignment_policies[] = {"random", "same_group", "min_distance", NULL};
static const char *const dimension_kinds[] = {"categorical", "continuous", NULL};
static const char *const family_names[] = {"fixed", "beta", "gamma", "normal"}; /* by rp_dist_kind */
static const char *const booleans[] = {"false", "true", NULL};
static const char *const compressions[] = {"none", "lz4", "deflate", NULL};
static const char *const trajectory_variables[] = {"A", "T", "S", "D", "N", "rupture", "repaired", NULL};
static const char *const sweep_streams[] = {"common", "independent", NULL};

#define P(f) offsetof(rp_params, f)
/* A double: key, field, default, min, max, flags, symbol, unit, meaning. */
#define DBL(key, f, def, lo, hi, fl, sym, unit, what) \
    {key, RP_PT_DOUBLE, P(f), def, NULL, lo, hi, fl, NULL, 0, sym, unit, what, 0, 0, NULL}
#define INT(key, type, f, def, lo, hi, fl, sym, unit, what) \
    {key, type, P(f), def, NULL, lo, hi, fl, NULL, 0, sym, unit, what, 0, 0, NULL}
#define ENUM(key, f, def, words, sym, what) {key, RP_PT_ENUM, P(f), def, NULL, 0, 0, 0, words, 0, sym, "", what, 0, 0, NULL}
#define STRUCT(key, type, what) {key, type, 0, 0, NULL, 0, 0, 0, NULL, 0, "", "", what, 0, 0, NULL}
/* A double of model 2 on: its default there, and def_v1, the value that is
 * version 1 (its term off), under model 1. */
#define DBL2(key, f, def, v1, lo, hi, fl, sym, unit, what) \
    {key, RP_PT_DOUBLE, P(f), def, NULL, lo, hi, fl, NULL, 0, sym, unit, what, 2, v1, NULL}
/* A double calibrated in every version (RP_PF_CALIBRATED): model 2's fitted
 * default, and v1, model 1's. */
#define CAL(key, f, def, v1, lo, hi, fl, sym, unit, what) \
    {key, RP_PT_DOUBLE, P(f), def, NULL, lo, hi, (fl) | RP_PF_CALIBRATED, NULL, 0, sym, unit, what, 0, v1, NULL}
#define MAX_WEEKS 1040.0 /* 20 years of weekly sessions */
#define MAX_COUNT 1e12
/* Below 2^32, so that a run's random stream (point + 1) x 2^32 + replicate
 * of independent streams is unique (docs/SCENARIO.md, Sweeps). */
#define MAX_REPLICATES 1e9
/* Logit coefficients. L(x) = 1/(1+e^-x) is exactly 1 in double from x = 37
 * and exactly 0 below x = -745, so a slope up to 1e3 (times an input in
 * [0, 1]) and an intercept in +-1e4 (enough to offset every slope of its
 * hazard) reach every probability there is, and any sum of them stays finite. */
#define LOGIT_SLOPE_MAX 1e3
#define LOGIT_INTERCEPT_MAX 1e4
/* Sds on the logit scale (u_i, skill): a normal draw is at most ~12 sd (the
 * largest the 53 bits of a uniform give), and at sd 1e3 every pair's target
 * is already 0 or 1; beta_skill x skill <= 1.2e7 stays finite. */
#define LOGIT_SD_MAX 1e3
/* Symptom scales, in points (S_max, S_rec, a group's S0, Delta_S, sigma_S):
 * S stays in [0, 1e6], so the sums over up to 1e12 pairs behind a mean, r and
 * the ICC (squares of 2e6 at most) stay below 1e31; a scale of 1e308 summed to
 * inf. A PHQ-9 is 27 points, the widest clinical scales a few hundred. */
#define POINTS_MAX 1e6
/* A weekly stressor rate: at most 1e6 fixed; a gamma's mean shape x scale is
 * held to the same and its scale to <= 1e3, so no draw exceeds ~1.5e6 and a
 * week's count (an unsigned; trajectories store N as a byte that saturates
 * at 254) stays far below 2^32. Delta_S N and delta_N N then stay finite. */
#define RATE_MAX 1e6
#define GAMMA_SCALE_MAX 1e3
/* Shapes of beta and gamma: GSL's samplers take 1/a, log(U)/a and a + b,
 * finite on [1e-6, 1e6] (a subnormal a gave NaN). Below 1e-6 a beta is a
 * two-point distribution to within 1e-6, above 1e6 its sd is below 5e-4
 * (a fixed value says that). */
#define SHAPE_MIN 1e-6
#define SHAPE_MAX 1e6
/* Only the ratios of dimension weights matter; within [1e-6, 1e6] their
 * products and sums keep full precision (a subnormal weight turned every
 * w_k delta_k^2 into 0) and 12 of them sum far below overflow. */
#define WEIGHT_MIN 1e-6
#define WEIGHT_MAX 1e6

static const rp_param scenario_table[] = {
    INT("seed", RP_PT_UINT64, seed, 0, 0, 18446744073709551615.0, RP_PF_REQUIRED, "", "",
        "master seed of every random draw; also --set seed=N"),
    INT("model", RP_PT_INT, model, RP_MODEL_DEFAULT, 1, RP_MODEL_LATEST, 0, "", "",
        "the version of MODEL.md the scenario runs (1 or 2); a parameter of model 2 is refused under model 1"),
    INT("horizon", RP_PT_INT, horizon, 26, 1, MAX_WEEKS, 0, "horizon", "weeks", "weeks a pair is followed"),
    INT("course", RP_PT_INT, course, 16, 1, MAX_WEEKS, 0, "course", "sessions", "planned number of sessions"),
    INT("replicates", RP_PT_INT64, replicates, 1, 1, MAX_REPLICATES, 0, "", "runs",
        "runs of every sweep point, with random streams of replicates 0 to R - 1"),
    /* At least 1e-6: below, the squared differences behind r and the ICC
     * reach subnormal numbers (at S_max = 5e-324 r came out infinite). */
    DBL("symptoms.max", symptoms.max, 27, 1e-6, POINTS_MAX, 0, "S_max", "points", "top of the symptom scale"),
    DBL("symptoms.recovered", symptoms.recovered, 5, 0, POINTS_MAX, 0, "S_rec", "points",
        "remission threshold, below symptoms.max"),
    DBL("symptoms.improvement", symptoms.improvement, 0.1, 0, 1, 0, "γ", "1/week",
        "mean weekly share of symptoms removed at full alliance"),
    DBL("symptoms.stressor_jump", symptoms.stressor_jump, 1.5, 0, POINTS_MAX, 0, "Δ_S", "points/stressor",
        "symptom increase per stressor"),
    DBL("symptoms.noise", symptoms.noise, 2.5, 0, POINTS_MAX, 0, "σ_S", "points", "sd of the weekly symptom noise"),
    DBL("alliance.beta0", alliance.beta0, 1.0, -LOGIT_INTERCEPT_MAX, LOGIT_INTERCEPT_MAX, 0, "β0", "logit", "intercept of the alliance target"),
    DBL("alliance.beta_skill", alliance.beta_skill, 1.0, 0, LOGIT_SLOPE_MAX, 0, "β_s", "logit", "alliance target: skill"),
    DBL("alliance.beta_trust", alliance.beta_trust, 2.0, 0, LOGIT_SLOPE_MAX, 0, "β_T", "logit", "alliance target: trust"),
    DBL("alliance.beta_distance", alliance.beta_distance, 1.2, 0, LOGIT_SLOPE_MAX, 0, "β_d", "logit",
        "alliance target: felt cultural distance"),
    DBL("alliance.rate", alliance.rate, 0.3, 0, 1, 0, "κ", "1/week",
        "weekly pull of the alliance toward its target"),
    /* A lives on [0.001, 0.999]: at sd 10 it lands on a clip bound in 96% of
     * weeks, and nothing larger changes more. */
    DBL("alliance.noise", alliance.noise, 0.03, 0, 10, 0, "σ_A", "", "sd of the weekly alliance noise"),
    DBL("rupture.base", rupture.base, -2.5, -LOGIT_INTERCEPT_MAX, LOGIT_INTERCEPT_MAX, 0, "ρ0", "logit", "rupture hazard: intercept"),
    DBL("rupture.distance", rupture.distance, 2.0, 0, LOGIT_SLOPE_MAX, 0, "ρ_d", "logit", "rupture hazard: felt distance"),
    DBL("rupture.low_alliance", rupture.low_alliance, 2.0, 0, LOGIT_SLOPE_MAX, 0, "ρ_A", "logit",
        "rupture hazard: low alliance (1 - A)"),
    DBL("rupture.repair_gain", rupture.repair_gain, 0.03, 0, 1, 0, "Δ_rep", "",
        "alliance gain of a repaired rupture"),
    DBL("rupture.loss", rupture.loss, 0.10, 0, 1, 0, "Δ_rup", "", "alliance loss of an unrepaired rupture"),
    DBL("repair.base", repair.base, -0.5, -LOGIT_INTERCEPT_MAX, LOGIT_INTERCEPT_MAX, 0, "θ0", "logit", "repair probability: intercept"),
    DBL("repair.humility", repair.humility, 2.0, 0, LOGIT_SLOPE_MAX, 0, "θ_h", "logit", "repair probability: provider humility"),
    DBL("repair.discussed", repair.discussed, 1.0, 0, LOGIT_SLOPE_MAX, 0, "θ_D", "logit",
        "repair probability: difference discussed"),
    DBL("trust.rate", trust.rate, 0.15, 0, 1, 0, "η", "1/week", "weekly pull of trust toward the alliance"),
    DBL("trust.rupture_loss", trust.rupture_loss, 0.08, 0, 1, 0, "Δ_T", "", "trust loss per unrepaired rupture"),
    DBL2("trust.repair_gain", trust.repair_gain, 0.05, 0, 0, 1, 0, "Δ_T⁺", "",
         "trust regained after a repaired rupture"),
    DBL("trust.undiscussed_erosion", trust.undiscussed_erosion, 0.02, 0, 1, 0, "ψ", "1/week",
        "weekly trust erosion by an undiscussed, noticeable difference (times d)"),
    DBL("trust.notice_distance", trust.notice_distance, 0.3, 0, 1, 0, "d_notice", "",
        "distance above which an undiscussed difference erodes trust"),
    DBL2("humility.felt_distance", humility.felt_distance, 0.3, 0, 0, 1, 0, "χ", "",
         "share of the felt distance a fully humble provider removes before any discussion"),
    DBL("discussion.effect", discussion.effect, 0.6, 0, 1, 0, "φ", "",
        "share of felt distance that discussing removes"),
    DBL("discussion.humility_share", discussion.humility_share, 0.5, 0, 1, 0, "ω", "",
        "how much of that effect depends on provider humility"),
    DBL("discussion.patient_raises", discussion.patient_raises, 0.02, 0, 1, 0, "π", "1/week",
        "weekly chance that a patient raises the difference, times trust"),
    ENUM("discussion.policy", discussion.policy, RP_DISCUSS_NEVER, discussion_policies, "policy",
         "when the provider raises cultural difference"),
    INT("discussion.week", RP_PT_INT, discussion.week, 4, 0, MAX_WEEKS, 0, "k", "week",
        "week of the discussion under policy delayed"),
    CAL("dropout.base", dropout.base, -8.0275, -8.1187, -LOGIT_INTERCEPT_MAX, LOGIT_INTERCEPT_MAX, 0, "δ0", "logit", "weekly dropout hazard: intercept"),
    DBL("dropout.low_alliance", dropout.low_alliance, 2.0, 0, LOGIT_SLOPE_MAX, 0, "δ_A", "logit",
        "dropout hazard: low alliance (1 - A)"),
    DBL("dropout.low_trust", dropout.low_trust, 1.5, 0, LOGIT_SLOPE_MAX, 0, "δ_T", "logit", "dropout hazard: low trust (1 - T)"),
    DBL("dropout.barrier", dropout.barrier, 1.0, 0, LOGIT_SLOPE_MAX, 0, "δ_b", "logit", "dropout hazard: structural barrier"),
    DBL("dropout.stressor", dropout.stressor, 0.4, 0, LOGIT_SLOPE_MAX, 0, "δ_N", "logit/stressor",
        "dropout hazard: stressors this week"),
    CAL("dropout.early", dropout.early, 3.8075, 3.962, 0, LOGIT_SLOPE_MAX, 0, "δ_E", "logit", "extra dropout hazard of the first weeks"),
    /* From tau = 1e4 weeks on, e^(-t/tau) > 0.9 over the longest horizon: the
     * extra hazard is a constant, and no larger tau says more. */
    DBL("dropout.early_weeks", dropout.early_weeks, 1.5, 0, 1e4, RP_PF_MIN_OPEN, "τ_E", "weeks",
        "decay time of the early extra hazard"),
    STRUCT("culture.dimensions", RP_PT_DIMENSIONS, "cultural dimensions, in order (see below)"),
    INT("patients.count", RP_PT_INT64, patients.count, 0, 1, MAX_COUNT, RP_PF_REQUIRED, "N", "patients",
        "number of patients"),
    DBL("patients.alliance_sd", patients.alliance_sd, 1.0, 0, LOGIT_SD_MAX, 0, "σ_P", "logit",
        "sd of the patient's alliance propensity u_i"),
    /* gamma_i = gamma e^(sd z - sd^2/2) with |z| <= ~12: the exponent is at most
     * 70 for sd <= 10 (at sd 1e308, inf - inf gave NaN); at sd 10 half the
     * patients already have gamma_i < 1e-21 gamma. */
    CAL("patients.response_sd", patients.response_sd, 1.0046, 1.0427, 0, 10, 0, "σ_γ", "",
        "log-sd of the patient's treatment responsiveness"),
    STRUCT("patients.groups", RP_PT_PATIENT_GROUPS, "patient groups by name (see below)"),
    STRUCT("patients.from", RP_PT_DATA, "a CSV file of one row per patient, relative to the scenario; patients.count "
           "then defaults to its rows (see Populations from data files)"),
    STRUCT("patients.ignore", RP_PT_DATA, "columns of patients.from that the scenario does not read"),
    STRUCT("patients.map", RP_PT_DATA, "the file's own codes and scales: COLUMN: {to, codes or breaks and values}"),
    STRUCT("patients.missing", RP_PT_DATA, "an empty or NA value in patients.from: error, or draw (from the row's "
           "group)"),
    STRUCT("patients.resample", RP_PT_DATA, "with patients.from: draw patients.count rows with replacement (true) "
           "or take each row once (false); default true when patients.count is given"),
    {"patients.gradient.dimension", RP_PT_NAME, P(patients.gradient.dimension), 0, "class", 0, 0, RP_PF_COMPUTED,
     NULL, 0, "g",
     "", "continuous dimension of the deprivation gradient (c_g), or none; default class if declared continuous",
     2, 0, "none"},
    /* A shift on the logit scale, times c - 1/2 in [-1/2, 1/2]. */
    DBL2("patients.gradient.barrier", patients.gradient.barrier, -1.5, 0, -LOGIT_SLOPE_MAX, LOGIT_SLOPE_MAX, 0,
         "g_b", "logit", "barrier shift: logit(b) + g_b (c_g - 1/2)"),
    /* lambda e^(g (c - 1/2)) within a factor e^5 = 148 of the drawn rate, so
     * a rate stays below 1.5e8 and a week's count far below 2^32. */
    DBL2("patients.gradient.stressor_rate", patients.gradient.stressor_rate, -1.0, 0, -10, 10, 0, "g_λ", "",
         "stressor rate factor: λ e^(g_λ (c_g - 1/2))"),
    DBL2("patients.gradient.mistrust", patients.gradient.mistrust, 0, 0, -LOGIT_SLOPE_MAX, LOGIT_SLOPE_MAX, 0,
         "g_m", "logit", "mistrust shift: logit(m) + g_m (c_g - 1/2)"),
    INT("providers.count", RP_PT_INT64, providers.count, 0, 1, MAX_COUNT, RP_PF_COMPUTED, "M", "providers",
        "number of providers; default ceil(patients.count / providers.caseload)"),
    INT("providers.caseload", RP_PT_INT64, providers.caseload, 20, 1, 1e6, 0, "C", "patients",
        "patients a provider treats at once; count x caseload >= patients.count"),
    CAL("providers.skill_sd", providers.skill_sd, 1.271, 1.3319, 0, LOGIT_SD_MAX, 0, "sd_skill", "logit", "sd of provider skill"),
    DBL2("providers.retention_sd", providers.retention_sd, 0.44567, 0, 0, LOGIT_SD_MAX, RP_PF_CALIBRATED, "sd_retention", "logit",
         "sd of the provider's retention effect ε_j in the dropout hazard, drawn independently of skill"),
    STRUCT("providers.groups", RP_PT_PROVIDER_GROUPS, "provider groups by name (see below)"),
    STRUCT("providers.from", RP_PT_DATA, "a CSV file of one row per provider, relative to the scenario; "
           "providers.count then defaults to its rows"),
    STRUCT("providers.ignore", RP_PT_DATA, "columns of providers.from that the scenario does not read"),
    STRUCT("providers.map", RP_PT_DATA, "as patients.map, for providers.from"),
    STRUCT("providers.missing", RP_PT_DATA, "an empty or NA value in providers.from: error, or draw"),
    STRUCT("providers.resample", RP_PT_DATA, "as patients.resample, for providers.from"),
    ENUM("assignment.policy", assignment.policy, RP_ASSIGN_RANDOM, assignment_policies, "",
         "how patients are assigned to providers"),
    {"assignment.match_on", RP_PT_NAME, P(assignment.match_on), 0, "ethnoracial", 0, 0, RP_PF_COMPUTED, NULL, 0,
     "", "", "categorical dimension of same_group; default ethnoracial if declared (required for same_group)", 0, 0, NULL},
    INT("report.ambivalence_week", RP_PT_INT, report.ambivalence_week, 1, 0, MAX_WEEKS, 0, "", "week",
        "week at which ambivalence is read, at most horizon"),
    DBL("report.ambivalence_threshold", report.ambivalence_threshold, 0.5, 0, 1, 0, "", "",
        "trust below which a patient counts as ambivalent"),
    {"output.variables", RP_PT_FLAGS, P(output.variables), RP_TRAJ_ALL, NULL, 0, 0, 0, trajectory_variables, 0, "",
     "", "trajectories written: all, none, or some of A, T, S, D, N, rupture, repaired", 0, 0, NULL},
    INT("output.every", RP_PT_INT, output.every, 1, 1, MAX_WEEKS, 0, "", "weeks",
        "trajectories at weeks 0, k, 2k, ... for every = k"),
    {"output.sample", RP_PT_PROB, P(output.sample), 1, NULL, 0, 1, RP_PF_MIN_OPEN, NULL, 0, "", "",
     "share of pairs whose trajectories are written (a seeded random sample)", 0, 0, NULL},
    ENUM("output.pairs", output.pairs, 1, booleans, "", "write the per-pair table (true or false)"),
    ENUM("output.compression", output.compression, RP_COMPRESS_NONE, compressions, "",
         "none (fastest, any reader), lz4 (HDF5 filter plugin 32004), deflate (portable, slow)"),
    INT("output.level", RP_PT_INT, output.level, 1, 1, 9, 0, "", "", "deflate level, with compression deflate"),
    ENUM("sweep.streams", sweep.streams, RP_STREAMS_COMMON, sweep_streams, "",
         "common: replicate r of every point sees the same random numbers; independent: each point its own"),
    STRUCT("sweep.grid", RP_PT_SWEEP_GRID, "axes whose cartesian product gives the points (see Sweeps)"),
    STRUCT("sweep.zip", RP_PT_SWEEP_ZIP, "groups of axes whose values move together (see Sweeps)"),
    STRUCT("sweep.lhs", RP_PT_SWEEP_LHS, "a Latin hypercube over numeric ranges (see Sweeps)"),
    STRUCT("sweep.sobol", RP_PT_SWEEP_SOBOL,
           "a Sobol sequence over numeric ranges, optionally a Saltelli design (see Sweeps)"),
    {"contrasts.reference_group", RP_PT_NAME, P(contrasts.reference_group), 0, "white", 0, 0, RP_PF_COMPUTED, NULL, 0,
     "", "", "the patient group that each group's gap and ratio compare with; default the first group", 0, 0, NULL},
    INT("contrasts.reference_point", RP_PT_INT64, contrasts.reference_point, 0, 0, 999999, 0, "", "",
        "the sweep point (its index, as show lists them) that paired differences, relative values and "
        "changes of gaps compare with"),
    STRUCT("uncertainty.draws", RP_PT_DATA, "draws of the coefficients for a probabilistic sensitivity analysis: "
           "every point runs under each (see Uncertainty)"),
    STRUCT("uncertainty.posterior", RP_PT_DATA, "the posterior file of an abc-smc calibration the draws come from, "
           "relative to the scenario"),
    STRUCT("uncertainty.priors", RP_PT_DATA, "instead of a posterior: KEY: \"uniform(LO, HI)\" (or normal, beta, "
           "lognormal), the distributions the draws come from"),
};

static const rp_param dimension_table[] = {
    {"name", RP_PT_NAME, offsetof(rp_dimension, name), 0, NULL, 0, 0, RP_PF_REQUIRED, NULL, 0, "", "",
     "name of the dimension, unique", 0, 0, NULL},
    {"kind", RP_PT_ENUM, offsetof(rp_dimension, kind), 0, NULL, 0, 0, RP_PF_REQUIRED, dimension_kinds, 0, "", "",
     "categorical (named levels) or continuous (on [0, 1])", 0, 0, NULL},
    {"weight", RP_PT_DOUBLE, offsetof(rp_dimension, weight), 0, NULL, WEIGHT_MIN, WEIGHT_MAX, RP_PF_REQUIRED, NULL,
     0, "w_k", "", "weight in the cultural distance", 0, 0, NULL},
    {"levels", RP_PT_LEVELS, offsetof(rp_dimension, levels), 0, NULL, 0, 0, 0, NULL, 0, "", "",
     "categorical only, required there: the level names, unique", 0, 0, NULL},
};

#define BETA_OR_FIXED RP_FAMILY(RP_DIST_BETA)
#define G(key, f, fam, lo, hi, fl, sym, what) \
    {key, RP_PT_DIST, offsetof(rp_group, f), 0, NULL, lo, hi, RP_PF_REQUIRED | (fl), NULL, fam, sym, "", what, 0, 0, NULL}
static const rp_param group_table[] = {
    {"share", RP_PT_PROB, offsetof(rp_group, share), 0, NULL, 0, 1, RP_PF_REQUIRED | RP_PF_PATIENT | RP_PF_PROVIDER,
     NULL, 0, "", "", "share of the population; the shares of a population sum to 1", 0, 0, NULL},
    G("mistrust", mistrust, BETA_OR_FIXED, 0, 1, RP_PF_PATIENT, "m", "institutional mistrust"),
    G("barrier", barrier, BETA_OR_FIXED, 0, 1, RP_PF_PATIENT, "b", "structural barrier"),
    G("stressor_rate", stressor_rate, RP_FAMILY(RP_DIST_GAMMA), 0, RATE_MAX, RP_PF_PATIENT, "λ",
      "weekly stressor rate (Poisson mean)"),
    G("symptoms", symptoms, RP_FAMILY(RP_DIST_NORMAL), 0, POINTS_MAX, RP_PF_PATIENT, "S0",
      "intake symptoms, clamped to [symptoms.recovered, symptoms.max]"),
    G("humility", humility, BETA_OR_FIXED, 0, 1, RP_PF_PROVIDER, "h", "cultural humility"),
};

static const rp_param trait_row =
    {"(continuous dimension)", RP_PT_DIST, 0, 0, NULL, 0, 1, RP_PF_REQUIRED | RP_PF_PATIENT | RP_PF_PROVIDER, NULL,
     BETA_OR_FIXED, "", "", "the group's distribution of a continuous dimension", 0, 0, NULL};
/* The parameters of the families, in the order they are written. A normal's
 * mean is not here: it takes the range of its key's fixed value (and so does
 * a gamma's mean shape x scale). A gamma's scale, like a shape, is kept off
 * subnormal values (SHAPE_MIN); GAMMA_SCALE_MAX is at RATE_MAX. */
static const rp_param family_table[] = {
    {"a", RP_PT_DOUBLE, offsetof(rp_dist, a), 0, NULL, SHAPE_MIN, SHAPE_MAX, 0, NULL, RP_FAMILY(RP_DIST_BETA), "",
     "", "first shape", 0, 0, NULL},
    {"b", RP_PT_DOUBLE, offsetof(rp_dist, b), 0, NULL, SHAPE_MIN, SHAPE_MAX, 0, NULL, RP_FAMILY(RP_DIST_BETA), "",
     "", "second shape", 0, 0, NULL},
    {"shape", RP_PT_DOUBLE, offsetof(rp_dist, a), 0, NULL, SHAPE_MIN, SHAPE_MAX, 0, NULL, RP_FAMILY(RP_DIST_GAMMA),
     "", "", "shape", 0, 0, NULL},
    {"scale", RP_PT_DOUBLE, offsetof(rp_dist, b), 0, NULL, SHAPE_MIN, GAMMA_SCALE_MAX, 0, NULL,
     RP_FAMILY(RP_DIST_GAMMA), "", "", "scale", 0, 0, NULL},
    {"sd", RP_PT_DOUBLE, offsetof(rp_dist, b), 0, NULL, 0, POINTS_MAX, 0, NULL, RP_FAMILY(RP_DIST_NORMAL), "", "",
     "standard deviation", 0, 0, NULL},
};
/* KEY.mean and KEY.sd of a group's distribution (docs/SCENARIO.md, "A
 * distribution by its mean and sd"): the mean within the key's range, the sd
 * within what the family allows. A beta on [0, 1] has sd below 1/2; a
 * gamma's sd is positive, up to RATE_MAX like its mean; a normal's sd as
 * written (family_table). What else a value needs (a beta's mean strictly
 * inside (0, 1), a concentration above 0, the shapes' bounds) depends on the
 * distribution it changes and is checked there (scenario.c). */
#define MOMENT(name, lo, hi, fl, what) \
    {name, RP_PT_DOUBLE, 0, 0, NULL, lo, hi, fl, NULL, 0, "", "", what, 0, 0, NULL}
static const rp_param moment_rows[][2] = {
    {MOMENT("mean", 0, 1, 0, "mean of the distribution"),
     MOMENT("sd", 0, 0.5, RP_PF_MIN_OPEN | RP_PF_MAX_OPEN, "standard deviation of the distribution")},
    {MOMENT("mean", 0, RATE_MAX, 0, "mean of the distribution"),
     MOMENT("sd", 0, RATE_MAX, RP_PF_MIN_OPEN, "standard deviation of the distribution")},
    {MOMENT("mean", 0, POINTS_MAX, 0, "mean of the distribution"),
     MOMENT("sd", 0, POINTS_MAX, 0, "standard deviation of the distribution")},
};

const rp_param *rp_paramtable_moment(const rp_param *dist, bool sd)
{
    if (!dist || dist->type != RP_PT_DIST)
        return NULL;
    const int k = dist->families & RP_FAMILY(RP_DIST_GAMMA) ? 1 : dist->families & RP_FAMILY(RP_DIST_NORMAL) ? 2 : 0;
    return &moment_rows[k][sd];
}

static const rp_param level_prob_row =
    {"(level)", RP_PT_PROB, 0, 0, NULL, 0, 1, 0, NULL, 0, "", "", "probability of one level", 0, 0, NULL};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

const rp_param *rp_paramtable_scenario(size_t *n)
{
    *n = COUNT(scenario_table);
    return scenario_table;
}

const rp_param *rp_paramtable_dimension(size_t *n)
{
    *n = COUNT(dimension_table);
    return dimension_table;
}

const rp_param *rp_paramtable_group(size_t *n)
{
    *n = COUNT(group_table);
    return group_table;
}

const rp_param *rp_paramtable_trait(void)
{
    return &trait_row;
}

const rp_param *rp_paramtable_family(size_t *n)
{
    *n = COUNT(family_table);
    return family_table;
}

const rp_param *rp_paramtable_level_prob(void)
{
    return &level_prob_row;
}

const rp_param *rp_paramtable_find(const rp_param *table, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(table[i].name, name) == 0)
            return &table[i];
    return NULL;
}

/* MODEL.md "Reference scenario", verbatim. Shares are the study's counts of
 * 27 as fractions, so they are exact to the last bit. */
static const char population_yaml[] =
    "culture:\n"
    "  dimensions:\n"
    "    - {name: ethnoracial, kind: categorical, weight: 1.0, levels: [white, latinx, black, asian]}\n"
    "    - {name: language, kind: categorical, weight: 0.6, levels: [english, spanish, other]}\n"
    "    - {name: class, kind: continuous, weight: 0.7}\n"
    "    - {name: explanatory_model, kind: continuous, weight: 0.8}\n"
    "patients:\n"
    "  groups:\n"
    "    white:\n"
    "      share: 2/27\n"
    "      ethnoracial: white\n"
    "      language: english\n"
    "      class: beta(5, 3)\n"
    "      explanatory_model: beta(2, 5)\n"
    "      mistrust: beta(2, 6)\n"
    "      barrier: beta(2, 6)\n"
    "      stressor_rate: gamma(2, 0.03)\n"
    "      symptoms: normal(15, 4)\n"
    "    latinx:\n"
    "      share: 14/27\n"
    "      ethnoracial: latinx\n"
    "      language: {english: 0.4, spanish: 0.6}\n"
    "      class: beta(2, 5)\n"
    "      explanatory_model: beta(3, 3)\n"
    "      mistrust: beta(4, 5)\n"
    "      barrier: beta(3, 4)\n"
    "      stressor_rate: gamma(2, 0.05)\n"
    "      symptoms: normal(15, 4)\n"
    "    black:\n"
    "      share: 8/27\n"
    "      ethnoracial: black\n"
    "      language: english\n"
    "      class: beta(2, 4)\n"
    "      explanatory_model: beta(3, 3)\n"
    "      mistrust: beta(5, 4)\n"
    "      barrier: beta(3, 4)\n"
    "      stressor_rate: gamma(2, 0.05)\n"
    "      symptoms: normal(15, 4)\n"
    "    asian:\n"
    "      share: 3/27\n"
    "      ethnoracial: asian\n"
    "      language: {english: 0.5, other: 0.5}\n"
    "      class: beta(3, 3)\n"
    "      explanatory_model: beta(4, 3)\n"
    "      mistrust: beta(4, 5)\n"
    "      barrier: beta(2, 5)\n"
    "      stressor_rate: gamma(2, 0.04)\n"
    "      symptoms: normal(15, 4)\n"
    "providers:\n"
    "  groups:\n"
    "    white:\n"
    "      share: 0.65\n"
    "      ethnoracial: white\n"
    "      language: english\n"
    "      class: beta(6, 2)\n"
    "      explanatory_model: beta(2, 6)\n"
    "      humility: beta(3, 3)\n"
    "    latinx:\n"
    "      share: 0.15\n"
    "      ethnoracial: latinx\n"
    "      language: {english: 0.2, spanish: 0.8}\n"
    "      class: beta(5, 3)\n"
    "      explanatory_model: beta(2, 4)\n"
    "      humility: beta(3, 3)\n"
    "    black:\n"
    "      share: 0.10\n"
    "      ethnoracial: black\n"
    "      language: english\n"
    "      class: beta(5, 3)\n"
    "      explanatory_model: beta(2, 4)\n"
    "      humility: beta(3, 3)\n"
    "    asian:\n"
    "      share: 0.10\n"
    "      ethnoracial: asian\n"
    "      language: {english: 0.6, other: 0.4}\n"
    "      class: beta(5, 3)\n"
    "      explanatory_model: beta(2, 4)\n"
    "      humility: beta(3, 3)\n";

const char *rp_paramtable_population(void)
{
    return population_yaml;
}

/* ---- defaults ---- */

/* row as model 1 has it: its def_v1 as the default, a row of every version. */
static rp_param version1_row(const rp_param *row)
{
    rp_param v1 = *row;
    v1.def = row->def_v1;
    v1.def_name = row->def_name_v1;
    v1.since = 0;
    v1.flags &= ~(unsigned)RP_PF_CALIBRATED;
    return v1;
}

void rp_paramtable_set_default(const rp_param *row, void *field)
{
    rp_paramtable_set_default_model(row, RP_MODEL_DEFAULT, field);
}

void rp_paramtable_set_default_model(const rp_param *row, int model, void *field)
{
    if (model < 2 && rp_paramtable_by_model(row)) { /* version 1's value: its term off, or its calibration */
        const rp_param v1 = version1_row(row);
        rp_paramtable_set_default_model(&v1, model, field);
        return;
    }
    switch (row->type) {
    case RP_PT_INT:
    case RP_PT_ENUM:
        *(int *)field = (int)row->def;
        break;
    case RP_PT_FLAGS:
        *(unsigned *)field = (unsigned)row->def;
        break;
    case RP_PT_INT64:
        *(int64_t *)field = (int64_t)row->def;
        break;
    case RP_PT_UINT64:
        *(uint64_t *)field = (uint64_t)row->def;
        break;
    case RP_PT_DOUBLE:
    case RP_PT_PROB:
        *(double *)field = row->def;
        break;
    case RP_PT_NAME:
        snprintf((char *)field, RP_NAME_MAX, "%s", row->def_name ? row->def_name : "");
        break;
    default: /* distributions and structured rows have no scalar default */
        break;
    }
}

/* ---- describing what a row accepts ---- */

/* "in [0, 1]", ">= 0", "> 0", "" (any finite value). */
static const char *range_phrase(const rp_param *row, char *buf, size_t size)
{
    bool lo = isfinite(row->min), hi = isfinite(row->max);
    bool lo_open = row->flags & RP_PF_MIN_OPEN, hi_open = row->flags & RP_PF_MAX_OPEN;
    if (lo && hi)
        snprintf(buf, size, "in %c%.15g, %.15g%c", lo_open ? '(' : '[', row->min, row->max, hi_open ? ')' : ']');
    else if (lo)
        snprintf(buf, size, "%s %.15g", lo_open ? ">" : ">=", row->min);
    else if (hi)
        snprintf(buf, size, "%s %.15g", hi_open ? "<" : "<=", row->max);
    else
        buf[0] = '\0';
    return buf;
}

const char *rp_paramtable_join(const char *const *candidates, size_t n, char *buf, size_t size)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        int w = snprintf(buf + used, size - used, "%s%s", i ? ", " : "", candidates[i]);
        if (w < 0 || (size_t)w >= size - used) {
            /* out of room: end with ", ..." where it still fits */
            size_t keep = size > 6 ? size - 6 : 0;
            if (used > keep)
                used = keep;
            snprintf(buf + used, size - used, ", ...");
            break;
        }
        used += (size_t)w;
    }
    return buf;
}

static size_t count_words(const char *const *words)
{
    size_t n = 0;
    while (words[n])
        n++;
    return n;
}

const char *rp_paramtable_expected(const rp_param *row, char *buf, size_t size)
{
    char range[96], list[256];
    range_phrase(row, range, sizeof range);
    switch (row->type) {
    case RP_PT_INT:
    case RP_PT_INT64:
        snprintf(buf, size, "a whole number %s", range);
        break;
    case RP_PT_UINT64:
        snprintf(buf, size, "a whole number in [0, %" PRIu64 "]", UINT64_MAX);
        break;
    case RP_PT_DOUBLE:
        snprintf(buf, size, range[0] ? "a number %s" : "a number%s", range);
        break;
    case RP_PT_PROB:
        snprintf(buf, size, "a probability %s (a number or a fraction a/b)", range);
        break;
    case RP_PT_ENUM:
        snprintf(buf, size, "one of %s", rp_paramtable_join(row->words, count_words(row->words), list, sizeof list));
        break;
    case RP_PT_FLAGS:
        snprintf(buf, size, "all, none, or some of %s separated by commas (or a list)",
                 rp_paramtable_join(row->words, count_words(row->words), list, sizeof list));
        break;
    case RP_PT_NAME:
        snprintf(buf, size, "a name of letters, digits, '_' and '-' (at most %d bytes)", RP_NAME_MAX - 1);
        break;
    case RP_PT_DIST: {
        static const char *const forms[] = {"", "beta(a, b) or ", "gamma(shape, scale) or ", "normal(mean, sd) or "};
        char families[96] = "";
        for (int k = RP_DIST_BETA; k <= RP_DIST_NORMAL; k++)
            if (row->families & RP_FAMILY(k))
                strncat(families, forms[k], sizeof families - strlen(families) - 1);
        snprintf(buf, size, "%sa fixed number %s", families, range);
        break;
    }
    case RP_PT_DIMENSIONS:
        snprintf(buf, size, "a sequence of dimensions");
        break;
    case RP_PT_LEVELS:
        snprintf(buf, size, "a sequence of level names, such as [english, spanish]");
        break;
    case RP_PT_SWEEP_GRID:
        snprintf(buf, size, "a mapping KEY: [VALUE, ...] of dotted keys to lists of values");
        break;
    case RP_PT_SWEEP_ZIP:
        snprintf(buf, size, "a sequence of mappings KEY: [VALUE, ...], the lists of one mapping equally long");
        break;
    case RP_PT_SWEEP_LHS:
        snprintf(buf, size, "a mapping {samples: N, ranges: {KEY: [lo, hi], ...}}");
        break;
    case RP_PT_SWEEP_SOBOL:
        snprintf(buf, size, "a mapping {samples: N, ranges: {KEY: [lo, hi], ...}, saltelli: false or true}");
        break;
    case RP_PT_DATA: { /* by the key's last name: from, ignore, map, missing, resample */
        const char *key = strrchr(row->name, '.') ? strrchr(row->name, '.') + 1 : row->name;
        snprintf(buf, size, "%s", strcmp(key, "draws") == 0       ? "an uncertainty section's whole number of draws, 1 to 100000"
                                  : strcmp(key, "posterior") == 0 ? "an uncertainty section's path of a posterior file (rapport calibrate, "
                                                                    "method: abc-smc)"
                                  : strcmp(key, "priors") == 0    ? "a mapping KEY: \"uniform(LO, HI)\" of "
                                                                    "coefficients to distributions"
                                  : strcmp(key, "from") == 0     ? "a data file: the path of a CSV file"
                                  : strcmp(key, "ignore") == 0 ? "a data file's list of column names"
                                  : strcmp(key, "map") == 0    ? "a data file's mapping COLUMN: {to, codes or breaks "
                                                                 "and values}"
                                  : strcmp(key, "missing") == 0 ? "a data file's error or draw"
                                                                : "a data file's false or true");
        break;
    }
    default:
        snprintf(buf, size, "a mapping of group names to groups");
        break;
    }
    return buf;
}

/* ---- text to numbers ---- */

/* Whether s has the shape of a decimal number: [+-] digits [. digits] [e [+-] digits]. */
static bool number_shape(const char *s, bool *integral)
{
    const char *p = s;
    size_t digits = 0;
    *integral = true;
    if (*p == '+' || *p == '-')
        p++;
    for (; isdigit((unsigned char)*p); p++)
        digits++;
    if (*p == '.') {
        *integral = false;
        for (p++; isdigit((unsigned char)*p); p++)
            digits++;
    }
    if (!digits)
        return false;
    if (*p == 'e' || *p == 'E') {
        *integral = false;
        p++;
        if (*p == '+' || *p == '-')
            p++;
        if (!isdigit((unsigned char)*p))
            return false;
        while (isdigit((unsigned char)*p))
            p++;
    }
    return *p == '\0';
}

/* Spellings of NaN and infinity that YAML or C would accept (.nan, NaN,
 * -.Inf, inf, Infinity, ...): refused by name rather than "not a number". */
static const char *nonfinite_spelling(const char *s)
{
    char low[16];
    size_t n = 0;
    if (*s == '+' || *s == '-')
        s++;
    if (*s == '.')
        s++;
    for (; *s && n < sizeof low - 1; s++)
        low[n++] = (char)tolower((unsigned char)*s);
    low[n] = '\0';
    if (*s)
        return NULL;
    if (strcmp(low, "nan") == 0)
        return "NaN is not allowed";
    if (strcmp(low, "inf") == 0 || strcmp(low, "infinity") == 0)
        return "infinity is not allowed";
    return NULL;
}

/* A finite double from s, or false with *detail saying why (NULL: not a number at all). */
static bool parse_number(const char *s, double *out, const char **detail)
{
    bool integral;
    *detail = nonfinite_spelling(s);
    if (*detail || !number_shape(s, &integral))
        return false;
    double v = strtod(s, NULL);
    if (!isfinite(v)) {
        *detail = "too large for a double";
        return false;
    }
    /* 1e-400 would be read as 0, silently: a value whose digits are not all
     * zero must not become 0 (a subnormal such as 5e-324 is kept: it is a
     * double, and the bounds decide whether it is allowed) */
    if (v == 0 && strpbrk(s, "123456789") && strpbrk(s, "123456789") < s + strcspn(s, "eE")) {
        *detail = "too small for a double: below 4.9e-324 it would be read as 0";
        return false;
    }
    *out = v;
    return true;
}

/* A whole number, or false with *detail (NULL: not a number at all). */
static bool parse_whole(const char *s, bool is_unsigned, int64_t *sv, uint64_t *uv, const char **detail)
{
    bool integral;
    if (!number_shape(s, &integral)) {
        *detail = nonfinite_spelling(s); /* NaN or infinity, named */
        return false;
    }
    if (!integral) {
        *detail = "not a whole number";
        return false;
    }
    if (is_unsigned && s[0] == '-') {
        *detail = "negative";
        return false;
    }
    errno = 0;
    if (is_unsigned)
        *uv = strtoull(s, NULL, 10);
    else
        *sv = strtoll(s, NULL, 10);
    if (errno == ERANGE) {
        *detail = "out of range";
        return false;
    }
    return true;
}

static bool in_bounds(const rp_param *row, double v)
{
    if (v < row->min || ((row->flags & RP_PF_MIN_OPEN) && v == row->min))
        return false;
    return !(v > row->max || ((row->flags & RP_PF_MAX_OPEN) && v == row->max));
}

/* Copy s without surrounding blanks into buf; false if it does not fit. */
static bool trimmed(const char *s, size_t len, char *buf, size_t size)
{
    while (len && isspace((unsigned char)*s))
        s++, len--;
    while (len && isspace((unsigned char)s[len - 1]))
        len--;
    if (len >= size)
        return false;
    memcpy(buf, s, len);
    buf[len] = '\0';
    return true;
}

/* A probability written as a number or a fraction a/b (b > 0). */
static bool parse_probability(const char *s, double *out, const char **detail)
{
    const char *slash = strchr(s, '/');
    if (!slash)
        return parse_number(s, out, detail);
    char num[64], den[64];
    double a, b;
    *detail = NULL;
    if (!trimmed(s, (size_t)(slash - s), num, sizeof num) || !trimmed(slash + 1, strlen(slash + 1), den, sizeof den)
        || !parse_number(num, &a, detail) || !parse_number(den, &b, detail)) {
        if (!*detail)
            *detail = "not a number or a fraction a/b";
        return false;
    }
    if (b == 0) {
        *detail = "division by zero";
        return false;
    }
    *out = a / b;
    return true;
}

/* ---- distributions ---- */

typedef struct {
    char family[16];
    int n_args;
    double args[3];
} dist_text;

/* Split "family(x, y)" into its parts; false with *detail if malformed. */
static bool split_dist(const char *s, dist_text *d, const char **detail)
{
    const char *p = s;
    size_t n = 0;
    while (isspace((unsigned char)*p))
        p++;
    while ((isalpha((unsigned char)*p) || *p == '_') && n < sizeof d->family - 1)
        d->family[n++] = (char)*p++;
    d->family[n] = '\0';
    while (isspace((unsigned char)*p))
        p++;
    if (!n || *p != '(') {
        *detail = NULL; /* neither a number nor a distribution */
        return false;
    }
    d->n_args = 0;
    for (p++;;) {
        const char *end = p + strcspn(p, ",)");
        char tok[64];
        if (!trimmed(p, (size_t)(end - p), tok, sizeof tok) || !tok[0]) {
            *detail = *end == ')' && d->n_args == 0 ? "no parameters" : "a number is missing";
            return false;
        }
        if (!parse_number(tok, &d->args[d->n_args < 3 ? d->n_args : 2], detail)) {
            if (!*detail)
                *detail = "a parameter is not a number";
            return false;
        }
        d->n_args++;
        if (*end != ',' && *end != ')') {
            *detail = "missing ')'";
            return false;
        }
        p = end + 1;
        if (*end == ')')
            break;
    }
    while (isspace((unsigned char)*p))
        p++;
    if (*p) {
        *detail = "unexpected text after ')'";
        return false;
    }
    return true;
}

/* Check a family's parameters against their rows (and its mean against the
 * key's range, for gamma and normal); NULL if fine, else what is wrong. */
static const char *dist_parameter_problem(const rp_param *row, rp_dist_kind kind, const double *a, char *scratch,
                                          size_t scratch_size)
{
    static const char *const forms[] = {"", "beta(a, b)", "gamma(shape, scale)", "normal(mean, sd)"};
    const rp_dist d = {kind, a[0], a[1]};
    char range[96];
    for (size_t i = 0; i < COUNT(family_table); i++) {
        const rp_param *f = &family_table[i];
        if ((f->families & RP_FAMILY(kind)) && !in_bounds(f, *(const double *)((const char *)&d + f->offset))) {
            snprintf(scratch, scratch_size, "%s needs %s %s", forms[kind], f->name,
                     range_phrase(f, range, sizeof range));
            return scratch;
        }
    }
    if (kind == RP_DIST_GAMMA && !in_bounds(row, d.a * d.b)) {
        snprintf(scratch, scratch_size, "the mean shape x scale = %.6g is out of range", d.a * d.b);
        return scratch;
    }
    if (kind == RP_DIST_NORMAL && !in_bounds(row, d.a))
        return "the mean is out of range";
    return NULL;
}

static bool parse_dist(const rp_param *row, const char *text, bool quoted, rp_dist *out, const char **detail,
                       char *scratch, size_t scratch_size)
{
    double v;
    bool integral;
    *detail = NULL;
    if (number_shape(text, &integral) || nonfinite_spelling(text)) {
        if (quoted)
            return false;
        if (!parse_number(text, &v, detail))
            return false;
        if (!in_bounds(row, v)) {
            *detail = "out of range";
            return false;
        }
        *out = (rp_dist){RP_DIST_FIXED, v, 0};
        return true;
    }
    dist_text d;
    if (!split_dist(text, &d, detail))
        return false;
    int kind = -1;
    for (int k = RP_DIST_BETA; k <= RP_DIST_NORMAL; k++)
        if (strcmp(d.family, family_names[k]) == 0)
            kind = k;
    if (kind < 0) {
        const char *s = rp_paramtable_suggest(d.family, family_names + 1, 3);
        snprintf(scratch, scratch_size, "unknown distribution '%s'%s%s%s", d.family, s ? "; did you mean '" : "",
                 s ? s : "", s ? "'?" : "");
        *detail = scratch;
        return false;
    }
    if (!(row->families & RP_FAMILY(kind))) {
        snprintf(scratch, scratch_size, "%s is not allowed here", d.family);
        *detail = scratch;
        return false;
    }
    if (d.n_args != 2) {
        snprintf(scratch, scratch_size, "%s takes 2 parameters, got %d", d.family, d.n_args);
        *detail = scratch;
        return false;
    }
    if ((*detail = dist_parameter_problem(row, (rp_dist_kind)kind, d.args, scratch, scratch_size)))
        return false;
    *out = (rp_dist){(rp_dist_kind)kind, d.args[0], d.args[1]};
    return true;
}

bool rp_paramtable_split_dist(const char *text, char *family, size_t family_size, double *args, int max_args,
                              int *n_args, const char **detail)
{
    dist_text d;
    if (!split_dist(text, &d, detail))
        return false;
    snprintf(family, family_size, "%s", d.family);
    *n_args = d.n_args;
    for (int i = 0; i < d.n_args && i < max_args && i < 3; i++)
        args[i] = d.args[i];
    return true;
}

/* ---- the one entry point for a scalar value ---- */

bool rp_paramtable_check_name(const char *s, char *why, size_t why_size)
{
    const char *problem = NULL;
    size_t len = strlen(s);
    if (!len)
        problem = "empty";
    else if (len > RP_NAME_MAX - 1)
        problem = "too long";
    else if (s[0] == '-')
        problem = "starts with '-'";
    for (const char *p = s; !problem && *p; p++)
        if (!isalnum((unsigned char)*p) && *p != '_' && *p != '-')
            problem = "only letters, digits, '_' and '-' are allowed";
    if (problem && why) {
        char ex[64];
        snprintf(why, why_size, "expected a name of letters, digits, '_' and '-' (at most %d bytes), got '%s' (%s)",
                 RP_NAME_MAX - 1, rp_text_excerpt(s, ex, sizeof ex), problem);
    }
    return !problem;
}

static bool parse_enum(const rp_param *row, const char *text, int *out, const char **detail, char *scratch,
                       size_t scratch_size)
{
    size_t n = count_words(row->words);
    for (size_t i = 0; i < n; i++)
        if (strcmp(text, row->words[i]) == 0) {
            *out = (int)i;
            return true;
        }
    const char *s = rp_paramtable_suggest(text, row->words, n);
    if (s) {
        snprintf(scratch, scratch_size, "did you mean '%s'?", s);
        *detail = scratch;
    }
    return false;
}

/* "all", "none", or words of row separated by commas and/or spaces. */
static bool parse_flags(const rp_param *row, const char *text, unsigned *out, const char **detail, char *scratch,
                        size_t scratch_size)
{
    const size_t n = count_words(row->words);
    if (strcmp(text, "all") == 0 || strcmp(text, "none") == 0) {
        *out = text[0] == 'a' ? (1u << n) - 1 : 0;
        return true;
    }
    unsigned bits = 0;
    for (const char *p = text; *p;) {
        while (*p == ',' || *p == ' ')
            p++;
        size_t len = strcspn(p, ", ");
        if (!len)
            break;
        char word[RP_NAME_MAX];
        snprintf(word, sizeof word, "%.*s", (int)(len < sizeof word ? len : sizeof word - 1), p);
        size_t k = 0;
        while (k < n && strcmp(word, row->words[k]) != 0)
            k++;
        if (k == n || len >= sizeof word) {
            const char *s = rp_paramtable_suggest(word, row->words, n);
            snprintf(scratch, scratch_size, s ? "unknown word '%s'; did you mean '%s'?" : "unknown word '%s'", word,
                     s);
            *detail = scratch;
            return false;
        }
        if (bits & (1u << k)) {
            snprintf(scratch, scratch_size, "'%s' given twice", word);
            *detail = scratch;
            return false;
        }
        bits |= 1u << k;
        p += len;
    }
    *out = bits;
    return true;
}

/* Parse a numeric row's value; false with *detail (or NULL) on failure. */
static bool parse_numeric(const rp_param *row, const char *text, void *field, const char **detail)
{
    int64_t sv = 0;
    uint64_t uv = 0;
    double v = 0;
    bool ok;
    if (row->type == RP_PT_DOUBLE || row->type == RP_PT_PROB) {
        ok = row->type == RP_PT_PROB ? parse_probability(text, &v, detail) : parse_number(text, &v, detail);
    } else {
        ok = parse_whole(text, row->type == RP_PT_UINT64, &sv, &uv, detail);
        v = row->type == RP_PT_UINT64 ? (double)uv : (double)sv;
    }
    if (!ok)
        return false;
    if (row->type != RP_PT_UINT64 && !in_bounds(row, v)) {
        *detail = "out of range";
        return false;
    }
    switch (row->type) {
    case RP_PT_INT:
        *(int *)field = (int)sv; /* bounds of every INT row are within int */
        break;
    case RP_PT_INT64:
        *(int64_t *)field = sv;
        break;
    case RP_PT_UINT64:
        *(uint64_t *)field = uv;
        break;
    default:
        *(double *)field = v;
    }
    return true;
}

bool rp_paramtable_parse(const rp_param *row, const char *text, bool quoted, void *field, char *why,
                         size_t why_size)
{
    char expect[192], ex[64], scratch[128];
    const char *detail = NULL;
    bool ok;
    /* "expected ..." is formatted only on failure: a sweep resolves every
     * value of every point, and the number formatting dominated that. */
    if (!quoted && !text[0]) {
        snprintf(why, why_size, "expected %s, got nothing (an empty value)",
                 rp_paramtable_expected(row, expect, sizeof expect));
        return false;
    }
    switch (row->type) {
    case RP_PT_INT:
    case RP_PT_INT64:
    case RP_PT_UINT64:
    case RP_PT_DOUBLE:
    case RP_PT_PROB:
        ok = !quoted && parse_numeric(row, text, field, &detail);
        break;
    case RP_PT_ENUM:
        ok = parse_enum(row, text, (int *)field, &detail, scratch, sizeof scratch);
        break;
    case RP_PT_FLAGS:
        ok = parse_flags(row, text, (unsigned *)field, &detail, scratch, sizeof scratch);
        break;
    case RP_PT_NAME:
        if (!rp_paramtable_check_name(text, why, why_size))
            return false;
        snprintf((char *)field, RP_NAME_MAX, "%s", text);
        return true;
    case RP_PT_DIST:
        ok = parse_dist(row, text, quoted, (rp_dist *)field, &detail, scratch, sizeof scratch);
        break;
    default:
        ok = false;
        detail = "not a single value";
    }
    if (ok)
        return true;
    rp_paramtable_expected(row, expect, sizeof expect);
    rp_text_excerpt(text, ex, sizeof ex);
    bool numeric;
    if (quoted && !detail && (number_shape(text, &numeric) || nonfinite_spelling(text)))
        detail = "quotes make a value a string; write numbers without quotes";
    if (quoted)
        snprintf(why, why_size, "expected %s, got the quoted string \"%s\"%s%s%s", expect, ex, detail ? " (" : "",
                 detail ? detail : "", detail ? ")" : "");
    else
        snprintf(why, why_size, "expected %s, got '%s'%s%s%s", expect, ex, detail ? " (" : "", detail ? detail : "",
                 detail ? ")" : "");
    return false;
}

/* ---- numbers back to text ---- */

/* The shortest of %.15g, %.16g, %.17g that reads back to the same bits:
 * as exact as %.17g, and 0.3 stays "0.3". */
static void format_double(double v, char *buf, size_t size)
{
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(buf, size, "%.*g", prec, v);
        double back = strtod(buf, NULL);
        if (memcmp(&back, &v, sizeof v) == 0)
            return;
    }
}

const char *rp_paramtable_format(const rp_param *row, const void *field, char *buf, size_t size)
{
    char a[32], b[32];
    switch (row->type) {
    case RP_PT_INT:
        snprintf(buf, size, "%d", *(const int *)field);
        break;
    case RP_PT_INT64:
        snprintf(buf, size, "%" PRId64, *(const int64_t *)field);
        break;
    case RP_PT_UINT64:
        snprintf(buf, size, "%" PRIu64, *(const uint64_t *)field);
        break;
    case RP_PT_DOUBLE:
    case RP_PT_PROB:
        format_double(*(const double *)field, buf, size);
        break;
    case RP_PT_ENUM:
        snprintf(buf, size, "%s", row->words[*(const int *)field]);
        break;
    case RP_PT_FLAGS: {
        const unsigned bits = *(const unsigned *)field, n = (unsigned)count_words(row->words);
        if (bits == (1u << n) - 1 || bits == 0) {
            snprintf(buf, size, bits ? "all" : "none");
            break;
        }
        const char *on[32];
        size_t m = 0;
        for (unsigned k = 0; k < n; k++)
            if (bits & (1u << k))
                on[m++] = row->words[k];
        rp_paramtable_join(on, m, buf, size);
        break;
    }
    case RP_PT_NAME:
        snprintf(buf, size, "%s", (const char *)field);
        break;
    case RP_PT_DIST: {
        const rp_dist *d = field;
        format_double(d->a, a, sizeof a);
        format_double(d->b, b, sizeof b);
        if (d->kind == RP_DIST_FIXED)
            snprintf(buf, size, "%s", a);
        else
            snprintf(buf, size, "%s(%s, %s)", family_names[d->kind], a, b);
        break;
    }
    default:
        snprintf(buf, size, "(structured)");
    }
    return buf;
}

static const char *format_default_one(const rp_param *row, char *buf, size_t size);

/* A row whose default depends on the model: "0.3 (from model 2; model 1: 0)"
 * for a parameter of a later version, "-8.0275 (model 1: -8.1187)" for a
 * calibrated one. */
const char *rp_paramtable_format_default(const rp_param *row, char *buf, size_t size)
{
    if (!rp_paramtable_by_model(row))
        return format_default_one(row, buf, size);
    const rp_param v1 = version1_row(row);
    char now[64], old[64], since[32] = "";
    format_default_one(row, now, sizeof now);
    format_default_one(&v1, old, sizeof old);
    if (row->since > 1)
        snprintf(since, sizeof since, "from model %d; ", row->since);
    snprintf(buf, size, "%s (%smodel 1: %s)", now, since, old);
    return buf;
}

static const char *format_default_one(const rp_param *row, char *buf, size_t size)
{
    if (row->flags & RP_PF_REQUIRED)
        snprintf(buf, size, "required");
    else if (row->type == RP_PT_NAME)
        snprintf(buf, size, "%s", row->def_name);
    else if (row->flags & RP_PF_COMPUTED)
        snprintf(buf, size, "computed");
    else if (row->type == RP_PT_LEVELS || row->type >= RP_PT_SWEEP_GRID)
        snprintf(buf, size, "none");
    else if (row->type > RP_PT_DIST)
        snprintf(buf, size, "reference population");
    else if (row->type == RP_PT_ENUM)
        snprintf(buf, size, "%s", row->words[(int)row->def]);
    else if (row->type == RP_PT_FLAGS) {
        const unsigned bits = (unsigned)row->def;
        rp_paramtable_format(row, &bits, buf, size);
    } else
        snprintf(buf, size, "%g", row->def);
    return buf;
}

/* ---- did you mean ---- */

/* Optimal string alignment distance of a and b, case folded (a transposition
 * is one edit); both are short names, so the O(|a||b|) table is tiny. */
static size_t edit_distance(const char *a, const char *b)
{
    enum { MAXLEN = 64 };
    size_t la = strlen(a), lb = strlen(b);
    if (la >= MAXLEN || lb >= MAXLEN)
        return (size_t)-1;
    size_t d[MAXLEN + 1][MAXLEN + 1];
    for (size_t i = 0; i <= la; i++)
        d[i][0] = i;
    for (size_t j = 0; j <= lb; j++)
        d[0][j] = j;
    for (size_t i = 1; i <= la; i++)
        for (size_t j = 1; j <= lb; j++) {
            int ca = tolower((unsigned char)a[i - 1]), cb = tolower((unsigned char)b[j - 1]);
            size_t best = d[i - 1][j - 1] + (ca != cb);
            if (d[i - 1][j] + 1 < best)
                best = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < best)
                best = d[i][j - 1] + 1;
            if (i > 1 && j > 1 && ca == tolower((unsigned char)b[j - 2]) && tolower((unsigned char)a[i - 2]) == cb &&
                d[i - 2][j - 2] + 1 < best)
                best = d[i - 2][j - 2] + 1;
            d[i][j] = best;
        }
    return d[la][lb];
}

const char *rp_paramtable_suggest(const char *word, const char *const *candidates, size_t n)
{
    size_t len = strlen(word);
    /* A likely typo: one edit in a short word, two in a medium, three in a long one. */
    size_t allowed = len <= 4 ? 1 : len <= 8 ? 2 : 3, best = (size_t)-1;
    const char *pick = NULL;
    for (size_t i = 0; i < n; i++) {
        size_t d = edit_distance(word, candidates[i]);
        if (d <= allowed && d < strlen(candidates[i]) && d < best)
            best = d, pick = candidates[i];
    }
    return pick;
}
