# Helpers for the C examples and C tests. Included by the top-level
# CMakeLists.txt when EXRKIT_BUILD_TESTS is on.
#
# exrkit_add_c_program(<source> PREFIX <prefix> [LABELS <label>...] [HEADER_TEST] [PLAIN_NAME]
#                      [NO_VALGRIND])
#
# Builds <source> (.c as C99, .cpp as C++11) into the target <prefix><name>
# (file: bin/<prefix><name>, or bin/<name> with PLAIN_NAME, as for the
# examples, which are tools), linked to exrkit::exrkit, with -Wall -Wextra -Werror
# (HEADER_TEST adds -pedantic, and -Wstrict-prototypes for C), and registers it
# as the CTest test <prefix><name>, run under valgrind when that is on (see
# below) unless NO_VALGRIND says the test would take too long there.
#
# Test arguments: if <dir>/<name>.args exists, its contents are the arguments,
# split like a shell would (quotes work; lines starting with # are comments).
# Placeholders, replaced in every argument:
#   @TESTDATA@  absolute path of the shared test data (../shared/testdata)
#   @BUILD@     the CMake build directory
#   @WORKDIR@   a scratch directory for this test alone (also its working dir)
# Without an .args file the program runs with no arguments. The environment
# also carries EXRKIT_TESTDATA, EXRKIT_BUILD_DIR and EXRKIT_WORKDIR.
# A test whose arguments use @TESTDATA@ is disabled when that directory is
# missing, except in CI (CI=true), where it runs and fails (.ci/run also
# fails outright in that case).
#
# exrkit_add_example_run(<test> <example> [NEEDS_TESTDATA] ARGS <arg>...)
#
# Registers another run of the example target <example> as the CTest test
# <test>: <arg>... as given, under valgrind as above, in the example's own
# scratch directory, labelled "example". NEEDS_TESTDATA applies the rule
# above for the shared test data.

find_package(Threads REQUIRED)

# Memory checking: with EXRKIT_TEST_VALGRIND=AUTO (the default) every C test
# and example runs under valgrind when it is installed; any memory error or
# definite leak fails the test (exit code 99).
set(_exrkit_test_launcher "")
if(EXRKIT_TEST_VALGRIND STREQUAL "AUTO")
  find_program(EXRKIT_VALGRIND valgrind)
elseif(EXRKIT_TEST_VALGRIND)
  find_program(EXRKIT_VALGRIND valgrind REQUIRED)
endif()
if(EXRKIT_TEST_VALGRIND AND EXRKIT_VALGRIND)
  set(_exrkit_test_launcher "${EXRKIT_VALGRIND}" --quiet --error-exitcode=99
      --leak-check=full --errors-for-leak-kinds=definite --show-leak-kinds=definite)
  message(STATUS "exrkit: C tests run under ${EXRKIT_VALGRIND}")
endif()

