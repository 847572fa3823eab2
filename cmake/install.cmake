# cmake/install.cmake — `cmake --install` (DESTDIR staging works): libysgraph.so with SONAME
# libysgraph.so.MAJOR exporting only the public API (cmake/ysgraph.map), the static library, the
# public headers, the `ysgraph` CLI, ysgraph.pc (Requires.private/Libs.private for static use) and
# a CMake package (find_package(ysgraph) -> ysgraph::ysgraph, ysgraph::ysgraph_static).
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set_target_properties(ysgraph PROPERTIES VERSION ${PROJECT_VERSION} SOVERSION ${PROJECT_VERSION_MAJOR}
                      LINK_DEPENDS ${CMAKE_SOURCE_DIR}/cmake/ysgraph.map)
target_link_options(ysgraph PRIVATE "LINKER:--version-script=${CMAKE_SOURCE_DIR}/cmake/ysgraph.map"
                    "LINKER:--exclude-libs,ALL" "LINKER:--no-undefined")

# what a static user links besides libysgraph.a, from what the library itself links: Lua and
# libpng through Requires.private; every other pkg-config package (the text libraries, Qhull,
# FFmpeg, libdeflate, OpenEXR, ...) as plain -l flags, since Requires.private would pull in those
# packages' own static dependencies (FFmpeg's list dozens) that a system with their shared
# libraries does not need; files, zlib, OpenMP, the CUDA runtime and C++ as they are.
set(YSG_PC_REQUIRES ${LUA_MODULE_NAME} ${PNG_MODULE_NAME})
set(YSG_STATIC_LINK "")
set(YSG_PC_LIBS_PRIVATE "")
get_target_property(ysg_obj_libs ysgraph_obj LINK_LIBRARIES)
foreach(lib IN LISTS ysg_obj_libs)
  if(lib MATCHES "^PkgConfig::(.+)$")
    set(pc ${CMAKE_MATCH_1})
    list(APPEND YSG_STATIC_LINK ${${pc}_LINK_LIBRARIES})
    if(pc STREQUAL "LUA" OR pc STREQUAL "PNG")
      continue()
    endif()
    foreach(dir IN LISTS ${pc}_LIBRARY_DIRS)
      if(NOT dir MATCHES "^/usr/lib")
        list(APPEND YSG_PC_LIBS_PRIVATE "-L${dir}")
      endif()
    endforeach()
    list(TRANSFORM ${pc}_LIBRARIES PREPEND "-l" OUTPUT_VARIABLE flags)
    list(APPEND YSG_PC_LIBS_PRIVATE ${flags})
  elseif(lib STREQUAL "ZLIB::ZLIB")
    list(APPEND YSG_PC_LIBS_PRIVATE -lz)
    list(APPEND YSG_STATIC_LINK ${ZLIB_LIBRARIES})
  elseif(lib STREQUAL "OpenMP::OpenMP_C")
    list(APPEND YSG_PC_LIBS_PRIVATE ${OpenMP_C_FLAGS})
    list(APPEND YSG_STATIC_LINK ${OpenMP_C_LIBRARIES})
  elseif(lib STREQUAL "CUDA::cudart_static")
    list(APPEND YSG_PC_LIBS_PRIVATE ${CUDAToolkit_LIBRARY_DIR}/libcudart_static.a -ldl -lrt)
    list(APPEND YSG_STATIC_LINK ${CUDAToolkit_LIBRARY_DIR}/libcudart_static.a dl rt)
  elseif(lib STREQUAL "Threads::Threads")
    list(APPEND YSG_PC_LIBS_PRIVATE -lpthread)
    list(APPEND YSG_STATIC_LINK pthread)
  elseif(IS_ABSOLUTE "${lib}")
    list(APPEND YSG_PC_LIBS_PRIVATE ${lib})
    list(APPEND YSG_STATIC_LINK ${lib})
  elseif(NOT lib MATCHES "::")
    list(APPEND YSG_PC_LIBS_PRIVATE -l${lib})
    list(APPEND YSG_STATIC_LINK ${lib})
  endif()
endforeach()
if(CMAKE_CXX_COMPILER_LOADED OR YSG_HAVE_CUDA) # C++ sources (FAISS, OpenEXR glue), the CUDA runtime
  list(APPEND YSG_PC_LIBS_PRIVATE -lstdc++)
  list(APPEND YSG_STATIC_LINK stdc++)
endif()
list(APPEND YSG_PC_LIBS_PRIVATE -lm)
list(APPEND YSG_STATIC_LINK m)
list(REMOVE_DUPLICATES YSG_PC_LIBS_PRIVATE)
list(JOIN YSG_PC_REQUIRES " " YSG_PC_REQUIRES)
list(JOIN YSG_PC_LIBS_PRIVATE " " YSG_PC_LIBS_PRIVATE)
string(REPLACE "YSG_HAVE_" "" YSG_FEATURE_LIST "${YSG_FEATURE_DEFS}")
string(REPLACE "=1" "" YSG_FEATURE_LIST "${YSG_FEATURE_LIST}")

if(IS_ABSOLUTE "${CMAKE_INSTALL_LIBDIR}")
  set(YSG_PC_LIBDIR "${CMAKE_INSTALL_LIBDIR}")
else()
  set(YSG_PC_LIBDIR "\${prefix}/${CMAKE_INSTALL_LIBDIR}")
endif()
if(IS_ABSOLUTE "${CMAKE_INSTALL_INCLUDEDIR}")
  set(YSG_PC_INCLUDEDIR "${CMAKE_INSTALL_INCLUDEDIR}")
else()
  set(YSG_PC_INCLUDEDIR "\${prefix}/${CMAKE_INSTALL_INCLUDEDIR}")
endif()
configure_file(${CMAKE_SOURCE_DIR}/cmake/ysgraph.pc.in ${CMAKE_BINARY_DIR}/ysgraph.pc @ONLY)

set(YSG_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/ysgraph)
configure_package_config_file(${CMAKE_SOURCE_DIR}/cmake/ysgraphConfig.cmake.in
                              ${CMAKE_BINARY_DIR}/ysgraphConfig.cmake
                              INSTALL_DESTINATION ${YSG_CMAKE_DIR}
                              PATH_VARS CMAKE_INSTALL_INCLUDEDIR CMAKE_INSTALL_LIBDIR)
write_basic_package_version_file(${CMAKE_BINARY_DIR}/ysgraphConfigVersion.cmake
                                 VERSION ${PROJECT_VERSION} COMPATIBILITY SameMajorVersion)

install(TARGETS ysgraph ysgraph_static ysgraph_cli
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(FILES ${CMAKE_SOURCE_DIR}/include/ysgraph.h DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(DIRECTORY ${CMAKE_SOURCE_DIR}/include/ysgraph DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
        FILES_MATCHING PATTERN "*.h")
install(FILES ${CMAKE_BINARY_DIR}/ysgraph.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
install(FILES ${CMAKE_BINARY_DIR}/ysgraphConfig.cmake ${CMAKE_BINARY_DIR}/ysgraphConfigVersion.cmake
        DESTINATION ${YSG_CMAKE_DIR})
