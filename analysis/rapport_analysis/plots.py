"""Figures (matplotlib, Agg backend): each function draws one figure and
returns it; save() writes it as PNG (200 dpi) and SVG.

Colours are the Okabe-Ito palette (safe for the common colour-vision
deficiencies); every axis is labelled with its unit. A group, a sweep point or
"all" keeps one colour in every figure of a report (label_colour): "all" is
black, the patient groups take the palette in the file's order (set by
reset_colours), any other label the next colour free the first time it is drawn.
"""
import os

import matplotlib
import matplotlib.ticker

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

DPI = 200
LABELS = {
    "dropout": "dropout (share of pairs)",
    "early_dropout": "early dropout (share of dropouts)",
    "ambivalence": "ambivalence (share)",
    "alliance_outcome_r": "alliance-outcome r",
    "recovered_share": "recovered (share of pairs)",
    "A": "alliance A (0-1)", "T": "trust T (0-1)", "S": "symptoms S (points, 0-27)",
}

# The patient groups' palette: Okabe-Ito without its yellow (faint on white)
# and its black (which is "all"); other labels (points, arms, observables)
# take Paul Tol's muted palette, so that they never wear a group's colour.
GROUP_PALETTE = ["#E69F00", "#56B4E9", "#009E73", "#0072B2", "#D55E00", "#CC79A7"]
OTHER_PALETTE = ["#332288", "#117733", "#882255", "#999933", "#44AA99", "#AA4499", "#88CCEE", "#CC6677", "#DDCC77"]
_label_colours = {}
_groups = []


def reset_colours(groups=()):
    """Start a report: "all" black, then each patient group in the file's order."""
    _label_colours.clear()
    _label_colours["all"] = "#000000"
    _groups[:] = list(groups)
    for k, g in enumerate(_groups):
        _label_colours[g] = GROUP_PALETTE[k % len(GROUP_PALETTE)]


def label_colour(label):
    """The colour of a group, point, arm or observable: the same in every figure of a report."""
    if label not in _label_colours:
        others = len(_label_colours) - 1 - len(_groups)
        _label_colours[label] = OTHER_PALETTE[others % len(OTHER_PALETTE)]
    return _label_colours[label]


reset_colours()

plt.rcParams.update({"axes.prop_cycle": matplotlib.cycler(color=OTHER_PALETTE), "font.size": 9,
                     "axes.spines.top": False, "axes.spines.right": False, "svg.fonttype": "none"})


def save(fig, outdir, name):
    """Write name.png (200 dpi) and name.svg; return the PNG's file name."""
    fig.savefig(os.path.join(outdir, name + ".png"), dpi=DPI, bbox_inches="tight")
    fig.savefig(os.path.join(outdir, name + ".svg"), bbox_inches="tight")
    plt.close(fig)
    return name + ".png"


def km_panels(panels, title):
    """Kaplan-Meier curves with Greenwood bands. panels: [(subtitle, {label: (weeks, S, lo, hi)})]."""
    fig, axes = plt.subplots(1, len(panels), figsize=(5.2 * len(panels), 3.8), squeeze=False)
    for ax, (sub, curves) in zip(axes[0], panels):
        for lab, (w, S, lo, hi) in curves.items():
            ax.step(w, S, where="post", color=label_colour(lab), label=lab, lw=1.4)
            ax.fill_between(w, lo, hi, step="post", color=label_colour(lab), alpha=0.2, lw=0)
        ax.set_xlabel("week since intake (weeks)")
        ax.set_ylabel("retained: P(no dropout by week)")
        ax.set_title(sub)
        ax.legend(fontsize=7, frameon=False)
    fig.suptitle(title)
    return fig


