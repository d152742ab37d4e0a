#!/usr/bin/env bash
# Hostile arguments, environments and paths (hardening, second round): every
# numeric option and environment variable goes through one checked parser,
# every input is opened without waiting, and every output follows one rule
# (a new name or a regular file, never a device, FIFO, directory or symbolic
# link, never one of the command's inputs). Each case must give ONE line on
# stderr and the documented exit code, touch no input and leave no file.
set -u
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
make_tmp
cd "$tmp" || exit 1

printf 'seed: 1\npatients: {count: 200}\n' > s.yaml
printf 'seed: 1\nreplicates: 3\npatients: {count: 100}\n' > sw.yaml
cat > cal.yaml <<'YAML'
scenario: s.yaml
free:
  dropout.base: {min: -10, max: -5, start: -8}
targets:
  dropout: {value: 0.197, band: [0.187, 0.207]}
budget: {evaluations: 2}
YAML
cp s.yaml s.orig; cp cal.yaml cal.orig
quiet() { "$@" >/dev/null 2>&1; }
provenance=command_line,start_time,end_time,host,part

# ---- integers: sign, blanks, trailing text, overflow ----
for shard in 1/9223372036854775807 1/99999999999999999999 0/99999999999999999999 ' 1/2' '1/2 ' +1/2 1/+2 \
             -1/2 1/0 2/2 1/2/3 1/ /2 1 a/b 1000000000/1000000001; do
  expect_exit -q "--shard '$shard'" 2 "--shard takes I/N" "$bin" run sw.yaml --shard "$shard" -o p.h5
done
judge "  no part file written" "$(ls -d p.h5* 2>/dev/null)"
for value in -1 18446744073709551616 99999999999999999999 ' 5' '5 ' +5 0x10 1e3 '' \
             "18446744073709551615$(printf ' %.0s' $(seq 40))x"; do
  expect_exit -q "--seed '${value:0:30}'" 2 "--seed takes a whole number" "$bin" run s.yaml --seed "$value"
done
"$bin" run s.yaml --seed 5 --json > seed5.json
"$bin" run s.yaml --seed "$(printf '0%.0s' $(seq 50))5" --json > seed05.json
check "--seed of fifty zeros and 5 is seed 5" cmp -s seed5.json seed05.json
for value in -1 -0 ' 1' +1 1e3 99999999999999999999; do
  expect_exit -q "--replicate '$value'" 2 "--replicate takes" "$bin" run s.yaml --replicate "$value"
done
for value in '2 ' ' 2' +2 2x 1025; do
  expect_exit -q "--threads '$value'" 2 "--threads takes" "$bin" run s.yaml --threads "$value"
done
"$bin" run s.yaml -o one.h5 >/dev/null 2>&1
for value in -1 ' 0' 0x 99999999999999999999; do
  expect_exit -q "summary --run '$value'" 2 "--run takes" "$bin" summary one.h5 --run "$value"
done

# ---- the environment ----
# libgomp itself warns, as it loads, of a value it cannot read (0, abc, ...)
# and would ignore it; rapport refuses it. Its warning lines are dropped here.
gomp_quiet='OMP_NUM_THREADS=$1 "$2" run s.yaml 2>&1 >/dev/null | grep -v -e "^libgomp: " -e "^$" >&2; exit ${PIPESTATUS[0]}'
for value in 100000 0 abc '' ' 2' 2x 99999999999999999999; do
  expect_exit -q "OMP_NUM_THREADS='$value' run" 2 "OMP_NUM_THREADS is" \
    bash -c "$gomp_quiet" _ "$value" "$bin"
done
expect_exit -q "OMP_NUM_THREADS=100000 merge" 2 "OMP_NUM_THREADS is" \
  env OMP_NUM_THREADS=100000 "$bin" merge one.h5 -o m.h5
expect_exit -q "OMP_NUM_THREADS=100000 calibrate" 2 "OMP_NUM_THREADS is" \
  env OMP_NUM_THREADS=100000 "$bin" calibrate cal.yaml
