/* cli.c - the command line's dispatch, and what every command shares; see cli.h. */
#define _POSIX_C_SOURCE 200809L
#include "cli.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>

#include "rapport/output.h"

const char *const cli_name = "rapport";

int cli_exit_code(int status)
{
    switch (status) {
    case RP_OK: return EXIT_OK;
    case RP_EINVAL: return EXIT_USAGE;
    case RP_EIO: return EXIT_IO;
    case RP_EINTR: return EXIT_INTERRUPTED;
    default: return EXIT_RUNTIME;
    }
}

/* text on stderr as one line: a control byte (a newline in a file name)
 * would split it, so each is written as \xNN. */
static void put_line(const char *text)
{
    for (const unsigned char *c = (const unsigned char *)text; *c; c++)
        if (*c < 0x20 || *c == 0x7f)
            fprintf(stderr, "\\x%02x", *c);
        else
            fputc(*c, stderr);
    fputc('\n', stderr);
}

void cli_error(const char *fmt, ...)
{
    char line[RP_ERROR_MAX + 64];
    int n = snprintf(line, sizeof line, "%s: error: ", cli_name);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
    va_end(ap);
    put_line(line);
}

/* A located message ("FILE:LINE:COL: error: ...") is printed as it is, like a
 * compiler's, so editors can jump to it; anything else gets our name. */
int cli_report(int status, const rp_error *err)
{
    if (strstr(err->msg, ": error: "))
        put_line(err->msg);
    else
        cli_error("%s", err->msg);
    return cli_exit_code(status);
}

const char *cli_excerpt(const char *text, char *buf, size_t size)
{
    snprintf(buf, size, "%s", text);
    if (strlen(text) >= size)
        strcpy(buf + size - 4, "...");
    return buf;
}

/* One line, like every error: what is wrong, and where help is. */
int cli_usage_error(const char *fmt, const char *arg)
{
    char excerpt[128]; /* a megabyte of argument is not a line */
    char what[256];
    snprintf(what, sizeof what, fmt, cli_excerpt(arg, excerpt, sizeof excerpt));
    cli_error("%s (see '%s help')", what, cli_name);
    return EXIT_USAGE;
}

/* Set by the signals that ask a process to stop: SIGINT, SIGTERM, and those
 * whose default would kill it and leave its temporary file: SIGHUP (a closed
 * terminal or ssh), SIGUSR1 and SIGUSR2 (Slurm's --signal, the warning before
 * a time limit), SIGALRM, SIGXCPU and SIGXFSZ (limits). The run stops between
 * blocks and removes its unfinished output file; a sweep keeps its finished
 * runs (exit 75). A second signal ends the process at once. */
volatile sig_atomic_t cli_stop_requested;
volatile sig_atomic_t cli_stop_signal;

static const struct {
    int sig;
    const char *name;
} stops[] = {{SIGINT, "SIGINT"},   {SIGTERM, "SIGTERM"}, {SIGHUP, "SIGHUP"},   {SIGUSR1, "SIGUSR1"},
             {SIGUSR2, "SIGUSR2"}, {SIGALRM, "SIGALRM"}, {SIGXCPU, "SIGXCPU"}, {SIGXFSZ, "SIGXFSZ"}};

static void on_signal(int sig)
{
    if (cli_stop_requested) {
        signal(sig, SIG_DFL);
        raise(sig);
    }
    cli_stop_signal = sig;
    cli_stop_requested = 1;
}

void cli_catch_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    for (size_t k = 0; k < sizeof stops / sizeof stops[0]; k++)
        sigaction(stops[k].sig, &sa, NULL);
}

int cli_report_resumable(const rp_error *err)
{
    static const char early[] = "stopped early";
    const char *by = "a signal";
    for (size_t k = 0; k < sizeof stops / sizeof stops[0]; k++)
        if (stops[k].sig == cli_stop_signal)
            by = stops[k].name;
    char line[RP_ERROR_MAX + 64];
    if (strncmp(err->msg, early, strlen(early)) == 0)
        snprintf(line, sizeof line, "%s: %s by %s%s", cli_name, early, by, err->msg + strlen(early));
    else
        snprintf(line, sizeof line, "%s: %s by %s: %s", cli_name, early, by, err->msg);
    put_line(line);
    return EXIT_RESUMABLE;
}

