# `make package`: a Debian package of everything install.cmake ships, built
# by CPack. Depends come from dpkg-shlibdeps (the shared libraries the binary
# and libzcp link), so they match the machine's Debian release.
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME zcp)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "zcp developers <zcp@example.org>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "zero-copy file transfer over HTTP/1.1")
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION "zcp serve is an HTTP/1.1 file server that moves file bytes from the page
 cache to the socket with sendfile (Range, validators, listings, tar streams
 of whole trees, uploads, a fan-out relay); zcp get and zcp put receive with
 splice, resume, run parallel streams and verify sha-256 digests. The
 package also ships libzcp, its headers, a CMake package and a pkg-config
 file, man pages, shell completions and systemd units with socket
 activation.")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_HOMEPAGE "https://example.org/zcp")
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS ON)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
# libzcp.so.0 is in the package: ldconfig must run after install and removal.
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA ${PROJECT_SOURCE_DIR}/packaging/debian/triggers)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
include(CPack)
