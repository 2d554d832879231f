# SPDX-License-Identifier: GPL-2.0
"""Data integrity: hinting with the buffer on never loses or leaks a byte.

hb-integrity (guest/hb-integrity.c) keeps a working set with known
per-page contents while other memory is freed, hinted and reused cycle
after cycle, verifies every live page after every cycle and checks that
fresh memory (largely pages the host discarded) reads zero.  How much was
hinted is measured outside the tool: the guest's sysfs reported_bytes and
QEMU's reported-bytes.
"""

import pytest

import hintbuf
from hintbuf import MIB
from hintbuf.workloads import integrity_guest, run_integrity

MIN_HINTED = 2 << 30

pytestmark = [
    pytest.mark.slow,
    pytest.mark.needs_qemu_prop("reporting-buffer"),
]


def test_integrity_with_buffer(make_guest):
    """hb-integrity with the buffer held: no page loses its contents and
    every fresh page reads zero while the guest hints and reuses memory."""
    if not hintbuf.kernel_has("CONFIG_PAGE_REPORTING_BUFFER"):
        pytest.skip("kernel without CONFIG_PAGE_REPORTING_BUFFER")
    g = integrity_guest(make_guest)
    assert g.buffer_counters()["owned_pages"] > 0
    work, churn, cycles = 256, 448, 6
    summary, out, delta, reported = run_integrity(g, work, churn, cycles)
    print(out.splitlines()[-1])
    print("hinted: sysfs %d MiB, QEMU reported-bytes %d MiB; swaps %d, "
          "fallbacks %d, failed chunks %d"
          % (delta["reported_bytes"] // MIB, reported // MIB, delta["swaps"],
             delta["fallbacks"], delta["failed_chunks"]))
    assert summary["bad_pages"] == 0, out
    assert summary["cycles"] == cycles
    assert summary["pages_verified"] == cycles * work * MIB // 4096
    # Fresh memory: the first working set plus every cycle's replacement
    # quarter and churn, all checked for zero.
    assert summary["fresh_pages"] == (
        work + cycles * (work // 4 + churn)) * MIB // 4096
    assert delta["reported_bytes"] >= MIN_HINTED
    assert reported >= MIN_HINTED
    # The hinted chunks went through the buffer, not around it.
    assert delta["swaps"] > 0
    assert delta["failed_chunks"] == 0
    assert hintbuf.console_reports(g.console_text()) == []
