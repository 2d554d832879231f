# SPDX-License-Identifier: GPL-2.0
"""Compatibility matrix: {our kernel, Debian's stock 6.1 kernel} x {our
QEMU, Debian's stock QEMU 7.2} x {reporting-buffer set, unset}.

Every pair boots, negotiates exactly what both sides support (the guest's
negotiated feature bits, from its sysfs), and free page reporting still
returns freed memory to the host (the QEMU process's RSS).  Stock QEMU has
no reporting-buffer property, so asking it for one must fail at start.
"""

import os
import re

import pytest

import hintbuf
from hintbuf import VIRTIO_BALLOON_F_REPORTING_BUFFER, VIRTIO_BALLOON_F_REPORTING

STOCK_DIR = os.path.join(hintbuf.BUILD, "stock-kernel")
STOCK_KERNEL = os.environ.get("HB_STOCK_KERNEL",
                              os.path.join(STOCK_DIR, "vmlinuz"))
STOCK_INITRD = os.environ.get("HB_STOCK_INITRD",
                              os.path.join(STOCK_DIR, "initramfs.cpio"))

GUEST_MIB = 1024
BUFFER_MIB = 128
FILL_MIB = 384
# Stock reporting waits 2 s before a pass; a TCG guest reports 384 MiB in
# a few more.  A deadline, not a speed target: the wait ends as soon as
# the drop is reached, so only a failing run pays for its length.
WINDOW_S = 60.0

KERNELS = {"ours": (hintbuf.KERNEL, hintbuf.INITRD),
           "stock-6.1": (STOCK_KERNEL, STOCK_INITRD)}
QEMUS = {"ours": hintbuf.QEMU, "stock-7.2": hintbuf.STOCK_QEMU}

pytestmark = pytest.mark.slow


def stock_version():
    try:
        with open(os.path.join(STOCK_DIR, "version")) as f:
            return f.read().strip()
    except OSError:
        return "unknown"


@pytest.mark.parametrize("buffer", ["buffer", "no-buffer"])
@pytest.mark.parametrize("qemu", list(QEMUS))
@pytest.mark.parametrize("kernel", list(KERNELS))
def test_matrix(make_guest, kernel, qemu, buffer):
    """Every pairing of our and stock kernels with our and stock QEMU, with
    and without a buffer, boots and negotiates what both sides support."""
    kpath, initrd = KERNELS[kernel]
    for path in (kpath, initrd, QEMUS[qemu]):
        if not os.path.exists(path):
            pytest.fail("%s missing: make test builds it (make stock-kernel)"
                        % path)
    balloon = {"free-page-reporting": "on"}
    if buffer == "buffer":
        balloon["reporting-buffer"] = "%dM" % BUFFER_MIB
    kw = dict(name="%s-%s-%s" % (kernel, qemu, buffer), kernel=kpath,
              initrd=initrd, qemu=QEMUS[qemu], balloon=balloon,
              mem_mib=GUEST_MIB + (BUFFER_MIB if buffer == "buffer" else 0))

    if buffer == "buffer" and qemu == "stock-7.2":
        # Nothing to negotiate: the stock device has no such property, and
        # QEMU must say so rather than start without the buffer.
        g = make_guest(start=False, **kw)
        with pytest.raises(hintbuf.GuestError) as err:
            g.start()
        # QEMU's own words, carried by the error: the exit status and the
        # property it does not know.
        assert "QEMU exited with status 1" in str(err.value), err.value
        assert re.search(r"[Pp]roperty '[\w.-]*reporting-buffer' not found",
                         str(err.value)), err.value
        return

    g = make_guest(**kw)
    print("guest kernel %s" % g.out("uname -r").strip()
          + ("" if kernel == "ours" else " (%s)" % stock_version()))
    feats = g.balloon_features()
    assert feats[VIRTIO_BALLOON_F_REPORTING] == "1"
    both = kernel == "ours" and qemu == "ours" and buffer == "buffer"
    assert feats[VIRTIO_BALLOON_F_REPORTING_BUFFER] == ("1" if both else "0")

    has_sysfs = g.run("test -d " + hintbuf.BUFFER_SYSFS, check=False)[0] == 0
    assert has_sysfs == (kernel == "ours")
    if has_sysfs:
        held = g.buffer_counters()["owned_pages"] * 4096
        assert held == (BUFFER_MIB << 20 if both else 0)
    if qemu == "ours":
        actual = g.qom("reporting-buffer-actual")
        assert actual == (BUFFER_MIB << 20 if both else 0)

    want = FILL_MIB * 1024 * 8 // 10
    peak = g.fill_and_free(FILL_MIB)
    drop = g.rss_drop_within(peak, WINDOW_S, want)
    print("%s kernel, %s QEMU, %s: RSS drop %d of %d MiB freed"
          % (kernel, qemu, buffer, drop // 1024, FILL_MIB))
    assert drop >= want
