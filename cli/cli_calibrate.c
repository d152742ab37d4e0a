/* cli_calibrate.c - rapport calibrate: fit, report, write the calibrated
 * scenario; see cli.h. */
#define _POSIX_C_SOURCE 200809L
#include "cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/files.h"
#include "exec/dist.h"
#include "rapport/calibrate.h"
#include "rapport/exec.h"

static void show_calibration_step(void *ctx, const rp_calibration *cal, const rp_cal_step *s)
{
    (void)ctx;
    int n;
    const rp_cal_free *fr = rp_calibration_free_params(cal, &n);
    fprintf(stderr, "%s: iteration %d, %d evaluations, objective %.6g, size %.3g:", cli_name, s->iteration,
            s->evaluations, s->objective, s->size);
    for (int i = 0; i < n; i++)
        fprintf(stderr, " %s=%.5g", fr[i].key, s->x[i]);
    fputc('\n', stderr);
}

/* *f: a new file beside path, to be renamed onto it when complete; *temp is
 * its name (to free, whatever the status). */
static int open_beside(const char *path, FILE **f, char **temp, rp_error *err)
{
    const size_t size = strlen(path) + 32;
    *f = NULL;
    if (!(*temp = malloc(size)))
        RP_FAIL(err, RP_ENOMEM, "out of memory");
    snprintf(*temp, size, "%s.partial-%ld", path, (long)getpid());
    if (!(*f = fopen(*temp, "w")))
        RP_FAIL(err, RP_EIO, "cannot write '%s': %s", path, strerror(errno));
    return RP_OK;
}

/* Fail now, not after a long fit, if the calibrated scenario could not be written. */
static int check_writable(const char *path, rp_error *err)
{
    FILE *f;
    char *temp;
    int status = open_beside(path, &f, &temp, err);
    if (f) {
        fclose(f);
        unlink(temp);
    }
    free(temp);
    return status;
}

/* The calibrated scenario, written under a temporary name and renamed into
 * place: a failed or killed write leaves path as it was. */
static int write_calibrated(const rp_calibration *cal, const double *x, const char *path, rp_error *err)
{
    FILE *f;
    char *temp;
    int status = open_beside(path, &f, &temp, err);
    if (status == RP_OK)
        status = rp_calibration_write_scenario(cal, x, f, err);
    if (f && fclose(f) != 0 && status == RP_OK)
        status = rp_status_raise(err, RP_EIO, "cannot write '%s': %s", path, strerror(errno));
    if (status == RP_OK && rename(temp, path) != 0)
        status = rp_status_raise(err, RP_EIO, "cannot move %s to %s: %s", temp, path, strerror(errno));
    if (status != RP_OK && f)
        unlink(temp);
    free(temp);
    return status;
}

enum { OPT_THREADS = 256, OPT_JSON, OPT_FORCE, OPT_NO_IDENTIFY, OPT_IDENTIFY_STEP, OPT_POSTERIOR, OPT_RESUME };

static int calibrate_option(void *ctx, int c, const char *value)
{
    cli_calibrate_args *a = ctx;
    long long threads, step;
    if (c == OPT_JSON)
        a->json = true;
    else if (c == OPT_FORCE)
        a->force = true;
    else if (c == OPT_NO_IDENTIFY)
        a->identify = false;
    else if (c == OPT_RESUME)
        a->resume = true;
    else if (c == OPT_POSTERIOR) {
        if (!value[0])
            return cli_usage_error("%s", "option '--posterior' needs a file name");
        a->posterior = value;
    }
    else if (c == OPT_IDENTIFY_STEP) {
        if (!cli_parse_count(value, 1, 25, &step))
            return cli_usage_error("--identify-step takes a whole percent from 1 to 25, not '%s'", value);
        a->identify_step = (int)step;
    } else if (c == OPT_THREADS) {
        if (!cli_parse_count(value, 1, CLI_MAX_THREADS, &threads))
            return cli_usage_error("--threads takes a whole number from 1 to 1024, not '%s'", value);
        a->threads = (int)threads;
    } else if (c == 'o') {
        if (!value[0])
            return cli_usage_error("%s", "option '-o' needs a file name");
        a->output = value;
    } else if (a->path)
        return cli_usage_error("more than one calibration file given: '%s'", value);
    else
        a->path = value;
    return EXIT_OK;
}

