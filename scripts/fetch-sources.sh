#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Keep pristine, git-tracked copies of the Debian kernel and QEMU sources
# in the cache directory, outside any clone, so that every clone on this
# machine starts from the same base and rebuilds incrementally.
#
# usage: fetch-sources.sh linux|qemu|meson
#        (prints the pristine repo's path, or the meson wheel's)
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


# The newest version of source package $1 matching the regex $2.
deb_source_version() {
	v=$(apt-cache showsrc "$1" 2>/dev/null |
		awk -v rx="^$2" '/^Version: / && $2 ~ rx { print $2 }' |
		sort -V | tail -n 1)
	if [ -z "$v" ]; then
		sh "$(dirname "$0")/ensure-deb-src.sh" >&2
		v=$(apt-cache showsrc "$1" |
			awk -v rx="^$2" '/^Version: / && $2 ~ rx { print $2 }' |
			sort -V | tail -n 1)
	fi
	[ -n "$v" ] || { echo "fetch-sources: no $1 source package $2" >&2; exit 1; }
	echo "$v"
}

# Unpacks source package $1 (version regex $2) into a git repo, tag base.
deb_source() {
	ver=$(deb_source_version "$1" "$2")
	repo="$src/$1-$(echo "$ver" | sed 's/^[0-9]*://').git"
	if [ ! -d "$repo/.git" ] || ! git -C "$repo" rev-parse -q --verify base >/dev/null; then
		echo "  SRC     apt-get source $1=$ver" >&2
		tmp="$src/.$1.tmp"
		rm -rf "$tmp"
		mkdir -p "$tmp"
		(cd "$tmp" && apt-get source -q "$1=$ver" >/dev/null 2>&1) || {
			echo "fetch-sources: apt-get source $1=$ver failed" >&2
			exit 1
		}
		dir=$(find "$tmp" -mindepth 1 -maxdepth 1 -type d -name "$1-*")
		commit_all "$dir" "$1 (Debian source package $1 $ver)" >&2
		rm -rf "$repo"
		mv "$dir" "$repo"
		rm -rf "$tmp"
	fi
	echo "$repo"
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
	# Debian 13's QEMU 10.0 (trixie deb-src, see ensure-deb-src.sh):
	# upstream reviews only current code.  Debian 12's stock 7.2
	# binary package stays installed as the unpatched host of the
	# compatibility tests.
	repo=$(deb_source qemu '1:10\.0\.')
	echo "$repo"
	;;
meson)
	# QEMU 10.0's configure wants meson >= 1.5; Debian 12 has 1.0.1.
	# Debian 13's meson 1.7 is pure Python, but only its binary package
	# is in the archive we reach (its source gives 404).  Apt downloads
	# it (signature-checked) with a private configuration whose only
	# source is a binary trixie entry derived from the trixie deb-src
	# entry, so the host's own apt never sees a binary trixie suite.
	# The package's files go into a venv of Debian 12's python3 with
	# the system site packages; configure --python=<that venv> makes
	# QEMU's mkvenv emulate a nested venv, so the build's pyvenv (and
	# ninja when it reruns meson) imports meson 1.7 from here, offline.
	# Prints the venv's python.
	sh "$(dirname "$0")/need.sh" dpkg-deb >&2
	venv="$src/meson-venv"
	apt="$src/apt-trixie"
	if [ ! -f "$venv/.hintbuf-ready" ]; then
		sh "$(dirname "$0")/ensure-deb-src.sh" >&2
		rm -rf "$apt" "$venv"
		mkdir -p "$apt/sources.d" "$apt/lists/partial" "$apt/cache" "$apt/deb"
		srcs=$(ls /etc/apt/sources.list.d/hintbuf-deb-src-trixie.sources \
			/etc/apt/sources.list.d/hintbuf-deb-src-trixie.list 2>/dev/null || true)
		for f in $srcs; do
			case $f in
			*.sources) sed 's/^Types:.*/Types: deb/' "$f" \
				>"$apt/sources.d/trixie.sources" ;;
			*.list) sed 's/^deb-src[[:space:]]/deb /' "$f" \
				>"$apt/sources.d/trixie.list" ;;
			esac
		done
		if [ -z "$srcs" ]; then
			echo "fetch-sources: no trixie deb-src entry of ensure-deb-src.sh" \
				"to derive from (a trixie host needs no meson venv)" >&2
			exit 1
		fi
		set -- -o Dir::Etc::SourceList=/dev/null \
			-o Dir::Etc::SourceParts="$apt/sources.d" \
			-o Dir::State::Lists="$apt/lists" -o Dir::Cache="$apt/cache" \
			-o Acquire::Languages=none
		echo "  SRC     meson 1.7 (Debian 13 binary package) into $venv" >&2
		apt-get "$@" update -q >"$apt/update.log" 2>&1 || {
			cat "$apt/update.log" >&2
			echo "fetch-sources: apt-get update (private trixie lists) failed" >&2
			exit 1
		}
		ver=$(apt-cache "$@" madison meson |
			awk -F' *[|] *' '$2 ~ /^1\.7\./ { print $2 }' | sort -V | tail -n 1)
		[ -n "$ver" ] || { echo "fetch-sources: no meson 1.7 in trixie" >&2; exit 1; }
		(cd "$apt/deb" && apt-get "$@" download -q "meson=$ver" >/dev/null 2>&1) || {
			echo "fetch-sources: apt-get download meson=$ver failed" >&2
			exit 1
		}
		dpkg-deb -x "$apt"/deb/meson_*.deb "$apt/root"
		/usr/bin/python3 -m venv --system-site-packages --without-pip "$venv" || {
			echo "fetch-sources: python3 -m venv failed (python3-venv)" >&2
			exit 1
		}
		site=$("$venv/bin/python3" -c 'import sysconfig; print(sysconfig.get_path("purelib"))')
		cp -a "$apt"/root/usr/lib/python3/dist-packages/. "$site/"
		"$venv/bin/python3" -c 'import mesonbuild.mesonmain, importlib.metadata as m; print(m.version("meson"))' \
			>"$venv/.hintbuf-ready"
		rm -rf "$apt/root" "$apt/lists" "$apt/cache"
	fi
	echo "$venv/bin/python3"
	;;
*)
	echo "usage: fetch-sources.sh linux|qemu|meson" >&2
	exit 2
	;;
esac
