#!/usr/bin/env bash
# output_files.sh RAPPORT_BIN SRC_DIR - never a wrong file: the rules of
# docs/FORMAT.md for where and when `rapport run -o` writes, checked on real
# files in a temporary directory.
#
# h5dump reads the files (-H, and data of /pairs/exit_week); a single run is
# a file of one run (root attributes sweep_id 0000000000000000, runs_total 1,
# part "", no root replicate; every table extendible, /runs/pairs its rows in
# /pairs); an existing path is refused without --force (exit 2, the old file
# unchanged) and replaced with it, for a sweep too (before it runs, no
# OUT.h5.parts left); a file that appears while a run writes is never clobbered; an
# invalid scenario leaves no file; a run killed with SIGKILL leaves nothing at
# the final path; SIGINT and SIGTERM exit 130 and leave neither the final nor
# the .partial-PID file; a missing or read-only directory is an I/O error
# (exit 3, one line; a sweep's too, leaving no parts folder); `rapport summary` on a missing file exits 3, on a file
# that is not HDF5 exits 2. One PASS/FAIL line per check, then "N passed, N
# failed"; exit 1 on any failure, 77 if h5dump is missing.
set -u
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
command -v h5dump >/dev/null || skip_test "h5dump not found (Debian: hdf5-tools)"
make_tmp
pid= # a run in the background, killed on exit
# shellcheck disable=SC2016 # expanded on exit
at_exit 'end_job "$pid"'

printf 'seed: 5\npatients: {count: 3000}\nproviders: {count: 150}\n' >"$tmp/s.yaml"
# A run large enough to be caught while it writes (about 1.2 GB of trajectories).
big=(--set patients.count=2000000 --set providers.count=100000)

# partials NAME: the temporary files of NAME.h5 left in $tmp, if any.
partials() { (cd "$tmp" && ls -d "$1".h5.partial-* 2>/dev/null); }

# ---- a good file, read by h5dump ----
"$bin" run "$tmp/s.yaml" -o "$tmp/a.h5" --json >"$tmp/a.json" 2>"$tmp/err"
rc=$?
if [ $rc -eq 0 ] && [ -f "$tmp/a.h5" ] && [ -z "$(partials a)" ]; then
    report ok "run -o writes the file and leaves no .partial file"
else
    report fail "run -o writes the file and leaves no .partial file" "exit $rc; $(ls "$tmp"); $(head -c 300 "$tmp/err")"
fi

if h5dump -H "$tmp/a.h5" >"$tmp/header" 2>"$tmp/err"; then
    missing=
    for g in trajectories pairs providers summary runs; do
        grep -q "GROUP \"$g\"" "$tmp/header" || missing="$missing $g"
    done
    grep -q 'DATASET "scenario"' "$tmp/header" || missing="$missing scenario"
    grep -q 'ATTRIBUTE "format_version"' "$tmp/header" || missing="$missing format_version"
    judge "h5dump -H succeeds and lists every group, /scenario and format_version" "${missing:+missing:$missing}"
else
    report fail "h5dump -H succeeds" "$(head -c 300 "$tmp/err")"
fi

if h5dump -d /pairs/exit_week "$tmp/a.h5" >"$tmp/dump" 2>"$tmp/err"; then
    # Values follow "(index): " on the data lines; there must be 3000, each a week in 1..16.
    # The dataset's own DATA block is the first; its attributes' blocks follow.
    values=$(awk '/DATA \{/ && !d { d = 1; next } d && /^ *\}/ { exit } d' "$tmp/dump" |
        sed 's/^ *([0-9]*): //' | tr ',' '\n' | tr -d ' ' | grep -v '^$')
    n=$(printf '%s\n' "$values" | wc -l)
    bad=$(printf '%s\n' "$values" | awk '$1 < 1 || $1 > 16' | wc -l)
    if grep -q 'H5T_STD_I32LE' "$tmp/dump" && [ "$n" -eq 3000 ] && [ "$bad" -eq 0 ]; then
        report ok "h5dump -d /pairs/exit_week reads 3000 int32 weeks in 1..16"
    else
        report fail "h5dump -d /pairs/exit_week reads data" "$n values, $bad out of range; $(head -c 300 "$tmp/dump")"
    fi
