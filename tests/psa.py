"""Probabilistic sensitivity analysis (the scenario's `uncertainty:` section):
draws of coefficients from priors or from an abc-smc posterior file, every
point under each draw, the summary's uncertainty intervals.

Checks: the draws are reproducible and set each run's coefficients (/runs);
a PSA sweep is the same bits at 1 and 2 threads, as two shards merged and
on 2 MPI ranks (where the build has MPI);
the JSON's uncertainty statistics equal those recomputed with numpy from the
file's /summary (mean, the 2.5% and 97.5% quantiles, the Monte Carlo share,
P(below), P(lowest)); the file's /statistics holds the JSON's numbers, and its
concordance_by_dimension (model 2) the JSON's statistic over each point's
D x R runs (numpy's from /summary), labelled by xarray with replicate_field;
draws from a real posterior file follow its particles;
bad sections get located errors (exit 2).

Usage: psa.py RAPPORT_BIN SOURCE_DIR (under /usr/bin/python3: h5py, numpy).
"""
import json
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
except ImportError as e:
    skip_test(f"needs h5py and numpy ({e})")

BIN, SRC = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
tmp = tempfile.mkdtemp(prefix="rapport-psa-")

SWEEP = """seed: 11
model: 2
replicates: 2
patients: {count: 300}
providers: {count: 15}
sweep: {grid: {discussion.policy: [never, intake, responsive]}}
uncertainty:
  draws: 12
  priors:
    dropout.base: "uniform(-8.6, -7.4)"
    discussion.effect: "beta(6, 4)"
"""


def write(name, text):
    path = os.path.join(tmp, name)
    with open(path, "w") as f:
        f.write(text)
    return path


def run(*args, check=True):
    p = subprocess.run([BIN, *args], capture_output=True, text=True, cwd=tmp)
    if check and p.returncode != 0:
        raise SystemExit(f"rapport {' '.join(args)} failed ({p.returncode}): {p.stderr}")
    return p


sweep = write("psa.yaml", SWEEP)
out = json.loads(run("run", sweep, "-o", "psa.h5", "--json", "--threads", "1").stdout)
f = h5py.File(os.path.join(tmp, "psa.h5"), "r")
D, R, P = 12, 2, 3
report(out["uncertainty"]["draws"] == D and out["uncertainty"]["replicates_per_draw"] == R
       and out["uncertainty"]["keys"] == ["dropout.base", "discussion.effect"],
       "the JSON names the draws, replicates per draw and keys", json.dumps(out["uncertainty"]))
report(f.attrs["uncertainty_draws"] == D and "uncertainty(0.1" not in f.attrs["uncertainty_source"]
       and "dropout.base: uniform(-8.6, -7.4)" in f.attrs["uncertainty_source"],
       "the file records the draws' source", f.attrs["uncertainty_source"])
runs = f["runs"]
base = runs["dropout.base"][()].reshape(P, D, R)
effect = runs["discussion.effect"][()].reshape(P, D, R)
report(len(runs["run"]) == P * D * R, "points x draws x replicates runs", str(len(runs["run"])))
report(bool(np.all(base == base[0:1, :, 0:1]) and np.all(effect == effect[0:1, :, 0:1])),
       "a draw's coefficients are the same at every point and replicate")
report(len(np.unique(base[0, :, 0])) == D and bool(np.all((base > -8.6) & (base < -7.4))),
       "each draw its own value of dropout.base, within its uniform prior", str(base[0, :, 0]))
# stream: common, so (draw, replicate) j = d R + r runs on stream j at every point
stream = runs["stream"][()].reshape(P, D * R)
report(bool(np.all(stream == np.arange(D * R))), "streams: draw d's replicate r is stream d R + r at every point")

