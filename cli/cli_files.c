/* cli_files.c - the commands that read output files: summary and merge;
 * see cli.h. */
#include "cli.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/files.h"
#include "rapport/output.h"
#include "version.h"

enum { OPT_RUN = 256, OPT_JSON, OPT_FORCE };

static int summary_option(void *ctx, int c, const char *value)
{
    cli_summary_args *a = ctx;
    if (c == OPT_JSON)
        a->json = true;
    else if (c == OPT_RUN && !cli_parse_count(value, 0, LLONG_MAX, &a->run))
        return cli_usage_error("--run takes a run index >= 0, not '%s'", value);
    else if (c == 1 && a->path)
        return cli_usage_error("more than one file given: '%s'", value);
    else if (c == 1)
        a->path = value;
    return EXIT_OK;
}

int cli_parse_summary(int argc, char **argv, cli_summary_args *a)
{
    static const struct option options[] = {
        {"run", required_argument, NULL, OPT_RUN}, {"json", no_argument, NULL, OPT_JSON}, {0}};
    *a = (cli_summary_args){.run = -1}; /* the file's first run */
    int code = cli_each_option(argc, argv, "summary", "", options, summary_option, a);
    if (code != EXIT_OK)
        return code;
    if (!a->path)
        return cli_usage_error("%s", "'summary' needs a FILE.h5 written by rapport run -o");
    return EXIT_OK;
}

/* rapport summary FILE.h5 [--run R] [--json] */
int cli_summary(int argc, char **argv)
{
    cli_summary_args a;
    int code = cli_parse_summary(argc - 1, argv + 1, &a);
    if (code != EXIT_OK)
        return code;
    rp_error err = {{0}};
    rp_summary sum;
    rp_origin origin;
    bool stored;
    int status = rp_output_read_summary(a.path, a.run, &sum, &stored, &origin, &err);
    if (status == RP_OK) {
        char header[512], which[32];
        snprintf(which, sizeof which, a.run < 0 ? "the first run" : "run %lld", a.run);
        snprintf(header, sizeof header, "rapport %s: summary of %s of %s%s", RP_VERSION, which, a.path,
                 stored ? " (as stored in /summary: the file has no /pairs to recompute it from)" : "");
        status = cli_print_summary(&sum, &origin, header, a.json, &err);
    }
    return status == RP_OK ? EXIT_OK : cli_report(status, &err);
}

static int merge_option(void *ctx, int c, const char *value)
{
    cli_merge_args *a = ctx;
    if (c == 'o' && !value[0])
        return cli_usage_error("%s", "option '-o' needs a file name");
    if (c == 'o')
        a->output = value;
    else if (c == OPT_FORCE)
        a->force = true;
    else if (c == 1)
        a->inputs[a->n_inputs++] = value;
    return EXIT_OK;
}

int cli_parse_merge(int argc, char **argv, cli_merge_args *a)
{
    static const struct option options[] = {
        {"output", required_argument, NULL, 'o'}, {"force", no_argument, NULL, OPT_FORCE}, {0}};
    *a = (cli_merge_args){0};
    if (!(a->inputs = calloc((size_t)argc + 1, sizeof *a->inputs))) {
        cli_error("out of memory");
        return EXIT_RUNTIME;
    }
    int code = cli_each_option(argc, argv, "merge", "o:", options, merge_option, a);
    if (code == EXIT_OK && (!a->output || a->n_inputs == 0))
        code = cli_usage_error("%s", "'merge' needs PART.h5 files and -o OUT.h5");
    if (code == EXIT_OK)
        code = cli_default_threads(&a->threads); /* threads compress chunks */
    if (code != EXIT_OK) {
        free(a->inputs);
        a->inputs = NULL;
    }
    return code;
}

/* rapport merge PART... -o OUT [--force]: join the parts of a sharded sweep. */
int cli_merge(int argc, char **argv)
{
    cli_merge_args a;
    int code = cli_parse_merge(argc - 1, argv + 1, &a);
    if (code != EXIT_OK)
        return code;
    rp_error err = {{0}};
    int status = rp_file_check_output(a.output, a.force, a.inputs, a.n_inputs, &err);
    if (status != RP_OK) {
        free(a.inputs);
        return cli_report(status, &err);
    }
    char *line = cli_command_line(argc, argv);
    rp_provenance prov = {line ? line : "", "", "", a.threads, 0, 0, "", {{NULL, 0, NULL}, {NULL, 0, NULL}}, NULL, 0};
    status = line ? rp_output_merge(a.inputs, a.n_inputs, a.output, a.force, true, &prov, &cli_stop_requested, &err)
                  : rp_status_raise(&err, RP_ENOMEM, "out of memory");
    free(line);
    free(a.inputs);
    if (status == RP_OK)
        fprintf(stderr, "%s: joined %d parts into %s\n", cli_name, a.n_inputs, a.output);
    return status == RP_OK ? EXIT_OK : cli_report(status, &err);
}
