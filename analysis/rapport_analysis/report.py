"""The report: figures, tables and an index.html with a one-line reading of each.

build() reads the file run by run (KM counts, pair columns) and a seeded,
capped random subsample of trajectory rows (trajectory figures and the hazard
model), so its memory and time stay bounded on large files.
"""
import html
import re
import json
import os
import time

import numpy as np
import pandas as pd

from . import hazard, plots, read, stats, survival

MAIN = ["dropout", "early_dropout", "ambivalence", "alliance_outcome_r", "recovered_share"]
MAX_ARMS = 8  # KM curves per panel before the figure is unreadable


def latex_table(df, index=False):
    """df as a LaTeX tabular with booktabs rules (\\toprule, \\midrule,
    \\bottomrule: \\usepackage{booktabs}), numbers to 4 decimals, NaN as --,
    every text escaped."""
    st = df.style.format(precision=4, na_rep="--", escape="latex").format_index(escape="latex", axis=1)
    if index:
        st = st.format_index(escape="latex", axis=0)
    else:
        st = st.hide(axis="index")
    return st.to_latex(hrules=True)


class Report:
    """Collects sections of figures and tables, then writes index.html and report.json."""

    def __init__(self, outdir):
        self.outdir = outdir
        self.sections = []
        self.numbers = {}
        self.figures = []

    def section(self, title, note=""):
        self.sections.append({"title": title, "note": note, "items": []})

    def figure(self, fig, name, reading):
        png = plots.save(fig, self.outdir, name)
        self.figures.append(png)
        self.sections[-1]["items"].append(("fig", png, reading))

    def table(self, df, name, reading, index=False):
        """A table shown in the page, and beside it as name.csv and name.tex (booktabs, for a paper)."""
        df.to_csv(os.path.join(self.outdir, name + ".csv"), index=index)
        with open(os.path.join(self.outdir, name + ".tex"), "w", encoding="utf-8") as tex:
            tex.write(latex_table(df, index))
        body = df.to_html(index=index, float_format=lambda v: f"{v:.4f}", border=0, classes="t", na_rep="–")
        self.sections[-1]["items"].append(("table", body, reading + f' (<a href="{name}.csv">CSV</a>, '
                                           f'<a href="{name}.tex">LaTeX</a>)'))

    def raw(self, text):
        self.sections[-1]["items"].append(("raw", text, ""))

    def write(self, title, elapsed):
        parts = [f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{html.escape(title)}</title>",
                 "<style>body{font-family:sans-serif;max-width:1300px;margin:auto;padding:1em;color:#222}"
                 "img{max-width:min(100%,1100px);border:1px solid #ddd}figure{margin:1em 0}figcaption,.reading{font-style:italic;"
                 "color:#333;margin:.3em 0}table.t{border-collapse:collapse;font-size:12px}table.t td,table.t th"
                 "{border-bottom:1px solid #ddd;padding:2px 8px;text-align:right}pre{background:#f6f6f6;padding:.5em;"
                 "overflow:auto;font-size:11px}</style></head><body>",
                 f"<h1>{html.escape(title)}</h1>", "<ul>"]
        for i, s in enumerate(self.sections):
            parts.append(f"<li><a href='#s{i}'>{html.escape(s['title'])}</a></li>")
        parts.append("</ul>")
        for i, s in enumerate(self.sections):
            parts.append(f"<h2 id='s{i}'>{html.escape(s['title'])}</h2>")
            if s["note"]:
                parts.append(f"<p>{s['note']}</p>")
            for kind, body, reading in s["items"]:
                if kind == "fig":
                    svg = body[:-4] + ".svg"
                    parts.append(f"<figure><img src='{body}' alt='{html.escape(reading)}'><figcaption>"
                                 f"{html.escape(reading)} (<a href='{svg}'>SVG</a>)</figcaption></figure>")
                elif kind == "table":
                    parts.append(f"<p class='reading'>{reading}</p>{body}")
                else:
                    parts.append(body)
        parts.append(f"<p><small>Made by analysis/report in {elapsed:.1f} s.</small></p>")
        # Marks broken images on load: the test reads these attributes with chromium --dump-dom.
        parts.append("<script>window.addEventListener('load',function(){var im=document.images,b=0;"
                     "for(var i=0;i<im.length;i++){if(!im[i].complete||im[i].naturalWidth===0)b++;}"
                     "document.body.setAttribute('data-images',im.length);"
                     "document.body.setAttribute('data-broken-images',b);});</script></body></html>")
        with open(os.path.join(self.outdir, "index.html"), "w") as fh:
            fh.write("\n".join(parts))
        self.numbers["figures"] = self.figures
        with open(os.path.join(self.outdir, "report.json"), "w") as fh:
            json.dump(self.numbers, fh, indent=1, default=float)


def fmt(x, d=3):
    return "NaN" if x is None or not np.isfinite(x) else f"{x:.{d}f}"


# ---- retention ----

def km_counts(f, runs, labels, weeks):
    """Events and censorings per week by (point, group) and by point, read run by run."""
    by_group, by_point = {}, {}
    groups = read.group_names(f)
    for r, df in read.iter_run_pairs(f, runs, ["exit_week", "exit_reason", "group"]):
        p = int(r["point"])
        dropped = df["exit_reason"].to_numpy() == read.EXIT_DROPPED
        e = df["exit_week"].to_numpy()
        g = df["group"].to_numpy()
        d, c = survival.exit_counts(e, dropped, weeks)
        acc = by_point.setdefault(p, [0, 0])
        acc[0] = acc[0] + d
        acc[1] = acc[1] + c
        for k, name in enumerate(groups):
            m = g == k
            d, c = survival.exit_counts(e[m], dropped[m], weeks)
            acc = by_group.setdefault((p, name), [0, 0])
            acc[0] = acc[0] + d
            acc[1] = acc[1] + c
    return by_group, by_point


def km_curve(d, c):
    S, var, n = survival.kaplan_meier(d, c)
    lo, hi = survival.confidence_band(S, var)
    return np.arange(len(S)), S, lo, hi


def retention_section(rep, f, runs, labels, weeks):
    rep.section("Retention (Kaplan-Meier)",
                "Time to dropout; recovery, course completion and the horizon censor. Bands: pointwise 95% "
                "(Greenwood variance, S ± 1.96 SE, clipped to [0, 1]). Pooled over replicates.")
    by_group, by_point = km_counts(f, runs, labels, weeks)
    points = sorted(by_point)
    p0 = points[0]
    curves = {name: km_curve(*by_group[(p0, name)]) for name in read.group_names(f) if (p0, name) in by_group}
    panels = [(f"by patient group ({labels[p0]})", curves)]
    if len(points) > 1:
        panels.append(("by sweep point (all groups)",
                       {labels[p]: km_curve(*by_point[p]) for p in points[:MAX_ARMS]}))
    end = {k: v[1][-1] for k, v in curves.items()}
    lo_g, hi_g = min(end, key=end.get), max(end, key=end.get)
    reading = (f"Retention at week {weeks}: lowest for {lo_g} ({end[lo_g]:.1%}), highest for {hi_g} "
               f"({end[hi_g]:.1%}).")
    if len(points) > 1:
        endp = {labels[p]: km_curve(*by_point[p])[1][-1] for p in points}
        best = max(endp, key=endp.get)
        reading += f" Across points, best retention with {best} ({endp[best]:.1%})."
        if len(points) > MAX_ARMS:
            reading += f" (first {MAX_ARMS} points drawn)"
    rep.figure(plots.km_panels(panels, "Retention: share still engaged (no dropout)"), "km_retention", reading)


