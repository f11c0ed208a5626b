// The control protocol at its boundary: malformed, mis-versioned and unknown messages get one clear error, both ways.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { connect, createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ControlServer, type ControlHandlers } from "../../../src/control/server.ts";
import { controlRequest, fetchSnapshot, subscribe } from "../../../src/control/client.ts";
import { controlSocketPath } from "../../../src/control/paths.ts";
import { PROTOCOL_VERSION, type Snapshot } from "../../../src/control/protocol.ts";

setDefaultTimeout(120_000); // per file: bun test ignores bunfig's timeout (docs/testing.md)

const snapshot = (dirtyBytes: number): Snapshot => ({
  url: "local:///x", mountpoint: "/m", pid: process.pid, state: "running", at: Date.now(), uptimeMs: 5, logLevel: "info",
  cache: { usedBytes: 10, capBytes: 100, entries: 1, dirtyBytes, dirtyBlocks: dirtyBytes ? 1 : 0 },
  uploads: { queuedBlocks: 0, queuedBytes: 0, inFlight: 0, bytesPerSecond: 0, totalBytes: 0 },
  downloads: { inFlight: 0, bytesPerSecond: 0, totalBytes: 0 },
  store: { attempts: 0, retries: 0, failures: 0, latencyMs: null, lastError: null },
  metadata: { version: 1, lastShippedAt: null, pending: false, lagMs: 0 },
  space: { entries: 0, inodes: 1, logicalBytes: 0, dedupBytes: 0, storedBytes: 0, storedObjects: 0 },
});

/** Sends one raw line to a socket and returns every line of the answer. */
function rawExchange(path: string, line: string): Promise<string[]> {
  return new Promise((resolve, reject) => {
    let text = "";
    const socket = connect(path, () => socket.write(line));
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => (text += chunk));
    socket.on("error", reject);
    socket.on("close", () => resolve(text.split("\n").filter(Boolean)));
  });
}

describe("control server", () => {
  const dir = mkdtempSync(join(tmpdir(), "coffer-control-"));
  const mountpoint = join(dir, "mnt"); // never mounted: only names the socket
  const path = controlSocketPath(mountpoint);
  let dirty = 7;
  const calls: string[] = [];
  const handlers: ControlHandlers = {
    snapshot: () => snapshot(dirty),
    stat: () => snapshot(dirty),
    flush: async (_r, progress) => {
      progress({ phase: "blocks", dirtyBytes: 7, uploadedBytes: 0 });
      dirty = 0;
      calls.push("flush");
    },
    umount: async () => void calls.push("umount"),
    dropcache: () => ({ droppedBlocks: 3 }),
    "upload-meta": async () => ({ version: 2 }),
    cachesize: (r) => ({ capBytes: r.bytes }),
    log: (r) => ({ level: r.level }),
  };
  const server = new ControlServer(path, handlers, () => {});
  beforeAll(() => server.start());
  afterAll(() => {
    server.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test("a request that is not JSON gets one error line", async () => {
    const lines = await rawExchange(path, "{nope\n");
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toEqual({ v: PROTOCOL_VERSION, type: "error", message: "control request is not JSON" });
  });

  test("an unknown command is named in the error", async () => {
    const [line] = await rawExchange(path, JSON.stringify({ v: PROTOCOL_VERSION, op: "format-disk" }) + "\n");
    expect(JSON.parse(line!).message).toMatch(/^malformed control request \(op: /);
  });

  test("a bad argument is named in the error", async () => {
    const [line] = await rawExchange(path, JSON.stringify({ v: PROTOCOL_VERSION, op: "cachesize", bytes: "lots" }) + "\n");
    expect(JSON.parse(line!).message).toMatch(/^malformed control request \(bytes: /);
  });

  test("a client of another protocol version (or none) gets one line telling it what to do", async () => {
    for (const request of [{ op: "stat" }, { v: PROTOCOL_VERSION - 1, op: "stat" }]) {
      const lines = await rawExchange(path, JSON.stringify(request) + "\n");
      expect(lines).toHaveLength(1);
      const reply = JSON.parse(lines[0]!);
      expect(reply.type).toBe("error");
      expect(reply.message).toContain(`speaks control protocol v${PROTOCOL_VERSION}`);
      expect(reply.message).toContain("use the coffer command of the same version");
    }
  });

  test("commands reach their handlers; progress comes before done", async () => {
    const progress: number[] = [];
    await controlRequest(mountpoint, { op: "flush" }, (p) => progress.push(p.dirtyBytes));
    expect(progress).toEqual([7]);
    expect(calls).toContain("flush");
    expect(await controlRequest(mountpoint, { op: "cachesize", bytes: 2 << 20 })).toEqual({ capBytes: 2 << 20 });
    expect(await controlRequest(mountpoint, { op: "log", level: "debug" })).toEqual({ level: "debug" });
    expect((await fetchSnapshot(mountpoint)).cache.dirtyBytes).toBe(0);
  });

  test("a subscription receives snapshots until the client closes it", async () => {
    const seen: Snapshot[] = [];
    const sub = subscribe(mountpoint, 100, (s) => seen.push(s));
    for (let i = 0; i < 100 && seen.length < 3; i++) await Bun.sleep(50);
    expect(seen.length).toBeGreaterThanOrEqual(3);
    sub.close();
    expect(await sub.ended).toBeNull();
  });
});

describe("control client", () => {
  const dir = mkdtempSync(join(tmpdir(), "coffer-control-client-"));
  const mountpoint = join(dir, "mnt");
  let reply = "";
  let fake: Server;
  beforeAll(async () => {
    fake = createServer((socket) => socket.once("data", () => socket.end(reply)));
    await new Promise<void>((resolve) => fake.listen(controlSocketPath(mountpoint), resolve));
  });
  afterAll(() => {
    fake.close();
    rmSync(controlSocketPath(mountpoint), { force: true });
    rmSync(dir, { recursive: true, force: true });
  });

  test("a daemon of another protocol version is reported in one line", async () => {
    reply = JSON.stringify({ v: PROTOCOL_VERSION + 1, type: "done" }) + "\n";
    const error = await controlRequest(mountpoint, { op: "flush" }).catch((e: Error) => e);
    expect((error as Error).message).toContain("speaks another control protocol (version 2; this coffer speaks v1)");
  });

  test("a malformed reply is reported in one line, naming the field", async () => {
    reply = JSON.stringify({ v: PROTOCOL_VERSION, type: "progress", progress: { phase: "blocks" } }) + "\n";
    const error = await controlRequest(mountpoint, { op: "flush" }).catch((e: Error) => e);
    expect((error as Error).message).toMatch(/sent an unreadable reply \(progress\.dirtyBytes: .*\); see its log$/);
  });

  test("a snapshot missing fields is refused", async () => {
    const broken = { ...snapshot(0), cache: undefined };
    reply = JSON.stringify({ v: PROTOCOL_VERSION, type: "done", result: broken }) + "\n";
    const error = await fetchSnapshot(mountpoint).catch((e: Error) => e);
    expect((error as Error).message).toMatch(/sent an unreadable snapshot \(cache: .*\); see its log$/);
  });

  test("no socket: one line saying no daemon serves the path", async () => {
    const error = await controlRequest(join(dir, "elsewhere"), { op: "flush" }).catch((e: Error) => e);
    expect((error as Error).message).toBe(`no coffer daemon serves ${join(dir, "elsewhere")}; check the path, or mount it with coffer mount`);
  });
});
