"""Contrasts of a sweep (the scenario's `contrasts:` section) and the file's
/statistics.

Checks: with another reference group and reference point, the JSON's gaps,
ratios between groups, paired differences, relative values (point over the
reference point), changes of gaps and shares of the gap closed equal those
recomputed with numpy from the file's /summary and /runs (means, t
intervals, ratios of means with delta-method se and Fieller intervals);
the file's /statistics holds the same numbers as the JSON for every point,
group, observable and statistic, and is read by xarray with its
coordinates; its concordance on each categorical dimension (model 2,
/statistics/concordance_by_dimension over point, group, dimension, field)
equals the JSON's concordance_by_dimension and numpy's t statistics of
/summary's concordance_by_dimension.DIM, and a model-1 sweep, or one without
a categorical dimension, has none; shards merged with `rapport merge` give the same /statistics,
bit for bit; the text table names the reference group and point; without
the section the reference is the first group and point 0; a merged file
merged again keeps it; a sweep whose points change the patient groups is
refused (its runs are compared group by group).

Usage: contrasts.py RAPPORT_BIN SOURCE_DIR (under /usr/bin/python3: h5py,
numpy, scipy; xarray where installed).
"""
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from testlib import report, finish, skip_test  # noqa: E402

try:
    import h5py
    import numpy as np
    from scipy.stats import t as student
except ImportError as e:
    skip_test(f"needs h5py, numpy and scipy ({e})")

BIN, SRC = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
tmp = tempfile.mkdtemp(prefix="rapport-contrasts-")

SWEEP = """seed: 5
model: 2
replicates: 5
patients: {count: 600}
providers: {count: 30}
sweep: {grid: {discussion.policy: [never, intake, responsive]}}
contrasts: {reference_group: black, reference_point: 1}
"""
STATS = ["mean", "paired_difference", "relative", "gap", "gap_change", "ratio", "gap_closed",
         "concordance_by_dimension"]


def write(name, text):
    path = os.path.join(tmp, name)
    with open(path, "w") as f:
        f.write(text)
    return path


def run(*args):
    p = subprocess.run([BIN, *args], capture_output=True, text=True, cwd=tmp)
    if p.returncode != 0:
        raise SystemExit(f"rapport {' '.join(args)} failed ({p.returncode}): {p.stderr}")
    return p


def close(a, b, rel=1e-9):
    if a is None or b is None or (isinstance(a, float) and math.isnan(a)):
        return (a is None or math.isnan(a)) and (b is None or math.isnan(b))
    return abs(a - b) <= rel * max(1.0, abs(a), abs(b))


def mean_stat(v):
    v = v[~np.isnan(v)]
    k = len(v)
    m = v.mean()
    se = v.std(ddof=1) / math.sqrt(k)
    h = student.ppf(0.975, k - 1) * se
    return m, se, m - h, m + h


def ratio_stat(y, x):
    ok = ~np.isnan(x) & ~np.isnan(y)
    x, y = x[ok], y[ok]
    k = len(x)
    xb, yb = x.mean(), y.mean()
    r = yb / xb
    vxx, vyy = np.var(x, ddof=1) / k, np.var(y, ddof=1) / k
    vxy = np.cov(x, y, ddof=1)[0, 1] / k
    se = math.sqrt(max(vyy - 2 * r * vxy + r * r * vxx, 0)) / abs(xb)
    t2 = student.ppf(0.975, k - 1) ** 2
    a, b, c = xb * xb - t2 * vxx, -2 * (xb * yb - t2 * vxy), yb * yb - t2 * vyy
    disc = b * b - 4 * a * c
    lo, hi = ((-b - math.sqrt(disc)) / (2 * a), (-b + math.sqrt(disc)) / (2 * a)) if a > 0 and disc >= 0 \
        else (math.nan, math.nan)
    return r, se, lo, hi


def same(label, got, want, rel=1e-8):
    """got: a JSON statistic; want: (estimate, se, lo, hi)."""
    est = got.get("mean", got.get("share", got.get("ratio")))
    vals = [est, got["se"], got["ci"][0], got["ci"][1]]
    ok = all(close(g, w, rel) for g, w in zip(vals, want))
    report(ok, f"{label}: {vals} = numpy's {list(want)}")


