#!/usr/bin/env bash
# slurm_cluster.sh RAPPORT_BIN SRC_DIR - the example batch scripts of
# scenarios/hpc/ on a real one-node Slurm cluster, started by this test.
#
# In a temporary directory: a munge daemon with its own key and socket, then
# slurmctld and slurmd in the foreground (in this script's background, their
# PIDs kept), configured by a slurm.conf of their own (their own ports, state,
# spool and logs), until `sinfo` says the node is idle (at most 30 s). Then:
#   - `sbatch --wait --array=0-2` of scenarios/hpc/slurm-array.sh on a copy of
#     scenarios/sweep-discussion.yaml writes 3 parts, and scenarios/hpc/merge.sh
#     (through sbatch --dependency=afterok:ARRAY) joins them: the merged file
#     must hold exactly what one process writes (`rapport run SWEEP -o
#     single.h5`), compared by tests/h5_same.py (root attributes of provenance
#     aside); a merge without one part is refused (exit 2, one line); the
#     script refuses arrays with steps, reruns one part alone with PARTS=3
#     (the same bytes) and leaves a finished part alone (it always resumes);
#   - stopped early and requeued (issue 17): an array of 2 tasks on a longer
#     sweep, each task sent SIGUSR1 mid-sweep with `scancel --signal=USR1
#     --batch` (what `#SBATCH --signal=B:USR1@N` does before the time limit):
#     the script passes it to rapport, which exits 75 with its finished runs
#     kept, the task requeues itself (`scontrol requeue`), its next start
#     resumes, and the merged parts equal a one-process run of that sweep;
#   - scenarios/hpc/mpirun.sh through `sbatch --wait --ntasks=2`, with srun and
#     with mpirun as the launcher: the file again equals single.h5. Where MPI
#     does not start under Slurm here, the script runs outside Slurm with
#     `mpirun -n 2` instead, and the output says so;
#   - where srun started them, an ABC-SMC calibration through the same
#     script (CALIBRATION=abc.yaml, sbatch --ntasks=2, srun --mpi=pmix)
#     writes the posterior file of one process (tests/calibrate_mpi.py has
#     the rest).
# The daemons are stopped by their PIDs (and the test's jobs cancelled by
# their ids) on exit, and the directory removed.
#
# One PASS/FAIL line per check, then "N passed, N failed"; exit 1 on any
# failure. Exit 77 (skipped) when Slurm cannot run here: not root, a missing
# program (Debian: slurm-wlm munge openmpi-bin python3-h5py), or daemons that
# do not come up (their log tails are printed).
set -u
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
t_start=$(date +%s.%N)

[ "$(id -u)" -eq 0 ] || skip_test "slurmd must run as root (this is uid $(id -u))"
for c in munged slurmctld slurmd sbatch sinfo squeue scancel; do
    command -v "$c" >/dev/null || skip_test "$c not found (Debian: slurm-wlm munge)"
done
need_py 'h5py, numpy' "Debian: python3-h5py"
bin=$(realpath "$bin") || exit 1
src=$(realpath "$src") || exit 1
hpc=$src/scenarios/hpc
same=("$py" "$tests_dir/h5_same.py")

# This test is its own cluster: no variable of a surrounding Slurm job (an array
# task would shard rapport's runs, SLURM_JOB_ID would steer srun) reaches it.
while IFS= read -r v; do unset "$v"; done < <(compgen -e | grep '^SLURM_')

make_tmp
chmod 755 "$tmp" # munge wants its socket reachable; Slurm's job steps read the spool
mkdir -p "$tmp/state" "$tmp/spool" "$tmp/log" "$tmp/jobs" "$tmp/out"
pid_munged='' pid_ctld='' pid_d=''

# shellcheck disable=SC2317 # stop, queue_empty and stop_cluster run on exit
stop() { # stop PID NAME: SIGTERM, up to 10 s, then SIGKILL
    [ -n "$1" ] || return 0
    kill -TERM "$1" 2>/dev/null || return 0
    wait_job "$1" 10 || echo "note: $2 (pid $1) ignored SIGTERM; killed it"
}