int cli_parse_calibrate(int argc, char **argv, cli_calibrate_args *a)
{
    static const struct option options[] = {{"threads", required_argument, NULL, OPT_THREADS},
                                            {"output", required_argument, NULL, 'o'},
                                            {"json", no_argument, NULL, OPT_JSON},
                                            {"force", no_argument, NULL, OPT_FORCE},
                                            {"no-identify", no_argument, NULL, OPT_NO_IDENTIFY},
                                            {"identify-step", required_argument, NULL, OPT_IDENTIFY_STEP},
                                            {"posterior", required_argument, NULL, OPT_POSTERIOR},
                                            {"resume", no_argument, NULL, OPT_RESUME},
                                            {0}};
    *a = (cli_calibrate_args){.identify = true, .identify_step = 3};
    int code = cli_each_option(argc, argv, "calibrate", "o:", options, calibrate_option, a);
    if (code != EXIT_OK)
        return code;
    if (!a->path)
        return cli_usage_error("%s", "'calibrate' needs a CALIBRATION.yaml file");
    if (a->resume && !a->posterior)
        return cli_usage_error("%s", "--resume continues the posterior file of --posterior FILE.h5; expected both");
    return a->threads ? EXIT_OK : cli_default_threads(&a->threads);
}

/* The provenance of a calibration's JSON report: the calibration's
 * scenario, its replicates, no plan. */
static void calibration_origin(const rp_calibration *cal, int threads, rp_origin *origin)
{
    const rp_provenance prov = {.scenario_path = rp_calibration_scenario_path(cal), .threads = threads};
    rp_output_origin(rp_scenario_params(rp_calibration_scenario(cal)), &prov, origin);
    origin->has_plan = false;
    origin->replicates = rp_calibration_replicates(cal);
}

/* The ABC-SMC calibration's context: where each generation's checkpoint
 * goes, and the progress line (rank 0 only: rp_abc_run calls it there). */
typedef struct {
    const char *posterior, *command_line;
    int threads, ranks;
    bool progress;
} abc_ctx;

static int on_generation(void *ctx, const rp_calibration *cal, const rp_abc_result *res, rp_error *err)
{
    const abc_ctx *c = ctx;
    if (c->progress) {
        const rp_abc_generation *g = &res->gen[res->n_generations - 1];
        fprintf(stderr, "%s: generation %d: tolerance %.4g, %lld simulations, acceptance %.3f, ESS %.1f\n", cli_name,
                res->n_generations - 1, g->tolerance, g->simulations, g->acceptance, g->ess);
    }
    return c->posterior ? rp_abc_write(cal, res, c->posterior, c->command_line, c->threads, c->ranks, err) : RP_OK;
}

/* An ABC-SMC calibration from its start or (--resume) its posterior file's
 * last generation; the report, the posterior file, the calibrated scenario.
 * Under MPI every rank reads the file to resume and runs its share of each
 * generation (rp_abc_run); rank 0 alone writes and prints; every rank
 * returns the same status and message. */
