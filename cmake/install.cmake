# install.cmake - what `cmake --install BUILD --prefix P` puts in P (included
# by CMakeLists.txt). Everything is found relative to P, so P can be moved:
#   bin/rapport, bin/rapport-report        the program, the analysis report
#   lib/librapport.so*, lib/librapport.a   the library (shared, static)
#   include/rapport.h, include/rapport/    its public headers
#   lib/cmake/rapport/                     find_package(rapport): rapport::rapport
#   lib/pkgconfig/rapport.pc               pkg-config rapport
#   lib/python3/site-packages/rapport_analysis/   the analysis package
#   share/man/man1/rapport.1               the help text as a man page
#   share/doc/rapport/, share/rapport/scenarios/  docs, example scenarios
#   share/modulefiles/rapport/VERSION(.lua)      module files (Tcl, Lmod)
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(RAPPORT_INSTALL_CMAKEDIR ${CMAKE_INSTALL_LIBDIR}/cmake/rapport)
set(RAPPORT_INSTALL_PYDIR lib/python3/site-packages) # where analysis/report looks for it
# Libraries outside the system's directories (a Spack or module prefix) stay
# found from the installed program; the prefix's own lib/ is found relative to it.
set_target_properties(rapport rapport_shared PROPERTIES INSTALL_RPATH_USE_LINK_PATH ON
                      INSTALL_RPATH "$ORIGIN/../${CMAKE_INSTALL_LIBDIR}")
set_target_properties(rapport_core PROPERTIES OUTPUT_NAME rapport)

