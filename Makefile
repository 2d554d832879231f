# SPDX-License-Identifier: GPL-2.0
#
# hintbuf: host-reserved reporting buffer for free page reporting.
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
## HB_CACHE: pristine sources and ccache, shared by the clones
HB_CACHE ?= /var/cache/hintbuf
## HB_JOBS: parallel build jobs
HB_JOBS  ?= $(shell nproc)

export HB_CACHE HB_JOBS
export CCACHE_DIR      ?= $(HB_CACHE)/ccache
export CCACHE_BASEDIR  := $(TOP)
export CCACHE_NOHASHDIR := 1
export CCACHE_MAXSIZE  ?= 10G

# Guest and run-time knobs (see README and `make help`).
## GUEST_MEM: guest RAM in MiB (make run)
GUEST_MEM   ?= 1024
## GUEST_CPUS: guest CPUs (make run)
GUEST_CPUS  ?= 2
## REPORTING_BUFFER: reporting buffer in MiB, 0 = none (make run)
REPORTING_BUFFER ?= 0
## DURATION: seconds (make run)
DURATION    ?= 60
## FILL_MIB: MiB the guest fills and frees (make run)
FILL_MIB    ?= 512
## REPORTING: free page reporting on|off (make run)
REPORTING   ?= on
## PYTEST_ARGS: extra pytest arguments (make test, make check)
PYTEST_ARGS ?=
## TESTS: what make test and make check run: a directory, files or node ids
TESTS       ?= $(TOP)/tests
# Debian's interpreter: python3-pytest is installed for it, whatever
# python3 comes first on PATH.
## PYTHON: the interpreter Debian installs python3-pytest for
PYTHON      ?= /usr/bin/python3

KERNEL_OBJ  := $(BUILD)/kernel
KERNEL_SRC  := $(BUILD)/linux
BZIMAGE     := $(KERNEL_OBJ)/arch/x86/boot/bzImage
QEMU_SRC    := $(BUILD)/qemu
QEMU_OBJ    := $(BUILD)/qemu-build
QEMU_BIN    := $(QEMU_OBJ)/qemu-system-x86_64
INITRD      := $(BUILD)/initramfs.cpio
GUEST_BIN   := $(BUILD)/guest-bin

KERNEL_FRAGMENTS := $(TOP)/config/kernel-guest.config $(TOP)/config/kernel-reporting-buffer.config
# The debug kernel: the same fragments plus the checkers
# (docs/reliability-notes.rst), built from the same source tree.
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

# `make help` and .PHONY are read from this file: a "## text" comment on
# a target's rule line documents it and makes it phony (every target named
# here is a command, none a file), a "## VAR: text" line above a variable
# documents the variable.  So the help cannot list a target that does not
# exist, and .PHONY names only real targets.
MAKEFILE    := $(firstword $(MAKEFILE_LIST))
HELP_TARGETS := $(shell sed -n 's/^\([a-z][a-z-]*\):.* \#\# .*/\1/p' $(MAKEFILE))
HELP_VARS    := $(shell sed -n 's/^\#\# \([A-Z_]*\): .*/\1/p' $(MAKEFILE))

.PHONY: $(HELP_TARGETS)

help: ## this list, read from the comments of the Makefile
	@sed -n 's/^#   //p' $(MAKEFILE)
	@echo
	@echo "targets:"
	@sed -n 's/^\([a-z][a-z-]*\):.* ## \(.*\)/\1\t\2/p' $(MAKEFILE) | \
		awk -F'\t' '{ printf "  %-14s %s\n", $$1, $$2 }'
	@echo
	@echo "variables (current value):"
	@$(foreach v,$(HELP_VARS),HBV_$(v)='$($(v))') \
		awk '/^## [A-Z_]+: / { n = $$2; sub(/:$$/, "", n); d = $$0; \
			sub(/^## [A-Z_]+: /, "", d); \
			printf "  %-28s %s\n", n "=" ENVIRON["HBV_" n], d }' $(MAKEFILE)

# Every host command the build, the tests and the benchmarks run, and the
# Python modules they import: `make deps` checks them each time, so a
# package left out of DEB_PACKAGES fails here, naming the command.
HOST_COMMANDS := apt-cache apt-get awk bc bison busybox ccache cpio \
	dpkg-deb dpkg-source flex flock gcc git ldd make mkfs.ext2 \
	modinfo ninja perf perl pkg-config pyflakes3 python3 qemu-system-x86_64 rsync \
	sha1sum sha256sum stress-ng tar xz
PY_MODULES := pytest pytest_timeout scipy matplotlib

