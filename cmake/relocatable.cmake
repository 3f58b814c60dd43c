# SPDX-License-Identifier: MIT
# Relative paths between the install folders, so an installed tree works
# wherever it is moved (cmake --install --prefix P, then mv P elsewhere):
#   T4_PC_PREFIX       tina4.pc's prefix, relative to ${pcfiledir}
#   T4_BIN_TO_INCLUDE  from the tina4 binary's folder to the header's folder
#   T4_BIN_TO_LIB      from the binary's folder to the libraries
#   T4_INSTALL_RPATH   $ORIGIN-relative rpath for installed programs
# An absolute CMAKE_INSTALL_<dir> (set by hand) is used as it is.
function(t4_relative out from to)
  foreach(v from to)
    if(IS_ABSOLUTE "${${v}}")
      set(abs_${v} "${${v}}")
    else()
      set(abs_${v} "/t4-prefix/${${v}}")
    endif()
  endforeach()
  if(IS_ABSOLUTE "${to}")
    set(${out} "${to}" PARENT_SCOPE)
    return()
  endif()
  file(RELATIVE_PATH rel "${abs_from}" "${abs_to}")
  string(REGEX REPLACE "/$" "" rel "${rel}")
  if(rel STREQUAL "")
    set(rel ".")
  endif()
  set(${out} "${rel}" PARENT_SCOPE)
endfunction()

t4_relative(rel_pc_prefix "${CMAKE_INSTALL_LIBDIR}/pkgconfig" "")
if(IS_ABSOLUTE "${CMAKE_INSTALL_LIBDIR}")
  set(T4_PC_PREFIX "${CMAKE_INSTALL_PREFIX}")
else()
  set(T4_PC_PREFIX "\${pcfiledir}/${rel_pc_prefix}")
endif()
foreach(d LIBDIR INCLUDEDIR)
  if(IS_ABSOLUTE "${CMAKE_INSTALL_${d}}")
    set(T4_PC_${d} "${CMAKE_INSTALL_${d}}")
  else()
    set(T4_PC_${d} "\${prefix}/${CMAKE_INSTALL_${d}}")
  endif()
endforeach()
t4_relative(T4_BIN_TO_INCLUDE "${CMAKE_INSTALL_BINDIR}" "${CMAKE_INSTALL_INCLUDEDIR}")
t4_relative(T4_BIN_TO_LIB "${CMAKE_INSTALL_BINDIR}" "${CMAKE_INSTALL_LIBDIR}")
if(IS_ABSOLUTE "${T4_BIN_TO_LIB}")
  set(T4_INSTALL_RPATH "${T4_BIN_TO_LIB}")
else()
  set(T4_INSTALL_RPATH "$ORIGIN/${T4_BIN_TO_LIB}")
endif()