install(TARGETS rapport RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(TARGETS rapport_shared rapport_core
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(FILES ${PROJECT_SOURCE_DIR}/include/rapport.h DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(FILES ${RAPPORT_PUBLIC_HEADERS} DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/rapport)

# find_package(rapport): the imported target rapport::rapport (the shared
# library with the public headers; GSL's and Random123's headers, which
# rng.h includes, come with it).
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/rapportConfig.cmake.in
  ${PROJECT_BINARY_DIR}/generated/rapportConfig.cmake INSTALL_DESTINATION ${RAPPORT_INSTALL_CMAKEDIR}
  PATH_VARS CMAKE_INSTALL_LIBDIR CMAKE_INSTALL_INCLUDEDIR)
write_basic_package_version_file(${PROJECT_BINARY_DIR}/generated/rapportConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/generated/rapportConfig.cmake
              ${PROJECT_BINARY_DIR}/generated/rapportConfigVersion.cmake
        DESTINATION ${RAPPORT_INSTALL_CMAKEDIR})

# pkg-config: relative to the .pc file itself (${pcfiledir}), so relocatable.
file(RELATIVE_PATH RAPPORT_PC_TO_PREFIX ${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_LIBDIR}/pkgconfig
     ${CMAKE_INSTALL_PREFIX})
# a static link also needs what the library links (HDF5 by path, OpenMP's flag, MPI)
set(_private ${HDF5_HL_LIBRARIES} ${HDF5_C_LIBRARIES} ${LibCSV_LIBRARY} ${OpenMP_C_FLAGS})
if(RAPPORT_USE_MPI)
  list(APPEND _private ${MPI_C_LIBRARIES})
endif()
list(JOIN _private " " RAPPORT_PC_PRIVATE_LIBS)
set(RAPPORT_PC_RANDOM123 "")
if(NOT RANDOM123_INCLUDE_DIR IN_LIST CMAKE_C_IMPLICIT_INCLUDE_DIRECTORIES)
  set(RAPPORT_PC_RANDOM123 " -I${RANDOM123_INCLUDE_DIR}")
endif()
configure_file(${PROJECT_SOURCE_DIR}/cmake/rapport.pc.in ${PROJECT_BINARY_DIR}/generated/rapport.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/generated/rapport.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

# The analysis package and its report command (which finds the package
# beside itself in the tree, or in the prefix's site-packages).
install(DIRECTORY ${PROJECT_SOURCE_DIR}/analysis/rapport_analysis DESTINATION ${RAPPORT_INSTALL_PYDIR}
        PATTERN __pycache__ EXCLUDE)
# Its interpreter is RAPPORT_PYTHON (a cluster's python3 module, say), not the
# tree's /usr/bin/python3.
set(RAPPORT_PYTHON /usr/bin/python3 CACHE FILEPATH
    "Python 3 with h5py, numpy, pandas, scipy, matplotlib and statsmodels, for rapport-report")
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/analysis/report)
file(READ ${PROJECT_SOURCE_DIR}/analysis/report _report)
string(REGEX REPLACE "^#![^\n]*" "#!${RAPPORT_PYTHON}" _report "${_report}")
file(WRITE ${PROJECT_BINARY_DIR}/generated/rapport-report "${_report}")
install(PROGRAMS ${PROJECT_BINARY_DIR}/generated/rapport-report DESTINATION ${CMAKE_INSTALL_BINDIR})

# The help text of every command as one man page.
add_custom_command(OUTPUT ${PROJECT_BINARY_DIR}/generated/rapport.1
  COMMAND ${CMAKE_COMMAND} -DRAPPORT=$<TARGET_FILE:rapport> -DOUT=${PROJECT_BINARY_DIR}/generated/rapport.1
          -DVERSION=${PROJECT_VERSION} -P ${PROJECT_SOURCE_DIR}/cmake/manpage.cmake
  DEPENDS rapport ${PROJECT_SOURCE_DIR}/cmake/manpage.cmake
  COMMENT "Man page rapport.1 from rapport help")
add_custom_target(rapport_manpage ALL DEPENDS ${PROJECT_BINARY_DIR}/generated/rapport.1)
install(FILES ${PROJECT_BINARY_DIR}/generated/rapport.1 DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)

install(FILES ${PROJECT_SOURCE_DIR}/README.md DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(FILES ${PROJECT_SOURCE_DIR}/analysis/README.md DESTINATION ${CMAKE_INSTALL_DOCDIR} RENAME ANALYSIS.md)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/docs/ DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/scenarios/ DESTINATION ${CMAKE_INSTALL_DATADIR}/rapport/scenarios
        USE_SOURCE_PERMISSIONS)

# Module files: PREFIX/share/modulefiles/rapport/VERSION.lua for Lmod and
# VERSION (Tcl) for Environment Modules, both finding the prefix from their
# own path (so it stays relocatable): `module use PREFIX/share/modulefiles`,
# `module load rapport`. Environment Modules skips the .lua file (it has no
# #%Module line); Lmod reads both and takes the .lua one.
string(REGEX MATCHALL "[^/]+" _datadir_parts "${CMAKE_INSTALL_DATADIR}")
list(LENGTH _datadir_parts RAPPORT_MODULE_DEPTH)
math(EXPR RAPPORT_MODULE_DEPTH "${RAPPORT_MODULE_DEPTH} + 3") # DATADIR/modulefiles/rapport/FILE
set(RAPPORT_MODULE_HELP "rapport ${PROJECT_VERSION}: ${PROJECT_DESCRIPTION}.

  rapport help                      commands, options, exit codes
  man rapport                       the same, as a man page
  rapport run $RAPPORT_SCENARIOS/baseline.yaml
  rapport-report FILE.h5 -o REPORT/ an output or posterior file as an HTML report

Sets PATH, LD_LIBRARY_PATH, MANPATH, PKG_CONFIG_PATH (pkg-config rapport),
CMAKE_PREFIX_PATH (find_package(rapport)), PYTHONPATH (rapport_analysis),
RAPPORT_ROOT (the installed prefix) and RAPPORT_SCENARIOS (the example
scenarios, with the batch scripts of a cluster in hpc/). Documentation:
$RAPPORT_ROOT/${CMAKE_INSTALL_DOCDIR}/ (README.md: \"On a cluster\").
")
configure_file(${PROJECT_SOURCE_DIR}/cmake/modulefile.lua.in ${PROJECT_BINARY_DIR}/generated/modulefile.lua @ONLY)
configure_file(${PROJECT_SOURCE_DIR}/cmake/modulefile.tcl.in ${PROJECT_BINARY_DIR}/generated/modulefile.tcl @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/generated/modulefile.lua
        DESTINATION ${CMAKE_INSTALL_DATADIR}/modulefiles/rapport RENAME ${PROJECT_VERSION}.lua)
install(FILES ${PROJECT_BINARY_DIR}/generated/modulefile.tcl
        DESTINATION ${CMAKE_INSTALL_DATADIR}/modulefiles/rapport RENAME ${PROJECT_VERSION})
