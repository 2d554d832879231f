# SPDX-License-Identifier: GPL-2.0
"""End to end: a 1 GiB guest plus a 256 MiB host-reserved reporting buffer.

A zone can use at most 128 MiB of buffer (one batch of 32 order-10
chunks is out at a time), so the guest has two NUMA nodes of 640 MiB,
each a DMA32 zone that takes half of the buffer.

Measured from outside the code under test: the QEMU process's RSS, the
device's view of reporting_buffer_actual over QMP, and the guest's sysfs.
"""


import pytest

import hintbuf
from hintbuf import MIB
from hintbuf import wait_until

BASE_MIB = 1024
BUFFER_MIB = 256

pytestmark = [
    pytest.mark.slow,
    pytest.mark.needs_kconfig("CONFIG_PAGE_REPORTING_BUFFER"),
    pytest.mark.needs_qemu_prop("reporting-buffer"),
]


# pageblock_order is 9 on x86-64 with THP: the buffer's unit
BLOCK_PAGES = 512


def offline_pages(g):
    """(pages, whole blocks, partial blocks) marked offline in
    /proc/kpageflags."""
    f = g.out("hb-mem offline %d" % BLOCK_PAGES).split()
    assert f[0::2] == ["offline", "blocks", "partial"], f
    return tuple(int(x) for x in f[1::2])


def two_nodes(mem_mib):
    """QEMU arguments splitting mem_mib MiB over two NUMA nodes, one CPU
    each: one socket a node, since cores of one socket share a cache and
    the kernel warns (topology_sane) when they are on different nodes."""
    half = mem_mib // 2
    return ["-smp", "2,sockets=2,cores=1,threads=1",
            "-object", "memory-backend-ram,id=m0,size=%dM" % half,
            "-object", "memory-backend-ram,id=m1,size=%dM" % (mem_mib - half),
            "-numa", "node,nodeid=0,cpus=0,memdev=m0",
            "-numa", "node,nodeid=1,cpus=1,memdev=m1"]


def offline_settled(g, want, seconds=20):
    """offline_pages() once it equals want, else its last value: a swap
    in flight (a free in the background) holds one chunk out of the
    buffer, and reading /proc/kpageflags races the swaps."""
    return wait_until(lambda: offline_pages(g), seconds, want=want, step=0.5)


def buffer_guest(make_guest, name, buffer_mib, append="", nodes=2):
    mem = BASE_MIB + buffer_mib
    return make_guest(name=name, mem_mib=mem, append=append,
                      extra_args=two_nodes(mem) if nodes == 2 else [],
                      balloon={"free-page-reporting": "on",
                               "reporting-buffer": "%dM" % buffer_mib})