def dot_intervals(df, x, group, title, xlabel, zero=False):
    """Dot plot with horizontal intervals: one row per category of `x`, one
    colour per `group` (columns mean, lo, hi)."""
    cats = list(dict.fromkeys(df[x]))
    groups = list(dict.fromkeys(df[group]))
    fig, ax = plt.subplots(figsize=(6.5, 0.45 * len(cats) * max(1, len(groups)) ** 0.5 + 1.6))
    off = np.linspace(-0.3, 0.3, len(groups)) if len(groups) > 1 else [0.0]
    for gi, g in enumerate(groups):
        d = df[df[group] == g]
        y = np.array([cats.index(c) for c in d[x]]) + off[gi]
        lo = (d["mean"] - d["lo"]).clip(lower=0).fillna(0)
        hi = (d["hi"] - d["mean"]).clip(lower=0).fillna(0)
        ax.errorbar(d["mean"], y, xerr=[lo, hi], fmt="o", ms=4, color=label_colour(g), label=g, capsize=2)
    if zero:
        ax.axvline(0, color="grey", lw=0.8, ls="--")
    ax.set_yticks(range(len(cats)))
    ax.set_yticklabels(cats)
    ax.invert_yaxis()
    ax.set_xlabel(xlabel)
    ax.set_title(title)
    ax.legend(fontsize=7, frameon=False, loc="best")
    return fig


def band_panels(panels, ylabel, title):
    """Median and interquartile band by week. panels: [(subtitle, {label: (weeks, med, q25, q75)})]."""
    fig, axes = plt.subplots(1, len(panels), figsize=(4.6 * len(panels), 3.5), squeeze=False, sharey=True)
    for ax, (sub, curves) in zip(axes[0], panels):
        for lab, (w, med, q1, q3) in curves.items():
            ax.plot(w, med, color=label_colour(lab), label=lab, lw=1.4)
            ax.fill_between(w, q1, q3, color=label_colour(lab), alpha=0.18, lw=0)
        ax.set_xlabel("week since intake (weeks)")
        ax.set_title(sub)
        ax.legend(fontsize=7, frameon=False)
    axes[0][0].set_ylabel(ylabel)
    fig.suptitle(title)
    return fig


def scatter_r(x, y, r_text, xlabel, ylabel, title):
    """Scatter (drawn points possibly subsampled) with a least-squares line."""
    fig, ax = plt.subplots(figsize=(5.2, 4.0))
    ax.scatter(x, y, s=3, alpha=0.25, color=label_colour("pairs (>= 3 sessions)"), lw=0,
               label="pairs (>= 3 sessions)")
    if len(x) > 2:
        b, a = np.polyfit(x, y, 1)
        xs = np.linspace(np.min(x), np.max(x), 50)
        ax.plot(xs, a + b * xs, color=label_colour("all"), lw=1.5, label="least-squares line")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.text(0.02, 0.97, r_text, transform=ax.transAxes, va="top", fontsize=8)
    ax.legend(fontsize=7, frameon=False, loc="lower right")
    return fig


def probability_bars(df, x, group, column, title, ylabel):
    """Grouped bars of a probability (column, in [0, 1]): one cluster per
    category of `x`, one bar per `group`, in the groups' colours."""
    cats = list(dict.fromkeys(df[x]))
    groups = list(dict.fromkeys(df[group]))
    fig, ax = plt.subplots(figsize=(6.5, 3.2))
    width = 0.8 / max(1, len(groups))
    for gi, g in enumerate(groups):
        d = df[df[group] == g].set_index(x).reindex(cats)
        ax.bar(np.arange(len(cats)) + (gi - (len(groups) - 1) / 2) * width, d[column], width,
               color=label_colour(g), label=g)
    ax.set_xticks(range(len(cats)))
    ax.set_xticklabels(cats, rotation=20, ha="right", fontsize=8)
    ax.set_ylim(0, 1.15)  # room for the legend above the bars
    ax.set_yticks(np.linspace(0, 1, 6))
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.legend(fontsize=7, frameon=False, ncol=min(5, len(groups)), loc="upper center")
    return fig


