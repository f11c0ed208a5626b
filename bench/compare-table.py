#!/usr/bin/env python3
"""Turns bench/compare.sh's JSON lines into a Markdown table of medians and issue 11's done-when ratios."""
import json, statistics, sys

TARGETS = ["plain", "bindfs", "coffer-local", "coffer-s3c", "rclone"]
# (row title, fsbench test or None for compare.sh's own figures, field, higher is better)
ROWS = [
    ("seq write 1M, MB/s", "seq_write_1M", "mb_s", True),
    ("seq read warm, MB/s", "seq_read_warm_1M", "mb_s", True),
    ("seq read cold (empty cache), MB/s", "seq_read_cold_1M", "mb_s", True),
    ("rand read 4k, MB/s", "rand_read_4k", "mb_s", True),
    ("rand write 4k, MB/s", "rand_write_4k", "mb_s", True),
    ("create 4k files /s", "create_4k_files", "per_s", True),
    ("stat /s", "stat_files", "per_s", True),
    ("readdir 2000, ms", "readdir", "ms", False),
    ("read 4k files /s", "read_4k_files", "per_s", True),
    ("unlink /s", "unlink_files", "per_s", True),
    ("tree copy, s", "copy_tree", "s", False),
    ("settle, s", "settle", "s", False),
    ("stored MB", "backend_bytes", "stored_mb", False),
    ("rm -rf, s", "rm_rf", "s", False),
    ("mount, s", None, "mount_s", False),
    ("remount with empty cache, s", None, "remount_empty_cache_s", False),
    ("daemon peak RSS, MB", None, "rss_mb", False),
]


def value(rec, test, field):
    if test is None:
        return rec.get(field)
    v = rec["fsbench"].get(test, {})
    return v.get(field) if isinstance(v, dict) else None


def main():
    recs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
    med = {}
    for t in TARGETS:
        for title, test, field, _ in ROWS:
            vals = [v for r in recs if r["target"] == t for v in [value(r, test, field)] if v is not None]
            med[t, title] = (statistics.median(vals), vals) if vals else (None, [])
    runs = max((r["run"] for r in recs), default=0)
    print(f"Medians of {runs} run(s) (each run's values in brackets, in run order):\n")
    print("| | " + " | ".join(TARGETS) + " |")
    print("|---" * (len(TARGETS) + 1) + "|")
    for title, *_ in ROWS:
        cells = []
        for t in TARGETS:
            m, vals = med[t, title]
            cells.append("–" if m is None else f"{m:g}" + (f" ({', '.join(f'{v:g}' for v in vals)})" if len(vals) > 1 else ""))
        print(f"| {title} | " + " | ".join(cells) + " |")
    print("\nLoad at the start of each target's fsbench: " +
          "; ".join(f"run {r['run']} {r['target']} {r['load']}" for r in recs))

    def m(t, title):
        return med[t, title][0]

    def ratio(a, b):
        return None if a is None or not b else a / b

    print("\nIssue 11 done-when, from this run (Coffer on s3c:// unless said otherwise):\n")
    print("| target | Coffer s3c | Coffer local | met? |")
    print("|---|---|---|---|")

    def absolute(name, title, ok):
        s, l = m("coffer-s3c", title), m("coffer-local", title)
        verdict = "–" if s is None else ("met" if ok(s) else "not met")
        print(f"| {name} | {s} | {l} | {verdict} |")

    def relative(name, title, other, bound, higher):
        s, l, o = m("coffer-s3c", title), m("coffer-local", title), m(other, title)
        rs, rl = ratio(s, o), ratio(l, o)
        ok = rs is not None and (rs >= bound if higher else rs <= bound)
        fmt = lambda r: "–" if r is None else f"{r:.2f}×"
        print(f"| {name} | {fmt(rs)} | {fmt(rl)} | {'met' if ok else 'not met'} |")

    absolute("stat ≥ 40k/s", "stat /s", lambda v: v >= 40000)
    absolute("readdir of 2000 ≤ 3 ms", "readdir 2000, ms", lambda v: v <= 3)
    absolute("reading 4 KiB files ≥ 10k/s", "read 4k files /s", lambda v: v >= 10000)
    absolute("creates ≥ 4k/s", "create 4k files /s", lambda v: v >= 4000)
    absolute("random 4 KiB writes ≥ 200 MB/s", "rand write 4k, MB/s", lambda v: v >= 200)
    absolute("tree copy ≤ 0.5 s", "tree copy, s", lambda v: v <= 0.5)
    relative("tree copy ≤ 0.5× rclone", "tree copy, s", "rclone", 0.5, False)
    relative("seq write ≥ 0.8× plain", "seq write 1M, MB/s", "plain", 0.8, True)
    relative("seq write ≥ 1.0× rclone", "seq write 1M, MB/s", "rclone", 1.0, True)
    relative("cold seq read ≥ 1.2× rclone", "seq read cold (empty cache), MB/s", "rclone", 1.2, True)
    relative("warm seq read ≥ 0.9× plain", "seq read warm, MB/s", "plain", 0.9, True)
    relative("random 4 KiB reads ≥ 0.9× bindfs", "rand read 4k, MB/s", "bindfs", 0.9, True)
    absolute("unlink ≥ 10k/s", "unlink /s", lambda v: v >= 10000)
    absolute("mount with an empty cache ≤ 1 s", "remount with empty cache, s", lambda v: v <= 1)
    absolute("every mount ≤ 1 s (fresh fs)", "mount, s", lambda v: v <= 1)
    absolute("daemon peak RSS < 200 MB", "daemon peak RSS, MB", lambda v: v < 200)


if __name__ == "__main__":
    main()
