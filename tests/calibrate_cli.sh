#!/usr/bin/env bash
# calibrate_cli.sh RAPPORT_BIN SRC_DIR - `rapport calibrate` refuses every
# invalid calibration file with exit 2 and one located line, and a tiny valid
# calibration runs, reports, and writes a scenario that `rapport validate`
# accepts and that holds the fitted value; the report ends with the
# identification at the fitted point (--no-identify leaves it out).
#
# Each tests/invalid_calibration/NN-name.yaml starts with "# expect: TEXT"
# (TEXT = "LINE:COL: error: ..."); `rapport calibrate FILE` must exit 2, print
# nothing on stdout and exactly one line on stderr containing FILE:TEXT.
set -u
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
make_tmp

[ -x "$bin" ] || skip_test "no rapport binary at $bin"

n=0
for file in "$src"/tests/invalid_calibration/*.yaml; do
    n=$((n + 1))
    name=$(basename "$file" .yaml)
    expect=$(head -n 1 "$file" | sed -n 's/^# expect: //p')
    if [ -z "$expect" ]; then
        report fail "$name" "no '# expect: ' header"
        continue
    fi
    expect_exit -q "$name" 2 "$file:$expect" "$bin" calibrate "$file"
done
[ $n -ge 8 ] && report ok "at least 8 invalid calibrations ($n)" || report fail "at least 8 invalid calibrations" "$n"

# Errors inside the scenario are located in the scenario.
printf 'seed: 1\npatients: {count: -3}\n' >"$tmp/bad-scenario.yaml"
printf 'scenario: bad-scenario.yaml\nfree:\n  dropout.base: {min: -10, max: -5}\ntargets:\n  dropout: {value: 0.2, se: 0.01}\n' >"$tmp/c.yaml"
expect_exit "scenario error located in the scenario" 2 "$tmp/bad-scenario.yaml:2:" "$bin" calibrate "$tmp/c.yaml"

# Usage errors.
expect_code "no file: exit 2" 2 "$bin" calibrate
expect_code "unknown option: exit 2" 2 "$bin" calibrate "$src/scenarios/calibration.yaml" --bogus
expect_exit -q "--identify-step 0: exit 2" 2 "--identify-step takes a whole percent from 1 to 25, not '0'" \
    "$bin" calibrate "$src/scenarios/calibration.yaml" --identify-step 0
expect_code "--identify-step 26: exit 2" 2 "$bin" calibrate "$src/scenarios/calibration.yaml" --identify-step 26
"$bin" help calibrate | grep -q "Usage: rapport calibrate" && report ok "help calibrate" ||
    report fail "help calibrate" "no usage text"


# A tiny valid calibration: 1,000 patients, 4 replicates, 1 coefficient (with 2, the dropout count
# of 2,000 pairs can step over the target, and the simplex then wanders until its budget is spent).
cat >"$tmp/tiny.yaml" <<EOT
scenario: $src/scenarios/baseline.yaml
replicates: 4
patients: 1000
free:
  dropout.base: {min: -10, max: -5, start: -8}
targets:
  dropout: {value: 0.197, band: [0.187, 0.207]}
  early_dropout: {value: 0.775, band: [0.70, 0.85], weight: 0}
budget: {evaluations: 30, tolerance: 1e-3}
EOT
# An -o that cannot be written: exit 3, one line, no report on stdout.
expect_exit -q "calibrate -o into a missing directory" 3 "cannot write '$tmp/missing/calibrated.yaml'" \
    "$bin" calibrate "$tmp/tiny.yaml" -o "$tmp/missing/calibrated.yaml"
"$bin" calibrate "$tmp/tiny.yaml" --threads 2 -o "$tmp/calibrated.yaml" --json >"$tmp/out" 2>"$tmp/err"
rc=$?
if [ $rc -eq 0 ]; then report ok "tiny calibration runs"; else report fail "tiny calibration runs" "exit $rc: $(head -c 400 "$tmp/err")"; fi
if "$py" - "$tmp/out" <<'EOT' 2>"$tmp/perr"; then
import json, sys
d = json.load(open(sys.argv[1]))
assert d["free"][0]["key"] == "dropout.base" and -10 < d["free"][0]["fitted"] < -5
assert [t["name"] for t in d["targets"]] == ["dropout", "early_dropout"]
# an SE of 0 is possible: a fit may hit the same count in every replicate
assert all(t["mc_se"] >= 0 for t in d["targets"]) and any(t["mc_se"] > 0 for t in d["targets"])
assert len(d["history"]) == d["iterations"] > 0
assert d["evaluations"] <= 30 + 2 + 1
assert set(d["dropout_by_group"]) == {"white", "latinx", "black", "asian"}
# the identification at the fitted point: 2 more evaluations, dropout.base
# moves dropout (weight 1) and is pinned by it; early_dropout (weight 0) is
# reported but not analysed
i = d["identification"]
assert i["step_fraction"] == 0.03 and i["evaluations"] == 2 and i["fitted_targets"] == 1
assert [t["fitted"] for t in i["targets"]] == [True, False]
j = i["targets"][0]["jacobian"][0]
assert j > 0 and i["targets"][0]["jacobian_se"][0] > 0
lo, hi = i["free"][0]["lo"], i["free"][0]["hi"]
assert abs((hi - lo) - 2 * 0.03 * 5) < 1e-9, (lo, hi)
assert abs(j - i["targets"][0]["derivative"][0] * 0.5 / 0.01) < 1e-9 * abs(j)
assert i["free"][0]["moves_most"] == "dropout" and i["free"][0]["pinned_by"] == "dropout"
# one coefficient, one fitted target: the fit moves it 1/J tenths per half-band
assert abs(i["free"][0]["pinned"][0] - 1 / j) < 1e-9 / j and i["free"][0]["pinned"][1] == 0
assert abs(i["free"][0]["spread"] - 1 / j) < 1e-9 / j
assert abs(i["singular_values"][0] - j) < 1e-9 * j and i["directions"] == [[1.0]]
assert i["flat_directions"] == (1 if j < 0.1 else 0) and i["flat_threshold"] == 0.1
# the provenance, last: the calibration's scenario, its replicates, the threads; no plan
p = d["provenance"]
assert list(d)[-1] == "provenance", list(d)
assert list(p) == ["rapport_version", "git_revision", "model_version", "scenario_path", "seed", "replicates",
                   "threads"], list(p)
assert p["scenario_path"] == d["scenario"] and p["replicates"] == 4 and p["threads"] == 2, p
assert p["seed"] == 20221 and p["model_version"] == 2 and p["rapport_version"] and p["git_revision"], p
EOT
    report ok "tiny calibration JSON report"
else
    report fail "tiny calibration JSON report" "$(tail -c 400 "$tmp/perr")"
fi
if "$bin" validate "$tmp/calibrated.yaml" 2>"$tmp/err"; then
    report ok "calibrated scenario is valid"
else
    report fail "calibrated scenario is valid" "$(head -c 400 "$tmp/err")"
fi
fitted=$("$py" -c 'import json,sys; print(json.load(open(sys.argv[1]))["free"][0]["fitted"])' "$tmp/out" 2>/dev/null)
if [ -n "$fitted" ] && grep -Eq "^  base: $fitted  #.*δ0" "$tmp/calibrated.yaml" &&
    grep -q "^  count: 100000  #" "$tmp/calibrated.yaml"; then
    report ok "calibrated scenario holds the fitted value and the scenario's own population"
else
    report fail "calibrated scenario holds the fitted value" "fitted '$fitted'; $(grep -n 'base:\|count:' "$tmp/calibrated.yaml" | head -5)"
fi
# The table report says whether each target is in its band.
"$bin" calibrate "$tmp/tiny.yaml" --threads 1 >"$tmp/table" 2>"$tmp/err"
if [ $? -eq 0 ] && grep -q "^dropout .* yes$" "$tmp/table" && grep -q "minority (all but white) / white dropout ratio" "$tmp/table"; then
    report ok "table report"
else
    report fail "table report" "$(head -c 600 "$tmp/table") $(head -c 300 "$tmp/err")"
fi
if grep -q "^identification at the fitted point" "$tmp/table" && grep -Eq "^dropout +[0-9.]+ \+-[0-9.]+$" "$tmp/table" &&
    grep -Eq "^early_dropout +-?[0-9.]+ \+-[0-9.]+ +\(weight 0: not in the analysis\)$" "$tmp/table" &&
    grep -Eq "^dropout.base +dropout \([0-9.]+\) +dropout \([0-9.]+\) +[0-9.e+-]+$" "$tmp/table" &&
    grep -q "^singular values of the scaled Jacobian of the fitted targets (1;" "$tmp/table"; then
    report ok "table report: the identification (Jacobian, what moves and pins, singular values)"
else
    report fail "table report: the identification" "$(sed -n '/^identification/,$p' "$tmp/table" | head -c 900)"
fi
"$bin" calibrate "$tmp/tiny.yaml" --threads 2 --no-identify >"$tmp/noid" 2>"$tmp/err"
if [ $? -eq 0 ] && ! grep -q "identification" "$tmp/noid" &&
    cmp -s <(grep -v ' s; objective' "$tmp/noid") <(awk '/^identification at/ {exit} {print}' "$tmp/table" | sed '$d' | grep -v ' s; objective'); then
    report ok "--no-identify: the same report without the identification"
else
    report fail "--no-identify" "$(diff <(grep -v ' s; objective' "$tmp/noid") <(grep -v ' s; objective' "$tmp/table") | head -c 600)"
fi
# A fit stopped by its budget is identified too, and says where.
sed 's/^budget: .*/budget: {evaluations: 3, tolerance: 1e-9}/' "$tmp/tiny.yaml" >"$tmp/short.yaml"
"$bin" calibrate "$tmp/short.yaml" --threads 2 >"$tmp/short" 2>"$tmp/err"
if [ $? -eq 0 ] && grep -q "^stopped: evaluation budget spent" "$tmp/short" &&
    grep -A 2 "^identification at the fitted point" "$tmp/short" | grep -q "^(the fit did not converge"; then
    report ok "a fit stopped by its budget: identified, with a warning"
