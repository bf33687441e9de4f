#!/usr/bin/env python3
"""The Python half of the benchmark scripts in scripts/bench/ (stdlib only).

Reports: `report.py chain|write|read|remote LOGS OUT ...` read what a run left in LOGS
(results.tsv: system, test, repeat, value; errors.txt; header.txt), write the table to
OUT/BENCH-results.txt and the JSON object to OUT/BENCH-results.json, and exit 0 when the targets
are met, 3 when one is missed and 1 when a run failed.

Tool output: `fio-iops JSON read|write` prints a fio run's IOPS (fails when fio reported an
error); `stats-pid FILE` the serving pid in a mount's .cairn/stats.json; `thin-info` the bytes,
parent blocks, stored blocks and blocks of the primary stream in `cairn info --json` on stdin.

Seeded workloads (the same bytes on every machine): `scatter FILE BYTES SEED` writes BYTES of
random bytes in pieces of 4-256 KiB at random 4 KiB-aligned offsets; `rewrite16 FILE` writes 16
non-overlapping pieces of 256 KiB; `change-set RAND SIZE BYTES PIECE SEED FILE...` writes pieces of
RAND at scattered, non-overlapping offsets into each FILE and prints the first one's seconds;
`rand-offset SEED IMAGE` prints a 4 KiB-aligned offset whose 4 MiB hold no all-zero 64 KiB piece;
`free-port` prints a free TCP port on 127.0.0.1.
"""

import json
import os
import random
import socket
import statistics
import sys
import time


class Run:
    """What a benchmark run left in its log directory."""

    def __init__(self, logs):
        self.logs = logs
        self.raw = {}
        for line in open(os.path.join(logs, "results.tsv")):
            s, t, _, v = line.rstrip("\n").split("\t")
            self.raw.setdefault(s, {}).setdefault(t, []).append(v)
        self.errors = self.lines("errors.txt")
        self.header = open(os.path.join(logs, "header.txt")).read().rstrip("\n")

    def lines(self, name):
        return [l.rstrip("\n") for l in open(os.path.join(self.logs, name)) if l.strip()]

    def vals(self, s, t):
        return self.raw.get(s, {}).get(t, [])

    def median(self, s, t):
        """The median of a figure; None when missing or when any repeat failed."""
        v = self.vals(s, t)
        if not v or "FAIL" in v:
            return None
        return statistics.median(float(x) for x in v)

    def any_failed(self):
        return any("FAIL" in v for s in self.raw for v in self.raw[s].values())


def emit(bench, out, lines, obj, status):
    """Writes OUT/BENCH-results.txt and .json; returns the exit status."""
    with open(os.path.join(out, bench + "-results.txt"), "w") as f:
        f.write("\n".join(lines) + "\n")
    with open(os.path.join(out, bench + "-results.json"), "w") as f:
        f.write(json.dumps(obj) + "\n")
    return status


def problems(lines, errors, title="problems:"):
    if errors:
        lines.append("")
        lines.append(title)
        lines.extend("  " + e for e in errors)


def mib(b):
    return "-" if b is None else "%.1f MiB" % (b / 1048576)


def sizes_of(arg):
    return dict((kv.split("=")[0], int(kv.split("=")[1])) for kv in arg.split())


def targets_lines(lines, title, targets, width):
    lines.append(title)
    for tg in targets:
        v = "-" if tg["value"] is None else "%.2f" % tg["value"]
        lines.append("  %-*s %8s  %s" % (width, tg["target"], v, "pass" if tg["pass"] else "MISSED"))


