# Shared helpers for the CLI tests: a throw-away SoftHSM2 token and checks on
# exit codes, messages and leftover files. Source it; it sets:
#   S (the signet binary), T (temp dir, removed on exit), PINFILE,
#   SOFTHSM2_CONF, SIGNET_PKCS11_MODULE, MODULE
set -euo pipefail
S=${SIGNET:?set SIGNET to the signet binary}
# SIGNET_VALGRIND=DIR: every signet run goes through valgrind, its reports
# into DIR (scripts/test.sh's valgrind stage; tests/common/valgrind-signet.sh).
if [ -n "${SIGNET_VALGRIND:-}" ]; then
  export SIGNET_VALGRIND_BINARY=$S
  S=$(cd "$(dirname "${BASH_SOURCE[0]}")/../common" && pwd)/valgrind-signet.sh
fi
T=$(mktemp -d /tmp/signet-cli-XXXXXX)
trap 'rm -rf "$T"' EXIT
MODULE=/usr/lib/softhsm/libsofthsm2.so
mkdir -p "$T/tokens"
printf 'directories.tokendir = %s/tokens\nobjectstore.backend = file\nlog.level = ERROR\n' "$T" \
  >"$T/softhsm2.conf"
export SOFTHSM2_CONF="$T/softhsm2.conf" SIGNET_PKCS11_MODULE="$MODULE"
unset SIGNET_PIN SOURCE_DATE_EPOCH
PINFILE="$T/pin"
printf '1234\n' >"$PINFILE"
chmod 600 "$PINFILE"
FAILS=0
CHECKS=0

new_token() { # label
  softhsm2-util --init-token --free --label "$1" --so-pin 000000 --pin 1234 >/dev/null
}

# token_keys URI [NAME...]: a P-256 key for each NAME in the token, and an
# ed25519 key "log" with its public half in $T/log.pem (a ledger's checkpoint key)
token_keys() {
  local u=$1 k
  shift
  for k in "$@"; do "$S" hsm keygen --type ecdsa-p256 --key "$u;object=$k" 2>/dev/null; done
  "$S" hsm keygen --type ed25519 --key "$u;object=log" 2>/dev/null
  "$S" hsm pubkey --key "$u;object=log" -o "$T/log.pem" 2>/dev/null
}

# ledger_replace LEDGER INDEX OLD NEW: record INDEX's stored bytes with OLD
# replaced by NEW, behind the ledger's back (what a tampering test needs)
ledger_replace() {
  python3 - "$@" <<'PY'
import sqlite3, sys
path, idx, old, new = sys.argv[1], int(sys.argv[2]), sys.argv[3].encode(), sys.argv[4].encode()
db = sqlite3.connect(path)
leaf = bytes(db.execute("SELECT leaf FROM records WHERE idx = ?", (idx,)).fetchone()[0])
db.execute("UPDATE records SET leaf = ? WHERE idx = ?", (leaf.replace(old, new), idx))
db.commit()
PY
}

# chrome ARGS...: headless Chromium (the Debian package chromium) with a
# profile of its own in $T, its messages in $T/chromium.log; has_chromium
# says whether it is there, failing the test when it is not.
chrome() {
  mkdir -p "$T/home" "$T/profile"
  HOME="$T/home" timeout 60 chromium --headless --no-sandbox --disable-gpu \
    --no-first-run --user-data-dir="$T/profile" --window-size=1280,2000 "$@" 2>>"$T/chromium.log"
}
has_chromium() {
  command -v chromium >/dev/null && return 0
  bad "chromium is not installed (scripts/setup-deps.sh installs it)"
  return 1
}

# usage_entries: the usage paragraph of a help text (stdin), one usage per
# line, whitespace-normalised: a line starting with "signet" starts one,
# indented lines continue it. Reads all of stdin (and no grep -q below): a
# reader that stops early ends signet by SIGPIPE, which pipefail reports.
usage_entries() {
	perl -ne 'chomp; $done = 1 if /^\s*$/ && $seen; next if $done; s/^usage:\s*//; next unless /\S/; $seen = 1;
		if (/^\s*signet\s/) { print "$e\n" if defined $e; $e = $_ } else { $e .= " $_" }
		END { print "$e\n" if defined $e }' |
		perl -pe 's/[ \t]+/ /g; s/^ //; s/ $//'
}

ok() { CHECKS=$((CHECKS + 1)); }
bad() { echo "FAIL: $*" >&2; FAILS=$((FAILS + 1)); }

# expect RC SUBSTRING cmd...: exit status RC, and (if SUBSTRING is not empty)
# stderr is one line containing SUBSTRING.
expect() {
  local want=$1 msg=$2 rc=0
  shift 2
  "$@" >"$T/out.txt" 2>"$T/err.txt" </dev/null || rc=$?
  if [ "$rc" != "$want" ]; then
    bad "exit $rc, wanted $want: $* :: $(head -c 400 "$T/err.txt")"
    return 0
  fi
  if [ -n "$msg" ]; then
    if ! grep -qF -- "$msg" "$T/err.txt"; then
      bad "stderr lacks '$msg': $* :: $(head -c 400 "$T/err.txt")"
      return 0
    fi
    if [ "$(wc -l <"$T/err.txt")" != 1 ]; then
      bad "stderr is not one line: $* :: $(cat "$T/err.txt")"
      return 0
    fi
  fi
  ok
}

# no_output FILE: FILE and any temp of it (named .FILE.signet-tmp-*) must not
# exist.
no_output() {
  local tmps="$(dirname "$1")/.$(basename "$1").signet-tmp-*"
  if [ -e "$1" ] || compgen -G "$tmps" >/dev/null; then
    bad "output left behind: $(ls -a "$1"* $tmps 2>/dev/null)"
  else
    ok
  fi
}

# field JSON_FILE JQ_FILTER
field() { jq -r "$2" "$1"; }

flip() { # file offset -> file.flipped
  cp "$1" "$1.flipped"
  local b
  b=$(od -An -tu1 -j "$2" -N1 "$1" | tr -d ' ')
  printf "$(printf '\\%03o' $((b ^ 1)))" | dd of="$1.flipped" bs=1 seek="$2" conv=notrunc 2>/dev/null
}

finish() {
  if [ "$FAILS" -ne 0 ]; then
    echo "$FAILS of $((FAILS + CHECKS)) checks failed" >&2
    exit 1
  fi
  echo "all $CHECKS checks passed"
}