else
    report fail "a fit stopped by its budget" "$(head -c 300 "$tmp/short") $(head -c 300 "$tmp/err")"
fi
if ! grep -q "^converged after" "$tmp/table"; then
    report fail "the tiny calibration converges" "$(sed -n 3p "$tmp/table")"
elif grep -q "did not converge" "$tmp/table"; then
    report fail "a converged fit has no such warning" "$(grep "did not converge" "$tmp/table")"
else
    report ok "a converged fit has no such warning"
fi
"$bin" calibrate "$tmp/tiny.yaml" --threads 2 --no-identify --json >"$tmp/noid.json" 2>"$tmp/err"
if [ $? -eq 0 ] && "$py" -c 'import json,sys; assert json.load(open(sys.argv[1]))["identification"] is None' "$tmp/noid.json" 2>/dev/null; then
    report ok "--no-identify --json: identification null"
else
    report fail "--no-identify --json" "$(head -c 400 "$tmp/noid.json") $(head -c 300 "$tmp/err")"
fi
if cmp -s <(grep -v ' s; objective' "$tmp/table") <("$bin" calibrate "$tmp/tiny.yaml" --threads 2 2>/dev/null | grep -v ' s; objective'); then
    report ok "same fit with 1 and 2 threads"
else
    report fail "same fit with 1 and 2 threads" "reports differ"
fi

finish
