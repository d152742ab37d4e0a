#!/usr/bin/env bash
# Crash-safety soak (docs/RELIABILITY.md; CTest's kill_soak runs 12 small
# tries). N times, a job is started and sent SIGKILL, SIGTERM or SIGINT after
# a random delay, uniform in [0.05, 0.9] x the job's uninterrupted duration
# (the shorter of 2 runs, less 10% each time a try finished first) but at
# least 3 x the time `rapport --version` takes (50 ms or more): before that,
# rapport is still being loaded and has no signal handler yet.
#   run        rapport run SCENARIO -o F.h5 (one large run)
#   sweep      rapport run SWEEP -o F.h5 (4 points x 24 replicates), then --resume
#   merge      rapport merge PART... -o F.h5 (3 shards made once up front)
#   calibrate  rapport calibrate CAL.yaml -o F.yaml
# Jobs take turns and the signal changes every round: 12 tries cover every pair.
# After each try: the final path is absent or holds the reference's data (the
# uninterrupted job's; HDF5 by tests/h5_same.py, YAML by cmp); a job stopped
# by SIGTERM or SIGINT exits 130 (the sweep: 75, stopped early and resumable)
# with one line on stderr and leaves nothing at the final path and no
# *.partial-* file (SIGKILL may leave one, beside it).
# Then the job is completed (--resume for the sweep, a rerun otherwise) and
# must give the reference's data. Tries that finished before the signal (or
# were SIGKILLed after publishing their file) are checked the same way but
# counted apart from real kills.
# Usage: scripts/kill-soak.sh [N=100] [RAPPORT=build/rapport] [JOBS=run,sweep,merge,calibrate]
#                             [SIGNALS=KILL,TERM,INT]
#   e.g. scripts/kill-soak.sh 100 build/rapport sweep KILL  (100 killed sweeps, resumed)
# KILL_SOAK_SIZE=small: small jobs (CTest). KILL_SOAK_SEED: the delays' seed.
set -u
N=${1:-100}
R=${2:-build/rapport}
IFS=, read -r -a jobs <<<"${3:-run,sweep,merge,calibrate}"
IFS=, read -r -a sigs <<<"${4:-KILL,TERM,INT}"
SRC=$(cd "$(dirname "$0")/.." && pwd)
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
cp "$R" "$T/rapport" || exit 1
R=$T/rapport # immune to a rebuild meanwhile
set -m # background jobs take SIGINT like a foreground one (not ignored)
seed=${KILL_SOAK_SEED:-$$}
RANDOM=$seed
ignore=command_line,start_time,end_time,threads,part,host
if [ "${KILL_SOAK_SIZE:-}" = small ]; then
  run_n=40000 sweep_n=500 sweep_reps=6 merge_n=10000 cal_n=1000
else
  run_n=400000 sweep_n=2000 sweep_reps=24 merge_n=80000 cal_n=10000
fi

cat >"$T/sweep.yaml" <<YAML
seed: 404
horizon: 52
course: 40
patients: {count: $sweep_n}
providers: {count: $((sweep_n / 20))}
replicates: $sweep_reps
sweep:
  grid:
    discussion.policy: [never, intake, delayed, responsive]
YAML
printf 'seed: 405\npatients: {count: %d}\nproviders: {count: %d}\nreplicates: 9\n' \
  "$merge_n" $((merge_n / 20)) >"$T/shards.yaml"
cat >"$T/cal.yaml" <<YAML
scenario: $SRC/scenarios/baseline.yaml
replicates: 2
patients: $cal_n
free:
  dropout.base: {min: -10, max: -5, start: -8}
targets:
  dropout: {value: 0.197, band: [0.187, 0.207]}
  early_dropout: {value: 0.775, band: [0.70, 0.85], weight: 0}
budget: {evaluations: 30, tolerance: 1e-3}
YAML
for s in 0 1 2; do
  "$R" run "$T/shards.yaml" --shard $s/3 -o "$T/part$s.h5" >/dev/null || { echo "FAIL shard $s"; exit 1; }
done

ext() { [ "$1" = calibrate ] && echo yaml || echo h5; }
cmd() { # JOB OUT: the command of JOB writing OUT, in the array C
  case $1 in
    run) C=("$R" run "$SRC/scenarios/baseline.yaml" --set patients.count=$run_n
            --set providers.count=$((run_n / 20)) -o "$2") ;;
    sweep) C=("$R" run "$T/sweep.yaml" -o "$2") ;;
    merge) C=("$R" merge "$T"/part[0-2].h5 -o "$2") ;;
    calibrate) C=("$R" calibrate "$T/cal.yaml" -o "$2") ;;
  esac
}
same() { # REFERENCE FILE: the same data (the first differences in $T/diff)
  case $1 in
    *.yaml) cmp "$1" "$2" >"$T/diff" 2>&1 ;;
    *) /usr/bin/python3 "$SRC/tests/h5_same.py" "$1" "$2" --ignore-attrs "$ignore" >"$T/diff" 2>&1 ;;
  esac
}
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" -v n="${2:-1}" 'BEGIN {printf "%.3f", (b - a) / n}'; }

declare -A dur tries kills pass fail
for j in "${jobs[@]}"; do # the reference, and the duration: the shorter of 2 runs
  for f in ref again; do
    cmd "$j" "$T/$f-$j.$(ext "$j")"
    t0=$(now)
    "${C[@]}" >/dev/null 2>"$T/err" || { echo "FAIL uninterrupted $j: $(head -c 300 "$T/err")"; exit 1; }
    d=$(since "$t0")
    dur[$j]=$(awk -v a="${dur[$j]:-$d}" -v b="$d" 'BEGIN {print (a < b ? a : b)}')
  done
  rm -rf "$T/again-$j".*
  echo "$j: ${dur[$j]} s uninterrupted"
