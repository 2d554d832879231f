# SPDX-License-Identifier: GPL-2.0
#
# hintbuf: host-reserved hinting buffer for free page reporting.
#
#   make run     build what is missing, boot a guest, show a live table
#   make test    build everything and run every test (what CI runs)
#   make check   fast iteration: build, then the quick tests only
#   make help    all targets and variables
#
# Builds go to build/ in this clone.  Pristine sources and the compiler
# cache live in $(HB_CACHE), outside the clone, so a second clone on the
# same machine rebuilds from warm caches.

SHELL := /bin/bash
comma := ,
.SHELLFLAGS := -eo pipefail -c
.DEFAULT_GOAL := help
.DELETE_ON_ERROR:

TOP      := $(CURDIR)
BUILD    := $(TOP)/build
HB_CACHE ?= /var/cache/hintbuf
HB_JOBS  ?= $(shell nproc)

export HB_CACHE HB_JOBS
export CCACHE_DIR      ?= $(HB_CACHE)/ccache
export CCACHE_BASEDIR  := $(TOP)
export CCACHE_NOHASHDIR := 1
export CCACHE_MAXSIZE  ?= 10G

# Guest and run-time knobs (see README and `make help`).
GUEST_MEM   ?= 1024
GUEST_CPUS  ?= 2
HINT_BUFFER ?= 0
DURATION    ?= 60
FILL_MIB    ?= 512
REPORTING   ?= on
PYTEST_ARGS ?=
# What make test and make check run: a directory, files or node ids.
TESTS       ?= $(TOP)/tests
# Debian's interpreter: python3-pytest is installed for it, whatever
# python3 comes first on PATH.
PYTHON      ?= /usr/bin/python3

KERNEL_OBJ  := $(BUILD)/kernel
KERNEL_SRC  := $(BUILD)/linux
BZIMAGE     := $(KERNEL_OBJ)/arch/x86/boot/bzImage
QEMU_SRC    := $(BUILD)/qemu
QEMU_OBJ    := $(BUILD)/qemu-build
QEMU_BIN    := $(QEMU_OBJ)/qemu-system-x86_64
INITRD      := $(BUILD)/initramfs.cpio
GUEST_BIN   := $(BUILD)/guest-bin

KERNEL_FRAGMENTS := $(TOP)/config/kernel-guest.config $(TOP)/config/kernel-hinting.config
# The debug kernel: the same fragments plus the checkers
# (Documentation/reliability.rst), built from the same source tree.
KERNEL_DEBUG_OBJ := $(BUILD)/kernel-debug
BZIMAGE_DEBUG    := $(KERNEL_DEBUG_OBJ)/arch/x86/boot/bzImage
KERNEL_DEBUG_FRAGMENTS := $(KERNEL_FRAGMENTS) $(TOP)/config/kernel-debug.config
OVERLAY_DIRS     := mm drivers include

DEB_PACKAGES := build-essential bc bison flex libelf-dev libssl-dev cpio \
	xz-utils ccache rsync dpkg-dev git linux-source-6.12 \
	ninja-build pkg-config libglib2.0-dev libpixman-1-dev \
	zlib1g-dev libfdt-dev python3 python3-pytest python3-pytest-timeout \
	python3-venv python3-pip python3-setuptools \
	qemu-system-x86 qemu-system-data seabios \
	busybox-static stress-ng linux-perf python3-scipy python3-matplotlib \
	e2fsprogs kmod libnuma-dev pyflakes3

# The stamp records the package list, so adding a package reruns apt.
DEPS_STAMP := $(HB_CACHE)/deps-$(shell echo $(DEB_PACKAGES) | sha1sum | cut -c1-12).stamp

export HB_KERNEL := $(BZIMAGE)
export HB_KERNEL_DEBUG := $(BZIMAGE_DEBUG)
export HB_INITRD := $(INITRD)
export HB_QEMU   := $(QEMU_BIN)
# The hintbuf package (python/hintbuf) for the scripts and benchmarks;
# pytest finds it through pytest.ini.
export PYTHONPATH := $(TOP)/python$(if $(PYTHONPATH),:$(PYTHONPATH))

.PHONY: help deps kernel kernel-debug qemu qtest initramfs guest-tools all run test check \
	mm-selftests \
	test-quick lint clean distclean bench bench-quick soak stock-kernel patchset FORCE

