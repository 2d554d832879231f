#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Make "apt-get source" work on a machine whose apt sources carry only
# binary entries.  The deb-src entries are derived from the existing
# ones (same URIs, suites and components), so no archive host is named
# here and whatever mirror the machine uses is reused.
#
# It also adds a deb-src entry for Debian 13 (trixie): our QEMU is
# Debian 13's QEMU 10.0 source and meson 1.7 comes from there too.  Only
# deb-src: with no binary trixie entry apt can never upgrade the host.
# The trixie entry reuses the URIs, components and Signed-By of the
# entries for the host's own release suite (not -updates or -security).
set -eu

out=/etc/apt/sources.list.d/hintbuf-deb-src.sources
list=/etc/apt/sources.list.d/hintbuf-deb-src.list
next=trixie
next_out=/etc/apt/sources.list.d/hintbuf-deb-src-$next.sources
next_list=/etc/apt/sources.list.d/hintbuf-deb-src-$next.list
codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
updated=0

has_src() {
	grep -Eqs '^[[:space:]]*deb-src[[:space:]]' /etc/apt/sources.list \
		/etc/apt/sources.list.d/*.list && return 0
	grep -Eqs '^Types:.*deb-src' /etc/apt/sources.list.d/*.sources
}

has_next_src() {
	grep -Eqs "^[[:space:]]*deb-src[[:space:]].*[[:space:]]$next[[:space:]]" \
		/etc/apt/sources.list /etc/apt/sources.list.d/*.list && return 0
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		awk -v s="$next" '
		BEGIN { RS = ""; found = 1 }
		/(^|\n)Types:[^\n]*deb-src/ &&
		    $0 ~ ("(^|\n)Suites:[^\n]*[ \t]" s "([ \t]|\n|$)") { found = 0 }
		END { exit found }' "$f" && return 0
	done
	return 1
}

if has_src; then
	echo "deb-src: entries present"
else
	tmp=$(mktemp)
	# deb822 files: every stanza whose Types has "deb" gets a deb-src twin.
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		case $f in "$next_out") continue ;; esac
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
	updated=1
fi

if [ "$codename" = "$next" ] || has_next_src; then
	echo "deb-src: $next entries present"
elif [ -z "$codename" ]; then
	echo "deb-src: no VERSION_CODENAME in /etc/os-release" >&2
	exit 1
else
	# deb822: stanzas (deb or deb-src) listing the host's release suite
	# itself; the first per URI wins.
	tmp=$(mktemp)
	files=
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		case $f in "$next_out") continue ;; esac
		files="$files $f"
	done
	# shellcheck disable=SC2086 # paths from the glob above, no blanks
	[ -z "$files" ] || awk -v c="$codename" -v s="$next" '
		BEGIN { RS = ""; ORS = "\n\n" }
		/(^|\n)Enabled:[ \t]*no/ { next }
		$0 ~ ("(^|\n)Suites:[^\n]*[ \t]" c "([ \t]|\n|$)") {
			n = split($0, line, "\n")
			uri = ""; comp = ""; key = ""
			for (i = 1; i <= n; i++) {
				if (line[i] ~ /^URIs:/) uri = line[i]
				if (line[i] ~ /^Components:/) comp = line[i]
				if (line[i] ~ /^Signed-By:/) key = line[i]
			}
			if (uri == "" || seen[uri]++)
				next
			printf "Types: deb-src\n%s\nSuites: %s\n%s\n", uri, s, comp
			if (key != "")
				printf "%s\n", key
			printf "\n"
		}' $files >"$tmp"
	if [ -s "$tmp" ]; then
		install -m 0644 "$tmp" "$next_out"
		echo "deb-src: wrote $next_out (deb-src only) from the $codename entries"
	fi
	rm -f "$tmp"

	# One-line format: "deb [opts] URI <codename> comp..." lines.
	tmp=$(mktemp)
	cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
		awk -v c="$codename" -v s="$next" '
		$1 != "deb" && $1 != "deb-src" { next }
		{
			i = 2
			if ($2 ~ /^\[/)
				while (i <= NF && $i !~ /\]$/) i++
			if ($2 ~ /^\[/) i++
			# $i is the URI, $(i+1) the suite
			if ($(i + 1) != c || seen[$i]++)
				next
			$1 = "deb-src"
			$(i + 1) = s
			print
		}' | sort -u >"$tmp" || true
	if [ -s "$tmp" ]; then
		install -m 0644 "$tmp" "$next_list"
		echo "deb-src: wrote $next_list (deb-src only) from the $codename entries"
	fi
	rm -f "$tmp"

	if ! has_next_src; then
		echo "deb-src: no $codename entry to derive a $next deb-src entry from" >&2
		exit 1
	fi
	updated=1
fi

if [ "$updated" = 1 ]; then
	apt-get update -q
fi
