/* cli.h - the rapport command line, one module per job: cli.c (dispatch and
 * what every command shares: exit codes, error lines, signals), cli_args.c
 * (the arguments and the environment), cli_help.c (help and version texts),
 * cli_scenario.c (scenario options, validate and show), cli_run.c (run and
 * sweeps, through the library's exec.h), cli_files.c (summary and merge of
 * output files), cli_calibrate.c, and cli_print.c (every table and JSON
 * object printed). The library (include/rapport/) never prints nor exits;
 * these modules do, and main.c only calls rp_cli_main.
 *
 * Exit codes: 0 success; 1 runtime failure (out of memory, NaN in the model, an
 * observable that is not finite);
 * 2 bad input or usage (scenario, --set, arguments); 3 input/output error;
 * 75 (EX_TEMPFAIL) stopped early and resumable: a sweep with -o stopped by a
 * stopping signal kept its finished runs beside the output; the same command
 * with --resume continues it (what a batch script requeues on);
 * 130 interrupted by SIGINT, SIGTERM, SIGHUP, SIGUSR1, SIGUSR2, SIGALRM, SIGXCPU
 * or SIGXFSZ with nothing to resume (nothing is left at the output path).
 */
#ifndef RP_CLI_H
#define RP_CLI_H

#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "rapport/calibrate.h"
#include "rapport/observe.h"
#include "rapport/output.h"
#include "rapport/plan.h"
#include "rapport/scenario.h"
#include "rapport/status.h"
#include "rapport/sweep.h"

enum { EXIT_OK = 0, EXIT_RUNTIME = 1, EXIT_USAGE = 2, EXIT_IO = 3, EXIT_RESUMABLE = 75, EXIT_INTERRUPTED = 130 };

#define CLI_MAX_THREADS 1024
#define CLI_MAX_OUTPUT 2e9 /* bytes: the default of --max-output, above which run refuses to write */
/* Shards of a sweep: a bound that keeps shards x MPI ranks far from
 * overflowing int64 (Slurm's own arrays stop at 4 million tasks). */
#define CLI_MAX_SHARDS 1000000000LL
/* The stream of a single run: below the replicates' bound (docs/SCENARIO.md). */
#define CLI_MAX_REPLICATE 999999999LL

/* The program's name at the start of every message. */
extern const char *const cli_name;

/* Set by a stopping signal (SIGINT, SIGTERM, ...; cli.c) once
 * cli_catch_signals has run: long jobs stop between blocks and remove their
 * unfinished output. */
extern volatile sig_atomic_t cli_stop_requested;
extern volatile sig_atomic_t cli_stop_signal; /* the first such signal's number */

/* The whole program: the command named in argv[1]; returns the exit code. */
int rp_cli_main(int argc, char **argv);

/* ---- shared by the commands (cli.c) ---- */
int cli_exit_code(int status);
int cli_report(int status, const rp_error *err); /* prints err, returns the exit code */
/* A sweep stopped early with its finished runs kept (RP_EINTR, resumable):
 * err's one line, naming the signal ("rapport: stopped early by SIGUSR1:
 * ..."); returns EXIT_RESUMABLE. */
int cli_report_resumable(const rp_error *err);
int cli_usage_error(const char *fmt, const char *arg);
/* text as it is if it fits buf (size >= 4), else its first size - 4 bytes
 * and "...": a megabyte of argument or environment is not a line. Returns
 * buf. (Control bytes stay: cli_error escapes them.) */
const char *cli_excerpt(const char *text, char *buf, size_t size);
/* "rapport: error: MESSAGE" on stderr, always one line (control bytes escaped). */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void cli_catch_signals(void);
int cli_finish_stdout(void);
char *cli_command_line(int argc, char **argv); /* quoted for a shell; to free */
int cli_print_summary(const rp_summary *sum, const rp_origin *origin, const char *header, bool json, rp_error *err);

/* ---- tables and JSON (cli_print.c): the library's numbers laid out ---- */
/* JSON pieces of every printer: a number in round-trip form (NaN and
 * infinities as null), a string with escapes. */
void cli_json_number(FILE *f, double v);
void cli_json_string(FILE *f, const char *s);
/* Every JSON object ends with "provenance" (origin: where its numbers came
 * from; docs/FORMAT.md), printed by one function. */
/* A run's summary as a readable table (the observables' rows x overall and
 * each group), or as one JSON object: pairs and every observable by name
 * (the table's rows, in order), dropout_by_group, "by_group" (the same
 * keys for each group) and "provenance". */
void cli_print_summary_table(const rp_summary *sum, FILE *f);
void cli_print_summary_json(const rp_summary *sum, const rp_origin *origin, FILE *f);
/* A sweep's summary (rp_stats_point of every point, under the plan's
 * design): per point each observable's mean over replicates with its
 * standard error and, away from the reference point, the paired difference
 * to it with its standard error; the table adds the contrasts of dropout
 * (each group's gap and ratio to the reference group, the gap's change from
 * the reference point, the share of the gap closed, with 95% intervals),
 * the JSON every observable's, and every observable by group with se and
 * interval (by_group, paired_by_group, relative_by_group, contrasts). Runs
 * not done (another shard's) are left out. */
void cli_print_sweep_table(const rp_plan *plan, const rp_summaries *summaries, FILE *f);
void cli_print_sweep_json(const rp_plan *plan, const rp_summaries *summaries, const rp_origin *origin, FILE *f);
/* A calibration's report: a readable table, or one JSON object with the
 * history (written: the calibrated scenario's path, or NULL), each with the
 * identification at the fitted point (id; NULL: not asked for). */