done
t0=$(now)
for k in 1 2 3 4 5; do "$R" --version >/dev/null; done
floor=$(awk -v t="$(since "$t0" 5)" 'BEGIN {print (3 * t > 0.05 ? 3 * t : 0.05)}')
echo "delays at least $floor s; seed $seed (KILL_SOAK_SEED); $N tries"

count() { # ARRAY: one more for this try's job and signal, and their totals
  local -n a=$1
  local k
  for k in "$j $sig" "$j all" "all $sig" "all all"; do a[$k]=$((${a[$k]:-0} + 1)); done
}

for ((i = 0; i < N; i++)); do
  j=${jobs[i % ${#jobs[@]}]}
  sig=${sigs[(i / ${#jobs[@]}) % ${#sigs[@]}]}
  ref=$T/ref-$j.$(ext "$j") out=$T/k.$(ext "$j")
  rm -rf "$out" "$out.parts" "$out".partial-*
  delay=$(awk -v d="${dur[$j]}" -v r=$RANDOM -v f="$floor" \
    'BEGIN {t = d * (0.05 + 0.85 * r / 32767); printf "%.3f", t < f ? f : t}')
  cmd "$j" "$out"
  "${C[@]}" >/dev/null 2>"$T/err" &
  pid=$!
  sleep "$delay"
  kill -"$sig" "$pid" 2>/dev/null
  { wait "$pid"; } 2>/dev/null # without bash's "Killed" notice
  rc=$?
  why=()
  count tries
  # A SIGKILL may land after the file was published, while the job prints or
  # frees: a complete file then, counted as finished first. SIGTERM/SIGINT
  # after publishing are never acted on (exit 0), so there a file must mean 0.
  published_then_killed=false
  [ $rc -eq 137 ] && [ -e "$out" ] && published_then_killed=true
  if [ $rc -ne 0 ] && ! $published_then_killed; then
    count kills
  else
    dur[$j]=$(awk -v d="${dur[$j]}" 'BEGIN {print 0.9 * d}')
  fi
  if [ -e "$out" ]; then
    same "$ref" "$out" || why+=("the final path holds other data: $(head -2 "$T/diff")")
    [ $rc -eq 0 ] || $published_then_killed || why+=("the final path exists after exit $rc")
  elif [ $rc -eq 0 ]; then
    why+=("exit 0 and no file")
  fi
  # A signal that lands before main() (the dynamic loader of HDF5 and MPI,
  # on a loaded machine) kills the process as the signal's default does:
  # exit 128 + its number, nothing said, nothing written. That is a kill.
  signo=$(kill -l "$sig")
  before_main=false
  [ $rc -eq $((128 + signo)) ] && [ ! -s "$T/err" ] && [ ! -e "$out" ] && [ ! -e "$out.parts" ] && before_main=true
  if [ $sig = KILL ] || $before_main; then
    [ $rc -eq 0 ] || [ $rc -eq $((128 + signo)) ] || why+=("exit $rc, expected $((128 + signo))")
  elif [ $rc -ne 0 ]; then
    stopped=130
    [ "$j" = sweep ] && stopped=75 # its finished runs kept for --resume
    [ $rc -eq $stopped ] || why+=("exit $rc, expected $stopped")
    [ "$(wc -l <"$T/err")" -eq 1 ] || why+=("$(wc -l <"$T/err") lines on stderr, expected 1")
    left=$(ls -d "$out".partial-* "$out.parts"/*.partial-* 2>/dev/null)
    [ -z "$left" ] || why+=("left behind: ${left//$T\//}")
  fi
  stderr=$(head -c 200 "$T/err")
  if [ ! -e "$out" ]; then # complete the job
    [ "$j" = sweep ] && C+=(--resume)
    if "${C[@]}" >/dev/null 2>"$T/err"; then
      same "$ref" "$out" || why+=("completed, other data: $(head -2 "$T/diff")")
      [ ! -e "$out.parts" ] || why+=("completed, but k.h5.parts is left")
    else
      why+=("completing it failed: exit $?: $(head -c 300 "$T/err")")
    fi
  fi
  if [ ${#why[@]} -eq 0 ]; then
    count pass
  else
    count fail
    echo "FAIL try $i: $j, SIG$sig after $delay s, exit $rc (stderr: ${stderr//$T\//}): $(printf '%s; ' "${why[@]}")"
  fi
done

printf '%-10s %-6s %6s %7s %15s %7s %7s\n' job signal tries killed finished-first passed failed
for j in "${jobs[@]}" $([ ${#jobs[@]} -gt 1 ] && echo all); do
  for sig in "${sigs[@]}" $([ ${#sigs[@]} -gt 1 ] && echo all); do
    k="$j $sig"
    [ -n "${tries[$k]:-}" ] || continue
    printf '%-10s %-6s %6d %7d %15d %7d %7d\n' "$j" "$sig" "${tries[$k]}" "${kills[$k]:-0}" \
      $((tries[$k] - ${kills[$k]:-0})) "${pass[$k]:-0}" "${fail[$k]:-0}"
  done
done
echo "${pass[all all]:-0} passed, ${fail[all all]:-0} failed"
[ "${fail[all all]:-0}" -eq 0 ]
