# Bash completion (contrib/bash-completion/signet), in real bash, as
# installed by `cmake --install`: commands, subcommands, every option of
# every usage line, enumerated values, files and directories, target
# profiles, and the pkcs11: URIs of a key and a token made here in SoftHSM2
# (and no login for them: SIGNET_PIN is never used). The lists the script
# keeps itself are checked against the help and the docs.
# COMPLETION=FILE checks another script (to see this test fail).
. "$(dirname "$0")/lib.sh"
BUILD=${SIGNET_BUILD_DIR:?set SIGNET_BUILD_DIR to the build tree}

# 1. Installed where bash-completion looks, with the binary beside it.
cmake --install "$BUILD" --prefix "$T/prefix" >"$T/install.log"
installed="$T/prefix/share/bash-completion/completions/signet"
cmp -s "$installed" "$SIGNET_SOURCE_DIR/contrib/bash-completion/signet" && ok ||
	bad "cmake --install did not put contrib/bash-completion/signet in share/bash-completion/completions"
COMPLETION=${COMPLETION:-$installed}
# The installed binary: completion runs it as the user would ('signet' on
# PATH), and finds the shipped target profiles beside it.
export PATH="$T/prefix/bin:$PATH"
[ -x "$T/prefix/bin/signet" ] && ok || bad "no installed signet in $T/prefix/bin"

