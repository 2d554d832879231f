# SPDX-License-Identifier: GPL-2.0
"""The guest-only alternatives to the hinting buffer (benchmark-only code,
bench-kernel/, page_hinting_alt.* boot parameters) and the recomputation
of watermarks when the buffer is taken or given back.

Everything is measured from outside the code: the tracepoint
page_hinting:batch_start (batch sizes), /proc/vmstat (oom_kill),
/proc/zoneinfo and /proc/sys/vm/min_free_kbytes (watermarks) and the
counters in /sys/kernel/mm/page_hinting_alt/."""

import re

import pytest

import hbvm
from test_stuck_device import wait_for

ALT_SYSFS = "/sys/kernel/mm/page_hinting_alt"
PAGE_KIB = 4
# A host that holds every report this long: the window in which chunks are
# out being reported is far longer than the allocation that needs them.
LATENCY_MS = 8000

pytestmark = [pytest.mark.slow, pytest.mark.skipif(
    "x-report-latency" not in hbvm.balloon_properties()
    or not hbvm.kernel_has("CONFIG_PAGE_HINTING"),
    reason="needs QEMU with x-report-latency and CONFIG_PAGE_HINTING")]


def alt_counters(g):
    return hbvm.parse_counters(g.out("cd %s && grep -H . *" % ALT_SYSFS))


def zone_mins(g):
    """{zone: min watermark in pages} from /proc/zoneinfo (node 0)."""
    mins, zone = {}, None
    for line in g.out("cat /proc/zoneinfo").splitlines():
        m = re.match(r"Node 0, zone\s+(\S+)", line)
        if m:
            zone = m.group(1)
            continue
        m = re.match(r"\s+min\s+(\d+)$", line)
        if m and zone and zone not in mins:
            mins[zone] = int(m.group(1))
    return {z: v for z, v in mins.items() if v}


def min_free_kbytes(g):
    return int(g.out("cat /proc/sys/vm/min_free_kbytes"))


def close_enough(a, b):
    """min = min_free_kbytes scaled by the zone's share of lowmem, and
    min_free_kbytes = sqrt(16 * lowmem KiB): a guest with 128 MiB more RAM
    has 2 MiB more memmap, so its lowmem and the zone's share differ by
    about 0.5 %; 1 % (and 3 pages for int_sqrt and per-zone rounding)."""
    return abs(a - b) <= max(3, 0.01 * max(a, b))


def test_watermarks_follow_the_buffer(make_guest):
    # transparent_hugepage=never: a guest with less than 512 MiB boots with
    # THP off, which khugepaged's raised min_free_kbytes depends on and
    # which the buffer cannot change (Documentation/admin-guide/mm/
    # page_hinting-alternatives.rst); the formula itself is what is compared.
    thp = "transparent_hugepage=never"
    small = make_guest(mem_mib=512, cpus=1, append=thp,
                       balloon={"free-page-reporting": "on"})
    big = make_guest(mem_mib=640, cpus=1, append=thp,
                     balloon={"free-page-reporting": "on",
                              "hint-buffer": "128M"})
    plain = make_guest(mem_mib=640, cpus=1,
                       append=thp + " page_hinting.enable=0",
                       balloon={"free-page-reporting": "on",
                                "hint-buffer": "128M"})
    assert wait_for(lambda: big.hinting_counters()["buffer_pages"] *
                    PAGE_KIB == 128 * 1024, 30)
    want, got, boot = zone_mins(small), zone_mins(big), zone_mins(plain)
    print("min watermarks: 512 MiB %s, 640+128 MiB %s, 640 MiB %s; "
          "min_free_kbytes %d %d %d" %
          (want, got, boot, min_free_kbytes(small), min_free_kbytes(big),
           min_free_kbytes(plain)))
    assert "DMA32" in want and set(got) == set(want)
    for zone in want:
        assert close_enough(got[zone], want[zone]), (zone, got, want)
    assert boot["DMA32"] > got["DMA32"] + 3, \
        "the 640 MiB guest's own watermarks should be higher"

    # Given back: the watermarks of 640 MiB of RAM again.
    big.out("echo 0 > /sys/kernel/mm/page_hinting/enabled")
    assert wait_for(lambda: big.hinting_counters()["buffer_pages"] == 0, 30)
    back = zone_mins(big)
    print("after enabled=0: %s, min_free_kbytes %d" %
          (back, min_free_kbytes(big)))
    for zone in boot:
        assert close_enough(back[zone], boot[zone]), (zone, back, boot)

    # A min_free_kbytes the user chose survives taking and giving back.
    big.out("echo 5000 > /proc/sys/vm/min_free_kbytes")
    big.out("echo 1 > /sys/kernel/mm/page_hinting/enabled")
    assert wait_for(lambda: big.hinting_counters()["buffer_pages"] *
                    PAGE_KIB == 128 * 1024, 30)
    assert min_free_kbytes(big) == 5000
    big.out("echo 0 > /sys/kernel/mm/page_hinting/enabled")
    assert wait_for(lambda: big.hinting_counters()["buffer_pages"] == 0, 30)
    assert min_free_kbytes(big) == 5000


