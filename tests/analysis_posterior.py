#!/usr/bin/python3
"""analysis_posterior.py RAPPORT_BIN SRC_DIR - analysis/report of an ABC-SMC
posterior file (issue 15), end to end on files the real binary writes.

1. A small calibration (four coefficients under the four prior families,
   three targets, 150 particles, 4 generations: about a second) with
   --posterior and --json; its report: every figure (PNG and SVG, decodable,
   shown with a reading) and table (CSV and booktabs LaTeX, the CSV's rows);
   report.json's numbers equal those computed here from the file with h5py
   (own code: a sorted cumulative sum of the weights, no analysis module),
   and equal what rapport calibrate printed (--json: weighted quantiles to
   the bit, means to 1e-12); the provenance on the page and in report.json.
2. A checkpoint (a calibration of ten coefficients stopped by SIGUSR1 once
   two generations are written: exit 75): refused with exit 2 and one line
   naming --resume and --checkpoint, no folder made; with --checkpoint the
   report of its last generation, marked INCOMPLETE, its numbers that
   generation's; readable with ten coefficients (the correlation matrix of
   all, the pair plot of eight).
3. Files it cannot read: a posterior file of format_version 2, another
   format, and one without /targets/scale: exit 2 and one line each.
4. Headless Chromium (when installed): every image of the page loads; a
   screenshot, analysis-report-posterior.png, stays in the build directory.
(exit 77: python packages missing)
"""
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from testlib import finish, posterior_generations, report, skip, skip_test  # noqa: E402

try:
    import h5py
    import matplotlib.image as mpimg
    import numpy as np
    import pandas as pd
    import scipy  # noqa: F401
except ImportError as e:
    skip_test(f"{e} (apt-get install python3-h5py python3-matplotlib python3-pandas python3-scipy)")

BIN, SRC = sys.argv[1], sys.argv[2]
REPORT = os.path.join(SRC, "analysis", "report")
PY = "/usr/bin/python3"
tmp = tempfile.mkdtemp(prefix="analysis_posterior.")

HEAD = f"scenario: {SRC}/scenarios/baseline.yaml\nmethod: abc-smc\nreplicates: 1\npatients: 1000\n"
FREE = """free:
  dropout.base: {prior: "uniform(-10, -5)"}
  dropout.early: {prior: "normal(4, 1.5)", min: 1, max: 7}
  providers.skill_sd: {prior: "lognormal(0, 0.5)", max: 2.5}
  discussion.effect: {prior: "beta(3, 2)"}
"""
TARGETS = """targets:
  dropout: {value: 0.197, band: [0.187, 0.207]}
  early_dropout: {value: 0.775, band: [0.70, 0.85]}
  alliance_outcome_r: {value: 0.278, band: [0.256, 0.299]}
"""
CAL = HEAD + FREE + TARGETS


def write(name, text):
    path = os.path.join(tmp, name)
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(text)
    return path


def run_report(*args):
    return subprocess.run([PY, REPORT, *args, "-q"], capture_output=True, text=True, timeout=120)


def text(v):
    return v.decode() if isinstance(v, bytes) else v


# ---- the numbers, from the file, by this test's own code ----

def quantile(x, w, p):
    """The smallest value whose cumulative weight reaches p of the total
    (docs/FORMAT.md): plain Python, the total summed in the particles' order."""
    total = 0.0
    for v in w:
        total += v
    cum = 0.0
    pairs = sorted(zip(x.tolist(), w.tolist()), key=lambda t: t[0])
    for v, wt in pairs:
        cum += wt
        if cum >= p * total:
            return v
    return pairs[-1][0]


def mean(x, w):
    s = t = 0.0
    for a, b in zip(x.tolist(), w.tolist()):
        s += b * a
        t += b
    return s / t


PROBS = {"q025": 0.025, "q05": 0.05, "q25": 0.25, "median": 0.5, "q75": 0.75, "q95": 0.95, "q975": 0.975}


