#!/usr/bin/env bash
# Installs exactly the Debian 12 packages signet needs to build, test, demo
# and fuzz. Idempotent and non-interactive: does nothing when all are present.
# Run as root (or with sudo available).
set -euo pipefail

PACKAGES=(
  build-essential cmake pkg-config
  libssl-dev openssl
  libp11-dev libp11-kit-dev libengine-pkcs11-openssl
  softhsm2 opensc
  libcmocka-dev
  clang-14 libclang-rt-14-dev
  gcc-arm-none-eabi libnewlib-arm-none-eabi
  qemu-system-arm gdb-multiarch # the station's real emulated target (tests/provision/qemu_lib.sh)
  libusb-1.0-0-dev libserialport-dev # cmsis-dap: and serial: fixtures
  libsqlite3-dev sqlite3
  jq time python3 python3-jsonschema xxd
  python3-yaml # tests/ci/ci_run.py parses the CI recipes (examples/ci/)
  libjansson-dev
  libpq-dev postgresql
  chromium # headless: the ledger report test renders the HTML page (tests/ledger)
  groff-base man-db # the man pages are rendered and found by tests/cli/test_man.sh
  dpkg-dev file # cpack -G DEB: dpkg-shlibdeps computes Depends, CPack finds ELF files with file
  cppcheck clang-tidy-14 # scripts/static-analysis.sh
  valgrind # scripts/valgrind.sh: the integration tests under memcheck
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$'; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "setup-deps: installing ${missing[*]}" >&2
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "setup-deps: need root to install ${missing[*]}" >&2; exit 3; }
  SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
APT=(apt-get -o DPkg::Lock::Timeout=600 -y -q)
# Refresh the package lists only when an install fails for lack of them.
if ! $SUDO "${APT[@]}" install --no-install-recommends "${missing[@]}"; then
  $SUDO "${APT[@]}" update
  $SUDO "${APT[@]}" install --no-install-recommends "${missing[@]}"
fi
