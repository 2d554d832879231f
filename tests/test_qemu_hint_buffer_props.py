# SPDX-License-Identifier: GPL-2.0
"""QEMU refuses bad hint-buffer settings at start, naming the property.

Run against our QEMU only: the property does not exist in Debian's."""

import subprocess

import pytest

import hbvm


def start_qemu(balloon_props, mem="1024M", seconds=3):
    """(exit status or None if still running after seconds, stderr)."""
    args = [hbvm.QEMU, "-accel", "tcg", "-m", mem, "-nodefaults",
            "-no-user-config", "-display", "none", "-S",
            "-device", "virtio-balloon-pci," + balloon_props]
    for d in hbvm.FIRMWARE_DIRS:
        args += ["-L", d]
    p = subprocess.Popen(args, stdin=subprocess.DEVNULL,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True)
    try:
        _, err = p.communicate(timeout=seconds)
        return p.returncode, err
    except subprocess.TimeoutExpired:
        p.kill()
        _, err = p.communicate()
        return None, err


pytestmark = pytest.mark.skipif("hint-buffer" not in hbvm.balloon_properties(),
                                reason="QEMU without the hint-buffer series")


@pytest.mark.parametrize("props,why", [
    ("hint-buffer=64M", "needs free-page-reporting"),
    ("free-page-reporting=on,hint-buffer=1024M", "as large as guest RAM"),
    ("free-page-reporting=on,hint-buffer=2G", "larger than guest RAM"),
    ("free-page-reporting=on,hint-buffer=1000", "not a multiple of 4 KiB"),
    ("free-page-reporting=on,hint-buffer=-1", "negative"),
    ("free-page-reporting=on,hint-buffer=lots", "not a size"),
])
def test_bad_hint_buffer_refused(props, why):
    rc, err = start_qemu(props)
    assert rc is not None and rc != 0, "QEMU accepted %s (%s)" % (props, why)
    assert "hint-buffer" in err, "error does not name the property: %r" % err


def test_good_hint_buffer_accepted():
    rc, err = start_qemu("free-page-reporting=on,hint-buffer=64M")
    assert rc is None, "QEMU refused a valid hint-buffer: %r" % err