else
    report fail "h5dump -d /pairs/exit_week reads data" "$(head -c 300 "$tmp/err")"
fi

# A single run is a file of one run: the layout a sweep writes (docs/FORMAT.md).
if h5dump -H -A "$tmp/a.h5" >"$tmp/attrs" 2>"$tmp/err"; then
    missing=
    for a in sweep_id runs_total part; do
        grep -q "ATTRIBUTE \"$a\"" "$tmp/attrs" || missing="$missing $a"
    done
    # Root attributes are listed first (indented 3 spaces); replicate is now a column of /runs.
    grep -q '^   ATTRIBUTE "replicate"' "$tmp/attrs" && missing="$missing (a root attribute replicate)"
    id=$(h5dump -a /sweep_id "$tmp/a.h5" 2>/dev/null | grep -o '"[0-9a-f]*"' | tail -1)
    total=$(h5dump -a /runs_total "$tmp/a.h5" 2>/dev/null | sed -n 's/^ *(0): *//p')
    [ "$id" = '"0000000000000000"' ] || missing="$missing sweep_id=$id"
    [ "$total" = 1 ] || missing="$missing runs_total=$total"
    judge "h5dump: root attributes sweep_id 0000000000000000, runs_total 1, part; no root replicate" "${missing:+wrong:$missing}"
else
    report fail "h5dump -H -A succeeds" "$(head -c 300 "$tmp/err")"
fi

# dataspace DATASET: the "( dims ) / ( max )" of a dataset, from h5dump -H.
dataspace() { h5dump -H -d "$1" "$tmp/a.h5" 2>/dev/null | sed -n 's/^ *DATASPACE *SIMPLE *{ \(.*\) }$/\1/p' | head -1; }
bad=
for want in "/runs/first_pair|( 1 ) / ( H5S_UNLIMITED )" "/summary/dropout|( 1, 5 ) / ( H5S_UNLIMITED, 5 )" \
    "/pairs/exit_week|( 3000 ) / ( H5S_UNLIMITED )" "/providers/skill|( 150 ) / ( H5S_UNLIMITED )" \
    "/trajectories/A|( 3000, 27 ) / ( H5S_UNLIMITED, 27 )"; do
    got=$(dataspace "${want%%|*}")
    [ "$got" = "${want#*|}" ] || bad="$bad ${want%%|*}: '$got', expected '${want#*|}';"
done
pairs=$(h5dump -d /runs/pairs "$tmp/a.h5" 2>/dev/null | sed -n 's/^ *(0): *//p' | head -1)
[ "$pairs" = 3000 ] || bad="$bad /runs/pairs = '$pairs';"
judge "h5dump: every table extendible (H5S_UNLIMITED rows), /runs/pairs = 3000 rows of /pairs" "$bad"

# ---- no clobber; --force ----
cp "$tmp/a.h5" "$tmp/a.copy"
"$bin" run "$tmp/s.yaml" -o "$tmp/a.h5" --seed 6 >"$tmp/out" 2>"$tmp/err"
rc=$?
if [ $rc -eq 2 ] && cmp -s "$tmp/a.h5" "$tmp/a.copy" && one_line "$tmp/err" &&
    grep -q -- '--force' "$tmp/err" && [ -z "$(partials a)" ] && [ ! -s "$tmp/out" ]; then
    report ok "an existing path without --force: exit 2, one line naming --force, old file unchanged"
else
    report fail "an existing path without --force: exit 2, old file unchanged" "exit $rc; stderr: $(head -c 300 "$tmp/err")"
fi

