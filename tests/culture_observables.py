#!/usr/bin/python3
"""culture_observables.py RAPPORT_BIN SRC_DIR - distance_mean and concordance from the file.

A sweep over the three assignment policies (2 replicates each, 3,000 pairs)
written with -o: for every run, the observables distance_mean (mean d_ij over
the pairs) and concordance (mean share of the categorical dimensions on which
patient and provider have the same level) are recomputed with numpy from
/pairs (group, provider, distance, culture) and /providers (culture), overall
and by group, and compared with /summary, /runs and the JSON; /pairs/distance
is recomputed from both cultures and the dimensions' weights (MODEL.md,
"Cultural distance"). Also: `rapport summary FILE --run R` recomputes them from
/pairs bit for bit; a --summary-only file stores them; a model-1 file has no
column of them; same_group raises concordance and min_distance lowers the
distance; a corrupt culture or distance in the file is refused (exit 2,
naming the row).

Prints one PASS/FAIL line per check, then "N passed, N failed"; exits 1 on
any failure and 77 when h5py or numpy is missing.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from testlib import finish, report, skip_test  # noqa: E402

try:
    import numpy as np
    import h5py
except ImportError as e:
    skip_test(f"{e} (install python3-h5py python3-numpy)")

BIN = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else sys.exit("usage: culture_observables.py RAPPORT_BIN SRC_DIR")
tmp = tempfile.mkdtemp(prefix="rapport-culture-")

# The default dimensions (rapport show): two categorical, two continuous.
DIMS = {"ethnoracial": ("categorical", 1.0), "language": ("categorical", 0.6),
        "class": ("continuous", 0.7), "explanatory_model": ("continuous", 0.8)}
POLICIES = ["random", "same_group", "min_distance"]
R = 2
SWEEP = f"""seed: 11
patients: {{count: 3000}}
providers: {{count: 150}}
replicates: {R}
sweep:
  streams: common
  grid:
    assignment.policy: [{", ".join(POLICIES)}]
