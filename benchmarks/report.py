#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Comparison report of a benchmark results directory.

    report.py results/<timestamp>

Reads meta.json and runs/*.json and writes summary.md, runs.csv (one row
per run and metric), summary.csv (one row per scenario, arm and metric)
and the plots rss.png, memfree.png and fake_oom.png.  It only reads what
the runs recorded, so it can be re-run on old results.

Statistics, per scenario, arm and metric over the repetitions: median,
min, max, harmonic mean for rates, ratio of medians to each baseline arm,
and Welch's t-test (unequal variances) against each baseline; p < 0.05 is
marked significant.  With fewer than two values on either side there is
no test and the report says so.
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


def finite(values):
    return [v for v in values if v is not None and not math.isnan(v)]


def hmean(values):
    v = finite(values)
    if not v or any(x <= 0 for x in v):
        return float("nan")
    return len(v) / sum(1 / x for x in v)


def welch(a, b):
    """p-value of Welch's t-test, None when it cannot be computed."""
    a, b = finite(a), finite(b)
    if len(a) < 2 or len(b) < 2:
        return None
    if statistics.pvariance(a) == 0 and statistics.pvariance(b) == 0:
        # Constant samples: equal means never differ, unequal ones always.
        return 1.0 if statistics.mean(a) == statistics.mean(b) else 0.0
    return float(sstats.ttest_ind(a, b, equal_var=False).pvalue)


def fmt(v, digits=3):
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "-"
    if isinstance(v, float) and abs(v) >= 1000:
        return "%.0f" % v
    return "%.*g" % (digits, v)


def load(outdir):
    with open(os.path.join(outdir, "meta.json")) as f:
        meta = json.load(f)
    runs = []
    for path in sorted(glob.glob(os.path.join(outdir, "runs", "*.json"))):
        with open(path) as f:
            runs.append(json.load(f))
    return meta, runs


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
    that arm's runs of the plain scenario."""
    out = {}
    for b in meta["baselines"]:
        why = meta["skipped_pairs"].get("%s/%s" % (scen, b), "")
        if why.startswith("reporting off"):
            out[b] = [r for r in ok if r["scenario"] == config and
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
                    row["ratio_" + b] = (row["median"] / bmed if bmed
                                         else float("nan"))
                    row["p_" + b] = welch(v, bv)
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


def write_tables(meta, rows, md):
    bases = meta["baselines"]
    for scen in sorted({r["scenario"] for r in rows}):
        srows = [r for r in rows if r["scenario"] == scen]
        md.append("### %s\n" % scen)
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


def write_perf(runs, md):
    """Median page_hinting tracepoint counts, when the kernel has them."""
    ok = [r for r in runs if r["status"] == "ok" and r.get("perf_counts")]
    if not ok:
        return
    md.append("### page_hinting tracepoints (perf stat, median per run)\n")
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


def write_findings(meta, rows, md):
    """Spell out, per comparison, where arms differ and where they do not."""
    bases = meta["baselines"]
    differ, same, untested = [], [], []
    for r in rows:
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
    md.append("Welch's t-test, p < %.2f. A ratio is the arm's median over "
              "the baseline's.\n" % ALPHA)
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
    sel = [r for r in rows if r["kind"] in ("overload", "pressure") and
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


def write_report(outdir):
    meta, runs = load(outdir)
    rows = aggregate(meta, runs)
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
    md.append("## Results\n")
    md.append("Per scenario and arm over the repetitions. `x A` is the "
              "ratio of the arm's median to arm A's; `*` marks p < %.2f in "
              "Welch's t-test. hmean is the harmonic mean, given for rates."
              "\n" % ALPHA)
    write_tables(meta, rows, md)
    write_perf(runs, md)
    write_findings(meta, rows, md)
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
