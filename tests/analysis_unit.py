#!/usr/bin/python3
"""Unit tests of analysis/rapport_analysis: KM and Greenwood by hand, Pearson r
against numpy on a real file, hazard coefficients recovered from simulated
pair-weeks, Sobol indices of the Ishigami function, one colour per patient
group (and per sweep point) across every figure of a real report; for
posterior files, the weighted quantile, mean, sd, correlation and ESS by hand
(ties, weights summing to 1 up to rounding, numpy's inverted_cdf), the
priors' truncated densities, the reflected KDE, and the kind of a file told
by its root attributes.

usage: analysis_unit.py RAPPORT_BIN SRC_DIR   (exit 77: python packages missing)
"""
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from testlib import finish, report, skip_test  # noqa: E402

try:
    import h5py
    import matplotlib  # noqa: F401
    import numpy as np
    import pandas as pd
    import statsmodels  # noqa: F401
except ImportError as e:
    skip_test(f"{e} (apt-get install python3-h5py python3-matplotlib python3-statsmodels python3-pandas)")

RAPPORT, SRC = sys.argv[1], sys.argv[2]
sys.path.insert(0, os.path.join(SRC, "analysis"))
from rapport_analysis import hazard, plots, read, stats, survival  # noqa: E402


def close(a, b, tol=1e-12):
    return abs(a - b) <= tol


def test_km():
    # six subjects (week, dropped?): (2,y) (3,n) (3,y) (5,y) (6,n) (7,y)
    week = np.array([2, 3, 3, 5, 6, 7])
    dropped = np.array([1, 0, 1, 1, 0, 1], bool)
    d, c = survival.exit_counts(week, dropped, 7)
    report(list(d) == [0, 0, 1, 1, 0, 1, 0, 1] and list(c) == [0, 0, 0, 1, 0, 0, 1, 0], "km counts", f"{d} {c}")
    S, var, n = survival.kaplan_meier(d, c)
    # by hand: at risk 6, 5, 3, 2, 1 at weeks 2, 3, 5, 6, 7 (censored at 3 still at risk at 3)
    S_hand = [1, 1, 5 / 6, 2 / 3, 2 / 3, 4 / 9, 4 / 9, 0]
    report(np.allclose(S, S_hand, atol=1e-14), "km survival by hand", f"{S}")
    report(list(n[[2, 3, 5, 6, 7]]) == [6, 5, 3, 2, 1], "km at risk", f"{n}")
    # Greenwood: S^2 * sum d/(n(n-d)): week 2: (5/6)^2/30; week 3: (2/3)^2 (1/30+1/20); week 5: (4/9)^2 (1/30+1/20+1/6)
    v_hand = {2: (5 / 6) ** 2 / 30, 3: (2 / 3) ** 2 * (1 / 30 + 1 / 20), 5: 4 / 81, 6: 4 / 81}
    report(all(close(var[k], v, 1e-14) for k, v in v_hand.items()), "greenwood variance by hand",
           f"{var} vs {v_hand}")
    lo, hi = survival.confidence_band(S, var)
    report(close(lo[5], 4 / 9 - 1.959963984540054 * 2 / 9, 1e-12) and hi[5] <= 1 and lo[7] == 0, "km band")


def test_intervals():
    # z = 1.95996: 0.5 -+ z sqrt(0.0025 + z^2/40000) / (1 + z^2/100)
    lo, hi = stats.wilson(0.5, 100)
    report(close(lo, 0.4038315304, 1e-9) and close(hi, 0.5961684696, 1e-9), "wilson 0.5 of 100", f"{lo} {hi}")
    m, lo, hi = stats.mean_interval([1, 2, 3, 4])
    h = 1.959963984540054 * np.std([1, 2, 3, 4], ddof=1) / 2
    report(close(m, 2.5) and close(lo, 2.5 - h) and close(hi, 2.5 + h), "mean interval")


