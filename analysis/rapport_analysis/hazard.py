"""Discrete-time hazard model of dropout on pair-weeks (logistic regression).

A pair-week is the week t row of a pair (t = 0 .. E-1 for exit week E) with
its state at week t (alliance A_t, trust T_t, stressors N_t, discussed D_t)
and its fixed traits (distance, barrier); the event is 'dropped at week
t + 1'. A logit on these rows is the discrete-time proportional-odds hazard
model (Singer & Willett 1993); exp(coef) are odds ratios per unit.
"""
import numpy as np
import pandas as pd

COVARIATES = ["distance", "alliance", "trust", "barrier", "stressors", "discussed"]


def pair_weeks(traj, pairs, dropped_code=3):
    """Pair-week rows from trajectories (arrays [pair, week] of A, T, N, D) and
    the pairs' exit_week, exit_reason, distance, barrier (written weeks must be
    every week: output.every = 1)."""
    A, T = traj["A"], traj["T"]
    n, W = A.shape
    E = pairs["exit_week"].to_numpy()
    t = np.arange(W)[None, :]
    keep = t < E[:, None]
    event = (pairs["exit_reason"].to_numpy() == dropped_code)[:, None] & (t + 1 == E[:, None])
    rows, cols = np.nonzero(keep)
    df = pd.DataFrame({
        "distance": pairs["distance"].to_numpy()[rows],
        "alliance": A[rows, cols],
        "trust": T[rows, cols],
        "barrier": pairs["barrier"].to_numpy()[rows],
        "stressors": traj["N"][rows, cols],
        "discussed": traj["D"][rows, cols],
        "week": cols,
        "event": event[rows, cols].astype(int),
    })
    return df.dropna()


def fit(df, covariates=COVARIATES):
    """Fit the logit; return the model result and a table of odds ratios with
    95% Wald intervals (covariates that never vary are dropped, since the
    model would be singular)."""
    import statsmodels.api as sm
    cov = [c for c in covariates if df[c].nunique() > 1]
    X = sm.add_constant(df[cov].astype(float), has_constant="add")
    res = sm.Logit(df["event"].astype(float), X).fit(disp=0, maxiter=100)
    ci = res.conf_int()
    table = pd.DataFrame({
        "coef": res.params, "se": res.bse,
        "odds_ratio": np.exp(res.params), "or_low": np.exp(ci[0]), "or_high": np.exp(ci[1]),
        "p": res.pvalues,
    })
    return res, table