void cli_print_calibration_table(const rp_calibration *cal, const rp_cal_result *res,
                                 const rp_cal_identification *id, FILE *f);
void cli_print_calibration_json(const rp_calibration *cal, const rp_cal_result *res,
                                const rp_cal_identification *id, const char *written, const rp_origin *origin,
                                FILE *f);
/* An ABC-SMC calibration's report: the generations, each coefficient's
 * posterior mean, median and 95% credible interval (weighted quantiles of
 * the last generation) and calibrated (median) value, each target's
 * posterior predictive against its band; the JSON adds the 90% interval,
 * the posterior file and the calibrated scenario written (or null). */
void cli_print_abc_table(const rp_calibration *cal, const rp_abc_result *res, const double *median, FILE *f);
void cli_print_abc_json(const rp_calibration *cal, const rp_abc_result *res, const double *median,
                        const char *posterior, const char *written, const rp_origin *origin, FILE *f);

/* ---- the command line and the environment (cli_args.c) ---- */
/* s is a whole number in [min, max]: digits only (a '-' where min < 0), no
 * blanks, no trailing text, no overflow. The parser of every numeric option
 * and environment variable. */
bool cli_parse_count(const char *s, long long min, long long max, long long *out);
bool cli_parse_u64(const char *s, uint64_t max, uint64_t *out); /* the same, for 0..max */
bool cli_parse_shard(const char *s, int64_t *i, int64_t *n); /* "I/N", 0 <= I < N <= CLI_MAX_SHARDS */
/* A size in bytes: a whole number N with an optional K, M, G or T (10^3,
 * 10^6, 10^9, 10^12), or "none" (0: no limit); at most 10^18. */
bool cli_parse_size(const char *s, double *bytes);
/* The environment variable name, if set (*set), parsed into *out; a bad
 * value prints one line and gives EXIT_USAGE. */
int cli_env_count(const char *name, long long min, long long max, long long *out, bool *set);
/* The thread count when --threads is not given: OMP_NUM_THREADS (checked)
 * or every core, at most CLI_MAX_THREADS. */
int cli_default_threads(int *threads);
/* getopt_long over a command's arguments, argv[0] being the command's name:
 * returns the option's val, 1 for an operand (in *value), -1 at the end, or
 * CLI_OPT_ERROR after printing one line. Call cli_getopt_reset() first. */
enum { CLI_OPT_ERROR = -2 };
void cli_getopt_reset(void);
int cli_getopt(int argc, char **argv, const char *command, const char *shortopts, const struct option *longopts,
               const char **value);
/* The one loop of a command's parser over cli_getopt: on(ctx, option, value)
 * for each option (its val) and operand (1), in order, until one returns
 * other than EXIT_OK; EXIT_USAGE after an unknown option or a missing value
 * (its line printed). Returns EXIT_OK at the end. */
int cli_each_option(int argc, char **argv, const char *command, const char *shortopts,
                    const struct option *longopts, int (*on)(void *ctx, int option, const char *value), void *ctx);

/* ---- help (cli_help.c) ---- */
extern const char cli_help_main[];
int cli_help(const char *command);
void cli_version(void);

/* ---- options of the commands that read a scenario (cli_scenario.c) ---- */
typedef struct {
    const char *scenario;
    const char *sets[256]; /* --set KEY=VALUE and --seed S (as "seed=S"), in the order given */
    char seeds[8][32];     /* the texts of the --seed options, checked, in decimal */
    int n_sets, n_seeds;
    int threads;
    uint64_t replicate;
    bool json;
    bool timing;
    const char *output; /* -o FILE.h5 */
    bool force;
    bool summary_only;
    bool resume;
    double max_output;  /* --max-output: bytes, 0 for none */
    rp_parallel parallel;
    int64_t shard, shards; /* --shard I/N: this is part I (0-based) of N */
    bool shard_from_slurm; /* taken from a job array's environment */
    char *command_line;    /* for provenance */
} cli_options;

/* argv[0] is the command's name; run_options: the options of run, beyond
 * --set and --seed. */
int cli_parse_options(int argc, char **argv, bool run_options, cli_options *o);
int cli_load_scenario(const cli_options *o, rp_scenario **sc, rp_error *err);

/* ---- the other commands' arguments, parsed apart so they can be fuzzed ---- */
typedef struct {
    const char *path;
    long long run;
    bool json;
} cli_summary_args;
typedef struct {
    const char *output;
    bool force;
    const char **inputs; /* to free */
    int n_inputs;
    int threads;
} cli_merge_args;
typedef struct {
    const char *path, *output;
    bool json, force;
    bool identify;     /* the identification at the fitted point (default; --no-identify: false) */
    int identify_step; /* its step, in percent of each range (--identify-step; default 3) */
    int threads;
    const char *posterior; /* abc-smc: the posterior file (--posterior), or NULL */
    bool resume;           /* abc-smc: continue the posterior file's calibration (--resume) */
} cli_calibrate_args;
int cli_parse_summary(int argc, char **argv, cli_summary_args *a);
int cli_parse_merge(int argc, char **argv, cli_merge_args *a);
int cli_parse_calibrate(int argc, char **argv, cli_calibrate_args *a);

/* ---- the commands: argv[1] is the command's name, its arguments follow ---- */
int cli_validate(int argc, char **argv, bool show);
int cli_run(int argc, char **argv);
int cli_summary(int argc, char **argv);
int cli_merge(int argc, char **argv);
int cli_calibrate(int argc, char **argv);

#endif
