#!/bin/bash
# Cross-check of the C simulator against the independent Python reference of MODEL.md,
# versions 1 and 2 (tests/reference/model_reference.py), within Monte Carlo error.
#
#   crosscheck_reference.sh RAPPORT_BIN SRC_DIR
#
# For each model version (1, 2) and policies never, intake and responsive, on the
# reference scenario with N = 20,000 patients and M = 1,000 providers: R = 12 replicates
# of each implementation (C with --seed 1..R, Python with its own seeds), both given the
# same resolved scenario (the Python reads every parameter, defaults and population
# included, from `rapport show`, and stops naming any key it does not implement), then
# for every observable z = (mean_c - mean_py) / sqrt(sd_c^2/R + sd_py^2/R), FAIL when
# |z| > 4.5 (version 2 adds therapist_dropout, repair_outcome_r, and distance_mean and
# concordance overall and by group).
# First the reference's own exact self-test, on the resolved scenario of version 1.
# While rapport has no `model` key, version 1 is the scenario as it is and version 2 is
# SKIPPED (one SKIP line, not a PASS); once `rapport show --set model=2` works, version 2
# is checked with no change here.
# Exit 0 all passed, 1 any failure, 77 skipped (no numpy or PyYAML in /usr/bin/python3).
# Environment: CROSSCHECK_REPLICATES (default 12), CROSSCHECK_JOBS (parallel C runs, default 2).
set -u
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
REF=$src/tests/reference
R=${CROSSCHECK_REPLICATES:-12}
JOBS=${CROSSCHECK_JOBS:-2}
PY_SEED=900001          # the reference's own seeds: PY_SEED .. PY_SEED+R-1

need_py numpy "Debian: python3-numpy"
need_py yaml "Debian: python3-yaml"
if ! [ -x "$bin" ]; then
    report fail "rapport binary '$bin' not found"
    finish
fi

make_tmp

scenario=$tmp/scenario.yaml
cat > "$scenario" <<'EOF'
seed: 1
patients: {count: 20000}
providers: {count: 1000}
EOF

# Does rapport know the `model` key (MODEL-v2.md)? Then every run names its version.
if "$bin" show "$scenario" --set model=1 > "$tmp/model1.yaml" 2> "$tmp/model1.err"; then
    has_model=1
else
    has_model=0
fi

# model_args MODEL: the --set of MODEL's runs (none for version 1 before rapport has `model`).
model_args() {
    if [ "$has_model" = 1 ]; then echo "--set model=$1"; fi
}

# show_policy MODEL POLICY FILE: the resolved scenario under POLICY, as the reference reads it.
show_policy() {
    # shellcheck disable=SC2046 # model_args is zero or two words
    "$bin" show "$scenario" $(model_args "$1") --set "discussion.policy=$2" > "$3" 2> "$3.err" ||
        { report fail "rapport show $(model_args "$1") --set discussion.policy=$2" "$(head -c 400 "$3.err")"; finish; }
}

show_policy 1 never "$tmp/self-test.yaml"
"$py" "$REF/model_reference.py" --scenario "$tmp/self-test.yaml" --self-test > "$tmp/self-test.out" 2>&1
st=$?
relay_checks "$tmp/self-test.out" $st "model_reference.py --self-test"
[ "$st" -eq 0 ] || finish    # e.g. a key the reference does not implement: no comparison

cmp_args=()
for model in 1 2; do
    if [ "$model" = 2 ] &&
        ! "$bin" show "$scenario" --set model=2 > "$tmp/model2.yaml" 2> "$tmp/model2.err"; then
        report skip "model 2" "rapport show --set model=2 refused (no version 2 in rapport yet): $(head -c 200 "$tmp/model2.err")"
        continue
    fi
    for policy in never intake responsive; do
        label=$policy                     # version 1: the labels of before
        [ "$model" = 1 ] || label=v$model-$policy
        dir=$tmp/$label
        mkdir -p "$dir/c"
        show_policy "$model" "$policy" "$dir/show.yaml"
        # reference, in the background (one process, R replicates)
        "$py" "$REF/model_reference.py" --scenario "$dir/show.yaml" \
            --seed "$PY_SEED" --replicates "$R" --json > "$dir/py.json" 2> "$dir/py.err" &
        pypid=$!
        # C replicates, JOBS at a time
        pids=()
        for s in $(seq 1 "$R"); do
            out=$(printf '%s/c/%03d' "$dir" "$s")
            # shellcheck disable=SC2046 # model_args is zero or two words
            ( OMP_NUM_THREADS=1 "$bin" run "$scenario" --json --seed "$s" $(model_args "$model") \
                  --set "discussion.policy=$policy" > "$out.out" 2> "$out.err"
              echo $? > "$out.rc" ) &
            pids+=($!)
            if [ "${#pids[@]}" -ge "$JOBS" ]; then
                wait "${pids[0]}"
                pids=("${pids[@]:1}")
            fi
        done
        for p in "${pids[@]}"; do wait "$p"; done
        for s in $(seq 1 "$R"); do
            out=$(printf '%s/c/%03d' "$dir" "$s")
            if [ "$(cat "$out.rc")" != 0 ]; then
                report fail "$label" "C run seed $s exited $(cat "$out.rc"): $(head -c 400 "$out.err")"
            else
                mv "$out.out" "$out.json"
            fi
        done
        if ! wait "$pypid"; then
            report fail "$label" "reference failed: $(head -c 400 "$dir/py.err")"
        fi
        cmp_args+=("$label" "$dir/c" "$dir/py.json")
    done
done

"$py" "$REF/compare.py" --zmax 4.5 "${cmp_args[@]}" >"$tmp/compare.out" 2>&1
relay_checks "$tmp/compare.out" $? "compare.py"
finish
