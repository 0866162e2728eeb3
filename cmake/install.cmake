# What `cmake --install` (and `make install`, `make package`) ships: the
# binary, libzcp (static and shared, SONAME libzcp.so.0), the public headers
# of include/zcp only, a CMake package (find_package(zcp) -> zcp::zcp) and a
# pkg-config file, man pages, bash and zsh completions, systemd units.
include(CMakePackageConfigHelpers)

install(TARGETS zcp RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(TARGETS zcp_core ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(TARGETS zcp_shared EXPORT zcpTargets
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(DIRECTORY include/zcp DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} FILES_MATCHING PATTERN "*.h")

set(ZCP_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/zcp)
install(EXPORT zcpTargets NAMESPACE zcp:: DESTINATION ${ZCP_CMAKE_DIR})
configure_package_config_file(cmake/zcpConfig.cmake.in ${CMAKE_BINARY_DIR}/zcpConfig.cmake
  INSTALL_DESTINATION ${ZCP_CMAKE_DIR})
write_basic_package_version_file(${CMAKE_BINARY_DIR}/zcpConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_BINARY_DIR}/zcpConfig.cmake ${CMAKE_BINARY_DIR}/zcpConfigVersion.cmake
  DESTINATION ${ZCP_CMAKE_DIR})

# Relocatable: pkg-config finds the prefix from where the .pc file lies.
file(RELATIVE_PATH ZCP_PC_TO_PREFIX /prefix/${CMAKE_INSTALL_LIBDIR}/pkgconfig /prefix)
configure_file(packaging/zcp.pc.in ${CMAKE_BINARY_DIR}/zcp.pc @ONLY)
install(FILES ${CMAKE_BINARY_DIR}/zcp.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

# Man pages are kept as roff (docs/man/*.1) and installed gzip'd, as Debian
# policy wants them.
file(GLOB ZCP_MAN_PAGES CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/docs/man/*.1)
set(ZCP_MAN_GZ)
foreach(page IN LISTS ZCP_MAN_PAGES)
  get_filename_component(name ${page} NAME)
  set(gz ${CMAKE_BINARY_DIR}/man/${name}.gz)
  add_custom_command(OUTPUT ${gz} COMMAND ${CMAKE_COMMAND} -E make_directory ${CMAKE_BINARY_DIR}/man
    COMMAND gzip -9nc ${page} > ${gz} DEPENDS ${page} VERBATIM)
  list(APPEND ZCP_MAN_GZ ${gz})
endforeach()
add_custom_target(zcp_man ALL DEPENDS ${ZCP_MAN_GZ})
install(FILES ${ZCP_MAN_GZ} DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)

install(FILES packaging/completions/zcp.bash DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions
  RENAME zcp)
install(FILES packaging/completions/_zcp DESTINATION ${CMAKE_INSTALL_DATADIR}/zsh/vendor-completions)
# Debian 12 keeps units in /lib/systemd/system (usr-merged to /usr/lib).
set(ZCP_SYSTEMD_DIR lib/systemd/system CACHE STRING "systemd unit directory, relative to the prefix")
install(FILES packaging/systemd/zcp-serve@.service packaging/systemd/zcp-serve@.socket
  DESTINATION ${ZCP_SYSTEMD_DIR})
# The service's settings file is optional (EnvironmentFile=-): an annotated
# example ships with the docs, to copy to /etc/default/zcp-serve.
install(FILES packaging/systemd/zcp-serve.default DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples)
# Debian wants a changelog beside the copyright, compressed.
add_custom_command(OUTPUT ${CMAKE_BINARY_DIR}/changelog.gz
  COMMAND gzip -9nc ${PROJECT_SOURCE_DIR}/packaging/debian/changelog > ${CMAKE_BINARY_DIR}/changelog.gz
  DEPENDS ${PROJECT_SOURCE_DIR}/packaging/debian/changelog VERBATIM)
add_custom_target(zcp_changelog ALL DEPENDS ${CMAKE_BINARY_DIR}/changelog.gz)
install(FILES ${CMAKE_BINARY_DIR}/changelog.gz DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(FILES LICENSE DESTINATION ${CMAKE_INSTALL_DOCDIR} RENAME copyright)

include(cmake/package.cmake)
