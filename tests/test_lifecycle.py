# SPDX-License-Identifier: GPL-2.0
"""Life cycle of the reporting buffer: driver unbind/rebind, save/restore,
reboot, memory hotplug and offlining, and the guest's own resizes.

Measured from outside the code under test: QMP reporting-buffer-actual,
the guest's /proc/meminfo, /proc/zoneinfo and memory block state, the
kernel log and tracefs, and the QEMU process's RSS.  Each case is one row
of the Lifecycle table in docs/reliability-notes.rst.
"""

import os
import re
import time

import pytest

import hintbuf
from hintbuf import MIB
from hintbuf import wait_until

BASE_MIB = 1024
BUFFER_MIB = 128
BUFFER_PAGES = BUFFER_MIB * MIB // 4096

pytestmark = [
    pytest.mark.needs_kconfig("CONFIG_PAGE_REPORTING_BUFFER"),
    pytest.mark.needs_qemu_prop("reporting-buffer"),
]

BALLOON = {"free-page-reporting": "on", "reporting-buffer": "%dM" % BUFFER_MIB}
DRIVER = "/sys/bus/virtio/drivers/virtio_balloon"


def owned_pages(g):
    return int(g.out("cat %s/owned_pages" % hintbuf.BUFFER_SYSFS))


def established(g, mib=BUFFER_MIB, seconds=30):
    """The guest holds mib MiB and the device was told so."""
    assert wait_until(g.buffer_actual, seconds, want=mib * MIB) == mib * MIB
    assert owned_pages(g) * 4096 == mib * MIB


def buffer_guest(make_guest, name, **kw):
    kw.setdefault("mem_mib", BASE_MIB + BUFFER_MIB)
    kw.setdefault("balloon", BALLOON)
    return make_guest(name=name, **kw)


