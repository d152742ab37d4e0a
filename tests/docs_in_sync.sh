#!/usr/bin/env bash
# docs/MODEL.md and TARGETS.md (version 2), MODEL-v1.md and TARGETS-v1.md
# (version 1) are copies of the team's contract (../shared/ beside the
# checkout, where version 2 is MODEL-v2.md and version 1 MODEL.md), kept in
# the repository so a fresh clone has them. Fails when they drift; skips (77)
# when ../shared is not there.
set -u
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
shared=$(cd "$src/.." && pwd)/shared
[ -d "$shared" ] || skip_test "no $shared"
# docs/NAME=shared/NAME
for pair in MODEL.md=MODEL-v2.md TARGETS.md=TARGETS-v2.md MODEL-v1.md=MODEL.md TARGETS-v1.md=TARGETS.md; do
  ours=${pair%%=*} theirs=${pair#*=}
  if cmp -s "$shared/$theirs" "$src/docs/$ours"; then
    report ok "docs/$ours equals shared/$theirs"
  else
    report fail "docs/$ours differs from shared/$theirs" "copy the new version and review the code against it"
  fi
done
finish