# shellcheck disable=SC2317
queue_empty() { [ -z "$(squeue -h 2>/dev/null)" ]; }

# shellcheck disable=SC2317
stop_cluster() {
    # Jobs still queued or running (after a timeout): every job of this
    # private cluster is the test's; cancel them by id, so that no job step
    # outlives the daemons.
    local ids
    if [ -n "$pid_ctld" ] && kill -0 "$pid_ctld" 2>/dev/null; then
        ids=$(squeue -h -o %i 2>/dev/null) # 12, or 10_2 for a task of an array
        if [ -n "$ids" ]; then
            # shellcheck disable=SC2086 # a list of job ids
            scancel $ids 2>/dev/null
            wait_until 10 "" queue_empty
        fi
    fi
    stop "$pid_d" slurmd
    stop "$pid_ctld" slurmctld
    stop "$pid_munged" munged
}
at_exit stop_cluster
trap 'exit 130' INT TERM

tails() { # the last lines of each daemon log, to show what failed
    local f
    for f in "$tmp"/log/*; do
        [ -s "$f" ] || continue
        echo "---- ${f#"$tmp"/}"
        tail -n 15 "$f"
    done
}
job_logs() { # the job logs matching a pattern (their start and end), to show what failed
    local f
    for f in "$tmp"/jobs/$1; do
        [ -s "$f" ] || continue
        echo "---- ${f#"$tmp"/}"
        if [ "$(wc -l <"$f")" -le 12 ]; then
            cat "$f"
        else
            head -n 4 "$f"
            echo "[...]"
            tail -n 8 "$f"
        fi
    done
}
free_port() {
    "$py" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
ignore=command_line,start_time,end_time,threads,part,host

# ---- the reference: one process ----
cp "$src/scenarios/sweep-discussion.yaml" "$tmp/sweep.yaml"
cp "$src/scenarios/baseline.yaml" "$tmp/baseline.yaml" # what sweep.yaml extends
export RAPPORT=$bin SCENARIO=$tmp/sweep.yaml OUT_DIR=$tmp/out
t=$(date +%s.%N)
if "$bin" run "$SCENARIO" -o "$tmp/single.h5" --threads 2 >"$tmp/single.txt" 2>"$tmp/single.err"; then
    report ok "one process: rapport run sweep-discussion.yaml -o single.h5 ($(since "$t") s)"
else
    report fail "one process: rapport run sweep-discussion.yaml -o single.h5" "exit $?: $(head -c 400 "$tmp/single.err")"
    finish
fi

# The array script refuses an array with steps (a fake task, no Slurm needed).
SLURM_ARRAY_TASK_ID=2 SLURM_ARRAY_TASK_MIN=0 SLURM_ARRAY_TASK_MAX=4 SLURM_ARRAY_TASK_STEP=2 \
    SLURM_ARRAY_TASK_COUNT=3 OUT_DIR=$tmp/stepped bash "$hpc/slurm-array.sh" >"$tmp/stepped.out" 2>&1
rc=$?
if [ $rc -eq 2 ] && [ ! -e "$tmp/stepped/part_2.h5" ] && grep -q 'one range from 0 without steps' "$tmp/stepped.out"; then
    report ok "slurm-array.sh refuses an array with steps (--array=0-4:2), before running"
else
    report fail "slurm-array.sh refuses an array with steps" "exit $rc: $(head -c 300 "$tmp/stepped.out")"
fi

# ---- the cluster ----
host=$(hostname -s)
if ! ctld_port=$(free_port) || ! d_port=$(free_port); then
    skip_test "no free TCP port on 127.0.0.1"
fi
while [ "$d_port" = "$ctld_port" ]; do d_port=$(free_port); done
export SLURM_CONF=$tmp/slurm.conf
cat >"$SLURM_CONF" <<EOF
# A one-node cluster of the test slurm_cluster.sh (scenarios/hpc/ examples).
ClusterName=rapporttest
# Job ids of their own: two such clusters on one host (two test runs at once)
# must not both run a step 6.0, which srun's PMIx plugin would mix up.
FirstJobId=$((1000 + RANDOM * 1000 + RANDOM % 1000))
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$d_port
SlurmUser=root
AuthType=auth/munge
CredType=cred/munge
# cred_expire: also how long a requeued job waits to start again (default 120 s)
AuthInfo=socket=$tmp/munge.socket,cred_expire=10
StateSaveLocation=$tmp/state
SlurmdSpoolDir=$tmp/spool
SlurmctldPidFile=$tmp/slurmctld.pid
SlurmdPidFile=$tmp/slurmd.pid
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
MailProg=/bin/true
ReturnToService=2
NodeName=$host NodeAddr=127.0.0.1 CPUs=$(nproc)
PartitionName=debug Nodes=ALL Default=YES State=UP MaxTime=INFINITE
EOF

t=$(date +%s.%N)
# Its own key: the test needs nothing of the machine's munge setup.
head -c 1024 /dev/urandom >"$tmp/munge.key" && chmod 600 "$tmp/munge.key"
munged -F --force --socket="$tmp/munge.socket" --key-file="$tmp/munge.key" --pid-file="$tmp/munged.pid" \
    --log-file="$tmp/log/munged.file.log" --seed-file="$tmp/munged.seed" >"$tmp/log/munged.log" 2>&1 &
pid_munged=$!
wait_until 10 "$pid_munged" test -S "$tmp/munge.socket"
if ! [ -S "$tmp/munge.socket" ]; then
    echo "munged did not create its socket within 10 s:"
    tails
    skip_test "munged does not start here"
fi
slurmctld -D -f "$SLURM_CONF" >"$tmp/log/slurmctld.log" 2>&1 &
pid_ctld=$!
slurmd -D -f "$SLURM_CONF" >"$tmp/log/slurmd.log" 2>&1 &
pid_d=$!
# shellcheck disable=SC2317 # called by wait_until
node_idle() {
    state=$(timeout 10 sinfo -h -o %T 2>/dev/null | head -1)
    [ "$state" = idle ]
}
state=
wait_until 30 "$pid_ctld $pid_d" node_idle
if [ "$state" != idle ]; then
    alive=
    kill -0 "$pid_ctld" 2>/dev/null || alive="$alive slurmctld exited;"
    kill -0 "$pid_d" 2>/dev/null || alive="$alive slurmd exited;"
    echo "the node is not idle after $(since "$t") s (sinfo: '${state:-no answer}');$alive daemon logs:"
    tails
    skip_test "Slurm does not start here"
fi
echo "note: munged, slurmctld and slurmd up, node idle in $(since "$t") s (ports $ctld_port, $d_port, $(nproc) CPUs)"

# batch NAME TIMEOUT SBATCH-ARGS...: sbatch --wait --parsable, at most TIMEOUT
# seconds; the job id goes to $tmp/NAME.id, sbatch's messages to $tmp/NAME.err.
# Its exit status is sbatch's: the job's exit code (an array's highest), or 124
# on timeout. (sbatch --wait polls after 2 s, then 8 s later, then every 32 s.)
batch() {
    local name=$1 limit=$2
    shift 2
    timeout "$limit" sbatch --wait --parsable "$@" >"$tmp/$name.id" 2>"$tmp/$name.err"
}
job_id() { cut -d';' -f1 "$tmp/$1.id" 2>/dev/null | head -1; }
# why NAME: what went wrong with a job, for a FAIL line.
why() {
    local id
    id=$(job_id "$1")
    local said
    said=$(grep -v '^Submitted' "$tmp/$1.err" 2>/dev/null | head -c 300)
    printf 'job %s%s' "${id:-not submitted}" "${said:+; sbatch: $said}"
    if [ -n "$id" ]; then
        printf '; %s' "$(scontrol -o show job "$id" 2>/dev/null | awk '{
            delete v
            for (i = 1; i <= NF; i++) { k = $i; sub(/=.*/, "", k); v[k] = substr($i, length(k) + 2) }
            task = ("ArrayTaskId" in v) ? " task " v["ArrayTaskId"] : ""
            printf "%s%s %s (%s) exit %s; ", v["JobId"], task, v["JobState"], v["Reason"], v["ExitCode"] }')"
    fi
}

