#!/usr/bin/python3
"""Independent reference implementation of MODEL.md, versions 1 and 2 (Python + numpy).

A test oracle for the C simulator *within Monte Carlo error*: it does not share the
C code's random streams, only the model.  Its model code is written from
/work/shared/MODEL.md (version 1) and MODEL-v2.md (version 2) alone, vectorised over pairs;
the scenario's `model` key (absent: 1) selects the version.  Its parameter values, defaults and
population included, are not: it reads them from the resolved scenario that
`rapport show` writes, so that they cannot drift from the C's.  A key of that scenario
this reference does not implement (a new parameter, group key or dimension key) stops it
with an error naming the key, so that a new parameter is never silently ignored.

Usage (run with /usr/bin/python3, which has numpy and PyYAML):

    rapport show SCENARIO [--set ...] > show.yaml
    model_reference.py --scenario show.yaml [--patients N] [--per-provider C]
                       [--policy never|intake|delayed|responsive]
                       [--week K] [--assignment random|same_group|min_distance]
                       [--seed S] [--replicates R] [--set name=value]... [--json]
    model_reference.py --scenario show.yaml --self-test   (show.yaml: the reference scenario)

--patients and --per-provider set patients.count, providers.caseload and
providers.count = ceil(N / C); --seed (default: the scenario's) is the first of this
reference's own seeds, one a replicate.

Readings of MODEL.md where it is terse (the team's agreed reading):
  * categorical culture values are drawn from the level probabilities, continuous from their
    distribution (Beta or a fixed value);
  * S0 ~ Normal(mu, sigma) clamped to [S_rec, S_max];
  * u_i ~ N(0, sigma_P); gamma_i = gamma * exp(sigma_gamma z - sigma_gamma^2 / 2);
  * T_0 = 1 - m_i; D_0 = 1 only under `intake`;
  * step 1: if D_t = 0, `delayed` at t = k sets D_t = 1, otherwise (every policy, `never`
    included) the patient raises it with probability pi * T_t, which sets D_t = 1 for this
    week already; the discussion week is the first w with D_w = 1 (a responsive
    D_{t+1} = 1 is week t+1); "discussed by exit" means discussion week <= exit week;
  * exit checks at week t+1 in MODEL.md's order, the e^(-t/tau_E) term using t;
  * exit week E = sessions attended; values exist for weeks 0..E; steps ran in weeks 0..E-1.
(Every sentence of MODEL-v2.md marked "Stated in v2" is one of these readings, or the
largest-remainder counts, min_distance ties to the lowest index, the untruncated ICC.)

Version 2 (MODEL-v2.md), where its text leaves a choice:
  * its new parameters are humility.felt_distance (chi), trust.repair_gain (Delta_T+),
    providers.retention_sd, patients.gradient.{dimension, barrier, stressor_rate, mistrust};
    under version 1 they may be absent or at their version-1 values (0, none), nothing else;
  * d_eff = d_ij (1 - chi h_j)(1 - D phi (1 - omega + omega h_j)) wherever d_eff enters
    (alliance target, rupture hazard); the trust erosion keeps d_ij (its bracket and size);
  * eps_j ~ N(0, sd_retention) per provider, drawn after skill;
  * the gradient shifts b, lambda and m after all three are drawn, before T_0 = 1 - m;
    a coefficient 0 leaves its trait exactly as drawn;
  * S0: normal(mu, sd) truncated to [S_rec, S_max] by inversion of one uniform (a fixed value
    must lie inside; other families are refused); clamped to the bounds against rounding only;
  * therapist effect on dropout: providers with n_j >= 2; pbar pooled over their patients;
    Var_j with ddof 1; NaN with < 2 providers or pbar in {0, 1};
  * repair-outcome r: a pair's repaired / ruptures over its whole stay (weeks 0..E-1).
"""

import argparse
import json
import math
import sys
from fractions import Fraction

import numpy as np

try:
    from scipy.special import expit as _expit
except Exception:  # pragma: no cover - scipy is optional
    _expit = None


def L(x):
    """Logistic function, numerically safe for huge |x| (used by the self-test)."""
    if _expit is not None:
        return _expit(x)
    x = np.asarray(x, dtype=float)
    return np.where(x >= 0, 1.0 / (1.0 + np.exp(-np.abs(x))),
                    np.exp(-np.abs(x)) / (1.0 + np.exp(-np.abs(x))))


def clip(x):
    return np.minimum(np.maximum(x, 0.001), 0.999)


# ---------------------------------------------------------------------------
# Parameters and the population: read from `rapport show` (the resolved scenario)
# ---------------------------------------------------------------------------

# The scalar parameters this reference implements (MODEL.md "Parameters and defaults"),
# by the type it reads them as. Their values, defaults included, come from the scenario
# that `rapport show` writes, never from a copy here.
INT_PARAMS = {'horizon', 'course', 'discussion.week', 'patients.count', 'providers.count',
              'providers.caseload', 'report.ambivalence_week', 'seed'}
STR_PARAMS = {'discussion.policy', 'assignment.policy', 'assignment.match_on'}
FLOAT_PARAMS = {
    'symptoms.max', 'symptoms.recovered', 'symptoms.improvement', 'symptoms.stressor_jump',
    'symptoms.noise',
    'alliance.beta0', 'alliance.beta_skill', 'alliance.beta_trust', 'alliance.beta_distance',
    'alliance.rate', 'alliance.noise',
    'rupture.base', 'rupture.distance', 'rupture.low_alliance', 'rupture.repair_gain', 'rupture.loss',
    'repair.base', 'repair.humility', 'repair.discussed',
    'trust.rate', 'trust.rupture_loss', 'trust.undiscussed_erosion', 'trust.notice_distance',
    'discussion.effect', 'discussion.humility_share', 'discussion.patient_raises',
    'dropout.base', 'dropout.low_alliance', 'dropout.low_trust', 'dropout.barrier',
    'dropout.stressor', 'dropout.early', 'dropout.early_weeks',
    'patients.alliance_sd', 'patients.response_sd', 'providers.skill_sd',
    'report.ambivalence_threshold',
}
MODEL_PARAMS = INT_PARAMS | STR_PARAMS | FLOAT_PARAMS
# Version 2's new parameters (MODEL-v2.md), by their value under version 1 (the term off).
# A scenario of version 2 must give them all; under version 1 they may be absent, or
# present at exactly these values (anything else: refused, since version 1 has no such term).
V2_FLOAT_PARAMS = {'humility.felt_distance': 0.0, 'trust.repair_gain': 0.0,
                   'providers.retention_sd': 0.0, 'patients.gradient.barrier': 0.0,
                   'patients.gradient.stressor_rate': 0.0, 'patients.gradient.mistrust': 0.0}
V2_STR_PARAMS = {'patients.gradient.dimension': 'none'}
V2_PARAMS = set(V2_FLOAT_PARAMS) | set(V2_STR_PARAMS)
GRADIENT_COEFS = ('patients.gradient.barrier', 'patients.gradient.stressor_rate',
                  'patients.gradient.mistrust')
MODELS = (1, 2)
ALL_PARAMS = MODEL_PARAMS | V2_PARAMS | {'model'}   # `model` absent: version 1
# Keys of `show` that change nothing in a run of the model (how runs are repeated and
# stored); accepted and ignored.
NOT_MODEL = {'replicates', 'output.variables', 'output.every', 'output.sample', 'output.pairs',
             'output.compression', 'output.level', 'sweep.streams',
             'contrasts.reference_group', 'contrasts.reference_point'}
# The structured keys, read below.
POPULATION = {'culture.dimensions', 'patients.groups', 'providers.groups'}
DIMENSION_KEYS = {'name', 'kind', 'weight', 'levels'}
PATIENT_KEYS = {'share', 'mistrust', 'barrier', 'stressor_rate', 'symptoms'}  # besides the dimensions
PROVIDER_KEYS = {'share', 'humility'}
POLICIES = ('never', 'intake', 'delayed', 'responsive')
ASSIGNMENTS = ('random', 'same_group', 'min_distance')


def unknown(what, names):
    """Fail loudly: the scenario has something this reference does not implement."""
    raise SystemExit('model_reference.py: the scenario has %s this reference does not implement: %s\n'
                     '  Implement it in tests/reference/model_reference.py before comparing (a scalar '
                     'that changes no dynamics goes into NOT_MODEL).' % (what, ', '.join(sorted(names))))


def parse_dist(text, where):
    """'beta(a, b)', 'gamma(shape, scale)', 'normal(mean, sd)' or a number: (family, x, y)."""
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        return ('fixed', float(text), 0.0)
    s = str(text).strip()
    for family in ('beta', 'gamma', 'normal'):
        if s.startswith(family + '(') and s.endswith(')'):
            args = [float(x) for x in s[len(family) + 1:-1].split(',')]
            if len(args) == 2:
                return (family, args[0], args[1])
    raise SystemExit('model_reference.py: %s: cannot read distribution %r' % (where, text))


def draw(rng, dist, n):
    family, x, y = dist
    if family == 'beta':
        return rng.beta(x, y, size=n)
    if family == 'gamma':
        return rng.gamma(x, y, size=n)
    if family == 'normal':
        return rng.normal(x, y, size=n)
    return np.full(n, x)


