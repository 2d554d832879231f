# SPDX-License-Identifier: GPL-2.0
"""The kernel's own mm selftests, with the reporting buffer held and without.

A suite nobody here wrote: a subset of tools/testing/selftests/mm of the
same 6.12 tree (compaction, migration, THP, hugetlb) and
tools/testing/selftests/memory-hotplug's mem-on-off-test.sh, built
statically by scripts/build-mm-selftests.sh into build/initramfs-mm.cpio
(the usual initramfs with a second archive appended).  They exercise what
a held buffer can break: buffer chunks are isolated pages that compaction
and alloc_contig_range() cannot move, and offlining must give them back.

One guest holds a 256 MiB buffer (confirmed from its sysfs before the
first test and again after the last), one has the same device with
reporting but no buffer; both have 1 GiB to use, three CPUs and two fake
NUMA nodes (for migration).  Each test runs in both, in the order below, and must end
the same way in both: the same exit status (kselftest: 0 pass, 4 skip)
and the same result for every KTAP subtest.  At least half of them must
pass, so an empty or broken run cannot pass.  docs/testing.rst
says which tests are left out and why.
"""

import os
import re
import time

import pytest

import hintbuf
from hintbuf import MIB, wait_until

GUEST_MIB = 1024
# migration needs three CPUs (two migrating threads besides the test's).
GUEST_CPUS = 3
BUFFER_MIB = 256
MM_INITRD = os.environ.get("HB_MM_INITRD",
                           os.path.join(hintbuf.BUILD, "initramfs-mm.cpio"))
DIR = "/usr/lib/mm-selftests"
# migration needs two nodes; the fake ones split the guest's RAM.
APPEND = "numa=fake=2"

# (name, guest shell command, timeout in s).  Setup mirrors run_vmtests.sh
# for these tests: 256 MiB of 2 MiB hugetlb pages for the hugetlb tests,
# exactly one for the madvise race, none for compaction_test.
TESTS = [
    ("nr_hugepages=128", "echo 128 > /proc/sys/vm/nr_hugepages && "
     "grep -E '^HugePages_(Total|Free)' /proc/meminfo && "
     "test $(cat /proc/sys/vm/nr_hugepages) = 128", 60),
    ("hugepage-mmap", "./hugepage-mmap", 60),
    ("hugepage-shm", "echo 268435456 > /proc/sys/kernel/shmmax && "
     "echo 4194304 > /proc/sys/kernel/shmall && ./hugepage-shm", 60),
    ("map_hugetlb", "./map_hugetlb", 60),
    ("hugepage-vmemmap", "./hugepage-vmemmap", 60),
    ("hugetlb-madvise", "./hugetlb-madvise", 60),
    ("hugetlb_madv_vs_map", "echo 1 > /proc/sys/vm/nr_hugepages && "
     "./hugetlb_madv_vs_map", 60),
    ("compaction_test", "echo 0 > /proc/sys/vm/nr_hugepages && "
     "./compaction_test", 120),
    ("transhuge-stress", "./transhuge-stress -d 5 256", 60),
    ("split_huge_page_test", "./split_huge_page_test", 60),
    # migration's hugetlb cases want free hugetlb pages (it skips them
    # otherwise); its RUNTIME is 5 s here (scripts/build-mm-selftests.sh).
    ("migration", "echo 16 > /proc/sys/vm/nr_hugepages && ./migration; "
     "rc=$?; echo 0 > /proc/sys/vm/nr_hugepages; exit $rc", 120),
    # As the memory-hotplug Makefile's run_full_test: offline 10 % of the
    # blocks.  busybox sh has no $UID (the script checks for root).
    ("mem-on-off-test.sh", "UID=0 sh ./mem-on-off-test.sh -r 10", 120),
]

KTAP = re.compile(r"^(not ok|ok) (\d+) (.*?)\s*$", re.M)

pytestmark = [
    pytest.mark.slow,
    pytest.mark.needs_qemu_prop("reporting-buffer"),
    pytest.mark.skipif(not os.path.exists(MM_INITRD),
                       reason="no %s: make mm-selftests" % MM_INITRD),
]


# The memory offlining code dumps the page that makes a block fail to
# offline (mem-on-off-test.sh tries blocks until enough go offline): that
# diagnostic is expected in both guests, not a kernel bug report.
OFFLINE_DUMP = "page dumped because: unmovable page"


def bug_reports(g):
    return [line for line in hintbuf.console_reports(g.console_text())
            if OFFLINE_DUMP not in line]


def outcome(rc):
    return {0: "pass", 4: "skip"}.get(rc, "fail(%d)" % rc)


def subtests(out):
    """KTAP result lines as {number name: ok | not ok | skip}."""
    res = {}
    for status, num, rest in KTAP.findall(out):
        name, _, directive = rest.partition("#")
        if directive.strip().upper().startswith("SKIP"):
            status = "skip"
        res["%s %s" % (num, name.strip())] = status
    return res


