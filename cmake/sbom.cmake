# signet's own SBOM: CycloneDX 1.5 JSON naming signet and every shared
# library it links, each with the version pkg-config reports and, where dpkg
# knows the file the linker resolves, its Debian package, version and purl.
# Written at configure time to share/signet/signet.cdx.json in the build tree
# (the installed layout: `signet evidence` looks in <dir of the binary>/../
# share/signet/, which is build/share/... for build/cli/signet) and installed
# to ${CMAKE_INSTALL_DATADIR}/signet/. Only CMake and what the build already
# needs (pkg-config, the C compiler, readelf; dpkg where present).
# Reproducible apart from metadata.timestamp (SOURCE_DATE_EPOCH is honoured)
# and serialNumber (a new random UUID: each configure makes a new BOM).

# The libraries found by pkg_check_modules: prefix=module. A PkgConfig::
# target that libsignet links and this table lacks stops the configure, so
# a new dependency cannot be left out of the SBOM.
set(SIGNET_SBOM_MODULES OPENSSL=libcrypto P11KIT=p11-kit-1 SQLITE3=sqlite3 JANSSON=jansson
    LIBPQ=libpq SERIALPORT=libserialport LIBUSB=libusb-1.0)

# A CMake string as a JSON string literal.
function(sbom_quote out s)
  string(REPLACE "\\" "\\\\" s "${s}")
  string(REPLACE "\"" "\\\"" s "${s}")
  string(REPLACE "\n" "\\n" s "${s}")
  set(${out} "\"${s}\"" PARENT_SCOPE)
endfunction()

# Appends {"name": NAME, "value": VALUE} to the JSON array in variable arr.
function(sbom_property arr name value)
  sbom_quote(n "${name}")
  sbom_quote(v "${value}")
  string(JSON len LENGTH "${${arr}}")
  string(JSON json SET "${${arr}}" ${len} "{\"name\": ${n}, \"value\": ${v}}")
  set(${arr} "${json}" PARENT_SCOPE)
endfunction()

# The SONAME of a shared library file, then the sonames it needs when
# with_needed is set (libc's dynamic loader), as a list in variable out.
function(sbom_sonames out file with_needed)
  set(names "")
  if(CMAKE_READELF)
    execute_process(COMMAND ${CMAKE_READELF} -d "${file}" OUTPUT_VARIABLE dyn
                    ERROR_QUIET RESULT_VARIABLE rc)
    if(rc EQUAL 0)
      string(REGEX MATCHALL "\\((SONAME|NEEDED)\\)[^[]*\\[[^]]*\\]" entries "${dyn}")
      foreach(e IN LISTS entries)
        string(REGEX REPLACE "^\\(([A-Z]+)\\)[^[]*\\[([^]]*)\\]$" "\\1;\\2" e "${e}")
        list(GET e 0 tag)
        list(GET e 1 name)
        if(tag STREQUAL "SONAME")
          list(PREPEND names "${name}")
        elseif(with_needed)
          list(APPEND names "${name}")
        endif()
      endforeach()
    endif()
  endif()
  if(NOT names)
    get_filename_component(base "${file}" NAME)
    set(names "${base}")
  endif()
  set(${out} "${names}" PARENT_SCOPE)
endfunction()

# The Debian package owning file: sets <out>_PACKAGE, _VERSION, _ARCH, or
# leaves them empty when dpkg is absent or does not know the file. With a
# merged /usr dpkg may know /lib/... for what the compiler calls /usr/lib/...
function(sbom_deb out file)
  foreach(v PACKAGE VERSION ARCH)
    set(${out}_${v} "" PARENT_SCOPE)
  endforeach()
  find_program(SIGNET_DPKG_QUERY dpkg-query)
  if(NOT SIGNET_DPKG_QUERY)
    return()
  endif()
  set(candidates "${file}")
  if(file MATCHES "^/usr(/.*)$")
    list(APPEND candidates "${CMAKE_MATCH_1}")
  else()
    list(APPEND candidates "/usr${file}")
  endif()
  foreach(c IN LISTS candidates)
    execute_process(COMMAND ${SIGNET_DPKG_QUERY} -S "${c}" OUTPUT_VARIABLE owner
                    ERROR_QUIET RESULT_VARIABLE rc)
    # "libssl3:amd64: /usr/lib/x86_64-linux-gnu/libcrypto.so.3"
    if(rc EQUAL 0 AND owner MATCHES "^([^:, \n]+(:[a-z0-9-]+)?): ")
      execute_process(COMMAND ${SIGNET_DPKG_QUERY} -W -f=\${Package}\n\${Version}\n\${Architecture}
                      "${CMAKE_MATCH_1}" OUTPUT_VARIABLE info ERROR_QUIET RESULT_VARIABLE rc)
      if(rc EQUAL 0 AND info MATCHES "^([^\n]+)\n([^\n]+)\n([^\n]+)$")
        set(${out}_PACKAGE "${CMAKE_MATCH_1}" PARENT_SCOPE)
        set(${out}_VERSION "${CMAKE_MATCH_2}" PARENT_SCOPE)
        set(${out}_ARCH "${CMAKE_MATCH_3}" PARENT_SCOPE)
        return()
      endif()
    endif()
  endforeach()
