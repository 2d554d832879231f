#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Comparison report of a benchmark results directory.

    report.py results/<timestamp>

Reads meta.json, runs/*.json and the raw time series runs/*-host.csv and
*-guest.csv, recomputes every run's metrics from them with scenarios.py
(so a metric can be changed or added without re-running: run this again),
and writes summary.md, runs.csv (one row per run and metric), summary.csv
(one row per scenario, arm and metric) and the plots rss.png,
memfree.png and fake_oom.png.  A run without raw files keeps the metrics
it recorded.

Statistics, per scenario, arm and metric over the repetitions: median,
min, max, harmonic mean for rates, ratio of medians to each baseline arm,
and the Mann-Whitney U test (two-sided) against each baseline, which
compares the distributions the medians summarise; p < 0.05 is marked
significant.  With fewer than two values on either side there is no test
and the report says so.  A scenario whose control arm failed is void
(scenarios.control_failure()).
"""

import csv
import glob
import json
import math
import os
import statistics
import sys

import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from scipy import stats as sstats  # noqa: E402

import scenarios  # noqa: E402

ALPHA = 0.05
# How far an arm's calibrated fakeoom size may be from the control's
# before the report warns that the arms were not loaded alike.
SIZE_TOLERANCE = 0.05


def finite(values):
    return [v for v in values if v is not None and not math.isnan(v)]


def hmean(values):
    v = finite(values)
    if not v or any(x <= 0 for x in v):
        return float("nan")
    return len(v) / sum(1 / x for x in v)


def mann_whitney(a, b):
    """Two-sided p-value of the Mann-Whitney U test, None when it cannot
    be computed.  Rank-based like the median the report shows, and makes
    no assumption of normality, which counts of OOM kills do not meet.
    Note: with 3 values a side its smallest p is 0.1, with 4 it is
    0.029: fewer than 4 repetitions can never be significant."""
    a, b = finite(a), finite(b)
    if len(a) < 2 or len(b) < 2:
        return None
    if len(set(a) | set(b)) == 1:
        # All values equal: no rank order at all, scipy would give nan.
        return 1.0
    return float(sstats.mannwhitneyu(a, b, alternative="two-sided").pvalue)


def fmt(v, digits=3):
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "-"
    if isinstance(v, float) and abs(v) >= 1000:
        return "%.0f" % v
    return "%.*g" % (digits, v)


def _number(text):
    try:
        return int(text)
    except ValueError:
        return float(text)


def raw_series(outdir, run):
    """(host, guest) samples of a run in the form scenarios.metrics()
    takes, from its CSV files; None when they are missing."""
    host = read_series(outdir, run, "host")
    guest = read_series(outdir, run, "guest")
    if not host or not guest:
        return None
    h = [(float(x["t"]), float(x["rss_mib"]) * 1024, float(x["qemu_cpu_s"]))
         for x in host]
    g = [(float(x["t"]), {k: _number(v) for k, v in x.items()
                          if k != "t" and v != ""}) for x in guest]
    return h, g


class _Section(dict):
    """What the metrics read of a scenario config, from a run record."""

    def getint(self, key, fallback=None):
        return int(self[key]) if key in self else fallback


def recompute(outdir, run):
    """Metrics of a run from its raw files, or None if it has none."""
    raw = raw_series(outdir, run["run"])
    if raw is None or run["status"] != "ok":
        return None
    return scenarios.metrics(run["kind"], raw[0], raw[1], run["files"],
                             run["baseline"],
                             _Section(run["scenario_config"]))


def load(outdir, from_raw=True):
    with open(os.path.join(outdir, "meta.json")) as f:
        meta = json.load(f)
    runs = []
    for path in sorted(glob.glob(os.path.join(outdir, "runs", "*.json"))):
        with open(path) as f:
            r = json.load(f)
        r["kind"] = scenarios.LEGACY_KINDS.get(r["kind"], r["kind"])
        m = recompute(outdir, r) if from_raw else None
        r["metrics_source"] = "raw" if m is not None else "recorded"
        if m is not None:
            r["metrics"] = m
        runs.append(r)
    return meta, runs


def void_scenarios(meta, runs):
    """{scenario: why} for scenario variants whose control arm failed or
    did not run; a variant whose control runs stand in elsewhere
    (meta stand_ins) inherits that variant's verdict."""
    out = {}
    control = {s: c.get("control_arm") for s, c in
               meta.get("scenarios", {}).items()}
    by_scen = {}
    for r in runs:
        by_scen.setdefault(r["scenario"], []).append(r)
    for scen, sruns in by_scen.items():
        arm = control.get(sruns[0]["config"])
        if not arm:
            continue
        src = meta.get("stand_ins", {}).get("%s/%s" % (scen, arm), scen)
        cruns = [r for r in runs if r["scenario"] == src and r["arm"] == arm]
        why = []
        if not cruns:
            why.append("control arm %s did not run" % arm)
        for r in cruns:
            if r["status"] != "ok":
                why.append("%s %s" % (r["run"], r["status"]))
            else:
                f = scenarios.control_failure(r["kind"], r["metrics"])
                if f:
                    why.append("%s lost rounds (%s)" % (r["run"], f))
        if why:
            out[scen] = "failed calibration: " + "; ".join(why)
    return out


def scenario_order(runs):
    seen = []
    for r in runs:
        if r["scenario"] not in seen:
            seen.append(r["scenario"])
    return sorted(seen)


def compared_baselines(arm, baselines):
    """Baselines an arm is compared with: all but itself, and a baseline
    only with those before it, so that A vs B appears once (as B vs A)."""
    if arm in baselines:
        return baselines[:baselines.index(arm)]
    return baselines


def borrowed_baselines(meta, ok, scen, config):
    """{baseline: runs} for baselines that did not run in a report-latency
    variant because their reporting is off: QEMU's report latency cannot
    change an arm that sends no reports, so the variant compares against
    that arm's runs of the variant that stands in (meta stand_ins; the
    plain scenario in results from before there were any)."""
    out = {}
    for b in meta["baselines"]:
        key = "%s/%s" % (scen, b)
        why = meta["skipped_pairs"].get(key, "")
        if why.startswith("reporting off"):
            src = meta.get("stand_ins", {}).get(key, config)
            out[b] = [r for r in ok if r["scenario"] == src and
                      r["arm"] == b]
    return {b: v for b, v in out.items() if v}


def aggregate(meta, runs):
    """[{scenario, kind, arm, metric, n, values, median, ...}]."""
    rows = []
    arms = meta["arm_order"]
    ok = [r for r in runs if r["status"] == "ok"]
    for scen in scenario_order(runs):
        sruns = [r for r in ok if r["scenario"] == scen]
        if not sruns:
            continue
        kind = sruns[0]["kind"]
        borrowed = borrowed_baselines(meta, ok, scen, sruns[0]["config"])
        for metric, (unit, higher, is_rate, _) in \
                scenarios.METRICS[kind].items():
            vals = {a: [r["metrics"].get(metric, float("nan"))
                        for r in sruns if r["arm"] == a] for a in arms}
            for b, bruns in borrowed.items():
                vals[b] = [r["metrics"].get(metric, float("nan"))
                           for r in bruns]
            for a in arms:
                v = finite(vals[a])
                if not vals[a] or a in borrowed:
                    continue
                row = {"scenario": scen, "kind": kind, "arm": a,
                       "metric": metric, "unit": unit, "higher": higher,
                       "rate": is_rate, "n": len(v), "values": vals[a],
                       "median": statistics.median(v) if v else float("nan"),
                       "min": min(v) if v else float("nan"),
                       "max": max(v) if v else float("nan"),
                       "hmean": hmean(v) if is_rate else None}
                for b in compared_baselines(a, meta["baselines"]):
                    if b not in vals or not vals[b]:
                        continue
                    bv = finite(vals[b])
                    bmed = statistics.median(bv) if bv else float("nan")
                    row["base_" + b] = bmed
                    # A baseline of zero, give or take noise (arm A
                    # returns a fraction of -1.5e-16 or 5.7e-6 of
                    # nothing), has no ratio: dividing by it printed
                    # -6.4e15 and 172273.  Below a thousandth of the
                    # arm's median a baseline counts as zero.
                    row["ratio_" + b] = (
                        row["median"] / bmed
                        if abs(bmed) > 1e-3 * abs(row["median"]) and bmed
                        else float("nan"))
                    row["p_" + b] = mann_whitney(v, bv)
                rows.append(row)
    return rows


def verdict(row, base):
    p = row.get("p_" + base)
    if p is None:
        return "untested (n<2)"
    return "differs (p=%.3g)" % p if p < ALPHA else "same (p=%.2g)" % p


def cell_ratio(row, base):
    if "ratio_" + base not in row:
        return ""
    p = row.get("p_" + base)
    mark = "*" if p is not None and p < ALPHA else ""
    return fmt(row["ratio_" + base]) + mark


def write_tables(meta, rows, md, void):
    bases = meta["baselines"]
    for scen in sorted({r["scenario"] for r in rows}):
        srows = [r for r in rows if r["scenario"] == scen]
        md.append("### %s\n" % scen)
        if scen in void:
            md.append("**VOID, not a result: %s.** The table is kept to "
                      "diagnose the calibration; the findings leave it "
                      "out.\n" % void[scen])
        lent = sorted({b for r in srows for b in meta["baselines"]
                       if "%s/%s" % (scen, b) in meta["skipped_pairs"] and
                       "ratio_" + b in r})
        if lent:
            md.append("Ratios to %s use its runs of the plain scenario: "
                      "with reporting off it sends no reports to delay.\n"
                      % ", ".join(lent))
        md.append("| metric | arm | n | median | min | max | hmean | %s |"
                  % " | ".join("x %s" % b for b in bases))
        md.append("|---|---|---|---|---|---|---|%s" % ("---|" * len(bases)))
        for r in srows:
            md.append("| %s (%s%s) | %s | %d | %s | %s | %s | %s | %s |" % (
                r["metric"], r["unit"], ", higher better" if r["higher"]
                else "", r["arm"], r["n"], fmt(r["median"]), fmt(r["min"]),
                fmt(r["max"]), fmt(r["hmean"]) if r["rate"] else "",
                " | ".join(cell_ratio(r, b) for b in bases)))
        md.append("")


def write_fakeoom_rounds(meta, runs, md):
    """Rounds lost per arm, pooled over repetitions: the count behind the
    per-run medians, which one repetition or a few kills hide."""
    ok = [r for r in runs if r["status"] == "ok" and r["kind"] == "fakeoom"]
    if not ok:
        return
    md.append("### fakeoom rounds, all repetitions pooled\n")
    md.append("| scenario | arm | runs | rounds | killed | failed | "
              "size MiB (min-max) |")
    md.append("|---|---|---|---|---|---|---|")
    for scen in sorted({r["scenario"] for r in ok}):
        for arm in sorted({r["arm"] for r in ok if r["scenario"] == scen}):
            sel = [r for r in ok if r["scenario"] == scen and r["arm"] == arm]
            rounds = [x for r in sel for x in scenarios.parse_fakeoom(
                r["files"].get("/tmp/fakeoom.out", ""))[1]]
            sizes = [r["metrics"].get("size_mib") for r in sel]
            md.append("| %s | %s | %d | %d | %d | %d | %s-%s |" % (
                scen, arm, len(sel), len(rounds),
                sum(x["status"] == "killed" for x in rounds),
                sum(x["status"] == "failed" for x in rounds),
                fmt(min(sizes)), fmt(max(sizes))))
    md.append("")
    md += unequal_sizes(meta, ok)


def unequal_sizes(meta, ok):
    """Warnings for arms whose calibrated workload differs from the
    control's on the same guest size by more than SIZE_TOLERANCE: each
    arm sizes its own workload from its own MemAvailable, so a kernel that
    keeps more in reserve in one arm (watermarks) loads that arm less,
    and fewer rounds lost there may be the smaller load, not the
    hinting."""
    out = []
    for r in ok:
        r.setdefault("guest_mib", None)
    for size in sorted({r["guest_mib"] for r in ok if r["guest_mib"]}):
        sel = [r for r in ok if r["guest_mib"] == size]
        control = meta.get("scenarios", {}).get(
            sel[0]["config"], {}).get("control_arm")
        base = finite([r["metrics"].get("size_mib") for r in sel
                       if r["arm"] == control])
        if not base:
            continue
        ref = statistics.median(base)
        for arm in sorted({r["arm"] for r in sel} - {control}):
            v = finite([r["metrics"].get("size_mib") for r in sel
                        if r["arm"] == arm])
            if v and abs(statistics.median(v) / ref - 1) > SIZE_TOLERANCE:
                out.append("- **Unequal load, %d MiB guests:** arm %s sized "
                           "its workload %s MiB (median) against the "
                           "control %s's %s MiB (%+.0f%%)." % (
                               size, arm, fmt(statistics.median(v)), control,
                               fmt(ref), (statistics.median(v) / ref - 1)
                               * 100))
    if out:
        out = (["Each arm calibrates its own workload; where one was "
                "loaded less, fewer rounds lost there can be the smaller "
                "load and not the hinting:\n"] + out + [""])
    return out


def write_watermarks(outdir, runs, md):
    """Each arm's min_free_kbytes and min watermarks per guest size, as
    its workload met them: the arms boot with different RAM (a buffer
    is on top), and what boot sized from it must not differ."""
    ok = [r for r in runs if r["status"] == "ok" and r.get("guest_mib")]
    rows = {}
    for r in ok:
        wm = dict(r.get("watermarks") or {})
        if "min_free_kbytes" not in wm:
            # runs recorded before watermarks were: the sampled value
            series = read_series(outdir, r["run"], "guest")
            try:
                wm["min_free_kbytes"] = _number(
                    series[0].get("min_free_kbytes", ""))
            except (IndexError, ValueError):
                pass
        if wm:
            rows.setdefault((r["config"], r["guest_mib"], r["arm"]),
                            []).append(wm)
    if not rows:
        return
    zones = sorted({z for v in rows.values() for wm in v for z in wm
                    if z != "min_free_kbytes"})
    md.append("### Watermarks per arm\n")
    md.append("Medians over the arm's runs of each scenario (its "
              "variants pooled) and guest size, read before "
              "the workload started: `min_free_kbytes` and each zone's min "
              "watermark in pages (zone columns are empty for runs "
              "recorded before they were).\n")
    md.append("| scenario | guest MiB | arm | runs | min_free_kbytes |" +
              "".join(" %s min |" % z for z in zones))
    md.append("|---|---|---|---|---|" + "---|" * len(zones))
    for (scen, size, arm), wms in sorted(rows.items()):
        def med(get):
            v = finite([get(wm) for wm in wms])
            return fmt(statistics.median(v)) if v else "-"
        md.append("| %s | %s | %s | %d | %s |%s" % (
            scen, size, arm, len(wms),
            med(lambda w: w.get("min_free_kbytes", float("nan"))),
            "".join(" %s |" % med(lambda w, z=z: w.get(z, {}).get(
                "min", float("nan"))) for z in zones)))
    md.append("")


def write_perf(runs, md):
    """Median page_reporting_buffer tracepoint counts, when the kernel has them."""
    ok = [r for r in runs if r["status"] == "ok" and r.get("perf_counts")]
    if not ok:
        return
    md.append("### page_reporting_buffer tracepoints (perf stat, median per run)\n")
    arms = sorted({r["arm"] for r in ok})
    md.append("| scenario | event | %s |" % " | ".join(arms))
    md.append("|---|---|%s" % ("---|" * len(arms)))
    for scen in sorted({r["scenario"] for r in ok}):
        sr = [r for r in ok if r["scenario"] == scen]
        for ev in sorted({e for r in sr for e in r["perf_counts"]}):
            cells = []
            for a in arms:
                v = [r["perf_counts"][ev] for r in sr
                     if r["arm"] == a and ev in r["perf_counts"]]
                cells.append(fmt(float(statistics.median(v))) if v else "-")
            md.append("| %s | %s | %s |" % (scen, ev, " | ".join(cells)))
    md.append("")


def write_findings(meta, rows, md, void):
    """Spell out, per comparison, where arms differ and where they do not."""
    bases = meta["baselines"]
    differ, same, untested = [], [], []
    for r in rows:
        if r["scenario"] in void:
            continue
        for b in bases:
            if "ratio_" + b not in r:
                continue
            text = "%s %s: %s vs %s median %s vs %s (x%s)" % (
                r["scenario"], r["metric"], r["arm"], b, fmt(r["median"]),
                fmt(r["base_" + b]),
                fmt(r["ratio_" + b]))
            p = r.get("p_" + b)
            if p is None:
                untested.append(text)
            elif p < ALPHA:
                # From the medians, not the ratio: a baseline median of 0
                # gives no ratio.
                better = (r["median"] > r["base_" + b]) == r["higher"]
                differ.append("%s, p=%.3g, %s" % (
                    text, p, "better" if better else "worse"))
            else:
                same.append("%s, p=%.2g" % (text, p))
    md.append("## Findings\n")
    md.append("Mann-Whitney U test (two-sided), p < %.2f. A ratio is the "
              "arm's median over the baseline's.\n" % ALPHA)
    if void:
        md.append("**Void scenarios (%d), left out below:**\n" % len(void))
        md += ["- %s: %s" % kv for kv in sorted(void.items())]
        md.append("")
    md.append("**Significant differences (%d):**\n" % len(differ))
    md += ["- " + t for t in differ] or ["- none"]
    md.append("\n**No significant difference (%d):**\n" % len(same))
    md += ["- " + t for t in same] or ["- none"]
    if untested:
        md.append("\n**Not testable (%d):** fewer than two values on a "
                  "side (one repetition, or a metric without a value such "
                  "as a t50_s never reached); these say nothing about "
                  "significance.\n" % len(untested))
        md += ["- " + t for t in untested]
    md.append("")


def read_series(outdir, run, which):
    path = os.path.join(outdir, "runs", "%s-%s.csv" % (run, which))
    try:
        with open(path) as f:
            return list(csv.DictReader(f))
    except OSError:
        return []


def plot_series(outdir, runs, kind, which, field, ylabel, title, fname):
    sel = [r for r in runs if r["kind"] == kind and r["status"] == "ok"]
    scen_names = sorted({r["scenario"] for r in sel})
    if not scen_names:
        return None
    fig, axes = plt.subplots(len(scen_names), 1, squeeze=False,
                             figsize=(8, 3.2 * len(scen_names)))
    colours = {}
    for ax, scen in zip(axes[:, 0], scen_names):
        for r in [x for x in sel if x["scenario"] == scen]:
            rows = read_series(outdir, r["run"], which)
            xs = [float(x["t"]) for x in rows if x.get(field)]
            ys = [float(x[field]) / (1024 if field == "MemFree" else 1)
                  for x in rows if x.get(field)]
            c = colours.setdefault(r["arm"], "C%d" % len(colours))
            first = r["repetition"] == min(
                x["repetition"] for x in sel
                if x["arm"] == r["arm"] and x["scenario"] == scen)
            ax.plot(xs, ys, color=c, alpha=0.9 if first else 0.35,
                    label=r["arm"] if first else None, linewidth=1)
        ax.set_title("%s: %s" % (title, scen))
        ax.set_xlabel("s since the workload started")
        ax.set_ylabel(ylabel)
        ax.legend(fontsize="small")
    fig.tight_layout()
    fig.savefig(os.path.join(outdir, fname), dpi=90)
    plt.close(fig)
    return fname


def plot_fake_oom(outdir, rows):
    sel = [r for r in rows if r["kind"] in scenarios.FAKE_OOM_KINDS and
           r["metric"] in scenarios.FAKE_OOM_METRICS]
    scen_names = sorted({r["scenario"] for r in sel})
    if not scen_names:
        return None
    fig, axes = plt.subplots(len(scen_names), 1, squeeze=False,
                             figsize=(8, 3.2 * len(scen_names)))
    for ax, scen in zip(axes[:, 0], scen_names):
        arms = []
        for r in sel:
            if r["scenario"] == scen and r["arm"] not in arms:
                arms.append(r["arm"])
        width = 0.8 / len(scenarios.FAKE_OOM_METRICS)
        for i, m in enumerate(scenarios.FAKE_OOM_METRICS):
            med = [next((r["median"] for r in sel if r["scenario"] == scen
                         and r["arm"] == a and r["metric"] == m), 0)
                   for a in arms]
            lo = [next((r["median"] - r["min"] for r in sel
                        if r["scenario"] == scen and r["arm"] == a and
                        r["metric"] == m), 0) for a in arms]
            hi = [next((r["max"] - r["median"] for r in sel
                        if r["scenario"] == scen and r["arm"] == a and
                        r["metric"] == m), 0) for a in arms]
            ax.bar([j + i * width for j in range(len(arms))], med, width,
                   yerr=[lo, hi], capsize=2, label=m)
        ax.set_xticks([j + width for j in range(len(arms))])
        ax.set_xticklabels(arms)
        # Counts span 0 to thousands of stalls: symlog keeps 0 and 1 kill
        # visible next to them.
        ax.set_yscale("symlog", linthresh=1)
        top = max([r["max"] for r in sel if r["scenario"] == scen] + [1])
        ax.set_ylim(0, top * 1.5)
        ax.set_title("fake-OOM symptoms (median, min-max): %s" % scen)
        ax.legend(fontsize="small")
    fig.tight_layout()
    fig.savefig(os.path.join(outdir, "fake_oom.png"), dpi=90)
    plt.close(fig)
    return "fake_oom.png"


def write_csvs(outdir, meta, runs, rows):
    with open(os.path.join(outdir, "runs.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["run", "scenario", "arm", "repetition", "status",
                    "metric", "value"])
        for r in runs:
            for m, v in sorted(r.get("metrics", {}).items()):
                w.writerow([r["run"], r["scenario"], r["arm"],
                            r["repetition"], r["status"], m, v])
    bases = meta["baselines"]
    with open(os.path.join(outdir, "summary.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["scenario", "arm", "metric", "unit", "n", "median",
                    "min", "max", "hmean"] +
                   sum([["ratio_" + b, "p_" + b] for b in bases], []))
        for r in rows:
            w.writerow([r["scenario"], r["arm"], r["metric"], r["unit"],
                        r["n"], r["median"], r["min"], r["max"],
                        r["hmean"] if r["rate"] else ""] +
                       sum([[r.get("ratio_" + b, ""),
                             "" if r.get("p_" + b) is None
                             else r["p_" + b]] for b in bases], []))


# The headline (README.md, "What it buys"): the fake OOM where the
# emulated host latency makes it show, and what memory comes back at what
# throughput, one row per arm.
HEADLINE_LATENCY_MS = 500


def headline_rows(meta, runs, void):
    """[(arm, {column: text})] and the column names, in order."""
    ok = [r for r in runs if r["status"] == "ok"]
    cols, table = [], {a: {} for a in meta["arm_order"]}

    def runs_of(kind, arm, **match):
        return [r for r in ok if r["kind"] == kind and r["arm"] == arm and
                all(r.get(k) == v for k, v in match.items())]

    def median(sel, metric):
        v = finite([r["metrics"].get(metric, float("nan")) for r in sel])
        return statistics.median(v) if v else None

    controls = {c.get("control_arm") for c in
                meta.get("scenarios", {}).values()}
    sizes = sorted({r["guest_mib"] for r in ok
                    if r["kind"] == "fakeoom" and r.get("guest_mib")})
    for size in sizes:
        lost = "fake OOM %d MiB: rounds lost" % size
        stalls = "%d MiB: alloc stalls" % size
        cols += [lost, stalls]
        for arm in meta["arm_order"]:
            sel = runs_of("fakeoom", arm, guest_mib=size,
                          report_latency_ms=HEADLINE_LATENCY_MS)
            if not sel:
                # the control runs once per size, for every latency
                sel = runs_of("fakeoom", arm, guest_mib=size)
                sel = sel if arm in controls else []
            if not sel:
                continue
            if any(r["scenario"] in void for r in sel):
                table[arm][lost] = table[arm][stalls] = "void"
                continue
            rounds = [x for r in sel for x in scenarios.parse_fakeoom(
                r["files"].get("/tmp/fakeoom.out", ""))[1]]
            table[arm][lost] = "%d/%d" % (
                sum(x["status"] in ("killed", "failed") for x in rounds),
                len(rounds))
            table[arm][stalls] = fmt(median(sel, "allocstalls"))
    ret = [("return t90 s", "return", "t90_s"),
           ("returned", "return", "returned_frac"),
           ("retained MiB*s", "return", "retained_mib_s")]
    for col, kind, metric in ret:
        cols.append(col)
        for arm in meta["arm_order"]:
            m = median(runs_of(kind, arm), metric)
            if m is not None:
                # arm A returns -1.5e-16 of nothing
                table[arm][col] = fmt(m if abs(m) > 1e-9 else 0)
    col = "throughput x A"
    cols.append(col)
    base = median(runs_of("throughput", "A"), "ops_s")
    for arm in meta["arm_order"]:
        m = median(runs_of("throughput", arm), "ops_s")
        if m is not None and base:
            table[arm][col] = fmt(m / base)
    return [(a, table[a]) for a in meta["arm_order"] if table[a]], cols


def write_headline(meta, runs, md, void):
    rows, cols = headline_rows(meta, runs, void)
    if not rows:
        return
    md.append("## Headline\n")
    md.append("Medians per run, except rounds lost (killed or failed, "
              "pooled over the repetitions). Fake OOM at %d ms host "
              "latency; the control arm runs without reporting, so "
              "without latency. `-`: the arm did not run there.\n"
              % HEADLINE_LATENCY_MS)
    md.append("| arm | " + " | ".join(cols) + " |")
    md.append("|---|" + "---|" * len(cols))
    for arm, cells in rows:
        md.append("| %s | %s |" % (arm, " | ".join(cells.get(c, "-")
                                                   for c in cols)))
    md.append("")


def write_report(outdir):
    meta, runs = load(outdir)
    rows = aggregate(meta, runs)
    void = void_scenarios(meta, runs)
    write_csvs(outdir, meta, runs, rows)
    v = meta["versions"]
    md = ["# hintbuf benchmark report (%s, %s mode)\n" % (
        meta["stamp"], meta["mode"]), "## Environment\n",
        "| item | value |", "|---|---|",
        "| accelerator | %s |" % meta["accel"],
        "| QEMU | `%s` %s, sha256 `%s` |" % (v["qemu"], v["qemu_version"],
                                           v["qemu_sha256"][:16]),
        "| kernel | `%s`, sha256 `%s` |" % (v["kernel"],
                                           v["kernel_sha256"][:16]),
        "| initramfs | sha256 `%s` |" % v["initrd_sha256"][:16],
        "| source | git %s |" % v["git"],
        "| host | %s, Linux %s, %d CPUs |" % (v["host"], v["host_kernel"],
                                              v["host_cpus"]),
        "| elapsed | %s s |" % fmt(meta.get("elapsed_s")), ""]
    md.append("## Arms\n")
    md.append("| arm | description | kernel cmdline | virtio-balloon | "
              "extra RAM | status |")
    md.append("|---|---|---|---|---|---|")
    for a in meta["arm_order"]:
        arm = meta["arms"][a]
        md.append("| %s | %s | `%s` | `%s` | %d MiB | %s |" % (
            a, arm["description"], arm["cmdline"] or "-",
            ",".join("%s=%s" % kv for kv in arm["balloon"].items()),
            arm["extra_mib"],
            "SKIPPED: " + meta["skipped_arms"][a]
            if a in meta["skipped_arms"] else "ran"))
    md.append("")
    md.append("## Skipped and failed\n")
    skipped = ["- scenario %s: %s" % kv for kv in
               sorted(meta["skipped_scenarios"].items())]
    skipped += ["- arm %s: %s" % kv for kv in
                sorted(meta["skipped_arms"].items())]
    skipped += ["- %s: %s" % kv for kv in
                sorted(meta["skipped_pairs"].items())]
    skipped += ["- run %s: %s" % (r["run"], r["status"]) for r in runs
                if r["status"] != "ok"]
    md += skipped or ["- nothing"]
    md.append("")
    write_headline(meta, runs, md, void)
    md.append("## Results\n")
    md.append("Per scenario and arm over the repetitions. `x A` is the "
              "ratio of the arm's median to arm A's; `*` marks p < %.2f in "
              "the Mann-Whitney U test. hmean is the harmonic mean, given "
              "for rates. Metrics recomputed by report.py from the raw "
              "files: %d of %d runs (the others keep what they recorded)."
              "\n" % (ALPHA, sum(r["metrics_source"] == "raw"
                                  for r in runs), len(runs)))
    write_tables(meta, rows, md, void)
    write_fakeoom_rounds(meta, runs, md)
    write_watermarks(outdir, runs, md)
    write_perf(runs, md)
    write_findings(meta, rows, md, void)
    md.append("## Plots\n")
    for fname, caption in (
            (plot_series(outdir, runs, "return", "host", "rss_mib",
                         "QEMU RSS (MiB)", "QEMU RSS", "rss.png"),
             "QEMU RSS over time, return scenario"),
            (plot_series(outdir, runs, "pagecache", "host", "rss_mib",
                         "QEMU RSS (MiB)", "QEMU RSS", "rss-pagecache.png"),
             "QEMU RSS over time, page cache scenario"),
            (plot_series(outdir, runs, "overload", "guest", "MemFree",
                         "guest MemFree (MiB)", "MemFree", "memfree.png"),
             "guest MemFree over time, overload scenarios"),
            (plot_series(outdir, runs, "fakeoom", "guest", "MemFree",
                         "guest MemFree (MiB)", "MemFree",
                         "memfree-fakeoom.png"),
             "guest MemFree over time, fake OOM scenarios"),
            (plot_fake_oom(outdir, rows),
             "OOM kills, allocation and compaction stalls per arm")):
        if fname:
            md.append("![%s](%s)\n" % (caption, fname))
    with open(os.path.join(outdir, "summary.md"), "w") as f:
        f.write("\n".join(md) + "\n")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: report.py RESULTS_DIR")
    write_report(sys.argv[1])