def dropout_table(f, runs, labels):
    """Dropout by group x point: mean over replicates ± 1.96 SE, or Wilson for one run."""
    s = read.summary_long(f)
    rows = []
    for (p, g), d in s.groupby(["point", "group"], sort=False):
        if len(d) > 1:
            m, lo, hi = stats.mean_interval(d["dropout"])
            how = f"mean ± 1.96 SE over {len(d)} replicates"
        else:
            m = float(d["dropout"].iloc[0])
            lo, hi = stats.wilson(m, int(d["pairs"].iloc[0]))
            how = f"Wilson, n = {int(d['pairs'].iloc[0])}"
        rows.append({"point": int(p), "arm": labels[p], "group": g, "mean": m, "lo": lo, "hi": hi,
                     "replicates": len(d), "interval": how})
    return pd.DataFrame(rows)


def dropout_section(rep, f, runs, labels):
    t = dropout_table(f, runs, labels)
    rep.numbers["dropout"] = {a: dict(zip(d["group"], d["mean"])) for a, d in t.groupby("arm", sort=False)}
    rep.numbers["dropout_interval"] = {a: {g: [lo, hi] for g, lo, hi in zip(d["group"], d["lo"], d["hi"])}
                                       for a, d in t.groupby("arm", sort=False)}
    g = t[t["group"] != "all"]
    top = g.loc[g["mean"].idxmax()]
    bot = g.loc[g["mean"].idxmin()]
    reading = (f"Dropout ranges from {bot['mean']:.1%} ({bot['group']}, {bot['arm']}) to {top['mean']:.1%} "
               f"({top['group']}, {top['arm']}); overall {t[t['group'] == 'all']['mean'].iloc[0]:.2%} at "
               f"{t['arm'].iloc[0]}.")
    rep.section("Dropout by group and arm", "95% intervals: mean ± 1.96 SE over replicates; for a single run, "
                "a binomial Wilson interval on the group's pairs.")
    drawn = t[t["point"].isin(sorted(t["point"].unique())[:MAX_ARMS])]
    if t["point"].nunique() > MAX_ARMS:
        reading += f" (figure: first {MAX_ARMS} points; the table has all)"
    fig = plots.dot_intervals(drawn.rename(columns={"arm": "arm_"}), "arm_", "group", "Dropout by group and sweep point",
                              "dropout (share of pairs)") if t["point"].nunique() > 1 else \
        plots.dot_intervals(t, "group", "arm", "Dropout by patient group", "dropout (share of pairs)")
    rep.figure(fig, "dropout_by_group", reading)
    rep.table(t.drop(columns=["point"]), "dropout_by_group", "Dropout by group and arm, 95% intervals")


# ---- every observable ----

def observables_table(f, labels):
    """Every observable of the file (its /summary columns) by point and group:
    the mean over replicates where it is defined (a single run: its value);
    one row per point and observable, one column per group."""
    s = read.summary_long(f)
    obs = read.observables(f)
    groups = ["all"] + read.group_names(f)
    rows = []
    for p, d in s.groupby("point", sort=True):
        means = d.groupby("group", sort=False)[obs].mean()
        for o in obs:
            row = {"point": int(p), "arm": labels[p], "observable": o, "definition": read.definition(f, o)}
            row.update({g: float(means.loc[g, o]) for g in groups})
            row["replicates"] = int(d["replicate"].nunique())
            rows.append(row)
    return pd.DataFrame(rows), groups


def observables_section(rep, f, labels):
    t, groups = observables_table(f, labels)
    rep.numbers["observables"] = {a: {r["observable"]: {g: (r[g] if np.isfinite(r[g]) else None) for g in groups}
                                      for _, r in d.iterrows()} for a, d in t.groupby("arm", sort=False)}
    n_obs = t["observable"].nunique()
    rep.section("Observables by group and arm", f"Every observable the file holds ({n_obs}, the columns of "
                "/summary, with their definitions): mean over replicates where defined; – where undefined (a "
                "share of an empty set, or an observable measured overall only).")
    rep.table(t.drop(columns=["point"]), "observables", f"{n_obs} observables by arm and patient group, mean over "
              "replicates")


# ---- trajectories ----

def weekly_bands(X, week, min_n=20):
    """Median and quartiles by week over pairs still present (non-NaN); weeks
    with fewer than min_n pairs are left out (too noisy)."""
    n = np.sum(np.isfinite(X), axis=0)
    ok = n >= min_n
    if not ok.any():
        return week[:0], *(np.zeros(0),) * 3
    q = np.nanpercentile(X[:, ok], [50, 25, 75], axis=0)
    return week[ok], q[0], q[1], q[2]


def trajectory_section(rep, f, runs, traj, pairs, week, n_total, cap):
    note = (f"Median and interquartile band by week among pairs still in treatment (a pair's state is "
            f"undefined after its exit). From {len(pairs):,} pairs' trajectories of {n_total:,} written, "
            f"a seeded uniform random subsample (cap {cap:,}); pooled over all runs.")
    rep.section("Trajectories: alliance, trust, symptoms", note)
    groups = read.group_names(f)
    tert, cuts = stats.tertile_labels(pairs["distance"])
    disc = (pairs["discussed_week"] >= 0) & (pairs["discussed_week"] <= pairs["exit_week"])
    splits = [
        ("by patient group", {g: pairs["group"].to_numpy() == k for k, g in enumerate(groups)}),
        ("by distance tertile", {f"low (d < {cuts[0]:.2f})": tert == 0,
                                 f"middle": tert == 1, f"high (d >= {cuts[1]:.2f})": tert == 2}),
        ("by discussed by exit", {"discussed": disc.to_numpy(), "not discussed": ~disc.to_numpy()}),
    ]
    for v, what in (("A", "Alliance"), ("T", "Trust"), ("S", "Symptoms")):
        if v not in traj:
            continue
        panels = []
        for title, masks in splits:
            panels.append((title, {lab: weekly_bands(traj[v][m], week) for lab, m in masks.items() if m.sum()}))
        hi = {lab: b[1][-1] for lab, b in panels[1][1].items() if len(b[1])}
        dh = {lab: b[1][-1] for lab, b in panels[2][1].items() if len(b[1])}
        reading = f"{what}: median at the last week drawn, " + ", ".join(f"{k} {fmt(x, 2)}" for k, x in hi.items()) + \
            "; " + ", ".join(f"{k} {fmt(x, 2)}" for k, x in dh.items()) + "."
        rep.figure(plots.band_panels(panels, plots.LABELS[v], f"{what} by week (median, IQR)"),
                   f"trajectory_{v}", reading)


# ---- alliance-outcome ----

