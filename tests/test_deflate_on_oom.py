# SPDX-License-Identifier: GPL-2.0
"""The reporting buffer under a real OOM: lent to the guest only when the
device consents (VIRTIO_BALLOON_F_DEFLATE_ON_OOM).

Measured from outside the code under test: whether the workload finishes
or is killed (its exit status and the console's OOM report), QMP
reporting-buffer-actual, and the guest's MemAvailable.
"""

import re

import pytest

import hintbuf
from hintbuf import MIB, wait_until

BUFFER_MIB = 128
# More than the guest has: the workload only fits if the buffer lends
# this much.
OVER_MIB = 96

pytestmark = [
    pytest.mark.slow,
    pytest.mark.needs_kconfig("CONFIG_PAGE_REPORTING_BUFFER"),
    pytest.mark.needs_qemu_prop("reporting-buffer"),
]

KILLED = re.compile(r"Out of memory: Killed process \d+ \(hb-mem\)")


def oom_guest(make_guest, name, deflate):
    g = make_guest(name=name, mem_mib=1024 + BUFFER_MIB,
                   balloon={"free-page-reporting": "on",
                            "deflate-on-oom": "on" if deflate else "off",
                            "reporting-buffer": "%dM" % BUFFER_MIB})
    assert wait_until(g.buffer_actual, 30, want=BUFFER_MIB * MIB,
                      step=0.25) == BUFFER_MIB * MIB, "buffer never held"
    # Only held blocks can be lent, not those out with a batch: boot's
    # first passes (the freed initramfs) can have the whole buffer out
    # for a moment on a slow host, and an OOM then still kills (the
    # documented limit).  Start from a buffer that is all held.
    def all_held(c):
        return c["held_pages"] == c["owned_pages"] and \
            not c["in_flight_bytes"]
    c = wait_until(g.buffer_counters, 30, ok=all_held, step=0.5)
    assert all_held(c), "reporting never settled: %s" % c
    return g


def overfill(g):
    """Touch OVER_MIB more than MemAvailable: (exit status, MiB asked)."""
    avail = g.meminfo()["MemAvailable"] // 1024
    want = avail + OVER_MIB
    rc, out = g.run("hb-mem hold %d 0" % want, timeout=600, check=False)
    print("%s: MemAvailable %d MiB, asked %d MiB: rc %d, %s" % (
        g.name, avail, want, rc, out.strip().splitlines()[-1:]))
    return rc, want, out


@pytest.mark.parametrize("deflate", [False, True],
                         ids=["no-deflate-on-oom", "deflate-on-oom"])
def test_buffer_lent_only_with_consent(make_guest, deflate):
    """Without DEFLATE_ON_OOM the buffer is the host's: the task that
    needs more than the guest has is killed and the buffer is untouched
    (the control: the workload really does not fit).  With it, the OOM
    path gives buffer back instead, the task finishes, and the device is
    told; the buffer stays smaller until the device changes its offer."""
    g = oom_guest(make_guest, "oom-%s" % ("on" if deflate else "off"),
                  deflate)
    rc, want, out = overfill(g)
    console = g.console_text()
    actual = g.qom("reporting-buffer-actual")
    print("reporting-buffer-actual %d MiB after" % (actual >> 20))
    if not deflate:
        assert rc != 0 and KILLED.search(console), (rc, out)
        assert actual == BUFFER_MIB * MIB
        assert "under OOM" not in console
        return

    assert rc == 0 and "touched %d" % want in out, (rc, out)
    assert not KILLED.search(console)
    assert "invoked oom-killer" not in console
    assert re.search(r"reporting buffer: gave \d+ pages back under OOM",
                     console)
    # The buffer gave back 4 MiB at a time, as much as the task needed
    # (often less than OVER_MIB: MemAvailable is an estimate), and the device
    # hears of it.
    if actual == BUFFER_MIB * MIB:
        actual = wait_until(g.buffer_actual, 10, step=0.25,
                            ok=lambda a: a != BUFFER_MIB * MIB)
    assert actual <= (BUFFER_MIB - 4) * MIB and actual % (4 * MIB) == 0
    assert actual == g.buffer_counters()["owned_pages"] * 4096
    # A new offer is the device's word again: the buffer follows it.
    g.qom_set("reporting-buffer", 96 * MIB)
    assert wait_until(g.buffer_actual, 20, want=96 * MIB, step=0.25) == \
        96 * MIB
    assert hintbuf.console_reports(console) == []
