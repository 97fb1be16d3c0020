# cmake -DOBJDUMP=objdump -DLIBRARY=libexrkit.a -DFUNCTIONS=a,b -P check_no_panics.cmake
#
# The named functions of the optimised static library (Rust paths, such as
# exrkit::qoi::decode::Decoder::decode_pixels; every monomorphised copy is
# checked) must hold no call to a panic: every bounds check in them is one
# the compiler removed. Each name must match at least one function.

cmake_minimum_required(VERSION 3.20)

foreach(var OBJDUMP LIBRARY FUNCTIONS)
  if(NOT DEFINED ${var} OR "${${var}}" STREQUAL "")
    message(FATAL_ERROR "check_no_panics: -D${var}=... is required")
  endif()
endforeach()
if(NOT EXISTS "${LIBRARY}")
  message(FATAL_ERROR "check_no_panics: ${LIBRARY} does not exist (build first)")
endif()

string(REPLACE "," ";" FUNCTIONS "${FUNCTIONS}")
set(failures "")
foreach(function IN LISTS FUNCTIONS)
  execute_process(
    COMMAND "${OBJDUMP}" -drwC --no-show-raw-insn "--disassemble=${function}" "${LIBRARY}"
    OUTPUT_VARIABLE listing ERROR_QUIET RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "check_no_panics: ${OBJDUMP} failed (${rc}) on ${function}")
  endif()
  string(REGEX MATCHALL "\n[0-9a-f]+ <${function}>:" copies "${listing}")
  list(LENGTH copies count)
  # Instruction and relocation lines start with blanks; headers do not.
  string(REGEX MATCHALL "\n[ \t]+[^\n]*" code "${listing}")
  if(count EQUAL 0 OR NOT code)
    list(APPEND failures "${function}: not found in ${LIBRARY}")
    continue()
  endif()
  string(REGEX MATCHALL "\n[ \t]+[^\n]*(panic|_fail)[^\n]*" panics "${code}")
  if(panics)
    string(REPLACE ";" "" panics "${panics}")
    list(APPEND failures "${function} may panic:${panics}")
    continue()
  endif()
  message(STATUS "${function}: ${count} copies, no call to a panic")
endforeach()

if(failures)
  string(REPLACE ";" "\n" failures "${failures}")
  message(FATAL_ERROR "check_no_panics:\n${failures}")
endif()
