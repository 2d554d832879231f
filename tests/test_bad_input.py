# SPDX-License-Identifier: GPL-2.0
"""Bad input: every parameter of the reporting buffer, at boot and written at
run time, with
garbage, negative, overflowing, empty and out-of-range values, and bad
reporting buffer sizes from the host (none, one page, larger than the guest,
changed every 100 ms while hinting runs).

Each case must be refused or clamped with a clear message naming what was
wrong, leave the documented value in effect, and lose no memory.  The
results are tabulated in docs/reliability-notes.rst ("Bad input")."""

import re
import time

import pytest

import hintbuf
from hintbuf import MIB, PAGE
from hintbuf import wait_until
from hintbuf.readers import allocatable_kib

BUFFER_MIB = 64

pytestmark = [pytest.mark.needs_qemu_prop("reporting-buffer"),
              pytest.mark.needs_kconfig("CONFIG_PAGE_REPORTING_BUFFER")]

# Every knob is a module parameter, given at boot or written under
# /sys/module/*/parameters/ at run time: name as on the command line:
# (default as read back, lowest, highest); enable is a bool.
ENABLE = "page_reporting_buffer.enable"
PARAMS = {
    ENABLE: ("Y", None, None),
    "page_reporting_buffer.max_mib": ("0", 0, 4194304),
    "page_reporting_buffer.capacity": ("32", 1, 32),
    "page_reporting_buffer.report_timeout_ms": ("100000", 100, 3600000),
    # 0: automatic, see ACCEPTED
    "page_reporting.delay_ms": ("0", 10, 60000),
}

# What the message says is accepted, where it is not just lowest..highest
ACCEPTED = {"page_reporting.delay_ms": "0 (automatic) or range 10..60000",
            ENABLE: "y/n, 1/0, on/off, true/false"}
# The bool as the message prints what it keeps
KEPT = {ENABLE: "1"}

# The state under /sys/kernel/mm: read-only, whatever the mode bits say
STATE_FILES = ["owned_pages", "held_pages", "requested_pages",
               "target_pages", "batches", "swaps", "fallbacks",
               "reported_chunks", "reported_bytes", "failed_chunks",
               "in_flight_bytes", "in_flight_peak_bytes", "kept_pages"]


def bad_values(kind):
    """{param: value} of one kind of bad input, for every parameter it
    applies to (one boot tries them all: each message names its
    parameter)."""
    if kind == "garbage":
        return {p: "abc" for p in PARAMS}
    if kind == "negative":
        return {p: "-1" for p in PARAMS}
    if kind == "overflow":
        return {p: "99999999999999999999" for p in PARAMS}
    if kind == "empty":
        return {p: "" for p in PARAMS}
    if kind == "below":
        return {p: str(lo - 1) for p, (_, lo, _) in PARAMS.items()
                if lo is not None and lo > 0}
    if kind == "above":
        vals = {p: str(hi + 1) for p, (_, _, hi) in PARAMS.items()
                if hi is not None}
        vals[ENABLE] = "2"
        return vals
    if kind == "trailing":
        # A bool parameter reads only what kstrtobool() reads, the first
        # character ("12x" is 1), as every bool parameter does.
        return {p: "12x" for p in PARAMS if p != ENABLE}
    raise ValueError(kind)


KINDS = ["garbage", "negative", "overflow", "empty", "below", "above",
         "trailing"]


# What the driver logs, once, when it takes less than the device offers
# because the offer is more than half of the guest's memory.
CAPPED = "more than half of the guest's memory: using "


def negotiated(g):
    """Feature names the guest driver accepted, as QEMU decodes them."""
    st = g.virtio_status()
    return [f.split(":")[0] for f in st["guest-features"]["dev-features"]]


def buffer_bytes(g):
    return g.buffer_counters()["owned_pages"] * PAGE


def assert_no_oom(g):
    console = g.console_text()
    for bad in ("Out of memory", "oom-kill", "invoked oom-killer",
                "BUG:", "WARNING:", "Call Trace"):
        assert bad not in console, "guest console shows %r" % bad


