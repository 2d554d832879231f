#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Keep pristine, git-tracked copies of the Debian kernel and QEMU sources
# in the cache directory, outside any clone, so that every clone on this
# machine starts from the same base and rebuilds incrementally.
#
# usage: fetch-sources.sh linux|qemu    (prints the pristine repo's path)
set -eu
: "${HB_CACHE:?HB_CACHE must be set}"
sh "$(dirname "$0")/need.sh" git tar xz apt-cache apt-get dpkg-source awk
src="$HB_CACHE/src"
mkdir -p "$src"

commit_all() {
	git -C "$1" init -q
	git -C "$1" add -A -f
	git -C "$1" -c user.name=hintbuf -c user.email=hintbuf@localhost \
		commit -q -m "$2"
	git -C "$1" tag base
}

case "${1:-}" in
linux)
	tarball=/usr/src/linux-source-6.12.tar.xz
	if [ ! -f "$tarball" ]; then
		echo "fetch-sources: $tarball missing; run 'make deps'" >&2
		exit 1
	fi
	ver=$(dpkg-query -W -f='${Version}' linux-source-6.12)
	repo="$src/linux-$ver.git"
	if [ ! -d "$repo/.git" ] || ! git -C "$repo" rev-parse -q --verify base >/dev/null; then
		echo "  SRC     unpacking linux-source-6.12 $ver (about 1 min)" >&2
		tmp="$src/.linux-$ver.tmp"
		rm -rf "$tmp"
		mkdir -p "$tmp"
		tar -C "$tmp" -xf "$tarball"
		commit_all "$tmp/linux-source-6.12" "Linux 6.12 (Debian linux-source-6.12 $ver)"
		rm -rf "$repo"
		mv "$tmp/linux-source-6.12" "$repo"
		rm -rf "$tmp"
	fi
	echo "$repo"
	;;
qemu)
	ver=$(apt-cache showsrc qemu 2>/dev/null |
		awk '/^Version: 1:7\.2/ { print $2 }' | sort -V | tail -n 1)
	if [ -z "$ver" ]; then
		sh "$(dirname "$0")/ensure-deb-src.sh" >&2
		ver=$(apt-cache showsrc qemu | awk '/^Version: 1:7\.2/ { print $2 }' |
			sort -V | tail -n 1)
	fi
	[ -n "$ver" ] || { echo "fetch-sources: no QEMU 7.2 source package" >&2; exit 1; }
	repo="$src/qemu-$(echo "$ver" | sed 's/^1://').git"
	if [ ! -d "$repo/.git" ] || ! git -C "$repo" rev-parse -q --verify base >/dev/null; then
		echo "  SRC     apt-get source qemu=$ver" >&2
		tmp="$src/.qemu.tmp"
		rm -rf "$tmp"
		mkdir -p "$tmp"
		(cd "$tmp" && apt-get source -q "qemu=$ver" >/dev/null 2>&1) || {
			echo "fetch-sources: apt-get source qemu=$ver failed" >&2
			exit 1
		}
		dir=$(find "$tmp" -mindepth 1 -maxdepth 1 -type d -name 'qemu-*')
		commit_all "$dir" "QEMU 7.2 (Debian source package qemu $ver)"
		rm -rf "$repo"
		mv "$dir" "$repo"
		rm -rf "$tmp"
	fi
	echo "$repo"
	;;
*)
	echo "usage: fetch-sources.sh linux|qemu" >&2
	exit 2
	;;
esac
