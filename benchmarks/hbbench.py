#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""hintbuf benchmark harness: every arm of arms.conf through every scenario
of configs/, repeated, then a comparison report (report.py).

    hbbench.py --mode full|quick [--arms A,B] [--scenarios return,...]

Runs are interleaved (repetition, then scenario, then arm) so that a slow
drift of the machine, e.g. another build starting, spreads over all arms
instead of landing on the last one.  Before any run, every arm is checked:
QEMU must know its virtio-balloon properties, and a probe boot must show
the kernel took its command line parameters.  An arm that fails either is
skipped, with the reason in the report, never silently run as another arm.

Results go to results/<UTC timestamp>/: runs/<run>.json (everything about
one run), runs/<run>-host.csv and -guest.csv (time series), then
summary.md, *.csv and *.png from report.py.
"""

import argparse
import configparser
import datetime
import glob
import hashlib
import json
import os
import platform
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(HERE)
import hintbuf
import report
import scenarios

SYSFS = hintbuf.BUFFER_SYSFS
QMP_STATS = ("reporting-buffer-actual", "reported-bytes", "discarded-bytes",
             "discard-requests", "discard-skipped")
BUFFER_WAIT_S = 20
GUEST_SAMPLE = ("cat /proc/meminfo; grep -E "
                "'^(oom_kill|allocstall_[a-z0-9]+|compact_stall|pgfault|"
                "pgscan_direct|pgsteal_direct) ' "
                "/proc/vmstat; echo min_free_kbytes "
                "$(cat /proc/sys/vm/min_free_kbytes); "
                "grep -H . %s/* 2>/dev/null; "
                "sed 's/^/wl_rc /' /tmp/wl.rc 2>/dev/null; true" % SYSFS)


def log(start, msg):
    print("[%6.0fs] %s" % (time.monotonic() - start, msg), flush=True)


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


# ----- configuration ---------------------------------------------------
def read_ini(path):
    # Raw: stress-ng arguments contain '%'.
    cp = configparser.RawConfigParser()
    if not cp.read(path):
        raise SystemExit("hbbench: cannot read %s" % path)
    return cp


def load_arms(path, wanted):
    cp = read_ini(path)
    arms = {}
    for name in cp.sections():
        s = cp[name]
        props = {}
        for item in s.get("balloon", "").split(","):
            if item.strip():
                k, v = item.strip().split("=", 1)
                props[k] = v
        arms[name] = {"name": name, "description": s.get("description", ""),
                      "cmdline": s.get("cmdline", "").strip(),
                      "balloon": props,
                      "extra_mib": s.getint("extra_mib", 0)}
    if wanted:
        unknown = [a for a in wanted if a not in arms]
        if unknown:
            raise SystemExit("hbbench: no arm %s in %s" % (unknown, path))
        arms = {a: arms[a] for a in wanted}
    return arms


def load_scenarios(config_dir, mode, wanted):
    """[(name, section proxy)] with the mode's overrides applied."""
    out = []
    for path in sorted(glob.glob(os.path.join(config_dir, "*.conf"))):
        name = os.path.basename(path)[:-5]
        if wanted and name not in wanted:
            continue
        cp = read_ini(path)
        merged = configparser.RawConfigParser()
        merged.read_dict({"s": dict(cp["scenario"])})
        if cp.has_section(mode):
            for k, v in cp[mode].items():
                merged["s"][k] = v
        out.append((name, merged["s"]))
    if wanted:
        missing = set(wanted) - {n for n, _ in out}
        if missing:
            raise SystemExit("hbbench: no config %s in %s"
                             % (sorted(missing), config_dir))
    return out


# ----- support checks --------------------------------------------------
def kernel_params(cmdline):
    """[(module, param, value)] of the module.param=value words."""
    out = []
    for word in cmdline.split():
        key, _, val = word.partition("=")
        if "." in key:
            mod, par = key.split(".", 1)
            out.append((mod, par, val))
    return out


def same_param_value(want, got):
    booleans = {"1": "Y", "0": "N", "y": "Y", "n": "N", "Y": "Y", "N": "N"}
    return booleans.get(want, want) == booleans.get(got, got)


def check_kernel_params(g, cmdline):
    """None if the guest kernel took every module.param=V, else why not."""
    for mod, par, val in kernel_params(cmdline):
        path = "/sys/module/%s/parameters/%s" % (mod, par)
        rc, got = g.run("cat " + path, check=False)
        if rc != 0:
            return "kernel has no parameter %s.%s (%s missing)" % (
                mod, par, path)
        if not same_param_value(val, got.strip()):
            return "kernel parameter %s.%s is %s, asked for %s" % (
                mod, par, got.strip(), val)
    return None


