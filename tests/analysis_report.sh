#!/bin/bash
# analysis/report end to end: a small baseline and a discussion-policy sweep
# made by the real binary, both reports made, every figure present and
# non-empty, the report's dropout numbers and its table of every observable
# (the observables of rapport's JSON, none listed here) equal rapport's own
# JSON, and index.html opened in headless Chromium with every <img> loaded.
# usage: analysis_report.sh RAPPORT_BIN SRC_DIR     (exit 77: chromium/matplotlib missing)
set -u
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
REPORT="$src/analysis/report"
ART=$PWD   # test artefacts (screenshots) stay in the build dir

need_py 'matplotlib, statsmodels, h5py, pandas, scipy' "python3-matplotlib/statsmodels/h5py/pandas"
CHROMIUM=$(command -v chromium || command -v chromium-browser || true)
[ -n "$CHROMIUM" ] || skip_test "chromium missing (apt-get install chromium)"

make_tmp

# 1. the files
"$bin" run "$src/scenarios/baseline.yaml" --set patients.count=3000 --set providers.count=150 \
    -o "$tmp/base.h5" >/dev/null 2>"$tmp/err" || { cat "$tmp/err"; report fail "rapport run baseline"; }
SWEEP="$src/scenarios/sweep-discussion.yaml"
if [ ! -f "$SWEEP" ]; then   # the colleague's scenario is not there yet: a small one of our own
    SWEEP="$tmp/sweep.yaml"
    printf 'seed: 20221\npatients:\n  count: 2000\nproviders:\n  count: 100\nreplicates: 5\nsweep:\n  streams: common\n  grid:\n    discussion.policy: [never, intake, delayed, responsive]\n' > "$SWEEP"
fi
"$bin" run "$SWEEP" -o "$tmp/sweep.h5" >/dev/null 2>"$tmp/err" || { cat "$tmp/err"; report fail "rapport run sweep"; }
"$bin" run "$SWEEP" --summary-only -o "$tmp/sweep-so.h5" >/dev/null 2>"$tmp/err" || { cat "$tmp/err"; report fail "rapport run sweep --summary-only"; }
"$bin" summary "$tmp/base.h5" --json > "$tmp/base.json" || report fail "rapport summary --json"
"$bin" run "$SWEEP" --json > "$tmp/sweep.json" || report fail "rapport run sweep --json"

# 2. the reports
for k in base sweep sweep-so; do
    if "$REPORT" "$tmp/$k.h5" -o "$tmp/rep-$k" -q > "$tmp/$k.out" 2>&1 && [ -s "$tmp/rep-$k/index.html" ]; then
        report ok "report $k made"
    else
        cat "$tmp/$k.out"; report fail "report $k made"
    fi
done
echo x >"$tmp/bad.h5"
expect_code "unreadable file refused (exit 2)" 2 "$REPORT" "$tmp/bad.h5" -o "$tmp/bad" -q

# 3. figures present, non-empty, referenced, decodable; numbers equal rapport's
PYTHONPATH=$tests_dir "$py" - "$tmp" > "$tmp/py.out" 2>&1 <<'PYEOF'
import json, os, re, sys
import matplotlib.image as mpimg
import testlib
from testlib import report
tmp = sys.argv[1]
expect = {"base": ["km_retention", "dropout_by_group", "trajectory_A", "trajectory_T", "trajectory_S",
                   "alliance_outcome", "hazard_odds_ratios"],
          "sweep": ["km_retention", "dropout_by_group", "trajectory_A", "trajectory_T", "trajectory_S",
                    "alliance_outcome", "hazard_odds_ratios", "sweep_points", "sweep_paired_differences"]}
for k, figs in expect.items():
    d = os.path.join(tmp, "rep-" + k)
    html = open(os.path.join(d, "index.html")).read()
    missing = [f + e for f in figs for e in (".png", ".svg")
               if not os.path.isfile(os.path.join(d, f + e)) or os.path.getsize(os.path.join(d, f + e)) == 0]
    report(not missing, f"{k}: every figure file exists and is non-empty", str(missing))
    srcs = re.findall(r"<img src='([^']+)'", html)
    report(set(f + ".png" for f in figs) <= set(srcs), f"{k}: index.html shows every figure", str(srcs))
    bad = []
    for s in srcs:
        try:
            im = mpimg.imread(os.path.join(d, s))
            if im.shape[0] < 100 or im.shape[1] < 100:
                bad.append(s)
        except Exception as e:
            bad.append(f"{s}: {e}")
    report(not bad, f"{k}: every referenced PNG decodes", str(bad))
    report(html.count("<figcaption>") == len(srcs), f"{k}: every figure has a reading")
    report("<details>" in html and "git_revision" in html and "command_line" in html, f"{k}: provenance section")
