# The README's quick starts, run as a reader would paste them: every shell
# block marked <!-- quickstart:NAME --> in README.md, in order, in one
# bash -euo pipefail shell started in a scratch directory, with the freshly
# built signet first on PATH and an otherwise empty environment (no module,
# no PIN: the quick start must set up what it needs). SOFTHSM2_CONF points at
# a guard token directory, so a quick start that forgets its own config fails
# here instead of writing to the system's /var/lib/softhsm. mktemp -d lands in
# our temp dir. A line ending in "# exit N" must exit with N (the README's way
# of showing a refusal); any other failure fails the test.
# README=FILE runs another copy (to see this test fail on a broken one).
. "$(dirname "$0")/lib.sh"
README=${README:-$SIGNET_SOURCE_DIR/README.md}

# quickstart_script README: the marked blocks as one script. Backslash
# continuations are joined first, so that "# exit N" ends a whole command.
quickstart_script() {
	awk '
	/^<!-- quickstart:[a-z0-9-]+ -->$/ { pending = 1; name = $0; next }
	pending && /^```/ { pending = 0; inblock = 1; blocks++
		print "# ---- " name; next }
	inblock && /^```/ { inblock = 0; if (cont != "") print cont; cont = ""; next }
	inblock {
		line = cont $0; cont = ""
		if (line ~ /\\$/) { cont = substr(line, 1, length(line) - 1); next }
		if (match(line, /[ \t]+#[ \t]*exit [0-9]+/)) {
			cmd = substr(line, 1, RSTART - 1)
			want = substr(line, RSTART, RLENGTH); sub(/.*exit /, "", want)
			printf "rc=0; %s || rc=$?; if [ \"$rc\" != %s ]; then " \
			       "echo \"quickstart: exit $rc, wanted %s: README line %d\" >&2; " \
			       "exit 1; fi\n", cmd, want, want, NR
		} else {
			print line
		}
		next
	}
	pending && NF { pending = 0 }
	END { if (blocks == 0) exit 1 }
	' "$1"
}

if ! quickstart_script "$README" >"$T/quickstart.sh"; then
	bad "$README has no <!-- quickstart:NAME --> shell block"
fi
for name in sign pki ledger; do
	grep -qx "<!-- quickstart:$name -->" "$README" && ok || bad "$README: no quickstart:$name block"
done

mkdir -p "$T/bin" "$T/home" "$T/tmp" "$T/guard-tokens" "$T/work"
ln -s "$S" "$T/bin/signet"
printf 'directories.tokendir = %s/guard-tokens\n' "$T" >"$T/guard.conf"
rc=0
cd "$T/work"
env -i PATH="$T/bin:/usr/local/bin:/usr/bin:/bin" HOME="$T/home" TMPDIR="$T/tmp" LANG=C.UTF-8 \
	SOFTHSM2_CONF="$T/guard.conf" \
	${LSAN_OPTIONS:+LSAN_OPTIONS="$LSAN_OPTIONS"} ${ASAN_OPTIONS:+ASAN_OPTIONS="$ASAN_OPTIONS"} \
	${SIGNET_VALGRIND:+SIGNET_VALGRIND="$SIGNET_VALGRIND" SIGNET_VALGRIND_BINARY="$SIGNET_VALGRIND_BINARY"} \
	bash -euo pipefail -x "$T/quickstart.sh" >"$T/qs.out" 2>&1 </dev/null || rc=$?
if [ "$rc" = 0 ]; then
	ok
else
	bad "the README quick start failed (exit $rc):"
	tail -n 25 "$T/qs.out" >&2
fi
if [ -z "$(ls -A "$T/guard-tokens")" ]; then
	ok
else
	bad "the quick start used the SoftHSM2 config it inherited, not its own"
fi
# The quick start makes its files in a scratch directory under TMPDIR.
if compgen -G "$T/tmp/*/fw.sgn" >/dev/null && compgen -G "$T/tmp/*/tokens/*" >/dev/null; then
	ok
else
	bad "the quick start left no fw.sgn and token in its scratch directory"
fi
finish
