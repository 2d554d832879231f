# SPDX-License-Identifier: GPL-2.0
"""Data integrity: hinting with the buffer on never loses or leaks a byte.

hb-integrity (guest/hb-integrity.c) keeps a working set with known
per-page contents while other memory is freed, hinted and reused cycle
after cycle, verifies every live page after every cycle and checks that
fresh memory (largely pages the host discarded) reads zero.  How much was
hinted is measured outside the tool: the guest's sysfs hinted_bytes and
QEMU's reported-bytes.
"""

import re
import time

import pytest

import hbvm

MIB = 1 << 20
BUFFER_MIB = 128
# Low reporting order and a short delay: many small chunks and many
# passes, so the buffer swaps often.
APPEND = "page_hinting.order=5 page_hinting.delay_ms=50"
MIN_HINTED = 2 << 30

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif("hint-buffer" not in hbvm.balloon_properties(),
                       reason="QEMU without the hint-buffer series"),
]


def qom(g, prop):
    return g.qmp.execute("qom-get", path="/machine/peripheral/balloon",
                         property=prop)


def integrity_guest(make_guest, kernel=None, mem_mib=1024, append=APPEND,
                    name="integrity"):
    """A guest with a BUFFER_MIB buffer; waits until it is held."""
    g = make_guest(name=name, kernel=kernel, mem_mib=mem_mib + BUFFER_MIB,
                   append=append,
                   balloon={"free-page-reporting": "on",
                            "hint-buffer": "%dM" % BUFFER_MIB})
    deadline = time.monotonic() + 60
    while qom(g, "hint-buffer-actual") == 0 and time.monotonic() < deadline:
        time.sleep(0.5)
    return g


def run_integrity(g, work_mib, churn_mib, cycles, timeout=600):
    """Run hb-integrity: (summary dict, output, sysfs deltas, QMP
    reported-bytes delta)."""
    before = g.hinting_counters()
    reported = qom(g, "reported-bytes")
    rc, out = g.run("hb-integrity %d %d %d" % (work_mib, churn_mib, cycles),
                    timeout=timeout, check=False)
    after = g.hinting_counters()
    delta = {k: after[k] - before[k] for k in after
             if isinstance(after[k], int) and isinstance(before.get(k), int)}
    m = re.search(r"^hb-integrity: (.*)$", out, re.M)
    assert m, "no summary from hb-integrity (rc %d):\n%s" % (rc, out)
    summary = {k: float(v) if "." in v else int(v)
               for k, v in (kv.split("=") for kv in m.group(1).split())}
    assert rc == (1 if summary["bad_pages"] else 0), out
    return summary, out, delta, qom(g, "reported-bytes") - reported


def test_integrity_with_buffer(make_guest):
    if not hbvm.kernel_has("CONFIG_PAGE_HINTING"):
        pytest.skip("kernel without CONFIG_PAGE_HINTING")
    g = integrity_guest(make_guest)
    assert g.hinting_counters()["buffer_pages"] > 0
    work, churn, cycles = 256, 448, 6
    summary, out, delta, reported = run_integrity(g, work, churn, cycles)
    print(out.splitlines()[-1])
    print("hinted: sysfs %d MiB, QEMU reported-bytes %d MiB; swaps %d, "
          "fallbacks %d, failed chunks %d"
          % (delta["hinted_bytes"] // MIB, reported // MIB, delta["swaps"],
             delta["fallbacks"], delta["failed_chunks"]))
    assert summary["bad_pages"] == 0, out
    assert summary["cycles"] == cycles
    assert summary["pages_verified"] == cycles * work * MIB // 4096
    # Fresh memory: the first working set plus every cycle's replacement
    # quarter and churn, all checked for zero.
    assert summary["fresh_pages"] == (
        work + cycles * (work // 4 + churn)) * MIB // 4096
    assert delta["hinted_bytes"] >= MIN_HINTED
    assert reported >= MIN_HINTED
    # The hinted chunks went through the buffer, not around it.
    assert delta["swaps"] > 0
    assert delta["failed_chunks"] == 0
    assert hbvm.console_reports(g.console_text()) == []
