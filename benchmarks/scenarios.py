# SPDX-License-Identifier: GPL-2.0
"""Guest workloads of the benchmark scenarios and the metrics of one run.

A scenario kind gives the shell script the guest runs in the background
(workload()) and turns the time series sampled meanwhile into the run's
metrics (metrics()).  hbbench.py calls metrics() when a run ends and
report.py calls it again on the recorded raw files, so a metric can change
without re-running anything.  METRICS describes every metric for the
report: unit, whether higher is better, and whether it is a rate (rates
get a harmonic mean besides the median).
"""

import re

# name: (unit, higher_is_better, is_rate, description)
METRICS = {
    "return": {
        "returned_frac": ("fraction", True, False,
                          "share of the fill's RSS given back at the end"),
        "t50_s": ("s", False, False,
                  "time from the RSS peak to 50% given back"),
        "t90_s": ("s", False, False,
                  "time from the RSS peak to 90% given back"),
        "retained_mib_s": ("MiB*s", False, False,
                           "QEMU RSS above guest used memory, integrated"),
        "peak_rss_mib": ("MiB", False, False, "QEMU RSS at the peak"),
        "qemu_cpu_s": ("s", False, False, "QEMU CPU time during the run"),
    },
    "overload": {
        "oom_kills": ("count", False, False, "vmstat oom_kill increase"),
        "allocstalls": ("count", False, False,
                        "vmstat allocstall_* increase (direct reclaim)"),
        "compact_stalls": ("count", False, False,
                           "vmstat compact_stall increase"),
        "stressor_failures": ("count", False, False,
                              "stressors restarted after being OOM killed"),
        "min_memfree_mib": ("MiB", True, False,
                            "lowest MemFree seen by the sampler"),
        "bogo_ops_s": ("ops/s", True, True,
                       "stress-ng bogo-ops of all runs over the duration"),
        "lat_p50_ms": ("ms", False, False, "hb-lat chunk latency, median"),
        "lat_p99_ms": ("ms", False, False, "hb-lat chunk latency, 99th pct"),
        "lat_max_ms": ("ms", False, False, "hb-lat chunk latency, maximum"),
        "qemu_cpu_s": ("s", False, False, "QEMU CPU time during the run"),
    },
    # The same measures as return: only what fills the memory differs.
    "pagecache": {},
    "throughput": {
        "ops_s": ("ops/s", True, True, "stress-ng vm bogo-ops/s (real time)"),
        "qemu_cpu_s": ("s", False, False, "QEMU CPU time during the run"),
        "rss_end_mib": ("MiB", False, False, "QEMU RSS at the end"),
    },
}

METRICS["pagecache"] = dict(METRICS["return"])
METRICS["fakeoom"] = {
    "oom_kills": METRICS["overload"]["oom_kills"],
    "rounds_killed": ("count", False, False,
                      "rounds whose workload the OOM killer took"),
    "rounds_failed": ("count", False, False,
                      "rounds whose workload failed to map or exited"),
    "allocstalls": METRICS["overload"]["allocstalls"],
    "compact_stalls": METRICS["overload"]["compact_stalls"],
    "pgscan_direct": ("pages", False, False,
                      "vmstat pgscan_direct increase"),
    "pgsteal_direct": ("pages", False, False,
                       "vmstat pgsteal_direct increase"),
    "fill_p50_ms": ("ms", False, False,
                    "time to map and touch the workload, median round"),
    "fill_p99_ms": ("ms", False, False, "fill time, 99th pct of rounds"),
    "fill_max_ms": ("ms", False, False, "fill time, slowest round"),
    "retained_mib_s": ("MiB*s", False, False,
                       "QEMU RSS above guest used memory, integrated "
                       "over the run"),
    "rss_end_mib": ("MiB", False, False, "QEMU RSS at the end (last 2 s)"),
    "size_mib": ("MiB", True, False,
                 "workload size calibrated in the guest"),
    "qemu_cpu_s": ("s", False, False, "QEMU CPU time during the run"),
}

