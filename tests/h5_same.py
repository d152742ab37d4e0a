#!/usr/bin/python3
"""h5_same.py A.h5 B.h5 [--ignore-attrs a,b,c] [--max N] - do two HDF5 files hold the same?

Walks both files from the root and compares, object by object:
  - the tree: the same member names in every group, the same kind of object
    (group, dataset, named type, soft or external link and its target);
  - every dataset: its HDF5 type (H5Tequal: class, size, byte order, string
    padding and character set, compound members), its shape, its fill value,
    and its values bit for bit, except that NaN equals NaN whatever its bits
    (variable-length strings by value, object references by the path of the
    object they point to);
  - every attribute of every object, by name, HDF5 type, shape and value the
    same way (dimension-scale attributes such as DIMENSION_LIST and
    REFERENCE_LIST therefore compare which scales are attached where).
Storage (chunks, compression, file layout) is not compared: it changes how the
bytes are kept, not what they are.

--ignore-attrs a,b,c leaves out the root attributes a, b and c (the time of a
run, the command line...); an item written /path@name leaves out the attribute
name of /path instead.

Prints nothing and exits 0 when the files are the same. Otherwise prints the
first differences, one line each (at most --max, default 10), then how many
there were, and exits 1. Exits 2 on bad usage or a file it cannot read.
Run it with Debian's /usr/bin/python3 (python3-h5py, python3-numpy).
"""
import sys

try:
    import h5py
    import numpy as np
except ImportError as e:  # pragma: no cover - environment
    print(f"h5_same: {e} (Debian: python3-h5py)", file=sys.stderr)
    sys.exit(2)

BLOCK_BYTES = 64 << 20  # datasets are read this much at a time


class Differences:
    def __init__(self, limit):
        self.limit = limit
        self.count = 0

    def add(self, line):
        self.count += 1
        if self.count <= self.limit:
            print(line)


def canon(v, f):
    """A value (attribute, element of an object dataset) in a form that
    compares by content: references by target path, strings by bytes,
    numbers by bytes with every NaN alike."""
    if isinstance(v, (h5py.Reference, h5py.RegionReference)):
        return ("ref", target(v, f))
    if isinstance(v, bytes):
        return ("bytes", v)
    if isinstance(v, str):
        return ("bytes", v.encode("utf-8", "surrogateescape"))
    if isinstance(v, np.void) and v.dtype.names:
        return ("compound", tuple(canon(v[n], f) for n in v.dtype.names))
    if isinstance(v, np.ndarray):
        if v.dtype.kind == "O" or v.dtype.names:
            return ("array", v.shape, tuple(canon(x, f) for x in v.ravel()))
        if v.dtype.kind in "fc":
            w = v.copy()
            w[np.isnan(w)] = np.nan  # one NaN pattern
            return ("num", v.dtype.str, v.shape, w.tobytes())
        return ("num", v.dtype.str, v.shape, v.tobytes())
    if isinstance(v, np.generic):
        return canon(np.asarray(v), f)
    return ("py", repr(v))


def target(ref, f):
    """The path of the object a reference points to (a name, not an address)."""
    if not ref:
        return "<null>"
    try:
        return f[ref].name or "<anonymous>"
    except (ValueError, KeyError, OSError):
        return "<dangling>"


def plain(v, f):
    """A value with references as their targets and bytes as text, for a message."""
    if isinstance(v, (h5py.Reference, h5py.RegionReference)):
        return "<ref %s>" % target(v, f)
    if isinstance(v, bytes):
        return v.decode("utf-8", "replace")
    if isinstance(v, np.void) and v.dtype.names:
        return tuple(plain(v[n], f) for n in v.dtype.names)
    if isinstance(v, np.ndarray):
        if v.dtype.kind == "O" or v.dtype.names:
            return [plain(x, f) for x in v.ravel()[:6]] + (["..."] if v.size > 6 else [])
        return v.ravel()[:6].tolist() + (["..."] if v.size > 6 else [])
    if isinstance(v, np.floating):
        return float(v)
    if isinstance(v, np.generic):
        return v.item()
    return v


def brief(v, f):
    """A value, shortly, for a message."""
    text = repr(plain(v, f))
    return text if len(text) <= 100 else text[:97] + "..."


def same_type(a, b):
    """HDF5 types of two datasets or attributes' ids, by H5Tequal."""
    return a.get_type() == b.get_type()


