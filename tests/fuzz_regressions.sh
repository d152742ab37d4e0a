#!/usr/bin/env bash
# Inputs the fuzzers found troublesome (tests/fuzz/regressions/): each must be
# answered, valid (exit 0) or refused (exit 2 with one line), within 10 s,
# never a crash or a hang. A scenario is given to `rapport validate`
# (set-*: one --set of baseline.yaml); an output file (h5input-*) to
# `rapport summary` and to `rapport merge` (which prints one line when it
# joins, and must leave no output file when it refuses).
set -u
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
make_tmp

# answered NAME QUIET COMMAND...: COMMAND exits 0 (QUIET: with nothing on
# stderr, else at most one line) or 2 with one line, within 10 s. Sets code.
answered() {
  local name=$1 quiet=$2 start took lines
  shift 2
  start=$(date +%s.%N)
  timeout 10 "$@" >/dev/null 2>"$tmp/err"
  code=$?
  took=$(since "$start" 2)
  lines=$(grep -c '' "$tmp/err")
  if { [ "$code" = 0 ] && { [ ! -s "$tmp/err" ] || { [ "$quiet" = 0 ] && one_line "$tmp/err"; }; }; } ||
     { [ "$code" = 2 ] && one_line "$tmp/err"; }; then
    report ok "$name: exit $code in $took s"
  else
    report fail "$name" "exit $code in $took s, $lines stderr lines"
  fi
}

for f in "$src"/tests/fuzz/regressions/*; do
  [ -f "$f" ] || continue
  name=$(basename "$f")
  case "$name" in
  set-*) answered "$name" 1 "$bin" validate "$src/scenarios/baseline.yaml" --set "$(cat "$f")" ;;
  h5input-*)
    answered "$name: summary" 1 "$bin" summary "$f"
    answered "$name: merge" 0 "$bin" merge "$f" -o "$tmp/out.h5" --force
    [ "$code" = 0 ] || judge "  $name: merge left no output file" "$(ls "$tmp" | grep '^out\.h5')"
    rm -f "$tmp/out.h5"
    ;;
  *) answered "$name" 1 "$bin" validate "$f" ;;
  esac
done
finish
