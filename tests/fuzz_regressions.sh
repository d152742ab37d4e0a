#!/usr/bin/env bash
# Inputs the fuzzers found troublesome (tests/fuzz/regressions/): each must be
# answered, valid (exit 0) or refused (exit 2 with one line), within 10 s,
# never a crash or a hang.
set -u
R=$1
SRC=$2
pass=0 fail=0
for f in "$SRC"/tests/fuzz/regressions/*; do
  [ -f "$f" ] || continue
  name=$(basename "$f")
  case "$name" in set-*) args=(validate "$SRC/scenarios/baseline.yaml" --set "$(cat "$f")") ;;
                  *) args=(validate "$f") ;; esac
  start=$(date +%s.%N)
  timeout 10 "$R" "${args[@]}" >/dev/null 2>"${TMPDIR:-/tmp}/fuzzreg.err"
  code=$?
  took=$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN {printf "%.2f", e - s}')
  lines=$(grep -c '' "${TMPDIR:-/tmp}/fuzzreg.err")
  if { [ "$code" = 0 ] && [ "$lines" = 0 ]; } || { [ "$code" = 2 ] && [ "$lines" = 1 ]; }; then
    echo "PASS $name: exit $code in $took s"; pass=$((pass + 1))
  else
    echo "FAIL $name: exit $code in $took s, $lines stderr lines"; fail=$((fail + 1))
  fi
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
