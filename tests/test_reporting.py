# SPDX-License-Identifier: GPL-2.0
"""Freed guest memory goes back to the host only with reporting on.

Measured from the host: the resident set of the QEMU process.
"""

import pytest

FILL_MIB = 512
# How long the off arm is watched for a drop that must not come, and the
# on arm's deadline (it stops as soon as the drop is reached, so a slow
# machine only makes it wait longer).
WINDOW_S = 15.0
DEADLINE_S = 60.0


@pytest.mark.slow
def test_freed_memory_returns_with_reporting(make_guest):
    """With free page reporting on, memory the guest frees leaves QEMU's RSS
    within the deadline; with it off, it stays."""
    want = FILL_MIB * 1024 * 8 // 10

    on = make_guest(name="on", mem_mib=1024,
                    balloon={"free-page-reporting": "on"})
    peak = on.fill_and_free(FILL_MIB)
    drop_on = on.rss_drop_within(peak, DEADLINE_S, want)
    on.close()

    off = make_guest(name="off", mem_mib=1024,
                     balloon={"free-page-reporting": "off"})
    peak = off.fill_and_free(FILL_MIB)
    drop_off = off.rss_drop_within(peak, WINDOW_S)

    print("RSS drop after freeing %d MiB: on %d MiB, off %d MiB within "
          "%.0f s" % (FILL_MIB, drop_on // 1024, drop_off // 1024, WINDOW_S))
    assert drop_on >= want, "reporting on returned only %d MiB" % (
        drop_on // 1024)
    assert drop_off < FILL_MIB * 1024 // 10, \
        "reporting off still returned %d MiB" % (drop_off // 1024)
