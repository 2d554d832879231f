#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Generate and check the upstream patch series (docs/patchset.rst).

usage: patchset.py generate [SERIES]   write build/patchset/{linux,qemu,virtio}
       patchset.py check linux|qemu    apply one patch at a time to a clean
                                       base tree, build after each, run
                                       checkpatch; prints a JSON summary

The Linux series is cut from the repo's current files: the overlay
(mm/, drivers/, include/), the hook patches in kernel-patches/, the kernel
documentation and patchset/linux/extra/*.diff, split as patchset/linux/series
says.  Nothing is dropped: a new file or a changed block that no patch claims
stops the run.
"""

import hashlib
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.path.join(TOP, "build")
# Overridable so that tests can run a modified series description
# without touching build/patchset.
OUT = os.environ.get("HB_PATCHSET_OUT", os.path.join(BUILD, "patchset"))
# Scratch clones (no checkout) are shared by all runs of this clone; each
# run uses index files of its own.
WORK = os.path.join(BUILD, "patchset", "work")
CHECK = os.path.join(OUT, "check")
DEFS = os.environ.get("HB_PATCHSET_DEFS", os.path.join(TOP, "patchset"))
OVERLAY_DIRS = ("mm", "drivers", "include")
# Benchmark-only kernel code, never part of the series (docs/benchmarks.rst)
BENCH = os.path.join(TOP, "bench-kernel")


class SeriesError(Exception):
    pass


def run(cmd, cwd=None, env=None, input=None, check=True, binary=False):
    e = dict(os.environ)
    if env:
        e.update(env)
    p = subprocess.run(cmd, cwd=cwd, env=e, input=input,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=not binary)
    if check and p.returncode != 0:
        err = p.stderr if not binary else p.stderr.decode(errors="replace")
        raise SeriesError("%s failed (%d):\n%s" % (" ".join(cmd), p.returncode, err))
    return p


def git(repo, *args, env=None, input=None, binary=False, check=True):
    p = run(["git", "-C", repo] + list(args), env=env, input=input,
            binary=binary, check=check)
    return p.stdout if check else p


def pristine(which):
    env = {"HB_CACHE": os.environ.get("HB_CACHE", "/var/cache/hintbuf")}
    p = run(["sh", os.path.join(TOP, "scripts/fetch-sources.sh"), which], env=env)
    return p.stdout.strip()


def cloned_from(repo, src):
    """Whether repo is a clone of src: a clone of another pristine repo
    (QEMU 7.2 before 10.0, say) has another base and must be redone."""
    if not os.path.isdir(os.path.join(repo, ".git")):
        return False
    p = subprocess.run(["git", "-C", repo, "config", "--get",
                        "remote.origin.url"], stdout=subprocess.PIPE,
                       text=True)
    return p.stdout.strip() == src


def scratch_repo(name, src):
    """A shared, checkout-free clone of a pristine repo for index work."""
    repo = os.path.join(WORK, name)
    if not cloned_from(repo, src):
        shutil.rmtree(repo, ignore_errors=True)
        os.makedirs(WORK, exist_ok=True)
        run(["git", "clone", "-q", "--shared", "--no-checkout", src, repo])
    return repo


# --- series description ----------------------------------------------------

def parse_series(path):
    """patchset/<x>/series: global keys, then 'patch:' lines naming
    description files (RFC 822-style headers, blank line, body)."""
    series = {"author": None, "split": [], "kernel-docs": [],
              "extra": [], "patches": []}
    d = os.path.dirname(path)
    for ln in open(path):
        ln = ln.rstrip("\n")
        if not ln.strip() or ln.startswith("#"):
            continue
        key, _, val = ln.partition(":")
        val = val.strip()
        if key == "author":
            series["author"] = val
        elif key == "split":
            f, _, rx = val.partition(" ")
            series["split"].append((f, re.compile(rx)))
        elif key in ("kernel-docs", "extra"):
            series[key] += val.split()
        elif key == "patch":
            series["patches"].append(parse_patchdef(os.path.join(d, val)))
        else:
            raise SeriesError("%s: unknown key %r" % (path, key))
    return series


def parse_patchdef(path):
    text = open(path).read()
    head, _, body = text.partition("\n\n")
    p = {"def": os.path.relpath(path, TOP), "subject": None, "files": [],
         "changes": [], "body": body.strip("\n")}
    for ln in head.splitlines():
        if ln.startswith("#"):
            continue
        key, _, val = ln.partition(":")
        val = val.strip()
        if key == "Subject":
            p["subject"] = val
        elif key == "Files":
            p["files"] += val.split()
        elif key == "Change":
            f, _, rx = val.partition(" ")
            p["changes"].append({"file": f, "rx": re.compile(rx) if rx else None,
                                 "src": val, "hits": 0})
        else:
            raise SeriesError("%s: unknown header %r" % (path, key))
    if not p["subject"]:
        raise SeriesError("%s: no Subject" % path)
    return p


# --- change blocks ---------------------------------------------------------

def blocks_of(repo, base, final, path, splits):
    """The -U0 change blocks of path between two trees, pure insertions
    split before lines matching the file's split patterns."""
    diff = git(repo, "diff", "-U0", "--no-color", "--no-ext-diff",
               "--no-renames", base, final, "--", path)
    blocks = []
    cur = None
    for ln in diff.splitlines():
        m = re.match(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@", ln)
        if m:
            start = int(m.group(1))
            count = int(m.group(2)) if m.group(2) is not None else 1
            # For an insertion (count 0) git names the line after which it goes.
            at = start if count == 0 else start - 1
            cur = {"at": at, "del": count, "old": [], "new": []}
            blocks.append(cur)
        elif cur is not None and ln.startswith("-") and not ln.startswith("---"):
            cur["old"].append(ln[1:])
        elif cur is not None and ln.startswith("+") and not ln.startswith("+++"):
            cur["new"].append(ln[1:])
        elif ln.startswith("\\"):
            raise SeriesError("%s: no newline at end of file" % path)
    rxs = [rx for f, rx in splits if f == path]
    out = []
    for b in blocks:
        if b["del"] or not rxs:
            out.append(b)
            continue
        cuts = [i for i, l in enumerate(b["new"]) if i > 0 and any(r.search(l) for r in rxs)]
        prev = 0
        for c in cuts + [len(b["new"])]:
            if c > prev:
                out.append({"at": b["at"], "del": 0, "old": [], "new": b["new"][prev:c]})
            prev = c
    for b in out:
        b["file"] = path
        b["text"] = "\n".join(["-" + l for l in b["old"]] + ["+" + l for l in b["new"]])
    return out


def apply_blocks(base_lines, blocks):
    """base_lines with the chosen blocks applied (all in base coordinates)."""
    out = []
    pos = 0  # lines of base consumed
    for b in sorted(blocks, key=lambda b: (b["at"], b["seq"])):
        out += base_lines[pos:b["at"]]
        pos = max(pos, b["at"])
        out += b["new"]
        pos += b["del"]
    out += base_lines[pos:]
    return out


def assign(series, blocks):
    """Map every block to exactly one patch index, or fail."""
    errors = []
    for b in blocks:
        specific = []
        default = []
        for i, p in enumerate(series["patches"]):
            for c in p["changes"]:
                if c["file"] != b["file"]:
                    continue
                if c["rx"] is None:
                    default.append((i, c))
                elif any(c["rx"].search(l) for l in b["new"] + b["old"]):
                    specific.append((i, c))
        cand = specific or default
        if len(cand) != 1:
            what = "no patch claims" if not cand else "several patches claim (%s)" % \
                ", ".join(series["patches"][i]["def"] for i, _ in cand)
            errors.append("%s: %s this change at line %d:\n%s" %
                          (b["file"], what, b["at"], b["text"]))
            continue
        i, c = cand[0]
        c["hits"] += 1
        b["patch"] = i
    for p in series["patches"]:
        for c in p["changes"]:
            if not c["hits"]:
                errors.append("%s: 'Change: %s' matches nothing" % (p["def"], c["src"]))
    if errors:
        raise SeriesError("unassigned or ambiguous changes:\n" + "\n\n".join(errors))


# --- generation ---------------------------------------------------------------

def ident(author):
    m = re.match(r"^(.*?)\s*<(.*)>$", author)
    return m.group(1), m.group(2)


def signoff():
    """The submitter's "Full Name <user@domain>" from HB_SIGNOFF, or None.

    A Signed-off-by certifies the Developer's Certificate of Origin, which
    only the person who submits the series can do: without HB_SIGNOFF the
    series carries no sign-off (and the placeholder author of the series
    definitions in From:), for the submitter to add."""
    s = os.environ.get("HB_SIGNOFF", "").strip()
    if not s:
        return None
    if not re.match(r"^[^<>@\s][^<>@]*\S\s+<[^<>\s@]+@[^<>\s@]+\.[a-z]{2,}>$",
                    s, re.I) or re.search(r"@(localhost|[^>]*\.(invalid|example))>",
                                           s, re.I):
        raise SeriesError("HB_SIGNOFF=%r: give a real identity, "
                          "'Full Name <user@domain>'" % s)
    return s


def trailer():
    """The sign-off line ending a commit message, or nothing."""
    who = signoff()
    return "\nSigned-off-by: %s\n" % who if who else ""


SUBMITTER = "M:\t@SUBMITTER@\n"


def maintainer(repo, env):
    """Name the submitter in the series' MAINTAINERS entry.

    patchset/linux/extra/maintainers.diff holds a @SUBMITTER@ M: line, for
    the same reason the series holds no sign-off of its own: who maintains
    the code is the submitter's to say.  With HB_SIGNOFF it becomes theirs;
    without, the entry goes out with lists only, for them to add."""
    text = git(repo, "show", ":MAINTAINERS", env=env, binary=True).decode()
    if text.count(SUBMITTER) != 1:
        raise SeriesError("patchset/linux/extra/maintainers.diff: the entry "
                          "needs exactly one '%s' line" % SUBMITTER.strip())
    who = signoff()
    text = text.replace(SUBMITTER, "M:\t%s\n" % who if who else "")
    sha = hash_files(repo, [("MAINTAINERS", text.encode())])["MAINTAINERS"]
    update_index(repo, env, {"MAINTAINERS": sha})


def commit_env(author, date):
    name, email = ident(author)
    return {"GIT_AUTHOR_NAME": name, "GIT_AUTHOR_EMAIL": email,
            "GIT_COMMITTER_NAME": name, "GIT_COMMITTER_EMAIL": email,
            "GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date}


def series_date():
    """The date of the repo's HEAD commit: the same inputs give the same
    series, byte for byte."""
    p = run(["git", "-C", TOP, "log", "-1", "--format=%cI"], check=False)
    return p.stdout.strip() or "2026-01-01T00:00:00+00:00"


def hash_files(repo, paths_contents):
    """Write blobs; paths_contents: list of (path, bytes). Returns {path: sha}."""
    shas = {}
    for path, data in paths_contents:
        shas[path] = git(repo, "hash-object", "-w", "--stdin", input=data,
                         binary=True).decode().strip()
    return shas


def index_env(repo, name):
    path = os.path.join(repo, ".git", "index-%s-%d" % (name, os.getpid()))
    INDEXES.append(path)
    return {"GIT_INDEX_FILE": path}


INDEXES = []


def update_index(repo, env, entries):
    """entries: {path: sha or None (remove)}"""
    lines = []
    for path, sha in sorted(entries.items()):
        if sha is None:
            lines.append("0 %s\t%s" % ("0" * 40, path))
        else:
            lines.append("100644 %s\t%s" % (sha, path))
    if lines:
        git(repo, "update-index", "--index-info", env=env, input="\n".join(lines) + "\n")


def repo_files(dirs):
    out = []
    for d in dirs:
        for root, _, files in os.walk(os.path.join(TOP, d)):
            for f in files:
                out.append(os.path.relpath(os.path.join(root, f), TOP))
    return sorted(out)


def derive_linux(repo, series):
    """The tree make kernel builds from (prepare-tree.sh: base, hook
    patches, overlay), and that tree plus the kernel documentation and
    the series-only extras (MAINTAINERS, documentation indexes)."""
    env = index_env(repo, "derived")
    git(repo, "read-tree", "base", env=env)
    for p in sorted(os.listdir(os.path.join(TOP, "kernel-patches"))):
        if p.endswith(".patch"):
            git(repo, "apply", "--cached", os.path.join(TOP, "kernel-patches", p), env=env)
    overlay = repo_files(OVERLAY_DIRS)
    shas = hash_files(repo, [(f, open(os.path.join(TOP, f), "rb").read()) for f in overlay])
    update_index(repo, env, shas)
    derived = git(repo, "write-tree", env=env).strip()

    # Kernel documentation: Documentation/ holds the series' kernel docs
    # and nothing else (the project's own docs are in docs/), so every
    # file there must be listed, and a stray one cannot slip past the
    # series unnoticed.
    docs = []
    for f in repo_files(["Documentation"]):
        if f not in series["kernel-docs"]:
            raise SeriesError("%s is in Documentation/, which holds the "
                              "series' kernel docs only, but patchset/linux/series "
                              "does not list it as kernel-docs (project docs go "
                              "to docs/)" % f)
        docs.append(f)
    for f in series["kernel-docs"]:
        if f not in docs:
            raise SeriesError("patchset/linux/series: kernel-docs %s does not exist" % f)
    shas = hash_files(repo, [(f, open(os.path.join(TOP, f), "rb").read()) for f in docs])
    update_index(repo, env, shas)
    for x in series["extra"]:
        git(repo, "apply", "--cached", os.path.join(DEFS, "linux", x), env=env)
    maintainer(repo, env)
    full = git(repo, "write-tree", env=env).strip()
    return derived, full, overlay, docs


def build_commits(repo, series, base, full, date):
    """Commit the series patch by patch; returns the tip commit."""
    changes = git(repo, "diff-tree", "-r", "--no-renames", base, full).splitlines()
    added, modified = [], []
    for ln in changes:
        meta, path = ln.split("\t", 1)
        st = meta.split()[4]
        if st == "A":
            added.append(path)
        elif st == "M":
            modified.append(path)
        else:
            raise SeriesError("%s: status %s not supported (only added and "
                              "modified files)" % (path, st))
    owner = {}
    for i, p in enumerate(series["patches"]):
        for f in p["files"]:
            if f in owner:
                raise SeriesError("%s is listed by two patches" % f)
            if f not in added:
                raise SeriesError("%s: Files: %s is not a new file of the series"
                                  % (p["def"], f))
            owner[f] = i
    missing = [f for f in added if f not in owner]
    if missing:
        raise SeriesError("new files that no patch in %s lists:\n  %s" %
                          (os.path.relpath(series["path"], TOP), "\n  ".join(missing)))
    blocks = []
    for f in modified:
        blocks += blocks_of(repo, base, full, f, series["split"])
    for seq, b in enumerate(blocks):
        b["seq"] = seq
    assign(series, blocks)

    env = index_env(repo, "series")
    git(repo, "read-tree", base, env=env)
    parent = git(repo, "rev-parse", "base^{commit}").strip()
    base_text = {f: git(repo, "cat-file", "blob", "%s:%s" % (base, f)) for f in modified}
    author = signoff() or series["author"]
    cenv = dict(env)
    cenv.update(commit_env(author, date))
    for i, p in enumerate(series["patches"]):
        entries = {}
        for f in p["files"]:
            entries[f] = git(repo, "rev-parse", "%s:%s" % (full, f)).strip()
        for f in modified:
            mine = [b for b in blocks if b["file"] == f and b["patch"] <= i]
            if not any(b["patch"] == i for b in blocks if b["file"] == f):
                continue
            lines = apply_blocks(base_text[f].split("\n")[:-1], mine)
            entries.update(hash_files(repo, [(f, ("\n".join(lines) + "\n").encode())]))
        update_index(repo, env, entries)
        tree = git(repo, "write-tree", env=env).strip()
        msg = "%s\n\n%s\n%s" % (p["subject"], p["body"], trailer())
        parent = git(repo, "commit-tree", tree, "-p", parent, "-m", msg, env=cenv).strip()
    tip_tree = git(repo, "rev-parse", parent + "^{tree}").strip()
    if tip_tree != full:
        diff = git(repo, "diff", "--stat", tip_tree, full)
        raise SeriesError("the series' final tree differs from the derived tree:\n" + diff)
    return parent


def format_series(repo, base, tip, outdir, cover_subject, cover_body, date, author):
    shutil.rmtree(outdir, ignore_errors=True)
    os.makedirs(outdir)
    git(repo, "format-patch", "-q", "--cover-letter", "--no-signature",
        "--base=" + git(repo, "rev-parse", base + "^{commit}").strip(),
        "-o", outdir, "%s..%s" % (base, tip),
        env=commit_env(author, date))
    cover = os.path.join(outdir, "0000-cover-letter.patch")
    text = open(cover).read()
    text = text.replace("*** SUBJECT HERE ***", cover_subject)
    text = text.replace("*** BLURB HERE ***", cover_body.rstrip("\n"))
    open(cover, "w").write(text)
    return sorted(f for f in os.listdir(outdir) if f.endswith(".patch"))


def read_cover(path):
    text = open(path).read()
    head, _, body = text.partition("\n\n")
    m = re.match(r"^Subject:\s*(.*)$", head, re.M)
    if not m:
        raise SeriesError("%s: no Subject" % path)
    return m.group(1), body


def latest_benchmark():
    root = os.path.join(TOP, "bench-results")
    best = None
    for d in os.listdir(root) if os.path.isdir(root) else []:
        s = os.path.join(root, d, "summary.md")
        if not os.path.isfile(s):
            continue
        meta = {}
        mp = os.path.join(root, d, "meta.json")
        if os.path.isfile(mp):
            meta = json.load(open(mp))
        stamp = re.search(r"report \((\d{8}T\d{6}Z)", open(s).read())
        key = stamp.group(1) if stamp else d
        if best is None or key > best[0]:
            best = (key, d, s, meta)
    return best


def benchmark_text():
    """A plain-text digest of the newest benchmark report: per scenario,
    each metric's median per arm."""
    best = latest_benchmark()
    if not best:
        return "No benchmark report in bench-results/ yet.\n"
    key, d, path, meta = best
    text = open(path).read()
    m = re.search(r"^# .*\((\S+), (\w+) mode\)", text, re.M)
    mode = m.group(2) if m else meta.get("mode", "?")
    accel = meta.get("accel") or (re.search(r"\| accelerator \| (\w+)", text) or [None, "?"])[1]
    reps = set()
    out = ["Latest benchmark report: bench-results/%s/summary.md" % d,
           "(%s, %s mode, %s), arms:" % (key, mode,
                                        "guests under TCG" if accel == "tcg" else accel)]
    arms = []
    for ln in text.splitlines():
        m = re.match(r"^\| (\w+) \| (.*?) \| `", ln)
        if m and m.group(1) not in ("arm", "item"):
            arms.append(m.group(1))
            out.append("  %-5s %s" % (m.group(1), m.group(2)))
    out.append("")
    sect = None
    table = {}
    order = []
    for ln in text.splitlines():
        if ln.startswith("### "):
            # Only a scenario's own table; the pooled fakeoom rounds and
            # the perf counts have other columns.
            h = re.match(r"^### (\S+)$", ln)
            sect = h.group(1) if h else None
            continue
        if ln.startswith("## "):
            sect = None
            continue
        cells = [c.strip() for c in ln.strip().strip("|").split("|")]
        if sect and len(cells) >= 4 and cells[1] in arms:
            metric = cells[0].split(" (")[0]
            if cells[2] not in ("0", ""):
                reps.add(cells[2])
            k = (sect, metric)
            if k not in table:
                table[k] = {}
                order.append(k)
            table[k][cells[1]] = cells[3]
    if order:
        out.append("Medians (n = %s per arm):" % "/".join(sorted(reps)))
        out.append("")
        w = max(len("%s %s" % k) for k in order)
        out.append("  %-*s %s" % (w, "scenario metric", " ".join("%8s" % a for a in arms)))
        for k in order:
            out.append("  %-*s %s" % (w, "%s %s" % k,
                                      " ".join("%8s" % table[k].get(a, "") for a in arms)))
    m = re.search(r"\*\*Significant differences \((\d+)\):\*\*", text)
    if m:
        out.append("")
        # The report names its test: older ones used Welch's t-test.
        t = re.search(r"## Findings\s+(.+?), p < ([0-9.]+)\.", text)
        out.append("Significant differences (%s, p < %s): %s." % (
            t.group(1) if t else "Welch's t-test", t.group(2) if t else "0.05",
            m.group(1)))
        if mode == "quick":
            out.append("A quick report has one repetition per arm, so no difference")
            out.append("is testable; 'make bench' runs the full report.")
    return "\n".join(out) + "\n"


def design_text():
    return open(os.path.join(DEFS, "linux", "design.txt")).read()


def gen_linux(date):
    series = parse_series(os.path.join(DEFS, "linux", "series"))
    series["path"] = os.path.join(DEFS, "linux", "series")
    repo = scratch_repo("linux", pristine("linux"))
    derived, full, overlay, docs = derive_linux(repo, series)
    tip = build_commits(repo, series, "base", full, date)
    subject, body = read_cover(os.path.join(DEFS, "linux", "cover.txt"))
    body = body.replace("@DESIGN@\n", design_text())
    body = body.replace("@BENCHMARK@\n", benchmark_text())
    files = format_series(repo, "base", tip, os.path.join(OUT, "linux"),
                          subject, body, date, signoff() or series["author"])
    # What prepare-tree.sh builds from, for the check to compare against.
    json.dump({"derived_tree": derived, "full_tree": full, "tip": tip,
               "overlay": overlay, "docs": docs},
              open(os.path.join(OUT, "linux", "series.json"), "w"), indent=1)
    return files


def gen_qemu(date):
    repo = scratch_repo("qemu", pristine("qemu"))
    env = index_env(repo, "series")
    git(repo, "read-tree", "base", env=env)
    parent = git(repo, "rev-parse", "base^{commit}").strip()
    author = None
    pdir = os.path.join(TOP, "qemu-patches")
    for p in sorted(os.listdir(pdir)):
        if not p.endswith(".patch"):
            continue
        path = os.path.join(pdir, p)
        with tempfile.TemporaryDirectory() as t:
            info = run(["git", "mailinfo", "-b", os.path.join(t, "msg"),
                        os.path.join(t, "patch")], input=open(path).read()).stdout
            hdr = dict(l.split(": ", 1) for l in info.splitlines() if ": " in l)
            git(repo, "apply", "--cached", os.path.join(t, "patch"), env=env)
            msg = hdr["Subject"] + "\n\n" + open(os.path.join(t, "msg")).read()
        author = "%s <%s>" % (hdr["Author"], hdr["Email"])
        # qemu-patches/ are signed by the placeholder author: the
        # submitter's sign-off replaces it, or none is left
        msg = msg.replace("Signed-off-by: %s\n" % author, "").rstrip() + "\n" + trailer()
        author = signoff() or author
        tree = git(repo, "write-tree", env=env).strip()
        cenv = commit_env(author, hdr.get("Date", date))
        cenv.update({"GIT_COMMITTER_DATE": date})
        parent = git(repo, "commit-tree", tree, "-p", parent, "-m", msg.rstrip() + "\n",
                     env=cenv).strip()
    subject, body = read_cover(os.path.join(DEFS, "qemu", "cover.txt"))
    return format_series(repo, "base", parent, os.path.join(OUT, "qemu"), subject,
                         body, date, author)


def apply_edits(text, edits_path, fname):
    """patchset/virtio/edits: '@@ after|before FILE', '@@ match RX',
    optional '@@ then RX' (first line at or after the match), then text."""
    lines = text.split("\n")
    edits = []
    cur = None
    for ln in open(edits_path).read().split("\n"):
        if ln.startswith("@@ after ") or ln.startswith("@@ before "):
            where, f = ln[3:].split(" ", 1)
            cur = {"where": where, "file": f, "match": None, "then": None, "text": []}
            edits.append(cur)
        elif ln.startswith("@@ match "):
            cur["match"] = re.compile(ln[9:])
        elif ln.startswith("@@ then "):
            cur["then"] = re.compile(ln[8:])
        elif ln.startswith("%%") and cur is None:
            continue
        elif cur is not None:
            cur["text"].append(ln)
    for e in edits:
        while e["text"] and e["text"][-1] == "":
            e["text"].pop()
    inserts = []
    for e in [e for e in edits if e["file"] == fname]:
        hits = [i for i, l in enumerate(lines) if e["match"].search(l)]
        if len(hits) != 1:
            raise SeriesError("%s: '%s' matches %d lines of %s" %
                              (edits_path, e["match"].pattern, len(hits), fname))
        i = hits[0]
        if e["then"]:
            i = next((j for j in range(i, len(lines)) if e["then"].search(lines[j])), None)
            if i is None:
                raise SeriesError("%s: '%s' not found after '%s'" %
                                  (edits_path, e["then"].pattern, e["match"].pattern))
        inserts.append((i + 1 if e["where"] == "after" else i, e["text"]))
    for i, t in sorted(inserts, key=lambda x: -x[0]):
        lines[i:i] = t
    return "\n".join(lines)


def gen_virtio(date):
    vdir = os.path.join(DEFS, "virtio")
    repo = os.path.join(WORK, "virtio-spec")
    shutil.rmtree(repo, ignore_errors=True)
    os.makedirs(repo)
    base = os.path.join(vdir, "base")
    git(repo, "init", "-q")
    files = []
    for root, _, fs in os.walk(base):
        for f in fs:
            rel = os.path.relpath(os.path.join(root, f), base)
            os.makedirs(os.path.dirname(os.path.join(repo, rel)), exist_ok=True)
            shutil.copy(os.path.join(root, f), os.path.join(repo, rel))
            files.append(rel)
    author = signoff() or open(os.path.join(vdir, "author")).read().strip()
    env = commit_env(author, date)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "virtio-spec base (see patchset/virtio/ORIGIN)", env=env)
    git(repo, "tag", "base")
    for rel in files:
        p = os.path.join(repo, rel)
        new = apply_edits(open(p).read(), os.path.join(vdir, "edits"), rel)
        open(p, "w").write(new)
    subject, body = read_cover(os.path.join(vdir, "message.txt"))
    msg = "%s\n\n%s%s" % (subject, body.rstrip() + "\n", trailer())
    git(repo, "commit", "-q", "-a", "-m", msg, env=env)
    outdir = os.path.join(OUT, "virtio")
    shutil.rmtree(outdir, ignore_errors=True)
    os.makedirs(outdir)
    git(repo, "format-patch", "-q", "--no-signature", "-o", outdir, "base..HEAD", env=env)
    return sorted(os.listdir(outdir))


def lock(name):
    """Serialise generate and check runs of one clone (make test and a
    manual make patchset, say)."""
    import fcntl
    os.makedirs(OUT, exist_ok=True)
    f = open(os.path.join(OUT, ".%s.lock" % name), "w")
    fcntl.flock(f, fcntl.LOCK_EX)
    return f


def generate(which):
    held = lock("generate")
    date = series_date()
    gens = {"linux": gen_linux, "qemu": gen_qemu, "virtio": gen_virtio}
    try:
        out = {w: gens[w](date) for w in which or gens}
    finally:
        for f in INDEXES:
            if os.path.exists(f):
                os.unlink(f)
    for k, v in out.items():
        print("  PATCHSET %s: %d files" % (os.path.relpath(os.path.join(OUT, k), TOP), len(v)))
    held.close()
    return out


# --- check --------------------------------------------------------------------

def series_hash(files, extra):
    h = hashlib.sha256()
    for f in files:
        for ln in open(f, encoding="utf-8", errors="replace"):
            # Commit ids and dates change with every regeneration.
            if re.match(r"^From [0-9a-f]{40} ", ln) or ln.startswith("Date: "):
                continue
            h.update(ln.encode())
    h.update(extra.encode())
    return h.hexdigest()


def load_exceptions():
    """patchset/checkpatch-exceptions: series<TAB>subject-regex<TAB>type<TAB>
    message-regex<TAB>reason; the same rows are documented in
    docs/patchset.rst."""
    out = []
    for ln in open(os.path.join(DEFS, "checkpatch-exceptions")):
        if not ln.strip() or ln.startswith("#"):
            continue
        series, subj, typ, msg, reason = ln.rstrip("\n").split("\t")
        # "SERIES!unsigned": only while the series carries no sign-off
        series, _, cond = series.partition("!")
        if cond == "unsigned" and signoff():
            continue
        out.append({"series": series, "subject": re.compile(subj), "type": typ,
                    "message": re.compile(msg), "reason": reason, "used": 0})
    return out


def checkpatch_findings(output):
    """(level, type, message) for every finding of checkpatch --show-types."""
    out = []
    for ln in output.splitlines():
        m = re.match(r"^(ERROR|WARNING|CHECK):(\w+): (.*)$", ln)
        if m:
            out.append((m.group(1), m.group(2), m.group(3)))
        else:
            m = re.match(r"^(ERROR|WARNING|CHECK): (.*)$", ln)
            if m:
                out.append((m.group(1), "", m.group(2)))
    return out


def prepare_check_tree(src, wt):
    if not cloned_from(wt, src):
        shutil.rmtree(wt, ignore_errors=True)
        os.makedirs(os.path.dirname(wt), exist_ok=True)
        print("  PATCHSET clone %s" % os.path.relpath(wt, TOP), file=sys.stderr, flush=True)
        run(["git", "clone", "-q", "--shared", src, wt])
    git(wt, "am", "--abort", check=False)
    git(wt, "reset", "-q", "--hard", "base")
    git(wt, "clean", "-fdxq")


def logged(cmd, log, cwd=None, env=None):
    e = dict(os.environ)
    if env:
        e.update(env)
    with open(log, "a") as f:
        f.write("$ %s\n" % " ".join(cmd))
        f.flush()
        return subprocess.run(cmd, cwd=cwd, env=e, stdout=f, stderr=subprocess.STDOUT).returncode


def check(which):
    # The lock is held until the check returns, however it returns.
    with lock("check-" + which):
        return check_locked(which)


def check_locked(which):
    os.makedirs(CHECK, exist_ok=True)
    # Check a copy: a concurrent make patchset may rewrite the series.
    pdir = os.path.join(CHECK, which + "-series")
    with lock("generate"):
        shutil.rmtree(pdir, ignore_errors=True)
        shutil.copytree(os.path.join(OUT, which), pdir)
    patches = [os.path.join(pdir, f) for f in sorted(os.listdir(pdir))
               if f.endswith(".patch") and not f.startswith("0000-")]
    jobs = os.environ.get("HB_JOBS", str(os.cpu_count()))
    exc = load_exceptions()
    if which == "linux":
        cfg = os.path.join(BUILD, "kernel", ".config")
        extra = open(cfg).read()
    else:
        extra = os.environ.get("HB_QEMU_CONFIGURE", "")
    extra += open(os.path.join(DEFS, "checkpatch-exceptions")).read()
    stamp = series_hash(patches, extra)
    stamp_file = os.path.join(CHECK, "%s.stamp" % which)
    result_file = os.path.join(CHECK, "%s.json" % which)
    if os.path.isfile(result_file) and open(stamp_file).read().strip() == stamp \
            if os.path.isfile(stamp_file) else False:
        res = json.load(open(result_file))
        res["cached"] = True
        return res
    t0 = time.time()
    wt = os.path.join(CHECK, which)
    log = os.path.join(CHECK, "%s.log" % which)
    open(log, "w").close()
    prepare_check_tree(pristine(which), wt)
    if which == "linux":
        obj = os.path.join(CHECK, "kernel")
        os.makedirs(obj, exist_ok=True)
        kmake = ["make", "-C", wt, "O=" + obj, "ARCH=x86_64", "CC=ccache gcc"]
    else:
        obj = os.path.join(CHECK, "qemu-build")
        os.makedirs(obj, exist_ok=True)
        want = os.environ["HB_QEMU_CONFIGURE"]
        # configure --python names the venv with Debian 13's meson.
        pristine("meson")
        if not os.path.isfile(os.path.join(obj, "build.ninja")) or \
                open(os.path.join(obj, ".hintbuf-configure")).read().strip() != want \
                if os.path.isfile(os.path.join(obj, ".hintbuf-configure")) else True:
            print("  PATCHSET configure %s" % os.path.relpath(obj, TOP), file=sys.stderr, flush=True)
            if logged([os.path.join(wt, "configure")] + shlex.split(want), log, cwd=obj):
                raise SeriesError("QEMU configure failed, see %s" % log)
            open(os.path.join(obj, ".hintbuf-configure"), "w").write(want + "\n")
    steps = []
    for n, p in enumerate(patches, 1):
        name = os.path.basename(p)
        subject = re.search(r"^Subject: (.*(?:\n .*)*)", open(p).read(), re.M).group(1)
        subject = re.sub(r"\s*\n\s*", " ", re.sub(r"^\[PATCH[^\]]*\]\s*", "", subject))
        step = {"patch": name, "subject": subject}
        print("  PATCHSET %s %d/%d %s" % (which, n, len(patches), subject), file=sys.stderr, flush=True)
        if git(wt, "-c", "user.name=hintbuf", "-c", "user.email=hintbuf@localhost",
               "am", "-q", p, check=False).returncode:
            raise SeriesError("%s does not apply" % name)
        t = time.time()
        blog = os.path.join(CHECK, "%s-build-%02d.log" % (which, n))
        open(blog, "w").close()
        touched = git(wt, "diff", "--name-only", "HEAD^", "HEAD").split()
        if which == "linux" and n > 1 and all(f == "MAINTAINERS" or f.startswith("Documentation/")
                                    for f in touched):
            # Nothing bzImage is built from changed: the previous step's
            # build stands for this one.
            step["build_skipped"] = "only Documentation/ and MAINTAINERS"
            rc = 0
        elif which == "linux":
            shutil.copy(os.path.join(BUILD, "kernel", ".config"), os.path.join(obj, ".config"))
            rc = logged(kmake + ["olddefconfig"], blog) or \
                logged(kmake + ["-j" + jobs, "bzImage"], blog)
        else:
            # The qtest binary too: the series extends virtio-balloon-test.
            rc = logged(["ninja", "-C", obj, "-j" + jobs, "qemu-system-x86_64",
                         "tests/qtest/virtio-balloon-test"], blog)
        step["build_s"] = round(time.time() - t, 1)
        step["build_ok"] = rc == 0
        warn = [l.rstrip() for l in open(blog, errors="replace")
                if re.search(r"\b(warning|error):", l)]
        step["compiler_warnings"] = warn
        if which == "linux":
            cp = ["perl", "scripts/checkpatch.pl", "--strict", "--show-types", p]
        else:
            cp = ["perl", "scripts/checkpatch.pl", p]
        out = run(cp, cwd=wt, check=False).stdout
        step["checkpatch_total"] = next((l for l in out.splitlines() if l.startswith("total:")), "")
        found = []
        for level, typ, msg in checkpatch_findings(out):
            ok = [e for e in exc if e["series"] == which and e["subject"].search(subject)
                  and e["type"] == typ and e["message"].search(msg)]
            for e in ok:
                e["used"] += 1
            found.append({"level": level, "type": typ, "message": msg,
                          "excepted": bool(ok), "reason": ok[0]["reason"] if ok else None})
        step["checkpatch"] = found
        steps.append(step)
        if rc:
            break
    res = {"series": which, "patches": len(patches), "steps": steps,
           "unused_exceptions": [e["type"] + " " + e["message"].pattern for e in exc
                                 if e["series"] == which and not e["used"]],
           "seconds": round(time.time() - t0, 1), "cached": False, "log": log}
    if which == "linux":
        res["tree_vs_build_linux"] = compare_with_build(wt)
    json.dump(res, open(result_file, "w"), indent=1)
    ok = all(s["build_ok"] and not s["compiler_warnings"] and
             all(f["excepted"] for f in s["checkpatch"]) for s in steps) and \
        len(steps) == len(patches)
    if ok:
        open(stamp_file, "w").write(stamp + "\n")
    elif os.path.isfile(stamp_file):
        os.unlink(stamp_file)
    return res


def bench_expected(wt):
    """{path: bytes} of the files that the benchmark-only kernel code
    (bench-kernel/: hook patches applied after kernel-patches/, then its
    overlay) changes on top of the series in wt, as prepare-tree.sh lays
    it: build/linux carries it, the series must not."""
    pdir = os.path.join(BENCH, "patches")
    patches = sorted(os.path.join(pdir, p) for p in os.listdir(pdir)
                     if p.endswith(".patch")) if os.path.isdir(pdir) else []
    env = index_env(wt, "bench")
    try:
        git(wt, "read-tree", "HEAD", env=env)
        for p in patches:
            git(wt, "apply", "--cached", p, env=env)
        overlay = [f for f in repo_files([os.path.join("bench-kernel", d)
                                          for d in OVERLAY_DIRS])]
        shas = hash_files(wt, [(os.path.relpath(f, "bench-kernel"),
                                open(os.path.join(TOP, f), "rb").read())
                               for f in overlay])
        update_index(wt, env, shas)
        changed = git(wt, "diff", "--cached", "--name-only", "HEAD",
                      env=env).split()
        return {f: git(wt, "show", ":" + f, env=env, binary=True)
                for f in changed}
    finally:
        if os.path.exists(env["GIT_INDEX_FILE"]):
            os.unlink(env["GIT_INDEX_FILE"])


def compare_with_build(wt):
    """Every kernel source file the series changes must be byte-identical
    to build/linux (what make kernel built), and every file make kernel
    changed must be in the series, except what the benchmark-only code
    changes on top of it, which must equal the series plus that code."""
    bl = os.path.join(BUILD, "linux")
    if not os.path.isdir(os.path.join(bl, ".git")):
        return {"skipped": "no build/linux"}
    bench = bench_expected(wt)
    series_files = set(git(wt, "diff", "--name-only", "base", "HEAD").split())
    built = set(git(bl, "diff", "--name-only", "base").split())
    built |= set(f for f in git(bl, "ls-files", "-o", "--exclude-standard").split()
                 if f != ".hintbuf-stamp")
    only_series = [f for f in series_files
                   if f != "MAINTAINERS" and not f.startswith("Documentation/")]

    def expected(f):
        if f in bench:
            return bench[f]
        if os.path.isfile(os.path.join(wt, f)):
            return open(os.path.join(wt, f), "rb").read()
        return None

    differ = [f for f in sorted(set(only_series) | built | set(bench))
              if expected(f) is None or not os.path.isfile(os.path.join(bl, f))
              or expected(f) != open(os.path.join(bl, f), "rb").read()]
    return {"compared": len(set(only_series) | built | set(bench)),
            "bench_only": sorted(bench), "differ": differ}


def main(argv):
    try:
        if argv[1:2] == ["generate"] and \
                set(argv[2:]) <= {"linux", "qemu", "virtio"}:
            generate(argv[2:])
        elif len(argv) == 3 and argv[1] == "check" and argv[2] in ("linux", "qemu"):
            res = check(argv[2])
            print(json.dumps(res, indent=1))
        else:
            sys.stderr.write(__doc__)
            return 2
    except SeriesError as e:
        sys.stderr.write("patchset: %s\n" % e)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
