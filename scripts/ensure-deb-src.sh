#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Make "apt-get source" work on a machine whose apt sources carry only
# binary entries.  The deb-src entries are derived from the existing
# ones (same URIs, suites and components), so no archive host is named
# here and whatever mirror the machine uses is reused.
set -eu

out=/etc/apt/sources.list.d/hintbuf-deb-src.sources
list=/etc/apt/sources.list.d/hintbuf-deb-src.list

has_src() {
	grep -Eqs '^[[:space:]]*deb-src[[:space:]]' /etc/apt/sources.list \
		/etc/apt/sources.list.d/*.list && return 0
	grep -Eqs '^Types:.*deb-src' /etc/apt/sources.list.d/*.sources
}

if has_src; then
	echo "deb-src: entries present"
	exit 0
fi

tmp=$(mktemp)
# deb822 files: every stanza whose Types has "deb" gets a deb-src twin.
for f in /etc/apt/sources.list.d/*.sources; do
	[ -f "$f" ] || continue
	awk '
	BEGIN { RS = ""; ORS = "\n\n" }
	/(^|\n)Types:[^\n]*(^|[ \t])deb([ \t]|\n|$)/ {
		s = $0
		sub(/(^|\n)Types:[^\n]*/, "\nTypes: deb-src", s)
		sub(/^\n/, "", s)
		print s
	}' "$f" >>"$tmp"
done
if [ -s "$tmp" ]; then
	install -m 0644 "$tmp" "$out"
	echo "deb-src: wrote $out from the deb822 sources"
fi
rm -f "$tmp"

# One-line format files.
tmp=$(mktemp)
cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
	sed -n 's/^[[:space:]]*deb[[:space:]]/deb-src /p' >"$tmp" || true
if [ -s "$tmp" ]; then
	install -m 0644 "$tmp" "$list"
	echo "deb-src: wrote $list from the one-line sources"
fi
rm -f "$tmp"

if ! has_src; then
	echo "deb-src: no apt sources to derive entries from" >&2
	exit 1
fi
apt-get update -q
