# SPDX-License-Identifier: GPL-2.0
"""KUnit suites built into the guest kernel, run at boot, read from the
console (KTAP).  The kernel is built with CONFIG_KUNIT_DEFAULT_ENABLED=n,
so the suites run only when the command line says kunit.enable=1."""

import re

import pytest

import hintbuf
from hintbuf import wait_until

# Suites that must be present when their Kconfig symbol is set.
EXPECTED = {"CONFIG_PAGE_REPORTING_BUFFER_KUNIT_TEST": [
    "page_reporting_buffer", "page_reporting_buffer_report", "page_reporting_buffer_hotplug",
    "page_reporting_buffer_sysfs"]}


def test_kunit_suites(make_guest):
    """Every built-in KUnit suite passes at boot, and the page_reporting_buffer
    suites ran without skipping a case."""
    config = hintbuf.kernel_config()
    if "CONFIG_KUNIT=y" not in config:
        pytest.skip("kernel built without KUnit")
    if not re.search(r"^CONFIG_\w*KUNIT_TEST=y", config, re.M):
        pytest.skip("no KUnit suites configured")
    g = make_guest(append="kunit.enable=1", balloon=None)
    # Built-in suites run before init; wait for KTAP's closing lines.
    console = wait_until(g.console_text, 60, ok=lambda c: "# Totals:" in c,
                         step=1)
    # Top-level results: "ok N name" / "not ok N name" without indentation
    # (the console prefixes a timestamp).
    results = re.findall(r"\] (not ok|ok) \d+ (\S+)", console)
    suites = {name: status for status, name in results}
    for symbol, names in EXPECTED.items():
        if re.search("^%s=y" % symbol, config, re.M):
            for suite in names:
                assert suite in suites, "suite %s did not run" % suite
    if not suites:
        pytest.skip("no KUnit suites built in")
    failed = [name for name, status in suites.items() if status != "ok"]
    assert not failed, "KUnit suites failed: %s" % failed
    # A skipped case passes without testing anything.  This guest has no
    # reporting device and a 1 GiB zone with free pageblocks to spare, so
    # none of the page_reporting_buffer cases has a reason to skip.
    skipped = re.findall(r"\]\s+ok \d+ (prb_test_\w+) # SKIP (.*)", console)
    assert not skipped, "page_reporting_buffer cases skipped: %s" % skipped
    print("KUnit suites passed: %s" % ", ".join(sorted(suites)))