/* Print the summary as a table (with a header naming the run) or JSON. */
int cli_print_summary(const rp_summary *sum, const rp_origin *origin, const char *header, bool json, rp_error *err)
{
    if (json)
        cli_print_summary_json(sum, origin, stdout);
    else {
        printf("%s\n\n", header);
        cli_print_summary_table(sum, stdout);
    }
    if (fflush(stdout) != 0 || ferror(stdout))
        RP_FAIL(err, RP_EIO, "cannot write the summary: %s", strerror(errno));
    return RP_OK;
}

/* The command line, each argument quoted for a POSIX shell where needed,
 * so that the provenance attribute can be pasted back into a terminal. */
char *cli_command_line(int argc, char **argv)
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

/* For commands that only print: a failed write is an I/O error. */
int cli_finish_stdout(void)
{
    if (fflush(stdout) != 0 || ferror(stdout)) {
        cli_error("cannot write to standard output: %s", strerror(errno));
        return EXIT_IO;
    }
    return EXIT_OK;
}

/* The command named in argv[1]; returns the exit code. */
static int dispatch(int argc, char **argv)
{
    if (argc < 2) {
        fputs(cli_help_main, stderr);
        return EXIT_USAGE;
    }
    const char *command = argv[1];
    if (strcmp(command, "--version") == 0 || strcmp(command, "version") == 0) {
        if (argc > 2)
            return cli_usage_error("'--version' takes no arguments, not '%s'", argv[2]);
        cli_version();
        return cli_finish_stdout();
    }
    if (strcmp(command, "help") == 0 || strcmp(command, "--help") == 0 || strcmp(command, "-h") == 0) {
        if (argc > 3)
            return cli_usage_error("'help' takes at most one COMMAND, not also '%s'", argv[3]);
        int code = cli_help(argc > 2 ? argv[2] : NULL);
        return code == EXIT_OK ? cli_finish_stdout() : code;
    }
    for (int a = 2; a < argc; a++)
        if (strcmp(argv[a], "--help") == 0 || strcmp(argv[a], "-h") == 0) {
            int code = cli_help(command);
            return code == EXIT_OK ? cli_finish_stdout() : code;
        }
    if (strcmp(command, "reference") == 0) {
        if (argc > 2)
            return cli_usage_error("'reference' takes no arguments, not '%s'", argv[2]);
        rp_scenario_write_reference(stdout);
        return cli_finish_stdout();
    }
    if (strcmp(command, "run") == 0)
        return cli_run(argc, argv);
    if (strcmp(command, "validate") == 0 || strcmp(command, "show") == 0)
        return cli_validate(argc, argv, strcmp(command, "show") == 0);
    if (strcmp(command, "summary") == 0)
        return cli_summary(argc, argv);
    if (strcmp(command, "merge") == 0)
        return cli_merge(argc, argv);
    if (strcmp(command, "calibrate") == 0)
        return cli_calibrate(argc, argv);
    return cli_usage_error("no command '%s'", command);
}

int rp_cli_main(int argc, char **argv)
{
    /* The commands that stop cleanly on a signal catch it from their start:
     * caught later, a signal during HDF5's start-up or the parsing would
     * kill them without their one line (and a sweep without exit 75). */
    static const char *const stopping[] = {"run", "merge", "calibrate"};
    for (size_t k = 0; argc > 1 && k < sizeof stopping / sizeof stopping[0]; k++)
        if (strcmp(argv[1], stopping[k]) == 0)
            cli_catch_signals();
    gsl_set_error_handler_off();
    rp_output_library_init();
    const int code = dispatch(argc, argv);
    if (code == EXIT_OK)
        rp_output_library_close(); /* after a failure HDF5 may hold a file it cannot close */
    return code;
}
