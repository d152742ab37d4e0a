"""File access for rapport output files (docs/FORMAT.md, format_version 1).

Everything here reads by run or by block of rows, never a whole trajectory
dataset at once, so that a report on a file of millions of pairs stays within
a few hundred MB of memory.
"""
import os
import stat

import h5py
import numpy as np
import pandas as pd

FORMAT_VERSION = 1
# /runs columns that describe the run, not a parameter of the model.
BOOKKEEPING = {"run", "point", "replicate", "stream", "seed", "first_pair", "pairs", "first_provider",
               "providers", "first_trajectory", "trajectories", "saltelli_sample", "saltelli_matrix"}
EXIT_DROPPED = 3
BLOCK_ROWS = 65536  # the writer's block of pairs: a whole number of chunks


def open_file(path):
    """Open a rapport file read-only, refusing other formats early (a clear
    error beats a KeyError deep inside a figure). Only a regular file is
    opened: HDF5 would wait for ever on a FIFO nobody writes to."""
    if not stat.S_ISREG(os.stat(path).st_mode):
        raise ValueError(f"{path}: not a regular file; expected a file written by rapport run -o")
    try:
        f = h5py.File(path, "r")
    except OSError as e:
        raise ValueError(f"{path}: cannot be read as HDF5 ({e}); expected a file written by rapport run -o") from e
    version = f.attrs.get("format_version")
    if f.attrs.get("format") != "rapport":
        f.close()
        raise ValueError(f"{path}: not a rapport file (no format attribute 'rapport')")
    if version is None or int(version) != FORMAT_VERSION:
        f.close()
        found = "no format_version" if version is None else f"format_version {int(version)}"
        raise ValueError(f"{path}: {found}; this version of the analysis reads format_version {FORMAT_VERSION}")
    return f


def _text(v):
    return v.decode() if isinstance(v, bytes) else v


def provenance(f):
    """Root attributes and the resolved scenario text, for the provenance section."""
    attrs = {k: _text(v) for k, v in f.attrs.items()}
    scenario = _text(f["scenario"][()]) if "scenario" in f else ""
    return attrs, scenario


def runs_table(f):
    """/runs as a DataFrame, one row per run (a handful of columns x runs: small)."""
    g = f["runs"]
    return pd.DataFrame({k: g[k][:] for k in g if g[k].ndim == 1})


def words_of(f, column):
    """The words of an enum parameter column of /runs (index k -> word k), or None."""
    w = f["runs"][column].attrs.get("value_k_means_word_k")
    return _text(w).split() if w is not None else None


def observables(f):
    """The observables the file holds, by name: the float columns of /summary
    [run x group] (docs/FORMAT.md), in name order. The writer makes them from
    rapport's table of observables, so this list is the file's own, never a
    copy kept here."""
    g = f["summary"]
    return sorted(k for k in g if g[k].ndim == 2 and g[k].dtype.kind == "f")


def definition(f, name):
    """The definition of an observable: the long_name of its /summary column."""
    return _text(f["summary"][name].attrs.get("long_name", ""))


def group_names(f):
    """Patient group names in code order (the flag_meanings of /summary's group)."""
    return [_text(x) for x in f["summary/group"][:]][1:]


def swept_axes(f, runs):
    """Parameters that vary between sweep points: the axes of the design.

    A parameter column counts as an axis when it takes more than one value
    across points; the replicate-level columns (seed, stream) are bookkeeping.
    """
    obs = set(observables(f))
    params = [c for c in runs.columns if c not in BOOKKEEPING and c not in obs]
    first = runs.groupby("point").first()
    return [c for c in params if first[c].nunique(dropna=False) > 1]


def point_labels(f, runs, axes):
    """One readable label per point, e.g. 'discussion.policy=intake', in point order."""
    first = runs.groupby("point").first()
    labels = {}
    for p, row in first.iterrows():
        parts = []
        for a in axes:
            w = words_of(f, a)
            v = row[a]
            parts.append(f"{a}={w[int(v)]}" if w else f"{a}={v:g}")
        labels[p] = ", ".join(parts) if parts else "all runs"
    return labels