def guest_for(arm, scen, qemu, accel, name, logdir, balloon_extra=None,
              guest_mib=1024):
    # hintbuf.Guest names the device "balloon", the QOM path QMP_STATS
    # are read at.
    balloon = dict(arm["balloon"])
    balloon.update(balloon_extra or {})
    g = hintbuf.Guest(mem_mib=guest_mib + arm["extra_mib"],
                   cpus=scen.getint("cpus", 2), append=arm["cmdline"],
                   balloon=balloon, qemu=qemu, accel=accel, name=name,
                   logdir=logdir)
    if scen.get("kind") == "pagecache":
        add_disk(g, scen.getint("fill_mib") + 64)
    return g


def add_disk(g, mib):
    """A fresh ext2 image as the guest's /dev/vda, in the guest's own
    directory (removed with it).  cache=unsafe: the host's page cache
    absorbs the writes, and the guest's sync does not wait for a disk."""
    img = os.path.join(g.dir, "disk.img")
    with open(img, "wb") as f:
        f.truncate(mib << 20)
    subprocess.run(["mkfs.ext2", "-q", "-F", img], check=True,
                   capture_output=True)
    g.extra_args += ["-drive", "file=%s,if=none,id=disk,format=raw,"
                     "cache=unsafe" % img,
                     "-device", "virtio-blk-pci,drive=disk"]


def probe_arms(arms, qprops, qemu, accel, logdir, start):
    """{arm: reason} for the arms that cannot run; probe facts per arm."""
    skipped, facts = {}, {}
    probe_scen = configparser.RawConfigParser()
    probe_scen.read_dict({"s": {"guest_mib": "1024", "cpus": "2"}})
    for name, arm in arms.items():
        missing = [p for p in arm["balloon"] if p not in qprops]
        if missing:
            skipped[name] = ("QEMU %s has no virtio-balloon propert%s %s"
                             % (qemu, "y" if len(missing) == 1 else "ies",
                                ", ".join(missing)))
            log(start, "arm %s: SKIPPED: %s" % (name, skipped[name]))
            continue
        g = guest_for(arm, probe_scen["s"], qemu, accel, "probe-" + name,
                      logdir)
        try:
            g.start()
            why = check_kernel_params(g, arm["cmdline"])
            facts[name] = {
                "uname": g.out("uname -a").strip(),
                "cmdline": g.out("cat /proc/cmdline").strip(),
                "page_reporting_buffer_sysfs": g.run("test -d " + SYSFS,
                                            check=False)[0] == 0,
                "page_reporting_buffer_tracepoints": g.run(
                    "test -d /sys/kernel/tracing/events/page_reporting_buffer",
                    check=False)[0] == 0,
                "qemu_args": g.args}
            if why:
                skipped[name] = why
            elif "reporting-buffer" in arm["balloon"]:
                # The driver takes the buffer soon after probing; if it
                # holds none by then the arm is no buffer arm at all.
                held = g.wait_buffer_held(BUFFER_WAIT_S)
                facts[name]["reporting_buffer_actual"] = held
                if not held:
                    skipped[name] = ("guest holds no reporting buffer "
                                     "(reporting-buffer-actual still 0 %d s "
                                     "after boot)" % BUFFER_WAIT_S)
        except hintbuf.GuestError as e:
            skipped[name] = "probe boot failed: %s" % str(e).splitlines()[0]
        finally:
            g.close()
        log(start, "arm %s: %s" % (name, "SKIPPED: " + skipped[name]
                                   if name in skipped else "ok"))
    return skipped, facts


# ----- sampling ----------------------------------------------------------
class HostSampler(threading.Thread):
    """QEMU RSS and CPU time at a fixed rate, on the host only, so that a
    guest slowed down by the workload cannot delay the samples."""

    def __init__(self, g, hz, t0):
        super().__init__(daemon=True)
        self.g, self.period, self.t0 = g, 1.0 / hz, t0
        self.samples = []
        self.stop = threading.Event()

    def run(self):
        nxt = time.monotonic()
        while not self.stop.is_set():
            try:
                self.samples.append((time.monotonic() - self.t0,
                                     self.g.rss_kib(), self.g.cpu_seconds()))
            except (OSError, hintbuf.GuestError):
                return
            nxt += self.period
            self.stop.wait(max(0, nxt - time.monotonic()))


