#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""make run: boot a guest, churn its memory, print a live table.

Once a second: guest used and free memory (guest /proc/meminfo), the QEMU
process's RSS (host /proc), MiB reported to the host so far (our QEMU's
reported-bytes statistic over QMP; "-" with a QEMU that lacks it) and the
reporting buffer's size and free part (guest /sys/kernel/mm/page_reporting_buffer;
"off" without a buffer).
"""

import argparse
import sys
import time

import hintbuf

SYSFS = hintbuf.BUFFER_SYSFS


def positive(text):
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError("must be >= 0, got %s" % text)
    return value


def guest_sample(g, have_sysfs):
    """(/proc/meminfo in KiB, page_reporting_buffer sysfs counters) of the guest."""
    cmd = "cat /proc/meminfo"
    if have_sysfs:
        cmd += "; echo --; cd %s && grep -H . *" % SYSFS
    text = g.out(cmd)
    meminfo, _, hinting = text.partition("--\n")
    hint = {k: v for k, v in hintbuf.readers.counters(hinting).items()
            if isinstance(v, int)}
    return hintbuf.readers.meminfo(meminfo), hint


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--mem", type=positive, default=1024,
                    help="guest RAM in MiB, not counting the buffer")
    ap.add_argument("--cpus", type=positive, default=2)
    ap.add_argument("--reporting-buffer", type=positive, default=0,
                    help="reporting buffer in MiB (0: none)")
    ap.add_argument("--duration", type=positive, default=60,
                    help="seconds to run")
    ap.add_argument("--fill", type=positive, default=512,
                    help="MiB the guest allocates and frees each cycle")
    ap.add_argument("--reporting", choices=("on", "off"), default="on")
    a = ap.parse_args()
    if a.fill >= a.mem:
        ap.error("--fill (%d MiB) must be below --mem (%d MiB)"
                 % (a.fill, a.mem))

    balloon = {"free-page-reporting": a.reporting}
    if a.reporting_buffer:
        balloon["reporting-buffer"] = "%dM" % a.reporting_buffer
    g = hintbuf.Guest(mem_mib=a.mem + a.reporting_buffer, cpus=a.cpus,
                   balloon=balloon, name="run")
    print("booting: %d MiB guest + %d MiB reporting buffer, reporting %s, "
          "accelerator %s" % (a.mem, a.reporting_buffer, a.reporting,
                              hintbuf.probe_accel()), flush=True)
    try:
        g.start()
        print("guest up: %s" % g.out("uname -r").strip(), flush=True)
        have_sysfs = g.run("test -d " + SYSFS, check=False)[0] == 0
        # Debian's QEMU has no statistics: ask once, not every second.
        have_stats = g.qom_or_none("reported-bytes") is not None
        # Allocate FILL MiB, hold it 3 s, free it, idle 3 s: a cycle the
        # reporting delay (2 s stock) can follow.
        g.run("(while :; do hb-mem hold %d 3; sleep 3; done) "
              ">/dev/null 2>&1 &" % a.fill)
        hdr = "%6s %10s %10s %10s %10s  %s" % (
            "time", "used MiB", "free MiB", "RSS MiB", "hinted", "buffer")
        print(hdr)
        print("-" * len(hdr), flush=True)
        start = time.monotonic()
        while time.monotonic() - start < a.duration:
            tick = time.monotonic()
            mem, hint = guest_sample(g, have_sysfs)
            used = (mem["MemTotal"] - mem["MemFree"]) // 1024
            free = mem["MemFree"] // 1024
            rss = g.rss_kib() // 1024
            hinted, buf = "-", "off"
            rep = g.qom_or_none("reported-bytes") if have_stats else None
            if rep is not None:
                hinted = "%d" % (rep >> 20)
            if hint.get("owned_pages"):
                # sysfs counts 4 KiB pages: 256 of them make a MiB.
                buf = "%d MiB, %d free" % (hint["owned_pages"] >> 8,
                                          hint.get("held_pages", 0) >> 8)
            print("%6.0f %10d %10d %10d %10s  %s" % (
                tick - start, used, free, rss, hinted, buf), flush=True)
            time.sleep(max(0, 1 - (time.monotonic() - tick)))
    except hintbuf.GuestError as e:
        print("run: %s" % e, file=sys.stderr)
        print(g.console_text()[-2000:], file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        pass
    finally:
        g.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
