/* cli_calibrate.c - rapport calibrate: fit, report, write the calibrated
 * scenario; see cli.h. */
#define _POSIX_C_SOURCE 200809L
#include "cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <omp.h>

#include "rapport/calibrate.h"

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
        status = rp_error_raise(err, RP_EIO, "cannot write '%s': %s", path, strerror(errno));
    if (status == RP_OK && rename(temp, path) != 0)
        status = rp_error_raise(err, RP_EIO, "cannot move %s to %s: %s", temp, path, strerror(errno));
    if (status != RP_OK && f)
        unlink(temp);
    free(temp);
    return status;
}

/* rapport calibrate CALIBRATION.yaml [--threads N] [-o OUT.yaml] [--json] */
int cli_calibrate(int argc, char **argv)
{
    const char *path = NULL, *out_path = NULL;
    bool json = false;
    long long threads = omp_get_max_threads();
    for (int a = 2; a < argc; a++) {
        if (strcmp(argv[a], "--json") == 0)
            json = true;
        else if (strcmp(argv[a], "--threads") == 0) {
            if (a + 1 >= argc || !cli_parse_count(argv[++a], 1, CLI_MAX_THREADS, &threads))
                return cli_usage_error("%s", "--threads takes a whole number from 1 to 1024");
        } else if (strcmp(argv[a], "-o") == 0 || strcmp(argv[a], "--output") == 0) {
            if (a + 1 >= argc || !argv[a + 1][0])
                return cli_usage_error("option '%s' needs a file name", argv[a]);
            out_path = argv[++a];
        } else if (argv[a][0] == '-' && argv[a][1])
            return cli_usage_error("'%s' is not an option of 'calibrate'", argv[a]);
        else if (!path)
            path = argv[a];
        else
            return cli_usage_error("more than one calibration file given: '%s'", argv[a]);
    }
    if (!path)
        return cli_usage_error("%s", "'calibrate' needs a CALIBRATION.yaml file");
    rp_error err = {{0}};
    rp_calibration *cal = NULL;
    rp_cal_result res = {0};
    int status = rp_calibration_load(path, &cal, &err);
    if (status == RP_OK && out_path)
        status = check_writable(out_path, &err);
    if (status != RP_OK) {
        rp_calibration_free(cal);
        return cli_report(status, &err);
    }
    cli_catch_signals();
    rp_cal_options opt = {.threads = (int)threads, .stop = &cli_stop_requested};
    if (isatty(STDERR_FILENO))
        opt.on_step = show_calibration_step;
    status = rp_calibration_fit(cal, &opt, &res, &err);
    if (status == RP_OK && out_path)
        status = write_calibrated(cal, res.final.x, out_path, &err);
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
    return status == RP_OK ? EXIT_OK : cli_report(status, &err);
}
