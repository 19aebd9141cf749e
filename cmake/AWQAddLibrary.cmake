# awq_add_library(name SRCS... [DEPENDS targets...] [LINK_LIBS libs...])
#
# A static component library of ours: built with the project's include paths,
# installed and exported in AWQTargets so `find_package(AWQ)` consumers can link it.
# (add_mlir_library would export into upstream's MLIRTargets set instead.)
function(awq_add_library name)
  cmake_parse_arguments(ARG "" "" "DEPENDS;LINK_LIBS" ${ARGN})
  add_library(${name} STATIC ${ARG_UNPARSED_ARGUMENTS})
  if(ARG_DEPENDS)
    add_dependencies(${name} ${ARG_DEPENDS})
  endif()
  target_include_directories(${name} PUBLIC
    $<BUILD_INTERFACE:${AWQ_SOURCE_DIR}/include>
    $<BUILD_INTERFACE:${AWQ_BINARY_DIR}/include>
    $<INSTALL_INTERFACE:include>)
  target_link_libraries(${name} PUBLIC ${ARG_LINK_LIBS})
  install(TARGETS ${name} EXPORT AWQTargets ARCHIVE DESTINATION lib)
endfunction()
