# SPDX-License-Identifier: GPL-2.0
import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import hbvm  # noqa: E402


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: long-running guest test "
                            "(skipped by make check)")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    setattr(item, "rep_" + rep.when, rep)


@pytest.fixture(scope="session")
def accel():
    return hbvm.probe_accel()


@pytest.fixture
def make_guest(request, accel):
    """Factory: make_guest(**Guest kwargs) boots a guest and returns it.

    Every guest is killed when the test ends.  On failure the tail of each
    guest's console and QEMU's stderr is printed; full logs are kept in
    build/test-logs/<test>/.
    """
    guests = []
    logdir = os.path.join(hbvm.BUILD, "test-logs", request.node.name)

    def factory(start=True, **kw):
        kw.setdefault("name", "guest%d" % len(guests))
        kw.setdefault("accel", accel)
        g = hbvm.Guest(logdir=logdir, **kw)
        guests.append(g)
        if start:
            g.start()
        return g

    yield factory
    rep = getattr(request.node, "rep_call", None)
    for g in guests:
        if rep is None or rep.failed:
            print("\n--- %s: %s" % (g.name, " ".join(getattr(g, "args", []))))
            print("--- console tail:\n" + g.console_text()[-3000:])
            print("--- qemu stderr:\n" + g.qemu_stderr()[-2000:])
        g.close()
