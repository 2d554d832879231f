# SPDX-License-Identifier: GPL-2.0
"""The reporting buffer under the debug kernel (make kernel-debug).

config/kernel-debug.config adds DEBUG_VM, DEBUG_VM_PGFLAGS, lockdep
(PROVE_LOCKING, PROVE_RCU), DEBUG_ATOMIC_SLEEP, DEBUG_LIST, KASAN,
PAGE_OWNER, DEBUG_PAGEALLOC, PAGE_POISONING and fail_page_alloc.  Every
test reads the guest console: the kernel must report nothing
(hintbuf.kreport.CONSOLE_REPORTS).  Guests stay small because KASAN,
lockdep and DEBUG_PAGEALLOC make TCG many times slower.
"""

import os
import re
import time

import pytest

import hintbuf
from hintbuf import MIB, wait_until
from hintbuf.workloads import integrity_guest, run_integrity

KERNEL = hintbuf.KERNEL_DEBUG
# Lower reporting order and short delay as in test_integrity; the checkers
# that need a switch on the command line.
APPEND = "page_reporting.page_reporting_order=5 page_reporting.delay_ms=50 page_owner=on"
# Proof that the checkers run: their boot banners.
BANNERS = ["KernelAddressSanitizer initialized",
           "Lock dependency validator"]

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not os.path.exists(KERNEL),
                       reason="debug kernel not built (make kernel-debug)"),
    pytest.mark.needs_kconfig("CONFIG_PAGE_REPORTING_BUFFER", kernel=KERNEL),
    pytest.mark.needs_qemu_prop("reporting-buffer"),
]


def debug_guest(make_guest, append="", name="debug"):
    t0 = time.monotonic()
    g = integrity_guest(make_guest, kernel=KERNEL, append=APPEND + " " +
                        append, name=name)
    print("%s: booted and settled in %.1f s" % (name, time.monotonic() - t0))
    console = g.console_text()
    for banner in BANNERS:
        assert banner in console, "checker not running: %r" % banner
    return g


def assert_clean(g, ignore=None):
    """No kernel report on the console (ignore: regex of allowed lines)."""
    reports = hintbuf.console_reports(g.console_text())
    if ignore:
        reports = [r for r in reports if not re.search(ignore, r)]
    assert reports == [], "kernel reports on the console:\n" + "\n".join(
        reports[:40])


# The injected allocation failure dumps a stack, on purpose.
@pytest.mark.kernel_reports_allowed(r"Call Trace")
def test_debug_integrity_pressure_fault_injection(make_guest):
    """Integrity tool, then stress-ng's OOM-able VM pressure, buffer on;
    then fail_page_alloc while the driver refills the buffer at probe.

    One guest for all three: a debug boot costs most of a minute.
    """
    g = debug_guest(make_guest)
    assert g.buffer_counters()["owned_pages"] > 0
    summary, out, delta, reported = run_integrity(g, 32, 96, 2)
    print(out.splitlines()[-1])
    assert summary["bad_pages"] == 0, out
    assert delta["swaps"] > 0
    before = g.buffer_counters()
    oom_before = g.vmstat()["oom_kill"]
    rc, out = g.run("stress-ng --vm 2 --vm-bytes 90% --oomable --timeout 15s"
                    " 2>&1", timeout=300, check=False)
    print(out[-600:])
    after = g.buffer_counters()
    kills = g.vmstat()["oom_kill"] - oom_before
    print("OOM kills during the run: %d" % kills)
    # --oomable: a worker the OOM killer takes is not restarted and
    # stress-ng may call the run unsuccessful; that is the load doing its
    # job.  Anything else that stops the run is a failure.
    assert "successful run completed" in out or \
        (kills > 0 and "run completed" in out), out
    # Reporting kept running under the pressure, through the buffer.
    assert after["swaps"] > before["swaps"]
    assert g.run("echo alive")[1].strip() == "alive"
    assert_clean(g)
    fail_page_alloc_at_probe(g)


def test_page_poison_declines_buffer(make_guest):
    """page_poison=1: the buffer is declined, as documented.

    The device must not discard poisoned pages (QEMU skips reports while
    poison_val is set), so a buffer would cost the host its whole size.
    Free page reporting itself stays on; QEMU acknowledges the reports and
    discards nothing.
    """
    g = debug_guest(make_guest, "page_poison=1", name="poison")
    console = g.console_text()
    assert "no reporting buffer with page poisoning" in console
    assert g.qom("reporting-buffer-actual") == 0
    assert g.buffer_counters()["owned_pages"] == 0
    summary, out, delta, reported = run_integrity(g, 32, 64, 1)
    print(out.splitlines()[-1])
    assert summary["bad_pages"] == 0, out
    assert delta["reported_bytes"] > 0 and reported > 0
    # reported, acknowledged, never discarded: poison_val is set
    assert g.qom("discarded-bytes") == 0
    assert_clean(g)


def test_init_on_free_keeps_buffer(make_guest):
    """init_on_free=1: the buffer stays on and stays correct.

    With init_on_free the allocator does not zero pages on allocation and
    trusts that free pages are zero; buffer chunks the host discarded
    read zero, so fresh memory (hb-integrity checks every byte) is zero.
    """
    g = debug_guest(make_guest, "init_on_free=1", name="init_on_free")
    assert re.search(r"mem auto-init: .*heap free:on", g.console_text())
    assert g.qom("reporting-buffer-actual") > 0
    assert g.buffer_counters()["owned_pages"] * 4096 == \
        g.qom("reporting-buffer-actual")
    summary, out, delta, reported = run_integrity(g, 32, 96, 2)
    print(out.splitlines()[-1])
    assert summary["bad_pages"] == 0, out
    assert summary["fresh_bad"] == 0
    assert delta["swaps"] > 0
    assert g.qom("discarded-bytes") > 0
    assert_clean(g)