help:
	@sed -n 's/^#   //p' $(firstword $(MAKEFILE_LIST))
	@echo
	@echo "targets: deps kernel kernel-debug qemu qtest initramfs mm-selftests all run test check lint bench soak patchset clean distclean"
	@echo "variables: GUEST_MEM=$(GUEST_MEM) (MiB) GUEST_CPUS=$(GUEST_CPUS)"
	@echo "           HINT_BUFFER=$(HINT_BUFFER) (MiB, 0 = none) DURATION=$(DURATION) (s)"
	@echo "           FILL_MIB=$(FILL_MIB) REPORTING=$(REPORTING) (on|off)"
	@echo "           HB_CACHE=$(HB_CACHE) HB_JOBS=$(HB_JOBS) PYTEST_ARGS="
	@echo "           TESTS=tests (files or node ids for make test/check)"
	@echo "           SOAK_GIB=$(SOAK_GIB) (GiB hinted by make soak) SOAK_ARGS="

# Every host command the build, the tests and the benchmarks run, and the
# Python modules they import: `make deps` checks them each time, so a
# package left out of DEB_PACKAGES fails here, naming the command.
HOST_COMMANDS := apt-cache apt-get awk bc bison busybox ccache cpio \
	dpkg-deb dpkg-source flex flock gcc git ldd make mkfs.ext2 \
	modinfo ninja perf perl pkg-config pyflakes3 python3 qemu-system-x86_64 rsync \
	sha1sum sha256sum stress-ng tar xz
PY_MODULES := pytest pytest_timeout scipy matplotlib

deps: $(DEPS_STAMP)
	@sh $(TOP)/scripts/need.sh $(HOST_COMMANDS)
	@$(PYTHON) -c 'import $(subst $(eval) ,$(comma),$(PY_MODULES))' || \
		{ echo "hintbuf: a Python module of $(PY_MODULES) is missing for" \
			"$(PYTHON): 'make deps' installs python3-<module>" >&2; exit 1; }
	@echo "  DEPS    $(words $(HOST_COMMANDS)) commands and" \
		"$(words $(PY_MODULES)) Python modules present"

$(DEPS_STAMP):
	@echo "  DEPS    apt-get install ($(words $(DEB_PACKAGES)) packages)"
	@mkdir -p $(HB_CACHE)
	@if ! dpkg-query -W -f='$${Status}\n' $(DEB_PACKAGES) 2>/dev/null | \
		grep -vq '^install ok installed$$' && \
		[ $$(dpkg-query -W $(DEB_PACKAGES) 2>/dev/null | wc -l) -eq $(words $(DEB_PACKAGES)) ]; then \
		echo "  DEPS    all installed"; \
	else \
		apt-get update -q >/dev/null && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
			$(DEB_PACKAGES) >$(HB_CACHE)/apt.log 2>&1 || \
			{ tail -20 $(HB_CACHE)/apt.log; exit 1; }; \
	fi
	@sh $(TOP)/scripts/ensure-deb-src.sh
	@touch $@

all: kernel qemu initramfs

# --- kernel ------------------------------------------------------------
# Several make invocations in one clone (a test run and a bench run, say)
# take turns on a tree: LOCK serialises each tree's prepare and build.
LOCK = mkdir -p $(BUILD) && exec 9>$(BUILD)/.$(1).lock && flock 9

PREPARE_LINUX = $(call LOCK,linux) && \
	echo "  KERNEL  preparing $(KERNEL_SRC)" && \
	pristine=$$(sh $(TOP)/scripts/fetch-sources.sh linux) && \
		sh $(TOP)/scripts/prepare-tree.sh "$$pristine" $(KERNEL_SRC) \
			$(TOP)/kernel-patches:$(TOP)/bench-kernel/patches \
			$(TOP):$(TOP)/bench-kernel $(OVERLAY_DIRS)

kernel: $(DEPS_STAMP)
	@$(PREPARE_LINUX) && \
	HB_CC="ccache gcc" bash $(TOP)/scripts/build-kernel.sh $(KERNEL_SRC) \
		$(KERNEL_OBJ) $(KERNEL_FRAGMENTS)

# Holds the same lock: both object directories build from $(KERNEL_SRC).
kernel-debug: $(DEPS_STAMP)
	@$(PREPARE_LINUX) && \
	HB_CC="ccache gcc" bash $(TOP)/scripts/build-kernel.sh $(KERNEL_SRC) \
		$(KERNEL_DEBUG_OBJ) $(KERNEL_DEBUG_FRAGMENTS)

$(BZIMAGE):
	@$(MAKE) --no-print-directory kernel

# --- qemu --------------------------------------------------------------
# QEMU 10.0 wants meson >= 1.5: configure runs from a venv that has
# Debian 13's meson 1.7 (scripts/fetch-sources.sh meson), offline.
MESON_PYTHON := $(HB_CACHE)/src/meson-venv/bin/python3
QEMU_CONFIGURE := --target-list=x86_64-softmmu --without-default-features \
	--enable-tcg --enable-kvm --enable-fdt=system --disable-docs \
	--disable-install-blobs --disable-werror --disable-download \
	--python=$(MESON_PYTHON) --cc="ccache gcc" --cxx="ccache g++"
