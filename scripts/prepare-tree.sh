#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Turn a pristine source repo into a work tree carrying our series.
#
# usage: prepare-tree.sh PRISTINE WORKTREE PATCHDIR[:PATCHDIR...]
#                        [OVERLAY_ROOT[:OVERLAY_ROOT...] DIR...]
#
# The work tree is a shared clone of the pristine repo.  The patch series
# is reapplied (git am) only when it or the list of overlaid files
# changes; overlaid files are copied only when their content differs.
# Several patch directories are applied in the order given, and DIR... of
# every overlay root is laid over the tree: the kernel's benchmark-only
# code (bench-kernel/) comes after the upstream series this way.
# Untouched files keep their mtimes, so make/ninja rebuild only what
# changed.
set -eu
pristine=$1
wt=$2
patches=$3
sh "$(dirname "$0")/need.sh" git sha256sum realpath
shift 3
overlay_root=${1:-}
[ $# -gt 0 ] && shift

# A work tree cloned from another pristine repo (QEMU 7.2 before 10.0,
# say) has another base: clone again rather than patch the wrong tree.
if [ -d "$wt/.git" ] &&
   [ "$(git -C "$wt" config --get remote.origin.url)" != "$pristine" ]; then
	echo "  RECLONE $wt (its base is not $pristine)"
	rm -rf "$wt"
fi
if [ ! -d "$wt/.git" ]; then
	echo "  CLONE   $wt"
	rm -rf "$wt"
	git clone -q --shared "$pristine" "$wt"
fi

# "ROOT FILE" per overlaid file
list_overlay() {
	[ -n "$overlay_root" ] || return 0
	echo "$overlay_root" | tr ':' '\n' | while read -r root; do
		for d in "$@"; do
			[ -d "$root/$d" ] || continue
			(cd "$root" && find "$d" -type f) | LC_ALL=C sort |
				sed "s|^|$root |"
		done
	done
}

list_patches() {
	echo "$patches" | tr ':' '\n' | while read -r dir; do
		for p in "$dir"/*.patch; do
			[ -f "$p" ] && echo "$p"
		done
	done
}

stamp=$( {
	git -C "$pristine" rev-parse base
	list_patches | while read -r p; do cat "$p"; done
	list_overlay "$@" | sed 's|^[^ ]* ||'
} | sha256sum | cut -d' ' -f1)

if [ "$(cat "$wt/.hintbuf-stamp" 2>/dev/null)" != "$stamp" ]; then
	git -C "$wt" am --abort >/dev/null 2>&1 || true
	git -C "$wt" reset -q --hard base
	git -C "$wt" clean -fdxq -e .hintbuf-stamp
	for p in $(list_patches); do
		echo "  PATCH   $(basename "$p")"
		if ! git -C "$wt" -c user.name=hintbuf -c user.email=hintbuf@localhost \
			am -q --3way "$(realpath "$p")"; then
			git -C "$wt" am --abort >/dev/null 2>&1 || true
			echo "prepare-tree: $(basename "$p") does not apply to $wt" >&2
			rm -f "$wt/.hintbuf-stamp"
			exit 1
		fi
	done
	echo "$stamp" >"$wt/.hintbuf-stamp"
fi

list_overlay "$@" | while read -r root f; do
	if ! cmp -s "$root/$f" "$wt/$f"; then
		echo "  OVERLAY $f"
		mkdir -p "$(dirname "$wt/$f")"
		cp "$root/$f" "$wt/$f"
	fi
done