static int calibrate_abc(const cli_calibrate_args *a, const rp_calibration *cal, const rp_ranks *ranks, int argc,
                         char **argv, rp_error *err, bool *resumable)
{
    rp_abc_result res = {0};
    const bool rank0 = ranks->rank == 0;
    int status = RP_OK;
    char *line = cli_command_line(argc, argv);
    if (!line)
        status = rp_status_raise(err, RP_ENOMEM, "out of memory");
    struct stat st;
    const bool resumed = status == RP_OK && a->resume && stat(a->posterior, &st) == 0;
    if (resumed)
        status = rp_abc_resume(cal, a->posterior, &res, err);
    /* every rank has read the file before rank 0 writes it again, and read
     * the same (rp_dist_agree is a maximum: max(g) == -max(-g) when every g
     * is the same) */
    status = rp_dist_agree_error(status, err);
    const int gens = status == RP_OK ? res.n_generations : 0;
    if (status == RP_OK && rp_dist_agree(gens) != -rp_dist_agree(-gens))
        status = rp_status_raise(err, RP_EINVAL, "%s: the MPI ranks read different generations from it; expected "
                                 "a file system that every rank sees, as the same path", a->posterior);
    if (status == RP_OK && resumed && rank0 && isatty(STDERR_FILENO))
        fprintf(stderr, "%s: resuming after generation %d of %s%s\n", cli_name, res.n_generations - 1, a->posterior,
                res.stop != RP_ABC_RUNNING ? " (complete: nothing to run)" : "");
    abc_ctx ctx = {a->posterior, line, a->threads, ranks->size, isatty(STDERR_FILENO)};
    rp_abc_options opt = {.threads = a->threads, .rank = ranks->rank, .ranks = ranks->size,
                          .stop = &cli_stop_requested, .on_generation = on_generation, .ctx = &ctx};
    if (status == RP_OK)
        status = rp_abc_run(cal, &opt, &res, err);
    if (status == RP_EINTR) {
        *resumable = a->posterior && res.n_generations > 0;
        if (*resumable)
            rp_status_raise(err, RP_EINTR, "stopped early after generation %d of at most %d; %s holds generations "
                            "0-%d: run the same command with --resume to continue", res.n_generations - 1,
                            rp_calibration_abc(cal)->generations, a->posterior, res.n_generations - 1);
        else
            rp_status_raise(err, RP_EINTR, "interrupted in generation %d; nothing written (%s)", res.n_generations,
                            a->posterior ? "no generation was complete" : "without --posterior, no checkpoint");
    }
    double median[RP_CAL_MAX_FREE];
    if (status == RP_OK)
        rp_abc_median(cal, &res, median);
    if (status == RP_OK && a->posterior && rank0)
        status = rp_abc_write(cal, &res, a->posterior, line, a->threads, ranks->size, err);
    if (status == RP_OK && a->output && rank0)
        status = write_calibrated(cal, median, a->output, err);
    if (status == RP_OK && rank0) {
        if (a->json) {
            rp_origin origin;
            calibration_origin(cal, a->threads, &origin);
            cli_print_abc_json(cal, &res, median, a->posterior, a->output, &origin, stdout);
        } else
            cli_print_abc_table(cal, &res, median, stdout);
        if (a->posterior && !a->json)
            printf("\nposterior written to %s\n", a->posterior);
        if (a->output && !a->json)
            printf("calibrated scenario (posterior medians) written to %s\n", a->output);
        if (fflush(stdout) != 0 || ferror(stdout))
            status = rp_status_raise(err, RP_EIO, "cannot write the report: %s", strerror(errno));
    }
    rp_abc_result_free(&res);
    free(line);
    return rp_dist_agree_error(status, err);
}

/* The output rule for each file the command writes, before anything runs:
 * the calibration file, its scenario and every file it extends are inputs. */
static int check_outputs(const cli_calibrate_args *a, const rp_calibration *cal, rp_error *err)
{
    int n;
    const char *const *files = rp_scenario_files(rp_calibration_scenario(cal), &n);
    const char **inputs = malloc((size_t)(n + 2) * sizeof *inputs);
    if (!inputs)
        RP_FAIL(err, RP_ENOMEM, "rapport: error: out of memory");
    inputs[0] = rp_calibration_path(cal);
    memcpy(inputs + 1, files, (size_t)n * sizeof *inputs);
    int status = RP_OK;
    if (a->output) {
        inputs[n + 1] = a->posterior; /* -o and --posterior are not the same file */
        status = rp_file_check_output(a->output, a->force, inputs, n + 2, err);
        if (status == RP_OK)
            status = check_writable(a->output, err);
    }
    if (status == RP_OK && a->posterior) {
        inputs[n + 1] = a->output;
        status = rp_file_check_output(a->posterior, a->force || a->resume, inputs, n + 2, err);
        if (status == RP_OK)
            status = check_writable(a->posterior, err);
    }
    free(inputs);
    return status;
}

/* An error's line, printed by rank 0 alone (every rank has the same
 * status and message: rp_dist_agree_error); the exit code on every rank. */
static int report_once(const rp_ranks *ranks, int status, const rp_error *err, bool resumable)
{
    if (ranks->rank != 0)
        return resumable ? EXIT_RESUMABLE : cli_exit_code(status);
    return resumable ? cli_report_resumable(err) : cli_report(status, err);
}

/* The calibration on this process's MPI rank (one process: rank 0 of 1):
 * every rank loads and checks the files, their verdicts agreed on before
 * anything runs. */
