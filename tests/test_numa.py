# SPDX-License-Identifier: GPL-2.0
"""The reporting buffer on a two-node guest and next to a movable zone.

Measured from outside mm/page_reporting_buffer/: the guest's /proc/zoneinfo and
/sys/devices/system/node, the page_reporting_buffer_swap tracepoint (tracefs),
the sysfs counters and hb-integrity.

How much of the buffer a zone holds: held buffer chunks are taken out of
the zone's managed pages, so with the buffer released (enable=0) and
taken again (enable=1) in the same boot, the difference of a zone's
``managed`` is its share.  Taking it again also splits it over the zones
as they are now; the split made at boot saw the initramfs image still
reserved.
"""

import re
import time

import pytest

import hintbuf
from hintbuf import MIB, PAGE, wait_until

BUFFER_MIB = 256
NODE_MIB = 640
TRACING = "/sys/kernel/tracing"
ZONE_NAMES = ("DMA", "DMA32", "Normal", "Movable")

pytestmark = [
    pytest.mark.needs_kconfig("CONFIG_PAGE_REPORTING_BUFFER"),
    pytest.mark.needs_qemu_prop("reporting-buffer"),
]


def zoneinfo(g):
    """{(nid, zone index): {"name", "present", "managed", "spanned",
    "start_pfn", ...}} of every populated zone; the zone index is the
    zone's position in its node (ZONE_NAMES), whose name the page_reporting_buffer
    tracepoints print."""
    zones = {}
    for (nid, name), v in hintbuf.readers.zoneinfo(
            g.out("cat /proc/zoneinfo")).items():
        assert ZONE_NAMES[v["zid"]] == name, (nid, name, v["zid"])
        if v.get("present"):
            zones[(nid, v["zid"])] = dict(v, name=name)
    return zones


def counters(g):
    return g.buffer_counters()


def wait_idle(g, quiet=1.0, limit=60):
    """Until nothing is in flight and reported_bytes has not moved for
    quiet seconds: the counters then."""
    deadline = time.monotonic() + limit
    last, since = counters(g), time.monotonic()
    while time.monotonic() < deadline:
        time.sleep(0.2)
        now = counters(g)
        if now["reported_bytes"] != last["reported_bytes"] or \
                now["in_flight_bytes"]:
            since = time.monotonic()
        last = now
        if time.monotonic() - since >= quiet:
            return now
    raise AssertionError("hinting never settled: %s" % last)


# The buffer's unit: a pageblock (order 9 on x86-64 with THP)
BLOCK = 512


