#!/usr/bin/env bash
# Hostile environments (issue 7): each case must give ONE line on stderr, the
# documented exit code, and leave nothing half-written at the output path.
# Cases: a full disk (a small tmpfs made here, before and during the write), a
# read-only output directory (a read-only mount: even root cannot write), a
# missing output directory, an output path that is a directory, a FIFO and
# /dev/zero as scenario, a 100 MB scenario, deeply nested YAML, an alias bomb,
# absurd --threads, a population beyond this machine's memory.
set -u
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
make_tmp
MNT="$tmp/mnt"
mounted=0
# shellcheck disable=SC2317 # run on exit
unmount() { [ "$mounted" = 1 ] && umount "$MNT" 2>/dev/null; }
at_exit unmount

# Each case: expect_exit -E NAME CODE PATTERN COMMAND... (lib.sh): exit CODE,
# one stderr line matching PATTERN.

printf 'seed: 1\npatients: {count: 20000}\nproviders: {count: 1000}\n' > "$tmp/s.yaml"

# A full disk: a 2 MiB tmpfs, refused before writing; and a disk that fills
# while writing. Mounting needs privileges: skipped where not allowed.
mkdir -p "$MNT"
if mount -t tmpfs -o size=2m tmpfs "$MNT" 2>/dev/null; then
  mounted=1
  expect_exit -E "disk too small, refused before writing" 3 "needs about .* MB free" "$bin" run "$tmp/s.yaml" -o "$MNT/x.h5"
  judge "  nothing left on the small disk" "$(ls "$MNT")"
  umount "$MNT"
  mount -t tmpfs -o size=24m tmpfs "$MNT"
  ( for _ in $(seq 500); do ls "$MNT"/*.partial-* >/dev/null 2>&1 && break; sleep 0.01; done
    dd if=/dev/zero of="$MNT/filler" bs=1M count=23 2>/dev/null ) &
  expect_exit -E "disk fills while writing" 3 "No space left on device" "$bin" run "$tmp/s.yaml" -o "$MNT/x.h5"
  wait
  judge "  no output and no temporary file left" "$(ls -d "$MNT/x.h5" "$MNT"/*.partial-* 2>/dev/null)"
  umount "$MNT"
  mount -t tmpfs -o size=200m,ro tmpfs "$MNT"
  expect_exit -E "read-only output directory" 3 "Read-only file system" "$bin" run "$tmp/s.yaml" -o "$MNT/x.h5"
  umount "$MNT"
  mounted=0
else
  for what in "disk too small, refused before writing" "disk fills while writing" "read-only output directory"; do
    report skip "$what" "cannot mount a tmpfs here"
  done
fi

expect_exit -E "missing output directory" 3 "No such file or directory" "$bin" run "$tmp/s.yaml" -o "$tmp/nowhere/x.h5"
mkdir "$tmp/adir"
expect_exit -E "output path is a directory" 2 "is a directory; expected a new path" "$bin" run "$tmp/s.yaml" -o "$tmp/adir"
expect_exit -E "output path is a directory, --force" 2 "is a directory; expected a new path" "$bin" run "$tmp/s.yaml" -o "$tmp/adir" --force
check "  the directory is untouched" [ -d "$tmp/adir" ]
mkfifo "$tmp/fifo"
expect_exit -E "scenario is a FIFO nobody writes to" 2 "empty scenario" "$bin" validate "$tmp/fifo"
expect_exit -E "scenario is /dev/zero" 2 "larger than .* 16 MiB" "$bin" validate /dev/zero
head -c 100000000 /dev/zero | tr '\0' 'a' > "$tmp/big.yaml"
expect_exit -E "a 100 MB scenario" 2 "larger than .* 16 MiB" "$bin" validate "$tmp/big.yaml"
rm -f "$tmp/big.yaml"
{ printf 'seed: 1\npatients: {count: 10}\nx: '; for _ in $(seq 100000); do printf '['; done; } > "$tmp/deep.yaml"
expect_exit -E "deeply nested YAML (100,000 levels)" 2 "nest|deep" "$bin" validate "$tmp/deep.yaml"
cat > "$tmp/bomb.yaml" <<'YAML'
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
expect_exit -E "alias bomb (billion laughs)" 2 "anchors and aliases" "$bin" validate "$tmp/bomb.yaml"
expect_exit -E "--threads 0" 2 "--threads takes" "$bin" run "$tmp/s.yaml" --threads 0
expect_exit -E "--threads 100000" 2 "--threads takes" "$bin" run "$tmp/s.yaml" --threads 100000
expect_exit -E "--threads abc" 2 "--threads takes" "$bin" run "$tmp/s.yaml" --threads abc
expect_exit -E "population beyond memory" 2 "too large for memory" \
  "$bin" run "$tmp/s.yaml" --set patients.count=2000000000 --set providers.count=100000000
# a sweep whose later point is beyond memory is refused before its first run
printf 'seed: 1\npatients: {count: 100}\nsweep: {grid: {patients.count: [100, 100000000000]}}\n' > "$tmp/big-sweep.yaml"
expect_exit -E "a sweep's point beyond memory" 2 "big-sweep.yaml:3:8: error: sweep point 1: population too large for memory" \
  "$bin" run "$tmp/big-sweep.yaml" --threads 1
finish
