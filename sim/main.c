/* main.c - the rapport command line: parses arguments, calls the library,
 * maps statuses to exit codes. The only place that exits.
 *
 * Exit codes: 0 success; 1 runtime failure (out of memory, NaN in the model);
 * 2 bad input or usage (scenario, --set, arguments); 3 input/output error;
 * 130 interrupted by SIGINT or SIGTERM (nothing is left at the output path).
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_version.h>
#include <omp.h>

#include "calibrate.h"
#include "dist.h"
#include "output.h"
#include "parts.h"
#include "plan.h"
#include "run.h"
#include "scenario.h"
#include "sweep.h"
#include "version.h"

enum { EXIT_OK = 0, EXIT_RUNTIME = 1, EXIT_USAGE = 2, EXIT_IO = 3, EXIT_INTERRUPTED = 130 };

#define MAX_THREADS 1024

static const char *progname = "rapport";

static int exit_code(int status)
{
    switch (status) {
    case RP_OK: return EXIT_OK;
    case RP_EINVAL: return EXIT_USAGE;
    case RP_EIO: return EXIT_IO;
    case RP_EINTR: return EXIT_INTERRUPTED;
    default: return EXIT_RUNTIME;
    }
}

/* A located message ("FILE:LINE:COL: error: ...") is printed as it is, like a
 * compiler's, so editors can jump to it; anything else gets our name. */
static int report(int status, const rp_error *err)
{
    if (strstr(err->msg, ": error: "))
        fprintf(stderr, "%s\n", err->msg);
    else
        fprintf(stderr, "%s: error: %s\n", progname, err->msg);
    return exit_code(status);
}

/* One line, like every error: what is wrong, and where help is. */
static int usage_error(const char *fmt, const char *arg)
{
    fprintf(stderr, "%s: error: ", progname);
    fprintf(stderr, fmt, arg);
    fprintf(stderr, " (see '%s help')\n", progname);
    return EXIT_USAGE;
}

/* ---- help ---- */

static const char *help_main =
    "rapport - simulate how cultural distance between patients and mental-health\n"
    "providers shapes the therapeutic alliance, mistrust and dropout (MODEL.md v1).\n"
    "\n"
    "Usage: rapport COMMAND [ARGS]\n"
    "\n"
    "Commands:\n"
    "  run SCENARIO        run the model and print a summary of its observables;\n"
    "                      with -o FILE.h5, also write trajectories and tables\n"
    "  summary FILE.h5     recompute and print the summary of an output file\n"
    "  merge PARTS -o OUT  join the parts of a sweep run as shards (Slurm arrays)\n"
    "  validate SCENARIO   check a scenario file; say nothing when it is valid\n"
    "  show SCENARIO       print the fully resolved scenario (every default filled in)\n"
    "  reference           print the table of every scenario parameter (Markdown)\n"
    "  calibrate FILE      fit a scenario's coefficients to targets (docs/TARGETS.md)\n"
    "  help [COMMAND]      this text, or a command's own help with examples\n"
    "\n"
    "Options of every command that reads a scenario:\n"
    "  --set KEY=VALUE     override a parameter by its dotted name (repeatable)\n"
    "  --seed S            the same as --set seed=S\n"
    "\n"
    "  --version           print the version, the model version and the build\n"
    "\n"
    "Exit codes: 0 success, 1 runtime failure, 2 bad input or usage, 3 I/O error,\n"
    "130 interrupted (SIGINT or SIGTERM).\n"
    "\n"
    "Example:\n"
    "  rapport run scenarios/baseline.yaml --set discussion.policy=intake\n";

static const char *help_run =
    "Usage: rapport run SCENARIO [-o FILE.h5 [--force] [--summary-only]] [--threads N]\n"
    "                   [--seed S] [--replicate R] [--set KEY=VALUE]... [--json] [--timing]\n"
    "\n"
    "Run the model of SCENARIO once and print its observables overall and per\n"
    "patient group: dropout, early dropout, sessions, recovery, ambivalence,\n"
    "alliance-outcome r, therapist ICC, ruptures and repairs, discussion.\n"
    "\n"
    "  -o FILE.h5    also write an HDF5 file: week-by-week trajectories (A, T, S,\n"
    "                D, N, rupture, repaired), per-pair and provider tables, the run\n"
    "                table, the summary, the resolved scenario and provenance\n"
    "                (docs/FORMAT.md). What it holds is the scenario's `output:`\n"
    "                section (variables, every, sample, pairs, compression), e.g.\n"
    "                --set output.variables=A,T --set output.every=4\n"
    "  --force       replace FILE.h5 if it exists (otherwise an error)\n"
    "  --summary-only  the file gets no trajectories and no per-pair table\n"
    "                (the same as --set output.variables=none --set output.pairs=false)\n"
    "\n"
    "Sweeps (a scenario with `replicates:` and/or `sweep:`) print each point's\n"
    "mean and standard error, and paired differences to point 0:\n"
    "  --parallel P  OpenMP over runs (runs), over pairs (pairs) or chosen by run\n"
    "                size (auto, the default); the results are the same\n"
    "  --resume      continue a killed sweep written with -o: finished runs are\n"
    "                kept in FILE.h5.parts/ and only the others are run\n"
    "  --shard I/N   run part I (0-based) of N and write it to -o FILE; join the\n"
    "                parts with `rapport merge`. In a Slurm job array the shard\n"
    "                defaults from SLURM_ARRAY_TASK_ID and SLURM_ARRAY_TASK_COUNT\n"
    "  mpirun -n P rapport run SWEEP -o FILE  spreads the runs over P ranks\n"
    "  --threads N   OpenMP threads (default: OMP_NUM_THREADS or all cores);\n"
    "                the results are bit-identical for any N\n"
    "  --seed S      master seed (overrides the scenario's `seed`)\n"
    "  --set K=V     override any parameter, validated like the file\n"
    "  --replicate R the random stream to use (default 0)\n"
    "  --json        print the summary as one JSON object instead of a table\n"
    "  --timing      print the wall time of each stage on stderr\n"
    "\n"
    "Examples:\n"
    "  rapport run scenarios/baseline.yaml\n"
    "  rapport run scenarios/baseline.yaml --set discussion.policy=intake --json\n"
    "  rapport run scenarios/baseline.yaml --set dropout.base=-7.5 --seed 7 --threads 2\n"
    "  rapport run my.yaml --set patients.groups.latinx.mistrust='beta(3, 5)'\n"
    "  rapport run scenarios/baseline.yaml -o baseline.h5 --set output.compression=lz4\n";

