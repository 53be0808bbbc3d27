# libFuzzer targets: fuzz/fuzz_*.c, each defining LLVMFuzzerTestOneInput.
# A short run of each is a ctest test (seeded from fuzz/corpus/<name>/ when present).
if(NOT CMAKE_C_COMPILER_ID MATCHES "Clang")
  message(FATAL_ERROR "DBHOST_FUZZ needs clang (CC=clang)")
endif()
# Coverage-instrument the code under test too, or libFuzzer runs blind.
target_compile_options(dbhost_bindings PRIVATE -fsanitize=fuzzer-no-link)
file(GLOB DBHOST_FUZZERS CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/fuzz/fuzz_*.c)
foreach(src IN LISTS DBHOST_FUZZERS)
  get_filename_component(name ${src} NAME_WE)
  add_executable(${name} ${src})
  target_compile_options(${name} PRIVATE -fsanitize=fuzzer)
  target_link_options(${name} PRIVATE -fsanitize=fuzzer)
  target_link_libraries(${name} PRIVATE dbhost_bindings PkgConfig::LUA m dl)
  if(DBHOST_TESTS)
    set(corpus ${CMAKE_SOURCE_DIR}/fuzz/corpus/${name})
    set(seeds "")
    if(EXISTS ${corpus})
      set(seeds ${corpus})
    endif()
    # New inputs go to the build tree; the seeds in the source tree are only read.
    set(work ${CMAKE_BINARY_DIR}/fuzz-corpus/${name})
    file(MAKE_DIRECTORY ${work})
    add_test(NAME fuzz/${name}
             COMMAND ${name} -runs=${DBHOST_FUZZ_RUNS} -max_total_time=20 ${work} ${seeds})
    # Targets that fuzz a Lua module load it from the source tree.
    set_tests_properties(fuzz/${name} PROPERTIES ENVIRONMENT "DBHOST_SOURCE_DIR=${CMAKE_SOURCE_DIR}")
  endif()
endforeach()
