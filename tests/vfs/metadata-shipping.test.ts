// Metadata shipping: log entries every interval, compaction, idle silence, tamper detection, O(dirty) recovery, fsyncs.
import { afterEach, describe, expect, setDefaultTimeout, test } from "bun:test";
import { join } from "node:path";
import { keysCodec } from "../../src/fs/blocks/keys-codec.ts";
import { fsyncHooks, type FsyncKind } from "../../src/fs/fsync.ts";
import { MetadataChainError, listGenerations, loadNewestGeneration, restorable, restoreGeneration } from "../../src/fs/metadata/generations.ts";
import { type CofferFs, MetadataRollbackError } from "../../src/fs/vfs/index.ts";
import { logKey, snapshotKey } from "../../src/fs/store/object-names.ts";
import { checkConsistency } from "./consistency.ts";
import { CountingBackend } from "./counting-backend.ts";
import { ROOT, type World, cleanupDirs, ctx, errnoOf, newWorld, randomData, readAll, resolve, tempDir, writeFile } from "./helpers.ts";

setDefaultTimeout(120_000); // per file: bun test ignores bunfig's timeout (docs/testing.md)

afterEach(() => {
  fsyncHooks.observer = null;
  cleanupDirs();
});

async function until(what: string, cond: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(10);
  }
}

/** `name` exists in the root directory and is a directory. */
async function expectDir(fs: CofferFs, name: string): Promise<void> {
  expect((await fs.lookup(ctx(), ROOT, name)).attr.mode & 0o170000).toBe(0o040000);
}

async function keysUnder(w: World, prefix: string): Promise<string[]> {
  const out: string[] = [];
  for await (const o of w.backend.list(prefix)) out.push(o.key);
  return out;
}