"""


def write(name, text):
    path = os.path.join(tmp, name)
    with open(path, "w") as fh:
        fh.write(text)
    return path


def run(*args, expect=0):
    p = subprocess.run([BIN, *args], capture_output=True, text=True, cwd=tmp)
    if p.returncode != expect:
        report(False, f"rapport {' '.join(args)} exits {expect}", f"exit {p.returncode}: {p.stderr.strip()[:400]}")
    return p


def close(a, b, tol=1e-12):
    if a is None or b is None:
        return a is None and b is None
    return (np.isnan(a) and np.isnan(b)) or abs(a - b) <= tol * max(1.0, abs(b))


sweep = write("sweep.yaml", SWEEP)
out = json.loads(run("run", sweep, "-o", "s.h5", "--json", "--threads", "2").stdout or "{}")
f = h5py.File(os.path.join(tmp, "s.h5"), "r")
pairs, providers, runs, summary = f["pairs"], f["providers"], f["runs"], f["summary"]
dims = [d.decode() if isinstance(d, bytes) else d for d in pairs["dimension"][()]]
groups = [g.decode() if isinstance(g, bytes) else g for g in summary["group"][()]]
cat = np.array([DIMS[d][0] == "categorical" for d in dims])
w = np.array([DIMS[d][1] for d in dims])
report(dims == list(DIMS) and groups[0] == "all" and len(groups) == 5,
       "the file's dimensions and groups are the defaults", f"{dims} {groups}")
n_runs = len(runs["run"])
report(n_runs == len(POLICIES) * R, "one run per policy and replicate", str(n_runs))

# every run, recomputed from /pairs and /providers
g_all, prov_all, dist_all, cult_all = (pairs[k][()] for k in ("group", "provider", "distance", "culture"))
pcult_all = providers["culture"][()]
ok_d = ok_c = ok_gower = ok_runs = True
why = ""
means = {}  # policy -> (distance_mean, concordance), overall, over replicates
for k in range(n_runs):
    a, n = int(runs["first_pair"][k]), int(runs["pairs"][k])
    b, m = int(runs["first_provider"][k]), int(runs["providers"][k])
    grp, prov, dist, cult = g_all[a:a + n], prov_all[a:a + n], dist_all[a:a + n], cult_all[a:a + n]
    pcult = pcult_all[b:b + m][prov]  # each pair's provider's culture
    delta = np.where(cat, (cult != pcult).astype(float), np.abs(cult - pcult))
    gower = np.sqrt((delta ** 2 * w).sum(axis=1) / w.sum())
    if not np.allclose(dist, gower, rtol=0, atol=1e-14):
        ok_gower = False
        why = f"run {k}: max |d - gower| {np.abs(dist - gower).max()}"
    share = (cult[:, cat] == pcult[:, cat]).mean(axis=1)
    for col, name in enumerate(groups):
        sel = np.ones(n, bool) if col == 0 else grp == col - 1
        exp_d = dist[sel].mean() if sel.any() else np.nan
        exp_c = share[sel].mean() if sel.any() else np.nan
        got_d, got_c = summary["distance_mean"][k, col], summary["concordance"][k, col]
        if not close(got_d, exp_d):
            ok_d, why = False, f"run {k} {name}: distance_mean {got_d!r}, numpy {exp_d!r}"
        if not close(got_c, exp_c):
            ok_c, why = False, f"run {k} {name}: concordance {got_c!r}, numpy {exp_c!r}"
    for obs in ("distance_mean", "concordance"):
        ok_runs = ok_runs and runs[obs][k] == summary[obs][k, 0]
    pol = POLICIES[k // R]
    d0, c0 = means.get(pol, (0.0, 0.0))
    means[pol] = (d0 + summary["distance_mean"][k, 0] / R, c0 + summary["concordance"][k, 0] / R)
report(ok_gower, "/pairs/distance is the Gower distance of both cultures (MODEL.md)", why)
report(ok_d, "distance_mean = the mean of /pairs/distance, overall and by group, every run", why)
report(ok_c, "concordance = the mean share of categorical dimensions matched (/pairs x /providers), every run", why)
report(ok_runs, "/runs/<observable> = /summary/<observable>[:, 0]")
report(summary["distance_mean"].attrs.get("long_name", b"") not in (b"", "")
       and summary["concordance"].attrs.get("long_name", b"") not in (b"", ""),
       "both columns carry their definition as long_name")
report(means["same_group"][1] > means["random"][1] + 0.1 and means["min_distance"][0] < means["random"][0] - 0.1,
       "same_group raises concordance, min_distance lowers the distance (policy means over replicates)",
       json.dumps({p: [float(x) for x in v] for p, v in means.items()}))

# the JSON: per point, overall and by group, the replicate means of /summary
ok = "by_point" in out
for p in range(len(POLICIES)):
    if not ok:
        break
    pt = out["by_point"][p]
    for col, name in enumerate(groups):
        for obs in ("distance_mean", "concordance"):
            exp = summary[obs][p * R:(p + 1) * R, col].mean()
            got = pt["mean"][obs] if col == 0 else pt["by_group"][name][obs]["mean"]
            if not close(got, exp):
                ok, why = False, f"point {p} {name} {obs}: JSON {got}, /summary mean {exp}"
report(ok, "the sweep JSON's point means (overall and by group) are the /summary means", why if not ok else "")

# rapport summary recomputes them from /pairs and /providers, bit for bit
ok = True
for k in (0, n_runs - 1):
    s = json.loads(run("summary", "s.h5", "--run", str(k), "--json").stdout or "{}")
    for col, name in enumerate(groups):
        for obs in ("distance_mean", "concordance"):
            got = s.get(obs) if col == 0 else s.get("by_group", {}).get(name, {}).get(obs)
            if got != float(summary[obs][k, col]):
                ok, why = False, f"run {k} {name} {obs}: summary {got!r}, file {summary[obs][k, col]!r}"
report(ok, "rapport summary --run recomputes both from the file, bit for bit (overall and by group)", why if not ok else "")

# a single run's JSON and a --summary-only file
single = write("one.yaml", "seed: 11\npatients: {count: 3000}\nproviders: {count: 150}\n")
one = json.loads(run("run", single, "--json", "-o", "one.h5").stdout or "{}")
run("run", single, "--summary-only", "-o", "only.h5")
g1, g2 = h5py.File(os.path.join(tmp, "one.h5"), "r"), h5py.File(os.path.join(tmp, "only.h5"), "r")
ok = all(one[obs] == g1["summary"][obs][0, 0] and
         all(one["by_group"][name][obs] == g1["summary"][obs][0, 1 + i] for i, name in enumerate(groups[1:]))
         for obs in ("distance_mean", "concordance"))
report(ok, "a run's JSON holds both, overall and by_group, as its file")
report(all(np.array_equal(g1["summary"][o][()], g2["summary"][o][()]) for o in ("distance_mean", "concordance"))
       and "pairs" not in g2, "a --summary-only file stores the same values")
s = json.loads(run("summary", "only.h5", "--json").stdout or "{}")
report(s.get("concordance") == float(g2["summary"]["concordance"][0, 0]),
       "rapport summary of a --summary-only file prints the stored concordance")
g2.close()

# model 1: neither column, nor key
m1 = write("m1.yaml", "model: 1\nseed: 11\npatients: {count: 3000}\nproviders: {count: 150}\n")
j1 = json.loads(run("run", m1, "--json", "-o", "m1.h5").stdout or "{}")
with h5py.File(os.path.join(tmp, "m1.h5"), "r") as h:
    report("concordance" not in h["summary"] and "distance_mean" not in h["runs"] and "concordance" not in j1
           and "distance_mean" not in j1.get("by_group", {}).get("white", {"distance_mean": 0}),
           "a model-1 run has no distance_mean or concordance (column or key)")

# no categorical dimension: concordance undefined (null), distance defined
GROUP = "    {}:\n      share: 0.5\n      x: {}\n" + "".join(
    f"      {k}: {v}\n" for k, v in [("mistrust", "beta(2, 5)"), ("barrier", "beta(2, 5)"),
                                   ("stressor_rate", "gamma(2, 0.03)"), ("symptoms", "normal(15, 4)")])
cont = write("cont.yaml", "seed: 11\npatients:\n  count: 600\n  groups:\n" + GROUP.format("a", "beta(2, 2)")
             + GROUP.format("b", "beta(5, 2)") + """providers:
  count: 30
  groups:
    p:
      share: 1
      x: beta(2, 5)
      humility: beta(3, 3)
