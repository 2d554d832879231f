# SPDX-License-Identifier: GPL-2.0
"""Feature bit 6 with another meaning, and a size the guest cannot honour.

Bit 6 is VIRTIO_BALLOON_F_DEVICE_INIT_REPORTED in Michael S. Tsirkin's
proposal and crosvm's RESPONSIVE_DEVICE; neither has a config field at
offset 16, where a 16-byte config space reads 0xffffffff.  Our QEMU's
test-only x-offer-bit6 offers that bit and x-reporting-buffer-pages presents
such a size.  Measured from outside the driver: the guest's sysfs
(negotiated bits, owned_pages), /proc/meminfo, QMP and the console.
"""

import re
import time

import pytest

import hintbuf
from hintbuf import MIB, PAGE, wait_until
from hintbuf import VIRTIO_BALLOON_F_REPORTING_BUFFER, VIRTIO_BALLOON_F_REPORTING

GUEST_MIB = 1024
BUFFER_MIB = 128
OTHER_BIT = 6
BOGUS_PAGES = 0xffffffff
CAPPED = re.compile(r"reporting buffer: device offers (\d+) MiB, more than "
                    r"half of the guest's memory: using (\d+) MiB")
OOM = ("Out of memory", "oom-kill", "invoked oom-killer")

pytestmark = [
    pytest.mark.needs_kconfig("CONFIG_PAGE_REPORTING_BUFFER"),
    pytest.mark.needs_qemu_prop("x-offer-bit6"),
]


def unnamed_features(g, which):
    """Device feature bits QEMU has no name for (bit 6 among them) that
    the device offers (which="host") or the driver accepted ("guest")."""
    st = g.virtio_status()
    return st["%s-features" % which].get("unknown-dev-features", 0)


def settled_held(g, want=None, seconds=120.0):
    """The guest's buffer (bytes) once QMP reporting-buffer-actual agrees with
    it, and it is want if given."""
    held, actual = wait_until(
        lambda: (g.buffer_counters()["owned_pages"] * PAGE,
                 g.buffer_actual()), seconds, step=0.25,
        ok=lambda ha: ha[0] == ha[1] and want in (None, ha[0]))
    return held


def settled_memtotal(g, seconds=60.0):
    """MemTotal (KiB) read twice in a row with nothing of the buffer lent
    out: buffer memory lent against chunks being reported is counted in
    MemTotal until the report completes."""
    deadline = time.monotonic() + seconds
    last = None
    while True:
        out = g.out("grep MemTotal /proc/meminfo; cd %s && cat owned_pages "
                    "held_pages in_flight_bytes"
                    % hintbuf.BUFFER_SYSFS).split()
        held, free, in_flight = (int(x) for x in out[3:6])
        now = int(out[1]) if held == free and not in_flight else None
        if now is not None and now == last or time.monotonic() > deadline:
            return now
        last = now
        time.sleep(0.25)


def boot(make_guest, name, buffer_mib, **props):
    balloon = {"free-page-reporting": "on"}
    if buffer_mib:
        balloon["reporting-buffer"] = "%dM" % buffer_mib
    balloon.update(props)
    return make_guest(name=name, mem_mib=GUEST_MIB + buffer_mib, cpus=1,
                      balloon=balloon)


@pytest.mark.parametrize("buffer_mib", [0, BUFFER_MIB])
def test_other_bit6_leaves_guest_alone(make_guest, buffer_mib):
    """The same VM with and without bit 6 offered: the guest acks the
    same bits, never bit 6, holds the same buffer (none without
    reporting-buffer) and has the same MemTotal."""
    seen = {}
    for name, props in (("control", {}), ("bit6", {"x-offer-bit6": "on"})):
        g = boot(make_guest, name, buffer_mib, **props)
        held = settled_held(g, buffer_mib * MIB)
        feats = g.balloon_features()
        total = settled_memtotal(g)
        seen[name] = (feats, held, total)
        offered = unnamed_features(g, "host")
        accepted = unnamed_features(g, "guest")
        print("%s: features %s, buffer %d MiB, MemTotal %d KiB, unnamed "
              "bits offered %#x, accepted %#x"
              % (name, feats, held // MIB, total, offered, accepted))
        assert bool(offered & (1 << OTHER_BIT)) == (name == "bit6")
        assert not accepted & (1 << OTHER_BIT)
        assert not CAPPED.search(g.console_text())
        g.close()

    feats, held, total = seen["bit6"]
    assert feats[OTHER_BIT] == "0"
    assert feats[VIRTIO_BALLOON_F_REPORTING] == "1"
    assert feats[VIRTIO_BALLOON_F_REPORTING_BUFFER] == ("1" if buffer_mib else "0")
    assert held == buffer_mib * MIB
    assert seen["bit6"] == seen["control"]


def test_bogus_size_is_capped(make_guest):
    """reporting_buffer_pages 0xffffffff (16 TiB): the driver takes at most half
    of the guest's memory, says so in one line naming both sizes, and the
    guest keeps working without an OOM kill."""
    g = boot(make_guest, "bogus", 64, **{"x-reporting-buffer-pages": BOGUS_PAGES})
    assert g.balloon_features()[VIRTIO_BALLOON_F_REPORTING_BUFFER] == "1"
    wait_until(lambda: CAPPED.search(g.console_text()), 120, step=0.25)
    lines = CAPPED.findall(g.console_text())
    assert len(lines) == 1, g.console_text()[-2000:]
    offered_mib, used_mib = (int(x) for x in lines[0])
    assert offered_mib == BOGUS_PAGES * PAGE // MIB

    held = settled_held(g)
    total_kib = settled_memtotal(g) + held // 1024
    print("offered %d MiB, log says %d MiB used, holding %d MiB of %d MiB"
          % (offered_mib, used_mib, held // MIB, total_kib // 1024))
    assert used_mib == held // MIB
    # At most half of the memory, and at most what the zones can use at
    # once: 128 MiB for the guest's DMA32 zone, which it gets in full,
    # plus a little of ZONE_DMA.  Far above the real 64 MiB either way.
    assert 128 * MIB <= held <= min(total_kib * 1024 // 2, 136 * MIB)
    assert g.qom("reporting-buffer-actual") == held

    # What is left is the guest's to use.
    assert "touched 256" in g.out("hb-mem hold 256 0", timeout=300)
    console = g.console_text()
    assert len(CAPPED.findall(console)) == 1
    for bad in OOM:
        assert bad not in console, "guest console shows %r" % bad
    assert g.vmstat().get("oom_kill", 0) == 0