static int calibrate_ranks(const cli_calibrate_args *args, const rp_ranks *ranks, int argc, char **argv)
{
    const cli_calibrate_args a = *args;
    const char *path = a.path, *out_path = a.output;
    const bool json = a.json;
    rp_error err = {{0}};
    rp_calibration *cal = NULL;
    rp_cal_result res = {0};
    rp_cal_identification *id = NULL;
    int status = rp_calibration_load(path, &cal, &err);
    if (status == RP_OK) {
        /* the population of every evaluation: the calibration's patients, if it sets them */
        const rp_scenario *sc = rp_calibration_scenario(cal);
        rp_params p = *rp_scenario_params(sc);
        const long long n = rp_calibration_patients(cal);
        if (n) {
            p.patients.count = n;
            p.providers.count = (n + p.providers.caseload - 1) / p.providers.caseload;
        }
        status = rp_exec_check_memory(&p, n ? rp_calibration_path(cal) : rp_scenario_where(sc, "patients.count"), &err);
    }
    const bool abc = status == RP_OK && rp_calibration_method(cal) == RP_CAL_ABC_SMC;
    if (status == RP_OK && a.posterior && !abc)
        status = rp_status_raise(&err, RP_EINVAL, "%s: --posterior is the posterior file of method abc-smc; "
                                 "expected `method: abc-smc` in the calibration, or no --posterior", path);
    if (status == RP_OK)
        status = check_outputs(&a, cal, &err);
    if ((status = rp_dist_agree_error(status, &err)) != RP_OK) {
        rp_calibration_free(cal);
        return report_once(ranks, status, &err, false);
    }
    if (abc) {
        bool resumable = false;
        status = calibrate_abc(&a, cal, ranks, argc, argv, &err, &resumable);
        rp_calibration_free(cal);
        return status == RP_OK ? EXIT_OK : report_once(ranks, status, &err, resumable);
    }
    /* Nelder-Mead: every rank takes the same steps, each evaluation's
     * replicates spread over the ranks (rp_cal_options); rank 0 prints and writes */
    const bool rank0 = ranks->rank == 0, progress = rank0 && isatty(STDERR_FILENO);
    rp_cal_options opt = {.threads = a.threads, .rank = ranks->rank, .ranks = ranks->size,
                          .stop = &cli_stop_requested, .on_step = progress ? show_calibration_step : NULL};
    status = rp_calibration_fit(cal, &opt, &res, &err);
    if (status == RP_OK && a.identify) {
        /* which targets pin which coefficient, at the fitted point, on the fit's streams */
        int n_free;
        rp_calibration_free_params(cal, &n_free);
        if (progress)
            fprintf(stderr, "%s: identification: %d more evaluations\n", cli_name, 2 * n_free);
        id = malloc(sizeof *id);
        status = rp_dist_agree_error(id ? RP_OK : rp_status_raise(&err, RP_ENOMEM, "out of memory"), &err);
        if (status == RP_OK)
            status = rp_calibration_identify(cal, res.final.x, a.identify_step / 100.0, &opt, id, &err);
    }
    if (status == RP_OK && out_path && rank0)
        status = write_calibrated(cal, res.final.x, out_path, &err);
    if (status == RP_OK && rank0) {
        if (json) {
            rp_origin origin;
            calibration_origin(cal, a.threads, &origin);
            cli_print_calibration_json(cal, &res, id, out_path, &origin, stdout);
        } else
            cli_print_calibration_table(cal, &res, id, stdout);
        if (out_path && !json)
            printf("\ncalibrated scenario written to %s\n", out_path);
        if (fflush(stdout) != 0 || ferror(stdout))
            status = rp_status_raise(&err, RP_EIO, "cannot write the report: %s", strerror(errno));
    }
    status = rp_dist_agree_error(status, &err);
    free(id);
    rp_calibration_result_free(&res);
    rp_calibration_free(cal);
    return status == RP_OK ? EXIT_OK : report_once(ranks, status, &err, false);
}

/* rapport calibrate CALIBRATION.yaml [--threads N] [-o OUT.yaml [--force]] [--json]
 *                   [--no-identify | --identify-step PERCENT] [--posterior FILE.h5 [--resume]]
 * (under mpirun, over the ranks: rp_abc_options, rp_cal_options) */
int cli_calibrate(int argc, char **argv)
{
    cli_calibrate_args a;
    int code = cli_parse_calibrate(argc - 1, argv + 1, &a);
    if (code != EXIT_OK)
        return code;
    rp_ranks ranks;
    rp_dist_init(&argc, &argv, &ranks);
    code = calibrate_ranks(&a, &ranks, argc, argv);
    rp_dist_finalize();
    return code;
}