def read_population(tree):
    """DIMENSIONS [(name, kind, weight, levels)], patient and provider groups, from show's YAML."""
    dims = []
    for d in tree['culture']['dimensions']:
        extra = set(d) - DIMENSION_KEYS
        if extra:
            unknown('dimension key(s)', extra)
        levels = tuple(d['levels']) if d['kind'] == 'categorical' else None
        if d['kind'] not in ('categorical', 'continuous'):
            unknown('dimension kind', {d['kind']})
        dims.append((d['name'], d['kind'], float(d['weight']), levels))
    names = {d[0] for d in dims}

    def groups(section, keys):
        out = []
        for gname, g in tree[section]['groups'].items():
            extra = set(g) - keys - names
            if extra:
                unknown('%s group key(s)' % section[:-1], extra)
            culture = []
            for (dname, kind, _, levels) in dims:
                v = g[dname]
                where = '%s.groups.%s.%s' % (section, gname, dname)
                if kind == 'categorical':
                    probs = {v: 1.0} if isinstance(v, str) else {k: float(x) for k, x in v.items()}
                    if set(probs) - set(levels):
                        raise SystemExit('model_reference.py: %s: unknown level(s) %s' % (where, sorted(probs)))
                    culture.append(tuple(probs.get(lv, 0.0) for lv in levels))
                else:
                    culture.append(parse_dist(v, where))
            grp = dict(name=gname, share=Fraction(float(g['share'])), culture=culture)
            for k in sorted(keys - {'share'}):
                grp[k] = parse_dist(g[k], '%s.groups.%s.%s' % (section, gname, k))
            out.append(grp)
        return out

    return dims, groups('patients', PATIENT_KEYS), groups('providers', PROVIDER_KEYS)


def load_scenario(path):
    """The parameters of the resolved scenario at path (the output of `rapport show`):
    a dict of the scalars by dotted name, plus 'dimensions', 'patient_groups' and
    'provider_groups'. Fails loudly on any key this reference does not implement, and
    on a key it needs that the scenario lacks."""
    import yaml
    with open(path) as f:
        tree = yaml.safe_load(f)
    p, seen = {}, set()

    def walk(prefix, node):
        # sections nest: patients.gradient.barrier is patients: {gradient: {barrier: ...}}
        for k, x in node.items():
            name = '%s.%s' % (prefix, k)
            seen.add(name)
            if k in ('groups', 'dimensions'):
                continue
            if isinstance(x, dict):
                walk(name, x)
            else:
                p[name] = x

    for top, v in tree.items():
        if top == 'sweep':
            axes = set(v) - {'streams'}
            if axes:
                unknown('sweep axes', {'sweep.' + a for a in axes})
        if isinstance(v, dict):
            walk(top, v)
        else:
            seen.add(top)
            p[top] = v
    sections = {n for n in seen if any(o.startswith(n + '.') for o in seen)}
    extra = seen - ALL_PARAMS - NOT_MODEL - POPULATION - sections
    if extra:
        unknown('parameter(s)', extra)
    missing = MODEL_PARAMS - seen
    if missing:
        raise SystemExit('model_reference.py: %s: no value for %s (is it the output of `rapport show`?)'
                         % (path, ', '.join(sorted(missing))))
    for name in set(p) - ALL_PARAMS:
        del p[name]
    for name in sorted(p):
        set_param(p, name, p[name])
    p['dimensions'], p['patient_groups'], p['provider_groups'] = read_population(tree)
    return p


def finalise(p):
    """Settle the model version once every value is set (scenario, then the command line):
    `model` absent is version 1. Version 2 needs all of V2_PARAMS; version 1 has none of its
    terms, so a version-2 parameter given under version 1 must have its version-1 value
    (0, or gradient dimension `none`), and all are then set to those values."""
    model = p.setdefault('model', 1)
    if model not in MODELS:
        raise SystemExit('model must be one of %s, got %r' % (MODELS, model))
    if model == 2:
        missing = V2_PARAMS - set(p)
        if missing:
            raise SystemExit('model_reference.py: model 2 needs %s (is it the output of `rapport show` '
                             'of a model-2 scenario?)' % ', '.join(sorted(missing)))
        g = p['patients.gradient.dimension']
        if g != 'none':
            kinds = {d[0]: d[1] for d in p['dimensions']}
            if kinds.get(g) != 'continuous':
                raise SystemExit('patients.gradient.dimension must name a continuous dimension or be none, '
                                 'got %r' % g)
        return p
    off = dict(V2_FLOAT_PARAMS, **V2_STR_PARAMS)
    gradient_off = (p.get('patients.gradient.dimension', 'none') == 'none'
                    or all(p.get(k, 0.0) == 0.0 for k in GRADIENT_COEFS))
    bad = sorted(k for k in V2_PARAMS if k in p and p[k] != off[k]
                 and not (gradient_off and k.startswith('patients.gradient.')))
    if bad:
        raise SystemExit('model_reference.py: model 1 has no %s (version 1 has these terms off: %s)'
                         % (', '.join(bad), ', '.join('%s = %s' % (k, off[k]) for k in bad)))
    p.update(off)
    return p


def set_param(p, name, value):
    if name not in ALL_PARAMS:
        raise SystemExit('unknown parameter: %s (known: %s)' % (name, ', '.join(sorted(ALL_PARAMS))))
    if name in STR_PARAMS or name in V2_STR_PARAMS:
        p[name] = str(value)
    elif name in INT_PARAMS or name == 'model':
        f = float(value)
        if f != int(f):
            raise SystemExit('%s must be an integer, got %r' % (name, value))
        p[name] = int(f)
    else:
        p[name] = float(value)
    if p.get('discussion.policy', 'never') not in POLICIES:
        raise SystemExit('discussion.policy must be one of %s' % (POLICIES,))
    if p.get('assignment.policy', 'random') not in ASSIGNMENTS:
        raise SystemExit('assignment.policy must be one of %s' % (ASSIGNMENTS,))


def apportion(shares, n):
    """Largest-remainder apportionment of share*n (ties: earlier group first)."""
    quotas = [Fraction(s) * n for s in shares]
    counts = [int(q) for q in quotas]  # floor (quotas are >= 0)
    rest = n - sum(counts)
    order = sorted(range(len(shares)), key=lambda g: (-(quotas[g] - counts[g]), g))
    for g in order[:rest]:
        counts[g] += 1
    return counts


def draw_culture(rng, dims, culture, n):
    """Culture matrix (n x K) of one group: categorical as level index, continuous in [0, 1]."""
    out = np.empty((n, len(dims)))
    for k, (_, kind, _, levels) in enumerate(dims):
        spec = culture[k]
        if kind == 'categorical':
            p = np.asarray(spec, dtype=float)
            out[:, k] = rng.choice(len(levels), size=n, p=p / p.sum())
        else:
            out[:, k] = draw(rng, spec, n)
    return out


def distance_matrix(dims, c, q):
    """d_ij for culture rows c (n x K) against q (m x K): weighted Gower-type, in [0, 1]."""
    c = np.atleast_2d(c)
    q = np.atleast_2d(q)
    num = np.zeros((c.shape[0], q.shape[0]))
    wsum = 0.0
    for k, (_, kind, w, _) in enumerate(dims):
        if kind == 'categorical':
            delta = (c[:, k][:, None] != q[:, k][None, :]).astype(float)
        else:
            delta = np.abs(c[:, k][:, None] - q[:, k][None, :])
        num += w * delta ** 2
        wsum += w
    return np.sqrt(num / wsum)


def distance_pairs(dims, c, q):
    """d_ij for matched rows (c[i] against q[i])."""
    num = np.zeros(c.shape[0])
    wsum = 0.0
    for k, (_, kind, w, _) in enumerate(dims):
        if kind == 'categorical':
            delta = (c[:, k] != q[:, k]).astype(float)
        else:
            delta = np.abs(c[:, k] - q[:, k])
        num += w * delta ** 2
        wsum += w
    return np.sqrt(num / wsum)


def Phi(x):
    """Standard normal CDF, elementwise (by erfc: accurate in the lower tail)."""
    x = np.asarray(x, dtype=float)
    return 0.5 * np.vectorize(math.erfc, otypes=[float])(-x / math.sqrt(2.0))


def Phi_inv(q):
    """Inverse standard normal CDF for q in (0, 1), elementwise: Acklam's rational
    approximation (relative error < 1.2e-9) and one Halley step on erfc (to ~1e-15).
    0 and 1 give -inf and +inf."""
    q = np.asarray(q, dtype=float)
    a = (-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02,
         1.383577518672690e+02, -3.066479806614716e+01, 2.506628277459239e+00)
    b = (-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
         6.680131188771972e+01, -1.328068155288572e+01)
    c = (-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
         -2.549671010229528e+00, 4.374664141464968e+00, 2.938163982698783e+00)
    d = (7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00, 3.754408661907416e+00)
    lo, hi = 0.02425, 1 - 0.02425
    x = np.empty_like(q)
    with np.errstate(divide='ignore', invalid='ignore'):
        m = q < lo
        r = np.sqrt(-2 * np.log(q[m]))
        x[m] = (((((c[0] * r + c[1]) * r + c[2]) * r + c[3]) * r + c[4]) * r + c[5]) / \
               ((((d[0] * r + d[1]) * r + d[2]) * r + d[3]) * r + 1)
        m = q > hi
        r = np.sqrt(-2 * np.log1p(-q[m]))
        x[m] = -(((((c[0] * r + c[1]) * r + c[2]) * r + c[3]) * r + c[4]) * r + c[5]) / \
            ((((d[0] * r + d[1]) * r + d[2]) * r + d[3]) * r + 1)
        m = (q >= lo) & (q <= hi)
        r = q[m] - 0.5
        t = r * r
        x[m] = (((((a[0] * t + a[1]) * t + a[2]) * t + a[3]) * t + a[4]) * t + a[5]) * r / \
               (((((b[0] * t + b[1]) * t + b[2]) * t + b[3]) * t + b[4]) * t + 1)
        fin = np.isfinite(x)
        e = Phi(x[fin]) - q[fin]
        u = e * math.sqrt(2 * math.pi) * np.exp(x[fin] * x[fin] / 2)
        x[fin] = x[fin] - u / (1 + x[fin] * u / 2)
    x[q <= 0] = -np.inf
    x[q >= 1] = np.inf
    return x


def truncated_normal(u, mu, sd, lo, hi):
    """MODEL-v2.md: Normal(mu, sd) truncated to [lo, hi] by inversion of uniforms u in [0, 1),
    u -> Phi^-1(Phi(a) + u (Phi(b) - Phi(a))), a = (lo - mu)/sd, b = (hi - mu)/sd. When the
    interval lies above the mean the same map is evaluated on the mirror image (Phi(-x) =
    1 - Phi(x)), which keeps the tail probabilities accurate; the result is clamped to
    [lo, hi] against rounding only (no mass at the ends)."""
    u = np.asarray(u, dtype=float)
    a, b = (lo - mu) / sd, (hi - mu) / sd
    if a > 0:       # upper tail: x = -Phi^-1(Phi(-a) - u (Phi(-a) - Phi(-b)))
        pa, pb = float(Phi(-a)), float(Phi(-b))
        z = -Phi_inv(pa - u * (pa - pb))
    else:
        pa, pb = float(Phi(a)), float(Phi(b))
        z = Phi_inv(pa + u * (pb - pa))
    return np.minimum(np.maximum(mu + sd * z, lo), hi)


