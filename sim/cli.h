/* cli.h - the rapport command line, one module per job: cli.c (dispatch and
 * what every command shares: exit codes, error lines, signals), cli_help.c
 * (help and version texts), cli_scenario.c (scenario options, validate and
 * show), cli_run.c (run and sweeps), cli_files.c (summary and merge of output
 * files) and cli_calibrate.c. The library (include/rapport/) never prints to
 * the terminal nor exits; these modules do, and main.c only calls rp_cli_main.
 *
 * Exit codes: 0 success; 1 runtime failure (out of memory, NaN in the model, an
 * observable that is not finite);
 * 2 bad input or usage (scenario, --set, arguments); 3 input/output error;
 * 130 interrupted by SIGINT or SIGTERM (nothing is left at the output path).
 */
#ifndef RP_CLI_H
#define RP_CLI_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "rapport/observe.h"
#include "rapport/scenario.h"
#include "rapport/status.h"
#include "rapport/sweep.h"

enum { EXIT_OK = 0, EXIT_RUNTIME = 1, EXIT_USAGE = 2, EXIT_IO = 3, EXIT_INTERRUPTED = 130 };

#define CLI_MAX_THREADS 1024

/* The program's name at the start of every message. */
extern const char *const cli_name;

/* Set by SIGINT and SIGTERM once cli_catch_signals has run: long jobs stop
 * between blocks and remove their unfinished output. */
extern volatile sig_atomic_t cli_stop_requested;

/* The whole program: the command named in argv[1]; returns the exit code. */
int rp_cli_main(int argc, char **argv);

/* ---- shared by the commands (cli.c) ---- */
int cli_exit_code(int status);
int cli_report(int status, const rp_error *err); /* prints err, returns the exit code */
int cli_usage_error(const char *fmt, const char *arg);
bool cli_parse_count(const char *s, long long min, long long max, long long *out);
void cli_catch_signals(void);
int cli_finish_stdout(void);
char *cli_command_line(int argc, char **argv); /* quoted for a shell; to free */
int cli_print_summary(const rp_summary *sum, const char *header, bool json, rp_error *err);

/* ---- help (cli_help.c) ---- */
extern const char cli_help_main[];
int cli_help(const char *command);
void cli_version(void);

/* ---- options of the commands that read a scenario (cli_scenario.c) ---- */
typedef struct {
    const char *scenario;
    const char *sets[256];
    int n_sets;
    char seed_set[64];
    int threads;
    uint64_t replicate;
    bool json;
    bool timing;
    const char *output; /* -o FILE.h5 */
    bool force;
    bool summary_only;
    bool resume;
    rp_parallel parallel;
    int64_t shard, shards; /* --shard I/N: this is part I (0-based) of N */
    bool shard_from_slurm; /* taken from a job array's environment */
    char *command_line;    /* for provenance */
} cli_options;

int cli_parse_options(int argc, char **argv, const char *command, bool run_options, cli_options *o);
int cli_load_scenario(const cli_options *o, rp_scenario **sc, rp_error *err);
int cli_check_memory(const rp_scenario *sc, rp_error *err);

/* ---- the commands: argv[1] is the command's name, its arguments follow ---- */
int cli_validate(int argc, char **argv, bool show);
int cli_run(int argc, char **argv);
int cli_summary(int argc, char **argv);
int cli_merge(int argc, char **argv);
int cli_calibrate(int argc, char **argv);

#endif