# complete LINE: what completing LINE (cursor at its end) offers, one a line,
# as bash sets it up: COMP_LINE, COMP_POINT, and COMP_WORDS split at blanks
# and at COMP_WORDBREAKS' ':' and '='. NO_LINE=1: COMP_WORDS alone.
complete_line() {
	LINE=$1 bash -c '
		set +eu
		source "$1" || exit 9
		COMP_WORDBREAKS=$'"'"' \t\n"\x27><=;|&(:'"'"'
		COMP_WORDS=()
		for word in $LINE; do
			while [[ $word =~ ^([^:=]*)([:=])(.*)$ ]]; do
				[[ -n ${BASH_REMATCH[1]} ]] && COMP_WORDS+=("${BASH_REMATCH[1]}")
				COMP_WORDS+=("${BASH_REMATCH[2]}")
				word=${BASH_REMATCH[3]}
			done
			[[ -n $word ]] && COMP_WORDS+=("$word")
		done
		[[ $LINE == *[[:blank:]] ]] && COMP_WORDS+=("")
		COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
		if [ -z "${NO_LINE-}" ]; then COMP_LINE=$LINE COMP_POINT=${#LINE}; fi
		COMPREPLY=()
		_signet
		((${#COMPREPLY[@]})) && printf "%s\n" "${COMPREPLY[@]}"
		exit 0' complete "$COMPLETION" >"$T/reply"
}

# offers LINE WORD...: completing LINE offers each WORD.
offers() {
	local line=$1 wd
	shift
	complete_line "$line"
	for wd in "$@"; do
		grep -qxF -- "$wd" "$T/reply" && ok || bad "completing '$line' does not offer '$wd': $(tr '\n' ' ' <"$T/reply")"
	done
}

# offers_only LINE WORD...: exactly these WORDs, in any order.
offers_only() {
	local line=$1
	shift
	complete_line "$line"
	if [ "$(sort "$T/reply")" = "$(printf '%s\n' "$@" | sort)" ]; then ok; else
		bad "completing '$line' offers '$(tr '\n' ' ' <"$T/reply")', wanted '$*'"
	fi
}

# 2. Commands, and the command after help.
CMDS=$("$S" --help | awk '/^commands:/ { c = 1; next } c && !NF { exit } c { print $1 }')
offers "signet " $CMDS --help --version
offers "signet help " $(printf '%s\n' $CMDS | grep -vx help)
offers_only "signet st" station

# 3. Subcommands, and every option of every usage line: "signet pki issue
# --" offers each option 'signet pki --help' shows for pki issue.
offers_only "signet hsm " list keygen import pubkey
offers_only "signet station " run status ports
for cmd in $CMDS; do
	[ "$cmd" = help ] && continue
	"$S" "$cmd" --help | usage_entries >"$T/usage"
	subs=$(awk '$3 ~ /^[a-z][a-z0-9-]*$/ { print $3 }' "$T/usage" | sort -u)
	[ -n "$subs" ] && offers "signet $cmd " $subs
	while read -r entry; do
		sub=$(printf '%s\n' "$entry" | awk '$3 ~ /^[a-z][a-z0-9-]*$/ { print $3 }')
		offers "signet $cmd ${sub:+$sub }-" \
			$(printf '%s\n' "$entry" | perl -ne 'print "$1\n" while /(?<![\w-])(--?[a-z][a-z0-9-]*)/g')
	done <"$T/usage"
done

# 4. Values of enumerated options: from the usage lines, and the lists the
# script keeps (which must be what the help and docs say).
offers_only "signet sign --digest " sha256 sha384
offers_only "signet sign --input-format " auto bin ihex srec elf
offers_only "signet sign --format " signet mcuboot
offers_only "signet verify --format " auto signet mcuboot
offers_only "signet verify --format=m" mcuboot
offers_only "signet ledger show --status q" quarantine
offers_only "signet ledger export --format " jsonl csv
offers_only "signet pki init-ca --profile " factory-ca code-signing-ca matter-pai
offers "signet pki verify --profile " root idevid code-signing matter-dac
offers_only "signet pki issue --validity " forever
offers_only "signet sim --listen " unix: tcp: pty
types=$(source "$COMPLETION" && echo "${_signet_key_types[*]}")
offers_only "signet hsm keygen --type " $types
# in_help COMMAND WHAT WORD...: each WORD is a word of 'signet COMMAND --help'.
# The help is read whole first: grep -q stopping early would end signet by
# SIGPIPE, which pipefail reports.
in_help() {
	local help cmd=$1 what=$2
	shift 2
	help=$("$S" "$cmd" --help)
	for v in "$@"; do
		grep -w -- "$v" <<<"$help" >/dev/null && ok || bad "$what $v is not in 'signet $cmd --help'"
	done
}
in_help hsm "key type" $types
reasons=$(source "$COMPLETION" && echo "${_signet_reasons[*]}")
offers "signet pki revoke --reason " $reasons
in_help pki reason $reasons
records=$(source "$COMPLETION" && echo "${_signet_record_types[*]}")
offers "signet ledger append --type " $records
for v in $records; do
	grep -qF "### \`$v\`" "$SIGNET_SOURCE_DIR/docs/ledger.md" && ok || bad "record type $v is not in docs/ledger.md"
done
offers "signet ledger show --type unit." unit.locked unit.failed
expect 2 "use signet or mcuboot" "$S" sign --format nosuch --key pkcs11:token=x --version 1.0.0 in out
for v in $(source "$COMPLETION" && echo "${_signet_fixtures[*]}"); do
	grep -qF "| \`${v%:}\` |" "$SIGNET_SOURCE_DIR/docs/provisioning.md" && ok ||
		bad "fixture transport $v is not in docs/provisioning.md's table"
done
# shipped target profiles, by name, beside the installed binary
offers "signet station run --profile " sim nrf51
mkdir "$T/links" && ln -s "$T/prefix/bin/signet" "$T/links/signet" # as signet finds them: resolved
offers "$T/links/signet station run --profile " sim nrf51
# no values for a number, no files either
offers_only "signet sign --security-counter "

# 5. Files for paths, directories for DIR.
mkdir "$T/files" "$T/files/csrs"
: >"$T/files/firmware.hex"
offers_only "signet sign --key x --version 1.0.0 $T/files/fir" "$T/files/firmware.hex"
offers "signet verify --trust $T/files/" "$T/files/firmware.hex" "$T/files/csrs"
offers_only "signet pki issue --csr-dir $T/files/" "$T/files/csrs"
offers_only "signet ledger export --tiles $T/files/f"

# 6. pkcs11: URIs of the tokens and keys present, from 'hsm list --json'.
new_token comp
"$S" hsm keygen --type ecdsa-p256 --key "pkcs11:token=comp;object=comp-key;pin-source=file:$PINFILE" 2>/dev/null
export SIGNET_PIN=not-the-pin # must not be tried: listing logs in nowhere
offers "signet sign --key " 'pkcs11:token=comp\;object=comp-key'
offers "signet pki issue --ca-key " 'pkcs11:token=comp\;object=comp-key'
offers "signet ledger checkpoint --ledger L --key " 'pkcs11:token=comp\;object=comp-key'
offers "signet hsm pubkey --key " 'pkcs11:token=comp\;object=comp-key'
# what bash keeps of the word (up to its last ':' or '=') is not repeated
offers_only 'signet sign --key pkcs11:token=comp\;obj' 'comp\;object=comp-key'
offers_only 'signet sign --key pkcs11:' 'token=comp\;object=comp-key'
offers_only "signet sign --key 'pkcs11:token=comp;o" 'pkcs11:token=comp;object=comp-key'
NO_LINE=1 offers_only 'signet sign --key pkcs11:token=comp\;obj' 'comp\;object=comp-key'
# the full URI, when that is what is typed
complete_line 'signet sign --key pkcs11:model='
grep -q 'token=comp\\;id=%[0-9A-F].*\\;object=comp-key\\;type=private$' "$T/reply" && ok ||
	bad "completing a full URI does not offer the key's: $(cat "$T/reply")"
offers "signet hsm list " 'pkcs11:token=comp'
offers "signet hsm keygen --type ed25519 --key " 'pkcs11:token=comp\;object='
offers "signet hsm import --from k.pem --key " 'pkcs11:token=comp\;object='
# the module on the line is the one listed
offers_only "signet sign --module $T/nosuch.so --key "
[ "$SIGNET_PIN" = not-the-pin ] && ok || bad "SIGNET_PIN changed"
softhsm2-util --show-slots 2>/dev/null | grep -A30 'Label:.*comp' | grep -q 'CKF_USER_PIN_COUNT_LOW' &&
	bad "completion tried a PIN on token comp" || ok
unset SIGNET_PIN

# 7. A command the script has never heard of is completed from its help
# alone, also one with both usage lines with and without a subcommand.
mkdir "$T/fake"
cat >"$T/fake/signet" <<'EOF'
#!/bin/sh
case "$1 $2" in
"--help ") printf 'usage: signet COMMAND [options]\n\ncommands:\n  evidence   collect\n  help       this\n\n' ;;
"evidence --help") printf '%s\n' "usage: signet evidence --release ENVELOPE... [--ledger L] --out DIR" \
	"       signet evidence verify [--json] DIR" "" "Collects." ;;
*) exit 2 ;;
esac
EOF
chmod +x "$T/fake/signet"
offers_only "$T/fake/signet " evidence help --help --version
offers_only "$T/fake/signet evidence " verify
offers_only "$T/fake/signet evidence -" --release --ledger --out --help
offers_only "$T/fake/signet evidence verify -" --json --help
offers_only "$T/fake/signet evidence --release x --out $T/files/" "$T/files/csrs"
offers "$T/fake/signet evidence verify $T/files/" "$T/files/firmware.hex" "$T/files/csrs"

# 8. A failing or missing signet offers nothing (and does not break).
offers_only "/nonexistent/signet "
finish