endfunction()

# The purl distribution namespace: the ID in /etc/os-release, else debian.
set(SIGNET_SBOM_DISTRO debian)
if(EXISTS /etc/os-release)
  file(STRINGS /etc/os-release id REGEX "^ID=")
  if(id MATCHES "^ID=\"?([a-z0-9._-]+)\"?$")
    set(SIGNET_SBOM_DISTRO "${CMAKE_MATCH_1}")
  endif()
endif()

# One component: a library NAME at VERSION (pkg-config's, or empty), read
# from FILE; MODULE is its pkg-config module (or empty). Appends it to the
# components array and its bom-ref to SIGNET_SBOM_REFS.
function(sbom_component name version file module with_needed)
  get_filename_component(real "${file}" REALPATH)
  sbom_deb(deb "${real}")
  sbom_quote(qname "${name}")
  set(c "{\"type\": \"library\", \"name\": ${qname}}")
  set(ref "signet-dep:${name}")
  if(deb_PACKAGE)
    # purl: '+' in a Debian version is percent-encoded (purl decoders
    # may read a bare one as a space); '~' and ':' are left as they are.
    string(REPLACE "+" "%2B" pv "${deb_VERSION}")
    set(ref "pkg:deb/${SIGNET_SBOM_DISTRO}/${deb_PACKAGE}@${pv}?arch=${deb_ARCH}")
    sbom_quote(q "${ref}")
    string(JSON c SET "${c}" purl "${q}")
  endif()
  sbom_quote(q "${ref}")
  string(JSON c SET "${c}" bom-ref "${q}")
  if(version)
    sbom_quote(q "${version}")
    string(JSON c SET "${c}" version "${q}")
  endif()
  if(EXISTS "${real}")
    file(SHA256 "${real}" sha)
    string(JSON c SET "${c}" hashes "[{\"alg\": \"SHA-256\", \"content\": \"${sha}\"}]")
  endif()
  set(props "[]")
  if(module)
    sbom_property(props signet:pkg-config "${module}")
  endif()
  sbom_sonames(sonames "${real}" ${with_needed})
  foreach(s IN LISTS sonames)
    sbom_property(props signet:soname "${s}")
  endforeach()
  sbom_property(props signet:file "${real}")
  if(deb_PACKAGE)
    sbom_property(props signet:deb:package "${deb_PACKAGE}")
    sbom_property(props signet:deb:version "${deb_VERSION}")
    sbom_property(props signet:deb:arch "${deb_ARCH}")
  endif()
  string(JSON c SET "${c}" properties "${props}")
  string(JSON n LENGTH "${SIGNET_SBOM}" components)
  string(JSON json SET "${SIGNET_SBOM}" components ${n} "${c}")
  set(SIGNET_SBOM "${json}" PARENT_SCOPE)
  set(SIGNET_SBOM_REFS ${SIGNET_SBOM_REFS} "${ref}" PARENT_SCOPE)
endfunction()

# Every library libsignet links through pkg-config must be in the table.
get_target_property(links signet_shared LINK_LIBRARIES)
foreach(l IN LISTS links)
  string(REGEX REPLACE "^PkgConfig::" "" prefix "${l}")
  if(NOT prefix STREQUAL l AND NOT ";${SIGNET_SBOM_MODULES};" MATCHES ";${prefix}=")
    message(FATAL_ERROR "cmake/sbom.cmake: libsignet links ${l}, which SIGNET_SBOM_MODULES lacks")
  endif()
endforeach()

# The licence, from LICENSE (the SPDX id README.md states).
file(READ "${PROJECT_SOURCE_DIR}/LICENSE" license_text LIMIT 400)
if(license_text MATCHES "Apache License[ \n]+Version 2\\.0")
  set(SIGNET_SBOM_LICENSE Apache-2.0)
else()
  message(FATAL_ERROR "cmake/sbom.cmake: LICENSE is not the Apache License 2.0: update the SBOM's licence")
endif()