def parse_guest_sample(text):
    s = {}
    allocstall = 0
    for line in text.splitlines():
        if line.startswith(SYSFS + "/"):
            key, _, val = line[len(SYSFS) + 1:].partition(":")
            try:
                s["ph_" + key] = int(val)
            except ValueError:
                pass
        elif line.startswith("wl_rc "):
            s["wl_rc"] = int(line.split()[1])
        elif ":" in line:
            key, _, val = line.partition(":")
            s[key] = int(val.split()[0])
        elif len(line.split()) == 2:
            key, val = line.split()
            s[key] = int(val)
            if key.startswith("allocstall_"):
                allocstall += int(val)
    s["allocstall"] = allocstall
    if "MemTotal" in s and "MemFree" in s:
        s["used_mib"] = (s["MemTotal"] - s["MemFree"]) / 1024
    return s


def write_csv(path, rows, fields):
    with open(path, "w") as f:
        f.write(",".join(fields) + "\n")
        for r in rows:
            f.write(",".join("" if r.get(k) is None else
                             ("%.3f" % r[k] if isinstance(r[k], float)
                              else str(r[k])) for k in fields) + "\n")


# ----- one run -----------------------------------------------------------
def parse_watermarks(text):
    """{"min_free_kbytes": n, "<node>/<zone>": {"min", "low", "high",
    "managed": pages}} from min_free_kbytes followed by /proc/zoneinfo;
    zones without managed pages are left out."""
    first, _, zoneinfo = text.partition("\n")
    out = {"min_free_kbytes": int(first)}
    for (nid, zone), v in hintbuf.readers.zoneinfo(zoneinfo).items():
        if v.get("managed"):
            out["%d/%s" % (nid, zone)] = {
                k: v[k] for k in ("min", "low", "high", "managed")}
    return out


