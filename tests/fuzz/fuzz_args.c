/* fuzz_args.c - libFuzzer harness for the command line's options: any bytes
 * as NUL-separated arguments of run, validate, summary, merge or calibrate
 * (the first byte picks the command), parsed as rapport parses them, with
 * the environment variables it reads (OMP_NUM_THREADS, SLURM_ARRAY_TASK_*)
 * set from arguments of the form @NAME=VALUE. Parsing only: nothing runs.
 * The parsers' one-line messages go to /dev/null unless FUZZ_VERBOSE is set
 * (set it to see a crash's report when reproducing an artifact). */
#define _POSIX_C_SOURCE 200809L
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const variables[] = {"OMP_NUM_THREADS", "SLURM_ARRAY_TASK_ID", "SLURM_ARRAY_TASK_COUNT",
                                        "SLURM_ARRAY_TASK_MIN", "SLURM_ARRAY_TASK_STEP"};
enum { N_VARIABLES = sizeof variables / sizeof variables[0], MAX_ARGS = 64 };

static void parse(int command, int argc, char **argv)
{
    switch (command) {
    case 0:
    case 1: {
        cli_options o;
        cli_parse_options(argc, argv, command == 0, &o);
        break;
    }
    case 2: {
        cli_summary_args a;
        cli_parse_summary(argc, argv, &a);
        break;
    }
    case 3: {
        cli_merge_args a;
        if (cli_parse_merge(argc, argv, &a) == EXIT_OK)
            free(a.inputs);
        break;
    }
    default: {
        cli_calibrate_args a;
        cli_parse_calibrate(argc, argv, &a);
    }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    static const char *const names[] = {"run", "validate", "summary", "merge", "calibrate"};
    const int command = data[0] % 5;
    char *text = malloc(size); /* data[1..] and a final NUL */
    if (!text)
        return 0;
    memcpy(text, data + 1, size - 1);
    text[size - 1] = '\0';
    char *argv[MAX_ARGS + 1] = {(char *)names[command]};
    int argc = 1;
    for (char *at = text; at < text + size && argc < MAX_ARGS; at += strlen(at) + 1) {
        int v = 0;
        if (at[0] == '@')
            for (; v < N_VARIABLES; v++) {
                const size_t len = strlen(variables[v]);
                if (strncmp(at + 1, variables[v], len) == 0 && at[1 + len] == '=') {
                    setenv(variables[v], at + 2 + len, 1);
                    break;
                }
            }
        if (at[0] != '@' || v == N_VARIABLES)
            argv[argc++] = at;
    }
    argv[argc] = NULL;
    const bool verbose = getenv("FUZZ_VERBOSE") != NULL;
    const int saved = verbose ? -1 : dup(STDERR_FILENO);
    const int null = verbose ? -1 : open("/dev/null", O_WRONLY);
    if (null >= 0)
        dup2(null, STDERR_FILENO);
    parse(command, argc, argv);
    fflush(stderr);
    if (saved >= 0) {
        dup2(saved, STDERR_FILENO);
        close(saved);
    }
    if (null >= 0)
        close(null);
    for (int v = 0; v < N_VARIABLES; v++)
        unsetenv(variables[v]);
    free(text);
    return 0;
}