# the same bits: 2 threads, and two shards merged
run("run", sweep, "-o", "psa2.h5", "--threads", "2")
run("run", sweep, "--shard", "0/2", "-o", "s0.h5")
run("run", sweep, "--shard", "1/2", "-o", "s1.h5")
run("merge", "s0.h5", "s1.h5", "-o", "merged.h5")
others = ["psa2.h5", "merged.h5"]
version = run("--version").stdout
if shutil.which("mpirun") and "MPI: " in version and "MPI: none" not in version:  # an MPI build
    env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")  # root in CI
    m = subprocess.run(["mpirun", "--oversubscribe", "-n", "2", BIN, "run", sweep, "-o", "mpi.h5"],
                       capture_output=True, text=True, cwd=tmp, env=env, timeout=300)
    if m.returncode == 0:
        others.append("mpi.h5")
    else:
        report(False, "mpirun -n 2 runs the PSA sweep", m.stderr[-300:])
summary = f["summary"]
for other in others:
    g = h5py.File(os.path.join(tmp, other), "r")
    same = all(np.array_equal(summary[k][()], g["summary"][k][()], equal_nan=True)
               for k in summary if summary[k].dtype.kind == "f")
    report(same and g.attrs["uncertainty_source"] == f.attrs["uncertainty_source"],
           f"{other}: the same summaries and uncertainty attributes")

# the statistics, recomputed from /summary
drop = summary["dropout"][()]  # [run, group]: column 0 all, 1 + g the groups
groups = [json.loads(json.dumps(x)) for x in out["by_point"][0]["uncertainty"]["by_group"]][1:]
vals = drop.reshape(P, D, R, -1)
draw_mean = vals.mean(axis=2)  # [P, D, 1 + groups]


def close(a, b):
    return (a is None and np.isnan(b)) or (a is not None and abs(a - b) <= 1e-12 * max(1, abs(b)))


ok = True
why = ""
for p in range(P):
    u = out["by_point"][p]["uncertainty"]
    for col, name in enumerate(["all"] + groups):
        v = draw_mean[p, :, col]
        st = u["by_group"][name]["dropout"]
        within = vals[p, :, :, col].var(axis=1, ddof=1).mean() / R
        mc = min(within / v.var(ddof=1), 1)
        is_low = draw_mean[:, :, col] == draw_mean[:, :, col].min(axis=0)  # [P, D]: ties split
        low = (is_low[p] / is_low.sum(axis=0)).mean()
        exp = [v.mean(), np.quantile(v, 0.025), np.quantile(v, 0.975), mc, low]
        got = [st["mean"], st["ui"][0], st["ui"][1], st["mc_share"], st["lowest"]]
        if not all(close(g, e) for g, e in zip(got, exp)):
            ok, why = False, f"point {p} {name}: {got} != {exp}"
        if p:
            dv = v - draw_mean[0, :, col]
            sd = u["paired_by_group"][name]["dropout"]
            exp = [dv.mean(), np.quantile(dv, 0.025), np.quantile(dv, 0.975), (dv < 0).mean() + 0.5 * (dv == 0).mean()]
            got = [sd["mean"], sd["ui"][0], sd["ui"][1], sd["p_below"]]
            if not all(close(g, e) for g, e in zip(got, exp)):
                ok, why = False, f"point {p} {name} difference: {got} != {exp}"
report(ok, "mean, 95% UI, MC share, P(lowest) and P(below) equal numpy's from /summary", why)
gap = out["by_point"][1]["uncertainty"]["contrasts"][groups[1]]["dropout"]
gv = draw_mean[1, :, 2] - draw_mean[1, :, 1]
ch = gv - (draw_mean[0, :, 2] - draw_mean[0, :, 1])
report(close(gap["gap"]["mean"], gv.mean()) and close(gap["change"]["ui"][1], np.quantile(ch, 0.975)),
       "the gap to the reference group and its change, draw by draw")