def test_pearson_file(tmp):
    out = os.path.join(tmp, "small.h5")
    subprocess.run([RAPPORT, "run", os.path.join(SRC, "scenarios/baseline.yaml"), "--set", "patients.count=2000",
                    "--set", "providers.count=100", "-o", out], check=True, stdout=subprocess.DEVNULL)
    f = read.open_file(out)
    runs = read.runs_table(f)
    (_, df), = list(read.iter_run_pairs(f, runs, ["early_alliance", "improvement", "exit_week"]))
    m = (df["exit_week"] >= 3).to_numpy()
    x, y = df["early_alliance"].to_numpy()[m], df["improvement"].to_numpy()[m]
    r, lo, hi, n = stats.pearson(x, y)
    rn = np.corrcoef(x, y)[0, 1]
    report(close(r, rn, 1e-12), "pearson r = numpy corrcoef on file data", f"{r} vs {rn}")
    r_file = f["summary/alliance_outcome_r"][0, 0]
    report(close(r, r_file, 1e-9), "pearson r = file's alliance_outcome_r", f"{r} vs {r_file}")
    z = np.arctanh(rn)
    report(close(lo, np.tanh(z - 1.959963984540054 / np.sqrt(n - 3)), 1e-12) and lo < r < hi, "fisher z interval")
    # pair-weeks built from the file's trajectories: one row per week t < exit, event at the last
    rows = read.sample_trajectory_rows(f, 500, 1)
    traj, meta = read.read_trajectory_rows(f, rows, ["A", "T", "D", "N"])
    pairs = read.pairs_for_trajectories(f, runs, meta, ["distance", "barrier", "exit_week", "exit_reason"])
    full = f["trajectories/A"][:][rows]
    report(np.array_equal(full, traj["A"], equal_nan=True), "trajectory rows read by block")
    pw = hazard.pair_weeks(traj, pairs)
    E, R = pairs["exit_week"].to_numpy(), pairs["exit_reason"].to_numpy()
    report(len(pw) == E.sum() and pw["event"].sum() == (R == 3).sum(), "pair-weeks: rows and events",
           f"{len(pw)} vs {E.sum()}, {pw['event'].sum()} vs {(R == 3).sum()}")
    f.close()


def test_hazard():
    rng = np.random.default_rng(42)
    n = 20000
    df = pd.DataFrame({
        "distance": rng.uniform(0, 1, n), "alliance": rng.uniform(0.2, 0.9, n), "trust": rng.uniform(0.1, 0.9, n),
        "barrier": rng.beta(2, 5, n), "stressors": rng.poisson(0.8, n).astype(float),
        "discussed": (rng.uniform(size=n) < 0.2).astype(float)})
    true = {"const": -2.0, "distance": 1.0, "alliance": -2.0, "trust": -1.0, "barrier": 1.5, "stressors": 0.3,
            "discussed": -0.6}
    eta = true["const"] + sum(true[k] * df[k] for k in hazard.COVARIATES)
    df["event"] = (rng.uniform(size=n) < 1 / (1 + np.exp(-eta))).astype(int)
    _, t = hazard.fit(df)
    bad = {k: (t.loc[k, "coef"], t.loc[k, "se"]) for k in true if abs(t.loc[k, "coef"] - true[k]) > 3 * t.loc[k, "se"]}
    report(not bad, "hazard coefficients within 3 SE of the truth", f"{bad}")
    report(np.allclose(t["odds_ratio"], np.exp(t["coef"])), "odds ratio = exp(coef)")


def ishigami(X, a=7.0, b=0.1):
    return np.sin(X[:, 0]) + a * np.sin(X[:, 1]) ** 2 + b * X[:, 2] ** 4 * np.sin(X[:, 0])


