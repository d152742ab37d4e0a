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


# ---- weighted particles (an ABC-SMC posterior) ----

def weighted_quantile(x, w, q):
    """The q-quantile of the weighted sample (x, w): the smallest x_i whose
    cumulative weight, over the values in increasing order, reaches q times
    the total weight (the inverse of the weighted empirical distribution
    function; weights need not sum to 1). It is the quantile `rapport
    calibrate` prints (docs/FORMAT.md, "The posterior file"), computed the
    same way to the bit: the total summed in the particles' order, the
    cumulative sum one value after the other, the comparison cum >= q total.
    Equal values (ties) give the same answer in any order. q may be a scalar
    or a sequence (then an array). Zero weights are values too, as there: a
    q at which the cumulative weight is flat returns the first value that
    reached it."""
    x = np.asarray(x, dtype=float)
    w = np.asarray(w, dtype=float)
    if x.ndim != 1 or x.shape != w.shape or len(x) == 0:
        raise ValueError(f"weighted_quantile: expected two vectors of one length >= 1, got {x.shape} and {w.shape}")
    if not (np.all(np.isfinite(w)) and np.all(w >= 0)) or not np.cumsum(w)[-1] > 0:
        raise ValueError("weighted_quantile: expected finite weights >= 0 with a positive sum")
    total = np.cumsum(w)[-1]  # sequential, in the particles' order (np.sum adds pairwise)
    order = np.argsort(x, kind="stable")
    cum = np.cumsum(w[order])
    qs = np.atleast_1d(np.asarray(q, dtype=float))
    if np.any(~(qs >= 0) | ~(qs <= 1)):
        raise ValueError(f"weighted_quantile: expected probabilities in [0, 1], got {q}")
    # the first index with cum >= q total; none (rounding: q = 1 and cum[-1] < total) -> the largest value
    idx = np.array([np.argmax(cum >= p * total) if np.any(cum >= p * total) else len(x) - 1 for p in qs])
    out = x[order][idx]
    return out if np.ndim(q) else float(out[0])


def weighted_mean(x, w):
    """sum w x / sum w, summed in order like rapport calibrate (equal to its
    printed mean up to rounding of the last bits)."""
    x, w = np.asarray(x, dtype=float), np.asarray(w, dtype=float)
    return float(np.cumsum(w * x)[-1] / np.cumsum(w)[-1])


def weighted_sd(x, w):
    """The weighted standard deviation sqrt(sum w (x - m)^2 / sum w) of the
    particles (the posterior's own spread, no small-sample correction)."""
    x, w = np.asarray(x, dtype=float), np.asarray(w, dtype=float)
    m = weighted_mean(x, w)
    return float(np.sqrt(np.sum(w * (x - m) ** 2) / np.sum(w)))


def weighted_corr(X, w):
    """The weighted correlation matrix of the columns of X [N x n] (NaN for a
    column that does not vary)."""
    X, w = np.asarray(X, dtype=float), np.asarray(w, dtype=float)
    w = w / np.sum(w)
    c = X - w @ X
    cov = (c * w[:, None]).T @ c
    sd = np.sqrt(np.diag(cov))
    with np.errstate(invalid="ignore", divide="ignore"):
        r = cov / np.outer(sd, sd)
    return np.clip(r, -1, 1)


def effective_sample_size(w):
    """Kish's effective sample size (sum w)^2 / sum w^2 (1 / sum w^2 for
    weights summing to 1, the file's ess)."""
    w = np.asarray(w, dtype=float)
    return float(np.sum(w) ** 2 / np.sum(w * w))