scenario = write("sweep.yaml", SWEEP)
p = run("run", scenario, "-o", "s.h5", "--json")
js = json.loads(p.stdout)
text = run("run", scenario).stdout
report(js["reference_group"] == "black" and js["reference_point"] == 1,
       f"the JSON names the reference group and point: {js['reference_group']}, {js['reference_point']}")
report("dropout gap to black" in text and "change from point 1" in text and "minus point 1" in text,
       "the text table names the reference group and point")

# numpy from the file: dropout of each group in each run
with h5py.File(os.path.join(tmp, "s.h5")) as f:
    groups = [g.decode() if isinstance(g, bytes) else g for g in f["summary/group"][()]]
    drop = f["summary/dropout"][()]          # run x (all + groups)
    point = f["runs/point"][()]
    R = 5
    by = {p_: drop[point == p_] for p_ in range(3)}   # replicate x group, in run order
    gi = {g: i for i, g in enumerate(groups)}
    W, B = gi["white"], gi["black"]
    for pt in (0, 2):
        bp = js["by_point"][pt]
        c = bp["contrasts"]["white"]["dropout"]
        gap = by[pt][:, W] - by[pt][:, B]
        gap_ref = by[1][:, W] - by[1][:, B]
        same(f"point {pt}: gap white - black", c["gap"], mean_stat(gap))
        same(f"point {pt}: ratio white / black", c["ratio"], ratio_stat(by[pt][:, W], by[pt][:, B]))
        same(f"point {pt}: change of the gap from point 1", c["change"], mean_stat(gap - gap_ref))
        r, se, lo, hi = ratio_stat(gap - gap_ref, gap_ref)
        same(f"point {pt}: share of point 1's gap closed", c["closed"], (-r, se, -hi, -lo))
        same(f"point {pt}: latinx's paired difference to point 1",
             bp["paired_by_group"]["latinx"]["dropout"], mean_stat(by[pt][:, gi["latinx"]] - by[1][:, gi["latinx"]]))
        same(f"point {pt}: all pairs' dropout relative to point 1",
             bp["relative_by_group"]["all"]["dropout"], ratio_stat(by[pt][:, 0], by[1][:, 0]))
    bp1 = js["by_point"][1]
    report("change" not in bp1["contrasts"]["white"]["dropout"] and "paired_by_group" not in bp1
           and "paired_by_group" in js["by_point"][0],
           "the reference point has no paired statistics; point 0 has them")

    # /statistics: the JSON's numbers, every one
    st = f["statistics"]
    obs = [o.decode() if isinstance(o, bytes) else o for o in st["observable"][()]]
    sgroups = [g.decode() if isinstance(g, bytes) else g for g in st["group"][()]]
    report(sgroups == groups and st.attrs["reference_group"] in ("black", b"black")
           and int(st.attrs["reference_point"]) == 1 and int(st.attrs["replicates"]) == R,
           "/statistics: groups, reference group black, reference point 1, replicates 5")
    mismatches, compared = [], 0
    for pt in range(3):
        bp = js["by_point"][pt]
        for gname in groups:
            g = sgroups.index(gname)
            for k, o in enumerate(obs):
                cands = {"mean": bp["by_group"].get(gname, {}).get(o),
                         "paired_difference": bp.get("paired_by_group", {}).get(gname, {}).get(o),
                         "relative": bp.get("relative_by_group", {}).get(gname, {}).get(o)}
                con = bp.get("contrasts", {}).get(gname, {}).get(o, {})
                cands.update({"gap": con.get("gap"), "gap_change": con.get("change"), "ratio": con.get("ratio"),
                              "gap_closed": con.get("closed")})
                for name, want in cands.items():
                    if want is None:
                        continue
                    est = want.get("mean", want.get("share", want.get("ratio")))
                    row = st[name][pt, g, k, :]
                    wantv = [est, want["se"], want["ci"][0], want["ci"][1], want["n"]]
                    compared += 1
                    if not all(close(a, (math.nan if b is None else b), 1e-15) for a, b in zip(row, wantv)):
                        mismatches.append((pt, gname, o, name, list(row), wantv))
    report(not mismatches and compared > 500,
           f"/statistics holds the JSON's numbers: {compared} statistics compared, mismatches {mismatches[:2]}")

    # the concordance by dimension: the JSON's, and numpy's from /summary
    dims = [d.decode() if isinstance(d, bytes) else d for d in st["dimension"][()]]
    cbd = st["concordance_by_dimension"]
    scales = [cbd.dims[a][0].name.rsplit("/", 1)[-1] for a in range(4)]
    report(dims == list(js["by_point"][0]["concordance_by_dimension"]) == ["ethnoracial", "language"]
           and scales == ["point", "group", "dimension", "field"] and cbd.shape == (3, len(groups), 2, 5),
           f"/statistics/concordance_by_dimension over (point, group, dimension, field), dimensions {dims}, {scales}")
    bad_json, bad_numpy, compared = [], [], 0
    for pt in range(3):
        c = js["by_point"][pt]["concordance_by_dimension"]
        for a, dim in enumerate(dims):
            col = f["summary"][f"concordance_by_dimension.{dim}"][()][point == pt]  # replicate x (all + groups)
            for gname in groups:
                g = sgroups.index(gname)
                want = c[dim]["all"] if gname == "all" else c[dim]["by_group"][gname]
                row = cbd[pt, g, a, :]
                wantv = [want["mean"], want["se"], want["ci"][0], want["ci"][1], want["n"]]
                compared += 1
                if not all(close(x, (math.nan if y is None else y), 1e-15) for x, y in zip(row, wantv)):
                    bad_json.append((pt, gname, dim, list(row), wantv))
                if not (all(close(x, y, 1e-12) for x, y in zip(row[:4], mean_stat(col[:, groups.index(gname)])))
                        and row[4] == R):
                    bad_numpy.append((pt, gname, dim, list(row)))
    report(not bad_json and compared == 3 * len(groups) * 2,
           f"/statistics/concordance_by_dimension = the JSON's concordance_by_dimension ({compared} statistics, to "
           f"1e-15)", str(bad_json[:2]))
    report(not bad_numpy, "/statistics/concordance_by_dimension = numpy's mean, se and t interval of /summary's "
           "concordance_by_dimension.DIM over each point's replicates, n = 5", str(bad_numpy[:2]))

