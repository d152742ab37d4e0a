#!/usr/bin/env bash
# readers_hostile.sh RAPPORT_BIN SRC_DIR - the readers of output files
# (`rapport summary`, `rapport merge`, through the shared reader of
# sim/io/output_merge.c) trust nothing in a file. From a real single run and a
# 2-shard sweep, copies are corrupted with h5py (another or no
# format_version, impossible values in /pairs, /runs row ranges outside their
# tables, attributes of the wrong kind, shapes that do not match the file's
# /scenario, declared rows the file does not store, parts that disagree) or
# replaced by a truncated file, a FIFO, a directory and /dev/zero. Each must
# give ONE line on stderr naming the file (and dataset and row where there is
# one), the documented exit code (2 for a file that is not a valid rapport
# file, 3 for one that cannot be read), nothing on stdout and no output file.
# And shards of one sweep whose scenario was named by two paths (relative and
# absolute) merge, to the same file as shards run from one path.
set -u
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")
need_py 'h5py, numpy' "Debian: python3-h5py"
make_tmp
cd "$tmp" || exit 1

# rp ARGS...: rapport, at most 60 s, stderr in $tmp/err.
rp() { timeout 60 "$bin" "$@" >/dev/null 2>"$tmp/err"; }

printf 'seed: 3\npatients: {count: 20}\nproviders: {count: 4}\noutput: {every: 13}\n' >one.yaml
printf 'seed: 4\npatients: {count: 20}\nproviders: {count: 4}\nreplicates: 4\noutput: {variables: none}\n' >sw4.yaml
sed 's/seed: 4/seed: 5/' sw4.yaml >other.yaml
if ! rp run one.yaml -o one.h5 || ! rp run sw4.yaml --shard 0/2 -o a.h5 || ! rp run sw4.yaml --shard 1/2 -o b.h5 ||
   ! rp run "$tmp/sw4.yaml" --shard 1/2 -o b-abs.h5 || ! rp run other.yaml --shard 1/2 -o b-other.h5; then
    report fail "the good files are written" "$(head -c 300 "$tmp/err")"
    finish
fi

# ---- the good files are read ----
expect_code "summary of the good single run" 0 "$bin" summary one.h5
expect_code "merge of the good single run" 0 "$bin" merge one.h5 -o good-merge.h5
expect_code "merge of the good shards" 0 "$bin" merge a.h5 b.h5 -o same-path.h5

# ---- two paths to one scenario ----
expect_exit "merge of shards run from sw4.yaml and its absolute path" 0 "joined 2 parts" \
    "$bin" merge a.h5 b-abs.h5 -o two-paths.h5
diff=$("$py" "$tests_dir/h5_same.py" two-paths.h5 same-path.h5 --ignore-attrs command_line,start_time,end_time 2>&1)
judge "  the same file as the merge of shards run from one path" "$diff"

# ---- corrupt copies ----
# corrupt NAME SOURCE PYTHON: NAME.h5, a copy of SOURCE.h5 with f (h5py, r+)
# changed by the PYTHON statements (np is numpy).
corrupt() {
    cp "$2.h5" "$1.h5"
    "$py" - "$1.h5" "$3" <<'PY' 2>"$tmp/py.err" || report fail "corrupting $1" "$(head -c 300 "$tmp/py.err")"
import sys, h5py, numpy as np
with h5py.File(sys.argv[1], "r+") as f:
    exec(sys.argv[2])
PY
}

# refused NAME CODE PATTERN FILE [OTHER_PART]: summary FILE and merge FILE
# [OTHER_PART] both exit CODE with one line matching PATTERN, print nothing on
# stdout and leave no output file.
refused() {
    local name=$1 code=$2 pattern=$3 file=$4
    shift 4
    expect_exit -E -q "$name: summary" "$code" "$pattern" "$bin" summary "$file"
    expect_exit -E "$name: merge" "$code" "$pattern" "$bin" merge "$file" "$@" -o out.h5
    judge "  $name: no output file" "$(ls -d out.h5 out.h5.partial-* 2>/dev/null)"
}

# merge_refused NAME PATTERN PART...: merge PART... exits 2 with one line
# matching PATTERN and leaves no output file (for what summary does not read:
# /trajectories, /providers, other parts).
merge_refused() {
    local name=$1 pattern=$2
    shift 2
    expect_exit -E "$name: merge" 2 "$pattern" "$bin" merge "$@" -o out.h5
    judge "  $name: no output file" "$(ls -d out.h5 out.h5.partial-* 2>/dev/null)"
}