def weighted_kde(x, w, grid, lo=-np.inf, hi=np.inf):
    """A weighted Gaussian kernel density of the particles on grid, reflected
    at the support's finite ends lo, hi (so that no mass leaks out of the
    support); bandwidth Silverman's rule 0.9 min(sd, IQR / 1.349) n^-1/5 with
    the weighted sd and IQR and n the effective sample size. None when the
    particles do not vary."""
    x, w, grid = np.asarray(x, dtype=float), np.asarray(w, dtype=float), np.asarray(grid, dtype=float)
    w = w / np.sum(w)
    sd = weighted_sd(x, w)
    q1, q3 = weighted_quantile(x, w, [0.25, 0.75])
    spread = min(sd, (q3 - q1) / 1.349) if q3 > q1 else sd
    if not spread > 0:
        return None
    h = 0.9 * spread * effective_sample_size(w) ** -0.2
    centres = [x] + ([2 * lo - x] if np.isfinite(lo) else []) + ([2 * hi - x] if np.isfinite(hi) else [])
    dens = np.zeros_like(grid)
    for c in centres:
        dens += (np.exp(-0.5 * ((grid[:, None] - c[None, :]) / h) ** 2) @ w) / (h * np.sqrt(2 * np.pi))
    dens[(grid < lo) | (grid > hi)] = 0
    return dens


PRIOR_FAMILIES = ("uniform", "normal", "beta", "lognormal")


def prior_distribution(text):
    """The scipy distribution of a prior as a posterior file writes it
    (`uniform(LO, HI)`, `normal(M, S)`, `beta(A, B)`, `lognormal(M, S)` with
    M, S the mean and sd of log x: rapport's parametrisations), or None for
    a text it does not know."""
    import re
    from scipy import stats as sps
    m = re.fullmatch(r"\s*(\w+)\(\s*([^,]+),\s*([^)]+)\)\s*", text or "")
    if not m or m.group(1) not in PRIOR_FAMILIES:
        return None
    try:
        a, b = float(m.group(2)), float(m.group(3))
    except ValueError:
        return None
    family = m.group(1)
    if family == "uniform":
        return sps.uniform(loc=a, scale=b - a) if b > a else None
    if family == "normal":
        return sps.norm(loc=a, scale=b) if b > 0 else None
    if family == "beta":
        return sps.beta(a, b) if a > 0 and b > 0 else None
    return sps.lognorm(s=b, scale=np.exp(a)) if b > 0 else None


def prior_density(text, lo, hi, grid):
    """The prior's density truncated to [lo, hi] (the file's min, max) on
    grid: pdf / (cdf(hi) - cdf(lo)), 0 outside; None for an unknown prior."""
    d = prior_distribution(text)
    if d is None:
        return None
    grid = np.asarray(grid, dtype=float)
    mass = d.cdf(hi) - d.cdf(lo)
    if not mass > 0:
        return None
    dens = d.pdf(grid) / mass
    dens[(grid < lo) | (grid > hi)] = 0
    return dens


def psa_summary(v, below=False):
    """The uncertainty statistic over draws of rapport's PSA (sim/exec/sweep.c,
    rp_sweep_psa_stats): v[D] the draws' values (each the mean over its
    replicates; NaN where undefined, left out). Returns (mean, lo, hi, p) with
    lo, hi the 2.5% and 97.5% quantiles (linear, numpy's default) and p, with
    below, the share of draws below 0 (ties half), else NaN."""
    v = np.asarray(v, dtype=float)
    v = v[~np.isnan(v)]
    if not len(v):
        return np.nan, np.nan, np.nan, np.nan
    p = float(np.mean(v < 0) + 0.5 * np.mean(v == 0)) if below else np.nan
    return float(v.mean()), float(np.quantile(v, 0.025)), float(np.quantile(v, 0.975)), p


def lowest_share(values):
    """values [P, D]: for each point, the share of draws (defined at every
    point) in which it is the lowest, ties split (rapport's P(lowest))."""
    values = np.asarray(values, dtype=float)
    ok = ~np.isnan(values).any(axis=0)
    v = values[:, ok]
    if not v.shape[1]:
        return np.full(values.shape[0], np.nan)
    low = v == v.min(axis=0)
    return (low / low.sum(axis=0)).mean(axis=1)