def test_buffer_costs_host_nothing(make_guest):
    """The buffer is held by the guest and not resident on the host.

    Compared with the same VM whose guest declines the buffer
    (page_reporting_buffer.enable=0): same RAM, same boot, so any difference in
    the QEMU process's RSS is what holding the buffer costs.
    """
    g = buffer_guest(make_guest, "buffer", BUFFER_MIB)
    assert wait_until(g.buffer_actual, 30, want=BUFFER_MIB * MIB) == \
        BUFFER_MIB * MIB
    assert g.buffer_counters()["owned_pages"] * 4096 == BUFFER_MIB * MIB
    mem = g.meminfo()
    # The buffer is the host's: like inflated balloon pages it is not in
    # MemTotal, so the guest sees the memory it can use.
    assert mem["MemTotal"] <= BASE_MIB * 1024
    assert mem["MemFree"] < BASE_MIB * 1024
    # Held as the balloon holds memory: every page PageOffline, in whole
    # pageblocks, so dump tools and /proc/kcore skip it.
    pages = BUFFER_MIB * MIB // 4096
    want = (pages, pages // BLOCK_PAGES, 0)
    assert offline_settled(g, want) == want
    rss_buffer = g.settle_rss()
    g.close()

    same = buffer_guest(make_guest, "declined", BUFFER_MIB,
                        append="page_reporting_buffer.enable=0")
    assert wait_until(same.buffer_actual, 30, want=0) == 0
    assert offline_pages(same) == (0, 0, 0)
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
                     append="page_reporting.delay_ms=60000")
    assert wait_until(g.buffer_actual, 30, want=BUFFER_MIB * MIB) == \
        BUFFER_MIB * MIB
    g.qom_set("reporting-buffer", 64 * MIB)
    assert wait_until(g.buffer_actual, 60, want=64 * MIB) == 64 * MIB
    # Dirty most of the guest, free it, then grow the buffer back.
    out = g.out("hb-mem hold 900 0", timeout=300)
    assert "touched 900" in out
    peak = g.rss_kib()
    g.qom_set("reporting-buffer", BUFFER_MIB * MIB)
    assert wait_until(g.buffer_actual, 60, want=BUFFER_MIB * MIB) == \
        BUFFER_MIB * MIB
    grown = (BUFFER_MIB - 64) * 1024
    drop = g.rss_drop_within(peak, 60, grown * 8 // 10)
    print("buffer grown by %d MiB: RSS fell by %d MiB" % (
        grown >> 10, drop >> 10))
    assert drop >= grown * 8 // 10


def test_resize_and_return(make_guest):
    """Resizing through the reporting-buffer property moves the buffer to each new
    size (QOM and sysfs agree), and freed memory still goes back to the
    host (QEMU's RSS drops) with the buffer held."""
    g = buffer_guest(make_guest, "resize", BUFFER_MIB)
    assert wait_until(g.buffer_actual, 30, want=BUFFER_MIB * MIB) == \
        BUFFER_MIB * MIB
    for mib in (128, 192):
        g.qom_set("reporting-buffer", mib * MIB)
        assert wait_until(g.buffer_actual, 60, want=mib * MIB) == mib * MIB
        assert g.buffer_counters()["owned_pages"] * 4096 == mib * MIB

    # Freed memory still goes back to the host with the buffer on.
    peak = g.fill_and_free(512)
    want = 512 * 1024 * 8 // 10
    drop = g.rss_drop_within(peak, 60, want)
    print("with the buffer: RSS fell by %d MiB after freeing 512 MiB"
          % (drop >> 10))
    assert drop >= want
    assert g.qom("discarded-bytes") > 0
    # Swaps moved the buffer around: it is still exactly the pages marked
    # offline, in whole blocks (idle, nothing is out being reported).
    pages = 192 * MIB // 4096
    want = (pages, pages // BLOCK_PAGES, 0)
    assert offline_settled(g, want) == want
    assert g.buffer_counters()["swaps"] > 0


def test_offer_is_capped(make_guest):
    """A zone never uses more than capacity chunks of order 10.

    One node: DMA32 can use 32 << 10 pages (128 MiB), ZONE_DMA at most
    half of itself, so a 256 MiB offer is held only in part, the device is
    told what is held, and the kernel log says why.  Lowering capacity to
    16 halves what DMA32 can use: the buffer drops by exactly 64 MiB.
    """
    g = buffer_guest(make_guest, "capped", BUFFER_MIB, nodes=1)
    dma = hintbuf.readers.zoneinfo(
        g.out("cat /proc/zoneinfo"))[(0, "DMA")]["present"]
    g.wait_buffer_held(30)
    held = g.buffer_counters()["owned_pages"]
    print("offered %d MiB, held %d pages; ZONE_DMA present %d"
          % (BUFFER_MIB, held, dma))
    assert 32768 <= held <= 32768 + dma // 2 and held % BLOCK_PAGES == 0
    assert g.buffer_actual() == held * 4096
    assert "page_reporting_buffer: owning at most %d of %d pages offered" % (
        held, BUFFER_MIB * MIB // 4096) in g.console_text()

    g.set_param("page_reporting_buffer.capacity", 16)
    assert wait_until(g.buffer_actual, 30, want=(held - 16384) * 4096) == \
        (held - 16384) * 4096
    pages = held - 16384
    want = (pages, pages // BLOCK_PAGES, 0)
    assert offline_settled(g, want) == want
    g.set_param("page_reporting_buffer.capacity", 32)
    assert wait_until(g.buffer_actual, 30, want=held * 4096) == held * 4096
