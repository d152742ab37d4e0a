#!/usr/bin/env bash
# sweep_runs.sh RAPPORT_BIN SRC_DIR - a sweep gives the same file however its
# runs are spread, interrupted and joined (docs/FORMAT.md, "Sweeps").
#
# On a small sweep (seed 11, 3000 patients, 150 providers, 4 replicates, grid
# discussion.policy [never, intake] x trust.undiscussed_erosion [0.0, 0.04]:
# 16 runs), written in one process:
#   - --threads 1, --threads 2, --parallel pairs and --parallel runs give
#     identical data and the same stdout summary; the parts folder is removed;
#   - mpirun -n 2 gives the same (SKIP when the binary has no MPI);
#   - 3 shards (--shard I/3) hold runs r % 3 == I and, joined by rapport merge,
#     give the same; merging 2 of 3 parts, a part twice or parts of different
#     sweeps is refused (exit 2, one line, no file);
#   - the stdout summary (--json) has 4 points with means equal to the means
#     of /runs over replicates; intake lowers dropout (paired difference < 0);
#     the share of the black - white dropout gap closed by intake, the gap and
#     its change with their 95% CIs, and every observable by group with its se
#     and CI, equal a hand computation from /summary;
#   - /runs: run 0..15, point = run // 4, replicate = run % 4, stream =
#     replicate; the row ranges select each run's rows of /pairs, /providers,
#     /trajectories; replicate r of every point draws the same population
#     (/pairs/mistrust), different replicates differ; /summary[:, 0] is
#     /runs/<observable>; rapport summary --run R recomputes run R; xarray
#     selects a run with .sel(run=R);
#   - --resume with a parts folder holding finished runs (a shard's file put
#     there as a batch) redoes only the missing runs and gives the same file
#     and summary, with and without /pairs; without --resume such a folder is
#     refused (exit 2, one line, the folder untouched); --resume on the complete
#     output exits 0 with the same summary, on another sweep's it refuses;
#   - a single-run scenario given --resume writes the same file as without;
#     a Saltelli design labels its runs (/runs/saltelli_sample, _matrix).
# On a larger sweep (about 3 s; 192 runs of 2000 pairs followed up to 104
# weeks, a 2% sample of A) started in the background and killed with SIGKILL
# at 3 random moments between 0.3 s and 2.5 s ($RANDOM; the delay is printed;
# with RAPPORT_TEST_QUICK=1, a sweep of 48 runs killed at one such moment),
# and once more just after its first batch file is closed, --resume completes
# (exit 0) with the data and summary of an uninterrupted run; SIGTERM and
# SIGUSR1 (Slurm's warning) exit 75 (stopped early, resumable) with one line
# naming the signal and --resume, and keep the finished runs, which a run
# without --resume refuses (exit 2) and --resume completes. A kill that comes after the sweep has
# ended is a SKIP (the machine is faster than assumed), not a failure.
#
# Files are compared with tests/h5_same.py (every dataset's type, shape, fill
# value and values, every attribute, dimension scales), ignoring the root
# attributes command_line, start_time, end_time, threads, part and host. One
# PASS/FAIL/SKIP line per check, then "N passed, N failed"; exit 1 on any
# failure, 77 when h5py is missing. About 40 s on 2 cores.
set -u
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")
need_py 'h5py, numpy' "Debian: python3-h5py"
compare=$tests_dir/h5_same.py
if [ ! -f "$compare" ]; then
    report fail "$compare is missing"
    finish
fi
ignore=command_line,start_time,end_time,threads,part,host
make_tmp
pid= # a sweep in the background, killed on exit
# shellcheck disable=SC2016 # expanded on exit
at_exit 'end_job "$pid"'
cd "$tmp" || exit 1

# same A B: "" when the files hold the same data, else what differs.
same() { h5_differences "$1" "$2" "$ignore"; }

# same_summary A.json B.json: the same numbers: equal but for the provenance
# line (which names the threads, and the part of a shard).
same_summary() { cmp -s <(grep -v '^  "provenance": ' "$1") <(grep -v '^  "provenance": ' "$2"); }

# rp ARGS...: rapport in the foreground, at most 120 s; stderr to $tmp/err.
rp() { timeout 120 "$bin" "$@" 2>"$tmp/err"; }

# py_checks ARGS... <<SCRIPT: run a Python script (stdin, which may import
# testlib) that prints PASS/FAIL lines; count them.
py_checks() {
    cat >"$tmp/check.py"
    PYTHONPATH=$tests_dir "$py" "$tmp/check.py" "$@" >"$tmp/check.out" 2>&1
    relay_checks "$tmp/check.out" $? "python checks"
}

