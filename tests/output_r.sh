#!/usr/bin/env bash
# output_r.sh RAPPORT_BIN SRC_DIR - R (hdf5r) reads every dataset and
# attribute of real output files, and reads what h5py reads.
#
# Writes a small single run (baseline.h5: scenarios/baseline.yaml, 500
# patients, 25 providers) and a small sweep (sweep.h5: 2 points x 2
# replicates, horizons 12 and 26 so that pairs are censored, half the pairs'
# trajectories sampled, deflate; its scenario file is named sweep-ü.yaml, so
# that the scenario_path and command_line attributes are not ASCII). For each
# file /usr/bin/python3 (h5py) walks every group, dataset and attribute and
# dumps, per object, its HDF5 type, its h5py shape, its NaN and 255 counts and
# its values: numbers as float64 in h5py's (C) order in a binary file, strings
# as the hex of their UTF-8 bytes, object references (DIMENSION_LIST,
# REFERENCE_LIST) as the names they point to; and a few derived facts (counts
# by exit reason and group label, each run's discussion policy word).
# tests/output_readback.R then walks the same files with hdf5r and checks it
# finds exactly the same objects, with equal values (see its header for the
# checks). Last, the hdf5r example of docs/FORMAT.md ("Reading the files" > R)
# is run on the two files.
#
# One PASS/FAIL line per check, then "N passed, N failed"; exit 1 on any
# failure, 77 (skipped) when Rscript, R's hdf5r or Python's h5py is missing
# (Debian: r-base-core r-cran-hdf5r python3-h5py; scripts/install-deps.sh).
set -u
source "$(dirname "$0")/lib.sh"
command -v Rscript >/dev/null || skip_test "Rscript not found (Debian: r-base-core)"
Rscript -e 'quit(status = if (requireNamespace("hdf5r", quietly = TRUE)) 0 else 1)' >/dev/null 2>&1 ||
    skip_test "R package hdf5r not installed (Debian: r-cran-hdf5r)"
need_py "h5py, numpy" "Debian: python3-h5py"
bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")
src=$(cd "$src" && pwd)
make_tmp
cd "$tmp" || exit 1

# ---- the files ----
if "$bin" run "$src/scenarios/baseline.yaml" --set patients.count=500 --set providers.count=25 \
        -o baseline.h5 >/dev/null 2>err; then
    report ok "rapport run baseline.yaml (500 patients) -o baseline.h5"
else
    report fail "rapport run baseline.yaml (500 patients) -o baseline.h5" "$(head -c 400 err)"
fi
cat >'sweep-ü.yaml' <<'EOF'
seed: 11
patients: {count: 400}
providers: {count: 20}
replicates: 2
output: {sample: 0.5, compression: deflate}
sweep:
  zip:
    - {discussion.policy: [never, intake], horizon: [12, 26]}
EOF
if "$bin" run 'sweep-ü.yaml' -o sweep.h5 >/dev/null 2>err; then
    report ok "rapport run sweep-ü.yaml (2 points x 2 replicates) -o sweep.h5"
else
    report fail "rapport run sweep-ü.yaml (2 points x 2 replicates) -o sweep.h5" "$(head -c 400 err)"
fi