deps: $(DEPS_STAMP) ## install the Debian packages, check every host command
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

all: kernel qemu initramfs ## kernel, QEMU and initramfs

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

kernel: $(DEPS_STAMP) ## the guest kernel (build/kernel)
	@$(PREPARE_LINUX) && \
	HB_CC="ccache gcc" bash $(TOP)/scripts/build-kernel.sh $(KERNEL_SRC) \
		$(KERNEL_OBJ) $(KERNEL_FRAGMENTS)

# Holds the same lock: both object directories build from $(KERNEL_SRC).
kernel-debug: $(DEPS_STAMP) ## the debug kernel: KASAN, lockdep, DEBUG_VM... (build/kernel-debug)
	@$(PREPARE_LINUX) && \
	HB_CC="ccache gcc" bash $(TOP)/scripts/build-kernel.sh $(KERNEL_SRC) \
		$(KERNEL_DEBUG_OBJ) $(KERNEL_DEBUG_FRAGMENTS)

$(BZIMAGE):
	@$(MAKE) --no-print-directory kernel

# --- qemu --------------------------------------------------------------
# QEMU 10.0 wants meson >= 1.5: configure runs from a venv that has
# Debian 13's meson 1.7 (scripts/fetch-sources.sh meson), offline.
# scripts/build-qemu.sh configures with these flags and rebuilds.
MESON_PYTHON := $(HB_CACHE)/src/meson-venv/bin/python3
QEMU_CONFIGURE := --target-list=x86_64-softmmu --without-default-features \
	--enable-tcg --enable-kvm --enable-fdt=system --disable-docs \
	--disable-install-blobs --disable-werror --disable-download \
	--python=$(MESON_PYTHON) --cc="ccache gcc" --cxx="ccache g++"
# scripts/patchset.py configures its per-patch QEMU check with the same flags.
export HB_QEMU_CONFIGURE := $(QEMU_CONFIGURE)

qemu: $(DEPS_STAMP) ## QEMU with qemu-patches/ (build/qemu-build, scripts/build-qemu.sh)
	@$(call LOCK,qemu) && \
	echo "  QEMU    preparing $(QEMU_SRC)" && \
	pristine=$$(sh $(TOP)/scripts/fetch-sources.sh qemu) && \
		sh $(TOP)/scripts/prepare-tree.sh "$$pristine" $(QEMU_SRC) \
			$(TOP)/qemu-patches && \
	bash $(TOP)/scripts/build-qemu.sh $(QEMU_SRC) $(QEMU_OBJ) qemu-system-x86_64

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

qtest: qemu ## QEMU's virtio-balloon qtest, extended by the series
	@$(call LOCK,qemu) && \
	bash $(TOP)/scripts/build-qemu.sh $(QEMU_SRC) $(QEMU_OBJ) \
		tests/qtest/virtio-balloon-test
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

guest-tools: $(GUEST_TOOLS) ## the static guest tools (build/guest-bin)

initramfs: $(INITRD) ## the guest root (build/initramfs.cpio)

$(INITRD): $(GUEST_TOOLS) $(TOP)/guest/init $(TOP)/scripts/mkinitramfs.sh $(DEPS_STAMP)
	@$(call LOCK,initramfs) && \
	sh $(TOP)/scripts/mkinitramfs.sh $@ $(GUEST_BIN) $(TOP)/guest/init

# The kernel's own mm selftests (tests/test_mm_selftests.py): a subset of
# build/linux's tools/testing/selftests/mm, static, in a second cpio
# appended to the initramfs (build/initramfs-mm.cpio).
MM_SELFTESTS_DIR   := $(BUILD)/mm-selftests
MM_SELFTESTS_INITRD := $(BUILD)/initramfs-mm.cpio
export HB_MM_INITRD := $(MM_SELFTESTS_INITRD)

mm-selftests: initramfs $(DEPS_STAMP) ## the kernel's mm selftests, appended to the initramfs
	@[ -d $(KERNEL_SRC)/tools/testing/selftests/mm ] || { $(PREPARE_LINUX); }
	@$(call LOCK,linux) && \
	sh $(TOP)/scripts/build-mm-selftests.sh $(KERNEL_SRC) $(MM_SELFTESTS_DIR) \
		$(INITRD) $(MM_SELFTESTS_INITRD)

