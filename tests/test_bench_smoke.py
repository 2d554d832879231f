# SPDX-License-Identifier: GPL-2.0
"""The benchmark harness runs end to end and writes a well-formed report.

Quick mode, arms A and B, every scenario kind shrunk to a few seconds.
Only the shape of the results is checked, never a figure: the figures are
what the benchmark is for, and a smoke test under TCG cannot judge them.
The report's own logic (metrics recomputed from raw files, a void
scenario when the control fails, the comparison of two result
directories) is checked on records made up here, without a guest.
"""

import csv
import json
import os
import subprocess

import pytest

import hintbuf

BENCH = os.path.join(hintbuf.TOP, "benchmarks", "hbbench.py")
import compare
import report  # noqa: E402

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
    # Two rounds on a small guest: enough for every fakeoom metric and
    # the control check to be computed, far too few to judge them.
    "fakeoom": """[scenario]
kind = fakeoom
guest_mib = 512
cpus = 2
report_latency_ms = 0
control_arm = A
guest_setup = echo never >/sys/kernel/mm/transparent_hugepage/enabled
margin_mib = 64
rounds = 2
hold_ms = 100
gap_min_ms = 0
gap_max_ms = 300
seed = 13
calib_ms = 500
observe_s = 2
timeout_s = 240
host_hz = 10
guest_interval_s = 0.5
""",
    "skipped": """[scenario]
kind = return
skip = smoke test: skipped on purpose
""",
}


KINDS = ("return", "overload", "throughput", "pagecache", "fakeoom")


def read_csv(path):
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    assert len(rows) >= 2, "%s has no data rows" % path
    assert all(len(r) == len(rows[0]) for r in rows), "ragged %s" % path
    return rows


