#!/usr/bin/env bash
# signet's own SBOM (cmake/sbom.cmake): a CycloneDX 1.5 document whose
# components are exactly what the built binaries load. Every NEEDED entry of
# signet and libsignet.so must map to a component (by soname, and to the
# Debian package dpkg says owns the file ld.so resolves), each version must
# equal pkg-config's and dpkg's, and a fresh configure must produce the same
# document apart from the timestamp and serial number.
#   test_sbom.sh BUILD_DIR
set -euo pipefail
build=$1
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../cli/lib.sh"
sbom="$build/share/signet/signet.cdx.json"

# ---- where `signet evidence` looks: <dir of signet>/../share/signet/
[ "$(cd "$(dirname "$S")/.." && pwd)/share/signet/signet.cdx.json" -ef "$sbom" ] && ok ||
  bad "$sbom is not at <dir of $S>/../share/signet/"
jq -e . "$sbom" >/dev/null || { bad "$sbom is not JSON"; finish; }

# ---- the document: CycloneDX 1.5 rules
check() { # jq-filter what: the filter must yield true
  if jq -e "$1" "$sbom" >/dev/null; then ok; else bad "SBOM: $2"; fi
}
check '.bomFormat == "CycloneDX" and .specVersion == "1.5" and .version == 1' "bomFormat/specVersion/version"
check '.serialNumber | test("^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")' \
  "serialNumber is not an RFC 4122 v4 urn:uuid"
check '.metadata.timestamp | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$")' "timestamp"
check '.metadata.tools.components | length > 0' "no metadata.tools"
version=$("$S" --version | awk '{print $2}')
check ".metadata.component | .type == \"application\" and .name == \"signet\" and .version == \"$version\"
  and .purl == \"pkg:generic/signet@$version\"" "metadata.component is not signet $version"
grep -q 'Apache License' "$SIGNET_SOURCE_DIR/LICENSE" && grep -q 'Version 2.0' "$SIGNET_SOURCE_DIR/LICENSE"
check '.metadata.component.licenses == [{"license": {"id": "Apache-2.0"}}]' "licence is not LICENSE's Apache-2.0"
check '[.metadata.component."bom-ref", .components[]."bom-ref"] | (length == (unique | length)) and all(. != null)' \
  "bom-refs missing or not unique"
check '.components | length > 0 and all(.type == "library" and .name != null and .version != null)' \
  "a component lacks type, name or version"
check '[.components[]."bom-ref"] as $refs | .dependencies ==
  [{"ref": .metadata.component."bom-ref", "dependsOn": $refs}]' "signet does not depend on each component"