static const char *help_summary =
    "Usage: rapport summary FILE.h5 [--run R] [--json]\n"
    "\n"
    "Recompute the summary of a file written by `rapport run -o` from its per-pair\n"
    "table and print it as `run` did (the same numbers), or as JSON. In a sweep's\n"
    "file, --run R picks the run (default 0).\n"
    "\n"
    "Example:\n"
    "  rapport summary baseline.h5 --json\n";

static const char *help_merge =
    "Usage: rapport merge PART.h5... -o OUT.h5 [--force]\n"
    "\n"
    "Join the parts of a sweep that was run as shards (`rapport run SWEEP --shard I/N\n"
    "-o part_I.h5`, e.g. the tasks of a Slurm job array) into one file, runs in\n"
    "plan order, identical in its data to a one-process run. Refuses parts of\n"
    "different sweeps, a run present twice and missing runs, with one line, exit 2.\n"
    "\n"
    "Example:\n"
    "  rapport merge out/part_*.h5 -o sweep.h5\n";

static const char *help_validate =
    "Usage: rapport validate SCENARIO [--set KEY=VALUE]...\n"
    "\n"
    "Check SCENARIO and any overrides without running. Prints nothing and exits 0\n"
    "when valid; otherwise prints one located error, FILE:LINE:COLUMN: error: ...,\n"
    "and exits 2.\n"
    "\n"
    "Example:\n"
    "  rapport validate scenarios/baseline.yaml --set discussion.week=6\n";

static const char *help_show =
    "Usage: rapport show SCENARIO [--seed S] [--set KEY=VALUE]...\n"
    "\n"
    "Print the fully resolved scenario as YAML: every parameter, with MODEL.md's\n"
    "defaults filled in and overrides applied. Running the printed scenario gives\n"
    "the same result as running SCENARIO with the same overrides.\n"
    "\n"
    "Example:\n"
    "  rapport show scenarios/baseline.yaml --set assignment.policy=same_group > resolved.yaml\n";

static const char *help_reference =
    "Usage: rapport reference\n"
    "\n"
    "Print every scenario parameter with its type, default, bounds, meaning and\n"
    "unit, as a Markdown table (the scenario reference of docs/SCENARIO.md).\n";

static const char *help_calibrate =
    "Usage: rapport calibrate CALIBRATION.yaml [--threads N] [-o CALIBRATED.yaml] [--json]\n"
    "\n"
    "Fit coefficients of a scenario to target observables. CALIBRATION.yaml names\n"
    "the scenario (relative to itself), replicates (runs per evaluation, random\n"
    "streams 0..R-1 at every evaluation), optionally patients (patients.count of\n"
    "every run; providers.count = ceil(N / caseload)), free (KEY: {min, max,\n"
    "start}), targets (OBSERVABLE or OBSERVABLE_by_group.GROUP: {value, band:\n"
    "[LO, HI] or se, weight}) and budget ({evaluations, tolerance}). It minimises\n"
    "sum w ((simulated - value) / s)^2, s half the band (or se), with GSL's\n"
    "Nelder-Mead simplex in logit coordinates of each range, then prints the\n"
    "fitted values and every target's simulated mean +- Monte-Carlo SE.\n"
    "\n"
    "  -o FILE      write the calibrated scenario (`rapport show` form, fitted\n"
    "               values applied; the scenario's own population size)\n"
    "  --threads N  OpenMP threads (default: OMP_NUM_THREADS or all cores)\n"
    "  --json       print the report as JSON, with the objective's history\n"
    "\n"
    "Example:\n"
    "  rapport calibrate scenarios/calibration.yaml -o calibrated.yaml\n";

static int print_help(const char *command)
{
    const struct {
        const char *name, *text;
    } pages[] = {{"run", help_run},   {"validate", help_validate}, {"show", help_show},
                 {"reference", help_reference}, {"summary", help_summary}, {"merge", help_merge},
                 {"calibrate", help_calibrate}};
    if (!command) {
        fputs(help_main, stdout);
        return EXIT_OK;
    }
    for (size_t k = 0; k < sizeof pages / sizeof pages[0]; k++)
        if (strcmp(command, pages[k].name) == 0) {
            fputs(pages[k].text, stdout);
            return EXIT_OK;
        }
    return usage_error("no command '%s'", command);
}

