/* cli_scenario.c - the options of the commands that read a scenario (run,
 * validate, show), loading it with its overrides, and validate and show
 * themselves; see cli.h. */
#define _POSIX_C_SOURCE 200809L
#include "cli.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <omp.h>

#include "rapport/plan.h"
#include "rapport/run.h"

/* Parse the arguments after the command name. `allowed` lists the options
 * that this command takes beyond --set and --seed. */
int cli_parse_options(int argc, char **argv, const char *command, bool run_options, cli_options *o)
{
    *o = (cli_options){.threads = omp_get_max_threads(), .shards = 1};
    /* A Slurm job array shards a sweep itself: task I of N is --shard I/N,
     * with I = (SLURM_ARRAY_TASK_ID - MIN) / STEP (an array 0-14:2 is 8 parts). */
    const char *task = getenv("SLURM_ARRAY_TASK_ID"), *count = getenv("SLURM_ARRAY_TASK_COUNT");
    const char *min = getenv("SLURM_ARRAY_TASK_MIN"), *step = getenv("SLURM_ARRAY_TASK_STEP");
    long long ti, tc, tm = 0, ts = 1;
    if (run_options && task && count && cli_parse_count(task, 0, LLONG_MAX, &ti) && cli_parse_count(count, 1, LLONG_MAX, &tc) &&
        (!min || cli_parse_count(min, 0, LLONG_MAX, &tm)) && (!step || cli_parse_count(step, 1, LLONG_MAX, &ts)) && ti >= tm &&
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
                return cli_usage_error("option '%s' needs a value", arg);
            const char *value = argv[++a];
            long long v;
            if (strcmp(arg, "--set") == 0) {
                if (o->n_sets == (int)(sizeof o->sets / sizeof o->sets[0]))
                    return cli_usage_error("too many --set options (at most 256): '%s'", value);
                o->sets[o->n_sets++] = value;
            } else if (strcmp(arg, "--seed") == 0) {
                snprintf(o->seed_set, sizeof o->seed_set, "seed=%.50s", value);
            } else if (strcmp(arg, "-o") == 0 || strcmp(arg, "--output") == 0) {
                if (!value[0])
                    return cli_usage_error("option '%s' needs a file name", arg);
                o->output = value;
            } else if (strcmp(arg, "--shard") == 0) {
                long long i, n;
                char extra;
                if (sscanf(value, "%lld/%lld%c", &i, &n, &extra) != 2 || n < 1 || i < 0 || i >= n)
                    return cli_usage_error("--shard takes I/N with 0 <= I < N (e.g. 2/8), not '%s'", value);
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
                    return cli_usage_error("--parallel takes auto, runs or pairs, not '%s'", value);
            } else if (strcmp(arg, "--threads") == 0) {
                if (!cli_parse_count(value, 1, CLI_MAX_THREADS, &v))
                    return cli_usage_error("--threads takes a whole number from 1 to 1024, not '%s'",
                                       value);
                o->threads = (int)v;
            } else {
                if (!cli_parse_count(value, 0, LLONG_MAX, &v))
                    return cli_usage_error("--replicate takes a whole number >= 0, not '%s'", value);
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
            fprintf(stderr, "%s: error: '%s' is not an option of '%s' (see '%s help %s')\n", cli_name, arg,
                    command, cli_name, command);
            return EXIT_USAGE;
        } else if (!o->scenario) {
            o->scenario = arg;
        } else {
            return cli_usage_error("more than one scenario given: '%s'", arg);
        }
    }
    if (!o->scenario) {
        fprintf(stderr, "%s: error: '%s' needs a SCENARIO file (see '%s help %s')\n", cli_name, command,
                cli_name, command);
        return EXIT_USAGE;
    }
    return EXIT_OK;
}

/* Load, override and resolve the scenario named in o. */
int cli_load_scenario(const cli_options *o, rp_scenario **sc, rp_error *err)
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
int cli_check_memory(const rp_scenario *sc, rp_error *err)
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

/* rapport validate|show SCENARIO [--set KEY=VALUE]...: load, resolve and plan
 * (every sweep point validated); show prints the resolved scenario and plan. */
int cli_validate(int argc, char **argv, bool show)
{
    cli_options opt, *o = &opt;
    int code = cli_parse_options(argc - 2, argv + 2, argv[1], false, o);
    if (code != EXIT_OK)
        return code;
    rp_error err = {{0}};
    rp_scenario *sc = NULL;
    rp_plan *plan = NULL;
    int status = cli_load_scenario(o, &sc, &err);
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
    return status == RP_OK ? EXIT_OK : cli_report(status, &err);
}