# ---- what h5py reads ----
dump() { # FILE DIR
    "$py" - "$1" "$2" <<'PY'
import os
import sys

import h5py
import numpy as np
from h5py import h5t

path, out = sys.argv[1], sys.argv[2]
os.makedirs(out)
f = h5py.File(path, "r")
man = open(os.path.join(out, "manifest.tsv"), "w", encoding="ascii")
nbin = 0


def type_name(tid):
    """The HDF5 type as hdf5r's to_text() names a number; a summary otherwise."""
    c = tid.get_class()
    if c in (h5t.INTEGER, h5t.FLOAT):
        order = "LE" if tid.get_order() == h5t.ORDER_LE else "BE"
        bits = tid.get_size() * 8
        if c == h5t.FLOAT:
            return f"H5T_IEEE_F{bits}{order}"
        return f"H5T_STD_{'I' if tid.get_sign() == h5t.SGN_2 else 'U'}{bits}{order}"
    if c == h5t.STRING:
        return ("H5T_STRING:" + ("vlen" if tid.is_variable_str() else "fixed") + ":"
                + ("UTF8" if tid.get_cset() == h5t.CSET_UTF8 else "ASCII"))
    return {h5t.VLEN: "H5T_VLEN", h5t.COMPOUND: "H5T_COMPOUND", h5t.ENUM: "H5T_ENUM",
            h5t.REFERENCE: "H5T_REFERENCE"}.get(c, f"H5T_class_{c}")


def hexs(s):
    return "x" + (s.encode("utf-8") if isinstance(s, str) else bytes(s)).hex()


def payload(tn, v):
    """(payload, NaN count, 255 count) of a value h5py read."""
    global nbin
    if tn.startswith("H5T_STRING"):
        return ",".join(hexs(s) for s in np.asarray(v, dtype=object).ravel()), 0, 0
    if tn == "H5T_VLEN":        # DIMENSION_LIST: per dimension (C order), its scales
        return ",".join("+".join(f[r].name for r in e) for e in v), 0, 0
    if tn == "H5T_COMPOUND":    # REFERENCE_LIST: (dataset, dimension) pairs
        return ",".join(f"{f[e[0]].name}:{int(e[1])}" for e in v), 0, 0
    a = np.asarray(v)
    if a.dtype.kind not in "iuf":
        sys.exit(f"dump: unexpected type {tn} {a.dtype}")
    d = np.ascontiguousarray(a, dtype="<f8").ravel()
    if a.dtype.kind in "iu" and d.size and np.abs(d).max() >= 2.0**53:
        sys.exit(f"dump: {tn} value beyond 2^53, not exact as float64")
    name = f"v{nbin}.f8"
    nbin += 1
    d.tofile(os.path.join(out, name))
    n255 = int((a == 255).sum()) if a.dtype == np.uint8 else 0
    return name, int(np.isnan(d).sum()), n255


def line(kind, p, attr, tn, shape, v):
    pl, nnan, n255 = payload(tn, v) if kind in "DA" else ("-", 0, 0)
    shp = "x".join(map(str, shape)) if shape else "scalar"
    man.write(f"{kind}\t{p}\t{attr}\t{tn}\t{shp}\t{nnan}\t{n255}\t{pl}\n")


def attributes(obj, p):
    for a in obj.attrs:
        aid = obj.attrs.get_id(a)
        line("A", p, a, type_name(aid.get_type()), aid.shape, obj.attrs[a])


def visit(name, obj):
    p = "/" + name
    if isinstance(obj, h5py.Group):
        line("G", p, "-", "-", (), None)
    else:
        line("D", p, "-", type_name(obj.id.get_type()), obj.shape, obj[()])
    attributes(obj, p)


line("G", "/", "-", "-", (), None)
attributes(f, "/")
f.visititems(visit)


def labels(ds, values_attr="flag_values"):
    words = ds.attrs["flag_meanings"].split()
    v = ds[()]
    return ",".join(f"{w}={int((v == c).sum())}" for c, w in zip(ds.attrs[values_attr], words))


man.write(f"F\texit_reason\t-\t-\t-\t0\t0\t{labels(f['pairs/exit_reason'])}\n")
man.write(f"F\tpairs_group\t-\t-\t-\t0\t0\t{labels(f['pairs/group'])}\n")
man.write(f"F\tproviders_group\t-\t-\t-\t0\t0\t{labels(f['providers/group'])}\n")
pol = f["runs/discussion.policy"]
words = pol.attrs["value_k_means_word_k"].split()
man.write(f"F\tdiscussion.policy\t-\t-\t-\t0\t0\t{','.join(words[int(k)] for k in pol[()])}\n")
man.close()
PY
}
for name in baseline sweep; do
    if dump $name.h5 dump-$name 2>err; then
        report ok "h5py dumps every object of $name.h5 ($(grep -c . dump-$name/manifest.tsv) lines)"
    else
        report fail "h5py dumps every object of $name.h5" "$(head -c 400 err)"
    fi
done

# ---- what hdf5r reads ----
Rscript "$src/tests/output_readback.R" baseline baseline.h5 dump-baseline sweep sweep.h5 dump-sweep >r.out 2>&1
relay_checks r.out $? "output_readback.R"

# ---- the example of docs/FORMAT.md ----
# The first ```r block after the heading "### R" of "Reading the files".
awk 'code && /^```$/ { exit }
     code { print; next }
     /^### R( |$)/ { in_r = 1; next }
     in_r && /^#/ { exit }
     in_r && /^```r$/ { code = 1 }' "$src/docs/FORMAT.md" >example.R
if [ ! -s example.R ]; then
    report fail "docs/FORMAT.md's R example runs" "no \`\`\`r block under '### R'"
elif Rscript example.R >example.out 2>&1; then
    report ok "docs/FORMAT.md's R example runs on baseline.h5 and sweep.h5 ($(grep -c . example.R) lines)"
else
    report fail "docs/FORMAT.md's R example runs on baseline.h5 and sweep.h5" "$(tail -c 600 example.out)"
fi

finish
