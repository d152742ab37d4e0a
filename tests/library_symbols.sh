#!/usr/bin/env bash
# library_symbols.sh RAPPORT_BIN SRC_DIR LIBRAPPORT.so EXPORTS.map - the shared
# library exports its public interface and nothing else.
#
# EXPORTS.map is generated from include/rapport/*.h (cmake/exports.cmake).
# Every function and object it names must be defined in librapport.so (a
# declaration without a definition would otherwise only fail in a user's
# link), every symbol the library exports must be one of them, and the
# internals (rp_yamltree_*, rp_layout_*, rp_h5_*, rp_parts_*, rp_file_*,
# rp_text_*, rp_nearest_*, the dist ranks) must not be visible.
set -u
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
lib=${3:?usage: library_symbols.sh RAPPORT_BIN SRC_DIR LIBRAPPORT.so EXPORTS.map}
map=${4:?usage: library_symbols.sh RAPPORT_BIN SRC_DIR LIBRAPPORT.so EXPORTS.map}
command -v nm >/dev/null || skip_test "no nm (binutils)"
[ -f "$lib" ] && [ -f "$map" ] || skip_test "no $lib or $map"
make_tmp

sed -n 's/^    \(rp_[a-z0-9_]*\);\{0,1\}$/\1/p' "$map" | sort -u >"$tmp/declared"
nm -D --defined-only "$lib" | awk '{print $NF}' | grep -v '^_' | sort -u >"$tmp/exported"
n=$(wc -l <"$tmp/declared")
[ "$n" -ge 50 ] && report ok "the export list names the public functions ($n)" ||
    report fail "the export list names the public functions" "only $n names in $map"
undefined=$(comm -23 "$tmp/declared" "$tmp/exported" | tr '\n' ' ')
judge "every function of include/rapport/ is defined in the library" "${undefined:+declared but not exported: $undefined}"
extra=$(comm -13 "$tmp/declared" "$tmp/exported" | tr '\n' ' ')
judge "the library exports nothing but include/rapport/" "${extra:+also exported: $extra}"
internals=$(nm --defined-only "$lib" | awk '{print $NF}' |
    grep -E '^rp_(yamltree|layout|h5|parts|file|text|nearest)_' | sort -u | head -3 | tr '\n' ' ')
if [ -z "$internals" ]; then
    report fail "internals are in the library, but local" "no internal symbol found at all (was the library built from sim/?)"
else
    leaked=$(grep -E '^rp_(yamltree|layout|h5|parts|file|text|nearest)_' "$tmp/exported" | head -3 | tr '\n' ' ')
    judge "internals are in the library, but local (e.g. $internals)" "${leaked:+exported: $leaked}"
fi
finish
