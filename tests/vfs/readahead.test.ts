// Readahead: sequential readers prefetch the next blocks, random readers and jumps do not, one GET per block, the cache's bounds hold.
import { afterEach, describe, expect, setDefaultTimeout, test } from "bun:test";
import { BlockReadTimeoutError, type BlockCache } from "../../src/fs/blocks/cache.ts";
import { INITIAL_WINDOW, Prefetcher } from "../../src/fs/blocks/prefetch.ts";
import { randomKey } from "../../src/fs/crypto/aead.ts";
import { deriveFsKeys } from "../../src/fs/crypto/keys.ts";
import type { Backend } from "../../src/fs/store/backend.ts";
import { FaultyBackend } from "../../src/fs/store/faulty.ts";
import { MemoryBackend } from "../../src/fs/store/memory.ts";
import { RetryBackend } from "../../src/fs/store/retry.ts";
import { type CofferFs, type OpenCofferFsOptions, createFilesystemOnStore, openCofferFs } from "../../src/fs/vfs/index.ts";
import { CountingBackend } from "./counting-backend.ts";
import { GatedBackend } from "./gated-backend.ts";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { ROOT, cleanupDirs, ctx, randomData, readAll, resolve, tempDir, writeFile } from "./helpers.ts";

setDefaultTimeout(120_000); // per file: bun test ignores bunfig's timeout (docs/testing.md)

afterEach(cleanupDirs);

const BS = 64 * 1024;
const BLOCKS = 16;

/** A cache stand-in that records which blocks the prefetcher asks for; downloads finish when the test says. */
function fakeCache(room = () => true) {
  const asked: number[] = [];
  const finish: (() => void)[] = [];
  const cache = {
    blockSize: 100,
    roomForClean: (_bytes: number) => room(),
    prefetch: (_inode: number, blk: number) => {
      asked.push(blk);
      return new Promise<void>((r) => finish.push(r));
    },
  } as unknown as BlockCache;
  return { cache, asked, finishAll: () => finish.splice(0).forEach((f) => f()) };
}

describe("Prefetcher (stream detection)", () => {
  test("a sequential reader gets a window that starts small and doubles per new block, up to the maximum", async () => {
    const f = fakeCache();
    const p = new Prefetcher(f.cache, 8, 100);
    p.onRead(1, 7, 0, 50, 10_000); // first read: a stream, no prefetch yet
    expect(f.asked).toEqual([]);
    p.onRead(1, 7, 50, 50, 10_000); // second sequential read (same block): the initial window
    expect(f.asked).toEqual([1, 2].slice(0, INITIAL_WINDOW));
    p.onRead(1, 7, 100, 100, 10_000); // enters block 1: window 4 -> blocks up to 5
    expect(f.asked).toEqual([1, 2, 3, 4, 5]);
    p.onRead(1, 7, 200, 100, 10_000); // block 2: window 8 -> up to 10
    p.onRead(1, 7, 300, 100, 10_000); // block 3: window stays 8 -> up to 11
    expect(f.asked).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    expect(new Set(f.asked).size).toBe(f.asked.length); // never asks for a block twice
  });

  test("a random reader prefetches nothing", () => {
    const f = fakeCache();
    const p = new Prefetcher(f.cache, 8);
    for (const off of [5000, 1200, 8800, 300, 6100, 3400, 9900, 2000]) p.onRead(1, 7, off, 50, 10_000);
    expect(f.asked).toEqual([]);
  });

  test("a jump resets the window; the stream then starts again from the initial window", () => {
    const f = fakeCache();
    const p = new Prefetcher(f.cache, 8, 100);
    for (let off = 0; off < 400; off += 50) p.onRead(1, 7, off, 50, 10_000);
    const before = f.asked.length;
    expect(before).toBeGreaterThan(INITIAL_WINDOW);
    p.onRead(1, 7, 6000, 50, 10_000); // jump: nothing prefetched at the new place
    expect(f.asked.length).toBe(before);
    expect(p.stats().resets).toBe(1);
    p.onRead(1, 7, 6050, 50, 10_000); // sequential again: the initial window only
    expect(f.asked.slice(before)).toEqual([61, 62]);
  });

  test("downloads in flight are bounded, a full cache stops prefetch, the end of the file stops it, streams are per handle", () => {
    let room = true;
    const f = fakeCache(() => room);
    const p = new Prefetcher(f.cache, 8, 3);
    for (let off = 0; off < 600; off += 50) p.onRead(1, 7, off, 50, 10_000);
    expect(f.asked).toEqual([1, 2, 3]); // 3 in flight at most
    f.finishAll();
    room = false;
    p.onRead(2, 8, 0, 50, 10_000);
    p.onRead(2, 8, 50, 50, 10_000); // another handle, sequential, but the cache has no room
    expect(f.asked).toEqual([1, 2, 3]);
    room = true;
    const q = new Prefetcher(f.cache, 8);
    q.onRead(3, 9, 0, 50, 250); // a 3-block file
    q.onRead(3, 9, 50, 50, 250);
    q.onRead(3, 9, 100, 100, 250);
    expect(f.asked.slice(3)).toEqual([1, 2]);
  });
});

