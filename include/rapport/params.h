/* params.h - the validated parameters of one rapport run (MODEL.md v1).
 *
 * A plain struct, so a run's parameters can be copied by assignment (a sweep
 * copies one per run and overrides the swept values). Its only pointers are
 * to a population read from a data file (rp_records), read-only and owned by
 * the scenario that read it: copies share it.
 * Field names follow the scenario keys of MODEL.md: `dropout.base` is
 * `p.dropout.base`. The scenario module fills and validates it; every other
 * module only reads it. Limits below are documented scenario limits: a scenario
 * that exceeds one gets a located error, never a silent truncation.
 */
#ifndef RP_PARAMS_H
#define RP_PARAMS_H

#include <stdint.h>

#define RP_NAME_MAX 48   /* bytes of a dimension, level or group name, NUL included */
#define RP_MAX_DIMS 12   /* cultural dimensions */
#define RP_MAX_LEVELS 16 /* levels of one categorical dimension */
#define RP_MAX_GROUPS 16 /* patient groups; provider groups */

typedef enum { RP_DIM_CATEGORICAL = 0, RP_DIM_CONTINUOUS = 1 } rp_dim_kind;

typedef struct {
    char name[RP_NAME_MAX];
    rp_dim_kind kind;
    double weight; /* w_k > 0 */
    int n_levels;  /* categorical only */
    char levels[RP_MAX_LEVELS][RP_NAME_MAX];
} rp_dimension;

/* A readable distribution: beta(a, b), gamma(shape, scale), normal(mean, sd),
 * or a fixed value (a plain number in a scenario: every agent gets a). */
typedef enum { RP_DIST_FIXED = 0, RP_DIST_BETA, RP_DIST_GAMMA, RP_DIST_NORMAL } rp_dist_kind;

typedef struct {
    rp_dist_kind kind;
    double a, b; /* FIXED: a; BETA: a, b; GAMMA: shape a, scale b; NORMAL: mean a, sd b */
} rp_dist;

/* One patient or provider group. Indexed by the dimension's position in
 * culture.dims: categorical dimension k uses level_prob[k][0..n_levels-1]
 * (summing to 1); continuous dimension k uses trait[k] (a Beta or fixed value
 * in [0, 1]). */
typedef struct {
    char name[RP_NAME_MAX];
    double share; /* of the population; shares of a population sum to 1 */
    double level_prob[RP_MAX_DIMS][RP_MAX_LEVELS];
    rp_dist trait[RP_MAX_DIMS];
    /* patients only */
    rp_dist mistrust;      /* m in [0, 1] */
    rp_dist barrier;       /* b in [0, 1] */
    rp_dist stressor_rate; /* lambda >= 0, weekly */
    rp_dist symptoms;      /* S0: model 1 clamps it to [S_rec, S_max], model 2 truncates */
    /* providers only */
    rp_dist humility; /* h in [0, 1] */
} rp_group;

/* A population read from a data file (patients.from, providers.from;
 * docs/SCENARIO.md "Populations from data files"): the file's rows as plain
 * values, read and checked by the input layer, read-only afterwards. Slot k <
 * RP_MAX_DIMS is cultural dimension k (a level index, or a value in [0, 1]);
 * the slots after them are the agents' attributes below. value[s] is NULL
 * when the file does not give slot s (drawn from the group, as without a
 * file), and NaN in a row whose value is missing and drawn (missing: draw). */
enum {
    RP_REC_MISTRUST = RP_MAX_DIMS, /* patients */
    RP_REC_BARRIER,
    RP_REC_STRESSOR_RATE,
    RP_REC_SYMPTOMS0,
    RP_REC_ALLIANCE_TRAIT,
    RP_REC_RESPONSE,
    RP_REC_HUMILITY = RP_MAX_DIMS, /* providers */
    RP_REC_SKILL,
    RP_REC_RETENTION,
    RP_REC_CASELOAD,
    RP_REC_SLOTS = RP_MAX_DIMS + 6
};

typedef struct rp_records {
    int64_t rows;
    const uint8_t *group;                 /* [rows]: the row's group; NULL: every row is group 0 */
    const double *value[RP_REC_SLOTS];    /* [rows] each, or NULL */
    const char *path;                     /* the file as opened (relative to the scenario's directory) */
    int64_t bytes;                        /* its size */
    char sha256[65];                      /* its SHA-256, lowercase hex */
} rp_records;

typedef enum {
    RP_DISCUSS_NEVER = 0,
    RP_DISCUSS_INTAKE,
    RP_DISCUSS_DELAYED,
    RP_DISCUSS_RESPONSIVE
} rp_discussion_policy;

typedef enum { RP_ASSIGN_RANDOM = 0, RP_ASSIGN_SAME_GROUP, RP_ASSIGN_MIN_DISTANCE } rp_assignment_policy;

/* Random streams of the points of a sweep (docs/SCENARIO.md, Sweeps):
 * common, replicate r of every point draws the same random numbers (stream
 * r); independent, every point has streams of its own. */
typedef enum { RP_STREAMS_COMMON = 0, RP_STREAMS_INDEPENDENT } rp_sweep_streams;