def expected(path, group=None):
    """report.json's posterior numbers, computed from the file with h5py."""
    with h5py.File(path, "r") as f:
        G = int(f.attrs["generations"])
        g = f[group or "posterior"]
        theta, w, sim = g["theta"][:], g["weight"][:], g["simulated"][:]
        keys = [text(k) for k in f["coefficients/key"][:]]
        priors = [text(k) for k in f["coefficients/prior"][:]]
        coef = {}
        for i, k in enumerate(keys):
            m = mean(theta[:, i], w)
            sd = float(np.sqrt(sum(b * (a - m) ** 2 for a, b in zip(theta[:, i], w)) / sum(w)))
            coef[k] = {"prior": priors[i], "min": float(f["coefficients/min"][i]),
                       "max": float(f["coefficients/max"][i]), "mean": m, "sd": sd,
                       **{q: quantile(theta[:, i], w, p) for q, p in PROBS.items()}}
        targets = {}
        for k, name in enumerate(text(n) for n in f["targets/name"][:]):
            lo, hi, value = (float(f["targets/" + c][k]) for c in ("lo", "hi", "value"))
            x = sim[:, k]
            q = {c: quantile(x, w, PROBS[c]) for c in ("median", "q025", "q975")}
            targets[name] = {"value": value, "lo": lo, "hi": hi, "weight": float(f["targets/weight"][k]),
                             "mean": mean(x, w), **q, "median_in_band": lo <= q["median"] <= hi,
                             "value_in_interval": q["q025"] <= value <= q["q975"],
                             "share_in_band": float(w[(x >= lo) & (x <= hi)].sum() / w.sum())}
        h = f["generations"]
        by_gen = {k: [{q: quantile(f[f"generations/{t}/theta"][:, i], f[f"generations/{t}/weight"][:], PROBS[q])
                       for q in ("median", "q025", "q975")} for t in range(G)] for i, k in enumerate(keys)}
        history = [{"generation": t, "tolerance": None if not np.isfinite(h["tolerance"][t]) else float(h["tolerance"][t]),
                    "attempts": int(h["attempts"][t]), "simulations": int(h["simulations"][t]),
                    "acceptance": float(h["acceptance"][t]), "ess": float(h["ess"][t])} for t in range(G)]
        attrs = {k: (text(v) if isinstance(v, (bytes, str)) else v.item()) for k, v in f.attrs.items()}
    return {"coefficients": coef, "targets": targets, "history": history, "attrs": attrs, "generations": G,
            "by_generation": by_gen}


def differences(got, want, rel=1e-12, path=""):
    """Where got and want differ: numbers beyond rel (relative, absolute below 1), the rest exactly."""
    out = []
    if isinstance(want, dict):
        if not isinstance(got, dict) or set(got) < set(want):
            return [(path, "keys", sorted(got) if isinstance(got, dict) else got, sorted(want))]
        for k in want:
            out += differences(got[k], want[k], rel, f"{path}.{k}")
    elif isinstance(want, list):
        if not isinstance(got, list) or len(got) != len(want):
            return [(path, got, want)]
        for i, (a, b) in enumerate(zip(got, want)):
            out += differences(a, b, rel, f"{path}[{i}]")
    elif isinstance(want, bool) or want is None or isinstance(want, str):
        if got != want or type(got) is not type(want):
            out.append((path, got, want))
    elif not (isinstance(got, (int, float)) and abs(got - want) <= rel * max(1.0, abs(want))):
        out.append((path, got, want))
    return out


# ---- 1. a calibration and its report ----
cal = write("cal-small.yaml", CAL + "abc: {particles: 150, generations: 4, tolerance: 0.5, simulations: 20000}\n")
post = os.path.join(tmp, "post.h5")
t0 = time.time()
r = subprocess.run([BIN, "calibrate", cal, "--threads", "2", "--posterior", post, "--json"], capture_output=True,
                   text=True, timeout=120)
print(f"# calibration: {time.time() - t0:.1f} s")
if r.returncode != 0:
    report(False, "rapport calibrate --posterior --json", r.stderr[:400])
    finish()
printed = json.loads(r.stdout)
t0 = time.time()
rr = run_report(post, "-o", os.path.join(tmp, "rep"))
print(f"# report: {time.time() - t0:.1f} s")
rep_dir = os.path.join(tmp, "rep")
ok = rr.returncode == 0 and os.path.isfile(os.path.join(rep_dir, "index.html"))
report(ok, "report of a posterior file made (exit 0, index.html)", rr.stderr[:400])
if not ok:
    finish()
page = open(os.path.join(rep_dir, "index.html"), encoding="utf-8").read()
got = json.load(open(os.path.join(rep_dir, "report.json")))

