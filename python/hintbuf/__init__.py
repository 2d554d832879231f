# SPDX-License-Identifier: GPL-2.0
"""hintbuf's host-side library: guests, readers of guest /proc and sysfs
files, and the checks the tests, the benchmarks and `make run` share.

QEMU's own Python packages (qemu.machine, qemu.qmp) come from the QEMU
source tree the build unpacks (make qemu): this is the one place that
puts them on the path, so nothing else edits sys.path.
"""

import os
import re
import subprocess
import sys
import time

# The directory holding this package: PYTHONPATH for a child Python.
PYTHON_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TOP = os.path.dirname(PYTHON_DIR)
BUILD = os.path.join(TOP, "build")

QEMU_PYTHON = os.environ.get("HB_QEMU_PYTHON",
                             os.path.join(BUILD, "qemu", "python"))
if QEMU_PYTHON not in sys.path:
    sys.path.append(QEMU_PYTHON)

KERNEL = os.environ.get("HB_KERNEL",
                        os.path.join(BUILD, "kernel/arch/x86/boot/bzImage"))
# The debug kernel (make kernel-debug, config/kernel-debug.config).
KERNEL_DEBUG = os.environ.get(
    "HB_KERNEL_DEBUG", os.path.join(BUILD, "kernel-debug/arch/x86/boot/bzImage"))
INITRD = os.environ.get("HB_INITRD", os.path.join(BUILD, "initramfs.cpio"))
QEMU = os.environ.get("HB_QEMU",
                      os.path.join(BUILD, "qemu-build/qemu-system-x86_64"))
STOCK_QEMU = "/usr/bin/qemu-system-x86_64"

MIB = 1 << 20
PAGE = 4096

# The buffer's state and counters (read-only), and its knobs: module
# parameters, page_reporting.delay_ms among page reporting's own.
BUFFER_SYSFS = "/sys/kernel/mm/page_reporting_buffer"
PARAM_DIRS = {"page_reporting_buffer":
              "/sys/module/page_reporting_buffer/parameters",
              "page_reporting": "/sys/module/page_reporting/parameters"}


def param_path(name):
    """The sysfs file of a parameter given as on the command line,
    "page_reporting_buffer.capacity" or "page_reporting.delay_ms"."""
    module, _, param = name.partition(".")
    return "%s/%s" % (PARAM_DIRS[module], param)

# QOM path of the guest's virtio-balloon-pci (Guest gives it id=balloon).
BALLOON_QOM = "/machine/peripheral/balloon"

VIRTIO_ID_BALLOON = 5
VIRTIO_BALLOON_F_REPORTING = 5
VIRTIO_BALLOON_F_REPORTING_BUFFER = 9


def wait_until(fn, seconds, want=None, ok=None, step=0.2):
    """Call fn() until its value is done or seconds have passed; return
    the last value, so that the caller's assertion shows what it saw.
    Done: ok(value) if ok is given, value == want if want is, else a true
    value."""
    if ok is None:
        ok = bool if want is None else (lambda got: got == want)
    deadline = time.monotonic() + seconds
    while True:
        got = fn()
        if ok(got) or time.monotonic() > deadline:
            return got
        time.sleep(step)


def kernel_config(kernel=None):
    """The .config a guest kernel (default KERNEL) was built with ("" if
    unknown)."""
    path = os.path.join(os.path.dirname(kernel or KERNEL), "../../../.config")
    try:
        with open(os.path.normpath(path)) as f:
            return f.read()
    except OSError:
        return ""


def kernel_has(symbol, kernel=None):
    """Whether the guest kernel was built with symbol=y."""
    return re.search("^%s=y$" % symbol, kernel_config(kernel),
                     re.M) is not None


_balloon_props = {}


def balloon_properties(qemu=None):
    """Property names virtio-balloon-pci has in this QEMU binary."""
    qemu = qemu or QEMU
    if qemu not in _balloon_props:
        out = subprocess.run([qemu, "-device", "virtio-balloon-pci,help"],
                             capture_output=True, text=True)
        _balloon_props[qemu] = {
            line.strip().split("=<", 1)[0]
            for line in (out.stdout + out.stderr).splitlines()
            if "=<" in line}
    return _balloon_props[qemu]


from .guest import Guest, GuestError, probe_accel  # noqa: E402
from . import kreport  # noqa: E402
from .kreport import console_reports  # noqa: E402
from . import readers  # noqa: E402

__all__ = ["Guest", "GuestError", "probe_accel", "kreport", "console_reports",
           "readers", "wait_until", "kernel_config", "kernel_has",
           "balloon_properties"]