def refusal(name, val):
    """The one line a refused value gets: parameter, value, what is
    accepted, what is kept."""
    default, lo, hi = PARAMS[name]
    accepted = ACCEPTED.get(name, "range %s..%s" % (lo, hi))
    return ("page_reporting_buffer: invalid %s=%s, accepted %s, keeping %s"
            % (name, val, accepted, KEPT.get(name, default)))


@pytest.mark.parametrize("kind", KINDS)
def test_bad_boot_parameters(make_guest, kind):
    """Bad page_reporting_buffer.* and page_reporting.delay_ms boot
    parameters are refused with one line naming the parameter, the value,
    the accepted range and the value kept; the guest boots and uses the
    defaults."""
    vals = bad_values(kind)
    append = " ".join("%s=%s" % kv for kv in vals.items())
    g = make_guest(mem_mib=512 + BUFFER_MIB, cpus=1, append=append,
                   balloon={"free-page-reporting": "on",
                            "reporting-buffer": "%dM" % BUFFER_MIB})
    console = g.console_text()
    for name, val in vals.items():
        want = refusal(name, val)
        assert want in console, "no %r on the console" % want
        assert g.param(name) == PARAMS[name][0], name
    # the defaults are in force: the whole buffer is held and reported
    assert wait_until(g.buffer_actual, 20, want=BUFFER_MIB * MIB) == \
        BUFFER_MIB * MIB
    assert buffer_bytes(g) == BUFFER_MIB * MIB
    assert "touched 128" in g.out("hb-mem hold 128 0")
    assert_no_oom(g)


def test_bare_boot_parameters(make_guest):
    """"page_reporting_buffer.max_mib" without "=": refused by the kernel's
    parameter parser, which names the parameter; a bare enable means 1."""
    names = [p for p in PARAMS if p != ENABLE]
    append = " ".join(names) + " " + ENABLE
    g = make_guest(mem_mib=512 + BUFFER_MIB, cpus=1, append=append,
                   balloon={"free-page-reporting": "on",
                            "reporting-buffer": "%dM" % BUFFER_MIB})
    console = g.console_text()
    for name in names:
        assert re.search(r"invalid.*%s\b" % re.escape(name), console), \
            "no message naming %s" % name
        assert g.param(name) == PARAMS[name][0], name
    assert g.param(ENABLE) == "Y"
    assert wait_until(g.buffer_actual, 20, want=BUFFER_MIB * MIB) == \
        BUFFER_MIB * MIB


def test_bad_parameter_writes(make_guest):
    """Every bad run-time write of a parameter fails with EINVAL, logs the
    same line as at boot and leaves the value alone; the state files under
    /sys/kernel/mm/page_reporting_buffer refuse writes."""
    g = make_guest(mem_mib=512 + BUFFER_MIB, cpus=1,
                   balloon={"free-page-reporting": "on",
                            "reporting-buffer": "%dM" % BUFFER_MIB})
    assert wait_until(g.buffer_actual, 20, want=BUFFER_MIB * MIB) == \
        BUFFER_MIB * MIB
    tried = 0
    for kind in KINDS:
        for name, val in bad_values(kind).items():
            f = hintbuf.param_path(name)
            before = g.out("cat %s" % f)
            g.run("dmesg -c >/dev/null")
            # busybox printf hides write errors; echo reports them
            rc, out = g.run("{ echo '%s' > %s; } 2>&1" % (val, f),
                            check=False)
            assert rc != 0, "%s accepted %r" % (f, val)
            assert "Invalid argument" in out, out
            assert g.out("cat %s" % f) == before, (f, val)
            log = g.out("dmesg")
            assert refusal(name, val) in log, log
            tried += 1
    assert tried >= 30
    # one interface per knob: the directory under /sys/kernel/mm holds
    # the state only, and none of it is writable
    files = g.out("ls %s" % hintbuf.BUFFER_SYSFS).split()
    assert sorted(files) == sorted(STATE_FILES), files
    for name in files:
        f = "%s/%s" % (hintbuf.BUFFER_SYSFS, name)
        before = g.out("cat %s" % f)
        rc, out = g.run("{ echo 5 > %s; } 2>&1" % f, check=False)
        assert rc != 0, "%s is writable" % f
        assert "Permission denied" in out, out
    # nothing changed underneath: still the whole buffer
    assert buffer_bytes(g) == BUFFER_MIB * MIB
    assert_no_oom(g)