def chain(logs, out, image, image_bytes, depth, change_mb, repeat, caches, cmdline, limit, any_fail):
    run = Run(logs)
    image_bytes, depth, repeat, limit = int(image_bytes), int(depth), int(repeat), float(limit)
    raw, vals = run.raw, lambda s: run.vals(s, "seq_mib_s")
    flat, chain_ = run.median("flat", "seq_mib_s"), run.median("chain", "seq_mib_s")
    ratio = None if flat is None or chain_ is None or not flat else chain_ / flat
    target = {"target": "seq chain/flat >= %.1f" % limit, "value": ratio, "limit": limit,
              "pass": ratio is not None and ratio >= limit}
    size = lambda s: int(raw[s]["bytes"][0]) if s in raw and "bytes" in raw[s] else None
    thin = [size("v%d" % n) for n in range(1, depth + 1)]
    checks = {s: raw[s]["sha256_ok"][0] == "yes" for s in raw if "sha256_ok" in raw[s]}

    lines = [run.header]
    lines.append("page cache: %s (dropped before every mount and every read); fresh mount per read" % caches)
    lines.append("")
    lines.append("%-30s %s %10s" % ("cold seq read dd bs=1M", "".join("%9s" % ("run %d" % (i + 1)) for i in range(repeat)), "median"))
    for s, label in (("flat", "flat (standalone)"), ("chain", "chain (v%d, %d deep)" % (depth, depth))):
        m = run.median(s, "seq_mib_s")
        lines.append("%-30s %s %10s" % (label + ", MiB/s", "".join("%9s" % v for v in vals(s)),
                                        "-" if m is None else "%.1f" % m))
    lines.append("%-30s %s %10s" % ("chain / flat", " " * 9 * repeat, "-" if ratio is None else "%.2f" % ratio))
    lines.append("")
    lines.append("sizes: v0 %s; thin v1..v%d %s (sum %s); flat %s; image %s" % (
        mib(size("v0")), depth, ", ".join("%.1f" % (b / 1048576) if b else "-" for b in thin) + " MiB",
        mib(sum(b for b in thin if b)), mib(size("flat")), mib(image_bytes)))
    if checks:
        lines.append("sha256 checks: " + ", ".join("%s %s" % (k, "ok" if v else "WRONG") for k, v in sorted(checks.items())))
    lines.append("")
    targets_lines(lines, "target (issue 5)", [target], 30)
    problems(lines, run.errors)
    failed = any_fail == "1"
    obj = {
        "bench": "chain", "command": cmdline, "header": run.header.splitlines(),
        "image": image, "image_bytes": image_bytes, "depth": depth, "change_mib_per_version": int(change_mb),
        "rounds": repeat, "caches": caches,
        "seq_mib_s": {"flat": [None if v == "FAIL" else float(v) for v in vals("flat")],
                      "chain": [None if v == "FAIL" else float(v) for v in vals("chain")]},
        "median_mib_s": {"flat": flat, "chain": chain_}, "ratio": None if ratio is None else round(ratio, 3),
        "sizes": {"v0": size("v0"), "thin": thin, "flat": size("flat")},
        "checks": checks, "target": target, "errors": run.errors,
        "pass": target["pass"] and not failed,
    }
    return emit("chain", out, lines, obj, 1 if failed else (0 if target["pass"] else 3))


