#!/usr/bin/env bash
# Fuzz the input parsers with libFuzzer (clang, AddressSanitizer and
# UndefinedBehaviorSanitizer): the scenario loader, --set, the
# calibration-file loader and the readers of output files (summary, merge,
# --resume; inputs up to 1 MiB, the others 64 KiB). Each harness
# runs SECONDS (default 30) from a copy of its corpus in tests/fuzz/corpus;
# a crash, leak, hang (> 10 s) or out-of-memory (> 2 GiB) fails the script and
# leaves the input in BUILD/fuzz-artifacts/, to become a regression test.
# With KEEP (third argument `keep`, or KEEP_CORPUS=1) the inputs that add
# coverage are merged back into tests/fuzz/corpus/<harness>/ (libFuzzer
# -set_cover_merge=1, or -merge=1 on clang < 14: new files only, named by
# their SHA-1; the seeds stay as they are).
# Usage: scripts/fuzz.sh [SECONDS] [BUILD_DIR] [keep]   (CI runs a short smoke)
set -euo pipefail
SECONDS_EACH=${1:-30}
BUILD=${2:-build-fuzz}
case "${3:-${KEEP_CORPUS:-0}}" in keep | 1) KEEP=1 ;; 0 | "") KEEP=0 ;;
  *) echo "usage: scripts/fuzz.sh [SECONDS] [BUILD_DIR] [keep]" >&2; exit 2 ;; esac
SRC=$(cd "$(dirname "$0")/.." && pwd)
cmake -S "$SRC" -B "$BUILD" -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=RelWithDebInfo \
      -DRAPPORT_FUZZ=ON -DRAPPORT_SANITIZE='address;undefined' -DRAPPORT_MPI=OFF >/dev/null
cmake --build "$BUILD" -j 2 --target fuzz_scenario fuzz_set fuzz_calibration fuzz_h5input >/dev/null
mkdir -p "$BUILD/fuzz-artifacts"
MERGE=merge   # set_cover_merge (clang >= 14): the same features in fewer files
if [ "$KEEP" = 1 ] && [[ $("$BUILD/tests/fuzz_set" -help=1 2>&1) == *" set_cover_merge "* ]]; then
  MERGE=set_cover_merge
fi
status=0
for harness in scenario set calibration h5input; do
  max_len=65536
  [ "$harness" = h5input ] && max_len=1048576 # whole HDF5 files (seeds ~100-480 KB)
  work=$(mktemp -d)
  cp -r "$SRC/tests/fuzz/corpus/$harness/." "$work/"
  log="$BUILD/fuzz-$harness.log"
  if "$BUILD/tests/fuzz_$harness" "$work" -max_total_time="$SECONDS_EACH" -max_len=$max_len -timeout=10 \
       -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$BUILD/fuzz-artifacts/$harness-" \
       >"$log" 2>&1; then
    echo "PASS fuzz_$harness: $(grep -E '^#[0-9]+.*DONE' "$log" | tail -1 | sed 's/^#\([0-9]*\).*cov: \([0-9]*\) ft: \([0-9]*\).*/\1 executions, coverage \2 edges, \3 features/')"
  else
    echo "FAIL fuzz_$harness: see $log and $BUILD/fuzz-artifacts/"
    tail -30 "$log"
    status=1
  fi
  if [ "$KEEP" = 1 ]; then
    seeds="$SRC/tests/fuzz/corpus/$harness"
    before=$(find "$seeds" -type f | wc -l)
    if "$BUILD/tests/fuzz_$harness" -"$MERGE"=1 "$seeds" "$work" -max_len=$max_len -timeout=10 -rss_limit_mb=2048 \
         >"$BUILD/fuzz-$harness-merge.log" 2>&1; then
      echo "KEEP fuzz_$harness: $(($(find "$seeds" -type f | wc -l) - before)) new corpus files"
    else
      echo "FAIL fuzz_$harness merge: see $BUILD/fuzz-$harness-merge.log"
      status=1
    fi
  fi
  rm -rf "$work"
done
exit $status
