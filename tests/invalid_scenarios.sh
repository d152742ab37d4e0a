#!/usr/bin/env bash
# invalid_scenarios.sh RAPPORT_BIN SRC_DIR - every scenario error is refused,
# located and explained in one line; valid scenarios pass.
#
# Each tests/invalid/NN-name.yaml starts with "# expect: TEXT" (or has a sidecar
# NN-name.expect when the file itself cannot hold a comment), then optional
# "# set: KEY=VALUE" lines passed as --set. `rapport validate FILE [--set ...]`
# must exit 2, print nothing on stdout and exactly one line on stderr that
# contains FILE:TEXT (TEXT = "LINE:COL: error: ...") or, when TEXT starts with
# "--set:", TEXT itself, or, when TEXT starts with a path (an error in a file
# the case extends, e.g. extends-helpers/base.yaml:3:9: ...), that path
# relative to the case's directory. Files that cases extend are in
# tests/invalid/extends-helpers/ (not cases themselves). A few cases are
# generated here (missing file, a directory, a file over 16 MiB, one with too
# many values). Then valid variants must pass: the scenarios in scenarios/, a
# small custom population, and what `show` prints
# for each of them, which must itself be valid and show the same again; and
# each example scenario shows as baseline.yaml with its one change as --set.
set -u
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
make_tmp

# expect_error NAME WANTED FILE [ARGS...]: validate must exit 2 with one line
# on stderr containing WANTED and nothing on stdout.
expect_error() {
    local name=$1 wanted=$2 file=$3
    shift 3
    expect_exit -q "$name" 2 "$wanted" "$bin" validate "$file" "$@"
}

# expect_valid NAME FILE [ARGS...]: validate succeeds silently.
expect_valid() {
    local name=$1 file=$2
    shift 2
    "$bin" validate "$file" "$@" >"$tmp/out" 2>"$tmp/err"
    local rc=$?
    if [ $rc -ne 0 ] || [ -s "$tmp/out" ] || [ -s "$tmp/err" ]; then
        report fail "$name" "exit $rc; stdout: $(head -c 200 "$tmp/out"); stderr: $(head -c 400 "$tmp/err")"
    else
        report ok "$name"
    fi
}

# expect_show_fixpoint NAME FILE: show's output is valid and shows the same
# again (after the first line, a comment naming the file), saved in another
# directory than the scenario's (show writes a data file's path absolute).
expect_show_fixpoint() {
    local name=$1 file=$2
    if ! "$bin" show "$file" >"$tmp/show1.yaml" 2>"$tmp/err"; then
        report fail "$name" "show failed: $(head -c 400 "$tmp/err")"
        return
    fi
    expect_valid "$name (show output valid)" "$tmp/show1.yaml"
    if "$bin" show "$tmp/show1.yaml" >"$tmp/show2.yaml" 2>"$tmp/err" &&
        cmp -s <(tail -n +2 "$tmp/show1.yaml") <(tail -n +2 "$tmp/show2.yaml"); then
        report ok "$name (show of show is the same)"
    else
        report fail "$name (show of show is the same)" "$(diff <(tail -n +2 "$tmp/show1.yaml") <(tail -n +2 "$tmp/show2.yaml") | head -5)"
    fi
}

[ -x "$bin" ] || skip_test "no rapport binary at $bin"