def test_sobol():
    rng = np.random.default_rng(7)
    N, k = 20000, 3
    A = rng.uniform(-np.pi, np.pi, (N, k))
    B = rng.uniform(-np.pi, np.pi, (N, k))
    yAB = np.empty((N, k))
    for i in range(k):
        ABi = A.copy()
        ABi[:, i] = B[:, i]
        yAB[:, i] = ishigami(ABi)
    S1, ST = stats.sobol_indices(ishigami(A), ishigami(B), yAB)
    a, b = 7.0, 0.1
    V = a * a / 8 + b * np.pi ** 4 / 5 + b * b * np.pi ** 8 / 18 + 0.5
    V1 = 0.5 * (1 + b * np.pi ** 4 / 5) ** 2
    V2 = a * a / 8
    V13 = b * b * np.pi ** 8 * (1 / 18 - 1 / 50)
    S1_true = np.array([V1 / V, V2 / V, 0.0])
    ST_true = np.array([(V1 + V13) / V, V2 / V, V13 / V])
    report(np.allclose(S1, S1_true, atol=0.04), "sobol first order (Ishigami)", f"{S1} vs {S1_true}")
    report(np.allclose(ST, ST_true, atol=0.04), "sobol total (Jansen, Ishigami)", f"{ST} vs {ST_true}")
    s1, c1, st, cT = stats.sobol_bootstrap(ishigami(A[:2000]), ishigami(B[:2000]), yAB[:2000], n_boot=200)
    report(np.all(c1[0] <= s1) and np.all(s1 <= c1[1]) and np.all(cT[0] <= st) and np.all(st <= cT[1]),
           "sobol bootstrap intervals bracket the estimate")


def legend_colours(fig):
    """{label: colour} of the legend entries of every axis of fig."""
    import matplotlib.colors as mcolors
    out = {}
    for ax in fig.axes:
        leg = ax.get_legend()
        if not leg:
            continue
        for handle, text in zip(getattr(leg, "legend_handles", None) or leg.legendHandles, leg.get_texts()):
            c = handle.get_color() if hasattr(handle, "get_color") else handle.get_facecolor()
            out.setdefault(text.get_text(), set()).add(mcolors.to_hex(c))
    return out


def test_colours(tmp):
    """A report of a sweep with trajectories: every legend label (group,
    point, "all") has one colour in every figure that shows it; the groups'
    colours differ from each other and from every other label's; no yellow."""
    path = os.path.join(tmp, "colours.h5")
    subprocess.run([RAPPORT, "run", os.path.join(SRC, "scenarios", "sweep-discussion.yaml"), "-o", path,
                    "--set", "patients.count=1000", "--set", "providers.count=50", "--set", "replicates=2",
                    "--set", "output.sample=0.2"], check=True, stdout=subprocess.DEVNULL)
    from rapport_analysis import report as report_mod
    seen, saved = {}, plots.save

    def capture(fig, outdir, name):
        for label, cols in legend_colours(fig).items():
            seen.setdefault(label, {})[name] = cols
        return saved(fig, outdir, name)

    plots.save = capture
    try:
        report_mod.build(path, os.path.join(tmp, "report"), log=lambda s: None)
    finally:
        plots.save = saved
    groups = ["white", "latinx", "black", "asian"]
    one = {label: set().union(*by_fig.values()) for label, by_fig in seen.items()}
    several = {label: sorted(cols) for label, cols in one.items() if len(cols) != 1}
    report(not several, f"each of {len(one)} legend labels has one colour across the report's figures",
           f"{several}")
    shown = [g for g in groups if g in one]
    report(len(shown) == 4 and sum(len(seen[g]) for g in shown) >= 8,
           f"the groups appear in several figures ({ {g: sorted(seen.get(g, {})) for g in groups} })")
    colours = {g: next(iter(one[g])) for g in shown}
    others = {c for label, cols in one.items() if label not in groups and label != "all" for c in cols}
    report(len(set(colours.values())) == len(shown) and not set(colours.values()) & others,
           "the groups' colours are distinct, and no other label wears one", f"{colours} / {others}")
    report("#f0e442" not in {c for cols in one.values() for c in cols}, "no faint yellow (#F0E442) in a legend")
    # every table also as LaTeX (booktabs), with the CSV's rows
    out = os.path.join(tmp, "report")
    bad = []
    csvs = sorted(n for n in os.listdir(out) if n.endswith(".csv"))
    for name in csvs:
        tex_path = os.path.join(out, name[:-4] + ".tex")
        if not os.path.exists(tex_path):
            bad.append(f"no {name[:-4]}.tex")
            continue
        tex = open(tex_path, encoding="utf-8").read()
        rows = tex.split("\\midrule", 1)[-1].split("\\bottomrule", 1)[0].count("\\\\")
        csv_rows = len(pd.read_csv(os.path.join(out, name)))
        if not tex.startswith("\\begin{tabular}") or "\\toprule" not in tex or rows != csv_rows:
            bad.append(f"{name[:-4]}.tex: {rows} rows")
    report(csvs and not bad, f"each of the report's {len(csvs)} tables is also a booktabs LaTeX table with its rows",
           "; ".join(bad))