def alliance_outcome_section(rep, f, runs, labels, seed):
    rep.section("Alliance and outcome", "Early alliance (mean of A_1..A_3) against improvement S_0 - S_exit, pairs "
                "with >= 3 sessions (all of them, pooled over replicates). 95% interval of r by Fisher's z.")
    xs, ys, rows = {}, {}, []
    for r, df in read.iter_run_pairs(f, runs, ["early_alliance", "improvement", "exit_week"]):
        m = (df["exit_week"] >= 3).to_numpy() & np.isfinite(df["early_alliance"].to_numpy())
        p = int(r["point"])
        xs.setdefault(p, []).append(df["early_alliance"].to_numpy()[m])
        ys.setdefault(p, []).append(df["improvement"].to_numpy()[m])
    allx, ally = [], []
    for p in sorted(xs):
        x, y = np.concatenate(xs[p]), np.concatenate(ys[p])
        allx.append(x)
        ally.append(y)
        r_, lo, hi, n = stats.pearson(x, y)
        rows.append({"arm": labels[p], "r": r_, "lo": lo, "hi": hi, "pairs": n})
    t = pd.DataFrame(rows)
    rep.numbers["alliance_outcome_r"] = dict(zip(t["arm"], t["r"]))
    p0 = min(xs)
    x, y = allx[0], ally[0]
    r_, lo, hi, n = rows[0]["r"], rows[0]["lo"], rows[0]["hi"], rows[0]["pairs"]
    draw = np.random.default_rng(seed).choice(len(x), size=min(len(x), 5000), replace=False)
    txt = f"r = {fmt(r_)} [95% {fmt(lo)}, {fmt(hi)}], n = {n:,}"
    reading = (f"Better early alliance goes with more improvement: {txt} ({labels[p0]})" if r_ > 0 else
               f"Early alliance and improvement: {txt} ({labels[p0]})") + \
        (f"; {min(len(x), 5000):,} points drawn." if len(x) > 5000 else ".")
    rep.figure(plots.scatter_r(x[draw], y[draw], txt, "early alliance, mean A_1..A_3 (0-1)",
                               "improvement S_0 - S_exit (points)", f"Alliance-outcome ({labels[p0]})"),
               "alliance_outcome", reading)
    rep.table(t, "alliance_outcome_r", "Pearson r of early alliance and improvement by sweep point")


# ---- hazard ----

def hazard_section(rep, traj, pairs, every, cap):
    rep.section("Discrete-time hazard of dropout",
                "Logit on pair-weeks: week t of a pair with its state at t (alliance, trust, stressors N_t, "
                "discussed D_t) and its distance and barrier; the event is dropout at week t + 1. "
                f"Pairs: the same seeded subsample as the trajectories (cap {cap:,}). Odds ratios per unit of "
                "each covariate with 95% Wald intervals. Associations with the state a week before: the model's own "
                "hazard (MODEL.md) uses A and T of the exit week and an early-weeks term, so a coefficient need not "
                "match a model parameter.")
    need = {"A", "T", "N", "D"}
    if every != 1 or not need <= set(traj):
        rep.raw(f"<p>Not fitted: needs trajectories A, T, N, D written every week (output.every = 1); this "
                f"file has every = {every} and {sorted(traj)}.</p>")
        return
    pw = hazard.pair_weeks(traj, pairs)
    if pw["event"].sum() < 10:
        rep.raw("<p>Not fitted: fewer than 10 dropouts among the sampled pair-weeks.</p>")
        return
    res, t = hazard.fit(pw)
    # alliance and trust move together: the model without alliance beside it
    _, t_noA = hazard.fit(pw, [c for c in hazard.COVARIATES if c != "alliance"])
    rep.numbers["hazard_odds_ratio"] = t["odds_ratio"].to_dict()
    rep.numbers["hazard_odds_ratio_without_alliance"] = t_noA["odds_ratio"].to_dict()
    tt = t.drop(index="const")
    sig = tt[tt["p"] < 0.05]
    strongest = (np.log(sig["odds_ratio"]).abs().idxmax() if len(sig) else None)
    reading = f"{len(pw):,} pair-weeks, {int(pw['event'].sum()):,} dropouts; " + \
        (f"alliance OR {fmt(t.loc['alliance', 'odds_ratio'], 3)} per unit" if "alliance" in t.index else "") + \
        (f", trust OR {fmt(t.loc['trust', 'odds_ratio'], 3)}" if "trust" in t.index else "") + \
        (f"; the largest significant effect is {strongest}." if strongest else ".") + \
        " Odds ratios are associations among pairs still at risk, each adjusted for the others; alliance " \
        "and trust move together, so one of them can point the 'wrong' way (e.g. trust above 1) " \
        "without causing dropout: the model without alliance is drawn beside it" + \
        (f" (trust OR {fmt(t_noA.loc['trust', 'odds_ratio'], 3)} there)." if "trust" in t_noA.index else ".")
    rep.figure(plots.forest({"with alliance": t, "without alliance": t_noA}, "Dropout hazard: odds ratios"),
               "hazard_odds_ratios", reading)
    rep.table(t.reset_index().rename(columns={"index": "covariate"}), "hazard_model", reading)
    rep.table(t_noA.reset_index().rename(columns={"index": "covariate"}), "hazard_model_without_alliance", reading)


# ---- sweeps ----

def per_point_stats(runs, obs):
    g = runs.groupby("point")[obs]
    out = {}
    for p, x in g:
        out[p] = stats.mean_interval(x)
    pts = sorted(out)
    return pts, np.array([out[p][0] for p in pts]), np.array([out[p][1] for p in pts]), \
        np.array([out[p][2] for p in pts])


def sweep_section(rep, f, runs, axes, labels, seed):
    reps = runs.groupby("point").size()
    note = (f"{runs['point'].nunique()} points x {int(reps.max())} replicates. Swept: {', '.join(axes) or 'nothing'}. "
            "Intervals: mean over replicates ± 1.96 SE (none with one replicate).")
    rep.section("Sweep: response of the main observables", note)
    obs = [o for o in MAIN if o in runs]
    st = {o: per_point_stats(runs, o)[1:] for o in obs}
    pts = sorted(runs["point"].unique())
    first = runs.groupby("point").first()
    design = saltelli_design(read.provenance(f)[1], runs, axes)
    if design is not None:
        sobol_part(rep, f, runs, axes, obs, design, seed)
        return
    if len(axes) == 1 and read.words_of(f, axes[0]) is None:
        x = first[axes[0]].to_numpy(dtype=float)
        rep.figure(plots.response_curves(x, st, axes[0], "Response to " + axes[0]), "sweep_response",
                   reading_range(st, [f"{axes[0]}={v:g}" for v in x]))
    elif len(axes) == 2 and len(pts) == first[axes[0]].nunique() * first[axes[1]].nunique():
        xv, yv = sorted(first[axes[0]].unique()), sorted(first[axes[1]].unique())
        grids = {}
        for o in obs:
            g = np.full((len(yv), len(xv)), np.nan)
            for i, p in enumerate(pts):
                g[yv.index(first.loc[p, axes[1]]), xv.index(first.loc[p, axes[0]])] = st[o][0][i]
            grids[o] = g
        w0, w1 = read.words_of(f, axes[0]), read.words_of(f, axes[1])
        xl = [w0[int(v)] if w0 else f"{v:g}" for v in xv]
        yl = [w1[int(v)] if w1 else f"{v:g}" for v in yv]
        rep.figure(plots.heatmaps(xl, yl, grids, axes[0], axes[1], "Mean over replicates"), "sweep_heatmap",
                   reading_range(st, [labels[p] for p in pts]))
        # dropout of each patient group over the same two axes (/summary's group columns)
        by_group = f["summary/dropout"][:] if "summary/dropout" in f else None
        if by_group is not None:
            grids_g = {}
            for k, name in enumerate(read.group_names(f)):
                g = np.full((len(yv), len(xv)), np.nan)
                for p in pts:
                    rows = runs.index[runs["point"] == p].to_numpy()
                    g[yv.index(first.loc[p, axes[1]]), xv.index(first.loc[p, axes[0]])] = \
                        np.nanmean(by_group[rows, 1 + k])
                grids_g[f"dropout, {name}"] = g
            rep.figure(plots.heatmaps(xl, yl, grids_g, axes[0], axes[1], "Dropout by patient group, mean over "
                                      "replicates (one colour scale)", shared=True), "sweep_heatmap_groups",
                       "Each group's dropout over the two swept axes, on one colour scale so that the groups "
                       "compare; the numbers are the cells' values.")
    if not (len(axes) == 1 and read.words_of(f, axes[0]) is None) and len(pts) <= 40:
        cats = [labels[p] for p in pts]
        rep.figure(plots.categorical_dots(cats, st, "sweep point", "Main observables by sweep point"),
                   "sweep_points", reading_range(st, cats))
    tab = pd.DataFrame({"point": pts, "label": [labels[p] for p in pts]})
    for o in obs:
        tab[o], tab[o + "_lo"], tab[o + "_hi"] = st[o]
    rep.table(tab, "sweep_points", "Main observables by sweep point (mean, 95% interval)")
    if int(reps.min()) >= 2 and 2 <= len(pts) <= 40:
        paired_part(rep, runs, labels, obs, pts)
        contrasts_part(rep, f, runs, labels, pts)


