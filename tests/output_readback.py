#!/usr/bin/python3
"""output_readback.py RAPPORT_BIN SRC_DIR - read back real output files.

Runs the real binary on a small population into a temporary directory and
reads the files with h5py and with xarray (engine h5netcdf), checking the
layout of docs/FORMAT.md (groups, named dimensions and coordinates, attributes,
provenance, /scenario; a single run is a file of one run: one row of /runs and
/summary, row ranges into the other tables, extendible chunked tables), that the
trajectories agree with the per-pair table,
that every number equals what the engine computed (the JSON of `rapport run`),
that files are reproducible (same seed, any thread count), and the output
options (variables, every, sample, --summary-only, compression).

Prints one PASS/FAIL line per check, then "N passed, N failed"; exits 1 on any
failure and 77 (skipped) when h5py, xarray or h5netcdf is missing. Run it with
Debian's /usr/bin/python3, where python3-h5py, -xarray and -h5netcdf live.
"""
import datetime
import json
import math
import os
import re
import shlex
import shutil
import socket
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from testlib import check, finish, report, skip, skip_test  # noqa: E402

try:
    import numpy as np
    import h5py
    import h5netcdf  # noqa: F401  (xarray's engine)
    import xarray as xr
except ImportError as e:
    skip_test(f"{e} (install python3-h5py python3-xarray python3-h5netcdf)")

try:
    import yaml
except ImportError:
    yaml = None

LZ4_PLUGIN = "/usr/lib/x86_64-linux-gnu/hdf5/serial/plugins/libh5lz4.so"
SCENARIO = "seed: 5\npatients: {count: 3000}\nproviders: {count: 150}\n"
SEED, N_PAIRS, N_PROVIDERS, HORIZON, COURSE, S_REC, S_MAX = 5, 3000, 150, 26, 16, 5.0, 27.0
GROUPS = ["white", "latinx", "black", "asian"]
DIMENSIONS = ["ethnoracial", "language", "class", "explanatory_model"]
VARIABLES = ["A", "T", "S", "D", "N", "rupture", "repaired"]
# Root attributes that legitimately differ between two runs of the same scenario.
VOLATILE = {"start_time", "end_time", "command_line"}

bin_path = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else sys.exit("usage: output_readback.py RAPPORT_BIN SRC_DIR")
src_dir = sys.argv[2] if len(sys.argv) > 2 else sys.exit("usage: output_readback.py RAPPORT_BIN SRC_DIR")
tmp = tempfile.mkdtemp(prefix="rapport-readback-")
scenario = os.path.join(tmp, "s.yaml")
with open(scenario, "w") as fh:
    fh.write(SCENARIO)

# Every run shares these options, so that the files differ only by what a test varies.
# The value has spaces, braces and a colon: command_line must quote it.
BASE = ["--set", "discussion={policy: responsive, week: 4}"]


