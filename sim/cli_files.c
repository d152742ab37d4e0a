/* cli_files.c - the commands that read output files: summary and merge;
 * see cli.h. */
#include "cli.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <omp.h>

#include "rapport/output.h"
#include "version.h"

/* rapport summary FILE.h5 [--run R] [--json] */
int cli_summary(int argc, char **argv)
{
    const char *path = NULL;
    bool json = false;
    long long run = 0;
    for (int a = 2; a < argc; a++) {
        if (strcmp(argv[a], "--json") == 0)
            json = true;
        else if (strcmp(argv[a], "--run") == 0) {
            if (a + 1 >= argc || !cli_parse_count(argv[++a], 0, LLONG_MAX, &run))
                return cli_usage_error("%s", "--run takes a run index >= 0");
        }
        else if (argv[a][0] == '-' && argv[a][1])
            return cli_usage_error("'%s' is not an option of 'summary'", argv[a]);
        else if (!path)
            path = argv[a];
        else
            return cli_usage_error("more than one file given: '%s'", argv[a]);
    }
    if (!path)
        return cli_usage_error("%s", "'summary' needs a FILE.h5 written by rapport run -o");
    rp_error err = {{0}};
    rp_summary sum;
    int status = rp_output_read_summary(path, run, &sum, &err);
    if (status == RP_OK) {
        char header[512];
        snprintf(header, sizeof header, "rapport %s: summary of run %lld of %s", RP_VERSION, run, path);
        status = cli_print_summary(&sum, header, json, &err);
    }
    return status == RP_OK ? EXIT_OK : cli_report(status, &err);
}

/* rapport merge PART... -o OUT [--force]: join the parts of a sharded sweep. */
int cli_merge(int argc, char **argv)
{
    const char *out = NULL;
    bool force = false;
    const char **inputs = calloc((size_t)argc, sizeof *inputs);
    int n = 0;
    if (!inputs) {
        fprintf(stderr, "%s: error: out of memory\n", cli_name);
        return EXIT_RUNTIME;
    }
    for (int a = 2; a < argc; a++) {
        if (strcmp(argv[a], "-o") == 0 || strcmp(argv[a], "--output") == 0) {
            if (a + 1 >= argc) {
                free(inputs);
                return cli_usage_error("option '%s' needs a file name", argv[a]);
            }
            out = argv[++a];
        } else if (strcmp(argv[a], "--force") == 0)
            force = true;
        else if (argv[a][0] == '-' && argv[a][1]) {
            free(inputs);
            return cli_usage_error("'%s' is not an option of 'merge'", argv[a]);
        } else
            inputs[n++] = argv[a];
    }
    if (!out || n == 0) {
        free(inputs);
        return cli_usage_error("%s", "'merge' needs PART.h5 files and -o OUT.h5");
    }
    char *line = cli_command_line(argc, argv);
    cli_catch_signals();
    rp_error err = {{0}};
    rp_provenance prov = {line ? line : "", "", "", omp_get_max_threads(), 0, 0, ""}; /* threads compress chunks */
    int status = line ? rp_output_merge(inputs, n, out, force, true, &prov, &cli_stop_requested, &err)
                      : rp_error_raise(&err, RP_ENOMEM, "out of memory");
    free(line);
    free(inputs);
    if (status == RP_OK)
        fprintf(stderr, "%s: joined %d parts into %s\n", cli_name, n, out);
    return status == RP_OK ? EXIT_OK : cli_report(status, &err);
}