corrupt v99 one 'f.attrs["format_version"] = 99'
refused "format_version 99" 2 "v99.h5 has format_version 99; this rapport reads format_version 1" v99.h5
corrupt nov one 'del f.attrs["format_version"]'
refused "no format_version" 2 "nov.h5 has no format_version; this rapport reads format_version 1" nov.h5
corrupt vstr one 'f.attrs["format_version"] = "1"'
refused "format_version a string" 2 "vstr.h5 has an unreadable format_version" vstr.h5
corrupt exit-7 one 'f["pairs/exit_week"][0] = -7'
refused "exit_week -7" 2 "exit-7.h5: /pairs/exit_week row 0 is -7; expected 1 to 16" exit-7.h5
corrupt exit100000 one 'f["pairs/exit_week"][1] = 100000'
refused "exit_week 100000" 2 "exit100000.h5: /pairs/exit_week row 1 is 100000; expected 1 to 16" exit100000.h5
corrupt reason one 'f["pairs/exit_reason"][2] = 9'
refused "exit_reason 9" 2 "reason.h5: /pairs/exit_reason row 2 is 9; expected an exit code, 1 to 4" reason.h5
corrupt reason0 one 'f["pairs/exit_reason"][3] = 0'
refused "exit_reason 0 (engaged)" 2 "/pairs/exit_reason row 3 is 0" reason0.h5
corrupt discussed one 'f["pairs/discussed_week"][4] = -5'
refused "discussed_week -5" 2 "/pairs/discussed_week row 4 is -5; expected -1 \(never\) or a week, 0 to 26" discussed.h5
corrupt ruptures one 'f["pairs/ruptures"][5] = -1'
refused "ruptures -1" 2 "/pairs/ruptures row 5 is -1" ruptures.h5
corrupt repairs one 'f["pairs/repairs"][6] = f["pairs/ruptures"][6] + 1'
refused "repairs > ruptures" 2 "/pairs/repairs row 6 is [0-9]+; expected 0 to [0-9]+, its ruptures" repairs.h5
corrupt symptoms one 'f["pairs/symptoms_exit"][7] = np.nan'
refused "symptoms_exit NaN" 2 "/pairs/symptoms_exit row 7 is nan; expected a severity in \[0, 27\] \(symptoms.max\)" symptoms.h5
corrupt symptoms0 one 'f["pairs/symptoms0"][8] = 1e300'
refused "symptoms0 beyond the scale" 2 "/pairs/symptoms0 row 8 is 1e\+300" symptoms0.h5
corrupt group one 'f["pairs/group"][9] = 200'
refused "patient group 200" 2 "/pairs/group row 9 is 200; expected a patient group, 0 to 3" group.h5
corrupt provider one 'f["pairs/provider"][10] = 4'
refused "provider 4 of 4" 2 "/pairs/provider row 10 is 4; expected a provider of the run, 0 to 3" provider.h5
corrupt first_pair one 'f["runs/first_pair"][0] = 1000'
refused "first_pair beyond the table" 2 "first_pair.h5: /runs/first_pair row 0 is 1000" first_pair.h5
corrupt pairs_neg one 'f["runs/pairs"][0] = -20'
refused "pairs negative" 2 "pairs_neg.h5: /runs/pairs row 0 is -20, which does not agree with the run.s patients.count 20" pairs_neg.h5
corrupt run_total one 'f["runs/run"][0] = 1; f["summary/run"][0] = 1'
refused "run beyond runs_total" 2 "/runs/run row 0 is 1; expected 0 to 0" run_total.h5
corrupt horizon one 'f["runs/horizon"][0] = 1e9'
refused "/runs/horizon 1e9" 2 "/runs/horizon row 0: expected a whole number in \[1, 1040\], got '1000000000'" horizon.h5
corrupt week one 'f["trajectories/week"][1] = 12'
refused "/trajectories/week not 0, every, ..." 2 "/trajectories/week row 1 is 12; expected 13" week.h5
corrupt traj_patient one 'f["trajectories/patient"][3] = f["trajectories/patient"][2]'
merge_refused "trajectory rows out of order" "/trajectories/patient row 3 is [0-9]+; expected a patient of the run" \
    traj_patient.h5