def truncated_symptoms(dist, u, lo, hi, where):
    """Intake symptoms of version 2 from a group's `symptoms` (normal(mu, sd), or a fixed
    value inside [lo, hi]) and one uniform per patient."""
    family, x, y = dist
    if family == 'fixed' or (family == 'normal' and y == 0):
        if not lo <= x <= hi:
            raise SystemExit('model_reference.py: %s: %g lies outside [%g, %g]' % (where, x, lo, hi))
        return np.full(u.size, x)
    if family != 'normal' or y < 0:
        raise SystemExit('model_reference.py: %s: version 2 truncates a normal(mean, sd) to [%g, %g]; '
                         'this reference does not implement %s' % (where, lo, hi, family))
    pa, pb = float(Phi((lo - x) / y)), float(Phi((hi - x) / y))
    if not pb - pa > 0 and not float(Phi(-(lo - x) / y)) - float(Phi(-(hi - x) / y)) > 0:
        raise SystemExit('model_reference.py: %s: normal(%g, %g) has no mass in [%g, %g] in double precision'
                         % (where, x, y, lo, hi))
    return truncated_normal(u, x, y, lo, hi)


def logit(x):
    with np.errstate(divide='ignore'):
        return np.log(x) - np.log1p(-x)


def deprivation_gradient(c, b, lam, m, g_b, g_lam, g_m):
    """MODEL-v2.md: b <- L(logit(b) + g_b (c - 1/2)), lam <- lam exp(g_lam (c - 1/2)),
    m <- L(logit(m) + g_m (c - 1/2)), c the patient's position on the gradient's dimension.
    A coefficient 0 leaves its trait exactly as drawn ("all three 0 is version 1")."""
    c = np.asarray(c, dtype=float) - 0.5
    b, lam, m = (np.asarray(v, dtype=float) for v in (b, lam, m))
    if g_b != 0.0:
        b = L(logit(b) + g_b * c)
    if g_lam != 0.0:
        lam = lam * np.exp(g_lam * c)
    if g_m != 0.0:
        m = L(logit(m) + g_m * c)
    return b, lam, m


def make_population(p, rng):
    N, M, C = p['patients.count'], p['providers.count'], p['providers.caseload']
    if M * C < N:
        raise SystemExit('input error: total capacity %d*%d < %d patients' % (M, C, N))
    S_rec, S_max = p['symptoms.recovered'], p['symptoms.max']

    dims, groups = p['dimensions'], p['patient_groups']
    pc = apportion([g['share'] for g in groups], N)
    pat = dict(group=[], culture=[], m=[], b=[], lam=[], S0=[])
    for gi, (g, n) in enumerate(zip(groups, pc)):
        pat['group'].append(np.full(n, gi))
        pat['culture'].append(draw_culture(rng, dims, g['culture'], n))
        pat['m'].append(draw(rng, g['mistrust'], n))
        pat['b'].append(draw(rng, g['barrier'], n))
        pat['lam'].append(draw(rng, g['stressor_rate'], n))
        if p['model'] == 1:       # version 1: Normal clamped to [S_rec, S_max]
            s0 = draw(rng, g['symptoms'], n)
            pat['S0'].append(np.minimum(np.maximum(s0, S_rec), S_max))
        else:                     # version 2: truncated to [S_rec, S_max], by inversion
            pat['S0'].append(truncated_symptoms(g['symptoms'], rng.random(n), S_rec, S_max,
                                                'patients.groups.%s.symptoms' % g['name']))
    pat = {k: np.concatenate(v) for k, v in pat.items()}
    if p['model'] == 2 and p['patients.gradient.dimension'] != 'none':
        k = [d[0] for d in dims].index(p['patients.gradient.dimension'])
        pat['b'], pat['lam'], pat['m'] = deprivation_gradient(
            pat['culture'][:, k], pat['b'], pat['lam'], pat['m'], p['patients.gradient.barrier'],
            p['patients.gradient.stressor_rate'], p['patients.gradient.mistrust'])
    pat['u'] = rng.normal(0.0, p['patients.alliance_sd'], size=N)
    sg = p['patients.response_sd']
    pat['gamma'] = p['symptoms.improvement'] * np.exp(sg * rng.standard_normal(N) - sg * sg / 2)

    groups = p['provider_groups']
    mc = apportion([g['share'] for g in groups], M)
    prov = dict(group=[], culture=[], h=[])
    for gi, (g, n) in enumerate(zip(groups, mc)):
        prov['group'].append(np.full(n, gi))
        prov['culture'].append(draw_culture(rng, dims, g['culture'], n))
        prov['h'].append(draw(rng, g['humility'], n))
    prov = {k: np.concatenate(v) for k, v in prov.items()}
    prov['skill'] = rng.normal(0.0, p['providers.skill_sd'], size=M)
    if p['model'] == 2:   # retention effect, drawn independently of skill
        prov['eps'] = rng.normal(0.0, p['providers.retention_sd'], size=M)
    else:
        prov['eps'] = np.zeros(M)
    prov['capacity'] = C
    return pat, prov


def assign(p, pat, prov, rng):
    """Provider index of each patient."""
    N = pat['S0'].size
    M = prov['skill'].size
    C = prov['capacity']
    policy = p['assignment.policy']
    order = rng.permutation(N)
    out = np.empty(N, dtype=np.int64)
    if policy == 'random':
        free = list(range(M))           # providers with room, swap-removed when full
        load = [0] * M
        pick = rng.random(N)
        for i, x in zip(order.tolist(), pick.tolist()):
            s = int(x * len(free))
            j = free[s]
            out[i] = j
            load[j] += 1
            if load[j] == C:
                free[s] = free[-1]
                free.pop()
        return out
    load = np.zeros(M, dtype=np.int64)
    if policy == 'same_group':
        k = [d[0] for d in p['dimensions']].index(p['assignment.match_on'])
        if p['dimensions'][k][1] != 'categorical':
            raise SystemExit('assignment.match_on must name a categorical dimension')
        plev = prov['culture'][:, k]
        for i in order.tolist():
            room = load < C
            cand = np.nonzero(room & (plev == pat['culture'][i, k]))[0]
            if cand.size == 0:
                cand = np.nonzero(room)[0]
            j = cand[rng.integers(cand.size)]
            out[i] = j
            load[j] += 1
        return out
    if policy == 'min_distance':
        for i in order.tolist():
            d = distance_matrix(p['dimensions'], pat['culture'][i], prov['culture'])[0]
            d[load >= C] = np.inf
            j = int(np.argmin(d))
            out[i] = j
            load[j] += 1
        return out
    raise SystemExit('unknown assignment policy ' + policy)


# ---------------------------------------------------------------------------
# Dynamics (MODEL.md "Dynamics"), vectorised over pairs
# ---------------------------------------------------------------------------

ENGAGED, RECOVERED, COURSE_DONE, DROPPED, CENSORED = 0, 1, 2, 3, 4


