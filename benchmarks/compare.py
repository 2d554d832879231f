#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Compare two benchmark results directories, e.g. before and after a
kernel change, in the manner of mmtests' compare-kernels.

    compare.py results/<before> results/<after> [--out compare.md]

Both directories' metrics are recomputed from their raw files (report.py
load()), so the two sides are measured by the same code even when the
runs were recorded by different versions of the harness.  For every
scenario, arm and metric present on both sides: the median and min-max of
each, the ratio of medians (after over before) and the two-sided
Mann-Whitney U test of the two sets of repetitions.  Scenarios void on
either side (failed control) are listed, not compared.
"""

import argparse
import os
import statistics
import sys

import report
import scenarios


def medians(runs):
    """{(scenario, arm, metric): [values]} of the ok runs."""
    out = {}
    for r in runs:
        if r["status"] != "ok":
            continue
        for m, v in r["metrics"].items():
            out.setdefault((r["scenario"], r["arm"], m), []).append(v)
    return out


def spread(values):
    v = report.finite(values)
    if not v:
        return "-", "-"
    return (report.fmt(statistics.median(v)),
            "%s-%s" % (report.fmt(min(v)), report.fmt(max(v))))


def compare(before_dir, after_dir):
    (bmeta, bruns), (ameta, aruns) = (report.load(before_dir),
                                      report.load(after_dir))
    bvoid = report.void_scenarios(bmeta, bruns)
    avoid = report.void_scenarios(ameta, aruns)
    bv, av = medians(bruns), medians(aruns)
    md = ["# Comparison: %s -> %s\n" % (before_dir, after_dir),
          "| side | results | git | kernel sha256 | mode |",
          "|---|---|---|---|---|"]
    for side, d, meta in (("before", before_dir, bmeta),
                          ("after", after_dir, ameta)):
        md.append("| %s | %s | %s | `%s` | %s |" % (
            side, os.path.basename(os.path.normpath(d)),
            meta["versions"]["git"], meta["versions"]["kernel_sha256"][:16],
            meta["mode"]))
    md.append("")
    void = sorted(set(bvoid) | set(avoid))
    if void:
        md.append("Void on a side (failed control), not compared:\n")
        for s in void:
            sides = ["%s: %s" % (side, v[s]) for side, v in
                     (("before", bvoid), ("after", avoid)) if s in v]
            md.append("- %s: %s" % (s, "; ".join(sides)))
        md.append("")
    md.append("Ratio: median after / median before. `*`: Mann-Whitney U "
              "p < %.2f.\n" % report.ALPHA)
    md.append("| scenario | arm | metric | before median | before min-max "
              "| after median | after min-max | ratio | p |")
    md.append("|---|---|---|---|---|---|---|---|---|")
    keys = sorted(set(bv) & set(av))
    for scen, arm, metric in keys:
        if scen in void:
            continue
        kind = next(r["kind"] for r in aruns if r["scenario"] == scen)
        if metric not in scenarios.METRICS.get(kind, {}):
            continue
        b, a = bv[(scen, arm, metric)], av[(scen, arm, metric)]
        bm, bs = spread(b)
        am, as_ = spread(a)
        fb, fa = report.finite(b), report.finite(a)
        ratio = (statistics.median(fa) / statistics.median(fb)
                 if fa and fb and statistics.median(fb) else float("nan"))
        p = report.mann_whitney(b, a)
        unit, higher = scenarios.METRICS[kind][metric][:2]
        md.append("| %s | %s | %s (%s%s) | %s | %s | %s | %s | %s%s | %s |" % (
            scen, arm, metric, unit, ", higher better" if higher else "",
            bm, bs, am, as_, report.fmt(ratio),
            "*" if p is not None and p < report.ALPHA else "",
            "-" if p is None else "%.3g" % p))
    only = sorted({k[:2] for k in set(bv) ^ set(av)})
    if only:
        md.append("\nOn one side only (scenario, arm): " +
                  ", ".join("%s/%s" % k for k in only))
    return "\n".join(md) + "\n"


def main():
    ap = argparse.ArgumentParser(
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("before")
    ap.add_argument("after")
    ap.add_argument("--out", help="write the comparison here, not stdout")
    a = ap.parse_args()
    text = compare(a.before, a.after)
    if a.out:
        with open(a.out, "w") as f:
            f.write(text)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
