# SPDX-License-Identifier: GPL-2.0
"""The guest boots our kernel under our QEMU and negotiates reporting."""

from hintbuf import VIRTIO_BALLOON_F_REPORTING


def test_boots_our_kernel(make_guest):
    """The guest runs the hintbuf kernel, the agent returns exit codes, and
    MemTotal is the RAM given less boot reservations."""
    g = make_guest(balloon={"free-page-reporting": "on"})
    assert "-hintbuf" in g.out("uname -r")
    rc, out = g.run("exit 3", check=False)
    assert rc == 3
    mem = g.meminfo()
    # -m 1024: MemTotal is RAM less what the kernel reserved at boot.
    assert 900 * 1024 < mem["MemTotal"] <= 1024 * 1024


def test_reporting_negotiated(make_guest):
    """free-page-reporting=on negotiates VIRTIO_BALLOON_F_REPORTING (QOM
    and virtio status agree); off does not."""
    on = make_guest(name="on", balloon={"free-page-reporting": "on"})
    assert on.balloon_features()[VIRTIO_BALLOON_F_REPORTING] == "1"
    status = on.virtio_status()
    guest_feats = " ".join(status["guest-features"]["dev-features"])
    assert "VIRTIO_BALLOON_F_REPORTING" in guest_feats
    on.close()

    off = make_guest(name="off", balloon={"free-page-reporting": "off"})
    assert off.balloon_features()[VIRTIO_BALLOON_F_REPORTING] == "0"
