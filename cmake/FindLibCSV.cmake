# FindLibCSV.cmake - libcsv (Robert Gamble's CSV parser; Debian: libcsv-dev),
# which ships no CMake or pkg-config file of its own.
#
# Sets LibCSV_FOUND, LibCSV_INCLUDE_DIR, LibCSV_LIBRARY, and the imported
# target LibCSV::LibCSV. A prefix is given the standard way: -DLibCSV_ROOT=PREFIX
# or CMAKE_PREFIX_PATH.
find_path(LibCSV_INCLUDE_DIR csv.h DOC "libcsv header (csv.h)")
find_library(LibCSV_LIBRARY NAMES csv DOC "libcsv library")
include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(LibCSV REQUIRED_VARS LibCSV_LIBRARY LibCSV_INCLUDE_DIR)
if(LibCSV_FOUND AND NOT TARGET LibCSV::LibCSV)
  add_library(LibCSV::LibCSV UNKNOWN IMPORTED)
  set_target_properties(LibCSV::LibCSV PROPERTIES IMPORTED_LOCATION "${LibCSV_LIBRARY}"
                        INTERFACE_INCLUDE_DIRECTORIES "${LibCSV_INCLUDE_DIR}")
endif()
mark_as_advanced(LibCSV_INCLUDE_DIR LibCSV_LIBRARY)
