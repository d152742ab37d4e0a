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

#include "core/text.h"
#include "rapport/exec.h"
#include "rapport/plan.h"

/* A Slurm job array shards a sweep itself: task I of N is --shard I/N, with
 * I = (SLURM_ARRAY_TASK_ID - MIN) / STEP (an array 0-14:2 is 8 parts). A task
 * ID that does not fit its array is an error, not the whole sweep run again. */
static int shard_from_slurm(cli_options *o)
{
    long long id, count, min = 0, step = 1;
    bool has_id, has_count, has_min, has_step;
    int code = cli_env_count("SLURM_ARRAY_TASK_ID", 0, LLONG_MAX, &id, &has_id);
    if (code == EXIT_OK && has_id)
        code = cli_env_count("SLURM_ARRAY_TASK_COUNT", 1, CLI_MAX_SHARDS, &count, &has_count);
    if (code == EXIT_OK && has_id)
        code = cli_env_count("SLURM_ARRAY_TASK_MIN", 0, LLONG_MAX, &min, &has_min);
    if (code == EXIT_OK && has_id)
        code = cli_env_count("SLURM_ARRAY_TASK_STEP", 1, LLONG_MAX, &step, &has_step);
    if (code != EXIT_OK || !has_id)
        return code;
    if (!has_count) {
        cli_error("SLURM_ARRAY_TASK_ID is set but SLURM_ARRAY_TASK_COUNT is not; expected both (a job array's "
                  "task), or --shard I/N");
        return EXIT_USAGE;
    }
    if (id < min || (id - min) % step != 0 || (id - min) / step >= count) {
        cli_error("SLURM_ARRAY_TASK_ID %lld is not one of the %lld tasks of the job array (from %lld, step %lld); "
                  "expected an evenly spaced array such as --array=0-%lld, or --shard I/N",
                  id, count, min, step, count - 1);
        return EXIT_USAGE;
    }
    o->shard = (id - min) / step;
    o->shards = count;
    o->shard_from_slurm = true;
    return EXIT_OK;
}

enum { OPT_SET = 256, OPT_SEED, OPT_THREADS, OPT_REPLICATE, OPT_SHARD, OPT_PARALLEL, OPT_JSON, OPT_TIMING,
       OPT_FORCE, OPT_SUMMARY_ONLY, OPT_RESUME, OPT_MAX_OUTPUT };

/* Parse the arguments after the command name (argv[0] is the command). */
int cli_parse_options(int argc, char **argv, bool run_options, cli_options *o)
{
    static const struct option scenario_options[] = {
        {"set", required_argument, NULL, OPT_SET}, {"seed", required_argument, NULL, OPT_SEED}, {0}};
    static const struct option run_only[] = {
        {"set", required_argument, NULL, OPT_SET},
        {"seed", required_argument, NULL, OPT_SEED},
        {"threads", required_argument, NULL, OPT_THREADS},
        {"replicate", required_argument, NULL, OPT_REPLICATE},
        {"output", required_argument, NULL, 'o'},
        {"shard", required_argument, NULL, OPT_SHARD},
        {"parallel", required_argument, NULL, OPT_PARALLEL},
        {"json", no_argument, NULL, OPT_JSON},
        {"timing", no_argument, NULL, OPT_TIMING},
        {"force", no_argument, NULL, OPT_FORCE},
        {"summary-only", no_argument, NULL, OPT_SUMMARY_ONLY},
        {"resume", no_argument, NULL, OPT_RESUME},
        {"max-output", required_argument, NULL, OPT_MAX_OUTPUT},
        {0}};
    const char *command = argv[0];
    *o = (cli_options){.shards = 1, .max_output = CLI_MAX_OUTPUT};
    bool shard_given = false;
    const char *value;
    int c;
    cli_getopt_reset();
    while ((c = cli_getopt(argc, argv, command, run_options ? "o:" : "", run_options ? run_only : scenario_options,
                           &value)) != -1) {
        long long v;
        switch (c) {
        case CLI_OPT_ERROR:
            return EXIT_USAGE;
        case 1:
            if (o->scenario)
                return cli_usage_error("more than one scenario given: '%s'", value);
            o->scenario = value;
            break;
        case OPT_SET:
        case OPT_SEED: {
            /* --seed S is --set seed=S: both apply in the order given */
            uint64_t seed;
            if (o->n_sets == (int)(sizeof o->sets / sizeof o->sets[0]))
                return cli_usage_error("too many --set and --seed options (at most 256): '%s'", value);
            if (c == OPT_SEED && !cli_parse_u64(value, UINT64_MAX, &seed))
                return cli_usage_error("--seed takes a whole number from 0 to 18446744073709551615, not '%s'",
                                       value);
            if (c == OPT_SEED && o->n_seeds == (int)(sizeof o->seeds / sizeof o->seeds[0]))
                return cli_usage_error("too many --seed options (at most 8): '%s'", value);
            if (c == OPT_SEED) {
                snprintf(o->seeds[o->n_seeds], sizeof o->seeds[0], "seed=%llu", (unsigned long long)seed);
                value = o->seeds[o->n_seeds++];
            }
            o->sets[o->n_sets++] = value;
            break;
        }
        case 'o':
            if (!value[0] || value[0] == '=')
                return cli_usage_error("option '-o' needs a file name, not '%s' (write -o FILE or --output=FILE)",
                                       value);
            o->output = value;
            break;
        case OPT_SHARD:
            if (!cli_parse_shard(value, &o->shard, &o->shards))
                return cli_usage_error("--shard takes I/N with 0 <= I < N <= 1000000000 (e.g. 2/8), not '%s'",
                                       value);
            shard_given = true;
            break;
        case OPT_PARALLEL:
            if (strcmp(value, "auto") == 0)
                o->parallel = RP_PARALLEL_AUTO;
            else if (strcmp(value, "runs") == 0)
                o->parallel = RP_PARALLEL_RUNS;
            else if (strcmp(value, "pairs") == 0)
                o->parallel = RP_PARALLEL_PAIRS;
            else
                return cli_usage_error("--parallel takes auto, runs or pairs, not '%s'", value);
            break;
        case OPT_THREADS:
            if (!cli_parse_count(value, 1, CLI_MAX_THREADS, &v))
                return cli_usage_error("--threads takes a whole number from 1 to 1024, not '%s'", value);
            o->threads = (int)v;
            break;
        case OPT_REPLICATE:
            /* below 2^32 and the replicates' own bound, so that a single run's
             * stream is never a sweep point's independent stream */
            if (!cli_parse_count(value, 0, CLI_MAX_REPLICATE, &v))
                return cli_usage_error("--replicate takes a whole number from 0 to 999999999, not '%s'", value);
            o->replicate = (uint64_t)v;
            break;
        case OPT_JSON: o->json = true; break;
        case OPT_TIMING: o->timing = true; break;
        case OPT_FORCE: o->force = true; break;
        case OPT_SUMMARY_ONLY: o->summary_only = true; break;
        case OPT_RESUME: o->resume = true; break;
        case OPT_MAX_OUTPUT:
            if (!cli_parse_size(value, &o->max_output))
                return cli_usage_error("--max-output takes a size such as 500M, 20G or 1T (or none), not '%s'",
                                       value);
            break;
        }
    }
    if (!o->scenario) {
        cli_error("'%s' needs a SCENARIO file (see '%s help %s')", command,
                cli_name, command);
        return EXIT_USAGE;
    }
    if (!o->output && (o->force || o->resume)) { /* --summary-only without a file changes nothing: allowed */
        cli_error("%s applies to the file of -o; expected -o FILE.h5 (see '%s help %s')",
                  o->force ? "--force" : "--resume", cli_name, command);
        return EXIT_USAGE;
    }
    int code = EXIT_OK;
    if (run_options && !shard_given)
        code = shard_from_slurm(o);
    if (code == EXIT_OK && run_options && !o->threads)
        code = cli_default_threads(&o->threads);
    return code;
}

