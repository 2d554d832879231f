# SPDX-License-Identifier: GPL-2.0
"""The guest-only alternatives to the reporting buffer (benchmark-only code,
bench-kernel/, page_reporting_alt.* boot parameters) and the recomputation
of watermarks when the buffer is taken or given back.

Everything is measured from outside the code: the tracepoint
page_reporting_buffer:page_reporting_buffer_batch_start (batch sizes), /proc/vmstat (oom_kill),
/proc/zoneinfo and /proc/sys/vm/min_free_kbytes (watermarks) and the
counters in /sys/kernel/mm/page_reporting_alt/."""

import math
import re

import pytest

import hintbuf
from hintbuf import wait_until

ALT_SYSFS = "/sys/kernel/mm/page_reporting_alt"
PAGE_KIB = 4
# A host that holds every report this long: the window in which chunks are
# out being reported is far longer than the allocation that needs them.
LATENCY_MS = 8000

pytestmark = [pytest.mark.slow,
              pytest.mark.needs_qemu_prop("x-report-latency"),
              pytest.mark.needs_kconfig("CONFIG_PAGE_REPORTING_BUFFER")]


def alt_counters(g):
    return hintbuf.readers.counters(g.out("cd %s && grep -H . *" % ALT_SYSFS))


LOWMEM = ("DMA", "DMA32", "Normal")


def zoneinfo(g):
    """{zone: {"min", "high", "managed", ...}} of node 0's populated
    zones."""
    return {z: v for (n, z), v in
            hintbuf.readers.zoneinfo(g.out("cat /proc/zoneinfo")).items()
            if n == 0 and v.get("managed")}