def write(logs, out, image, image_bytes, runtime, region, change, repeat, caches, fio_mode, cmdline, codec, any_fail):
    run = Run(logs)
    image_bytes, region, change = int(image_bytes), int(region), int(change)
    med = run.median
    rows = [("fio", "fio 4K randwrite, IOPS" + ("" if fio_mode == "direct" else " (buffered)"), "{:.0f}"),
            ("dd0", "dd 1M zeros, MiB/s", "{:.1f}"), ("ddr", "dd 1M random, MiB/s", "{:.1f}")]
    res = {t: {"cairn": med("cairn", t), "qsd": med("qsd", t)} for t, _, _ in rows}
    for t in res:
        c, q = res[t]["cairn"], res[t]["qsd"]
        res[t]["ratio"] = None if c is None or not q else c / q
    targets = []
    for t, label, _ in rows:
        v = res[t]["ratio"]
        targets.append({"target": "%s cairn/qsd >= 1.0" % label.split(",")[0], "value": v, "limit": 1.0,
                        "pass": v is not None and v >= 1.0})
    cc = med("cairn", "change_commit_s")
    targets.append({"target": "commit of a %d MiB change set < 10 s" % change, "value": cc, "limit": 10.0,
                    "pass": cc is not None and cc < 10.0})

    lines = [run.header]
    lines.append("page cache: %s (dropped before every test and commit); fio: %s; base: cairn %s, qcow2 zstd; "
                 "medians over %s round(s)" % (caches, "O_DIRECT" if fio_mode == "direct" else
                                               "buffered, O_DIRECT refused or --buffered", codec, repeat))
    lines.append("")
    lines.append("%-28s %10s %10s %11s" % ("test (regions of %d MiB)" % region, "cairn", "qsd", "cairn/qsd"))
    for t, label, f in rows:
        c, q, r = res[t]["cairn"], res[t]["qsd"], res[t]["ratio"]
        lines.append("%-28s %10s %10s %11s" % (label, "-" if c is None else f.format(c),
                                               "-" if q is None else f.format(q), "-" if r is None else "%.2f" % r))
    lines.append("")
    bc, bq = med("cairn", "base_bytes"), med("qsd", "base_bytes")
    oc, oq = med("cairn", "overlay_bytes"), med("qsd", "overlay_bytes")
    lines.append("bases: base.cairn %s, base.qcow2 %s (image %s)" % (mib(bc), mib(bq), mib(image_bytes)))
    lines.append("overlays after the tests: cairn DIR %s, top.qcow2 %s" % (mib(oc), mib(oq)))
    ct, cb = med("cairn", "commit_s"), med("cairn", "child_bytes")
    lines.append("cairn commit of that overlay: %s s, child %s" % ("-" if ct is None else "%.2f" % ct, mib(cb)))
    cw, cob, ccb = med("cairn", "change_write_mib_s"), med("cairn", "change_overlay_bytes"), med("cairn", "change_child_bytes")
    lines.append("change set of %d MiB (256 KiB pieces, scattered): written at %s MiB/s, overlay %s; "
                 "commit %s s, child %s" % (change, "-" if cw is None else "%.1f" % cw, mib(cob),
                                           "-" if cc is None else "%.2f" % cc, mib(ccb)))
    lines.append("")
    targets_lines(lines, "targets (issue 5)", targets, 48)
    problems(lines, run.errors)
    failed = any_fail == "1"
    passed = all(t["pass"] for t in targets)
    obj = {
        "bench": "write", "command": cmdline, "header": run.header.splitlines(),
        "image": image, "image_bytes": image_bytes, "region_mib": region, "fio_runtime_s": int(runtime),
        "fio_mode": fio_mode, "rounds": int(repeat), "caches": caches, "cairn_codec": codec,
        "results": {t: {k: (None if v is None else round(v, 3)) for k, v in d.items()} for t, d in res.items()},
        "raw": run.raw,
        "base_bytes": {"cairn": bc, "qcow2": bq}, "overlay_bytes": {"cairn": oc, "qcow2": oq},
        "commit": {"seconds": ct, "child_bytes": cb},
        "change_set": {"mib": change, "write_mib_s": cw, "overlay_bytes": cob, "commit_seconds": cc, "child_bytes": ccb},
        "targets": targets, "errors": run.errors, "pass": passed and not failed,
    }
    return emit("write", out, lines, obj, 1 if failed else (0 if passed else 3))


def parse_size(s):
    m = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}
    return int(s[:-1]) * m[s[-1].upper()] if s[-1].upper() in m else int(s)


def ratio_table(lines, title, label_width, rows, pairs, short, ratios):
    if not pairs:
        return
    cols = ["%s %s/%s" % (a.split("-")[1], a.split("-")[2] if a.count("-") == 2 else "c", short[b])
            for a, b in pairs]
    w2 = max(len(c) for c in cols) + 2
    lines.append(title)
    lines.append("%-*s" % (label_width, "test") + "".join("%*s" % (w2, c) for c in cols))
    for row in rows:
        k, label = row[0], row[1]
        lines.append("%-*s" % (label_width, label) + "".join(
            "%*s" % (w2, "-" if ratios["%s/%s" % p][k] is None else "%.2f" % ratios["%s/%s" % p][k]) for p in pairs))
    lines.append("")


def size_lines(lines, title, image_bytes, sizes_d, size_names):
    lines.append("%s (image %d bytes)" % (title, image_bytes))
    for k in ("lz4.cairn", "lz4.sqfs", "zstd.cairn", "zstd.sqfs", "zstd.qcow2"):
        if k in sizes_d:
            lines.append("  %-14s %12d bytes  %5.1f%% of image" % (size_names[k], sizes_d[k], 100.0 * sizes_d[k] / image_bytes))


