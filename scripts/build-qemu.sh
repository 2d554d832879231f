#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# usage: build-qemu.sh SRCTREE OBJDIR [NINJA-TARGET...]
#
# Configures OBJDIR from SRCTREE with the flags in $HB_QEMU_CONFIGURE (the
# Makefile's QEMU_CONFIGURE, which scripts/patchset.py also uses for its
# per-patch check) when OBJDIR has no build.ninja yet or was configured
# with other flags, then builds the ninja targets (default:
# qemu-system-x86_64).  Edits to SRCTREE need no reconfigure: ninja reruns
# meson itself when a meson.build changes.
# Callers may run this with sh; the progress pipe needs pipefail.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -euo pipefail
[ $# -ge 2 ] || { echo "usage: build-qemu.sh SRCTREE OBJDIR [NINJA-TARGET...]" >&2; exit 2; }
: "${HB_QEMU_CONFIGURE:?build-qemu: HB_QEMU_CONFIGURE must hold the configure flags (run through make)}"
: "${HB_CACHE:?build-qemu: HB_CACHE must be set (run through make)}"
src=$(realpath "$1")
obj=$2
shift 2
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(qemu-system-x86_64)
[ -x "$src/configure" ] || { echo "build-qemu: $src is not a QEMU source tree (no configure)" >&2; exit 1; }
mkdir -p "$obj"
obj=$(realpath "$obj")
jobs=${HB_JOBS:-$(nproc)}
sh "$(dirname "$0")/need.sh" ninja pkg-config gcc ccache

# QEMU 10.0 wants meson >= 1.5: the flags name a venv with Debian 13's
# meson 1.7, which fetch-sources.sh sets up once, offline.
sh "$(dirname "$0")/fetch-sources.sh" meson >/dev/null

# The stamp is the flag list itself: other flags (a new feature, another
# venv path) reconfigure, nothing else does.
if [ ! -f "$obj/build.ninja" ] ||
   [ "$(cat "$obj/.hintbuf-configure" 2>/dev/null)" != "$HB_QEMU_CONFIGURE" ]; then
	echo "  QEMU    configure in $obj (x86_64-softmmu only)"
	# eval, not plain word splitting: the flags carry shell quoting
	# (--cc="ccache gcc"), which patchset.py reads with shlex.split.
	(cd "$obj" && eval "\"\$src/configure\" $HB_QEMU_CONFIGURE" \
		>configure.log 2>&1) || {
		tail -30 "$obj/configure.log" >&2
		echo "build-qemu: configure failed (log: $obj/configure.log)" >&2
		exit 1
	}
	echo "$HB_QEMU_CONFIGURE" >"$obj/.hintbuf-configure"
fi

echo "  QEMU    ninja ${targets[*]} (-j$jobs)"
# ninja's [n/m] lines are counted, not shown: a progress line every 200
# steps, warnings and errors as they come.
ninja -C "$obj" -j"$jobs" "${targets[@]}" 2>&1 |
	awk '/^\[/ { if (++n % 200 == 0) { printf "  QEMU    %s\n", $1; fflush() } next }
	     /^ninja: Entering/ { next }
	     { print; fflush() }' || {
	echo "build-qemu: ninja ${targets[*]} failed in $obj" >&2
	exit 1
}
if [[ " ${targets[*]} " == *" qemu-system-x86_64 "* ]]; then
	"$obj/qemu-system-x86_64" --version | head -1 | sed 's/^/  QEMU    /'
fi
