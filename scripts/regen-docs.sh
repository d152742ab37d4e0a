#!/usr/bin/env bash
# regen-docs.sh [RAPPORT_BIN] - rewrite the generated part of docs/SCENARIO.md.
#
# Everything from "### Scenario keys" to the end of docs/SCENARIO.md is the
# output of `rapport reference` (the parameter table, the distributions, the
# reference population and the table of observables). After adding or changing
# a parameter or an observable, run this and commit the page with the change;
# scenario_unit fails while the page is out of date.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
bin=${1:-$src/build/rapport}
page=$src/docs/SCENARIO.md
head=$(grep -n '^### Scenario keys$' "$page" | head -n 1 | cut -d: -f1)
[ -n "$head" ] || { echo "regen-docs: no '### Scenario keys' in $page" >&2; exit 1; }
tmp=$(mktemp "$page.XXXXXX")
trap 'rm -f "$tmp"' EXIT
{ head -n $((head - 1)) "$page"; "$bin" reference; } >"$tmp"
mv "$tmp" "$page"
trap - EXIT
echo "docs/SCENARIO.md: generated part rewritten from $bin reference"
