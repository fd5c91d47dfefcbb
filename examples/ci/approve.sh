#!/usr/bin/env bash
# The approver's side of two-step release signing (docs/ci.md, recipe 2), run
# on the machine that holds the release key in its HSM (or, for a development
# stand-in, a key file).
#
#   approve.sh sign   (--key URI | --key-file KEY.pem) [--tbs TBS] [--yes] REQ SIG
#   approve.sh cosign --key URI --trust PUB.pem... [--threshold M] [--yes] IN OUT
#
# sign: shows the signing request REQ (signet inspect), checks it is for this
#   key, derives the bytes to sign from REQ itself (if the pipeline's --tbs-out
#   file TBS is given, it must be the same bytes), asks, signs them in the token
#   with pkcs11-tool using the mechanism for the request's algorithm
#   (docs/signing-request.md), checks the signature as the pipeline will
#   (signet sign --complete) and writes SIG: DER for ECDSA, raw otherwise,
#   which is what `signet sign --complete` takes without --signature-format.
# cosign: a second approver (M-of-N): checks the envelope IN verifies with
#   the trusted keys, asks, copies it to OUT and adds this key's signature
#   (signet cosign), then checks OUT with --threshold M (default: the number
#   of --trust keys).
#
# --key is an RFC 7512 URI in the form signet takes, limited here to the
# attributes token=, object=, pin-source=file: and module-path= (no
# %-escapes). The module: module-path=, else $SIGNET_PKCS11_MODULE. The PIN:
# pin-source=file:PATH, else $SIGNET_PIN, else pkcs11-tool asks on the
# terminal. It reaches pkcs11-tool through its environment (--pin env:NAME),
# never its command line.
#
# Needs signet, jq and openssl; pkcs11-tool (OpenSC) for --key.
# Exit codes as signet's: 0 done; 1 the request or envelope is not what this
# key may sign (or the approver said no); 2 usage; 3 a tool or the token failed.
set -euo pipefail

die() { # code message (a tool's own exit code passes through: 1, 2 or 3)
	echo "approve.sh: $2" >&2
	exit "$1"
}
usage() { die 2 "usage: approve.sh sign (--key URI | --key-file KEY.pem) [--tbs TBS] [--yes] REQ SIG
       approve.sh cosign --key URI --trust PUB.pem... [--threshold M] [--yes] IN OUT"; }

[ $# -ge 1 ] || usage
mode=$1
shift
case $mode in sign | cosign) ;; *) usage ;; esac
key_uri= key_file= tbs_in= yes= threshold=
trust=()
while [ $# -gt 0 ]; do
	case $1 in
	--key) [ $# -ge 2 ] || usage; key_uri=$2; shift 2 ;;
	--key-file) [ $# -ge 2 ] || usage; key_file=$2; shift 2 ;;
	--tbs) [ $# -ge 2 ] || usage; tbs_in=$2; shift 2 ;;
	--trust) [ $# -ge 2 ] || usage; trust+=(--trust "$2"); shift 2 ;;
	--threshold) [ $# -ge 2 ] || usage; threshold=$2; shift 2 ;;
	--yes) yes=1; shift ;;
	--) shift; break ;;
	-*) usage ;;
	*) break ;;
	esac
done
[ $# -eq 2 ] || usage
for tool in signet jq openssl; do
	command -v "$tool" >/dev/null || die 3 "$tool is not installed"
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The URI's attributes into token, object, pin_file, module.
token= object= pin_file= module=${SIGNET_PKCS11_MODULE:-}
parse_uri() {
	local rest attr
	case $1 in pkcs11:*) ;; *) die 2 "--key: not a pkcs11: URI: $1" ;; esac
	case $1 in *%*) die 2 "--key: %-escapes are not supported here: $1" ;; esac
	rest=${1#pkcs11:}
	local IFS=';'
	for attr in $rest; do
		case $attr in
		token=*) token=${attr#token=} ;;
		object=*) object=${attr#object=} ;;
		pin-source=file:*) pin_file=${attr#pin-source=file:} ;;
		module-path=*) module=${attr#module-path=} ;;
		type=private | '') ;;
		*) die 2 "--key: attribute not supported here: $attr" ;;
		esac
	done
	[ -n "$token" ] && [ -n "$object" ] || die 2 "--key: needs token= and object=: $1"
	[ -n "$module" ] || die 2 "--key: no PKCS#11 module (module-path= or \$SIGNET_PKCS11_MODULE)"
}