culture:
  dimensions:
    - {name: x, kind: continuous, weight: 1}
""")
p = run("run", cont, "--json")
if p.returncode == 0:
    jc = json.loads(p.stdout)
    report(jc.get("concordance", 0) is None and jc["by_group"]["a"]["concordance"] is None
           and isinstance(jc.get("distance_mean"), float) and 0 < jc["distance_mean"] < 1,
           "without a categorical dimension concordance is null, distance_mean a number",
           json.dumps({k: jc.get(k) for k in ("concordance", "distance_mean")}))

# a corrupt file is refused, naming the row
g1.close()
for what, table, col, value in [("a provider culture outside the levels", "providers", "culture", 9.0),
                                ("a distance above 1", "pairs", "distance", 1.5)]:
    bad = os.path.join(tmp, "bad.h5")
    shutil.copy(os.path.join(tmp, "one.h5"), bad)
    with h5py.File(bad, "r+") as h:
        d = h[table][col]
        if d.ndim == 2:
            d[3, 0] = value
        else:
            d[3] = value
    p = run("summary", "bad.h5", expect=2)
    report(p.returncode == 2 and f"/{table}/{col} row 3 is 9" in p.stderr if value == 9.0
           else p.returncode == 2 and f"/{table}/{col} row 3 is 1.5" in p.stderr,
           f"rapport summary refuses {what}, naming the row", p.stderr.strip())

f.close()
shutil.rmtree(tmp, ignore_errors=True)
finish()
