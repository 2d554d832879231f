# SPDX-License-Identifier: GPL-2.0
"""Freed guest memory goes back to the host only with reporting on.

Measured from the host: the resident set of the QEMU process.
"""

import time

import pytest

FILL_MIB = 512
WINDOW_S = 15.0


def fill_and_free(g):
    """Touch FILL_MIB in the guest, free it; return QEMU RSS at the peak."""
    g.settle_rss()
    out = g.out("hb-mem hold %d 0" % FILL_MIB, timeout=300)
    assert "touched %d" % FILL_MIB in out
    return g.rss_kib()


def rss_drop_within(g, peak_kib, seconds, want_kib):
    """Largest RSS drop below peak seen within seconds (stops early)."""
    best = 0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        best = max(best, peak_kib - g.rss_kib())
        if want_kib is not None and best >= want_kib:
            break
        time.sleep(0.25)
    return best


@pytest.mark.slow
def test_freed_memory_returns_with_reporting(make_guest):
    want = FILL_MIB * 1024 * 8 // 10

    on = make_guest(name="on", mem_mib=1024,
                    balloon={"free-page-reporting": "on"})
    peak = fill_and_free(on)
    drop_on = rss_drop_within(on, peak, WINDOW_S, want)
    on.close()

    off = make_guest(name="off", mem_mib=1024,
                     balloon={"free-page-reporting": "off"})
    peak = fill_and_free(off)
    drop_off = rss_drop_within(off, peak, WINDOW_S, None)

    print("RSS drop within %.0f s of freeing %d MiB: on %d MiB, off %d MiB"
          % (WINDOW_S, FILL_MIB, drop_on // 1024, drop_off // 1024))
    assert drop_on >= want, "reporting on returned only %d MiB" % (
        drop_on // 1024)
    assert drop_off < FILL_MIB * 1024 // 10, \
        "reporting off still returned %d MiB" % (drop_off // 1024)