def type_text(obj):
    dt = obj.dtype
    s = h5py.check_string_dtype(dt)
    if s is not None:
        return f"string({'vlen' if s.length is None else s.length}, {s.encoding})"
    return str(dt)


def compare_attrs(pa, oa, ob, fa, fb, ignore, diffs):
    ka = {k for k in oa.attrs.keys() if (pa, k) not in ignore}
    kb = {k for k in ob.attrs.keys() if (pa, k) not in ignore}
    where = pa.rstrip("/") if pa != "/" else ""
    for k in sorted(ka - kb):
        diffs.add(f"attribute {where}@{k}: only in A ({brief(oa.attrs[k], fa)})")
    for k in sorted(kb - ka):
        diffs.add(f"attribute {where}@{k}: only in B ({brief(ob.attrs[k], fb)})")
    for k in sorted(ka & kb):
        ia, ib = oa.attrs.get_id(k), ob.attrs.get_id(k)
        if not same_type(ia, ib):
            diffs.add(f"attribute {where}@{k}: type {ia.dtype} vs {ib.dtype}")
            continue
        if ia.shape != ib.shape:
            diffs.add(f"attribute {where}@{k}: shape {ia.shape} vs {ib.shape}")
            continue
        va, vb = oa.attrs[k], ob.attrs[k]
        if canon(va, fa) != canon(vb, fb):
            diffs.add(f"attribute {where}@{k}: {brief(va, fa)} vs {brief(vb, fb)}")


def first_index(mask, offset):
    """The flat index of the first True of mask (a block of rows starting at
    row offset), and its index in the whole dataset."""
    i = int(np.argmax(mask))
    idx = [int(x) for x in np.unravel_index(i, mask.shape)]
    idx[0] += offset
    return i, tuple(idx)


