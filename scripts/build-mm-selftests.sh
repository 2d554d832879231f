#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# usage: build-mm-selftests.sh SRCTREE OUTDIR BASE.cpio OUT.cpio
#
# Builds a subset of the kernel's own mm selftests
# (tools/testing/selftests/mm of SRCTREE, the guest kernel's 6.12 tree)
# statically against that tree's UAPI headers, packs them with
# tools/testing/selftests/memory-hotplug/mem-on-off-test.sh into a cpio
# under /usr/lib/mm-selftests, and writes OUT.cpio = BASE.cpio followed by
# that archive: the kernel unpacks concatenated archives in order, so
# the guest gets the usual root plus the tests.  Nothing is rebuilt when
# the sources, this script and BASE.cpio are unchanged (a stamp in OUTDIR).
#
# Which tests and why the others are left out: docs/testing.rst
# ("The kernel's mm selftests").
set -eu
src=$(realpath "$1")
out=$2
base=$3
cpio_out=$4
sh "$(dirname "$0")/need.sh" gcc make cpio sha256sum git
# migration links libnuma statically (Debian's libnuma-dev has libnuma.a).
for f in /usr/include/numa.h /usr/lib/x86_64-linux-gnu/libnuma.a; do
	[ -f "$f" ] || {
		echo "build-mm-selftests: $f missing: 'make deps' installs libnuma-dev" >&2
		exit 1
	}
done
mkdir -p "$out"
out=$(realpath "$out")
st=$src/tools/testing/selftests
mm=$st/mm

# Statically linked: the guest's root is busybox, a few Debian binaries
# with their libraries and our static tools; static binaries need none.
# The mm tests link vm_util.c and thp_settings.c, like their Makefile.
TESTS="compaction_test migration transhuge-stress split_huge_page_test
hugepage-mmap hugepage-shm map_hugetlb hugepage-vmemmap hugetlb-madvise
hugetlb_madv_vs_map"

stamp=$( {
	cat "$0"
	echo "$TESTS"
	git -C "$src" rev-parse HEAD
	git -C "$src" diff HEAD -- tools/testing/selftests tools/include include/uapi arch/x86/include/uapi
	sha256sum "$base"
} | sha256sum | cut -d' ' -f1)
if [ -f "$cpio_out" ] && [ "$(cat "$out/.stamp" 2>/dev/null)" = "$stamp" ]; then
	echo "  MMTEST  $cpio_out up to date"
	exit 0
fi

# The selftests want the UAPI headers of the kernel they test (their
# Makefile: KHDR_INCLUDES, the tree's usr/include); the source tree stays
# clean, they go to OUTDIR.
echo "  MMTEST  headers_install"
make -s -C "$src" O="$out/hdr-obj" ARCH=x86_64 \
	INSTALL_HDR_PATH="$out/usr" headers_install >"$out/headers.log" 2>&1 || {
	cat "$out/headers.log" >&2
	exit 1
}

# Two tests are built from copies with a loop shortened, or under TCG
# they alone would take the test's whole budget; nothing else changes.
# migration.c runs each of its six cases for RUNTIME (20) seconds: 5 here.
# split_huge_page_test.c's pagecache cases write a 4 MiB file a byte per
# write() for each of nine orders (about 7 s each under TCG): one order
# (8) here, and the plan says so.
work=$out/src
rm -rf "$work"
mkdir -p "$work"
# shorten FILE FROM TO: copy FILE to $work with the line FROM replaced by
# TO, failing if FROM is not there (the test changed upstream).
shorten() {
	f=$work/$(basename "$1")
	[ -f "$f" ] || cp "$1" "$f"
	grep -qxF "$2" "$f" || {
		echo "build-mm-selftests: no line '$2' in $1" >&2
		exit 1
	}
	awk -v from="$2" -v to="$3" '$0 == from { $0 = to } { print }' "$f" >"$f.new"
	mv "$f.new" "$f"
}
shorten "$mm/migration.c" "#define RUNTIME		(20)" "#define RUNTIME		(5)"
shorten "$mm/split_huge_page_test.c" "	ksft_set_plan(3+9);" "	ksft_set_plan(3+1);"
shorten "$mm/split_huge_page_test.c" "	for (i = 8; i >= 0; i--)" "	for (i = 8; i >= 8; i--)"

root=$out/root
rm -rf "$root"
mkdir -p "$root/usr/lib/mm-selftests"
cflags="-Wall -O2 -U_FORTIFY_SOURCE -I $src -I $mm -isystem $out/usr/include -isystem $src/tools/include/uapi"
for t in $TESTS; do
	c=$mm/$t.c
	[ -f "$work/$t.c" ] && c=$work/$t.c
	libs="-lrt -lpthread -lm"
	[ "$t" = migration ] && libs="$libs -lnuma"
	echo "  CC      mm/$t (static)"
	# shellcheck disable=SC2086
	gcc -static $cflags -o "$root/usr/lib/mm-selftests/$t" "$c" \
		"$mm/vm_util.c" "$mm/thp_settings.c" $libs >"$out/$t.log" 2>&1 || {
		cat "$out/$t.log" >&2
		exit 1
	}
done
cp "$st/memory-hotplug/mem-on-off-test.sh" "$root/usr/lib/mm-selftests/"
chmod 0755 "$root/usr/lib/mm-selftests/mem-on-off-test.sh"

(cd "$root" && find . -print0 | LC_ALL=C sort -z |
	cpio --null -o -H newc --quiet -R 0:0) >"$out/mm-selftests.cpio"
cat "$base" "$out/mm-selftests.cpio" >"$cpio_out.tmp"
mv "$cpio_out.tmp" "$cpio_out"
echo "$stamp" >"$out/.stamp"
ls -l "$cpio_out" | awk '{ printf "  MMTEST  %s (%d KiB)\n", $NF, $5 / 1024 }'
