# CTest driver (cmake -P) for the install + downstream-consumer test:
#   1. cmake --install <build> into <work>/prefix and check the layout;
#   2. configure, build and run this directory's project against that prefix
#      with exrkit::exrkit (shared) and with exrkit::exrkit_static;
#   3. compile main.c with `pkg-config --cflags --libs exrkit` and run it, and
#      the same with `pkg-config --static --libs` linking libexrkit.a.
# Required -D: EXRKIT_BUILD_DIR CONSUMER_SOURCE_DIR WORK_DIR GENERATOR
#   C_COMPILER INSTALL_LIBDIR EXPECTED_VERSION EXPECTED_SONAME
# Optional -D: PKG_CONFIG (pkg-config part is skipped, loudly, without it),
#   READELF (DT_NEEDED checks are skipped without it).

cmake_minimum_required(VERSION 3.20)

foreach(var EXRKIT_BUILD_DIR CONSUMER_SOURCE_DIR WORK_DIR GENERATOR C_COMPILER
            INSTALL_LIBDIR EXPECTED_VERSION EXPECTED_SONAME)
  if(NOT DEFINED ${var} OR "${${var}}" STREQUAL "")
    message(FATAL_ERROR "run_consumer_test: -D${var}=... is required")
  endif()
endforeach()

