#!/usr/bin/env bash
# Benchmark (not a test): two rapport binaries side by side, run in turn
# (old, new, old, new, ...) so that a drift of the machine's speed hits both.
# Whole-process wall time (median of REPEAT, default 5) and peak RSS (GNU
# time) of: the reference scenario at PAIRS pairs (default 1,000,000), 26
# weeks, summary only, at 1 and 2 threads, with each stage (--timing); a
# sweep of 1,000 runs x 1,000 pairs; all trajectories of the reference
# scenario (100,000 pairs) with compression none and deflate.
#   bench/compare.sh OLD_BINARY NEW_BINARY
# To build the previous release beside this one:
#   git worktree add /tmp/old REV && cmake -S /tmp/old -B /tmp/old/build \
#     -DCMAKE_BUILD_TYPE=Release && cmake --build /tmp/old/build -j2 --target rapport
set -euo pipefail
OLD=${1:?usage: bench/compare.sh OLD_BINARY NEW_BINARY}
NEW=${2:?usage: bench/compare.sh OLD_BINARY NEW_BINARY}
REPEAT=${REPEAT:-5}
PAIRS=${PAIRS:-1000000}
SRC=$(cd "$(dirname "$0")/.." && pwd)
DIR=$(mktemp -d)
trap 'rm -rf "$DIR"' EXIT
BASE=$SRC/scenarios/baseline.yaml
printf 'seed: 7\npatients: {count: 1000}\nproviders: {count: 50}\nreplicates: 1000\n' > "$DIR/sweep.yaml"

median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
# one BIN ARGS...: wall seconds and peak RSS in MB of one run, on one line
one() {
  /usr/bin/time -f "%e %M" -o "$DIR/time" "$@" >/dev/null 2>"$DIR/err" || { cat "$DIR/err" >&2; exit 1; }
  awk '{printf "%s %.1f\n", $1, $2 / 1024}' "$DIR/time"
}
# row LABEL ARGS...: old and new in turn, REPEAT times; medians and ratio
row() {
  local label=$1; shift
  : > "$DIR/old"; : > "$DIR/new"
  for _ in $(seq "$REPEAT"); do
    one "$OLD" "$@" >> "$DIR/old"
    one "$NEW" "$@" >> "$DIR/new"
  done
  local to tn mo mn
  to=$(cut -d' ' -f1 "$DIR/old" | median); tn=$(cut -d' ' -f1 "$DIR/new" | median)
  mo=$(cut -d' ' -f2 "$DIR/old" | median); mn=$(cut -d' ' -f2 "$DIR/new" | median)
  awk -v l="$label" -v to="$to" -v tn="$tn" -v mo="$mo" -v mn="$mn" \
    'BEGIN {printf "%-44s %8.3f %8.3f %7.2fx %8.1f %8.1f\n", l, to, tn, to / tn, mo, mn}'
}
# stages BIN THREADS: the --timing line of the middle of three runs
stages() {
  for _ in 1 2 3; do
    "$1" run "$BASE" --threads "$2" --set patients.count="$PAIRS" --set providers.count=$((PAIRS / 20)) \
      --timing 2>&1 >/dev/null | grep 'seconds:' | sed 's/.*seconds: //'
  done | sort -t' ' -k6 -g | sed -n 2p
}

printf "%-44s %8s %8s %8s %8s %8s\n" "wall s (median of $REPEAT), peak RSS MB" old new ratio "RSS old" "RSS new"
for t in 1 2; do
  row "$PAIRS pairs, summary only, $t thread(s)" run "$BASE" --threads "$t" \
    --set patients.count="$PAIRS" --set providers.count=$((PAIRS / 20))
done
for t in 1 2; do
  row "1,000 runs x 1,000 pairs, $t thread(s)" run "$DIR/sweep.yaml" --threads "$t"
done
for c in none deflate; do
  row "all trajectories, 100,000 pairs, $c" run "$BASE" --threads 2 --set output.compression="$c" \
    -o "$DIR/out.h5" --force
done
echo
echo "stages at $PAIRS pairs (--timing, the middle of 3 runs by engine time)"
for t in 1 2; do
  echo "  old, $t thread(s): $(stages "$OLD" "$t")"
  echo "  new, $t thread(s): $(stages "$NEW" "$t")"
done