# ---- a job array, then the merge job ----
# (the scripts' --signal=B:USR1@300 would warn a job of 5 minutes at once)
common=(--chdir="$tmp" --cpus-per-task=1 --time=5 --signal=B:USR1@60)
t=$(date +%s.%N)
if batch array 60 "${common[@]}" --array=0-2 --output="$tmp/jobs/array-%A_%a.out" "$hpc/slurm-array.sh"; then
    report ok "sbatch --wait --array=0-2 slurm-array.sh: exit 0 ($(since "$t") s)"
else
    report fail "sbatch --wait --array=0-2 slurm-array.sh" "exit $?: $(why array)"
    job_logs 'array-*'
fi
parts=$(cd "$tmp/out" && find . -maxdepth 1 -name 'part_*.h5' | sort | tr '\n' ' ')
if [ "$parts" = "./part_0.h5 ./part_1.h5 ./part_2.h5 " ]; then
    bad=
    for i in 0 1 2; do
        got=$("$py" -c 'import h5py, sys; print(h5py.File(sys.argv[1]).attrs["part"])' "$tmp/out/part_$i.h5" 2>&1)
        [ "$got" = "shard $((i + 1)) of 3" ] || bad="$bad part_$i.h5: part '$got';"
    done
    if [ -z "$bad" ]; then
        report ok "the array wrote part_0.h5 part_1.h5 part_2.h5, shards 1, 2 and 3 of 3"
    else
        report fail "the array's parts are shards 1, 2 and 3 of 3" "$bad"
    fi
