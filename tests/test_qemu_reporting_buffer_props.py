# SPDX-License-Identifier: GPL-2.0
"""QEMU refuses bad reporting-buffer settings at start, naming the property.

Run against our QEMU only: the property does not exist in Debian's."""

import subprocess

import pytest

import hintbuf


def start_qemu(balloon_props, mem="1024M", seconds=3):
    """(exit status or None if still running after seconds, stderr)."""
    args = [hintbuf.QEMU, "-accel", "tcg", "-m", mem, "-nodefaults",
            "-no-user-config", "-display", "none", "-S",
            "-device", "virtio-balloon-pci," + balloon_props]
    for d in hintbuf.guest.FIRMWARE_DIRS:
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


pytestmark = pytest.mark.needs_qemu_prop("reporting-buffer")


@pytest.mark.parametrize("props,why", [
    ("reporting-buffer=64M", "needs free-page-reporting"),
    ("free-page-reporting=on,reporting-buffer=1024M", "as large as guest RAM"),
    ("free-page-reporting=on,reporting-buffer=2G", "larger than guest RAM"),
    ("free-page-reporting=on,reporting-buffer=1000", "not a multiple of 4 KiB"),
    ("free-page-reporting=on,reporting-buffer=-1", "negative"),
    ("free-page-reporting=on,reporting-buffer=lots", "not a size"),
    ("free-page-reporting=on,reporting-buffer=", "empty"),
    ("free-page-reporting=on,reporting-buffer=99999999999999999999", "overflows"),
    ("free-page-reporting=on,reporting-buffer=0x1000x", "trailing garbage"),
    ("free-page-reporting=on,reporting-buffer=16T", "far larger than guest RAM"),
])
def test_bad_reporting_buffer_refused(props, why):
    """QEMU refuses a bad reporting-buffer value at start, naming the property."""
    rc, err = start_qemu(props)
    assert rc is not None and rc != 0, "QEMU accepted %s (%s)" % (props, why)
    assert "reporting-buffer" in err, "error does not name the property: %r" % err


def test_good_reporting_buffer_accepted():
    """QEMU starts with a valid reporting-buffer."""
    rc, err = start_qemu("free-page-reporting=on,reporting-buffer=64M")
    assert rc is None, "QEMU refused a valid reporting-buffer: %r" % err


@pytest.mark.parametrize("prop,value,why", [
    ("x-report-latency", "60001", "above the 60000 ms ceiling"),
    ("x-report-latency", "-1", "negative"),
    ("x-report-latency", "abc", "not a number"),
    ("x-report-latency", "", "empty"),
    ("x-report-latency", "4294967296", "overflows uint32"),
    ("x-report-latency", "99999999999999999999", "overflows uint64"),
    ("x-report-stall", "maybe", "not a bool"),
    ("x-report-stall", "2", "not a bool"),
    ("x-report-stall", "", "empty"),
    ("x-reporting-buffer-pages", "4096", "no reporting-buffer to stand in for"),
    ("x-reporting-buffer-pages", "4294967296", "overflows uint32"),
    ("x-offer-bit6", "maybe", "not a bool"),
])
def test_bad_experimental_props_refused(prop, value, why):
    """QEMU refuses bad values of the experimental x-* balloon properties,
    naming the property."""
    if prop not in hintbuf.balloon_properties():
        pytest.skip("QEMU without %s" % prop)
    props = "free-page-reporting=on,%s=%s" % (prop, value)
    rc, err = start_qemu(props)
    assert rc is not None and rc != 0, "QEMU accepted %s (%s)" % (props, why)
    assert prop in err, "error does not name the property: %r" % err
