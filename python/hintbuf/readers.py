# SPDX-License-Identifier: GPL-2.0
"""One parser per guest /proc and sysfs file the harness reads.  Each
takes the file's text, so a caller can read several files in one agent
round trip and still parse each the one way."""

import re

from . import BUFFER_SYSFS, PAGE


def meminfo(text):
    """/proc/meminfo lines ("MemFree:  123 kB") as {field: int}: KiB, or
    pages for HugePages_*.  Lines that are not meminfo's are skipped, so
    the text may carry other output too."""
    out = {}
    for line in text.splitlines():
        m = re.match(r"(\w+(?:\(\w+\))?):\s+(\d+)( kB)?$", line)
        if m:
            out[m.group(1)] = int(m.group(2))
    return out


def vmstat(text):
    """/proc/vmstat ("name value" lines) as {name: int}."""
    return {k: int(v) for k, v in
            (line.split() for line in text.splitlines() if line.strip())}


def counters(text):
    """"file:value" lines (grep -H . *) as {file: int or str}."""
    return {k: int(v) if re.fullmatch(r"-?\d+", v) else v
            for k, v in (line.split(":", 1) for line in text.splitlines())}


def pcp_pages(zoneinfo_text):
    """Pages on the per-CPU free lists, summed over /proc/zoneinfo."""
    return sum(int(m) for m in
               re.findall(r"^ +count: +(\d+)", zoneinfo_text, re.M))


def allocatable_kib(g):
    """Memory the allocator can hand out (KiB): MemFree, plus the pages
    on per-CPU lists (not counted in MemFree, and up to tens of MiB after
    a large free), plus chunks out being reported.  None while a report is
    in flight: those chunks are counted nowhere for a moment."""
    out = g.out("sync; echo 3 > /proc/sys/vm/drop_caches; "
                "cat %s/in_flight_bytes; echo; cat /proc/meminfo; echo; "
                "cat /proc/zoneinfo" % BUFFER_SYSFS)
    in_flight, rest = out.split("\n", 1)
    if int(in_flight):
        return None
    return meminfo(rest)["MemFree"] + pcp_pages(rest) * PAGE // 1024


def zoneinfo(text):
    """/proc/zoneinfo as {(nid, zone name): {field: int}}: each zone's
    "name value" lines (min, low, high, spanned, present, managed,
    start_pfn, nr_free_pages, ...), plus "zid", the zone's position in its
    node (the zid of the page_reporting_buffer tracepoints).  A name is read the
    first time it appears in a zone: the per-CPU pagesets below repeat
    some ("high:") with other meanings."""
    zones, cur, count = {}, None, {}
    for line in text.splitlines():
        m = re.match(r"Node (\d+), zone\s+(\w+)", line)
        if m:
            nid = int(m.group(1))
            cur = zones.setdefault((nid, m.group(2)),
                                   {"zid": count.get(nid, 0)})
            count[nid] = cur["zid"] + 1
            continue
        f = line.split()
        if cur is not None and len(f) == 2 and re.fullmatch(r"\d+", f[1]):
            cur.setdefault(f[0].rstrip(":"), int(f[1]))
    return zones
