#!/usr/bin/env python3
"""calibration_targets.py RAPPORT_BIN SRC_DIR - the shipped calibration meets its figures.

Issue 13's acceptance, kept as a test: the reference scenario as shipped
(scenarios/baseline.yaml, every fitted coefficient at its default), run at
200,000 pairs, lands inside every band of docs/TARGETS.md under model 2 and of
docs/TARGETS-v1.md under model 1; the 27-patient cohort (scenarios/cohort-27.yaml,
2,000 replicates) has its mean ambivalence inside the ambivalence band; minority
patients drop out more than white ones (minority_gap, ratio > 1). The bands are
read from the TARGETS tables themselves (the first "a-b" of the band cell), so a
new contract needs no edit here. One run per check with the scenario's own seed:
a deterministic test, never flaky; its margin is printed.
"""
import json
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from testlib import finish, report  # noqa: E402

BIN, SRC = sys.argv[1], sys.argv[2]
# TARGETS.md's ids -> the observable rapport reports (None: computed here).
OBSERVABLE = {
    "dropout": "dropout",
    "early_dropout": "early_dropout",
    "alliance_outcome": "alliance_outcome_r",
    "therapist_effect": "therapist_icc",
    "therapist_dropout": "therapist_dropout",
    "ambivalence": "ambivalence",  # of the 27-patient cohort
    "minority_gap": None,
}


def bands(path):
    """{id: (lo, hi) or None for a qualitative target} from a TARGETS table."""
    out = {}
    for line in open(path, encoding="utf-8"):
        cells = [c.strip() for c in line.split("|")[1:-1]]
        if len(cells) < 4 or cells[0] in ("id", "---"):
            continue
        m = re.match(r"([0-9.]+)-([0-9.]+)", cells[3])
        out[cells[0]] = (float(m.group(1)), float(m.group(2))) if m else None
    return out


def run(*args):
    res = subprocess.run([BIN, "run", *args, "--json", "--threads", "2"], capture_output=True, text=True)
    if res.returncode != 0:
        sys.exit(f"rapport run {' '.join(args)}: exit {res.returncode}: {res.stderr}")
    return json.loads(res.stdout)


for model, doc in ((2, "TARGETS.md"), (1, "TARGETS-v1.md")):
    want = bands(f"{SRC}/docs/{doc}")
    ids = sorted(set(want) - set(OBSERVABLE))
    report(not ids, f"model {model}: every target of docs/{doc} is checked", f"unknown ids {ids}")
    big = run(f"{SRC}/scenarios/baseline.yaml", "--set", f"model={model}", "--set", "patients.count=200000",
              "--set", "providers.count=10000")
    cohort = run(f"{SRC}/scenarios/cohort-27.yaml", "--set", f"model={model}")["by_point"][0]["mean"]
    for tid, band in want.items():
        name = OBSERVABLE.get(tid)
        if tid == "minority_gap":
            pairs, drop = big["by_group"], big["dropout_by_group"]
            minority = [g for g in pairs if g != "white"]
            n = sum(pairs[g]["pairs"] for g in minority)
            ratio = sum(drop[g] * pairs[g]["pairs"] for g in minority) / n / drop["white"]
            report(ratio > 1, f"model {model}: minority/white dropout ratio {ratio:.3f} > 1")
            continue
        if name is None or band is None:
            continue
        value = cohort[name] if tid == "ambivalence" else big[name]
        lo, hi = band
        report(lo <= value <= hi, f"model {model}: {tid} = {value:.4f} in [{lo}, {hi}] "
               f"(200,000 pairs{'; cohort of 27, 2000 replicates' if tid == 'ambivalence' else ''})")

finish()