def test_guest_resize_reaches_device(make_guest):
    """enabled/max_mib written in the guest show up in QMP within seconds.

    The driver only learns of a resize it asked for itself; the mm core
    calls it back after one made through sysfs so that it tells the
    device.  Without that reporting-buffer-actual stays stale.
    """
    g = buffer_guest(make_guest, "sync")
    established(g)
    steps = [("max_mib", 32, 32), ("max_mib", 0, BUFFER_MIB),
             ("enable", 0, 0), ("enable", 1, BUFFER_MIB)]
    for attr, value, mib in steps:
        t0 = time.monotonic()
        g.set_param("page_reporting_buffer." + attr, value)
        got = wait_until(g.buffer_actual, 30, want=mib * MIB)
        print("%s=%d: reporting-buffer-actual %d MiB after %.2f s"
              % (attr, value, got // MIB, time.monotonic() - t0))
        assert got == mib * MIB
        assert owned_pages(g) * 4096 == mib * MIB


def mem_total_kib(g):
    return g.meminfo()["MemTotal"]


def test_unbind_rebind(make_guest):
    """20 unbind/rebind cycles of virtio_balloon while hinting runs.

    Unbind gives the whole buffer back: owned_pages 0, QMP actual 0, and
    the guest's managed memory (MemTotal) exactly what it is with the
    driver unbound before any cycle, to the KiB.  Held chunks are out of
    the managed pages, so a chunk lost on the way shows up there, while
    MemFree moves by tens of MiB with the churn and per-CPU lists and
    cannot tell a lost chunk from noise.  Rebind takes the buffer again.
    """
    g = buffer_guest(make_guest, "unbind",
                     append="page_reporting.delay_ms=100")
    established(g)
    dev = g.balloon_device()[0]

    def unbind():
        g.out("echo %s > %s/unbind" % (dev, DRIVER))

    def bind():
        g.out("echo %s > %s/bind" % (dev, DRIVER))

    unbind()
    assert owned_pages(g) == 0
    total0 = mem_total_kib(g)
    bind()
    established(g)

    # Allocate and free 32 MiB every 20 ms: reporting passes run all the
    # time, so unbind meets the buffer in every state.
    churn = int(g.out("hb-mem cycle 32 1000000 20 >/dev/null 2>&1 & echo $!"))
    t0 = time.monotonic()
    for i in range(20):
        out = g.out("echo %s > %s/unbind; cat %s/owned_pages; "
                    "grep MemTotal /proc/meminfo"
                    % (dev, DRIVER, hintbuf.BUFFER_SYSFS))
        f = out.split()
        held, total = int(f[0]), int(f[2])
        assert held == 0, (i, out)
        assert g.buffer_actual() == 0
        assert total == total0, (i, out)
        bind()
        established(g)
    print("20 unbind/rebind cycles in %.1f s" % (time.monotonic() - t0))
    g.out("kill %d; sleep 0.5" % churn)

    unbind()
    assert owned_pages(g) == 0
    assert mem_total_kib(g) == total0
    bind()
    established(g)


@pytest.mark.slow
def test_save_restore(make_guest, tmp_path):
    """Migrate to a file and back with the buffer in use.

    The buffer's size and the guest's reporting_buffer_actual travel in the
    reporting-buffer vmstate subsection; the restored guest keeps its buffer,
    its data and a working reporting path.
    """
    kw = dict(mem_mib=BASE_MIB + BUFFER_MIB, balloon=BALLOON)
    g = buffer_guest(make_guest, "save", **kw)
    established(g)
    g.out("hb-mem hold 64 0 >/dev/null; "
          "dd if=/dev/urandom of=/tmp/data bs=1M count=16 2>/dev/null")
    sum_before = g.out("md5sum /tmp/data").split()[0]
    held = owned_pages(g)

    image = str(tmp_path / "vm.state")
    g.qmp("migrate-set-parameters", **{"max-bandwidth": 8 << 30})
    g.qmp("migrate", uri="exec:cat > %s" % image)
    status = wait_until(lambda: g.qmp("query-migrate").get("status"), 120,
                        ok=lambda s: s in ("completed", "failed", "cancelled"))
    assert status == "completed"
    size = os.path.getsize(image)
    g.close()
    print("saved %d MiB of state for a %d MiB guest" % (
        size >> 20, BASE_MIB + BUFFER_MIB))
    # Discarded buffer pages are zero pages: a few bytes each.
    assert size < (BASE_MIB + BUFFER_MIB) * MIB // 2

    r = buffer_guest(make_guest, "restored",
                     incoming="exec:cat %s" % image, **kw)
    assert r.buffer_actual() == BUFFER_MIB * MIB
    assert owned_pages(r) == held
    assert r.out("md5sum /tmp/data").split()[0] == sum_before
    # No bound on the restored RSS: QEMU reads every page to find zero
    # pages, and where the host kernel maps no shared zero page on a read
    # fault (this CI host) that makes all guest RAM resident on both
    # sides, buffer included (docs/reliability-notes.rst).

    # Hinting still works: freed memory leaves the new QEMU's RSS, and
    # the device still follows a resize.
    reported = r.qom("reported-bytes")
    peak = r.fill_and_free(256)
    drop = r.rss_drop_within(peak, 60, 256 * 1024 * 8 // 10)
    print("after restore: RSS fell by %d MiB after freeing 256 MiB"
          % (drop >> 10))
    assert drop >= 256 * 1024 * 8 // 10
    assert r.qom("reported-bytes") > reported
    r.qom_set("reporting-buffer", 64 * MIB)
    established(r, 64, 15)


@pytest.mark.slow
def test_reboot(make_guest):
    """A guest reboot re-establishes the buffer, and the new guest hints
    it again.

    Stock reporting is held off (60 s delay, in both boots), so the only
    report after the reboot is the new guest's buffer fill: QEMU must
    count exactly one buffer's worth of new discarded bytes.
    """
    g = buffer_guest(make_guest, "reboot", reboot=True,
                     append="page_reporting.delay_ms=60000")
    established(g)
    rss_boot = g.settle_rss()
    # Leave the old guest's memory dirty and resident.
    g.out("hb-mem hold 800 0 >/dev/null")
    rss_dirty = g.rss_kib()
    discarded = g.qom("discarded-bytes")
    g.out("(sleep 0.5; reboot -f) >/dev/null 2>&1 &")
    def booted_twice():
        return g.console_text().count("hintbuf-guest: ") >= 2
    wait_until(lambda: booted_twice() or not g.alive(),
               hintbuf.guest.BOOT_TIMEOUT)
    assert g.alive(), "QEMU exited instead of rebooting"
    assert booted_twice(), "guest did not come back"
    # The agent reopens its port; our socket to QEMU stayed connected.
    assert "hb-ready" in g.out("echo hb-ready", timeout=60)
    assert int(g.out("cut -d. -f1 /proc/uptime")) < 60
    established(g)
    assert g.qom("discarded-bytes") - discarded == BUFFER_MIB * MIB
    rss_reboot = g.settle_rss()
    # Not asserted: a fresh boot fills the buffer from the same free
    # chunks as the last one, which the old guest never dirtied, so the
    # new fill has nothing resident to take out of the RSS.
    print("RSS %d MiB after boot, %d MiB dirty, %d MiB after reboot"
          % (rss_boot >> 10, rss_dirty >> 10, rss_reboot >> 10))


def zoneinfo(g, node=0):
    """{zone name: {"present", "managed", "nr_free_pages", ...: pages}}
    for one node."""
    return {z: v for (n, z), v in
            hintbuf.readers.zoneinfo(g.out("cat /proc/zoneinfo")).items()
            if n == node}


@pytest.mark.slow
@pytest.mark.needs_kconfig("CONFIG_MEMORY_HOTREMOVE",
                          "CONFIG_ACPI_HOTPLUG_MEMORY")
@pytest.mark.parametrize("online,zone", [("online_kernel", "Normal"),
                                         ("online_movable", "Movable")])
def test_hotplug_offline(make_guest, online, zone):
    """Online a hotplugged block, then offline it.

    The block goes to node 1, which has no CPU, so the kernel's own
    allocations (node 0 first) stay off it, and its memory is all below
    4 GiB, so the block is a zone of its own.  Onlined as Normal, it
    takes a share of the buffer (at most half of itself); by
    size; offlining skips those PageOffline blocks (no migration, no
    retry), memory (MemTotal plus the buffer) drops by exactly the block,
    and the buffer refills from the other zones.  Onlined as Movable it
    takes none: ZONE_MOVABLE promises memory that can be migrated away.
    """
    mem = BASE_MIB + BUFFER_MIB
    numa = ["-object", "memory-backend-ram,id=m0,size=%dM" % (mem - 128),
            "-object", "memory-backend-ram,id=m1,size=128M",
            "-numa", "node,nodeid=0,cpus=0-1,memdev=m0",
            "-numa", "node,nodeid=1,memdev=m1"]
    g = buffer_guest(make_guest, "hotplug", maxmem=2048, mem_mib=mem,
                     extra_args=numa, append="page_reporting.delay_ms=100")
    assert g.out("cat /sys/devices/system/node/online").strip() == "0-1"
    established(g)
    block = int(g.out("cat /sys/devices/system/memory/block_size_bytes"),
                16)
    assert block == 128 * MIB
    # The test onlines the block itself, into the zone it names.
    g.out("echo offline > /sys/devices/system/memory/auto_online_blocks")
    before = set(g.out("ls /sys/devices/system/memory").split())
    g.qmp("object-add", **{"qom-type": "memory-backend-ram",
                                   "id": "hp0", "size": block})
    g.qmp("device_add", driver="pc-dimm", id="dimm0", memdev="hp0",
                  node=1)
    new = wait_until(lambda: set(g.out("ls /sys/devices/system/memory")
                                 .split()) - before, 20)
    assert len(new) == 1, new
    mem = "/sys/devices/system/memory/" + new.pop()
    g.out("echo %s > %s/state" % (online, mem))
    assert g.out("cat %s/state" % mem).strip() == "online"
    assert g.out("cat %s/valid_zones" % mem).strip() == zone

    # Onlining made the driver resize: a Normal zone takes a share of the
    # buffer (in proportion to what each zone can use, Documentation/
    # admin-guide/mm/page_reporting_buffer.rst), at most half of itself, in whole
    # pageblocks.  The buffer is not in managed, so the block holds
    # present - managed pages of it (its memmap is not on the block).
    z = wait_until(lambda: zoneinfo(g, 1)[zone], 15,
                   ok=lambda z: z["present"] > z["managed"] or
                   zone == "Movable")
    held_in_block = z["present"] - z["managed"]
    established(g)
    print("%s zone: %d present, %d managed, %d free pages" % (
        zone, z["present"], z["managed"], z["nr_free_pages"]))
    if zone == "Movable":
        assert held_in_block == 0
    else:
        assert 0 < held_in_block <= z["present"] // 2
        assert held_in_block % 512 == 0

    held = owned_pages(g)
    total = g.meminfo()["MemTotal"] + held * 4
    tr = "/sys/kernel/tracing"
    g.out("echo 0 > {0}/tracing_on; echo > {0}/trace; "
          "echo 1 > {0}/events/page_reporting_buffer/page_reporting_buffer_resize/enable; "
          "echo 1 > {0}/tracing_on".format(tr))
    # Held pages that offlining could not skip would make it retry until
    # a signal stops it.
    rc, out = g.run("timeout 30 sh -c 'echo offline > %s/state'" % mem,
                    timeout=60, check=False)
    state = g.out("cat %s/state" % mem).strip()
    trace = g.out("cat %s/trace" % tr)
    g.out("echo 0 > %s/events/page_reporting_buffer/page_reporting_buffer_resize/enable" % tr)
    assert rc == 0 and state == "offline", (rc, out, state)

    m = re.search(r"offlining takes (\d+) buffer pages", g.console_text())
    helds = [int(x) for x in re.findall(r"owned=(\d+)", trace)]
    if zone == "Movable":
        assert not m
    else:
        assert m, "offlining took no buffer pages"
        taken = int(m.group(1))
        print("offlining took %d pages; resize trace owned=%s"
              % (taken, helds))
        # Those pages were really the buffer's: not free in the block.
        assert 0 < taken <= held_in_block
        assert helds and helds[0] == held - taken
    # The buffer refills from the remaining zones, the device is told;
    # memory (MemTotal plus the buffer) is down by exactly the block.
    established(g)
    assert total - g.meminfo()["MemTotal"] - owned_pages(g) * 4 == \
        block // 1024
    assert zone not in zoneinfo(g, 1) or \
        zoneinfo(g, 1)[zone].get("managed", 0) == 0
