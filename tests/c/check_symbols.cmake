# cmake -DNM=nm -DLIBRARY=libexrkit.so [-DREADELF=readelf -DEXPECTED_SONAME=libexrkit.so.0] -P check_symbols.cmake
#
# The shared library must export exrkit_* and nothing else: every other
# defined dynamic symbol is either an allow-listed toolchain symbol or a leak
# (a missing `#[no_mangle]` hygiene, a dependency exporting C symbols, ...).
# Also checks the SONAME when READELF and EXPECTED_SONAME are given.

cmake_minimum_required(VERSION 3.20)

foreach(var NM LIBRARY)
  if(NOT DEFINED ${var} OR "${${var}}" STREQUAL "")
    message(FATAL_ERROR "check_symbols: -D${var}=... is required")
  endif()
endforeach()
if(NOT EXISTS "${LIBRARY}")
  message(FATAL_ERROR "check_symbols: ${LIBRARY} does not exist (build first)")
endif()

# Toolchain symbols that are unavoidable in a Rust cdylib. Keep this short and
# say why each one is here.
set(ALLOWED
  # (none so far: rustc's version script for cdylibs hides everything but
  #  the #[no_mangle] extern "C" items; add entries here with a reason)
)

execute_process(COMMAND "${NM}" -D --defined-only "${LIBRARY}"
  OUTPUT_VARIABLE out ERROR_VARIABLE err RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "check_symbols: ${NM} failed (${rc}): ${err}")
endif()

string(REPLACE "\n" ";" lines "${out}")
set(exported "")
set(offending "")
foreach(line IN LISTS lines)
  string(STRIP "${line}" line)
  if(line STREQUAL "")
    continue()
  endif()
  # "<address> <type> <name>[@[@]<version>]"; the name is the last field.
  string(REGEX REPLACE "^.*[ \t]" "" name "${line}")
  string(REGEX REPLACE "@.*$" "" name "${name}")
  if(name MATCHES "^exrkit_")
    list(APPEND exported "${name}")
  elseif(NOT name IN_LIST ALLOWED)
    list(APPEND offending "${line}")
  endif()
endforeach()

list(LENGTH exported n_exported)
message(STATUS "check_symbols: ${LIBRARY} exports ${n_exported} exrkit_* symbols")
if(offending)
  list(JOIN offending "\n  " offending_text)
  message(FATAL_ERROR "check_symbols: ${LIBRARY} exports symbols outside the exrkit_ namespace:\n  ${offending_text}")
endif()
if(NOT "exrkit_version" IN_LIST exported)
  message(FATAL_ERROR "check_symbols: exrkit_version is not exported by ${LIBRARY}")
endif()

if(READELF AND EXPECTED_SONAME)
  execute_process(COMMAND "${READELF}" -d "${LIBRARY}" OUTPUT_VARIABLE dyn RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0 OR NOT dyn MATCHES "\\(SONAME\\)[^\n]*\\[([^]\n]*)\\]")
    message(FATAL_ERROR "check_symbols: ${LIBRARY} has no SONAME (expected ${EXPECTED_SONAME}; build.rs sets it)")
  endif()
  if(NOT CMAKE_MATCH_1 STREQUAL EXPECTED_SONAME)
    message(FATAL_ERROR "check_symbols: SONAME is ${CMAKE_MATCH_1}, CMake expects ${EXPECTED_SONAME}")
  endif()
  message(STATUS "check_symbols: SONAME ${CMAKE_MATCH_1}")
endif()