figures = ["posterior_marginals", "posterior_pairs", "abc_generations", "abc_convergence", "posterior_predictive"]
tables = ["posterior_coefficients", "posterior_correlation", "abc_generations", "posterior_predictive"]
missing = [n + e for n in figures for e in (".png", ".svg") if not os.path.getsize(os.path.join(rep_dir, n + e))
           if os.path.exists(os.path.join(rep_dir, n + e))] + \
    [n + e for n in figures for e in (".png", ".svg") if not os.path.exists(os.path.join(rep_dir, n + e))]
report(not missing, "every figure of a posterior (marginals, pairs, generations, convergence, predictive) as PNG "
       "and SVG",
       str(missing))
srcs = re.findall(r"<img src='([^']+)'", page)
bad = [s for s in srcs if min(mpimg.imread(os.path.join(rep_dir, s)).shape[:2]) < 300]
report(set(n + ".png" for n in figures) <= set(srcs) and not bad and page.count("<figcaption>") == len(srcs),
       "index.html shows every figure, each decodable and with a reading", f"{srcs} {bad}")
bad = []
for n in tables:
    csv = pd.read_csv(os.path.join(rep_dir, n + ".csv"))
    tex = open(os.path.join(rep_dir, n + ".tex"), encoding="utf-8").read()
    rows = tex.split("\\midrule", 1)[-1].split("\\bottomrule", 1)[0].count("\\\\")
    if not tex.startswith("\\begin{tabular}") or "\\toprule" not in tex or rows != len(csv) or \
            f'href="{n}.csv"' not in page:
        bad.append(n)
report(not bad, "every table as CSV and booktabs LaTeX with the CSV's rows, linked from the page", str(bad))
report(got.get("kind") == "posterior" and got.get("complete") is True, "report.json: kind posterior, complete",
       f"{got.get('kind')} {got.get('complete')}")

want = expected(post)
d = differences(got["coefficients"], want["coefficients"]) + differences(got["targets"], want["targets"]) + \
    differences(got["history"], want["history"], rel=0) + differences(got["by_generation"], want["by_generation"], rel=0)
report(not d, f"report.json = the file read with h5py: {len(want['coefficients'])} coefficients (mean, sd, 7 "
       f"quantiles), {len(want['targets'])} targets' predictive checks, {want['generations']} generations (and each "
       "generation's median and 95% CrI)", str(d[:4]))
quantiles_exact = all(got["coefficients"][k][q] == v[q] for k, v in want["coefficients"].items() for q in PROBS)
report(quantiles_exact, "the weighted quantiles are the file's particles' values to the bit")
csv = pd.read_csv(os.path.join(rep_dir, "posterior_coefficients.csv")).set_index("coefficient")
d = [(k, c) for k, v in want["coefficients"].items() for c in ("mean", "sd", "median", "q025", "q975", "min", "max")
     if abs(csv.loc[k, c] - v[c]) > 1e-12 * max(1, abs(v[c]))] + \
    [k for k, v in want["coefficients"].items() if csv.loc[k, "prior"] != v["prior"]]
report(list(csv.index) == list(want["coefficients"]) and not d, "posterior_coefficients.csv: mean, sd, median, "
       "95% CrI, prior and support of every coefficient, as the file says", str(d))

# what rapport calibrate printed (--json): the same numbers
d = []
for c in printed["free"]:
    g = got["coefficients"][c["key"]]
    d += [(c["key"], q, g[q], c[q]) for q in ("median", "q025", "q975", "q05", "q95", "q25", "q75") if g[q] != c[q]]
    d += [(c["key"], "mean", g["mean"], c["mean"])] if abs(g["mean"] - c["mean"]) > 1e-12 * max(1, abs(c["mean"])) else []
    d += [(c["key"], "prior")] if g["prior"] != c["prior"] else []
for t in printed["targets"]:
    g = got["targets"][t["name"]]
    d += [(t["name"], q, g[q], t[q]) for q in ("median", "q025", "q975") if g[q] != t[q]]
    d += [(t["name"], "mean")] if abs(g["mean"] - t["mean"]) > 1e-12 * max(1, abs(t["mean"])) else []
    d += [(t["name"], "in band")] if g["median_in_band"] != t["median_in_band"] else []
for a, b in zip(got["history"], printed["history"]):
    d += [(a["generation"], k, a[k], b[k]) for k in ("tolerance", "attempts", "simulations", "acceptance", "ess")
          if a[k] != b[k]]