def owned_pages(g):
    return int(g.out("cat %s/owned_pages" % hintbuf.BUFFER_SYSFS))


def wait_buffer(g, pages, seconds=60):
    """owned_pages once it equals pages, or its last value at the
    deadline."""
    return wait_until(lambda: owned_pages(g), seconds, want=pages, step=0.5)


def run_suite(g, logdir):
    g.out("mkdir -p /sys/kernel/debug && "
          "mount -t debugfs none /sys/kernel/debug")
    results = {}
    for name, cmd, timeout in TESTS:
        t0 = time.monotonic()
        rc, out = g.run("cd %s && timeout -s KILL %d sh -c '%s' 2>&1"
                        % (DIR, timeout, cmd.replace("'", "'\\''")),
                        timeout=timeout + 30, check=False)
        results[name] = (rc, subtests(out), time.monotonic() - t0, out)
        with open(os.path.join(logdir, "%s-%s.out" % (
                g.name, name.replace(" ", "_"))), "w") as f:
            f.write("# %s\n# exit status %d\n%s" % (cmd, rc, out))
    return results


@pytest.mark.kernel_reports_allowed(OFFLINE_DUMP)
def test_mm_selftests_buffer_vs_none(make_guest, request):
    """The kernel's own mm selftests that fit the guest give the same results
    with the buffer held as without it."""
    if not hintbuf.kernel_has("CONFIG_PAGE_REPORTING_BUFFER"):
        pytest.skip("kernel without CONFIG_PAGE_REPORTING_BUFFER")
    if not hintbuf.kernel_has("CONFIG_HUGETLBFS"):
        pytest.skip("kernel without CONFIG_HUGETLBFS (config/kernel-guest.config)")
    t_start = time.monotonic()
    want = BUFFER_MIB * MIB // 4096
    # Every test's output, next to the consoles.
    logdir = os.path.join(hintbuf.BUILD, "test-logs", request.node.name)
    os.makedirs(logdir, exist_ok=True)

    held = make_guest(name="buffer", mem_mib=GUEST_MIB + BUFFER_MIB,
                      cpus=GUEST_CPUS,
                      initrd=MM_INITRD, append=APPEND,
                      balloon={"free-page-reporting": "on",
                               "reporting-buffer": "%dM" % BUFFER_MIB})
    assert wait_buffer(held, want) == want, "the buffer was never held"
    nodes = held.out("ls -d /sys/devices/system/node/node* | wc -l").strip()
    assert nodes == "2", "numa=fake=2 gave %s nodes" % nodes
    res_held = run_suite(held, logdir)
    end_pages = wait_buffer(held, want)
    held_reports = bug_reports(held)
    gave_back = re.findall(r"page_reporting_buffer: offlining takes \d+ buffer pages.*",
                           held.console_text())
    held_counters = held.buffer_counters()
    held.close()

    none = make_guest(name="nobuffer", mem_mib=GUEST_MIB, cpus=GUEST_CPUS,
                      initrd=MM_INITRD,
                      append=APPEND, balloon={"free-page-reporting": "on"})
    assert owned_pages(none) == 0
    res_none = run_suite(none, logdir)
    none_reports = bug_reports(none)
    none.close()

    print("\n%-26s %-22s %-22s" % ("test", "buffer held (s)", "no buffer (s)"))
    for name, _, _ in TESTS:
        rh, rn = res_held[name], res_none[name]
        print("%-26s %-22s %-22s" % (
            name, "%s (%.1f)" % (outcome(rh[0]), rh[2]),
            "%s (%.1f)" % (outcome(rn[0]), rn[2])))
    print("owned_pages: %d before, %d after; swaps %s, fallbacks %s"
          % (want, end_pages, held_counters.get("swaps"),
             held_counters.get("fallbacks")))
    print("offlining in the buffer guest:\n  " +
          ("\n  ".join(gave_back) or "no block held buffer chunks"))
    print("total %.0f s" % (time.monotonic() - t_start))

    diffs = []
    for name, _, _ in TESTS:
        rh, rn = res_held[name], res_none[name]
        if rh[0] != rn[0] or rh[1] != rn[1]:
            diffs.append("%s: buffer %s %s\n--- output with the buffer:\n%s"
                         "\n--- without:\n%s" % (
                             name, outcome(rh[0]), outcome(rn[0]),
                             rh[3][-3000:], rn[3][-3000:]))
    assert not diffs, "\n\n".join(diffs)
    passed = [n for n, _, _ in TESTS if res_held[n][0] == 0]
    assert len(passed) >= len(TESTS) // 2, \
        "only %s passed:\n%s" % (passed, "\n".join(
            "%s: %s" % (n, res_held[n][3][-1500:]) for n, _, _ in TESTS
            if res_held[n][0] != 0))
    assert end_pages == want, \
        "the buffer guest holds %d pages after the suite, not %d" % (
            end_pages, want)
    assert held_reports == [], held_reports
    assert none_reports == [], none_reports