# ---- every library the binaries need is a component, at the versions
# pkg-config and dpkg report, and the hashed file is the one on disk
libsignet=$(readlink -f "$build/libsignet.so")
distro=$( (. /etc/os-release 2>/dev/null && echo "${ID:-debian}") || echo debian)
needed=$(for f in "$S" "$libsignet"; do readelf -d "$f" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'; done | sort -u)
[ -n "$needed" ] && ok || bad "readelf found no NEEDED entries"
for so in $needed; do
  comp=$(jq -c --arg so "$so" '[.components[] | select(.properties[]? | .name == "signet:soname" and .value == $so)]' "$sbom")
  if [ "$(jq length <<<"$comp")" != 1 ]; then
    bad "NEEDED $so is not exactly one component of the SBOM"
    continue
  fi
  comp=$(jq -c '.[0]' <<<"$comp")
  prop() { jq -r --arg n "$1" '[.properties[] | select(.name == $n) | .value][0] // empty' <<<"$comp"; }
  # The file ld.so loads for it, and the package that owns that file.
  path=$(ldd "$S" "$libsignet" | sed -n "s|^[[:space:]]*$so => \(/[^ ]*\) .*|\1|p; s|^[[:space:]]*\(/[^ ]*/$so\) .*|\1|p" | head -1)
  [ -n "$path" ] || { bad "ldd does not resolve $so"; continue; }
  owner=$(dpkg-query -S "$path" 2>/dev/null || dpkg-query -S "$(readlink -f "$path")" 2>/dev/null ||
    dpkg-query -S "${path#/usr}" 2>/dev/null || true)
  pkg=$(sed -n '1s/^\([^:, ]*\)\(:[a-z0-9-]*\)\?: .*/\1/p' <<<"$owner")
  [ -n "$pkg" ] || { bad "dpkg does not know $path ($so)"; continue; }
  read -r dver darch < <(dpkg-query -W -f='${Version} ${Architecture}\n' "$pkg" | head -1)
  purl="pkg:deb/$distro/$pkg@${dver//+/%2B}?arch=$darch"
  [ "$(jq -r .purl <<<"$comp")" = "$purl" ] && ok || bad "$so: purl $(jq -r .purl <<<"$comp"), dpkg says $purl"
  [ "$(prop signet:deb:package)" = "$pkg" ] && [ "$(prop signet:deb:version)" = "$dver" ] && ok ||
    bad "$so: Debian package $(prop signet:deb:package) $(prop signet:deb:version), dpkg says $pkg $dver"
  module=$(prop signet:pkg-config)
  if [ -n "$module" ]; then
    want=$(pkg-config --modversion "$module")
  elif [ "$(jq -r .name <<<"$comp")" = glibc ]; then
    want=$(getconf GNU_LIBC_VERSION | awk '{print $2}')
  else # a compiler runtime: the compiler's version
    want=$(jq -r .version <<<"$comp")
    [[ "$dver" == *"$want"* ]] || bad "$so: version $want is not in the Debian version $dver"
  fi
  [ "$(jq -r .version <<<"$comp")" = "$want" ] && ok ||
    bad "$so: version $(jq -r .version <<<"$comp"), pkg-config/getconf say $want"
  [ "$so" = "$(prop signet:soname)" ] || continue # libc's loader: the file is libc's
  file=$(prop signet:file)
  [ "$(readlink -f "$path")" -ef "$file" ] && ok || bad "$so: SBOM names $file, ld.so loads $path"
  [ "$(jq -r '.hashes[0].content' <<<"$comp")" = "$(sha256sum "$file" | cut -d' ' -f1)" ] && ok ||
    bad "$so: SHA-256 of $file differs"
done

# ---- reproducible: a fresh configure of the same source writes the same
# document, apart from serialNumber (new) and timestamp (SOURCE_DATE_EPOCH)
sanitize=$(sed -n 's/^\(SIGNET_[A-Z]*\):BOOL=\(.*\)/-D\1=\2/p' "$build/CMakeCache.txt")
# shellcheck disable=SC2086
SOURCE_DATE_EPOCH=1700000000 cmake -S "$SIGNET_SOURCE_DIR" -B "$T/fresh" $sanitize -DSIGNET_TESTS=OFF \
  -DCMAKE_C_COMPILER="$(sed -n 's/^CMAKE_C_COMPILER:[A-Z]*=//p' "$build/CMakeCache.txt")" >"$T/configure.log" 2>&1 ||
  bad "fresh configure failed: $(tail -3 "$T/configure.log")"
fresh="$T/fresh/share/signet/signet.cdx.json"
if [ -f "$fresh" ]; then
  [ "$(jq -r .metadata.timestamp "$fresh")" = 2023-11-14T22:13:20Z ] && ok ||
    bad "timestamp ignores SOURCE_DATE_EPOCH: $(jq -r .metadata.timestamp "$fresh")"
  [ "$(jq -r .serialNumber "$fresh")" != "$(jq -r .serialNumber "$sbom")" ] && ok || bad "serialNumber repeated"
  strip='del(.serialNumber, .metadata.timestamp)'
  if diff <(jq -S "$strip" "$sbom") <(jq -S "$strip" "$fresh") >"$T/diff"; then ok; else
    bad "a fresh configure differs: $(head -20 "$T/diff")"
  fi
else
  bad "a fresh configure wrote no $fresh"
fi
finish