def reading_range(st, cats):
    m = st["dropout"][0]
    i, j = int(np.nanargmin(m)), int(np.nanargmax(m))
    return f"Dropout is lowest at {cats[i]} ({m[i]:.1%}) and highest at {cats[j]} ({m[j]:.1%})."


def paired_part(rep, runs, labels, obs, pts):
    """Point p minus point 0, replicate by replicate (common random numbers make these precise)."""
    base = runs[runs["point"] == pts[0]].set_index("replicate")
    rows = []
    for p in pts[1:]:
        d = runs[runs["point"] == p].set_index("replicate")
        common = d.index.intersection(base.index)
        for o in obs:
            m, lo, hi = stats.mean_interval(d.loc[common, o] - base.loc[common, o])
            rows.append({"arm": labels[p], "observable": o, "mean": m, "lo": lo, "hi": hi, "replicates": len(common)})
    t = pd.DataFrame(rows)
    dd = t[t["observable"] == "dropout"]
    i = dd["mean"].idxmin()
    reading = (f"Paired against {labels[pts[0]]}: the largest fall in dropout is {dd.loc[i, 'arm']} "
               f"({dd.loc[i, 'mean']:+.2%} [{dd.loc[i, 'lo']:+.2%}, {dd.loc[i, 'hi']:+.2%}]).")
    rep.numbers["paired_dropout"] = dict(zip(dd["arm"], dd["mean"]))
    fig = plots.dot_intervals(t, "arm", "observable", f"Paired differences: point minus {labels[pts[0]]}",
                              "difference (same units as the observable)", zero=True)
    rep.figure(fig, "sweep_paired_differences", reading)
    rep.table(t, "sweep_paired_differences", reading)


def contrasts_reference(f, names, pts):
    """The group and point the sweep's contrasts compare with: the file's
    (/statistics, from the scenario's contrasts: section), else the first
    group and point 0."""
    ref, base = names[0], pts[0]
    if "statistics" in f:
        a = f["statistics"].attrs
        g = a["reference_group"]
        ref = g.decode() if isinstance(g, bytes) else str(g)
        base = int(a["reference_point"])
    return ref, base


def contrasts_part(rep, f, runs, labels, pts, o="dropout"):
    """Each patient group's gap to and ratio to the reference group at every
    point, its change from the reference point and the share of that point's
    gap closed, with 95% intervals: rapport's sweep contrasts
    (docs/SCENARIO.md), from /summary's group columns, as a table and a
    figure."""
    by = group_runs(f, runs, [o])
    names = list(by)
    if len(names) < 2:
        return
    ref, base_point = contrasts_reference(f, names, pts)
    if ref not in by or base_point not in pts:
        return
    keyed = {g: by[g].set_index(["point", "replicate"])[o] for g in names}
    gap = {g: keyed[g] - keyed[ref] for g in names if g != ref}
    rows = []
    for g in gap:
        base = gap[g].xs(base_point, level="point")
        for p in pts:
            here = gap[g].xs(p, level="point")
            m, se, lo, hi = stats.t_interval(here)
            row = {"arm": labels[p], "group": g, "observable": o, "gap": m, "gap_lo": lo, "gap_hi": hi}
            y, x = keyed[g].xs(p, level="point"), keyed[ref].xs(p, level="point")
            row["ratio"], _, row["ratio_lo"], row["ratio_hi"] = stats.fieller_ratio(y.to_numpy(), x.to_numpy())
            if p != base_point:
                common = here.index.intersection(base.index)
                ch = here.loc[common] - base.loc[common]
                row["change"], _, row["change_lo"], row["change_hi"] = stats.t_interval(ch)
                c, _, clo, chi = stats.fieller_ratio(ch.to_numpy(), base.loc[common].to_numpy())
                row["closed"], row["closed_lo"], row["closed_hi"] = -c, -chi, -clo
            rows.append(row)
    t = pd.DataFrame(rows)
    later = t[t["arm"] != labels[base_point]]
    best = later.loc[later["closed"].idxmax()] if later["closed"].notna().any() else None
    reading = (f"Gaps to {ref} patients in {o}, and the share of point {base_point}'s gap ({labels[base_point]}) "
               f"each point closes. "
               + (f"Largest share closed: {best['arm']} for {best['group']} patients, {best['closed']:.1%} "
                  f"[{best['closed_lo']:.1%}, {best['closed_hi']:.1%}]." if best is not None else ""))
    rep.numbers["contrasts"] = rows
    fig = plots.dot_intervals(later.rename(columns={"closed": "mean", "closed_lo": "lo", "closed_hi": "hi"}),
                              "arm", "group", f"Share of the {o} gap to {ref} patients closed, against "
                              f"{labels[base_point]}", f"share of point {base_point}'s gap closed (95% CI, Fieller)",
                              zero=True)
    rep.figure(fig, "sweep_contrasts", reading)
    rep.table(t, "sweep_contrasts", reading + " Ratio: the group's mean over the reference group's. Intervals: t "
              "with replicates - 1 df; ratios and the share closed by Fieller's method (empty where unbounded).")


