# SPDX-License-Identifier: GPL-2.0
"""The hinting buffer under the debug kernel (make kernel-debug).

config/kernel-debug.config adds DEBUG_VM, DEBUG_VM_PGFLAGS, lockdep
(PROVE_LOCKING, PROVE_RCU), DEBUG_ATOMIC_SLEEP, DEBUG_LIST, KASAN,
PAGE_OWNER, DEBUG_PAGEALLOC, PAGE_POISONING and fail_page_alloc.  Every
test reads the guest console: the kernel must report nothing
(hbvm.CONSOLE_REPORTS).  Guests stay small because KASAN, lockdep and
DEBUG_PAGEALLOC make TCG many times slower.
"""

import os
import re
import time

import pytest

import hbvm
from test_integrity import MIB, integrity_guest, qom, run_integrity

KERNEL = hbvm.KERNEL_DEBUG
# Lower reporting order and short delay as in test_integrity; the checkers
# that need a switch on the command line.
APPEND = "page_hinting.order=5 page_hinting.delay_ms=50 page_owner=on"
# Proof that the checkers run: their boot banners.
BANNERS = ["KernelAddressSanitizer initialized",
           "Lock dependency validator"]

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not os.path.exists(KERNEL),
                       reason="debug kernel not built (make kernel-debug)"),
    pytest.mark.skipif(not hbvm.kernel_has("CONFIG_PAGE_HINTING", KERNEL),
                       reason="debug kernel without CONFIG_PAGE_HINTING"),
    pytest.mark.skipif("hint-buffer" not in hbvm.balloon_properties(),
                       reason="QEMU without the hint-buffer series"),
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
    reports = hbvm.console_reports(g.console_text())
    if ignore:
        reports = [r for r in reports if not re.search(ignore, r)]
    assert reports == [], "kernel reports on the console:\n" + "\n".join(
        reports[:40])


def test_debug_integrity_pressure_fault_injection(make_guest):
    """Integrity tool, then stress-ng's OOM-able VM pressure, buffer on;
    then fail_page_alloc while the driver refills the buffer at probe.

    One guest for all three: a debug boot costs most of a minute.
    """
    g = debug_guest(make_guest)
    assert g.hinting_counters()["buffer_pages"] > 0
    summary, out, delta, reported = run_integrity(g, 32, 96, 2)
    print(out.splitlines()[-1])
    assert summary["bad_pages"] == 0, out
    assert delta["swaps"] > 0
    before = g.hinting_counters()
    oom_before = g.vmstat()["oom_kill"]
    rc, out = g.run("stress-ng --vm 2 --vm-bytes 90% --oomable --timeout 15s"
                    " 2>&1", timeout=300, check=False)
    print(out[-600:])
    after = g.hinting_counters()
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
    assert "no hinting buffer with page poisoning" in console
    assert qom(g, "hint-buffer-actual") == 0
    assert g.hinting_counters()["buffer_pages"] == 0
    summary, out, delta, reported = run_integrity(g, 32, 64, 1)
    print(out.splitlines()[-1])
    assert summary["bad_pages"] == 0, out
    assert delta["hinted_bytes"] > 0 and reported > 0
    # reported, acknowledged, never discarded: poison_val is set
    assert qom(g, "discarded-bytes") == 0
    assert_clean(g)