def simulate_pairs(p, pairs, rng):
    """Run the weekly recurrence for a set of pairs.

    pairs: dict of 1-d arrays of equal length n: d (distance), h (provider humility),
    skill (sigma_j), u, gamma, m, b, lam, S0, and optionally eps (the provider's retention
    effect epsilon_j; 0 when absent).
    Version 2's terms (chi, Delta_T+, epsilon_j) enter with the values in p, which are 0
    under version 1 (finalise), where they change nothing: d (1 - 0 h) = d, x + 0 = x.
    Returns dict with A, T, S (horizon+1 x n, NaN after exit), D (bool), E (exit week),
    status, disc_week (-1 if never), ruptures, repaired (totals) and rup_n, rep_n (per pair).
    """
    H = p['horizon']
    course = p['course']
    policy = p['discussion.policy']
    k_week = p['discussion.week']
    b0, bs, bT, bd = (p['alliance.beta0'], p['alliance.beta_skill'],
                      p['alliance.beta_trust'], p['alliance.beta_distance'])
    kappa, sA = p['alliance.rate'], p['alliance.noise']
    drep, drup = p['rupture.repair_gain'], p['rupture.loss']
    r0, rd, rA = p['rupture.base'], p['rupture.distance'], p['rupture.low_alliance']
    th0, thh, thD = p['repair.base'], p['repair.humility'], p['repair.discussed']
    eta, dT = p['trust.rate'], p['trust.rupture_loss']
    psi, dnot = p['trust.undiscussed_erosion'], p['trust.notice_distance']
    phi, omega, pi = p['discussion.effect'], p['discussion.humility_share'], p['discussion.patient_raises']
    dS, sS = p['symptoms.stressor_jump'], p['symptoms.noise']
    S_max, S_rec = p['symptoms.max'], p['symptoms.recovered']
    e0, eA, eT, eb, eN = (p['dropout.base'], p['dropout.low_alliance'], p['dropout.low_trust'],
                          p['dropout.barrier'], p['dropout.stressor'])
    eE, tauE = p['dropout.early'], p['dropout.early_weeks']
    chi, dTp = p.get('humility.felt_distance', 0.0), p.get('trust.repair_gain', 0.0)

    d = np.asarray(pairs['d'], dtype=float)
    h = np.asarray(pairs['h'], dtype=float)
    base_x = b0 + bs * np.asarray(pairs['skill'], dtype=float) + np.asarray(pairs['u'], dtype=float)
    gam = np.asarray(pairs['gamma'], dtype=float)
    lam = np.asarray(pairs['lam'], dtype=float)
    bar = np.asarray(pairs['b'], dtype=float)
    n = d.size
    eps = np.asarray(pairs['eps'], dtype=float) if 'eps' in pairs else np.zeros(n)
    # the felt distance before any discussion: d_ij (1 - chi h_j) (v2; chi = 0 is v1)
    d_felt = d * (1.0 - chi * h)

    def d_eff(Dt, df, hh):
        """d_eff(D) = d_ij (1 - chi h_j) (1 - D phi (1 - omega + omega h_j)); df = d_ij (1 - chi h_j)."""
        return df * (1.0 - Dt * phi * (1.0 - omega + omega * hh))

    def A_star(Tt, Dt, bx, df, hh):
        return L(bx + bT * (Tt - 0.5) - bd * d_eff(Dt, df, hh))

    A = np.full((H + 1, n), np.nan)
    T = np.full((H + 1, n), np.nan)
    S = np.full((H + 1, n), np.nan)
    D = np.zeros((H + 1, n), dtype=bool)
    E = np.zeros(n, dtype=np.int64)
    status = np.full(n, ENGAGED, dtype=np.int64)
    disc_week = np.full(n, -1, dtype=np.int64)

    # Intake, week 0
    T[0] = 1.0 - np.asarray(pairs['m'], dtype=float)
    D0 = (policy == 'intake')
    D[0] = D0
    if D0:
        disc_week[:] = 0
    A[0] = A_star(T[0], D[0].astype(float), base_x, d_felt, h)
    S[0] = np.asarray(pairs['S0'], dtype=float)

    ruptures = 0
    repaired = 0
    rup_n = np.zeros(n, dtype=np.int64)
    rep_n = np.zeros(n, dtype=np.int64)
    idx = np.arange(n)
    for t in range(H):
        if idx.size == 0:
            break
        m_ = idx.size
        At, Tt, St = A[t, idx], T[t, idx], S[t, idx]
        Dt = D[t, idx].copy()
        dd, df, hh, bx = d[idx], d_felt[idx], h[idx], base_x[idx]

        # 1. discussion
        u1 = rng.random(m_)
        if policy == 'delayed' and t == k_week:
            new = ~Dt
        else:
            new = ~Dt & (u1 < pi * Tt)
        Dt |= new
        disc_week[idx[new]] = t
        Df = Dt.astype(float)

        # 2. stressors
        Nt = rng.poisson(lam[idx])

        # 3. rupture and repair
        rup = rng.random(m_) < L(r0 + rd * d_eff(Df, df, hh) + rA * (1.0 - At))
        rep = rup & (rng.random(m_) < L(th0 + thh * hh + thD * Df))
        unrep = rup & ~rep
        ruptures += int(rup.sum())
        repaired += int(rep.sum())
        rup_n[idx] += rup
        rep_n[idx] += rep

        # 4. responsive discussion
        Dn = Dt.copy()
        if policy == 'responsive':
            raise_ = unrep & ~Dt & (rng.random(m_) < hh)
            Dn |= raise_
            disc_week[idx[raise_]] = t + 1

        # 5. alliance
        A1 = clip(At + kappa * (A_star(Tt, Df, bx, df, hh) - At)
                  + drep * rep - drup * unrep + sA * rng.standard_normal(m_))
        # 6. trust (the erosion term uses d_ij itself, not the felt distance)
        erode = (~Dt) & (dd > dnot)
        T1 = trust_next(Tt, A1, unrep, rep, dd, erode, eta, dT, dTp, psi)
        # 7. symptoms
        S1 = np.minimum(np.maximum(St - gam[idx] * A1 * St + dS * Nt
                                   + sS * rng.standard_normal(m_), 0.0), S_max)

        D[t, idx] = Dt
        D[t + 1, idx] = Dn
        A[t + 1, idx] = A1
        T[t + 1, idx] = T1
        S[t + 1, idx] = S1

        # 8. exit at week t+1, first match wins
        rec = S1 < S_rec
        done = ~rec & (t + 1 >= course)
        hz = dropout_hazard(A1, T1, bar[idx], Nt, eps[idx], t, e0, eA, eT, eb, eN, eE, tauE)
        drop = ~rec & ~done & (rng.random(m_) < hz)
        cens = ~rec & ~done & ~drop & (t + 1 == H)
        st = np.full(m_, ENGAGED)
        st[rec] = RECOVERED
        st[done] = COURSE_DONE
        st[drop] = DROPPED
        st[cens] = CENSORED
        out = st != ENGAGED
        status[idx[out]] = st[out]
        E[idx[out]] = t + 1
        idx = idx[~out]

    return dict(A=A, T=T, S=S, D=D, E=E, status=status, disc_week=disc_week,
                ruptures=ruptures, repaired=repaired, rup_n=rup_n, rep_n=rep_n)


def trust_next(Tt, A1, unrep, rep, d, erode, eta, dT, dTp, psi):
    """Step 6: T_{t+1} = clip(T_t + eta (A_{t+1} - T_t) - Delta_T unrep + Delta_T+ rep
    - psi d_ij [D_t = 0 and d_ij > d_notice]) (erode is that bracket)."""
    return clip(Tt + eta * (A1 - Tt) - dT * unrep + dTp * rep - psi * d * erode)


def dropout_hazard(A1, T1, b, Nt, eps, t, e0, eA, eT, eb, eN, eE, tauE):
    """Step 8's weekly dropout probability at week t+1: L(delta0 + delta_A (1 - A_{t+1})
    + delta_T (1 - T_{t+1}) + delta_b b_i + delta_N N_t + eps_j + delta_E e^(-t/tau_E))."""
    return L(e0 + eA * (1.0 - A1) + eT * (1.0 - T1) + eb * b + eN * Nt + eps
             + eE * math.exp(-t / tauE))


# ---------------------------------------------------------------------------
# Observables
# ---------------------------------------------------------------------------

def groups_of_two(y, g):
    """y (as floats) of the members of groups with >= 2 members, their group index among
    those groups (0..k-1) and the k group sizes."""
    y = np.asarray(y, dtype=float)
    g = np.asarray(g)
    _, inv, counts = np.unique(g, return_inverse=True, return_counts=True)
    keep = counts[inv] >= 2
    y, inv = y[keep], inv[keep]
    _, inv, nj = np.unique(inv, return_inverse=True, return_counts=True)
    return y, inv, nj


def icc1(y, g):
    """One-way random-effects ANOVA ICC(1), unbalanced, groups with >= 2 members."""
    y, inv, nj = groups_of_two(y, g)
    k = nj.size
    Ntot = y.size
    if k < 2 or Ntot - k < 1:
        return float('nan')
    means = np.bincount(inv, weights=y) / nj
    grand = y.mean()
    ssb = float(np.sum(nj * (means - grand) ** 2))
    ssw = float(np.sum((y - means[inv]) ** 2))
    msb = ssb / (k - 1)
    msw = ssw / (Ntot - k)
    n0 = (Ntot - float(np.sum(nj.astype(float) ** 2)) / Ntot) / (k - 1)
    den = msb + (n0 - 1.0) * msw
    return (msb - msw) / den if den != 0 else float('nan')


def dropout_icc(y, g):
    """MODEL-v2.md's therapist effect on dropout: the latent-scale ICC by the method of
    moments. y: 1 if the pair dropped out, g: its provider. Over providers with n_j >= 2:
    p_j their dropout shares, pbar the share over their patients (pooled),
    s2_b = max(0, Var_j(p_j) - mean_j(pbar (1 - pbar) / n_j)) (Var_j: sample variance over
    providers, ddof 1), s2_u = s2_b / (pbar (1 - pbar))^2, ICC = s2_u / (s2_u + pi^2/3).
    NaN with fewer than 2 such providers or pbar 0 or 1."""
    y, inv, nj = groups_of_two(y, g)
    J = nj.size
    if J < 2:
        return float('nan')
    pj = np.bincount(inv, weights=y) / nj
    pbar = float(y.mean())
    q = pbar * (1.0 - pbar)
    if q <= 0.0:
        return float('nan')
    s2b = max(0.0, float(np.var(pj, ddof=1)) - float(np.mean(q / nj)))
    s2u = s2b / (q * q)
    return s2u / (s2u + math.pi ** 2 / 3.0)


def repair_outcome_r(rup_n, rep_n, E, improvement):
    """MODEL-v2.md: Pearson r of a pair's share of repaired ruptures (repaired / ruptures,
    over its whole stay) and its improvement, over pairs with >= 1 rupture and >= 3 sessions."""
    rup_n, rep_n, E = (np.asarray(v) for v in (rup_n, rep_n, E))
    sel = (rup_n >= 1) & (E >= 3)
    return pearson(rep_n[sel] / rup_n[sel], np.asarray(improvement, dtype=float)[sel])


def pearson(x, y):
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    if x.size < 2:
        return float('nan')
    xc, yc = x - x.mean(), y - y.mean()
    den = math.sqrt(float(np.sum(xc * xc)) * float(np.sum(yc * yc)))
    return float(np.sum(xc * yc)) / den if den > 0 else float('nan')


def culture_observables(p, pat, prov, prov_of, d):
    """Version 2's description of the assignment: the mean d_ij of the pairs and
    the mean share of the categorical dimensions on which patient and provider
    have the same level (NaN without a categorical dimension), overall and by group."""
    cat = [k for k, (_, kind, _, _) in enumerate(p['dimensions']) if kind == 'categorical']
    q = prov['culture'][prov_of]
    share = ((pat['culture'][:, cat] == q[:, cat]).mean(axis=1) if cat
             else np.full(d.size, np.nan))
    o = {'distance_mean': float(d.mean()), 'concordance': float(share.mean()),
         'distance_mean_by_group': {}, 'concordance_by_group': {}}
    for gi, name in enumerate(g['name'] for g in p['patient_groups']):
        sel = pat['group'] == gi
        o['distance_mean_by_group'][name] = float(d[sel].mean()) if sel.any() else float('nan')
        o['concordance_by_group'][name] = float(share[sel].mean()) if sel.any() else float('nan')
    return o


