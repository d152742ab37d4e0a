"""File access for the files rapport writes (docs/FORMAT.md): output files
(format 'rapport', format_version 1) and the posterior files of ABC-SMC
calibrations (format 'rapport-posterior', format_version 1); open_any tells
them apart by their root attributes.

An output file is read by run or by block of rows, never a whole trajectory
dataset at once, so that a report on a file of millions of pairs stays within
a few hundred MB of memory. A posterior file is small (particles x
coefficients per generation) and is read whole (posterior()).
"""
import os
import stat

import h5py
import numpy as np
import pandas as pd

FORMAT_VERSION = 1
POSTERIOR_FORMAT_VERSION = 1
# /runs columns that describe the run, not a parameter of the model.
BOOKKEEPING = {"run", "point", "replicate", "stream", "seed", "first_pair", "pairs", "first_provider",
               "providers", "first_trajectory", "trajectories", "saltelli_sample", "saltelli_matrix"}
EXIT_DROPPED = 3
BLOCK_ROWS = 65536  # the writer's block of pairs: a whole number of chunks


# The kinds of file the analysis reads, by their root attribute `format`:
# format -> (kind, format_version read, what writes it). A new kind is one
# line here and one entry of report.KINDS.
KINDS = {
    "rapport": ("output", FORMAT_VERSION, "rapport run -o"),
    "rapport-posterior": ("posterior", POSTERIOR_FORMAT_VERSION, "rapport calibrate --posterior"),
}
WRITERS = " or ".join(w for _, _, w in KINDS.values())


def open_any(path):
    """Open a file rapport wrote, read-only, and tell its kind ("output",
    "posterior") from its root attributes `format` and `format_version`,
    never from its name; refuse anything else early (a clear error beats a
    KeyError deep inside a figure). Only a regular file is opened: HDF5
    would wait for ever on a FIFO nobody writes to. Returns (file, kind)."""
    if not stat.S_ISREG(os.stat(path).st_mode):
        raise ValueError(f"{path}: not a regular file; expected a file written by {WRITERS}")
    try:
        f = h5py.File(path, "r")
    except OSError as e:
        raise ValueError(f"{path}: cannot be read as HDF5 ({e}); expected a file written by {WRITERS}") from e
    fmt = _text(f.attrs.get("format"))
    version = f.attrs.get("format_version")
    if not isinstance(fmt, str) or fmt not in KINDS:
        f.close()
        found = "no format attribute" if fmt is None else f"format attribute {fmt!r}" if isinstance(fmt, str) \
            else "a format attribute that is not text"
        raise ValueError(f"{path}: not a file this analysis reads ({found}; expected "
                         + " or ".join(f"'{k}' ({w})" for k, (_, _, w) in KINDS.items()) + ")")
    kind, want, _ = KINDS[fmt]
    try:
        version = None if version is None else int(version)
    except (TypeError, ValueError):
        version = -1
    if version != want:
        f.close()
        found = "no format_version" if version is None else f"format_version {version}"
        raise ValueError(f"{path}: a {fmt} file of {found}; this version of the analysis reads format_version {want}")
    return f, kind


def open_file(path):
    """Open a rapport output file (format 'rapport': a run or a sweep)."""
    f, kind = open_any(path)
    if kind != "output":
        f.close()
        raise ValueError(f"{path}: a {kind} file, not the output of rapport run -o")
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


# ---- the posterior file of an ABC-SMC calibration (docs/FORMAT.md, "The posterior file") ----

class Posterior:
    """What a posterior file holds, read whole (particles x coefficients per
    generation: small). Attributes: attrs (root attributes), calibration and
    scenario (texts), keys, priors, lo, hi (the coefficients), targets (a
    DataFrame: name, value, lo, hi, scale, weight), history (a DataFrame per
    generation: generation, tolerance, attempts, simulations, acceptance,
    ess), complete, generation (the index of the generation drawn: the last)
    and its theta [N x n], weight [N], distance [N], simulated [N x K];
    by_generation, the (theta, weight) of every generation."""


def _dataset(f, path, name, ndim=None, rows=None, cols=None):
    if name not in f or not isinstance(f[name], h5py.Dataset):
        raise ValueError(f"{path}: the posterior file has no dataset /{name}; expected one (docs/FORMAT.md, "
                         "\"The posterior file\")")
    x = f[name][()]
    shape = np.shape(x)
    if (ndim is not None and len(shape) != ndim) or (rows is not None and shape[0] != rows) or \
            (cols is not None and shape[1] != cols):
        want = " x ".join(str(v) if v is not None else "any" for v in (rows, cols)[:ndim]) if rows is not None \
            else f"{ndim} dimension(s)"
        raise ValueError(f"{path}: /{name} has shape {shape}; expected {want} (docs/FORMAT.md, \"The posterior "
                         "file\")")
    return x


