#!/usr/bin/python3
"""h5_digest.py FILE.h5 [--ignore-attrs a,b,/PATH@c] - what a file holds, one line per object.

Prints, walking the file in name order, a line per group, dataset, link and
attribute: its path, its kind, its HDF5 type and shape, and a SHA-256 of its
values compared the way h5_same.py compares them (references by target path,
every NaN alike, storage left out). Two files hold the same exactly when their
digests are equal, so a stored digest (tests/golden/) pins a file's content
without storing the file. --ignore-attrs leaves out attributes as in
h5_same.py (the root's provenance: times, host, command line, build).
Run it with Debian's /usr/bin/python3 (python3-h5py, python3-numpy).
"""
import hashlib
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import h5_same  # noqa: E402  (one definition of what "the same" means)
from h5_same import canon, kind, type_text, h5py, np  # noqa: E402

BLOCK_ROWS_BYTES = h5_same.BLOCK_BYTES


def digest_values(ds, f):
    h = hashlib.sha256()
    shape = ds.shape
    if shape is None:
        return "null"
    if ds.dtype.kind == "O" or ds.dtype.names or len(shape) == 0:
        h.update(repr(canon(np.asarray(ds[()]) if ds.dtype.kind != "O" else ds[()], f)).encode())
        return h.hexdigest()
    row_bytes = max(1, int(np.prod(shape[1:], dtype=np.int64)) * ds.dtype.itemsize)
    step = max(1, BLOCK_ROWS_BYTES // row_bytes)
    for start in range(0, shape[0], step):
        block = ds[start:start + step]
        if ds.dtype.kind in "fc":
            block = block.copy()
            block[np.isnan(block)] = np.nan
        h.update(block.tobytes())
    return h.hexdigest()


def attrs(path, obj, f, ignore, out):
    for k in sorted(obj.attrs.keys()):
        if (path, k) in ignore:
            continue
        aid = obj.attrs.get_id(k)
        value = hashlib.sha256(repr(canon(obj.attrs[k], f)).encode()).hexdigest()
        out.append(f"{path.rstrip('/') if path != '/' else ''}@{k} {aid.dtype} {aid.shape} {value}")


def walk(path, group, f, ignore, out):
    attrs(path, group, f, ignore, out)
    prefix = path if path.endswith("/") else path + "/"
    for name in sorted(group.keys()):
        p = prefix + name
        k, target = kind(group, name)
        if k in ("soft link", "external link"):
            out.append(f"{p} {k} {target}")
            continue
        obj = group[name]
        if k == "group":
            out.append(f"{p} group")
            walk(p, obj, f, ignore, out)
        elif k == "dataset":
            fill = "" if obj.dtype.kind == "O" or obj.dtype.names else \
                hashlib.sha256(repr(canon(np.asarray(obj.fillvalue), f)).encode()).hexdigest()[:16]
            out.append(f"{p} dataset {type_text(obj)} {obj.shape} fill {fill} {digest_values(obj, f)}")
            attrs(p, obj, f, ignore, out)
        else:
            out.append(f"{p} {k} {obj.dtype}")
            attrs(p, obj, f, ignore, out)


def main(argv):
    files, ignore = [], set()
    i = 0
    while i < len(argv):
        if argv[i] == "--ignore-attrs" and i + 1 < len(argv):
            for item in filter(None, (x.strip() for x in argv[i + 1].split(","))):
                p, n = item.rsplit("@", 1) if "@" in item else ("/", item)
                ignore.add(("/" + p.strip("/") if p.strip("/") else "/", n))
            i += 2
        elif argv[i].startswith("-"):
            print("usage: h5_digest.py FILE.h5 [--ignore-attrs NAME,/PATH@NAME,...]", file=sys.stderr)
            return 2
        else:
            files.append(argv[i])
            i += 1
    if len(files) != 1:
        print("usage: h5_digest.py FILE.h5 [--ignore-attrs NAME,/PATH@NAME,...]", file=sys.stderr)
        return 2
    out = []
    try:
        with h5py.File(files[0], "r") as f:
            walk("/", f, f, ignore, out)
    except (OSError, KeyError, RuntimeError, ValueError) as e:
        print(f"h5_digest: cannot read {files[0]}: {e}", file=sys.stderr)
        return 2
    sys.stdout.write("\n".join(out) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