def expected_shares(offer, managed, names, capacity):
    """The documented split (Documentation/mm/page_reporting_buffer.rst, "Zones
    and nodes"): a zone can use capacity chunks of order 10 or half of
    its pages if less, in whole pageblocks, ZONE_MOVABLE none; the target
    is the offer up to the sum of that, split in proportion to it and
    rounded down to whole blocks; the zone that can use the most takes
    the whole blocks of what rounding left over.  (target, shares)."""
    useful = {z: 0 if names[z] == "Movable" else
              min(capacity << 10, m // 2) // BLOCK * BLOCK
              for z, m in managed.items()}
    total = sum(useful.values())
    target = min(offer, total)
    shares = {z: target * u // total // BLOCK * BLOCK
              for z, u in useful.items()}
    largest = max(useful, key=lambda z: useful[z])
    shares[largest] += (target - sum(shares.values())) // BLOCK * BLOCK
    return target, shares


def retake_buffer(g, target):
    """Release the buffer and take it again: (managed pages of every zone
    without the buffer, pages of the buffer each zone holds now)."""
    g.set_param("page_reporting_buffer.enable", 0)
    assert counters(g)["owned_pages"] == 0
    without = {z: v["managed"] for z, v in zoneinfo(g).items()}
    g.set_param("page_reporting_buffer.enable", 1)
    wait_until(lambda: counters(g)["owned_pages"] >= target - 4096, 30)
    held = {z: without[z] - v["managed"] for z, v in zoneinfo(g).items()}
    return without, held


def start_trace(g, events=("page_reporting_buffer_swap", "page_reporting_buffer_fallback")):
    g.out("echo 0 > {0}/tracing_on; echo > {0}/trace; "
          "echo 8192 > {0}/buffer_size_kb; ".format(TRACING) +
          "".join("echo 1 > %s/events/page_reporting_buffer/%s/enable; " % (TRACING, e)
                  for e in events) +
          "echo 1 > %s/tracing_on" % TRACING)


def stop_trace(g):
    """The recorded events as (event, nid, zid, pfn, order); fails if the
    ring buffer dropped any."""
    g.out("echo 0 > %s/tracing_on" % TRACING)
    stats = g.out("cat %s/per_cpu/cpu*/stats" % TRACING)
    lost = [int(x) for x in re.findall(r"^(?:overrun|dropped events): (\d+)",
                                       stats, re.M)]
    assert not any(lost), "trace ring buffer lost events:\n" + stats
    text = g.out("cat %s/trace" % TRACING)
    g.out("echo 0 > %s/events/page_reporting_buffer/enable" % TRACING)
    return [(m.group(1), int(m.group(2)), ZONE_NAMES.index(m.group(3)),
             int(m.group(4), 16), int(m.group(5)))
            for m in re.finditer(r" page_reporting_buffer_(swap|fallback): node=(\d+) "
                                 r"zone=(\w+)\s+pfn=0x([0-9a-f]+) "
                                 r"order=(\d+)", text)]


def zone_of(zones, pfn, nr):
    """The populated zone whose span holds pfn .. pfn+nr-1, or None."""
    for z, v in zones.items():
        if v["start_pfn"] <= pfn and pfn + nr <= v["start_pfn"] + v["spanned"]:
            return z
    return None


def numa_args(node_mib):
    # One socket a node: two cores of one socket share a last-level
    # cache, and the kernel warns (topology_sane) when they are on
    # different nodes.
    args = ["-smp", "2,sockets=2,cores=1,threads=1"]
    for n in (0, 1):
        args += ["-object", "memory-backend-ram,id=m%d,size=%dM"
                 % (n, node_mib),
                 "-numa", "node,nodeid=%d,cpus=%d,memdev=m%d" % (n, n, n)]
    return args


# Without it the guest kernel cannot see QEMU's -numa.
@pytest.mark.needs_kconfig("CONFIG_X86_64_ACPI_NUMA")
def test_two_nodes(make_guest):
    """Two 640 MiB nodes (one CPU each) with a 256 MiB buffer.

    The buffer is split over the zones of both nodes by the documented
    rule, exactly; memory freed on each node is hinted with swaps whose
    chunk lies in the zone (node and zone) the tracepoint names, every
    swap recorded; giving the buffer back afterwards returns every zone
    exactly its managed pages (no buffer memory moved between zones or
    nodes); hb-integrity finds no bad page and the console is clean.
    """
    g = make_guest(name="numa", mem_mib=2 * NODE_MIB, cpus=2,
                   extra_args=numa_args(NODE_MIB),
                   balloon={"free-page-reporting": "on",
                            "reporting-buffer": "%dM" % BUFFER_MIB})
    nodes = g.out("ls -d /sys/devices/system/node/node*").split()
    assert [n.rsplit("/", 1)[1] for n in nodes] == ["node0", "node1"], nodes
    for n in (0, 1):
        cpus = g.out("cat /sys/devices/system/node/node%d/cpulist" % n)
        assert cpus.strip() == str(n)

    c = counters(g)
    target = c["target_pages"]
    without, held = retake_buffer(g, target)
    names = {z: v["name"] for z, v in zoneinfo(g).items()}
    capacity = int(g.param("page_reporting_buffer.capacity"))
    want_target, want = expected_shares(BUFFER_MIB * MIB // PAGE, without,
                                        names, capacity)
    # Two DMA32 zones of 640 MiB can each use 128 MiB: all of the offer.
    assert target == want_target == BUFFER_MIB * MIB // PAGE
    print("zones (nid, zid): managed without buffer %s; buffer held %s; "
          "rule %s" % (without, held, want))
    assert held == want
    assert sum(held.values()) == counters(g)["owned_pages"] == target
    for nid in (0, 1):
        assert sum(v for (n, _), v in held.items() if n == nid) > 0

    # Free memory on each node in turn: a task on a node's CPU allocates
    # from that node first.  Then hb-integrity over most of the guest.
    zones = zoneinfo(g)
    start_trace(g)
    before = wait_idle(g)
    for cpu in (0, 1):
        out = g.out("taskset -c %d hb-mem hold 384 0" % cpu, timeout=300)
        assert "touched 384" in out
        wait_idle(g)
    rc, out = g.run("hb-integrity 128 512 2", timeout=300, check=False)
    after = wait_idle(g)
    events = stop_trace(g)
    print(out.splitlines()[-1])
    assert rc == 0 and re.search(r" bad_pages=0 ", out), out

    swaps = [e for e in events if e[0] == "swap"]
    per_zone = {}
    for _, nid, zid, pfn, eorder in swaps:
        per_zone[(nid, zid)] = per_zone.get((nid, zid), 0) + 1
    print("swaps traced %d (counter delta %d), per (nid, zid) %s; fallbacks "
          "%d" % (len(swaps), after["swaps"] - before["swaps"], per_zone,
                  len(events) - len(swaps)))
    # Tracing was on before the first counter read and after the last:
    # every counted swap is in the trace.
    assert len(swaps) >= after["swaps"] - before["swaps"] > 0
    misplaced = [e for e in swaps
                 if zone_of(zones, e[3], 1 << e[4]) != (e[1], e[2])]
    assert misplaced == [], "swapped chunks outside their zone: %s" % [
        (e, zone_of(zones, e[3], 1 << e[4])) for e in misplaced[:10]]
    assert {nid for nid, _ in per_zone} == {0, 1}
    # Swaps trade one for one inside a zone: managed pages never moved,
    # and released again the buffer gives each zone back exactly what
    # it took.
    assert {z: v["managed"] for z, v in zoneinfo(g).items()} == {
        z: without[z] - held[z] for z in without}
    g.set_param("page_reporting_buffer.enable", 0)
    assert {z: v["managed"] for z, v in zoneinfo(g).items()} == without
    assert after["failed_chunks"] == 0
    assert hintbuf.console_reports(g.console_text()) == []


def test_movable_zone_holds_no_buffer(make_guest):
    """A guest booted with movablecore=256M: no page of the buffer is in
    ZONE_MOVABLE, the other zones hold all of it (within one chunk a
    zone), and no swap is made in the movable zone."""
    buffer_mib = 128
    g = make_guest(name="movable", mem_mib=1024 + buffer_mib,
                   append="movablecore=256M",
                   balloon={"free-page-reporting": "on",
                            "reporting-buffer": "%dM" % buffer_mib})
    zones = zoneinfo(g)
    movable = [z for z, v in zones.items() if v["name"] == "Movable"]
    assert len(movable) == 1 and \
        zones[movable[0]]["present"] >= 255 * MIB // PAGE, zones
    c = counters(g)
    target, chunk = c["target_pages"], BLOCK
    without, held = retake_buffer(g, target)
    print("zones: managed without buffer %s; buffer held %s"
          % (without, held))
    assert held[movable[0]] == 0, \
        "%d buffer pages in ZONE_MOVABLE" % held[movable[0]]
    assert sum(held.values()) == counters(g)["owned_pages"]
    assert counters(g)["owned_pages"] >= target - chunk * len(zones)

    start_trace(g, ("page_reporting_buffer_swap",))
    out = g.out("hb-mem hold 768 0", timeout=300)
    assert "touched 768" in out
    wait_idle(g)
    swaps = stop_trace(g)
    assert swaps, "nothing was swapped"
    assert [e for e in swaps if (e[1], e[2]) == movable[0]] == []
    assert hintbuf.console_reports(g.console_text()) == []