check "OMP_NUM_THREADS=100000 with --threads 1 runs" quiet env OMP_NUM_THREADS=100000 "$bin" run s.yaml --threads 1 -o t1.h5
check "OMP_NUM_THREADS=2,1 (nested levels) runs" quiet env OMP_NUM_THREADS=2,1 "$bin" run s.yaml -o t2.h5
expect_exit -q "SLURM_ARRAY_TASK_ID=abc" 2 "SLURM_ARRAY_TASK_ID is 'abc'" \
  env SLURM_ARRAY_TASK_ID=abc SLURM_ARRAY_TASK_COUNT=2 "$bin" run sw.yaml
expect_exit -q "SLURM_ARRAY_TASK_ID 5 of COUNT 2" 2 "is not one of the 2 tasks" \
  env SLURM_ARRAY_TASK_ID=5 SLURM_ARRAY_TASK_COUNT=2 "$bin" run sw.yaml
expect_exit -q "SLURM_ARRAY_TASK_ID 3 of 0-6:2, COUNT 4" 2 "is not one of the 4 tasks" \
  env SLURM_ARRAY_TASK_ID=3 SLURM_ARRAY_TASK_COUNT=4 SLURM_ARRAY_TASK_MIN=0 SLURM_ARRAY_TASK_STEP=2 "$bin" run sw.yaml
expect_exit -q "SLURM_ARRAY_TASK_ID without COUNT" 2 "SLURM_ARRAY_TASK_COUNT is not" \
  env SLURM_ARRAY_TASK_ID=1 "$bin" run sw.yaml
expect_exit -q "SLURM_ARRAY_TASK_COUNT=-2" 2 "SLURM_ARRAY_TASK_COUNT is '-2'" \
  env SLURM_ARRAY_TASK_ID=1 SLURM_ARRAY_TASK_COUNT=-2 "$bin" run sw.yaml
check "a bad SLURM_ARRAY_TASK_ID is overridden by --shard" \
  quiet env SLURM_ARRAY_TASK_ID=abc "$bin" run sw.yaml --shard 0/2 -o shard0.h5
env SLURM_ARRAY_TASK_ID=4 SLURM_ARRAY_TASK_COUNT=2 SLURM_ARRAY_TASK_MIN=2 SLURM_ARRAY_TASK_STEP=2 \
  "$bin" run sw.yaml -o task.h5 >/dev/null 2>&1
"$bin" run sw.yaml --shard 1/2 -o shard1.h5 >/dev/null 2>&1
check "task 4 of the array 2-4:2 is --shard 1/2" \
  quiet "$py" "$tests_dir/h5_same.py" task.h5 shard1.h5 --ignore-attrs "$provenance"

# ---- options ----
expect_exit -q "an unknown option" 2 "'--bogus' is not an option of 'run'" "$bin" run s.yaml --bogus
expect_exit -q "an ambiguous abbreviation" 2 "'--s' is ambiguous: it could be --set, --seed" "$bin" run s.yaml --s 1
expect_exit -q "a value given to a flag" 2 "option '--json' takes no value" "$bin" run s.yaml --json=yes
expect_exit -q "a missing value" 2 "option '--threads' needs a value" "$bin" run s.yaml --threads
expect_exit -q "an unknown short option" 2 "'-x' is not an option of 'merge'" "$bin" merge one.h5 -x
expect_exit -q "a stray argument of reference" 2 "'reference' takes no arguments" "$bin" reference extra
expect_exit -q "100 kB of argument is one short line" 2 "..." "$bin" run s.yaml --threads "$(head -c 100000 /dev/zero | tr '\0' 7)"
check "  ... and that line is short" [ "$(wc -c < "$tmp/err")" -lt 400 ]
check "after --, an operand may start with '-'" sh -c "cp s.yaml ./-s.yaml && '$bin' validate -- -s.yaml"

