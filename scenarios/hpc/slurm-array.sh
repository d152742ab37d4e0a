#!/bin/bash
# slurm-array.sh - run a rapport sweep as a Slurm job array, one part per task.
#
# Submit it from the directory the relative paths below start from (Slurm runs
# the job there), then merge the parts once every task has succeeded:
#
#   jid=$(sbatch --parsable scenarios/hpc/slurm-array.sh)
#   sbatch --dependency=afterok:$jid scenarios/hpc/merge.sh
#
# How the runs are split: inside an array task, `rapport run` takes its share
# from Slurm itself - task I of an array of N tasks runs part I of N (it is
# `--shard I/N`, from SLURM_ARRAY_TASK_ID minus SLURM_ARRAY_TASK_MIN and
# SLURM_ARRAY_TASK_COUNT) and writes only those runs to its part file. So:
#   - The array must be one range from 0: --array=0-7, and a throttle is fine
#     (--array=0-63%8); no steps (0-14:2) and no lists (0,3,5), which this script
#     refuses (unless PARTS is set, see below). Keep N at most the number of runs
#     of the sweep
#     (`rapport show SWEEP.yaml | grep plan` prints it): a task left without runs
#     fails, and with it the merge that waits for every task.
#   - Every task must see the same scenario file and the same --set options:
#     parts of different sweeps are refused by `rapport merge`, as are missing
#     and duplicated parts.
#   - Results do not depend on N or on --threads: the merged file holds the same
#     bytes as one `rapport run SWEEP.yaml -o OUT.h5` on one machine.
#
# What to edit:
#   - the #SBATCH lines: the array size (how many parts), CPUs per task (the
#     OpenMP threads of each part), the wall time of one part, the partition or
#     account your site requires (uncomment and fill in), the log file pattern
#     (%A is the array's job id, %a the task id);
#   - the module line, to match how rapport was built on your cluster;
#   - or set RAPPORT, SCENARIO and OUT_DIR in the environment when submitting
#     (sbatch passes the environment on), e.g.
#       RAPPORT=$HOME/rapport/build/rapport SCENARIO=my-sweep.yaml OUT_DIR=$SCRATCH/my-sweep \
#         sbatch scenarios/hpc/slurm-array.sh
#
# Rerunning some parts: with PARTS=N in the environment, task I runs part I of N
# whatever the array, so the failed tasks 3 and 5 of an array of 8 are
#   PARTS=8 sbatch --array=3,5 scenarios/hpc/slurm-array.sh
# (never a plain --array=3,5: that would split the sweep in 2 parts, not 8).
#
# Time limit: a sweep larger than one --time completes over several allocations
# without a hand. --signal=B:USR1@300 has Slurm send SIGUSR1 to this script 5
# minutes before the limit (Slurm may send it up to a minute earlier than that);
# the script passes it on to rapport, which stops at the next safe point (the
# runs under way are abandoned, every finished one is kept in
# OUT_DIR/part_I.h5.parts/) and exits 75. The task then requeues itself
# (`scontrol requeue`), and its next allocation runs the same command: rapport
# always gets --resume here, so it redoes only the unfinished runs, and on a
# part that is already complete it says so and exits 0, touching nothing. Set
# the warning to more than the longest single run of your sweep takes, plus a
# minute. If the warning never comes (a node dies, the task is killed), the
# finished runs are still kept: resubmit the task (see PARTS above) and it
# resumes. Exit codes of a task: 0 done or requeued, 75 stopped but not
# requeued (resubmit it), anything else a failure (rapport's codes: `rapport
# help`).
#
#SBATCH --job-name=rapport-sweep
#SBATCH --array=0-7
#SBATCH --ntasks=1
#SBATCH --cpus-per-task=2
#SBATCH --time=00:30:00
#SBATCH --signal=B:USR1@300
#SBATCH --requeue
#SBATCH --open-mode=append
#SBATCH --output=rapport-sweep-%A_%a.out
##SBATCH --partition=normal
##SBATCH --account=myproject
##SBATCH --mem-per-cpu=2G

set -euo pipefail