# shards merged: the same /statistics, bit for bit
for i in range(3):
    run("run", scenario, "--shard", f"{i}/3", "-o", f"sh{i}.h5")
run("merge", "sh0.h5", "sh1.h5", "sh2.h5", "-o", "m.h5")
run("merge", "m.h5", "-o", "m2.h5")
with h5py.File(os.path.join(tmp, "s.h5")) as a, h5py.File(os.path.join(tmp, "m.h5")) as b, \
        h5py.File(os.path.join(tmp, "m2.h5")) as c:
    equal = all(np.array_equal(a["statistics"][s][()], b["statistics"][s][()], equal_nan=True)
                and np.array_equal(a["statistics"][s][()], c["statistics"][s][()], equal_nan=True)
                and a["statistics"][s].attrs.get("long_name") == b["statistics"][s].attrs.get("long_name")
                for s in STATS) and list(a["statistics/dimension"][()]) == list(b["statistics/dimension"][()])
    report(equal, "3 shards merged, and that file merged again: the same /statistics, bit for bit")
    with h5py.File(os.path.join(tmp, "sh0.h5")) as part:
        report("statistics" not in part, "a shard's part has no /statistics (its points are incomplete)")

# without the section: the first group and point 0
plain = write("plain.yaml", SWEEP.replace("contrasts: {reference_group: black, reference_point: 1}\n", ""))
run("run", plain, "-o", "p.h5")
with h5py.File(os.path.join(tmp, "p.h5")) as f:
    at = f["statistics"].attrs
    gap0 = f["statistics/gap"][0, 3, 0, 0]   # point 0, black, dropout, estimate
    drop = f["summary/dropout"][()][f["runs/point"][()] == 0]
    report(at["reference_group"] in ("white", b"white") and int(at["reference_point"]) == 0
           and close(gap0, float(np.mean(drop[:, 3] - drop[:, 1])), 1e-12),
           f"no contrasts section: reference white and point 0; black's gap at point 0 {gap0:.5f}")

