/* cli_args.c - reading the command line and the environment: getopt_long
 * with rapport's one-line messages, and the one checked integer parser that
 * every numeric option and environment variable goes through (no sign where
 * none is allowed, no blanks, no trailing text, no overflow); see cli.h. */
#define _POSIX_C_SOURCE 200809L
#include "cli.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <omp.h>

bool cli_parse_u64(const char *s, uint64_t max, uint64_t *out)
{
    /* strtoull alone would take " 7", "+7" and "-7" (as 2^64 - 7) and, with
     * errno unchecked, clamp 99999999999999999999 to its maximum. */
    if (!isdigit((unsigned char)s[0]))
        return false;
    char *end;
    errno = 0;
    const unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end || v > max)
        return false;
    *out = v;
    return true;
}

bool cli_parse_count(const char *s, long long min, long long max, long long *out)
{
    uint64_t magnitude;
    const bool negative = s[0] == '-' && min < 0;
    if (!cli_parse_u64(negative ? s + 1 : s, negative ? (uint64_t)LLONG_MAX + 1 : (uint64_t)LLONG_MAX, &magnitude))
        return false;
    const long long v = negative ? (long long)(0 - magnitude) : (long long)magnitude;
    if (v < min || v > max)
        return false;
    *out = v;
    return true;
}

bool cli_parse_size(const char *s, double *bytes)
{
    if (strcmp(s, "none") == 0) {
        *bytes = 0;
        return true;
    }
    static const char units[] = "KMGT";
    char digits[32];
    const size_t n = strlen(s);
    const char *unit = n ? strchr(units, s[n - 1]) : NULL;
    if (n >= sizeof digits)
        return false;
    snprintf(digits, sizeof digits, "%.*s", (int)(unit ? n - 1 : n), s);
    uint64_t v;
    if (!cli_parse_u64(digits, 1000000000000000000ull, &v))
        return false;
    *bytes = (double)v * (unit ? pow(1000.0, (double)(unit - units + 1)) : 1.0);
    return *bytes <= 1e18;
}

bool cli_parse_shard(const char *s, int64_t *i, int64_t *n)
{
    const char *slash = strchr(s, '/');
    char first[32];
    long long vi, vn;
    if (!slash || (size_t)(slash - s) >= sizeof first)
        return false;
    memcpy(first, s, (size_t)(slash - s));
    first[slash - s] = '\0';
    if (!cli_parse_count(first, 0, CLI_MAX_SHARDS - 1, &vi) || !cli_parse_count(slash + 1, 1, CLI_MAX_SHARDS, &vn) ||
        vi >= vn)
        return false;
    *i = vi;
    *n = vn;
    return true;
}

int cli_env_count(const char *name, long long min, long long max, long long *out, bool *set)
{
    const char *value = getenv(name);
    *set = value != NULL;
    if (!value || cli_parse_count(value, min, max, out))
        return EXIT_OK;
    char excerpt[51];
    cli_error("%s is '%s'; expected a whole number from %lld to %lld", name,
              cli_excerpt(value, excerpt, sizeof excerpt), min, max);
    return EXIT_USAGE;
}

int cli_default_threads(int *threads)
{
    /* OMP_NUM_THREADS may list the threads of nested levels ("4,2"); the
     * first is ours. An absurd value would make libgomp fail inside its first
     * parallel region, so it is checked here like --threads. */
    const char *env = getenv("OMP_NUM_THREADS");
    if (env) {
        char first[32];
        const size_t len = strcspn(env, ",");
        long long v;
        if (len < sizeof first) {
            memcpy(first, env, len);
            first[len] = '\0';
        }
        if (len >= sizeof first || !cli_parse_count(first, 1, CLI_MAX_THREADS, &v)) {
            char excerpt[51];
            cli_error("OMP_NUM_THREADS is '%s'; expected a whole number from 1 to %d (or use --threads N)",
                      cli_excerpt(env, excerpt, sizeof excerpt), CLI_MAX_THREADS);
            return EXIT_USAGE;
        }
    }
    const int max = omp_get_max_threads();
    *threads = max < 1 ? 1 : max > CLI_MAX_THREADS ? CLI_MAX_THREADS : max;
    return EXIT_OK;
}