else
    report fail "the array wrote part_0.h5 part_1.h5 part_2.h5" "found: '$parts'"
fi

# Rerunning one part as the script's comments say (PARTS=3 sbatch --array=1),
# here as that task outside Slurm: the same part again; then the script, which
# always resumes, leaves a part that is there alone.
if [ -f "$tmp/out/part_1.h5" ]; then
    SLURM_ARRAY_TASK_ID=1 SLURM_ARRAY_TASK_MIN=1 SLURM_ARRAY_TASK_MAX=1 SLURM_ARRAY_TASK_COUNT=1 PARTS=3 \
        OUT_DIR=$tmp/rerun bash "$hpc/slurm-array.sh" >"$tmp/rerun.out" 2>&1
    rc=$?
    if [ $rc -eq 0 ] && diff=$("${same[@]}" "$tmp/out/part_1.h5" "$tmp/rerun/part_1.h5" --ignore-attrs "$ignore" 2>&1); then
        report ok "PARTS=3, task 1 of an array of 1 (a rerun of one part): the same part_1.h5"
    else
        report fail "PARTS=3, task 1 of an array of 1 (a rerun of one part): the same part_1.h5" \
            "exit $rc: $(tail -n 3 "$tmp/rerun.out")$(printf '\n%s' "${diff:-}")"
    fi
    before=$(stat -c %Y.%i "$tmp/out/part_1.h5")
    SLURM_ARRAY_TASK_ID=1 SLURM_ARRAY_TASK_MIN=0 SLURM_ARRAY_TASK_MAX=2 SLURM_ARRAY_TASK_COUNT=3 \
        bash "$hpc/slurm-array.sh" >"$tmp/resume.out" 2>&1
    rc=$?
    if [ $rc -eq 0 ] && grep -q 'is complete.*nothing to resume' "$tmp/resume.out" &&
        [ "$(stat -c %Y.%i "$tmp/out/part_1.h5")" = "$before" ]; then
        report ok "slurm-array.sh again with part_1.h5 already written: exit 0, the part untouched"
    else
        report fail "slurm-array.sh again with part_1.h5 already written" "exit $rc: $(tail -n 3 "$tmp/resume.out")"
    fi
fi