def compare_values(path, da, db, fa, fb, diffs):
    """Dataset values, a block of rows at a time; one line if they differ."""
    shape = da.shape
    if shape is None:  # null dataspace
        return
    if da.dtype.kind == "O" or (da.dtype.names and any(
            da.dtype.fields[n][0].kind == "O" for n in da.dtype.names)):
        va, vb = da[()], db[()]
        if np.ndim(va) == 0:
            if canon(va, fa) != canon(vb, fb):
                diffs.add(f"{path}: {brief(va, fa)} vs {brief(vb, fb)}")
            return
        fa_flat, fb_flat = np.asarray(va).ravel(), np.asarray(vb).ravel()
        bad = [i for i in range(fa_flat.size) if canon(fa_flat[i], fa) != canon(fb_flat[i], fb)]
        if bad:
            idx = tuple(int(x) for x in np.unravel_index(bad[0], shape))
            diffs.add(f"{path}: {len(bad)} of {fa_flat.size} elements differ; first at {list(idx)}: "
                      f"{brief(fa_flat[bad[0]], fa)} vs {brief(fb_flat[bad[0]], fb)}")
        return
    if len(shape) == 0:
        va, vb = da[()], db[()]
        if canon(np.asarray(va), fa) != canon(np.asarray(vb), fb):
            diffs.add(f"{path}: {brief(va, fa)} vs {brief(vb, fb)}")
        return
    rows = shape[0]
    row_bytes = max(1, int(np.prod(shape[1:], dtype=np.int64)) * da.dtype.itemsize)
    step = max(1, BLOCK_BYTES // row_bytes)
    total = 0
    first = None
    floating = da.dtype.kind in "fc" and not da.dtype.names
    for start in range(0, rows, step):
        stop = min(rows, start + step)
        a, b = da[start:stop], db[start:stop]
        if a.tobytes() == b.tobytes():
            continue
        isz = a.dtype.itemsize
        ua = np.frombuffer(a.tobytes(), dtype=np.uint8).reshape(a.shape + (isz,))
        ub = np.frombuffer(b.tobytes(), dtype=np.uint8).reshape(b.shape + (isz,))
        mask = (ua != ub).any(axis=-1)
        if floating:
            mask &= ~(np.isnan(a) & np.isnan(b))
        n = int(mask.sum())
        if n and first is None:
            i, idx = first_index(mask, start)
            first = (idx, a.ravel()[i], b.ravel()[i])
        total += n
    if total:
        idx, x, y = first
        diffs.add(f"{path}: {total} of {int(np.prod(shape, dtype=np.int64))} elements differ; "
                  f"first at {list(idx)}: {brief(x, fa)} vs {brief(y, fb)}")


def compare_dataset(path, da, db, fa, fb, diffs):
    if not same_type(da.id, db.id):
        diffs.add(f"{path}: type {type_text(da)} vs {type_text(db)}")
        return
    if da.shape != db.shape:
        diffs.add(f"{path}: shape {da.shape} vs {db.shape}")
        return
    if da.dtype.kind != "O" and not da.dtype.names:
        fva, fvb = da.fillvalue, db.fillvalue
        if canon(np.asarray(fva), fa) != canon(np.asarray(fvb), fb):
            diffs.add(f"{path}: fill value {brief(fva, fa)} vs {brief(fvb, fb)}")
    compare_values(path, da, db, fa, fb, diffs)


def kind(group, name):
    link = group.get(name, getlink=True)
    if isinstance(link, h5py.SoftLink):
        return "soft link", link.path
    if isinstance(link, h5py.ExternalLink):
        return "external link", (link.filename, link.path)
    obj = group.get(name)
    if isinstance(obj, h5py.Group):
        return "group", None
    if isinstance(obj, h5py.Dataset):
        return "dataset", None
    if isinstance(obj, h5py.Datatype):
        return "named type", None
    return "unknown", None


def compare_group(path, ga, gb, fa, fb, ignore, diffs):
    compare_attrs(path, ga, gb, fa, fb, ignore, diffs)
    na, nb = set(ga.keys()), set(gb.keys())
    prefix = path if path.endswith("/") else path + "/"
    for n in sorted(na - nb):
        diffs.add(f"{prefix}{n}: only in A ({kind(ga, n)[0]})")
    for n in sorted(nb - na):
        diffs.add(f"{prefix}{n}: only in B ({kind(gb, n)[0]})")
    for n in sorted(na & nb):
        p = prefix + n
        (ka, ta), (kb, tb) = kind(ga, n), kind(gb, n)
        if ka != kb:
            diffs.add(f"{p}: a {ka} in A, a {kb} in B")
            continue
        if ka in ("soft link", "external link"):
            if ta != tb:
                diffs.add(f"{p}: {ka} to {ta} vs {tb}")
            continue
        oa, ob = ga[n], gb[n]
        if ka == "group":
            compare_group(p, oa, ob, fa, fb, ignore, diffs)
        elif ka == "dataset":
            compare_attrs(p, oa, ob, fa, fb, ignore, diffs)
            compare_dataset(p, oa, ob, fa, fb, diffs)
        elif ka == "named type":
            compare_attrs(p, oa, ob, fa, fb, ignore, diffs)
            if oa.id != ob.id and oa.dtype != ob.dtype:
                diffs.add(f"{p}: named type {oa.dtype} vs {ob.dtype}")


def usage():
    print("usage: h5_same.py A.h5 B.h5 [--ignore-attrs NAME,/PATH@NAME,...] [--max N]", file=sys.stderr)
    return 2


def main(argv):
    files, ignore, limit = [], set(), 10
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg in ("--ignore-attrs", "--max"):
            if i + 1 >= len(argv):
                return usage()
            value, i = argv[i + 1], i + 2
        elif arg.startswith("--ignore-attrs=") or arg.startswith("--max="):
            arg, value = arg.split("=", 1)
            i += 1
        elif arg.startswith("-") and arg != "-":
            return usage()
        else:
            files.append(arg)
            i += 1
            continue
        if arg == "--max":
            try:
                limit = int(value)
            except ValueError:
                return usage()
        else:
            for item in filter(None, (x.strip() for x in value.split(","))):
                if "@" in item:
                    p, n = item.rsplit("@", 1)
                    ignore.add(("/" + p.strip("/") if p.strip("/") else "/", n))
                else:
                    ignore.add(("/", item))
    if len(files) != 2:
        return usage()
    try:
        fa, fb = h5py.File(files[0], "r"), h5py.File(files[1], "r")
    except OSError as e:
        print(f"h5_same: cannot read: {e}", file=sys.stderr)
        return 2
    diffs = Differences(limit)
    try:
        with fa, fb:
            compare_group("/", fa, fb, fa, fb, ignore, diffs)
    except (OSError, KeyError, RuntimeError, ValueError) as e:
        print(f"h5_same: cannot read: {e}", file=sys.stderr)
        return 2
    if diffs.count:
        if diffs.count > limit:
            print(f"... {diffs.count - limit} more")
        print(f"{diffs.count} difference{'s' if diffs.count != 1 else ''} between {files[0]} (A) and {files[1]} (B)")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
