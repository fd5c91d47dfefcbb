#!/usr/bin/env bash
# The library reads no PIN itself (hsm.h): no terminal, no environment
# scrubbing, no /dev/tty; those are the caller's PIN source (cli/pin.c).
# Nor its module from the environment: that is the caller's too.
# The files of hsm/ call each other in layers (module.c at the bottom, then
# token.c, then the context, keys, PINs, listing): no two depend on each
# other, so each can be read, changed and tested from the bottom up
# (tests/layers/check_calls.sh reads the call graph from the objects).
# module.c also sees only its own header (module_priv.h): the types of
# tokens and contexts above it are out of its sight, not only their calls.
# Usage: test_hsm_layers.sh libsignet_hsm.a [SOURCE_DIR]
set -euo pipefail
lib=$1
src=${2:-$(cd "$(dirname "$0")/../.." && pwd)}
calls=$(bash "$(dirname "$0")/../layers/check_calls.sh" hsm/ "$lib") || { echo "$calls"; exit 1; }
tty=$(nm -A -u "$lib" | awk '$NF ~ /^(isatty|tcgetattr|tcsetattr|unsetenv|ttyname)$/')
[ -z "$tty" ] || { echo "FAIL: hsm/ reaches for the terminal or environment itself:"; echo "$tty"; exit 1; }
if strings "$lib" | grep -q '/dev/tty'; then echo "FAIL: hsm/ names /dev/tty"; exit 1; fi
# Nor the module: the caller gives it (sg_hsm_ctx_new); the CLI's
# $SIGNET_PKCS11_MODULE is read in cli/, and hsm/ reads no environment.
env=$(nm -A -u "$lib" | awk '$NF ~ /^(secure_)?getenv$/')
[ -z "$env" ] || { echo "FAIL: hsm/ reads the environment:"; echo "$env"; exit 1; }
if strings "$lib" | grep -q 'SIGNET_'; then
	echo "FAIL: hsm/ names a SIGNET_ variable: $(strings "$lib" | grep 'SIGNET_' | sort -u)"
	exit 1
fi
inc=$(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' \
	"$src/hsm/module.c" "$src/hsm/module_priv.h")
[ "$inc" = "module_priv.h"$'\n'"signet/err.h" ] ||
	{ echo "FAIL: module.c and module_priv.h include more than module_priv.h and signet/err.h:"; echo "$inc"; exit 1; }
echo "$calls"
