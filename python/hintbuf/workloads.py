# SPDX-License-Identifier: GPL-2.0
"""Guest workloads more than one test runs, with how their results are
read."""

import re

from . import MIB

INTEGRITY_BUFFER_MIB = 128
# Low reporting order and a short delay: many small chunks and many
# passes, so the buffer swaps often.
INTEGRITY_APPEND = "page_reporting.page_reporting_order=5 page_reporting.delay_ms=50"


def integrity_guest(make_guest, kernel=None, mem_mib=1024,
                    append=INTEGRITY_APPEND, name="integrity"):
    """A guest with an INTEGRITY_BUFFER_MIB buffer; waits until it is
    held."""
    g = make_guest(name=name, kernel=kernel,
                   mem_mib=mem_mib + INTEGRITY_BUFFER_MIB, append=append,
                   balloon={"free-page-reporting": "on",
                            "reporting-buffer": "%dM" % INTEGRITY_BUFFER_MIB})
    g.wait_buffer_held(60)
    return g


def run_integrity(g, work_mib, churn_mib, cycles, timeout=600):
    """Run hb-integrity: (summary dict, output, sysfs deltas, QMP
    reported-bytes delta)."""
    before = g.buffer_counters()
    reported = g.qom("reported-bytes")
    rc, out = g.run("hb-integrity %d %d %d" % (work_mib, churn_mib, cycles),
                    timeout=timeout, check=False)
    after = g.buffer_counters()
    delta = {k: after[k] - before[k] for k in after
             if isinstance(after[k], int) and isinstance(before.get(k), int)}
    m = re.search(r"^hb-integrity: (.*)$", out, re.M)
    assert m, "no summary from hb-integrity (rc %d):\n%s" % (rc, out)
    summary = {k: float(v) if "." in v else int(v)
               for k, v in (kv.split("=") for kv in m.group(1).split())}
    assert rc == (1 if summary["bad_pages"] else 0), out
    return summary, out, delta, g.qom("reported-bytes") - reported


__all__ = ["MIB", "integrity_guest", "run_integrity"]
