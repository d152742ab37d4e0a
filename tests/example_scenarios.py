#!/usr/bin/env python3
"""example_scenarios.py RAPPORT_BIN SRC_DIR - each example is the baseline plus its one change.

Every scenario of scenarios/ but the baseline extends baseline.yaml, and its
resolved form (`rapport show`) differs from the baseline's only at keys the
file itself writes: no example runs on other defaults than the calibrated
baseline (issue 13: the policy scenarios once ran on uncalibrated values, and
intake-minus-never read -2.6 points instead of -3.6). A policy or assignment
example writes one section only (its change); the sweep and the cohort also
set their own counts, replicates and sweep. Needs PyYAML (/usr/bin/python3).
"""
import glob
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from testlib import finish, report, skip_test  # noqa: E402

try:
    import yaml
except ImportError:
    skip_test("PyYAML is missing")

BIN, SRC = sys.argv[1], sys.argv[2]


def flat(tree, prefix=""):
    """{dotted key: value} of a mapping; sequences and leaves are values."""
    out = {}
    for k, v in tree.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict) and not key.endswith(("groups", "levels")):
            out.update(flat(v, key + "."))
        else:
            out[key] = v
    return out


def shown(path):
    res = subprocess.run([BIN, "show", path], capture_output=True, text=True)
    if res.returncode != 0:
        sys.exit(f"rapport show {path}: exit {res.returncode}: {res.stderr}")
    return flat(yaml.safe_load(res.stdout))


base = shown(f"{SRC}/scenarios/baseline.yaml")
# calibration files (a top-level `scenario:` key) are not scenarios
examples = [p for p in sorted(glob.glob(f"{SRC}/scenarios/*.yaml"))
            if os.path.basename(p) != "baseline.yaml"
            and not any(line.startswith("scenario:") for line in open(p, encoding="utf-8"))]
report(len(examples) >= 9, f"{len(examples)} example scenarios besides the baseline")
for path in examples:
    name = os.path.basename(path)
    written_tree = yaml.safe_load(open(path, encoding="utf-8"))
    report(written_tree.get("extends") == "baseline.yaml", f"{name} extends baseline.yaml")
    written = flat({k: v for k, v in written_tree.items() if k != "extends"})
    resolved = shown(path)
    changed = sorted(k for k in set(base) | set(resolved) if base.get(k) != resolved.get(k))
    # a key below one the file writes (e.g. a level of a written mapping) counts as written
    unexplained = [k for k in changed if not any(k == w or k.startswith(w + ".") for w in written)]
    report(not unexplained, f"{name}: differs from the baseline only where it writes ({len(changed)} keys)",
           f"also at {unexplained}")
    # a sweep and a cohort set their own counts; a clinic reads its patients and providers
    if not name.startswith(("sweep-", "cohort-", "clinic")):
        sections = sorted({k.split(".")[0] for k in written})
        report(len(sections) == 1, f"{name}: writes one section ({', '.join(sections)})")

finish()
