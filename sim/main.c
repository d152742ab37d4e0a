/* main.c - the rapport command line: parses arguments, calls the library,
 * maps statuses to exit codes. The only place that exits.
 *
 * Exit codes: 0 success; 1 runtime failure (out of memory, NaN in the model);
 * 2 bad input or usage (scenario, --set, arguments); 3 input/output error.
 */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_version.h>
#include <omp.h>

#include "run.h"
#include "scenario.h"
#include "version.h"

enum { EXIT_OK = 0, EXIT_RUNTIME = 1, EXIT_USAGE = 2, EXIT_IO = 3 };

#define MAX_THREADS 1024

static const char *progname = "rapport";

static int exit_code(int status)
{
    switch (status) {
    case RP_OK: return EXIT_OK;
    case RP_EINVAL: return EXIT_USAGE;
    case RP_EIO: return EXIT_IO;
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

static int usage_error(const char *fmt, const char *arg)
{
    fprintf(stderr, "%s: error: ", progname);
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\nTry '%s help' for more information.\n", progname);
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
    "  run SCENARIO        run the model and print a summary of its observables\n"
    "  validate SCENARIO   check a scenario file; say nothing when it is valid\n"
    "  show SCENARIO       print the fully resolved scenario (every default filled in)\n"
    "  reference           print the table of every scenario parameter (Markdown)\n"
    "  help [COMMAND]      this text, or a command's own help with examples\n"
    "\n"
    "Options of every command that reads a scenario:\n"
    "  --set KEY=VALUE     override a parameter by its dotted name (repeatable)\n"
    "  --seed S            the same as --set seed=S\n"
    "\n"
    "  --version           print the version, the model version and the build\n"
    "\n"
    "Exit codes: 0 success, 1 runtime failure, 2 bad input or usage, 3 I/O error.\n"
    "\n"
    "Example:\n"
    "  rapport run scenarios/baseline.yaml --set discussion.policy=intake\n";

static const char *help_run =
    "Usage: rapport run SCENARIO [--threads N] [--seed S] [--set KEY=VALUE]... [--json]\n"
    "\n"
    "Run the model of SCENARIO once and print its observables overall and per\n"
    "patient group: dropout, early dropout, sessions, recovery, ambivalence,\n"
    "alliance-outcome r, therapist ICC, ruptures and repairs, discussion.\n"
    "\n"
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
    "  rapport run my.yaml --set patients.groups.latinx.mistrust='beta(3, 5)'\n";

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

static int print_help(const char *command)
{
    const struct {
        const char *name, *text;
    } pages[] = {{"run", help_run},   {"validate", help_validate}, {"show", help_show},
                 {"reference", help_reference}};
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
    printf("built %s with %s, GSL %s, OpenMP %d\n", RP_BUILD_TYPE, RP_COMPILER, GSL_VERSION,
           _OPENMP);
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
    *o = (options){.threads = omp_get_max_threads()};
    for (int a = 0; a < argc; a++) {
        const char *arg = argv[a];
        const bool has_value = a + 1 < argc;
        if (strcmp(arg, "--set") == 0 || strcmp(arg, "--seed") == 0 ||
            (run_options && (strcmp(arg, "--threads") == 0 || strcmp(arg, "--replicate") == 0))) {
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
        } else if (arg[0] == '-' && arg[1]) {
            fprintf(stderr, "%s: error: '%s' is not an option of '%s'\n", progname, arg, command);
            fprintf(stderr, "Try '%s help %s'.\n", progname, command);
            return EXIT_USAGE;
        } else if (!o->scenario) {
            o->scenario = arg;
        } else {
            return usage_error("more than one scenario given: '%s'", arg);
        }
    }
    if (!o->scenario) {
        fprintf(stderr, "%s: error: '%s' needs a SCENARIO file\nTry '%s help %s'.\n", progname,
                command, progname, command);
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

static int cmd_run(const options *o)
{
    rp_error err = {{0}};
    rp_scenario *sc = NULL;
    rp_run *run = NULL;
    int status = load_scenario(o, &sc, &err);
    if (status == RP_OK)
        status = check_memory(sc, &err);
    if (status == RP_OK) {
        rp_run_options ro = {.threads = o->threads, .replicate = o->replicate};
        status = rp_run_execute(rp_scenario_params(sc), &ro, &run, &err);
    }
    if (status == RP_OK && o->timing)
        fprintf(stderr, "%s: seconds: population %.3f, assignment %.3f, engine %.3f, summary %.3f\n",
                progname, run->seconds[0], run->seconds[1], run->seconds[2], run->seconds[3]);
    if (status == RP_OK) {
        if (o->json)
            rp_summary_print_json(&run->summary, stdout);
        else {
            const rp_params *p = rp_scenario_params(sc);
            printf("rapport %s: %s, seed %llu, replicate %llu, %lld patients, %lld providers, "
                   "%d weeks\n\n",
                   RP_VERSION, rp_scenario_path(sc), (unsigned long long)p->seed,
                   (unsigned long long)o->replicate, (long long)p->patients.count,
                   (long long)p->providers.count, p->horizon);
            rp_summary_print_table(&run->summary, stdout);
        }
        if (fflush(stdout) != 0 || ferror(stdout))
            status = rp_error_raise(&err, RP_EIO, "cannot write the summary: %s", strerror(errno));
    }
    rp_run_free(run);
    rp_scenario_free(sc);
    return status == RP_OK ? EXIT_OK : report(status, &err);
}

static int cmd_validate(const options *o, bool show)
{
    rp_error err = {{0}};
    rp_scenario *sc = NULL;
    int status = load_scenario(o, &sc, &err);
    if (status == RP_OK && show) {
        status = rp_scenario_write_yaml(sc, stdout);
        if (status == RP_OK && (fflush(stdout) != 0 || ferror(stdout)))
            status = rp_error_raise(&err, RP_EIO, "cannot write the scenario: %s", strerror(errno));
    }
    rp_scenario_free(sc);
    return status == RP_OK ? EXIT_OK : report(status, &err);
}

int main(int argc, char **argv)
{
    gsl_set_error_handler_off();
    if (argc < 2) {
        fputs(help_main, stderr);
        return EXIT_USAGE;
    }
    const char *command = argv[1];
    if (strcmp(command, "--version") == 0 || strcmp(command, "version") == 0) {
        print_version();
        return EXIT_OK;
    }
    if (strcmp(command, "help") == 0 || strcmp(command, "--help") == 0 || strcmp(command, "-h") == 0)
        return print_help(argc > 2 ? argv[2] : NULL);
    for (int a = 2; a < argc; a++)
        if (strcmp(argv[a], "--help") == 0 || strcmp(argv[a], "-h") == 0)
            return print_help(command);
    if (strcmp(command, "reference") == 0) {
        rp_scenario_write_reference(stdout);
        return EXIT_OK;
    }

    const bool is_run = strcmp(command, "run") == 0;
    const bool is_show = strcmp(command, "show") == 0;
    if (!is_run && !is_show && strcmp(command, "validate") != 0)
        return usage_error("no command '%s'", command);
    options o;
    int code = parse_options(argc - 2, argv + 2, command, is_run, &o);
    if (code != EXIT_OK)
        return code;
    return is_run ? cmd_run(&o) : cmd_validate(&o, is_show);
}