"$bin" run s.yaml --seed 5 --set seed=9 --json > order1.json
"$bin" run s.yaml --seed 9 --json > order2.json
check "--seed and --set seed apply in the order given" cmp -s order1.json order2.json
check "help help is the main help" quiet "$bin" help help
expect_exit -q "--version with an argument" 2 "'--version' takes no arguments" "$bin" --version extra
expect_exit -q "help with two commands" 2 "'help' takes at most one COMMAND" "$bin" help run extra
expect_exit -q "--resume without -o" 2 "--resume applies to the file of -o" "$bin" run s.yaml --resume
expect_exit -q "--force without -o" 2 "--force applies to the file of -o" "$bin" run s.yaml --force
expect_exit -q "-o=FILE" 2 "option '-o' needs a file name, not '=c.h5'" "$bin" run s.yaml -o=c.h5
check "  no file named =c.h5" [ ! -e =c.h5 ]
expect_exit -q "-json (one dash)" 2 "did you mean '--json'?" "$bin" run s.yaml -json
expect_exit -q "--replicate beyond the replicates' bound" 2 "from 0 to 999999999" "$bin" run s.yaml --replicate 4294967296
expect_exit -q "a newline in a file name stays on one line" 2 "a\x0ab.yaml" "$bin" validate $'a\nb.yaml'
cp s.yaml $'caf\xe9.yaml'
"$bin" show $'caf\xe9.yaml' > shown.yaml 2>/dev/null
check "show of a file named in Latin-1 validates (its comment is UTF-8)" quiet "$bin" validate shown.yaml
printf 'seed: 1\npatients: {count: 3000000}\n' > big.yaml
for sig in HUP USR1 XCPU; do
  "$bin" run big.yaml -o sig.h5 >/dev/null 2>"$tmp/sigerr" &
  pid=$!
  sleep 1
  kill -"$sig" "$pid"
  wait "$pid"
  rc=$?
  judge "SIG$sig stops a run: exit $rc, one line, nothing left" \
    "$([ "$rc" = 130 ] || echo "exit $rc"; one_line "$tmp/sigerr" || echo "stderr: $(head -c 300 "$tmp/sigerr")"; ls sig.h5* 2>/dev/null)"
done
# A sweep without -o has nothing to resume: 130 too (with -o it is 75: sweep_runs).
printf 'seed: 1\npatients: {count: 200000}\nreplicates: 40\n' > bigsweep.yaml
"$bin" run bigsweep.yaml --threads 1 >/dev/null 2>"$tmp/sigerr" &
pid=$!
sleep 1
kill -USR1 "$pid"
wait "$pid"
rc=$?
judge "SIGUSR1 stops a sweep without -o: exit $rc (nothing to resume), one line" \
  "$([ "$rc" = 130 ] || echo "exit $rc"; one_line "$tmp/sigerr" && grep -q 'interrupted after [0-9]* of 40 runs; nothing written' "$tmp/sigerr" || echo "stderr: $(head -c 300 "$tmp/sigerr")")"

# ---- inputs never waited for ----
mkfifo fifo.yaml
sed 's/scenario: s.yaml/scenario: fifo.yaml/' cal.yaml > calfifo.yaml
start=$(date +%s)
expect_exit -q "calibrate whose scenario is a FIFO nobody writes to" 2 "empty scenario" "$bin" calibrate calfifo.yaml
check "  ... answered at once" [ $(($(date +%s) - start)) -lt 10 ]
printf '\xef\xbb\xbfseed: 1\npatients: {count: 10}\n' > bom.yaml
check "a UTF-8 byte-order mark is allowed" quiet "$bin" validate bom.yaml
printf '\xef\xbb\xbfseed: 1\npatients: {count: x}\n' > bom2.yaml
expect_exit -q "after a byte-order mark, errors keep their column" 2 "bom2.yaml:2:19: error: patients.count" "$bin" validate bom2.yaml