# A part missing: refused, one line, exit 2, no file.
"$bin" merge "$tmp/out/part_0.h5" "$tmp/out/part_2.h5" -o "$tmp/incomplete.h5" >/dev/null 2>"$tmp/incomplete.err"
rc=$?
if [ $rc -eq 2 ] && one_line "$tmp/incomplete.err" && ! [ -e "$tmp/incomplete.h5" ]; then
    report ok "rapport merge without part_1.h5: exit 2, one line, no file ($(cat "$tmp/incomplete.err"))"
else
    report fail "rapport merge without part_1.h5 is refused" "exit $rc: $(head -c 300 "$tmp/incomplete.err")"
fi

array=$(job_id array)
t=$(date +%s.%N)
if [ -z "$array" ] || [ "$parts" != "./part_0.h5 ./part_1.h5 ./part_2.h5 " ]; then
    # afterok would never be satisfied: the merge job would wait forever.
    report fail "sbatch --dependency=afterok:ARRAY merge.sh" "not submitted: the array job failed"
elif batch merge 30 "${common[@]}" --dependency=afterok:"$array" --output="$tmp/jobs/merge-%j.out" \
    "$hpc/merge.sh" && [ -f "$tmp/out/sweep.h5" ]; then
    report ok "sbatch --wait --dependency=afterok:$array merge.sh: out/sweep.h5 ($(since "$t") s)"
else
    report fail "sbatch --wait --dependency=afterok:$array merge.sh" "exit $?: $(why merge)"
    job_logs 'merge-*'
fi
if [ -f "$tmp/out/sweep.h5" ]; then
    # A merged file comes from no one scenario path: its scenario_path is
    # empty (docs/FORMAT.md lets it differ).
    if diff=$("${same[@]}" "$tmp/single.h5" "$tmp/out/sweep.h5" --ignore-attrs "$ignore,scenario_path" 2>&1); then
        report ok "merged parts of the array == single.h5 (every dataset and attribute)"
    else
        report fail "merged parts of the array == single.h5" "$(printf '\n%s' "$diff")"
    fi
else
    report fail "merged parts of the array == single.h5" "no merged file"
fi

# ---- stopped early, requeued, resumed ----
# A longer sweep: 64 runs of 200000 pairs, no trajectories (some 7 s a task
# on one CPU with the fast engine).
cat >"$tmp/long.yaml" <<'EOF'
extends: sweep.yaml
replicates: 16
patients: {count: 200000}
providers: {count: 10000}
output: {variables: none, pairs: false}
EOF
# task_state ID: the job's state, restarts and exit code (empty once forgotten).
task_state() {
    scontrol -o show job "$1" 2>/dev/null |
        awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^(JobState|Restarts|ExitCode)=/) printf "%s ", $i }'
}
# shellcheck disable=SC2317 # called by wait_until
requeue_done() { [ -z "$(squeue -h -j "$requeue" 2>/dev/null)" ]; }
# shellcheck disable=SC2317
started() { [ -d "$tmp/requeue/part_$1.h5.parts" ] && grep -q 'start 0' "$tmp/jobs/requeue-${requeue}_$1.out" 2>/dev/null; }
t=$(date +%s.%N)
if ! "$bin" run "$tmp/long.yaml" -o "$tmp/long-single.h5" --threads 2 >/dev/null 2>"$tmp/long-single.err"; then
    report fail "one process: the longer sweep" "$(head -c 300 "$tmp/long-single.err")"
elif ! requeue=$(SCENARIO=$tmp/long.yaml OUT_DIR=$tmp/requeue sbatch --parsable "${common[@]}" --array=0-1 \
    --output="$tmp/jobs/requeue-%A_%a.out" "$hpc/slurm-array.sh" 2>"$tmp/requeue.err"); then
    report fail "sbatch --array=0-1 slurm-array.sh (the longer sweep)" "$(head -c 300 "$tmp/requeue.err")"