# scripts/patchset.py configures its per-patch QEMU check with the same flags.
export HB_QEMU_CONFIGURE := $(QEMU_CONFIGURE)

qemu: $(DEPS_STAMP)
	@$(call LOCK,qemu) && \
	echo "  QEMU    preparing $(QEMU_SRC)" && \
	pristine=$$(sh $(TOP)/scripts/fetch-sources.sh qemu) && \
		sh $(TOP)/scripts/prepare-tree.sh "$$pristine" $(QEMU_SRC) \
			$(TOP)/qemu-patches && \
	sh $(TOP)/scripts/fetch-sources.sh meson >/dev/null && \
	mkdir -p $(QEMU_OBJ) || exit 1; \
	want='$(QEMU_CONFIGURE)'; \
	if [ ! -f $(QEMU_OBJ)/build.ninja ] || \
	   [ "$$(cat $(QEMU_OBJ)/.hintbuf-configure 2>/dev/null)" != "$$want" ]; then \
		echo "  QEMU    configure (x86_64-softmmu only)"; \
		(cd $(QEMU_OBJ) && $(QEMU_SRC)/configure $(QEMU_CONFIGURE) \
			>configure.log 2>&1) || { tail -30 $(QEMU_OBJ)/configure.log; exit 1; }; \
		echo "$$want" >$(QEMU_OBJ)/.hintbuf-configure; \
	fi; \
	echo "  QEMU    ninja qemu-system-x86_64 (-j$(HB_JOBS))" && \
	rc=$(QEMU_OBJ)/.ninja-status && \
	{ ninja -C $(QEMU_OBJ) -j$(HB_JOBS) qemu-system-x86_64; echo $$? >$$rc; } | \
		awk '/^\[/ { n++; if (n % 200 == 0) { print "  QEMU    " $$1; fflush() } next } { print }'; \
	[ "$$(cat $$rc)" = 0 ] || { echo "hintbuf: QEMU build failed" >&2; exit 1; }
	@$(QEMU_BIN) --version | head -1 | sed 's/^/  QEMU    /'

$(QEMU_BIN):
	@$(MAKE) --no-print-directory qemu

# QEMU's own device test, extended by the series (qemu-patches/): only
# the virtio-balloon qtest binary is built, and it runs against our
# qemu-system-x86_64 without a guest.
QTEST_BIN := $(QEMU_OBJ)/tests/qtest/virtio-balloon-test
# The +ds source has no firmware blobs: like hintbuf.Guest, the qtest's
# QEMU gets Debian's with -L, through a wrapper whose name still ends in
# -system-x86_64, which libqtest takes the target from.
QTEST_QEMU := $(BUILD)/qtest-bin/qemu-system-x86_64

qtest: qemu
	@$(call LOCK,qemu) && \
	echo "  QTEST   ninja tests/qtest/virtio-balloon-test" && \
	ninja -C $(QEMU_OBJ) -j$(HB_JOBS) tests/qtest/virtio-balloon-test | \
		awk '/^\[/ { next } { print }'
	@mkdir -p $(dir $(QTEST_QEMU)) && \
	printf '#!/bin/sh\nexec %s -L /usr/share/qemu -L /usr/share/seabios "$$@"\n' \
		$(QEMU_BIN) >$(QTEST_QEMU) && chmod +x $(QTEST_QEMU)
	@echo "  QTEST   virtio-balloon-test"
	@cd $(QEMU_OBJ) && QTEST_QEMU_BINARY=$(QTEST_QEMU) \
		$(QTEST_BIN) --tap >$(QEMU_OBJ)/qtest.log 2>&1 || \
		{ grep -v '^ok ' $(QEMU_OBJ)/qtest.log | tail -30; \
		  echo "hintbuf: QEMU's virtio-balloon qtest failed (log:" \
			"$(QEMU_OBJ)/qtest.log); the device properties of" \
			"qemu-patches/ are broken" >&2; exit 1; }
	@grep -c '^ok ' $(QEMU_OBJ)/qtest.log | sed 's/^/  QTEST   passed: /'