rep = json.load(open(os.path.join(tmp, "rep-base", "report.json")))["dropout"]
ref = json.load(open(os.path.join(tmp, "base.json")))
arm = next(iter(rep))
want = {"all": ref["dropout"], **{g: v["dropout"] for g, v in ref["by_group"].items()}}
diff = {g: (rep[arm].get(g), v) for g, v in want.items() if rep[arm].get(g) is None or abs(rep[arm][g] - v) > 1e-12}
report(not diff, "base: report dropout = rapport summary --json (all and by group)", str(diff))
html = open(os.path.join(tmp, "rep-base", "index.html")).read()
report(f"{ref['dropout']:.4f}" in html, "base: index.html shows the overall dropout", f"{ref['dropout']:.4f}")
# every observable: the report's table lists what rapport's JSON lists (no list kept here), the same numbers
obs = [k for k in ref if k not in ("pairs", "dropout_by_group", "by_group", "concordance_by_dimension", "provenance")]
got = json.load(open(os.path.join(tmp, "rep-base", "report.json")))["observables"]
got = got[next(iter(got))]
rows = [("all", dict(ref))] + [(g, dict(v)) for g, v in ref["by_group"].items()]
for d, v in ref.get("concordance_by_dimension", {}).items():  # the file's columns concordance_by_dimension.DIM
    obs.append(f"concordance_by_dimension.{d}")
    for g, r in rows:
        r[obs[-1]] = v["all"] if g == "all" else v["by_group"][g]
diff = [(o, g, got.get(o, {}).get(g), r[o]) for o in obs for g, r in rows
        if (got.get(o, {}).get(g) is None) != (r[o] is None) or
        (r[o] is not None and abs(got[o][g] - r[o]) > 1e-12 * max(1, abs(r[o])))]
report(sorted(got) == sorted(obs) and not diff, f"base: report table of observables = rapport summary --json "
       f"({len(obs)} observables, all and by group)", f"{sorted(set(got) ^ set(obs))} {diff[:4]}")
report("Observables by group and arm" in html and os.path.isfile(os.path.join(tmp, "rep-base", "observables.csv")),
       "base: index.html has the table of observables (and its CSV)")
ref = json.load(open(os.path.join(tmp, "sweep.json")))
for k in ("sweep", "sweep-so"):
  got = json.load(open(os.path.join(tmp, "rep-" + k, "report.json")))["observables"]
  diff = []
  for p, arm in zip(ref["by_point"], got):
      for o in [o for o in p["mean"] if not o.endswith("_se") and o != "dropout_by_group"]:
          m, x = p["mean"][o], got[arm].get(o, {}).get("all")
          if (m is None) != (x is None) or (m is not None and abs(m - x) > 1e-12 * max(1, abs(m))):
              diff.append((arm, o, x, m))
  report(len(got) == len(ref["by_point"]) and not diff, k + ": report table of observables (all) = rapport "
         "--json means by point", str(diff[:4]))
for k in ("sweep", "sweep-so"):
  rep = json.load(open(os.path.join(tmp, "rep-" + k, "report.json")))
  arms = list(rep["dropout"])
  diff = []
  for i, p in enumerate(ref["by_point"]):
      got = rep["dropout"][arms[i]]
      if abs(got["all"] - p["mean"]["dropout"]) > 1e-12:
          diff.append((arms[i], "all", got["all"], p["mean"]["dropout"]))
      for g, v in p["mean"]["dropout_by_group"].items():
          if abs(got[g] - v) > 1e-12:
              diff.append((arms[i], g, got[g], v))
      if i > 0 and abs(rep["paired_dropout"][arms[i]] - p["paired_difference"]["dropout"]) > 1e-12:
          diff.append((arms[i], "paired", rep["paired_dropout"][arms[i]], p["paired_difference"]["dropout"]))
  report(len(arms) == len(ref["by_point"]) and not diff, k + ": report dropout by point x group and paired "
      "differences = rapport --json", str(diff))
# the report's contrasts (recomputed from /summary) = rapport's JSON contrasts
for k in ("sweep", "sweep-so"):
  rj = json.load(open(os.path.join(tmp, "rep-" + k, "report.json")))
  rows, arms = rj.get("contrasts", []), list(rj["dropout"])
  diff, n = [], 0
  for i, p in enumerate(ref["by_point"]):
      for r in [r for r in rows if r["arm"] == arms[i]]:
          c = p["contrasts"][r["group"]]["dropout"]
          pairs = [("gap", c["gap"]["mean"], c["gap"]["ci"]), ("ratio", c["ratio"]["ratio"], c["ratio"]["ci"])]
          if i > 0:
              pairs += [("change", c["change"]["mean"], c["change"]["ci"]),
                        ("closed", c["closed"]["share"], c["closed"]["ci"])]
          for name, m, ci in pairs:
              got = [r[name], r[name + "_lo"], r[name + "_hi"]]
              want = [m] + (ci if ci else [None, None])
              for a, b in zip(got, want):
                  n += 1
                  if (b is None) != (a is None or a != a) or (b is not None and abs(a - b) > 1e-9 * max(1, abs(b))):
                      diff.append((r["arm"], r["group"], name, a, b))
  report(n >= 3 * 4 * 7 and not diff, f"{k}: report contrasts (gap, ratio, change, share closed, 95% CI) = rapport --json "
         f"({n} numbers)", str(diff[:4]))
  report(os.path.isfile(os.path.join(tmp, "rep-" + k, "sweep_contrasts.csv")) and
         os.path.isfile(os.path.join(tmp, "rep-" + k, "sweep_contrasts.tex")) and
         os.path.isfile(os.path.join(tmp, "rep-" + k, "sweep_contrasts.png")), f"{k}: contrasts table and figure")
