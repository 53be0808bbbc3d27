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
  set_tests_properties(c/${name} PROPERTIES
    ENVIRONMENT "DBHOST_SOURCE_DIR=${CMAKE_SOURCE_DIR};DBHOST_VECTORS=${CMAKE_SOURCE_DIR}/../shared/vectors")
endforeach()

set(DBHOST_TEST_ENV
  "DBHOST_SOURCE_DIR=${CMAKE_SOURCE_DIR}"
  "DBHOST_BUILD_DIR=${CMAKE_BINARY_DIR}"
  "DBHOST=${CMAKE_BINARY_DIR}/dbhost"
  "DBHOST_VECTORS=${CMAKE_SOURCE_DIR}/../shared/vectors"
  "LUA_PATH=${CMAKE_SOURCE_DIR}/scripts/?.lua;${CMAKE_SOURCE_DIR}/tests/lua/?.lua;;")

file(GLOB DBHOST_LUA_SPECS CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tests/lua/*_spec.lua)
foreach(spec IN LISTS DBHOST_LUA_SPECS)
  get_filename_component(name ${spec} NAME_WE)
  add_test(NAME lua/${name}
           COMMAND ${CMAKE_BINARY_DIR}/dbhost lua ${BUSTED} --helper=${CMAKE_SOURCE_DIR}/tests/lua/helper.lua ${spec}
           WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
  set_tests_properties(lua/${name} PROPERTIES ENVIRONMENT "${DBHOST_TEST_ENV}")
endforeach()

file(GLOB DBHOST_E2E_TESTS CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tests/e2e/*.sh)
foreach(script IN LISTS DBHOST_E2E_TESTS)
  get_filename_component(name ${script} NAME_WE)
  add_test(NAME e2e/${name} COMMAND bash ${script} WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
  set_tests_properties(e2e/${name} PROPERTIES ENVIRONMENT "${DBHOST_TEST_ENV}")
endforeach()

# The stock interpreter loads the same bindings from lua/dbhost.so.
if(NOT DBHOST_SANITIZE)
  find_program(LUA54 lua5.4 REQUIRED)
  add_test(NAME lua/stock_interpreter
           COMMAND ${LUA54} ${BUSTED} --cpath=${CMAKE_BINARY_DIR}/lua/?.so
                   --helper=${CMAKE_SOURCE_DIR}/tests/lua/helper.lua ${CMAKE_SOURCE_DIR}/tests/lua
           WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
  set_tests_properties(lua/stock_interpreter PROPERTIES ENVIRONMENT "${DBHOST_TEST_ENV}")
endif()