def observables(p, pat, prov_of, res):
    E, status = res['E'], res['status']
    n = E.size
    cols = np.arange(n)
    dropped = status == DROPPED
    o = {}
    o['dropout'] = float(dropped.mean())
    o['dropout_by_group'] = {}
    for gi, name in enumerate(g['name'] for g in p['patient_groups']):
        sel = pat['group'] == gi
        o['dropout_by_group'][name] = float(dropped[sel].mean()) if sel.any() else float('nan')
    o['early_dropout'] = float(((E[dropped] == 1) | (E[dropped] == 2)).mean()) if dropped.any() else float('nan')
    o['sessions_mean'] = float(E.mean())
    w = p['report.ambivalence_week']
    sel = E >= w
    o['ambivalence'] = (float((res['T'][w, sel] < p['report.ambivalence_threshold']).mean())
                        if sel.any() else float('nan'))
    S_exit = res['S'][E, cols]
    improvement = res['S'][0] - S_exit
    sel = E >= 3
    early_A = res['A'][1:4, sel].mean(axis=0)
    o['alliance_outcome_r'] = pearson(early_A, improvement[sel])
    o['therapist_icc'] = icc1(improvement, prov_of)
    pw = int(E.sum())
    o['rupture_rate'] = res['ruptures'] / pw if pw > 0 else float('nan')
    o['repaired_share'] = res['repaired'] / res['ruptures'] if res['ruptures'] > 0 else float('nan')
    dw = res['disc_week']
    o['discussed_share'] = float(((dw >= 0) & (dw <= E)).mean())
    o['recovered_share'] = float((status == RECOVERED).mean())
    # extras (not compared): the other exits
    o['completed_course_share'] = float((status == COURSE_DONE).mean())
    o['censored_share'] = float((status == CENSORED).mean())
    disc = (dw >= 0) & (dw <= E)
    o['discussion_week_mean'] = float(dw[disc].mean()) if disc.any() else float('nan')
    if p['model'] == 2:   # version 2's observables (version 1's output keeps its keys)
        o['therapist_dropout'] = dropout_icc(dropped, prov_of)
        o['repair_outcome_r'] = repair_outcome_r(res['rup_n'], res['rep_n'], E, improvement)
    return o


def run_once(p, seed):
    rng = np.random.Generator(np.random.PCG64(seed))
    pat, prov = make_population(p, rng)
    prov_of = assign(p, pat, prov, rng)
    pairs = dict(d=distance_pairs(p['dimensions'], pat['culture'], prov['culture'][prov_of]),
                 h=prov['h'][prov_of], skill=prov['skill'][prov_of], eps=prov['eps'][prov_of],
                 u=pat['u'], gamma=pat['gamma'], m=pat['m'], b=pat['b'],
                 lam=pat['lam'], S0=pat['S0'])
    res = simulate_pairs(p, pairs, rng)
    o = observables(p, pat, prov_of, res)
    if p['model'] == 2:
        o.update(culture_observables(p, pat, prov, prov_of, pairs['d']))
    return o


def flatten(o, prefix=''):
    out = {}
    for k, v in o.items():
        if isinstance(v, dict):
            for kk, vv in flatten(v, prefix + k + '.').items():
                out[kk] = vv
        else:
            out[prefix + k] = v
    return out


def summarise(runs):
    """Mean over replicates and sd across replicates (ddof=1; null if R < 2)."""
    R = len(runs)

    def mean_sd(vals):
        a = np.asarray(vals, dtype=float)
        m = float(np.mean(a))
        s = float(np.std(a, ddof=1)) if R >= 2 else None
        return (None if math.isnan(m) else m), (None if s is not None and math.isnan(s) else s)

    out = {}
    for key, v in runs[0].items():
        if isinstance(v, dict):
            out[key] = {}
            out[key + '_sd'] = {}
            for sub in v:
                m, s = mean_sd([r[key][sub] for r in runs])
                out[key][sub] = m
                out[key + '_sd'][sub] = s
        else:
            m, s = mean_sd([r[key] for r in runs])
            out[key] = m
            out[key + '_sd'] = s
    out['replicates'] = R
    return out


# ---------------------------------------------------------------------------
# Self-test: exact checks of the formulas
# ---------------------------------------------------------------------------

