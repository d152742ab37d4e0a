#!/usr/bin/env bash
# Benchmark (not a test): the reference scenario at 1,000,000 pairs, 26 weeks,
# summary only, at 1 and 2 threads, against the library's engine alone on
# made-up pairs (bench/kernel.c), which is the compute limit. Whole-process wall
# time, median of REPEAT runs (default 3). Usage: bench/engine.sh BUILD_DIR
set -euo pipefail
BUILD=${1:-build}
REPEAT=${REPEAT:-3}
PAIRS=${PAIRS:-1000000}
SRC=$(cd "$(dirname "$0")/.." && pwd)
RAPPORT="$BUILD/rapport"
KERNEL="$BUILD/bench/rapport_kernel"

median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
now() { date +%s.%N; }

# Pair-weeks per second of `rapport run` (pair-weeks = pairs x mean sessions).
engine_rate() {
  local threads=$1 out start end
  for _ in $(seq "$REPEAT"); do
    start=$(now)
    out=$("$RAPPORT" run "$SRC/scenarios/baseline.yaml" --json --threads "$threads" \
          --set patients.count=$PAIRS --set providers.count=$((PAIRS / 20)))
    end=$(now)
    awk -v s="$start" -v e="$end" -v pairs="$PAIRS" \
        -v mean="$(echo "$out" | sed -n 's/^  "sessions_mean": \([0-9.e+-]*\).*/\1/p')" \
        'BEGIN {printf "%.6g\n", pairs * mean / (e - s)}'
  done | median
}

kernel_rate() {
  for _ in $(seq "$REPEAT"); do
    "$KERNEL" "$PAIRS" "$1" | awk '{print $8}'
  done | median
}

e1=$(engine_rate 1); e2=$(engine_rate 2)
k1=$(kernel_rate 1); k2=$(kernel_rate 2)
awk -v e1="$e1" -v e2="$e2" -v k1="$k1" -v k2="$k2" -v pairs="$PAIRS" -v rep="$REPEAT" 'BEGIN {
  printf "reference scenario, %d pairs, 26 weeks, summary only; median of %d runs\n", pairs, rep
  printf "%-28s %16s %16s\n", "", "1 thread", "2 threads"
  printf "%-28s %16.4g %16.4g\n", "rapport run, pair-weeks/s", e1, e2
  printf "%-28s %16.4g %16.4g\n", "kernel, pair-weeks/s", k1, k2
  printf "%-28s %16.3f %16.3f\n", "engine / kernel", e1 / k1, e2 / k2
  printf "%-28s %16s %16.3f\n", "2-thread efficiency, engine", "", e2 / (2 * e1)
  printf "%-28s %16s %16.3f\n", "2-thread efficiency, kernel", "", k2 / (2 * k1)
}'