def rapport(*args, expect=0):
    """Run rapport with args in tmp; return (argv, stdout bytes). Raise on an unexpected exit."""
    argv = [bin_path, *args]
    r = subprocess.run(argv, cwd=tmp, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
    if r.returncode != expect:
        raise RuntimeError(f"{shlex.join(argv)} exited {r.returncode}, expected {expect}; "
                           f"stderr: {r.stderr.decode(errors='replace')[:400]}")
    return argv, r.stdout


def run_file(name, *extra, threads=2):
    """rapport run s.yaml -o NAME.h5 --json ...: (path, argv, json bytes)."""
    path = os.path.join(tmp, name + ".h5")
    argv, out = rapport("run", "s.yaml", "-o", path, "--json", "--threads", str(threads), *BASE, *extra)
    return path, argv, out


def strs(a):
    """An array of HDF5 strings as a list of str."""
    return [x.decode() if isinstance(x, bytes) else str(x) for x in np.asarray(a).ravel()]


def same_array(a, b):
    """Bitwise equality of two arrays (NaN equals NaN); strings by value."""
    a, b = np.asarray(a), np.asarray(b)
    if a.dtype.kind == "O" or b.dtype.kind == "O":
        return a.shape == b.shape and strs(a) == strs(b)
    return a.shape == b.shape and a.dtype == b.dtype and a.tobytes() == b.tobytes()


def attr_value(v):
    if isinstance(v, bytes):
        return v.decode()
    if isinstance(v, np.ndarray):
        return v.tolist() if v.dtype.kind != "f" else v.tobytes()
    if isinstance(v, float) and math.isnan(v):
        return "nan"
    if isinstance(v, np.floating) and np.isnan(v):
        return "nan"
    return v


def describe_file(path, skip_root=frozenset(), skip_objects=frozenset()):
    """Everything in a file, comparable: {name: value}. Datasets by their bytes,
    attributes by value, dimension scales by the names of the scales attached."""
    out = {}
    with h5py.File(path, "r") as f:
        for k, v in f.attrs.items():
            if k not in skip_root:
                out["@/" + k] = attr_value(v)

        def visit(name, obj):
            if name in skip_objects:
                return
            if isinstance(obj, h5py.Dataset):
                data = obj[()]
                if obj.dtype.kind == "O":
                    data = strs(data) if obj.shape else [data.decode() if isinstance(data, bytes) else data]
                    out[name] = ("str", obj.shape, tuple(data))
                else:
                    out[name] = (str(obj.dtype), obj.shape, np.asarray(data).tobytes())
                out[name + "#dims"] = tuple(tuple(s.name for s in obj.dims[i].values()) for i in range(len(obj.shape)))
            else:
                out[name] = "group"
            for k, v in obj.attrs.items():
                if k not in ("DIMENSION_LIST", "REFERENCE_LIST"):
                    out[f"{name}@{k}"] = attr_value(v)
        f.visititems(visit)
    return out


def diff_files(a, b, skip_root=VOLATILE, skip_objects=frozenset()):
    """"" if the files hold the same things, else what differs."""
    da, db = describe_file(a, skip_root, skip_objects), describe_file(b, skip_root, skip_objects)
    if da.keys() != db.keys():
        return f"different contents: only in first {sorted(da.keys() - db.keys())[:5]}, only in second {sorted(db.keys() - da.keys())[:5]}"
    differ = [k for k in da if da[k] != db[k]]
    return f"{len(differ)} differ, e.g. {differ[:6]}" if differ else ""


def json_num(x):
    return float("nan") if x is None else float(x)


def results(out):
    """A JSON report without its provenance line: the numbers, which do not
    depend on the threads nor on where the scenario file is."""
    return b"".join(line for line in out.splitlines(True) if not line.startswith(b'  "provenance": '))


# The keys of the JSON's provenance that are root attributes of the file.
PROVENANCE_ATTRS = ["rapport_version", "git_revision", "model_version", "scenario_path", "seed", "sweep_id",
                    "threads", "part"]


def provenance_vs_file(prov, path, run=None):
    """What differs between a JSON's provenance and the file of the same run
    (its root attributes; /runs/run and /runs/replicate of row `run`)."""
    with h5py.File(path, "r") as g:
        bad = [f"{k}: JSON {prov.get(k)!r}, file {attr_value(g.attrs[k])!r}" for k in PROVENANCE_ATTRS
               if prov.get(k) != attr_value(g.attrs[k])]
        if run is not None:
            row = list(g["runs/run"][:]).index(run)
            want = {"run": run, "replicate": int(g["runs/replicate"][row])}
            bad += [f"{k}: JSON {prov.get(k)!r}, /runs {v!r}" for k, v in want.items() if prov.get(k) != v]
    return bad


def eq_exact(a, b):
    a, b = float(a), float(b)
    return (math.isnan(a) and math.isnan(b)) or a == b


try:
    # ---- the files ----
    main, main_argv, main_json = run_file("main")
    J = json.loads(main_json)
    f = h5py.File(main, "r")
    # The observables are rapport's, not a list kept here: the keys of its JSON
    # but pairs and the group mappings (checked below against the file's columns).
    OBSERVABLES = [k for k in J if k not in ("pairs", "dropout_by_group", "by_group", "concordance_by_dimension",
                                             "provenance")]
    # concordance on each categorical dimension: column concordance_by_dimension.DIM -> its JSON {all, by_group}
    BY_DIMENSION = {f"concordance_by_dimension.{d}": v for d, v in J.get("concordance_by_dimension", {}).items()}
    traj, pairs = f["trajectories"], f["pairs"]
    A, T, S = traj["A"][:], traj["T"][:], traj["S"][:]
    D, N, RUP, REP = traj["D"][:], traj["N"][:], traj["rupture"][:], traj["repaired"][:]
    exit_week, exit_reason = pairs["exit_week"][:], pairs["exit_reason"][:]
    rows = np.arange(N_PAIRS)
    weeks = np.arange(HORIZON + 1)
    after = weeks[None, :] > exit_week[:, None]    # [pair, week]: the pair has left
    from_exit = weeks[None, :] >= exit_week[:, None]

    # ---- reading with h5py: groups, named dimensions, coordinates ----
    # Every table's row dimension (pair, provider, run) has a coordinate; /summary
    # is [run x group]; the per-row columns run/patient/index are plain [row] columns.
    EXPECTED_DIMS = {
        "trajectories": {v: ("pair", "week") for v in VARIABLES},
        "pairs": {"culture": ("pair", "dimension")},
        "providers": {"culture": ("provider", "dimension")},
        "summary": {},
        "runs": {},
    }
    DEFAULT_DIM = {"trajectories": ("pair",), "pairs": ("pair",), "providers": ("provider",),
                   "summary": ("run", "group"), "runs": ("run",)}
    COORDS = {"trajectories": ["pair", "week"], "pairs": ["pair", "dimension"],
              "providers": ["provider", "dimension"], "summary": ["run", "group"], "runs": ["run"]}

    for group in EXPECTED_DIMS:
        @check(f"h5py /{group}: every dataset has its named dimension scales")
        def _():
            g = f[group]
            bad = []
            for name, ds in g.items():
                if h5py.h5ds.is_scale(ds.id):
                    if ds.attrs["NAME"].decode() != name or name not in COORDS[group]:
                        bad.append(f"scale {name} named {ds.attrs['NAME']}")
                    continue
                want = EXPECTED_DIMS[group].get(name, DEFAULT_DIM[group])
                got = tuple(ds.dims[i][0].name.rsplit("/", 1)[1] if len(ds.dims[i]) else None
                            for i in range(ds.ndim))
                if got != want:
                    bad.append(f"{name}: dims {got}, expected {want}")
                if "long_name" not in ds.attrs:
                    bad.append(f"{name}: no long_name")
            missing = [c for c in COORDS[group] if c not in g]
            return "; ".join(bad + [f"no coordinate {c}" for c in missing])

    @check("h5py coordinates and row columns: pair, week, provider, dimension, group, run; run/patient/index")
    def _():
        # One run: row indices equal the indices within the run, every row is run 0.
        want = {
            "trajectories/pair": rows, "trajectories/week": weeks, "pairs/pair": rows,
            "providers/provider": np.arange(N_PROVIDERS), "runs/run": [0], "summary/run": [0],
            "trajectories/run": np.zeros(N_PAIRS), "trajectories/patient": rows,
            "pairs/run": np.zeros(N_PAIRS), "pairs/patient": rows,
            "providers/run": np.zeros(N_PROVIDERS), "providers/index": np.arange(N_PROVIDERS),
        }
        bad = [k for k, v in want.items() if not np.array_equal(f[k][:], v)]
        bad += [f"{k} dtype {f[k].dtype}" for k in want if k != "trajectories/week" and f[k].dtype != np.int64]
        if f["trajectories/week"].dtype != np.int32:
            bad.append("week dtype")
        for k in ("pairs/dimension", "providers/dimension"):
            if strs(f[k][:]) != DIMENSIONS:
                bad.append(k)
        if strs(f["summary/group"][:]) != ["all"] + GROUPS:
            bad.append(f"summary/group = {strs(f['summary/group'][:])}")
        return ", ".join(bad)

    @check("h5py dtypes, units and fill values of /trajectories")
    def _():
        bad = []
        for v in VARIABLES:
            ds = traj[v]
            fl = v in ("A", "T", "S")
            if ds.dtype != (np.float32 if fl else np.uint8) or ds.shape != (N_PAIRS, HORIZON + 1):
                bad.append(f"{v}: {ds.dtype} {ds.shape}")
            fv = ds.attrs["_FillValue"]
            if fl and not np.isnan(fv) or not fl and fv != 255:
                bad.append(f"{v}: _FillValue {fv}")
            if fl and not np.isnan(ds.fillvalue) or not fl and ds.fillvalue != 255:
                bad.append(f"{v}: HDF5 fill value {ds.fillvalue}")
            if "units" not in ds.attrs:
                bad.append(f"{v}: no units")
        return ", ".join(bad)

    @check("h5py flag attributes of exit_reason and group codes")
    def _():
        bad = []
        er = pairs["exit_reason"]
        if list(er.attrs["flag_values"]) != [1, 2, 3, 4] or er.attrs["flag_meanings"] != "recovered course_completed dropped censored":
            bad.append("exit_reason flags")
        for g in ("pairs/group", "providers/group"):
            if list(f[g].attrs["flag_values"]) != [0, 1, 2, 3] or f[g].attrs["flag_meanings"] != " ".join(GROUPS):
                bad.append(g)
        if not set(np.unique(exit_reason)) <= {1, 2, 3, 4}:
            bad.append(f"exit_reason values {np.unique(exit_reason)}")
        if pairs["group"][:].max() > 3 or f["providers/group"][:].max() > 3:
            bad.append("group code out of range")
        return ", ".join(bad)

    def chunk_rows(widest_row_bytes):
        """FORMAT.md: a power of two of about 1 MiB per widest row, at most 65536."""
        n = 1
        while n * 2 <= 65536 and n * 2 * widest_row_bytes <= (1 << 20):
            n *= 2
        return n

    @check("h5py chunking: every table extendible and chunked in whole rows; runs/summary 1024 rows; none compressed")
    def _():
        bad = []
        # Trajectories: rows of 27 float32 weeks (the widest row) -> 8192 rows, whatever the pairs.
        want_traj = chunk_rows((HORIZON + 1) * 4)
        if want_traj != 8192:
            bad.append(f"expected 8192 trajectory rows per chunk, computed {want_traj}")
        # Pairs and providers: the widest row is culture, 4 dimensions x float64.
        want = {"trajectories": want_traj, "pairs": chunk_rows(len(DIMENSIONS) * 8),
                "providers": chunk_rows(len(DIMENSIONS) * 8), "runs": 1024, "summary": 1024}
        fixed = {"week", "dimension", "group"}  # fixed coordinates along a second dimension
        for group, n in want.items():
            for name, ds in f[group].items():
                if name in fixed:
                    continue
                ch = ds.chunks
                if ch is None or ds.maxshape[0] is not None:
                    bad.append(f"{group}/{name}: chunks {ch}, maxshape {ds.maxshape}")
                elif ch != (n,) + ds.shape[1:]:
                    bad.append(f"{group}/{name}: chunks {ch}, expected ({n}, ...) whole rows")
                elif group == "trajectories" and ds.ndim == 2 and ch[0] * ch[1] * ds.dtype.itemsize > (1 << 20):
                    bad.append(f"{group}/{name}: chunk over 1 MiB")
                if ds.compression is not None:
                    bad.append(f"{group}/{name}: compressed")
        return ", ".join(bad[:8])

    # ---- reading with xarray (h5netcdf) ----
    XDIMS = {"trajectories": {"pair": N_PAIRS, "week": HORIZON + 1},
             "pairs": {"pair": N_PAIRS, "dimension": 4},
             "providers": {"provider": N_PROVIDERS, "dimension": 4},
             "summary": {"run": 1, "group": 5}, "runs": {"run": 1}}
    for group in XDIMS:
        @check(f"xarray /{group}: named dimensions, coordinates and values as h5py reads them")
        def _():
            with xr.open_dataset(main, group=group, engine="h5netcdf") as ds:
                bad = []
                if dict(ds.sizes) != XDIMS[group]:
                    bad.append(f"sizes {dict(ds.sizes)}")
                for c in COORDS[group]:
                    if c not in ds.coords:
                        bad.append(f"no coordinate {c}")
                    elif c in ("dimension", "group"):
                        if [str(x) for x in ds[c].values] != strs(f[group][c][:]):
                            bad.append(f"coordinate {c}")
                    elif not np.array_equal(ds[c].values, f[group][c][:]):
                        bad.append(f"coordinate {c}")
                h5names = {k for k in f[group] if k not in COORDS[group]}
                if set(ds.data_vars) != h5names:
                    bad.append(f"variables {sorted(set(ds.data_vars) ^ h5names)}")
                for name in ds.data_vars:
                    want = EXPECTED_DIMS[group].get(name, DEFAULT_DIM[group])
                    if ds[name].dims != want:
                        bad.append(f"{name} dims {ds[name].dims}")
                    h = f[group][name][:]
                    x = ds[name].values
                    if name in ("D", "N", "rupture", "repaired"):  # _FillValue 255 decodes to NaN
                        ok = np.array_equal(np.isnan(x), h == 255) and np.array_equal(x[h != 255], h[h != 255])
                    else:
                        ok = np.array_equal(x, h, equal_nan=h.dtype.kind == "f")
                    if not ok:
                        bad.append(f"{name} values")
                    if "long_name" not in ds[name].attrs:
                        bad.append(f"{name} no long_name")
                return ", ".join(bad[:8])

    # ---- provenance ----
    @check("root attributes: format, format_version 1, versions, seed, threads, host, sweep_id/runs_total/part of one run")
    def _():
        a = {k: attr_value(v) for k, v in f.attrs.items()}
        version = subprocess.run([bin_path, "--version"], stdout=subprocess.PIPE, text=True).stdout
        m = re.match(r"rapport (\S+) \(git (\S+)\), model versions 1 to \d+ \(default (\d+)\)", version)
        bad = []
        want = {"format": "rapport", "format_version": 1, "seed": SEED, "threads": 2,
                "host": socket.gethostname(), "scenario_path": "s.yaml",
                "rapport_version": m and m.group(1), "git_revision": m and m.group(2),
                "model_version": m and int(m.group(3)),
                "sweep_id": "0000000000000000", "runs_total": 1, "part": ""}
        for k, v in want.items():
            if a.get(k) != v:
                bad.append(f"{k} = {a.get(k)!r}, expected {v!r}")
        if "replicate" in a:
            bad.append("a root attribute replicate (it is a column of /runs now)")
        if f.attrs["seed"].dtype != np.uint64 or f.attrs["format_version"].dtype.kind != "i":
            bad.append("seed/format_version dtypes")
        if f.attrs["runs_total"].dtype != np.int64:
            bad.append(f"runs_total dtype {f.attrs['runs_total'].dtype}")
        for k in ("gsl_version", "hdf5_version"):
            if not re.fullmatch(r"\d+\.\d+(\.\d+)?", str(a.get(k))):
                bad.append(f"{k} = {a.get(k)!r}")
        for k in ("compiler", "compiler_flags", "title", "rng", "git_revision"):
            if not isinstance(a.get(k), str) or not a[k].strip():
                bad.append(f"{k} = {a.get(k)!r}")
        return "; ".join(bad)

    @check("--json provenance of a single run: the file's root attributes (seed 5, s.yaml, threads 2, the "
           "default model, sweep_id 0), run 0, replicate 0, as the last key")
    def _():
        prov = J.get("provenance", {})
        version = subprocess.run([bin_path, "--version"], stdout=subprocess.PIPE, text=True).stdout
        m = re.match(r"rapport (\S+) \(git (\S+)\), model versions 1 to \d+ \(default (\d+)\)", version)
        want = {"rapport_version": m.group(1), "git_revision": m.group(2), "model_version": int(m.group(3)),
                "scenario_path": "s.yaml", "seed": SEED, "sweep_id": "0000000000000000", "run": 0, "replicate": 0,
                "threads": 2, "part": ""}
        bad = [f"keys {list(prov)}"] if list(prov) != list(want) else []
        bad += [f"{k} = {prov.get(k)!r}, expected {v!r}" for k, v in want.items() if prov.get(k) != v]
        bad += provenance_vs_file(prov, main, run=0)
        if list(J)[-1] != "provenance" or main_json.count(b"\n  \"provenance\": {") != 1:
            bad.append("not the last key, alone on its line")
        return "; ".join(bad)

    @check("--json provenance follows --set seed=, --set model=1, --threads, --replicate (the file's the same)")
    def _():
        path, _, out = run_file("prov", "--set", "seed=77", "--set", "model=1", "--replicate", "3")
        prov = json.loads(out)["provenance"]
        want = {"seed": 77, "model_version": 1, "threads": 2, "replicate": 3, "run": 0, "scenario_path": "s.yaml"}
        bad = [f"{k} = {prov.get(k)!r}, expected {v!r}" for k, v in want.items() if prov.get(k) != v]
        bad += provenance_vs_file(prov, path, run=0)
        _, again = rapport("summary", path, "--json")
        if again != out:
            bad.append("rapport summary --json differs from the run's JSON")
        return "; ".join(bad)

    @check("root attributes: command_line is the command run (shell-quoted)")
    def _():
        cl = f.attrs["command_line"]
        return "" if shlex.split(cl) == main_argv else f"{cl!r} vs {main_argv!r}"

    @check("root attributes: start_time <= end_time, both ISO 8601 UTC, around now")
    def _():
        fmt = "%Y-%m-%dT%H:%M:%SZ"
        s = datetime.datetime.strptime(f.attrs["start_time"], fmt)
        e = datetime.datetime.strptime(f.attrs["end_time"], fmt)
        now = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)
        if not s <= e:
            return f"start {s} > end {e}"
        if abs((now - e).total_seconds()) > 3600:
            return f"end_time {e} is far from now {now}"
        return ""

    @check("/scenario holds the resolved YAML (overrides applied): `rapport show`'s, its first line naming no file")
    def _():
        text = f["scenario"][()].decode()
        bad = [w for w in ("seed: 5", "count: 3000", "policy: responsive", "horizon: 26") if w not in text]
        shown = subprocess.run([bin_path, "show", "s.yaml", *BASE], cwd=tmp, stdout=subprocess.PIPE).stdout.decode()
        # show ends with the estimate of the file run -o writes, which the file does not hold
        estimate = "# output of run -o: about "
        if estimate not in shown.rsplit("\n", 2)[-2]:
            bad.append("show's last line is not the output's estimate")
        shown = "".join(line for line in shown.splitlines(True) if not line.startswith(estimate))
        first, _, body = text.partition("\n")
        if first != "# resolved by rapport: every parameter, defaults filled in":
            bad.append(f"first line {first!r}")
        if body != shown.partition("\n")[2]:
            bad.append("differs from `rapport show` with the same overrides after the first line")
        return ", ".join(bad)

    @check("/scenario re-run (rapport run FILE --json) gives the same JSON as the original run, but its provenance names the re-run file")
    def _():
        path = os.path.join(tmp, "resolved.yaml")
        with open(path, "w") as fh:
            fh.write(f["scenario"][()].decode())
        _, out = rapport("run", path, "--json", "--threads", "2")
        prov = json.loads(out)["provenance"]
        return ("" if results(out) == results(main_json) else "the JSON differs") or \
            ("" if prov["scenario_path"] == path else f"provenance.scenario_path {prov['scenario_path']!r}")

    # ---- /runs ----
    # The columns of /runs that are not parameters of the scenario (nor observables).
    RUN_COLUMNS = {"run": np.int64, "point": np.int64, "replicate": np.uint64, "stream": np.uint64,
                   "seed": np.uint64, "first_pair": np.int64, "pairs": np.int64, "first_provider": np.int64,
                   "providers": np.int64, "first_trajectory": np.int64, "trajectories": np.int64,
                   "saltelli_sample": np.int32, "saltelli_matrix": np.int32}

    @check("/runs: run, point, replicate, stream, seed, row ranges, saltelli, every scalar parameter (float64), observables")
    def _():
        r = f["runs"]
        bad = []
        ref = subprocess.run([bin_path, "reference"], stdout=subprocess.PIPE, text=True).stdout
        keys, later = [], []
        for line in ref.split("### Keys of one item")[0].splitlines():
            m = re.match(r"\| `([a-z_.]+)` \| ([^|]*) \| ([^|]*) \|", line)
            if m and not m.group(3).strip().startswith(("a sequence", "a mapping", "a name", "a data file", "an uncertainty section")):
                # a parameter of model 2 ("DEFAULT (from model 2; model 1: OFF)") has a column in a
                # file of model 2 only
                (later if "(from model 2;" in m.group(2) else keys).append(m.group(1))
        if len(keys) < 50 or not later:
            bad.append(f"only {len(keys)} keys, {len(later)} of model 2, parsed from rapport reference")
        model = int(r["model"][0]) if "model" in r else 1
        if model >= 2:
            keys += later
        for k in later:
            if k in r and model < 2:
                bad.append(f"/runs/{k}: a parameter of model 2 in a model-1 file")
        for k in keys:
            if k not in r:
                bad.append(f"no /runs/{k}")
            elif r[k].shape != (1,) or r[k].dtype != (np.uint64 if k == "seed" else np.float64):
                bad.append(f"/runs/{k}: {r[k].dtype} {r[k].shape}")
        for k, t in RUN_COLUMNS.items():
            if k not in r or r[k].dtype != t or r[k].shape != (1,):
                bad.append(f"/runs/{k}: {r[k].dtype if k in r else 'missing'}, expected {np.dtype(t)} (1,)")
        # One run: run 0 of point 0, replicate and stream 0, rows 0.. of every table.
        want = {"run": 0, "point": 0, "replicate": 0, "stream": 0, "seed": SEED,
                "first_pair": 0, "pairs": N_PAIRS, "first_provider": 0, "providers": N_PROVIDERS,
                "first_trajectory": 0, "trajectories": N_PAIRS, "saltelli_sample": -1, "saltelli_matrix": -1}
        for k, v in want.items():
            if k in r and r[k][0] != v:
                bad.append(f"/runs/{k} = {r[k][0]}, expected {v}")
        for k, v in {"patients.count": N_PAIRS, "providers.count": N_PROVIDERS, "horizon": HORIZON,
                     "course": COURSE, "discussion.policy": 3, "output.variables": 127,
                     "output.compression": 0, "output.pairs": 1, "output.sample": 1.0}.items():
            if r[k][0] != v:
                bad.append(f"/runs/{k} = {r[k][0]}, expected {v}")
        if r["discussion.policy"].attrs.get("value_k_means_word_k") != "never intake delayed responsive":
            bad.append("discussion.policy value_k_means_word_k")
        if r["output.variables"].attrs.get("bit_k_means_word_k") != "A T S D N rupture repaired":
            bad.append("output.variables bit_k_means_word_k")
        for k in OBSERVABLES + list(BY_DIMENSION):
            if k not in r:
                bad.append(f"no /runs/{k}")
        return "; ".join(bad[:10])

    if yaml is not None:
        @check("/runs parameters equal the values of /scenario")
        def _():
            tree = yaml.safe_load(f["scenario"][()].decode())
            r = f["runs"]
            bad = []
            for k in r:
                if (k in RUN_COLUMNS and k != "seed") or k in OBSERVABLES or k in BY_DIMENSION:
                    continue
                v = tree
                for part in k.split("."):
                    v = v.get(part) if isinstance(v, dict) else None
                if v is None:  # a parameter of a later model than the run's: show omits it, /runs holds 0 (its term off)
                    if float(r[k][0]) != 0:
                        bad.append(f"{k}: /runs {r[k][0]} for a parameter absent from /scenario (expected 0)")
                    continue
                attrs = r[k].attrs
                if "value_k_means_word_k" in attrs:
                    words = attrs["value_k_means_word_k"].split()
                    v = words.index({True: "true", False: "false"}.get(v, v) if isinstance(v, bool) else str(v))
                elif "bit_k_means_word_k" in attrs:
                    words = attrs["bit_k_means_word_k"].split()
                    given = [w.strip() for w in str(v).split(",")]
                    v = (1 << len(words)) - 1 if given == ["all"] else (0 if given == ["none"] else sum(1 << words.index(w) for w in given))
                elif isinstance(v, str) and "/" in v:
                    a, b = v.split("/")
                    v = float(a) / float(b)
                if float(r[k][0]) != float(v):
                    bad.append(f"{k}: /runs {r[k][0]} vs /scenario {v}")
            return "; ".join(bad)
    else:
        skip("/runs parameters equal the values of /scenario", "no PyYAML (python3-yaml)")

    # ---- trajectories agree with the per-pair table ----
    @check("trajectories: last week with a non-NaN A is exit_week, for every pair")
    def _():
        ok = ~np.isnan(A)
        last = HORIZON - np.argmax(ok[:, ::-1], axis=1)
        bad = np.flatnonzero(last != exit_week)
        return f"{len(bad)} pairs, e.g. pair {bad[0]}: last {last[bad[0]]}, exit {exit_week[bad[0]]}" if len(bad) else ""

    @check("trajectories: A, T, S non-NaN for weeks 0..exit_week, NaN after")
    def _():
        bad = [v for v, x in (("A", A), ("T", T), ("S", S)) if not np.array_equal(np.isnan(x), after)]
        return ", ".join(bad)

    @check("trajectories: D in {0,1} up to exit, 255 after")
    def _():
        return "" if np.isin(D[~after], (0, 1)).all() and (D[after] == 255).all() else "D violates"

    @check("trajectories: N, rupture, repaired valid before exit_week, 255 from exit_week on")
    def _():
        bad = []
        for v, x in (("N", N), ("rupture", RUP), ("repaired", REP)):
            if not (x[from_exit] == 255).all() or (x[~from_exit] == 255).any():
                bad.append(v)
        if not (np.isin(RUP[~from_exit], (0, 1)).all() and np.isin(REP[~from_exit], (0, 1)).all()):
            bad.append("rupture/repaired not 0/1")
        return ", ".join(bad)

    @check("trajectories: S at the exit week == symptoms_exit (as float32)")
    def _():
        got = S[rows, exit_week]
        want = pairs["symptoms_exit"][:].astype(np.float32)
        bad = np.flatnonzero(got != want)
        return f"{len(bad)} pairs, e.g. {bad[0]}: {got[bad[0]]} vs {want[bad[0]]}" if len(bad) else ""

    @check("pairs: improvement == symptoms0 - symptoms_exit (exactly)")
    def _():
        d = pairs["symptoms0"][:] - pairs["symptoms_exit"][:]
        return "" if np.array_equal(d, pairs["improvement"][:]) else "differs"

    @check("trajectories: repaired <= rupture; sums over weeks == ruptures and repairs")
    def _():
        r, p = np.where(from_exit, 0, RUP).astype(int), np.where(from_exit, 0, REP).astype(int)
        bad = []
        if (p > r).any():
            bad.append("repaired without rupture")
        if not np.array_equal(r.sum(1), pairs["ruptures"][:]):
            bad.append("sum rupture != ruptures")
        if not np.array_equal(p.sum(1), pairs["repairs"][:]):
            bad.append("sum repaired != repairs")
        return ", ".join(bad)

    @check("trajectories: D switches on at discussed_week (first week with D = 1, or never by exit)")
    def _():
        dw = pairs["discussed_week"][:]
        on = (D == 1) & ~after
        first = np.where(on.any(1), np.argmax(on, axis=1), -1)
        want = np.where((dw >= 0) & (dw <= exit_week), dw, -1)
        bad = np.flatnonzero(first != want)
        return f"{len(bad)} pairs, e.g. {bad[0]}" if len(bad) else ""

    @check("pairs: early_alliance = mean A_1..A_3 (>= 3 sessions, else NaN); trust_report = T at week 1")
    def _():
        ea, tr = pairs["early_alliance"][:], pairs["trust_report"][:]
        m = exit_week >= 3
        bad = []
        if not np.allclose(A[m, 1:4].astype(np.float64).mean(1), ea[m], rtol=0, atol=1e-6) or not np.isnan(ea[~m]).all():
            bad.append("early_alliance")
        if not np.allclose(T[:, 1], tr, rtol=0, atol=1e-6, equal_nan=True):
            bad.append("trust_report")
        return ", ".join(bad)

    @check("exit_reason consistent: recovered S_exit < 5, dropped exit < course, course_completed exit == course")
    def _():
        s_exit = pairs["symptoms_exit"][:]
        bad = []
        if not (s_exit[exit_reason == 1] < S_REC).all():
            bad.append("recovered with S_exit >= S_rec")
        if not (exit_week[exit_reason == 3] < COURSE).all():
            bad.append("dropped at or after the course")
        if not (exit_week[exit_reason == 2] == COURSE).all():
            bad.append("course_completed not at the course")
        if not (exit_week[exit_reason == 4] == HORIZON).all():
            bad.append("censored before the horizon")
        if not ((exit_week >= 1) & (exit_week <= min(COURSE, HORIZON))).all():
            bad.append("exit_week out of 1..course")
        if not all((exit_reason == c).any() for c in (1, 2, 3)):
            bad.append(f"not every exit kind occurs: {np.bincount(exit_reason)}")
        return ", ".join(bad)

    @check("ranges: A, T in [0.001, 0.999] for weeks 1..exit, week 0 in (0, 1); S in [0, 27]")
    def _():
        lo, hi = np.float32(0.001), np.float32(0.999)
        alive = ~after
        alive[:, 0] = False
        bad = []
        for v, x in (("A", A), ("T", T)):
            if not ((x[alive] >= lo) & (x[alive] <= hi)).all():
                bad.append(f"{v} weeks 1..exit in [{np.nanmin(x[alive])}, {np.nanmax(x[alive])}]")
            if not ((x[:, 0] > 0) & (x[:, 0] < 1)).all():
                bad.append(f"{v} week 0")
        s = S[~after]
        if not ((s >= 0) & (s <= S_MAX)).all():
            bad.append(f"S in [{s.min()}, {s.max()}]")
        return ", ".join(bad)

    # ---- the numbers are the engine's ----
    @check("rapport summary FILE --json equals rapport run --json byte for byte")
    def _():
        _, out = rapport("summary", main, "--json")
        return "" if out == main_json else "differs"

    @check("/summary's observables (its float run x group columns, with a long_name) are the JSON's, and /runs has each"
           " (concordance by dimension: a column per dimension of the JSON's concordance_by_dimension)")
    def _():
        s = f["summary"]
        cols = sorted(k for k in s if s[k].ndim == 2 and s[k].dtype == np.float64)
        want = sorted(OBSERVABLES + list(BY_DIMENSION))
        bad = [] if cols == want else [f"/summary {cols} vs JSON {want}"]
        if not OBSERVABLES or not BY_DIMENSION:
            bad.append("no observable or no concordance by dimension in the JSON")
        bad += [f"/summary/{k} has no long_name" for k in cols if not s[k].attrs.get("long_name")]
        bad += [f"no /runs/{k}" for k in want if k not in f["runs"]]
        bad += [f"by_group.{g} keys differ" for g, v in J["by_group"].items() if list(v) != ["pairs"] + OBSERVABLES]
        return "; ".join(bad[:6])

    @check("/summary [run 0 x group] equals the JSON numbers exactly (all and each group, NaN = null)")
    def _():
        s = f["summary"]
        bad = []
        if strs(s["group"][:]) != ["all"] + list(J["by_group"]):
            bad.append("group order")
        rowsj = [J] + [J["by_group"][g] for g in J["by_group"]]
        for k in ["pairs"] + OBSERVABLES:
            if s[k].shape != (1, len(rowsj)):
                bad.append(f"{k} shape {s[k].shape}")
                continue
            col = s[k][0]
            for r, rj in enumerate(rowsj):
                if not eq_exact(col[r], json_num(rj[k])):
                    bad.append(f"{k}[{r}] {col[r]!r} vs {rj[k]!r}")
        for k, v in BY_DIMENSION.items():
            want = [v["all"]] + [v["by_group"][g] for g in J["by_group"]]
            if s[k].shape != (1, len(want)):
                bad.append(f"{k} shape {s[k].shape}")
                continue
            bad += [f"{k}[{r}] {s[k][0][r]!r} vs {w!r}" for r, w in enumerate(want) if not eq_exact(s[k][0][r], json_num(w))]
        if s["pairs"].dtype != np.int64:
            bad.append("pairs dtype")
        return "; ".join(bad[:6])

    @check("/runs observables equal the JSON numbers exactly")
    def _():
        bad = [k for k in OBSERVABLES if not eq_exact(f["runs"][k][0], json_num(J[k]))]
        bad += [k for k, v in BY_DIMENSION.items() if not eq_exact(f["runs"][k][0], json_num(v["all"]))]
        return ", ".join(bad)

    @check("rapport summary FILE --run 0 is run 0; --run 1 of a one-run file exits 2, one line")
    def _():
        _, out = rapport("summary", main, "--run", "0", "--json")
        if out != main_json:
            return "--run 0 differs from the run's JSON"
        r = subprocess.run([bin_path, "summary", main, "--run", "1"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        if r.returncode != 2 or r.stderr.count(b"\n") != 1 or r.stdout:
            return f"--run 1: exit {r.returncode}, stderr {r.stderr!r}"
        return ""

    # ---- reproducibility ----
    again, _, again_json = run_file("again")

    @check("same seed twice: identical datasets and attributes (but start/end time, command line)")
    def _():
        return diff_files(main, again) or ("" if again_json == main_json else "JSON differs")

    one, _, one_json = run_file("threads1", threads=1)

    @check("--threads 1 vs --threads 2: identical datasets and attributes (but times, command line, threads)")
    def _():
        return (diff_files(main, one, VOLATILE | {"threads"}) or
                ("" if results(one_json) == results(main_json) else "JSON differs") or
                ("" if json.loads(one_json)["provenance"]["threads"] == 1 else "provenance.threads is not 1"))

    other, _, _ = run_file("seed6", "--seed", "6")

    @check("a different seed (--seed 6): different trajectories, seed attribute 6")
    def _():
        with h5py.File(other, "r") as g:
            bad = []
            if g.attrs["seed"] != 6 or g["runs/seed"][0] != 6:
                bad.append("seed attribute")
            if np.array_equal(g["trajectories/A"][:], A, equal_nan=True):
                bad.append("same A")
            if np.array_equal(g["trajectories/N"][:], N):
                bad.append("same N")
            return ", ".join(bad)

    # ---- several blocks of pairs (the run streams 65536 pairs at a time) ----
    MANY = ["--set", "patients.count=140000", "--set", "providers.count=7000"]
    many, _, _ = run_file("many", *MANY)
    many_part, _, _ = run_file("many_part", *MANY, "--set", "output.sample=0.3", "--set", "output.every=3", threads=1)

    @check("140000 pairs (3 blocks): trajectories end at exit_week across blocks; sample+every (1 thread) = full (2 threads)")
    def _():
        with h5py.File(many, "r") as g, h5py.File(many_part, "r") as h:
            bad = []
            a, ew = g["trajectories/A"][:], g["pairs/exit_week"][:]
            if not np.array_equal(HORIZON - np.argmax(~np.isnan(a[:, ::-1]), axis=1), ew):
                bad.append("last non-NaN A != exit_week")
            # A sampled file's rows are the kept pairs, with their patient index (the row in the full file).
            p, w = h["trajectories/patient"][:], h["trajectories/week"][:]
            if not np.array_equal(h["trajectories/pair"][:], np.arange(len(p))):
                bad.append("pair coordinate is not the row index")
            if list(w) != list(range(0, HORIZON + 1, 3)) or not 0.28 < len(p) / 140000 < 0.32:
                bad.append(f"{len(p)} pairs, weeks {list(w)}")
            bad += [v for v in VARIABLES if not same_array(h["trajectories"][v][:], g["trajectories"][v][:][p][:, w])]
            if g["trajectories/A"].chunks != (8192, HORIZON + 1):
                bad.append(f"chunks {g['trajectories/A'].chunks}, expected (8192, 27)")
            return ", ".join(bad)

    # ---- output options ----
    vs, _, _ = run_file("vars", "--set", "output.variables=A,S")

    @check("output.variables=A,S writes only A and S, equal to the full file's")
    def _():
        with h5py.File(vs, "r") as g:
            names = sorted(k for k in g["trajectories"] if k not in ("pair", "week", "run", "patient"))
            if names != ["A", "S"]:
                return f"variables {names}"
            if not (same_array(g["trajectories/A"][:], A) and same_array(g["trajectories/S"][:], S)):
                return "values differ"
            if g["runs/output.variables"][0] != 5:
                return f"/runs/output.variables = {g['runs/output.variables'][0]}"
        return ""

    ev, _, _ = run_file("every", "--set", "output.every=4")

    @check("output.every=4: week coordinate 0,4,...,24, values = the every-1 file's columns")
    def _():
        with h5py.File(ev, "r") as g:
            w = g["trajectories/week"][:]
            if list(w) != list(range(0, HORIZON + 1, 4)):
                return f"week {list(w)}"
            bad = [v for v in VARIABLES if not same_array(g["trajectories"][v][:], f["trajectories"][v][:, w])]
            if g["trajectories/A"].dims[1][0].name != "/trajectories/week":
                bad.append("week scale")
        with xr.open_dataset(ev, group="trajectories", engine="h5netcdf") as x:
            if list(x["week"].values) != list(w) or x["A"].dims != ("pair", "week"):
                bad.append("xarray week")
        return ", ".join(bad)

    sm, _, _ = run_file("sample", "--set", "output.sample=0.25")
    sm2, _, _ = run_file("sample2", "--set", "output.sample=0.25", "--set", "dropout.base=-7")

    @check("output.sample=0.25: ~25% of pairs (within 4 SE), pair = row index, patient increasing, run 0")
    def _():
        with h5py.File(sm, "r") as g:
            p = g["trajectories/patient"][:]
            k, n = len(p), N_PAIRS
            se = math.sqrt(n * 0.25 * 0.75)
            bad = []
            if abs(k - 0.25 * n) > 4 * se:
                bad.append(f"{k} of {n} pairs")
            if not (np.diff(p) > 0).all() or p.min() < 0 or p.max() >= n:
                bad.append("patient column not increasing within 0..n-1")
            if not np.array_equal(g["trajectories/pair"][:], np.arange(k)):
                bad.append("pair coordinate is not the row index 0..k-1")
            if not (g["trajectories/run"][:] == 0).all():
                bad.append("run column not 0")
            if g["runs/trajectories"][0] != k or g["runs/first_trajectory"][0] != 0:
                bad.append(f"/runs trajectories = {g['runs/trajectories'][0]}, expected {k}")
            if g["trajectories/A"].shape != (k, HORIZON + 1):
                bad.append(f"A shape {g['trajectories/A'].shape}")
            if g["pairs/pair"].shape != (n,):
                bad.append("the per-pair table is not complete")
            return ", ".join(bad)

    @check("output.sample=0.25: rows equal the same pairs' rows in the full file")
    def _():
        with h5py.File(sm, "r") as g:
            p = g["trajectories/patient"][:]
            bad = [v for v in VARIABLES if not same_array(g["trajectories"][v][:], f["trajectories"][v][:][p])]
            return ", ".join(bad)

    @check("output.sample=0.25: the same pairs are kept by a run of the same seed with other parameters")
    def _():
        with h5py.File(sm, "r") as g, h5py.File(sm2, "r") as h:
            if not np.array_equal(g["trajectories/patient"][:], h["trajectories/patient"][:]):
                return "different pairs"
            if np.array_equal(g["pairs/exit_week"][:], h["pairs/exit_week"][:]):
                return "dropout.base=-7 changed nothing (test is void)"
        return ""

    empty, _, _ = run_file("empty", "--set", "output.sample=0.0001")

    @check("output.sample=0.0001 (no pair kept): /trajectories has 0 rows, readable by h5py and xarray")
    def _():
        with h5py.File(empty, "r") as g:
            k = g["trajectories/pair"].shape[0]
            if g["trajectories/A"].shape != (k, HORIZON + 1):
                return f"A shape {g['trajectories/A'].shape}"
            if k > 3:
                return f"{k} pairs kept of {N_PAIRS} at share 0.0001"
        with xr.open_dataset(empty, group="trajectories", engine="h5netcdf") as x:
            if dict(x.sizes) != {"pair": k, "week": HORIZON + 1} or x["A"].dims != ("pair", "week"):
                return f"xarray sizes {dict(x.sizes)}"
        return ""

    so, _, so_json = run_file("summaryonly", "--summary-only")

    @check("--summary-only: no /trajectories, no /pairs; /providers, /summary, /runs, /scenario present")
    def _():
        with h5py.File(so, "r") as g:
            bad = [k for k in ("trajectories", "pairs") if k in g]
            bad += [f"missing {k}" for k in ("providers", "summary", "runs", "scenario") if k not in g]
            if g["runs/output.pairs"][0] != 0 or g["runs/output.variables"][0] != 0:
                bad.append("/runs output.pairs/variables not 0")
            if g["runs/pairs"][0] != 0 or g["runs/trajectories"][0] != 0 or g["runs/providers"][0] != N_PROVIDERS:
                bad.append("/runs row counts: expected 0 pairs, 0 trajectories (no such tables), all providers")
            if g["summary/pairs"][0, 0] != N_PAIRS:
                bad.append("/summary/pairs")
            if not eq_exact(g["summary/dropout"][0, 0], J["dropout"]) or so_json != main_json:
                bad.append("summary differs from the full run")
            return ", ".join(bad)

    @check("rapport summary on a --summary-only file prints its stored /summary, saying so: the JSON of the run")
    def _():
        r = subprocess.run([bin_path, "summary", so, "--json"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        t = subprocess.run([bin_path, "summary", so], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        if r.returncode != 0 or t.returncode != 0:
            return f"exit {r.returncode}, {t.returncode}, stderr {r.stderr!r}"
        if r.stdout != main_json:
            return "the JSON differs from the run's"
        return "" if b"as stored in /summary" in t.stdout else "the text does not say the summary is the stored one"

    # Compression changes how the bytes are stored, not what they are.
    COMPRESSION_SKIP = frozenset({"scenario", "runs/output.compression"})
    dz, _, dz_json = run_file("deflate", "--set", "output.compression=deflate")

    @check("output.compression=deflate: shuffle + deflate level 1 on chunked data, reads back identical to none")
    def _():
        with h5py.File(dz, "r") as g:
            ds = g["trajectories/A"]
            if ds.compression != "gzip" or ds.compression_opts != 1 or not ds.shuffle:
                return f"filters {ds.compression} {ds.compression_opts} shuffle {ds.shuffle}"
            if g["runs/output.compression"][0] != 2:
                return "/runs/output.compression"
        return diff_files(main, dz, skip_objects=COMPRESSION_SKIP) or ("" if dz_json == main_json else "JSON differs")

    # Deflate compresses whole chunks itself, in parallel (a partial chunk
    # before and after them goes through HDF5's filters): 3 blocks of
    # 140000 pairs end in a partial chunk; a sweep's runs of 20000 pairs also
    # start inside a chunk.
    many_dz, _, _ = run_file("many_deflate", *MANY, "--set", "output.compression=deflate")
    SWEEP = ["--set", "patients.count=20000", "--set", "providers.count=1000", "--set", "replicates=3"]
    sw_none, _, sw_json = run_file("sweep_none", *SWEEP)

    @check("--json provenance of a sweep: its sweep_id and part are the file's, replicates 3, no run; "
           "summary --run 2 names run 2 and its replicate")
    def _():
        prov = json.loads(sw_json)["provenance"]
        bad = provenance_vs_file(prov, sw_none)
        if prov.get("replicates") != 3 or "run" in prov or "replicate" in prov:
            bad.append(f"replicates/run/replicate: {prov}")
        if prov.get("sweep_id") == "0000000000000000":
            bad.append("sweep_id 0")
        _, out = rapport("summary", sw_none, "--run", "2", "--json")
        bad += provenance_vs_file(json.loads(out)["provenance"], sw_none, run=2)
        part, _, part_json = run_file("sweep_part", *SWEEP, "--shard", "1/2")
        prov = json.loads(part_json)["provenance"]
        bad += provenance_vs_file(prov, part)
        if prov.get("part") != "shard 2 of 2" or prov.get("sweep_id") != json.loads(sw_json)["provenance"]["sweep_id"]:
            bad.append(f"--shard 1/2: part {prov.get('part')!r}, sweep_id {prov.get('sweep_id')!r}")
        return "; ".join(bad)
    sw_dz, _, _ = run_file("sweep_deflate", *SWEEP, "--set", "output.compression=deflate")

    @check("deflate with chunks compressed by rapport: 140000 pairs and a 3-run sweep read back identical to none")
    def _():
        return (diff_files(many, many_dz, skip_objects=COMPRESSION_SKIP) or
                diff_files(sw_none, sw_dz, skip_root=VOLATILE | {"sweep_id"}, skip_objects=COMPRESSION_SKIP))

    if os.path.exists(LZ4_PLUGIN):
        lz, _, lz_json = run_file("lz4", "--set", "output.compression=lz4")

        @check("output.compression=lz4: filter 32004 on chunked data, reads back identical to none")
        def _():
            with h5py.File(lz, "r") as g:
                plist = g["trajectories/A"].id.get_create_plist()
                ids = [plist.get_filter(i)[0] for i in range(plist.get_nfilters())]
                if ids != [32004]:
                    return f"filters {ids}"
            return diff_files(main, lz, skip_objects=COMPRESSION_SKIP) or ("" if lz_json == main_json else "JSON differs")
    else:
        skip("output.compression=lz4", f"no {LZ4_PLUGIN}, so HDF5 has no LZ4 filter (Debian: hdf5-filter-plugin)")

    f.close()
except Exception as e:  # a run that failed: report it and stop
    report(False, "running rapport", f"{type(e).__name__}: {e}")
finally:
    shutil.rmtree(tmp, ignore_errors=True)

finish()
