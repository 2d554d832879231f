# SPDX-License-Identifier: GPL-2.0
"""The reporting buffer keeps free memory constant while chunks are hinted.

Measured in the guest from outside the code under test: MemFree sampled
from /proc/meminfo by a busy reader (hb-mem churn) on one vCPU while the
reporting worker runs on the other, in the idle window after each free.
Stock reporting isolates up to 32 chunks per batch, so MemFree dips while
a batch is out; with the buffer, every isolated chunk is swapped for a
buffer chunk and the reader sees at most a swap half done (see
dip_bound_kib).
"""

import re

import pytest

import hintbuf
from hintbuf import wait_until

SYSFS = hintbuf.BUFFER_SYSFS
# What one zone can lend at once (32 chunks of order 10): the most the
# 1 GiB guest's DMA32 zone can use, spread with a sliver in ZONE_DMA.
BUFFER_MIB = 128
CHURN = "hb-mem churn 384 6 3000"
# One chunk of the largest order (MAX_PAGE_ORDER 10, 4 KiB pages).
LARGEST_CHUNK_KIB = 4096


pytestmark = [pytest.mark.slow,
              pytest.mark.needs_kconfig("CONFIG_PAGE_REPORTING_BUFFER")]


def max_dip_kib(out):
    return int(re.search(r"max_dip_kib (\d+)", out).group(1))


def dip_bound_kib(g):
    """How far MemFree may fall below its running maximum while every
    chunk is paid for, in KiB.

    A swap moves two counts under zone->lock, but /proc/meminfo reads
    NR_FREE_PAGES without it, so a sample can land in the middle: one
    swap half done that releases its payment before the isolation (a
    peak of up to a chunk) and another that isolates first because its
    payment lies in the chunk's buddy (a trough of up to a chunk).  Dips
    seen are whole pageblocks (2048, 4096, 6144, 8192 KiB), as such
    halves are.  Besides: the reporting worker's own small allocations
    may refill a per-CPU page list, which since 6.7 nr_pcp_alloc() may
    scale up to batch << CONFIG_PCP_BATCH_SCALE_MAX pages, and each
    CPU's vmstat delta, up to its zone's threshold, is not yet in the
    global count.
    """
    zoneinfo = g.out("cat /proc/zoneinfo")
    batch = max(int(b) for b in re.findall(r"batch:\s+(\d+)", zoneinfo))
    lag = sum(int(t) for t in
              re.findall(r"vm stats threshold:\s+(\d+)", zoneinfo))
    m = re.search(r"^CONFIG_PCP_BATCH_SCALE_MAX=(\d+)$",
                  hintbuf.kernel_config(), re.M)
    scale = int(m.group(1)) if m else 5
    return 2 * LARGEST_CHUNK_KIB + ((batch << scale) + lag) * 4


def perf_counts(out):
    """{event: count} from perf stat's CSV output (-x,)."""
    counts = {}
    for line in out.splitlines():
        f = line.split(",")
        if len(f) > 2 and f[2].startswith("page_reporting_buffer:"):
            counts[f[2].split(":", 1)[1]] = int(f[0])
    return counts


# Hinting runs asynchronously after each free: wait until its counters
# have not moved for 2 s (eight 250 ms reporting delays).
QUIESCE = ("q() { cat %s/swaps %s/fallbacks %s/reported_chunks; }; "
           "a=; b=$(q); while [ \"$a\" != \"$b\" ]; do a=$b; sleep 2; "
           "b=$(q); done" % (SYSFS, SYSFS, SYSFS))
# The counters every hinting tracepoint moves with.
EVENT_COUNTERS = ("batches", "swaps", "fallbacks", "reported_chunks",
                  "failed_chunks")
TRACED_ATTEMPTS = 3


def churn(g):
    """Run the churn workload: (max dip KiB, sysfs counter deltas)."""
    g.out(QUIESCE, timeout=120)
    before = g.buffer_counters()
    out = g.out("%s; %s" % (CHURN, QUIESCE), timeout=900)
    after = g.buffer_counters()
    return max_dip_kib(out), {k: after[k] - before[k] for k in after
                              if isinstance(after[k], int)}


def churn_traced(g):
    """churn() under perf stat: (max dip KiB, sysfs deltas, perf counts).

    Both sysfs reads run inside perf's window, so perf also sees whatever
    hinting does between its start and the first read, or between the
    last read and its exit.  Reads just outside the window prove those
    edges were quiet (hinting can start on any free, even an idle
    guest's); if they were not, the window is measured again.
    """
    quiet = lambda a, b: all(a[k] == b[k] for k in EVENT_COUNTERS)
    for _ in range(TRACED_ATTEMPTS):
        g.out(QUIESCE, timeout=120)
        pre = g.buffer_counters()
        out = g.out("perf stat -x, -o /tmp/perf.csv -a -e 'page_reporting_buffer:*' "
                    "-- sh -c 'cd %s && grep -H . * >/tmp/before; %s; %s; "
                    "grep -H . * >/tmp/after' && cat /tmp/perf.csv"
                    % (SYSFS, CHURN, QUIESCE), timeout=900)
        post = g.buffer_counters()
        before = hintbuf.readers.counters(g.out("cat /tmp/before"))
        after = hintbuf.readers.counters(g.out("cat /tmp/after"))
        if quiet(pre, before) and quiet(after, post):
            delta = {k: after[k] - before[k] for k in after
                     if isinstance(after[k], int)}
            return max_dip_kib(out), delta, perf_counts(out)
        print("hinting ran at the edge of perf's window; measuring again")
    pytest.fail("hinting never stayed quiet around perf's window in %d "
                "attempts" % TRACED_ATTEMPTS)


