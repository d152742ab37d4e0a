#!/usr/bin/env python3
"""data_files.py RAPPORT_BIN SRC_DIR - populations read from data files (issue 18).

A population read from a CSV file gives each pair exactly the file's values
(/pairs read back with h5py), and draws what the file does not give from the
row's group on the usual streams (a missing value too, with missing: draw);
count: N draws N rows with replacement, the same at 1 and 2 threads and for
the same replicate, different for another replicate; a run's /pairs written
as CSV and read back as a population gives the same per-pair attributes;
the output records each data file's path, size and SHA-256 and nothing of an
ignored column; a sweep's joined file and `rapport summary` away from the
data keep working. The bad-data cases are tests/invalid/2NN-data-*.yaml
(invalid_scenarios). Runs under /usr/bin/python3 (h5py, numpy).
"""
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from testlib import check, finish, report, skip_test  # noqa: E402

try:
    import h5py
    import numpy as np
except ImportError:
    skip_test("h5py or numpy is missing")

BIN, SRC = sys.argv[1], sys.argv[2]
tmp = tempfile.mkdtemp(prefix="rapport-data-")
DIMS = ["ethnoracial", "language", "class", "explanatory_model"]
LEVELS = {"ethnoracial": ["white", "latinx", "black", "asian"], "language": ["english", "spanish", "other"]}
GROUPS = ["white", "latinx", "black", "asian"]
ATTRS = ["mistrust", "barrier", "stressor_rate", "symptoms0", "alliance_trait", "response"]


def rapport(*args, cwd=None):
    res = subprocess.run([BIN, *args], capture_output=True, text=True, cwd=cwd)
    if res.returncode != 0:
        raise AssertionError(f"rapport {' '.join(args)}: exit {res.returncode}: {res.stderr.strip()}")
    return res.stdout


def write(name, text):
    path = os.path.join(tmp, name)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    return path


def run_h5(scenario, out, *args):
    rapport("run", scenario, "-o", out, "--force", *args)
    return h5py.File(out, "r")


def pairs_of(f):
    p = f["pairs"]
    return {"group": p["group"][:], "culture": p["culture"][:], **{a: p[a][:] for a in ATTRS}}