static void print_version(void)
{
    printf("rapport %s (git %s), model version %d\n", RP_VERSION, RP_GIT_REVISION,
           RP_MODEL_VERSION);
    char hdf5[32], mpi[128];
    printf("built %s with %s, GSL %s, HDF5 %s, OpenMP %d, MPI: %s\n", RP_BUILD_TYPE, RP_COMPILER, GSL_VERSION,
           rp_output_hdf5_version(hdf5, sizeof hdf5), _OPENMP, rp_dist_library(mpi, sizeof mpi));
}

/* ---- arguments ---- */

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
} options;

static bool parse_count(const char *s, long long min, long long max, long long *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || end == s || *end || v < min || v > max)
        return false;
    *out = v;
    return true;
}

/* Parse the arguments after the command name. `allowed` lists the options
 * that this command takes beyond --set and --seed. */
static int parse_options(int argc, char **argv, const char *command, bool run_options, options *o)
{
    *o = (options){.threads = omp_get_max_threads(), .shards = 1};
    /* A Slurm job array shards a sweep itself: task I of N is --shard I/N,
     * with I = (SLURM_ARRAY_TASK_ID - MIN) / STEP (an array 0-14:2 is 8 parts). */
    const char *task = getenv("SLURM_ARRAY_TASK_ID"), *count = getenv("SLURM_ARRAY_TASK_COUNT");
    const char *min = getenv("SLURM_ARRAY_TASK_MIN"), *step = getenv("SLURM_ARRAY_TASK_STEP");
    long long ti, tc, tm = 0, ts = 1;
    if (run_options && task && count && parse_count(task, 0, LLONG_MAX, &ti) && parse_count(count, 1, LLONG_MAX, &tc) &&
        (!min || parse_count(min, 0, LLONG_MAX, &tm)) && (!step || parse_count(step, 1, LLONG_MAX, &ts)) && ti >= tm &&
        (ti - tm) % ts == 0 && (ti - tm) / ts < tc) {
        o->shard = (ti - tm) / ts;
        o->shards = tc;
        o->shard_from_slurm = true;
    }
    for (int a = 0; a < argc; a++) {
        const char *arg = argv[a];
        const bool has_value = a + 1 < argc;
        if (strcmp(arg, "--set") == 0 || strcmp(arg, "--seed") == 0 ||
            (run_options && (strcmp(arg, "--threads") == 0 || strcmp(arg, "--replicate") == 0 ||
                             strcmp(arg, "-o") == 0 || strcmp(arg, "--output") == 0 ||
                             strcmp(arg, "--shard") == 0 || strcmp(arg, "--parallel") == 0))) {
            if (!has_value)
                return usage_error("option '%s' needs a value", arg);
            const char *value = argv[++a];
            long long v;
            if (strcmp(arg, "--set") == 0) {
                if (o->n_sets == (int)(sizeof o->sets / sizeof o->sets[0]))
                    return usage_error("too many --set options (at most 256): '%s'", value);
                o->sets[o->n_sets++] = value;
            } else if (strcmp(arg, "--seed") == 0) {
                snprintf(o->seed_set, sizeof o->seed_set, "seed=%.50s", value);
            } else if (strcmp(arg, "-o") == 0 || strcmp(arg, "--output") == 0) {
                if (!value[0])
                    return usage_error("option '%s' needs a file name", arg);
                o->output = value;
            } else if (strcmp(arg, "--shard") == 0) {
                long long i, n;
                char extra;
                if (sscanf(value, "%lld/%lld%c", &i, &n, &extra) != 2 || n < 1 || i < 0 || i >= n)
                    return usage_error("--shard takes I/N with 0 <= I < N (e.g. 2/8), not '%s'", value);
                o->shard = i;
                o->shard_from_slurm = false;
                o->shards = n;
            } else if (strcmp(arg, "--parallel") == 0) {
                if (strcmp(value, "auto") == 0)
                    o->parallel = RP_PARALLEL_AUTO;
                else if (strcmp(value, "runs") == 0)
                    o->parallel = RP_PARALLEL_RUNS;
                else if (strcmp(value, "pairs") == 0)
                    o->parallel = RP_PARALLEL_PAIRS;
                else
                    return usage_error("--parallel takes auto, runs or pairs, not '%s'", value);
            } else if (strcmp(arg, "--threads") == 0) {
                if (!parse_count(value, 1, MAX_THREADS, &v))
                    return usage_error("--threads takes a whole number from 1 to 1024, not '%s'",
                                       value);
                o->threads = (int)v;
            } else {
                if (!parse_count(value, 0, LLONG_MAX, &v))
                    return usage_error("--replicate takes a whole number >= 0, not '%s'", value);
                o->replicate = (uint64_t)v;
            }
        } else if (run_options && strcmp(arg, "--json") == 0) {
            o->json = true;
        } else if (run_options && strcmp(arg, "--timing") == 0) {
            o->timing = true;
        } else if (run_options && strcmp(arg, "--force") == 0) {
            o->force = true;
        } else if (run_options && strcmp(arg, "--summary-only") == 0) {
            o->summary_only = true;
        } else if (run_options && strcmp(arg, "--resume") == 0) {
            o->resume = true;
        } else if (arg[0] == '-' && arg[1]) {
            fprintf(stderr, "%s: error: '%s' is not an option of '%s' (see '%s help %s')\n", progname, arg,
                    command, progname, command);
            return EXIT_USAGE;
        } else if (!o->scenario) {
            o->scenario = arg;
        } else {
            return usage_error("more than one scenario given: '%s'", arg);
        }
    }
    if (!o->scenario) {
        fprintf(stderr, "%s: error: '%s' needs a SCENARIO file (see '%s help %s')\n", progname, command,
                progname, command);
        return EXIT_USAGE;
    }
    return EXIT_OK;
}

