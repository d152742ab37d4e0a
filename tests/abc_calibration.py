#!/usr/bin/python3
"""abc_calibration.py RAPPORT_BIN SRC_DIR - ABC-SMC calibration (issue 15).

1. A known posterior (tests/abc/known-posterior.yaml): the weekly dropout
   hazard is the constant L(dropout.base), so the dropouts X among N = 500
   pairs over W = 10 weeks are Binomial(N, q), q = 1 - (1 - L(dropout.base))^W.
   A simulation is kept when |X/N - value| / scale <= eps, so the ABC posterior
   of the last generation (tolerance eps) is, exactly,
       p(d | kept) ~ prior(d) P(|X/N - value| <= eps scale | d),
   a sum of binomial probabilities, integrated here on a grid of 40,001
   points of the uniform prior's range. The ABC posterior's mean and its 5%
   and 95% quantiles must match it within 0.2, 0.3 and 0.3 of the exact
   posterior's sd (the particles' Monte-Carlo error, at an ESS of several
   hundred, is about 0.05-0.1 sd); the seed is fixed, so this is a
   deterministic test. Also its Beta form: with eps -> 0 the posterior of q
   under a prior uniform in q would be Beta(x + 1, N - x + 1); printed, not
   tested (the prior here is uniform in dropout.base).
2. The same calibration at 1 and 2 threads: the same posterior file
   (tests/h5_same.py, but for the attributes of the process).
3. Stopped by SIGUSR1 once generation 2 is checkpointed: exit 75 and one
   line; --resume ends with the same file as the uninterrupted run. Killed
   (SIGKILL) at a random moment of the run and resumed: the same again.
4. Stopped without --posterior: exit 130, nothing to resume.
With RAPPORT_TEST_QUICK (the sanitizer builds of scripts/sanitize.sh, ten
times slower) the same paths run on 150 particles instead of 500, and the
posterior's accuracy (1.) is printed, not tested: its tolerances are for 500.
"""
import json
import math
import os
import random
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from testlib import finish, posterior_generations, report, skip_test  # noqa: E402

try:
    import h5py
except ImportError:  # pragma: no cover - environment
    skip_test("no h5py (Debian: python3-h5py)")

BIN, SRC = sys.argv[1], sys.argv[2]
CAL = f"{SRC}/tests/abc/known-posterior.yaml"
SAME = f"{SRC}/tests/h5_same.py"
PROCESS_ATTRS = "threads,command_line,write_time,seconds,host"
tmp = tempfile.mkdtemp(prefix="abc_calibration.")
QUICK = bool(os.environ.get("RAPPORT_TEST_QUICK"))
if QUICK:  # the same file with fewer particles, its scenario found where it is
    text = open(CAL, encoding="utf-8").read().replace("particles: 500", "particles: 150")
    text = text.replace("scenario: constant-hazard.yaml", f"scenario: {SRC}/tests/abc/constant-hazard.yaml")
    CAL = f"{tmp}/known-posterior.yaml"
    open(CAL, "w", encoding="utf-8").write(text)


def calibrate(*args):
    return subprocess.run([BIN, "calibrate", CAL, *args], capture_output=True, text=True)


def same(a, b):
    res = subprocess.run(["/usr/bin/python3", SAME, a, b, "--ignore-attrs", PROCESS_ATTRS],
                         capture_output=True, text=True)
    return res.returncode == 0, (res.stdout + res.stderr)[:400]


# ---- 1. the known posterior ----
t0 = time.time()
first = calibrate("--threads", "2", "--json", "--posterior", f"{tmp}/a.h5")
seconds = time.time() - t0
report(first.returncode == 0, "known posterior: calibrate exits 0", first.stderr[:400])
if first.returncode != 0:
    finish()
out = json.loads(first.stdout)
eps = out["history"][-1]["tolerance"]
report(out["stop"] == "tolerance" and eps == 0.5, "known posterior: stops at the tolerance 0.5",
       f"stop {out['stop']}, last tolerance {eps}")
N, W, value = 500, 10, 0.2
scale = 0.5 * (0.21 - 0.19)
window = [x for x in range(N + 1) if abs(x / N - value) / scale <= eps]
log_choose = [math.lgamma(N + 1) - math.lgamma(x + 1) - math.lgamma(N - x + 1) for x in range(N + 1)]


def likelihood(d):
    h = 1 / (1 + math.exp(-d))
    q = 1 - (1 - h) ** W
    return sum(math.exp(log_choose[x] + x * math.log(q) + (N - x) * math.log1p(-q)) for x in window)


lo, hi, M = -6.0, -2.0, 40001
grid = [lo + (hi - lo) * i / (M - 1) for i in range(M)]
dens = [likelihood(d) for d in grid]
total = sum(dens)
mean = sum(d * p for d, p in zip(grid, dens)) / total
sd = math.sqrt(sum((d - mean) ** 2 * p for d, p in zip(grid, dens)) / total)


def quantile(p):
    c = 0
    for d, w in zip(grid, dens):
        c += w / total
        if c >= p:
            return d
    return grid[-1]