def forest(tables, title):
    """Odds ratios with 95% intervals on a log axis (constant left out), one
    series per model: tables {model label: table}, rows the covariates of the
    first table (a covariate a model leaves out has no dot)."""
    names = [c for c in next(iter(tables.values())).index if c != "const"]
    fig, ax = plt.subplots(figsize=(5.6, 0.45 * len(names) + 1.6))
    off = np.linspace(-0.15, 0.15, len(tables)) if len(tables) > 1 else [0.0]
    for k, (label, table) in enumerate(tables.items()):
        t = table.reindex(names)
        y = np.arange(len(names)) + off[k]
        ax.errorbar(t["odds_ratio"], y, xerr=[t["odds_ratio"] - t["or_low"], t["or_high"] - t["odds_ratio"]],
                    fmt="o", color=label_colour(label), capsize=3, label=label)
    ax.axvline(1, color="grey", lw=0.8, ls="--")
    ax.set_xscale("log")
    ax.set_yticks(np.arange(len(names)))
    ax.set_yticklabels(names)
    if len(tables) > 1:
        ax.legend(fontsize=7, frameon=False)
    ax.invert_yaxis()
    ax.set_xlabel("odds ratio of dropout next week, per unit (log scale)")
    ax.set_title(title)
    return fig


def response_curves(x, stats, xlabel, title):
    """One panel per observable: mean over replicates and 95% band against a
    numeric axis. stats: {observable: (mean, lo, hi)} arrays over x."""
    fig, axes = plt.subplots(1, len(stats), figsize=(3.4 * len(stats), 3.2), squeeze=False)
    o = np.argsort(x)
    for ax, (obs, (m, lo, hi)) in zip(axes[0], stats.items()):
        ax.plot(x[o], m[o], "o-", color=label_colour("all"), ms=3, label="mean over replicates")
        ax.fill_between(x[o], lo[o], hi[o], color=label_colour("all"), alpha=0.2, lw=0, label="95% interval")
        ax.set_xlabel(xlabel)
        ax.set_ylabel(LABELS.get(obs, obs))
        ax.legend(fontsize=6, frameon=False)
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def categorical_dots(cats, stats, xlabel, title):
    """One panel per observable: a dot per category with its 95% interval."""
    fig, axes = plt.subplots(1, len(stats), figsize=(3.4 * len(stats), 0.35 * len(cats) + 1.8), squeeze=False)
    y = np.arange(len(cats))
    for i, (ax, (obs, (m, lo, hi))) in enumerate(zip(axes[0], stats.items())):
        ax.errorbar(m, y, xerr=[np.nan_to_num(m - lo), np.nan_to_num(hi - m)], fmt="o", color=label_colour("all"), capsize=2,
                    label="mean, 95% interval")
        ax.set_yticks(y)
        ax.set_yticklabels(cats if i == 0 else [])
        ax.invert_yaxis()
        ax.set_xlabel(LABELS.get(obs, obs))
        ax.legend(fontsize=6, frameon=False)
    axes[0][0].set_ylabel(xlabel)
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def heatmaps(xv, yv, grids, xlabel, ylabel, title, shared=False):
    """One heatmap per observable over two axes, each cell with its number.
    grids: {observable: 2-D array [y, x]}; shared: one colour scale for all
    (the groups of one observable, to compare them)."""
    fig, axes = plt.subplots(1, len(grids), figsize=(3.6 * len(grids), 3.2), squeeze=False)
    every = np.concatenate([np.ravel(g) for g in grids.values()])
    scale = (np.nanmin(every), np.nanmax(every)) if shared else None
    for ax, (obs, g) in zip(axes[0], grids.items()):
        lo, hi = scale or (np.nanmin(g), np.nanmax(g))
        im = ax.imshow(g, origin="lower", aspect="auto", cmap="cividis", vmin=lo, vmax=hi)
        for (i, j), v in np.ndenumerate(g):  # the number in its cell, light on the dark end of cividis
            if np.isfinite(v):
                dark = hi > lo and (v - lo) / (hi - lo) < 0.5
                ax.text(j, i, f"{v:.3g}", ha="center", va="center", fontsize=6, color="white" if dark else "black")
        ax.set_xticks(range(len(xv)))
        ax.set_xticklabels(xv, rotation=45, fontsize=6)
        ax.set_yticks(range(len(yv)))
        ax.set_yticklabels(yv, fontsize=6)
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
        fig.colorbar(im, ax=ax, label=LABELS.get(obs, obs))
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def sobol_bars(names, S1, ci1, ST, ciT, obs):
    """First-order and total Sobol indices with bootstrap intervals."""
    fig, ax = plt.subplots(figsize=(1.0 * len(names) + 2.5, 3.2))
    x = np.arange(len(names))
    ax.bar(x - 0.18, S1, 0.36, yerr=[S1 - ci1[0], ci1[1] - S1], color=label_colour("first order S_i"),
           label="first order S_i", capsize=2)
    ax.bar(x + 0.18, ST, 0.36, yerr=[ST - ciT[0], ciT[1] - ST], color=label_colour("total S_Ti"),
           label="total S_Ti", capsize=2)
    ax.set_xticks(x)
    ax.set_xticklabels(names, rotation=30, ha="right", fontsize=7)
    ax.set_ylabel("Sobol index (share of variance, 1)")
    ax.set_title(f"Sensitivity of {obs}")
    ax.legend(fontsize=7, frameon=False)
    return fig