@pytest.mark.slow
def test_bench_quick_report(tmp_path):
    """hbbench.py --mode quick on a tiny config runs every arm and scenario
    and writes runs, summary, CSV and plots."""
    cfg = tmp_path / "configs"
    cfg.mkdir()
    for name, text in TINY.items():
        (cfg / (name + ".conf")).write_text(text)
    out = tmp_path / "results"
    p = subprocess.run(["/usr/bin/python3", BENCH, "--mode", "quick",
                        "--arms", "A,B", "--config-dir", str(cfg),
                        "--out", str(out)],
                       capture_output=True, text=True, timeout=900,
                       env=dict(os.environ, PYTHONPATH=hintbuf.PYTHON_DIR))
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
        if rec["kind"] == "fakeoom":
            assert rec["guest_setup"][0] == 0, rec["guest_setup"]
        assert rec["accel"] and rec["qemu_args"] and rec["guest_cmdline"]
        # each arm's watermarks as its workload met them
        wm = rec["watermarks"]
        assert wm["min_free_kbytes"] > 0
        assert any(isinstance(z, dict) and z["min"] > 0
                   for z in wm.values()), wm
        for which in ("host", "guest"):
            read_csv(out / "runs" / ("%s-%s.csv" % (path.stem, which)))

    read_csv(out / "runs.csv")
    summary = read_csv(out / "summary.csv")
    assert {r[0] for r in summary[1:]} == set(KINDS)

    md = (out / "summary.md").read_text()
    for heading in ("## Environment", "## Arms", "## Skipped and failed",
                    "## Headline", "## Results", "### return", "### overload",
                    "### throughput", "### pagecache", "### fakeoom\n",
                    "### fakeoom rounds", "### Watermarks per arm",
                    "## Findings", "## Plots"):
        assert heading in md, heading
    assert ("| metric | arm | n | median | min | max | hmean | x A | x B |"
            in md)
    assert "scenario skipped: smoke test: skipped on purpose" in md
    # the headline has a row for every arm that ran, A first
    head = md.split("## Headline", 1)[1].split("## Results", 1)[0]
    assert "| arm | fake OOM" in head and "| return t90 s |" in head
    assert head.count("\n| A | ") == 1 and head.count("\n| B | ") == 1
    for png in ("rss.png", "rss-pagecache.png", "memfree.png",
                "memfree-fakeoom.png", "fake_oom.png"):
        assert (out / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", png
        assert "(%s)" % png in md


# ----- the report's logic on made-up records, no guest -------------------
def fake_run(runs_dir, scen, arm, rep_, killed, fill_ms, rss):
    """One fakeoom run record with raw files: a fill every round, one
    round killed if @killed; its recorded metrics are deliberately wrong
    so that a report built from them could be told apart."""
    run = "%s-%s-r%d" % (scen, arm, rep_)
    out = ["calib_avail_kib 460000", "size_mib 385"]
    out += ["round %d gap_ms 100 fill_ms %.1f status %s" % (
        i, fill_ms + i, "killed" if killed and i == 0 else "ok")
        for i in range(3)]
    rec = {"run": run, "scenario": scen, "config": "fakeoom",
           "kind": "fakeoom", "arm": arm, "repetition": rep_,
           "status": "ok", "scenario_config": {"kind": "fakeoom"},
           "baseline": {"rss_mib": 100.0, "overhead_mib": 50.0},
           "files": {"/tmp/fakeoom.out": "\n".join(out) + "\n"},
           "metrics": {"rounds_killed": 99}}
    (runs_dir / (run + ".json")).write_text(json.dumps(rec))
    (runs_dir / (run + "-host.csv")).write_text(
        "t,rss_mib,qemu_cpu_s\n" + "".join(
            "%.1f,%.3f,%.1f\n" % (t / 10, rss, t / 10) for t in range(40)))
    # Every counter the fake-OOM plot draws, so it has no empty bars.
    (runs_dir / (run + "-guest.csv")).write_text(
        "t,MemFree,oom_kill,allocstall,compact_stall,used_mib\n" + "".join(
            "%.1f,%d,%d,%d,0,%.3f\n" % (t / 2, 50000, killed * (t > 3),
                                         t * killed, 400.0)
            for t in range(8)))


def fake_results(path, control_killed, fill_ms):
    runs = path / "runs"
    runs.mkdir(parents=True)
    for rep_ in (1, 2, 3, 4):
        fake_run(runs, "fakeoom", "A", rep_, control_killed and rep_ == 2,
                 100, 480)
        fake_run(runs, "fakeoom", "B", rep_, True, fill_ms, 420)
    meta = {"mode": "full", "stamp": path.name, "accel": "tcg",
            "versions": {"qemu": "q", "qemu_version": "v",
                         "qemu_sha256": "0" * 64, "kernel": "k",
                         "kernel_sha256": "1" * 64, "initrd_sha256": "2" * 64,
                         "git": "g", "host": "h", "host_kernel": "6",
                         "host_cpus": 2},
            "arms": {a: {"description": a, "cmdline": "", "balloon": {},
                         "extra_mib": 0} for a in "AB"},
            "arm_order": ["A", "B"], "baselines": ["A", "B"],
            "skipped_arms": {}, "skipped_scenarios": {}, "skipped_pairs": {},
            "stand_ins": {}, "scenarios": {"fakeoom": {"control_arm": "A"}}}
    (path / "meta.json").write_text(json.dumps(meta))
    return path


def summary_row(path, arm, metric):
    for row in read_csv(path / "summary.csv")[1:]:
        if row[1] == arm and row[2] == metric:
            return row
    raise AssertionError("no %s %s in summary.csv" % (arm, metric))


def test_report_recomputes_and_voids(tmp_path):
    """report.py recomputes metrics from the raw run files, not the recorded
    ones, and marks a scenario VOID when its control arm lost rounds."""
    good = fake_results(tmp_path / "good", False, 200)
    report.write_report(str(good))
    md = (good / "summary.md").read_text()
    assert "VOID" not in md
    # From the raw output, not the recorded 99.
    assert float(summary_row(good, "B", "rounds_killed")[5]) == 1
    assert float(summary_row(good, "A", "rounds_killed")[5]) == 0
    assert "fakeoom rounds_killed: B vs A" in md

    bad = fake_results(tmp_path / "bad", True, 200)
    report.write_report(str(bad))
    md = (bad / "summary.md").read_text()
    assert "**VOID, not a result: failed calibration: " \
        "fakeoom-A-r2 lost rounds" in md
    assert "fakeoom rounds_killed: B vs A" not in md

    text = compare.compare(str(good),
                           str(fake_results(tmp_path / "after", False, 400)))
    line = next(x for x in text.splitlines()
                if x.startswith("| fakeoom | B | fill_p50_ms"))
    # Medians 201 and 401, every value of one side above the other's.
    assert "| 201 |" in line and "| 401 |" in line and "| 2*" in line
