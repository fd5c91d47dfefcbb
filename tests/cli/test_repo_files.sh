# What a user gets with the source: a LICENSE (Apache-2.0, named in the
# README), a CHANGELOG.md with a section for this version, and files that
# point only at files inside the repository.
. "$(dirname "$0")/lib.sh"
SRC=${SIGNET_SOURCE_DIR:?set SIGNET_SOURCE_DIR to the source tree}
cd "$SRC"

# The repository's files: git's list when this is a checkout (tracked and
# new, not ignored), else everything outside build trees.
if git rev-parse --show-toplevel >/dev/null 2>&1; then
	git ls-files -z --cached --others --exclude-standard
else
	find . \( -name .git -o -name 'build*' \) -prune -o -type f -print0
fi | while IFS= read -r -d '' f; do [ -f "$f" ] && printf '%s\n' "$f"; done >"$T/files"
[ -s "$T/files" ] && ok || bad "no files found in $SRC"

# 1. Nothing points at the development machine's sibling directories.
outside='([.][.]|/work)/[s]hared'
if hits=$(xargs -d '\n' grep -nIE -- "$outside" <"$T/files"); then
	bad "files point outside the repository: $hits"
else
	ok
fi

# 2. Paths in `code` in the documentation exist. README.md and CHANGELOG.md
# are signet's own: every path under a top-level entry. docs/ and vector
# READMEs also cite other projects' files, so there only *.md, docs/ and
# tests/ paths are checked. No "../" anywhere.
doc_paths() { # file -> `path` tokens
	perl -ne 'while (/`([^`\s]+)`/g) { (my $p = $1) =~ s/[,.:;)]+$//; print "$p\n" if $p =~ m{/|\.md$} }' "$1"
}
while read -r md; do
	case "$md" in
	README.md | CHANGELOG.md) own=1 ;;
	*.md) own=0 ;;
	*) continue ;;
	esac
	while read -r p; do
		case "$p" in
		../* | */../*) bad "$md points outside the repository: $p"; continue ;;
		/* | *://* | *=* | *:*) continue ;;
		esac
		first=${p%%/*}
		if [ "$own" = 1 ] && [ -e "$first" ] || [[ "$p" == *.md || "$p" == docs/* || "$p" == tests/* ]]; then
			# shellcheck disable=SC2086 # globs like softhsm_fixture.[ch] are meant
			if compgen -G "${p%/}" >/dev/null; then ok; else bad "$md: \`$p\` does not exist"; fi
		fi
	done < <(doc_paths "$md")
done < <(grep -E '(^|/)[^/]+\.md$' "$T/files" | sed 's|^\./||')

# 3. The license: the Apache License 2.0, word for word, named in the README.
if [ ! -f LICENSE ]; then
	bad "no LICENSE file"
elif [ -f /usr/share/common-licenses/Apache-2.0 ]; then
	cmp -s LICENSE /usr/share/common-licenses/Apache-2.0 && ok ||
		bad "LICENSE is not the Apache License 2.0 text"
else
	grep -q 'Apache License' LICENSE && grep -q 'Version 2.0, January 2004' LICENSE && ok ||
		bad "LICENSE is not the Apache License 2.0 text"
fi
grep -qF 'SPDX-License-Identifier: Apache-2.0' README.md && grep -qF '`LICENSE`' README.md && ok ||
	bad "README.md does not name the license (SPDX-License-Identifier: Apache-2.0, LICENSE)"

# 4. The changelog has an Unreleased section and one for this version.
v=$("$S" --version | awk '{ print $2 }')
if [ ! -f CHANGELOG.md ]; then
	bad "no CHANGELOG.md"
else
	grep -qx '## \[Unreleased\]' CHANGELOG.md && ok || bad "CHANGELOG.md: no '## [Unreleased]'"
	grep -qE "^## \[${v//./\\.}\]( - [0-9]{4}-[0-9]{2}-[0-9]{2})?\$" CHANGELOG.md && ok ||
		bad "CHANGELOG.md: no '## [$v] - DATE' section for signet $v"
fi
finish