describe("metadata shipping", () => {
  test("changes are shipped as log entries every interval; a fresh machine restores them without any close", async () => {
    const w = await newWorld();
    const fs = await w.open(undefined, { metadataIntervalMs: 50, uploadDelayMs: 20 });
    const first = randomData(100_000, 1);
    await writeFile(fs, ROOT, "first", first);
    await fs.mkdir(ctx(), ROOT, "later", 0o755, 0);
    const second = randomData(70_000, 2);
    await writeFile(fs, ROOT, "second", second);
    const shipped = () => fs.stats().dirtyBytes === 0 && !fs.metadataShipping().unshipped;
    await until("blocks uploaded and metadata shipped", async () => shipped() && (await keysUnder(w, "meta/log-")).length > 0);
    expect(await keysUnder(w, "meta/db-")).toHaveLength(1); // only mkfs's snapshot: everything since came as logs
    await fs.abandonForTests(); // the machine is lost: no close, no final snapshot
    const elsewhere = await w.open(tempDir());
    expect(await readAll(elsewhere, await resolve(elsewhere, "first"))).toEqual(first);
    expect(await readAll(elsewhere, await resolve(elsewhere, "second"))).toEqual(second);
    await expectDir(elsewhere, "later");
    await elsewhere.close();
  });

  test("an idle filesystem ships nothing; a busy one ships only changed pages", async () => {
    let counting: CountingBackend | null = null;
    const w = await newWorld(64 * 1024, (b) => (counting = new CountingBackend(b)));
    const fs = await w.open(undefined, { metadataIntervalMs: 30 });
    for (let i = 0; i < 3000; i++) await fs.mknod(ctx(), ROOT, `entry-${i}`, 0o100644, 0, 0);
    await fs.flushAll(); // the first ship: a snapshot of the whole database
    const snapshotSize = fs.metadataShipping().shippedBytes;
    const idleFrom = counting!.calls.length;
    await Bun.sleep(600); // 20 intervals
    expect(counting!.since(idleFrom)).toEqual([]);
    const busyFrom = counting!.calls.length;
    const before = fs.metadataShipping().shippedBytes;
    await fs.mknod(ctx(), ROOT, "one-more", 0o100644, 0, 0);
    await until("the log entry", () => fs.metadataShipping().shippedBytes > before);
    const logSize = fs.metadataShipping().shippedBytes - before;
    const puts = counting!.since(busyFrom).filter((c) => c.op === "put");
    expect(puts.every((c) => c.key.startsWith("meta/log-"))).toBe(true);
    expect(logSize).toBeLessThan(snapshotSize / 5);
    console.log(`metadata: snapshot ${snapshotSize} B for 3000 entries, one mknod's log entry ${logSize} B`);
    await fs.close();
  });

  test("close compacts the logs into a snapshot; several snapshot generations stay; old logs go", async () => {
    const w = await newWorld();
    const cacheDir = tempDir();
    for (let round = 0; round < 4; round++) {
      const fs = await w.open(cacheDir, { keepSnapshots: 3 });
      for (let i = 0; i < 3; i++) {
        await fs.mkdir(ctx(), ROOT, `d${round}-${i}`, 0o755, 0);
        await fs.flushAll();
      }
      expect((await keysUnder(w, "meta/log-")).length).toBeGreaterThan(0);
      await fs.close();
      expect((await keysUnder(w, "meta/log-"))).toEqual([]);
    }
    const gens = await listGenerations(w.backend);
    expect(gens.snapshots.length).toBe(3);
    expect(gens.newest).toBe(gens.base);
    const fresh = await w.open();
    await expectDir(fresh, "d3-2");
    await fresh.close();
  });

  test("an older generation can be listed and restored as the current one (admin restore)", async () => {
    const w = await newWorld();
    const cacheDir = tempDir();
    let fs = await w.open(cacheDir);
    await fs.mkdir(ctx(), ROOT, "kept", 0o755, 0);
    await fs.close();
    const before = (await listGenerations(w.backend)).newest!;
    fs = await w.open(cacheDir);
    await fs.mkdir(ctx(), ROOT, "undone", 0o755, 0);
    await fs.close();
    const gens = await listGenerations(w.backend);
    expect(restorable(gens)).toContain(before);
    const now = await restoreGeneration(w.backend, keysCodec(w.keys), before);
    expect(now).toBe(gens.newest! + 2); // + 2: newest + 1 may be claimed by a crashed mount's pending put
    for (const dir of [cacheDir, tempDir()]) {
      const again = await w.open(dir); // the old cache sees a newer store and takes it
      await expectDir(again, "kept");
      expect(await errnoOf(() => again.lookup(ctx(), ROOT, "undone"))).toBe(2);
      await again.close();
    }
  });

  test("the newest generation names only objects in the store, also after removals", async () => {
    const w = await newWorld();
    const fs = await w.open(undefined, { removalIntervalMs: 10 });
    const ino = await writeFile(fs, ROOT, "f", randomData(200_000, 3));
    await fs.flushAll();
    const h = await fs.open(ctx(), ino, 2);
    await fs.write(ctx(), ino, h.fh, 0, randomData(200_000, 4), 0); // every block replaced: the old objects go
    await fs.flushAll();
    await fs.flushAll(); // a second ship lets the removal delete what the first unreferenced
    const { image } = await loadNewestGeneration(w.backend, keysCodec(w.keys));
    expect(await checkConsistency(image, w.backend)).toEqual([]);
    await fs.abandonForTests();
  });
});

describe("a ship whose answer is lost", () => {
  test("the put landed but reported failure: the retry is a snapshot of the same generation, the chain stays whole", async () => {
    let loseNext = false;
    const metaPuts: string[] = [];
    const w = await newWorld(64 * 1024, (b) => {
      const wrapped = Object.create(b) as typeof b;
      wrapped.put = async (key: string, data: Uint8Array) => {
        await b.put(key, data);
        if (key.startsWith("meta/")) metaPuts.push(key);
        if (loseNext && key.startsWith("meta/log-")) {
          loseNext = false;
          throw new Error("connection reset after the put (answer lost)");
        }
      };
      return wrapped;
    });
    const fs = await w.open();
    await fs.mkdir(ctx(), ROOT, "a", 0o755, 0);
    await fs.flushAll(); // a log
    await fs.mkdir(ctx(), ROOT, "b", 0o755, 0);
    loseNext = true;
    const gen = fs.metadataShipping().generation + 1; // the generation whose log lands with its answer lost
    await fs.flushAll(); // a flush never gives up on the metadata: it retries `gen` as a snapshot
    expect(w.logs.some((l) => l.includes("metadata upload failed (will retry)") && l.includes("answer lost"))).toBe(true);
    expect(metaPuts.slice(-2)).toEqual([logKey(gen), snapshotKey(gen)]); // the log landed, then the same generation as a snapshot
    const gens = await listGenerations(w.backend);
    expect([gens.base, gens.newest]).toEqual([gen, gen]); // snapshot `gen` outranks the stray log
    await fs.mkdir(ctx(), ROOT, "c", 0o755, 0);
    await fs.flushAll(); // and logs follow it again
    await fs.mkdir(ctx(), ROOT, "d", 0o755, 0);
    await fs.flushAll();
    expect((await listGenerations(w.backend)).newest).toBe(gen + 2);
    expect((await listGenerations(w.backend)).base).toBe(gen);
    await fs.abandonForTests();
    const fresh = await w.open();
    for (const n of ["a", "b", "c", "d"]) await expectDir(fresh, n);
    await fresh.close();
  });
});