def fail_page_alloc_at_probe(g):
    """fail_page_alloc while the driver fills the buffer after probe.

    Unbind the driver, arm fail_page_alloc for order-10 allocations only
    (the fill takes the largest chunks first) with a budget of 16 such
    chunks and one failure, and bind again: the buffer comes out smaller,
    the device is told the smaller size, and the driver says so once.
    """
    dev = g.balloon_device()[0]
    drv = "/sys/bus/virtio/drivers/virtio_balloon"
    g.out("echo %s > %s/unbind" % (dev, drv))
    assert g.buffer_counters()["owned_pages"] == 0
    mark = len(g.console_text())
    fa = "/sys/kernel/debug/fail_page_alloc"
    g.out("mount -t debugfs none /sys/kernel/debug 2>/dev/null; "
          "cd %s && echo 10 > min-order && echo %d > space && "
          "echo 1 > times && echo 1 > interval && echo 100 > probability"
          % (fa, 16 * 1024 + 1))
    g.out("echo %s > %s/bind" % (dev, drv))
    g.wait_buffer_held(60)
    time.sleep(1)
    counters = g.buffer_counters()
    actual = g.qom("reporting-buffer-actual")
    log = g.console_text()[mark:]
    print("after the injected failure: buffer %d of %d pages, "
          "reporting-buffer-actual %d MiB" % (counters["owned_pages"],
                                         counters["target_pages"],
                                         actual // MIB))
    assert "FAULT_INJECTION: forcing a failure" in log
    assert 0 < counters["owned_pages"] < counters["target_pages"]
    assert counters["owned_pages"] * 4096 == actual
    # 16 order-10 chunks passed (64 MiB) plus what the small DMA zone
    # holds: far below the rounding to chunks that can trim a buffer.
    assert actual <= 80 * MIB
    assert len(re.findall(r"virtio_balloon virtio\d+: reporting buffer: "
                          r"offered \d+ pages, holding \d+", log)) == 1, log
    assert g.run("echo alive")[1].strip() == "alive"
    # The injection's own stack dump is the only trace allowed.
    assert_clean(g, ignore=r"Call Trace")


def test_resize_racing_stall_then_unbind(make_guest):
    """A resize racing a stalled device's unregister, then unbind, then
    the parameter writes that resize the buffer of whatever device the mm
    core remembers.

    A stuck device (x-report-stall) holds a report, and with it the
    hinting mutex, for report_timeout_ms; a qom-set of reporting-buffer in
    that window queues a resize that waits for the mutex while the stall
    handler unregisters reporting.  Whichever gets the mutex first, the
    mm core must end up remembering no device: a buffer requested after
    the stall is refused (requested_pages 0), and after unbind the writes
    to enabled and max_mib must not reach the freed device (KASAN would
    report a use after free).

    Which of the two takes the mutex first is up to the scheduler; the
    test holds the window open and checks the outcome of either order.
    The KUnit case prb_test_resize_unregistered checks the refusal
    itself, deterministically.
    """
    if "x-report-stall" not in hintbuf.balloon_properties():
        pytest.skip("QEMU without x-report-stall")
    timeout_ms = 3000
    g = debug_guest(make_guest, "page_reporting_buffer.report_timeout_ms=%d"
                    % timeout_ms, name="stall-race")
    assert g.qom("reporting-buffer-actual") > 0
    dev = g.balloon_device()[0]
    g.qom_set("x-report-stall", True)
    g.out("hb-mem hold 64 0")
    assert wait_until(lambda: g.buffer_counters()["in_flight_bytes"], 30,
                      step=0.1), "no report went out"
    t0 = time.monotonic()
    g.qom_set("reporting-buffer", 96 * MIB)
    # the report was still out when the resize was asked for: the window
    # stays open for timeout_ms, far longer than a config interrupt takes
    assert time.monotonic() - t0 < timeout_ms / 1000
    msg = "free page report not completed within %d ms" % timeout_ms
    assert wait_until(lambda: msg in g.console_text(), 60), \
        "the stall was not handled"
    # the resize has run by the time the driver tells the device 0
    c, actual = wait_until(lambda: (g.buffer_counters(), g.buffer_actual()),
                           30, ok=lambda ca: ca[0]["requested_pages"] == 0
                           and ca[1] == 0)
    assert c["requested_pages"] == 0 and actual == 0, \
        "a buffer outlived the stall: %s, reporting-buffer-actual %d" % (c, actual)
    assert c["owned_pages"] == 0 and c["target_pages"] == 0
    g.out("echo %s > /sys/bus/virtio/drivers/virtio_balloon/unbind" % dev,
          timeout=timeout_ms / 1000 + 120)
    for name, value in (("enable", 0), ("enable", 1), ("max_mib", 64),
                        ("max_mib", 0)):
        g.set_param("page_reporting_buffer." + name, value)
    c = g.buffer_counters()
    print("after unbind and the parameter writes: %s" % {
        k: c[k] for k in ("owned_pages", "requested_pages", "target_pages",
                          "kept_pages")})
    assert c["owned_pages"] == 0 and c["requested_pages"] == 0
    assert c["kept_pages"] == 0
    assert "touched 128" in g.out("hb-mem hold 128 0", timeout=300)
    assert_clean(g)