def run_one(ctx, sname, scen, variant, arm, rep):
    kind = scen["kind"]
    run_id = "%s-%s-r%d" % (variant["name"], arm["name"], rep)
    extra = {}
    # A control arm without reporting stands in for a latency variant
    # (variants()): the latency is not set, it would delay nothing.
    if variant["latency_ms"] and reporting_on(arm):
        extra["x-report-latency"] = str(variant["latency_ms"])
    g = guest_for(arm, scen, ctx["qemu"], ctx["accel"], run_id,
                  os.path.join(ctx["out"], "logs"), extra,
                  variant["guest_mib"])
    rec = {"run": run_id, "scenario": variant["name"], "config": sname,
           "kind": kind, "arm": arm["name"], "repetition": rep,
           "report_latency_ms": variant["latency_ms"],
           "guest_mib": variant["guest_mib"],
           "arm_config": arm, "scenario_config": dict(scen),
           "mode": ctx["mode"], "accel": ctx["accel"],
           "versions": ctx["versions"]}
    try:
        g.start()
        rec["qemu_args"] = g.args
        rec["guest_uname"] = g.out("uname -a").strip()
        rec["guest_cmdline"] = g.out("cat /proc/cmdline").strip()
        qom = {p["name"] for p in g.qmp("qom-list",
                                                path=hintbuf.BALLOON_QOM)}
        stats = [n for n in QMP_STATS if n in qom]
        tracepoints = g.run("test -d /sys/kernel/tracing/events/page_reporting_buffer",
                            check=False)[0] == 0
        if scen.get("guest_setup"):
            # Before the baseline and the workload's own calibration.
            rec["guest_setup"] = g.run(scen["guest_setup"], check=False)
        # Let boot-time reporting and buffer filling finish first.
        time.sleep(2)
        rss0 = g.settle_rss(window=2.0, limit=20.0)
        base = parse_guest_sample(g.out(GUEST_SAMPLE))
        rec["baseline"] = {"rss_mib": rss0 / 1024,
                           "used_mib": base.get("used_mib"),
                           "overhead_mib": rss0 / 1024 -
                           base.get("used_mib", 0)}
        # What boot sized from managed memory, as the workload meets it:
        # arms differ in RAM at boot (the buffer is on top), so the report
        # shows each arm's watermarks (issue 13, fairness).
        rec["watermarks"] = parse_watermarks(
            g.out("cat /proc/sys/vm/min_free_kbytes /proc/zoneinfo"))
        script = scenarios.workload(kind, scen)
        if tracepoints:
            script = ("perf stat -a -x, -o /tmp/perf.csv -e 'page_reporting_buffer:*'"
                      " -- sh -c '%s'\n" % script.replace("'", "'\\''"))
        g.run("cat >/tmp/wl.sh <<'HB_EOF'\n%sHB_EOF" % script)
        t0 = time.monotonic()
        host = HostSampler(g, scen.getfloat("host_hz", 10), t0)
        host.start()
        # The wrapper survives the OOM killer so that wl.rc gets written;
        # the workload itself must stay killable, and so it gets 0 back.
        g.run("(echo -1000 >/proc/self/oom_score_adj; sh -c 'echo 0 "
              ">/proc/self/oom_score_adj; exec sh /tmp/wl.sh' "
              ">/tmp/wl.out 2>&1; echo $? >/tmp/wl.rc) >/dev/null 2>&1 &")
        guest = []
        done_at = None
        observe = scen.getfloat("observe_s", 2.0)
        limit = scen.getfloat("timeout_s", scen.getfloat("duration_s", 0) +
                              observe + 120)
        interval = scen.getfloat("guest_interval_s", 0.5)
        while True:
            tick = time.monotonic()
            s = parse_guest_sample(g.out(GUEST_SAMPLE, timeout=120))
            for n in stats:
                v = g.qom_or_none(n)
                if v is not None:
                    s["qmp_" + n] = v
            guest.append((tick - t0, s))
            if "wl_rc" in s and done_at is None:
                done_at = tick
            if done_at is not None and tick - done_at >= observe:
                break
            if tick - t0 > limit:
                raise hintbuf.GuestError("workload still running after %.0f s"
                                      % limit)
            time.sleep(max(0, interval - (time.monotonic() - tick)))
        host.stop.set()
        host.join()
        rc = guest[-1][1]["wl_rc"]
        files = {}
        for path in scenarios.OUTPUTS[kind] + ["/tmp/wl.out"]:
            files[path] = g.run("cat " + path, check=False)[1]
        if tracepoints:
            files["/tmp/perf.csv"] = g.run("cat /tmp/perf.csv",
                                           check=False)[1]
            rec["perf_counts"] = scenarios.parse_perf(files["/tmp/perf.csv"])
        rec.update(workload_rc=rc, files=files, tracepoints=tracepoints,
                   workload_s=done_at - t0)
        # Written before the metrics, so that a run whose metrics cannot
        # be read still leaves its raw files for report.py.
        base_path = os.path.join(ctx["out"], "runs", run_id)
        write_csv(base_path + "-host.csv",
                  [{"t": t, "rss_mib": r / 1024, "qemu_cpu_s": c}
                   for t, r, c in host.samples],
                  ["t", "rss_mib", "qemu_cpu_s"])
        fields = sorted({k for _, s in guest for k in s})
        write_csv(base_path + "-guest.csv",
                  [dict(s, t=t) for t, s in guest], ["t"] + fields)
        rec["metrics"] = scenarios.metrics(kind, host.samples, guest, files,
                                           rec["baseline"], scen)
        rec["status"] = "ok" if rc == 0 or kind == "overload" else \
            "workload exited %d" % rc
    except hintbuf.GuestError as e:
        rec["status"] = "failed: %s" % str(e).splitlines()[0]
        rec["diagnostics"] = diagnose(g)
        rec["console_tail"] = g.console_text()[-6000:]
    except (ValueError, KeyError, IndexError, StopIteration) as e:
        # Output the metrics cannot read: keep the run's record and go on.
        rec["status"] = "failed: unreadable results: %r" % e
    finally:
        g.close()
    with open(os.path.join(ctx["out"], "runs", run_id + ".json"), "w") as f:
        json.dump(rec, f, indent=1, sort_keys=True)
    return rec


# What a stuck run leaves to look at: every task's state, wait channel
# and command line, the kernel stacks of tasks in D state where the
# kernel has them (/proc/PID/stack), and the memory state.  The guest
# kernel has no magic sysrq, so this comes through the agent.
DIAGNOSE = ("for p in /proc/[0-9]*; do st=$(cut -d' ' -f3 $p/stat "
            "2>/dev/null); echo \"${p#/proc/} $st $(cat $p/wchan 2>/dev/null) "
            "$(tr '\\0' ' ' <$p/cmdline 2>/dev/null | cut -c1-80)\"; "
            "[ \"$st\" = D ] && cat $p/stack 2>/dev/null; done; "
            "cat /proc/meminfo; grep -E '^(oom_kill|allocstall|compact_stall)' "
            "/proc/vmstat; true")