def psa_section(rep, f, runs, labels, o="dropout"):
    """A probabilistic sensitivity analysis (a sweep with an uncertainty:
    section, docs/SCENARIO.md): each draw's value is its mean over the draw's
    replicates (run j of a point is draw j // R); over the draws, each
    policy's difference from point 0 per patient group with its 95%
    uncertainty interval and the probability it lowers the observable, and
    the probability each point is the lowest (best) of all: the numbers
    rapport run prints (rp_sweep_psa_stats)."""
    D = int(f.attrs["uncertainty_draws"])
    R = int(runs["replicates"].iloc[0])
    pts = sorted(runs["point"].unique())
    per = {"all": runs}
    per.update(group_runs(f, runs, [o]))
    draw_of = (runs["replicate"].to_numpy() // R).astype(int)
    values = {}  # group -> [P, D] draw means
    for g, t in per.items():
        v = np.full((len(pts), D), np.nan)
        x = t[o].to_numpy(dtype=float)
        for i, p in enumerate(pts):
            rows = (t["point"].to_numpy() == p)
            for d in range(D):
                sel = x[rows & (draw_of == d)]
                sel = sel[~np.isnan(sel)]
                v[i, d] = sel.mean() if len(sel) else np.nan
        values[g] = v
    rows = []
    for g, v in values.items():
        best = stats.lowest_share(v) if len(pts) <= 64 else np.full(len(pts), np.nan)
        for i, p in enumerate(pts):
            m, lo, hi, _ = stats.psa_summary(v[i])
            dm, dlo, dhi, below = stats.psa_summary(v[i] - v[0], below=True) if i else (np.nan,) * 4
            rows.append({"arm": labels[p], "group": g, "observable": o, "mean": m, "lo": lo, "hi": hi,
                         "difference": dm, "difference_lo": dlo, "difference_hi": dhi, "p_lower": below,
                         "p_lowest": best[i], "draws": int(np.sum(~np.isnan(v[i])))})
    t = pd.DataFrame(rows)
    later = t[t["arm"] != labels[pts[0]]]
    source = read._text(f.attrs["uncertainty_source"])
    rep.section("Policy effects with their uncertainty (probabilistic sensitivity analysis)",
                f"{len(pts)} points x {D} draws of the coefficients x {R} replicates; the draws from {source}. "
                "A draw's value is its mean over its replicates; intervals are the 2.5% and 97.5% quantiles "
                "of the draws' values (the coefficients' uncertainty and the Monte Carlo noise), as rapport "
                "run prints them.")
    i = later[later["group"] == "all"]["difference"].idxmin() if len(later) else None
    reading = (f"{o} of each policy minus {labels[pts[0]]}, draw by draw, per patient group. "
               + (f"Largest fall overall: {later.loc[i, 'arm']} {later.loc[i, 'difference']:+.2%} "
                  f"[{later.loc[i, 'difference_lo']:+.2%}, {later.loc[i, 'difference_hi']:+.2%}], lower than "
                  f"{labels[pts[0]]} in {later.loc[i, 'p_lower']:.0%} of the draws." if i is not None else ""))
    rep.numbers["psa"] = {"draws": D, "replicates_per_draw": R, "source": source, "rows": rows}
    if len(later):
        diffs = pd.DataFrame({"arm": later["arm"], "group": later["group"], "mean": later["difference"],
                              "lo": later["difference_lo"], "hi": later["difference_hi"]})
        fig = plots.dot_intervals(diffs,
                                  "arm", "group", f"{o}: policy minus {labels[pts[0]]} (95% uncertainty interval)",
                                  f"difference in {o} over {D} draws", zero=True)
        rep.figure(fig, "psa_differences", reading)
    if len(pts) <= 64:
        fig = plots.probability_bars(t, "arm", "group", "p_lowest", f"Probability each point has the lowest {o}",
                                     f"share of the {D} draws")
        top = t[t["group"] == "all"].sort_values("p_lowest", ascending=False).iloc[0]
        rep.figure(fig, "psa_best", f"Overall, {top['arm']} has the lowest {o} in {top['p_lowest']:.0%} of the "
                   "draws (ties split); per group in the figure and the table.")
    rep.table(t, "psa_effects", reading + " p_lower: the share of draws in which the point's value is below "
              f"{labels[pts[0]]}'s; p_lowest: the share in which it is the lowest of all points.")


def saltelli_design(scenario, runs, axes):
    """(sample, matrix) of each run of a Saltelli design, or None.

    Taken from /runs saltelli_sample/saltelli_matrix; a writer that leaves them
    -1 is covered by the point order of SCENARIO.md (point j (k + 2) + m is
    sample j, matrix m) when the scenario says `saltelli: true`."""
    if "saltelli_sample" in runs and (runs["saltelli_sample"] >= 0).any():
        return runs["saltelli_sample"].to_numpy(), runs["saltelli_matrix"].to_numpy()
    if re.search(r"saltelli:\s*true", scenario) and axes:
        k = len(axes)
        if runs["point"].nunique() % (k + 2) == 0:
            return (runs["point"] // (k + 2)).to_numpy(), (runs["point"] % (k + 2)).to_numpy()
    return None


def saltelli_names(Y_axes, axes, k):
    """The parameter of column i: the axis in which AB^(i) differs from A most often."""
    names = []
    for i in range(k):
        diff = (Y_axes[2 + i] != Y_axes[0]).sum()
        names.append(diff.idxmax() if diff.max() > 0 else f"x{i + 1}")
    return names


def group_runs(f, runs, obs):
    """Per patient group, the runs with each observable replaced by the group's
    value (/summary's group columns), in the order of runs."""
    g = f["summary"]
    row_of = {int(r): i for i, r in enumerate(g["run"][:])}
    idx = np.array([row_of[int(r)] for r in runs["run"]])
    cols = {o: g[o][:] for o in obs if o in g and g[o].ndim == 2}
    return {name: runs.assign(**{o: v[idx, j] for o, v in cols.items()})
            for j, name in enumerate(read.group_names(f), start=1)}


def sobol_rows(runs, axes, obs, design, seed, group):
    """Sobol indices of each observable (replicates averaged per point): the
    table's rows for one population ("all" or a patient group)."""
    r = runs.assign(_s=design[0], _m=design[1])
    r = r[r["_s"] >= 0]
    d = r.groupby(["_s", "_m"])[obs + axes].mean()
    samples = sorted(d.index.get_level_values(0).unique())
    k = int(d.index.get_level_values(1).max()) - 1
    names = saltelli_names({m: d.xs(m, level=1)[axes] for m in range(k + 2)}, axes, k)
    rows, bars = [], {}
    for o in obs:
        Y = d[o].unstack().loc[samples].dropna()
        if len(Y) < 4:
            continue
        S1, c1, ST, cT = stats.sobol_bootstrap(Y[0].to_numpy(), Y[1].to_numpy(),
                                               Y[[2 + i for i in range(k)]].to_numpy(), seed=seed)
        bars[o] = (S1, c1, ST, cT)
        for i, n in enumerate(names):
            rows.append({"group": group, "observable": o, "parameter": n, "S1": S1[i], "S1_lo": c1[0][i],
                         "S1_hi": c1[1][i], "ST": ST[i], "ST_lo": cT[0][i], "ST_hi": cT[1][i]})
    return rows, names, bars, len(samples)


def sobol_part(rep, f, runs, axes, obs, design, seed):
    """First and total Sobol indices from a Saltelli design, for all patients
    and for each patient group: figures of every observable overall and of
    dropout per group, and one table of them all."""
    rows, names, bars, n = sobol_rows(runs, axes, obs, design, seed, "all")
    for o, (S1, c1, ST, cT) in bars.items():
        j = int(np.argmax(ST))
        rep.figure(plots.sobol_bars(names, S1, c1, ST, cT, o), f"sobol_{o}",
                   f"{o}: most influential parameter {names[j]} (total index {ST[j]:.2f}, first order {S1[j]:.2f}).")
    by_group = group_runs(f, runs, obs)
    for gname, gruns in by_group.items():
        grows, _, gbars, _ = sobol_rows(gruns, axes, obs, design, seed, gname)
        rows += grows
        if "dropout" in gbars:
            S1, c1, ST, cT = gbars["dropout"]
            j = int(np.argmax(ST))
            rep.figure(plots.sobol_bars(names, S1, c1, ST, cT, f"dropout, {gname} patients"),
                       f"sobol_dropout_{gname}",
                       f"Dropout of {gname} patients: most influential parameter {names[j]} (total index "
                       f"{ST[j]:.2f}, first order {S1[j]:.2f}).")
    # the contrasts: each group's dropout gap to the reference group (the first), run by run
    groups = list(by_group)
    for gname in groups[1:]:
        if "dropout" not in obs:
            break
        gap = by_group[gname].assign(dropout=by_group[gname]["dropout"] - by_group[groups[0]]["dropout"])
        contrast = f"{gname} - {groups[0]}"
        grows, _, gbars, _ = sobol_rows(gap, axes, ["dropout"], design, seed, contrast)
        rows += [dict(r, observable="dropout_gap") for r in grows]
        if "dropout" in gbars:
            S1, c1, ST, cT = gbars["dropout"]
            j = int(np.argmax(ST))
            rep.figure(plots.sobol_bars(names, S1, c1, ST, cT, f"dropout gap, {contrast}"), f"sobol_gap_{gname}",
                       f"The dropout gap of {gname} to {groups[0]} patients (within each run): most influential "
                       f"parameter {names[j]} (total index {ST[j]:.2f}, first order {S1[j]:.2f}).")
    if rows:
        rep.numbers["sobol"] = rows
        rep.table(pd.DataFrame(rows), "sobol_indices", f"Sobol indices (Saltelli 2010 first order, Jansen total), "
                  f"all patients, each patient group and each group's dropout gap to the reference group "
                  f"(observable dropout_gap, group 'G - reference'), {n} samples, 95% bootstrap intervals")


# ---- provenance ----

def provenance_section(rep, f):
    attrs, scenario = read.provenance(f)
    rep.section("Provenance")
    keys = ["rapport_version", "git_revision", "model_version", "seed", "command_line", "scenario_path",
            "start_time", "end_time", "host", "threads", "compiler", "hdf5_version", "gsl_version", "sweep_id",
            "runs_total"]
    rows = "".join(f"<tr><th>{html.escape(k)}</th><td style='text-align:left'>{html.escape(str(attrs[k]))}</td></tr>"
                   for k in keys if k in attrs)
    rep.raw(f"<table class='t'>{rows}</table><details><summary>Resolved scenario (YAML)</summary>"
            f"<pre>{html.escape(scenario)}</pre></details>")
    rep.numbers["provenance"] = {k: attrs[k] for k in keys if k in attrs}


# ---- the posterior of an ABC-SMC calibration ----

MAX_PAIRS = 8  # coefficients in one pair plot before it is unreadable
PROBS = {"q025": 0.025, "q05": 0.05, "q25": 0.25, "median": 0.5, "q75": 0.75, "q95": 0.95, "q975": 0.975}
STOPS = {
    "tolerance": "the last generation's tolerance reached abc.tolerance",
    "generations": "the last generation allowed (abc.generations)",
    "acceptance": "the acceptance fell below abc.min_acceptance (or a particle found nothing in its attempts)",
    "budget": "the budget of simulations (abc.simulations) was used",
    "running": "not stopped: a checkpoint of a calibration still running or stopped to be resumed",
}
POSTERIOR_PROVENANCE = ["rapport_version", "git_revision", "model_version", "calibration_path", "scenario_path",
                        "seed", "method", "kernel", "complete", "stop", "generations", "particles", "replicates",
                        "simulations", "runs", "seconds", "abc_generations", "abc_tolerance", "abc_quantile",
                        "abc_min_acceptance", "abc_simulations", "command_line", "host", "threads", "write_time",
                        "compiler", "compiler_flags", "hdf5_version", "gsl_version", "rng"]


def num(x):
    """A number for report.json: a float, or None where not finite (JSON has no inf or NaN)."""
    return float(x) if x is not None and np.isfinite(x) else None


def weighted_summary(x, w):
    """Mean, sd and the quantiles of PROBS of weighted particles (stats.weighted_quantile)."""
    q = stats.weighted_quantile(x, w, list(PROBS.values()))
    return {"mean": stats.weighted_mean(x, w), "sd": stats.weighted_sd(x, w), **dict(zip(PROBS, q))}


def coefficient_table(post):
    rows = []
    for i, k in enumerate(post.keys):
        s = weighted_summary(post.theta[:, i], post.weight)
        rows.append({"coefficient": k, "prior": post.priors[i], "min": post.lo[i], "max": post.hi[i], **s})
    return pd.DataFrame(rows)


def marginal_panel(post, i, s):
    """What plots.posterior_marginals draws for coefficient i (s: its row of coefficient_table)."""
    x, w = post.theta[:, i], post.weight
    lo, hi = post.lo[i], post.hi[i]
    a, b = float(np.min(x)), float(np.max(x))
    width = (b - a) if b > a else max(abs(a), 1.0) * 0.1
    span = (hi - lo) if np.isfinite(lo) and np.isfinite(hi) else np.inf
    zoomed = not (width >= 0.1 * span)
    xlim = (max(lo, a - 0.25 * width), min(hi, b + 0.25 * width)) if zoomed else (lo, hi)
    grid = np.linspace(xlim[0], xlim[1], 400)
    bins = int(np.clip(2 * np.sqrt(stats.effective_sample_size(w)), 10, 40))
    edges = np.linspace(a, b if b > a else a + width, bins + 1)
    counts, _ = np.histogram(x, bins=edges, weights=w)
    hist = counts / (np.sum(w) * np.diff(edges))
    return {"key": post.keys[i], "prior_text": post.priors[i], "edges": edges, "hist": hist, "grid": grid,
            "kde": stats.weighted_kde(x, w, grid, lo, hi), "prior": stats.prior_density(post.priors[i], lo, hi, grid),
            "median": s["median"], "lo": s["q025"], "hi": s["q975"], "xlim": xlim, "zoomed": zoomed}


def posterior_summary_section(rep, post):
    a = post.attrs
    G, N = int(a["generations"]), int(a["particles"])
    last = post.history.iloc[-1]
    note = (f"ABC-SMC ({a.get('method', 'abc-smc')}) of the calibration file {html.escape(str(a.get('calibration_path')))} "
            f"(scenario {html.escape(str(a.get('scenario_path')))}, seed {a['seed']}): {N} particles, {G} generations, "
            f"{int(a['simulations']):,} simulations of {int(a.get('replicates', 1))} run(s) each "
            f"({int(a.get('runs', a['simulations'])):,} runs), {float(a.get('seconds', np.nan)):.3g} s of wall time"
            + (" (of the processes that had finished: a checkpoint does not count the one that wrote it)"
               if not post.complete else "") + ". "
            f"Stopped: <b>{html.escape(str(a['stop']))}</b>, {html.escape(STOPS.get(str(a['stop']), 'as the file says'))}"
            f" (tolerance of the last generation {float(last['tolerance']):.4g}, abc.tolerance "
            f"{float(a.get('abc_tolerance', np.nan)):.4g}). Everything below is of generation "
            f"{post.generation}, the last, weighted by the particles' importance weights (its ESS {last['ess']:.1f}).")
    if not post.complete:
        note = ("<b style='color:#b00000'>INCOMPLETE: this file is a checkpoint (complete = 0), not a posterior. "
                f"The calibration had not finished; what follows is its last complete generation ({post.generation}), "
                "drawn with --checkpoint. Finish it with rapport calibrate ... --resume before using it.</b> ") + note
    rep.section("Calibration", note)
    rep.numbers.update({"complete": post.complete, "stop": a["stop"], "particles": N, "generations": G,
                        "generation": post.generation, "simulations": int(a["simulations"]),
                        "runs": int(a.get("runs", a["simulations"])), "seconds": num(a.get("seconds"))})


def posterior_coefficients_section(rep, post):
    t = coefficient_table(post)
    rep.numbers["coefficients"] = {r["coefficient"]: {k: (r[k] if k == "prior" else num(r[k])) for k in t.columns
                                                      if k != "coefficient"} for _, r in t.iterrows()}
    rep.section("Posterior of the coefficients",
                "Weighted over the particles of the last generation: mean, sd (of the particles, weighted), median "
                "and the 95% credible interval [2.5%, 97.5%] (weighted quantiles: the smallest value whose "
                "cumulative weight reaches the probability, as rapport calibrate prints them). The prior is the "
                "calibration file's, truncated to [min, max].")
    reading = "; ".join(f"{r['coefficient']} {r['median']:.4g} [{r['q025']:.4g}, {r['q975']:.4g}]"
                        for _, r in t.iterrows())
    rep.table(t[["coefficient", "prior", "min", "max", "mean", "sd", "median", "q025", "q975"]],
              "posterior_coefficients", "Posterior median [95% credible interval]: " + reading)
    panels = [marginal_panel(post, i, r) for i, (_, r) in enumerate(t.iterrows())]
    narrowed = [f"{r['coefficient']} ({(r['q975'] - r['q025']) / (r['max'] - r['min']):.0%})" for _, r in t.iterrows()
                if np.isfinite(r["max"] - r["min"]) and r["max"] > r["min"]]
    rep.figure(plots.posterior_marginals(panels, "Posterior marginals (last generation) against the prior"),
               "posterior_marginals",
               "Each coefficient's posterior (weighted histogram and KDE, reflected at the support's ends) against "
               "its prior (dashed), median (line) and 95% credible interval (band). Width of the interval as a "
               "share of the prior's support: " + (", ".join(narrowed) or "–") + ".")


def posterior_pairs_section(rep, post):
    n = len(post.keys)
    r = stats.weighted_corr(post.theta, post.weight)
    rep.numbers["correlation"] = {k: {k2: num(r[i, j]) for j, k2 in enumerate(post.keys)} for i, k in enumerate(post.keys)}
    rep.section("Pairs of coefficients", "Weighted correlations of the particles, and each pair's particles (the "
                "area of a dot proportional to its weight): coefficients the targets trade off against each other "
                "show as a ridge and a large |r|.")
    if n < 2:
        rep.raw("<p>One coefficient: no pairs.</p>")
        return
    off = np.abs(np.where(np.eye(n, dtype=bool), np.nan, r))
    i, j = np.unravel_index(np.nanargmax(np.nan_to_num(off, nan=-1)), off.shape)
    strongest = f"The strongest correlation: {post.keys[i]} and {post.keys[j]}, r = {r[i, j]:+.2f}."
    drawn = list(range(n))
    if n > MAX_PAIRS:  # the coefficients most correlated with another
        drawn = sorted(np.argsort(-np.nan_to_num(np.nanmax(off, axis=1), nan=-1))[:MAX_PAIRS])
        rep.figure(plots.correlation_matrix(post.keys, r, "Weighted correlations of the coefficients"),
                   "posterior_correlation", strongest)
    keys = [post.keys[k] for k in drawn]
    medians = [stats.weighted_quantile(post.theta[:, k], post.weight, 0.5) for k in drawn]
    rep.figure(plots.pair_plot(keys, post.theta[:, drawn], post.weight, r[np.ix_(drawn, drawn)], medians,
                               "Pairs of coefficients (last generation)"), "posterior_pairs",
               strongest + (f" Drawn: the {MAX_PAIRS} of {n} coefficients most correlated with another (every "
                            "pair's r in the matrix above and the table)." if n > MAX_PAIRS else ""))
    t = pd.DataFrame(r, columns=post.keys)
    t.insert(0, "coefficient", post.keys)
    rep.table(t, "posterior_correlation", "Weighted correlations of the coefficients")


def posterior_generations_section(rep, post):
    h = post.history
    N = int(post.attrs["particles"])
    rep.numbers["history"] = [{"generation": int(r["generation"]), "tolerance": num(r["tolerance"]),
                               "attempts": int(r["attempts"]), "simulations": int(r["simulations"]),
                               "acceptance": num(r["acceptance"]), "ess": num(r["ess"])} for _, r in h.iterrows()]
    rep.section("Generations", "Generation 0 draws the particles from the prior (no tolerance); generation t keeps "
                "proposals within the tolerance eps_t. Attempts count every proposal, those outside the prior's "
                "support (refused unsimulated) included; acceptance is particles / simulations; ESS = 1 / sum w^2.")
    tol = h["tolerance"].to_numpy(dtype=float)
    fin = tol[np.isfinite(tol)]
    done, total = int(h["simulations"].sum()), int(post.attrs["simulations"])
    reading = (f"{len(h)} generations, {done:,} simulations"
               + (f" (and {total - done:,} of a generation abandoned unfinished)" if total > done else "")
               + "; the tolerance fell "
               + (f"from {fin[0]:.4g} to {fin[-1]:.4g}" if len(fin) else "–")
               + f", the acceptance to {h['acceptance'].iloc[-1]:.3f}, the ESS of the last generation "
               f"{h['ess'].iloc[-1]:.1f} of {N} particles.")
    rep.figure(plots.abc_generations(h, N, float(post.attrs.get("abc_tolerance", np.nan)),
                                     "The calibration by generation"), "abc_generations", reading)
    rep.table(h, "abc_generations", reading)
    G = len(post.by_generation)
    q = np.array([[stats.weighted_quantile(th[:, i], w, [0.5, 0.025, 0.975]) for i in range(len(post.keys))]
                  for th, w in post.by_generation])  # [G x n x 3]
    rep.numbers["by_generation"] = {k: [{"median": num(x[0]), "q025": num(x[1]), "q975": num(x[2])} for x in q[:, i]]
                                    for i, k in enumerate(post.keys)}
    moved = [f"{k} {abs(q[-1, i, 0] - q[-2, i, 0]) / (q[-1, i, 2] - q[-1, i, 1]):.0%}" for i, k in enumerate(post.keys)
             if G >= 2 and q[-1, i, 2] > q[-1, i, 1]]
    rep.figure(plots.convergence(post.keys, np.arange(G), q[:, :, 0], q[:, :, 1], q[:, :, 2],
                                 list(zip(post.lo, post.hi)), "Each coefficient's posterior by generation"),
               "abc_convergence", "Median and 95% credible interval of each generation's particles (generation 0: "
               "the prior). The median's move in the last generation, as a share of the last interval's width: "
               + (", ".join(moved) if moved else "– (one generation)") + ".")


def posterior_predictive_section(rep, post):
    rows, panels = [], []
    w = post.weight
    for k, tg in post.targets.iterrows():
        x = post.simulated[:, k]
        s = weighted_summary(x, w)
        inside = (x >= tg["lo"]) & (x <= tg["hi"])
        rows.append({"target": tg["name"], "value": tg["value"], "lo": tg["lo"], "hi": tg["hi"],
                     "weight": tg["weight"], "mean": s["mean"], "median": s["median"], "q025": s["q025"],
                     "q975": s["q975"], "median_in_band": bool(tg["lo"] <= s["median"] <= tg["hi"]),
                     "value_in_interval": bool(s["q025"] <= tg["value"] <= s["q975"]),
                     "share_in_band": float(np.sum(w[inside]) / np.sum(w))})
        panels.append({"name": tg["name"], "x": x, "w": w, "value": tg["value"], "lo": tg["lo"], "hi": tg["hi"],
                       "median": s["median"], "q025": s["q025"], "q975": s["q975"]})
    t = pd.DataFrame(rows)
    rep.numbers["targets"] = {r["target"]: {c: (bool(r[c]) if isinstance(r[c], (bool, np.bool_)) else num(r[c]))
                                            for c in t.columns if c != "target"} for _, r in t.iterrows()}
    rep.section("Posterior predictive checks", "Each target's simulated value at the particles of the last "
                "generation (the mean over a simulation's replicates, as the distance uses it), weighted: its "
                "weighted mean, median and 95% interval against the target's value and band. median_in_band is "
                "rapport calibrate's check; value_in_interval: the target's value inside the predictive 95% "
                "interval; share_in_band: the posterior weight of the particles whose simulation falls in the band. "
                "A target of weight 0 does not enter the distance (a check out of sample).")
    out = t[~t["median_in_band"]]["target"].tolist()
    reading = (f"{len(t) - len(out)} of {len(t)} targets' predictive medians inside their band"
               + (f" (outside: {', '.join(out)})" if out else "") + f"; the target's value inside the predictive 95% "
               f"interval for {int(t['value_in_interval'].sum())} of {len(t)}.")
    rep.figure(plots.predictive_checks(panels, "Posterior predictive: the particles' simulations against the targets"),
               "posterior_predictive", reading)
    tab = t.assign(median_in_band=t["median_in_band"].map({True: "yes", False: "no"}),
                   value_in_interval=t["value_in_interval"].map({True: "yes", False: "no"}))
    rep.table(tab, "posterior_predictive", reading)


def posterior_provenance_section(rep, post):
    rep.section("Provenance")
    a = post.attrs
    keys = [k for k in POSTERIOR_PROVENANCE if k in a]
    rows = "".join(f"<tr><th>{html.escape(k)}</th><td style='text-align:left'>{html.escape(str(a[k]))}</td></tr>"
                   for k in keys)
    rep.raw(f"<table class='t'>{rows}</table><details><summary>Calibration file (as read)</summary>"
            f"<pre>{html.escape(post.calibration)}</pre></details><details><summary>Resolved scenario (YAML)"
            f"</summary><pre>{html.escape(post.scenario)}</pre></details>")
    rep.numbers["provenance"] = {k: a[k] for k in keys}


def posterior_sections(rep, f, post, opts, step):
    """The sections of an ABC-SMC posterior file; returns the page's title."""
    plots.reset_colours()
    posterior_summary_section(rep, post)
    posterior_coefficients_section(rep, post)
    step("coefficients")
    posterior_pairs_section(rep, post)
    step("pairs")
    posterior_generations_section(rep, post)
    posterior_predictive_section(rep, post)
    step("predictive checks")
    posterior_provenance_section(rep, post)
    return (f"rapport report: posterior of {os.path.basename(str(post.attrs.get('calibration_path', '')))}"
            f" ({os.path.basename(opts['path'])})" + ("" if post.complete else ", INCOMPLETE (checkpoint)"))


def output_sections(rep, f, data, opts, step):
    """The sections of an output file (a run or a sweep); returns the page's title."""
    plots.reset_colours(read.group_names(f))  # one colour per group in every figure
    runs = read.runs_table(f)
    axes = read.swept_axes(f, runs)
    labels = read.point_labels(f, runs, axes)
    weeks = int(runs["horizon"].max())
    seed, traj_cap = opts["seed"], opts["traj_cap"]
    has_pairs = "pairs" in f and f["pairs/pair"].shape[0] > 0
    if has_pairs:
        retention_section(rep, f, runs, labels, weeks)
        step("retention")
    dropout_section(rep, f, runs, labels)
    step("dropout")
    observables_section(rep, f, labels)
    step("observables")
    if not has_pairs:
        rep.section("Pairs and trajectories", "The file has no /pairs table (written with --summary-only or "
                    "output.pairs=false): no retention curves, trajectories, alliance-outcome scatter or hazard "
                    "model; the dropout table and the sweep figures come from /summary and /runs.")
    elif "trajectories" in f and f["trajectories/run"].shape[0] > 0:
        rows = read.sample_trajectory_rows(f, traj_cap, seed)
        traj, meta = read.read_trajectory_rows(f, rows, ["A", "T", "S", "D", "N"])
        pairs = read.pairs_for_trajectories(f, runs, meta, ["group", "distance", "barrier", "exit_week",
                                                             "exit_reason", "discussed_week"])
        week = f["trajectories/week"][:]
        step(f"read {len(rows):,} trajectory rows")
        trajectory_section(rep, f, runs, traj, pairs, week, f["trajectories/run"].shape[0], traj_cap)
        step("trajectories")
        alliance_outcome_section(rep, f, runs, labels, seed)
        step("alliance-outcome")
        hazard_section(rep, traj, pairs, int(runs["output.every"].iloc[0]), traj_cap)
        step("hazard")
    else:
        alliance_outcome_section(rep, f, runs, labels, seed)
        rep.section("Trajectories", "The file has no trajectories: no trajectory figures and no hazard model.")
    if runs["point"].nunique() > 1:
        sweep_section(rep, f, runs, axes, labels, seed)
        step("sweep")
    if "uncertainty_draws" in f.attrs:
        psa_section(rep, f, runs, labels)
        step("uncertainty")
    provenance_section(rep, f)
    return f"rapport report: {os.path.basename(opts['path'])}"


# The kinds of file the report draws (read.KINDS tells them apart by their
# root attributes): kind -> (check, sections). check(f, opts) reads and
# checks what the sections need before the report folder is made (a refused
# file leaves nothing behind); sections(rep, f, data, opts, step) adds the
# sections and returns the page's title. A new kind of file is one entry
# here (and one in read.KINDS); a new section of a kind, one call in its
# sections function.
KINDS = {
    "output": (lambda f, opts: None, output_sections),
    "posterior": (lambda f, opts: read.posterior(f, opts["path"], opts["checkpoint"]), posterior_sections),
}


def build(path, outdir, traj_cap=20000, seed=20240605, log=print, checkpoint=False):
    """Write the report of the rapport file `path` (an output file or an
    ABC-SMC posterior file, told apart by its root attributes) into `outdir`;
    return report.json's content. checkpoint: report a posterior file's
    checkpoint (complete = 0) marked incomplete instead of refusing it."""
    t0 = time.time()
    opts = {"path": path, "traj_cap": traj_cap, "seed": seed, "checkpoint": checkpoint}
    f, kind = read.open_any(path)  # first: a missing input leaves no folder behind
    try:
        check, sections = KINDS[kind]
        data = check(f, opts)
        if os.path.exists(outdir) and not os.path.isdir(outdir):
            raise ValueError(f"{outdir} exists and is not a directory; expected a report folder (new, or a folder)")
        os.makedirs(outdir, exist_ok=True)
        rep = Report(outdir)
        rep.numbers["kind"] = kind
        step = lambda what: log(f"report: {what} ({time.time() - t0:.1f} s)")  # noqa: E731
        title = sections(rep, f, data, opts, step)
    finally:
        f.close()
    rep.write(title, time.time() - t0)
    step("written")
    return rep.numbers
