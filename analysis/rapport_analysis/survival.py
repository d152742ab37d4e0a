"""Kaplan-Meier retention with Greenwood variance, from counts per week.

Retention = time to dropout: a dropout is the event; recovery, completion
and censoring at the horizon censor the pair at its exit week. The estimator
works from counts of events and censorings per week, so a file of millions of
pairs (or many runs) is reduced run by run with np.bincount and never held
whole.
"""
import numpy as np

Z95 = 1.959963984540054


def exit_counts(exit_week, dropped, weeks):
    """Events and censorings per week 0..weeks: the sufficient statistics of KM."""
    exit_week = np.asarray(exit_week, dtype=np.int64)
    dropped = np.asarray(dropped, dtype=bool)
    d = np.bincount(exit_week[dropped], minlength=weeks + 1)[: weeks + 1]
    c = np.bincount(exit_week[~dropped], minlength=weeks + 1)[: weeks + 1]
    return d.astype(np.int64), c.astype(np.int64)


def kaplan_meier(events, censored):
    """S(t), Greenwood variance and the number at risk, at t = 0..len-1.

    At week t, n_t are those with exit >= t (censored at t still count at risk
    for events at t, the usual convention); S(t) = prod_{s<=t} (1 - d_s/n_s);
    Var S(t) = S(t)^2 sum_{s<=t} d_s / (n_s (n_s - d_s)) (Greenwood 1926).
    """
    d = np.asarray(events, dtype=float)
    c = np.asarray(censored, dtype=float)
    total = d.sum() + c.sum()
    exited_before = np.concatenate([[0.0], np.cumsum(d + c)[:-1]])
    n = total - exited_before
    with np.errstate(divide="ignore", invalid="ignore"):
        h = np.where(n > 0, d / n, 0.0)
        S = np.cumprod(1.0 - h)
        g = np.where((n > 0) & (n > d), d / (n * (n - d)), 0.0)
    var = S ** 2 * np.cumsum(g)
    return S, var, n


def confidence_band(S, var, z=Z95):
    """Pointwise 95% band S +- z SE, clipped to [0, 1] (plain Greenwood)."""
    se = np.sqrt(var)
    return np.clip(S - z * se, 0, 1), np.clip(S + z * se, 0, 1)