# ---- outputs: regular files only, never an input ----
expect_exit -q "run -o /dev/null --force" 2 "/dev/null is a character device" "$bin" run s.yaml -o /dev/null --force
expect_exit -q "merge -o /dev/null --force" 2 "/dev/null is a character device" "$bin" merge one.h5 -o /dev/null --force
expect_exit -q "calibrate -o /dev/null" 2 "/dev/null is a character device" "$bin" calibrate cal.yaml -o /dev/null
check "  /dev/null is still a character device" [ -c /dev/null ]
mkfifo out.fifo
expect_exit -q "run -o FIFO --force" 2 "out.fifo is a FIFO" "$bin" run s.yaml -o out.fifo --force
ln -s nowhere.h5 dangling.h5
expect_exit -q "run -o a dangling symbolic link" 2 "dangling.h5 is a symbolic link" "$bin" run s.yaml -o dangling.h5
ln -s one.h5 link.h5
expect_exit -q "merge -o a symbolic link --force" 2 "link.h5 is a symbolic link" "$bin" merge one.h5 -o link.h5 --force
check "  the link is still a link" [ -L link.h5 ]
expect_exit -q "run -o its own scenario --force" 2 "is also an input of this command" "$bin" run s.yaml -o s.yaml --force
expect_exit -q "run -o its own scenario by another path" 2 "is also an input" "$bin" run s.yaml -o "$tmp/./s.yaml" --force
ln s.yaml hard.yaml
expect_exit -q "run -o a hard link of its scenario" 2 "is also an input" "$bin" run s.yaml -o hard.yaml --force
expect_exit -q "sweep -o its own scenario --force" 2 "is also an input" "$bin" run sw.yaml -o sw.yaml --force
printf 'extends: s.yaml\nhorizon: 10\n' >ext.yaml
expect_exit -q "run -o the file its scenario extends --force" 2 "is also an input" "$bin" run ext.yaml -o s.yaml --force
printf 'scenario: ext.yaml\nreplicates: 1\nfree:\n  dropout.base: {min: -10, max: -5, start: -8}\ntargets:\n  dropout: {value: 0.2, se: 0.01}\n' >extcal.yaml
expect_exit -q "calibrate -o a file its scenario extends --force" 2 "is also an input" "$bin" calibrate extcal.yaml -o s.yaml --force
expect_exit -q "merge -o one of its parts --force" 2 "is also an input" "$bin" merge one.h5 -o one.h5 --force
expect_exit -q "calibrate -o its scenario" 2 "is also an input" "$bin" calibrate cal.yaml -o s.yaml
expect_exit -q "calibrate -o its calibration file --force" 2 "is also an input" "$bin" calibrate cal.yaml -o cal.yaml --force
check "  the inputs are untouched" sh -c 'cmp -s s.yaml s.orig && cmp -s cal.yaml cal.orig'
"$bin" calibrate cal.yaml -o fitted.yaml >/dev/null 2>&1
expect_exit -q "calibrate -o an existing file" 2 "fitted.yaml exists; expected a new path, or --force" \
  "$bin" calibrate cal.yaml -o fitted.yaml
long=$(printf 'a%.0s' $(seq 240)).h5
expect_exit -q "sweep -o a name too long for its temporary names" 2 "output path too long" "$bin" run sw.yaml -o "$long"
check "  refused before any run (no .parts folder)" sh -c "! ls -d a*.parts >/dev/null 2>&1"
sed "s/^budget.*/patients: 900000000000/" cal.yaml > calbig.yaml
expect_exit -q "calibration population beyond memory" 2 "too large for memory" "$bin" calibrate calbig.yaml
mkdir victim && touch victim/keep.partial-1 && ln -s victim sl.h5.parts
expect_exit -q "a sweep whose FILE.parts is a symbolic link" 2 "sl.h5.parts is a symbolic link" "$bin" run sw.yaml -o sl.h5
check "  the link's target is untouched" [ -f victim/keep.partial-1 ]
touch f.h5.parts
expect_exit -q "a sweep whose FILE.parts is a file" 2 "f.h5.parts is not a directory" "$bin" run sw.yaml -o f.h5
mkdir -p own.h5.parts && echo keep > own.h5.parts/README.partial-2
quiet "$bin" run sw.yaml -o own.h5
check "a join deletes no file of the user's in FILE.parts" [ -f own.h5.parts/README.partial-2 ]
printf 'seed: 7\npatients: {count: 20000}\nproviders: {count: 1000}\nreplicates: 30\n' > slow.yaml
"$bin" run slow.yaml --summary-only -o busy.h5 >/dev/null 2>&1 &
first=$!
wait_until 20 "$first" test -e busy.h5.parts/.lock
expect_exit -q "a second process on the same sweep output" 2 "another rapport process is writing the sweep" \
  "$bin" run slow.yaml --summary-only -o busy.h5 --resume
