# tests/lib.sh - what the shell tests share. A test tests/NAME.sh, run as
# `NAME.sh RAPPORT_BIN SRC_DIR` (see CMakeLists.txt here), begins
#     set -u
#     source "$(dirname "$0")/lib.sh"
# which sets bin and src from its arguments (or stops with a usage line).
# It prints one PASS/FAIL/SKIP line per check (report) and ends with finish:
# "N passed, N failed", exit 0, or 1 on any failure; exit 77 = skipped.
# shellcheck disable=SC2034 # variables set here for the tests that source it

TEST=$(basename "$0" .sh)                               # the test's name, for messages
tests_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd) # tests/ (testlib.py, h5_same.py)
py=/usr/bin/python3                                     # Debian's, with numpy and h5py
bin=${1:?usage: $TEST.sh RAPPORT_BIN SRC_DIR}
src=${2:?usage: $TEST.sh RAPPORT_BIN SRC_DIR}
passed=0 failed=0 skipped=0

# ---- checks and their lines ----

# report ok|fail|skip NAME [DETAIL]: one counted line, "PASS NAME",
# "FAIL NAME: DETAIL" or "SKIP NAME: DETAIL" (no ": DETAIL" when DETAIL is
# empty). Anything but ok or skip is a failure.
report() {
    case $1 in
    ok)
        passed=$((passed + 1))
        echo "PASS $2"
        ;;
    skip)
        skipped=$((skipped + 1))
        echo "SKIP $2${3:+: $3}"
        ;;
    *)
        failed=$((failed + 1))
        echo "FAIL $2${3:+: $3}"
        ;;
    esac
}

# check NAME COMMAND...: PASS NAME when COMMAND succeeds, else FAIL NAME.
check() {
    local name=$1
    shift
    if "$@"; then report ok "$name"; else report fail "$name"; fi
}

# judge NAME PROBLEMS: PASS NAME when PROBLEMS (what a check found wrong) is
# empty, else FAIL NAME: PROBLEMS.
judge() {
    if [ -z "$2" ]; then report ok "$1"; else report fail "$1" "$2"; fi
}

# relay_checks FILE RC WHAT: the output FILE of a checking program that exited
# RC printed again, its PASS/FAIL/SKIP lines counted as this test's checks (its
# own "N passed, N failed" line left out); when RC is not 0 and no FAIL line
# came, FAIL WHAT: exit RC (the program crashed).
relay_checks() {
    local line failed_before=$failed
    while IFS= read -r line || [ -n "$line" ]; do
        case $line in
        "PASS "*) report ok "${line#PASS }" ;;
        "FAIL "*) report fail "${line#FAIL }" ;;
        "SKIP "*) report skip "${line#SKIP }" ;;
        *) [[ $line =~ ^[0-9]+\ passed,\ [0-9]+\ failed ]] || printf '%s\n' "$line" ;;
        esac
    done <"$1"
    [ "$2" -eq 0 ] || [ "$failed" -gt "$failed_before" ] || report fail "$3" "exit $2"
}

# finish: the closing line "N passed, N failed" (", N skipped" when checks
# were skipped) and the exit: 0, or 1 when any check failed.
finish() {
    echo "$passed passed, $failed failed$([ "$skipped" -eq 0 ] || echo ", $skipped skipped")"
    [ "$failed" -eq 0 ] && exit 0
    exit 1
}

# skip_test REASON: the whole test cannot run here: "SKIP TEST: REASON", exit 77.
skip_test() {
    echo "SKIP $TEST: $*"
    exit 77
}

# need_py MODULES HINT: skip the test unless $py imports MODULES ("h5py, numpy").
need_py() {
    "$py" -c "import $1" 2>/dev/null || skip_test "$py lacks $1 ($2)"
}

# h5_differences A B IGNORE: "" when the HDF5 files A and B hold the same
# data (tests/h5_same.py, the root attributes IGNORE left out: a,b,c), else
# the first differences on one line.
h5_differences() {
    local out rc
    out=$("$py" "$tests_dir/h5_same.py" "$1" "$2" --ignore-attrs "$3" 2>&1)
    rc=$?
    if [ $rc -ne 0 ]; then
        printf '%s' "${out:-h5_same.py exit $rc}" | head -5 | tr '\n' ' '
    fi
}

# ---- exit codes and error lines ----

# one_line FILE: FILE holds exactly one line, ended by a newline.
one_line() {
    [ "$(wc -l <"$1")" -eq 1 ] && [ "$(grep -c '' "$1")" -eq 1 ]
}

