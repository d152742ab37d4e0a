#!/bin/bash
# Cross-check of the C simulator against the independent Python reference of MODEL.md
# (tests/reference/model_reference.py), within Monte Carlo error.
#
#   crosscheck_reference.sh RAPPORT_BIN SRC_DIR
#
# For policies never, intake and responsive, on the reference scenario with N = 20,000
# patients and M = 1,000 providers: R = 12 replicates of each implementation (C with
# --seed 1..R, Python with its own seeds), both given the same resolved scenario (the
# Python reads every parameter, defaults and population included, from `rapport show`,
# and stops naming any key it does not implement), then for every observable
# z = (mean_c - mean_py) / sqrt(sd_c^2/R + sd_py^2/R), FAIL when |z| > 4.5.
# First the reference's own exact self-test, on the same resolved scenario.
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

# show_policy POLICY FILE: the resolved scenario under POLICY, as the reference reads it.
show_policy() {
    "$bin" show "$scenario" --set "discussion.policy=$1" > "$2" 2> "$2.err" ||
        { report fail "rapport show --set discussion.policy=$1" "$(head -c 400 "$2.err")"; finish; }
}

show_policy never "$tmp/self-test.yaml"
"$py" "$REF/model_reference.py" --scenario "$tmp/self-test.yaml" --self-test > "$tmp/self-test.out" 2>&1
st=$?
relay_checks "$tmp/self-test.out" $st "model_reference.py --self-test"
[ "$st" -eq 0 ] || finish    # e.g. a key the reference does not implement: no comparison

cmp_args=()
for policy in never intake responsive; do
    mkdir -p "$tmp/$policy/c"
    show_policy "$policy" "$tmp/$policy/show.yaml"
    # reference, in the background (one process, R replicates)
    "$py" "$REF/model_reference.py" --scenario "$tmp/$policy/show.yaml" \
        --seed "$PY_SEED" --replicates "$R" --json > "$tmp/$policy/py.json" 2> "$tmp/$policy/py.err" &
    pypid=$!
    # C replicates, JOBS at a time
    pids=()
    for s in $(seq 1 "$R"); do
        out=$(printf '%s/%s/c/%03d' "$tmp" "$policy" "$s")
        ( OMP_NUM_THREADS=1 "$bin" run "$scenario" --json --seed "$s" --set "discussion.policy=$policy" \
              > "$out.out" 2> "$out.err"
          echo $? > "$out.rc" ) &
        pids+=($!)
        if [ "${#pids[@]}" -ge "$JOBS" ]; then
            wait "${pids[0]}"
            pids=("${pids[@]:1}")
        fi
    done
    for p in "${pids[@]}"; do wait "$p"; done
    for s in $(seq 1 "$R"); do
        out=$(printf '%s/%s/c/%03d' "$tmp" "$policy" "$s")
        if [ "$(cat "$out.rc")" != 0 ]; then
            report fail "$policy" "C run seed $s exited $(cat "$out.rc"): $(head -c 400 "$out.err")"
        else
            mv "$out.out" "$out.json"
        fi
    done
    if ! wait "$pypid"; then
        report fail "$policy" "reference failed: $(head -c 400 "$tmp/$policy/py.err")"
    fi
    cmp_args+=("$policy" "$tmp/$policy/c" "$tmp/$policy/py.json")
done

"$py" "$REF/compare.py" --zmax 4.5 "${cmp_args[@]}" >"$tmp/compare.out" 2>&1
relay_checks "$tmp/compare.out" $? "compare.py"
finish
