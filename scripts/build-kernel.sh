#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# usage: build-kernel.sh SRCTREE OBJDIR FRAGMENT...
#
# Configures OBJDIR as allnoconfig plus the fragments (only when a
# fragment or the kernel's Kconfig files changed), checks that every
# symbol in the fragments got the value asked for, and builds bzImage.
# Callers may run this with sh; the progress pipe needs pipefail.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -euo pipefail
src=$(realpath "$1")
obj=$2
shift 2
mkdir -p "$obj"
obj=$(realpath "$obj")
jobs=${HB_JOBS:-$(nproc)}
cc=${HB_CC:-gcc}
sh "$(dirname "$0")/need.sh" make gcc flex bison bc perl git ${cc%% *}

stamp=$( {
	cat "$@"
	git -C "$src" log -1 --format=%H
	git -C "$src" diff HEAD -- '*Kconfig*'
	git -C "$src" ls-files -o -- '*Kconfig*' | (cd "$src" && xargs -r cat)
} | sha256sum | cut -d' ' -f1)

if [ ! -f "$obj/.config" ] || [ "$(cat "$obj/.hintbuf-config" 2>/dev/null)" != "$stamp" ]; then
	echo "  CONFIG  $obj (allnoconfig + $(for f in "$@"; do basename "$f"; done | tr '\n' ' '))"
	(cd "$src" && ARCH=x86_64 CC="$cc" scripts/kconfig/merge_config.sh -n -O "$obj" "$@" \
		>"$obj/merge_config.log" 2>&1) || {
		cat "$obj/merge_config.log" >&2
		exit 1
	}
	bad=0
	for frag in "$@"; do
		grep -E '^CONFIG_[A-Za-z0-9_]+=' "$frag" | while IFS= read -r line; do
			sym=${line%%=*}
			val=${line#*=}
			if [ "$val" = n ]; then
				if grep -q "^$sym=" "$obj/.config"; then
					echo "$sym: asked n, got $(grep "^$sym=" "$obj/.config")"
				fi
			elif ! grep -qxF "$line" "$obj/.config"; then
				echo "$sym: asked $val, got $(grep "^$sym=" "$obj/.config" || echo 'not set')"
			fi
		done
	done >"$obj/config-mismatch.txt"
	if [ -s "$obj/config-mismatch.txt" ]; then
		echo "build-kernel: the merged .config differs from the fragments:" >&2
		cat "$obj/config-mismatch.txt" >&2
		bad=1
	fi
	[ "$bad" = 0 ] || exit 1
	echo "$stamp" >"$obj/.hintbuf-config"
fi

echo "  MAKE    bzImage in $obj (-j$jobs)"
# kbuild's quiet lines are counted, not shown: a progress line every 500
# steps, warnings and errors as they come.
make -C "$src" O="$obj" ARCH=x86_64 CC="$cc" -j"$jobs" bzImage 2>&1 |
	awk '/^  [A-Z0-9_]+ +[^ ]/ { if (++n % 500 == 0) { printf "  KERNEL  %d build steps\n", n; fflush() } next }
	     /^make(\[[0-9]+\])?: (Entering|Leaving)/ { next }
	     { print; fflush() }'
ls -l "$obj/arch/x86/boot/bzImage" | awk '{ printf "  KERNEL  %s (%d KiB)\n", $NF, $5 / 1024 }'
