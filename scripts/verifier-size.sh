#!/usr/bin/env bash
# Cross-compiles the device verifier core (formats/verifier.c) for a
# Cortex-M0 the way a bootloader would, and reports its code size, its worst
# stack frame and the external symbols it needs. Exits 1 if it breaks the
# budget: .text <= 4096 bytes (without crypto), no frame above 512 bytes,
# no external symbol but memcpy, memcmp, memset and the compiler's own
# runtime helpers (libgcc's __aeabi_* / __gnu_*).
#   verifier-size.sh [OUTDIR]   (default: a temp dir)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
exec "$root/scripts/m0-size.sh" "device verifier" "${1:-$(mktemp -d)}" 4096 512 frame "$root/formats/verifier.c"