/* Compression of the datasets of an output file (see docs/FORMAT.md). */
typedef enum { RP_COMPRESS_NONE = 0, RP_COMPRESS_LZ4, RP_COMPRESS_DEFLATE } rp_compression;

/* Trajectory variables, as bits of output.variables (order of the words in
 * the scenario: A T S D N rupture repaired). */
enum {
    RP_TRAJ_A = 1 << 0,
    RP_TRAJ_T = 1 << 1,
    RP_TRAJ_S = 1 << 2,
    RP_TRAJ_D = 1 << 3,
    RP_TRAJ_N = 1 << 4,
    RP_TRAJ_RUPTURE = 1 << 5,
    RP_TRAJ_REPAIRED = 1 << 6,
    RP_TRAJ_ALL = (1 << 7) - 1
};

/* The version of MODEL.md a scenario runs when it has no `model:` key. Under
 * model 1 the parameter table's rows of a later version (rp_param.since) take
 * the value that switches their term off, and its calibrated rows version 1's
 * calibration (docs/SCENARIO.md). */
#define RP_MODEL_DEFAULT 2
#define RP_MODEL_LATEST 2

typedef struct {
    int model; /* the version of MODEL.md this run follows: 1 or 2 */
    uint64_t seed;
    int horizon; /* weeks followed, >= 1 */
    int course;  /* planned sessions, >= 1 */

    struct {
        double max, recovered;                  /* S_max, S_rec */
        double improvement, stressor_jump, noise; /* gamma, Delta_S, sigma_S */
    } symptoms;
    struct {
        double beta0, beta_skill, beta_trust, beta_distance; /* A* coefficients */
        double rate, noise;                                  /* kappa, sigma_A */
    } alliance;
    struct {
        double base, distance, low_alliance; /* rho0, rho_d, rho_A */
        double repair_gain, loss;            /* Delta_rep, Delta_rup */
    } rupture;
    struct {
        double base, humility, discussed; /* theta0, theta_h, theta_D */
    } repair;
    struct {
        double rate, rupture_loss;                 /* eta, Delta_T */
        double repair_gain;                        /* Delta_T+ (v2; 0 in v1) */
        double undiscussed_erosion, notice_distance; /* psi, d_notice */
    } trust;
    struct {
        double felt_distance; /* chi (v2; 0 in v1): d_eff = d (1 - chi h) (...) */
    } humility;
    struct {
        double effect, humility_share, patient_raises; /* phi, omega, pi */
        rp_discussion_policy policy;
        int week; /* k of policy delayed */
    } discussion;
    struct {
        double base, low_alliance, low_trust, barrier, stressor; /* delta0, delta_A, delta_T, delta_b, delta_N */
        double early, early_weeks;                               /* delta_E, tau_E */
    } dropout;

    struct {
        int n_dims;
        rp_dimension dims[RP_MAX_DIMS];
    } culture;
    struct {
        int64_t count; /* N */
        double alliance_sd, response_sd; /* sigma_P, sigma_gamma */
        int n_groups;
        rp_group groups[RP_MAX_GROUPS];
        struct { /* deprivation gradient (v2; dimension "none" in v1) */
            char dimension[RP_NAME_MAX]; /* a continuous dimension's name, or "none" */
            int dim;                     /* its index in culture.dims, or -1; resolved at validation */
            double barrier, stressor_rate, mistrust; /* g_b, g_lambda, g_m */
        } gradient;
        const rp_records *records; /* patients.from: the file's rows, or NULL (drawn from the groups) */
        int resample;              /* with records: 1 draws count rows with replacement, 0 takes each row once */
    } patients;
    struct {
        int64_t count; /* M */
        int64_t caseload; /* C, patients at once per provider */
        double skill_sd;
        double retention_sd; /* sd_retention (v2; 0 in v1): epsilon_j ~ Normal(0, sd) */
        int n_groups;
        rp_group groups[RP_MAX_GROUPS];
        const rp_records *records; /* providers.from, as patients.records */
        int resample;
    } providers;
    struct {
        rp_assignment_policy policy;
        char match_on[RP_NAME_MAX]; /* a categorical dimension's name */
        int match_dim;              /* its index in culture.dims, resolved at validation */
    } assignment;
    struct {
        int ambivalence_week;
        double ambivalence_threshold;
    } report;
    /* What an output file holds; read only by the output module. */
    struct {
        unsigned variables; /* RP_TRAJ_* bits; 0: no trajectories */
        int every;          /* trajectories at weeks 0, every, 2 every, ... */
        double sample;      /* share of pairs whose trajectories are written */
        int pairs;          /* write the per-pair table (0/1) */
        rp_compression compression;
        int level; /* deflate level */
    } output;
    /* Runs of a sweep; read by the plan module. The sweep's axes (grid, zip,
     * lhs, sobol) are not parameters of a run: the plan reads them from the
     * scenario and applies one point's values as overrides. */
    int64_t replicates; /* runs per sweep point, >= 1 */
    struct {
        rp_sweep_streams streams;
    } sweep;
    /* What a sweep's contrasts compare with; read by the plan module (its
     * statistics, stats.h). */
    struct {
        char reference_group[RP_NAME_MAX]; /* a patient group; "" = the first */
        int64_t reference_point;           /* a point of the sweep */
    } contrasts;
} rp_params;

#endif
