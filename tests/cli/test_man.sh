# The man pages say what --help says: every command 'signet --help' lists
# has docs/man/signet-CMD.1 (and no page is left for a command that is gone);
# a page's SYNOPSIS is its command's usage lines, word for word; the long
# options its OPTIONS section lists are the command's (those of the usage
# lines and option lists of 'signet CMD --help' and of any subcommand help);
# any other option a help text mentions is another command's; every page
# renders without a groff warning and .TH names this version; every option
# of every command is in README.md or docs/*.md; `cmake --install` puts the
# pages in share/man/man1.
# MAN_DIR=DIR checks other pages (to see this test fail on stale ones).
. "$(dirname "$0")/lib.sh"
MAN_DIR=${MAN_DIR:-$SIGNET_SOURCE_DIR/docs/man}
BUILD=${SIGNET_BUILD_DIR:?set SIGNET_BUILD_DIR to the build tree}
version=$("$S" --version | awk '{ print $2 }')

CMDS=$("$S" --help | awk '/^commands:/ { c = 1; next } c && !NF { exit } c && $1 != "help" { print $1 }')
[ -n "$CMDS" ] && ok || bad "'signet --help' lists no commands"

# help_text CMD: 'signet CMD --help', then each subcommand's own help where
# it has one ('signet station run --help'); CMD "" is the top-level help.
help_text() {
	if [ -z "$1" ]; then "$S" --help; return; fi
	"$S" "$1" --help >"$T/help.main"
	cat "$T/help.main"
	local sub
	for sub in $(usage_entries <"$T/help.main" | awk '$3 ~ /^[a-z][a-z0-9-]*$/ { print $3 }' | sort -u); do
		if "$S" "$1" "$sub" --help >"$T/help.sub" 2>/dev/null && ! cmp -s "$T/help.sub" "$T/help.main"; then
			cat "$T/help.sub"
		fi
	done
}

# own_options: the long options of a help text's usage paragraphs and of its
# option lists (a line starting with --option [ARG] and two spaces), one a
# line, sorted.
own_options() {
	perl -ne 'if (/^usage:/) { $u = 1 } elsif (/^\s*$/) { $u = 0 }
		my $t = $u ? $_ : /^ {0,4}(--[a-z][a-z0-9-]*)(?: \S+)? {2,}\S/ ? $1 : "";
		print "$1\n" while $t =~ /(?<![\w-])(--[a-z][a-z0-9-]*)/g' | grep -vx -- --help | sort -u || true
}

# all_options: every long option a text mentions.
all_options() {
	perl -ne 'print "$1\n" while /(?<![\w-])(--[a-z][a-z0-9-]*)/g' | grep -vx -- --help | sort -u || true
}

# roff_section PAGE NAME: the section's lines, requests dropped (but for the
# font macros, whose arguments are text) and escapes undone: plain text.
roff_section() {
	perl -ne 'BEGIN { $want = shift }
		if (/^\.SH\s+"?([^"\n]*)"?/) { $in = $1 eq $want; next } next unless $in;
		if (/^\.([BI]|[BIR][BIR])\s+(.*)/) {
			my ($m, $a) = ($1, $2); my @w;
			push @w, defined $1 ? $1 : $2 while $a =~ /"((?:[^"]|"")*)"|(\S+)/g;
			$_ = join(length $m == 1 ? " " : "", @w) . "\n";
		} elsif (/^[.\x27]/) { print "\n" if /^\.(TP|PP|P|LP|IP)\b/; next }
		s/\\f(?:\[[^]]*\]|\(..|.)//g; s/\\-/-/g; s/\\&//g; s/\\\(aq/\x27/g; s/\\c$//; s/\\e/\\/g;
		print' "$2" "$1"
}

# option_tags PAGE: the long options named by the tags of the OPTIONS
# section's .TP items (not those its descriptions mention).
option_tags() {
	perl -ne 'if (/^\.SH\s+"?([^"\n]*)"?/) { $in = $1 eq "OPTIONS"; next } next unless $in;
		if (/^\.TP/) { $tag = 1; next }
		next unless $tag; $tag = 0; s/\\-/-/g; s/\\f(?:\[[^]]*\]|\(..|.)//g;
		print "$1\n" while /(?<![\w-])(--[a-z][a-z0-9-]*)/g' "$1" | grep -vx -- --help | sort -u || true
}

# The options of every command, for the cross-references below.
: >"$T/every.options"
for cmd in "" $CMDS; do
	help_text "$cmd" >"$T/help.${cmd:-signet}"
	own_options <"$T/help.${cmd:-signet}" >"$T/own.${cmd:-signet}"
	cat "$T/own.${cmd:-signet}" >>"$T/every.options"
done

