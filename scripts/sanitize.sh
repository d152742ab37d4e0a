#!/usr/bin/env bash
# The test suite under AddressSanitizer + UndefinedBehaviorSanitizer (gcc,
# Debug, no MPI), and the OpenMP paths under ThreadSanitizer: clang with
# LLVM's OpenMP runtime and its TSan tool Archer (libarcher), because neither
# gcc's libgomp nor a bare libomp is instrumented: both give false reports of
# races inside the runtime (seen: pthread_mutex_init in libomp). Any sanitizer
# report fails the test that triggered it.
# Usage: scripts/sanitize.sh [BUILD_PREFIX]
set -euo pipefail
PREFIX=${1:-build-san}
SRC=$(cd "$(dirname "$0")/.." && pwd)
JOBS=${JOBS:-2}
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:strict_string_checks=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

echo "== AddressSanitizer + UndefinedBehaviorSanitizer"
cmake -S "$SRC" -B "$PREFIX-asan" -DCMAKE_BUILD_TYPE=Debug -DRAPPORT_SANITIZE='address;undefined' \
      -DRAPPORT_MPI=OFF >/dev/null
cmake --build "$PREFIX-asan" -j "$JOBS" >/dev/null
# Left out, to keep CI within its time: the Slurm test (it starts daemons
# and runs nothing of ours that the normal pass does not), the kill soak
# (timing-driven signals, which the normal pass covers), abc_coverage
# (twenty repeats of the ABC-SMC calibration that abc_calibration runs here
# too), and the analysis tools' tests (their time is Python's; the binary's
# paths they use are covered by output_readback, psa and contrasts). The
# rest runs as usual.
# RAPPORT_TEST_QUICK: sweep_runs kills and resumes a smaller sweep, once.
(cd "$PREFIX-asan" && RAPPORT_TEST_QUICK=1 ctest --output-on-failure -j "$JOBS" \
    -E '^(slurm_cluster|kill_soak|abc_coverage|analysis_unit|analysis_report|analysis_posterior|output_r)$')

echo "== ThreadSanitizer (clang, libomp)"
cmake -S "$SRC" -B "$PREFIX-tsan" -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=RelWithDebInfo \
      -DRAPPORT_SANITIZE=thread -DRAPPORT_MPI=OFF -DOpenMP_C_FLAGS=-fopenmp=libomp \
      -DOpenMP_C_LIB_NAMES=omp -DOpenMP_omp_LIBRARY=/usr/lib/llvm-14/lib/libomp.so >/dev/null
cmake --build "$PREFIX-tsan" -j "$JOBS" --target engine_stats rapport >/dev/null
export TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 ignore_noninstrumented_modules=1"
export OMP_TOOL_LIBRARIES=/usr/lib/llvm-14/lib/libarcher.so
"$PREFIX-tsan/tests/engine_stats" | tail -1
OMP_NUM_THREADS=2 "$PREFIX-tsan/rapport" run "$SRC/scenarios/baseline.yaml" --set patients.count=20000 \
    --set providers.count=1000 --threads 2 --json >/dev/null
# Three blocks of pairs: each block is written on a thread of its own while
# the next one computes, its deflated chunks compressed by a team of threads.
"$PREFIX-tsan/rapport" run "$SRC/scenarios/baseline.yaml" --set patients.count=140000 \
    --set providers.count=7000 --threads 2 -o "$PREFIX-tsan/blocks.h5" --force --set output.compression=deflate \
    >/dev/null
printf 'seed: 3\npatients: {count: 500}\nproviders: {count: 25}\nreplicates: 8\n' > "$PREFIX-tsan/sweep.yaml"
"$PREFIX-tsan/rapport" run "$PREFIX-tsan/sweep.yaml" --threads 2 --parallel runs -o "$PREFIX-tsan/sweep.h5" --force \
    >/dev/null
# ABC-SMC's particles in parallel (sim/exec/abc.c): a small known-posterior calibration.
sed -e 's/particles: 500, generations: 12/particles: 40, generations: 3/' \
    -e "s|^scenario: .*|scenario: $SRC/tests/abc/constant-hazard.yaml|" \
    "$SRC/tests/abc/known-posterior.yaml" > "$PREFIX-tsan/abc.yaml"
"$PREFIX-tsan/rapport" calibrate "$PREFIX-tsan/abc.yaml" --threads 2 --posterior "$PREFIX-tsan/abc.h5" >/dev/null
echo "1 passed, 0 failed: ThreadSanitizer found nothing in engine_stats, two runs (one streaming to a file), a sweep over runs and an ABC-SMC calibration"

echo "== valgrind memcheck (the Release build of dev.sh, a small run writing a file)"
printf 'seed: 3\npatients: {count: 300}\nproviders: {count: 15}\n' > "$PREFIX-tsan/small.yaml"
valgrind --leak-check=full --errors-for-leak-kinds=definite,indirect --error-exitcode=9 -q \
    "${BUILD:-build}/rapport" run "$PREFIX-tsan/small.yaml" --threads 1 -o "$PREFIX-tsan/small.h5" --force >/dev/null
echo "1 passed, 0 failed: memcheck found no error and no leak"
