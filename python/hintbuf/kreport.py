# SPDX-License-Identifier: GPL-2.0
"""Kernel bug reports on a guest console: the one check every guest test
gets (tests/conftest.py), and that soak and the debug tests call too."""

import re

# Console lines that mean the kernel found a bug: BUG/WARNING cover
# KASAN ("BUG: KASAN:"), lockdep and RCU-lockdep ("WARNING: possible
# circular locking", "WARNING: suspicious RCU usage"), DEBUG_VM, DEBUG_LIST
# and sleeping-in-atomic reports; the rest are reports that print neither.
CONSOLE_REPORTS = re.compile(
    r"BUG:|WARNING:|KASAN:|UBSAN:|Oops|general protection fault|"
    r"Call Trace|Kernel panic|page dumped because|Bad page|"
    r"pagealloc: memory corruption|Poison overwritten|list_(add|del) corruption|"
    r"possible (circular|recursive) locking|inconsistent lock state|"
    r"lockdep is turned off|turning off the locking correctness validator|"
    r"suspicious RCU usage|rcu.*detected stall|self-detected stall|"
    r"soft lockup|hard LOCKUP|blocked for more than|hung_task|refcount_t:")


# An OOM kill prints a stack ("Call Trace") like a bug report does, but it
# is the kernel doing its job: workloads run with --oomable expect it.
OOM_START = re.compile(r"invoked oom-killer:")
OOM_END = re.compile(r"Out of memory: Killed process|oom-kill:constraint")


def console_reports(text, allow=()):
    """The console lines that report a kernel bug (CONSOLE_REPORTS); the
    stack trace of an OOM-killer report is not one, anything else inside
    it still is.  allow: regexes of lines a test expects (a diagnostic it
    provokes on purpose)."""
    out, in_oom = [], False
    for line in text.splitlines():
        if OOM_START.search(line):
            in_oom = True
        elif in_oom and OOM_END.search(line):
            in_oom = False
        scan = line.replace("Call Trace", "") if in_oom else line
        if CONSOLE_REPORTS.search(scan) and \
                not any(re.search(a, line) for a in allow):
            out.append(line)
    return out