for cmd in "" $CMDS; do
	name=signet${cmd:+-$cmd}
	page="$MAN_DIR/$name.1"
	help="$T/help.${cmd:-signet}"
	if [ ! -f "$page" ]; then
		bad "'signet ${cmd:-help}' has no man page $page"
		continue
	fi
	ok

	# 1. It renders without a warning, and .TH names this version.
	if groff -man -Tutf8 -ww -z "$page" >"$T/groff.out" 2>&1 && [ ! -s "$T/groff.out" ]; then
		ok
	else
		bad "$name.1 does not render cleanly: $(head -c 400 "$T/groff.out")"
	fi
	th=$(perl -ne 'if (/^\.TH\s+(.*)/) { my @w; my $a = $1;
		push @w, defined $1 ? $1 : $2 while $a =~ /"((?:[^"]|"")*)"|(\S+)/g;
		$w[0] =~ s/\\-/-/g; print "$w[0]|$w[1]|$w[3]\n"; exit }' "$page")
	want=$(printf '%s|1|signet %s' "$name" "$version" | tr a-z A-Z)
	[ "$(printf '%s' "$th" | tr a-z A-Z)" = "$want" ] && ok ||
		bad "$name.1: .TH is '$th', wanted '$name|1|signet $version'"

	# 2. SYNOPSIS = the usage lines, both ways.
	roff_section "$page" SYNOPSIS | usage_entries >"$T/page.usage"
	usage_entries <"$help" | sort -u >"$T/help.usage"
	[ -s "$T/page.usage" ] && ok || bad "$name.1 has no SYNOPSIS"
	while read -r line; do
		grep -qxF -- "$line" "$T/help.usage" && ok ||
			bad "$name.1 SYNOPSIS line not in 'signet ${cmd:+$cmd }--help': $line"
	done <"$T/page.usage"
	while read -r line; do
		grep -qxF -- "$line" "$T/page.usage" && ok ||
			bad "'signet ${cmd:+$cmd }--help' usage missing in $name.1 SYNOPSIS: $line"
	done <"$T/help.usage"

	# 3. OPTIONS = the command's options, both ways.
	own="$T/own.${cmd:-signet}"
	option_tags "$page" >"$T/page.options"
	for opt in $(comm -23 "$own" "$T/page.options"); do
		bad "$name.1 OPTIONS lacks $opt ('signet ${cmd:+$cmd }--help' has it)"
	done
	for opt in $(comm -13 "$own" "$T/page.options"); do
		bad "$name.1 OPTIONS lists $opt, which 'signet ${cmd:+$cmd }--help' does not"
	done
	cmp -s "$own" "$T/page.options" && ok

	# 4. An option the help mentions outside its usage and option list is
	# another command's ('signet verify --trust-root' in sign's help).
	for opt in $(all_options <"$help" | comm -23 - "$own"); do
		grep -qxF -- "$opt" "$T/every.options" && ok ||
			bad "'signet ${cmd:+$cmd }--help' mentions $opt, which no command's usage has"
	done

	# 5. Every option is documented in README.md or docs/*.md.
	[ -n "$cmd" ] || continue
	for opt in $(cat "$own"); do
		grep -qP -- "(?<![a-z0-9-])$opt(?![a-z0-9-])" "$SIGNET_SOURCE_DIR/README.md" \
			"$SIGNET_SOURCE_DIR"/docs/*.md && ok ||
			bad "'signet $cmd $opt' is in no README.md or docs/*.md"
	done

	# 6. The overview page points to this one.
	grep -qF -- ".BR signet\\-$cmd (1)" "$MAN_DIR/signet.1" && ok ||
		bad "signet.1 SEE ALSO lacks signet-$cmd(1)"
done

# No page for a command that is not there.
for page in "$MAN_DIR"/*.1; do
	name=$(basename "$page" .1)
	case " signet $(printf 'signet-%s ' $CMDS)" in
	*" $name "*) ok ;;
	*) bad "$name.1: no such command in 'signet --help'" ;;
	esac
done

# 7. cmake --install puts every page in share/man/man1, where man finds it.
cmake --install "$BUILD" --prefix "$T/prefix" >"$T/install.log"
mandir=$(find "$T/prefix" -type d -path '*/man/man1' | head -n 1)
for page in "$MAN_DIR"/*.1; do
	if [ -n "$mandir" ] && cmp -s "$page" "$mandir/$(basename "$page")"; then ok; else
		bad "cmake --install did not install $(basename "$page") in share/man/man1"
	fi
done
if [ -n "$mandir" ] && MANPATH="${mandir%/man1}" man -w signet-sign >"$T/manw" 2>&1 &&
	grep -qF "$mandir/signet-sign.1" "$T/manw"; then
	ok
else
	bad "man -w signet-sign does not find the installed page: $(cat "$T/manw" 2>/dev/null)"
fi
finish
