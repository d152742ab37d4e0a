#!/usr/bin/env bash
# Benchmark (not a test) of sweeps: 1,000 runs x 1,000 pairs x 26 weeks as one
# sweep, against one run of 1,000,000 pairs (the per-run overhead), each at 1
# and 2 threads; and the sweep on 1 and 2 MPI ranks (1 thread each) when the
# build has MPI. Summary only (no file). Whole-process wall time, median of
# REPEAT runs (default 3). Usage: bench/sweep.sh BUILD_DIR
set -euo pipefail
BUILD=${1:-build}
REPEAT=${REPEAT:-3}
SRC=$(cd "$(dirname "$0")/.." && pwd)
DIR=$(mktemp -d)
trap 'rm -rf "$DIR"' EXIT
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
printf 'seed: 7\npatients: {count: 1000}\nproviders: {count: 50}\nreplicates: 1000\n' > "$DIR/sweep.yaml"

median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
timed() {
  for _ in $(seq "$REPEAT"); do
    /usr/bin/time -f "%e" -o "$DIR/time" "$@" >/dev/null
    cat "$DIR/time"
  done | median
}

R="$BUILD/rapport"
s1=$(timed "$R" run "$DIR/sweep.yaml" --threads 1)
s2=$(timed "$R" run "$DIR/sweep.yaml" --threads 2)
o1=$(timed "$R" run "$SRC/scenarios/baseline.yaml" --threads 1 --set patients.count=1000000 --set providers.count=50000)
o2=$(timed "$R" run "$SRC/scenarios/baseline.yaml" --threads 2 --set patients.count=1000000 --set providers.count=50000)
printf "%-44s %10s %10s\n" "" "1 thread" "2 threads"
printf "%-44s %10s %10s\n" "sweep, 1000 runs x 1000 pairs (s)" "$s1" "$s2"
printf "%-44s %10s %10s\n" "one run, 1,000,000 pairs (s)" "$o1" "$o2"
awk -v s1="$s1" -v s2="$s2" -v o1="$o1" -v o2="$o2" 'BEGIN {
  printf "%-44s %10.2f %10.2f\n", "sweep / one run (per-run overhead)", s1 / o1, s2 / o2
  printf "%-44s %10s %10.2f\n", "speed-up 1 -> 2 threads, sweep", "", s1 / s2
  printf "%-44s %10s %10.2f\n", "speed-up 1 -> 2 threads, one run", "", o1 / o2 }'
if ldd "$R" | grep -q libmpi; then
  m1=$(timed mpirun -n 1 "$R" run "$DIR/sweep.yaml" --threads 1)
  m2=$(timed mpirun -n 2 "$R" run "$DIR/sweep.yaml" --threads 1)
  printf "%-44s %10s %10s\n" "sweep on MPI ranks, 1 thread each (s)" "$m1 (1)" "$m2 (2)"
  awk -v a="$m1" -v b="$m2" 'BEGIN {printf "%-44s %10s %10.2f\n", "speed-up 1 -> 2 ranks", "", a / b}'
fi