"$bin" run "$tmp/s.yaml" -o "$tmp/a.h5" --seed 6 --force --json >"$tmp/b.json" 2>"$tmp/err"
rc=$?
"$bin" summary "$tmp/a.h5" --json >"$tmp/b.summary" 2>>"$tmp/err"
if [ $rc -eq 0 ] && ! cmp -s "$tmp/a.h5" "$tmp/a.copy" && cmp -s "$tmp/b.json" "$tmp/b.summary" &&
    ! cmp -s "$tmp/a.json" "$tmp/b.json" && [ -z "$(partials a)" ]; then
    report ok "--force replaces an existing file with the new run's"
else
    report fail "--force replaces an existing file" "exit $rc; stderr: $(head -c 300 "$tmp/err")"
fi

echo "not an HDF5 file" >"$tmp/text.h5"
"$bin" run "$tmp/s.yaml" -o "$tmp/text.h5" --force --json >"$tmp/c.json" 2>"$tmp/err"
rc=$?
"$bin" summary "$tmp/text.h5" --json >"$tmp/c.summary" 2>>"$tmp/err"
if [ $rc -eq 0 ] && cmp -s "$tmp/c.json" "$tmp/c.summary" && cmp -s "$tmp/c.json" "$tmp/a.json"; then
    report ok "--force replaces a file that is not HDF5"
else
    report fail "--force replaces a file that is not HDF5" "exit $rc; stderr: $(head -c 300 "$tmp/err")"
fi

# A sweep is refused the same way, before it runs: no parts folder appears.
cp "$tmp/a.h5" "$tmp/a.copy"
"$bin" run "$tmp/s.yaml" -o "$tmp/a.h5" --set replicates=2 >"$tmp/out" 2>"$tmp/err"
rc=$?
if [ $rc -eq 2 ] && cmp -s "$tmp/a.h5" "$tmp/a.copy" && one_line "$tmp/err" &&
    grep -q -- '--force' "$tmp/err" && [ ! -e "$tmp/a.h5.parts" ] && [ ! -s "$tmp/out" ]; then
    report ok "a sweep to an existing path without --force: exit 2, one line, old file unchanged, no parts folder"
else
    report fail "a sweep to an existing path without --force: exit 2" "exit $rc; $(ls "$tmp"); stderr: $(head -c 300 "$tmp/err")"
fi

# ---- nothing is written for an invalid scenario ----
printf 'seed: 5\npatients: {count: 3000}\ndropout: {bse: 1}\n' >"$tmp/bad.yaml"
"$bin" run "$tmp/bad.yaml" -o "$tmp/bad.h5" >"$tmp/out" 2>"$tmp/err"
rc=$?
if [ $rc -eq 2 ] && [ ! -e "$tmp/bad.h5" ] && [ -z "$(partials bad)" ]; then
    report ok "an invalid scenario with -o: exit 2, no file"
else
    report fail "an invalid scenario with -o: exit 2, no file" "exit $rc; $(ls "$tmp")"
fi

"$bin" run "$tmp/s.yaml" -o "$tmp/bad.h5" --set output.every=0 >"$tmp/out" 2>"$tmp/err"
rc=$?
if [ $rc -eq 2 ] && [ ! -e "$tmp/bad.h5" ] && [ -z "$(partials bad)" ]; then
    report ok "an invalid --set with -o: exit 2, no file"
else
    report fail "an invalid --set with -o: exit 2, no file" "exit $rc; $(ls "$tmp")"
fi

# ---- directories ----
"$bin" run "$tmp/s.yaml" -o "$tmp/no/such/dir/x.h5" >"$tmp/out" 2>"$tmp/err"
rc=$?
if [ $rc -eq 3 ] && one_line "$tmp/err" && [ ! -e "$tmp/no" ]; then
    report ok "an output directory that does not exist: exit 3, one-line error"
else
    report fail "an output directory that does not exist: exit 3, one-line error" "exit $rc; stderr: $(head -c 300 "$tmp/err")"
fi