# The sampler's view of "fake OOM" symptoms, plotted per arm.
FAKE_OOM_METRICS = ("oom_kills", "allocstalls", "compact_stalls")
# Kinds whose runs FAKE_OOM_METRICS are plotted for.
FAKE_OOM_KINDS = ("overload", "fakeoom")


def workload(kind, cfg):
    """Shell script (run with sh in the guest) for one scenario run."""
    if kind == "return":
        return "hb-mem hold %d 0\n" % cfg.getint("fill_mib")
    if kind == "pagecache":
        # Written and synced, the file's pages are clean page cache that
        # only drop_caches frees; the sleep lets the peak show in RSS.
        return ("mkdir -p /mnt && mount -t ext2 /dev/vda /mnt && "
                "dd if=/dev/zero of=/mnt/fill bs=1M count=%d 2>/dev/null && "
                "sync && sleep 1 && echo 3 >/proc/sys/vm/drop_caches\n"
                % cfg.getint("fill_mib"))
    if kind == "throughput":
        return ("stress-ng %s --timeout %ds --metrics-brief "
                "--yaml /tmp/sng.yaml\n"
                % (cfg["stress"], cfg.getint("duration_s")))
    if kind == "fakeoom":
        return ("hb-fakeoom %d %d %d %d %d %d %d >/tmp/fakeoom.out\n" % tuple(
            cfg.getint(k) for k in ("margin_mib", "rounds", "hold_ms",
                                    "gap_min_ms", "gap_max_ms", "seed",
                                    "calib_ms")))
    if kind == "overload":
        d = cfg.getint("duration_s")
        lines = [
            "hb-lat %d %d %d >/tmp/lat.out 2>&1 &" % (
                cfg.getint("chunk_kib"), d, cfg.getint("lat_interval_ms")),
            "lat=$!",
            # The churn must outlive the stressors; it is stopped below.
            "hb-mem cycle %d 1000000 %d >/dev/null 2>&1 &" % (
                cfg.getint("churn_mib"), cfg.getint("churn_delay_ms")),
            "churn=$!",
            "end=$(($(date +%%s) + %d))" % d]
        # With --oomable stress-ng does not respawn a stressor the OOM
        # killer took, so pressure would fade after the first kill: each
        # stressor gets its own loop that starts it again until the end.
        # Every restart is one stressor lost (stressor_failures).  The
        # time left is read once: read twice, the second read could land
        # on the next second, and stress-ng takes --timeout 0s as "run
        # for ever" (runs overload-A-r4 of 20261129 and
        # pressure-lat10-D64-r4 of 20261124 hung that way, one with
        # reporting off).
        for i, args in enumerate(stressor_sets(cfg["stress"])):
            lines.append(
                "(n=0; while left=$((end - $(date +%%s))); "
                "[ $left -gt 0 ]; do stress-ng %s "
                "--oomable --timeout ${left}s "
                "--metrics-brief --yaml /tmp/sng.%d.$n.yaml; n=$((n + 1)); "
                "done >/tmp/sng.%d.log 2>&1; echo $n >/tmp/sng.%d.runs) &"
                % (args, i, i, i))
            lines.append("loops=\"$loops $!\"")
        lines += ["wait $loops", "kill $churn", "wait $lat", ""]
        return "\n".join(lines)
    raise ValueError("unknown scenario kind %r" % kind)


def stressor_sets(stress):
    """stress-ng argument sets of a ';'-separated config value."""
    return [s.strip() for s in stress.split(";") if s.strip()]


# Guest files (shell globs) the workload leaves, fetched after it ends.
OUTPUTS = {
    "return": [],
    "pagecache": [],
    "throughput": ["/tmp/sng.yaml"],
    "overload": ["/tmp/sng.*.yaml", "/tmp/sng.*.runs", "/tmp/lat.out"],
    "fakeoom": ["/tmp/fakeoom.out"],
}


def parse_stress_runs(text):
    """[{field: value}] of every stressor of concatenated --yaml files."""
    out, cur = [], None
    for line in text.splitlines():
        if re.match(r"\s*- stressor: ", line):
            cur = {}
            out.append(cur)
        elif not line.startswith(" "):
            # A top-level key (system-info:, metrics:) of the next file.
            cur = None
        elif cur is not None:
            m = re.match(r"\s*([a-z-]+): ([0-9.]+(?:e[+-]?[0-9]+)?)$", line)
            if m:
                cur[m.group(1)] = float(m.group(2))
    return out


