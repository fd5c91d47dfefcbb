# The README and --help say the same: the "Commands" block is each command's
# usage, word for word (both ways); every --option the README or docs/ show
# with a command is in that command's --help; the exit-code meanings are the
# top-level help's; 'signet help CMD' is 'signet CMD --help'; -V, --version
# and version print the version.
# README=FILE checks another copy (to see this test fail on a stale one).
. "$(dirname "$0")/lib.sh"
README=${README:-$SIGNET_SOURCE_DIR/README.md}

# The commands the top-level help lists, but help: "hsm sign ...", and as a
# regular expression "hsm|sign|...".
CMDS=$("$S" --help | awk '/^commands:/ { c = 1; next } c && !NF { exit } c && $1 != "help" { print $1 }')
export CMDRE=$(printf '%s' "$CMDS" | tr '\n' '|')
[ -n "$CMDS" ] && ok || bad "'signet --help' lists no commands"

# help_of WORD: the help text for a README command line's first word after
# "signet" (help, --version and the like belong to the top-level help).
help_of() {
	# No pipeline into grep -q: it may exit before the writer is done, and
	# SIGPIPE under pipefail would make a command look unknown.
	local c
	for c in $CMDS; do
		[ "$c" = "$1" ] && { "$S" "$1" --help; return; }
	done
	"$S" --help
}

# readme_commands: the fenced block after "## Commands" in the README.
readme_commands() {
	perl -ne 'if (/^## Commands/) { $h = 1; next } next unless $h;
		if (/^```/) { exit if $in; $in = 1; next } print if $in' "$README"
}

# doc_options FILE: "CMD --option" for every option FILE shows with a
# command, in code blocks (indented lines continue a command) and in
# `inline code` starting with [signet] CMD.
doc_options() {
	perl -0ne 's/\\\n/ /g; my @code;
		while (/^```[a-z]*\n(.*?)^```/msg) { (my $b = $1) =~ s/\n[ \t]+/ /g; push @code, split /\n/, $b }
		my $prose = $_; $prose =~ s/^```.*?^```//msg;
		while ($prose =~ /`([^`\n]+)`/g) {
			my $span = $1;
			push @code, $span if $span =~ /^(signet\s+)?($ENV{CMDRE})\s/;
		}
		for (@code) {
			s/\s#.*//;
			while (/(?:^|\bsignet\s+)($ENV{CMDRE})\b(.*?)(?=\s(?:\|(?!\s+-)|\|\||&&|;)\s|\$\(|\bsignet\s|$)/g) {
				my ($c, $rest) = ($1, $2);
				while ($rest =~ /(?<![\w-])(--[a-z][a-z0-9-]*)/g) { print "$c $1\n" unless $1 eq "--help" }
			}
		}' "$1" | sort -u
}

# 1. The Commands block, both ways.
readme_commands | usage_entries >"$T/readme.usage"
[ -s "$T/readme.usage" ] && ok || bad "$README: no Commands block"
while read -r line; do
	word=$(printf '%s\n' "$line" | awk '{ print $2 }')
	if help_of "$word" | usage_entries | grep -xF -- "$line" >/dev/null; then
		ok
	else
		bad "README usage not in 'signet $word --help': $line"
	fi
done <"$T/readme.usage"
for cmd in $CMDS; do
	while read -r line; do
		grep -qxF -- "$line" "$T/readme.usage" && ok || bad "'signet $cmd --help' usage missing in README: $line"
	done < <(help_of "$cmd" | usage_entries)
done

# 2. Options the README and docs/ show with a command.
doc_options "$README" >"$T/readme.options"
[ -s "$T/readme.options" ] && ok || bad "no options found in $README"
for doc in "$README" "$SIGNET_SOURCE_DIR"/docs/*.md; do
	while read -r cmd opt; do
		# Through a file: grep -q stops reading early, and a long help would
		# then end signet by SIGPIPE, failing the pipeline under pipefail.
		help_of "$cmd" >"$T/help.txt"
		if grep -qE -- "(^|[^a-z0-9-])$opt([^a-z0-9-]|\$)" "$T/help.txt"; then
			ok
		else
			bad "${doc##*/} shows '$cmd $opt', 'signet $cmd --help' does not know it"
		fi
	done < <(doc_options "$doc")
done

# 3. Exit codes: the README table's meanings are the top-level help's words,
# and every command help that lists exit codes uses the same words.
perl -ne '$in = /^## Exit codes/ if /^## /;
	print "$1 $2\n" if $in && /^\|\s*([0-9])\s*\|\s*([^|]*?)\s*\|/' "$README" >"$T/readme.exit"
[ "$(awk '{ print $1 }' "$T/readme.exit" | tr -d '\n')" = 0123 ] && ok ||
	bad "README exit-code table does not list 0, 1, 2, 3: $(cat "$T/readme.exit")"
exit_words() { # help text on stdin -> its exit-code sentence, normalised
	tr '\n' ' ' | perl -ne 'print "$1\n" if /\b[Ee]xit codes:\s*(.*)/' | perl -pe 's/\s+/ /g'
}
for cmd in "" $CMDS; do
	words=$(help_of "${cmd:-help}" | exit_words)
	[ -n "$words" ] || { [ -n "$cmd" ] && continue; }
	while read -r code meaning; do
		case "$words" in
		"$code $meaning"[\;.\ ]* | *" $code $meaning"[\;.\ ]*) ok ;;
		*) bad "'signet ${cmd:+$cmd }--help' exit codes lack '$code $meaning': $words" ;;
		esac
	done <"$T/readme.exit"
done

# 4. signet help CMD is CMD --help; unknown commands are usage errors.
for cmd in $CMDS; do
	if cmp -s <("$S" help "$cmd") <("$S" "$cmd" --help); then ok; else
		bad "'signet help $cmd' differs from 'signet $cmd --help'"
	fi
done
cmp -s <("$S" help) <("$S" --help) && ok || bad "'signet help' differs from 'signet --help'"
expect 0 "" "$S" help sign
expect 2 "unknown command 'nosuch'" "$S" help nosuch
expect 2 "unknown command 'nosuch'" "$S" nosuch

# 5. The version, three ways.
v=$("$S" --version)
[[ "$v" =~ ^signet\ [0-9]+\.[0-9]+\.[0-9]+$ ]] && ok || bad "--version printed '$v'"
for a in -V version; do
	expect 0 "" "$S" "$a"
	[ "$(cat "$T/out.txt")" = "$v" ] && ok || bad "'signet $a' printed '$(cat "$T/out.txt")', not '$v'"
done
finish