SIZE_NAMES = {"lz4.cairn": "cairn lz4", "lz4.sqfs": "squashfs lz4", "zstd.cairn": "cairn zstd",
              "zstd.sqfs": "squashfs zstd", "zstd.qcow2": "qcow2 zstd",
              "lz4-enc.cairn": "cairn lz4 encrypted", "zstd-enc.cairn": "cairn zstd encrypted",
              "lz4-sig.cairn": "cairn lz4 signed", "zstd-sig.cairn": "cairn zstd signed"}


def read(logs, out, image, image_bytes, runtime, repeat, caches, cache_size, quick, cmdline, sizes, zlevel):
    run = Run(logs)
    raw = run.raw
    image_bytes = int(image_bytes)
    cache_bytes = parse_size(cache_size)
    systems = ["cairn-lz4", "cairn-lz4-enc", "cairn-lz4-sig", "squashfuse-lz4", "squashfuse_ll-lz4",
               "cairn-zstd", "cairn-zstd-enc", "cairn-zstd-sig", "squashfuse-zstd", "squashfuse_ll-zstd",
               "qsd-qcow2-zstd"]
    systems = [s for s in systems if s in raw]

    def summary(sysname, test):
        vals = raw.get(sysname, {}).get(test)
        if not vals:
            return None
        if test == "check":
            return vals[0] == "ok"
        nums = [float(v) for v in vals if v != "FAIL"]
        if not nums or len(nums) < len(vals):
            return None  # any failed repeat makes the figure unusable
        return max(nums) if test == "peak_rss_kib" else statistics.median(nums)

    tests = [("first_byte_ms", "first byte, ms", "{:.0f}"), ("seq_mib_s", "seq dd 1M, MiB/s", "{:.0f}"),
             ("rand1_iops", "rand 4K 1 job, IOPS", "{:.0f}"), ("rand4_iops", "rand 4K 4 jobs, IOPS", "{:.0f}"),
             ("peak_rss_kib", "peak RSS, MiB", None)]
    res = {s: {t: summary(s, t) for t, _, _ in tests} for s in systems}
    for s in systems:
        res[s]["check"] = summary(s, "check")

    def fmt(t, v, f):
        if v is None:
            return "-"
        if t == "peak_rss_kib":
            return "{:.0f}".format(v / 1024)
        return f.format(v)

    pairs = [("cairn-lz4", "squashfuse-lz4"), ("cairn-lz4", "squashfuse_ll-lz4"),
             ("cairn-zstd", "squashfuse-zstd"), ("cairn-zstd", "squashfuse_ll-zstd"),
             ("cairn-zstd", "qsd-qcow2-zstd"),
             ("cairn-lz4-enc", "cairn-lz4"), ("cairn-lz4-enc", "squashfuse-lz4"),
             ("cairn-lz4-enc", "squashfuse_ll-lz4"),
             ("cairn-zstd-enc", "cairn-zstd"), ("cairn-zstd-enc", "squashfuse-zstd"),
             ("cairn-zstd-enc", "squashfuse_ll-zstd"),
             ("cairn-lz4-sig", "cairn-lz4"), ("cairn-lz4-sig", "squashfuse-lz4"),
             ("cairn-lz4-sig", "squashfuse_ll-lz4"),
             ("cairn-zstd-sig", "cairn-zstd"), ("cairn-zstd-sig", "squashfuse-zstd"),
             ("cairn-zstd-sig", "squashfuse_ll-zstd")]
    pairs = [p for p in pairs if p[0] in res and p[1] in res]
    short = {"squashfuse-lz4": "sqfuse", "squashfuse_ll-lz4": "sqfuse_ll", "squashfuse-zstd": "sqfuse",
             "squashfuse_ll-zstd": "sqfuse_ll", "qsd-qcow2-zstd": "qsd", "cairn-lz4": "plain",
             "cairn-zstd": "plain"}

    def ratio(a, b, t):
        va, vb = res[a].get(t), res[b].get(t)
        if va is None or vb is None or vb == 0:
            return None
        return va / vb
    ratios = {"%s/%s" % p: {t: ratio(p[0], p[1], t) for t, _, _ in tests} for p in pairs}
    sizes_d = sizes_of(sizes)

    targets = []

    def target(label, a, b, t, limit):
        # a target of a test left out with --tests (nothing recorded for either side) is not judged
        if a in res and b in res and (raw[a].get(t) or raw[b].get(t)):
            v = ratio(a, b, t)
            targets.append({"target": label, "value": v, "limit": limit, "pass": v is not None and v >= limit})
    target("seq lz4 cairn/squashfuse >= 1.3", "cairn-lz4", "squashfuse-lz4", "seq_mib_s", 1.3)
    target("seq zstd cairn/squashfuse >= 1.3", "cairn-zstd", "squashfuse-zstd", "seq_mib_s", 1.3)
    target("rand 4 jobs zstd cairn/squashfuse_ll >= 1.5", "cairn-zstd", "squashfuse_ll-zstd", "rand4_iops", 1.5)
    target("rand 1 job zstd cairn/squashfuse_ll >= 1.0", "cairn-zstd", "squashfuse_ll-zstd", "rand1_iops", 1.0)
    for codec in ("lz4", "zstd"):
        for t, label in (("seq_mib_s", "seq"), ("rand1_iops", "rand 1 job"), ("rand4_iops", "rand 4 jobs")):
            target("%s %s encrypted/plain >= 0.85" % (label, codec), "cairn-%s-enc" % codec,
                   "cairn-%s" % codec, t, 0.85)
            target("%s %s signed+trust/plain >= 0.85" % (label, codec), "cairn-%s-sig" % codec,
                   "cairn-%s" % codec, t, 0.85)
    rss_limit_mib = cache_bytes / 1048576 + 200
    for c in ("cairn-lz4", "cairn-zstd", "cairn-lz4-enc", "cairn-zstd-enc", "cairn-lz4-sig", "cairn-zstd-sig"):
        if c in res:
            v = res[c]["peak_rss_kib"]
            targets.append({"target": "%s peak RSS <= cache + 200 MiB (%.0f MiB)" % (c, rss_limit_mib),
                            "value": None if v is None else v / 1024, "limit": rss_limit_mib,
                            "pass": v is not None and v / 1024 <= rss_limit_mib})

    failed = run.any_failed() or any(res[s]["check"] is False for s in systems)
    lines = [run.header]
    lines.append("page cache: %s (dropped before every mount and every test); fresh mount per test; "
                 "cairn --cache-size %s; zstd level: %s" % (caches, cache_size, zlevel or "each tool's default"))
    lines.append("")
    w = max(12, max(len(s) for s in systems) + 1)
    lines.append("%-22s" % "test" + "".join("%*s" % (w, s) for s in systems))
    for t, label, f in tests:
        lines.append("%-22s" % label + "".join("%*s" % (w, fmt(t, res[s][t], f)) for s in systems))
    if any(res[s]["check"] is not None for s in systems):
        lines.append("%-22s" % "sha256 = image" + "".join(
            "%*s" % (w, {True: "yes", False: "NO", None: "-"}[res[s]["check"]]) for s in systems))
    lines.append("")
    ratio_table(lines, "Cairn ÷ peer (first byte and RSS: below 1 is better for Cairn; others: above 1)",
                22, tests, pairs, short, ratios)
    size_lines(lines, "compressed sizes", image_bytes, sizes_d, SIZE_NAMES)
    lines.append("")
    if targets:
        targets_lines(lines, "targets (issues 4, 12 and 13)", targets, 58)
    problems(lines, run.errors)
    passed = all(t["pass"] for t in targets)
    obj = {
        "bench": "read", "command": cmdline, "image": image, "image_bytes": image_bytes,
        "quick": quick == "1", "fio_runtime_s": int(runtime), "repeat": int(repeat), "caches": caches,
        "cairn_cache_size": cache_bytes, "zstd_level": int(zlevel) if zlevel else None,
        "header": run.header.splitlines(),
        "sizes": {SIZE_NAMES[k].replace(" ", "-"): v for k, v in sizes_d.items()},
        "systems": {s: {"first_byte_ms": res[s]["first_byte_ms"], "seq_mib_s": res[s]["seq_mib_s"],
                        "rand1_iops": res[s]["rand1_iops"], "rand4_iops": res[s]["rand4_iops"],
                        "peak_rss_mib": None if res[s]["peak_rss_kib"] is None else round(res[s]["peak_rss_kib"] / 1024, 1),
                        "sha256_ok": res[s]["check"]} for s in systems},
        "ratios": {k: {t: (None if v is None else round(v, 3)) for t, v in d.items()} for k, d in ratios.items()},
        "targets": targets, "errors": run.errors,
        "pass": bool(targets) and passed and not failed,
    }
    return emit("read", out, lines, obj, 1 if failed else (0 if passed else 3))