wait "$first"
rc=$?
check "  the first one completes" test "$rc" = 0 -a -f busy.h5
check "  and leaves no folder" [ ! -e busy.h5.parts ]
sed 's/replicates: 30/replicates: 400/' slow.yaml > slower.yaml
"$bin" run slower.yaml --summary-only -o lay.h5 >/dev/null 2>&1 &
first=$!
wait_until 60 "$first" sh -c 'ls lay.h5.parts/batch-W*[0-9].h5 >/dev/null 2>&1'
kill -TERM "$first"
wait "$first"
expect_exit -q "--resume with another layout (--shard 0/2 on a whole sweep's folder)" 2 "written with another --shard N" \
  "$bin" run slower.yaml --summary-only --shard 0/2 -o lay.h5 --resume
check "  the same layout resumes" quiet "$bin" run slower.yaml --summary-only -o lay.h5 --resume
expect_exit -q "a sweep whose summaries exceed memory" 2 "their summaries need about" \
  "$bin" run s.yaml --set replicates=1000000000 --shard 3/1000000000 -o huge.h5
printf 'seed: 1\npatients: {count: 300}\nsweep: {streams: independent, grid: {discussion.policy: [never]}}\n' > ind.yaml
# the same double, each printed by Python (the JSON has 17 digits, repr the shortest)
"$bin" run ind.yaml --json | "$py" -c "import json, sys; print('\"dropout\": %r' % json.load(sys.stdin)['dropout'])" > ind1.txt
"$bin" run ind.yaml --set replicates=2 -o ind2.h5 >/dev/null
"$py" -c "import h5py; f = h5py.File('ind2.h5'); print('\"dropout\": %r' % float(f['summary/dropout'][0, 0]))" > ind2.txt
check "a one-point independent sweep runs its point's stream (replicate 0 of the same sweep)" cmp -s ind1.txt ind2.txt
printf 'scenario: sw.yaml\nfree:\n  dropout.base: {min: -10, max: -5, start: -8}\ntargets:\n  dropout: {value: 0.197, se: 0.01}\n' > calsw.yaml
printf 'sweep:\n  grid:\n    discussion.policy: [never, intake]\n' >> sw.yaml
expect_exit -q "calibrate of a sweep scenario" 2 "calibrate fits one scenario, not a sweep" "$bin" calibrate calsw.yaml
"$bin" run sw.yaml --shard 1/4 > shard.txt
check "a shard's table prints '-' for what it cannot estimate, never nan" sh -c '! grep -qi nan shard.txt && grep -q "1 of 3 replicates in this part" shard.txt'

"$bin" run sw.yaml --shard 1/2 -o second.h5 >/dev/null 2>&1
check "summary of a shard's part reads its first run (not run 0, which it lacks)" quiet "$bin" summary second.h5

# ---- the analysis report: its input first, its folder never a file ----
report=("$py" "$src/analysis/report")
expect_exit -q "report of a missing file" 2 "No such file" "${report[@]}" -q nothere.h5 -o rep1
check "  no report folder left" [ ! -e rep1 ]
expect_exit -q "report of a FIFO, answered at once" 2 "not a regular file" "${report[@]}" -q fifo.yaml -o rep2
expect_exit -q "report of a YAML file" 2 "s.yaml: cannot be read as HDF5" "${report[@]}" -q s.yaml -o rep3
expect_exit -q "report -o its own input" 2 "one.h5 exists and is not a directory" "${report[@]}" -q one.h5 -o one.h5
check "  the input is still a rapport file" quiet "$bin" summary one.h5
judge "no temporary file left" "$(ls ./*.partial-* 2>/dev/null)"
finish