/* Load, override and resolve the scenario named in o. */
static int load_scenario(const options *o, rp_scenario **sc, rp_error *err)
{
    int status = rp_scenario_load(o->scenario, sc, err);
    for (int k = 0; status == RP_OK && k < o->n_sets; k++)
        status = rp_scenario_set(*sc, o->sets[k], err);
    if (status == RP_OK && o->seed_set[0])
        status = rp_scenario_set(*sc, o->seed_set, err);
    if (status == RP_OK && o->summary_only)
        status = rp_scenario_set(*sc, "output.variables=none", err);
    if (status == RP_OK && o->summary_only)
        status = rp_scenario_set(*sc, "output.pairs=false", err);
    if (status == RP_OK)
        status = rp_scenario_resolve(*sc, err);
    return status;
}

/* Refuse, before allocating, a population this machine cannot hold. */
static int check_memory(const rp_scenario *sc, rp_error *err)
{
    const double need = rp_run_bytes(rp_scenario_params(sc));
    const double have = (double)sysconf(_SC_PHYS_PAGES) * (double)sysconf(_SC_PAGESIZE);
    if (have > 0 && need > 0.9 * have)
        RP_FAIL(err, RP_EINVAL,
                "%s: error: population too large for memory: about %.1f GiB needed, this machine "
                "has %.1f GiB; expected fewer patients or providers",
                rp_scenario_where(sc, "patients.count"), need / (1 << 30), have / (1 << 30));
    return RP_OK;
}

/* Set by SIGINT and SIGTERM; the run stops between blocks and removes its
 * unfinished output file. A second signal ends the process at once. */
static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
    if (stop_requested) {
        signal(sig, SIG_DFL);
        raise(sig);
    }
    stop_requested = 1;
}

static void catch_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

/* Progress on stderr, only when it is a terminal and the run is long enough
 * to want it: pairs done, pair rate, time left. */
typedef struct {
    double start, last;
} progress_state;

static void show_progress(void *ctx, int64_t done, int64_t total)
{
    progress_state *ps = ctx;
    const double now = omp_get_wtime();
    if (now - ps->last < 0.5 && done < total)
        return;
    ps->last = now;
    const double rate = done / (now - ps->start + 1e-9);
    fprintf(stderr, "\r%s: %lld of %lld pairs (%.0f%%), %.3g pairs/s, %.0f s left   ", progname,
            (long long)done, (long long)total, 100.0 * done / total, rate, (total - done) / rate);
    if (done == total)
        fputc('\n', stderr);
}

/* The resolved scenario as text, for the output file's provenance. */
static char *resolved_yaml(const rp_scenario *sc)
{
    char *text = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&text, &size);
    if (!f)
        return NULL;
    int status = rp_scenario_write_yaml(sc, f);
    if (fclose(f) != 0 || status != RP_OK) {
        free(text);
        return NULL;
    }
    return text;
}

/* Print the summary as a table (with a header naming the run) or JSON. */
static int print_summary(const rp_summary *sum, const char *header, bool json, rp_error *err)
{
    if (json)
        rp_summary_print_json(sum, stdout);
    else {
        printf("%s\n\n", header);
        rp_summary_print_table(sum, stdout);
    }
    if (fflush(stdout) != 0 || ferror(stdout))
        RP_FAIL(err, RP_EIO, "cannot write the summary: %s", strerror(errno));
    return RP_OK;
}

static int run_one(const options *o, rp_scenario *sc)
{
    rp_error err = {{0}};
    rp_run *run = NULL;
    rp_output *out = NULL;
    char *yaml = NULL;
    progress_state ps = {omp_get_wtime(), omp_get_wtime()};
    int status = check_memory(sc, &err);
    const rp_params *p = rp_scenario_params(sc);
    rp_run_options ro = {.threads = o->threads, .replicate = o->replicate, .stop = &stop_requested};
    if (status == RP_OK && isatty(STDERR_FILENO) && p->patients.count >= 200000) {
        ro.progress = show_progress;
        ro.progress_ctx = &ps;
    }
    if (status == RP_OK && o->output)
        status = rp_output_check_space(o->output, rp_output_bytes(p, (double)p->patients.count,
                                                                  (double)p->providers.count), &err);
    if (status == RP_OK && o->output) {
        yaml = resolved_yaml(sc);
        rp_provenance prov = {o->command_line, rp_scenario_path(sc), yaml ? yaml : "", o->threads, 0, 1, ""};
        status = yaml ? rp_output_create(o->output, o->force, p, p->horizon, &prov, &out, &err)
                      : rp_error_raise(&err, RP_ENOMEM, "out of memory");
        if (status == RP_OK)
            status = rp_output_begin_run(out, &(rp_run_id){0, 0, o->replicate, -1, -1}, p, &err);
        if (status == RP_OK && rp_output_variables(out)) {
            ro.on_block = rp_output_write_block;
            ro.ctx = out;
            ro.variables = rp_output_variables(out);
        }
    }
    if (status == RP_OK)
        status = rp_run_execute(p, &ro, &run, &err);
    if (status == RP_OK && out) {
        status = rp_output_end_run(out, 0, run, &err);
        status = status == RP_OK ? rp_output_commit(out, &err) : status;
        out = NULL; /* commit frees it, whatever the result */
    }
    rp_output_discard(out);
    if (status == RP_OK && o->timing)
        fprintf(stderr, "%s: seconds: population %.3f, assignment %.3f, engine %.3f, summary %.3f\n",
                progname, run->seconds[0], run->seconds[1], run->seconds[2], run->seconds[3]);
    if (status == RP_OK) {
        char header[512];
        snprintf(header, sizeof header,
                 "rapport %s: %s, seed %llu, replicate %llu, %lld patients, %lld providers, %d weeks%s%s",
                 RP_VERSION, rp_scenario_path(sc), (unsigned long long)p->seed,
                 (unsigned long long)o->replicate, (long long)p->patients.count,
                 (long long)p->providers.count, p->horizon, o->output ? "; written to " : "",
                 o->output ? o->output : "");
        status = print_summary(&run->summary, header, o->json, &err);
    }
    free(yaml);
    rp_run_free(run);
    return status == RP_OK ? EXIT_OK : report(status, &err);
}

