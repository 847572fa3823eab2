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

# what a static user links besides libysgraph.a: pkg-config modules and plain libraries
set(YSG_PC_REQUIRES ${LUA_MODULE_NAME} ${PNG_MODULE_NAME})
set(YSG_STATIC_LINK ${LUA_LINK_LIBRARIES} ${PNG_LINK_LIBRARIES})
set(YSG_PC_LIBS_PRIVATE "")
# every optional pkg-config feature (Qhull, FFmpeg, libdeflate, OpenEXR, ...) as plain -l flags:
# Requires.private would pull in those packages' own static dependencies (FFmpeg's list dozens),
# which a system with their shared libraries does not need
foreach(lib IN LISTS YSG_FEATURE_LIBS)
  if(lib MATCHES "^PkgConfig::(.+)$")
    set(pc ${CMAKE_MATCH_1})
    foreach(dir IN LISTS ${pc}_LIBRARY_DIRS)
      if(NOT dir MATCHES "^/usr/lib")
        list(APPEND YSG_PC_LIBS_PRIVATE "-L${dir}")
      endif()
    endforeach()
    list(TRANSFORM ${pc}_LIBRARIES PREPEND "-l" OUTPUT_VARIABLE flags)
    list(APPEND YSG_PC_LIBS_PRIVATE ${flags})
    list(APPEND YSG_STATIC_LINK ${${pc}_LINK_LIBRARIES})
  endif()
endforeach()
if(ZLIB_FOUND) # the PNG encoder's own use of zlib
  list(APPEND YSG_PC_LIBS_PRIVATE -lz)
  list(APPEND YSG_STATIC_LINK ${ZLIB_LIBRARIES})
endif()
if(YSG_FAISS_FOUND)
  list(APPEND YSG_PC_LIBS_PRIVATE ${FAISS_LIB} ${LAPACK_LIBRARIES})
  list(APPEND YSG_STATIC_LINK ${FAISS_LIB} ${LAPACK_LIBRARIES})
endif()
if(CMAKE_CXX_COMPILER_LOADED) # C++ sources (FAISS, OpenEXR glue)
  list(APPEND YSG_PC_LIBS_PRIVATE -lstdc++)
  list(APPEND YSG_STATIC_LINK stdc++)
endif()
if(YSG_HAVE_CUDA)
  list(APPEND YSG_PC_LIBS_PRIVATE ${CUDAToolkit_LIBRARY_DIR}/libcudart_static.a -ldl -lrt -lstdc++)
  list(APPEND YSG_STATIC_LINK ${CUDAToolkit_LIBRARY_DIR}/libcudart_static.a dl rt stdc++)
endif()
if(OpenMP_C_FOUND)
  list(APPEND YSG_PC_LIBS_PRIVATE ${OpenMP_C_FLAGS})
  list(APPEND YSG_STATIC_LINK ${OpenMP_C_LIBRARIES})
endif()
list(APPEND YSG_PC_LIBS_PRIVATE -lpthread -lm)
list(APPEND YSG_STATIC_LINK Threads::Threads m)
list(REMOVE_DUPLICATES YSG_PC_LIBS_PRIVATE)
# Threads::Threads is not defined in a consumer that did not look for it: spell it out
list(TRANSFORM YSG_STATIC_LINK REPLACE "^Threads::Threads$" "pthread")
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