else
    requeue=${requeue%%;*}
    signalled=
    # Both tasks run at once: wait until both have started, then signal both
    # (one at a time, the second could finish while the first is awaited).
    wait_until 60 "" started 0 && wait_until 60 "" started 1
    sleep 1 # mid-sweep: some runs finished, most not
    for i in 0 1; do
        started "$i" && scancel --signal=USR1 --batch "${requeue}_$i" 2>>"$tmp/requeue.err" && signalled="$signalled $i"
    done
    wait_until 120 "" requeue_done
    problems=
    for i in 0 1; do
        log=$tmp/jobs/requeue-${requeue}_$i.out
        state=$(task_state "${requeue}_$i")
        case " $signalled " in *" $i "*) ;; *) problems="$problems task $i was not signalled (never seen running);" ;; esac
        grep -q 'stopped early by SIGUSR1: [0-9]* of this part' "$log" 2>/dev/null ||
            problems="$problems task $i: no 'stopped early by SIGUSR1' line;"
        grep -q "requeueing ${requeue}_$i" "$log" 2>/dev/null || problems="$problems task $i did not requeue itself;"
        grep -q 'start 1' "$log" 2>/dev/null || problems="$problems task $i did not start again;"
        case $state in
        *JobState=COMPLETED*Restarts=[1-9]*ExitCode=0:0*) ;;
        *) problems="$problems task $i: ${state:-no state};" ;;
        esac
        [ -f "$tmp/requeue/part_$i.h5" ] || problems="$problems no part_$i.h5;"
        [ ! -e "$tmp/requeue/part_$i.h5.parts" ] || problems="$problems part_$i.h5.parts left;"
    done
    kept=$(grep -ho 'SIGUSR1: [0-9]* of this part.s [0-9]* runs' "$tmp"/jobs/requeue-*.out 2>/dev/null |
        sed 's/SIGUSR1: //; s/ of this part.s / of /; s/ runs//' | paste -sd, | sed 's/,/, /g')
    judge "SIGUSR1 mid-sweep to each of 2 array tasks: exit 75 (runs kept: $kept), requeued by themselves, resumed, completed ($(since "$t") s)" \
        "$problems${problems:+ $(job_logs "requeue-*")}"
    if [ -f "$tmp/requeue/part_0.h5" ] && [ -f "$tmp/requeue/part_1.h5" ]; then
        if "$bin" merge "$tmp/requeue/part_0.h5" "$tmp/requeue/part_1.h5" -o "$tmp/requeue.h5" >/dev/null \
            2>"$tmp/requeue-merge.err" &&
            diff=$("${same[@]}" "$tmp/long-single.h5" "$tmp/requeue.h5" --ignore-attrs "$ignore,scenario_path" 2>&1); then
            report ok "the requeued and resumed parts merged == the one-process run of the longer sweep"
        else
            report fail "the requeued and resumed parts merged == the one-process run" \
                "$(head -c 300 "$tmp/requeue-merge.err")$(printf '\n%s' "${diff:-}")"
        fi
    fi
fi

# ---- MPI: mpirun.sh through sbatch, with srun and with mpirun ----
# compare_mpi FILE WHAT SECONDS
compare_mpi() {
    local diff
    if diff=$("${same[@]}" "$tmp/single.h5" "$1" --ignore-attrs "$ignore" 2>&1); then
        report ok "$2: file == single.h5 ($3 s)"
    else
        report fail "$2: file == single.h5" "$(printf '\n%s' "$diff")"
    fi
}
srun_worked=0
if ! command -v mpirun >/dev/null; then
    report skip "MPI" "mpirun not found (Debian: openmpi-bin)"
elif ! ldd "$bin" 2>/dev/null | grep -q 'libmpi'; then
    report skip "MPI" "$bin is not an MPI build (no libmpi in ldd); configure with MPI to test mpirun.sh"
