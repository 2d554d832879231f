#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# usage: need.sh COMMAND...
#
# Fails, naming every missing command and the Debian package that has it,
# unless all the COMMANDs are on PATH.  Scripts call it before they use a
# command inside a $(...) or a pipeline, where a missing one would only
# leave an empty string; `make deps` calls it with every host command the
# build, the tests and the benchmarks run, so a package missing from its
# list shows up there and not as a puzzling test failure.
#
# The command -> package table is the one place to add a new tool.
set -u
PATH=$PATH:/usr/sbin:/sbin

package_of() {
	case $1 in
	apt-cache | apt-get) echo apt ;;
	awk) echo mawk ;;
	bc) echo bc ;;
	bison) echo bison ;;
	busybox) echo busybox-static ;;
	ccache) echo ccache ;;
	cpio) echo cpio ;;
	dpkg-deb) echo dpkg ;;
	dpkg-source) echo dpkg-dev ;;
	flex) echo flex ;;
	flock) echo util-linux ;;
	gcc | make) echo build-essential ;;
	git) echo git ;;
	ldd) echo libc-bin ;;
	meson) echo meson ;;
	mkfs.ext2) echo e2fsprogs ;;
	modinfo) echo kmod ;;
	ninja) echo ninja-build ;;
	perf) echo linux-perf ;;
	perl) echo perl ;;
	pkg-config) echo pkg-config ;;
	python3) echo python3 ;;
	qemu-system-x86_64) echo qemu-system-x86 ;;
	rsync) echo rsync ;;
	sha1sum | sha256sum | realpath | stat | sort) echo coreutils ;;
	stress-ng) echo stress-ng ;;
	tar) echo tar ;;
	xz) echo xz-utils ;;
	*) echo "?" ;;
	esac
}

missing=0
for c in "$@"; do
	if ! command -v "$c" >/dev/null 2>&1; then
		echo "hintbuf: command '$c' not found (Debian package" \
			"$(package_of "$c"); 'make deps' installs it)" >&2
		missing=1
	fi
done
exit $missing