# ---- the posterior of an ABC-SMC calibration ----

def _grid_axes(n, width=3.3, height=2.6, cols=3):
    cols = max(1, min(cols, n))
    rows = -(-n // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(width * cols, height * rows), squeeze=False)
    for ax in axes.flat[n:]:
        ax.set_visible(False)
    return fig, list(axes.flat[:n])


def posterior_marginals(panels, title):
    """One panel per coefficient: the particles' weighted histogram (density)
    and weighted KDE, the truncated prior's density over its support, the
    median (line) and the 95% credible interval (band). panels: dicts with
    key, edges, hist, grid, kde (or None), prior (or None), prior_text,
    median, lo, hi, xlim, zoomed."""
    fig, axes = _grid_axes(len(panels))
    post, pri, cri = "posterior (weighted particles)", "prior (truncated)", "95% credible interval"
    for ax, p in zip(axes, panels):
        ax.hist(p["edges"][:-1], bins=p["edges"], weights=p["hist"], color=label_colour(post), alpha=0.35,
                label=post + ", histogram")
        if p["kde"] is not None:
            ax.plot(p["grid"], p["kde"], color=label_colour(post), lw=1.4, label="posterior, weighted KDE")
        if p["prior"] is not None:
            ax.plot(p["grid"], p["prior"], color=label_colour(pri), lw=1.2, ls="--", label=pri)
        ax.axvspan(p["lo"], p["hi"], color=label_colour(cri), alpha=0.12, lw=0, label=cri)
        ax.axvline(p["median"], color=label_colour(cri), lw=1.2, label="posterior median")
        ax.set_xlim(*p["xlim"])
        ax.set_ylim(bottom=0)
        ax.set_xlabel(p["key"] + (" (zoomed to the particles)" if p["zoomed"] else ""), fontsize=8)
        ax.set_ylabel("density (1 / coefficient unit)", fontsize=7)
        ax.set_title(f"{p['key']}, prior {p['prior_text']}", fontsize=8)
    fig.suptitle(title)
    _legend_below(fig, axes[0])
    return fig


def _legend_below(fig, ax):
    """One legend for the panels (they share their entries), below them."""
    fig.tight_layout()
    handles, labels = ax.get_legend_handles_labels()
    fig.legend(handles, labels, loc="upper center", bbox_to_anchor=(0.5, 0.0), ncol=min(len(labels), 5),
               fontsize=7, frameon=False)


def pair_plot(keys, theta, w, corr, medians, title):
    """The pairs of coefficients: below the diagonal each pair's particles,
    the area of a dot proportional to its weight, with the posterior medians
    crossed; above it the weighted correlation r (its colour, from -1 blue
    to +1 red); on the diagonal the weighted histogram."""
    n = len(keys)
    size = max(1.25, min(2.2, 11.0 / max(n, 1)))
    fig, axes = plt.subplots(n, n, figsize=(size * n + 0.6, size * n + 0.4), squeeze=False)
    area = 12.0 * np.asarray(w) / np.mean(w)
    cmap = plt.get_cmap("RdBu_r")
    col = label_colour("posterior (weighted particles)")
    lim = [(np.min(theta[:, i]), np.max(theta[:, i])) for i in range(n)]
    lim = [(a - 0.05 * (b - a), b + 0.05 * (b - a)) if b > a else (a - 0.5, b + 0.5) for a, b in lim]
    for i in range(n):
        for j in range(n):
            ax = axes[i][j]
            if i == j:
                ax.hist(theta[:, i], bins=20, weights=w, color=col, alpha=0.6, range=lim[i])
                ax.axvline(medians[i], color=label_colour("95% credible interval"), lw=1)
                ax.set_xlim(*lim[i])
                ax.set_yticks([])
            elif i > j:
                ax.scatter(theta[:, j], theta[:, i], s=area, color=col, alpha=0.35, lw=0)
                ax.axvline(medians[j], color="grey", lw=0.6)
                ax.axhline(medians[i], color="grey", lw=0.6)
                ax.set_xlim(*lim[j])
                ax.set_ylim(*lim[i])
            else:
                r = corr[i, j]
                ax.set_facecolor(cmap(0.5 + 0.5 * r) if np.isfinite(r) else "white")
                ax.text(0.5, 0.5, f"r = {r:+.2f}" if np.isfinite(r) else "r –", ha="center", va="center",
                        fontsize=max(6, min(10, 30 / n)), transform=ax.transAxes,
                        color="white" if np.isfinite(r) and abs(r) > 0.6 else "black")
                ax.set_xticks([])
                ax.set_yticks([])
                for s in ax.spines.values():
                    s.set_visible(False)
            ax.tick_params(labelsize=5)
            if i < n - 1:
                ax.set_xticklabels([])
            elif j <= i or i == n - 1:
                ax.set_xlabel(keys[j], fontsize=6, rotation=20 if n > 4 else 0)
            if j > 0 and i != j:
                ax.set_yticklabels([])
            elif j == 0 and i > 0:
                ax.set_ylabel(keys[i], fontsize=6)
    fig.suptitle(title)
    # fixed margins in inches (tight_layout over n^2 axes costs seconds; savefig crops the rest)
    W, H = fig.get_size_inches()
    fig.subplots_adjust(left=0.75 / W, right=1 - 0.1 / W, bottom=0.7 / H, top=1 - 0.45 / H, wspace=0.12, hspace=0.12)
    return fig


def correlation_matrix(keys, r, title):
    """The weighted correlation of every pair of coefficients, each cell with its number."""
    n = len(keys)
    fig, ax = plt.subplots(figsize=(0.55 * n + 2.8, 0.5 * n + 1.8))
    im = ax.imshow(r, cmap="RdBu_r", vmin=-1, vmax=1)
    for (i, j), v in np.ndenumerate(r):
        if np.isfinite(v):
            ax.text(j, i, f"{v:.2f}", ha="center", va="center", fontsize=6, color="white" if abs(v) > 0.6 else "black")
    ax.set_xticks(range(n))
    ax.set_xticklabels(keys, rotation=60, ha="right", fontsize=6)
    ax.set_yticks(range(n))
    ax.set_yticklabels(keys, fontsize=6)
    fig.colorbar(im, ax=ax, label="weighted correlation r (1)")
    ax.set_title(title)
    fig.tight_layout()
    return fig


def abc_generations(hist, particles, tolerance, title):
    """The run of the calibration by generation: the tolerance (log scale;
    generation 0, the prior, has none) against the one that stops it
    (abc.tolerance, dashed), the acceptance, the ESS against the number of
    particles and the simulations (bars)."""
    fig, axes = plt.subplots(1, 4, figsize=(13.0, 3.0))
    g = hist["generation"].to_numpy()
    tol = hist["tolerance"].to_numpy(dtype=float)
    c = label_colour("all")
    ok = np.isfinite(tol)
    axes[0].plot(g[ok], tol[ok], "o-", color=c, ms=3, label="tolerance eps_t")
    if np.isfinite(tolerance) and tolerance > 0:
        axes[0].axhline(tolerance, color="grey", ls="--", lw=0.8, label=f"abc.tolerance ({tolerance:g})")
    if ok.any() and np.all(tol[ok] > 0):
        axes[0].set_yscale("log")  # labelled at 1, 2 and 5 of each decade, as plain numbers
        axes[0].yaxis.set_major_locator(matplotlib.ticker.LogLocator(subs=(1.0, 2.0, 5.0)))
        axes[0].yaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: f"{v:g}"))
        axes[0].yaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
    axes[0].legend(fontsize=6, frameon=False)
    axes[0].set_ylabel("tolerance eps_t (distance, 1)")
    axes[1].plot(g, hist["acceptance"], "o-", color=c, ms=3)
    axes[1].set_ylim(0, 1.05)
    axes[1].set_ylabel("acceptance (particles / simulations)")
    axes[2].plot(g, hist["ess"], "o-", color=c, ms=3, label="ESS")
    axes[2].axhline(particles, color="grey", ls="--", lw=0.8, label=f"particles ({particles})")
    axes[2].set_ylim(0, particles * 1.08)
    axes[2].set_ylabel("effective sample size (particles)")
    axes[2].legend(fontsize=6, frameon=False, loc="lower left")
    axes[3].bar(g, hist["simulations"], color=c, alpha=0.7)
    axes[3].set_ylabel("simulations (of the model)")
    for ax in axes:
        ax.set_xlabel("generation")
        ax.set_xticks(g if len(g) <= 16 else g[:: -(-len(g) // 16)])
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def convergence(keys, gens, med, lo, hi, support, title):
    """One panel per coefficient: the weighted median (line) and 95%
    credible band of each generation's particles, within the prior's
    support (dotted where finite): a posterior that has settled stops
    moving in the last generations."""
    fig, axes = _grid_axes(len(keys), height=2.3)
    c = label_colour("95% credible interval")
    for i, ax in enumerate(axes):
        ax.fill_between(gens, lo[:, i], hi[:, i], color=c, alpha=0.15, lw=0, label="95% credible interval")
        ax.plot(gens, med[:, i], "o-", color=c, ms=2.5, lw=1.2, label="posterior median")
        for b in support[i]:
            if np.isfinite(b):
                ax.axhline(b, color="grey", ls=":", lw=0.8)
        ax.set_title(keys[i], fontsize=8)
        ax.set_xlabel("generation")
        ax.set_ylabel(keys[i] + " (its units)", fontsize=7)
        ax.set_xticks(gens if len(gens) <= 16 else gens[:: -(-len(gens) // 16)])
    fig.suptitle(title)
    _legend_below(fig, axes[0])
    return fig


def predictive_checks(panels, title):
    """One panel per target: the weighted histogram of the particles'
    simulated values (the posterior predictive), the target's band (shaded)
    and value (line), the predictive 95% interval and median (bar and dot
    above). panels: dicts with name, x, w, value, lo, hi, median, q025, q975."""
    fig, axes = _grid_axes(len(panels))
    pp, band, val = "posterior predictive (weighted)", "target band", "target value"
    for ax, p in zip(axes, panels):
        x = p["x"]
        a, b = min(np.min(x), p["lo"]), max(np.max(x), p["hi"])
        pad = 0.05 * (b - a) if b > a else 0.5
        ax.hist(x, bins=25, range=(a - pad, b + pad), weights=p["w"], color=label_colour(pp), alpha=0.5, label=pp)
        ax.axvspan(p["lo"], p["hi"], color=label_colour(band), alpha=0.18, lw=0, label=band)
        ax.axvline(p["value"], color=label_colour(val), lw=1.4, label=val)
        top = ax.get_ylim()[1]
        ax.errorbar([p["median"]], [top * 0.97], xerr=[[p["median"] - p["q025"]], [p["q975"] - p["median"]]],
                    fmt="o", ms=3, color=label_colour("all"), capsize=2, label="predictive median, 95% interval")
        ax.set_ylim(0, top * 1.05)
        ax.set_xlabel(p["name"] + " (the target's units)", fontsize=8)
        ax.set_ylabel("posterior weight (1)", fontsize=7)
        ax.set_title(p["name"], fontsize=8)
    fig.suptitle(title)
    _legend_below(fig, axes[0])
    return fig
