#!/usr/bin/env bash
# The two commands of the README, and a few more for developers:
#   bash dev.sh run [ARGS]   install what is missing, build, run the reference
#                            scenario (or: bash dev.sh run SCENARIO [OPTIONS])
#   bash dev.sh test         install, build, run the whole test suite (CTest)
#   bash dev.sh bench        the benchmark of bench/README.md
# BUILD (default build) and JOBS (default 2) may be set in the environment.
set -euo pipefail
cd "$(dirname "$0")"
BUILD=${BUILD:-build}
JOBS=${JOBS:-2}

build() {
  bash scripts/install-deps.sh
  cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build "$BUILD" -j "$JOBS" >/dev/null
}

command=${1:-}
shift || true
case "$command" in
  run)
    build
    if [ $# -eq 0 ]; then set -- scenarios/baseline.yaml; fi
    exec "$BUILD/rapport" run "$@"
    ;;
  test)
    build
    cd "$BUILD" && exec ctest --output-on-failure -j "$JOBS"
    ;;
  bench)
    build
    bash bench/engine.sh "$BUILD"
    bash bench/sweep.sh "$BUILD"
    exec bash bench/output.sh "$BUILD"
    ;;
  *)
    echo "usage: bash dev.sh run [SCENARIO [OPTIONS]] | test | bench" >&2
    exit 2
    ;;
esac
