#!/usr/bin/env bash
# install_prefix.sh RAPPORT_BIN SRC_DIR - `cmake --install` gives a working,
# relocatable prefix (cmake/install.cmake).
#
# Installs the build of RAPPORT_BIN into a temporary prefix, moves the prefix
# elsewhere, and then, with a PATH of /usr/bin:/bin only and nothing of the
# build tree on any path:
#   - the installed rapport runs an installed example scenario with -o;
#   - rapport-report (the analysis package from the prefix's site-packages)
#     turns that file into a report (SKIP without the analysis packages);
#   - a small C program using the library is built against the prefix with
#     find_package(rapport) (imported target rapport::rapport) and with
#     pkg-config rapport, and both run: they resolve a scenario and run it;
#   - the man page, the headers, the static library and the docs are there;
#   - the module files (share/modulefiles/rapport/VERSION.lua for Lmod,
#     VERSION in Tcl for Environment Modules) work with Lmod's real `module`
#     command in a clean bash: `module use PREFIX/share/modulefiles`, `module
#     load rapport`, then rapport --version and rapport-report from the
#     prefix, the variables it sets (PATH, LD_LIBRARY_PATH, MANPATH,
#     PKG_CONFIG_PATH, CMAKE_PREFIX_PATH, PYTHONPATH, RAPPORT_ROOT,
#     RAPPORT_SCENARIOS), help and whatis, and `module unload` undoing them;
#     the Tcl file the same way with the .lua one set aside (Lmod reads Tcl
#     module files too; Debian's lmod and environment-modules conflict).
#     SKIP without Lmod (Debian: lmod).
set -u
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
make_tmp
build=$(dirname "$(realpath "$bin")")
clean_env=(env -i HOME="$tmp" PATH=/usr/bin:/bin LANG=C.UTF-8 OMP_NUM_THREADS=2)

if ! cmake --install "$build" --prefix "$tmp/stage" >"$tmp/install.log" 2>&1; then
    report fail "cmake --install into a temporary prefix" "$(tail -c 600 "$tmp/install.log")"
    finish
fi
mv "$tmp/stage" "$tmp/moved" # relocatable: nothing may point back to the first prefix
p=$tmp/moved
version=$("$bin" --version | awk 'NR == 1 { print $2 }')
report ok "cmake --install into a temporary prefix, then the prefix moved"
stale=$(grep -rl -- "$tmp/stage" "$p" 2>/dev/null | head -3)
judge "no installed file names the prefix it was installed to" "${stale:+$stale}"

for f in bin/rapport bin/rapport-report lib/librapport.a lib/cmake/rapport/rapportConfig.cmake \
    lib/pkgconfig/rapport.pc include/rapport.h include/rapport/scenario.h share/man/man1/rapport.1 \
    share/doc/rapport/MODEL.md share/rapport/scenarios/baseline.yaml \
    share/modulefiles/rapport/"$version".lua share/modulefiles/rapport/"$version"; do
    [ -e "$p/$f" ] || missing="${missing:-} $f"
done
judge "the prefix holds the program, report, libraries, CMake and pkg-config files, headers, man page, docs, scenarios" \
    "${missing:+missing$missing}"
check "the man page is roff with every command's help" \
    grep -q '^\.SH "RAPPORT CALIBRATE"' "$p/share/man/man1/rapport.1"

cd "$tmp" || exit 1
"${clean_env[@]}" "$p/bin/rapport" run "$p/share/rapport/scenarios/discussion-intake.yaml" \
    --set patients.count=3000 --set providers.count=150 -o "$tmp/run.h5" --json >run.json 2>err
rc=$?
judge "the installed rapport runs an installed example scenario with -o" \
    "$([ $rc -eq 0 ] && [ -s run.h5 ] || echo "exit $rc; $(head -c 300 err)")"

if "$py" -c 'import h5py, numpy, pandas, scipy, matplotlib, statsmodels' 2>/dev/null; then
    "${clean_env[@]}" "$p/bin/rapport-report" "$tmp/run.h5" -o "$tmp/report" -q >report.out 2>err
    rc=$?
    judge "rapport-report from the prefix (its package from the prefix's site-packages) writes index.html" \
        "$([ $rc -eq 0 ] && [ -s report/index.html ] || echo "exit $rc; $(head -c 300 err)")"
else
    report skip "rapport-report from the prefix" "the analysis packages are missing"
fi

