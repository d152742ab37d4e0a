#!/usr/bin/env bash
# golden.sh RAPPORT_BIN OUT_DIR - every output and message of a rapport binary, one file each.
#
# Runs, from a copy of the sources' inputs (so that paths in outputs do not
# depend on where the tree is): every scenario of scenarios/ and of
# tests/golden/ through show, run (text, --json, -o FILE.h5) and summary of
# that file (text, --json); the sweeps also as two shards merged, and
# --summary-only; a tiny calibration (table, JSON, calibrated scenario);
# validate of every tests/invalid/ case and calibrate of every
# tests/invalid_calibration/ case; and every scenario of scenarios/ under
# --set model=1 (run --json and -o), which the default model must not change. Each case becomes OUT_DIR/NAME: its exit
# status, stdout and stderr; each HDF5 file OUT_DIR/NAME.h5digest
# (tests/h5_digest.py without the provenance attributes). Timings are masked,
# and so are the build's version and git revision in the JSON's provenance,
# and the copy's own directory in an absolute path (show writes a data
# file's path absolute): /WORK/scenarios/data/... wherever the copy is.
#
# Two binaries are the same, output for output, when `diff -r A B` is empty:
#     scripts/golden.sh /tmp/before/rapport /tmp/g1
#     scripts/golden.sh build/rapport /tmp/g2 && diff -r /tmp/g1 /tmp/g2
# tests/golden_outputs.sh checks the SHA-256 of every file against
# tests/golden/SHA256SUMS; to accept a deliberate change of outputs,
#     scripts/golden.sh build/rapport /tmp/g && (cd /tmp/g && sha256sum -- *) > tests/golden/SHA256SUMS
# and say in the commit which outputs changed and why.
set -u
[ $# -eq 2 ] || { echo "usage: golden.sh RAPPORT_BIN OUT_DIR" >&2; exit 2; }
bin=$(realpath "$1") || exit 2
out=$(realpath -m "$2")
src=$(cd "$(dirname "$0")/.." && pwd)
python=/usr/bin/python3
# Provenance: when, where and with what the file was made, not what it holds.
provenance=command_line,start_time,end_time,git_revision,host,threads,compiler,compiler_flags,gsl_version,hdf5_version,rapport_version

rm -rf "$out" && mkdir -p "$out" || exit 2
work=$(mktemp -d "${TMPDIR:-/tmp}/rapport-golden.XXXXXX") && work=$(cd "$work" && pwd -P) || exit 2
work_re=$(printf '%s' "$work" | sed 's/[][\.*^$|/+?(){}]/\\&/g') # as rapport writes it (real), for sed -E
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/scenarios" "$work/golden"
cp "$src"/scenarios/*.yaml "$work/scenarios/"
cp -r "$src/scenarios/data" "$work/scenarios/" # the data files of clinic.yaml
cp "$src"/tests/golden/*.yaml "$work/golden/"
mkdir -p "$work/tests" # where the cases' relative paths (../../scenarios) lead
cp -r "$src/tests/invalid" "$src/tests/invalid_calibration" "$work/tests/"
cd "$work" || exit 2
export OMP_NUM_THREADS=2

# case NAME CMD...: its exit status, stdout and stderr into OUT/NAME.
case_() {
    local name=$1
    shift
    "$@" >"$work/stdout" 2>"$work/stderr"
    local rc=$?
    {
        echo "== rapport ${*:2} (exit $rc)"
        echo "== stdout"
        sed -E 's/[0-9.]+ s; objective/T s; objective/; s/"seconds": [0-9.e+-]+/"seconds": T/;
                s/"(git_revision|rapport_version)": "[^"]*"/"\1": "V"/g; s|'"$work_re"'/|/WORK/|g' "$work/stdout"
        echo "== stderr"
        sed -E 's|'"$work_re"'/|/WORK/|g' "$work/stderr"
    } >"$out/$name"
}

# digest NAME FILE.h5: what the file holds, into OUT/NAME.h5digest.
digest() {
    if [ -f "$2" ]; then
        "$python" "$src/tests/h5_digest.py" "$2" --ignore-attrs "$provenance" >"$out/$1.h5digest" 2>&1
    else
        echo "no file $2" >"$out/$1.h5digest"
    fi
}

for file in scenarios/*.yaml golden/*.yaml; do
    name=$(basename "$file" .yaml)
    if grep -q '^scenario:' "$file"; then continue; fi # a calibration file
    case_ "$name.show" "$bin" show "$file"
    case_ "$name.text" "$bin" run "$file" --threads 2
    case_ "$name.json" "$bin" run "$file" --threads 2 --json
    case_ "$name.run-o" "$bin" run "$file" --threads 2 -o "$name.h5"
    digest "$name" "$name.h5"
    case_ "$name.summary" "$bin" summary "$name.h5"
    case_ "$name.summary-json" "$bin" summary "$name.h5" --json
    if grep -q '^sweep:' "$file"; then
        case_ "$name.shard1" "$bin" run "$file" --threads 1 --shard 0/2 -o "$name-1.h5"
        case_ "$name.shard2" "$bin" run "$file" --threads 2 --shard 1/2 -o "$name-2.h5"
        case_ "$name.merge" "$bin" merge "$name-1.h5" "$name-2.h5" -o "$name-merged.h5"
        digest "$name.merged" "$name-merged.h5"
        case_ "$name.summary-only" "$bin" run "$file" --threads 2 --summary-only -o "$name-s.h5"
        digest "$name.summary-only" "$name-s.h5"
    fi
    rm -f ./*.h5
done

# Model version 1 as the previous releases ran it: every scenario under
# --set model=1 keeps these outputs whatever the default model (issue 13).
for file in scenarios/*.yaml; do
    name=$(basename "$file" .yaml).v1
    if grep -q '^scenario:' "$file"; then continue; fi
    case_ "$name.json" "$bin" run "$file" --threads 2 --json --set model=1
    case_ "$name.run-o" "$bin" run "$file" --threads 2 -o "$name.h5" --set model=1
    digest "$name" "$name.h5"
    rm -f ./*.h5
done

mkdir -p cal
cat >cal/tiny-calibration.yaml <<EOT
scenario: ../scenarios/baseline.yaml
replicates: 2
patients: 1000
free:
  dropout.base: {min: -10, max: -5, start: -8}
targets:
  dropout: {value: 0.197, band: [0.187, 0.207]}
  early_dropout: {value: 0.775, band: [0.70, 0.85], weight: 0}
budget: {evaluations: 12, tolerance: 1e-3}
EOT
case_ calibrate.text "$bin" calibrate cal/tiny-calibration.yaml --threads 2
case_ calibrate.json "$bin" calibrate cal/tiny-calibration.yaml --threads 2 --json -o cal/calibrated.yaml
cp cal/calibrated.yaml "$out/calibrate.scenario" 2>/dev/null || echo "no calibrated scenario" >"$out/calibrate.scenario"

for file in tests/invalid/*.yaml; do
    args=()
    while IFS= read -r line; do
        args+=(--set "${line#\# set: }")
    done < <(head -n 20 "$file" | tr -d '\000' | grep -a '^# set: ')
    case_ "invalid.$(basename "$file" .yaml)" "$bin" validate "$file" "${args[@]}"
done
for file in tests/invalid_calibration/*.yaml; do
    case_ "invalid_calibration.$(basename "$file" .yaml)" "$bin" calibrate "$file"
done
