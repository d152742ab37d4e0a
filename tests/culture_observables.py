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
naming the row). Concordance on each categorical dimension
(concordance_by_dimension.DIM: the share of pairs whose patient and provider
have the same level of DIM) likewise: recomputed from /pairs and /providers
for every run and group, in /summary, /runs, the run's and the sweep's JSON
(point means, se and 95% CI over replicates), rapport summary (recomputed and
stored), a merge of two shards, and absent from a model-1 file; the mean over
the dimensions is concordance; under same_group the Black patients'
concordance on the matched dimension is capped by the Black providers' places
(about a third of the Black patients in the default population).

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
CAT = [d for d, (kind, _) in DIMS.items() if kind == "categorical"]
LEVELS = {"ethnoracial": ["white", "latinx", "black", "asian"]}
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
ok_dim = ok_mean = ok_dim_runs = True
why = why_dim = ""
caps = []  # same_group runs: (Black patients' ethnoracial concordance, Black providers' places / Black patients)
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
    same = cult[:, cat] == pcult[:, cat]  # [pair, categorical dimension]
    for col, name in enumerate(groups):
        sel = np.ones(n, bool) if col == 0 else grp == col - 1
        for a, dim in enumerate(CAT):
            exp = same[sel, a].mean() if sel.any() else np.nan
            got = summary[f"concordance_by_dimension.{dim}"][k, col]
            if not close(got, exp, 0):
                ok_dim, why_dim = False, f"run {k} {name} {dim}: {got!r}, numpy {exp!r}"
        mean_dims = np.mean([summary[f"concordance_by_dimension.{d}"][k, col] for d in CAT])
        if not close(summary["concordance"][k, col], mean_dims):
            ok_mean, why_dim = False, f"run {k} {name}: concordance {summary['concordance'][k, col]!r}, mean {mean_dims!r}"
    for dim in CAT:
        ok_dim_runs = ok_dim_runs and runs[f"concordance_by_dimension.{dim}"][k] == summary[f"concordance_by_dimension.{dim}"][k, 0]
    if POLICIES[k // R] == "same_group":  # the Black patients' cap: the Black providers' places
        e = CAT.index("ethnoracial")
        black = LEVELS["ethnoracial"].index("black")
        places = providers["caseload"][b:b + m][pcult_all[b:b + m][:, dims.index("ethnoracial")] == black].sum()
        n_black = (cult[:, dims.index("ethnoracial")] == black).sum()
        got = summary["concordance_by_dimension.ethnoracial"][k, 1 + groups[1:].index("black")]
        caps.append((float(got), float(min(1.0, places / n_black))))
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
report(ok_dim, "concordance_by_dimension.DIM = the share of pairs with the same level of DIM (/pairs x /providers), "
       "exactly, every dimension, run and group, over the three policies", why_dim)
report(ok_mean, "concordance = the mean of the per-dimension shares (to rounding)", why_dim)
report(ok_dim_runs, "/runs/concordance_by_dimension.DIM = /summary/concordance_by_dimension.DIM[:, 0]")
report(sorted(k for k in summary if k.startswith("concordance_by_dimension.")) ==
       sorted(f"concordance_by_dimension.{d}" for d in CAT)
       and all("same level of " + d in summary[f"concordance_by_dimension.{d}"].attrs["long_name"].decode()
               if isinstance(summary[f"concordance_by_dimension.{d}"].attrs["long_name"], bytes)
               else "same level of " + d in summary[f"concordance_by_dimension.{d}"].attrs["long_name"] for d in CAT),
       "one column per categorical dimension (none for a continuous one), its long_name naming the dimension")
# same_group gives a patient a provider of her level while one has room, else any: the Black providers'
# places (a third of the Black patients here) bound the Black patients' concordance, and others' spill-over
# takes a few of those places first
report(len(caps) == R and all(0.9 * c <= g <= c + 1e-12 and c < 0.4 for g, c in caps),
       "same_group: Black patients' ethnoracial concordance is capped by the Black providers' places / Black "
       "patients (about a third), and nearly reaches it", json.dumps(caps))
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

# the sweep JSON's concordance by dimension: mean, se and 95% CI over each point's replicates
ok, why = "by_point" in out, ""
for p in range(len(POLICIES)):
    if not ok:
        break
    c = out["by_point"][p].get("concordance_by_dimension", {})
    if list(c) != CAT:
        ok, why = False, f"point {p}: dimensions {list(c)}"
        break
    for col, name in enumerate(groups):
        for dim in CAT:
            v = summary[f"concordance_by_dimension.{dim}"][p * R:(p + 1) * R, col]
            st = c[dim]["all"] if col == 0 else c[dim]["by_group"][name]
            se = v.std(ddof=1) / np.sqrt(R)
            t = 12.706204736174707  # Student's t 0.975, 1 df (R = 2)
            if not (close(st["mean"], v.mean()) and close(st["se"], se, 1e-9) and st["n"] == R
                    and close(st["ci"][0], v.mean() - t * se, 1e-9) and close(st["ci"][1], v.mean() + t * se, 1e-9)):
                ok, why = False, f"point {p} {name} {dim}: JSON {st}, /summary {v.tolist()}"
report(ok, "the sweep JSON's concordance_by_dimension per point: mean, se and 95% CI of the replicates' /summary values",
       why)

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
ok, why = True, ""
for k in (0, n_runs - 1):
    s = json.loads(run("summary", "s.h5", "--run", str(k), "--json").stdout or "{}")
    c = s.get("concordance_by_dimension", {})
    for col, name in enumerate(groups):
        for dim in CAT:
            got = c.get(dim, {}).get("all") if col == 0 else c.get(dim, {}).get("by_group", {}).get(name)
            exp = float(summary[f"concordance_by_dimension.{dim}"][k, col])
            if got != exp:
                ok, why = False, f"run {k} {name} {dim}: summary {got!r}, file {exp!r}"
report(ok, "rapport summary --run recomputes concordance by dimension from /pairs and /providers, bit for bit", why)
text = run("summary", "s.h5", "--run", "0").stdout
report(all(f"concordance on {d}" in text for d in CAT), "the text summary has a row per categorical dimension",
       text[-400:])

# two shards merged: the same columns, bit for bit
run("run", sweep, "--shard", "0/2", "-o", "a.h5")
run("run", sweep, "--shard", "1/2", "-o", "b.h5")
run("merge", "a.h5", "b.h5", "-o", "m.h5")
with h5py.File(os.path.join(tmp, "m.h5"), "r") as h:
    report(all(np.array_equal(h["summary"][f"concordance_by_dimension.{d}"][()],
                              summary[f"concordance_by_dimension.{d}"][()]) and
               np.array_equal(h["runs"][f"concordance_by_dimension.{d}"][()], runs[f"concordance_by_dimension.{d}"][()])
               for d in CAT), "a merge of two shards has the same concordance_by_dimension columns")

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
report(all(one["concordance_by_dimension"][d]["all"] == g1["summary"][f"concordance_by_dimension.{d}"][0, 0] and
           all(one["concordance_by_dimension"][d]["by_group"][name] ==
               g1["summary"][f"concordance_by_dimension.{d}"][0, 1 + i] for i, name in enumerate(groups[1:]))
           for d in CAT) and list(one["concordance_by_dimension"]) == CAT,
       "a run's JSON holds concordance_by_dimension, all and by_group, as its file")
report(s.get("concordance_by_dimension") == one["concordance_by_dimension"],
       "rapport summary of a --summary-only file prints the stored concordance by dimension")
g2.close()

# model 1: neither column, nor key
m1 = write("m1.yaml", "model: 1\nseed: 11\npatients: {count: 3000}\nproviders: {count: 150}\n")
j1 = json.loads(run("run", m1, "--json", "-o", "m1.h5").stdout or "{}")
with h5py.File(os.path.join(tmp, "m1.h5"), "r") as h:
    report("concordance" not in h["summary"] and "distance_mean" not in h["runs"] and "concordance" not in j1
           and "distance_mean" not in j1.get("by_group", {}).get("white", {"distance_mean": 0}),
           "a model-1 run has no distance_mean or concordance (column or key)")
    report(not any(k.startswith("concordance_by_dimension") for k in list(h["summary"]) + list(h["runs"]))
           and "concordance_by_dimension" not in j1, "a model-1 run has no concordance by dimension (column or key)")

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
           and isinstance(jc.get("distance_mean"), float) and 0 < jc["distance_mean"] < 1
           and jc.get("concordance_by_dimension") == {},
           "without a categorical dimension concordance is null, concordance_by_dimension {}, distance_mean a number",
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