/* Progress of a sweep on stderr (a terminal only): runs, pair-weeks per
 * second, time left. */
static void show_sweep_progress(void *ctx, int64_t done, int64_t total, int64_t pair_weeks)
{
    progress_state *ps = ctx;
    const double now = omp_get_wtime();
    if (now - ps->last < 0.5 && done < total)
        return;
    ps->last = now;
    const double elapsed = now - ps->start + 1e-9;
    fprintf(stderr, "\r%s: %lld of %lld runs, %.3g pair-weeks/s, %.0f s left   ", progname, (long long)done,
            (long long)total, pair_weeks / elapsed, elapsed / done * (total - done));
    if (done == total)
        fputc('\n', stderr);
}

/* What every point of a sweep must share for one output file (dimensions,
 * groups, output settings), and the longest horizon. */
static int sweep_shape(const rp_plan *plan, const rp_params *base, bool output, int *max_horizon, rp_error *err)
{
    *max_horizon = 0;
    for (int64_t point = 0; point < rp_plan_points(plan); point++) {
        rp_params p;
        int status = rp_plan_params(plan, point, &p, err);
        if (status != RP_OK)
            return status;
        if (p.horizon > *max_horizon)
            *max_horizon = p.horizon;
        bool same = p.culture.n_dims == base->culture.n_dims && p.patients.n_groups == base->patients.n_groups &&
                    p.providers.n_groups == base->providers.n_groups &&
                    memcmp(&p.output, &base->output, sizeof p.output) == 0;
        for (int k = 0; same && k < p.culture.n_dims; k++)
            same = strcmp(p.culture.dims[k].name, base->culture.dims[k].name) == 0;
        for (int g = 0; same && g < p.patients.n_groups; g++)
            same = strcmp(p.patients.groups[g].name, base->patients.groups[g].name) == 0;
        if (output && !same)
            RP_FAIL(err, RP_EINVAL,
                    "sweep point %lld changes the cultural dimensions, the groups or the output section; "
                    "expected one file's tables to fit every point (sweep other keys, or write no file)",
                    (long long)point);
    }
    return RP_OK;
}

/* Summaries of runs done elsewhere (a resumed sweep), from the joined file. */
static void fill_summaries(const char *path, rp_sweep_result *res)
{
    for (int64_t r = 0; r < res->runs; r++) {
        rp_error e;
        if (!res->done[r] && rp_output_read_stored_summary(path, r, &res->summary[r], &e) == RP_OK)
            res->done[r] = 1;
    }
}

