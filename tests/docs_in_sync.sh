#!/usr/bin/env bash
# docs/MODEL.md, MODEL-v2.md, TARGETS.md and TARGETS-v2.md are copies of the team's contract
# (../shared/ beside the checkout), kept in the repository so a fresh clone
# has them. Fails when they drift; skips (77) when ../shared is not there.
set -u
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
shared=$(cd "$src/.." && pwd)/shared
[ -d "$shared" ] || skip_test "no $shared"
for f in MODEL.md TARGETS.md MODEL-v2.md TARGETS-v2.md; do
  if cmp -s "$shared/$f" "$src/docs/$f"; then
    report ok "docs/$f equals shared/$f"
  else
    report fail "docs/$f differs from shared/$f" "copy the new version and review the code against it"
  fi
done
finish
