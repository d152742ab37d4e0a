#!/usr/bin/env bash
# Fuzz the input parsers with libFuzzer (clang, AddressSanitizer and
# UndefinedBehaviorSanitizer): the scenario loader, --set and the
# calibration-file loader. Each harness
# runs SECONDS (default 30) from a copy of its corpus in tests/fuzz/corpus;
# a crash, leak, hang (> 10 s) or out-of-memory (> 2 GiB) fails the script and
# leaves the input in BUILD/fuzz-artifacts/, to become a regression test.
# Usage: scripts/fuzz.sh [SECONDS] [BUILD_DIR]   (CI runs a short smoke)
set -euo pipefail
SECONDS_EACH=${1:-30}
BUILD=${2:-build-fuzz}
SRC=$(cd "$(dirname "$0")/.." && pwd)
cmake -S "$SRC" -B "$BUILD" -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=RelWithDebInfo \
      -DRAPPORT_FUZZ=ON -DRAPPORT_SANITIZE='address;undefined' -DRAPPORT_MPI=OFF >/dev/null
cmake --build "$BUILD" -j 2 --target fuzz_scenario fuzz_set fuzz_calibration >/dev/null
mkdir -p "$BUILD/fuzz-artifacts"
status=0
for harness in scenario set calibration; do
  work=$(mktemp -d)
  cp -r "$SRC/tests/fuzz/corpus/$harness/." "$work/"
  log="$BUILD/fuzz-$harness.log"
  if "$BUILD/tests/fuzz_$harness" "$work" -max_total_time="$SECONDS_EACH" -max_len=65536 -timeout=10 \
       -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$BUILD/fuzz-artifacts/$harness-" \
       >"$log" 2>&1; then
    echo "PASS fuzz_$harness: $(grep -E '^#[0-9]+.*DONE' "$log" | tail -1 | sed 's/^#\([0-9]*\).*cov: \([0-9]*\) ft: \([0-9]*\).*/\1 executions, coverage \2 edges, \3 features/')"
  else
    echo "FAIL fuzz_$harness: see $log and $BUILD/fuzz-artifacts/"
    tail -30 "$log"
    status=1
  fi
  rm -rf "$work"
done
exit $status
