# SPDX-License-Identifier: GPL-2.0
"""The guest boots our kernel under our QEMU and negotiates reporting."""

VIRTIO_ID_BALLOON = 5
VIRTIO_BALLOON_F_REPORTING = 5


def balloon_features(g):
    """Negotiated feature bits of the guest's virtio-balloon, from sysfs."""
    out = g.out("for d in /sys/bus/virtio/devices/*; do "
                "echo $(cat $d/device) $(cat $d/features); done")
    for line in out.splitlines():
        dev, feats = line.split()
        if int(dev, 16) == VIRTIO_ID_BALLOON:
            return feats
    raise AssertionError("no virtio-balloon in the guest:\n" + out)


def test_boots_our_kernel(make_guest):
    g = make_guest(balloon={"free-page-reporting": "on"})
    assert "-hintbuf" in g.out("uname -r")
    rc, out = g.run("exit 3", check=False)
    assert rc == 3
    mem = g.meminfo()
    # -m 1024: MemTotal is RAM less what the kernel reserved at boot.
    assert 900 * 1024 < mem["MemTotal"] <= 1024 * 1024


def test_reporting_negotiated(make_guest):
    on = make_guest(name="on", balloon={"free-page-reporting": "on"})
    assert balloon_features(on)[VIRTIO_BALLOON_F_REPORTING] == "1"
    status = on.qmp.execute("x-query-virtio-status",
                            path="/machine/peripheral/balloon/virtio-backend")
    guest_feats = " ".join(status["guest-features"]["dev-features"])
    assert "VIRTIO_BALLOON_F_REPORTING" in guest_feats
    on.close()

    off = make_guest(name="off", balloon={"free-page-reporting": "off"})
    assert balloon_features(off)[VIRTIO_BALLOON_F_REPORTING] == "0"
