// The control API against a real mount: snapshots follow writes, each coffer ctl command takes effect, owner only.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { randomBytes } from "node:crypto";
import { existsSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { CofferSandbox } from "../support/coffer-cli.ts";
import { subscribe } from "../../src/control/client.ts";
import { systemSocketPath } from "../../src/control/paths.ts";
import { cofferMounts } from "../../src/control/discover.ts";
import type { Snapshot } from "../../src/control/protocol.ts";
import { cacheDirFor } from "../../src/fs/mount.ts";

setDefaultTimeout(120_000); // per file: bun test ignores bunfig's timeout (docs/testing.md)

describe("control API on a real mount", () => {
  const box = new CofferSandbox();
  const store = box.dir("store");
  const url = `local://${store}`;
  const mnt = box.dir("mnt");
  const cacheRoot = box.dir("cache");
  const stat = async (): Promise<Snapshot> => {
    const r = await box.coffer(["stat", "--json", mnt]);
    expect(r.stderr).toBe("");
    return JSON.parse(r.stdout) as Snapshot;
  };

  beforeAll(async () => {
    box.addAuth(url, {});
    expect((await box.coffer(["mkfs", "--plain", "--authfile", box.authfile, url])).code).toBe(0);
    const mounted = await box.mount(url, mnt, ["--cachedir", cacheRoot]);
    expect(mounted.stderr).toBe("");
    expect(mounted.code).toBe(0);
  }, 60_000);
  afterAll(() => box.cleanup(), 120_000);

  test("the snapshot changes after writes", async () => {
    const before = await stat();
    expect(before.state).toBe("running");
    expect(cofferMounts()).toContain(mnt); // what coffer dash without arguments shows
    writeFileSync(join(mnt, "eight.bin"), randomBytes(8 << 20));
    const after = await stat();
    expect(after.space.logicalBytes - before.space.logicalBytes).toBe(8 << 20);
    expect(after.space.entries).toBe(before.space.entries + 1);
    expect(after.cache.usedBytes).toBeGreaterThanOrEqual(before.cache.usedBytes + (8 << 20));
  }, 60_000);

  test("the subscription delivers updates during a write", async () => {
    const seen: Snapshot[] = [];
    const sub = subscribe(mnt, 100, (s) => seen.push(s));
    try {
      for (let i = 0; i < 12; i++) {
        writeFileSync(join(mnt, `sub-${i}.bin`), randomBytes(1 << 20));
        await Bun.sleep(150);
      }
      const sizes = new Set(seen.map((s) => s.space.logicalBytes));
      expect(sizes.size).toBeGreaterThanOrEqual(3);
      expect(Math.max(...sizes) - Math.min(...sizes)).toBeGreaterThanOrEqual(2 << 20);
    } finally {
      sub.close();
    }
  }, 60_000);

  test("ctl flushcache leaves 0 dirty bytes and the metadata stored", async () => {
    writeFileSync(join(mnt, "flush-me.bin"), randomBytes(4 << 20));
    expect((await stat()).cache.dirtyBytes).toBeGreaterThan(0);
    const r = await box.coffer(["ctl", "flushcache", mnt]);
    expect(r.stderr).not.toContain("coffer:");
    expect(r.code).toBe(0);
    const s = await stat();
    expect(s.cache.dirtyBytes).toBe(0);
    expect(s.cache.dirtyBlocks).toBe(0);
    expect(s.metadata.pending).toBe(false);
  }, 60_000);

  test("ctl dropcache leaves no clean block cached; data reads back from the store", async () => {
    const data = randomBytes(6 << 20);
    writeFileSync(join(mnt, "drop-me.bin"), data);
    const r = await box.coffer(["ctl", "dropcache", mnt]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Dropped \d+ cached blocks/);
    const s = await stat();
    expect(s.cache.entries).toBe(0);
    expect(s.cache.usedBytes).toBe(0);
    expect(readdirSync(join(cacheDirFor(cacheRoot, url), "blocks"))).toEqual([]);
    // O_DIRECT: the kernel's page cache still holds what was written; this read must reach the daemon
    const read = Bun.spawnSync(["dd", `if=${join(mnt, "drop-me.bin")}`, "iflag=direct", "bs=1M", "status=none"]);
    expect(read.exitCode).toBe(0);
    expect(Buffer.from(read.stdout).equals(data)).toBe(true);
    expect((await stat()).downloads.totalBytes - s.downloads.totalBytes).toBeGreaterThanOrEqual(6 << 20);
  }, 60_000);

  test("ctl cachesize changes the cap seen in stat; a bad size is one line", async () => {
    const r = await box.coffer(["ctl", "cachesize", "300M", mnt]);
    expect(r.code).toBe(0);
    expect((await stat()).cache.capBytes).toBe(300 << 20);
    const bad = await box.coffer(["ctl", "cachesize", "lots", mnt]);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr.trim().split("\n")).toHaveLength(1);
    expect(bad.stderr).toContain(`"lots" is not a size`);
  }, 60_000);

  test("ctl upload-meta stores a new metadata version", async () => {
    writeFileSync(join(mnt, "meta-change"), "x");
    const before = (await stat()).metadata.version;
    const r = await box.coffer(["ctl", "upload-meta", mnt]);
    expect(r.code).toBe(0);
    expect((await stat()).metadata.version).toBeGreaterThan(before);
  }, 60_000);

  test("ctl log debug writes activity lines to the daemon's log; an unknown level is one line", async () => {
    const r = await box.coffer(["ctl", "log", "debug", mnt]);
    expect(r.code).toBe(0);
    expect((await stat()).logLevel).toBe("debug");
    expect(box.log()).toMatch(/activity: state running, cache \d+\/\d+ B/);
    const bad = await box.coffer(["ctl", "log", "loud", mnt]);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr.trim()).toBe(`coffer: unknown log level "loud"; use one of: info, debug`);
    expect((await box.coffer(["ctl", "log", "info", mnt])).code).toBe(0);
  }, 60_000);

  test("a user other than the owner cannot connect", async () => {
    const socket = systemSocketPath(mnt);
    expect(existsSync(socket)).toBe(true);
    // the socket itself refuses nobody, whatever a client does
    const py = Bun.spawnSync(["runuser", "-u", "nobody", "--", "python3", "-c",
      "import socket,sys\ns=socket.socket(socket.AF_UNIX)\ntry:\n s.connect(sys.argv[1]); print('connected')\nexcept PermissionError: print('refused')", socket]);
    expect(py.stdout.toString().trim()).toBe("refused");
    // and the real client, run as nobody, says so in one line
    const asNobody = Bun.spawnSync(["runuser", "-u", "nobody", "--", process.execPath, join(import.meta.dir, "../../bin/coffer"), "stat", mnt], {
      env: { ...process.env, HOME: "/nonexistent" },
    });
    expect(asNobody.exitCode).not.toBe(0);
    const stderr = asNobody.stderr.toString().trim();
    expect(stderr.split("\n")).toHaveLength(1);
    expect(stderr).toContain("belongs to another user: only the user who mounted it may control it");
  }, 60_000);
});