# the file's /statistics: the JSON's numbers over the draws, and the same in a merged file
st = f["statistics"]
obs = [o.decode() if isinstance(o, bytes) else o for o in st["observable"][()]]
sg = [x.decode() if isinstance(x, bytes) else x for x in st["group"][()]]
bad, compared = [], 0
for p in range(P):
    u = out["by_point"][p]["uncertainty"]
    for name in sg:
        for k, o in enumerate(obs):
            cands = [("value", u["by_group"].get(name, {}).get(o)),
                     ("difference", u.get("paired_by_group", {}).get(name, {}).get(o))]
            con = u.get("contrasts", {}).get(name, {}).get(o, {})
            cands += [("gap", con.get("gap")), ("gap_change", con.get("change"))]
            for ds, want in cands:
                if want is None:
                    continue
                row = st[ds][p, sg.index(name), k, :]
                exp = [want["mean"], want["ui"][0], want["ui"][1], want["mc_share"], want.get("p_below"), want["n"]]
                compared += 1
                if not all(close(e, g) if e is not None or not np.isnan(g) else True for e, g in zip(exp, row)):
                    bad.append((p, name, o, ds, list(row), exp))
                if ds == "value" and "lowest" in want and not close(want["lowest"], st["lowest"][p, sg.index(name), k, 0]):
                    bad.append((p, name, o, "lowest"))
with h5py.File(os.path.join(tmp, "merged.h5"), "r") as mf:
    merged_same = all(np.array_equal(st[k][()], mf["statistics"][k][()], equal_nan=True)
                      for k in ("value", "difference", "gap", "gap_change", "lowest", "concordance_by_dimension"))
report(not bad and compared > 200 and st.attrs["over"] in ("draws", b"draws") and int(st.attrs["draws"]) == D
       and merged_same, f"/statistics over draws holds the JSON's numbers ({compared} statistics), "
       "the same in the merged file (concordance_by_dimension too)", str(bad[:2]))

# the concordance by dimension: as the JSON has it, over all D x R runs of a point (not over draws)
cbd = st["concordance_by_dimension"]
dims = [x.decode() if isinstance(x, bytes) else x for x in st["dimension"][()]]
scales = [cbd.dims[a][0].name.rsplit("/", 1)[-1] for a in range(4)]
bad, compared = [], 0
for p in range(P):
    c = out["by_point"][p]["concordance_by_dimension"]
    for a, dim in enumerate(dims):
        col = summary[f"concordance_by_dimension.{dim}"][()][p * D * R:(p + 1) * D * R]
        for name in sg:
            want = c[dim]["all"] if name == "all" else c[dim]["by_group"][name]
            row = cbd[p, sg.index(name), a, :]
            v = col[:, sg.index(name)]
            exp = [want["mean"], want["se"], want["ci"][0], want["ci"][1], want["n"]]
            compared += 1
            if not (all(abs(g - e) <= 1e-15 * max(1, abs(e)) for g, e in zip(row, exp))
                    and close(row[0], v.mean()) and close(row[1], v.std(ddof=1) / np.sqrt(D * R))
                    and close(row[3] - row[0], row[0] - row[2]) and row[4] == D * R):
                bad.append((p, name, dim, list(row), exp))
report(dims == list(out["by_point"][0]["concordance_by_dimension"]) and len(dims) == 2
       and scales == ["point", "group", "dimension", "replicate_field"] and not bad and compared == P * len(sg) * 2,
       f"/statistics/concordance_by_dimension over (point, group, dimension, replicate_field) = the JSON's "
       f"(to 1e-15; {compared} statistics) and numpy's mean and se over each point's {D * R} runs", str(bad[:2]))
try:
    import xarray as xr
    ds = xr.open_dataset(os.path.join(tmp, "psa.h5"), group="statistics")
    x = ds["concordance_by_dimension"].sel(point=1, group="all", dimension=dims[0])
    want = out["by_point"][1]["concordance_by_dimension"][dims[0]]["all"]
    report(list(ds["concordance_by_dimension"].dims) == ["point", "group", "dimension", "replicate_field"]
           and list(ds["replicate_field"].values) == ["estimate", "se", "ci_lo", "ci_hi", "n"]
           and list(ds["field"].values) == ["mean", "ui_lo", "ui_hi", "mc_share", "p_below", "n"]
           and float(x.sel(replicate_field="estimate")) == want["mean"]
           and float(x.sel(replicate_field="ci_lo")) == want["ci"][0],
           "xarray labels the PSA's concordance_by_dimension (replicate_field beside the draws' field)")
except ImportError:
    pass
text = run("run", sweep).stdout
report("3 points x 12 draws x 2 replicates = 72 runs" in text and "P(lowest)" in text and "95% UI" in text,
       "the text table says draws x replicates and shows the intervals", text[:300])