def remote(logs, out, image, image_bytes, repeat, caches, quick, cmdline, sizes, zlevel, systems):
    run = Run(logs)
    image_bytes = int(image_bytes)
    systems = systems.split(",")
    # (key, label, format, scale, lower is better)
    rows = [("first_byte_ms", "first byte, ms", "{:.0f}", 1, True),
            ("first_byte_fetch", "fetched to 1st byte, KiB", "{:.0f}", 1024, True),
            ("seq_mib_s", "seq dd 1M, MiB/s", "{:.0f}", 1, False),
            ("seq_fetch", "fetched by seq, MiB", "{:.1f}", 1048576, True),
            ("rand4m_fetch", "4 MiB read: fetched, KiB", "{:.0f}", 1024, True),
            ("rand4m_requests", "4 MiB read: requests", "{:.0f}", 1, True),
            ("rand4m_ms", "4 MiB read: ms", "{:.0f}", 1, True)]
    res = {s: {k: run.median(s, k) for k in [r[0] for r in rows] + ["rand4m_body"]} for s in systems}
    peers = {"cairn-lz4": ["squashfuse-lz4", "squashfuse-lz4-cache", "cairn-lz4-nora"],
             "cairn-zstd": ["squashfuse-zstd", "squashfuse-zstd-cache", "qsd-qcow2-zstd", "cairn-zstd-nora"]}
    short = {"squashfuse-lz4": "sqfuse", "squashfuse-lz4-cache": "sqfuse-c", "cairn-lz4-nora": "no-RA",
             "squashfuse-zstd": "sqfuse", "squashfuse-zstd-cache": "sqfuse-c", "qsd-qcow2-zstd": "qsd",
             "cairn-zstd-nora": "no-RA"}
    pairs = [(a, b) for a, bs in peers.items() for b in bs if a in systems and b in systems]

    def ratio(a, b, k):
        va, vb = res[a][k], res[b][k]
        return None if va is None or vb is None or vb == 0 else va / vb
    ratios = {"%s/%s" % p: {r[0]: ratio(p[0], p[1], r[0]) for r in rows} for p in pairs}
    sizes_d = sizes_of(sizes)
    stalls = run.lines("stalls.txt")
    failed = run.any_failed()

    lines = [run.header,
             "page cache: %s (dropped before every mount and every test); fresh mount and empty disk caches "
             "per test; zstd level: %s" % (caches, zlevel or "each tool's default"),
             "fetched = nginx's $bytes_sent (headers included); squashfuse-*: squashfuse inside httpdirfs "
             "(-cache: httpdirfs --cache); *-nora: -Dcairn.remote.readAhead=0", ""]
    w = max(12, max(len(s) for s in systems) + 1)
    lines.append("%-26s" % "test" + "".join("%*s" % (w, s) for s in systems))
    for k, label, f, scale, _ in rows:
        lines.append("%-26s" % label + "".join(
            "%*s" % (w, "-" if res[s][k] is None else f.format(res[s][k] / scale)) for s in systems))
    lines.append("")
    ratio_table(lines, "Cairn ÷ peer (seq MiB/s: above 1 is better for Cairn; the others: below 1)",
                26, rows, pairs, short, ratios)
    size_lines(lines, "served sizes", image_bytes, sizes_d, SIZE_NAMES)
    problems(lines, stalls, "stalled reads, each run again once on a fresh mount:")
    problems(lines, run.errors)
    obj = {
        "bench": "remote", "command": cmdline, "image": image, "image_bytes": image_bytes,
        "quick": quick == "1", "repeat": int(repeat), "caches": caches,
        "zstd_level": int(zlevel) if zlevel else None, "header": run.header.splitlines(),
        "sizes": {SIZE_NAMES[k].replace(" ", "-"): v for k, v in sizes_d.items()},
        "systems": {s: {"first_byte_ms": res[s]["first_byte_ms"], "first_byte_fetch_bytes": res[s]["first_byte_fetch"],
                        "seq_mib_s": res[s]["seq_mib_s"], "seq_fetch_bytes": res[s]["seq_fetch"],
                        "rand4m_fetch_bytes": res[s]["rand4m_fetch"], "rand4m_body_bytes": res[s]["rand4m_body"],
                        "rand4m_requests": res[s]["rand4m_requests"], "rand4m_ms": res[s]["rand4m_ms"],
                        "runs": run.raw.get(s, {})} for s in systems},
        "ratios": {k: {t: (None if v is None else round(v, 3)) for t, v in d.items()} for k, d in ratios.items()},
        "stalls": stalls, "errors": run.errors, "pass": not failed and not run.errors,
    }
    return emit("remote", out, lines, obj, 1 if failed else 0)


