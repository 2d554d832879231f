# SPDX-License-Identifier: GPL-2.0
"""A device that negotiates VIRTIO_BALLOON_F_REPORTING_BUFFER but never
completes a free page report (QEMU's x-report-stall).

The guest must wait at most page_reporting_buffer.report_timeout_ms, then stop
reporting on the device, give the reporting buffer back to the free lists
and keep the chunks the device still holds isolated (kept_pages) until
the device completes the report or is reset.  It says so once.  It keeps
working, and unbinding the driver finishes within a bounded time."""

import time

import pytest

from hintbuf import MIB, PAGE, wait_until
from hintbuf.readers import allocatable_kib

BUFFER_MIB = 128
TIMEOUT_MS = 2000
STALL_MSG = "free page report not completed within %d ms" % TIMEOUT_MS
DONE_MSG = "the device completed the stalled free page report"
RESET_MSG = "device reset: freed"

pytestmark = [pytest.mark.needs_qemu_prop("x-report-stall"),
              pytest.mark.needs_kconfig("CONFIG_PAGE_REPORTING_BUFFER")]


def assert_sane(g):
    console = g.console_text()
    for bad in ("Out of memory", "invoked oom-killer", "BUG:", "WARNING:",
                "Call Trace", "hung_task", "blocked for more than"):
        assert bad not in console, "guest console shows %r" % bad


def buffered_guest(make_guest, mem_mib):
    """A guest holding the whole buffer, hinting 100 ms after a free and
    giving up on a report after TIMEOUT_MS.  Order 10: the first batch is
    then many chunks (at order 9 it is often the one order-9 chunk free),
    so a stalled report strands enough memory to measure."""
    g = make_guest(mem_mib=mem_mib + BUFFER_MIB, cpus=2,
                   append="page_reporting.delay_ms=100 page_reporting.page_reporting_order=10 "
                   "page_reporting_buffer.report_timeout_ms=%d" % TIMEOUT_MS,
                   balloon={"free-page-reporting": "on",
                            "reporting-buffer": "%dM" % BUFFER_MIB})
    want = BUFFER_MIB * MIB
    assert wait_until(lambda: g.qom("reporting-buffer-actual") == want, 20)
    assert g.buffer_counters()["owned_pages"] * PAGE == want
    return g


def unbind(g, dev):
    """Unbind the balloon driver: seconds it took."""
    t0 = time.monotonic()
    g.out("echo %s > /sys/bus/virtio/drivers/virtio_balloon/unbind" % dev,
          timeout=TIMEOUT_MS / 1000 + 90)
    took = time.monotonic() - t0
    print("unbind took %.2f s" % took)
    return took


def test_stuck_device(make_guest):
    """A device that stops completing reports: the guest gives up after
    report_timeout_ms, keeps the reported chunks isolated, gives the
    buffer back, and frees the chunks when the device completes or is
    reset; unbinding stays bounded."""
    g = buffered_guest(make_guest, 768)
    want = BUFFER_MIB * MIB
    dev = g.balloon_device()[0]

    # --- the device stops completing reports while hinting runs ---------
    # Touch 256 MiB and hold it, let reporting go quiet, stall the
    # device, then free it all at once (killing the holder): the first
    # report after the stall is then a batch of the freed memory.  Freeing
    # as the touching command exits instead let a pass that its start had
    # requested report one order-10 chunk while it still touched, and the
    # stall caught that one (seen once under load).
    free0 = allocatable_kib(g)
    g.run("hb-mem hold 256 600 >/tmp/hold.out 2>&1 & echo $! >/tmp/hold.pid")
    assert wait_until(lambda: "touched 256" in g.out("cat /tmp/hold.out"), 60)
    time.sleep(1)
    g.qom_set("x-report-stall", True)
    t0 = time.monotonic()
    g.out("kill $(cat /tmp/hold.pid)")
    assert wait_until(lambda: STALL_MSG in g.console_text(), 30), \
        "guest never gave up on the stalled report"
    gave_up = time.monotonic() - t0
    c = g.buffer_counters()
    stranded = c["kept_pages"]
    print("gave up after %.1f s, %d pages stranded" % (gave_up, stranded))
    # one report of up to 32 order-10 chunks, more than one here
    assert 1024 < stranded <= 32 * 1024
    assert c["owned_pages"] == 0
    assert wait_until(lambda: g.qom("reporting-buffer-actual") == 0, 30)
    # the buffer came back to the free lists; the stranded chunks did not
    free1 = allocatable_kib(g)
    gained = (free1 - free0) * 1024
    assert gained > want - stranded * PAGE - 16 * MIB, (free0, free1)

    # the guest keeps working: allocate most of what is free, free it
    # again, then more frees (the worker must not be stuck)
    avail = g.meminfo()["MemAvailable"] // 1024
    out = g.out("hb-mem hold %d 0" % (avail - 96), timeout=120)
    assert "touched %d" % (avail - 96) in out
    g.out("hb-mem hold 128 0; sleep 1; hb-mem hold 128 0")
    assert g.buffer_counters()["kept_pages"] == stranded
    console = g.console_text()
    assert console.count(STALL_MSG) == 1, "stall not reported exactly once"

    # --- unbinding finishes in bounded time and frees the stranded chunks
    free1 = allocatable_kib(g)
    assert unbind(g, dev) < TIMEOUT_MS / 1000 + 30
    assert wait_until(lambda: RESET_MSG in g.console_text(), 30)
    assert g.buffer_counters()["kept_pages"] == 0
    free2 = allocatable_kib(g)
    # only the unbind ran in between: per-CPU lists move by a few MiB
    assert (free2 - free1) * 1024 > stranded * PAGE - 4 * MIB, \
        (free1, free2, stranded)

    # --- rebind with the device still stuck: the fill stalls; then the
    # device recovers and the guest frees what it held
    g.out("echo %s > /sys/bus/virtio/drivers/virtio_balloon/bind" % dev)
    assert wait_until(lambda: g.console_text().count(STALL_MSG) == 2, 30), \
        "the stalled fill was not reported"
    c = g.buffer_counters()
    assert c["kept_pages"] > 0 and c["owned_pages"] == 0
    g.qom_set("x-report-stall", False)
    assert wait_until(lambda: DONE_MSG in g.console_text(), 30), \
        "the guest did not notice the device completing the report"
    assert g.buffer_counters()["kept_pages"] == 0
    assert "touched 256" in g.out("hb-mem hold 256 0")
    assert_sane(g)


def test_unbind_during_stalled_report(make_guest):
    """Unbinding while a report waits takes at most the timeout."""
    g = buffered_guest(make_guest, 512)
    dev = g.balloon_device()[0]
    g.qom_set("x-report-stall", True)
    g.out("hb-mem hold 128 0")
    # the pass starts 100 ms later; give it time to send its report
    assert wait_until(lambda: g.buffer_counters()["in_flight_bytes"] > 0, 30)
    assert unbind(g, dev) < TIMEOUT_MS / 1000 + 30
    c = g.buffer_counters()
    assert c["kept_pages"] == 0 and c["owned_pages"] == 0
    assert "touched 256" in g.out("hb-mem hold 256 0")
    assert_sane(g)
