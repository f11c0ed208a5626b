// Dashboard frames for given states (ink-testing-library): idle, uploading, store error, final flush, safe, lost.
import { describe, expect, setDefaultTimeout, test } from "bun:test";
import React from "react";
import { render } from "ink-testing-library";
import { Dashboard } from "../../../src/tui/dashboard.tsx";
import { initialView, withEnd, withMessage, withSnapshot, type MountView } from "../../../src/tui/model.ts";
import { plainLine } from "../../../src/tui/plain.ts";
import type { Snapshot } from "../../../src/control/protocol.ts";

setDefaultTimeout(120_000); // per file: bun test ignores bunfig's timeout (docs/testing.md)

const NOW = 1_800_000_000_000;
const MiB = 1 << 20;

function snap(change: (s: Snapshot) => void = () => {}): Snapshot {
  const s: Snapshot = {
    url: "s3c://127.0.0.1:9000/bucket", mountpoint: "/srv/coffer", pid: 4242, state: "running", at: NOW, uptimeMs: 3_600_000, logLevel: "info",
    cache: { usedBytes: 2048 * MiB, capBytes: 10240 * MiB, entries: 512, dirtyBytes: 0, dirtyBlocks: 0 },
    uploads: { queuedBlocks: 0, queuedBytes: 0, inFlight: 0, bytesPerSecond: 0, totalBytes: 4096 * MiB },
    downloads: { inFlight: 0, bytesPerSecond: 0, totalBytes: 0 },
    store: { attempts: 900, retries: 0, failures: 0, latencyMs: 42, lastError: null },
    metadata: { version: 17, lastShippedAt: NOW - 4000, pending: false, lagMs: 0 },
    space: { entries: 1200, inodes: 1100, logicalBytes: 8192 * MiB, dedupBytes: 6144 * MiB, storedBytes: 4096 * MiB, storedObjects: 1536 },
  };
  change(s);
  return s;
}

const viewOf = (...snapshots: Snapshot[]): MountView => snapshots.reduce(withSnapshot, initialView("/srv/coffer"));

function frame(view: MountView, width = 80, height = 24): string {
  const { lastFrame, unmount } = render(<Dashboard views={[view]} selected={0} width={width} height={height} showHelp={false} now={NOW} />);
  const text = lastFrame() ?? "";
  unmount();
  return text;
}

/** The frame fits the terminal: no line wider than it, at most `rows` lines. */
function expectFits(text: string, columns: number, rows: number): void {
  const lines = text.split("\n");
  expect(lines.length).toBeLessThanOrEqual(rows);
  for (const line of lines) expect(line.length).toBeLessThanOrEqual(columns);
}