show = run("show", sweep).stdout
report("# plan: 3 points x 12 draws x 2 replicates = 72 runs" in show, "show: the plan with its draws")

# the report draws the same numbers (analysis/report: the PSA section)
rep = subprocess.run(["/usr/bin/python3", os.path.join(SRC, "analysis", "report"), os.path.join(tmp, "psa.h5"),
                      "-o", os.path.join(tmp, "report")], capture_output=True, text=True)
ok, why = rep.returncode == 0, rep.stderr[-300:]
if ok:
    rows = json.load(open(os.path.join(tmp, "report", "report.json")))["psa"]["rows"]
    for r in rows:
        p = [i for i, bp in enumerate(out["by_point"]) if r["arm"].endswith(bp["values"]["discussion.policy"])][0]
        u = out["by_point"][p]["uncertainty"]
        st = u["by_group"][r["group"]]["dropout"]
        pairs = [(r["mean"], st["mean"]), (r["lo"], st["ui"][0]), (r["hi"], st["ui"][1]), (r["p_lowest"], st["lowest"])]
        if p:
            sd = u["paired_by_group"][r["group"]]["dropout"]
            pairs += [(r["difference"], sd["mean"]), (r["difference_lo"], sd["ui"][0]), (r["p_lower"], sd["p_below"])]
        if not all(abs(a - b) <= 1e-12 for a, b in pairs):
            ok, why = False, f"{r['arm']} {r['group']}: {pairs}"
    ok = ok and len(rows) == P * (1 + len(groups)) and all(
        os.path.exists(os.path.join(tmp, "report", n)) for n in ["psa_differences.png", "psa_best.png", "psa_effects.csv",
                                                                 "psa_effects.tex"])
report(ok, "analysis/report: the PSA section's numbers equal rapport run's JSON, its figures and tables", why)

# draws from a real posterior file (a tiny abc-smc calibration)
write("cal-scenario.yaml", "seed: 5\nmodel: 2\npatients: {count: 200}\nproviders: {count: 10}\n")
write("cal.yaml", """scenario: cal-scenario.yaml
method: abc-smc
free:
  dropout.base: {prior: "uniform(-9, -7)"}
targets:
  dropout: {value: 0.25, band: [0.2, 0.3]}
abc: {particles: 40, generations: 2, simulations: 4000}
""")
run("calibrate", "cal.yaml", "--posterior", "post.h5", "-o", "cal-out.yaml")
post = h5py.File(os.path.join(tmp, "post.h5"), "r")
write("psa-post.yaml", "seed: 5\nmodel: 2\npatients: {count: 200}\nproviders: {count: 10}\n"
      "sweep: {grid: {discussion.policy: [never, intake]}}\n"
      "uncertainty: {draws: 30, posterior: post.h5}\n")
pj = json.loads(run("run", "psa-post.yaml", "--json", "-o", "psa-post.h5").stdout)
ph = h5py.File(os.path.join(tmp, "psa-post.h5"), "r")
gens = sorted(k for k in post["generations"]) if "generations" in post else []
particles = post["posterior/theta"][()][:, 0] if "posterior" in post else np.array([])
drawn = ph["runs/dropout.base"][()][:30]
report(len(particles) > 0 and bool(np.all(np.isin(drawn, particles))),
       "posterior draws are particles of the last generation", f"{drawn[:5]} vs {particles[:5]}")
report("posterior post.h5 (sha256 " in pj["uncertainty"]["source"], "the source names the posterior file and its digest",
       pj["uncertainty"]["source"])
# show writes the posterior's path absolute: the shown scenario reads the same file from another directory
shown = run("show", "psa-post.yaml").stdout
away = tempfile.mkdtemp(prefix="rapport-psa-away-")
with open(os.path.join(away, "shown.yaml"), "w", encoding="utf-8") as f:
    f.write(shown)
again = subprocess.run([BIN, "validate", os.path.join(away, "shown.yaml")], capture_output=True, text=True, cwd=away)
shutil.rmtree(away)
report(f"posterior: {os.path.realpath(os.path.join(tmp, 'post.h5'))}  #" in shown and again.returncode == 0,
       "show writes the posterior's path absolute, and the shown scenario validates from another directory",
       again.stderr.strip() or [line for line in shown.splitlines() if "posterior:" in line])