static int run_sweep(const options *o, const rp_ranks *ranks, rp_scenario *sc, const rp_plan *plan, rp_error *err)
{
    const int64_t runs = rp_plan_runs(plan);
    const rp_params *base = rp_scenario_params(sc);
    if (o->shards > 1 && ranks->size > 1)
        RP_FAIL(err, RP_EINVAL, "--shard and mpirun both split the runs; expected one of them");
    if (o->resume && !o->output)
        RP_FAIL(err, RP_EINVAL, "--resume needs -o FILE: the finished runs are kept beside it");
    if (o->replicate)
        RP_FAIL(err, RP_EINVAL, "--replicate picks the stream of a single run; a sweep's replicates are its "
                                "`replicates:` (expected no --replicate)");
    const int64_t workers = o->shards * ranks->size, worker = o->shard * ranks->size + ranks->rank;
    int max_horizon;
    int status = sweep_shape(plan, base, o->output != NULL, &max_horizon, err);
    if (status == RP_OK)
        status = check_memory(sc, err);
    char dir[4096] = "";
    uint8_t *skip = calloc((size_t)runs, 1);
    if (status == RP_OK && !skip)
        status = rp_error_raise(err, RP_ENOMEM, "out of memory");
    if (status == RP_OK && o->output) {
        /* a sweep's file is written twice: batches, then the joined file */
        double pairs = 0, providers = 0;
        for (int64_t point = 0; point < rp_plan_points(plan); point++) {
            rp_params pp;
            if (rp_plan_params(plan, point, &pp, err) == RP_OK) {
                pairs += (double)pp.patients.count * (double)rp_plan_replicates(plan);
                providers += (double)pp.providers.count * (double)rp_plan_replicates(plan);
            }
        }
        status = rp_output_check_space(o->output, 2 * rp_output_bytes(base, pairs, providers) / (double)o->shards, err);
    }
    if (status == RP_OK && o->output) {
        snprintf(dir, sizeof dir, "%s.parts", o->output);
        if (!o->force && access(o->output, F_OK) == 0)
            status = rp_error_raise(err, RP_EINVAL, "%s exists; expected a new path, or --force to replace it",
                                    o->output);
        else
            status = rp_parts_done(dir, rp_plan_id(plan), runs, skip, err);
        int64_t found = 0;
        for (int64_t r = 0; r < runs; r++)
            found += skip[r];
        if (status == RP_OK && found && !o->resume)
            status = rp_error_raise(err, RP_EINVAL,
                                    "%s holds %lld finished runs of an interrupted sweep; expected --resume to "
                                    "continue it (or remove the folder to start again)",
                                    dir, (long long)found);
    }
    status = rp_dist_agree(status); /* every rank has checked before any writes */
    char *yaml = NULL;
    char part[64] = "";
    if (o->shards > 1)
        snprintf(part, sizeof part, "shard %lld of %lld", (long long)o->shard + 1, (long long)o->shards);
    rp_provenance prov = {o->command_line, rp_scenario_path(sc), "", o->threads, rp_plan_id(plan), runs, part};
    rp_parts *parts = NULL;
    rp_run_sink sink;
    if (status == RP_OK && o->output) {
        yaml = resolved_yaml(sc);
        prov.scenario_yaml = yaml ? yaml : "";
        status = yaml ? rp_parts_open(dir, worker, base, max_horizon, &prov, 2.0, &parts, err)
                      : rp_error_raise(err, RP_ENOMEM, "out of memory");
        sink = rp_parts_sink(parts, base->output.variables);
    }
    rp_sweep_result res = {0};
    progress_state ps = {omp_get_wtime(), omp_get_wtime()};
    if (status == RP_OK) {
        rp_sweep_options so = {.threads = o->threads, .parallel = o->parallel, .worker = worker, .workers = workers,
                               .skip = skip, .sink = parts ? &sink : NULL, .stop = &stop_requested};
        if (isatty(STDERR_FILENO) && ranks->rank == 0) {
            so.progress = show_sweep_progress;
            so.progress_ctx = &ps;
        }
        status = rp_sweep_execute(plan, &so, &res, err);
    }
    rp_error close_err;
    int closed = rp_parts_close(parts, &close_err);
    if (status == RP_OK && closed != RP_OK) {
        status = closed;
        *err = close_err;
    }
    status = rp_dist_agree(status);
    if (status == RP_OK)
        status = rp_dist_gather_summaries(runs, res.summary, res.done);
    const bool empty_part = o->shards > 1 && o->shard >= runs; /* more shards than runs */
    if (status == RP_OK && o->output && ranks->rank == 0 && empty_part) {
        /* a part with no runs, so that merging all parts still works */
        rp_output *none = NULL;
        status = rp_output_create(o->output, o->force, base, max_horizon, &prov, &none, err);
        if (status == RP_OK)
            status = rp_output_commit(none, err);
        rmdir(dir);
    } else if (status == RP_OK && o->output && ranks->rank == 0)
        status = rp_parts_join(dir, o->shard * ranks->size, o->shard * ranks->size + ranks->size - 1, o->output,
                               o->force, o->shards == 1, &prov, err);
    status = rp_dist_agree(status);
    if (status == RP_OK && ranks->rank == 0) {
        if (o->output && o->resume)
            fill_summaries(o->output, &res);
        if (!o->json) {
            printf("rapport %s: %s, seed %llu, %lld points x %lld replicates = %lld runs%s%s%s%s\n\n", RP_VERSION,
                   rp_scenario_path(sc), (unsigned long long)base->seed, (long long)rp_plan_points(plan),
                   (long long)rp_plan_replicates(plan), (long long)runs, part[0] ? ", " : "", part,
                   o->output ? "; written to " : "", o->output ? o->output : "");
            rp_sweep_print_table(plan, res.summary, res.done, stdout);
        } else
            rp_sweep_print_json(plan, res.summary, res.done, stdout);
        if (fflush(stdout) != 0 || ferror(stdout))
            status = rp_error_raise(err, RP_EIO, "cannot write the summary: %s", strerror(errno));
    }
    rp_sweep_result_free(&res);
    free(yaml);
    free(skip);
    return status;
}

static int cmd_run(const options *o, const rp_ranks *ranks)
{
    rp_error err = {{0}};
    rp_scenario *sc = NULL;
    rp_plan *plan = NULL;
    int status = load_scenario(o, &sc, &err);
    if (status == RP_OK)
        status = rp_plan_create(sc, &plan, &err);
    int code;
    if (status != RP_OK)
        code = ranks->rank == 0 ? report(status, &err) : exit_code(status);
    else if (rp_plan_runs(plan) == 1 && (o->shards == 1 || o->shard_from_slurm) && ranks->size == 1)
        code = run_one(o, sc); /* one run: nothing to shard or resume (an array task runs it whole) */
    else {
        status = run_sweep(o, ranks, sc, plan, &err);
        code = status == RP_OK ? EXIT_OK : exit_code(status);
        if (status != RP_OK && !err.msg[0] && ranks->rank == 0)
            rp_error_raise(&err, status, "another MPI rank failed (its message is above)");
        if (status != RP_OK && err.msg[0])
            code = report(status, &err);
    }
    rp_plan_free(plan);
    rp_scenario_free(sc);
    return code;
}

