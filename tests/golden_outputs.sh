#!/usr/bin/env bash
# golden_outputs.sh RAPPORT_BIN SRC_DIR - every output and message is what it was.
#
# scripts/golden.sh runs every scenario of scenarios/ and tests/golden/ (show,
# run as text, JSON and HDF5, summary, shards merged, summary-only), a tiny
# calibration, and every case of tests/invalid/ and tests/invalid_calibration/;
# the SHA-256 of each resulting file must equal the one stored in
# tests/golden/SHA256SUMS (HDF5 files by their content, provenance left out).
# A refactoring must leave them all alone; a change of the model or of a
# message changes them on purpose, and the commit that does so regenerates the
# sums (see scripts/golden.sh) and says which outputs changed and why.
# Registered only for a Release build by GCC without sanitizers: the sums pin
# the bits of one compiler's arithmetic.
set -u
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
make_tmp
[ -x "$bin" ] || skip_test "no rapport binary at $bin"
need_py "h5py, numpy" "python3-h5py"

sums=$src/tests/golden/SHA256SUMS
if ! bash "$src/scripts/golden.sh" "$bin" "$tmp/out" 2>"$tmp/err"; then
    report fail "golden.sh runs" "$(head -c 400 "$tmp/err")"
    finish
fi
(cd "$tmp/out" && sha256sum -- *) >"$tmp/sums"
missing=$(comm -23 <(awk '{print $2}' "$sums" | sort) <(awk '{print $2}' "$tmp/sums" | sort) | tr '\n' ' ')
extra=$(comm -13 <(awk '{print $2}' "$sums" | sort) <(awk '{print $2}' "$tmp/sums" | sort) | tr '\n' ' ')
judge "every stored output is produced" "${missing:+not produced: $missing}"
judge "no output without a stored sum" "${extra:+new: $extra (regenerate tests/golden/SHA256SUMS)}"
changed=$(join -j 2 <(sort -k 2 "$sums") <(sort -k 2 "$tmp/sums") | awk '$2 != $3 {print $1}')
n=$(awk '{print $2}' "$sums" | wc -l)
if [ -z "$changed" ]; then
    report ok "$n outputs identical to tests/golden/SHA256SUMS"
else
    first=$(echo "$changed" | head -n 1)
    report fail "outputs identical to tests/golden/SHA256SUMS" \
        "$(echo "$changed" | wc -l) changed: $(echo "$changed" | head -n 8 | tr '\n' ' ')- first, $first: $(head -c 300 "$tmp/out/$first")"
fi
finish