else
    export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 # root here; see mpirun.sh
    worked=0
    if [ "$(nproc)" -lt 2 ]; then
        echo "note: $(nproc) CPU: 2 MPI tasks do not fit this node"
    else
        # Both jobs at once (they run one after the other on 2 CPUs): one wait.
        t=$(date +%s.%N)
        declare -A waiter
        for launcher in srun mpirun; do
            LAUNCHER=$launcher OUT=$tmp/out/mpi-$launcher.h5 batch "mpi-$launcher" 60 "${common[@]}" \
                --ntasks=2 --output="$tmp/jobs/mpi-$launcher-%j.out" "$hpc/mpirun.sh" &
            waiter[$launcher]=$!
        done
        for launcher in srun mpirun; do
            wait "${waiter[$launcher]}"
            rc=$?
            out=$tmp/out/mpi-$launcher.h5
            if [ $rc -eq 0 ] && [ -f "$out" ]; then
                worked=$((worked + 1))
                [ "$launcher" = srun ] && srun_worked=1
                compare_mpi "$out" "sbatch --wait --ntasks=2 mpirun.sh (LAUNCHER=$launcher)" "$(since "$t")"
            else
                echo "note: MPI under Slurm with LAUNCHER=$launcher did not work here (exit $rc): $(why "mpi-$launcher")"
                job_logs "mpi-$launcher-*"
            fi
        done
    fi
    if [ "$worked" -eq 0 ]; then
        # Outside Slurm: mpirun.sh runs mpirun -n 2 itself.
        echo "note: running mpirun.sh outside Slurm (bash, mpirun -n 2) instead"
        t=$(date +%s.%N)
        out=$tmp/out/mpi-bash.h5
        if OUT=$out RANKS=2 bash "$hpc/mpirun.sh" >"$tmp/jobs/mpi-bash.out" 2>&1 && [ -f "$out" ]; then
            compare_mpi "$out" "bash mpirun.sh outside Slurm (mpirun -n 2)" "$(since "$t")"
        else
            report fail "bash mpirun.sh outside Slurm (mpirun -n 2)" "$(tail -n 15 "$tmp/jobs/mpi-bash.out")"
        fi
    fi
fi

# ---- an ABC-SMC calibration: mpirun.sh with CALIBRATION, 2 tasks started by srun ----
# (tests/calibrate_mpi.py tests it under mpirun at length; here, that the
# script and Slurm's own launcher run the ranks of a calibration too, to one
# process's posterior file)
if [ "$srun_worked" -eq 1 ]; then
    sed -e 's/particles: 500/particles: 100/' -e 's/tolerance: 0.5/tolerance: 1/' \
        -e "s#scenario: constant-hazard.yaml#scenario: $src/tests/abc/constant-hazard.yaml#" \
        "$src/tests/abc/known-posterior.yaml" >"$tmp/abc.yaml"
    t=$(date +%s.%N)
    out=$tmp/out/abc-srun.h5
    if ! "$bin" calibrate "$tmp/abc.yaml" --threads 1 --posterior "$tmp/abc-single.h5" >/dev/null 2>"$tmp/abc.err"; then
        report fail "an ABC-SMC calibration in one process" "$(head -c 300 "$tmp/abc.err")"
    elif CALIBRATION=$tmp/abc.yaml OUT=$out LAUNCHER=srun batch abc-srun 60 "${common[@]}" --ntasks=2 \
        --output="$tmp/jobs/abc-srun-%j.out" "$hpc/mpirun.sh" && [ -f "$out" ]; then
        if diff=$("${same[@]}" "$tmp/abc-single.h5" "$out" \
            --ignore-attrs threads,ranks,command_line,write_time,seconds,host 2>&1) &&
            [ "$("$py" -c 'import h5py, sys; print(h5py.File(sys.argv[1]).attrs["ranks"])' "$out")" = 2 ]; then
            report ok "CALIBRATION=abc.yaml sbatch --ntasks=2 mpirun.sh (srun): the posterior of one process, ranks = 2 ($(since "$t") s)"
        else
            report fail "CALIBRATION=abc.yaml mpirun.sh (srun): the posterior of one process" "$(printf '\n%s' "$diff")"
        fi
    else
        report fail "CALIBRATION=abc.yaml sbatch --ntasks=2 mpirun.sh (srun)" "$(why abc-srun)"
        job_logs 'abc-srun-*'
    fi
else
    report skip "CALIBRATION=abc.yaml mpirun.sh (srun)" "srun did not start MPI ranks here (see the notes above)"
fi

echo "note: $(since "$t_start") s in all"
finish
