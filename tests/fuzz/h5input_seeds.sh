#!/usr/bin/env bash
# The seeds of fuzz_h5input (tests/fuzz/corpus/h5input/): small real output
# files of 20 patients. A file as rapport writes it is at least ~430 KB
# however few its rows (its ~110 chunked datasets carry a v1 B-tree node of
# ~2 KB each, and uncompressed chunks are stored whole: 10 MB), so two seeds
# are rapport's own deflated files and the others the same kinds of file
# repacked by h5repack as contiguous, uncompressed datasets (~100 KB): valid
# files a reader must take, whose values random bytes can reach.
# Usage: tests/fuzz/h5input_seeds.sh RAPPORT_BIN
set -euo pipefail
bin=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
out=$(cd "$(dirname "$0")" && pwd)/corpus/h5input
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
base='seed: 3
patients: {count: 20}
providers: {count: 4}
'
printf '%soutput: {every: 13, compression: deflate}\n' "$base" >run.yaml
printf '%sreplicates: 2\nsweep: {grid: {horizon: [13, 26]}}\noutput: {every: 13, variables: [A, D], compression: deflate}\n' \
    "$base" >sweep.yaml
printf '%soutput: {every: 13, sample: 0.5, variables: [A, S, rupture], compression: deflate}\n' "$base" >sample.yaml
printf '%soutput: {variables: none, compression: deflate}\n' "$base" >none.yaml
"$bin" run run.yaml -o run.h5 >/dev/null
"$bin" run sweep.yaml --shard 0/2 -o shard.h5 >/dev/null
"$bin" run sweep.yaml -o sweep.h5 >/dev/null
"$bin" run sample.yaml -o sample.h5 >/dev/null
"$bin" run none.yaml -o none.h5 >/dev/null
"$bin" run run.yaml --summary-only -o summary-only.h5 >/dev/null
cp run.h5 shard.h5 "$out/"
for f in run sweep sample none summary-only; do
    h5repack -L -l CONTI "$f.h5" "$out/$f-contiguous.h5"
done
ls -l "$out"
