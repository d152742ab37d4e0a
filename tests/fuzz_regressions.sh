#!/usr/bin/env bash
# Inputs the fuzzers found troublesome (tests/fuzz/regressions/): each must be
# answered, valid (exit 0) or refused (exit 2 with one line), within 10 s,
# never a crash or a hang.
set -u
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
make_tmp
for f in "$src"/tests/fuzz/regressions/*; do
  [ -f "$f" ] || continue
  name=$(basename "$f")
  case "$name" in set-*) args=(validate "$src/scenarios/baseline.yaml" --set "$(cat "$f")") ;;
                  *) args=(validate "$f") ;; esac
  start=$(date +%s.%N)
  timeout 10 "$bin" "${args[@]}" >/dev/null 2>"$tmp/err"
  code=$?
  took=$(since "$start" 2)
  lines=$(grep -c '' "$tmp/err")
  if { [ "$code" = 0 ] && [ ! -s "$tmp/err" ]; } || { [ "$code" = 2 ] && one_line "$tmp/err"; }; then
    report ok "$name: exit $code in $took s"
  else
    report fail "$name" "exit $code in $took s, $lines stderr lines"
  fi
done
finish