static int cmd_summary(int argc, char **argv)
{
    const char *path = NULL;
    bool json = false;
    long long run = 0;
    for (int a = 0; a < argc; a++) {
        if (strcmp(argv[a], "--json") == 0)
            json = true;
        else if (strcmp(argv[a], "--run") == 0) {
            if (a + 1 >= argc || !parse_count(argv[++a], 0, LLONG_MAX, &run))
                return usage_error("%s", "--run takes a run index >= 0");
        }
        else if (argv[a][0] == '-' && argv[a][1])
            return usage_error("'%s' is not an option of 'summary'", argv[a]);
        else if (!path)
            path = argv[a];
        else
            return usage_error("more than one file given: '%s'", argv[a]);
    }
    if (!path)
        return usage_error("%s", "'summary' needs a FILE.h5 written by rapport run -o");
    rp_error err = {{0}};
    rp_summary sum;
    int status = rp_output_read_summary(path, run, &sum, &err);
    if (status == RP_OK) {
        char header[512];
        snprintf(header, sizeof header, "rapport %s: summary of run %lld of %s", RP_VERSION, run, path);
        status = print_summary(&sum, header, json, &err);
    }
    return status == RP_OK ? EXIT_OK : report(status, &err);
}

/* The command line, each argument quoted for a POSIX shell where needed,
 * so that the provenance attribute can be pasted back into a terminal. */
static char *quoted_command_line(int argc, char **argv)
{
    size_t size = 1;
    for (int a = 0; a < argc; a++)
        size += 4 * strlen(argv[a]) + 3;
    char *line = malloc(size), *at = line;
    if (!line)
        return NULL;
    for (int a = 0; a < argc; a++) {
        const char *s = argv[a];
        const bool plain = s[0] && strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                             "0123456789_-+=./,:@%") == strlen(s);
        if (a)
            *at++ = ' ';
        if (plain) {
            at = stpcpy(at, s);
            continue;
        }
        *at++ = '\'';
        for (; *s; s++)
            at = *s == '\'' ? stpcpy(at, "'\\''") : (*at = *s, at + 1);
        *at++ = '\'';
    }
    *at = '\0';
    return line;
}

/* rapport merge PART... -o OUT [--force]: join the parts of a sharded sweep. */
static int cmd_merge(int argc, char **argv)
{
    const char *out = NULL;
    bool force = false;
    const char **inputs = calloc((size_t)argc, sizeof *inputs);
    int n = 0;
    if (!inputs) {
        fprintf(stderr, "%s: error: out of memory\n", progname);
        return EXIT_RUNTIME;
    }
    for (int a = 2; a < argc; a++) {
        if (strcmp(argv[a], "-o") == 0 || strcmp(argv[a], "--output") == 0) {
            if (a + 1 >= argc) {
                free(inputs);
                return usage_error("option '%s' needs a file name", argv[a]);
            }
            out = argv[++a];
        } else if (strcmp(argv[a], "--force") == 0)
            force = true;
        else if (argv[a][0] == '-' && argv[a][1]) {
            free(inputs);
            return usage_error("'%s' is not an option of 'merge'", argv[a]);
        } else
            inputs[n++] = argv[a];
    }
    if (!out || n == 0) {
        free(inputs);
        return usage_error("%s", "'merge' needs PART.h5 files and -o OUT.h5");
    }
    char *line = quoted_command_line(argc, argv);
    rp_error err = {{0}};
    rp_provenance prov = {line ? line : "", "", "", 1, 0, 0, ""};
    int status = line ? rp_output_merge(inputs, n, out, force, true, &prov, &err)
                      : rp_error_raise(&err, RP_ENOMEM, "out of memory");
    free(line);
    free(inputs);
    if (status == RP_OK)
        fprintf(stderr, "%s: joined %d parts into %s\n", progname, n, out);
    return status == RP_OK ? EXIT_OK : report(status, &err);
}

static int cmd_validate(const options *o, bool show)
{
    rp_error err = {{0}};
    rp_scenario *sc = NULL;
    rp_plan *plan = NULL;
    int status = load_scenario(o, &sc, &err);
    if (status == RP_OK)
        status = rp_plan_create(sc, &plan, &err); /* every sweep point validated */
    if (status == RP_OK && show) {
        status = rp_scenario_write_yaml(sc, stdout);
        if (status == RP_OK && rp_plan_runs(plan) > 1)
            status = rp_plan_write_yaml(plan, stdout);
        if (status != RP_OK || fflush(stdout) != 0 || ferror(stdout))
            status = rp_error_raise(&err, RP_EIO, "cannot write the scenario: %s", strerror(errno));
    }
    rp_plan_free(plan);
    rp_scenario_free(sc);
    return status == RP_OK ? EXIT_OK : report(status, &err);
}

static void show_calibration_step(void *ctx, const rp_calibration *cal, const rp_cal_step *s)
{
    (void)ctx;
    int n;
    const rp_cal_free *fr = rp_calibration_free_params(cal, &n);
    fprintf(stderr, "%s: iteration %d, %d evaluations, objective %.6g, size %.3g:", progname, s->iteration,
            s->evaluations, s->objective, s->size);
    for (int i = 0; i < n; i++)
        fprintf(stderr, " %s=%.5g", fr[i].key, s->x[i]);
    fputc('\n', stderr);
}

