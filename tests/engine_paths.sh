#!/usr/bin/env bash
# engine_paths.sh RAPPORT_BIN SRC_DIR - the builds of the fast kernel give the
# same files (docs/ENGINE.md): results must not depend on the instruction set.
#
# Under RAPPORT_ENGINE=scalar, avx2 and avx512 (each path this processor has;
# the others are SKIPPED):
#   - one run of model 1 and one of model 2 with every trajectory variable and
#     the per-pair table: the JSON summary byte for byte, and the HDF5 file's
#     data (tests/h5_same.py: every dataset bit for bit, every attribute but
#     the run's times and command line);
#   - a sweep of 8 runs (scenarios/sweep-discussion.yaml) in 2 shards, shard 0 on the widest path and shard 1
#     on the scalar one, joined by rapport merge: the same file as the whole
#     sweep on one process of the scalar path;
#   - an unknown path is refused: exit 2, one line naming RAPPORT_ENGINE.
# About 10 s on 2 cores.
set -u
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")
need_py 'h5py, numpy' "Debian: python3-h5py"
ignore=command_line,start_time,end_time,threads,part,host
make_tmp
cd "$tmp" || exit 1

# rp PATH ARGS...: rapport on the kernel PATH, at most 120 s; stderr to $tmp/err.
rp() {
    local path=$1
    shift
    RAPPORT_ENGINE=$path timeout 120 "$bin" "$@" 2>"$tmp/err"
}

cat >one.yaml <<'EOF'
seed: 31
patients: {count: 5000}
providers: {count: 250}
discussion: {policy: responsive}
EOF
# the four policies of scenarios/sweep-discussion.yaml, 2 replicates, a smaller clinic
cp "$src/scenarios/sweep-discussion.yaml" "$src/scenarios/baseline.yaml" .
sw=(sweep-discussion.yaml --set replicates=2 --set patients.count=2000 --set providers.count=100)

paths=(scalar)
for p in avx2 avx512; do
    if rp "$p" run one.yaml --set patients.count=20 --set providers.count=1 >/dev/null; then
        paths+=("$p")
    else
        report skip "the $p kernel" "$(head -c 200 "$tmp/err")"
    fi
done
widest=${paths[${#paths[@]} - 1]}

for model in 1 2; do
    for p in "${paths[@]}"; do
        rp "$p" run one.yaml --set model=$model -o "m$model-$p.h5" --json >"m$model-$p.json" ||
            echo "  $p, model $model: exit $?, $(head -c 300 "$tmp/err")"
    done
    for p in "${paths[@]:1}"; do
        d=$(h5_differences "m$model-scalar.h5" "m$model-$p.h5" "$ignore")
        if [ -s "m$model-$p.json" ] && cmp -s "m$model-scalar.json" "m$model-$p.json" && [ -z "$d" ]; then
            report ok "model $model, every trajectory: the $p kernel writes the scalar kernel's summary and file"
        else
            report fail "model $model: the $p kernel writes the scalar kernel's summary and file" \
                "$d $(cmp "m$model-scalar.json" "m$model-$p.json" 2>&1 | head -c 200)"
        fi
    done
done

rp scalar run "${sw[@]}" -o whole.h5 >/dev/null || echo "  whole sweep: exit $?, $(head -c 300 "$tmp/err")"
rp "$widest" run "${sw[@]}" --shard 0/2 -o part0.h5 >/dev/null || echo "  shard 0: exit $?, $(head -c 300 "$tmp/err")"
rp scalar run "${sw[@]}" --shard 1/2 -o part1.h5 >/dev/null || echo "  shard 1: exit $?, $(head -c 300 "$tmp/err")"
rp scalar merge part0.h5 part1.h5 -o merged.h5 >/dev/null
rc=$?
d=$(if [ $rc -eq 0 ]; then h5_differences whole.h5 merged.h5 "$ignore"; else head -c 300 "$tmp/err"; fi)
judge "a sweep sharded over the $widest and scalar kernels merges into the file of one scalar process" "$d"

expect_exit "an unknown RAPPORT_ENGINE is refused" 2 "RAPPORT_ENGINE=sse9" env RAPPORT_ENGINE=sse9 "$bin" run one.yaml
finish