# --- use -------------------------------------------------------------------
run: kernel qemu initramfs ## boot a guest, show a live table (GUEST_MEM, REPORTING_BUFFER, ...)
	@$(PYTHON) $(TOP)/scripts/run.py --mem $(GUEST_MEM) --cpus $(GUEST_CPUS) \
		--reporting-buffer $(REPORTING_BUFFER) --duration $(DURATION) \
		--fill $(FILL_MIB) --reporting $(REPORTING)

# Benchmarks (docs/benchmarks.rst): every arm of
# benchmarks/arms.conf through every scenario of benchmarks/configs/, then
# results/<timestamp>/summary.md.  BENCH_ARGS e.g. "--arms A,B".
## BENCH_ARGS: extra hbbench.py arguments, e.g. "--arms A,B" (make bench)
BENCH_ARGS ?=

bench: kernel qemu initramfs ## every benchmark arm and scenario, report in results/ (BENCH_ARGS)
	@$(PYTHON) $(TOP)/benchmarks/hbbench.py --mode full $(BENCH_ARGS)

bench-quick: kernel qemu initramfs ## one repetition of each, under 10 minutes
	@$(PYTHON) $(TOP)/benchmarks/hbbench.py --mode quick $(BENCH_ARGS)

# The integrity soak (docs/testing.rst): hb-integrity with the
# buffer on until the guest has hinted SOAK_GIB GiB, zero bad pages and a
# clean console.  Run by hand, never by make test.  SOAK_ARGS e.g.
# "--mem 1024 --buffer 128" (scripts/soak.py --help).
## SOAK_GIB: GiB hinted by make soak
SOAK_GIB  ?= 100
## SOAK_ARGS: extra soak.py arguments, e.g. "--mem 1024 --buffer 128"
SOAK_ARGS ?=

soak: kernel qemu initramfs ## integrity soak until SOAK_GIB GiB hinted (by hand only)
	@echo "  SOAK    hb-integrity until $(SOAK_GIB) GiB hinted"
	@$(PYTHON) $(TOP)/scripts/soak.py --gib $(SOAK_GIB) $(SOAK_ARGS)

# The upstream series (docs/patchset.rst), cut from the current
# files: build/patchset/linux, build/patchset/qemu, build/patchset/virtio.
# tests/test_patchset.py builds and checkpatches them one patch at a time.
patchset: $(DEPS_STAMP) ## the upstream series in build/patchset
	@$(PYTHON) $(TOP)/scripts/patchset.py generate

# Debian's stock 6.1 guest kernel and an initramfs with its virtio modules,
# for the compatibility matrix (tests/test_compat.py).
STOCK_DIR := $(BUILD)/stock-kernel

stock-kernel: initramfs ## Debian's stock 6.1 guest kernel, for tests/test_compat.py
	@$(call LOCK,stock-kernel) && \
	sh $(TOP)/scripts/stock-kernel.sh $(STOCK_DIR) $(INITRD)

# docs/reliability.rst is generated from the tests' ids, docstrings and
# markers (scripts/reliability.py), so that it cannot drift: make check
# and make test fail when the committed file differs.  Collecting the
# tests runs QEMU (some modules probe it on import), hence the binary.
reliability: $(QEMU_BIN) ## regenerate docs/reliability.rst from the tests
	@$(PYTHON) $(TOP)/scripts/reliability.py

RELIABILITY_CHECK = $(PYTHON) $(TOP)/scripts/reliability.py --check

test: kernel kernel-debug qemu qtest initramfs mm-selftests stock-kernel ## build everything, run every test (what CI runs)
	@$(RELIABILITY_CHECK)
	@echo "  TEST    pytest tests/ (every guest under TCG unless KVM boots)"
	@$(PYTHON) -m pytest -v -rs $(PYTEST_ARGS) $(TESTS)

# Python lint first: a name that does not exist fails in seconds, not
# after a guest has booted.
PY_LINT := $(TOP)/python $(TOP)/tests $(TOP)/benchmarks $(TOP)/scripts

lint: $(DEPS_STAMP) ## pyflakes3 over python/, tests/, benchmarks/, scripts/
	@echo "  LINT    pyflakes3 python/ tests/ benchmarks/ scripts/"
	@pyflakes3 $(PY_LINT)

check: lint kernel qemu initramfs ## lint, build, then the quick tests only
	@$(RELIABILITY_CHECK)
	@$(PYTHON) -m pytest -v -rs -m "not slow" $(PYTEST_ARGS) $(TESTS)

clean: ## remove build/
	rm -rf $(BUILD)

distclean: clean ## also the pristine sources in HB_CACHE (ccache kept)
	rm -rf $(HB_CACHE)/src
	@echo "ccache and deps stamp kept in $(HB_CACHE)"
