// The cache's hard caps in process: bytes and entries held under concurrent writers (accounting and the real directory), LRU, no deadlock.
import { afterAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { randomKey } from "../../src/fs/crypto/aead.ts";
import { deriveFsKeys } from "../../src/fs/crypto/keys.ts";
import { FaultyBackend } from "../../src/fs/store/faulty.ts";
import { MemoryBackend } from "../../src/fs/store/memory.ts";
import { RetryBackend } from "../../src/fs/store/retry.ts";
import type { CofferFs } from "../../src/fs/vfs/index.ts";
import { createFilesystemOnStore, openCofferFs } from "../../src/fs/vfs/index.ts";
import { CountingBackend } from "./counting-backend.ts";
import { cleanupDirs, ctx, newWorld, randomData, readAll, resolve, ROOT, tempDir, writeFile } from "./helpers.ts";

setDefaultTimeout(120_000); // per file: bun test ignores bunfig's timeout (docs/testing.md)

afterAll(cleanupDirs);

const KiB = 1024;

/** Bytes the cache directory's block files take on disk (like du). */
function blocksDirBytes(cacheDir: string): number {
  const dir = join(cacheDir, "blocks");
  let total = 0;
  for (const name of readdirSync(dir)) total += statSync(join(dir, name)).blocks * 512;
  return total;
}

/** Samples the cache's own accounting and its directory; keeps the maxima. */
function capWatcher(fs: CofferFs, cacheDir: string) {
  const max = { cacheBytes: 0, entries: 0, dirBytes: 0, dirtyBytes: 0 };
  const sample = () => {
    const s = fs.stats();
    max.cacheBytes = Math.max(max.cacheBytes, s.cacheBytes);
    max.entries = Math.max(max.entries, s.cacheEntries);
    max.dirtyBytes = Math.max(max.dirtyBytes, s.dirtyBytes);
    max.dirBytes = Math.max(max.dirBytes, blocksDirBytes(cacheDir));
  };
  const timer = setInterval(sample, 2);
  return { max, sample, stop: () => clearInterval(timer) };
}

/** A memory store whose puts can be held back (a store that takes nothing for a while). */
class GatedBackend extends CountingBackend {
  private gate: Promise<void> | null = null;
  private openGate: () => void = () => {};
  hold(): void {
    this.gate = new Promise((r) => (this.openGate = r));
  }
  release(): void {
    this.gate = null;
    this.openGate();
  }
  override async put(key: string, data: Uint8Array): Promise<void> {
    while (this.gate) await this.gate;
    return super.put(key, data);
  }
}

/** Writes `data` as `name` in `chunk`-byte writes, sampling after each write. */
async function writeSampled(fs: CofferFs, name: string, data: Uint8Array, chunk: number, sample: () => void): Promise<void> {
  const f = await fs.create(ctx(), ROOT, name, 0o644, 2, 0);
  for (let off = 0; off < data.length; off += chunk) {
    await fs.write(ctx(), f.entry.nodeid, f.open.fh, off, data.subarray(off, off + chunk), 0);
    sample();
  }
  await fs.release(ctx(), f.entry.nodeid, f.open.fh, 0);
}

describe("cache caps", () => {
  test("six concurrent writers of 6x the cache: bytes, entries and the directory stay within one block of the caps", async () => {
    const bs = 256 * KiB; // larger than the in-memory limit: blocks end up in files, the directory fills
    const cap = 4 * bs;
    const w = await newWorld(bs, (b) => new FaultyBackend(b, { latencyMs: 2, latencyJitterMs: 6, seed: 3 }));
    const cacheDir = tempDir();
    const fs = await w.open(cacheDir, { cacheSizeBytes: cap, maxCacheEntries: 6 });
    const watch = capWatcher(fs, cacheDir);
    const files = Array.from({ length: 6 }, (_, i) => randomData(4 * bs, 100 + i));
    try {
      await Promise.all(files.map((d, i) => writeSampled(fs, `f${i}`, d, 64 * KiB, watch.sample)));
      // reading it all back goes through the same caps (downloads make room first)
      for (let i = 0; i < files.length; i++) {
        expect(await readAll(fs, await resolve(fs, `f${i}`))).toEqual(files[i]!);
        watch.sample();
      }
    } finally {
      watch.stop();
    }
    expect(fs.stats().cacheEntryCap).toBe(6);
    expect(watch.max.cacheBytes).toBeLessThanOrEqual(cap + bs);
    expect(watch.max.dirBytes).toBeLessThanOrEqual(cap + bs);
    expect(watch.max.entries).toBeLessThanOrEqual(6 + 1);
    expect(watch.max.dirtyBytes).toBeGreaterThanOrEqual(cap * 0.75); // the cache was really filled
    await fs.close();
    const fresh = await w.open();
    for (let i = 0; i < files.length; i++) expect(await readAll(fresh, await resolve(fresh, `f${i}`))).toEqual(files[i]!);
    await fresh.close();
  });

  test("the entry cap holds for many small files written at once; all of them read back", async () => {
    const w = await newWorld(64 * KiB, (b) => new FaultyBackend(b, { latencyMs: 1, latencyJitterMs: 3, seed: 4 }));
    const cacheDir = tempDir();
    const fs = await w.open(cacheDir, { cacheSizeBytes: 64 * 1024 * KiB, maxCacheEntries: 16 });
    const watch = capWatcher(fs, cacheDir);
    const small = (i: number) => randomData(3000 + i, 500 + i);
    try {
      await Promise.all([0, 1, 2, 3].map(async (wr) => {
        for (let k = 0; k < 20; k++) {
          await writeFile(fs, ROOT, `s${wr}-${k}`, small(wr * 100 + k));
          watch.sample();
        }
      }));
      await fs.flushAll();
      for (let wr = 0; wr < 4; wr++) {
        for (let k = 0; k < 20; k++) expect(await readAll(fs, await resolve(fs, `s${wr}-${k}`))).toEqual(small(wr * 100 + k));
      }
    } finally {
      watch.stop();
    }
    expect(watch.max.entries).toBeLessThanOrEqual(16 + 1);
    expect(watch.max.entries).toBeGreaterThanOrEqual(12);
    await fs.close();
  });

  test("clean blocks go least recently used first", async () => {
    let counting: CountingBackend | null = null;
    const bs = 64 * KiB;
    const w = await newWorld(bs, (b) => (counting = new CountingBackend(b)));
    const fs = await w.open(undefined, { cacheSizeBytes: 4 * bs });
    const names = ["a", "b", "c", "d"];
    for (const n of names) await writeFile(fs, ROOT, n, randomData(bs, n.charCodeAt(0)));
    await fs.flushAll(); // all four clean, the cache exactly full
    // use them in the order d, c, b, a: d is now the least recently used
    for (const n of ["d", "c", "b", "a"]) await readAll(fs, await resolve(fs, n));
    await writeFile(fs, ROOT, "e", randomData(bs, 9)); // needs one block of room
    const gets = () => counting!.calls.filter((c) => c.op === "get" && c.key.startsWith("data/")).length;
    const before = gets();
    for (const n of ["a", "b", "c"]) await readAll(fs, await resolve(fs, n));
    expect(gets()).toBe(before); // still cached
    await readAll(fs, await resolve(fs, "d"));
    expect(gets()).toBe(before + 1); // d was the one evicted
    await fs.close();
  });

  test("dirty blocks are never evicted: with the store down a writer waits (clean blocks make room first), then finishes", async () => {
    const mem = new MemoryBackend();
    const faulty = new FaultyBackend(mem, {});
    const backend = new RetryBackend(faulty, { baseDelayMs: 20, maxDelayMs: 200 });
    const keys = deriveFsKeys(randomKey(), false);
    const bs = 64 * KiB;
    await createFilesystemOnStore(backend, keys, { blockSize: bs });
    const open = (cacheSizeBytes?: number) =>
      openCofferFs({ backend, keys, cacheDir: tempDir(), cacheSizeBytes, log: () => {}, metadataIntervalMs: 3_600_000, uploadDelayMs: 60_000 });
    const fs = await open(4 * bs);
    const old = randomData(2 * bs, 21);
    await writeFile(fs, ROOT, "old", old);
    await fs.flushAll();
    faulty.startOutage(3_600_000);
    const fresh = randomData(8 * bs, 22);
    let done = false;
    const writing = writeFile(fs, ROOT, "new", fresh).then(() => (done = true));
    // wait until the writer is held at the cap: all of the cache dirty, the clean blocks gone
    for (let i = 0; i < 2000 && fs.stats().dirtyBytes < 4 * bs; i++) await Bun.sleep(5);
    const held = fs.stats();
    expect(done).toBe(false);
    expect(held.dirtyBytes).toBe(4 * bs); // nothing dirty was evicted to make room
    expect(held.cacheBytes).toBe(4 * bs); // the clean blocks of "old" were
    faulty.endOutage();
    await writing; // delayed, never failed
    expect(await readAll(fs, await resolve(fs, "new"))).toEqual(fresh);
    expect(await readAll(fs, await resolve(fs, "old"))).toEqual(old);
    await fs.close();
  });

  test("a read of an uncached block while the cache is full of dirty data completes once uploads drain", async () => {
    let gated: GatedBackend | null = null;
    const bs = 64 * KiB;
    const w = await newWorld(bs, (b) => (gated = new GatedBackend(b)));
    const fs = await w.open(undefined, { cacheSizeBytes: 4 * bs, readTimeoutMs: 60_000 });
    const cold = randomData(bs, 31);
    await writeFile(fs, ROOT, "cold", cold);
    await fs.flushAll();
    fs.dropCache();
    gated!.hold(); // the store takes no puts: dirty data cannot drain
    const fill = randomData(6 * bs, 32);
    const writing = writeFile(fs, ROOT, "fill", fill);
    for (let i = 0; i < 2000 && fs.stats().dirtyBytes < 4 * bs; i++) await Bun.sleep(5);
    expect(fs.stats().dirtyBytes).toBe(4 * bs);
    let read: Uint8Array | null = null;
    const reading = (async () => (read = await readAll(fs, await resolve(fs, "cold"))))();
    await Bun.sleep(50);
    expect(read).toBeNull(); // no room: the download waits for it, it does not push the cache over
    expect(fs.stats().cacheBytes).toBeLessThanOrEqual(4 * bs);
    gated!.release();
    await reading;
    await writing;
    expect(read!).toEqual(cold);
    expect(await readAll(fs, await resolve(fs, "fill"))).toEqual(fill);
    await fs.close();
  });

  test("past 80% of the cap uploads start at once (no waiting for the upload delay), and writers are paced, not failed", async () => {
    let counting: CountingBackend | null = null;
    const bs = 64 * KiB;
    const w = await newWorld(bs, (b) => (counting = new CountingBackend(b)));
    const fs = await w.open(undefined, { cacheSizeBytes: 10 * bs, uploadDelayMs: 3_600_000 });
    const puts = () => counting!.calls.filter((c) => c.op === "put" && c.key.startsWith("data/")).length;
    await writeFile(fs, ROOT, "below", randomData(7 * bs, 41)); // 70%: nothing uploaded yet
    expect(puts()).toBe(0);
    expect(fs.stats().cachePressure).toBeCloseTo(0.7, 5);
    await writeFile(fs, ROOT, "above", randomData(2 * bs, 42)); // 90%: pressure
    for (let i = 0; i < 2000 && puts() === 0; i++) await Bun.sleep(5);
    expect(puts()).toBeGreaterThan(0);
    await fs.close();
  });
});
