# SPDX-License-Identifier: GPL-2.0
"""The upstream patch series (docs/patchset.rst): generated from
the repo's files, nothing dropped, every patch builds and is checkpatch
clean, the final Linux tree is what make kernel builds, the spec patch
applies to the pinned spec text."""

import json
import os
import re
import shutil
import subprocess
import sys

import pytest

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCRIPT = os.path.join(TOP, "scripts", "patchset.py")
OUT = os.path.join(TOP, "build", "patchset")
DEFS = os.path.join(TOP, "patchset")


def patchset(*args, env=None, check=True):
    e = dict(os.environ)
    e.update(env or {})
    p = subprocess.run([sys.executable, SCRIPT] + list(args), env=e,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if check:
        assert p.returncode == 0, p.stdout + p.stderr
    return p


def patches(which):
    d = os.path.join(OUT, which)
    return [os.path.join(d, f) for f in sorted(os.listdir(d)) if f.endswith(".patch")]


@pytest.fixture(scope="module")
def generated():
    patchset("generate")
    return {w: patches(w) for w in ("linux", "qemu", "virtio")}


def series_defs():
    return [ln.split(":", 1)[1].strip()
            for ln in open(os.path.join(DEFS, "linux", "series"))
            if ln.startswith("patch:")]


def test_linux_series_follows_its_description(generated):
    """The generated Linux series has a cover letter and one patch per
    definition, each with its subject, files and changes."""
    defs = series_defs()
    files = generated["linux"]
    assert os.path.basename(files[0]) == "0000-cover-letter.patch"
    assert len(files) == len(defs) + 1
    for f, d in zip(files[1:], defs):
        text = open(f).read()
        subject = re.search(r"^Subject: (.*)$", open(os.path.join(DEFS, "linux", d)).read(),
                            re.M).group(1)
        # format-patch may fold a long subject over two header lines.
        hdr = re.sub(r"\n ", " ", text.split("\n\n", 1)[0])
        assert subject in hdr, (f, subject)
        # the sign-off is the submitter's to give (docs/patchset.rst)
        who = os.environ.get("HB_SIGNOFF")
        if who:
            assert "\nSigned-off-by: %s\n" % who in text
        else:
            assert "Signed-off-by:" not in text, f
        # so is the M: line of the MAINTAINERS entry: none without it
        assert "@SUBMITTER@" not in text, f
        if not who:
            assert not re.search(r"^\+M:", text, re.M), f
    cover = open(files[0]).read()
    assert "*** SUBJECT HERE ***" not in cover and "*** BLURB HERE ***" not in cover
    assert "[PATCH 0/%d]" % len(defs) in cover


def test_signoff_is_the_submitters(tmp_path):
    """With HB_SIGNOFF every patch of the three series is from and signed
    off by that identity alone, and it is the one maintainer the
    MAINTAINERS entry names; a placeholder identity is refused."""
    who = "Test Submitter <submitter@example.com>"
    out = tmp_path / "series"
    patchset("generate", env={"HB_SIGNOFF": who, "HB_PATCHSET_OUT": str(out)})
    for which in ("linux", "qemu", "virtio"):
        files = sorted(f for f in os.listdir(out / which)
                       if f.endswith(".patch") and not f.startswith("0000"))
        assert files, which
        for f in files:
            text = (out / which / f).read_text()
            assert "\nFrom: %s\n" % who in text, (which, f)
            assert re.findall(r"^Signed-off-by: .*$", text, re.M) == \
                ["Signed-off-by: " + who], (which, f)
    linux = "".join((out / "linux" / f).read_text()
                    for f in os.listdir(out / "linux"))
    assert re.findall(r"^\+M:.*$", linux, re.M) == ["+M:\t" + who]
    p = patchset("generate", env={"HB_SIGNOFF": "hintbuf developers <hintbuf@localhost>",
                                  "HB_PATCHSET_OUT": str(tmp_path / "bad")},
                 check=False)
    assert p.returncode != 0 and "give a real identity" in p.stdout + p.stderr


def test_cover_letter_reports_the_newest_benchmark(generated):
    """The cover letter cites the newest report in bench-results/, with
    its stamp and mode."""
    root = os.path.join(TOP, "bench-results")
    stamps = {}
    for d in os.listdir(root):
        s = os.path.join(root, d, "summary.md")
        if os.path.isfile(s):
            m = re.search(r"report \((\d{8}T\d{6}Z), (\w+) mode\)", open(s).read())
            stamps[m.group(1)] = (d, m.group(2))
    newest, (d, mode) = max(stamps.items())
    cover = open(generated["linux"][0]).read()
    assert "bench-results/%s/summary.md" % d in cover
    assert "%s, %s mode" % (newest, mode) in cover
    assert "guests under TCG" in cover or "kvm" in cover


def test_qemu_series_is_the_repo_series(generated):
    """The generated QEMU series carries qemu-patches/ hunk for hunk."""
    ours = sorted(f for f in os.listdir(os.path.join(TOP, "qemu-patches"))
                  if f.endswith(".patch"))
    files = generated["qemu"]
    assert len(files) == len(ours) + 1
    for mine, gen in zip(ours, files[1:]):
        # Same diff, hunk for hunk.
        a = open(os.path.join(TOP, "qemu-patches", mine)).read()
        b = open(gen).read()
        assert a[a.index("\ndiff --git"):].rsplit("\n-- \n", 1)[0] == \
            b[b.index("\ndiff --git"):].rstrip("\n"), mine


def test_spec_patch_applies_to_the_pinned_base(generated, tmp_path):
    """The virtio spec patch applies to the pinned spec text and adds the
    feature bit, the config fields at fixed offsets and the conformance
    clauses."""
    (spec,) = generated["virtio"]
    shutil.copytree(os.path.join(DEFS, "virtio", "base"), tmp_path / "spec")
    subprocess.run(["git", "apply", "--whitespace=error", spec], cwd=tmp_path / "spec",
                   check=True)
    desc = (tmp_path / "spec/device-types/balloon/description.tex").read_text()
    assert re.search(r"^\\item\[ VIRTIO_BALLOON_F_REPORTING_BUFFER\(9\) \]", desc, re.M)
    struct = re.search(r"struct virtio_balloon_config \{(.*?)\};", desc, re.S).group(1)
    fields = re.findall(r"le32 (\w+);", struct)
    assert fields == ["num_pages", "actual", "free_page_hint_cmd_id", "poison_val",
                      "reporting_buffer_pages", "reporting_buffer_actual"]
    # A device may claim other bits without these fields: where they are
    # must not depend on what else is negotiated.
    assert "Their offsets are fixed, 16 and 20, whatever other features " \
        "are negotiated" in " ".join(desc.split())
    for kind in ("driver", "device"):
        label = "%snormative{\\paragraph}{Reporting Buffer}" % kind
        assert label in desc
        conf = (tmp_path / ("spec/device-types/balloon/%s-conformance.tex" % kind)).read_text()
        assert "\\ref{%snormative:Device Types / Memory Balloon Device / Device " \
               "Operation / Reporting Buffer}" % kind in conf


def run_modified_series(tmp_path, edit):
    defs = tmp_path / "defs"
    shutil.copytree(DEFS, defs)
    edit(defs)
    return patchset("generate", "linux", check=False,
                    env={"HB_PATCHSET_DEFS": str(defs),
                         "HB_PATCHSET_OUT": str(tmp_path / "out")})


@pytest.mark.parametrize("defname,line,messages", [
    # A new file no patch lists.
    ("04-kunit.txt", " mm/page_reporting_buffer/tests/report-kunit.h",
     ["new files that no patch", "mm/page_reporting_buffer/tests/report-kunit.h"]),
    # A changed block of an upstream file no patch claims.
    ("03-page-reporting-hooks.txt", "Change: mm/page_reporting.c\n",
     ["mm/page_reporting.c: no patch claims this change"]),
])
def test_nothing_is_silently_dropped(tmp_path, defname, line, messages):
    """A new file or a changed block that no patch claims stops the series
    generator with a message naming it."""
    def drop(defs):
        p = defs / "linux" / defname
        assert line in p.read_text()
        p.write_text(p.read_text().replace(line, ""))
    p = run_modified_series(tmp_path, drop)
    assert p.returncode == 1
    for m in messages:
        assert m in p.stderr, p.stderr


def check_series(which):
    p = patchset("check", which, check=False)
    assert p.returncode == 0, p.stderr
    res = json.load(open(os.path.join(OUT, "check", which + ".json")))
    print("%s: %d patches, %s s%s" % (which, res["patches"], res["seconds"],
                                      " (cached)" if json.loads(p.stdout)["cached"] else ""))
    assert len(res["steps"]) == res["patches"]
    for s in res["steps"]:
        assert s["build_ok"], "%s does not build, see %s" % (s["patch"], res["log"])
        assert not s["compiler_warnings"], (s["patch"], s["compiler_warnings"])
        left = [f for f in s["checkpatch"] if not f["excepted"]]
        assert not left, (s["patch"], left)
    assert not res["unused_exceptions"], "stale checkpatch exceptions: %s" % \
        res["unused_exceptions"]
    return res


# The first run builds each tree once from the compiler cache the main
# build filled; later runs are incremental or skipped (unchanged series).
@pytest.mark.slow
@pytest.mark.timeout(2700)
def test_linux_series_builds_and_is_checkpatch_clean(generated):
    """Every patch of the Linux series builds without warnings and passes
    checkpatch --strict (documented exceptions aside), and the final tree
    is the one make kernel builds."""
    res = check_series("linux")
    cmp = res["tree_vs_build_linux"]
    assert "skipped" not in cmp, cmp
    assert cmp["compared"] > 0 and not cmp["differ"], \
        "the series' final tree differs from build/linux: %s" % cmp["differ"]


@pytest.mark.slow
@pytest.mark.timeout(2700)
def test_qemu_series_builds_and_is_checkpatch_clean(generated):
    """Every patch of the QEMU series builds and passes QEMU's checkpatch
    (documented exceptions aside)."""
    assert os.environ.get("HB_QEMU_CONFIGURE"), "run through make (QEMU_CONFIGURE)"
    check_series("qemu")


def test_exceptions_are_documented():
    """Every checkpatch exception is in the table of docs/patchset.rst with
    its reason."""
    doc = open(os.path.join(TOP, "docs", "patchset.rst")).read()
    for ln in open(os.path.join(DEFS, "checkpatch-exceptions")):
        if ln.strip() and not ln.startswith("#"):
            series, subj, typ, msg, reason = ln.rstrip("\n").split("\t")
            assert typ in doc and reason in doc, ln


def test_documentation_index_links_everything():
    """docs/index.rst links every doc, kernel and project, and every link
    resolves."""
    index = open(os.path.join(TOP, "docs", "index.rst")).read()
    links = re.findall(r"<([^>]+)>`_", index)
    for target in links:
        assert os.path.exists(os.path.join(TOP, "docs", target)), target
    for want in ("../Documentation/admin-guide/mm/page_reporting_buffer.rst",
                 "../Documentation/mm/page_reporting_buffer.rst",
                 "../Documentation/ABI/testing/sysfs-kernel-mm-page_reporting_buffer",
                 "reporting-buffer-spec.rst",
                 "qemu-reporting-buffer.rst", "reliability.rst", "patchset.rst",
                 "benchmarks.rst"):
        assert want in links, want
    # The newest benchmark report, by the time stamp in its title.
    root = os.path.join(TOP, "bench-results")
    newest = max((re.search(r"report \((\d{8}T\d{6}Z)", open(s).read()).group(1), d)
                 for d in os.listdir(root)
                 for s in [os.path.join(root, d, "summary.md")] if os.path.isfile(s))[1]
    assert "../bench-results/%s/summary.md" % newest in links
    readme = open(os.path.join(TOP, "README.md")).read()
    assert "(docs/index.rst)" in readme
    assert "make patchset" in readme