const data = randomData(BLOCKS * BS, 21);

/** A 16-block file stored through one filesystem; `cold` opens it again on an empty cache. */
async function storedFile(backend: Backend, blockSize = BS) {
  const keys = deriveFsKeys(randomKey(), false);
  await createFilesystemOnStore(backend, keys, { blockSize });
  const fs = await openCofferFs({ backend, keys, cacheDir: tempDir(), metadataIntervalMs: 3_600_000 });
  await writeFile(fs, ROOT, "f", data);
  await fs.close();
  const cold = async (extra: Partial<OpenCofferFsOptions> = {}) => {
    const c = await openCofferFs({
      backend, keys, cacheDir: tempDir(), metadataIntervalMs: 3_600_000, uploadDelayMs: 3_600_000, readaheadBlocks: 4, ...extra,
    });
    const ino = await resolve(c, "f");
    return { fs: c, ino, fh: (await c.open(ctx(), ino, 2)).fh };
  };
  return { keys, cold };
}

type Internals = { c: { cache: BlockCache } };
const cacheOf = (fs: CofferFs): BlockCache => (fs as unknown as Internals).c.cache;
const cached = (fs: CofferFs, ino: number): number[] =>
  Array.from({ length: BLOCKS }, (_, b) => b).filter((b) => cacheOf(fs).cachedSize(ino, b) !== null);
/** Lets the background run until `cond` holds (no limit but the test's timeout). */
async function until(cond: () => boolean): Promise<void> {
  while (!cond()) await Bun.sleep(2);
}

/** Waits until no download runs (prefetches land in the background). */
async function settled(fs: CofferFs): Promise<void> {
  while (fs.stats().downloadsInFlight > 0) await Bun.sleep(2);
}

/** A cold file behind an outage switch and a retry layer: block 0 read, then the outage, then the read that prefetches 1 and 2. */
async function prefetchInOutage(readTimeoutMs: number) {
  const faulty = new FaultyBackend(new MemoryBackend(), {});
  const { cold } = await storedFile(new RetryBackend(faulty, { baseDelayMs: 20, maxDelayMs: 100 }));
  const { fs, ino, fh } = await cold({ readTimeoutMs });
  await fs.read(ctx(), ino, fh, 0, 4096);
  faulty.startOutage(3_600_000);
  await fs.read(ctx(), ino, fh, 4096, 4096); // block 0 is cached; the prefetches of 1 and 2 meet the outage
  return { fs, ino, fh, faulty };
}

