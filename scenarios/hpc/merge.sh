#!/bin/bash
# merge.sh - join the parts written by slurm-array.sh into one file.
#
# Submit it to start once every task of the array has succeeded:
#
#   jid=$(sbatch --parsable scenarios/hpc/slurm-array.sh)
#   sbatch --dependency=afterok:$jid scenarios/hpc/merge.sh
#
# (afterok on an array's job id waits for all its tasks; if any task fails, this
# job never starts: `squeue` shows it pending with reason DependencyNeverSatisfied,
# and `scancel` removes it. It also runs without Slurm: `bash scenarios/hpc/merge.sh`.)
#
# `rapport merge` checks the parts before it writes anything: all from the same
# sweep (the same scenario and options), every run present, none twice. If not, it
# prints one line saying which and exits 2; the parts are left as they are. The
# merged file holds the same bytes as one `rapport run SWEEP.yaml -o OUT.h5`
# (provenance such as times, host and command line aside). Merging is quick and
# single-threaded: it needs one CPU and about as much disk as the parts.
#
# What to edit: the #SBATCH lines (time, partition, account), the module line,
# or set in the environment (the same values as for slurm-array.sh):
#   RAPPORT   the rapport binary          (default: rapport on PATH, else ./build/rapport)
#   OUT_DIR   where the parts are         (default: results/sweep-discussion)
#   OUT       the merged file             (default: OUT_DIR/sweep.h5)
#   KEEP_PARTS=0  delete the parts after a successful merge (default 1: keep them)
#
#SBATCH --job-name=rapport-merge
#SBATCH --ntasks=1
#SBATCH --cpus-per-task=1
#SBATCH --time=00:15:00
#SBATCH --output=rapport-merge-%j.out
##SBATCH --partition=normal
##SBATCH --account=myproject

set -euo pipefail

# module load gsl hdf5 openmpi

RAPPORT=${RAPPORT:-$(command -v rapport || echo "${SLURM_SUBMIT_DIR:-.}/build/rapport")}
OUT_DIR=${OUT_DIR:-results/sweep-discussion}
OUT=${OUT:-$OUT_DIR/sweep.h5}
KEEP_PARTS=${KEEP_PARTS:-1}

# The parts in task order (part_2 before part_10); rapport does not need an
# order, but its messages are easier to read.
mapfile -t parts < <(find "$OUT_DIR" -maxdepth 1 -name 'part_*.h5' -printf '%f\n' | sort -t _ -k 2 -n)
if [ ${#parts[@]} -eq 0 ]; then
    echo "merge.sh: no part_*.h5 in $OUT_DIR" >&2
    exit 2
fi
paths=("${parts[@]/#/$OUT_DIR/}")
echo "merging ${#parts[@]} parts of $OUT_DIR into $OUT"
"$RAPPORT" merge "${paths[@]}" -o "$OUT"
if [ "$KEEP_PARTS" = 0 ]; then
    rm -f -- "${paths[@]}"
fi
