#!/usr/bin/env bash
# docs/MODEL.md and docs/TARGETS.md are copies of the team's contract
# (../shared/ beside the checkout), kept in the repository so a fresh clone
# has them. Fails when they drift; skips (77) when ../shared is not there.
set -u
src=$2
shared=$(cd "$src/.." && pwd)/shared
[ -d "$shared" ] || { echo "SKIP no $shared"; exit 77; }
pass=0 fail=0
for f in MODEL.md TARGETS.md; do
  if cmp -s "$shared/$f" "$src/docs/$f"; then
    echo "PASS docs/$f equals shared/$f"; pass=$((pass + 1))
  else
    echo "FAIL docs/$f differs from shared/$f: copy the new version and review the code against it"; fail=$((fail + 1))
  fi
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