def total_rate(stressors):
    rates = [s.get("bogo-ops-per-second-real-time") for s in stressors]
    rates = [r for r in rates if r is not None]
    return sum(rates) if rates else float("nan")


def parse_kv(text):
    out = {}
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 2:
            try:
                out[parts[0]] = float(parts[1])
            except ValueError:
                pass
    return out


def parse_perf(text):
    """{event: count} from perf stat -x, output ("<not counted>" skipped)."""
    out = {}
    for line in text.splitlines():
        f = line.split(",")
        if len(f) > 2 and f[0].isdigit():
            out[f[2]] = int(f[0])
    return out


def _interp(ts, vs, t):
    """Value of the step series (ts, vs) at time t (last sample before)."""
    best = vs[0]
    for ti, vi in zip(ts, vs):
        if ti > t:
            break
        best = vi
    return best


def _tail_mean(ts, rss, seconds=2.0):
    tail = [r for t, r in zip(ts, rss) if t >= ts[-1] - seconds]
    return sum(tail) / len(tail)


def _retained(ts, rss, guest, baseline, first):
    """QEMU RSS above the guest's used memory, integrated from host sample
    @first on: memory the host keeps for the guest beyond what the guest
    uses.  The QEMU process's own overhead is taken out with the baseline
    measured before the workload."""
    gts = [g[0] for g in guest]
    used = [g[1].get("used_mib", 0) for g in guest]
    retained = 0.0
    for i in range(first + 1, len(ts)):
        u = _interp(gts, used, ts[i])
        extra = rss[i] - u - baseline["overhead_mib"]
        retained += max(0.0, extra) * (ts[i] - ts[i - 1])
    return retained


def return_metrics(host, guest, baseline):
    """host: [(t, rss_kib, cpu_s)], guest: [(t, {field: value})]."""
    ts = [h[0] for h in host]
    rss = [h[1] / 1024 for h in host]
    peak = max(rss)
    grown = peak - baseline["rss_mib"]
    # Without reporting RSS keeps creeping up after the free (QEMU's own
    # allocations), so the peak is where it first comes within 1% of the
    # growth of its maximum: the moment the fill ended.
    ipeak = next(i for i, r in enumerate(rss) if r >= peak - 0.01 * grown)
    tpeak = ts[ipeak]
    end = _tail_mean(ts, rss)
    m = {"peak_rss_mib": peak,
         "returned_frac": (peak - end) / grown if grown > 0 else float("nan"),
         "qemu_cpu_s": host[-1][2] - host[0][2]}
    for pct in (50, 90):
        m["t%d_s" % pct] = float("nan")
        for t, r in zip(ts[ipeak:], rss[ipeak:]):
            if grown > 0 and peak - r >= grown * pct / 100:
                m["t%d_s" % pct] = t - tpeak
                break
    m["retained_mib_s"] = _retained(ts, rss, guest, baseline, ipeak)
    return m


def counter_delta(guest, key):
    vals = [g[1][key] for g in guest if key in g[1]]
    return vals[-1] - vals[0] if len(vals) > 1 else float("nan")


def parse_fakeoom(text):
    """({key: value} of the calibration lines, [round dicts]) of hb-fakeoom
    output."""
    head, rounds = {}, []
    for line in text.splitlines():
        f = line.split()
        if f and f[0] == "round" and len(f) == 8:
            rounds.append({"round": int(f[1]), "gap_ms": int(f[3]),
                           "fill_ms": float(f[5]), "status": f[7]})
        elif len(f) == 2:
            try:
                head[f[0]] = float(f[1])
            except ValueError:
                pass
    return head, rounds


def percentile(values, p):
    """Nearest-rank percentile, as hb-lat computes its own."""
    v = sorted(values)
    return v[int(p * (len(v) - 1) + 0.5)] if v else float("nan")


