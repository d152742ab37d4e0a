#!/usr/bin/env bash
# Kill-and-resume soak (by hand; CI runs 4 kills in tests/sweep_runs.sh):
# N times, a sweep written with -o is killed with SIGKILL at a random moment,
# then finished with --resume (possibly killed again on the way); every
# result must equal an uninterrupted run of the same sweep, dataset by dataset.
# Usage: scripts/kill-soak.sh [N=100] [RAPPORT=build/rapport]
set -u
N=${1:-100}
R=${2:-build/rapport}
SRC=$(cd "$(dirname "$0")/.." && pwd)
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
cat > "$T/sweep.yaml" <<'YAML'
seed: 404
horizon: 52
course: 40
patients: {count: 2000}
providers: {count: 100}
replicates: 24
sweep:
  grid:
    discussion.policy: [never, intake, delayed, responsive]
YAML
"$R" run "$T/sweep.yaml" -o "$T/ref.h5" >/dev/null || { echo "FAIL reference run"; exit 1; }
ignore=command_line,start_time,end_time,threads,part,host
pass=0 fail=0 kills=0
for i in $(seq "$N"); do
  rm -rf "$T/k.h5" "$T/k.h5.parts" "$T"/k.h5.partial-*
  "$R" run "$T/sweep.yaml" -o "$T/k.h5" >/dev/null 2>&1 &
  pid=$!
  delay=$(awk -v r="$RANDOM" 'BEGIN {printf "%.2f", 0.1 + 3.0 * r / 32767}')
  sleep "$delay"
  kill -9 "$pid" 2>/dev/null && kills=$((kills + 1))
  wait "$pid" 2>/dev/null
  [ -e "$T/k.h5" ] || "$R" run "$T/sweep.yaml" -o "$T/k.h5" --resume >/dev/null 2>"$T/err"
  if /usr/bin/python3 "$SRC/tests/h5_same.py" "$T/ref.h5" "$T/k.h5" --ignore-attrs "$ignore" >"$T/diff" 2>&1; then
    pass=$((pass + 1))
  else
    echo "FAIL kill $i after $delay s: $(head -3 "$T/diff") $(cat "$T/err")"
    fail=$((fail + 1))
  fi
done
echo "$kills kills survived of $N tries (the rest finished first)"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
