# `cpack -G DEB` (docs/packaging.md): one Debian package `signet` with what
# `cmake --install` puts in place (program, libraries, headers, .pc files,
# SBOM, target profiles, man pages and completion), under /usr whatever
# prefix the tree was configured for (the program finds its profiles and
# SBOM from its own place). Its Depends are computed by dpkg-shlibdeps from
# what the binaries link.

# Debian's copyright file (machine-readable format) with LICENSE's text,
# installed as the documentation directory's copyright.
file(READ "${PROJECT_SOURCE_DIR}/LICENSE" license_text)
string(REGEX REPLACE "^\n+|\n+$" "" license_text "${license_text}")
string(REGEX REPLACE "\n[ \t]*\n" "\n.\n" license_text "${license_text}") # empty lines are " ."
string(REGEX REPLACE "\n[ \t]*\n" "\n.\n" license_text "${license_text}") # (overlapping ones)
string(REGEX REPLACE "\n" "\n " license_text "\n${license_text}")
set(SIGNET_HOMEPAGE "https://signet.example.org/" CACHE STRING
    "The project's home page, for the Debian package's Homepage field")
file(WRITE "${CMAKE_BINARY_DIR}/copyright"
  "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n"
  "Upstream-Name: signet\n"
  "Source: ${SIGNET_HOMEPAGE}\n\n"
  "Files: *\n"
  "Copyright: the signet authors\n"
  "License: ${SIGNET_SBOM_LICENSE}${license_text}\n")
install(FILES "${CMAKE_BINARY_DIR}/copyright" DESTINATION ${CMAKE_INSTALL_DOCDIR})

set(CPACK_PACKAGE_NAME signet)
set(CPACK_PACKAGE_VERSION "${PROJECT_VERSION}")
set(CPACK_PACKAGE_VENDOR "the signet authors")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "firmware signing, PKI and factory provisioning toolchain")
set(CPACK_PACKAGE_DESCRIPTION "signet signs firmware images with keys held in a PKCS#11 token
(HSM), runs the device PKI (CAs, certificates, CRLs), keeps a tamper-evident ledger
and provisions devices on factory stations. This package has the signet program,
its man pages and bash completion, the libsignet library with its headers and
pkg-config files, the shipped target profiles and signet's own SBOM (CycloneDX).")
set(CPACK_RESOURCE_FILE_LICENSE "${PROJECT_SOURCE_DIR}/LICENSE")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_RELEASE 1)
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "signet maintainers <signet@example.org>" CACHE STRING
    "The Debian package's Maintainer field")
set(CPACK_DEBIAN_PACKAGE_SECTION utils)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_HOMEPAGE "${SIGNET_HOMEPAGE}")
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# Stripped, as Debian ships binaries: release builds carry -g3 debug info (the
# hardening test reads the fortify level from it), 30 MB in libsignet.a alone.
set(CPACK_STRIP_FILES ON)
# libsignet.so.N: a shlibs file and the ldconfig trigger.
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS ON)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
# signet has no default PKCS#11 module: SoftHSM2 (tokens in files, for trying
# it and tests), OpenSC's tools, p11-kit's proxy module (every registered
# module behind one path).
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "softhsm2, opensc, p11-kit-modules")
set(CPACK_GENERATOR DEB)
include(CPack)