def slow_host_buffer_guest(make_guest, name):
    """A guest holding the whole buffer on a host that takes 200 ms per
    report (x-report-latency), with a 250 ms reporting delay."""
    g = make_guest(name=name, mem_mib=1024 + BUFFER_MIB,
                   append="page_reporting.delay_ms=250",
                   balloon={"free-page-reporting": "on",
                            "x-report-latency": "200",
                            "reporting-buffer": "%dM" % BUFFER_MIB})
    assert wait_until(lambda: g.buffer_counters()["owned_pages"] * 4 >=
                      BUFFER_MIB * 1024, 30, step=0.5), "buffer never filled"
    return g


def test_memfree_constant_with_buffer(make_guest):
    """Under churn on a slow host, MemFree dips with the buffer by no more
    than two half-done swaps and a per-CPU refill, far less than stock
    reporting's batches, and perf's event counts equal the sysfs counter
    deltas."""
    # A host that takes 200 ms per report (x-report-latency) keeps each
    # stock batch out long enough for the sampler to see it every time;
    # both arms get the same host.
    on = slow_host_buffer_guest(make_guest, "buffer")
    dip_on, delta, events = churn_traced(on)
    bound = dip_bound_kib(on)
    on.close()

    off = make_guest(name="stock", mem_mib=1024,
                     append="page_reporting.delay_ms=250",
                     balloon={"free-page-reporting": "on",
                              "x-report-latency": "200"})
    dip_off, delta_off = churn(off)

    print("max MemFree dip while hinting: buffer %d KiB (bound %d), "
          "stock %d KiB" % (dip_on, bound, dip_off))
    print("buffer arm: sysfs deltas %s, tracepoints %s" % (delta, events))
    # Hinting ran, every chunk was swapped, none fell back.
    assert delta["swaps"] > 0
    assert delta["fallbacks"] == 0
    assert dip_on <= bound
    # The stock dip shows in the same run: batches of up to 32 chunks.
    assert delta_off["reported_chunks"] > 0
    assert dip_off >= 8 * LARGEST_CHUNK_KIB
    # Tracepoints count exactly what sysfs counts.
    assert events.get("page_reporting_buffer_swap") == delta["swaps"]
    assert events.get("page_reporting_buffer_fallback", 0) == delta["fallbacks"]
    assert events.get("page_reporting_buffer_batch_start") == delta["batches"]
    assert events.get("page_reporting_buffer_batch_end") == delta["batches"]


# Sample MemTotal, owned_pages and in_flight_bytes in a loop for as long
# as the churn runs, then summarise: each distinct MemTotal + buffer, how
# often it was seen, and how many samples caught a batch in flight.
MEMTOTAL_SAMPLER = (
    "%s >/dev/null & p=$!; cd %s; while kill -0 $p 2>/dev/null; do "
    "echo $(grep MemTotal /proc/meminfo) $(cat owned_pages) "
    "$(cat in_flight_bytes); done >/tmp/memtotal; wait $p; "
    "awk '{ c[$2 + $4 * 4]++; if ($5 > 0) f++ } END "
    "{ for (k in c) print \"sum_kib\", k, c[k]; "
    "print \"in_flight\", f + 0; print \"samples\", NR }' /tmp/memtotal"
    % (CHURN, SYSFS))


def test_memtotal_constant_during_batches(make_guest):
    """MemTotal plus the buffer is the same in every sample while
    compensated batches are out being reported.

    The buffer is out of managed pages; a swap hands buffer pages to the
    free lists and takes the hinted chunk in their place, so MemTotal
    must not move with it, not even for the 200 ms (x-report-latency)
    the host holds each batch.
    """
    g = slow_host_buffer_guest(make_guest, "memtotal")
    g.out(QUIESCE, timeout=120)
    rest = g.meminfo()["MemTotal"] + g.buffer_counters()["owned_pages"] * 4
    before = g.buffer_counters()
    out = g.out(MEMTOTAL_SAMPLER, timeout=900)
    after = g.buffer_counters()
    sums = {int(k): int(n) for k, n in re.findall(r"sum_kib (\d+) (\d+)",
                                                  out)}
    in_flight = int(re.search(r"in_flight (\d+)", out).group(1))
    samples = int(re.search(r"samples (\d+)", out).group(1))
    swaps = after["swaps"] - before["swaps"]
    print("MemTotal + buffer at rest %d KiB; during churn %s over %d "
          "samples, %d with a batch in flight; %d swaps"
          % (rest, sums, samples, in_flight, swaps))
    assert swaps > 0
    assert after["fallbacks"] == before["fallbacks"]
    # the window was open: many samples saw a compensated batch out
    assert in_flight >= 10
    assert sums == {rest: samples}