d += [(k, got[k], printed[k]) for k in ("stop", "simulations", "generations", "runs", "particles") if got[k] != printed[k]]
d += [("seconds", got["seconds"], printed["seconds"])] if abs(got["seconds"] - printed["seconds"]) > 5e-4 else []
report(len(printed["free"]) == 4 and not d and len(got["history"]) == len(printed["history"]),
       "report.json = what rapport calibrate --json printed: quantiles to the bit, means to 1e-12, the generations, "
       "stop, simulations, seconds", str(d[:4]))

# and what it prints as text (--resume of a complete file runs nothing and prints it again): %.5g columns
r = subprocess.run([BIN, "calibrate", cal, "--posterior", post, "--resume"], capture_output=True, text=True, timeout=60)
rows = {}
for line in r.stdout.splitlines():
    f = line.split()
    if f and (f[0] in got["coefficients"] or f[0] in got["targets"]):
        rows[f[0]] = f
d = []
for k, g in got["coefficients"].items():  # key prior... mean median 2.5% 97.5% calibrated
    d += [(k, q) for q, v in zip(("mean", "median", "q025", "q975"), rows.get(k, [""] * 6)[-5:-1])
          if float(v or "nan") != float(f"{g[q]:.5g}")]
for k, g in got["targets"].items():  # name value band(2 words) mean median 2.5% 97.5% yes|NO
    f = rows.get(k, [""] * 9)
    d += [(k, q) for q, v in zip(("mean", "median", "q025", "q975"), f[4:8]) if float(v or "nan") != float(f"{g[q]:.5g}")]
    d += [(k, "in band")] if (f[8] == "yes") != g["median_in_band"] else []
report(r.returncode == 0 and len(rows) == 7 and not d, "report.json = the table rapport calibrate prints (mean, "
       "median, 2.5%, 97.5% of each coefficient and target, %.5g; median in band)", f"{d} {r.stderr[:200]}")

prov = got.get("provenance", {})
a = want["attrs"]
need = ["rapport_version", "git_revision", "calibration_path", "seed", "stop", "simulations", "seconds"]
d = [(k, prov.get(k), a[k]) for k in need if prov.get(k) != a[k]]
report(not d, "report.json provenance: rapport version, git revision, calibration file, seed, stop, simulations, "
       "wall seconds (the file's)", str(d))
shown = [k for k in need if f"<th>{k}</th><td style='text-align:left'>{a[k]}</td>" not in page]
report(not shown and "<summary>Calibration file (as read)</summary>" in page and "uniform(-10, -5)" in page,
       "the page's provenance: those attributes, and the calibration file's text", str(shown))
report(f"{printed['free'][0]['median']:.4g}" in page and "95% credible interval" in page and "INCOMPLETE" not in page,
       "the page shows the medians and credible intervals, and no INCOMPLETE mark")

# ---- 2. a checkpoint of ten coefficients: refused, or drawn marked incomplete (and readable) ----
ten = ["dropout.base: {prior: \"uniform(-10, -5)\"}", "dropout.early: {prior: \"uniform(1, 7)\"}",
       "patients.response_sd: {prior: \"uniform(0.1, 2)\"}", "providers.skill_sd: {prior: \"uniform(0.1, 2.5)\"}",
       "providers.retention_sd: {prior: \"uniform(0.01, 2)\"}", "alliance.beta0: {prior: \"normal(1, 0.5)\"}",
       "alliance.rate: {prior: \"beta(3, 7)\"}", "rupture.base: {prior: \"normal(-2.5, 0.5)\"}",
       "repair.base: {prior: \"normal(-0.5, 0.5)\"}", "trust.rate: {prior: \"beta(3, 17)\"}"]
cal_long = write("cal-ten.yaml", HEAD + "free:\n" + "".join(f"  {x}\n" for x in ten) + TARGETS +
                 "abc: {particles: 60, generations: 60, tolerance: 0.000001, min_acceptance: 0.00001, "
                 "simulations: 10000000}\n")
ck = os.path.join(tmp, "checkpoint.h5")
p = subprocess.Popen([BIN, "calibrate", cal_long, "--threads", "2", "--posterior", ck], stdout=subprocess.DEVNULL,
                     stderr=subprocess.PIPE, text=True)
deadline = time.time() + 60
while p.poll() is None and posterior_generations(ck) < 2 and time.time() < deadline:
    time.sleep(0.005)
p.send_signal(signal.SIGUSR1)
_, err = p.communicate(timeout=60)
with h5py.File(ck, "r") as f:
    is_checkpoint = int(f.attrs["complete"]) == 0 and "posterior" not in f
    G = int(f.attrs["generations"])