def test_init_on_free_keeps_buffer(make_guest):
    """init_on_free=1: the buffer stays on and stays correct.

    With init_on_free the allocator does not zero pages on allocation and
    trusts that free pages are zero; buffer chunks the host discarded
    read zero, so fresh memory (hb-integrity checks every byte) is zero.
    """
    g = debug_guest(make_guest, "init_on_free=1", name="init_on_free")
    assert re.search(r"mem auto-init: .*heap free:on", g.console_text())
    assert qom(g, "hint-buffer-actual") > 0
    assert g.hinting_counters()["buffer_pages"] * 4096 == \
        qom(g, "hint-buffer-actual")
    summary, out, delta, reported = run_integrity(g, 32, 96, 2)
    print(out.splitlines()[-1])
    assert summary["bad_pages"] == 0, out
    assert summary["fresh_bad"] == 0
    assert delta["swaps"] > 0
    assert qom(g, "discarded-bytes") > 0
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
    assert g.hinting_counters()["buffer_pages"] == 0
    mark = len(g.console_text())
    fa = "/sys/kernel/debug/fail_page_alloc"
    g.out("mount -t debugfs none /sys/kernel/debug 2>/dev/null; "
          "cd %s && echo 10 > min-order && echo %d > space && "
          "echo 1 > times && echo 1 > interval && echo 100 > probability"
          % (fa, 16 * 1024 + 1))
    g.out("echo %s > %s/bind" % (dev, drv))
    deadline = time.monotonic() + 60
    while qom(g, "hint-buffer-actual") == 0 and time.monotonic() < deadline:
        time.sleep(0.5)
    time.sleep(1)
    counters = g.hinting_counters()
    actual = qom(g, "hint-buffer-actual")
    log = g.console_text()[mark:]
    print("after the injected failure: buffer %d of %d pages, "
          "hint-buffer-actual %d MiB" % (counters["buffer_pages"],
                                         counters["target_pages"],
                                         actual // MIB))
    assert "FAULT_INJECTION: forcing a failure" in log
    assert 0 < counters["buffer_pages"] < counters["target_pages"]
    assert counters["buffer_pages"] * 4096 == actual
    # 16 order-10 chunks passed (64 MiB) plus what the small DMA zone
    # holds: far below the rounding to chunks that can trim a buffer.
    assert actual <= 80 * MIB
    assert len(re.findall(r"virtio_balloon virtio\d+: hinting buffer: "
                          r"offered \d+ pages, holding \d+", log)) == 1, log
    assert g.run("echo alive")[1].strip() == "alive"
    # The injection's own stack dump is the only trace allowed.
    assert_clean(g, ignore=r"Call Trace")


def test_resize_racing_stall_then_unbind(make_guest):
    """A resize racing a stalled device's unregister, then unbind, then
    the sysfs writes that resize the buffer of whatever device the mm
    core remembers.

    A stuck device (x-report-stall) holds a report, and with it the
    hinting mutex, for report_timeout_ms; a qom-set of hint-buffer in
    that window queues a resize that waits for the mutex while the stall
    handler unregisters reporting.  Whichever gets the mutex first, the
    mm core must end up remembering no device: a buffer requested after
    the stall is refused (requested_pages 0), and after unbind the writes
    to enabled and max_mib must not reach the freed device (KASAN would
    report a use after free).

    Which of the two takes the mutex first is up to the scheduler; the
    test holds the window open and checks the outcome of either order.
    The KUnit case hint_test_resize_unregistered checks the refusal
    itself, deterministically.
    """
    if "x-report-stall" not in hbvm.balloon_properties():
        pytest.skip("QEMU without x-report-stall")
    timeout_ms = 3000
    g = debug_guest(make_guest, "page_hinting.report_timeout_ms=%d"
                    % timeout_ms, name="stall-race")
    assert qom(g, "hint-buffer-actual") > 0
    dev = g.balloon_device()[0]
    g.qmp.execute("qom-set", path="/machine/peripheral/balloon",
                  property="x-report-stall", value=True)
    g.out("hb-mem hold 64 0")
    deadline = time.monotonic() + 30
    while g.hinting_counters()["in_flight_bytes"] == 0:
        assert time.monotonic() < deadline, "no report went out"
        time.sleep(0.1)
    t0 = time.monotonic()
    g.qmp.execute("qom-set", path="/machine/peripheral/balloon",
                  property="hint-buffer", value=96 * MIB)
    # the report was still out when the resize was asked for: the window
    # stays open for timeout_ms, far longer than a config interrupt takes
    assert time.monotonic() - t0 < timeout_ms / 1000
    msg = "free page report not completed within %d ms" % timeout_ms
    deadline = time.monotonic() + 60
    while msg not in g.console_text():
        assert time.monotonic() < deadline, "the stall was not handled"
        time.sleep(0.2)
    # the resize has run by the time the driver tells the device 0
    deadline = time.monotonic() + 30
    while True:
        c = g.hinting_counters()
        if c["requested_pages"] == 0 and qom(g, "hint-buffer-actual") == 0:
            break
        assert time.monotonic() < deadline, \
            "a buffer outlived the stall: %s" % c
        time.sleep(0.2)
    assert c["buffer_pages"] == 0 and c["target_pages"] == 0
    g.out("echo %s > /sys/bus/virtio/drivers/virtio_balloon/unbind" % dev,
          timeout=timeout_ms / 1000 + 120)
    g.out("cd %s && echo 0 > enabled && echo 1 > enabled && "
          "echo 64 > max_mib && echo 0 > max_mib" % hbvm.HINTING_SYSFS)
    c = g.hinting_counters()
    print("after unbind and the sysfs writes: %s" % {
        k: c[k] for k in ("buffer_pages", "requested_pages", "target_pages",
                          "stranded_pages")})
    assert c["buffer_pages"] == 0 and c["requested_pages"] == 0
    assert c["stranded_pages"] == 0
    assert "touched 128" in g.out("hb-mem hold 128 0", timeout=300)
    assert_clean(g)