def fio_iops(path, rw):
    text = open(path).read()
    job = json.loads(text[text.index("{"):])["jobs"][0]
    if job.get("error"):
        return 1
    print("%.0f" % job[rw]["iops"])
    return 0


def stats_pid(path):
    print(json.load(open(path))["mount"]["pid"])
    return 0


def thin_info():
    i = json.load(sys.stdin)
    s = i["streams"][0]
    print(i["file_bytes"], s["parent_blocks"], s["compressed_blocks"] + s["raw_blocks"], s["blocks"])
    return 0


def scatter(path, total, seed):
    total = int(total)
    rng = random.Random(int(seed))
    size = os.path.getsize(path)
    fd = os.open(path, os.O_WRONLY)
    while total > 0:
        n = min(total, rng.randrange(1, 65) * 4096)
        off = rng.randrange(0, (size - n) // 4096 + 1) * 4096
        os.pwrite(fd, rng.randbytes(n), off)
        total -= n
    os.fsync(fd)
    os.close(fd)
    return 0


def rewrite16(path):
    rng = random.Random(20260401)
    piece, taken = 256 * 1024, []
    size = os.path.getsize(path)
    fd = os.open(path, os.O_WRONLY)
    while len(taken) < 16:
        off = rng.randrange(0, (size - piece) // 4096 + 1) * 4096
        if any(off < t + piece and t < off + piece for t in taken):
            continue
        taken.append(off)
        os.pwrite(fd, rng.randbytes(piece), off)
    os.fsync(fd)
    os.close(fd)
    return 0


def change_set(rand, size, total, piece, seed, *targets):
    size, total, piece = int(size), int(total), int(piece)
    targets = [t for t in targets if t]
    n = total // piece
    slot = (size // n) // 4096 * 4096           # one piece per slot: scattered, never overlapping
    assert slot >= piece, "image too small for the change set"
    rng = random.Random(int(seed))
    offs = [i * slot + rng.randrange(0, (slot - piece) // 4096 + 1) * 4096 for i in range(n)]
    rng.shuffle(offs)                            # written in random order
    data = open(rand, "rb").read(n * piece)
    times = []
    for t in targets:
        fd = os.open(t, os.O_WRONLY)
        t0 = time.monotonic()
        for i, off in enumerate(offs):
            os.pwrite(fd, data[i * piece:(i + 1) * piece], off)
        os.fsync(fd)
        times.append(time.monotonic() - t0)
        os.close(fd)
    print("%.2f" % times[0])
    return 0


def rand_offset(seed, image):
    rng = random.Random(int(seed))
    zero = bytes(65536)
    with open(image, "rb") as f:
        pages = os.fstat(f.fileno()).st_size // 4096
        for _ in range(10000):
            off = rng.randrange(1024, pages - 2048) * 4096
            f.seek(off)
            data = f.read(4 << 20)
            if all(data[i:i + 65536] != zero for i in range(0, len(data), 65536)):
                break
    print(off)
    return 0


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    print(s.getsockname()[1])
    return 0


COMMANDS = {"chain": chain, "write": write, "read": read, "remote": remote, "fio-iops": fio_iops,
            "stats-pid": stats_pid, "thin-info": thin_info, "scatter": scatter, "rewrite16": rewrite16,
            "change-set": change_set, "rand-offset": rand_offset, "free-port": free_port}

if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in COMMANDS:
        sys.exit("usage: report.py %s ARGS..." % "|".join(COMMANDS))
    sys.exit(COMMANDS[sys.argv[1]](*sys.argv[2:]))