def test_buffer_zero(make_guest):
    """reporting-buffer=0: no feature bit, no buffer, and it cannot be turned on
    later (the config space size is fixed at creation)."""
    g = make_guest(mem_mib=512, cpus=1,
                   balloon={"free-page-reporting": "on", "reporting-buffer": "0"})
    feats = negotiated(g)
    assert "VIRTIO_BALLOON_F_REPORTING" in feats
    assert "VIRTIO_BALLOON_F_REPORTING_BUFFER" not in feats
    c = g.buffer_counters()
    assert c["owned_pages"] == 0 and c["requested_pages"] == 0
    with pytest.raises(hintbuf.GuestError) as e:
        g.qom_set("reporting-buffer", 64 * MIB)
    assert "reporting-buffer" in str(e.value) and "non-zero" in str(e.value)
    assert g.buffer_actual() == 0


def test_buffer_one_page(make_guest):
    """A one-page buffer is smaller than one reporting chunk: the guest
    holds none of it and says so once."""
    g = make_guest(mem_mib=512, cpus=1,
                   balloon={"free-page-reporting": "on", "reporting-buffer": "4K"})
    assert "VIRTIO_BALLOON_F_REPORTING_BUFFER" in negotiated(g)
    c = wait_until(lambda: g.buffer_counters()["requested_pages"], 30, want=1)
    assert c == 1
    c = g.buffer_counters()
    assert c["owned_pages"] == 0 and c["target_pages"] == 1
    assert g.buffer_actual() == 0
    console = g.console_text()
    assert console.count("reporting buffer: offered 1 pages, holding 0") == 1
    assert "touched 128" in g.out("hb-mem hold 128 0")
    assert_no_oom(g)