# serialNumber: an RFC 4122 version 4 UUID (random; variant bits 10).
string(RANDOM LENGTH 30 ALPHABET 0123456789abcdef hex)
string(RANDOM LENGTH 1 ALPHABET 89ab variant)
string(SUBSTRING "${hex}" 0 8 u1)
string(SUBSTRING "${hex}" 8 4 u2)
string(SUBSTRING "${hex}" 12 3 u3)
string(SUBSTRING "${hex}" 15 3 u4)
string(SUBSTRING "${hex}" 18 12 u5)
set(SIGNET_SBOM_SERIAL "urn:uuid:${u1}-${u2}-4${u3}-${variant}${u4}-${u5}")
string(TIMESTAMP SIGNET_SBOM_TIME "%Y-%m-%dT%H:%M:%SZ" UTC)

set(SIGNET_SBOM_SELF "pkg:generic/signet@${PROJECT_VERSION}")
set(SIGNET_SBOM "{
  \"bomFormat\": \"CycloneDX\", \"specVersion\": \"1.5\",
  \"serialNumber\": \"${SIGNET_SBOM_SERIAL}\", \"version\": 1,
  \"metadata\": {
    \"timestamp\": \"${SIGNET_SBOM_TIME}\",
    \"tools\": {\"components\": [{\"type\": \"application\", \"name\": \"cmake\",
      \"version\": \"${CMAKE_VERSION}\", \"description\": \"signet's cmake/sbom.cmake\"}]},
    \"component\": {\"type\": \"application\", \"bom-ref\": \"${SIGNET_SBOM_SELF}\",
      \"name\": \"signet\", \"version\": \"${PROJECT_VERSION}\",
      \"description\": \"Firmware signing, PKI and factory provisioning toolchain\",
      \"licenses\": [{\"license\": {\"id\": \"${SIGNET_SBOM_LICENSE}\"}}],
      \"purl\": \"${SIGNET_SBOM_SELF}\"}},
  \"components\": [], \"dependencies\": []}")
set(SIGNET_SBOM_REFS "")

foreach(entry IN LISTS SIGNET_SBOM_MODULES)
  string(REPLACE "=" ";" entry "${entry}")
  list(GET entry 0 prefix)
  list(GET entry 1 module)
  foreach(file IN LISTS ${prefix}_LINK_LIBRARIES)
    get_filename_component(lib "${file}" NAME)
    string(REGEX REPLACE "\\.so(\\..*)?$" "" lib "${lib}")
    sbom_component("${lib}" "${${prefix}_VERSION}" "${file}" "${module}" FALSE)
  endforeach()
endforeach()

# The C library (and through it the dynamic loader): no pkg-config module;
# its version from getconf, the file from the compiler.
execute_process(COMMAND ${CMAKE_C_COMPILER} -print-file-name=libc.so.6
                OUTPUT_VARIABLE libc OUTPUT_STRIP_TRAILING_WHITESPACE)
execute_process(COMMAND getconf GNU_LIBC_VERSION OUTPUT_VARIABLE libc_version ERROR_QUIET)
set(libc_name libc)
if(libc_version MATCHES "^glibc ([0-9.]+)")
  set(libc_name glibc)
  set(libc_version "${CMAKE_MATCH_1}")
else()
  set(libc_version "")
endif()
sbom_component(${libc_name} "${libc_version}" "${libc}" "" TRUE)

# A sanitizer build also loads the compiler's runtimes (gcc links them
# dynamically; clang's are static and add nothing): versioned as the compiler.
set(runtimes "")
if(SIGNET_SANITIZE)
  set(runtimes asan ubsan)
elseif(SIGNET_TSAN)
  set(runtimes tsan)
endif()
foreach(r IN LISTS runtimes)
  execute_process(COMMAND ${CMAKE_C_COMPILER} -print-file-name=lib${r}.so
                  OUTPUT_VARIABLE file OUTPUT_STRIP_TRAILING_WHITESPACE)
  if(IS_ABSOLUTE "${file}")
    sbom_component(lib${r} "${CMAKE_C_COMPILER_VERSION}" "${file}" "" FALSE)
  endif()
endforeach()

# The graph: signet depends on each library.
set(deps "[]")
foreach(ref IN LISTS SIGNET_SBOM_REFS)
  sbom_quote(q "${ref}")
  string(JSON n LENGTH "${deps}")
  string(JSON deps SET "${deps}" ${n} "${q}")
endforeach()
string(JSON SIGNET_SBOM SET "${SIGNET_SBOM}" dependencies 0
       "{\"ref\": \"${SIGNET_SBOM_SELF}\", \"dependsOn\": ${deps}}")

file(WRITE "${CMAKE_BINARY_DIR}/share/signet/signet.cdx.json" "${SIGNET_SBOM}\n")
install(FILES "${CMAKE_BINARY_DIR}/share/signet/signet.cdx.json"
        DESTINATION ${CMAKE_INSTALL_DATADIR}/signet)
