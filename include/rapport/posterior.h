/* posterior.h - the posterior file of a Bayesian (ABC-SMC) calibration.
 *
 * An HDF5 file (docs/FORMAT.md, "The posterior file") holding every
 * generation of particles of `rapport calibrate` with `method: abc-smc`:
 * per generation the particles x coefficients, their weights, distances and
 * simulated targets, its tolerance, attempts, simulations, acceptance and
 * ESS; the coefficients (keys, supports, priors), the targets (values,
 * bands, scales, weights), the calibration file's text, the resolved
 * scenario and the provenance attributes every rapport output has. The last
 * generation of a complete file is also at /posterior: what a probabilistic
 * sensitivity analysis draws from.
 *
 * The file is written whole after every generation, under a temporary name
 * beside its path and renamed onto it (a checkpoint): a kill never leaves a
 * half-written file, and a checkpoint says complete = 0 (and has no
 * /posterior) until the calibration's end. Only this module (the io layer)
 * reads or writes it; the calibration (exec) fills the plain data below.
 */
#ifndef RP_POSTERIOR_H
#define RP_POSTERIOR_H

#include <stdbool.h>
#include <stdint.h>

#include "rapport/status.h"

#define RP_POSTERIOR_FORMAT_VERSION 1

/* One generation of particles. */
typedef struct {
    double tolerance;      /* eps_t (+inf for generation 0) */
    long long attempts;    /* proposals, those outside the support included */
    long long simulations; /* proposals simulated (each the calibration's replicates) */
    double acceptance;     /* particles / simulations */
    double ess;            /* 1 / sum w_i^2 */
    double *theta;         /* [particles][n_free] */
    double *weight;        /* [particles], summing to 1 */
    double *distance;      /* [particles] */
    double *simulated;     /* [particles][n_targets]: each particle's simulated targets */
} rp_posterior_generation;

/* A posterior file's contents. Written from these fields; read back into
 * them (strings and arrays allocated: rp_posterior_free). */
typedef struct {
    /* provenance */
    char *command_line, *calibration_path, *calibration_text, *scenario_path, *scenario_yaml;
    uint64_t seed;
    int threads, ranks, model_version; /* threads per rank; the MPI ranks (1: one process) */
    /* the calibration */
    int n_free, n_targets, particles, replicates;
    char **key, **prior;               /* [n_free] */
    double *min, *max;                 /* [n_free]: the priors' supports */
    char **target;                     /* [n_targets] */
    double *value, *lo, *hi, *scale, *weight; /* [n_targets] */
    int max_generations;
    double tolerance, quantile, min_acceptance;
    long long max_simulations;
    /* the result */
    bool complete;
    char *stop;            /* "tolerance", "generations", "acceptance", "budget"; "running" in a checkpoint */
    long long simulations; /* over every generation (an abandoned one's included) */
    double seconds;        /* wall seconds, summed over the runs (a resumed one's and before) that worked on it */
    int n_generations;
    rp_posterior_generation *gen; /* [n_generations] */
} rp_posterior;

/* Write post to path: under path.partial-PID, renamed onto path (replacing
 * what is there: the caller has checked the output rule). RP_OK or RP_EIO. */
int rp_posterior_write(const char *path, const rp_posterior *post, rp_error *err);

/* Read a posterior file (a checkpoint or a complete one) into *post (zeroed
 * here). RP_EINVAL for a file that is not a rapport posterior (or of another
 * format version, or inconsistent), RP_EIO if it cannot be read, RP_ENOMEM. */
int rp_posterior_read(const char *path, rp_posterior *post, rp_error *err);

/* Free what rp_posterior_read allocated. */
void rp_posterior_free(rp_posterior *post);

#endif
