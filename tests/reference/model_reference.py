#!/usr/bin/python3
"""Independent reference implementation of MODEL.md version 1 (Python + numpy).

A test oracle for the C simulator *within Monte Carlo error*: it does not share the
C code's random streams, only the model.  Its model code is written from
/work/shared/MODEL.md alone, vectorised over pairs.  Its parameter values, defaults and
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
# Keys of `show` that change nothing in a run of the model (how runs are repeated and
# stored); accepted and ignored.
NOT_MODEL = {'replicates', 'output.variables', 'output.every', 'output.sample', 'output.pairs',
             'output.compression', 'output.level', 'sweep.streams'}
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
    for top, v in tree.items():
        if top == 'sweep':
            axes = set(v) - {'streams'}
            if axes:
                unknown('sweep axes', {'sweep.' + a for a in axes})
        if isinstance(v, dict):
            for k, x in v.items():
                seen.add('%s.%s' % (top, k))
                if k not in ('groups', 'dimensions'):
                    p['%s.%s' % (top, k)] = x
        else:
            seen.add(top)
            p[top] = v
    extra = seen - MODEL_PARAMS - NOT_MODEL - POPULATION
    if extra:
        unknown('parameter(s)', extra)
    missing = MODEL_PARAMS - seen
    if missing:
        raise SystemExit('model_reference.py: %s: no value for %s (is it the output of `rapport show`?)'
                         % (path, ', '.join(sorted(missing))))
    for name in seen - MODEL_PARAMS - POPULATION:
        del p[name]
    for name in MODEL_PARAMS:
        set_param(p, name, p[name])
    p['dimensions'], p['patient_groups'], p['provider_groups'] = read_population(tree)
    return p


def set_param(p, name, value):
    if name not in MODEL_PARAMS:
        raise SystemExit('unknown parameter: %s (known: %s)' % (name, ', '.join(sorted(MODEL_PARAMS))))
    if name in STR_PARAMS:
        p[name] = str(value)
    elif name in INT_PARAMS:
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
        s0 = draw(rng, g['symptoms'], n)
        pat['S0'].append(np.minimum(np.maximum(s0, S_rec), S_max))
    pat = {k: np.concatenate(v) for k, v in pat.items()}
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
    skill (sigma_j), u, gamma, m, b, lam, S0.
    Returns dict with A, T, S (horizon+1 x n, NaN after exit), D (bool), E (exit week),
    status, disc_week (-1 if never), ruptures, repaired.
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

    d = np.asarray(pairs['d'], dtype=float)
    h = np.asarray(pairs['h'], dtype=float)
    base_x = b0 + bs * np.asarray(pairs['skill'], dtype=float) + np.asarray(pairs['u'], dtype=float)
    gam = np.asarray(pairs['gamma'], dtype=float)
    lam = np.asarray(pairs['lam'], dtype=float)
    bar = np.asarray(pairs['b'], dtype=float)
    n = d.size

    def d_eff(Dt, dd, hh):
        return dd * (1.0 - Dt * phi * (1.0 - omega + omega * hh))

    def A_star(Tt, Dt, bx, dd, hh):
        return L(bx + bT * (Tt - 0.5) - bd * d_eff(Dt, dd, hh))

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
    A[0] = A_star(T[0], D[0].astype(float), base_x, d, h)
    S[0] = np.asarray(pairs['S0'], dtype=float)

    ruptures = 0
    repaired = 0
    idx = np.arange(n)
    for t in range(H):
        if idx.size == 0:
            break
        m_ = idx.size
        At, Tt, St = A[t, idx], T[t, idx], S[t, idx]
        Dt = D[t, idx].copy()
        dd, hh, bx = d[idx], h[idx], base_x[idx]

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
        rup = rng.random(m_) < L(r0 + rd * d_eff(Df, dd, hh) + rA * (1.0 - At))
        rep = rup & (rng.random(m_) < L(th0 + thh * hh + thD * Df))
        unrep = rup & ~rep
        ruptures += int(rup.sum())
        repaired += int(rep.sum())

        # 4. responsive discussion
        Dn = Dt.copy()
        if policy == 'responsive':
            raise_ = unrep & ~Dt & (rng.random(m_) < hh)
            Dn |= raise_
            disc_week[idx[raise_]] = t + 1

        # 5. alliance
        A1 = clip(At + kappa * (A_star(Tt, Df, bx, dd, hh) - At)
                  + drep * rep - drup * unrep + sA * rng.standard_normal(m_))
        # 6. trust
        erode = (~Dt) & (dd > dnot)
        T1 = clip(Tt + eta * (A1 - Tt) - dT * unrep - psi * dd * erode)
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
        hz = L(e0 + eA * (1.0 - A1) + eT * (1.0 - T1) + eb * bar[idx] + eN * Nt
               + eE * math.exp(-t / tauE))
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
                ruptures=ruptures, repaired=repaired)


# ---------------------------------------------------------------------------
# Observables
# ---------------------------------------------------------------------------

def icc1(y, g):
    """One-way random-effects ANOVA ICC(1), unbalanced, groups with >= 2 members."""
    y = np.asarray(y, dtype=float)
    g = np.asarray(g)
    labels, inv, counts = np.unique(g, return_inverse=True, return_counts=True)
    keep = counts[inv] >= 2
    y, inv = y[keep], inv[keep]
    labels, inv, nj = np.unique(inv, return_inverse=True, return_counts=True)
    k = labels.size
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


def pearson(x, y):
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    if x.size < 2:
        return float('nan')
    xc, yc = x - x.mean(), y - y.mean()
    den = math.sqrt(float(np.sum(xc * xc)) * float(np.sum(yc * yc)))
    return float(np.sum(xc * yc)) / den if den > 0 else float('nan')


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
    return o


def run_once(p, seed):
    rng = np.random.Generator(np.random.PCG64(seed))
    pat, prov = make_population(p, rng)
    prov_of = assign(p, pat, prov, rng)
    pairs = dict(d=distance_pairs(p['dimensions'], pat['culture'], prov['culture'][prov_of]),
                 h=prov['h'][prov_of], skill=prov['skill'][prov_of],
                 u=pat['u'], gamma=pat['gamma'], m=pat['m'], b=pat['b'],
                 lam=pat['lam'], S0=pat['S0'])
    res = simulate_pairs(p, pairs, rng)
    return observables(p, pat, prov_of, res)


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
        return self_test(p)
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