# run(<what> COMMAND...): runs a command, fails the test with its output.
function(run what)
  message(STATUS "consumer: ${what}")
  execute_process(COMMAND ${ARGN}
    OUTPUT_VARIABLE out ERROR_VARIABLE out RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    list(JOIN ARGN " " cmd)
    message(FATAL_ERROR "consumer: ${what} failed (${rc})\n$ ${cmd}\n${out}")
  endif()
  set(RUN_OUTPUT "${out}" PARENT_SCOPE)
endfunction()

# check_needed(<binary> <shared|static>): the binary records the SONAME
# (shared) or does not depend on libexrkit at all (static).
function(check_needed binary kind)
  if(NOT READELF)
    return()
  endif()
  execute_process(COMMAND "${READELF}" -d "${binary}" OUTPUT_VARIABLE dyn RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "consumer: readelf -d ${binary} failed")
  endif()
  if(kind STREQUAL "shared")
    if(NOT dyn MATCHES "\\(NEEDED\\)[^\n]*\\[${EXPECTED_SONAME}\\]")
      message(FATAL_ERROR "consumer: ${binary} does not need ${EXPECTED_SONAME}:\n${dyn}")
    endif()
  elseif(dyn MATCHES "libexrkit")
    message(FATAL_ERROR "consumer: statically linked ${binary} still depends on libexrkit:\n${dyn}")
  endif()
endfunction()

set(prefix "${WORK_DIR}/prefix")
set(libdir "${prefix}/${INSTALL_LIBDIR}")
file(REMOVE_RECURSE "${WORK_DIR}")
file(MAKE_DIRECTORY "${WORK_DIR}")

# 1. Install.
run("install into ${prefix}" "${CMAKE_COMMAND}" --install "${EXRKIT_BUILD_DIR}" --prefix "${prefix}")
string(REGEX MATCH "^[0-9]+" major "${EXPECTED_VERSION}")
foreach(file
    "${prefix}/include/exrkit.h"
    "${libdir}/libexrkit.so.${EXPECTED_VERSION}"
    "${libdir}/libexrkit.a"
    "${libdir}/cmake/exrkit/exrkitConfig.cmake"
    "${libdir}/cmake/exrkit/exrkitConfigVersion.cmake"
    "${libdir}/pkgconfig/exrkit.pc")
  if(NOT EXISTS "${file}" OR IS_SYMLINK "${file}")
    message(FATAL_ERROR "consumer: install did not create the file ${file}")
  endif()
endforeach()
foreach(link_target IN ITEMS "${EXPECTED_SONAME}:libexrkit.so.${EXPECTED_VERSION}" "libexrkit.so:${EXPECTED_SONAME}")
  string(REPLACE ":" ";" pair "${link_target}")
  list(GET pair 0 link)
  list(GET pair 1 target)
  if(NOT IS_SYMLINK "${libdir}/${link}")
    message(FATAL_ERROR "consumer: ${libdir}/${link} is not a symlink")
  endif()
  file(READ_SYMLINK "${libdir}/${link}" actual)
  if(NOT actual STREQUAL target)
    message(FATAL_ERROR "consumer: ${libdir}/${link} -> ${actual}, expected -> ${target}")
  endif()
endforeach()

# 2. find_package(exrkit), shared and static. The shared binary must run
# without LD_LIBRARY_PATH (the imported target's directory is in its RPATH).
foreach(kind shared static)
  if(kind STREQUAL "static")
    set(static ON)
  else()
    set(static OFF)
  endif()
  set(bdir "${WORK_DIR}/build-${kind}")
  run("configure (${kind})" "${CMAKE_COMMAND}" -S "${CONSUMER_SOURCE_DIR}" -B "${bdir}"
    -G "${GENERATOR}" "-DCMAKE_C_COMPILER=${C_COMPILER}" -DCMAKE_BUILD_TYPE=Release
    "-DCMAKE_PREFIX_PATH=${prefix}" -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF
    -DEXRKIT_CONSUMER_STATIC=${static})
  if(NOT RUN_OUTPUT MATCHES "exrkit ${EXPECTED_VERSION} from ${libdir}/cmake/exrkit")
    message(FATAL_ERROR "consumer: find_package did not pick the installed exrkit ${EXPECTED_VERSION}:\n${RUN_OUTPUT}")
  endif()
  run("build (${kind})" "${CMAKE_COMMAND}" --build "${bdir}")
  check_needed("${bdir}/consumer" ${kind})
  run("run (${kind})" "${CMAKE_COMMAND}" -E env --unset=LD_LIBRARY_PATH "${bdir}/consumer")
  message(STATUS "consumer (${kind}): ${RUN_OUTPUT}")
endforeach()

# A request for an incompatible version must be refused.
math(EXPR next_major "${major} + 1")
file(WRITE "${WORK_DIR}/version_check/CMakeLists.txt"
  "cmake_minimum_required(VERSION 3.20)\nproject(v NONE)\nfind_package(exrkit ${next_major}.0 CONFIG QUIET)\n"
  "if(exrkit_FOUND)\n  message(FATAL_ERROR \"exrkit ${next_major}.0 accepted\")\nendif()\n"
  "find_package(exrkit ${EXPECTED_VERSION} CONFIG REQUIRED)\n")
run("version compatibility" "${CMAKE_COMMAND}" -S "${WORK_DIR}/version_check" -B "${WORK_DIR}/version_check/build"
  "-DCMAKE_PREFIX_PATH=${prefix}" -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF)

# 3. pkg-config.
if(NOT PKG_CONFIG)
  message(FATAL_ERROR "consumer: pkg-config not found; cannot check exrkit.pc")
endif()
set(pc_env "${CMAKE_COMMAND}" -E env "PKG_CONFIG_PATH=${libdir}/pkgconfig")
run("pkg-config --modversion" ${pc_env} "${PKG_CONFIG}" --modversion exrkit)
string(STRIP "${RUN_OUTPUT}" modversion)
if(NOT modversion STREQUAL EXPECTED_VERSION)
  message(FATAL_ERROR "consumer: pkg-config says version '${modversion}', expected ${EXPECTED_VERSION}")
endif()
run("pkg-config --cflags --libs" ${pc_env} "${PKG_CONFIG}" --cflags --libs exrkit)
string(STRIP "${RUN_OUTPUT}" pc_flags)
message(STATUS "consumer: pkg-config --cflags --libs exrkit: ${pc_flags}")
separate_arguments(pc_flags UNIX_COMMAND "${pc_flags}")
set(cflags -std=c99 -Wall -Wextra -Werror -pedantic "-DEXPECTED_VERSION_STRING=\"${EXPECTED_VERSION}\"")
run("compile with pkg-config (shared)" "${C_COMPILER}" ${cflags} "${CONSUMER_SOURCE_DIR}/main.c"
  -o "${WORK_DIR}/pc-shared" ${pc_flags})
check_needed("${WORK_DIR}/pc-shared" shared)
run("run (pkg-config, shared)" "${CMAKE_COMMAND}" -E env "LD_LIBRARY_PATH=${libdir}" "${WORK_DIR}/pc-shared")
message(STATUS "consumer (pkg-config shared): ${RUN_OUTPUT}")

# Static through pkg-config: Libs.private must be enough to link libexrkit.a.
run("pkg-config --static --cflags --libs" ${pc_env} "${PKG_CONFIG}" --static --cflags --libs exrkit)
string(STRIP "${RUN_OUTPUT}" pc_static_flags)
message(STATUS "consumer: pkg-config --static --cflags --libs exrkit: ${pc_static_flags}")
separate_arguments(pc_static_flags UNIX_COMMAND "${pc_static_flags}")
list(TRANSFORM pc_static_flags REPLACE "^-lexrkit$" "-l:libexrkit.a")
run("compile with pkg-config (static)" "${C_COMPILER}" ${cflags} "${CONSUMER_SOURCE_DIR}/main.c"
  -o "${WORK_DIR}/pc-static" ${pc_static_flags})
check_needed("${WORK_DIR}/pc-static" static)
run("run (pkg-config, static)" "${CMAKE_COMMAND}" -E env --unset=LD_LIBRARY_PATH "${WORK_DIR}/pc-static")
message(STATUS "consumer (pkg-config static): ${RUN_OUTPUT}")

message(STATUS "consumer: all checks passed")