def self_test(defaults):
    """defaults: the reference scenario (load_scenario of `rapport show` of a scenario that
    sets only seed and counts). The values worked out by hand below are MODEL.md's
    defaults and reference population, so this also checks that `show` has them."""
    fails = checks = 0

    def check(name, got, want, tol=1e-12):
        nonlocal fails, checks
        checks += 1
        ok = abs(got - want) <= tol * max(1.0, abs(want))
        print('%s %s: got %.15g want %.15g' % ('PASS' if ok else 'FAIL', name, got, want))
        if not ok:
            fails += 1

    def check_eq(name, got, want):
        nonlocal fails, checks
        checks += 1
        ok = got == want
        print('%s %s: got %r want %r' % ('PASS' if ok else 'FAIL', name, got, want))
        if not ok:
            fails += 1

    # apportionment
    pshares = [g['share'] for g in defaults['patient_groups']]
    qshares = [g['share'] for g in defaults['provider_groups']]
    check_eq('apportion patients N=27', apportion(pshares, 27), [2, 14, 8, 3])
    check_eq('apportion patients N=20000', apportion(pshares, 20000), [1482, 10370, 5926, 2222])
    check_eq('apportion providers M=20', apportion(qshares, 20), [13, 3, 2, 2])
    check_eq('apportion providers M=1', apportion(qshares, 1), [1, 0, 0, 0])
    dims = defaults['dimensions']

    # d_ij: culture rows (ethnoracial, language, class, explanatory_model); weights 1, .6, .7, .8
    c = np.array([[0, 0, 0.2, 0.9]])               # white, english
    q = np.array([[0, 1, 0.5, 0.1],                # white, spanish
                  [2, 0, 0.2, 0.9],                # black, english, same continuous
                  [0, 0, 0.2, 0.9],                # identical
                  [3, 2, 1.0, 0.0]])               # both categoricals differ, class .8, em .9
    dm = distance_matrix(dims, c, q)[0]
    check('d: one categorical + two continuous', dm[0], math.sqrt((0.6 * 1 + 0.7 * 0.09 + 0.8 * 0.64) / 3.1))
    check('d: ethnoracial only', dm[1], math.sqrt(1.0 / 3.1))
    check('d: identical', dm[2], 0.0)
    check('d: all differ', dm[3], math.sqrt((1.0 + 0.6 + 0.7 * 0.64 + 0.8 * 0.81) / 3.1))
    check('d: extreme = 1', distance_matrix(dims, np.array([[0, 0, 0.0, 1.0]]),
                                             np.array([[1, 1, 1.0, 0.0]]))[0, 0], 1.0)
    check('d: pairs == matrix', float(distance_pairs(dims, c, q[:1])[0]), dm[0])

    # A*: skill .5, u -.2, T .7, d .4, D 1, h .6: d_eff = .4(1 - .6(1 - .5 + .5*.6)) = .208
    p = dict(defaults)
    phi, om = p['discussion.effect'], p['discussion.humility_share']
    deff = 0.4 * (1 - 1 * phi * (1 - om + om * 0.6))
    check('d_eff', deff, 0.208)
    x = 1.0 + 1.0 * 0.5 - 0.2 + 2.0 * (0.7 - 0.5) - 1.2 * 0.208     # = 1.4504
    check('A* argument', x, 1.4504, 1e-12)
    check('A* value', float(L(x)), 1.0 / (1.0 + math.exp(-1.4504)))
    check('A* value literal', float(L(x)), 0.810060, 1e-6)

    rng = np.random.Generator(np.random.PCG64(0))

    # Deterministic pair 1: policy never, all noise off, no ruptures, no dropout.
    q1 = dict(defaults)
    for k_, v in {'alliance.noise': 0.0, 'symptoms.noise': 0.0, 'discussion.patient_raises': 0.0,
                  'rupture.base': -1e9, 'dropout.base': -1e9}.items():
        q1[k_] = v
    pair = dict(d=[0.5], h=[0.4], skill=[0.2], u=[0.1], gamma=[0.1], m=[0.3], b=[0.2], lam=[0.0], S0=[20.0])
    r = simulate_pairs(q1, pair, rng)
    Lf = lambda z: 1.0 / (1.0 + math.exp(-z))
    # by hand: A* argument = 1 + .2 + .1 + 2 (T - .5) - 1.2 * .5 ; erosion .02 * .5 each week (d > .3, D = 0)
    T0 = 0.7
    A0 = Lf(1 + 0.2 + 0.1 + 2 * (T0 - 0.5) - 0.6)              # L(1.1)
    S0 = 20.0
    A1 = A0 + 0.3 * (Lf(1.1) - A0)                               # = A0
    T1 = T0 + 0.15 * (A1 - T0) - 0.02 * 0.5
    S1 = S0 - 0.1 * A1 * S0
    A2 = A1 + 0.3 * (Lf(0.7 + 2 * (T1 - 0.5)) - A1)
    T2 = T1 + 0.15 * (A2 - T1) - 0.01
    S2 = S1 - 0.1 * A2 * S1
    A3 = A2 + 0.3 * (Lf(0.7 + 2 * (T2 - 0.5)) - A2)
    T3 = T2 + 0.15 * (A3 - T2) - 0.01
    S3 = S2 - 0.1 * A3 * S2
    check('pair1 A0 literal', r['A'][0, 0], 0.750260105595, 1e-9)
    check('pair1 T1 literal', r['T'][1, 0], 0.697539015839, 1e-9)
    check('pair1 S1 literal', r['S'][1, 0], 18.4994797888, 1e-9)
    for w, (a, t_, s) in enumerate([(A0, T0, S0), (A1, T1, S1), (A2, T2, S2), (A3, T3, S3)]):
        check('pair1 A_%d' % w, r['A'][w, 0], a)
        check('pair1 T_%d' % w, r['T'][w, 0], t_)
        check('pair1 S_%d' % w, r['S'][w, 0], s)
    check_eq('pair1 exit week (course)', int(r['E'][0]), 16)
    check_eq('pair1 status course done', int(r['status'][0]), COURSE_DONE)
    check_eq('pair1 never discussed', int(r['disc_week'][0]), -1)
    check_eq('pair1 no ruptures', r['ruptures'], 0)

    # Deterministic pair 2: responsive, rupture every week, never repaired, h = 1 so the
    # provider raises the difference after the first unrepaired rupture: D_1 = 1.
    q2 = dict(q1)
    q2['rupture.base'] = 1e9
    q2['repair.base'] = -1e9
    q2['discussion.policy'] = 'responsive'
    pair2 = dict(pair, h=[1.0])
    r = simulate_pairs(q2, pair2, rng)
    deff1 = 0.5 * (1 - 0.6 * (1 - 0.5 + 0.5 * 1.0))            # = 0.2
    A0 = Lf(1.1)
    A1 = A0 + 0.3 * (Lf(1.1) - A0) - 0.10
    T1 = 0.7 + 0.15 * (A1 - 0.7) - 0.08 - 0.02 * 0.5
    S1 = 20 - 0.1 * A1 * 20
    A2 = A1 + 0.3 * (Lf(1.3 + 2 * (T1 - 0.5) - 1.2 * deff1) - A1) - 0.10
    T2 = T1 + 0.15 * (A2 - T1) - 0.08                             # discussed: no erosion
    S2 = S1 - 0.1 * A2 * S1
    A3 = A2 + 0.3 * (Lf(1.3 + 2 * (T2 - 0.5) - 1.2 * deff1) - A2) - 0.10
    T3 = T2 + 0.15 * (A3 - T2) - 0.08
    S3 = S2 - 0.1 * A3 * S2
    for w, (a, t_, s) in enumerate([(A0, 0.7, 20.0), (A1, T1, S1), (A2, T2, S2), (A3, T3, S3)]):
        check('pair2 A_%d' % w, r['A'][w, 0], a)
        check('pair2 T_%d' % w, r['T'][w, 0], t_)
        check('pair2 S_%d' % w, r['S'][w, 0], s)
    check_eq('pair2 discussion week (responsive, t+1)', int(r['disc_week'][0]), 1)
    check_eq('pair2 D_0, D_1', (bool(r['D'][0, 0]), bool(r['D'][1, 0])), (False, True))
    check_eq('pair2 ruptures = exit week', r['ruptures'], int(r['E'][0]))
    check_eq('pair2 none repaired', r['repaired'], 0)

    # Deterministic pair 3: delayed k = 2 (pi = 0): D_2 = 1 in step 1 of week 2.
    q3 = dict(q1)
    q3['discussion.policy'] = 'delayed'
    q3['discussion.week'] = 2
    r = simulate_pairs(q3, pair, rng)
    check_eq('pair3 delayed discussion week', int(r['disc_week'][0]), 2)
    check_eq('pair3 D_0..D_3', [bool(x) for x in r['D'][:4, 0]], [False, False, True, True])
    # intake: D_0 = 1, A_0 = A*(T_0, 1)
    q4 = dict(q1)
    q4['discussion.policy'] = 'intake'
    r = simulate_pairs(q4, pair, rng)
    check('pair4 intake A_0', r['A'][0, 0], Lf(1.3 + 0.4 - 1.2 * 0.5 * (1 - 0.6 * (0.5 + 0.5 * 0.4))))
    check_eq('pair4 intake discussion week', int(r['disc_week'][0]), 0)

    # Deterministic pair 5: recovery exit and certain dropout.
    q5 = dict(q1)
    q5['dropout.base'] = 1e9
    r = simulate_pairs(q5, dict(pair, S0=[5.2]), rng)   # S_1 = 5.2 (1 - .1 A_1) < 5: recovered first
    check_eq('pair5 recovered at week 1', (int(r['E'][0]), int(r['status'][0])), (1, RECOVERED))
    r = simulate_pairs(q5, pair, rng)
    check_eq('pair5 dropped at week 1', (int(r['E'][0]), int(r['status'][0])), (1, DROPPED))
    # censoring when course > horizon
    q6 = dict(q1)
    q6['course'] = 40
    r = simulate_pairs(q6, dict(pair, gamma=[0.0]), rng)
    check_eq('pair6 censored at horizon', (int(r['E'][0]), int(r['status'][0])), (26, CENSORED))

    # ICC(1) on a small unbalanced example, by hand: groups {1,2,3}, {4,6}, {10} (dropped: n=1)
    # grand mean of kept = 16/5 = 3.2; means 2, 5; SSB = 3(1.44) + 2(3.24) = 10.8; MSB = 10.8
    # SSW = 2 + 2 = 4; MSW = 4/3; n0 = (5 - 13/5)/1 = 2.4
    want = (10.8 - 4 / 3) / (10.8 + 1.4 * 4 / 3)
    check('icc1 hand', icc1([1, 2, 3, 4, 6, 10], [0, 0, 0, 1, 1, 2]), want)
    # x - mean = -1,0,1; y - mean = -7/3,-1/3,8/3: sxy = 5, sxx = 2, syy = 114/9
    check('pearson', pearson([1, 2, 3], [2, 4, 7]), 5 / math.sqrt(2 * 114 / 9))

    # random assignment fills every provider exactly when capacity = N
    qa = dict(defaults)
    qa['patients.count'], qa['providers.count'] = 400, 20
    pat, prov = make_population(qa, rng)
    a = assign(qa, pat, prov, rng)
    check_eq('random assignment loads', sorted(set(np.bincount(a, minlength=20).tolist())), [20])
    qa['assignment.policy'] = 'same_group'
    a = assign(qa, pat, prov, rng)
    check_eq('same_group loads', sorted(set(np.bincount(a, minlength=20).tolist())), [20])
    qa['assignment.policy'] = 'min_distance'
    a = assign(qa, pat, prov, rng)
    check_eq('min_distance loads', sorted(set(np.bincount(a, minlength=20).tolist())), [20])

    # ---- version 2 (MODEL-v2.md), hand-computed ----
    v2 = dict(defaults)
    v2.update({'model': 2, 'humility.felt_distance': 0.3, 'trust.repair_gain': 0.05,
               'providers.retention_sd': 0.5, 'patients.gradient.dimension': 'class',
               'patients.gradient.barrier': -1.5, 'patients.gradient.stressor_rate': -1.0,
               'patients.gradient.mistrust': 0.0})

    # d_eff with chi: d .4, h .6, chi .3: .4 (1 - .18) = .328; discussed: .328 (1 - .6 (.5 + .3)) = .17056
    off = dict(v2, **{'alliance.noise': 0.0, 'symptoms.noise': 0.0, 'discussion.patient_raises': 0.0,
                      'dropout.base': -1e9})
    # pair V2a: rupture every week, always repaired; chi .3, Delta_T+ .05, d .5, h .4
    qv = dict(off, **{'rupture.base': 1e9, 'repair.base': 1e9})
    r = simulate_pairs(qv, pair, rng)
    df = 0.5 * (1 - 0.3 * 0.4)                                   # .44
    T0 = 0.7
    A0 = Lf(1.3 + 2 * (T0 - 0.5) - 1.2 * df)                      # L(1.172)
    A1 = min(A0 + 0.3 * (Lf(1.3 + 2 * (T0 - 0.5) - 1.2 * df) - A0) + 0.03, 0.999)
    T1 = T0 + 0.15 * (A1 - T0) + 0.05 - 0.02 * 0.5               # erosion uses d = .5, not .44
    A2 = min(A1 + 0.3 * (Lf(1.3 + 2 * (T1 - 0.5) - 1.2 * df) - A1) + 0.03, 0.999)
    T2 = T1 + 0.15 * (A2 - T1) + 0.05 - 0.01
    A3 = min(A2 + 0.3 * (Lf(1.3 + 2 * (T2 - 0.5) - 1.2 * df) - A2) + 0.03, 0.999)
    T3 = T2 + 0.15 * (A3 - T2) + 0.05 - 0.01
    check('v2 pairV2a A0 literal (chi in d_eff)', r['A'][0, 0], 0.7635063348491598, 1e-12)
    for w, (a, t_) in enumerate([(A0, T0), (A1, T1), (A2, T2), (A3, T3)]):
        check('v2 pairV2a A_%d' % w, r['A'][w, 0], a)
        check('v2 pairV2a T_%d (Delta_T+ on repair)' % w, r['T'][w, 0], t_)
    check_eq('v2 pairV2a per-pair ruptures = repaired = exit week',
             (int(r['rup_n'][0]), int(r['rep_n'][0])), (int(r['E'][0]), int(r['E'][0])))
    # pair V2b: no ruptures, d .32 > d_notice but d (1 - chi h) = .2816 < d_notice: the
    # erosion term uses d_ij (its bracket and its size), not the felt distance
    r = simulate_pairs(dict(off, **{'rupture.base': -1e9}), dict(pair, d=[0.32]), rng)
    A0 = Lf(1.7 - 1.2 * 0.32 * (1 - 0.3 * 0.4))
    check('v2 pairV2b T_1 erodes by psi d_ij', r['T'][1, 0], 0.7 + 0.15 * (A0 - 0.7) - 0.02 * 0.32)
    check('v2 pairV2b T_1 literal', r['T'][1, 0], 0.7080146316384182, 1e-12)
    # per-pair counts when no rupture is repaired (responsive pair 2, version 1 values)
    r = simulate_pairs(q2, pair2, rng)
    check_eq('per-pair ruptures = exit week, repaired 0 (never repaired)',
             (int(r['rup_n'][0]), int(r['rep_n'][0])), (int(r['E'][0]), 0))
    # discussed (intake): A*(T0, 1) with d_eff = .44 (1 - .6 (.5 + .2)) = .2552
    r = simulate_pairs(dict(off, **{'discussion.policy': 'intake'}), pair, rng)
    check('v2 intake A_0 (chi and discussion)', r['A'][0, 0], Lf(1.7 - 1.2 * 0.44 * (1 - 0.6 * 0.7)))
    # trust update: T .6, A_{t+1} .7, d .4 eroding; eta .15, Delta_T .08, Delta_T+ .05, psi .02
    check('v2 trust repaired', float(trust_next(0.6, 0.7, 0, 1, 0.4, 1, 0.15, 0.08, 0.05, 0.02)), 0.657)
    check('v2 trust unrepaired', float(trust_next(0.6, 0.7, 1, 0, 0.4, 1, 0.15, 0.08, 0.05, 0.02)), 0.527)
    check('v2 trust no rupture, no erosion', float(trust_next(0.6, 0.7, 0, 0, 0.4, 0, 0.15, 0.08, 0.05, 0.02)),
          0.615)
    check('v2 trust clipped at .999', float(trust_next(0.99, 0.999, 0, 1, 0.1, 0, 0.15, 0.08, 0.05, 0.02)), 0.999)
    # dropout hazard: A .7, T .6, b .4, N 2, eps .3, t 1, v1-calibrated delta0 -8.1187, delta_E 3.962
    hz = lambda eps, t: float(dropout_hazard(0.7, 0.6, 0.4, 2, eps, t, -8.1187, 2.0, 1.5, 1.0, 0.4, 3.962, 1.5))
    check('v2 hazard with eps_j literal', hz(0.3, 1), 0.03278209356497781, 1e-12)
    check('v2 hazard eps_j shifts the logit', math.log(hz(0.3, 1) / (1 - hz(0.3, 1)))
          - math.log(hz(0.0, 1) / (1 - hz(0.0, 1))), 0.3, 1e-9)
    check('v2 hazard exit at week 1 has e^0', hz(0.0, 0), Lf(-8.1187 + 0.6 + 0.6 + 0.4 + 0.8 + 3.962))
    # eps_j inside the weekly recurrence: hazard L(eps) alone
    qe = dict(off, **{'dropout.base': 0.0, 'dropout.low_alliance': 0.0, 'dropout.low_trust': 0.0,
                      'dropout.barrier': 0.0, 'dropout.stressor': 0.0, 'dropout.early': 0.0})
    r = simulate_pairs(qe, dict(pair, eps=[1e9]), rng)
    check_eq('v2 eps_j = +inf: dropped at week 1', (int(r['E'][0]), int(r['status'][0])), (1, DROPPED))
    r = simulate_pairs(qe, dict(pair, eps=[-1e9]), rng)
    check_eq('v2 eps_j = -inf: course done', (int(r['E'][0]), int(r['status'][0])), (16, COURSE_DONE))
    # the gradient: c .2 (c - 1/2 = -.3), b .3, lam .1, m .4; g_b -1.5, g_lam -1, g_m .5
    gb, gl, gm = deprivation_gradient([0.2], [0.3], [0.1], [0.4], -1.5, -1.0, 0.5)
    check('v2 gradient barrier L(logit .3 + .45)', float(gb[0]), 0.4019617307425396)
    check('v2 gradient stressor .1 e^.3', float(gl[0]), 0.13498588075760032)
    check('v2 gradient mistrust L(logit .4 - .15)', float(gm[0]), 0.36459739409550873)
    gb, gl, gm = deprivation_gradient([0.9], [0.3], [0.1], [0.4], 0.0, 0.0, 0.0)
    check_eq('v2 gradient coefficients 0: traits exactly as drawn',
             (float(gb[0]), float(gl[0]), float(gm[0])), (0.3, 0.1, 0.4))
    gb, gl, gm = deprivation_gradient([0.5], [0.3], [0.1], [0.4], -1.5, -1.0, 0.5)
    check('v2 gradient c = 1/2: barrier unchanged', float(gb[0]), 0.3)
    check_eq('v2 gradient c = 1/2: stressor rate unchanged', float(gl[0]), 0.1)
    # the gradient in the population: latinx (class Beta(2,5), mean 2/7) face more barrier
    qg = dict(v2)
    qg['patients.count'], qg['providers.count'] = 400, 20
    pat_g, _ = make_population(qg, np.random.Generator(np.random.PCG64(11)))
    qg['patients.gradient.dimension'] = 'none'
    pat_n, _ = make_population(qg, np.random.Generator(np.random.PCG64(11)))
    kc = [d_[0] for d_ in dims].index('class')
    cg = pat_g['culture'][:, kc] - 0.5
    check('v2 population barrier = L(logit(b) - 1.5 (c - 1/2))',
          float(np.max(np.abs(pat_g['b'] - L(logit(pat_n['b']) - 1.5 * cg)))), 0.0, 1e-12)
    check('v2 population stressor = lam exp(-(c - 1/2))',
          float(np.max(np.abs(pat_g['lam'] - pat_n['lam'] * np.exp(-cg)))), 0.0, 1e-12)
    check_eq('v2 population mistrust, g_m = 0: unchanged', bool(np.array_equal(pat_g['m'], pat_n['m'])), True)

    # the retention effect eps_j ~ N(0, sd_retention), independent of skill (fixed seed, 4 SE)
    qr = dict(v2, **{'patients.count': 8000, 'providers.count': 400})
    _, prov_r = make_population(qr, np.random.Generator(np.random.PCG64(8)))
    check('v2 eps_j sample sd = .5 within 4 SE', float(np.std(prov_r['eps'], ddof=1)), 0.5,
          4 * 0.5 / math.sqrt(2 * 399))
    check('v2 eps_j uncorrelated with skill (|r| <= 4/sqrt(M))', pearson(prov_r['eps'], prov_r['skill']), 0.0,
          4 / math.sqrt(400))
    check_eq('v1 has no retention effect', bool(np.all(make_population(
        dict(qr, model=1), np.random.Generator(np.random.PCG64(8)))[1]['eps'] == 0.0)), True)
    # eps_j reaches the pairs of a run: sd_retention 50 -> each provider keeps all or loses
    # all, and the estimator is near its ceiling (1/q)/(1/q + pi^2/3), q = pbar (1 - pbar): .55
    # at pbar = 1/2 (sd_retention 0: about .08 with this seed; .5: about .13)
    o = run_once(dict(v2, **{'patients.count': 2000, 'providers.count': 100, 'providers.retention_sd': 50.0}), 4)
    check_eq('v2 run: sd_retention 50 -> therapist effect on dropout > .45', bool(o['therapist_dropout'] > 0.45),
             True)

    # the truncated normal (u -> Phi^-1(Phi(a) + u (Phi(b) - Phi(a)))); literals from scipy's truncnorm
    check('Phi_inv(.975)', float(Phi_inv([0.975])[0]), 1.959963984540054, 1e-13)
    check('Phi_inv(1e-10)', float(Phi_inv([1e-10])[0]), -6.361340902404056, 1e-12)
    xs = np.linspace(-7, 5, 121)      # above 5, Phi(x) itself rounds (1 - Phi < 3e-7)
    check('Phi_inv(Phi(x)) = x on [-7, 5]', float(np.max(np.abs(Phi_inv(Phi(xs)) - xs))), 0.0, 1e-9)
    tn = lambda u, *a: float(truncated_normal(np.array([u]), *a)[0])
    check('truncnorm(15, 4; 5, 27) median', tn(0.5, 15, 4, 5, 27), 15.024363410855374, 1e-12)
    check('truncnorm(15, 4; 5, 27) u = .1', tn(0.1, 15, 4, 5, 27), 9.995703315503391, 1e-12)
    check('truncnorm(15, 4; 5, 27) u = 0 -> S_rec', tn(0.0, 15, 4, 5, 27), 5.0, 1e-12)
    check('truncnorm(15, 4; 5, 27) u -> 1 -> S_max', tn(1 - 2 ** -53, 15, 4, 5, 27), 27.0, 1e-9)
    check('truncnorm upper tail (0, 1; 2, 3) u = .3', tn(0.3, 0, 1, 2, 3), 2.136236723579322, 1e-11)
    check('truncnorm far upper tail (0, 1; 9, 10) median', tn(0.5, 0, 1, 9, 10), 9.075779713738546, 1e-10)
    check('truncnorm far lower tail (0, 1; -10, -9) median', tn(0.5, 0, 1, -10, -9), -9.075779713738546, 1e-10)
    check('truncnorm lower tail mirrors the upper', tn(0.7, 0, 1, -3, -2), -tn(0.3, 0, 1, 2, 3), 1e-11)
    # moments: a deterministic midpoint grid (quadrature) and 200,000 seeded uniforms (4 SE)
    grid = truncated_normal((np.arange(200000) + 0.5) / 200000, 15.0, 4.0, 5.0, 27.0)
    check('truncnorm mean (grid)', float(grid.mean()), 15.052784838658672, 1e-6)
    check('truncnorm variance (grid)', float(grid.var()), 15.076392006902486, 1e-4)
    u = np.random.Generator(np.random.PCG64(20261201)).random(200000)
    x = truncated_symptoms(('normal', 15.0, 4.0), u, 5.0, 27.0, 'self-test')
    check_eq('truncnorm draws within [S_rec, S_max]', bool(x.min() >= 5.0 and x.max() <= 27.0), True)
    check_eq('truncnorm no mass at S_rec or S_max', int(np.sum((x == 5.0) | (x == 27.0))), 0)
    se_m = math.sqrt(15.076392006902486 / x.size)
    se_v = math.sqrt(float(np.mean((x - x.mean()) ** 4)) - float(x.var()) ** 2) / math.sqrt(x.size)
    # z of the sample mean and variance: passes when |z| <= 4
    check('truncnorm sample mean: z within 4', (float(x.mean()) - 15.052784838658672) / se_m, 0.0, 4.0)
    check('truncnorm sample variance: z within 4', (float(x.var()) - 15.076392006902486) / se_v, 0.0, 4.0)
    # in the population: version 2 has no mass at S_rec, version 1 (clamped) has some
    qs = dict(v2, **{'patients.count': 20000, 'providers.count': 1000})
    qs['symptoms.recovered'] = 12.0            # a deep cut: P(S0 < 12) = Phi(-.75) = .23
    pat_t, _ = make_population(qs, np.random.Generator(np.random.PCG64(5)))
    qs['model'] = 1
    pat_c, _ = make_population(qs, np.random.Generator(np.random.PCG64(5)))
    check_eq('v2 population S0 in [S_rec, S_max], no mass at S_rec',
             (bool(pat_t['S0'].min() >= 12.0), int(np.sum(pat_t['S0'] == 12.0))), (True, 0))
    check_eq('v1 population S0 clamped: mass at S_rec', bool(np.mean(pat_c['S0'] == 12.0) > 0.2), True)

    # therapist effect on dropout (latent ICC by moments), by hand: providers
    # {1,0,1,0}, {0,0,0,0,0,1}, {1,1,0}, {1} (n = 1: left out). p_j 1/2, 1/6, 2/3; pbar 5/13;
    # Var(p_j) (ddof 1) = 7/108; mean(pbar(1-pbar)/n_j) = (40/169)(1/4) = 10/169;
    # s2_b = 103/18252; s2_u = s2_b / (40/169)^2; ICC = s2_u / (s2_u + pi^2/3)
    yd = [1, 0, 1, 0, 0, 0, 0, 0, 0, 1, 1, 1, 0, 1]
    gd = [0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 2, 2, 2, 3]
    s2u = Fraction(103, 18252) / Fraction(40, 169) ** 2
    check('dropout ICC hand', dropout_icc(yd, gd), float(s2u) / (float(s2u) + math.pi ** 2 / 3))
    check('dropout ICC hand literal', dropout_icc(yd, gd), 0.029710040104088137, 1e-12)
    check('dropout ICC: a provider with one patient changes nothing', dropout_icc(yd[:-1], gd[:-1]),
          dropout_icc(yd, gd))
    # max(0, .) branch: every p_j = 1/2: Var 0 - .25 / 2 < 0 -> s2_b = 0 -> ICC 0
    check_eq('dropout ICC max(0, .) branch', dropout_icc([1, 0, 0, 1, 1, 0], [0, 0, 1, 1, 2, 2]), 0.0)
    check_eq('dropout ICC: providers with one patient only -> nan',
             math.isnan(dropout_icc([1, 0, 1], [0, 1, 2])), True)
    check_eq('dropout ICC: no dropout -> nan', math.isnan(dropout_icc([0, 0, 0, 0], [0, 0, 1, 1])), True)
    # repair-outcome r, by hand: pairs (ruptures, repaired, sessions, improvement):
    # (2,1,5,3), (4,4,3,6), (1,0,10,1) kept; (0,0,8,9) no rupture; (3,3,2,7) < 3 sessions.
    # x = .5, 1, 0; y = 3, 6, 1: sxy = 2.5, sxx = .5, syy = 114/9
    check('repair-outcome r hand', repair_outcome_r([2, 4, 1, 0, 3], [1, 4, 0, 0, 3], [5, 3, 10, 8, 2],
                                                    [3.0, 6.0, 1.0, 9.0, 7.0]),
          2.5 / math.sqrt(0.5 * 114 / 9))

    # with every new coefficient 0, version 2 is version 1 pair by pair (same draws)
    z2 = dict(defaults, **{'model': 2, 'humility.felt_distance': 0.0, 'trust.repair_gain': 0.0})
    pr = dict(d=[0.5, 0.1, 0.8], h=[0.4, 0.9, 0.2], skill=[0.2, -1.0, 0.5], u=[0.1, 0.3, -0.5],
              gamma=[0.1, 0.05, 0.2], m=[0.3, 0.6, 0.5], b=[0.2, 0.5, 0.7], lam=[0.1, 0.0, 0.3],
              S0=[20.0, 12.0, 25.0])
    same = True
    for pol in POLICIES:
        r1 = simulate_pairs(dict(defaults, **{'discussion.policy': pol}), pr, np.random.Generator(np.random.PCG64(3)))
        r2 = simulate_pairs(dict(z2, **{'discussion.policy': pol}), dict(pr, eps=[0.0, 0.0, 0.0]),
                            np.random.Generator(np.random.PCG64(3)))
        same &= all(np.array_equal(r1[k], r2[k], equal_nan=True) for k in ('A', 'T', 'S'))
        same &= all(np.array_equal(r1[k], r2[k]) for k in ('D', 'E', 'status', 'disc_week', 'rup_n', 'rep_n'))
    check_eq('v2 with chi = Delta_T+ = eps = 0 equals v1 pair by pair (all policies)', same, True)

    # *Stated in v2* sentences
    check_eq('stated: remainder ties to the earlier group (2 of 4 equal shares)',
             apportion([Fraction(1, 4)] * 4, 2), [1, 1, 0, 0])
    r = simulate_pairs(q1, dict(pair, m=[0.0005]), rng)
    check_eq('stated: T_0 not clipped (m = .0005 -> T_0 = .9995)', float(r['T'][0, 0]), 1.0 - 0.0005)
    q7 = dict(q1, **{'discussion.policy': 'delayed', 'discussion.week': 0})
    r = simulate_pairs(q7, pair, rng)
    check('stated: delayed week 0 sets D after A_0 = A*(T_0, 0)', r['A'][0, 0], Lf(1.1))
    check_eq('stated: delayed week 0: D_0 = 1 from step 1, discussion week 0',
             (bool(r['D'][0, 0]), int(r['disc_week'][0])), (True, 0))
    A1 = Lf(1.1) + 0.3 * (Lf(1.3 + 0.4 - 1.2 * 0.5 * (1 - 0.6 * 0.7)) - Lf(1.1))
    check('stated: delayed week 0: A_1 pulled toward A*(T_0, 1)', r['A'][1, 0], A1)
    # the patient raises it under every policy: pi huge, delayed k = 10 -> week 0 already
    r = simulate_pairs(dict(q1, **{'discussion.policy': 'delayed', 'discussion.week': 10,
                                   'discussion.patient_raises': 1e9}), pair, rng)
    check_eq('stated: the patient raises it under delayed before week k', int(r['disc_week'][0]), 0)
    r = simulate_pairs(dict(q2, **{'discussion.patient_raises': 1e9}), pair2, rng)
    check_eq('stated: the patient raises it under responsive', int(r['disc_week'][0]), 0)
    # responsive raise in the exit week counts as discussed by the exit
    r = simulate_pairs(dict(q2, **{'dropout.base': 1e9}), pair2, rng)
    o = observables(q2, {'group': np.array([0])}, np.array([0]), r)
    check_eq('stated: responsive raise in the exit week (D_1, exit 1) counts as discussed',
             (int(r['disc_week'][0]), int(r['E'][0]), o['discussed_share']), (1, 1, 1.0))
    # min_distance: ties to the lowest provider index
    qm = dict(defaults, **{'assignment.policy': 'min_distance'})
    cult = np.array([[0, 0, 0.5, 0.5]] * 3)
    a = assign(qm, {'S0': np.zeros(3), 'culture': cult}, {'skill': np.zeros(3), 'culture': cult, 'capacity': 2}, rng)
    check_eq('stated: min_distance ties to the lowest provider index', np.bincount(a, minlength=3).tolist(), [2, 1, 0])

    print('%d passed, %d failed' % (checks - fails, fails))
    return 1 if fails else 0


