#!/usr/bin/env python3
"""make-clinic.py [OUT_DIR] - the made-up clinic of scenarios/clinic.yaml.

Writes OUT_DIR/clinic-patients.csv (312 patients) and clinic-providers.csv
(20 providers), default OUT_DIR scenarios/data/ beside this script's
scenarios/. Nothing in them is real: every value is drawn from Python's
Mersenne Twister with a fixed seed, so the files are the same byte for byte
on every run (scenarios/clinic.yaml and the golden outputs depend on them).

The files look like a de-identified export of a clinic's records, with the
clinic's own codes, which the scenario's `map:` turns into its levels and
scales: race_eth 1-4 (white, Latinx, Black, Asian), preferred language EN /
ES / OT, yearly household income in dollars (class, by breakpoints), intake
PHQ-9 (as it is, 0-27; a few missing, drawn from the group), a mistrust
score 1-5 (mistrust, by breakpoints); a record number and a visit month that
the scenario ignores. Providers: race_eth, language, caseload.
"""
import os
import random
import sys

SEED = 20261201
here = os.path.dirname(os.path.abspath(__file__))
out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "..", "scenarios", "data")
os.makedirs(out, exist_ok=True)
rng = random.Random(SEED)

# The clinic's own mix: more white and Black patients than MODEL.md's reference (2/14/8/3 of 27).
races = [(1, 0.22), (2, 0.41), (3, 0.27), (4, 0.10)]  # white, Latinx, Black, Asian
language = {1: [("EN", 1.0)], 2: [("EN", 0.45), ("ES", 0.55)], 3: [("EN", 1.0)], 4: [("EN", 0.5), ("OT", 0.5)]}
income_median = {1: 52000, 2: 31000, 3: 33000, 4: 45000}
mistrust_mean = {1: 2.0, 2: 2.8, 3: 3.3, 4: 2.7}


def pick(pairs):
    u, cum = rng.random(), 0.0
    for value, p in pairs:
        cum += p
        if u < cum:
            return value
    return pairs[-1][0]


with open(os.path.join(out, "clinic-patients.csv"), "w", encoding="utf-8", newline="") as f:
    f.write("record,race_eth,language,income,phq9,mistrust_1to5,visit_month\n")
    for i in range(312):
        r = pick(races)
        lang = pick(language[r])
        income = int(round(rng.lognormvariate(0, 0.5) * income_median[r], -2))
        phq9 = "NA" if rng.random() < 0.04 else str(min(27, max(5, int(round(rng.gauss(15, 4))))))
        mistrust = min(5.0, max(1.0, round(rng.gauss(mistrust_mean[r], 0.8), 1)))
        month = f"2025-{1 + int(rng.random() * 12):02d}"
        f.write(f"C{10000 + i},{r},{lang},{income},{phq9},{mistrust},{month}\n")

provider_races = [(1, 0.55), (2, 0.25), (3, 0.15), (4, 0.05)]
with open(os.path.join(out, "clinic-providers.csv"), "w", encoding="utf-8", newline="") as f:
    f.write("staff,race_eth,language,caseload\n")
    for j in range(20):
        r = pick(provider_races)
        lang = "ES" if r == 2 and rng.random() < 0.8 else "EN"
        f.write(f"S{100 + j},{r},{lang},{18 + int(rng.random() * 8)}\n")