corrupt prov_index one 'f["providers/index"][1] = 0'
merge_refused "providers out of order" "/providers/index row 1 is 0; expected 1" prov_index.h5
corrupt total_vector one 'f.attrs["runs_total"] = np.arange(1000, dtype=np.int64)'
refused "runs_total a vector" 2 "total_vector.h5: its root attribute runs_total .* is missing or malformed" total_vector.h5
corrupt sweep_id one 'f.attrs["sweep_id"] = "12\n34"'
refused "sweep_id not 16 hex digits" 2 "sweep_id.h5: its root attribute sweep_id .* is missing or malformed" sweep_id.h5
corrupt model one 'f.attrs["model_version"] = np.int32(-3)'
refused "model_version -3" 2 "model.h5: its root attribute model_version .* is missing or malformed" model.h5
corrupt scenario_vec one 't = f["scenario"][()]; del f["scenario"]; f.create_dataset("scenario", data=[t, t], dtype=h5py.string_dtype())'
refused "/scenario two strings" 2 "scenario_vec.h5: /scenario is not one string" scenario_vec.h5
corrupt scenario_bad one 't = f["scenario"][()].decode().replace("horizon: 26", "horizon: [26"); del f["scenario"]; f["scenario"] = t'
refused "/scenario not valid YAML" 2 "scenario_bad.h5:/scenario:[0-9]+:[0-9]+: error" scenario_bad.h5
corrupt culture one 'del f["pairs/culture"]; f.create_dataset("pairs/culture", data=np.zeros((20, 3)), maxshape=(None, 3))'
refused "/pairs/culture of 3 dimensions" 2 "/pairs/culture has 3 columns; expected 4 \(one per cultural dimension\)" culture.h5
corrupt exit_type one 'd = f["pairs/exit_week"][:]; del f["pairs/exit_week"]; f.create_dataset("pairs/exit_week", data=d.astype(np.float64), maxshape=(None,))'
refused "/pairs/exit_week of floats" 2 "/pairs/exit_week is not int32" exit_type.h5
corrupt short one 'f["runs/pairs"].resize((0,))'
refused "a /runs column shorter than the others" 2 "/runs/pairs has 0 rows, /runs/run 1" short.h5
corrupt huge one 'g = f["pairs"]; [g[k].resize((10**9,) + g[k].shape[1:]) for k in g if g[k].maxshape[0] is None]'
refused "/pairs declaring 10^9 rows" 2 "declares 1000000000 rows .* but the file stores" huge.h5
corrupt no_pairs one 'del f["pairs/repairs"]'
refused "/pairs/repairs missing" 2 "no_pairs.h5 has no /pairs/repairs, which its /scenario implies" no_pairs.h5
head -c 5000 one.h5 >truncated.h5
refused "a truncated file" 2 "cannot open truncated.h5: truncated file" truncated.h5
mkfifo fifo.h5
refused "a FIFO" 2 "fifo.h5 is a FIFO, not a regular file" fifo.h5
mkdir dir.h5
refused "a directory" 2 "dir.h5 is a directory, not a regular file" dir.h5
refused "/dev/zero" 2 "/dev/zero is a device, not a regular file" /dev/zero
refused "a missing file" 3 "cannot open missing.h5: No such file or directory" missing.h5

# ---- parts that are not of one sweep ----
merge_refused "shards of two sweeps" "a.h5 and b-other.h5 are parts of different sweeps \(sweep ids [0-9a-f]{16} and [0-9a-f]{16}\)" \
    a.h5 b-other.h5
corrupt b-total b 'f.attrs["runs_total"] = 5'
expect_exit -E "shards that disagree on the runs of the sweep" 2 \
    "a.h5 and b-total.h5 have sweep id [0-9a-f]{16} but say the sweep has 4 and 5 runs" \
    "$bin" merge a.h5 b-total.h5 -o out.h5
corrupt b-scen b 't = f["scenario"][()].decode().replace("seed: 4", "seed: 6"); del f["scenario"]; f["scenario"] = t'
expect_exit -E "shards with one sweep id but different scenarios" 2 \
    "have sweep id [0-9a-f]{16} but different scenarios \(/scenario line 2: 'seed: 4 .*' and 'seed: 6 .*'\)" \
    "$bin" merge a.h5 b-scen.h5 -o out.h5
corrupt b-model b 'f.attrs["model_version"] = np.int32(3)'
expect_exit "a shard of a model version this rapport does not implement" 2 \
    "b-model.h5 holds runs of model version 3; this rapport implements model versions 1 to 2" \
    "$bin" merge a.h5 b-model.h5 -o out.h5
corrupt b-model1 b 'f.attrs["model_version"] = np.int32(1 if f.attrs["model_version"] == 2 else 2)'
expect_exit -E "a shard whose model_version is not its scenario's model" 2 \
    "b-model1.h5 says model_version [12], but its /scenario runs model [12]; expected a file written by rapport run" \
    "$bin" merge a.h5 b-model1.h5 -o out.h5
corrupt b-twice b 'f["runs/run"][1] = f["runs/run"][0]; f["summary/run"][1] = f["runs/run"][0]'
expect_exit -E "a shard holding one run twice" 2 "b-twice.h5: /runs holds run 1 twice" "$bin" merge a.h5 b-twice.h5 -o out.h5
expect_exit "a shard given twice" 2 "run 0 is in both a.h5 and a.h5" "$bin" merge a.h5 a.h5 b.h5 -o out.h5
corrupt a-big a 'f.attrs["runs_total"] = 10**15; f.attrs["sweep_id"] = "0123456789abcdef"'
corrupt b-big b 'f.attrs["runs_total"] = 10**15; f.attrs["sweep_id"] = "0123456789abcdef"'
expect_exit "a sweep that declares 10^15 runs: no table of that size" 2 \
    "999999999999996 of the sweep's 1000000000000000 runs are in none of the parts (the first: run 4)" \
    "$bin" merge a-big.h5 b-big.h5 -o out.h5
judge "  no output file" "$(ls -d out.h5 out.h5.partial-* 2>/dev/null)"
finish