def _attr(v):
    """An attribute as a plain Python value (text, number or list)."""
    if isinstance(v, (bytes, str)):
        return _text(v)
    v = np.asarray(v)
    return v.item() if v.size == 1 else [_text(x) if isinstance(x, bytes) else x for x in v.tolist()]


def posterior(f, path, allow_checkpoint=False):
    """Read a posterior file (open_any's kind "posterior"). A checkpoint
    (complete = 0: the calibration is running, or stopped to be resumed) is
    refused unless allow_checkpoint, with what to do; then its last
    complete generation is read and marked incomplete."""
    p = Posterior()
    p.attrs = {k: _attr(v) for k, v in f.attrs.items()}
    missing = [k for k in ("complete", "generations", "particles", "stop", "simulations", "seed") if k not in p.attrs]
    if missing:
        raise ValueError(f"{path}: the posterior file has no root attribute {', '.join(missing)}; expected "
                         "docs/FORMAT.md's \"The posterior file\"")
    p.complete = int(p.attrs["complete"]) == 1
    G = int(p.attrs["generations"])
    if not p.complete and not allow_checkpoint:
        raise ValueError(
            f"{path}: a checkpoint, not a posterior (complete = 0, stop = '{p.attrs['stop']}', {G} of at most "
            f"{p.attrs.get('abc_generations', '?')} generations): the calibration is still running or was "
            "stopped; finish it with the same rapport calibrate command and --resume, or pass --checkpoint to "
            "report its last generation marked incomplete")
    if G < 1:
        raise ValueError(f"{path}: the posterior file has {G} complete generations; expected at least 1")
    p.calibration = _text(_dataset(f, path, "calibration"))
    p.scenario = _text(_dataset(f, path, "scenario"))
    p.keys = [_text(k) for k in _dataset(f, path, "coefficients/key", 1)]
    n = len(p.keys)
    p.priors = [_text(k) for k in _dataset(f, path, "coefficients/prior", 1, n)]
    p.lo = _dataset(f, path, "coefficients/min", 1, n).astype(float)
    p.hi = _dataset(f, path, "coefficients/max", 1, n).astype(float)
    names = [_text(k) for k in _dataset(f, path, "targets/name", 1)]
    K = len(names)
    p.targets = pd.DataFrame({"name": names, **{c: _dataset(f, path, "targets/" + c, 1, K).astype(float)
                                                  for c in ("value", "lo", "hi", "scale", "weight")}})
    h = {c: _dataset(f, path, "generations/" + c, 1) for c in ("tolerance", "attempts", "simulations",
                                                                "acceptance", "ess")}
    if any(len(v) != G for v in h.values()):
        raise ValueError(f"{path}: the per-generation datasets of /generations have lengths "
                         f"{[len(v) for v in h.values()]}; expected {G} (the attribute generations)")
    p.history = pd.DataFrame({"generation": np.arange(G), **h})
    p.generation = G - 1
    group = "posterior" if p.complete else f"generations/{G - 1}"
    if p.complete and "posterior" not in f:
        raise ValueError(f"{path}: complete = 1 but no /posterior group; expected a link to the last generation")
    N = int(p.attrs["particles"])
    p.theta = _dataset(f, path, group + "/theta", 2, N, n).astype(float)
    p.weight = _dataset(f, path, group + "/weight", 1, N).astype(float)
    p.distance = _dataset(f, path, group + "/distance", 1, N).astype(float)
    p.simulated = _dataset(f, path, group + "/simulated", 2, N, K).astype(float)
    p.by_generation = []  # (theta, weight) of every generation, for the convergence figure
    for t in range(G):
        th = p.theta if t == G - 1 else _dataset(f, path, f"generations/{t}/theta", 2, N, n).astype(float)
        w = p.weight if t == G - 1 else _dataset(f, path, f"generations/{t}/weight", 1, N).astype(float)
        p.by_generation.append((th, w))
    for t, (_, w) in enumerate(p.by_generation):
        if not (np.all(np.isfinite(w)) and np.all(w >= 0) and w.sum() > 0):
            raise ValueError(f"{path}: /generations/{t}/weight holds weights that are negative, not finite or all "
                             "0; expected importance weights summing to 1")
    return p