describe("tampering with shipped metadata is detected on mount, never applied", () => {
  /** A filesystem whose store holds a snapshot and then logs; the cache directory is left as after a crash. */
  async function shippedLogs() {
    const w = await newWorld();
    const cacheDir = tempDir();
    const fs = await w.open(cacheDir);
    for (let i = 0; i < 4; i++) {
      await fs.mkdir(ctx(), ROOT, `d${i}`, 0o755, 0);
      await fs.flushAll();
    }
    await fs.abandonForTests();
    const gens = await listGenerations(w.backend);
    expect(gens.newest! - gens.base!).toBe(4); // mkfs's snapshot (downloaded: logs can follow it at once), then four logs
    return { w, cacheDir, base: gens.base!, newest: gens.newest! };
  }
  const oneLine = (e: unknown) => {
    expect((e as Error).message).not.toContain("\n");
    return (e as Error).message;
  };

  test("a log removed from the middle", async () => {
    const { w, cacheDir, base } = await shippedLogs();
    w.backend.delete(logKey(base + 2));
    for (const dir of [tempDir(), cacheDir]) {
      const e = await w.open(dir).catch((x) => x);
      expect(e).toBeInstanceOf(MetadataChainError);
      expect(oneLine(e)).toContain(`log ${base + 2} is missing`);
    }
  });

  test("a log replayed under a later name, or two logs swapped", async () => {
    const { w, base, newest } = await shippedLogs();
    const saved = await w.backend.get(logKey(newest));
    await w.backend.put(logKey(newest), await w.backend.get(logKey(base + 1))); // replay
    expect(oneLine(await w.open().catch((x) => x))).toMatch(/corrupted|misplaced/);
    await w.backend.put(logKey(newest), saved);
    const a = await w.backend.get(logKey(base + 1));
    await w.backend.put(logKey(base + 1), await w.backend.get(logKey(base + 2))); // reorder
    await w.backend.put(logKey(base + 2), a);
    expect(oneLine(await w.open().catch((x) => x))).toMatch(/corrupted|misplaced/);
  });

  test("the newest log removed (the store rolled back): this cache detects it", async () => {
    const { w, cacheDir, newest } = await shippedLogs();
    await w.backend.delete(logKey(newest));
    const e = await w.open(cacheDir).catch((x) => x);
    expect(e).toBeInstanceOf(MetadataRollbackError);
    expect(oneLine(e)).toContain(`generation ${newest}`);
  });

  test("an authentic log made to follow another image is refused by the chain", async () => {
    const { w, base, newest } = await shippedLogs();
    const codec = keysCodec(w.keys);
    const { decodePageLog, encodePageLog } = await import("../../src/fs/metadata/page-log.ts");
    const log = decodePageLog(await codec.decode("meta", logKey(base + 1), await w.backend.get(logKey(base + 1)), base + 1));
    // sealed correctly under its own name and generation, but made to follow another image
    const forged = encodePageLog({ ...log, prevChain: new Uint8Array(32) }).bytes;
    await w.backend.put(logKey(base + 1), await codec.encode("meta", logKey(base + 1), forged, base + 1));
    const e = await w.open().catch((x) => x);
    expect(e).toBeInstanceOf(MetadataChainError);
    expect(oneLine(e)).toContain(`log ${base + 1} does not follow`);
    expect(newest).toBeGreaterThan(base);
  });
});

