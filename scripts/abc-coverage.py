#!/usr/bin/env python3
"""abc-coverage.py [--rapport BIN] [--repeats R] [--particles N] [--threads T] [--keep DIR]

Simulation-based calibration of rapport's ABC-SMC (issue 15, item 6): do the
posterior's 50% and 90% credible intervals cover the truth at their nominal
rates?

Each repeat r = 0 .. R-1:
  1. draws the truth from the prior (a seeded Python RNG): dropout.base ~
     uniform(-6, -2) and dropout.early ~ uniform(0, 3), the two free
     coefficients of tests/abc/constant-hazard.yaml's scenario (a hazard
     L(dropout.base + dropout.early e^(-t / 1.5)), 500 pairs, 10 weeks);
  2. makes synthetic targets with the simulator itself at the truth: one run
     (`rapport run --json`, seed 50000 + r), its dropout and early_dropout;
  3. calibrates to them (`rapport calibrate`, method abc-smc, scenario seed
     1000 + r so that the ABC's own streams differ from repeat to repeat;
     scales 0.02 for dropout and 0.05 for early_dropout, final tolerance 0.5);
  4. records whether each coefficient's true value lies in its central 50%
     [q25, q75] and 90% [q05, q95] interval (weighted quantiles).

The coverage counts are judged against the binomial distribution of a
calibrated method: with R = 20, a count of 5-15 of 20 for the 50% interval
and 15-20 of 20 for the 90% interval (the central ranges that hold at least
97% of Binomial(20, p)); other R: the same ranges, computed here. The seeds
are fixed: a run gives the same counts every time (a test, never flaky).
ABC with a tolerance > 0 is calibrated for data blurred by its kernel, and a
finite population of particles adds its own error, so slight over-coverage
is expected. Prints one line per repeat and the verdict; exits 0 when every
count is in its range, 1 otherwise.

By hand: scripts/abc-coverage.py (20 repeats, 300 particles; --repeats 40
for a sharper check). CI runs --short (dropout.base alone, 100 particles,
final tolerance 1, 20 repeats) as the test abc_coverage.
"""
import argparse
import json
import math
import os
import random
import subprocess
import sys
import tempfile


def binomial_range(n, p, mass=0.97):
    """The smallest central range [lo, hi] of Binomial(n, p) with at least mass."""
    pmf = [math.comb(n, k) * p ** k * (1 - p) ** (n - k) for k in range(n + 1)]
    tail = (1 - mass) / 2
    lo, c = 0, 0.0
    while c + pmf[lo] <= tail:
        c += pmf[lo]
        lo += 1
    hi, c = n, 0.0
    while c + pmf[hi] <= tail:
        c += pmf[hi]
        hi -= 1
    return lo, hi


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    here = os.path.dirname(os.path.abspath(__file__))
    src = os.path.dirname(here)
    ap.add_argument("--rapport", default=os.path.join(src, "build", "rapport"))
    ap.add_argument("--repeats", type=int, default=20)
    ap.add_argument("--particles", type=int, default=300)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--keep", help="keep the repeats' files in this folder")
    ap.add_argument("--short", action="store_true",
                    help="CI's version: dropout.base alone (dropout.early fixed at 0), 100 particles, tolerance 1")
    a = ap.parse_args()
    if a.short:
        a.particles = min(a.particles, 100)
    work = a.keep or tempfile.mkdtemp(prefix="abc-coverage.")
    os.makedirs(work, exist_ok=True)
    base = os.path.join(src, "tests", "abc", "constant-hazard.yaml")
    rng = random.Random(20261201)
    keys = ["dropout.base"] if a.short else ["dropout.base", "dropout.early"]
    tolerance = 1 if a.short else 0.5
    prior = {"dropout.base": (-6.0, -2.0), "dropout.early": (0.0, 3.0)}
    cover = {k: {"50": 0, "90": 0} for k in keys}
    sims = 0
    for r in range(a.repeats):
        truth = {k: rng.uniform(*prior[k]) for k in keys}
        sets = [x for k in keys for x in ("--set", f"{k}={truth[k]:.17g}")]
        run = subprocess.run([a.rapport, "run", base, "--json", "--seed", str(50000 + r), *sets],
                             capture_output=True, text=True)
        if run.returncode != 0:
            sys.exit(f"rapport run: exit {run.returncode}: {run.stderr}")
        summary = json.loads(run.stdout)
        overall = summary.get("all", summary)
        observed = {"dropout": overall["dropout"], "early_dropout": overall["early_dropout"]}
        scenario = os.path.join(work, f"scenario-{r}.yaml")
        with open(scenario, "w", encoding="utf-8") as f:
            f.write(f"extends: {base}\nseed: {1000 + r}\n")
        cal = os.path.join(work, f"calibration-{r}.yaml")
        with open(cal, "w", encoding="utf-8") as f:
            f.write(f"scenario: {scenario}\nmethod: abc-smc\nfree:\n")
            for k in keys:
                f.write(f"  {k}: {{prior: 'uniform({prior[k][0]:g}, {prior[k][1]:g})'}}\n")
            f.write(f"targets:\n  dropout: {{value: {observed['dropout']:.17g}, se: 0.02}}\n")
            if not a.short:
                f.write(f"  early_dropout: {{value: {observed['early_dropout']:.17g}, se: 0.05}}\n")
            f.write(f"abc: {{particles: {a.particles}, generations: 20, tolerance: {tolerance}, "
                    f"simulations: 2000000}}\n")
        res = subprocess.run([a.rapport, "calibrate", cal, "--json", "--threads", str(a.threads)],
                             capture_output=True, text=True)
        if res.returncode != 0:
            sys.exit(f"rapport calibrate {cal}: exit {res.returncode}: {res.stderr}")
        out = json.loads(res.stdout)
        sims += out["simulations"]
        line = [f"repeat {r:2d}: dropout {observed['dropout']:.3f}, early {observed['early_dropout']:.3f};"]
        for fr in out["free"]:
            k, t = fr["key"], truth[fr["key"]]
            in50 = fr["q25"] <= t <= fr["q75"]
            in90 = fr["q05"] <= t <= fr["q95"]
            cover[k]["50"] += in50
            cover[k]["90"] += in90
            line.append(f"{k} {t:.3f} in [{fr['q05']:.3f}, {fr['q95']:.3f}] {'90' if in90 else '--'}"
                        f"{' 50' if in50 else ' --'};")
        print(" ".join(line) + f" {out['generations']} generations, {out['simulations']} simulations", flush=True)
    ok = True
    for k in keys:
        for level, p in (("50", 0.5), ("90", 0.9)):
            lo, hi = binomial_range(a.repeats, p)
            n = cover[k][level]
            good = lo <= n <= hi
            ok = ok and good
            print(f"{k}: {level}% interval covers the truth {n} of {a.repeats} times "
                  f"({100 * n / a.repeats:.0f}%; calibrated: {lo}-{hi}) {'ok' if good else 'FAIL'}")
    print(f"{sims} simulations in all; {'coverage as nominal' if ok else 'coverage NOT as nominal'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
