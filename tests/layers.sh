#!/usr/bin/env bash
# layers.sh RAPPORT_BIN SRC_DIR - the layers of docs/ARCHITECTURE.md hold.
#
# The library's folders are layers, lowest first:
#     core  model  input  plan  io  exec      (sim/LAYER/, include/rapport/)
# and cli/ (the command line) above them all. A file may include the headers
# of its own layer and of the layers below it, never above; input and plan see
# of the model only its plain data (params.h, observables.h, rng.h), so that a
# scenario never knows the engine. Of the packages, only io includes HDF5, only
# exec's dist_mpi.c MPI, only input's yamltree.c libyaml, only records.c libcsv. No public header
# names a YAML type or includes a header of sim/. The library never prints:
# no stdout, stderr, printf or puts in sim/ (it hands FILE streams and
# messages to its callers). Each check names the file, line and include.
set -u
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

# The layer of each public header (include/rapport/NAME.h).
declare -A public=(
    [status.h]=core
    [params.h]=model [rng.h]=model [population.h]=model [assign.h]=model [engine.h]=model
    [observables.h]=model [observe.h]=model [run.h]=model
    [paramtable.h]=input [scenario.h]=input
    [plan.h]=plan [summaries.h]=plan [stats.h]=plan
    [output.h]=io [posterior.h]=io
    [sweep.h]=exec [calibrate.h]=exec [exec.h]=exec
)
order=(core model input plan io exec cli)
rank() {
    local i
    for i in "${!order[@]}"; do [ "${order[$i]}" = "$1" ] && { echo "$i"; return; }; done
    echo -1
}

cd "$src" || exit 2
problems=""
add() { problems+="${problems:+; }$1"; }

for h in include/rapport/*.h; do
    [ -n "${public[$(basename "$h")]:-}" ] || add "$h: a public header of no layer (add it to tests/layers.sh)"
done

files=$(ls sim/*/*.c sim/*/*.h include/rapport/*.h cli/*.c cli/*.h 2>/dev/null)
for f in $files; do
    case $f in
        sim/*) own=$(echo "$f" | cut -d/ -f2) ;;
        cli/*) own=cli ;;
        include/rapport/*) own=${public[$(basename "$f")]:-?} ;;
    esac
    own_rank=$(rank "$own")
    [ "$own_rank" -ge 0 ] || { add "$f: in no layer"; continue; }
    while IFS=: read -r line inc; do
        target=$(echo "$inc" | sed -E 's/.*#include "([^"]+)".*/\1/')
        case $target in
            rapport/*) layer=${public[${target#rapport/}]:-?} ;;
            cli.h) layer=cli ;;
            version.h) layer=core ;; # generated build provenance
            */*) layer=${target%%/*} ;;
            *) add "$f:$line: #include \"$target\" names no layer (write \"LAYER/$target\")"; continue ;;
        esac
        r=$(rank "$layer")
        if [ "$r" -lt 0 ]; then
            add "$f:$line: #include \"$target\": unknown layer '$layer'"
        elif [ "$r" -gt "$own_rank" ]; then
            add "$f:$line: $own includes $layer ($target), a layer above it"
        elif [ "$layer" = model ] && { [ "$own" = input ] || [ "$own" = plan ]; } &&
            ! [[ $target =~ ^rapport/(params|observables|rng)\.h$ ]]; then
            add "$f:$line: $own includes $target; of the model it may see only params.h, observables.h and rng.h"
        fi
        case $f in include/*) [[ $target == rapport/* ]] || add "$f:$line: a public header includes $target of sim/" ;; esac
    done < <(grep -n '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' "$f" | sed -E 's/^([0-9]+):/\1:/')
    while IFS=: read -r line inc; do
        sys=$(echo "$inc" | sed -E 's/.*#[[:space:]]*include[[:space:]]*<([^>]+)>.*/\1/')
        case $sys in
            hdf5.h|hdf5_hl.h|H5*.h) [ "$own" = io ] || add "$f:$line: <$sys> outside io" ;;
            mpi.h) [ "$f" = sim/exec/dist_mpi.c ] || add "$f:$line: <mpi.h> outside sim/exec/dist_mpi.c" ;;
            yaml.h) [ "$f" = sim/input/yamltree.c ] || add "$f:$line: <yaml.h> outside sim/input/yamltree.c" ;;
            csv.h) [ "$f" = sim/input/records.c ] || add "$f:$line: <csv.h> outside sim/input/records.c" ;;
        esac
    done < <(grep -n '^[[:space:]]*#[[:space:]]*include[[:space:]]*<' "$f")
done
judge "every include goes to its own layer or one below ($(echo "$files" | wc -w) files)" "$problems"


yaml_public=$(grep -nE 'rp_ynode|rp_ytree|\byaml_[a-z_]+_t\b|<yaml\.h>' include/rapport/*.h | head -5 | tr '\n' ' ')
judge "no YAML type in include/" "$yaml_public"

prints=$(grep -nE '\bstdout\b|\bstderr\b|(^|[^nfs])printf\(|\bputs\(|\bputchar\(' sim/*/*.c sim/*/*.h |
    grep -vE '^[^:]+:[0-9]+:\s*(/\*|\*)' | head -5 | tr '\n' ' ')
judge "the library never prints (no stdout, stderr, printf, puts in sim/)" "$prints"
finish
