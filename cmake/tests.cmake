# Every suite is a ctest test:
#   tests/c/test_*.c     cmocka programs, linked with the bindings
#   tests/lua/*_spec.lua busted specs, run inside build/dbhost (dbhost lua busted)
#   tests/e2e/*.sh       end-to-end scripts that run the real build/dbhost
find_library(CMOCKA_LIB cmocka REQUIRED)
find_program(BUSTED busted REQUIRED)

file(GLOB DBHOST_C_TESTS CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tests/c/test_*.c)
foreach(src IN LISTS DBHOST_C_TESTS)
  get_filename_component(name ${src} NAME_WE)
  add_executable(${name} ${src})
  target_include_directories(${name} PRIVATE ${CMAKE_SOURCE_DIR}/tests/c)
  target_link_libraries(${name} PRIVATE dbhost_bindings PkgConfig::LUA ${CMOCKA_LIB} m dl)
  add_test(NAME c/${name} COMMAND ${name})
endforeach()

# A PostgreSQL server for the suites that need one: started by tests/lib/pgserver.sh
# (initdb into a folder of its own in /tmp, not the build tree: as root the server user
# must reach it, and a clone may sit in a private folder; unix socket only, run as an
# unprivileged user when ctest runs as root) as a ctest fixture. Tests whose name has "pg" as a word (test_pg.c, pg_spec.lua, apply_pg.sh) require
# it and find it through DBHOST_TEST_DATABASE_URL.
string(MD5 DBHOST_BUILD_HASH "${CMAKE_BINARY_DIR}")
string(SUBSTRING "${DBHOST_BUILD_HASH}" 0 10 DBHOST_BUILD_HASH)
set(DBHOST_TEST_PG_DIR "/tmp/dbhost-ctest-${DBHOST_BUILD_HASH}-server/data")
set(DBHOST_TEST_PG_SOCKET "/tmp/dbhost-ctest-${DBHOST_BUILD_HASH}")
set(DBHOST_TEST_DATABASE_URL "postgresql:///postgres?host=${DBHOST_TEST_PG_SOCKET}&user=postgres")
add_test(NAME pg/start COMMAND bash ${CMAKE_SOURCE_DIR}/tests/lib/pgserver.sh start ${DBHOST_TEST_PG_DIR} ${DBHOST_TEST_PG_SOCKET})
add_test(NAME pg/stop COMMAND bash ${CMAKE_SOURCE_DIR}/tests/lib/pgserver.sh stop ${DBHOST_TEST_PG_DIR} ${DBHOST_TEST_PG_SOCKET})
set_tests_properties(pg/start PROPERTIES FIXTURES_SETUP pg)
set_tests_properties(pg/stop PROPERTIES FIXTURES_CLEANUP pg)

function(dbhost_maybe_pg test)
  if(test MATCHES "(^|/|_)pg(_|$)")
    set_tests_properties(${test} PROPERTIES FIXTURES_REQUIRED pg)
  endif()
endfunction()

set(DBHOST_TEST_ENV
  "DBHOST_SOURCE_DIR=${CMAKE_SOURCE_DIR}"
  "DBHOST_BUILD_DIR=${CMAKE_BINARY_DIR}"
  "DBHOST=${CMAKE_BINARY_DIR}/dbhost"
  "DBHOST_VECTORS=${CMAKE_SOURCE_DIR}/tests/vectors"
  "DBHOST_TEST_DATABASE_URL=${DBHOST_TEST_DATABASE_URL}"
  "LUA_PATH=${CMAKE_SOURCE_DIR}/scripts/?.lua\\;${CMAKE_SOURCE_DIR}/tests/lua/?.lua\\;\\;")

foreach(src IN LISTS DBHOST_C_TESTS)
  get_filename_component(name ${src} NAME_WE)
  set_tests_properties(c/${name} PROPERTIES ENVIRONMENT "${DBHOST_TEST_ENV}")
  dbhost_maybe_pg(c/${name})
endforeach()

file(GLOB DBHOST_LUA_SPECS CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tests/lua/*_spec.lua)
foreach(spec IN LISTS DBHOST_LUA_SPECS)
  get_filename_component(name ${spec} NAME_WE)
  add_test(NAME lua/${name}
           COMMAND ${CMAKE_BINARY_DIR}/dbhost lua ${BUSTED} --helper=${CMAKE_SOURCE_DIR}/tests/lua/helper.lua ${spec}
           WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
  set_tests_properties(lua/${name} PROPERTIES ENVIRONMENT "${DBHOST_TEST_ENV}")
  dbhost_maybe_pg(lua/${name})
endforeach()

file(GLOB DBHOST_E2E_TESTS CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tests/e2e/*.sh)
foreach(script IN LISTS DBHOST_E2E_TESTS)
  get_filename_component(name ${script} NAME_WE)
  add_test(NAME e2e/${name} COMMAND bash ${script} WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
  set_tests_properties(e2e/${name} PROPERTIES ENVIRONMENT "${DBHOST_TEST_ENV}")
  dbhost_maybe_pg(e2e/${name})
endforeach()

# Every bench/*.sh once at its smallest size (tests/bench/smoke.sh), so that a bench that
# breaks fails the suite; its goals are not judged there. Each bench starts its own servers
# (tests/lib/pgserver.sh, or dbhost's throwaway ones) and runs the normal build's dbhost;
# ~50 s: labelled "slow" (no other test has a label yet; `ctest -LE slow` leaves it out).
if(NOT DBHOST_SANITIZE)
  add_test(NAME bench/smoke COMMAND bash ${CMAKE_SOURCE_DIR}/tests/bench/smoke.sh WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
  set_tests_properties(bench/smoke PROPERTIES ENVIRONMENT "${DBHOST_TEST_ENV}" LABELS "slow;bench" TIMEOUT 600)
endif()

# The project's own linters (make lint's luacheck and cppcheck, warnings as errors), so
# a warning fails CI like a test; once, in the normal build.
if(NOT DBHOST_SANITIZE)
  add_test(NAME lint/lua_and_c COMMAND make -s -C ${CMAKE_SOURCE_DIR} lint-lua lint-c BUILD=${CMAKE_BINARY_DIR})
endif()

# The stock interpreter loads the same bindings from lua/dbhost.so: the binding
# specs and one fixtures suite run again under it (the long suites run once).
if(NOT DBHOST_SANITIZE)
  find_program(LUA54 lua5.4 REQUIRED)
  set(DBHOST_STOCK_SPECS "")
  foreach(name hash fs proc yaml sql pg hcl project json meta duration accounts_session sigv4 http pgquery lint_rules)
    if(EXISTS ${CMAKE_SOURCE_DIR}/tests/lua/${name}_spec.lua)
      list(APPEND DBHOST_STOCK_SPECS ${CMAKE_SOURCE_DIR}/tests/lua/${name}_spec.lua)
    endif()
  endforeach()
  add_test(NAME lua/stock_interpreter
           COMMAND ${LUA54} ${BUSTED} --cpath=${CMAKE_BINARY_DIR}/lua/?.so
                   --helper=${CMAKE_SOURCE_DIR}/tests/lua/helper.lua ${DBHOST_STOCK_SPECS}
           WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
  set_tests_properties(lua/stock_interpreter PROPERTIES ENVIRONMENT "${DBHOST_TEST_ENV}" FIXTURES_REQUIRED pg)
endif()

# Suites that need root exit 77 without it: ctest shows them as skipped, not passed.
if(TEST e2e/root_safety)
  set_tests_properties(e2e/root_safety PROPERTIES SKIP_RETURN_CODE 77)
endif()