function(exrkit_add_c_program src)
  cmake_parse_arguments(ARG "HEADER_TEST;PLAIN_NAME;NO_VALGRIND" "PREFIX" "LABELS" ${ARGN})
  get_filename_component(name "${src}" NAME_WE)
  get_filename_component(dir "${src}" DIRECTORY)
  get_filename_component(ext "${src}" LAST_EXT)
  set(target "${ARG_PREFIX}${name}")

  add_executable(${target} "${src}")
  target_link_libraries(${target} PRIVATE exrkit::exrkit)
  set_target_properties(${target} PROPERTIES
    RUNTIME_OUTPUT_DIRECTORY "${PROJECT_BINARY_DIR}/bin")
  if(ARG_PLAIN_NAME)
    set_target_properties(${target} PROPERTIES OUTPUT_NAME "${name}")
  endif()
  if(ext STREQUAL ".c")
    set_target_properties(${target} PROPERTIES
      C_STANDARD 99 C_STANDARD_REQUIRED ON C_EXTENSIONS OFF)  # -std=c99
    set(compiler_id "${CMAKE_C_COMPILER_ID}")
  else()
    set_target_properties(${target} PROPERTIES
      CXX_STANDARD 11 CXX_STANDARD_REQUIRED ON CXX_EXTENSIONS OFF)  # -std=c++11
    set(compiler_id "${CMAKE_CXX_COMPILER_ID}")
  endif()
  if(compiler_id MATCHES "GNU|Clang")
    target_compile_options(${target} PRIVATE -Wall -Wextra -Werror)
    if(ARG_HEADER_TEST)
      target_compile_options(${target} PRIVATE -pedantic)
      if(ext STREQUAL ".c")
        target_compile_options(${target} PRIVATE -Wstrict-prototypes)
      endif()
    endif()
  endif()
  if(NOT ARG_HEADER_TEST)
    # Examples and API tests may use threads and <math.h>.
    target_link_libraries(${target} PRIVATE Threads::Threads m)
  endif()

  set(workdir "${PROJECT_BINARY_DIR}/testrun/${target}")
  file(MAKE_DIRECTORY "${workdir}")

  set(args "")
  set(needs_testdata OFF)
  set(args_file "${dir}/${name}.args")
  if(EXISTS "${args_file}")
    set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS "${args_file}")
    file(STRINGS "${args_file}" lines)
    set(text "")
    foreach(line IN LISTS lines)
      if(NOT line MATCHES "^[ \t]*#")
        string(APPEND text " ${line}")
      endif()
    endforeach()
    separate_arguments(raw_args UNIX_COMMAND "${text}")
    foreach(arg IN LISTS raw_args)
      if(arg MATCHES "@TESTDATA@")
        set(needs_testdata ON)
      endif()
      string(REPLACE "@TESTDATA@" "${EXRKIT_TESTDATA_DIR}" arg "${arg}")
      string(REPLACE "@BUILD@" "${PROJECT_BINARY_DIR}" arg "${arg}")
      string(REPLACE "@WORKDIR@" "${workdir}" arg "${arg}")
      list(APPEND args "${arg}")
    endforeach()
  endif()

  set(launcher ${_exrkit_test_launcher})
  if(ARG_NO_VALGRIND)
    set(launcher "")
  endif()
  add_test(NAME ${target} COMMAND ${launcher} $<TARGET_FILE:${target}> ${args})
  set_tests_properties(${target} PROPERTIES
    WORKING_DIRECTORY "${workdir}"
    LABELS "${ARG_LABELS}"
    ENVIRONMENT "EXRKIT_TESTDATA=${EXRKIT_TESTDATA_DIR};EXRKIT_BUILD_DIR=${PROJECT_BINARY_DIR};EXRKIT_WORKDIR=${workdir}")
  if(needs_testdata)
    _exrkit_require_testdata(${target})
  endif()
endfunction()

# Test <test> reads the shared test data: without it, it is disabled, but in
# CI, where it stays and fails on the missing files.
function(_exrkit_require_testdata test)
  if(IS_DIRECTORY "${EXRKIT_TESTDATA_DIR}")
    return()
  endif()
  if("$ENV{CI}" STREQUAL "true")
    message(WARNING "exrkit: ${EXRKIT_TESTDATA_DIR} is missing; test ${test} will fail")
  else()
    message(WARNING "exrkit: ${EXRKIT_TESTDATA_DIR} is missing; test ${test} is disabled")
    set_tests_properties(${test} PROPERTIES DISABLED TRUE)
  endif()
endfunction()

function(exrkit_add_example_run test example)
  cmake_parse_arguments(ARG "NEEDS_TESTDATA" "" "ARGS" ${ARGN})
  add_test(NAME ${test} COMMAND ${_exrkit_test_launcher} $<TARGET_FILE:${example}> ${ARG_ARGS})
  set_tests_properties(${test} PROPERTIES
    LABELS example WORKING_DIRECTORY "${PROJECT_BINARY_DIR}/testrun/${example}")
  if(ARG_NEEDS_TESTDATA)
    _exrkit_require_testdata(${test})
  endif()
endfunction()