describe("crash recovery and local durability", () => {
  test("recovery after a crash is O(dirty): no listing of data objects, only the dirty blocks are uploaded", async () => {
    let counting: CountingBackend | null = null;
    const w = await newWorld(64 * 1024, (b) => (counting = new CountingBackend(b)));
    const cacheDir = tempDir();
    const fs = await w.open(cacheDir);
    const old = randomData(1_000_000, 5);
    await writeFile(fs, ROOT, "uploaded-long-ago", old);
    await fs.flushAll();
    const data = randomData(300_000, 6); // 5 blocks of 64 KiB
    const ino = await writeFile(fs, ROOT, "fsynced", data);
    await fs.fsync(ctx(), ino, 0, false);
    await fs.abandonForTests();
    const from = counting!.calls.length;
    const again = await w.open(cacheDir);
    await again.flushAll();
    const calls = counting!.since(from);
    expect(calls.filter((c) => c.op === "list").every((c) => c.key.startsWith("meta/"))).toBe(true);
    expect(calls.filter((c) => c.op === "put" && c.key.startsWith("data/")).length).toBe(5);
    expect(calls.filter((c) => c.op === "get" && c.key.startsWith("data/"))).toEqual([]);
    expect(w.logs.some((l) => l.includes("5 dirty blocks to upload"))).toBe(true);
    expect(await readAll(again, await resolve(again, "fsynced"))).toEqual(data);
    await again.close();
  });

  test("an upload's commit is durable at COMMIT (synchronous=FULL); other commits stay NORMAL", async () => {
    const w = await newWorld();
    const fs = await w.open();
    await writeFile(fs, ROOT, "f", randomData(150_000, 7)); // 3 blocks
    expect(fs.durableCommits()).toBe(0);
    await fs.flushAll();
    expect(fs.durableCommits()).toBe(3);
    await fs.close();
    const { MetaDb } = await import("../../src/fs/meta/db.ts");
    const db = MetaDb.open(join(tempDir(), "m.db"));
    expect(db.synchronous()).toBe(1);
    expect(db.durableTx(() => db.synchronous())).toBe(2);
    expect(db.synchronous()).toBe(1);
    db.close();
  });

  test("fsync issues the fsyncs durability.md relies on: cache file data, its directory, the WAL and its directory", async () => {
    const w = await newWorld();
    const cacheDir = tempDir();
    const seen: [FsyncKind, string][] = [];
    fsyncHooks.observer = (k, p) => seen.push([k, p.slice(cacheDir.length + 1)]);
    const fs = await w.open(cacheDir);
    expect(seen).toContainEqual(["dir", ""]); // meta-state.json (and the blocks/ directory) made durable in the cache dir
    expect(seen).toContainEqual(["file", "meta-state.json.tmp"]);
    seen.length = 0;
    const ino = await writeFile(fs, ROOT, "f", randomData(200_000, 8)); // 4 blocks, one a memory block
    await fs.fsync(ctx(), ino, 0, false);
    for (const b of [0, 1, 2, 3]) expect(seen).toContainEqual(["datasync", `blocks/${ino}-${b}`]);
    expect(seen).toContainEqual(["dir", "blocks"]);
    expect(seen).toContainEqual(["file", "metadata.db-wal"]);
    expect(seen).toContainEqual(["dir", ""]); // the -wal file's name, once per session
    seen.length = 0;
    await fs.mkdir(ctx(), ROOT, "d", 0o755, 0);
    await fs.fsyncdir(ctx(), ROOT, 0, false);
    expect(seen).toContainEqual(["file", "metadata.db-wal"]);
    await fs.close();
    seen.length = 0;
    const fresh = tempDir();
    fsyncHooks.observer = (k, p) => seen.push([k, p.slice(fresh.length + 1)]);
    const f2 = await w.open(fresh); // restored from the store: the database file and its name are durable
    expect(seen).toContainEqual(["file", "metadata.db.tmp"]); // then renamed to metadata.db
    expect(seen).toContainEqual(["dir", ""]);
    await f2.close();
  });
});