def test_figures():
    """Heatmaps carry each cell's number (and one scale when shared); the
    hazard forest draws the model with and without alliance side by side."""
    fig = plots.heatmaps(["a", "b", "c"], ["x", "y"], {"dropout, g1": np.array([[0.1, 0.2, np.nan], [0.3, 0.4, 0.5]]),
                                                       "dropout, g2": np.array([[0.6, 0.7, 0.8], [0.9, 1.0, 1.1]])},
                         "X", "Y", "t", shared=True)
    texts = [[t.get_text() for t in ax.texts] for ax in fig.axes if ax.get_images()]
    report(texts[0] == ["0.1", "0.2", "0.3", "0.4", "0.5"] and len(texts[1]) == 6,
           "heatmaps: every finite cell shows its number (NaN none)", f"{texts}")
    clims = {ax.get_images()[0].get_clim() for ax in fig.axes if ax.get_images()}
    report(clims == {(0.1, 1.1)}, "heatmaps with shared=True: one colour scale over every panel", f"{clims}")
    t1 = pd.DataFrame({"odds_ratio": [1.0, 2.0, 0.5], "or_low": [0.9, 1.5, 0.4], "or_high": [1.1, 2.5, 0.6]},
                      index=["const", "alliance", "trust"])
    t2 = t1.drop(index="alliance")
    fig = plots.forest({"with alliance": t1, "without alliance": t2}, "t")
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    report(labels == ["with alliance", "without alliance"] and
           [t.get_text() for t in fig.axes[0].get_yticklabels()] == ["alliance", "trust"],
           "hazard forest: both models, one row per covariate of the full one", f"{labels}")



def test_weighted_quantile():
    """stats.weighted_quantile by hand: the smallest value whose cumulative
    weight reaches q times the total (rapport calibrate's quantile)."""
    wq = stats.weighted_quantile
    # x = [3, 1, 2], w = [1/4, 1/2, 1/4]: in order 1 (1/2), 2 (1/4), 3 (1/4): cumulative 1/2, 3/4, 1
    x, w = [3.0, 1.0, 2.0], [0.25, 0.5, 0.25]
    cases = {0: 1, 0.25: 1, 0.5: 1, 0.5000001: 2, 0.75: 2, 0.7500001: 3, 0.99: 3, 1: 3}
    got = {q: wq(x, w, q) for q in cases}
    report(got == cases, "weighted quantile by hand (equality reaches: q = 1/2 -> 1, q = 3/4 -> 2)", f"{got}")
    report(list(wq(x, [1, 2, 1], list(cases))) == list(cases.values()),
           "weighted quantile: unnormalised weights (1, 2, 1) give the same")
    report(isinstance(wq(x, w, 0.5), float) and wq(x, w, [0.5]).shape == (1,), "weighted quantile: scalar q -> "
           "float, a list -> array")
    # ties: x = [2, 1, 2, 3], equal weights: in order 1, 2, 2, 3, cumulative 1/4, 1/2, 3/4, 1
    ties = {0.25: 1, 0.3: 2, 0.5: 2, 0.75: 2, 0.7500001: 3}
    got = {q: wq([2, 1, 2, 3], [0.25] * 4, q) for q in ties}
    report(got == ties, "weighted quantile with ties (equal values: one answer in any order)", f"{got}")
    got = [wq([5, 5, 1], [0.125, 0.375, 0.5], q) for q in (0.5, 0.6, 1)] + \
        [wq([5, 5, 1], [0.375, 0.125, 0.5], q) for q in (0.5, 0.6, 1)]
    report(got == [1, 5, 5] * 2, "weighted quantile: tied values of unequal weight, either order", f"{got}")
    # weights that sum to 1 only up to rounding: ten of 0.1 sum to 0.9999999999999999; the median is
    # the 5th value (cumulative 0.5 >= 0.5 x total), as np.quantile's inverted_cdf says
    tenth = [0.1] * 10
    report(sum(tenth) != 1 and wq(np.arange(10.0), tenth, 0.5) == 4 == np.quantile(np.arange(10), 0.5,
                                                                                   method="inverted_cdf")
           and wq(np.arange(10.0), tenth, 1.0) == 9, "weighted quantile: ten weights of 0.1 (sum 1 - 1e-16): "
           "median 4, q = 1 the largest")
    rng = np.random.default_rng(5)
    bad = 0
    for _ in range(200):
        n = int(rng.integers(1, 40))
        xs = np.round(rng.normal(size=n), int(rng.integers(0, 3)))  # rounding makes ties
        k = rng.integers(1, 5, size=n)
        qs = rng.uniform(size=5)
        if not (np.array_equal(wq(xs, np.ones(n), qs), np.quantile(xs, qs, method="inverted_cdf")) and
                np.array_equal(wq(xs, k, qs), np.quantile(np.repeat(xs, k), qs, method="inverted_cdf"))):
            bad += 1
    report(bad == 0, "weighted quantile = numpy's inverted_cdf: equal weights, and integer weights as repeated "
           "values (200 random samples with ties)", f"{bad} differ")
    refused = 0
    for args in (([1, 2], [0.5, -0.5], 0.5), ([1, 2], [0, 0], 0.5), ([1, 2], [1], 0.5), ([1, 2], [1, 1], 1.5),
                 ([], [], 0.5), ([1, 2], [1, np.nan], 0.5)):
        try:
            wq(*args)
        except ValueError:
            refused += 1
    report(refused == 6, "weighted quantile refuses negative, zero-sum, NaN or mismatched weights and q outside "
           "[0, 1]", f"{refused} of 6")