def summary_long(f):
    """/summary [run x group] as a long DataFrame: run, point, replicate, group, pairs, observables."""
    g = f["summary"]
    runs = runs_table(f)
    groups = ["all"] + group_names(f)
    rows = []
    run_ids = g["run"][:]
    point = dict(zip(runs["run"], runs["point"]))
    rep = dict(zip(runs["run"], runs["replicate"]))
    cols = {k: g[k][:] for k in ["pairs"] + observables(f)}
    for i, r in enumerate(run_ids):
        for j, name in enumerate(groups):
            d = {"run": int(r), "point": int(point[r]), "replicate": int(rep[r]), "group": name}
            d.update({k: v[i, j] for k, v in cols.items()})
            rows.append(d)
    return pd.DataFrame(rows)


def pair_columns(f, names, start=0, stop=None):
    """Columns of /pairs for rows [start, stop) as a DataFrame (1-D columns only)."""
    g = f["pairs"]
    stop = g["pair"].shape[0] if stop is None else stop
    return pd.DataFrame({k: g[k][start:stop] for k in names})


def iter_run_pairs(f, runs, names):
    """Yield (run row, DataFrame of its /pairs rows): one run at a time, so a
    sweep of many runs never holds more than one run's pairs in memory."""
    for _, r in runs.iterrows():
        a = int(r["first_pair"])
        yield r, pair_columns(f, names, a, a + int(r["pairs"]))


def sample_trajectory_rows(f, cap, seed):
    """A seeded uniform random subsample (without replacement) of at most cap
    /trajectories rows, sorted: a reproducible, bounded share of a huge file."""
    if "trajectories" not in f:
        return np.zeros(0, dtype=np.int64)
    n = f["trajectories/run"].shape[0]
    if n <= cap:
        return np.arange(n, dtype=np.int64)
    rng = np.random.default_rng(seed)
    return np.sort(rng.choice(n, size=cap, replace=False))


def read_trajectory_rows(f, rows, variables):
    """Trajectory rows (sorted indices) of the given variables, read block by
    block (whole chunks, only blocks holding a chosen row). Byte variables come
    back as float with NaN for the fill value 255."""
    g = f["trajectories"]
    out = {v: np.empty((len(rows), g["week"].shape[0]), dtype=np.float32) for v in variables if v in g}
    meta = {"run": np.empty(len(rows), np.int64), "patient": np.empty(len(rows), np.int64)}
    if len(rows) == 0:
        return out, meta
    blocks = rows // BLOCK_ROWS
    for b in np.unique(blocks):
        sel = np.nonzero(blocks == b)[0]
        a = int(b) * BLOCK_ROWS
        z = min(a + BLOCK_ROWS, g["run"].shape[0])
        local = rows[sel] - a
        for v in out:
            x = g[v][a:z][local]
            if x.dtype == np.uint8:
                x = np.where(x == 255, np.nan, x.astype(np.float32))
            out[v][sel] = x
        for k in meta:
            meta[k][sel] = g[k][a:z][local]
    return out, meta


def pairs_for_trajectories(f, runs, meta, names):
    """The /pairs rows of trajectory rows (row = first_pair of the run + patient)."""
    first = dict(zip(runs["run"], runs["first_pair"]))
    idx = np.array([first[r] for r in meta["run"]], dtype=np.int64) + meta["patient"]
    order = np.argsort(idx)
    g = f["pairs"]
    df = pd.DataFrame(index=np.arange(len(idx)))
    for k in names:
        col = np.empty(len(idx), dtype=g[k].dtype)
        sidx = idx[order]
        # read by block of rows, as for the trajectories
        blocks = sidx // BLOCK_ROWS
        vals = np.empty(len(idx), dtype=g[k].dtype)
        for b in np.unique(blocks):
            s = np.nonzero(blocks == b)[0]
            a = int(b) * BLOCK_ROWS
            z = min(a + BLOCK_ROWS, g[k].shape[0])
            vals[s] = g[k][a:z][sidx[s] - a]
        col[order] = vals
        df[k] = col
    return df
