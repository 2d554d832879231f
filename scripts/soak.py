#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""make soak: hb-integrity with the reporting buffer on until the guest has
hinted SOAK_GIB GiB (default 100), with zero bad pages.

One guest (2 GiB plus a 128 MiB buffer by default: what its one large
zone can lend at once; the automatic 50 ms
reporting delay) runs guest/hb-integrity in rounds: each round keeps one
working set with known page contents for many cycles while most of the
rest of guest memory is filled, freed, hinted and reused, and verifies
the working set after every cycle and every fresh page for zero.  The
soak ends when the guest's reported_bytes (/sys/kernel/mm/page_reporting_buffer)
has grown by the target.  Every ~30 s a progress line: GiB hinted, rate,
bad pages so far, swaps, fallbacks.  It stops at once, exit status 1, on
a bad page, a hb-integrity failure, a failed chunk, or a kernel report on
the console (hintbuf.kreport.CONSOLE_REPORTS: BUG, WARNING, KASAN, Oops, ...).

The guest console is kept in build/soak-logs/.
"""

import argparse
import os
import re
import sys
import time

import hintbuf
from hintbuf import MIB

GIB = 1 << 30
LOG = "/tmp/soak-round.log"
# A round of hb-integrity is sized to last about this long, so its
# working set lives through many cycles but a round's summary comes often.
ROUND_S = 300


class SoakFailure(Exception):
    pass


def parse_summary(text):
    m = re.search(r"^hb-integrity: (.*)$", text, re.M)
    if not m:
        return None
    return {k: float(v) if "." in v else int(v)
            for k, v in (kv.split("=") for kv in m.group(1).split())}


class Soak:
    def __init__(self, args):
        self.args = args
        self.target = int(args.gib * GIB)
        self.g = None
        self.bad_done = 0       # bad pages of finished rounds
        self.rounds = []
        self.last_progress = 0.0

    # ----- guest ---------------------------------------------------------
    def boot(self):
        a = self.args
        logdir = os.path.join(hintbuf.BUILD, "soak-logs",
                              time.strftime("%Y%m%d-%H%M%S"))
        append = "page_reporting.delay_ms=%d" % a.delay_ms if a.delay_ms else ""
        if a.order is not None:
            append += " page_reporting.page_reporting_order=%d" % a.order
        self.g = hintbuf.Guest(mem_mib=a.mem + a.buffer, cpus=a.cpus,
                            append=append.strip(), name="soak", logdir=logdir,
                            balloon={"free-page-reporting": "on",
                                     "reporting-buffer": "%dM" % a.buffer})
        self.logdir = logdir
        self.g.start()
        if not self.g.wait_buffer_held(60):
            raise SoakFailure("the guest never took the buffer "
                              "(QMP reporting-buffer-actual 0)")
        c = self.g.buffer_counters()
        if c.get("owned_pages", 0) == 0:
            raise SoakFailure("the guest holds no buffer: %s" % c)
        return c

    def counters(self):
        return self.g.buffer_counters()

    def check_console(self):
        reports = hintbuf.console_reports(self.g.console_text())
        if reports:
            raise SoakFailure("kernel report on the console:\n  " +
                              "\n  ".join(reports[:20]))

    def round_log(self):
        return self.g.out("cat %s 2>/dev/null; true" % LOG)

    # ----- soak ------------------------------------------------------------
    def progress(self, start, base, log, force=False):
        now = time.monotonic()
        if not force and now - self.last_progress < self.args.every:
            return
        self.last_progress = now
        c = self.counters()
        hinted = c["reported_bytes"] - base["reported_bytes"]
        cycles = re.findall(r"^cycle (\d+): verified \d+ pages, (\d+) bad",
                            log, re.M)
        bad = self.bad_done + (int(cycles[-1][1]) if cycles else 0)
        elapsed = now - start
        print("%7.0f s  %8.2f GiB hinted (%5.1f%%)  %6.1f MiB/s  bad pages %d"
              "  rounds done %d, cycle %s  swaps %d fallbacks %d failed %d"
              % (elapsed, hinted / GIB, 100.0 * hinted / self.target,
                 hinted / MIB / elapsed if elapsed else 0, bad,
                 len(self.rounds), cycles[-1][0] if cycles else "-",
                 c["swaps"] - base["swaps"],
                 c["fallbacks"] - base["fallbacks"],
                 c["failed_chunks"] - base["failed_chunks"]), flush=True)
        return c

    def check_round_log(self, log):
        """Stop at the first bad page a running round reports."""
        bad_lines = [l for l in log.splitlines() if l.startswith("BAD ")]
        cycles = re.findall(r"^cycle \d+: verified \d+ pages, (\d+) bad",
                            log, re.M)
        if bad_lines or (cycles and int(cycles[-1]) > 0):
            raise SoakFailure("hb-integrity found bad pages:\n" + log[-4000:])

    def run(self):
        a = self.args
        c0 = self.boot()
        g = self.g
        mem = g.meminfo()
        avail_mib = mem["MemAvailable"] // 1024
        churn = a.churn or max(64, int(avail_mib * a.fill) - a.work)
        freed = churn + a.work // 4
        order = g.param("page_reporting.page_reporting_order")
        delay = g.param("page_reporting.delay_ms")
        print("soak: guest %d MiB + %d MiB buffer (%d pages owned), %d CPUs, "
              "reporting order %s, delay_ms %s%s, MemAvailable %d MiB"
              % (a.mem, a.buffer, c0["owned_pages"], a.cpus, order, delay,
                 " (automatic: 50 ms with a buffer)" if delay == "0" else "",
                 avail_mib))
        print("soak: hb-integrity %d MiB working set, %d MiB churn, %d MiB "
              "freed a cycle; target %.1f GiB hinted (reported_bytes)"
              % (a.work, churn, freed, a.gib), flush=True)
        base = self.counters()
        reported0 = g.qom("reported-bytes")
        start = time.monotonic()
        self.last_progress = start
        per_cycle = None
        seed = a.seed
        while True:
            hinted = self.counters()["reported_bytes"] - base["reported_bytes"]
            if hinted >= self.target:
                break
            if per_cycle is None:
                cycles = a.first_cycles
            else:
                need = (self.target - hinted) / per_cycle[0]
                cycles = max(1, min(int(need) + 1,
                                    int(ROUND_S / per_cycle[1]) + 1))
            before = self.counters()["reported_bytes"]
            t0 = time.monotonic()
            g.out("rm -f {0}; (hb-integrity {1} {2} {3} {4}; echo rc=$?) "
                  ">{0} 2>&1 </dev/null &".format(LOG, a.work, churn, cycles,
                                                 seed))
            while True:
                time.sleep(2)
                log = self.round_log()
                self.check_console()
                self.check_round_log(log)
                if not g.alive():
                    raise SoakFailure("QEMU exited: %s" % g.qemu_stderr())
                self.progress(start, base, log)
                if re.search(r"^rc=\d+", log, re.M):
                    break
            s = parse_summary(log)
            rc = int(re.search(r"^rc=(\d+)", log, re.M).group(1))
            if s is None or rc != 0 or s["bad_pages"] or \
                    s["cycles"] != cycles:
                raise SoakFailure("hb-integrity round %d failed (rc %d):\n%s"
                                  % (len(self.rounds) + 1, rc, log[-4000:]))
            c = self.counters()
            if c["failed_chunks"] != base["failed_chunks"]:
                raise SoakFailure("%d chunks failed to be reported"
                                  % (c["failed_chunks"] -
                                     base["failed_chunks"]))
            took = time.monotonic() - t0
            got = c["reported_bytes"] - before
            self.rounds.append((cycles, s, got, took))
            per_cycle = (max(got / cycles, MIB), took / cycles)
            seed += 1
        self.check_console()
        end = self.progress(start, base, "", force=True)
        wall = time.monotonic() - start
        hinted = end["reported_bytes"] - base["reported_bytes"]
        reported = g.qom("reported-bytes") - reported0
        cycles = sum(r[0] for r in self.rounds)
        verified = sum(r[1]["pages_verified"] for r in self.rounds)
        fresh = sum(r[1]["fresh_pages"] for r in self.rounds)
        bad = sum(r[1]["bad_pages"] for r in self.rounds)
        print("soak: PASS  %.2f GiB hinted (QEMU reported-bytes %.2f GiB) in "
              "%.0f s = %.1f MiB/s; %d rounds, %d cycles, %d pages verified, "
              "%d fresh pages checked, %d bad pages; swaps %d, fallbacks %d, "
              "failed chunks %d; console clean; log %s"
              % (hinted / GIB, reported / GIB, wall, hinted / MIB / wall,
                 len(self.rounds), cycles, verified, fresh, bad,
                 end["swaps"] - base["swaps"],
                 end["fallbacks"] - base["fallbacks"],
                 end["failed_chunks"] - base["failed_chunks"], self.logdir))
        if end["swaps"] == base["swaps"]:
            raise SoakFailure("no buffer swap at all: the buffer was not used")
        return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--gib", type=float,
                    default=float(os.environ.get("SOAK_GIB", "100")),
                    help="GiB to hint (default $SOAK_GIB or 100)")
    ap.add_argument("--mem", type=int, default=2048,
                    help="guest RAM in MiB, not counting the buffer")
    ap.add_argument("--buffer", type=int, default=128, help="buffer MiB")
    ap.add_argument("--cpus", type=int, default=2)
    ap.add_argument("--work", type=int, default=256,
                    help="hb-integrity working set MiB")
    ap.add_argument("--churn", type=int, default=0,
                    help="hb-integrity churn MiB (default: --fill of "
                    "MemAvailable less the working set)")
    ap.add_argument("--fill", type=float, default=0.8,
                    help="fraction of MemAvailable a cycle touches")
    ap.add_argument("--delay-ms", type=int, default=0,
                    help="page_reporting.delay_ms (0: the automatic 50 ms "
                    "with a buffer)")
    ap.add_argument("--order", type=int, default=None,
                    help="page_reporting.page_reporting_order (default: the kernel's)")
    ap.add_argument("--first-cycles", type=int, default=3,
                    help="cycles of the first round, which sizes the rest")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--every", type=float, default=30,
                    help="seconds between progress lines")
    args = ap.parse_args()
    if args.gib <= 0:
        ap.error("--gib must be > 0")
    soak = Soak(args)
    t0 = time.monotonic()
    try:
        rc = soak.run()
    except (SoakFailure, hintbuf.GuestError) as e:
        print("soak: FAIL after %.0f s: %s" % (time.monotonic() - t0, e),
              file=sys.stderr)
        if soak.g is not None:
            print("--- console tail:\n" + soak.g.console_text()[-3000:],
                  file=sys.stderr)
        rc = 1
    finally:
        if soak.g is not None:
            soak.g.close()
    print("soak: wall time %.0f s (boot included)" % (time.monotonic() - t0))
    return rc


if __name__ == "__main__":
    sys.exit(main())
