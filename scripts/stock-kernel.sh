#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# usage: stock-kernel.sh OUTDIR INITRD
#
# Debian's stock 6.1 guest kernel for the compatibility matrix: the image
# linux-image-amd64 depends on, downloaded (not installed: the host's boot
# setup is none of our business) into $HB_CACHE/stock-kernel, and a copy
# of our initramfs with the virtio modules that kernel builds as modules.
# guest/init loads whatever /etc/hb-modules lists, in that order.
#
# Writes OUTDIR/vmlinuz, OUTDIR/initramfs.cpio and OUTDIR/version.
set -eu
: "${HB_CACHE:?HB_CACHE must be set}"
out=$1
initrd=$2
sh "$(dirname "$0")/need.sh" apt-cache apt-get dpkg-deb modinfo cpio
# What the agent and the balloon need; dependencies are added below.
want="virtio_pci virtio_console virtio_balloon"

pkg=$(apt-cache depends linux-image-amd64 2>/dev/null |
	awk '/Depends: linux-image-6\.1\./ { print $2; exit }')
if [ -z "$pkg" ]; then
	echo "stock-kernel: no linux-image-6.1 package behind linux-image-amd64" \
		"(apt-get update?)" >&2
	exit 1
fi
cache="$HB_CACHE/stock-kernel"
mkdir -p "$cache" "$out"
deb=$(ls "$cache/${pkg}"_*.deb 2>/dev/null | sort -V | tail -n 1 || true)
if [ -z "$deb" ]; then
	echo "  STOCK   apt-get download $pkg" >&2
	# _apt cannot write to the cache directory; download as root.
	(cd "$cache" && apt-get download -q -o APT::Sandbox::User=root "$pkg" \
		>/dev/null) || { echo "stock-kernel: download of $pkg failed" >&2; exit 1; }
	deb=$(ls "$cache/${pkg}"_*.deb | sort -V | tail -n 1)
fi
ver=$(dpkg-deb -f "$deb" Version)
stamp="$pkg $ver $(stat -c %Y "$initrd")"
if [ -f "$out/initramfs.cpio" ] && [ "$(cat "$out/stamp" 2>/dev/null)" = "$stamp" ]; then
	exit 0
fi

tmp="$out/.x"
rm -rf "$tmp"
mkdir -p "$tmp"
dpkg-deb -x "$deb" "$tmp/deb"
kver=$(ls "$tmp/deb/lib/modules")
cp "$tmp/deb/boot/vmlinuz-$kver" "$out/vmlinuz"

# Depth-first over modinfo's depends: a module's dependencies load first.
order=""
add() {
	case " $order " in *" $1 "*) return ;; esac
	ko=$(find "$tmp/deb/lib/modules/$kver" -name "$1.ko" | head -n 1)
	[ -n "$ko" ] || { echo "stock-kernel: $1.ko not in $pkg" >&2; exit 1; }
	# An assignment, not a for list: set -e stops here if modinfo fails.
	deps=$(modinfo -F depends "$ko") ||
		{ echo "stock-kernel: modinfo $ko failed" >&2; exit 1; }
	for dep in $(echo "$deps" | tr ',' ' '); do
		add "$dep"
	done
	order="$order $1"
}
for m in $want; do
	add "$m"
done

mkdir -p "$tmp/root/lib/modules/$kver" "$tmp/root/etc"
: >"$tmp/root/etc/hb-modules"
for m in $order; do
	cp "$(find "$tmp/deb/lib/modules/$kver" -name "$m.ko" | head -n 1)" \
		"$tmp/root/lib/modules/$kver/"
	echo "/lib/modules/$kver/$m.ko" >>"$tmp/root/etc/hb-modules"
done
# The kernel unpacks concatenated newc archives in order, so the modules
# archive appended to ours adds its files to the same root.
(cd "$tmp/root" && find . -print0 | LC_ALL=C sort -z |
	cpio --null -o -H newc --quiet -R 0:0) >"$tmp/modules.cpio"
cat "$initrd" "$tmp/modules.cpio" >"$out/initramfs.cpio.tmp"
mv "$out/initramfs.cpio.tmp" "$out/initramfs.cpio"
echo "$pkg $ver ($kver)" >"$out/version"
echo "$stamp" >"$out/stamp"
rm -rf "$tmp"
echo "  STOCK   $pkg $ver, modules:$order"