def formula_mins(zones):
    """The min watermarks init_per_zone_wmark_min() gives for these zones
    now (calculate_min_free_kbytes(), __setup_per_zone_wmarks(), no THP):
    min_free_kbytes = sqrt(16 * KiB of managed above high in lowmem),
    split over the lowmem zones by managed pages."""
    above = sum(max(v["managed"] - v["high"], 0)
                for z, v in zones.items() if z in LOWMEM)
    mfk = min(max(math.isqrt(above * PAGE_KIB * 16), 128), 262144)
    lowmem = sum(v["managed"] for z, v in zones.items() if z in LOWMEM)
    return {z: (mfk // PAGE_KIB) * v["managed"] // lowmem
            for z, v in zones.items() if z in LOWMEM}


def mins(zones):
    return {z: v["min"] for z, v in zones.items() if z in LOWMEM}


def min_free_kbytes(g):
    return int(g.out("cat /proc/sys/vm/min_free_kbytes"))


def close_enough(a, b):
    """Within 1 % (and 3 pages for int_sqrt and per-zone rounding): the
    formula is evaluated on each guest's own managed and high pages, which
    differ by the larger guest's 2 MiB of extra memmap and by the high
    watermarks the recomputation started from."""
    return abs(a - b) <= max(3, 0.01 * max(a, b))


def assert_sized_like(got, zones, what):
    """got's min watermarks are what the formula gives for zones: in
    total (that is min_free_kbytes) and in DMA32, which holds the buffer.
    ZONE_DMA's few pages are left out: the buffer may take a chunk of it
    too, so its share of the total moves by up to a chunk's worth."""
    want = formula_mins(zones)
    assert close_enough(sum(got.values()), sum(want.values())), \
        (what, got, want)
    assert close_enough(got["DMA32"], want["DMA32"]), (what, got, want)


def test_watermarks_follow_the_buffer(make_guest):
    """Watermarks and min_free_kbytes of a guest holding a 128 MiB buffer
    match those of a guest given only the RAM: the buffer is out of
    managed pages, and the watermarks are recomputed when it is taken."""
    # transparent_hugepage=never: a guest with less than 512 MiB boots with
    # THP off, which khugepaged's raised min_free_kbytes depends on and
    # which the buffer cannot change (Documentation/mm/page_reporting_buffer.rst);
    # the formula itself is what is compared.
    thp = "transparent_hugepage=never"
    small = make_guest(mem_mib=512, cpus=1, append=thp,
                       balloon={"free-page-reporting": "on"})
    big = make_guest(mem_mib=640, cpus=1,
                     append=thp + " page_reporting_buffer.enable=0",
                     balloon={"free-page-reporting": "on",
                              "reporting-buffer": "128M"})
    # Watermarks are sized at boot while the initramfs image (66 MiB here)
    # is still reserved, and never again, while the buffer is usually
    # taken after it was freed (they race).  So the buffer is taken once
    # the guest runs, and each guest is compared with the formula on its
    # managed memory now; boot values are printed next to it.
    a, c = zoneinfo(small), zoneinfo(big)
    big.set_param("page_reporting_buffer.enable", 1)
    assert wait_until(lambda: big.buffer_counters()["owned_pages"] *
                      PAGE_KIB == 128 * 1024, 30)
    b = zoneinfo(big)
    print("min watermarks: 512 MiB boot %s now-formula %s; 640 MiB boot %s "
          "now-formula %s; 640 MiB holding 128 MiB %s; min_free_kbytes "
          "512 MiB %d, 640+128 MiB %d" %
          (mins(a), formula_mins(a), mins(c), formula_mins(c), mins(b),
           min_free_kbytes(small), min_free_kbytes(big)))
    assert_sized_like(mins(b), a, "with the buffer, like 512 MiB")
    assert sum(formula_mins(c).values()) > sum(mins(b).values()) + 3, \
        "640 MiB without the buffer should have higher watermarks"

    # Given back: the watermarks of 640 MiB of RAM again.
    big.set_param("page_reporting_buffer.enable", 0)
    assert wait_until(lambda: big.buffer_counters()["owned_pages"] == 0, 30)
    back = zoneinfo(big)
    print("after enable=0: %s, min_free_kbytes %d" %
          (mins(back), min_free_kbytes(big)))
    assert_sized_like(mins(back), c, "released, like 640 MiB")

    # A min_free_kbytes the user chose survives taking and giving back.
    big.out("echo 5000 > /proc/sys/vm/min_free_kbytes")
    big.set_param("page_reporting_buffer.enable", 1)
    assert wait_until(lambda: big.buffer_counters()["owned_pages"] *
                      PAGE_KIB == 128 * 1024, 30)
    assert min_free_kbytes(big) == 5000
    big.set_param("page_reporting_buffer.enable", 0)
    assert wait_until(lambda: big.buffer_counters()["owned_pages"] == 0, 30)
    assert min_free_kbytes(big) == 5000


def batch_sizes(g, cmd):
    """Run cmd with page_reporting_buffer_batch_start traced: [(order, chunks)]."""
    ev = "/sys/kernel/tracing/events/page_reporting_buffer/page_reporting_buffer_batch_start"
    g.out("echo > /sys/kernel/tracing/trace && echo 1 > %s/enable" % ev)
    g.out(cmd, timeout=300)
    g.out("echo 0 > %s/enable" % ev)
    return [(int(o), int(n)) for o, n in
            re.findall(r"order=(\d+) nr_chunks=(\d+)",
                       g.out("cat /sys/kernel/tracing/trace"))]


def stock_guest(make_guest, append, mem_mib, latency_ms):
    # No reporting-buffer property: stock free page reporting, 100 ms after a
    # free, on a host that holds every report latency_ms.
    return make_guest(mem_mib=mem_mib, cpus=2,
                      append="page_reporting.delay_ms=100 " + append,
                      balloon={"free-page-reporting": "on",
                               "x-report-latency": str(latency_ms)})


def test_scale_batch_caps_batches(make_guest):
    """page_reporting_alt.scale_batch=1 (a guest-only alternative) caps each
    stock report by what the zone can spare: its batches and its largest
    report in flight are smaller than stock's."""
    stock = stock_guest(make_guest, "", 1024, 200)
    scaled = stock_guest(make_guest, "page_reporting_alt.scale_batch=1",
                         1024, 200)
    cmd = "hb-mem churn 384 4 3000"
    plain, capped = batch_sizes(stock, cmd), batch_sizes(scaled, cmd)
    # The largest report out at once, in bytes, counted by mm/page_reporting_buffer/
    # (not by the code under test) since boot.
    peak = {g: g.buffer_counters()["in_flight_peak_bytes"] >> 20
            for g in (stock, scaled)}
    cuts = alt_counters(scaled)["batch_cuts"]
    print("stock batches %s\nscaled batches %s\nbatch_cuts %d, largest "
          "report stock %d MiB, scaled %d MiB" %
          (plain, capped, cuts, peak[stock], peak[scaled]))
    # A stock batch takes up to 32 chunks whatever their order: 128 MiB
    # at order 10.  Capped, it takes at most the bytes of a full order-9
    # batch (64 MiB, 16 order-10 chunks) and half the free memory above
    # the low watermark, which is more here.  (A batch may mix orders,
    # so its chunk count times the first chunk's order is no measure.)
    assert peak[stock] == 128 and max(n for o, n in plain) == 32
    assert capped and peak[scaled] <= 64
    assert cuts > 0
    assert alt_counters(stock)["batch_cuts"] == 0


# A report of at least 64 MiB (32 order-9 chunks) must be out.
MIN_INFLIGHT_PAGES = 16384
FAKE_OOM = (
    # Free 300 MiB, wait for a large report to be out, then ask for all
    # free memory plus half of what is out being reported.  reported_chunks
    # only grows when a report completes: unchanged across the
    # allocation, the chunks out at its start stayed out all along.
    "hb-mem hold 300 0 >/dev/null; i=0; "
    "while [ $(cat %(s)s/in_flight_pages) -lt %(min)d ] && [ $i -lt 300 ]; "
    "do sleep 0.1; i=$((i+1)); done; "
    "f=$(cat %(s)s/in_flight_pages); "
    "free=$(awk '/MemFree/{print $2}' /proc/meminfo); "
    "mib=$(( (free + f * 2) / 1024 )); "
    "h0=$(cat %(h)s/reported_chunks); "
    "echo inflight=$f free=$free mib=$mib; "
    "hb-mem hold $mib 0 >/dev/null; echo rc=$?; "
    "echo after=$(cat %(s)s/in_flight_pages) "
    "completed=$(( $(cat %(h)s/reported_chunks) - h0 ))" %
    {"s": ALT_SYSFS, "h": hintbuf.BUFFER_SYSFS, "min": MIN_INFLIGHT_PAGES})


def fake_oom(g):
    """Run the fake-OOM workload: (report, oom kills, counters)."""
    before = g.vmstat()["oom_kill"]
    out = g.out(FAKE_OOM, timeout=300)
    res = dict(re.findall(r"(\w+)=(-?\d+)", out))
    res = {k: int(v) for k, v in res.items()}
    return res, g.vmstat()["oom_kill"] - before, alt_counters(g)


# The workload runs the guest out of memory on purpose: besides the
# OOM-killer report (never counted), the victim's last allocation can
# fail and warn_alloc() dumps its stack.  Only that bare trace is let
# through; a BUG, WARNING or the like on the console still fails.
@pytest.mark.kernel_reports_allowed(r"Call Trace")
@pytest.mark.parametrize("arm", ["stock", "retry_inflight", "oom_wait_ms"])
def test_fake_oom(make_guest, arm):
    """A 512 MiB guest on a slow host allocates what a report in flight
    holds: stock reporting OOM-kills it (a fake OOM); each guest-only
    alternative is measured against that."""
    append = {"stock": "",
              "retry_inflight": "page_reporting_alt.retry_inflight=1",
              "oom_wait_ms": "page_reporting_alt.oom_wait_ms=20000"}[arm]
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
