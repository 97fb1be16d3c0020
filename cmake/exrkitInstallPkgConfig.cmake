# Runs at install time (install(CODE) in CMakeLists.txt): writes exrkit.pc for
# the prefix being installed to and installs it into <libdir>/pkgconfig.
# Inputs: EXRKIT_PC_TEMPLATE, EXRKIT_PC_WORK_DIR, EXRKIT_PC_LIBDIR,
# EXRKIT_PC_INCLUDEDIR, EXRKIT_PC_VERSION, EXRKIT_PC_DESCRIPTION,
# EXRKIT_PC_LIBS_PRIVATE; CMAKE_INSTALL_PREFIX is the install-time prefix.

cmake_policy(VERSION 3.20)

set(EXRKIT_PC_PREFIX "${CMAKE_INSTALL_PREFIX}")
string(REGEX REPLACE "/+$" "" EXRKIT_PC_PREFIX "${EXRKIT_PC_PREFIX}")
if(EXRKIT_PC_PREFIX STREQUAL "")
  set(EXRKIT_PC_PREFIX "/")
endif()

if(IS_ABSOLUTE "${EXRKIT_PC_LIBDIR}")
  set(EXRKIT_PC_LIBDIR_VALUE "${EXRKIT_PC_LIBDIR}")
  set(_exrkit_pc_dest "${EXRKIT_PC_LIBDIR}/pkgconfig")
else()
  set(EXRKIT_PC_LIBDIR_VALUE "\${exec_prefix}/${EXRKIT_PC_LIBDIR}")
  set(_exrkit_pc_dest "${CMAKE_INSTALL_PREFIX}/${EXRKIT_PC_LIBDIR}/pkgconfig")
endif()
if(IS_ABSOLUTE "${EXRKIT_PC_INCLUDEDIR}")
  set(EXRKIT_PC_INCLUDEDIR_VALUE "${EXRKIT_PC_INCLUDEDIR}")
else()
  set(EXRKIT_PC_INCLUDEDIR_VALUE "\${prefix}/${EXRKIT_PC_INCLUDEDIR}")
endif()

configure_file("${EXRKIT_PC_TEMPLATE}" "${EXRKIT_PC_WORK_DIR}/exrkit.pc" @ONLY)
# file(INSTALL) honours DESTDIR and records the file in install_manifest.txt.
file(INSTALL DESTINATION "${_exrkit_pc_dest}" TYPE FILE FILES "${EXRKIT_PC_WORK_DIR}/exrkit.pc")
