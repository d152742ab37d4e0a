"""Intervals, Pearson r with Fisher-z interval, and Sobol indices."""
import numpy as np

Z95 = 1.959963984540054


def mean_interval(x, z=Z95):
    """Mean over replicates +- z SE (SE = sd / sqrt(n)); the half-width is NaN
    with one replicate (then use a binomial interval on the run)."""
    x = np.asarray(x, dtype=float)
    x = x[np.isfinite(x)]
    if len(x) == 0:
        return np.nan, np.nan, np.nan
    m = x.mean()
    if len(x) < 2:
        return m, np.nan, np.nan
    h = z * x.std(ddof=1) / np.sqrt(len(x))
    return m, m - h, m + h


def t_interval(x, level=0.95):
    """Mean over replicates, its SE and the interval mean +- t SE, t Student's
    quantile with n - 1 df: what rapport's sweep summary gives (sweep.c)."""
    from scipy import stats as sps
    x = np.asarray(x, dtype=float)
    x = x[np.isfinite(x)]
    if len(x) == 0:
        return np.nan, np.nan, np.nan, np.nan
    m = x.mean()
    if len(x) < 2:
        return m, np.nan, np.nan, np.nan
    se = x.std(ddof=1) / np.sqrt(len(x))
    h = sps.t.ppf(0.5 + level / 2, len(x) - 1) * se
    return m, se, m - h, m + h


def fieller_ratio(y, x, level=0.95):
    """Ratio of means ybar / xbar of paired replicates, its delta-method SE and
    Fieller's interval (NaN, NaN where unbounded: xbar not told apart from 0)."""
    from scipy import stats as sps
    y, x = np.asarray(y, dtype=float), np.asarray(x, dtype=float)
    ok = np.isfinite(x) & np.isfinite(y)
    y, x = y[ok], x[ok]
    k = len(x)
    if k == 0:
        return np.nan, np.nan, np.nan, np.nan
    xb, yb = x.mean(), y.mean()
    r = yb / xb
    if k < 2 or not np.isfinite(r):
        return r, np.nan, np.nan, np.nan
    vxx, vyy = x.var(ddof=1) / k, y.var(ddof=1) / k
    vxy = np.cov(x, y, ddof=1)[0, 1] / k
    se = np.sqrt(max(vyy - 2 * r * vxy + r * r * vxx, 0)) / abs(xb)
    t2 = sps.t.ppf(0.5 + level / 2, k - 1) ** 2
    a, b, c = xb * xb - t2 * vxx, -2 * (xb * yb - t2 * vxy), yb * yb - t2 * vyy
    disc = b * b - 4 * a * c
    if a > 0 and disc >= 0:
        return r, se, (-b - np.sqrt(disc)) / (2 * a), (-b + np.sqrt(disc)) / (2 * a)
    return r, se, np.nan, np.nan


def wilson(p, n, z=Z95):
    """Wilson score interval of a share p of n (good near 0 and 1, unlike Wald)."""
    if n <= 0 or not np.isfinite(p):
        return np.nan, np.nan
    den = 1 + z * z / n
    c = (p + z * z / (2 * n)) / den
    h = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / den
    return c - h, c + h


def pearson(x, y, z=Z95):
    """Pearson r of the finite pairs, its 95% interval by Fisher's z, and n."""
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    ok = np.isfinite(x) & np.isfinite(y)
    x, y = x[ok], y[ok]
    n = len(x)
    if n < 4:
        return np.nan, np.nan, np.nan, n
    xc, yc = x - x.mean(), y - y.mean()
    r = float((xc @ yc) / np.sqrt((xc @ xc) * (yc @ yc)))
    zr = np.arctanh(np.clip(r, -0.999999999, 0.999999999))
    h = z / np.sqrt(n - 3)
    return r, float(np.tanh(zr - h)), float(np.tanh(zr + h)), n


def sobol_indices(yA, yB, yAB):
    """First-order (Saltelli et al. 2010, eq. b) and total (Jansen 1999) Sobol
    indices from a Saltelli design: yA, yB [N], yAB [N, k] (A with column i
    from B). V is the variance of yA and yB pooled; f(B) is centred on their
    mean (same expectation, lower variance)."""
    yA, yB, yAB = (np.asarray(a, dtype=float) for a in (yA, yB, yAB))
    pooled = np.concatenate([yA, yB])
    V = np.var(pooled, ddof=1)
    # centring f(B) changes no expectation but cuts the estimator's variance
    first = np.mean((yB - pooled.mean())[:, None] * (yAB - yA[:, None]), axis=0) / V
    total = 0.5 * np.mean((yA[:, None] - yAB) ** 2, axis=0) / V
    return first, total


def sobol_bootstrap(yA, yB, yAB, n_boot=500, seed=1, level=0.95):
    """Sobol indices with percentile bootstrap intervals, resampling samples j."""
    yA, yB, yAB = (np.asarray(a, dtype=float) for a in (yA, yB, yAB))
    S1, ST = sobol_indices(yA, yB, yAB)
    rng = np.random.default_rng(seed)
    N = len(yA)
    b1, bT = [], []
    for _ in range(n_boot):
        j = rng.integers(0, N, N)
        s1, st = sobol_indices(yA[j], yB[j], yAB[j])
        b1.append(s1)
        bT.append(st)
    q = [(1 - level) / 2 * 100, (1 + level) / 2 * 100]
    return S1, np.percentile(b1, q, axis=0), ST, np.percentile(bT, q, axis=0)


def tertile_labels(x):
    """Tertile of each value (0, 1, 2) and the two cut points."""
    x = np.asarray(x, dtype=float)
    cuts = np.nanquantile(x, [1 / 3, 2 / 3])
    return np.searchsorted(cuts, x, side="right"), cuts