# expect_exit [-E] [-q] NAME CODE PATTERN COMMAND...: COMMAND (at most 60 s;
# stdout kept in $tmp/out, stderr in $tmp/err) must exit CODE with exactly one
# line on stderr containing PATTERN, a fixed string or with -E an extended
# regular expression; with -q it must print nothing on stdout. One line:
# "PASS NAME: exit CODE, 'the error line'", or FAIL NAME with all that was wrong.
expect_exit() {
    local match=-F quiet=0
    while :; do
        case $1 in
        -E) match=-E ;;
        -q) quiet=1 ;;
        *) break ;;
        esac
        shift
    done
    local name=$1 code=$2 pattern=$3
    shift 3
    timeout 60 "$@" >"$tmp/out" 2>"$tmp/err"
    local rc=$? why=
    [ "$rc" = "$code" ] || why="exit $rc, expected $code;"
    one_line "$tmp/err" || why="$why $(grep -c '' "$tmp/err") lines on stderr, expected 1;"
    grep -q "$match" -- "$pattern" "$tmp/err" || why="$why stderr lacks '$pattern';"
    [ "$quiet" = 0 ] || [ ! -s "$tmp/out" ] || why="$why output on stdout: $(head -c 200 "$tmp/out");"
    if [ -z "$why" ]; then
        report ok "$name: exit $rc, '$(head -c 600 "$tmp/err")'"
    else
        report fail "$name" "$why stderr: $(head -c 600 "$tmp/err")"
    fi
}

# expect_code NAME CODE COMMAND...: COMMAND (at most 60 s, its output dropped)
# must exit CODE.
expect_code() {
    local name=$1 code=$2
    shift 2
    timeout 60 "$@" >/dev/null 2>&1
    local rc=$?
    if [ "$rc" = "$code" ]; then report ok "$name"; else report fail "$name" "exit $rc, expected $code"; fi
}

# ---- the temporary directory ----

# make_tmp: a new directory $tmp, removed when the script exits (after the
# commands given to at_exit, in their order).
make_tmp() {
    tmp=$(mktemp -d "${TMPDIR:-/tmp}/$TEST.XXXXXX") || {
        echo "FAIL $TEST: cannot make a temporary directory"
        exit 1
    }
    trap on_exit EXIT
}

# at_exit COMMAND: run COMMAND (a string, eval'ed) on exit, before $tmp goes.
exit_commands=()
at_exit() { exit_commands+=("$1"); }

on_exit() {
    local c
    for c in "${exit_commands[@]}"; do eval "$c"; done
    if [ -n "${tmp:-}" ]; then
        chmod -R u+w "$tmp" 2>/dev/null # a test's read-only directories too
        rm -rf "$tmp"
    fi
}

# ---- background jobs and time ----

# alive PID: the process PID is running.
alive() { [ -n "$1" ] && kill -0 "$1" 2>/dev/null; }

# wait_until SECONDS PIDS COMMAND...: run COMMAND (in this shell) every 0.05 s
# until it succeeds (return 0), SECONDS have passed or one of the processes
# PIDS (a list, maybe empty) has ended (return 1).
wait_until() {
    local end=$((${EPOCHREALTIME//[!0-9]/} + $1 * 1000000)) pids=$2 p
    shift 2
    while :; do
        "$@" && return 0
        for p in $pids; do alive "$p" || return 1; done
        [ "${EPOCHREALTIME//[!0-9]/}" -lt "$end" ] || return 1
        sleep 0.05
    done
}

# end_job PID: SIGKILL the background job PID if it still runs, and reap it
# (nothing when PID is empty); for at_exit.
end_job() { [ -z "$1" ] || wait_job "$1" 0; }

# wait_job PID SECONDS: wait up to SECONDS for the background job PID to end,
# SIGKILL it if it has not (return 1). Sets job_rc to its exit status, 999
# when it had to be killed. (Call it with stderr dropped to hide bash's
# notice of a killed job.)
wait_job() {
    wait_until "$2" "$1" false
    if alive "$1"; then
        kill -KILL "$1" 2>/dev/null
        wait "$1" 2>/dev/null
        job_rc=999
        return 1
    fi
    wait "$1" 2>/dev/null
    job_rc=$?
}

# since START [DIGITS]: the seconds from START (date +%s.%N) to now.
since() { awk -v a="$1" -v b="$(date +%s.%N)" -v d="${2:-1}" 'BEGIN { printf "%.*f", d, b - a }'; }