describe("readahead through the filesystem", () => {
  test("a sequential reader of an uncached file has the next blocks fetched ahead; they are not fetched again", async () => {
    const backend = new CountingBackend(new MemoryBackend());
    const { cold } = await storedFile(backend);
    const { fs, ino, fh } = await cold();
    const gets = () => backend.calls.filter((c) => c.op === "get" && c.key.startsWith("data/")).length;
    const start = gets();
    expect(await fs.read(ctx(), ino, fh, 0, BS / 2)).toEqual(data.subarray(0, BS / 2));
    expect(await fs.read(ctx(), ino, fh, BS / 2, BS / 2)).toEqual(data.subarray(BS / 2, BS));
    await settled(fs);
    expect(cached(fs, ino)).toEqual([0, 1, 2]); // block 0 read, blocks 1 and 2 prefetched
    expect(gets() - start).toBe(3);
    for (let off = BS; off < BLOCKS * BS; off += BS / 2) {
      expect(await fs.read(ctx(), ino, fh, off, BS / 2)).toEqual(data.subarray(off, off + BS / 2));
    }
    await settled(fs);
    expect(gets() - start).toBe(BLOCKS); // each block fetched exactly once
    expect(fs.prefetchStats().started).toBe(BLOCKS - 1); // every block after the first came from readahead
    await fs.release(ctx(), ino, fh, 0);
    await fs.close();
  });

  test("COFFER_READAHEAD_BLOCKS=0 turns readahead off; a bad value is one line naming the fix", async () => {
    const backend = new CountingBackend(new MemoryBackend());
    const { cold } = await storedFile(backend);
    const saved = process.env.COFFER_READAHEAD_BLOCKS;
    try {
      process.env.COFFER_READAHEAD_BLOCKS = "0";
      const { fs, ino, fh } = await cold({ readaheadBlocks: undefined });
      for (let off = 0; off < 4 * BS; off += BS / 2) await fs.read(ctx(), ino, fh, off, BS / 2);
      expect(fs.prefetchStats().started).toBe(0);
      expect(cached(fs, ino)).toEqual([0, 1, 2, 3]);
      await fs.release(ctx(), ino, fh, 0);
      await fs.close();
      process.env.COFFER_READAHEAD_BLOCKS = "lots";
      expect(String(await cold({ readaheadBlocks: undefined }).catch((e) => e))).toMatch(/COFFER_READAHEAD_BLOCKS=lots: .*fix or unset it/);
    } finally {
      if (saved === undefined) delete process.env.COFFER_READAHEAD_BLOCKS;
      else process.env.COFFER_READAHEAD_BLOCKS = saved;
    }
  });

  test("a random reader fetches only the blocks it reads", async () => {
    const backend = new CountingBackend(new MemoryBackend());
    const { cold } = await storedFile(backend);
    const { fs, ino, fh } = await cold();
    for (const b of [9, 3, 14, 6, 0, 12, 1]) {
      const off = b * BS + 1000;
      expect(await fs.read(ctx(), ino, fh, off, 4096)).toEqual(data.subarray(off, off + 4096));
    }
    await settled(fs);
    expect(cached(fs, ino)).toEqual([0, 1, 3, 6, 9, 12, 14]);
    expect(fs.prefetchStats().started).toBe(0);
    await fs.release(ctx(), ino, fh, 0);
    await fs.close();
  });

  test("a jump drops the window: only the blocks near the new place are fetched", async () => {
    const backend = new CountingBackend(new MemoryBackend());
    const { cold } = await storedFile(backend);
    const { fs, ino, fh } = await cold();
    for (let off = 0; off < 2 * BS; off += BS / 2) await fs.read(ctx(), ino, fh, off, BS / 2);
    await settled(fs);
    const near = cached(fs, ino);
    expect(near[0]).toBe(0);
    expect(Math.max(...near)).toBeLessThan(8);
    await fs.read(ctx(), ino, fh, 12 * BS, 4096); // jump
    await settled(fs);
    expect(cached(fs, ino)).toEqual([...near, 12]);
    await fs.read(ctx(), ino, fh, 12 * BS + 4096, 4096); // sequential again: the initial window
    await settled(fs);
    expect(cached(fs, ino)).toEqual([...near, 12, 13, 14]);
    await fs.release(ctx(), ino, fh, 0);
    await fs.close();
  });

  test("N readers and a prefetch of one block cause one GET", async () => {
    const backend = new GatedBackend();
    const { cold } = await storedFile(backend);
    const { fs, ino, fh } = await cold();
    const start = backend.dataGets;
    backend.holdGets();
    const first = fs.read(ctx(), ino, fh, 0, 4096);
    const second = fs.read(ctx(), ino, fh, 4096, 4096); // sequential: prefetches blocks 1 and 2
    // readers of block 1 on other handles while its prefetch is held in the store
    const others = await Promise.all(Array.from({ length: 5 }, () => fs.open(ctx(), ino, 0)));
    const reads = others.map((o, i) => fs.read(ctx(), ino, o.fh, BS + i * 100, 100));
    await Bun.sleep(20);
    expect(backend.dataGets - start).toBe(3); // block 0, and the prefetches of 1 and 2: nothing more
    backend.release();
    expect(await first).toEqual(data.subarray(0, 4096));
    expect(await second).toEqual(data.subarray(4096, 8192));
    const got = await Promise.all(reads);
    got.forEach((g, i) => expect(g).toEqual(data.subarray(BS + i * 100, BS + i * 100 + 100)));
    await settled(fs);
    expect(backend.dataGets - start).toBe(3);
    for (const o of others) await fs.release(ctx(), ino, o.fh, 0);
    await fs.release(ctx(), ino, fh, 0);
    await fs.close();
  });

  test("a prefetch still running at close writes no cache file afterwards; the cache reopens intact", async () => {
    const backend = new GatedBackend();
    // blocks above MEM_BLOCK_MAX, so cached blocks are files (smaller ones live in memory only)
    const { cold, keys } = await storedFile(backend, 256 * 1024);
    const cacheDir = tempDir();
    const { fs, ino, fh } = await cold({ cacheDir });
    await fs.read(ctx(), ino, fh, 0, 4096);
    backend.holdGets();
    await fs.read(ctx(), ino, fh, 4096, 4096); // prefetches of blocks 1 and 2 wait in the store
    expect(fs.prefetchStats().inFlight).toBe(2);
    await fs.release(ctx(), ino, fh, 0);
    await fs.close();
    backend.release();
    await until(() => fs.prefetchStats().inFlight === 0);
    expect(readdirSync(join(cacheDir, "blocks")).sort()).toEqual([`${ino}-0`]);
    const again = await openCofferFs({ backend, keys, cacheDir, metadataIntervalMs: 3_600_000 });
    expect(await readAll(again, ino)).toEqual(data);
    await again.close();
  });

  test("prefetch never evicts dirty blocks and never takes the cache past its size", async () => {
    const backend = new MemoryBackend();
    const { cold } = await storedFile(backend);
    // a cache of 8 blocks, 5 of them dirty (uploads held back by the delay)
    const { fs, ino, fh } = await cold({ cacheSizeBytes: 8 * BS, readaheadBlocks: 4 });
    const other = await writeFile(fs, ROOT, "dirty", randomData(5 * BS, 22));
    const cache = cacheOf(fs);
    expect(fs.stats().dirtyBlocks).toBe(5);
    let maxBytes = 0;
    for (let off = 0; off < BLOCKS * BS; off += BS / 4) {
      expect(await fs.read(ctx(), ino, fh, off, BS / 4)).toEqual(data.subarray(off, off + BS / 4));
      maxBytes = Math.max(maxBytes, cache.stats().cacheBytes);
      await settled(fs);
      maxBytes = Math.max(maxBytes, cache.stats().cacheBytes);
    }
    expect(fs.stats().dirtyBlocks).toBe(5); // still there, still dirty
    for (let b = 0; b < 5; b++) expect(cache.cachedSize(other, b)).toBe(BS);
    expect(maxBytes).toBeLessThanOrEqual(8 * BS + BS); // the cap holds within one block
    // the cache is full now, more than half of it dirty: a second sequential pass prefetches nothing
    const started = fs.prefetchStats().started;
    const fh2 = (await fs.open(ctx(), ino, 0)).fh;
    for (let off = 0; off < BLOCKS * BS; off += BS / 4) {
      expect(await fs.read(ctx(), ino, fh2, off, BS / 4)).toEqual(data.subarray(off, off + BS / 4));
      await settled(fs);
      maxBytes = Math.max(maxBytes, cache.stats().cacheBytes);
    }
    expect(fs.prefetchStats().started).toBe(started);
    expect(maxBytes).toBeLessThanOrEqual(8 * BS + BS);
    expect(fs.stats().dirtyBlocks).toBe(5);
    await fs.release(ctx(), ino, fh2, 0);
    await fs.release(ctx(), ino, fh, 0);
    await fs.close();
  });

  test("an outage during prefetch: a reader waits within the read timeout and gets its data when the store is back", async () => {
    const { fs, ino, fh, faulty } = await prefetchInOutage(30_000);
    expect(fs.prefetchStats().started).toBe(2);
    const reading = fs.read(ctx(), ino, fh, BS, 4096); // joins the prefetch of block 1
    await Bun.sleep(300);
    faulty.endOutage();
    expect(await reading).toEqual(data.subarray(BS, BS + 4096));
    await fs.release(ctx(), ino, fh, 0);
    await fs.close();
  });

  test("an outage longer than the read timeout fails the read as before (EIO), and the next read works", async () => {
    const { fs, ino, fh, faulty } = await prefetchInOutage(400);
    const err = await fs.read(ctx(), ino, fh, BS, 4096).catch((e) => e);
    expect(err).toBeInstanceOf(BlockReadTimeoutError);
    faulty.endOutage();
    expect(await fs.read(ctx(), ino, fh, BS, 4096)).toEqual(data.subarray(BS, BS + 4096));
    await fs.release(ctx(), ino, fh, 0);
    await fs.close();
  });
});