def fakeoom_metrics(host, guest, files, baseline):
    head, rounds = parse_fakeoom(files.get("/tmp/fakeoom.out", ""))
    if not rounds:
        raise ValueError("hb-fakeoom printed no rounds")
    ts = [h[0] for h in host]
    rss = [h[1] / 1024 for h in host]
    # Only rounds that touched everything have a fill time: a killed
    # round's would be cut short, so p99 and max can hide the worst.
    fills = [r["fill_ms"] for r in rounds if r["fill_ms"] >= 0]
    m = {"oom_kills": counter_delta(guest, "oom_kill"),
         "rounds_killed": sum(r["status"] == "killed" for r in rounds),
         "rounds_failed": sum(r["status"] == "failed" for r in rounds),
         "allocstalls": counter_delta(guest, "allocstall"),
         "compact_stalls": counter_delta(guest, "compact_stall"),
         "pgscan_direct": counter_delta(guest, "pgscan_direct"),
         "pgsteal_direct": counter_delta(guest, "pgsteal_direct"),
         "fill_p50_ms": percentile(fills, 0.50),
         "fill_p99_ms": percentile(fills, 0.99),
         "fill_max_ms": max(fills) if fills else float("nan"),
         "size_mib": head.get("size_mib", float("nan")),
         "retained_mib_s": _retained(ts, rss, guest, baseline, 0),
         "rss_end_mib": _tail_mean(ts, rss),
         "qemu_cpu_s": host[-1][2] - host[0][2]}
    return m


def control_failure(kind, m):
    """Why a run of the control arm (reporting off) voids its scenario,
    or None.  fakeoom is sized to fit without reporting: if the control
    loses a round the size was wrong, and no other arm's loss can be
    called a fake OOM."""
    if kind != "fakeoom":
        return None
    bad = [(k, m.get(k)) for k in ("rounds_killed", "rounds_failed",
                                   "oom_kills") if m.get(k)]
    if not bad:
        return None
    return ", ".join("%s=%g" % kv for kv in bad)


def overload_metrics(host, guest, files, cfg):
    m = {"qemu_cpu_s": host[-1][2] - host[0][2],
         "oom_kills": counter_delta(guest, "oom_kill"),
         "allocstalls": counter_delta(guest, "allocstall"),
         "compact_stalls": counter_delta(guest, "compact_stall")}
    free = [g[1]["MemFree"] / 1024 for g in guest if "MemFree" in g[1]]
    m["min_memfree_mib"] = min(free) if free else float("nan")
    # Restarted stressors: bogo ops of every run over the whole duration.
    ops = [s.get("bogo-ops", 0) for s in
           parse_stress_runs(files.get("/tmp/sng.*.yaml", ""))]
    m["bogo_ops_s"] = (sum(ops) / cfg.getint("duration_s") if ops
                       else float("nan"))
    runs = [int(x) for x in files.get("/tmp/sng.*.runs", "").split()]
    m["stressor_failures"] = (sum(runs) - len(runs) if runs
                              else float("nan"))
    lat = parse_kv(files.get("/tmp/lat.out", ""))
    for k in ("p50", "p99", "max"):
        v = lat.get(k + "_us")
        m["lat_%s_ms" % k] = v / 1000 if v is not None else float("nan")
    return m


def throughput_metrics(host, files):
    return {"ops_s": total_rate(parse_stress_runs(
                files.get("/tmp/sng.yaml", ""))),
            "qemu_cpu_s": host[-1][2] - host[0][2],
            "rss_end_mib": host[-1][1] / 1024}


# Kinds renamed since results were recorded under the old name; report.py
# reads such runs as the new kind.
LEGACY_KINDS = {"pressure": "overload"}


def metrics(kind, host, guest, files, baseline, cfg):
    """The metrics of one run from what it recorded."""
    kind = LEGACY_KINDS.get(kind, kind)
    if kind in ("return", "pagecache"):
        return return_metrics(host, guest, baseline)
    if kind == "overload":
        return overload_metrics(host, guest, files, cfg)
    if kind == "fakeoom":
        return fakeoom_metrics(host, guest, files, baseline)
    return throughput_metrics(host, files)
