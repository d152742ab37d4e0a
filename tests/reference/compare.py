#!/usr/bin/python3
"""Compare replicate means of the C simulator against the Python reference.

    compare.py [--zmax 4.5] LABEL C_JSON_DIR PY_JSON [LABEL C_JSON_DIR PY_JSON]...

C_JSON_DIR holds one JSON object per C replicate (*.json, the output of
`rapport run SCENARIO --json --seed S`); PY_JSON is the output of
`model_reference.py --json --replicates R` (means, `<key>_sd`, `replicates`).
For every observable (and version 2's where PY_JSON has them):
z = (mean_c - mean_py) / sqrt(sd_c^2/R_c + sd_py^2/R_py);
PASS when |z| <= zmax.  Prints one line per comparison and `N passed, N failed`;
exits 1 on any failure.
"""

import glob
import json
import math
import os
import sys

KEYS = ['dropout',
        'dropout_by_group.white', 'dropout_by_group.latinx',
        'dropout_by_group.black', 'dropout_by_group.asian',
        'early_dropout', 'sessions_mean', 'ambivalence', 'alliance_outcome_r',
        'rupture_rate', 'repaired_share', 'discussed_share', 'recovered_share',
        'therapist_icc']
# Version 2's observables (MODEL-v2.md): compared where the reference reports them (a
# model-2 scenario); the C output must then have them under the same names.
V2_KEYS = ['therapist_dropout', 'repair_outcome_r', 'distance_mean', 'concordance']
# ... and these by group: the C's by_group.GROUP.KEY against the reference's KEY_by_group.GROUP.
V2_GROUP_KEYS = ['distance_mean', 'concordance']
GROUPS = ['white', 'latinx', 'black', 'asian']


def lookup(obj, dotted):
    """obj['a']['b'] for 'a.b'; None when absent or not a finite number."""
    cur = obj
    for part in dotted.split('.'):
        if not isinstance(cur, dict) or part not in cur:
            return None
        cur = cur[part]
    if isinstance(cur, bool) or not isinstance(cur, (int, float)):
        return None
    return float(cur) if math.isfinite(cur) else None


def py_sd(obj, dotted):
    head, _, tail = dotted.partition('.')
    return lookup(obj, head + '_sd' + ('.' + tail if tail else ''))


def mean_sd(xs):
    n = len(xs)
    m = sum(xs) / n
    if n < 2:
        return m, float('nan')
    return m, math.sqrt(sum((x - m) ** 2 for x in xs) / (n - 1))


def main(argv):
    zmax = 4.5
    if len(argv) >= 2 and argv[0] == '--zmax':
        zmax = float(argv[1])
        argv = argv[2:]
    if len(argv) == 0 or len(argv) % 3:
        sys.stderr.write(__doc__)
        return 2
    passed = failed = 0
    for i in range(0, len(argv), 3):
        label, cdir, pyfile = argv[i:i + 3]
        cfiles = sorted(glob.glob(os.path.join(cdir, '*.json')))
        cruns = []
        for f in cfiles:
            try:
                with open(f) as fh:
                    cruns.append(json.load(fh))
            except (OSError, ValueError) as e:
                print('FAIL %s: cannot read C output %s: %s' % (label, f, e))
                failed += 1
        try:
            with open(pyfile) as fh:
                py = json.load(fh)
        except (OSError, ValueError) as e:
            print('FAIL %s: cannot read reference output %s: %s' % (label, pyfile, e))
            failed += 1
            continue
        if len(cruns) < 2:
            print('FAIL %s: need >= 2 C replicates, have %d' % (label, len(cruns)))
            failed += 1
            continue
        Rc = len(cruns)
        Rp = int(py.get('replicates', 0))
        pairs = [(k, k) for k in KEYS + [k for k in V2_KEYS if k in py]]
        pairs += [('by_group.%s.%s' % (g, k), '%s_by_group.%s' % (k, g))
                  for k in V2_GROUP_KEYS if k + '_by_group' in py for g in GROUPS]
        for ckey, key in pairs:
            cvals = [lookup(r, ckey) for r in cruns]
            pm, ps = lookup(py, key), py_sd(py, key)
            if any(v is None for v in cvals) or pm is None or ps is None or Rp < 2:
                missing = sum(v is None for v in cvals)
                print('FAIL %-12s %-26s missing/non-finite (C: %d of %d replicates; reference: %s)'
                      % (label, key, missing, Rc, 'ok' if pm is not None and ps is not None else 'missing'))
                failed += 1
                continue
            cm, cs = mean_sd(cvals)
            se = math.sqrt(cs * cs / Rc + ps * ps / Rp)
            diff = cm - pm
            if se > 0:
                z = diff / se
            else:
                z = 0.0 if abs(diff) <= 1e-12 * max(1.0, abs(pm)) else math.copysign(float('inf'), diff)
            ok = abs(z) <= zmax
            note = ''
            if cs == 0 and ps > 0:
                note = '  (all C replicates equal: is --seed honoured?)'
            print('%s %-12s %-26s C %.5f (sd %.5f)  ref %.5f (sd %.5f)  z %+.2f%s'
                  % ('PASS' if ok else 'FAIL', label, key, cm, cs, pm, ps, z, note))
            if ok:
                passed += 1
            else:
                failed += 1
    print('%d passed, %d failed' % (passed, failed))
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