"$bin" run "$tmp/s.yaml" -o "$tmp/no/such/dir/x.h5" --set replicates=2 >"$tmp/out" 2>"$tmp/err"
rc=$?
if [ $rc -eq 3 ] && one_line "$tmp/err" && [ ! -e "$tmp/no" ]; then
    report ok "a sweep into a directory that does not exist: exit 3, one-line error, nothing created"
else
    report fail "a sweep into a directory that does not exist: exit 3" "exit $rc; stderr: $(head -c 300 "$tmp/err")"
fi

if [ "$(id -u)" -eq 0 ]; then
    report skip "a read-only output directory" "running as root, whom permissions do not stop"
else
    mkdir "$tmp/ro"
    chmod 555 "$tmp/ro"
    "$bin" run "$tmp/s.yaml" -o "$tmp/ro/x.h5" >"$tmp/out" 2>"$tmp/err"
    rc=$?
    if [ $rc -eq 3 ] && one_line "$tmp/err" && [ -z "$(ls -A "$tmp/ro")" ]; then
        report ok "a read-only output directory: exit 3, one-line error, nothing written"
    else
        report fail "a read-only output directory: exit 3, one-line error" "exit $rc; stderr: $(head -c 300 "$tmp/err")"
    fi
    chmod 755 "$tmp/ro"
fi

# ---- rapport summary on files that are not rapport's ----
expect_exit "rapport summary on a missing file" 3 "" "$bin" summary "$tmp/missing.h5"
expect_exit "rapport summary on a file that is not HDF5" 2 "" "$bin" summary "$tmp/s.yaml"

# ---- interrupted runs ----
# start NAME ARGS...: a run writing $tmp/NAME.h5 in the background; sets pid.
start() {
    local name=$1
    shift
    "$bin" run "$tmp/s.yaml" -o "$tmp/$name.h5" --threads 2 "$@" >/dev/null 2>"$tmp/$name.err" &
    pid=$!
}

# shellcheck disable=SC2317 # called by wait_until
# grown FILE: FILE exists and is larger than when first seen by grown (size0).
grown() {
    local size
    [ -e "$1" ] || return 1
    size=$(stat -c %s "$1" 2>/dev/null || echo 0)
    [ -n "$size0" ] || { size0=$size; return 1; }
    [ "$size" -gt "$size0" ]
}

# writing NAME: wait (up to 60 s) until the run's .partial-PID file exists and
# grows, i.e. trajectories are being written. Fails if the run ended first.
writing() {
    size0=
    wait_until 60 "$pid" grown "$tmp/$1.h5.partial-$pid"
}

# finish_run: wait (up to 60 s) for the background run; sets rc (or kills it: rc 999).
finish_run() {
    wait_job "$pid" 60
    rc=$job_rc
    pid=
}

# In a function whose stderr is dropped: bash reports the killed job there.
kill_while_writing() {
    start killed "${big[@]}"
    if writing killed; then
        kill -KILL "$pid"
        finish_run
        left=$(partials killed)
        if [ ! -e "$tmp/killed.h5" ] && [ $rc -eq 137 ]; then
            report ok "SIGKILL while writing: nothing at the final path (left behind: ${left:-nothing})"
        else
            report fail "SIGKILL while writing: nothing at the final path" "exit $rc; $(ls "$tmp")"
        fi
        rm -f "$tmp"/killed.h5.partial-*
    else
        finish_run
        report fail "SIGKILL while writing" "the run ended (exit $rc) before it was seen writing; $(head -c 300 "$tmp/killed.err")"
    fi
}
kill_while_writing 2>/dev/null

for sig in INT TERM; do
    start "sig$sig" "${big[@]}"
    if writing "sig$sig"; then
        kill "-$sig" "$pid"
        finish_run
        if [ $rc -eq 130 ] && [ ! -e "$tmp/sig$sig.h5" ] && [ -z "$(partials "sig$sig")" ]; then
            report ok "SIG$sig while writing: exit 130, neither the final file nor the .partial file"
        else
            report fail "SIG$sig while writing: exit 130, no file" "exit $rc; files: $(ls "$tmp"); stderr: $(head -c 300 "$tmp/sig$sig.err")"
        fi
    else
        finish_run
        report fail "SIG$sig while writing" "the run ended (exit $rc) before it was seen writing"
    fi