def batch_sizes(g, cmd):
    """Run cmd with page_hinting:batch_start traced: [(order, chunks)]."""
    t = "/sys/kernel/tracing"
    g.out("echo > %s/trace && echo 1 > %s/events/page_hinting/batch_start/"
          "enable" % (t, t))
    g.out(cmd, timeout=300)
    g.out("echo 0 > %s/events/page_hinting/batch_start/enable" % t)
    return [(int(o), int(n)) for o, n in
            re.findall(r"order=(\d+) nr_chunks=(\d+)",
                       g.out("cat %s/trace" % t))]


def stock_guest(make_guest, append, mem_mib, latency_ms):
    # No hint-buffer property: stock free page reporting, 100 ms after a
    # free, on a host that holds every report latency_ms.
    return make_guest(mem_mib=mem_mib, cpus=2,
                      append="page_hinting.delay_ms=100 " + append,
                      balloon={"free-page-reporting": "on",
                               "x-report-latency": str(latency_ms)})


def test_scale_batch_caps_batches(make_guest):
    stock = stock_guest(make_guest, "", 1024, 200)
    scaled = stock_guest(make_guest, "page_hinting_alt.scale_batch=1",
                         1024, 200)
    cmd = "hb-mem churn 384 4 3000"
    plain, capped = batch_sizes(stock, cmd), batch_sizes(scaled, cmd)
    cuts = alt_counters(scaled)["batch_cuts"]
    print("stock batches %s\nscaled batches %s\nbatch_cuts %d" %
          (plain, capped, cuts))
    # The stock batch takes up to 32 chunks whatever their order: 128 MiB
    # at order 10.  Capped, a batch takes at most the bytes of a full
    # order-9 batch (64 MiB): 16 order-10 chunks.
    assert max(n << o for o, n in plain) == 32 << 10
    assert capped and max(n << o for o, n in capped) <= 32 << 9
    assert cuts > 0
    assert alt_counters(stock)["batch_cuts"] == 0


# A report of at least 64 MiB (32 order-9 chunks) must be out.
MIN_INFLIGHT_PAGES = 16384
FAKE_OOM = (
    # Free 300 MiB, wait for a large report to be out, then ask for all
    # free memory plus half of what is out being reported.  hinted_chunks
    # only grows when a report completes: unchanged across the
    # allocation, the chunks out at its start stayed out all along.
    "hb-mem hold 300 0 >/dev/null; i=0; "
    "while [ $(cat %(s)s/in_flight_pages) -lt %(min)d ] && [ $i -lt 300 ]; "
    "do sleep 0.1; i=$((i+1)); done; "
    "f=$(cat %(s)s/in_flight_pages); "
    "free=$(awk '/MemFree/{print $2}' /proc/meminfo); "
    "mib=$(( (free + f * 2) / 1024 )); "
    "h0=$(cat %(h)s/hinted_chunks); "
    "echo inflight=$f free=$free mib=$mib; "
    "hb-mem hold $mib 0 >/dev/null; echo rc=$?; "
    "echo after=$(cat %(s)s/in_flight_pages) "
    "completed=$(( $(cat %(h)s/hinted_chunks) - h0 ))" %
    {"s": ALT_SYSFS, "h": hbvm.HINTING_SYSFS, "min": MIN_INFLIGHT_PAGES})


def fake_oom(g):
    """Run the fake-OOM workload: (report, oom kills, counters)."""
    before = g.vmstat()["oom_kill"]
    out = g.out(FAKE_OOM, timeout=300)
    res = dict(re.findall(r"(\w+)=(-?\d+)", out))
    res = {k: int(v) for k, v in res.items()}
    return res, g.vmstat()["oom_kill"] - before, alt_counters(g)


@pytest.mark.parametrize("arm", ["stock", "retry_inflight", "oom_wait_ms"])
def test_fake_oom(make_guest, arm):
    append = {"stock": "",
              "retry_inflight": "page_hinting_alt.retry_inflight=1",
              "oom_wait_ms": "page_hinting_alt.oom_wait_ms=20000"}[arm]
    g = stock_guest(make_guest, append, 512, LATENCY_MS)
    res, kills, c = fake_oom(g)
    print("%s: %s oom_kill +%d counters %s" % (arm, res, kills, c))
    # A report was out when the allocation started, and it needed it.
    assert res["inflight"] >= MIN_INFLIGHT_PAGES
    assert res["mib"] * 1024 > res["free"]
    if arm == "stock":
        # No report completed while the allocation ran: the chunks out at
        # its start were out when the OOM killer ran, so the kill is the
        # fake OOM, not a real shortage.
        assert kills >= 1 and res["rc"] != 0
        assert res["completed"] == 0 and res["after"] > 0
        assert c["retries"] == 0 and c["oom_waits"] == 0
    else:
        # It needed the chunks out being reported, and got them.
        assert kills == 0 and res["rc"] == 0 and res["completed"] > 0
        if arm == "retry_inflight":
            assert c["retries"] > 0
        else:
            assert c["oom_waits"] > 0 and c["oom_wait_timeouts"] == 0