cat >sw.yaml <<'EOF'
seed: 11
patients: {count: 3000}
providers: {count: 150}
replicates: 4
sweep:
  grid:
    discussion.policy: [never, intake]
    trust.undiscussed_erosion: [0.0, 0.04]
EOF

# ---- one process: threads and the two kinds of parallelism ----
rp run sw.yaml -o t1.h5 --threads 1 --json >t1.json
rc=$?
if [ $rc -eq 0 ] && [ -f t1.h5 ] && [ ! -e t1.h5.parts ]; then
    report ok "sweep --threads 1 -o: exit 0, the file written, the parts folder removed"
else
    report fail "sweep --threads 1 -o" "exit $rc; $(ls); $(head -c 300 err)"
fi
for v in "t2|--threads 2" "pairs|--threads 2 --parallel pairs" "runs|--threads 2 --parallel runs"; do
    name=${v%%|*}
    # shellcheck disable=SC2086  # the options are words
    rp run sw.yaml -o "$name.h5" ${v#*|} --json >"$name.json"
    rc=$?
    d=$([ $rc -eq 0 ] && same t1.h5 "$name.h5")
    if [ $rc -eq 0 ] && [ -z "$d" ] && same_summary t1.json "$name.json" && [ ! -e "$name.h5.parts" ]; then
        report ok "sweep ${v#*|}: identical data and summary to --threads 1"
    else
        report fail "sweep ${v#*|}: identical to --threads 1" "exit $rc; $d $(head -c 300 err)"
    fi
done

# ---- MPI ----
if ! ldd "$bin" 2>/dev/null | grep -q libmpi; then
    report skip "mpirun -n 2 equals one process" "$bin is not an MPI build"
elif ! command -v mpirun >/dev/null; then
    report skip "mpirun -n 2 equals one process" "no mpirun"
else
    extra=()
    mpirun --version 2>/dev/null | grep -q 'Open MPI' && extra=(--oversubscribe)
    OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 timeout 120 \
        mpirun -n 2 "${extra[@]}" "$bin" run sw.yaml -o mpi.h5 --threads 1 --json >mpi.json 2>err
    rc=$?
    d=$([ $rc -eq 0 ] && same t1.h5 mpi.h5)
    if [ $rc -eq 0 ] && [ -z "$d" ] && same_summary t1.json mpi.json && [ ! -e mpi.h5.parts ]; then
        report ok "mpirun -n 2: identical data and summary to one process, parts folder removed"
    else
        report fail "mpirun -n 2 equals one process" "exit $rc; $d $(head -c 300 err)"
    fi
fi

# ---- shards and rapport merge ----
ok=1
for i in 0 1 2; do
    rp run sw.yaml --shard "$i/3" -o "part$i.h5" --json >"part$i.json" || { ok=0; echo "  shard $i: exit $?, $(head -c 300 err)"; }
done
if [ $ok -eq 1 ]; then
    py_checks <<'EOF'
import h5py, numpy as np
bad = []
for i in range(3):
    with h5py.File(f"part{i}.h5", "r") as f:
        run = f["runs/run"][:]
        if list(run) != list(range(i, 16, 3)):
            bad.append(f"part{i}.h5 holds runs {list(run)}")
        if f.attrs["part"] != f"shard {i + 1} of 3" or f.attrs["runs_total"] != 16:
            bad.append(f"part{i}.h5: part {f.attrs['part']!r}, runs_total {f.attrs['runs_total']}")
        if f["runs/first_pair"][0] != 0 or f["pairs/pair"].shape[0] != 3000 * len(run):
            bad.append(f"part{i}.h5: row ranges")
print(("FAIL shard parts: " + "; ".join(bad)) if bad else
      "PASS --shard I/3: part I holds runs r % 3 == I (part attribute 'shard I+1 of 3', runs_total 16)")
EOF
fi
rp merge part0.h5 part1.h5 part2.h5 -o merged.h5 >out
rc=$?
d=$(if [ $rc -eq 0 ]; then same t1.h5 merged.h5; else head -c 300 err; fi)
if [ $rc -eq 0 ] && [ -z "$d" ]; then
    report ok "3 shards joined by rapport merge: identical data to one process"
else
    report fail "3 shards joined by rapport merge equal one process" "exit $rc; $d"
fi
rp merge part2.h5 part0.h5 part1.h5 -o merged2.h5 >out
rc=$?
d=$([ $rc -eq 0 ] && same merged.h5 merged2.h5)
if [ $rc -eq 0 ] && [ -z "$d" ]; then
    report ok "rapport merge: parts in any order give the same file (runs in run order)"
else
    report fail "rapport merge in another order" "exit $rc; $d $(head -c 300 err)"
fi

# refused NAME OUT ARGS...: rapport merge ARGS must exit 2 with one line matching $want, writing nothing at OUT.
refused() {
    local name=$1 out=$2
    shift 2
    expect_exit -E "$name" 2 "$want" "$bin" merge "$@" -o "$out"
    judge "  $name: no file written" "$(ls -d "$out" "$out".partial-* 2>/dev/null)"
}
want='missing|in none of the parts'
refused "merging 2 of 3 parts" m1.h5 part0.h5 part1.h5
want='in both|twice|once'
refused "merging a part twice" m2.h5 part0.h5 part1.h5 part1.h5 part2.h5
rp run sw.yaml --seed 12 --shard 1/3 -o other1.h5 >/dev/null || echo "  other sweep's shard: $(head -c 300 err)"
want='different sweeps'
refused "merging parts of different sweeps (seed 11 and 12)" m3.h5 part0.h5 other1.h5 part2.h5

# ---- the joined file and the summary ----
py_checks "$bin" <<'EOF'
import json, subprocess, sys
import h5py, numpy as np

from testlib import run_check as check, Skipped

J = json.load(open("t1.json"))
f = h5py.File("t1.h5", "r")
# The observables are the file's: the float [run x group] columns of /summary (no list kept here),
# but for the concordance on each categorical dimension (BYDIM: a block of the JSON of its own).
FLOATS = sorted(k for k in f["summary"] if f["summary"][k].ndim == 2 and f["summary"][k].dtype.kind == "f")
BYDIM = [k for k in FLOATS if k.startswith("concordance_by_dimension.")]
OBS = [k for k in FLOATS if k not in BYDIM]
R = f["runs"]
run, point, rep, stream = R["run"][:], R["point"][:], R["replicate"][:], R["stream"][:]

def summary_json():
    bad = []
    pts = J.get("by_point", [])
    if J.get("points") != 4 or J.get("replicates") != 4 or len(pts) != 4:
        return f"points {J.get('points')}, replicates {J.get('replicates')}, {len(pts)} by_point"
    want_values = [("never", "0.0"), ("never", "0.04"), ("intake", "0.0"), ("intake", "0.04")]
    for p, bp in enumerate(pts):
        v = bp.get("values", {})
        if bp.get("point") != p or (v.get("discussion.policy"), v.get("trust.undiscussed_erosion")) != want_values[p]:
            bad.append(f"point {p}: {bp.get('point')} {v}")
        # The sweep summary lists the observables but discussed_week_mean (NaN at policy never).
        keys = [k for k in bp["mean"] if not k.endswith("_se") and k != "dropout_by_group"]
        if not set(OBS) - {"discussed_week_mean"} <= set(keys) <= set(OBS):
            bad.append(f"point {p} observables {keys}")
        for k in keys:
            m = bp["mean"][k]
            x = np.nanmean(R[k][:][point == p])  # replicates where it is defined
            if m is None or not np.isfinite(m) or not np.isfinite(bp["mean"].get(k + "_se", np.nan)):
                bad.append(f"point {p} mean {k} = {m}")
            elif abs(m - x) > 1e-12 * max(1, abs(m)):
                bad.append(f"point {p} mean {k} {m} != mean of /runs {x}")
    return "; ".join(bad[:6])
check("sweep --json: 4 points (values never/intake x 0.0/0.04) with means (and se) = means of /runs over replicates",
      summary_json)

def paired():
    d = J["by_point"][2]["paired_difference"]["dropout"]
    dr = R["dropout"][:]
    d31 = (dr[point == 3] - dr[point == 1]).mean()  # same replicates, in order
    if not d < 0:
        return f"paired_difference.dropout of point 2 (intake, 0.0) vs point 0 (never, 0.0) = {d}"
    if not d31 < 0:
        return f"dropout intake - never at erosion 0.04 (from /runs) = {d31}"
    print(f"  dropout, intake - never: {d:.4f} (erosion 0.0, --json), {d31:.4f} (erosion 0.04, /runs)")
    return ""
check("paired difference of dropout, intake vs never, is negative", paired)

def gap_closed_by_hand():
    # The share of the black - white gap of dropout closed by intake (point
    # 2: intake, erosion 0.0) against never (point 0), from /summary alone:
    # per replicate the gap within each run, its change, then the ratio of
    # means with Fieller's 95% interval (t with R - 1 df), and the same for
    # every interval the JSON gives for it.
    from scipy import stats
    groups = [g.decode() if isinstance(g, bytes) else g for g in f["summary/group"][:]]
    w, b = groups.index("white"), groups.index("black")
    d = f["summary/dropout"][:]                       # [run x group]: all, then the groups
    gap = lambda p: np.array([d[p * 4 + r, b] - d[p * 4 + r, w] for r in range(4)])
    g0, g2 = gap(0), gap(2)
    change = g2 - g0
    t = stats.t.ppf(0.975, 3)
    k = 4
    def interval(v):
        m, se = v.mean(), v.std(ddof=1) / np.sqrt(k)
        return m, se, m - t * se, m + t * se
    xbar, ybar = g0.mean(), change.mean()
    vxx, vyy = g0.var(ddof=1) / k, change.var(ddof=1) / k
    vxy = np.cov(g0, change, ddof=1)[0, 1] / k
    rho = ybar / xbar
    a, bq, c = xbar**2 - t * t * vxx, -2 * (xbar * ybar - t * t * vxy), ybar**2 - t * t * vyy
    root = np.sqrt(bq * bq - 4 * a * c)
    lo, hi = (-bq - root) / (2 * a), (-bq + root) / (2 * a)
    se = np.sqrt(vyy - 2 * rho * vxy + rho * rho * vxx) / abs(xbar)
    want = {"gap": interval(g2), "change": interval(change), "closed": (-rho, se, -hi, -lo)}
    got = J["by_point"][2]["contrasts"]["black"]["dropout"]
    bad = []
    for key, (m, s, l, h) in want.items():
        st = got[key]
        est = st["share" if key == "closed" else "mean"]
        for name, x, y in (("estimate", est, m), ("se", st["se"], s), ("lo", st["ci"][0], l), ("hi", st["ci"][1], h)):
            if x is None or abs(x - y) > 1e-9 * max(1, abs(y)):
                bad.append(f"{key} {name}: JSON {x}, by hand {y}")
        if st["n"] != 4:
            bad.append(f"{key} n {st['n']}")
    g0j = J["by_point"][0]["contrasts"]["black"]["dropout"]["gap"]["mean"]
    if abs(g0j - g0.mean()) > 1e-12 or "change" in J["by_point"][0]["contrasts"]["black"]["dropout"]:
        bad.append(f"point 0: gap {g0j} vs {g0.mean()}, or a change at point 0")
    if J.get("reference_group") != "white" or "white" in J["by_point"][2]["contrasts"]:
        bad.append(f"reference {J.get('reference_group')}")
    print(f"  black - white dropout gap: never {g0.mean():.4f}, intake {g2.mean():.4f}; "
          f"closed {-rho:.1%} [{-hi:.1%}, {-lo:.1%}]")
    return "; ".join(bad)
check("share of the black - white dropout gap closed by intake (and the gap, its change, their 95% CIs): "
      "the JSON equals a hand computation from /summary", gap_closed_by_hand)

def by_group_intervals():
    # every observable per group, with se and interval, = /summary over replicates
    from scipy import stats
    groups = [g.decode() if isinstance(g, bytes) else g for g in f["summary/group"][:]]
    bad = []
    for p, bp in enumerate(J["by_point"]):
        for gname, obs in bp["by_group"].items():
            col = groups.index(gname)
            for k, st in obs.items():
                v = f["summary"][k][p * 4:(p + 1) * 4, col]
                v = v[~np.isnan(v)]
                if len(v) < 2:
                    continue
                m, se = v.mean(), v.std(ddof=1) / np.sqrt(len(v))
                hi = m + stats.t.ppf(0.975, len(v) - 1) * se
                if abs(st["mean"] - m) > 1e-12 * max(1, abs(m)) or abs(st["se"] - se) > 1e-12 + 1e-9 * se or \
                        abs(st["ci"][1] - hi) > 1e-12 + 1e-9 * abs(hi) or st["n"] != len(v):
                    bad.append(f"point {p} {gname} {k}: {st} vs mean {m} se {se}")
    return "; ".join(bad[:4])
check("by_group: every observable of all and each group, mean, se and 95% CI = /summary over replicates",
      by_group_intervals)

def runs_table():
    bad = []
    if list(run) != list(range(16)) or list(f["summary/run"][:]) != list(range(16)):
        bad.append(f"run {list(run)}")
    if list(point) != [r // 4 for r in range(16)]:
        bad.append(f"point {list(point)}")
    if list(rep) != [r % 4 for r in range(16)] or R["replicate"].dtype != np.uint64:
        bad.append(f"replicate {list(rep)}")
    if list(stream) != list(rep):
        bad.append(f"stream {list(stream)} (common random numbers: stream = replicate)")
    if not (R["seed"][:] == 11).all() or not (R["saltelli_sample"][:] == -1).all():
        bad.append("seed or saltelli_sample")
    pol, ero = R["discussion.policy"][:], R["trust.undiscussed_erosion"][:]
    if list(pol) != [0] * 8 + [1] * 8 or list(ero) != ([0.0] * 4 + [0.04] * 4) * 2:
        bad.append(f"parameters {list(pol)} {list(ero)}")
    if f.attrs["runs_total"] != 16 or f.attrs["part"] != "" or f.attrs["sweep_id"] == "0000000000000000":
        bad.append("root attributes runs_total/part/sweep_id")
    return "; ".join(bad)
check("/runs: run 0..15, point = run // 4, replicate = run % 4, stream = replicate, swept parameters", runs_table)

def row_ranges():
    bad = []
    for t, first, count, idx in (("pairs", "first_pair", "pairs", "patient"),
                                 ("providers", "first_provider", "providers", "index"),
                                 ("trajectories", "first_trajectory", "trajectories", "patient")):
        g = f[t]
        fr, n = R[first][:], R[count][:]
        rows = g[t[:-1] if t != "trajectories" else "pair"].shape[0]
        if not (np.concatenate([[0], np.cumsum(n)[:-1]]) == fr).all() or n.sum() != rows:
            bad.append(f"{first}/{count} do not tile /{t}")
            continue
        coord = g["pair" if t != "providers" else "provider"][:]
        if not np.array_equal(coord, np.arange(rows)):
            bad.append(f"/{t} coordinate is not the row index")
        rr, ii = g["run"][:], g[idx][:]
        for r in range(16):
            s = slice(fr[r], fr[r] + n[r])
            if not (rr[s] == r).all() or not np.array_equal(ii[s], np.arange(n[r])):
                bad.append(f"/{t} rows of run {r}: run/{idx} columns")
                break
    n = R["pairs"][:]
    if not (n == 3000).all() or not (R["providers"][:] == 150).all() or not (R["trajectories"][:] == 3000).all():
        bad.append("row counts")
    if not (f["pairs/provider"][:] < 150).all():
        bad.append("/pairs/provider is not an index within the run")
    for k in ["pairs"] + FLOATS:
        if not np.array_equal(f["summary"][k][:, 0], R[k][:] if k != "pairs" else n, equal_nan=True):
            bad.append(f"/summary/{k}[:, 0] != /runs/{k}")
    return "; ".join(bad[:6])
check("row ranges: first_*/count tile /pairs, /providers, /trajectories; run and index columns; /summary[:, 0] = /runs",
      row_ranges)

def crn():
    m = f["pairs/mistrust"][:]
    fp, n = R["first_pair"][:], R["pairs"][:]
    one = {r: m[fp[r]:fp[r] + n[r]] for r in range(16)}
    bad = []
    for r in range(16):
        base = one[rep[r]]  # run rep[r] is point 0, replicate rep[r]
        if not np.array_equal(one[r], base):
            bad.append(f"run {r} (point {point[r]}, replicate {rep[r]}) differs from point 0")
    for a in range(4):
        for b in range(a + 1, 4):
            if np.array_equal(one[a], one[b]):
                bad.append(f"replicates {a} and {b} have the same mistrust")
    return "; ".join(bad[:6])
check("common random numbers: replicate r of every point has the same /pairs/mistrust; replicates differ", crn)

def summary_cmd():
    bad = []
    for r in (5, 14):
        out = subprocess.run([sys.argv[1], "summary", "t1.h5", "--run", str(r), "--json"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
        if out.returncode:
            return f"--run {r}: exit {out.returncode} {out.stderr[:200]!r}"
        s = json.loads(out.stdout)
        for k in FLOATS:
            a = s[k] if k in OBS else s["concordance_by_dimension"][k.split(".", 1)[1]]["all"]
            b = f["summary"][k][r, 0]
            if not ((a is None and np.isnan(b)) or a == b):
                bad.append(f"run {r} {k}: {a} vs /summary {b}")
    if not BYDIM:
        bad.append("no concordance_by_dimension column")
    out = subprocess.run([sys.argv[1], "summary", "t1.h5", "--run", "16"], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, timeout=60)
    if out.returncode != 2 or out.stderr.count(b"\n") != 1:
        bad.append(f"--run 16: exit {out.returncode}, {out.stderr[:200]!r}")
    return "; ".join(bad[:6])
check("rapport summary FILE --run R recomputes /summary of runs 5 and 14 exactly; --run 16 exits 2", summary_cmd)

def xarray_sel():
    try:
        import xarray as xr
    except ImportError:
        raise Skipped("no xarray (python3-xarray, python3-h5netcdf)")
    with xr.open_dataset("t1.h5", group="summary", engine="h5netcdf") as s, \
         xr.open_dataset("t1.h5", group="runs", engine="h5netcdf") as r:
        a = s["dropout"].sel(run=6, group="all").item()
        b = r["dropout"].sel(run=6).item()
        c = r["discussion.policy"].sel(run=slice(8, 15)).values
        if not (a == b == f["runs/dropout"][6]) or list(c) != [1] * 8:
            return f"{a} {b} {list(c)}"
    return ""
check("xarray: /summary and /runs select a run with .sel(run=R)", xarray_sel)
EOF

# ---- resume from a folder of finished runs (a shard's file is a batch) ----
# A batch file is a complete rapport file of some runs of the sweep, as a
# shard's part is: put part 0 (runs 0, 3, ...) in the parts folder.
mkdir res.h5.parts && cp part0.h5 res.h5.parts/batch-W000000-P1-0000.h5
rp run sw.yaml -o res.h5 --threads 2 --json >res.json
rc=$?
if [ $rc -eq 2 ] && one_line err && grep -q -- '--resume' err && [ ! -e res.h5 ] &&
    [ "$(ls res.h5.parts)" = batch-W000000-P1-0000.h5 ] && [ ! -s res.json ]; then
    report ok "without --resume, a parts folder with finished runs is refused: exit 2, one line naming --resume, folder kept"
else
    report fail "without --resume, a leftover parts folder is refused" "exit $rc; $(ls res.h5.parts); stderr: $(head -c 300 err)"
fi
rp run sw.yaml -o res.h5 --threads 2 --json --resume >res.json
rc=$?
d=$([ $rc -eq 0 ] && same t1.h5 res.h5)
if [ $rc -eq 0 ] && [ -z "$d" ] && [ ! -e res.h5.parts ]; then
    report ok "--resume with runs 0, 3, ..., 15 done: the missing runs done once (no duplicate), identical data, folder removed"
else
    report fail "--resume with finished runs in the folder" "exit $rc; $d $(head -c 300 err)"
fi
if same_summary t1.json res.json; then
    report ok "--resume: the stdout summary equals the uninterrupted sweep's"
else
    report fail "--resume: the stdout summary equals the uninterrupted sweep's" "$(cmp t1.json res.json 2>&1)"
fi
# --resume is idempotent: on the complete output of this sweep (a requeued job
# whose work had finished) it says so, prints the same summary, exits 0 and
# leaves the file as it was; on the output of another sweep it refuses.
sum_before=$(sha256sum <res.h5)
rp run sw.yaml -o res.h5 --threads 2 --json --resume >again.json
rc=$?
if [ $rc -eq 0 ] && same_summary t1.json again.json && one_line err && grep -q 'is complete' err &&
    [ "$(sha256sum <res.h5)" = "$sum_before" ] && [ ! -e res.h5.parts ]; then
    report ok "--resume on a complete output: exit 0, one line saying so, the same summary, the file untouched"
else
    report fail "--resume on a complete output" "exit $rc; $(cmp t1.json again.json 2>&1); $(head -c 300 err)"
fi
rp run sw.yaml -o res.h5 --threads 2 --resume --seed 12 >/dev/null
rc=$?
if [ $rc -eq 2 ] && one_line err && grep -q 'another sweep' err && [ "$(sha256sum <res.h5)" = "$sum_before" ]; then
    report ok "--resume on the complete output of another sweep (another seed): exit 2, one line, the file untouched"
else
    report fail "--resume on another sweep's output" "exit $rc; $(head -c 300 err)"
fi
rp run sw.yaml -o res.h5 --threads 2 --resume --shard 1/3 >/dev/null
rc=$?
if [ $rc -eq 2 ] && one_line err && grep -q "not this part's" err; then
    report ok "--resume --shard 1/3 on the whole sweep's output: exit 2, one line (not this part's runs)"
else
    report fail "--resume --shard 1/3 on the whole sweep's output" "exit $rc; $(head -c 300 err)"
fi
rm -f again.json
# The same without /pairs: the resumed summary must still cover the runs done before.
nopairs=(--set output.pairs=false)
rp run sw.yaml -o np.h5 "${nopairs[@]}" --json >np.json && rp run sw.yaml -o np0.h5 --shard 0/3 "${nopairs[@]}" >/dev/null
mkdir npr.h5.parts && cp np0.h5 npr.h5.parts/batch-W000000-P1-0000.h5
rp run sw.yaml -o npr.h5 "${nopairs[@]}" --json --resume >npr.json
rc=$?
d=$([ $rc -eq 0 ] && same np.h5 npr.h5)
if [ $rc -eq 0 ] && [ -z "$d" ] && same_summary np.json npr.json; then
    report ok "--resume of a sweep without /pairs (output.pairs=false): identical data and stdout summary"
else
    report fail "--resume of a sweep without /pairs (output.pairs=false): identical data and stdout summary" \
        "exit $rc; $d; summary: $(cmp np.json npr.json 2>&1 | head -c 100); e.g. point 0 dropout $("$py" -c 'import json,sys; print(json.load(open(sys.argv[1]))["by_point"][0]["mean"]["dropout"])' npr.json 2>&1)"
fi

# A single-run scenario given --resume goes through a parts folder, and is still a single run's file.
printf 'seed: 11\npatients: {count: 3000}\nproviders: {count: 150}\n' >one.yaml
rp run one.yaml -o one.h5 --json >one.json && rp run one.yaml -o oner.h5 --resume >/dev/null
rc=$?
d=$([ $rc -eq 0 ] && same one.h5 oner.h5)
if [ $rc -eq 0 ] && [ -z "$d" ] && [ ! -e oner.h5.parts ]; then
    report ok "a single run with --resume: the same file as without (sweep_id 0000000000000000, runs_total 1)"
else
    report fail "a single run with --resume: the same file as without" "exit $rc; $d $(head -c 300 err)"
fi

# A Saltelli design labels its runs in /runs (rapport show labels the points the same way).
cat >sob.yaml <<'EOF'
seed: 3
patients: {count: 300}
providers: {count: 15}
sweep:
  sobol:
    samples: 2
    saltelli: true
    ranges: {trust.rate: [0.05, 0.3], discussion.effect: [0.2, 0.9]}
EOF
rp run sob.yaml -o sob.h5 --summary-only >/dev/null
rc=$?
if [ $rc -eq 0 ]; then
    py_checks <<'EOF'
import h5py
with h5py.File("sob.h5", "r") as f:
    got = list(zip(f["runs/saltelli_sample"][:], f["runs/saltelli_matrix"][:]))
want = [(p // 4, p % 4) for p in range(8)]  # k = 2 ranges: k + 2 = 4 points per sample (A, B, AB1, AB2)
print(f"PASS Saltelli design: /runs/saltelli_sample, saltelli_matrix = sample j and matrix of each point" if got == want
      else f"FAIL Saltelli design: /runs/saltelli_sample, saltelli_matrix = {got}, expected {want}")
EOF
else
    report fail "a Saltelli sweep with -o" "exit $rc; $(head -c 300 err)"
fi
rm -f ./*.h5 ./*.json

# ---- kill and resume a larger sweep ----
# Compute-heavy, light to write: pairs stay for up to 104 weeks (no recovery, little dropout).
# RAPPORT_TEST_QUICK=1 (scripts/sanitize.sh, where every run is ~10x slower):
# a quarter of the runs and one random SIGKILL instead of three.
quick=${RAPPORT_TEST_QUICK:-}
big=(--threads 2 --set replicates=$([ -n "$quick" ] && echo 12 || echo 48) --set patients.count=2000 --set providers.count=100
    --set horizon=104 --set course=104 --set symptoms.recovered=0 --set dropout.base=-9
    --set output.variables=A --set output.sample=0.02 --json)
t0=$(date +%s%N)
rp run sw.yaml -o ref.h5 "${big[@]}" >ref.json
rc=$?
ms=$((($(date +%s%N) - t0) / 1000000))
echo "  the larger sweep ($([ -n "$quick" ] && echo 48 || echo 192) runs of 2000 pairs, up to 104 weeks) took $((ms / 1000)).$(printf '%03d' $((ms % 1000))) s uninterrupted"
[ $rc -eq 0 ] || report fail "the larger sweep, uninterrupted" "exit $rc; $(head -c 300 err)"

# kept DIR: "R runs in B batches" held by the finished batch files of DIR.
kept() {
    "$py" - "$1" <<'EOF'
import glob, sys, h5py
files = sorted(glob.glob(sys.argv[1] + "/batch-*.h5"))
runs = 0
for p in files:
    with h5py.File(p, "r") as f:
        runs += f["runs/run"].shape[0]
print(f"{runs} runs in {len(files)} batches")
EOF
}

# resume_check NAME: --resume out.h5 completes and equals ref.h5.
resume_check() {
    rp run sw.yaml -o out.h5 "${big[@]}" --resume >out.json
    local rc=$? d
    d=$([ $rc -eq 0 ] && same ref.h5 out.h5)
    if [ $rc -eq 0 ] && [ -z "$d" ] && cmp -s ref.json out.json && [ ! -e out.h5.parts ]; then
        report ok "$1, then --resume: exit 0, identical data and summary to the uninterrupted sweep"
    else
        report fail "$1, then --resume" "exit $rc; $d; summary $(cmp ref.json out.json 2>&1 | head -c 100); $(head -c 300 err)"
    fi
    rm -rf out.h5 out.h5.parts out.json out.h5.partial-*
}

# moment LO HI: a random delay in [LO, HI] ms, as seconds for sleep.
moment() {
    local ms=$(($1 + RANDOM % ($2 - $1 + 1)))
    printf '%d.%03d' $((ms / 1000)) $((ms % 1000))
}

# start_sweep [STDOUT]: the larger sweep to out.h5, in the background ($pid).
start_sweep() {
    "$bin" run sw.yaml -o out.h5 "${big[@]}" >"${1:-/dev/null}" 2>"$tmp/bg.err" &
    pid=$!
}

# kill_sweep WHAT [NOTE]: SIGKILL the background sweep, its exit status in rc.
# When it had ended before the kill: SKIP WHAT (NOTE added to why), out.h5
# and its parts removed, return 1.
kill_sweep() {
    local ended=
    if kill -0 "$pid" 2>/dev/null; then
        kill -KILL "$pid"
        wait "$pid"
        rc=$?
        [ $rc -ne 0 ] || ended="the sweep ended just before the kill"
    else
        wait "$pid"
        ended="the sweep had already ended (exit $?)${2:-}"
    fi
    pid=
    [ -n "$ended" ] || return 0
    report skip "$1" "$ended"
    rm -rf out.h5 out.h5.parts
    return 1
}

kill_round() { # stderr dropped by the caller: bash reports the killed job there
    local delay rc
    delay=$(moment 300 2500)
    start_sweep
    sleep "$delay"
    kill_sweep "SIGKILL at $delay s" "; the machine is faster than this test assumes" || return
    echo "  SIGKILL at $delay s (exit $rc): kept $(kept out.h5.parts 2>&1)$([ -e out.h5 ] && echo '; out.h5 exists')"
    resume_check "SIGKILL at $delay s"
}
for _ in $([ -n "$quick" ] && echo 1 || echo 1 2 3); do
    kill_round 2>/dev/null
done

# SIGKILL once the first batch is closed (after about 2 s of runs): the
# finished batch is kept beside the killed batch's .partial file.
kill_after_batch() {
    local delay rc
    start_sweep
    wait_until 30 "$pid" compgen -G 'out.h5.parts/batch-*.h5' >/dev/null
    delay=$(moment 0 300)
    sleep "$delay"
    kill_sweep "SIGKILL after the first batch" || return
    local held
    held=$(kept out.h5.parts 2>&1)
    local stale=(out.h5.parts/*.partial-*)
    [ -e "${stale[0]}" ] || stale=()
    echo "  SIGKILL $delay s after the first batch (exit $rc): kept $held, ${#stale[@]} .partial file"
    if [ "${held%% *}" -gt 0 ] 2>/dev/null; then
        resume_check "SIGKILL $delay s after the first batch closed ($held kept)"
    else
        report fail "SIGKILL after the first batch closed: the batch is kept" "kept $held; $(ls out.h5.parts 2>&1)"
        rm -rf out.h5 out.h5.parts
    fi
}
kill_after_batch 2>/dev/null

# term_round SIG: SIGTERM or SIGUSR1 stops the sweep, which keeps its finished
# runs and exits 75 (resumable) with one line.
term_round() {
    local sig=$1 delay
    delay=$(moment 500 1500)
    start_sweep out.json
    sleep "$delay"
    kill -"$sig" "$pid"
    wait "$pid"
    local rc=$?
    pid=
    if [ $rc -eq 0 ] && [ -f out.h5 ]; then
        report skip "SIG$sig at $delay s" "the sweep had finished its runs before the signal"
        rm -rf out.h5 out.h5.parts
        return
    fi
    local held
    held=$(kept out.h5.parts 2>&1)
    echo "  SIG$sig at $delay s (exit $rc): kept $held"
    if [ $rc -eq 75 ] && [ ! -e out.h5 ] && [ -z "$(ls -d out.h5.partial-* out.h5.parts/*.partial-* 2>/dev/null)" ] &&
        [ "${held%% *}" -gt 0 ] 2>/dev/null && one_line "$tmp/bg.err" &&
        grep -q "^rapport: stopped early by SIG$sig.*kept in out.h5.parts.*--resume" "$tmp/bg.err"; then
        report ok "SIG$sig at $delay s: exit 75, one line ($(cut -c 1-60 "$tmp/bg.err")...), no out.h5, no .partial file, finished runs kept ($held)"
    else
        report fail "SIG$sig at $delay s: exit 75, one line, finished runs kept" "exit $rc; $(ls); $(ls out.h5.parts 2>&1); $(head -c 300 "$tmp/bg.err")"
    fi
    ls out.h5.parts >before 2>&1
    rp run sw.yaml -o out.h5 "${big[@]}" >out.json
    rc=$?
    ls out.h5.parts >after 2>&1
    if [ $rc -eq 2 ] && one_line err && grep -q -- '--resume' err && [ ! -e out.h5 ] &&
        cmp -s before after && [ ! -s out.json ]; then
        report ok "after SIG$sig, a run without --resume is refused: exit 2, one line naming --resume, the folder untouched"
    else
        report fail "after SIG$sig, a run without --resume is refused (exit 2)" "exit $rc; $(head -c 300 err)"
    fi
    resume_check "SIG$sig at $delay s"
}
term_round TERM 2>/dev/null
term_round USR1 2>/dev/null

finish