done

# A file that appears at the final path while the run writes is never
# clobbered: the run is refused at the end (exit 2) and removes its own file.
start race --set patients.count=200000 --set providers.count=10000
if writing race; then
    echo "someone else's file" >"$tmp/race.h5"
    finish_run
    if [ $rc -eq 2 ] && [ "$(cat "$tmp/race.h5")" = "someone else's file" ] && [ -z "$(partials race)" ] &&
        grep -q -- '--force' "$tmp/race.err"; then
        report ok "a file appearing at the final path during the run is kept (exit 2, .partial removed)"
    else
        report fail "a file appearing at the final path during the run is kept" "exit $rc; files: $(ls "$tmp"); stderr: $(head -c 300 "$tmp/race.err")"
    fi
else
    finish_run
    report fail "a file appearing at the final path during the run" "the run ended (exit $rc) before it was seen writing"
fi

# The size of the output, estimated before anything runs: over --max-output
# (default 2 GB) run refuses with the estimate and what would shrink it,
# writing nothing; the estimate is within 20% of the file then written,
# uncompressed, deflated, summary-only and sampled; show prints the same
# estimate; a bad size is a usage error.
est_sweep=(run "$src/scenarios/sweep-discussion.yaml" --set patients.count=3000 --set providers.count=150 --threads 2)
for variant in none deflate summary-only sample; do
    case $variant in
    none) opts=() ;;
    deflate) opts=(--set output.compression=deflate) ;;
    summary-only) opts=(--summary-only) ;;
    sample) opts=(--set output.sample=0.25 --set output.variables=A,T) ;;
    esac
    "$bin" "${est_sweep[@]}" "${opts[@]}" -o "$tmp/est.h5" --max-output 1K >/dev/null 2>"$tmp/est.err"
    rc=$?
    est=$(grep -o 'would be about [0-9.e+]* [kMGT]*B' "$tmp/est.err" | awk '{x=$4; u=$5; m=(u=="kB"?1e3:u=="MB"?1e6:u=="GB"?1e9:1); printf "%.0f", x*m}')
    if [ $rc -eq 2 ] && one_line "$tmp/est.err" && [ -n "$est" ] && [ ! -e "$tmp/est.h5" ] && [ ! -e "$tmp/est.h5.parts" ]; then
        "$bin" "${est_sweep[@]}" "${opts[@]}" -o "$tmp/est.h5" >/dev/null 2>&1
        real=$(stat -c %s "$tmp/est.h5" 2>/dev/null || echo 0)
        judge "output estimate ($variant): refused over --max-output (exit 2, one line, nothing written); estimate $est within 20% of the file's $real bytes" \
            "$(awk -v e="$est" -v r="$real" 'BEGIN { if (r == 0 || e < 0.8 * r || e > 1.2 * r) print "off" }')"
        rm -f "$tmp/est.h5"
    else
        report fail "output estimate ($variant): refused over --max-output" "exit $rc; $(head -c 300 "$tmp/est.err")"
    fi
done
"$bin" show "$src/scenarios/baseline.yaml" >"$tmp/show.txt" 2>&1
"$bin" run "$src/scenarios/baseline.yaml" -o "$tmp/est.h5" --max-output 1K 2>"$tmp/est.err" >/dev/null
shown=$(grep -o '^# output of run -o: about [0-9.]* [kMGT]*B' "$tmp/show.txt" | sed 's/.*about //')
judge "show prints the output's estimate, the one run refuses with ($shown)" \
    "$([ -n "$shown" ] && grep -q "would be about $shown (1 run)" "$tmp/est.err" || head -c 300 "$tmp/est.err")"
expect_exit "--max-output 1.5G" 2 "--max-output takes a size" "$bin" run "$src/scenarios/baseline.yaml" -o "$tmp/x.h5" --max-output 1.5G

finish
