# Run as `cmake -DCXX=... -DSOURCE=... -DINCLUDE_DIR=... [-DGENERATED_DIR=...]
#   [-DCASE=NAME -DPATTERN=regex] -P check_compile.cmake`.
#
# Without CASE, SOURCE must compile: the control, so that a wrong include
# path or a broken header cannot pass as an expected failure. With CASE,
# SOURCE is compiled with -DTFAB_CASE_<CASE> and must fail, with every error
# in SOURCE on the line right after `#ifdef TFAB_CASE_<CASE>` and the output
# matching PATTERN (so it fails for the dimensional reason, not a typo).
cmake_minimum_required(VERSION 3.25)

foreach(var CXX SOURCE INCLUDE_DIR)
  if(NOT DEFINED ${var} OR "${${var}}" STREQUAL "")
    message(FATAL_ERROR "check_compile.cmake: -D${var}=... is required")
  endif()
endforeach()
if(NOT EXISTS "${SOURCE}")
  message(FATAL_ERROR "check_compile.cmake: no such source: ${SOURCE}")
endif()

set(args -std=c++20 -fsyntax-only "-I${INCLUDE_DIR}")
if(GENERATED_DIR)
  list(APPEND args "-I${GENERATED_DIR}")
endif()
if(CASE)
  list(APPEND args "-DTFAB_CASE_${CASE}")
endif()

execute_process(COMMAND "${CXX}" ${args} "${SOURCE}"
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)

if(NOT CASE)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "the control must compile, but did not (rc ${rc}):\n${out}")
  endif()
  message(STATUS "control compiled")
  return()
endif()

if(rc EQUAL 0)
  message(FATAL_ERROR "case ${CASE} compiled, but it is dimensionally wrong and must not")
endif()

# The line the case's error must be on.
file(READ "${SOURCE}" content)
string(FIND "${content}" "#ifdef TFAB_CASE_${CASE}\n" at)
if(at EQUAL -1)
  message(FATAL_ERROR "no `#ifdef TFAB_CASE_${CASE}` in ${SOURCE}")
endif()
string(SUBSTRING "${content}" 0 ${at} before)
string(REGEX MATCHALL "\n" newlines "${before}")
list(LENGTH newlines ifdef_index)  # 0-based line of the #ifdef
math(EXPR expected_line "${ifdef_index} + 2")

get_filename_component(name "${SOURCE}" NAME)
string(REGEX REPLACE "([][.+*?^$()|\\\\])" "\\\\\\1" name_re "${name}")
string(REGEX MATCHALL "${name_re}:[0-9]+:[0-9]+: (fatal )?error" errors "${out}")
if(NOT errors)
  message(FATAL_ERROR "case ${CASE} failed without an error in ${name} (rc ${rc}):\n${out}")
endif()
foreach(e IN LISTS errors)
  string(REGEX REPLACE "^${name_re}:([0-9]+):.*" "\\1" line "${e}")
  if(NOT line EQUAL expected_line)
    message(FATAL_ERROR
      "case ${CASE} must fail on line ${expected_line} only, but failed on line ${line}:\n${out}")
  endif()
endforeach()
if(DEFINED PATTERN AND NOT out MATCHES "${PATTERN}")
  message(FATAL_ERROR "case ${CASE} failed, but its error does not match \"${PATTERN}\":\n${out}")
endif()
message(STATUS "case ${CASE} failed to compile, as it must")