# no concordance by dimension: model 1, and model 2 without a categorical dimension
run("run", write("m1.yaml", SWEEP.replace("model: 2", "model: 1")), "-o", "m1.h5")
GROUP = ("    {}:\n      share: 0.5\n      x: {}\n      mistrust: beta(2, 5)\n      barrier: beta(2, 5)\n"
         "      stressor_rate: gamma(2, 0.03)\n      symptoms: normal(15, 4)\n")
run("run", write("cont.yaml", "seed: 11\nmodel: 2\nreplicates: 2\npatients:\n  count: 200\n  groups:\n"
                 + GROUP.format("a", "beta(2, 2)") + GROUP.format("b", "beta(5, 2)")
                 + "providers:\n  count: 10\n  groups:\n    p: {share: 1, x: \"beta(2, 5)\", humility: \"beta(3, 3)\"}\n"
                 "culture:\n  dimensions:\n    - {name: x, kind: continuous, weight: 1}\n"
                 "sweep: {grid: {discussion.policy: [never, intake]}}\n"), "-o", "cont.h5")
with h5py.File(os.path.join(tmp, "m1.h5")) as m1, h5py.File(os.path.join(tmp, "cont.h5")) as m2c:
    report(all("mean" in h["statistics"] and "dimension" not in h["statistics"]
               and "concordance_by_dimension" not in h["statistics"] for h in (m1, m2c)),
           "a model-1 sweep, and a model-2 sweep without a categorical dimension: /statistics without dimension "
           "nor concordance_by_dimension")

# a sweep whose points have other patient groups: refused, without a file too
G = ('{share: %s, ethnoracial: white, language: english, class: "beta(2, 2)", explanatory_model: "beta(2, 2)", '
     'mistrust: "beta(2, 2)", barrier: "beta(2, 2)", stressor_rate: "gamma(2, 0.03)", symptoms: "normal(15, 4)"}')
groups = write("groups.yaml", "seed: 5\npatients: {count: 200}\nproviders: {count: 20}\nreplicates: 2\n"
               "sweep:\n  grid:\n    patients.groups:\n"
               f"      - {{white: {G % 1}}}\n      - {{white: {G % 0.5}, black: {G % 0.5}}}\n")
p = subprocess.run([BIN, "run", groups], capture_output=True, text=True, cwd=tmp)
report(p.returncode == 2 and not p.stdout and p.stderr.count("\n") == 1
       and "changes the patient groups or the categorical dimensions" in p.stderr,
       "a sweep whose points have other patient groups is refused without a file too (exit 2, one line)",
       p.stderr.strip())

try:
    import xarray as xr
    ds = xr.open_dataset(os.path.join(tmp, "s.h5"), group="statistics")
    v = float(ds["gap_closed"].sel(point=0, group="white", observable="dropout", field="estimate"))
    report(close(v, js["by_point"][0]["contrasts"]["white"]["dropout"]["closed"]["share"], 1e-15)
           and list(ds["gap"].dims) == ["point", "group", "observable", "field"],
           f"xarray reads /statistics with its coordinates (gap closed at point 0 {v:.4f})")
    c = ds["concordance_by_dimension"].sel(group="black", dimension="language")
    want = [js["by_point"][p]["concordance_by_dimension"]["language"]["by_group"]["black"] for p in range(3)]
    report(list(ds["concordance_by_dimension"].dims) == ["point", "group", "dimension", "field"]
           and list(ds["dimension"].values) == ["ethnoracial", "language"]
           and all(close(float(c.sel(point=p, field="estimate")), want[p]["mean"], 1e-15)
                   and close(float(c.sel(point=p, field="ci_hi")), want[p]["ci"][1], 1e-15) for p in range(3)),
           "xarray labels /statistics/concordance_by_dimension: point, group, dimension (ethnoracial, language), "
           f"field (black's language concordance at point 0 {float(c.sel(point=0, field='estimate')):.4f})")
except ImportError:
    pass

shutil.rmtree(tmp)
finish()
