#!/usr/bin/env bash
# Hostile environments (issue 7): each case must give ONE line on stderr, the
# documented exit code, and leave nothing half-written at the output path.
# Cases: a full disk (a small tmpfs made here, before and during the write), a
# read-only output directory (a read-only mount: even root cannot write), a
# missing output directory, an output path that is a directory, a FIFO and
# /dev/zero as scenario, a 100 MB scenario, deeply nested YAML, an alias bomb,
# absurd --threads, a population beyond this machine's memory.
set -u
R=$1
SRC=$2
T=$(mktemp -d)
MNT="$T/mnt"
mounted=0
cleanup() {
  [ "$mounted" = 1 ] && umount "$MNT" 2>/dev/null
  rm -rf "$T"
}
trap cleanup EXIT
pass=0 fail=0 skip=0
ok() { echo "PASS $1"; pass=$((pass + 1)); }
bad() { echo "FAIL $1"; fail=$((fail + 1)); }

# expect NAME CODE PATTERN -- COMMAND...: exit CODE, one stderr line matching PATTERN
expect() {
  local name=$1 code=$2 pattern=$3
  shift 4
  timeout 60 "$@" >"$T/out" 2>"$T/err"
  local got=$? lines
  lines=$(grep -c '' "$T/err")
  if [ "$got" = "$code" ] && [ "$lines" = 1 ] && grep -qE -- "$pattern" "$T/err"; then
    ok "$name: exit $got, '$(cat "$T/err")'"
  else
    bad "$name: exit $got (expected $code), $lines stderr lines: $(head -c 400 "$T/err")"
  fi
}

printf 'seed: 1\npatients: {count: 20000}\nproviders: {count: 1000}\n' > "$T/s.yaml"

# A full disk: a 2 MiB tmpfs, refused before writing; and a disk that fills
# while writing. Mounting needs privileges: skipped where not allowed.
mkdir -p "$MNT"
if mount -t tmpfs -o size=2m tmpfs "$MNT" 2>/dev/null; then
  mounted=1
  expect "disk too small, refused before writing" 3 "needs about .* MB free" -- "$R" run "$T/s.yaml" -o "$MNT/x.h5"
  [ -z "$(ls "$MNT")" ] && ok "  nothing left on the small disk" || bad "  files left: $(ls "$MNT")"
  umount "$MNT"
  mount -t tmpfs -o size=24m tmpfs "$MNT"
  ( for _ in $(seq 500); do ls "$MNT"/*.partial-* >/dev/null 2>&1 && break; sleep 0.01; done
    dd if=/dev/zero of="$MNT/filler" bs=1M count=23 2>/dev/null ) &
  expect "disk fills while writing" 3 "No space left on device" -- "$R" run "$T/s.yaml" -o "$MNT/x.h5"
  wait
  [ ! -e "$MNT/x.h5" ] && ! ls "$MNT"/*.partial-* >/dev/null 2>&1 && ok "  no output and no temporary file left" \
    || bad "  left behind: $(ls "$MNT")"
  umount "$MNT"
  mount -t tmpfs -o size=200m,ro tmpfs "$MNT"
  expect "read-only output directory" 3 "Read-only file system" -- "$R" run "$T/s.yaml" -o "$MNT/x.h5"
  umount "$MNT"
  mounted=0
else
  echo "SKIP disk full and read-only directory: cannot mount a tmpfs here"
  skip=$((skip + 3))
fi

expect "missing output directory" 3 "No such file or directory" -- "$R" run "$T/s.yaml" -o "$T/nowhere/x.h5"
mkdir "$T/adir"
expect "output path is a directory" 2 "exists" -- "$R" run "$T/s.yaml" -o "$T/adir"
expect "output path is a directory, --force" 3 "Is a directory" -- "$R" run "$T/s.yaml" -o "$T/adir" --force
[ -d "$T/adir" ] && ok "  the directory is untouched" || bad "  the directory was replaced"
mkfifo "$T/fifo"
expect "scenario is a FIFO nobody writes to" 2 "empty scenario" -- "$R" validate "$T/fifo"
expect "scenario is /dev/zero" 2 "larger than .* 16 MiB" -- "$R" validate /dev/zero
head -c 100000000 /dev/zero | tr '\0' 'a' > "$T/big.yaml"
expect "a 100 MB scenario" 2 "larger than .* 16 MiB" -- "$R" validate "$T/big.yaml"
rm -f "$T/big.yaml"
{ printf 'seed: 1\npatients: {count: 10}\nx: '; for _ in $(seq 100000); do printf '['; done; } > "$T/deep.yaml"
expect "deeply nested YAML (100,000 levels)" 2 "nest|deep" -- "$R" validate "$T/deep.yaml"
cat > "$T/bomb.yaml" <<'YAML'
seed: 1
patients: {count: 10}
a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]
b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]
c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]
d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]
e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]
f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]
g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]
YAML
expect "alias bomb (billion laughs)" 2 "anchors and aliases" -- "$R" validate "$T/bomb.yaml"
expect "--threads 0" 2 "--threads takes" -- "$R" run "$T/s.yaml" --threads 0
expect "--threads 100000" 2 "--threads takes" -- "$R" run "$T/s.yaml" --threads 100000
expect "--threads abc" 2 "--threads takes" -- "$R" run "$T/s.yaml" --threads abc
expect "population beyond memory" 2 "too large for memory" -- \
  "$R" run "$T/s.yaml" --set patients.count=2000000000 --set providers.count=100000000
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