def diagnose(g):
    """Task states of a guest whose run failed, or why there are none."""
    try:
        return g.run(DIAGNOSE, timeout=30, check=False)[1]
    except Exception as e:  # noqa: BLE001 - the guest may be gone
        return "no diagnostics: %s" % e


def reporting_on(arm):
    return arm["balloon"].get("free-page-reporting") == "on"


def variant_arms(scen, suffixes):
    """Arms a variant is limited to by the config's arms.<suffix> or arms
    key (the most specific suffix first), None when it is not; "-" is
    none (a control arm still runs)."""
    for key in ["arms." + s for s in suffixes] + ["arms"]:
        if scen.get(key):
            return [a for a in scen[key].replace(",", " ").split()
                    if a != "-"]
    return None


def variants(sname, scen, arms, qprops, control_only=()):
    """Scenario instances: one per guest size and report latency; with
    reasons for the (variant, arm) pairs that do not run.

    An arm with reporting off runs once per guest size, in the first
    latency variant (the plain one when latency 0 is listed): a report
    latency cannot change an arm that sends no reports, so its runs there
    stand in for it in the others (stand_in).  Arms in @control_only were
    added only as a scenario's control_arm and run nowhere else."""
    out = []
    sizes = [int(x) for x in scen.get("guest_mib", "1024").split()]
    lats = [int(x) for x in scen.get("report_latency_ms", "0").split()]
    control = scen.get("control_arm")
    # sizes_in_names keeps a variant's name when a mode runs one size of
    # several, so that compare.py finds it in both modes' results.
    named = len(sizes) > 1 or scen.get("sizes_in_names") == "yes"
    for size in sizes:
        first = None
        for lat in lats:
            size_s = "%dm" % size if named else ""
            lat_s = "lat%d" % lat if lat else ""
            name = "-".join(x for x in (sname, size_s, lat_s) if x)
            wanted = variant_arms(scen, ["%dm-lat%d" % (size, lat),
                                         "lat%d" % lat, "%dm" % size])
            skip, stand_in = {}, {}
            for a, arm in arms.items():
                if a in control_only and a != control:
                    skip[a] = "runs only as another scenario's control"
                elif wanted is not None and a not in wanted and \
                        a != control:
                    skip[a] = ("not among this variant's arms (%s)" %
                               " ".join(wanted) if wanted else
                               "only the control runs in this variant")
                elif not reporting_on(arm) and first is not None:
                    skip[a] = ("reporting off: no reports to delay; its "
                               "runs of %s stand in" % first)
                    stand_in[a] = first
                elif lat and reporting_on(arm) and \
                        "x-report-latency" not in qprops:
                    skip[a] = "QEMU has no virtio-balloon x-report-latency"
            out.append({"name": name, "latency_ms": lat, "guest_mib": size,
                        "skip": skip, "stand_in": stand_in})
            first = first or name
    return out