def test_weighted_moments():
    x, w = np.array([1.0, 2.0, 3.0]), np.array([0.25, 0.5, 0.25])
    report(stats.weighted_mean(x, w) == 2 and close(stats.weighted_sd(x, w), np.sqrt(0.5), 1e-15),
           "weighted mean 2 and sd sqrt(1/2) by hand")
    r = stats.weighted_corr(np.column_stack([x, 2 * x + 1, -x, [1.0, 3.0, 1.0]]), w)
    report(close(r[0, 1], 1, 1e-14) and close(r[0, 2], -1, 1e-14) and close(r[0, 3], 0, 1e-14) and
           np.allclose(np.diag(r), 1, atol=1e-14), "weighted correlation: 1, -1 and 0 by hand", f"{r}")
    report(close(stats.effective_sample_size([0.5, 0.25, 0.25]), 1 / 0.375, 1e-14) and
           close(stats.effective_sample_size([2, 1, 1]), 1 / 0.375, 1e-14), "ESS 1 / sum w^2 = 8/3 by hand")


def test_priors():
    """The prior's density truncated to its support, by hand and integrating to 1."""
    Phi3 = 0.9973002039367398  # P(|Z| < 3)
    cases = [("uniform(-10, -5)", -10, -5, -7.0, 0.2), ("normal(0, 1)", -3, 3, 0.0, 1 / np.sqrt(2 * np.pi) / Phi3),
             ("lognormal(0, 0.5)", 0, np.inf, 1.0, 1 / (0.5 * np.sqrt(2 * np.pi))), ("beta(2, 2)", 0, 1, 0.5, 1.5),
             ("normal(4, 1.5)", 1, 7, 4.0, 1 / (1.5 * np.sqrt(2 * np.pi)) / (1 - 2 * 0.02275013194817921))]
    bad = []
    for text, lo, hi, x, want in cases:
        got = stats.prior_density(text, lo, hi, [x])[0]
        a, b = lo, hi if np.isfinite(hi) else 20.0
        g = np.linspace(a, b, 200001)
        area = np.trapz(stats.prior_density(text, lo, hi, g), g)
        out = stats.prior_density(text, lo, hi, [lo - 1, lo - 1e-9] + ([hi + 1e-9, hi + 1] if np.isfinite(hi) else []))
        if not (close(got, want, 1e-9) and abs(area - 1) < 2e-4 and not out.any()):
            bad.append((text, got, want, area, out))
    report(not bad, "prior densities by hand (uniform, truncated normal, lognormal, beta), each integrating to 1 "
           "over its support and 0 outside", f"{bad}")
    report(stats.prior_density("gamma(1, 2)", 0, 1, [0.5]) is None and stats.prior_density("normal(0, -1)", -1, 1,
                                                                                             [0]) is None,
           "an unknown or improper prior: no density (None)")
    rng = np.random.default_rng(3)
    x = rng.uniform(0, 1, 400) ** 2
    w = rng.uniform(0.5, 1.5, 400)
    g = np.linspace(0, 1, 20001)
    k = stats.weighted_kde(x, w, g, 0, 1)
    k_out = stats.weighted_kde(x, w, np.array([-0.1, 1.1]), 0, 1)
    report(abs(np.trapz(k, g) - 1) < 1e-3 and not k_out.any(), "weighted KDE reflected at the support's ends "
           "integrates to 1 on it, 0 outside", f"{np.trapz(k, g)}")
    report(stats.weighted_kde(np.ones(5), np.ones(5), g) is None, "weighted KDE of particles that do not vary: None")


