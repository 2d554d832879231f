# SPDX-License-Identifier: GPL-2.0
"""The benchmark harness runs end to end and writes a well-formed report.

Quick mode, arms A and B, every scenario kind shrunk to a few seconds.
Only the shape of the results is checked, never a figure: the figures are
what the benchmark is for, and a smoke test under TCG cannot judge them.
"""

import csv
import json
import os
import subprocess

import pytest

import hbvm

BENCH = os.path.join(hbvm.TOP, "benchmarks", "hbbench.py")

TINY = {
    "return": """[scenario]
kind = return
guest_mib = 512
cpus = 2
fill_mib = 128
observe_s = 4
host_hz = 10
guest_interval_s = 0.5
""",
    "overload": """[scenario]
kind = overload
guest_mib = 512
cpus = 2
duration_s = 4
report_latency_ms = 0
stress = --vm 1 --vm-bytes 40% ; --malloc 1 --malloc-bytes 16M
churn_mib = 32
churn_delay_ms = 300
chunk_kib = 1024
lat_interval_ms = 50
host_hz = 10
guest_interval_s = 0.5
""",
    "throughput": """[scenario]
kind = throughput
guest_mib = 512
cpus = 2
duration_s = 3
stress = --vm 1 --vm-bytes 64M --vm-method write64
host_hz = 10
guest_interval_s = 1
""",
    "pagecache": """[scenario]
kind = pagecache
guest_mib = 512
cpus = 2
fill_mib = 96
observe_s = 4
host_hz = 10
guest_interval_s = 0.5
""",
    "skipped": """[scenario]
kind = return
skip = smoke test: skipped on purpose
""",
}


KINDS = ("return", "overload", "throughput", "pagecache")


def read_csv(path):
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    assert len(rows) >= 2, "%s has no data rows" % path
    assert all(len(r) == len(rows[0]) for r in rows), "ragged %s" % path
    return rows


@pytest.mark.slow
def test_bench_quick_report(tmp_path):
    cfg = tmp_path / "configs"
    cfg.mkdir()
    for name, text in TINY.items():
        (cfg / (name + ".conf")).write_text(text)
    out = tmp_path / "results"
    p = subprocess.run(["/usr/bin/python3", BENCH, "--mode", "quick",
                        "--arms", "A,B", "--config-dir", str(cfg),
                        "--out", str(out)],
                       capture_output=True, text=True, timeout=900)
    print(p.stdout[-4000:], p.stderr[-4000:])
    assert p.returncode == 0

    meta = json.loads((out / "meta.json").read_text())
    assert meta["skipped_arms"] == {}
    assert list(meta["skipped_scenarios"]) == ["skipped"]
    for key in ("qemu_sha256", "kernel_sha256", "qemu_version"):
        assert meta["versions"][key]

    runs = sorted((out / "runs").glob("*.json"))
    names = {r.stem for r in runs}
    assert names == {"%s-%s-r1" % (s, a) for s in
                     KINDS for a in "AB"}
    for path in runs:
        rec = json.loads(path.read_text())
        assert rec["status"] == "ok", (path.name, rec["status"])
        assert rec["metrics"], path.name
        assert rec["accel"] and rec["qemu_args"] and rec["guest_cmdline"]
        for which in ("host", "guest"):
            read_csv(out / "runs" / ("%s-%s.csv" % (path.stem, which)))

    read_csv(out / "runs.csv")
    summary = read_csv(out / "summary.csv")
    assert {r[0] for r in summary[1:]} == set(KINDS)

    md = (out / "summary.md").read_text()
    for heading in ("## Environment", "## Arms", "## Skipped and failed",
                    "## Results", "### return", "### overload",
                    "### throughput", "### pagecache", "## Findings",
                    "## Plots"):
        assert heading in md, heading
    assert ("| metric | arm | n | median | min | max | hmean | x A | x B |"
            in md)
    assert "scenario skipped: smoke test: skipped on purpose" in md
    for png in ("rss.png", "rss-pagecache.png", "memfree.png",
                "fake_oom.png"):
        assert (out / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", png
        assert "(%s)" % png in md