# confirm QUESTION: yes with --yes, else asks on the terminal (no terminal: no).
confirm() {
	[ -n "$yes" ] && return 0
	[ -t 0 ] || die 1 "not confirmed (no terminal; --yes confirms)"
	local answer
	read -r -p "$1 [y/N] " answer
	case $answer in y | Y | yes) return 0 ;; *) die 1 "not confirmed" ;; esac
}

# p11_find: the slot and CKA_ID of the --key key, exactly. pkcs11-tool's
# --token-label and --label match prefixes (OpenSC 0.23: token "release"
# would select "release2" when that slot comes first), so the key is looked
# up by signet and named to pkcs11-tool by slot id and key id.
p11_find() {
	local serial ids
	local uri="pkcs11:token=$token"
	[ -z "$pin_file" ] || uri="$uri;pin-source=file:$pin_file" # lists private keys too
	signet hsm list --module "$module" --json "$uri" >"$work/list.json"
	serial=$(jq -r --arg t "$token" '.[] | select(.kind == "token" and .label == $t) | .serial' "$work/list.json")
	[ "$(printf '%s\n' "$serial" | grep -c .)" = 1 ] || die 2 "--key: no single token labelled $token"
	ids=$(jq -r --arg o "$object" '.[] | select(.kind == "key" and .label == $o) | .id' "$work/list.json" | sort -u)
	[ "$(printf '%s\n' "$ids" | grep -c .)" = 1 ] || die 2 "--key: no single key labelled $object in $token"
	key_cka_id=$ids
	key_slot=$(pkcs11-tool --module "$module" -L 2>/dev/null | awk -v s="$serial" '
		/^Slot [0-9]+ \(0x[0-9a-f]+\)/ { slot = $3; gsub(/[():]/, "", slot) }
		/serial num/ && $NF == s { print slot }')
	[ -n "$key_slot" ] || die 3 "pkcs11-tool does not list the token $token (serial $serial)"
}

# p11_sign TBS SIG ALGORITHM: pkcs11-tool signs TBS with the --key key. The
# PIN goes by a prefix assignment: into pkcs11-tool's environment only.
p11_sign() {
	local mech pin= login=(--login)
	command -v pkcs11-tool >/dev/null || die 3 "pkcs11-tool is not installed (Debian: opensc)"
	case $3 in
	ecdsa-p256-sha256 | ecdsa-p384-sha384) mech=(-m ECDSA --signature-format openssl) ;;
	ed25519) mech=(-m EDDSA) ;;
	rsa-pss-sha256) mech=(-m RSA-PKCS-PSS --hash-algorithm SHA256 --mgf MGF1-SHA256 --salt-len 32) ;;
	*) die 2 "$3: no pkcs11-tool mechanism known for this algorithm" ;;
	esac
	p11_find
	if [ -n "$pin_file" ]; then
		pin=$(head -n 1 -- "$pin_file") || die 3 "$pin_file: cannot read the PIN"
	else
		pin=${SIGNET_PIN:-}
	fi
	[ -z "$pin" ] || login+=(--pin env:APPROVE_PIN)
	APPROVE_PIN=$pin pkcs11-tool --module "$module" --slot "$key_slot" "${login[@]}" \
		--sign "${mech[@]}" --id "$key_cka_id" --type privkey -i "$1" -o "$2" >"$work/p11.log" 2>&1 ||
		die 3 "pkcs11-tool could not sign with $token/$object: $(grep -m 1 -i error "$work/p11.log" || tail -n 1 "$work/p11.log")"
}

