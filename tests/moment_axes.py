#!/usr/bin/env python3
"""moment_axes.py RAPPORT_BIN SRC_DIR - a sweep over a group's distribution by its mean and sd, end to end.

An LHS sweep over patients.groups.black.mistrust.mean (and .sd) of the
calibrated baseline, written with -o: each run's /runs column of the axis
is the value `rapport show` labels its point with; the point's resolved
scenario (the baseline with `--set patients.groups.black.mistrust.mean=V`,
as `rapport show` prints it) has a beta of that mean, with the baseline's
concentration a + b; and the run of the point is the run of that resolved
scenario alone (common streams: replicate r is stream r), observable for
observable. Also a grid over a gamma's mean and a normal's sd, and sharded
parts merged, which keep the column. Needs h5py and PyYAML
(/usr/bin/python3).
"""
import math
import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from testlib import check, finish, report, skip_test  # noqa: E402

try:
    import h5py
    import yaml
except ImportError:
    skip_test("h5py or PyYAML is missing")

BIN, SRC = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
BASE = os.path.join(SRC, "scenarios", "baseline.yaml")
tmp = tempfile.mkdtemp(prefix="rapport-moments.")
KEY = "patients.groups.black.mistrust"


def rapport(*args):
    r = subprocess.run([BIN, *args], capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(f"rapport {' '.join(args)}: exit {r.returncode}: {r.stderr.strip()[:300]}")
    return r.stdout


def write(name, text):
    path = os.path.join(tmp, name)
    with open(path, "w") as f:
        f.write(text)
    return path


def dist(text):
    """(family, a, b) of 'beta(a, b)', or ('fixed', c, 0)."""
    m = re.fullmatch(r"(\w+)\(([^,]+), ([^)]+)\)", str(text).strip())
    return (m.group(1), float(m.group(2)), float(m.group(3))) if m else ("fixed", float(text), 0.0)


def black(shown, key):
    return dist(yaml.safe_load(shown)["patients"]["groups"]["black"][key])


def points(shown):
    """{point: {axis: value text}} from show's '# point N: K=V ...' lines."""
    out = {}
    for line in shown.splitlines():
        m = re.match(r"# point (\d+): (.*)", line)
        if m:
            out[int(m.group(1))] = dict(kv.split("=", 1) for kv in m.group(2).split())
    return out


SMALL = "patients:\n  count: 1500\nproviders:\n  count: 75\nreplicates: 2\n"
lhs = write("lhs.yaml", f"extends: {BASE}\n{SMALL}sweep:\n  lhs:\n    samples: 5\n    ranges:\n"
                        f"      {KEY}.mean: [0.2, 0.5]\n")
both = write("both.yaml", f"extends: {BASE}\n{SMALL}sweep:\n  lhs:\n    samples: 3\n    ranges:\n"
                          f"      {KEY}.mean: [0.2, 0.5]\n      {KEY}.sd: [0.08, 0.15]\n")
base_mistrust = black(rapport("show", BASE), "mistrust")  # beta(5, 4)
shown = rapport("show", lhs)
labels = points(shown)
out = os.path.join(tmp, "lhs.h5")
rapport("run", lhs, "-o", out, "--threads", "2")
f = h5py.File(out, "r")
runs = f["runs"]


@check("show labels the 5 points with the axis KEY.mean")
def _():
    if sorted(labels) != list(range(5)) or any(list(v) != [f"{KEY}.mean"] for v in labels.values()):
        return f"labels: {labels}"


@check("/runs has the axis column, each run its point's value")
def _():
    if f"{KEY}.mean" not in runs:
        return f"no column {KEY}.mean in /runs: {sorted(k for k in runs if 'groups' in k)}"
    col, point = runs[f"{KEY}.mean"][:], runs["point"][:]
    bad = [(int(p), float(v)) for p, v in zip(point, col)
           if not math.isclose(v, float(labels[int(p)][f"{KEY}.mean"]), rel_tol=1e-12)]
    if bad:
        return f"runs whose column is not their point's value: {bad[:3]}"
    if "mean of patients.groups.black.mistrust" not in str(runs[f"{KEY}.mean"].attrs.get("long_name")):
        return f"long_name {runs[f'{KEY}.mean'].attrs.get('long_name')!r}"


@check("each point's resolved scenario: a beta of that mean with the baseline's a + b, and the run is its run")
def _():
    fam, a0, b0 = base_mistrust
    if fam != "beta":
        return f"the baseline's black mistrust is {base_mistrust}, expected a beta"
    for p in range(5):
        v = labels[p][f"{KEY}.mean"]
        point_yaml = rapport("show", BASE, "--set", "patients.count=1500", "--set", "providers.count=75",
                             "--set", f"{KEY}.mean={v}")
        fam, a, b = black(point_yaml, "mistrust")
        if fam != "beta" or not math.isclose(a / (a + b), float(v), rel_tol=1e-12) or \
                not math.isclose(a + b, a0 + b0, rel_tol=1e-12):
            return f"point {p}: mean {v} shows beta({a}, {b}), expected mean {v} and a + b = {a0 + b0}"
        if not math.isclose(runs[f"{KEY}.mean"][2 * p], a / (a + b), rel_tol=1e-12):
            return f"point {p}: /runs {runs[f'{KEY}.mean'][2 * p]} vs the resolved beta's mean {a / (a + b)}"
        alone = write(f"point{p}.yaml", point_yaml)
        for r in (0, 1):
            one = os.path.join(tmp, f"point{p}-{r}.h5")
            rapport("run", alone, "--replicate", str(r), "-o", one, "--threads", "2")
            with h5py.File(one, "r") as g:
                for obs in ("dropout", "early_dropout", "sessions_mean"):
                    if g["runs"][obs][0] != runs[obs][2 * p + r]:
                        return (f"point {p} replicate {r}: {obs} {runs[obs][2 * p + r]} in the sweep, "
                                f"{g['runs'][obs][0]} run alone from its resolved scenario")


@check("mean and sd together: each point has both, the sd column its beta's sd")
def _():
    lab = points(rapport("show", both))
    path = os.path.join(tmp, "both.h5")
    rapport("run", both, "-o", path, "--summary-only")
    with h5py.File(path, "r") as g:
        r = g["runs"]
        for run in range(6):
            p = int(r["point"][run])
            m, s = float(lab[p][f"{KEY}.mean"]), float(lab[p][f"{KEY}.sd"])
            if not (math.isclose(r[f"{KEY}.mean"][run], m, rel_tol=1e-12) and
                    math.isclose(r[f"{KEY}.sd"][run], s, rel_tol=1e-12)):
                return f"run {run}: ({r[f'{KEY}.mean'][run]}, {r[f'{KEY}.sd'][run]}) vs point {p}'s ({m}, {s})"


@check("grid over a gamma's mean and a normal's sd; shards merged keep the columns")
def _():
    grid = write("grid.yaml", f"extends: {BASE}\n{SMALL}sweep:\n  grid:\n"
                              "    patients.groups.black.stressor_rate.mean: [0.08, 0.2]\n"
                              "    patients.groups.black.symptoms.sd: [3, 5]\n")
    whole, parts = os.path.join(tmp, "grid.h5"), [os.path.join(tmp, f"grid{k}.h5") for k in (0, 1)]
    rapport("run", grid, "-o", whole)
    for k in (0, 1):
        rapport("run", grid, "--shard", f"{k}/2", "-o", parts[k])
    merged = os.path.join(tmp, "merged.h5")
    rapport("merge", *parts, "-o", merged)
    want = {"patients.groups.black.stressor_rate.mean": [0.08] * 4 + [0.2] * 4,
            "patients.groups.black.symptoms.sd": [3, 3, 5, 5] * 2}
    for path in (whole, merged):
        with h5py.File(path, "r") as g:
            for col, values in want.items():
                got = list(g["runs"][col][:]) if col in g["runs"] else None
                if got is None or any(not math.isclose(x, y, rel_tol=1e-12) for x, y in zip(got, values)):
                    return f"{os.path.basename(path)}: {col} is {got}, expected {values}"
    shown_grid = rapport("show", grid, "--set", "patients.groups.black.stressor_rate.mean=0.2")
    if black(shown_grid, "stressor_rate") != ("gamma", 2.0, 0.1):
        return f"gamma(2, 0.05) with mean 0.2 shows {black(shown_grid, 'stressor_rate')}, expected gamma(2, 0.1)"


@check("a sweep without such an axis has no such column")
def _():
    with h5py.File(os.path.join(tmp, "point0-0.h5"), "r") as g:
        extra = [k for k in g["runs"] if k.endswith((".mean", ".sd"))]
        if extra:
            return f"columns {extra}"


f.close()
finish()
