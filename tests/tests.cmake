# The list of tests; see CMakeLists.txt here for the helpers.
rapport_c_test(engine_unit)
