#!/usr/bin/env bash
# Fuzz the input parsers with libFuzzer (clang, AddressSanitizer and
# UndefinedBehaviorSanitizer): the scenario loader, --set, the
# calibration-file loader, the command line's options and the readers of
# output files (summary, merge, --resume; inputs up to 1 MiB, the others
# 64 KiB). Each harness
# runs SECONDS (default 30) from a copy of its corpus in tests/fuzz/corpus;
# a crash, leak, hang (> 10 s) or out-of-memory (> 2 GiB) fails the script and
# leaves the input in BUILD/fuzz-artifacts/, to become a regression test.
# With KEEP (third argument `keep`, or KEEP_CORPUS=1) the inputs that add
# coverage are merged back into tests/fuzz/corpus/<harness>/ (libFuzzer
# -set_cover_merge=1, or -merge=1 on clang < 14: new files only, named by
# their SHA-1; the seeds stay as they are).
# libhdf5 1.10.8 itself crashes, loops or reads out of bounds on some corrupt
# files (tests/fuzz/hdf5-known/), so fuzz_h5input runs in fork mode, which
# goes on past a fault; each fault is then replayed and counted as libhdf5's
# when its stack starts there (the first frame that is neither the sanitizer,
# libFuzzer nor libc), and fails the script when it starts in rapport or does
# not reproduce. Its coverage is then counted by replaying the corpus in one
# process (which also checks it for leaks), as the other harnesses count it.
# FUZZ_SEED fixes libFuzzer's seed (-seed): CI's smoke takes FUZZ_SEED=1, so
# it explores the same inputs each time (within its time budget) and a red CI
# is a regression, not a new find; campaigns by hand leave it unset (random).
# Usage: scripts/fuzz.sh [SECONDS] [BUILD_DIR] [keep]   (CI runs a short smoke)
#        HARNESSES="h5input" scripts/fuzz.sh ...      (some harnesses only)
#        FUZZ_SEED=1 scripts/fuzz.sh 30               (a fixed seed)
set -euo pipefail
SECONDS_EACH=${1:-30}
BUILD=${2:-build-fuzz}
case "${3:-${KEEP_CORPUS:-0}}" in keep | 1) KEEP=1 ;; 0 | "") KEEP=0 ;;
  *) echo "usage: scripts/fuzz.sh [SECONDS] [BUILD_DIR] [keep]" >&2; exit 2 ;; esac
SRC=$(cd "$(dirname "$0")/.." && pwd)
cmake -S "$SRC" -B "$BUILD" -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=RelWithDebInfo \
      -DRAPPORT_FUZZ=ON -DRAPPORT_SANITIZE='address;undefined' -DRAPPORT_MPI=OFF >/dev/null
cmake --build "$BUILD" -j 2 --target fuzz_scenario fuzz_set fuzz_calibration fuzz_args fuzz_h5input >/dev/null
mkdir -p "$BUILD/fuzz-artifacts"
MERGE=merge   # set_cover_merge (clang >= 14): the same features in fewer files
if [ "$KEEP" = 1 ] && [[ $("$BUILD/tests/fuzz_set" -help=1 2>&1) == *" set_cover_merge "* ]]; then
  MERGE=set_cover_merge
fi
# where_fault LOG: whose fault a libFuzzer report shows: "libhdf5" or
# "rapport" by the first frame that is neither the sanitizer, libFuzzer nor
# libc, taken from where the bad memory was allocated (heap) or lives (stack)
# when the report says, else from the faulting stack (so libhdf5 writing past
# a buffer rapport gave it is rapport's); libhdf5 includes the zlib it calls.
# "none" when the report has no fault.
where_fault() {
  grep -qE 'ERROR: (AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer|libFuzzer)|runtime error' "$1" ||
    { echo none; return; }
  awk 'function owner(line) { return line ~ /libhdf5|libz\.so/ ? "libhdf5" : "rapport" }
       /allocated by thread|is located in stack of thread/ { section = 1; next }
       /^ *#[0-9]+ 0x/ && !/__interceptor_|__asan|__sanitizer|__lsan|__ubsan|fuzzer::|libc\.so|in (malloc|calloc|realloc|free|memcpy|memmove|memset) / {
         if (section && !memory) memory = owner($0)
         if (!stack) stack = owner($0) }
       /^ *$/ { section = 0 }
       END { print memory ? memory : stack ? stack : "rapport" }' "$1"
}

status=0
for harness in ${HARNESSES:-scenario set calibration args h5input}; do
  max_len=65536 fork=() seed=()
  [ -z "${FUZZ_SEED:-}" ] || seed=(-seed="$FUZZ_SEED")
  if [ "$harness" = h5input ]; then
    max_len=1048576 # whole HDF5 files (seeds ~70-480 KB)
    fork=(-fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1)
  fi
  work=$(mktemp -d)
  cp -r "$SRC/tests/fuzz/corpus/$harness/." "$work/"
  log="$BUILD/fuzz-$harness.log"
  artifacts="$BUILD/fuzz-artifacts/$harness-"
  [ ${#fork[@]} -eq 0 ] || rm -f "$artifacts"* # each is triaged below: this run's only
  # timeout: a harness that does not stop by itself (a loop outside libFuzzer's
  # own -timeout) fails the script in bounded time instead of stalling CI
  if timeout --kill-after=30 $((2 * SECONDS_EACH + 300)) \
       "$BUILD/tests/fuzz_$harness" "$work" -max_total_time="$SECONDS_EACH" -max_len=$max_len -timeout=10 \
       -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$artifacts" "${seed[@]}" "${fork[@]}" >"$log" 2>&1; then
    found=
    if [ ${#fork[@]} -gt 0 ]; then
      faults=0
      for a in "$artifacts"*; do
        [ -f "$a" ] && [[ $a != *.replay ]] || continue
        # a fault's replay fails (ASan 1, libFuzzer's timeout 70, out-of-memory
        # 71): expected, and not to end the script under set -e; its log decides
        "$BUILD/tests/fuzz_$harness" "$a" -timeout=10 -rss_limit_mb=2048 >"$a.replay" 2>&1 || true
        case $(where_fault "$a.replay") in
        libhdf5) faults=$((faults + 1)) ;;
        rapport) echo "FAIL fuzz_$harness: $a starts in rapport (see $a.replay)"; status=1 ;;
        none) echo "FAIL fuzz_$harness: $a does not reproduce (see $a.replay and $log)"; status=1 ;;
        esac
      done
      # the corpus in one process: coverage counted as for the others, leaks checked
      "$BUILD/tests/fuzz_$harness" "$work" -runs=0 -max_len=$max_len -timeout=10 -rss_limit_mb=2048 \
        -artifact_prefix="$artifacts" >"$log.replay" 2>&1 || { echo "FAIL fuzz_$harness: corpus replay, see $log.replay"; status=1; }
      runs=$(grep -E '^#[0-9]+: cov' "$log" | tail -1 | sed 's/^#\([0-9]*\):.*/\1/')
      found="$runs executions (fork mode), $faults faults inside libhdf5 ($artifacts*); its corpus replayed: "
      log="$log.replay"
    fi
    echo "PASS fuzz_$harness: $found$(grep -E '^#[0-9]+.*(DONE|INITED)' "$log" | tail -1 | sed 's/^#\([0-9]*\).*cov: \([0-9]*\) ft: \([0-9]*\).*/\1 executions, coverage \2 edges, \3 features/')"
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
rm -rf /dev/shm/fuzz_h5input /tmp/fuzz_h5input # the files of fuzz_h5input's jobs that were killed
exit $status
