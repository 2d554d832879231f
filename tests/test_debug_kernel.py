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
from test_integrity import integrity_guest, qom, run_integrity

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


def test_debug_integrity_and_pressure(make_guest):
    """Integrity tool, then stress-ng's OOM-able VM pressure, buffer on."""
    g = debug_guest(make_guest)
    assert g.hinting_counters()["buffer_pages"] > 0
    summary, out, delta, reported = run_integrity(g, 32, 96, 2)
    print(out.splitlines()[-1])
    assert summary["bad_pages"] == 0, out
    assert delta["swaps"] > 0
    before = g.hinting_counters()
    rc, out = g.run("stress-ng --vm 2 --vm-bytes 90% --oomable --timeout 15s"
                    " 2>&1", timeout=300, check=False)
    print(out[-600:])
    after = g.hinting_counters()
    assert "successful run completed" in out, out
    # Reporting kept running under the pressure, through the buffer.
    assert after["swaps"] > before["swaps"]
    assert g.run("echo alive")[1].strip() == "alive"
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
