#!/usr/bin/env bash
# Benchmark (not a test) of HDF5 output: the reference scenario at PAIRS pairs
# (default 1,000,000) and 26 weeks on 2 threads, with all trajectories, against
# the same run with summary only, and against a bare HDF5 write of the same
# trajectory bytes with the same chunking and compression (bench/h5bare.c).
# Whole-process wall time, median of REPEAT runs (default 3); file sizes; peak
# RSS (GNU time). Usage: bench/output.sh BUILD_DIR
set -euo pipefail
BUILD=${1:-build}
REPEAT=${REPEAT:-3}
PAIRS=${PAIRS:-1000000}
SRC=$(cd "$(dirname "$0")/.." && pwd)
DIR=$(mktemp -d)
trap 'rm -rf "$DIR"' EXIT

median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

# Wall seconds of a command (median of REPEAT), by GNU time; the last run's
# peak RSS in KiB goes to $DIR/rss.
timed() {
  for _ in $(seq "$REPEAT"); do
    /usr/bin/time -f "%e %M" -o "$DIR/time" "$@" >/dev/null
    awk '{print $2}' "$DIR/time" > "$DIR/rss"
    awk '{print $1}' "$DIR/time"
  done | median
}

RUN=("$BUILD/rapport" run "$SRC/scenarios/baseline.yaml" --threads 2 --force
     --set patients.count="$PAIRS" --set providers.count=$((PAIRS / 20)))

printf "%-34s %9s %11s %9s\n" "reference scenario, $PAIRS pairs" "seconds" "file MB" "RSS MB"
t_sum=$(timed "${RUN[@]}" -o "$DIR/summary.h5" --summary-only); r=$(cat "$DIR/rss")
printf "%-34s %9s %11.1f %9.0f\n" "summary only" "$t_sum" "$(stat -c %s "$DIR/summary.h5" | awk '{print $1/1e6}')" "$((r / 1024))"
for c in none lz4 deflate; do
  t=$(timed "${RUN[@]}" -o "$DIR/$c.h5" --set output.compression=$c); r=$(cat "$DIR/rss")
  b=$(timed "$BUILD/bench/rapport_h5bare" "$PAIRS" "$DIR/bare-$c.h5" "$c")
  printf "%-34s %9s %11.1f %9.0f   (%.2fx summary only)\n" "all trajectories, $c" "$t" \
    "$(stat -c %s "$DIR/$c.h5" | awk '{print $1/1e6}')" "$((r / 1024))" "$(awk -v a="$t" -v b="$t_sum" 'BEGIN {print a / b}')"
  printf "%-34s %9s %11.1f\n" "  bare HDF5 write, same bytes, $c" "$b" "$(stat -c %s "$DIR/bare-$c.h5" | awk '{print $1/1e6}')"
done