exact = {"mean": mean, "q05": quantile(0.05), "q95": quantile(0.95)}
abc = out["free"][0]
print(f"# window X in [{window[0]}, {window[-1]}]; exact posterior of dropout.base: mean {mean:.4f}, sd {sd:.4f}, "
      f"90% [{exact['q05']:.4f}, {exact['q95']:.4f}]; ABC: mean {abc['mean']:.4f}, 90% [{abc['q05']:.4f}, "
      f"{abc['q95']:.4f}], ESS {out['history'][-1]['ess']:.0f}, {out['simulations']} simulations, {seconds:.1f} s")
x = round(N * value)
a, b = x + 1, N - x + 1
print(f"# eps -> 0 and a prior uniform in q: q ~ Beta({a}, {b}), mean {a / (a + b):.4f}")
for key, tol in (("mean", 0.2), ("q05", 0.3), ("q95", 0.3)):
    err = abs(abc[key] - exact[key]) / sd
    if QUICK:
        print(f"# quick: the ABC {key} is {err:.2f} sd from the exact one (tested with 500 particles)")
        continue
    report(err <= tol, f"known posterior: the ABC {key} is within {tol} sd of the exact one",
           f"ABC {abc[key]:.5f}, exact {exact[key]:.5f}: {err:.2f} sd")

# ---- 2. threads ----
one = calibrate("--threads", "1", "--posterior", f"{tmp}/b.h5")
ok, why = same(f"{tmp}/a.h5", f"{tmp}/b.h5") if one.returncode == 0 else (False, one.stderr[:400])
report(ok, "1 and 2 threads: the same posterior file", why)
with h5py.File(f"{tmp}/a.h5", "r") as f:
    report(f.attrs["complete"] == 1 and "posterior" in f and f.attrs["generations"] == len(out["history"]),
           "the posterior file is complete, with /posterior and every generation")
    report(f["calibration"][()].decode() == open(CAL, encoding="utf-8").read(),
           "the posterior file holds the calibration file's text")


# ---- 3. stopped, then resumed ----
path = f"{tmp}/c.h5"
p = subprocess.Popen([BIN, "calibrate", CAL, "--threads", "2", "--posterior", path],
                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
while p.poll() is None and posterior_generations(path) < 3:
    time.sleep(0.005)
p.send_signal(signal.SIGUSR1)
_, err = p.communicate()
stopped = posterior_generations(path)
report(p.returncode == 75 and len(err.strip().splitlines()) == 1 and "--resume" in err,
       "SIGUSR1 after a checkpoint: exit 75, one line naming --resume", f"exit {p.returncode}: {err[:300]}")
with h5py.File(path, "r") as f:
    report(f.attrs["complete"] == 0 and "posterior" not in f and f.attrs["stop"] == "running",
           "the checkpoint does not look complete", dict(f.attrs).get("stop", ""))
r = calibrate("--threads", "1", "--posterior", path, "--resume")
ok, why = same(f"{tmp}/a.h5", path) if r.returncode == 0 else (False, r.stderr[:400])
report(ok, f"resumed after generation {stopped - 1}: the same file as uninterrupted", why)
r = calibrate("--threads", "2", "--posterior", path, "--resume", "--json")
report(r.returncode == 0 and json.loads(r.stdout)["free"] == out["free"],
       "--resume of a complete file: the same report, nothing run", r.stderr[:300])
again = calibrate("--posterior", path)
report(again.returncode == 2 and "exists" in again.stderr, "an existing posterior without --force or --resume: exit 2",
       again.stderr[:300])

rng = random.Random(15)
path = f"{tmp}/d.h5"
p = subprocess.Popen([BIN, "calibrate", CAL, "--threads", "2", "--posterior", path],
                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
delay = rng.uniform(0.2, 0.8) * seconds
time.sleep(delay)
p.kill()
p.wait()
killed_at = posterior_generations(path)
r = calibrate("--threads", "2", "--posterior", path, "--resume")
ok, why = same(f"{tmp}/a.h5", path) if r.returncode == 0 else (False, f"exit {r.returncode}: {r.stderr[:400]}")
print(f"# SIGKILL after {delay:.1f} s, the file at generation {killed_at - 1} (-2: no file yet)")
report(ok, "killed (SIGKILL) at a random moment, resumed: the same file", why)
leftovers = [n for n in os.listdir(tmp) if ".partial-" in n and n.startswith("d.h5")]
print(f"# SIGKILL leftovers (a killed write's temporary file): {leftovers}")

# ---- 4. no --posterior: nothing to resume ----
p = subprocess.Popen([BIN, "calibrate", CAL, "--threads", "2"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                     text=True)
time.sleep(0.3 * seconds)
p.send_signal(signal.SIGTERM)
_, err = p.communicate()
report(p.returncode == 130 and "nothing written" in err, "SIGTERM without --posterior: exit 130",
       f"exit {p.returncode}: {err[:300]}")
r = calibrate("--resume")
report(r.returncode == 2 and "--posterior" in r.stderr, "--resume without --posterior: exit 2", r.stderr[:300])

finish()