/* Past "--" every argument is an operand, even one that starts with '-'. */
static bool operands_only;

void cli_getopt_reset(void)
{
    optind = 0; /* glibc: start again, with the optstring read anew */
    opterr = 0; /* the messages are ours */
    operands_only = false;
}

/* "'--x' is not an option", or which options an abbreviation could be. */
static void unknown_option(const char *arg, const char *command, const struct option *longopts)
{
    const size_t len = strncmp(arg, "--", 2) == 0 ? strcspn(arg + 2, "=") : 0;
    char could[256] = "";
    int n = 0;
    for (const struct option *o = longopts; len && o->name; o++)
        if (strncmp(o->name, arg + 2, len) == 0 && strlen(could) + strlen(o->name) + 5 < sizeof could) {
            strcat(strcat(could, n++ ? ", --" : "--"), o->name);
        }
    if (n > 1)
        cli_error("'%.*s' is ambiguous: it could be %s (see '%s help %s')", (int)len + 2, arg, could, cli_name,
                  command);
    else
        cli_error("'%s' is not an option of '%s' (see '%s help %s')", arg, command,
                cli_name, command);
}

/* '-x' is not an option; '-json' is read as -j -s -o n, so say what it
 * probably meant. */
static void unknown_short(const char *arg, const char *command, const struct option *longopts)
{
    for (const struct option *o = longopts; arg[1] && arg[2] && o->name; o++)
        if (strcmp(o->name, arg + 1) == 0) {
            cli_error("'%s' is not an option of '%s'; did you mean '-%s'? (see '%s help %s')", arg, command, arg,
                      cli_name, command);
            return;
        }
    cli_error("'%s' is not an option of '%s' (see '%s help %s')", arg, command, cli_name, command);
}

int cli_each_option(int argc, char **argv, const char *command, const char *shortopts,
                    const struct option *longopts, int (*on)(void *ctx, int option, const char *value), void *ctx)
{
    const char *value;
    int c, code = EXIT_OK;
    cli_getopt_reset();
    while (code == EXIT_OK && (c = cli_getopt(argc, argv, command, shortopts, longopts, &value)) != -1)
        code = c == CLI_OPT_ERROR ? EXIT_USAGE : on(ctx, c, value);
    return code;
}

int cli_getopt(int argc, char **argv, const char *command, const char *shortopts, const struct option *longopts,
               const char **value)
{
    /* argv[0] is the command's name: getopt_long starts at argv[1]. A '-'
     * first in shortopts returns operands in order (as option 1), so argv is
     * never permuted; a ':' next tells a missing value from an unknown option. */
    char opts[64];
    snprintf(opts, sizeof opts, "-:%s", shortopts);
    *value = NULL;
    int c = operands_only ? -1 : getopt_long(argc, argv, opts, longopts, NULL);
    if (c == -1) {
        operands_only = true;
        if (optind >= argc)
            return -1;
        *value = argv[optind++];
        return 1;
    }
    if (c == 1) {
        *value = optarg;
        return 1;
    }
    const char *arg = argv[optind - 1];
    if (c == ':') {
        cli_error("option '%s' needs a value (see '%s help %s')", arg, cli_name,
                command);
        return CLI_OPT_ERROR;
    }
    if (c == '?') {
        const char *eq = strchr(arg, '=');
        if (optopt && strncmp(arg, "--", 2) == 0 && eq)
            cli_error("option '%.*s' takes no value (see '%s help %s')", (int)(eq - arg), arg, cli_name, command);
        else if (optopt && strncmp(arg, "--", 2) != 0)
            unknown_short(optind < argc && argv[optind][0] == '-' && strchr(argv[optind], optopt) ? argv[optind] : arg,
                          command, longopts);
        else
            unknown_option(arg, command, longopts);
        return CLI_OPT_ERROR;
    }
    *value = optarg;
    return c;
}