report(p.returncode == 75 and is_checkpoint, f"a real checkpoint: SIGUSR1 after generation {G - 1}, exit 75, "
       "complete = 0", f"exit {p.returncode}: {err[:200]}")
r = run_report(ck, "-o", os.path.join(tmp, "rep-ck"))
lines = r.stderr.strip().splitlines()
report(r.returncode == 2 and len(lines) == 1 and "checkpoint" in r.stderr and "--resume" in r.stderr and
       "--checkpoint" in r.stderr and not os.path.exists(os.path.join(tmp, "rep-ck")),
       "a checkpoint is refused: exit 2, one line naming --resume and --checkpoint, no folder made",
       f"exit {r.returncode}: {r.stderr[:300]}")
r = run_report(ck, "-o", os.path.join(tmp, "rep-ck"), "--checkpoint")
if r.returncode == 0:
    gj = json.load(open(os.path.join(tmp, "rep-ck", "report.json")))
    want = expected(ck, f"generations/{G - 1}")
    d = differences(gj["coefficients"], want["coefficients"]) + differences(gj["targets"], want["targets"])
    pg = open(os.path.join(tmp, "rep-ck", "index.html"), encoding="utf-8").read()
    report(gj["complete"] is False and gj["generation"] == G - 1 and not d and "INCOMPLETE" in pg and
           "INCOMPLETE" in re.search(r"<title>(.*?)</title>", pg).group(1),
           f"--checkpoint: its last generation ({G - 1}) drawn, marked INCOMPLETE (title, page, report.json)", str(d[:3]))
    corr = pd.read_csv(os.path.join(tmp, "rep-ck", "posterior_correlation.csv"))
    im = mpimg.imread(os.path.join(tmp, "rep-ck", "posterior_pairs.png"))
    report(os.path.getsize(os.path.join(tmp, "rep-ck", "posterior_correlation.png")) > 0 and corr.shape == (10, 11)
           and "the 8 of 10 coefficients most correlated" in pg and max(im.shape[:2]) <= 2800,
           "ten coefficients: the correlation matrix of all (figure, 10 x 10 table), the pair plot of eight "
           f"({im.shape[1]} x {im.shape[0]} px)")
else:
    report(False, "--checkpoint: the checkpoint's report", r.stderr[:300])

# ---- 3. files it cannot read ----
cases = {"version": (lambda f: f.attrs.modify("format_version", 2), "format_version 2"),
         "format": (lambda f: f.attrs.modify("format", "rapport-psa"), "'rapport-psa'"),
         "scale": (lambda f: f.__delitem__("targets/scale"), "/targets/scale")}
for name, (edit, says) in cases.items():
    path = os.path.join(tmp, f"bad-{name}.h5")
    shutil.copy(post, path)
    with h5py.File(path, "r+") as f:
        edit(f)
    r = run_report(path, "-o", os.path.join(tmp, "rep-" + name))
    report(r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1 and says in r.stderr and
           not os.path.exists(os.path.join(tmp, "rep-" + name)),
           f"refused with exit 2 and one line naming {says}, no folder made", f"exit {r.returncode}: {r.stderr[:300]}")

# ---- 4. Chromium: every image loads ----
chromium = shutil.which("chromium") or shutil.which("chromium-browser")
if chromium:
    def chrome(*args):
        return subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                               "--disable-component-update", "--disable-sync", "--no-first-run",
                               f"--user-data-dir={tempfile.mkdtemp(dir=tmp)}", *args, f"file://{rep_dir}/index.html"],
                              capture_output=True, text=True, timeout=120)
    r = chrome("--virtual-time-budget=15000", "--dump-dom")
    n = re.search(r'data-images="(\d+)"', r.stdout)
    b = re.search(r'data-broken-images="(\d+)"', r.stdout)
    report(n and int(n.group(1)) >= 4 and b and b.group(1) == "0", "chromium: every image of the posterior page "
           f"loads ({n.group(1) if n else '?'} images)", r.stderr[-300:])
    shot = os.path.join(os.getcwd(), "analysis-report-posterior.png")  # kept in the build directory
    chrome("--window-size=1400,5200", f"--screenshot={shot}")
    report(os.path.isfile(shot) and os.path.getsize(shot) > 0, "chromium: a screenshot of the posterior page "
           "(analysis-report-posterior.png in the build directory)")
else:
    skip("chromium: every image of the posterior page loads", "chromium missing")
shutil.rmtree(tmp, ignore_errors=True)
finish()