# Load the libraries rapport was built with (names differ between sites;
# `module avail gsl` lists yours). For example:
# module load gsl hdf5 openmpi

RAPPORT=${RAPPORT:-$(command -v rapport || echo "${SLURM_SUBMIT_DIR:-.}/build/rapport")}
SCENARIO=${SCENARIO:-scenarios/sweep-discussion.yaml}
OUT_DIR=${OUT_DIR:-results/sweep-discussion}

if [ -z "${SLURM_ARRAY_TASK_ID:-}" ]; then
    echo "slurm-array.sh: not an array task; submit it with sbatch (it has #SBATCH --array)" >&2
    exit 2
fi
task=$SLURM_ARRAY_TASK_ID
options=(--threads "${SLURM_CPUS_PER_TASK:-1}")
if [ -n "${PARTS:-}" ]; then
    # Explicit: task I is part I of PARTS, whatever the rest of the array.
    if ! [ "$task" -lt "$PARTS" ] 2>/dev/null; then
        echo "slurm-array.sh: task $task is not a part of PARTS=$PARTS (0 to $((PARTS - 1)))" >&2
        exit 2
    fi
    options+=(--shard "$task/$PARTS")
    part="part $task of $PARTS"
else
    # rapport takes --shard I/N from SLURM_ARRAY_TASK_ID, _MIN and _COUNT.
    first=${SLURM_ARRAY_TASK_MIN:-0} last=${SLURM_ARRAY_TASK_MAX:-0} count=${SLURM_ARRAY_TASK_COUNT:-0}
    if [ "$first" != 0 ] || [ "${SLURM_ARRAY_TASK_STEP:-1}" != 1 ] || [ $((last + 1)) != "$count" ]; then
        echo "slurm-array.sh: the array must be one range from 0 without steps (e.g. --array=0-7)," \
            "not $count tasks from $first to $last, step ${SLURM_ARRAY_TASK_STEP:-1}; to rerun some" \
            "parts, set PARTS (see the comments at the top)" >&2
        exit 2
    fi
    part="part $task of $count"
fi

out=$OUT_DIR/part_$task.h5
options+=(--resume) # a new part, a requeued one, or one already complete (exit 0)

mkdir -p "$OUT_DIR"
echo "rapport array task $task ($part) on $(hostname), ${SLURM_CPUS_PER_TASK:-1} threads," \
    "start ${SLURM_RESTART_COUNT:-0}: $SCENARIO"
# launch COMMAND...: run it in the background, so that this shell, waiting for
# it, can take Slurm's SIGUSR1 and pass it on, and wait for its exit code (in
# rc); a SIGTERM (the time limit, scancel) reaches it from Slurm itself.
# (The same function is in mpirun.sh, on purpose: sbatch copies a batch script
# alone into its spool, so the two cannot source a shared file.)
launch() {
    "$@" &
    local pid=$! r signalled
    # shellcheck disable=SC2064 # the pid now
    trap "signalled=1; kill -USR1 $pid 2>/dev/null" USR1
    trap 'signalled=1' TERM
    rc=
    while :; do
        signalled=0 r=0
        wait "$pid" || r=$? # above 128 when a signal interrupted the wait: then wait again
        if [ $r -eq 127 ] && [ -n "$rc" ]; then break; fi
        rc=$r
        [ "$signalled" = 1 ] || break
    done
    trap - USR1 TERM
}
launch "$RAPPORT" run "$SCENARIO" -o "$out" "${options[@]}"
if [ "$rc" -eq 75 ]; then
    # this task, ARRAY_TASK (one task's job id can also be the array's, which
    # would requeue them all)
    job=${SLURM_ARRAY_JOB_ID:-}${SLURM_ARRAY_JOB_ID:+_$task}
    echo "rapport array task $task: stopped early, its finished runs kept; requeueing ${job:-?}"
    if [ -n "$job" ] && scontrol requeue "$job"; then
        exit 0 # the next allocation resumes it
    fi
    echo "slurm-array.sh: could not requeue; resubmit this task to resume it" >&2
fi
exit "$rc"