/* Load, override and resolve the scenario named in o. */
int cli_load_scenario(const cli_options *o, rp_scenario **sc, rp_error *err)
{
    int status = rp_scenario_load(o->scenario, sc, err);
    for (int k = 0; status == RP_OK && k < o->n_sets; k++)
        status = rp_scenario_set(*sc, o->sets[k], err);
    if (status == RP_OK && o->summary_only)
        status = rp_scenario_set(*sc, "output.variables=none", err);
    if (status == RP_OK && o->summary_only)
        status = rp_scenario_set(*sc, "output.pairs=false", err);
    if (status == RP_OK)
        status = rp_scenario_resolve(*sc, err);
    return status;
}

/* rapport validate|show SCENARIO [--set KEY=VALUE]...: load, resolve and plan
 * (every sweep point validated); show prints the resolved scenario and plan. */
int cli_validate(int argc, char **argv, bool show)
{
    cli_options opt, *o = &opt;
    int code = cli_parse_options(argc - 1, argv + 1, false, o);
    if (code != EXIT_OK)
        return code;
    rp_error err = {{0}};
    rp_scenario *sc = NULL;
    rp_plan *plan = NULL;
    int status = cli_load_scenario(o, &sc, &err);
    if (status == RP_OK)
        status = rp_exec_plan_create(sc, &plan, &err); /* every sweep point validated, the draws made */
    if (status == RP_OK && show) {
        status = rp_scenario_write_yaml(sc, stdout);
        if (status == RP_OK && (rp_plan_runs(plan) > 1 || rp_plan_draws(plan)))
            status = rp_plan_write_yaml(plan, stdout);
        if (status == RP_OK) { /* what run -o would write, as run estimates it for --max-output */
            const rp_params *p = rp_scenario_params(sc);
            char all[32], brief[32];
            printf("# output of run -o: about %s (--summary-only: about %s)\n",
                   rp_text_size(rp_exec_output_bytes(plan, p, false), all, sizeof all),
                   rp_text_size(rp_exec_output_bytes(plan, p, true), brief, sizeof brief));
        }
        if (status != RP_OK || fflush(stdout) != 0 || ferror(stdout))
            status = rp_status_raise(&err, RP_EIO, "cannot write the scenario: %s", strerror(errno));
    }
    rp_plan_free(plan);
    rp_scenario_free(sc);
    return status == RP_OK ? EXIT_OK : cli_report(status, &err);
}