# file_sign TBS SIG ALGORITHM: openssl signs TBS with --key-file (a stand-in).
file_sign() {
	local opts=()
	case $3 in
	ecdsa-p256-sha256 | ecdsa-p384-sha384) ;;
	ed25519) opts=(-rawin) ;;
	rsa-pss-sha256) opts=(-pkeyopt digest:sha256 -pkeyopt rsa_padding_mode:pss -pkeyopt rsa_pss_saltlen:32) ;;
	*) die 2 "$3: no openssl command known for this algorithm" ;;
	esac
	openssl pkeyutl -sign -inkey "$key_file" -in "$1" -out "$2" "${opts[@]}" 2>"$work/ossl.log" ||
		die 3 "openssl could not sign with $key_file: $(tail -n 1 "$work/ossl.log")"
}

# publish FILE OUT: OUT appears whole or not at all (a temp beside it, renamed)
publish() {
	cp "$1" "$2.approve-tmp.$$" && mv -f "$2.approve-tmp.$$" "$2" || {
		rm -f "$2.approve-tmp.$$"
		die 3 "$2: cannot write"
	}
}

# key_id PUB.pem: SHA-256 of the DER SubjectPublicKeyInfo (the id signatures carry)
key_id() {
	openssl pkey -pubin -in "$1" -outform DER | openssl dgst -sha256 -r | cut -d' ' -f1
}

approve_sign() {
	local req=$1 out=$2 alg want have
	if [ -n "$key_uri" ]; then
		[ -z "$key_file" ] || usage
		parse_uri "$key_uri"
		signet hsm pubkey --key "$key_uri" -o "$work/pub.pem" >/dev/null
	else
		[ -n "$key_file" ] || usage
		openssl pkey -in "$key_file" -pubout -out "$work/pub.pem" 2>/dev/null ||
			die 2 "$key_file: not a private key openssl reads"
	fi
	# What is to be signed, for the approver to read; exit 2 on a damaged request.
	signet inspect "$req"
	signet inspect --json "$req" >"$work/req.json"
	alg=$(jq -r .algorithm "$work/req.json")
	want=$(jq -r .key_id "$work/req.json")
	have=$(key_id "$work/pub.pem")
	[ "$want" = "$have" ] || die 1 "$req: prepared for key $want, this key is $have"
	# The bytes to sign come from the request just shown, not from the pipeline.
	signet inspect --tbs-out "$work/tbs" "$req" >/dev/null
	if [ -n "$tbs_in" ]; then
		cmp -s "$tbs_in" "$work/tbs" || die 1 "$tbs_in: not the bytes $req says to sign"
	fi
	confirm "Sign this request with $alg key $have?"
	if [ -n "$key_uri" ]; then
		p11_sign "$work/tbs" "$work/sig" "$alg"
	else
		file_sign "$work/tbs" "$work/sig" "$alg"
	fi
	# The pipeline's own check, here first: a wrong mechanism shows now.
	signet sign --complete "$req" --signature "$work/sig" --pubkey "$work/pub.pem" \
		"$work/check.sgn" 2>"$work/complete.log" || die $? "$(cat "$work/complete.log")"
	publish "$work/sig" "$out"
	echo "approve.sh: signed $req -> $out; base64 (for a pipeline input):"
	base64 -w 0 "$out"
	echo
}

approve_cosign() {
	local in=$1 out=$2
	[ -n "$key_uri" ] && [ -z "$key_file" ] || usage
	[ ${#trust[@]} -gt 0 ] || die 2 "cosign needs --trust PUB.pem for the signatures already there"
	parse_uri "$key_uri"
	[ -n "$threshold" ] || threshold=$((${#trust[@]} / 2))
	signet inspect "$in"
	signet verify "${trust[@]}" "$in" || die $? "$in: not cosigning what does not verify"
	confirm "Add your signature to $in?"
	cp "$in" "$work/out.sgn"
	signet cosign --key "$key_uri" "$work/out.sgn"
	signet verify "${trust[@]}" --threshold "$threshold" "$work/out.sgn"
	publish "$work/out.sgn" "$out"
	echo "approve.sh: cosigned $in -> $out"
}

case $mode in
sign) approve_sign "$1" "$2" ;;
cosign) approve_cosign "$1" "$2" ;;
esac
