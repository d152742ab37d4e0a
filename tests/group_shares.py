"""A group's share given alone (docs/SCENARIO.md, "Groups"): in a file over
the one it extends, with --set, or as a sweep axis, the shares given are kept
and the other groups' shares are scaled in proportion so that all sum to 1.

Usage: group_shares.py RAPPORT_BIN SOURCE_DIR (under /usr/bin/python3: h5py).
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from testlib import report, finish, skip_test  # noqa: E402

try:
    import h5py
except ImportError as e:
    skip_test(f"needs h5py ({e})")

BIN, SRC = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
tmp = tempfile.mkdtemp(prefix="rapport-shares-")
BASE = os.path.join(SRC, "scenarios", "baseline.yaml")


def write(name, text):
    path = os.path.join(tmp, name)
    with open(path, "w") as f:
        f.write(text)
    return path


def run(*args):
    return subprocess.run([BIN, *args], capture_output=True, text=True, cwd=tmp)


def shares(show_text, section="patients"):
    """{group: share} of section's groups in `rapport show`'s output, in order."""
    body = show_text.split(f"\n{section}:\n", 1)[1]
    groups = body.split("\n  groups:\n", 1)[1]
    out, name = {}, None
    for line in groups.splitlines():
        if re.match(r"^  \S", line) or re.match(r"^\S", line):
            break
        m = re.match(r"^    ([a-z_0-9-]+):$", line)
        if m:
            name = m.group(1)
        m = re.match(r"^      share: (\S+)", line)
        if m and name:
            out[name] = float(m.group(1))
    return out


base = shares(run("show", BASE).stdout)
report(list(base) == ["white", "latinx", "black", "asian"] and abs(sum(base.values()) - 1) < 1e-12,
       "the reference population's four groups", str(base))

child = write("child.yaml", f"extends: {BASE}\npatients:\n  groups:\n    asian: {{share: 0.2}}\n")
p = run("show", child)
got = shares(p.stdout) if p.returncode == 0 else {}
scale = 0.8 / (1 - base["asian"])
exp = {g: (0.2 if g == "asian" else s * scale) for g, s in base.items()}
report(p.returncode == 0 and list(got) == list(base) and all(abs(got[g] - exp[g]) < 1e-15 for g in exp)
       and abs(sum(got.values()) - 1) < 1e-12,
       "a file giving one share: kept, the others scaled in proportion, the order kept", f"{got} vs {exp}: {p.stderr}")
again = write("again.yaml", p.stdout.split("\n# ")[0] if p.returncode == 0 else "")
q = run("show", again)
report(q.returncode == 0 and shares(q.stdout) == got, "what show prints reads back to the same shares", q.stderr)

p = run("show", BASE, "--set", "patients.groups.asian.share=0.2", "--set", "patients.groups.black.share=0.4")
got = shares(p.stdout) if p.returncode == 0 else {}
scale = 0.4 / (base["white"] + base["latinx"])
report(p.returncode == 0 and got.get("asian") == 0.2 and got.get("black") == 0.4
       and abs(got["white"] - base["white"] * scale) < 1e-15 and abs(sum(got.values()) - 1) < 1e-12,
       "--set of two shares: both kept (the first not scaled by the second), the others scaled", f"{got}: {p.stderr}")

sweep = write("sweep.yaml", f"extends: {BASE}\npatients: {{count: 1000}}\nproviders: {{count: 50}}\n"
              "sweep: {grid: {patients.groups.black.share: [0.2, 0.5]}}\n")
p = run("run", sweep, "-o", "sweep.h5")
ok = p.returncode == 0
if ok:
    with h5py.File(os.path.join(tmp, "sweep.h5"), "r") as f:
        pairs = f["summary/pairs"][()]
    ok = list(pairs[:, 3]) == [200, 500] and all(pairs[:, 0] == 1000)
report(ok, "a sweep over one group's share: the group has that share of the patients, the rest scaled",
       p.stderr.strip())

bad = write("bad.yaml", f"extends: {BASE}\npatients:\n  groups:\n    asian: {{share: 0.7}}\n    black: {{share: 0.4}}\n")
p = run("validate", bad)
report(p.returncode == 2 and "shares sum to" in p.stderr and "bad.yaml" in p.stderr,
       "shares given that reach 1 while other groups remain: the sum is reported, located", p.stderr.strip())
whole = write("whole.yaml", f"extends: {BASE}\npatients:\n  groups:\n    asian: {{share: 0.2, barrier: 0.1}}\n")
p = run("validate", whole)
report(p.returncode == 2 and "missing dimension" in p.stderr,
       "a group given with more than its share still replaces the groups (a new population)", p.stderr.strip())
new = write("new.yaml", f"extends: {BASE}\npatients:\n  groups:\n    other: {{share: 0.2}}\n")
p = run("validate", new)
report(p.returncode == 2 and "patients.groups.other: missing dimension" in p.stderr,
       "a share of a group the base lacks is a new population, not a share given alone", p.stderr.strip())
shutil.rmtree(tmp, ignore_errors=True)
finish()