# A file of 40 patients that gives every attribute, in every group.
rng = np.random.default_rng(18)
N = 40
rows = []
for i in range(N):
    g = GROUPS[i % 4]
    rows.append({"group": g, "ethnoracial": LEVELS["ethnoracial"][(i // 4) % 4],
                 "language": LEVELS["language"][i % 3], "class": float(rng.uniform()),
                 "explanatory_model": float(rng.uniform()), "mistrust": float(rng.uniform()),
                 "barrier": float(rng.uniform()), "stressor_rate": float(rng.gamma(2, 0.05)),
                 "symptoms0": float(rng.uniform(5, 27)), "alliance_trait": float(rng.normal()),
                 "response": float(rng.gamma(2, 0.05))})
cols = ["group", *DIMS, *ATTRS]
full_csv = write("full.csv", ",".join(cols) + "\n" +
                 "".join(",".join(repr(r[c]) if isinstance(r[c], float) else r[c] for c in cols) + "\n" for r in rows))
full_yaml = write("full.yaml", "seed: 7\npatients: {from: full.csv}\nproviders: {count: 2}\n")


def same_as_rows(p, rows_of_pairs):
    """What differs between the pairs' values and the file's rows rows_of_pairs[i]."""
    bad = []
    for i, r in enumerate(rows_of_pairs):
        want = [LEVELS[d].index(r[d]) if d in LEVELS else r[d] for d in DIMS]
        if GROUPS[p["group"][i]] != r["group"]:
            bad.append(f"pair {i} group")
        if list(p["culture"][i]) != want:
            bad.append(f"pair {i} culture {list(p['culture'][i])} != {want}")
        bad += [f"pair {i} {a} {p[a][i]!r} != {r[a]!r}" for a in ATTRS if p[a][i] != r[a]]
    return "; ".join(bad[:5])


@check("every row once: each pair has exactly its row's values (group, culture, every attribute)")
def _():
    with run_h5(full_yaml, os.path.join(tmp, "full.h5")) as f:
        p = pairs_of(f)
        if len(p["group"]) != N:
            return f"{len(p['group'])} pairs, expected {N}"
        return same_as_rows(p, rows)


# A file with some columns only, and missing values to draw.
part_csv = write("part.csv", "group,language,mistrust,notes\n" + "".join(
    f"{GROUPS[i % 4]},{'NA' if i % 5 == 0 else LEVELS['language'][i % 3]},{'' if i % 7 == 0 else (i + 1) / 100},"
    f"private-note-{i}-zq\n" for i in range(N)))
part_yaml = write("part.yaml", "seed: 7\npatients: {from: part.csv, missing: draw, ignore: [notes]}\n"
                  "providers: {count: 2}\n")


@check("a partial file: its values where given, the rest drawn from the row's group (never a silent 0)")
def _():
    with run_h5(part_yaml, os.path.join(tmp, "part.h5")) as f:
        p = pairs_of(f)
        bad = []
        for i in range(N):
            if GROUPS[p["group"][i]] != GROUPS[i % 4]:
                bad.append(f"pair {i} group")
            if i % 5 and p["culture"][i][1] != i % 3:
                bad.append(f"pair {i} language")
            if i % 7 and p["mistrust"][i] != (i + 1) / 100:
                bad.append(f"pair {i} mistrust {p['mistrust'][i]}")
            if i % 7 == 0 and not 0 < p["mistrust"][i] < 1:
                bad.append(f"pair {i}: a missing mistrust drawn as {p['mistrust'][i]}")
        # white patients are english and white in the reference groups: drawn from the group
        for i in range(0, N, 4):
            if p["culture"][i][0] != 0 or (i % 5 == 0 and p["culture"][i][1] != 0):
                bad.append(f"pair {i}: the white group's drawn culture {list(p['culture'][i])}")
        if len(set(p["barrier"])) < N:
            bad.append("barriers not drawn per patient")
        return "; ".join(bad[:5])


@check("a column listed under ignore is not read, even one named like an attribute")
def _():
    y = write("ign.yaml", "seed: 7\npatients: {from: part.csv, missing: draw, ignore: [notes, mistrust]}\n"
              "providers: {count: 2}\n")
    with run_h5(y, os.path.join(tmp, "ign.h5")) as f:
        m = f["pairs"]["mistrust"][:]
    given = [i for i in range(N) if i % 7 and m[i] == (i + 1) / 100]
    return f"pairs {given[:5]} have the ignored column's mistrust" if given else ""


@check("a missing value drawn is the value drawn without a file (same streams)")
def _():
    # the patients of part.csv drawn entirely (no file) with the groups in the file's order are not the
    # same population, but a file giving only the group of a one-group scenario is: every pair drawn.
    one = write("one.yaml", "seed: 11\nculture:\n  dimensions:\n    - {name: c, kind: continuous, weight: 1}\n"
                "patients:\n  count: 24\n  groups:\n    g:\n      share: 1\n      c: beta(2, 3)\n"
                "      mistrust: beta(2, 5)\n      barrier: beta(2, 5)\n      stressor_rate: gamma(2, 0.05)\n"
                "      symptoms: normal(15, 4)\n"
                "providers:\n  count: 2\n  groups:\n    p: {share: 1, c: 0.5, humility: \"beta(3, 3)\"}\n")
    write("one.csv", "group,c\n" + "g,NA\n" * 24)
    one_file = write("one-file.yaml", open(one).read().replace("count: 24", "from: one.csv\n  missing: draw"))
    with run_h5(one, os.path.join(tmp, "one.h5")) as a, run_h5(one_file, os.path.join(tmp, "one-file.h5")) as b:
        pa, pb = pairs_of(a), pairs_of(b)
        bad = [k for k in pa if not np.array_equal(pa[k], pb[k])]
        return f"differ at {bad}" if bad else ""


@check("a last row of every field, its last one empty and no line break after it: a missing value, drawn")
def _():
    # a file cut short inside its last row is refused (tests/invalid/241-245); this one is whole
    write("end.csv", "group,mistrust\nwhite,0.25\nblack,")
    y = write("end.yaml", "seed: 7\npatients: {from: end.csv, missing: draw}\nproviders: {count: 1}\n")
    with run_h5(y, os.path.join(tmp, "end.h5")) as f:
        m = f["pairs"]["mistrust"][:]
    return "" if len(m) == 2 and m[0] == 0.25 and 0 < m[1] < 1 else f"mistrust {list(m)}"


res_yaml = write("resample.yaml", "seed: 7\npatients: {from: full.csv, count: 400}\nproviders: {count: 20}\n")


def rows_of(p):
    """The row of the file each pair's values are (every value must match one row)."""
    key = {tuple(r[a] for a in ATTRS): i for i, r in enumerate(rows)}
    return [key.get(tuple(p[a][i] for a in ATTRS), -1) for i in range(len(p["group"]))]


@check("count: 400 of 40 rows: each pair is one row of the file whole, rows drawn with replacement")
def _():
    with run_h5(res_yaml, os.path.join(tmp, "r0.h5")) as f:
        p = pairs_of(f)
        which = rows_of(p)
        if -1 in which:
            return f"pair {which.index(-1)} is no row of the file"
        bad = same_as_rows(p, [rows[k] for k in which])
        counts = np.bincount(which, minlength=N)
        if bad:
            return bad
        if counts.min() == 0 or counts.max() < 15:  # 400 draws of 40 rows: each about 10 times
            return f"row counts {counts.min()}..{counts.max()}: not a draw with replacement?"
        return ""


@check("resampling: reproducible (same replicate, 1 and 2 threads), different for another replicate")
def _():
    files = {}
    for name, args in {"a": ("--threads", "1"), "b": ("--threads", "2"), "c": ("--threads", "2", "--replicate", "1")
                       }.items():
        with run_h5(res_yaml, os.path.join(tmp, f"rr{name}.h5"), *args) as f:
            files[name] = pairs_of(f)
    a, b, c = files["a"], files["b"], files["c"]
    if any(not np.array_equal(a[k], b[k]) for k in a):
        return "1 and 2 threads differ"
    if rows_of(a) == rows_of(c):
        return "replicates 0 and 1 drew the same rows"
    return ""


@check("round trip: a run's /pairs as CSV, read back as a population, gives the same per-pair attributes")
def _():
    base = write("drawn.yaml", "seed: 5\npatients: {count: 300}\n")
    with run_h5(base, os.path.join(tmp, "drawn.h5")) as f:
        p = pairs_of(f)
    lines = [",".join(["group", *DIMS, *ATTRS])]
    for i in range(len(p["group"])):
        cult = [LEVELS[d][int(p["culture"][i][k])] if d in LEVELS else repr(float(p["culture"][i][k]))
                for k, d in enumerate(DIMS)]
        lines.append(",".join([GROUPS[p["group"][i]], *cult, *(repr(float(p[a][i])) for a in ATTRS)]))
    write("pairs.csv", "\n".join(lines) + "\n")
    back = write("back.yaml", "seed: 99\npatients: {from: pairs.csv}\n")
    with run_h5(back, os.path.join(tmp, "back.h5")) as f:
        q = pairs_of(f)
    bad = [k for k in p if not np.array_equal(p[k], q[k])]
    return f"differ at {bad}" if bad else ""


@check("provenance: each data file's path, size and SHA-256; nothing of an ignored column in the file")
def _():
    out = os.path.join(tmp, "part.h5")
    data = open(part_csv, "rb").read()
    with h5py.File(out, "r") as f:
        a = f.attrs
        got = (a["patients_data_path"], int(a["patients_data_bytes"]), a["patients_data_sha256"])
        want = (part_csv, len(data), hashlib.sha256(data).hexdigest())
        if got != want:
            return f"attributes {got}, expected {want}"
        if "providers_data_path" in a:
            return "a providers_data_path without providers.from"
    if b"private-note" in open(out, "rb").read():
        return "a value of the ignored column is in the output"
    return ""


@check("the JSON provenance names the data files as the file's attributes do, run and summary alike")
def _():
    import json
    out = os.path.join(tmp, "pj.h5")
    ran = json.loads(rapport("run", part_yaml, "-o", out, "--force", "--json"))["provenance"]
    read = json.loads(rapport("summary", out, "--json"))["provenance"]
    data = open(part_csv, "rb").read()
    want = {"patients_data_path": part_csv, "patients_data_bytes": len(data),
            "patients_data_sha256": hashlib.sha256(data).hexdigest()}
    got = {k: ran.get(k) for k in want}
    if got != want:
        return f"run --json: {got}, expected {want}"
    if ran != read:
        return f"summary --json differs: {read}"
    return "providers_data_path without providers.from" if "providers_data_path" in ran else ""


@check("-o onto a data file is refused, even with --force (it is one of the command's inputs)")
def _():
    before = open(full_csv, "rb").read()
    res = subprocess.run([BIN, "run", full_yaml, "-o", full_csv, "--force"], capture_output=True, text=True)
    if res.returncode != 2 or "is also an input of this command" not in res.stderr:
        return f"exit {res.returncode}: {res.stderr.strip()}"
    return "" if open(full_csv, "rb").read() == before else "the data file changed"


@check("rapport summary reads the file where the data files are not (another directory)")
def _():
    away = tempfile.mkdtemp(prefix="rapport-away-")
    shutil.copy(os.path.join(tmp, "part.h5"), away)
    text = rapport("summary", "part.h5", "--json", cwd=away)
    shutil.rmtree(away)
    return "" if '"pairs"' in text else f"summary: {text[:200]}"


@check("a sweep's joined file and merged shards keep the data files' provenance")
def _():
    sweep = write("sweep.yaml", "seed: 7\nreplicates: 3\npatients: {from: full.csv, count: 100}\n"
                  "providers: {count: 5}\n")
    sha = hashlib.sha256(open(full_csv, "rb").read()).hexdigest()
    bad = []
    with run_h5(sweep, os.path.join(tmp, "sweep.h5")) as f:
        if f.attrs.get("patients_data_sha256") != sha:
            bad.append("joined sweep")
    s1, s2, m = (os.path.join(tmp, n) for n in ("s1.h5", "s2.h5", "m.h5"))
    rapport("run", sweep, "--shard", "0/2", "-o", s1, "--force")
    rapport("run", sweep, "--shard", "1/2", "-o", s2, "--force")
    rapport("merge", s1, s2, "-o", m, "--force")
    with h5py.File(m, "r") as f:
        if f.attrs.get("patients_data_sha256") != sha:
            bad.append("merged shards")
    return "; ".join(bad)


@check("--resume refuses the runs of a sweep whose data file changed since (the plan id covers its SHA-256)")
def _():
    data = write("resumed.csv", open(full_csv, encoding="utf-8").read())
    sweep = write("resumed.yaml", "seed: 7\nreplicates: 2\npatients: {from: resumed.csv, count: 50}\n"
                  "providers: {count: 5}\n")
    out = os.path.join(tmp, "resumed.h5")
    rapport("run", sweep, "-o", out, "--force")
    again = subprocess.run([BIN, "run", sweep, "-o", out, "--resume"], capture_output=True, text=True)
    if again.returncode != 0:
        return f"the unchanged sweep resumed with exit {again.returncode}: {again.stderr.strip()}"
    with open(data, "a", encoding="utf-8") as f:  # one more row: another file
        f.write(open(full_csv, encoding="utf-8").read().splitlines()[1] + "\n")
    res = subprocess.run([BIN, "run", sweep, "-o", out, "--resume"], capture_output=True, text=True)
    if res.returncode != 2 or "belongs to another sweep" not in res.stderr or "data files" not in res.stderr:
        return f"exit {res.returncode}: {res.stderr.strip()}"
    return ""


def scenario_text(h5):
    with h5py.File(h5, "r") as f:
        return f["scenario"][()].decode()


def from_lines(text):
    return [line.split("#")[0].strip() for line in text.splitlines() if line.strip().startswith("from:")]


@check("show writes a data file's path absolute: the shown scenario, saved in another directory, reads the same file")
def _():
    away = tempfile.mkdtemp(prefix="rapport-away-")
    try:
        shown = rapport("show", "full.yaml", cwd=tmp)  # a relative path, from the scenario's directory
        if from_lines(shown) != [f"from: {os.path.realpath(full_csv)}"]:
            return f"show wrote {from_lines(shown)}"
        with open(os.path.join(away, "shown.yaml"), "w", encoding="utf-8") as f:
            f.write(shown)
        with run_h5(os.path.join(away, "shown.yaml"), os.path.join(away, "shown.h5")) as a, \
                h5py.File(os.path.join(tmp, "full.h5"), "r") as b:
            if a.attrs["patients_data_sha256"] != b.attrs["patients_data_sha256"]:
                return "another file read"
            pa, pb = pairs_of(a), pairs_of(b)
            bad = [k for k in pa if not np.array_equal(pa[k], pb[k])]
            return f"differ at {bad}" if bad else ""
    finally:
        shutil.rmtree(away)


@check("a data file named in a scenario it extends, or by --set: show and /scenario name that file")
def _():
    base_dir, top_dir = os.path.join(tmp, "base-dir"), os.path.join(tmp, "top-dir")
    os.makedirs(base_dir, exist_ok=True)
    os.makedirs(top_dir, exist_ok=True)
    shutil.copy(full_csv, os.path.join(base_dir, "rows.csv"))
    write("base-dir/base.yaml", "seed: 7\npatients: {from: rows.csv}\nproviders: {count: 2}\n")
    write("top-dir/top.yaml", "extends: ../base-dir/base.yaml\nhorizon: 20\n")
    rows = os.path.realpath(os.path.join(base_dir, "rows.csv"))
    bad = []
    shown = rapport("show", os.path.join(top_dir, "top.yaml"))
    if from_lines(shown) != [f"from: {rows}"]:
        bad.append(f"show of the extending scenario: {from_lines(shown)}")
    out = os.path.join(top_dir, "top.h5")
    rapport("run", "top.yaml", "-o", out, "--force", cwd=top_dir)
    stored = scenario_text(out)
    if from_lines(stored) != ["from: ../base-dir/rows.csv"]:  # relative to top.yaml, which has no extends there
        bad.append(f"/scenario: {from_lines(stored)}")
    write("top-dir/stored.yaml", stored)  # /scenario saved beside the scenario reads the same file
    rapport("validate", os.path.join(top_dir, "stored.yaml"))
    # --set: relative to the working directory
    write("top-dir/plain.yaml", "seed: 7\nproviders: {count: 2}\n")
    setting = ("--set", "patients.from=rows.csv")
    shown = rapport("show", os.path.join(top_dir, "plain.yaml"), *setting, cwd=base_dir)
    if from_lines(shown) != [f"from: {rows}"]:
        bad.append(f"show with --set: {from_lines(shown)}")
    rapport("run", os.path.join(top_dir, "plain.yaml"), *setting, "-o", out, "--force", cwd=base_dir)
    if from_lines(scenario_text(out)) != ["from: ../base-dir/rows.csv"]:
        bad.append(f"/scenario with --set: {from_lines(scenario_text(out))}")
    return "; ".join(bad)


@check("/scenario keeps a path the scenario gives as written, through a data folder that is a symbolic link")
def _():
    linked = os.path.join(tmp, "linked")
    os.makedirs(os.path.join(linked, "real"), exist_ok=True)
    shutil.copy(full_csv, os.path.join(linked, "real", "rows.csv"))
    if not os.path.lexists(os.path.join(linked, "data")):
        os.symlink(os.path.join(linked, "real"), os.path.join(linked, "data"))
    y = write("linked/s.yaml", "seed: 7\npatients: {from: data/rows.csv}\nproviders: {count: 2}\n")
    out = os.path.join(linked, "s.h5")
    rapport("run", y, "-o", out, "--force")
    got = from_lines(scenario_text(out))
    return "" if got == ["from: data/rows.csv"] else f"/scenario: {got}"


@check("the shards of a data file's sweep, run from two copies of the tree, are one sweep (merge)")
def _():
    copies = [tempfile.mkdtemp(prefix=f"rapport-copy{k}-") for k in (1, 2)]
    try:
        for d in copies:
            shutil.copy(full_csv, d)
            shutil.copy(res_yaml, os.path.join(d, "s.yaml"))
            with open(os.path.join(d, "s.yaml"), "a", encoding="utf-8") as f:
                f.write("sweep: {grid: {discussion.policy: [never, intake]}}\n")
        parts = [os.path.join(d, f"part{k}.h5") for k, d in enumerate(copies)]
        for k, d in enumerate(copies):
            rapport("run", "s.yaml", "--shard", f"{k}/2", "-o", parts[k], "--force", cwd=d)
        rapport("merge", *parts, "-o", os.path.join(tmp, "copies.h5"), "--force")
        return ""
    finally:
        for d in copies:
            shutil.rmtree(d)


@check("providers from a file: their culture, groups and caseloads as the file says")
def _():
    write("prov.csv", "group,ethnoracial,language,humility,caseload\n" + "".join(
        f"{GROUPS[j % 4]},{LEVELS['ethnoracial'][j % 4]},spanish,{j / 10},{10 + j}\n" for j in range(5)))
    y = write("prov.yaml", "seed: 3\npatients: {count: 50}\nproviders: {from: prov.csv}\n")
    with run_h5(y, os.path.join(tmp, "prov.h5")) as f:
        q = f["providers"]
        bad = []
        for j in range(5):
            if (q["group"][j], q["culture"][j][0], q["culture"][j][1], q["humility"][j], q["caseload"][j]) != \
                    (j % 4, j % 4, 1, j / 10, 10 + j):
                bad.append(f"provider {j}")
        return "; ".join(bad)


report(True, f"scratch files in {tmp}")
shutil.rmtree(tmp, ignore_errors=True)
finish()