sys.exit(1 if testlib.failed else 0)
PYEOF
relay_checks "$tmp/py.out" $? "figure and number checks (crashed)"

# 4. real headless Chromium: every <img> loaded (naturalWidth > 0), screenshot kept
chrome() {
    "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-background-networking --disable-component-update \
        --disable-sync --no-first-run --user-data-dir="$(mktemp -d -p "$tmp")" "$@" 2>>"$tmp/chromium.err"
}
# Sobol indices per patient group (scenarios/sweep-sobol-groups.yaml, a Saltelli
# design over Black patients' mean mistrust and four more parameters): every
# group has its rows, and the Black mistrust mean moves Black patients'
# dropout (total index well above 0) and nobody else's (exactly 0: common
# random numbers, and the parameter enters no other patient's draws).
if "$bin" run "$src/scenarios/sweep-sobol-groups.yaml" --summary-only -o "$tmp/sobol.h5" >/dev/null 2>"$tmp/err" &&
    "$REPORT" "$tmp/sobol.h5" -o "$tmp/rep-sobol" -q > "$tmp/sobol.out" 2>&1; then
    PYTHONPATH=$tests_dir "$py" - "$tmp/rep-sobol" > "$tmp/sobol-py.out" 2>&1 <<'EOT'
import os, sys
import pandas as pd
import testlib
from testlib import report
d = sys.argv[1]
t = pd.read_csv(f"{d}/sobol_indices.csv")
gaps = t[t["observable"] == "dropout_gap"]
t = t[t["observable"] != "dropout_gap"]
groups = sorted(set(t["group"]))
report(groups == sorted(["all", "white", "latinx", "black", "asian"]), "sobol: indices for all and each group", groups)
g = gaps[gaps["parameter"] == "patients.groups.black.mistrust.mean"].set_index("group")
report(sorted(set(gaps["group"])) == ["asian - white", "black - white", "latinx - white"]
       and g.loc["black - white", "ST"] > 0.1 and (g.drop(["black - white"])["ST"] == 0).all()
       and os.path.getsize(f"{d}/sobol_gap_black.png") > 0,
       "sobol: per contrast, Black mistrust mean drives the Black-white dropout gap only", g[["S1", "ST"]].to_dict())
m = t[(t["observable"] == "dropout") & (t["parameter"] == "patients.groups.black.mistrust.mean")].set_index("group")
report(m.loc["black", "ST"] > 0.1 and (m.drop(["black", "all"])["ST"] == 0).all(),
       "sobol: Black mistrust mean drives Black dropout only", m[["S1", "ST"]].to_dict())
report(all(os.path.getsize(f"{d}/sobol_dropout_{g}.png") > 0 for g in groups if g != "all"),
       "sobol: a dropout figure per group")
sys.exit(1 if testlib.failed else 0)
EOT
    relay_checks "$tmp/sobol-py.out" $? "sobol per group checks (crashed)"
else
    cat "$tmp/err" "$tmp/sobol.out"; report fail "sweep-sobol-groups.yaml: run and report"
fi

for k in base sweep; do
    chrome --virtual-time-budget=15000 --dump-dom "file://$tmp/rep-$k/index.html" > "$tmp/$k.dom"
    n=$(grep -o 'data-images="[0-9]*"' "$tmp/$k.dom" | grep -o '[0-9]*')
    b=$(grep -o 'data-broken-images="[0-9]*"' "$tmp/$k.dom" | grep -o '[0-9]*')
    if [ -n "$n" ] && [ "$n" -gt 0 ] && [ "$b" = 0 ]; then
        report ok "chromium: $k report, all $n images loaded"
    else
        tail -5 "$tmp/chromium.err"; report fail "chromium: $k report, images=$n broken=$b"
    fi
    chrome --window-size=1400,4000 --screenshot="$ART/analysis-report-$k.png" "file://$tmp/rep-$k/index.html" >/dev/null
    check "chromium: $k screenshot" test -s "$ART/analysis-report-$k.png"
done

finish
