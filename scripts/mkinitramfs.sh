#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# usage: mkinitramfs.sh OUT.cpio GUEST_BIN_DIR INIT
#
# A small root for the test guest: busybox-static, stress-ng and perf from
# Debian's packages with the shared libraries they load, our static guest
# tools, and our init.  The archive is left uncompressed: unpacking it
# under TCG is then a copy, and the guest frees it after boot anyway.
set -eu
out=$1
bindir=$2
init=$3
sh "$(dirname "$0")/need.sh" busybox ldd cpio stress-ng perf
root="$out.d"

rm -rf "$root"
mkdir -p "$root"/bin "$root"/sbin "$root"/usr/bin "$root"/usr/sbin \
	"$root"/proc "$root"/sys "$root"/dev "$root"/tmp "$root"/etc \
	"$root"/lib64 "$root"/root "$root"/var/tmp

cp /bin/busybox "$root/bin/busybox"
for applet in $("$root/bin/busybox" --list-full); do
	[ -e "$root/$applet" ] || ln -s /bin/busybox "$root/$applet"
done

copy_with_libs() {
	bin=$1
	dest=$2
	cp -L "$bin" "$root$dest"
	ldd "$bin" 2>/dev/null | awk '/=> \// { print $3 } /^\t\/lib/ { print $1 }' |
		while read -r lib; do
			mkdir -p "$root$(dirname "$lib")"
			[ -e "$root$lib" ] || cp -L "$lib" "$root$lib"
		done
}
copy_with_libs /usr/bin/stress-ng /usr/bin/stress-ng
# /usr/bin/perf is Debian's real perf binary (the wrapper is diverted).
copy_with_libs /usr/bin/perf /usr/bin/perf

for tool in "$bindir"/*; do
	[ -x "$tool" ] && cp "$tool" "$root/usr/bin/"
done
cp "$init" "$root/init"
chmod 0755 "$root/init"
echo "root:x:0:0:root:/root:/bin/sh" >"$root/etc/passwd"
echo "root:x:0:" >"$root/etc/group"

(cd "$root" && find . -print0 | LC_ALL=C sort -z |
	cpio --null -o -H newc --quiet -R 0:0) >"$out.tmp"
mv "$out.tmp" "$out"
rm -rf "$root"
ls -l "$out" | awk '{ printf "  INITRD  %s (%d KiB)\n", $NF, $5 / 1024 }'
