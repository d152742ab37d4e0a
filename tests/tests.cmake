# The list of tests; see CMakeLists.txt here for the helpers.
rapport_c_test(engine_unit)
rapport_c_test(engine_stats)
rapport_c_test(scenario_unit)
target_compile_definitions(scenario_unit PRIVATE RP_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
rapport_script_test(invalid_scenarios invalid_scenarios.sh)
rapport_script_test(crosscheck_reference crosscheck_reference.sh)
rapport_script_test(docs_in_sync docs_in_sync.sh)
