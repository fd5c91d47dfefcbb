#!/usr/bin/env bash
# Layers point down only (docs/design.md, "Layers"): a library includes its
# own headers and those of the layers below it, never one above. Each
# `#include "x.h"` in a library's sources is resolved to the directory that
# holds x.h and checked against the table below. Fails naming the file, the
# header and the layer it belongs to.
#   check_layers.sh [SOURCE_DIR]
set -euo pipefail
src=${1:-${SIGNET_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}}
cd "$src"

# What each layer may include besides itself. The device verifier core
# (formats/verifier.c and the two headers it uses) is a layer of its own
# that includes nothing of signet's: a bootloader compiles it alone.
declare -A allowed=(
  [common]=""
  [verifier]=""
  [agent]=""
  [formats]="verifier common"
  [hsm]="common"
  [pki]="hsm common"
  [sign]="pki hsm formats verifier common"
  [ledger]="hsm common"
  [provision]="agent ledger sign pki hsm formats verifier common"
  [cli]="provision agent ledger sign pki hsm formats verifier common"
)
# The device agent (provision/agent/) is, like the verifier, a layer of its
# own that a firmware compiles alone.
declare -A dir_of=([agent]=provision/agent)
layer_of_file() { # path -> layer
  case $1 in
    formats/verifier.c) echo verifier ;;
    provision/agent/*) echo agent ;;
    *) echo "${1%%/*}" ;;
  esac
}

# The public headers in include/signet/, by the library they belong to.
# A header missing here fails the check: say where a new one belongs.
declare -A public=(
  [common]="err.h atomic_file.h fileio.h num.h base64.h"
  [umbrella]="signet.h"
  [verifier]="verifier.h envelope_format.h"
  [agent]="protocol.h agent.h flash_slots.h"
  [provision]="transport.h device.h sim.h target.h unit_check.h dbg.h"
  [formats]="envelope.h input.h mcuboot.h request.h sbom.h"
  [hsm]="hsm.h"
  [pki]="pki.h pki_batch.h"
  [sign]="sign.h verify.h chain.h mcuboot_sign.h"
  [ledger]="ledger.h merkle.h ledger_record.h checkpoint.h ledger_proof.h ledger_audit.h ledger_tiles.h ledger_central.h ledger_report.h"
)

# header name -> layer (include/signet/NAME.h is included as "signet/NAME.h";
# private headers live beside their sources and are named *_priv.h)
declare -A owner=()
for layer in "${!public[@]}"; do
  for h in ${public[$layer]}; do owner[signet/$h]=$layer; done
done
for h in include/signet/*.h; do
  [ -n "${owner[signet/$(basename "$h")]:-}" ] ||
    { echo "layers: $h is in no layer's list in $0" >&2; exit 1; }
done
for layer in "${!allowed[@]}"; do
  [ "$layer" = verifier ] && continue
  for h in "${dir_of[$layer]:-$layer}"/*.h; do
    [ -e "$h" ] || continue
    owner[$(basename "$h")]=$layer
  done
done

fails=0 checked=0
for layer in "${!allowed[@]}"; do
  d=${dir_of[$layer]:-$layer}
  if [ "$layer" = verifier ]; then files=(formats/verifier.c); else files=("$d"/*.c "$d"/*.h); fi
  for h in ${public[$layer]:-}; do files+=("include/signet/$h"); done
  for f in "${files[@]}"; do
    [ -e "$f" ] || continue
    [ "$f" = formats/verifier.c ] && [ "$layer" != verifier ] && continue
    case $f in include/signet/*) from=$layer ;; *) from=$(layer_of_file "$f") ;; esac
    while IFS= read -r h; do
      to=${owner[$h]:-}
      [ -z "$to" ] && continue # a system header, or one of a test's
      checked=$((checked + 1))
      [ "$to" = "$from" ] && continue
      case " ${allowed[$from]} " in
        *" $to "*) ;;
        *) echo "layers: $f ($from) includes $h ($to): $from may include only: ${allowed[$from]:-no other layer}" >&2
           fails=$((fails + 1)) ;;
      esac
    done < <(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$f")
  done
done
[ "$checked" -gt 50 ] || { echo "layers: only $checked includes found: is $src the source tree?" >&2; exit 1; }
if [ "$fails" -ne 0 ]; then
  echo "layers: $fails include(s) point up" >&2
  exit 1
fi
echo "layers: $checked includes, all pointing down"