# ---------------------------------------------------------------------------
# CLI
# ---------------------------------------------------------------------------

COMPARED = ['dropout', 'dropout_by_group', 'early_dropout', 'sessions_mean', 'ambivalence',
            'alliance_outcome_r', 'therapist_icc', 'rupture_rate', 'repaired_share',
            'discussed_share', 'recovered_share']


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--scenario', required=True, metavar='SHOW.yaml',
                    help='the resolved scenario, as `rapport show SCENARIO` writes it')
    ap.add_argument('--patients', type=int, default=None)
    ap.add_argument('--per-provider', type=int, default=None)
    ap.add_argument('--policy', choices=POLICIES, default=None)
    ap.add_argument('--week', type=int, default=None)
    ap.add_argument('--assignment', choices=ASSIGNMENTS, default=None)
    ap.add_argument('--seed', type=int, default=None)
    ap.add_argument('--replicates', type=int, default=1)
    ap.add_argument('--set', action='append', default=[], metavar='NAME=VALUE')
    ap.add_argument('--json', action='store_true')
    ap.add_argument('--self-test', action='store_true')
    a = ap.parse_args(argv)
    p = load_scenario(a.scenario)
    if a.self_test:
        return self_test(finalise(p))
    if a.per_provider is not None:
        set_param(p, 'providers.caseload', a.per_provider)
    if a.patients is not None or a.per_provider is not None:
        if a.patients is not None:
            set_param(p, 'patients.count', a.patients)
        set_param(p, 'providers.count', -(-p['patients.count'] // p['providers.caseload']))
    if a.seed is not None:
        set_param(p, 'seed', a.seed)    # --set seed=S overrides --seed
    if a.policy is not None:
        set_param(p, 'discussion.policy', a.policy)
    if a.week is not None:
        set_param(p, 'discussion.week', a.week)
    if a.assignment is not None:
        set_param(p, 'assignment.policy', a.assignment)
    for s in a.set:
        if '=' not in s:
            raise SystemExit('--set wants name=value, got %r' % s)
        k, v = s.split('=', 1)
        set_param(p, k.strip(), v.strip())
    if a.replicates < 1:
        raise SystemExit('--replicates must be >= 1')
    finalise(p)

    seed = p['seed']
    runs = [run_once(p, seed + r) for r in range(a.replicates)]
    summ = summarise(runs)
    if a.json:
        print(json.dumps(summ, sort_keys=False))
        return 0
    print('reference model, N=%d M=%d C=%d policy=%s assignment=%s seeds %d..%d'
          % (p['patients.count'], p['providers.count'], p['providers.caseload'], p['discussion.policy'],
             p['assignment.policy'], seed, seed + a.replicates - 1))
    fs, fsd = flatten({k: v for k, v in summ.items() if not k.endswith('_sd') and k != 'replicates'}), \
        flatten({k[:-3]: v for k, v in summ.items() if k.endswith('_sd')})
    for k, v in fs.items():
        sd = fsd.get(k)
        print('  %-28s %10s   sd %s' % (k, 'nan' if v is None else '%.4f' % v,
                                        '-' if sd is None else '%.4f' % sd))
    return 0


if __name__ == '__main__':
    sys.exit(main())