for file in "$src"/tests/invalid/*.yaml; do
    name=$(basename "$file" .yaml)
    sidecar=${file%.yaml}.expect
    if [ -f "$sidecar" ]; then
        expect=$(head -n 1 "$sidecar")
    else
        expect=$(head -n 1 "$file" | tr -d '\000' | sed -n 's/^# expect: //p')
    fi
    if [ -z "$expect" ]; then
        report fail "$name" "no '# expect: ' header or .expect sidecar"
        continue
    fi
    args=()
    while IFS= read -r line; do
        args+=(--set "${line#\# set: }")
    done < <(head -n 20 "$file" | tr -d '\000' | grep -a '^# set: ')
    case $expect in
        --set:*) wanted=$expect ;;
        [0-9]*) wanted="$file:$expect" ;;
        *) wanted="$(dirname "$file")/$expect" ;; # in a file the case extends
    esac
    expect_error "$name" "$wanted" "$file" "${args[@]}"
done

# Errors about the file itself, not its text: no line or column to give.
expect_error "generated-missing-file" "$tmp/missing.yaml: error: cannot open: No such file or directory" "$tmp/missing.yaml"
mkdir "$tmp/dir.yaml"
expect_error "generated-directory" "$tmp/dir.yaml: error: cannot read: Is a directory" "$tmp/dir.yaml"
{ printf 'seed: 1\npatients: {count: 100}\n'; head -c $((16 * 1024 * 1024)) /dev/zero | tr '\0' '#'; } >"$tmp/huge.yaml"
expect_error "generated-over-16MiB" "$tmp/huge.yaml: error: file is larger than 16777216 bytes (16 MiB)" "$tmp/huge.yaml"
rm -f "$tmp/huge.yaml"
{ printf 'seed: 1\npatients: {count: 100}\nx: ['; head -c 300000 /dev/zero | tr '\0' '0' | sed 's/0/0,/g'; printf '0]\n'; } >"$tmp/dense.yaml"
expect_error "generated-too-many-values" "$tmp/dense.yaml:3:" "$tmp/dense.yaml"
grep -q "more than 200000 keys and values" "$tmp/err" && report ok "generated-too-many-values (message)" ||
    report fail "generated-too-many-values (message)" "$(head -c 300 "$tmp/err")"

# Valid variants.
cat >"$tmp/minimal.yaml" <<'EOF'
seed: 20221
patients:
  count: 100000
EOF
cat >"$tmp/custom.yaml" <<'EOF'
seed: 7  # a small custom population, every syntax of the reference
horizon: 30
discussion: {policy: delayed, week: 3}
culture:
  dimensions:
    - {name: race, kind: categorical, weight: 1, levels: [white, black]}
    - name: class
      kind: continuous
      weight: 0.5
patients:
  count: 1000
  groups:
    g1:
      share: 1/3
      race: {white: 0.25, black: 3/4}
      class: beta(2, 5)
      mistrust: beta(2,6)
      barrier: 0.2
      stressor_rate: gamma(2, 0.05)
      symptoms: normal(15, 4)
    g2:
      share: 2/3
      race: black
      class: 0.4
      mistrust: 0.5
      barrier: beta(3, 4)
      stressor_rate: 0
      symptoms: 14
providers:
  caseload: 25
  groups:
    p1: {share: 1, race: white, class: 0.5, humility: "beta(3, 3)"}
assignment: {policy: same_group, match_on: race}
EOF
valid=("$tmp/minimal.yaml" "$tmp/custom.yaml")
for file in "$src"/scenarios/*.yaml; do
    # calibration files (a top-level `scenario:` key) are tested by calibrate_cli
    [ -f "$file" ] && ! grep -q '^scenario:' "$file" && valid+=("$file")
done
for file in "${valid[@]}"; do
    name="valid-$(basename "$file" .yaml)"
    expect_valid "$name" "$file"
    expect_show_fixpoint "$name" "$file"
done
# Each example scenario is the calibrated baseline with only the change its
# comment names: its show equals the baseline's with that change as --set
# (after the first line, which names the file and what it extends).
expect_baseline_plus() {
    local name=$1
    shift
    local file=$src/scenarios/$name.yaml
    if ! "$bin" show "$file" >"$tmp/ex.yaml" 2>"$tmp/err" ||
        ! "$bin" show "$src/scenarios/baseline.yaml" "$@" >"$tmp/base.yaml" 2>>"$tmp/err"; then
        report fail "$name is the baseline plus its change" "show failed: $(head -c 400 "$tmp/err")"
    elif cmp -s <(tail -n +2 "$tmp/ex.yaml") <(tail -n +2 "$tmp/base.yaml") &&
        head -n 1 "$tmp/ex.yaml" | grep -q ", extending .*baseline.yaml, "; then
        report ok "$name is baseline.yaml plus ${*:-nothing}"
    else
        report fail "$name is the baseline plus its change" "$(diff <(tail -n +2 "$tmp/ex.yaml") <(tail -n +2 "$tmp/base.yaml") | head -6)"
    fi
}
expect_baseline_plus discussion-never
expect_baseline_plus discussion-intake --set discussion.policy=intake
expect_baseline_plus discussion-delayed --set discussion.policy=delayed --set discussion.week=4
expect_baseline_plus discussion-responsive --set discussion.policy=responsive
expect_baseline_plus assignment-random
expect_baseline_plus assignment-same-group --set assignment.policy=same_group --set assignment.match_on=ethnoracial
expect_baseline_plus assignment-min-distance --set assignment.policy=min_distance
expect_baseline_plus cohort-27 --set replicates=2000 --set patients.count=27 --set providers.count=2
expect_baseline_plus sweep-discussion --set patients.count=4000 --set providers.count=200 --set replicates=5 \
    --set 'sweep={streams: common, grid: {discussion.policy: [never, intake, delayed, responsive]}}'

expect_valid "valid-minimal with --set" "$tmp/minimal.yaml" --set discussion.policy=intake \
    --set 'patients.groups.latinx.mistrust=beta(3, 5)' --set culture.dimensions.class.weight=0.9 \
    --set 'patients.groups.asian.language={english: 0.3, other: 0.7}' --set seed=3
printf 'patients: {count: 10}\n' >"$tmp/noseed.yaml"
expect_valid "valid-seed from --set" "$tmp/noseed.yaml" --set seed=1

finish