# a checkpoint of the same calibration (not complete: no /posterior, stop running)
shutil.copy(os.path.join(tmp, "post.h5"), os.path.join(tmp, "checkpoint.h5"))
with h5py.File(os.path.join(tmp, "checkpoint.h5"), "r+") as c:
    del c["posterior"]
    c.attrs["complete"] = np.int32(0)
    c.attrs["stop"] = "running"

# located errors
bad = {
    "no-draws": ("uncertainty: {priors: {dropout.base: \"uniform(-9, -7)\"}}", "draws missing"),
    "zero-draws": ("uncertainty: {draws: 0, priors: {dropout.base: \"uniform(-9, -7)\"}}", "expected a whole number"),
    "both": ("uncertainty: {draws: 3, posterior: post.h5, priors: {dropout.base: \"uniform(-9, -7)\"}}", "both"),
    "neither": ("uncertainty: {draws: 3}", "neither posterior nor priors"),
    "bad-key": ("uncertainty: {draws: 3, priors: {dropout.bse: \"uniform(-9, -7)\"}}", "not a parameter"),
    "bad-prior": ("uncertainty: {draws: 3, priors: {dropout.base: \"uniform(-7, -9)\"}}", "is empty"),
    "not-real": ("uncertainty: {draws: 3, priors: {horizon: \"uniform(5, 9)\"}}", "not a real-valued"),
    "swept": ("sweep: {grid: {dropout.base: [-8, -7]}}\nuncertainty: {draws: 3, priors: "
              "{dropout.base: \"uniform(-9, -7)\"}}", "also the sweep's axis"),
    "sweep-over-draws": ("sweep: {grid: {uncertainty.draws: [2, 3]}}\nuncertainty: {draws: 3, priors: "
                         "{dropout.base: \"uniform(-9, -7)\"}}", "the uncertainty section's key is the same at every"),
    "missing-file": ("uncertainty: {draws: 3, posterior: nowhere.h5}", "cannot read 'nowhere.h5'"),
    "not-posterior": ("uncertainty: {draws: 3, posterior: psa.h5}", "expected a posterior file"),
    "checkpoint": ("uncertainty: {draws: 3, posterior: checkpoint.h5}", "has not finished"),
    "other-model": ("model: 1\nuncertainty: {draws: 3, posterior: post.h5}", "calibrated under model 2"),
    "not-a-mapping": ("uncertainty: 5", "expected a mapping"),
    "too-many-runs": ("replicates: 100000\nuncertainty: {draws: 100000, priors: {dropout.base: \"uniform(-9, -7)\"}}",
                      "draws x replicates at most"),
}
for name, (section, want) in bad.items():
    path = write(f"bad-{name}.yaml", "seed: 1\npatients: {count: 50}\nproviders: {count: 5}\n" + section + "\n")
    p = run("validate", path, check=False)
    report(p.returncode == 2 and want in p.stderr and f"bad-{name}.yaml:" in p.stderr,
           f"bad section '{name}': exit 2, located, says '{want}'", f"{p.returncode}: {p.stderr.strip()}")
write("unc-scenario.yaml", "seed: 1\npatients: {count: 50}\nproviders: {count: 5}\n"
      "uncertainty: {draws: 3, priors: {dropout.base: \"uniform(-9, -7)\"}}\n")
write("cal-unc.yaml", "scenario: unc-scenario.yaml\nfree:\n  dropout.base: {min: -9, max: -7}\n"
      "targets:\n  dropout: {value: 0.2, band: [0.15, 0.25]}\n")
p = run("calibrate", "cal-unc.yaml", check=False)
report(p.returncode == 2 and "unc-scenario.yaml:4:" in p.stderr and "without an uncertainty: section" in p.stderr,
       "calibrate refuses a scenario with an uncertainty section, located", f"{p.returncode}: {p.stderr.strip()}")
shutil.rmtree(tmp, ignore_errors=True)
finish()
