#!/bin/bash
# mpirun.sh - run a rapport sweep as one MPI job that writes one file.
#
#   sbatch scenarios/hpc/mpirun.sh
#   CALIBRATION=scenarios/calibration-abc.yaml sbatch scenarios/hpc/mpirun.sh
#
# The runs of the sweep are spread over the MPI ranks (--ntasks), each rank using
# --cpus-per-task OpenMP threads, into one file OUT: the same bytes as one
# `rapport run SWEEP.yaml -o OUT.h5` on one machine (provenance such as times,
# host and command line aside), whatever the number of ranks and threads.
# Compared with slurm-array.sh: one job, no merge step, but all its tasks must be
# granted at once; an array of independent tasks usually starts sooner on a busy
# cluster. Use more ranks than runs and the extra ranks idle.
#
# rapport must be an MPI build (the default when CMake finds MPI at configure
# time: look for "rapport: MPI TRUE" in CMake's output) against the MPI library
# loaded below. A build without MPI does not split the runs: every rank would
# run the whole sweep (`ldd rapport | grep libmpi` shows which build you have).
#
# How the ranks are started, set LAUNCHER in the environment:
#   srun    (default in a Slurm job) Slurm starts the ranks itself. Open MPI
#           needs the PMI plugin it was built with: SRUN_MPI=pmix (default
#           here), or pmi2; `srun --mpi=list` shows what your Slurm has, and
#           many sites set it already (then SRUN_MPI= leaves the option out).
#   mpirun  the MPI library's own launcher; inside a Slurm job it reads the
#           allocation, so no -n is needed.
# Outside Slurm (`bash scenarios/hpc/mpirun.sh` on a workstation) it runs
# `mpirun -n RANKS` (default 2; add --oversubscribe to MPIRUN_FLAGS for more ranks
# than cores; as root Open MPI also wants OMPI_ALLOW_RUN_AS_ROOT=1 and
# OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1, which this script does not set for you).
#
# What to edit: the #SBATCH lines (ranks, threads per rank, time, partition,
# account, nodes), the module line, or set in the environment:
#   RAPPORT   the rapport binary     (default: rapport on PATH, else ./build/rapport)
#   SCENARIO  the sweep              (default: scenarios/sweep-discussion.yaml)
#   OUT_DIR   the output directory   (default: results/sweep-discussion)
#   OUT       the output file        (default: OUT_DIR/sweep-mpi.h5)
#   CALIBRATION  a calibration file to run instead of the sweep: `rapport
#             calibrate CALIBRATION --posterior OUT --resume` (method abc-smc:
#             each generation's particles over the ranks, a checkpoint in OUT
#             after each; OUT defaults to OUT_DIR/posterior.h5), the same
#             requeue on a time limit, continuing from the last generation
#
# Time limit: --signal=B:USR1@300 has Slurm send SIGUSR1 to this script 5
# minutes before the limit; it passes the signal on to the launcher, which
# passes it to every rank; rapport stops at the next safe point, keeps the runs
# it finished in OUT.parts/ and exits 75, and the job requeues itself
# (`scontrol requeue`). rapport always gets --resume here, so the next
# allocation redoes only the unfinished runs (and on a complete OUT says so and
# exits 0). If the warning never comes (a node dies), resubmit: it resumes.
#
#SBATCH --job-name=rapport-mpi
#SBATCH --ntasks=4
#SBATCH --cpus-per-task=2
#SBATCH --time=00:30:00
#SBATCH --signal=B:USR1@300
#SBATCH --requeue
#SBATCH --open-mode=append
#SBATCH --output=rapport-mpi-%j.out
##SBATCH --nodes=2
##SBATCH --partition=normal
##SBATCH --account=myproject

set -euo pipefail

# Load the libraries rapport was built with, the same MPI first of all. For example:
# module load gsl hdf5 openmpi