# --- guest root --------------------------------------------------------
GUEST_SOURCES := $(wildcard $(TOP)/guest/*.c)
GUEST_TOOLS   := $(patsubst $(TOP)/guest/%.c,$(GUEST_BIN)/%,$(GUEST_SOURCES))

$(GUEST_BIN)/%: $(TOP)/guest/%.c $(wildcard $(TOP)/guest/*.h) $(DEPS_STAMP)
	@mkdir -p $(GUEST_BIN)
	@echo "  CC      guest/$*"
	@gcc -static -O2 -Wall -Wextra -Werror -o $@ $<

guest-tools: $(GUEST_TOOLS)

initramfs: $(INITRD)

$(INITRD): $(GUEST_TOOLS) $(TOP)/guest/init $(TOP)/scripts/mkinitramfs.sh $(DEPS_STAMP)
	@$(call LOCK,initramfs) && \
	sh $(TOP)/scripts/mkinitramfs.sh $@ $(GUEST_BIN) $(TOP)/guest/init

# The kernel's own mm selftests (tests/test_mm_selftests.py): a subset of
# build/linux's tools/testing/selftests/mm, static, in a second cpio
# appended to the initramfs (build/initramfs-mm.cpio).
MM_SELFTESTS_DIR   := $(BUILD)/mm-selftests
MM_SELFTESTS_INITRD := $(BUILD)/initramfs-mm.cpio
export HB_MM_INITRD := $(MM_SELFTESTS_INITRD)

mm-selftests: initramfs $(DEPS_STAMP)
	@[ -d $(KERNEL_SRC)/tools/testing/selftests/mm ] || { $(PREPARE_LINUX); }
	@$(call LOCK,linux) && \
	sh $(TOP)/scripts/build-mm-selftests.sh $(KERNEL_SRC) $(MM_SELFTESTS_DIR) \
		$(INITRD) $(MM_SELFTESTS_INITRD)

# --- use -------------------------------------------------------------------
run: kernel qemu initramfs
	@$(PYTHON) $(TOP)/scripts/run.py --mem $(GUEST_MEM) --cpus $(GUEST_CPUS) \
		--hint-buffer $(HINT_BUFFER) --duration $(DURATION) \
		--fill $(FILL_MIB) --reporting $(REPORTING)

# Benchmarks (Documentation/benchmarks.rst): every arm of
# benchmarks/arms.conf through every scenario of benchmarks/configs/, then
# results/<timestamp>/summary.md.  BENCH_ARGS e.g. "--arms A,B".
BENCH_ARGS ?=

bench: kernel qemu initramfs
	@$(PYTHON) $(TOP)/benchmarks/hbbench.py --mode full $(BENCH_ARGS)

bench-quick: kernel qemu initramfs
	@$(PYTHON) $(TOP)/benchmarks/hbbench.py --mode quick $(BENCH_ARGS)

# The integrity soak (Documentation/testing.rst): hb-integrity with the
# buffer on until the guest has hinted SOAK_GIB GiB, zero bad pages and a
# clean console.  Run by hand, never by make test.  SOAK_ARGS e.g.
# "--mem 1024 --buffer 128" (scripts/soak.py --help).
SOAK_GIB  ?= 100
SOAK_ARGS ?=

soak: kernel qemu initramfs
	@echo "  SOAK    hb-integrity until $(SOAK_GIB) GiB hinted"
	@$(PYTHON) $(TOP)/scripts/soak.py --gib $(SOAK_GIB) $(SOAK_ARGS)

# The upstream series (Documentation/patchset.rst), cut from the current
# files: build/patchset/linux, build/patchset/qemu, build/patchset/virtio.
# tests/test_patchset.py builds and checkpatches them one patch at a time.
patchset: $(DEPS_STAMP)
	@$(PYTHON) $(TOP)/scripts/patchset.py generate

# Debian's stock 6.1 guest kernel and an initramfs with its virtio modules,
# for the compatibility matrix (tests/test_compat.py).
STOCK_DIR := $(BUILD)/stock-kernel

stock-kernel: initramfs
	@$(call LOCK,stock-kernel) && \
	sh $(TOP)/scripts/stock-kernel.sh $(STOCK_DIR) $(INITRD)

test: kernel kernel-debug qemu qtest initramfs mm-selftests stock-kernel
	@echo "  TEST    pytest tests/ (every guest under TCG unless KVM boots)"
	@$(PYTHON) -m pytest -v -rs $(PYTEST_ARGS) $(TESTS)

# Python lint first: a name that does not exist fails in seconds, not
# after a guest has booted.
PY_LINT := $(TOP)/python $(TOP)/tests $(TOP)/benchmarks $(TOP)/scripts

lint: $(DEPS_STAMP)
	@echo "  LINT    pyflakes3 python/ tests/ benchmarks/ scripts/"
	@pyflakes3 $(PY_LINT)

check: lint kernel qemu initramfs
	@$(PYTHON) -m pytest -v -rs -m "not slow" $(PYTEST_ARGS) $(TESTS)

clean:
	rm -rf $(BUILD)

distclean: clean
	rm -rf $(HB_CACHE)/src
	@echo "ccache and deps stamp kept in $(HB_CACHE)"
