# SPDX-License-Identifier: GPL-2.0
import os

import pytest

import hintbuf


def pytest_collection_modifyitems(config, items):
    """needs_kconfig and needs_qemu_prop: what a test needs of the guest
    kernel and of QEMU's balloon, said once where the test is, checked
    here (the idea of LTP's .needs_kconfigs)."""
    for item in items:
        for m in item.iter_markers("needs_kconfig"):
            kernel = m.kwargs.get("kernel")
            missing = [s for s in m.args
                       if not hintbuf.kernel_has(s, kernel)]
            if missing:
                item.add_marker(pytest.mark.skip(
                    reason="guest kernel %swithout %s" % (
                        "%s " % kernel if kernel else "",
                        ", ".join(missing))))
        for m in item.iter_markers("needs_qemu_prop"):
            missing = [p for p in m.args
                       if p not in hintbuf.balloon_properties()]
            if missing:
                item.add_marker(pytest.mark.skip(
                    reason="QEMU's virtio-balloon-pci without %s (the "
                    "qemu-patches/ series)" % ", ".join(missing)))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    setattr(item, "rep_" + rep.when, rep)


@pytest.fixture(scope="session")
def accel():
    return hintbuf.probe_accel()


@pytest.fixture
def make_guest(request, accel):
    """Factory: make_guest(**Guest kwargs) boots a guest and returns it.

    Every guest is killed when the test ends.  Then, test passed or not,
    each guest's console is checked for kernel bug reports
    (hintbuf.console_reports; a test that provokes one on purpose names it
    with @pytest.mark.kernel_reports_allowed).  On failure the tail of
    each guest's console and QEMU's output is printed; full logs are kept
    in build/test-logs/<test>/.
    """
    guests = []
    logdir = os.path.join(hintbuf.BUILD, "test-logs", request.node.name)

    def factory(start=True, **kw):
        kw.setdefault("name", "guest%d" % len(guests))
        kw.setdefault("accel", accel)
        g = hintbuf.Guest(logdir=logdir, **kw)
        guests.append(g)
        if start:
            g.start()
        return g

    yield factory
    rep = getattr(request.node, "rep_call", None)
    allow = [r for m in request.node.iter_markers("kernel_reports_allowed")
             for r in m.args]
    reports = []
    for g in guests:
        if rep is None or rep.failed:
            print("\n--- %s: %s" % (g.name, " ".join(g.args)))
            print("--- console tail:\n" + g.console_text()[-3000:])
            print("--- qemu output:\n" + g.qemu_stderr()[-2000:])
        reports += ["%s: %s" % (g.name, line) for line in
                    hintbuf.console_reports(g.console_text(), allow)]
        g.close()
    assert reports == [], "kernel reports on the console:\n" + \
        "\n".join(reports[:40])