RAPPORT=${RAPPORT:-$(command -v rapport || echo "${SLURM_SUBMIT_DIR:-.}/build/rapport")}
SCENARIO=${SCENARIO:-scenarios/sweep-discussion.yaml}
OUT_DIR=${OUT_DIR:-results/sweep-discussion}
threads=${SLURM_CPUS_PER_TASK:-${OMP_NUM_THREADS:-1}}

# --resume: a new sweep (or calibration), a requeued one, or one already complete (exit 0)
if [ -n "${CALIBRATION:-}" ]; then
    OUT=${OUT:-$OUT_DIR/posterior.h5}
    SCENARIO=$CALIBRATION # for the messages below
    cmd=("$RAPPORT" calibrate "$CALIBRATION" --posterior "$OUT" --threads "$threads" --resume)
    kept="its last complete generation kept in $OUT"
else
    OUT=${OUT:-$OUT_DIR/sweep-mpi.h5}
    cmd=("$RAPPORT" run "$SCENARIO" -o "$OUT" --threads "$threads" --resume)
    kept="its finished runs kept in $OUT.parts"
fi

# launch COMMAND...: run it in the background, pass this shell's SIGUSR1 on to
# it, and wait for its exit code (in rc); a SIGTERM reaches it from Slurm.
# (The same function is in slurm-array.sh, on purpose: sbatch copies a batch script
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

mkdir -p "$OUT_DIR" "$(dirname "$OUT")"
if [ -n "${SLURM_JOB_ID:-}" ]; then
    # A job array task would also shard the runs from SLURM_ARRAY_TASK_*; this is
    # one job, so do not let it.
    unset SLURM_ARRAY_TASK_ID SLURM_ARRAY_TASK_COUNT SLURM_ARRAY_TASK_MIN
    case ${LAUNCHER:-srun} in
    srun)
        echo "rapport: srun, ${SLURM_NTASKS:-1} ranks x $threads threads: $SCENARIO -> $OUT"
        srun_opts=()
        if [ -z "${SRUN_MPI+set}" ]; then
            srun_opts+=(--mpi=pmix)
        elif [ -n "$SRUN_MPI" ]; then
            srun_opts+=("--mpi=$SRUN_MPI")
        fi
        # Slurm 22.05 to 23.02 do not pass the job's --cpus-per-task on to srun.
        launch srun "${srun_opts[@]}" --cpus-per-task="$threads" "${cmd[@]}"
        ;;
    mpirun)
        echo "rapport: mpirun, ${SLURM_NTASKS:-1} ranks x $threads threads: $SCENARIO -> $OUT"
        # shellcheck disable=SC2086 # MPIRUN_FLAGS is a list of options
        launch mpirun ${MPIRUN_FLAGS:-} "${cmd[@]}"
        ;;
    *)
        echo "mpirun.sh: LAUNCHER is srun or mpirun, not '$LAUNCHER'" >&2
        exit 2
        ;;
    esac
else
    ranks=${RANKS:-2}
    echo "rapport: no Slurm job; mpirun -n $ranks, $threads threads each: $SCENARIO -> $OUT"
    # shellcheck disable=SC2086
    launch mpirun -n "$ranks" ${MPIRUN_FLAGS:-} "${cmd[@]}"
fi
if [ "$rc" -eq 75 ]; then
    echo "rapport: stopped early, $kept; requeueing job ${SLURM_JOB_ID:-?}"
    if [ -n "${SLURM_JOB_ID:-}" ] && scontrol requeue "$SLURM_JOB_ID"; then
        exit 0 # the next allocation resumes it
    fi
    echo "mpirun.sh: could not requeue; run it again to resume" >&2
    exit 75
fi
[ "$rc" -eq 0 ] || exit "$rc"
# A launcher can fail to start the ranks and still exit 0 (srun does, when a
# step is aborted before it launched): the file is the proof.
if ! [ -f "$OUT" ]; then
    echo "mpirun.sh: $OUT was not written: the ranks did not run (see the messages above)" >&2
    exit 1
fi