def main():
    ap = argparse.ArgumentParser(
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mode", choices=("full", "quick"), default="quick")
    ap.add_argument("--arms", help="comma-separated arms (default: all)")
    ap.add_argument("--scenarios", help="comma-separated configs (default: "
                    "all in --config-dir)")
    ap.add_argument("--arms-file", default=os.path.join(HERE, "arms.conf"))
    ap.add_argument("--config-dir", default=os.path.join(HERE, "configs"))
    ap.add_argument("--repetitions", type=int,
                    help="override every config's repetitions")
    ap.add_argument("--baselines", default="A,B",
                    help="arms the report takes ratios against")
    ap.add_argument("--out", help="results directory (default: "
                    "results/<UTC timestamp>)")
    a = ap.parse_args()

    start = time.monotonic()
    stamp = datetime.datetime.utcnow().strftime("%Y%m%dT%H%M%SZ")
    out = a.out or os.path.join(TOP, "results", stamp)
    os.makedirs(os.path.join(out, "runs"), exist_ok=True)
    scens = load_scenarios(a.config_dir, a.mode,
                           a.scenarios.split(",") if a.scenarios else None)
    wanted = a.arms.split(",") if a.arms else None
    # A scenario's control arm runs whatever --arms says: without it the
    # scenario's results cannot be told from a failed calibration.
    control_only = []
    for sname, scen in scens:
        c = scen.get("control_arm")
        if wanted and c and c not in wanted and not scen.get("skip"):
            wanted.append(c)
            control_only.append(c)
            log(start, "arm %s added as the control of %s" % (c, sname))
    arms = load_arms(a.arms_file, wanted)
    qemu = hintbuf.QEMU if os.path.exists(hintbuf.QEMU) else hintbuf.STOCK_QEMU
    accel = hintbuf.probe_accel()
    qprops = hintbuf.balloon_properties(qemu)
    versions = {
        "qemu": qemu, "qemu_sha256": sha256(qemu),
        "qemu_version": subprocess.run([qemu, "--version"],
                                       capture_output=True,
                                       text=True).stdout.splitlines()[0],
        "kernel": hintbuf.KERNEL, "kernel_sha256": sha256(hintbuf.KERNEL),
        "initrd": hintbuf.INITRD, "initrd_sha256": sha256(hintbuf.INITRD),
        "git": subprocess.run(["git", "-C", TOP, "describe", "--always",
                               "--dirty"], capture_output=True,
                              text=True).stdout.strip(),
        "host": platform.node(), "host_kernel": platform.release(),
        "host_cpus": os.cpu_count()}
    log(start, "results in %s; QEMU %s (%s), accel %s"
        % (out, qemu, versions["qemu_version"], accel))
    if qemu != hintbuf.QEMU:
        log(start, "our QEMU %s is not built: every arm runs on %s"
            % (hintbuf.QEMU, qemu))

    skipped_arms, facts = probe_arms(arms, qprops, qemu, accel,
                                     os.path.join(out, "logs"), start)
    runnable = {k: v for k, v in arms.items() if k not in skipped_arms}
    plan, skipped_scen, skipped_pairs, stand_ins = [], {}, {}, {}
    for sname, scen in scens:
        if scen.get("skip"):
            skipped_scen[sname] = scen["skip"]
            log(start, "scenario %s: SKIPPED: %s" % (sname, scen["skip"]))
            continue
        for v in variants(sname, scen, runnable, qprops, control_only):
            for arm, why in v["skip"].items():
                skipped_pairs["%s/%s" % (v["name"], arm)] = why
            for arm, other in v["stand_in"].items():
                stand_ins["%s/%s" % (v["name"], arm)] = other
            plan.append((sname, scen, v))
    reps = {s: a.repetitions or scen.getint("repetitions", 1)
            for s, scen in scens}
    total = sum(reps[s] * (len(runnable) - len(v["skip"]))
                for s, _, v in plan)
    meta = {"mode": a.mode, "stamp": stamp, "accel": accel,
            "versions": versions, "arms": arms, "arm_order": list(arms),
            "baselines":
            a.baselines.split(","), "skipped_arms": skipped_arms,
            "skipped_scenarios": skipped_scen,
            "skipped_pairs": skipped_pairs, "stand_ins": stand_ins,
            "control_only": control_only, "probe": facts,
            "scenarios": {s: dict(c) for s, c in scens},
            "qemu_balloon_properties": sorted(qprops)}
    with open(os.path.join(out, "meta.json"), "w") as f:
        json.dump(meta, f, indent=1, sort_keys=True)

    ctx = {"qemu": qemu, "accel": accel, "out": out, "mode": a.mode,
           "versions": versions}
    n = 0
    runs_start = time.monotonic()
    for rep in range(1, max(reps.values(), default=0) + 1):
        for sname, scen, v in plan:
            if rep > reps[sname]:
                continue
            for aname, arm in runnable.items():
                if aname in v["skip"]:
                    continue
                n += 1
                # Repetitions interleave every scenario, so the mean so
                # far is a fair estimate once the first round is done.
                eta = ""
                if n > 1:
                    left = (time.monotonic() - runs_start) / (n - 1) * \
                        (total - n + 1)
                    eta = ", about %d min left" % round(left / 60)
                log(start, "run %d/%d: %s arm %s rep %d%s" % (
                    n, total, v["name"], aname, rep, eta))
                rec = run_one(ctx, sname, scen, v, arm, rep)
                summary = ", ".join("%s=%.3g" % kv for kv in
                                    sorted(rec.get("metrics", {}).items()))
                log(start, "  %s %s" % (rec["status"], summary))
    meta["elapsed_s"] = time.monotonic() - start
    with open(os.path.join(out, "meta.json"), "w") as f:
        json.dump(meta, f, indent=1, sort_keys=True)
    report.write_report(out)
    log(start, "report: %s" % os.path.join(out, "summary.md"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