def test_buffer_too_large_at_run_time(make_guest):
    """Resizes QEMU cannot honour are refused with a message naming the
    property and change nothing; one it accepts but the guest will not
    hold (all of RAM but a page) is capped by the driver at half of the
    guest's memory, which it says once, and the guest keeps working and
    gives everything back at 0."""
    mem = 512
    g = make_guest(mem_mib=mem, cpus=1,
                   balloon={"free-page-reporting": "on",
                            "reporting-buffer": "%dM" % BUFFER_MIB})
    assert wait_until(g.buffer_actual, 20, want=BUFFER_MIB * MIB) == \
        BUFFER_MIB * MIB
    for bad, why in [(mem * MIB, "smaller than the guest RAM"),
                     (4 * mem * MIB, "smaller than the guest RAM"),
                     (1 << 62, "smaller than the guest RAM"),
                     (BUFFER_MIB * MIB + 1000, "multiple of")]:
        with pytest.raises(hintbuf.GuestError) as e:
            g.qom_set("reporting-buffer", bad)
        assert "reporting-buffer" in str(e.value) and why in str(e.value), \
            str(e.value)
        assert g.qom("reporting-buffer") == BUFFER_MIB * MIB
    assert g.buffer_actual() == BUFFER_MIB * MIB

    # accepted by QEMU, far more than the guest gives up
    huge = mem * MIB - PAGE
    g.qom_set("reporting-buffer", huge)
    c = wait_until(lambda: CAPPED in g.console_text(), 30)
    assert c, "guest did not say it capped the buffer"
    assert wait_until(lambda: g.buffer_actual() > BUFFER_MIB * MIB, 30)
    held = buffer_bytes(g)
    assert wait_until(g.buffer_actual, 30, want=held) == held
    total_kib = g.meminfo()["MemTotal"] + buffer_bytes(g) // 1024
    assert BUFFER_MIB * MIB < held <= total_kib * 1024 // 2
    assert g.console_text().count(CAPPED) == 1
    assert "device offers %d MiB" % (huge // MIB) in g.console_text()
    mem_now = g.meminfo()
    # the guest keeps its high watermarks free and still runs commands
    assert mem_now["MemFree"] > 1024
    assert g.out("echo alive").strip() == "alive"

    g.qom_set("reporting-buffer", 0)
    assert wait_until(g.buffer_actual, 20, want=0) == 0
    assert buffer_bytes(g) == 0
    assert "touched 256" in g.out("hb-mem hold 256 0")
    assert_no_oom(g)


def settled_free_kib(g):
    """allocatable_kib() once two reads half a second apart agree to 1 MiB."""
    last = None
    for _ in range(20):
        now = allocatable_kib(g)
        if now is not None and last is not None and abs(now - last) < 1024:
            return now
        last = now
        time.sleep(0.5)
    return last


# Free memory (free_kib) may differ by this much between two settled reads
# of an idle guest for reasons that have nothing to do with the buffer:
# slab and page tables the churn grew and the kernel keeps.  A lost chunk
# is 2 MiB and a lost batch up to 64 MiB, so 6 MiB still catches any lost
# batch and any 4 lost chunks.
NOTHING_LOST_KIB = 6 * 1024


def test_buffer_resized_every_100ms_while_hinting(make_guest):
    """qom-set every 100 ms while the guest churns memory and hints with a
    100 ms delay: the last size wins on both sides, and at size 0 the
    guest has all its memory back."""
    g = make_guest(mem_mib=768, cpus=2,
                   append="page_reporting.delay_ms=100",
                   balloon={"free-page-reporting": "on",
                            "reporting-buffer": "%dM" % BUFFER_MIB})
    assert wait_until(g.buffer_actual, 20, want=BUFFER_MIB * MIB) == \
        BUFFER_MIB * MIB
    # The buffer leaves MemTotal while held: MemTotal plus the buffer is
    # what must not move, whatever the size.
    total = g.meminfo()["MemTotal"] + buffer_bytes(g) // 1024

    g.qom_set("reporting-buffer", 0)
    assert wait_until(g.buffer_actual, 20, want=0) == 0
    baseline = settled_free_kib(g)

    g.qom_set("reporting-buffer", BUFFER_MIB * MIB)
    g.run("(hb-mem churn 200 8 300; echo done) > /tmp/churn.log 2>&1 "
          "< /dev/null &")
    sizes = [0, 32, 128, 4096, 96, 2, 64, 0, 160, 8, 48]
    sizes = [s * MIB if s != 4096 else PAGE for s in sizes]
    # A fixed number of resizes 100 ms apart, not as many as fit in a
    # time window: how many that is would depend on the machine.
    t0 = time.monotonic()
    n = 80
    for i in range(n):
        g.qom_set("reporting-buffer", sizes[i % len(sizes)])
        time.sleep(0.1)
    last = 96 * MIB
    g.qom_set("reporting-buffer", last)
    print("%d resizes in %.1f s" % (n, time.monotonic() - t0))
    assert wait_until(lambda: "done" in g.out("cat /tmp/churn.log"), 120)
    assert wait_until(g.buffer_actual, 30, want=last) == last
    assert buffer_bytes(g) == last
    assert g.meminfo()["MemTotal"] + last // 1024 == total

    g.qom_set("reporting-buffer", 0)
    assert wait_until(g.buffer_actual, 20, want=0) == 0
    c = g.buffer_counters()
    assert c["owned_pages"] == 0 and c["kept_pages"] == 0
    after = settled_free_kib(g)
    assert g.meminfo()["MemTotal"] == total
    print("free baseline %d KiB, after %d KiB, diff %d KiB"
          % (baseline, after, after - baseline))
    assert abs(after - baseline) <= NOTHING_LOST_KIB, (baseline, after)
    assert_no_oom(g)


def test_discard_inhibited(make_guest):
    """A background snapshot inhibits discarding RAM (so do device
    assignment and postcopy, which need VFIO or a second QEMU): QEMU keeps
    acknowledging reports without discarding, counts them in
    discard-skipped and warns once; the guest notices nothing.

    The test holds the snapshot open itself, whatever the machine's
    speed: the guest holds HOLD_MIB of written pages, so the snapshot has
    at least that much to write, and its bandwidth stays at
    HOLD_BANDWIDTH until the test has seen the report it needs (a lower
    bound of HOLD_MIB / HOLD_BANDWIDTH s, 128 s, fixed by the test, not by
    the machine).  Only then is the bandwidth lifted so that it ends.
    """
    HOLD_MIB = 128
    HOLD_BANDWIDTH = 1 * MIB  # bytes/s while the test needs the snapshot
    g = make_guest(mem_mib=512, cpus=1, append="page_reporting.delay_ms=100",
                   balloon={"free-page-reporting": "on",
                            "reporting-buffer": "%dM" % BUFFER_MIB})
    assert wait_until(g.buffer_actual, 20, want=BUFFER_MIB * MIB) == \
        BUFFER_MIB * MIB

    def stat(name):
        return g.qom(name)

    def status():
        return g.qmp("query-migrate")["status"]

    # Written before the snapshot starts, freed once it runs: the
    # snapshot must save these pages, the free must be reported.
    holder = int(g.out("hb-mem hold %d 1000000 >/tmp/hold.out 2>&1 & "
                       "echo $!" % HOLD_MIB))
    assert wait_until(lambda: "touched %d" % HOLD_MIB in
                      g.out("cat /tmp/hold.out"), 120), \
        g.out("cat /tmp/hold.out")

    skipped0, requests0 = stat("discard-skipped"), stat("discard-requests")
    assert skipped0 == 0
    g.qmp("migrate-set-capabilities", capabilities=[
        {"capability": "background-snapshot", "state": True}])
    g.qmp("migrate-set-parameters", **{"max-bandwidth":
                                               HOLD_BANDWIDTH})
    g.qmp("migrate", uri="exec:cat > /dev/null")
    assert wait_until(status, 30, want="active") == "active"
    h0 = g.buffer_counters()
    g.out("kill %d; wait %d 2>/dev/null; true" % (holder, holder))
    t_free = time.monotonic()
    # A timeout, not a speed target: the snapshot cannot end before the
    # test lifts its bandwidth, so waiting longer only costs time.
    deadline = time.monotonic() + 120
    while True:
        requests, skipped = stat("discard-requests"), stat("discard-skipped")
        st = status()
        assert st == "active", \
            "snapshot %s before the test let it end" % st
        if requests > requests0:
            break
        assert time.monotonic() < deadline, \
            "no report reached QEMU within 120 s of freeing %d MiB" % HOLD_MIB
        time.sleep(0.2)
    print("first report %.1f s after the free, snapshot still %s"
          % (time.monotonic() - t_free, st))
    # skipped may lag requests by one report being handled
    assert requests - requests0 - 1 <= skipped <= requests - requests0
    # the guest: hinting went on (the report QEMU has seen completes),
    # nothing failed, buffer unchanged
    assert wait_until(lambda: g.buffer_counters()["reported_bytes"] >
                      h0["reported_bytes"], 60)
    h1 = g.buffer_counters()
    assert h1["failed_chunks"] == h0["failed_chunks"]
    assert buffer_bytes(g) == BUFFER_MIB * MIB
    assert status() == "active"

    # Let the snapshot end; once it is over, discarding works again.
    g.qmp("migrate-set-parameters", **{"max-bandwidth": 1 << 40})
    t_lift = time.monotonic()
    assert wait_until(status, 180, want="completed") == "completed"
    print("snapshot held %.1f s, completed %.1f s after the test let it "
          "end" % (t_lift - t_free, time.monotonic() - t_lift))
    skipped = stat("discard-skipped")
    requests = stat("discard-requests")
    assert "touched 128" in g.out("hb-mem hold 128 0")
    assert wait_until(lambda: stat("discard-requests") > requests, 30)
    assert stat("discard-skipped") == skipped
    assert g.qemu_stderr().count("discarding RAM is inhibited") == 1
    assert_no_oom(g)