def test_kinds(tmp):
    """read.open_any tells a file's kind by its root attributes, never its
    name: a real posterior file and a real output file, each under the
    other's kind of name; other formats and versions refused."""
    import shutil
    cal = os.path.join(tmp, "cal.yaml")
    with open(cal, "w") as fh:
        fh.write(f"scenario: {SRC}/scenarios/baseline.yaml\nmethod: abc-smc\npatients: 500\nfree:\n"
                 "  dropout.base: {prior: \"uniform(-10, -5)\"}\ntargets:\n"
                 "  dropout: {value: 0.197, band: [0.187, 0.207]}\nabc: {particles: 20, generations: 2}\n")
    post, out = os.path.join(tmp, "run-output.h5"), os.path.join(tmp, "posterior.h5")
    subprocess.run([RAPPORT, "calibrate", cal, "--posterior", post], check=True, stdout=subprocess.DEVNULL)
    subprocess.run([RAPPORT, "run", os.path.join(SRC, "scenarios", "baseline.yaml"), "--set", "patients.count=200",
                    "--set", "providers.count=10", "--summary-only", "-o", out], check=True, stdout=subprocess.DEVNULL)
    kinds = []
    for path in (post, out):
        f, kind = read.open_any(path)
        f.close()
        kinds.append(kind)
    report(kinds == ["posterior", "output"], "open_any: the kind from the root attributes, whatever the name",
           f"{kinds}")
    why = {}
    for name, edit in (("version", lambda f: f.attrs.modify("format_version", 2)),
                       ("format", lambda f: f.attrs.modify("format", "rapport-something")),
                       ("none", lambda f: f.attrs.__delitem__("format"))):
        p = os.path.join(tmp, name + ".h5")
        shutil.copy(post, p)
        with h5py.File(p, "r+") as f:
            edit(f)
        try:
            read.open_any(p)
            why[name] = "opened"
        except ValueError as e:
            why[name] = str(e)
    report("format_version 2" in why["version"] and "'rapport-something'" in why["format"] and
           "no format attribute" in why["none"] and all("rapport calibrate --posterior" in v or "version" in v
                                                        for v in why.values()),
           "open_any refuses another format_version, another format and none, saying what it reads", f"{why}")
    try:
        read.open_file(post)
        report(False, "open_file (output files only) refuses a posterior file")
    except ValueError as e:
        report("posterior" in str(e), "open_file (output files only) refuses a posterior file", str(e))


with tempfile.TemporaryDirectory() as tmp:
    for t in (test_km, test_intervals, lambda: test_pearson_file(tmp), test_hazard, test_sobol,
              lambda: test_colours(tmp), test_figures, test_weighted_quantile, test_weighted_moments, test_priors,
              lambda: test_kinds(tmp)):
        try:
            t()
        except Exception as e:  # a crash is a failure of that test, not of the run
            import traceback
            traceback.print_exc()
            report(False, getattr(t, "__name__", "test"), repr(e))
finish()