describe("dashboard frames", () => {
  test("idle: clean, up to date, no errors; fits 80x24", () => {
    const text = frame(viewOf(snap()));
    expect(text).toContain("/srv/coffer");
    expect(text).toContain("running");
    expect(text).toContain("used 2.00 GiB of 10.0 GiB, 20%");
    expect(text).toContain("dirty 0 B, 0 blocks");
    expect(text).toContain("0 B/s, clean");
    expect(text).toContain("no errors");
    expect(text).toContain("version 17");
    expect(text).toContain("up to date");
    expect(text).toContain("logical 8.00 GiB in 1200 entries");
    expect(text).not.toContain("power off");
    expectFits(text, 80, 24);
  });

  test("uploading: queue, rate, sparkline and time to clean", () => {
    const rates = [5, 10, 20, 20].map((r) => r * MiB);
    const snapshots = rates.map((rate) => snap((s) => {
      s.cache.dirtyBytes = s.uploads.queuedBytes = 200 * MiB;
      s.cache.dirtyBlocks = s.uploads.queuedBlocks = 50;
      s.uploads.inFlight = 4;
      s.uploads.bytesPerSecond = rate;
      s.metadata.pending = true;
      s.metadata.lagMs = 6000;
    }));
    const text = frame(viewOf(...snapshots));
    expect(text).toContain("50 blocks, 200.0 MiB; 4 uploading");
    expect(text).toContain("20.0 MiB/s, clean in 10 s");
    expect(text).toMatch(/[▁▂▃▄▅▆▇]+█/);
    expect(text).toContain("changes waiting 6 s");
    expectFits(text, 80, 24);
  });

  test("store error: retries and the last error with its age", () => {
    const text = frame(viewOf(snap((s) => {
      s.store.retries = 12;
      s.store.failures = 1;
      s.store.lastError = { kind: "transient", message: "put data/1 failed: ECONNREFUSED", at: NOW - 5000 };
      s.cache.dirtyBytes = s.uploads.queuedBytes = 64 * MiB;
      s.cache.dirtyBlocks = s.uploads.queuedBlocks = 16;
    })));
    expect(text).toContain("42 ms latency, 12 retries, 1 failed");
    expect(text).toContain("last error 5 s ago:");
    expect(text).toContain("put data/1 failed: ECONNREFUSED");
    expect(text).toContain("0 B/s, not uploading yet");
    expectFits(text, 80, 24);
  });

  test("store error: a message too long for the panel keeps its end, where the cause is", () => {
    const message = "writing data/a80380f22ed83da21c2f3212-116: ENOSPC: no space left on device, write";
    const text = frame(viewOf(snap((s) => (s.store.lastError = { kind: "permanent", message, at: NOW - 2000 }))));
    expect(text).toContain("…");
    expect(text.replace(/[│ \n]/g, "")).toContain("ENOSPC:nospaceleftondevice,write");
    expectFits(text, 80, 24);
  });

  test("flushing at shutdown: progress of the final flush and time left", () => {
    const text = frame(viewOf(
      snap((s) => ((s.state = "unmounting"), (s.cache.dirtyBytes = 300 * MiB))),
      snap((s) => ((s.state = "unmounting"), (s.cache.dirtyBytes = 100 * MiB), (s.uploads.bytesPerSecond = 50 * MiB))),
    ));
    expect(text).toContain("unmounting");
    expect(text).toContain("Final flush");
    expect(text).toContain("200.0 MiB of 300.0 MiB stored");
    expect(text).toContain("2 s left; do not power off yet");
    expect(text).not.toContain("Safe to power off");
    expectFits(text, 80, 24);
  });

  test("plain line of a final flush with nothing dirty says so, not 0 B of 0 B", () => {
    const view = viewOf(snap((s) => (s.state = "unmounting")));
    expect(plainLine(view)).toBe("/srv/coffer: final flush, no dirty data, storing the metadata; do not power off");
  });

  test("the final flush clears an earlier key's outcome", () => {
    const flushed = withMessage(viewOf(snap()), "/srv/coffer: flushed: every dirty block and the metadata are stored");
    expect(frame(flushed)).toContain("flushed: every dirty block");
    const ending = withSnapshot(flushed, snap((s) => ((s.state = "unmounting"), (s.cache.dirtyBytes = 8 * MiB))));
    expect(frame(ending)).not.toContain("flushed: every dirty block");
  });

  test("safe to power off: the daemon said stopped, then exited", () => {
    const view = withEnd(viewOf(
      snap((s) => ((s.state = "unmounting"), (s.cache.dirtyBytes = 300 * MiB))),
      snap((s) => (s.state = "stopped")),
    ), null);
    const text = frame(view);
    expect(text).toContain("Everything is stored.");
    expect(text).toContain("Safe to power off.");
    expect(text).not.toContain("do not power off");
    expectFits(text, 80, 24);
    expect(plainLine(view)).toBe("/srv/coffer: unmounted, everything is stored; safe to power off");
  });

  test("a daemon that vanished mid-flush is NOT safe", () => {
    const view = withEnd(viewOf(snap((s) => ((s.state = "unmounting"), (s.cache.dirtyBytes = 300 * MiB)))), null);
    const text = frame(view);
    expect(text).toContain("NOT safe");
    expect(text).not.toContain("Safe to power off");
    expect(plainLine(view)).toMatch(/^\/srv\/coffer: NOT safe: the daemon exited before storing everything/);
  });

  test("a 200-column terminal gets three columns of panels", () => {
    const wide = frame(viewOf(snap()), 200);
    const narrow = frame(viewOf(snap()), 80);
    expect(wide.split("\n").length).toBeLessThan(narrow.split("\n").length);
    expectFits(wide, 200, 50);
  });

  test("a tall terminal adds an upload-rate chart; 80x24 has none", () => {
    const view = [10, 20, 40, 80, 40, 0, 20].reduce((v, rate) => withSnapshot(v, snap((s) => (s.uploads.bytesPerSecond = rate * MiB))), initialView("/srv/coffer"));
    const tall = frame(view, 200, 50);
    expect(tall).toContain("Upload rate, last 4 s (peak 80.0 MiB/s)");
    expect(tall).toMatch(/█/);
    expectFits(tall, 200, 50);
    expect(frame(view, 80, 24)).not.toContain("Upload rate");
  });

  test("several mounts: one summary line each above the selected one's panels", () => {
    const other = withSnapshot(initialView("/srv/other"), snap((s) => ((s.mountpoint = "/srv/other"), (s.cache.dirtyBytes = 5 * MiB))));
    const { lastFrame, unmount } = render(<Dashboard views={[viewOf(snap()), other]} selected={1} width={80} showHelp={false} now={NOW} />);
    const text = lastFrame() ?? "";
    unmount();
    expect(text).toContain("1. /srv/coffer  running: dirty 0 B");
    expect(text).toContain("2. /srv/other  running: dirty 5.00 MiB");
    const gone = withEnd(initialView("/srv/gone"), "no coffer daemon serves /srv/gone; check the path, or mount it with coffer mount");
    const both = render(<Dashboard views={[gone, viewOf(snap())]} selected={0} width={80} showHelp={false} now={NOW} />);
    const shown = both.lastFrame() ?? "";
    both.unmount();
    expect(shown.split("no coffer daemon serves /srv/gone")).toHaveLength(2); // said once, in its detail view
    expectFits(text, 80, 24);
  });

  test("plain line while running names state, dirty data, rate and metadata", () => {
    const line = plainLine(viewOf(snap((s) => ((s.cache.dirtyBytes = 40 * MiB), (s.cache.dirtyBlocks = 10), (s.uploads.bytesPerSecond = 20 * MiB)))));
    expect(line).toBe("/srv/coffer: running, cache 2.00 GiB/10.0 GiB, dirty 40.0 MiB (10 blocks, clean in 2 s), upload 20.0 MiB/s x0, store 0 retries 0 failed, metadata v17");
  });
});
