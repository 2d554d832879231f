# SPDX-License-Identifier: GPL-2.0
"""End to end: a 1 GiB guest plus a 256 MiB host-reserved hinting buffer.

Measured from outside the code under test: the QEMU process's RSS, the
device's view of hint_buffer_actual over QMP, and the guest's sysfs.
"""

import time

import pytest

import hbvm

MIB = 1 << 20
BASE_MIB = 1024
BUFFER_MIB = 256

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not hbvm.kernel_has("CONFIG_PAGE_HINTING"),
                       reason="kernel without CONFIG_PAGE_HINTING"),
    pytest.mark.skipif("hint-buffer" not in hbvm.balloon_properties(),
                       reason="QEMU without the hint-buffer series"),
]


def qom(g, prop):
    return g.qmp.execute("qom-get", path="/machine/peripheral/balloon",
                         property=prop)


def wait_actual(g, want_bytes, seconds=30.0):
    """Poll hint-buffer-actual until it equals want_bytes; return it."""
    deadline = time.monotonic() + seconds
    actual = qom(g, "hint-buffer-actual")
    while actual != want_bytes and time.monotonic() < deadline:
        time.sleep(0.25)
        actual = qom(g, "hint-buffer-actual")
    return actual


def buffer_guest(make_guest, name, buffer_mib, append=""):
    return make_guest(name=name, mem_mib=BASE_MIB + buffer_mib, append=append,
                      balloon={"free-page-reporting": "on",
                               "hint-buffer": "%dM" % buffer_mib})


def test_buffer_costs_host_nothing(make_guest):
    """The buffer is held by the guest and not resident on the host.

    Compared with the same VM whose guest declines the buffer
    (page_hinting.enable=0): same RAM, same boot, so any difference in
    the QEMU process's RSS is what holding the buffer costs.
    """
    g = buffer_guest(make_guest, "buffer", BUFFER_MIB)
    assert wait_actual(g, BUFFER_MIB * MIB) == BUFFER_MIB * MIB
    assert g.hinting_counters()["buffer_pages"] * 4096 == BUFFER_MIB * MIB
    mem = g.meminfo()
    # The buffer is the host's: like inflated balloon pages it is not in
    # MemTotal, so the guest sees the memory it can use.
    assert mem["MemTotal"] <= BASE_MIB * 1024
    assert mem["MemFree"] < BASE_MIB * 1024
    rss_buffer = g.settle_rss()
    g.close()

    same = buffer_guest(make_guest, "declined", BUFFER_MIB,
                        append="page_hinting.enable=0")
    assert wait_actual(same, 0, 30) == 0
    total_same = same.meminfo()["MemTotal"]
    print("MemTotal %d KiB holding the buffer, %d KiB without"
          % (mem["MemTotal"], total_same))
    # Same VM, same boot-time reservations: exactly the buffer apart.
    assert total_same - mem["MemTotal"] == BUFFER_MIB * 1024
    rss_same = same.settle_rss()
    print("RSS after boot: %d MiB holding a %d MiB buffer, %d MiB without"
          % (rss_buffer >> 10, BUFFER_MIB, rss_same >> 10))
    # A resident buffer would add all of BUFFER_MIB.  Two boots of the
    # same VM differ by up to ~25 MiB here (when stock reporting gets to
    # the freed initramfs, per-CPU lists), so allow a quarter of it.
    assert rss_buffer - rss_same < BUFFER_MIB * 1024 // 4


def test_grown_buffer_is_discarded(make_guest):
    """Memory the buffer takes at run time leaves the host's RSS.

    Stock reporting is held off (long delay), so only the buffer's own
    report of what it takes can discard the memory the guest dirtied.
    """
    g = buffer_guest(make_guest, "grow", BUFFER_MIB,
                     append="page_hinting.delay_ms=60000")
    assert wait_actual(g, BUFFER_MIB * MIB) == BUFFER_MIB * MIB
    g.qmp.execute("qom-set", path="/machine/peripheral/balloon",
                  property="hint-buffer", value=64 * MIB)
    assert wait_actual(g, 64 * MIB, 60) == 64 * MIB
    # Dirty most of the guest, free it, then grow the buffer back.
    out = g.out("hb-mem hold 900 0", timeout=300)
    assert "touched 900" in out
    peak = g.rss_kib()
    g.qmp.execute("qom-set", path="/machine/peripheral/balloon",
                  property="hint-buffer", value=BUFFER_MIB * MIB)
    assert wait_actual(g, BUFFER_MIB * MIB, 60) == BUFFER_MIB * MIB
    grown = (BUFFER_MIB - 64) * 1024
    drop = g.rss_drop_within(peak, 60, grown * 8 // 10)
    print("buffer grown by %d MiB: RSS fell by %d MiB" % (
        grown >> 10, drop >> 10))
    assert drop >= grown * 8 // 10


def test_resize_and_return(make_guest):
    g = buffer_guest(make_guest, "resize", BUFFER_MIB)
    assert wait_actual(g, BUFFER_MIB * MIB) == BUFFER_MIB * MIB
    for mib in (128, 192):
        g.qmp.execute("qom-set", path="/machine/peripheral/balloon",
                      property="hint-buffer", value=mib * MIB)
        assert wait_actual(g, mib * MIB, 60) == mib * MIB
        assert g.hinting_counters()["buffer_pages"] * 4096 == mib * MIB

    # Freed memory still goes back to the host with the buffer on.
    peak = g.fill_and_free(512)
    want = 512 * 1024 * 8 // 10
    drop = g.rss_drop_within(peak, 60, want)
    print("with the buffer: RSS fell by %d MiB after freeing 512 MiB"
          % (drop >> 10))
    assert drop >= want
    assert qom(g, "discarded-bytes") > 0