/* rapport calibrate CALIBRATION.yaml [--threads N] [-o OUT.yaml] [--json] */
static int cmd_calibrate(int argc, char **argv)
{
    const char *path = NULL, *out_path = NULL;
    bool json = false;
    long long threads = omp_get_max_threads();
    for (int a = 0; a < argc; a++) {
        if (strcmp(argv[a], "--json") == 0)
            json = true;
        else if (strcmp(argv[a], "--threads") == 0) {
            if (a + 1 >= argc || !parse_count(argv[++a], 1, MAX_THREADS, &threads))
                return usage_error("%s", "--threads takes a whole number from 1 to 1024");
        } else if (strcmp(argv[a], "-o") == 0 || strcmp(argv[a], "--output") == 0) {
            if (a + 1 >= argc || !argv[a + 1][0])
                return usage_error("option '%s' needs a file name", argv[a]);
            out_path = argv[++a];
        } else if (argv[a][0] == '-' && argv[a][1])
            return usage_error("'%s' is not an option of 'calibrate'", argv[a]);
        else if (!path)
            path = argv[a];
        else
            return usage_error("more than one calibration file given: '%s'", argv[a]);
    }
    if (!path)
        return usage_error("%s", "'calibrate' needs a CALIBRATION.yaml file");
    rp_error err = {{0}};
    rp_calibration *cal = NULL;
    rp_cal_result res = {0};
    int status = rp_calibration_load(path, &cal, &err);
    if (status != RP_OK)
        return report(status, &err);
    catch_signals();
    rp_cal_options opt = {.threads = (int)threads, .stop = &stop_requested};
    if (isatty(STDERR_FILENO))
        opt.on_step = show_calibration_step;
    status = rp_calibration_fit(cal, &opt, &res, &err);
    if (status == RP_OK && out_path) {
        FILE *f = fopen(out_path, "w");
        if (!f)
            status = rp_error_raise(&err, RP_EIO, "cannot write '%s': %s", out_path, strerror(errno));
        else {
            status = rp_calibration_write_scenario(cal, res.final.x, f, &err);
            if (fclose(f) != 0 && status == RP_OK)
                status = rp_error_raise(&err, RP_EIO, "cannot write '%s': %s", out_path, strerror(errno));
        }
    }
    if (status == RP_OK) {
        if (json)
            rp_calibration_print_json(cal, &res, out_path, stdout);
        else
            rp_calibration_print_table(cal, &res, stdout);
        if (out_path && !json)
            printf("\ncalibrated scenario written to %s\n", out_path);
        if (fflush(stdout) != 0 || ferror(stdout))
            status = rp_error_raise(&err, RP_EIO, "cannot write the report: %s", strerror(errno));
    }
    rp_cal_result_free(&res);
    rp_calibration_free(cal);
    return status == RP_OK ? EXIT_OK : report(status, &err);
}

/* For commands that only print: a failed write is an I/O error. */
static int finish_stdout(void)
{
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "%s: error: cannot write to standard output: %s\n", progname, strerror(errno));
        return EXIT_IO;
    }
    return EXIT_OK;
}

/* The command named in argv[1]; returns the exit code. */
static int dispatch(int argc, char **argv)
{
    if (argc < 2) {
        fputs(help_main, stderr);
        return EXIT_USAGE;
    }
    const char *command = argv[1];
    if (strcmp(command, "--version") == 0 || strcmp(command, "version") == 0) {
        print_version();
        return finish_stdout();
    }
    if (strcmp(command, "help") == 0 || strcmp(command, "--help") == 0 || strcmp(command, "-h") == 0) {
        int code = print_help(argc > 2 ? argv[2] : NULL);
        return code == EXIT_OK ? finish_stdout() : code;
    }
    for (int a = 2; a < argc; a++)
        if (strcmp(argv[a], "--help") == 0 || strcmp(argv[a], "-h") == 0) {
            int code = print_help(command);
            return code == EXIT_OK ? finish_stdout() : code;
        }
    if (strcmp(command, "reference") == 0) {
        rp_scenario_write_reference(stdout);
        return finish_stdout();
    }
    if (strcmp(command, "summary") == 0)
        return cmd_summary(argc - 2, argv + 2);
    if (strcmp(command, "merge") == 0)
        return cmd_merge(argc, argv);
    if (strcmp(command, "calibrate") == 0)
        return cmd_calibrate(argc - 2, argv + 2);

    const bool is_run = strcmp(command, "run") == 0;
    const bool is_show = strcmp(command, "show") == 0;
    if (!is_run && !is_show && strcmp(command, "validate") != 0)
        return usage_error("no command '%s'", command);
    options o;
    int code = parse_options(argc - 2, argv + 2, command, is_run, &o);
    if (code != EXIT_OK)
        return code;
    if (!is_run)
        return cmd_validate(&o, is_show);
    o.command_line = quoted_command_line(argc, argv);
    if (!o.command_line) {
        fprintf(stderr, "%s: error: out of memory\n", progname);
        return EXIT_RUNTIME;
    }
    catch_signals();
    rp_ranks ranks;
    rp_dist_init(&argc, &argv, &ranks);
    code = cmd_run(&o, &ranks);
    rp_dist_finalize();
    free(o.command_line);
    return code;
}

int main(int argc, char **argv)
{
    gsl_set_error_handler_off();
    rp_output_library_init();
    const int code = dispatch(argc, argv);
    if (code == EXIT_OK)
        rp_output_library_close(); /* after a failure HDF5 may hold a file it cannot close */
    return code;
}