# The module files, loaded by Lmod's `module` in a clean bash. modules_check
# KIND: one PASS/FAIL line for the module file Lmod picks now.
lmod_init=/usr/share/lmod/lmod/init/bash
modules_check() {
    cat >module.sh <<EOF
source $lmod_init || exit 9
module use "$p/share/modulefiles"
module load rapport || exit 8
echo "which=\$(command -v rapport)"
echo "version=\$(rapport --version | head -1)"
rapport-report "$tmp/run.h5" -o "$tmp/report-$1" -q >/dev/null 2>&1 && [ -s "$tmp/report-$1/index.html" ] && echo report=ok
python3 -c 'import rapport_analysis' 2>/dev/null && echo python=ok
[ -f "\$RAPPORT_SCENARIOS/baseline.yaml" ] && echo scenarios=ok
for v in LD_LIBRARY_PATH MANPATH PKG_CONFIG_PATH CMAKE_PREFIX_PATH PYTHONPATH RAPPORT_ROOT; do echo "\$v=\${!v}"; done
module help rapport 2>&1 | grep -q 'rapport help' && echo help=ok
module whatis rapport 2>&1 | grep -q 'Version: $version' && echo whatis=ok
module show rapport 2>&1 | grep -q 'rapport/$version' && echo file=\$(module --redirect show rapport 2>&1 | grep -o '$p/share/modulefiles/rapport/[^: ]*' | head -1)
module unload rapport
echo "after=\$PATH:\${RAPPORT_ROOT:-}"
EOF
    "${clean_env[@]}" bash --norc --noprofile module.sh >"module-$1.out" 2>&1
    local rc=$? o="module-$1.out" problems=
    want() { grep -qxF -- "$1" "$o" || problems="$problems expected '$1';"; }
    want "which=$p/bin/rapport"
    want "version=rapport $version$(grep -o ' (git.*' "$o" | head -1)"
    [ -n "$py_ok" ] && want report=ok
    want python=ok
    want scenarios=ok
    want "LD_LIBRARY_PATH=$p/lib"
    want "MANPATH=$p/share/man"
    want "PKG_CONFIG_PATH=$p/lib/pkgconfig"
    want "CMAKE_PREFIX_PATH=$p"
    want "PYTHONPATH=$p/lib/python3/site-packages"
    want "RAPPORT_ROOT=$p"
    want help=ok
    want whatis=ok
    want "file=$p/share/modulefiles/rapport/$2"
    want "after=/usr/bin:/bin:"
    judge "module load rapport with Lmod ($1 module file $2): rapport --version, rapport-report, every variable; unload undoes them" \
        "${problems:+exit $rc;$problems $(head -c 600 "$o")}"
}
py_ok=
"$py" -c 'import h5py, numpy, pandas, scipy, matplotlib, statsmodels' 2>/dev/null && py_ok=1
if [ ! -r "$lmod_init" ]; then
    report skip "module load rapport (Lmod)" "no $lmod_init (Debian: lmod)"
elif [ ! -s "$tmp/run.h5" ]; then
    report fail "module load rapport (Lmod)" "no run.h5 to report on"
else
    modules_check Lmod "$version.lua"
    mv "$p/share/modulefiles/rapport/$version.lua" "$tmp/lua-aside"
    modules_check Tcl "$version"
    mv "$tmp/lua-aside" "$p/share/modulefiles/rapport/$version.lua"
fi

# A program using the library: resolve a scenario, run it, print its dropout.
mkdir -p app
cat >app/app.c <<'EOF'
#include <stdio.h>
#include <rapport.h>

int main(void)
{
    rp_error err = {{0}};
    rp_scenario *sc = NULL;
    rp_run *run = NULL;
    int st = rp_scenario_load_string("app.yaml", "seed: 5\npatients: {count: 500}\n", &sc, &err);
    st = st == RP_OK ? rp_scenario_resolve(sc, &err) : st;
    rp_run_options opt = {.threads = 1};
    st = st == RP_OK ? rp_run_execute(rp_scenario_params(sc), &opt, &run, &err) : st;
    if (st != RP_OK) {
        fprintf(stderr, "app: %s\n", err.msg);
        return 1;
    }
    printf("model %d, %lld pairs, dropout %.4f\n", rp_scenario_params(sc)->model,
           (long long)rp_scenario_params(sc)->patients.count, run->summary.all.dropout);
    rp_run_free(run);
    rp_scenario_free(sc);
    return 0;
}
EOF
cat >app/CMakeLists.txt <<'EOF'
cmake_minimum_required(VERSION 3.18)
project(app LANGUAGES C)
find_package(rapport 0.1 REQUIRED)
add_executable(app app.c)
target_link_libraries(app PRIVATE rapport::rapport)
EOF
"${clean_env[@]}" cmake -S app -B app/build -DCMAKE_PREFIX_PATH="$p" >cm.log 2>&1 &&
    "${clean_env[@]}" cmake --build app/build >>cm.log 2>&1
rc=$?
out=$([ $rc -eq 0 ] && "${clean_env[@]}" app/build/app 2>&1)
judge "a C program built with find_package(rapport) and rapport::rapport runs" \
    "$(echo "$out" | grep -q '^model 2, 500 pairs, dropout 0\.' || echo "exit $rc; $(tail -c 400 cm.log) $out")"
cflags=$("${clean_env[@]}" PKG_CONFIG_PATH="$p/lib/pkgconfig" pkg-config --cflags --libs rapport 2>&1)
# shellcheck disable=SC2086 # the flags are words
"${clean_env[@]}" cc -o app/app-pc app/app.c $cflags >pc.log 2>&1
rc=$?
out=$([ $rc -eq 0 ] && "${clean_env[@]}" LD_LIBRARY_PATH="$p/lib" app/app-pc 2>&1)
judge "a C program built with pkg-config rapport runs (library found through LD_LIBRARY_PATH, as a module sets it)" \
    "$(echo "$out" | grep -q '^model 2, 500 pairs, dropout 0\.' || echo "exit $rc; flags $cflags; $(tail -c 400 pc.log) $out")"
finish
