// In-process store tests: dedup, refcount-zero deletion once no kept generation names the object, upload races, shared downloads, outages.
import { afterEach, describe, expect, setDefaultTimeout, test } from "bun:test";
import type { Backend } from "../../src/fs/store/backend.ts";
import { FaultyBackend } from "../../src/fs/store/faulty.ts";
import { MemoryBackend } from "../../src/fs/store/memory.ts";
import { createFilesystemOnStore, openCofferFs } from "../../src/fs/vfs/index.ts";
import { deriveFsKeys } from "../../src/fs/crypto/keys.ts";
import { randomKey } from "../../src/fs/crypto/aead.ts";
import { keysCodec } from "../../src/fs/blocks/keys-codec.ts";
import { listGenerations, loadGeneration } from "../../src/fs/metadata/generations.ts";
import { checkConsistency } from "./consistency.ts";
import { ROOT, cleanupDirs, ctx, newWorld, randomData, readAll, resolve, setattrIn, storedBytes, tempDir, writeFile } from "./helpers.ts";

setDefaultTimeout(120_000); // per file: bun test ignores bunfig's timeout (docs/testing.md)

afterEach(cleanupDirs);

/** A backend wrapper that counts calls and can hold puts until released. */
class GateBackend extends MemoryBackend {
  gets = 0;
  puts = 0;
  private gate: Promise<void> | null = null;
  private open: (() => void) | null = null;
  holdPuts(): void {
    this.gate = new Promise((r) => (this.open = r));
  }
  releasePuts(): void {
    this.open?.();
    this.gate = null;
  }
  override async get(key: string): Promise<Uint8Array> {
    if (key.startsWith("data/")) this.gets++;
    await Bun.sleep(5);
    return super.get(key);
  }
  override async put(key: string, data: Uint8Array): Promise<void> {
    if (key.startsWith("data/")) {
      this.puts++;
      if (this.gate) await this.gate;
    }
    return super.put(key, data);
  }
}

describe("store", () => {
  test("the same 64 MiB written twice is stored once (default 4 MiB blocks)", async () => {
    const w = await newWorld(4 * 1024 * 1024);
    const fs = await w.open(undefined, { cacheSizeBytes: 512 * 1024 * 1024 });
    const data = randomData(64 * 1024 * 1024, 99);
    const t0 = performance.now();
    await writeFile(fs, ROOT, "one", data, 1024 * 1024);
    await writeFile(fs, ROOT, "two", data, 1024 * 1024);
    const t1 = performance.now();
    await fs.flushAll();
    const t2 = performance.now();
    const stored = await storedBytes(w.backend);
    console.log(`128 MiB written in ${(t1 - t0).toFixed(0)} ms, flushed in ${(t2 - t1).toFixed(0)} ms; stored ${stored} bytes`);
    expect(stored).toBeLessThanOrEqual(1.1 * 64 * 1024 * 1024);
    const s = fs.stats();
    expect(s.storedObjects).toBe(16);
    expect(s.logicalBytes).toBe(128 * 1024 * 1024);
    expect(s.dedupBytes).toBeGreaterThan(64 * 1024 * 1024 - 100); // trailing zero bytes of a block are not stored
    await fs.close();
    const fs2 = await w.open();
    expect(await readAll(fs2, await resolve(fs2, "two"), 1024 * 1024)).toEqual(data);
    await fs2.close();
  }, 120_000);

  test("objects with refcount 0 stay in the store until the last generation naming them rotates out, then go", async () => {
    const w = await newWorld(64 * 1024);
    const fs = await w.open(undefined, { removalIntervalMs: 10, keepSnapshots: 2 });
    const codec = keysCodec(w.keys);
    const a = await writeFile(fs, ROOT, "a", randomData(300_000, 1));
    await writeFile(fs, ROOT, "b", randomData(300_000, 1)); // same content: shares a's objects
    await fs.flushAll(undefined, true);
    const before = await storedBytes(w.backend);
    expect(before).toBeGreaterThan(300_000);
    await fs.unlink(ctx(), ROOT, "a");
    fs.forget(a, 1);
    await fs.flushAll(undefined, true);
    expect(await storedBytes(w.backend)).toBe(before); // still referenced by b
    const b = await resolve(fs, "b");
    await fs.unlink(ctx(), ROOT, "b");
    fs.forget(b, 2);
    await fs.flushAll(undefined, true); // a snapshot without the objects; the one before it (kept) still names them
    await Bun.sleep(100); // removal runs on its timer too
    expect(await storedBytes(w.backend)).toBe(before);
    const gens = await listGenerations(w.backend);
    expect(gens.snapshots.length).toBe(2);
    const oldest = await loadGeneration(w.backend, codec, gens, gens.snapshots[0]);
    expect(await checkConsistency(oldest.image, w.backend)).toEqual([]); // restorable with its data
    await fs.mkdir(ctx(), ROOT, "d", 0o755, 0); // a change, so the next flush ships (and rotates)
    await fs.flushAll(undefined, true); // the last snapshot naming them rotates out: removal deletes them
    expect((await listGenerations(w.backend)).snapshots.length).toBe(2);
    expect(await storedBytes(w.backend)).toBe(0);
    expect(fs.stats().storedObjects).toBe(0);
    await fs.close();
  });

  test("a block rewritten while its upload is in flight stays dirty and its new content wins", async () => {
    const backend = new GateBackend();
    const keys = deriveFsKeys(randomKey(), false);
    await createFilesystemOnStore(backend, keys, { blockSize: 4096 });
    const fs = await openCofferFs({ backend, keys, cacheDir: tempDir(), uploadDelayMs: 60_000 });
    const f = await fs.create(ctx(), ROOT, "f", 0o644, 2, 0);
    await fs.write(ctx(), f.entry.nodeid, f.open.fh, 0, new Uint8Array(4096).fill(1), 0);
    backend.holdPuts();
    const flushing = fs.flushAll();
    while (backend.puts === 0) await Bun.sleep(1);
    await fs.write(ctx(), f.entry.nodeid, f.open.fh, 100, new Uint8Array(10).fill(2), 0); // during the put
    backend.releasePuts();
    await flushing; // flushAll keeps going until the rewritten block is uploaded as well
    expect(fs.stats().dirtyBytes).toBe(0);
    await fs.close();
    const fs2 = await openCofferFs({ backend, keys, cacheDir: tempDir() });
    const got = await readAll(fs2, await resolve(fs2, "f"));
    const want = new Uint8Array(4096).fill(1);
    want.fill(2, 100, 110);
    expect(got).toEqual(want);
    await fs2.close();
  });

  test("two reads of the same uncached block share one download", async () => {
    const backend = new GateBackend();
    const keys = deriveFsKeys(randomKey(), false);
    await createFilesystemOnStore(backend, keys, { blockSize: 65536 });
    const fs = await openCofferFs({ backend, keys, cacheDir: tempDir() });
    await writeFile(fs, ROOT, "f", randomData(65536, 5));
    await fs.close();
    const fs2 = await openCofferFs({ backend, keys, cacheDir: tempDir() });
    const ino = await resolve(fs2, "f");
    const [x, y] = await Promise.all([fs2.read(ctx(), ino, 0, 0, 100), fs2.read(ctx(), ino, 0, 1000, 100)]);
    expect(backend.gets).toBe(1);
    expect(x).toEqual(randomData(65536, 5).subarray(0, 100));
    expect(y).toEqual(randomData(65536, 5).subarray(1000, 1100));
    await fs2.close();
  });

  test("a store outage during flush loses nothing: uploads retry until the store is back", async () => {
    const mem = new MemoryBackend();
    const faulty = new FaultyBackend(mem, {});
    const backend: Backend = faulty;
    const keys = deriveFsKeys(randomKey(), false);
    await createFilesystemOnStore(backend, keys, { blockSize: 65536 });
    const logs: string[] = [];
    const fs = await openCofferFs({ backend, keys, cacheDir: tempDir(), log: (l) => logs.push(l) });
    const data = randomData(500_000, 8);
    await writeFile(fs, ROOT, "f", data);
    faulty.startOutage(400);
    await fs.flushAll();
    expect(faulty.injected.outageErrors).toBeGreaterThan(0);
    expect(logs.some((l) => l.includes("kept dirty"))).toBe(true);
    await fs.close();
    const fs2 = await openCofferFs({ backend: mem, keys, cacheDir: tempDir() });
    expect(await readAll(fs2, await resolve(fs2, "f"))).toEqual(data);
    await fs2.close();
  });

  test("clean blocks are evicted past the cache size, dirty blocks never: a writer waits for uploads instead", async () => {
    const w = await newWorld(65536);
    const fs = await w.open(undefined, { cacheSizeBytes: 256 * 1024 });
    const data = randomData(1024 * 1024, 4);
    await writeFile(fs, ROOT, "f", data);
    // the writer waited whenever the cache was full of dirty data: it holds at most the cap and one write
    expect(fs.stats().dirtyBytes).toBeLessThanOrEqual(256 * 1024 + 128 * 1024);
    await fs.flushAll();
    expect(fs.stats().dirtyBytes).toBe(0);
    expect(await readAll(fs, await resolve(fs, "f"))).toEqual(data);
    expect(fs.stats().cacheBytes).toBeLessThanOrEqual(256 * 1024);
    await fs.close();
  });
});

describe("store: concurrency", () => {
  test("concurrent writers, flushes, truncates and a tiny cache agree with a model", async () => {
    const w = await newWorld(8192);
    const fs = await w.open(undefined, { cacheSizeBytes: 32 * 1024, uploadDelayMs: 0 });
    const f = await fs.create(ctx(), ROOT, "f", 0o644, 2, 0);
    const ino = f.entry.nodeid;
    const size = 200_000;
    const model = new Uint8Array(size);
    await fs.write(ctx(), ino, f.open.fh, 0, model, 0);
    for (let round = 0; round < 20; round++) {
      const ops: Promise<unknown>[] = [];
      // disjoint slices per round, so the final content does not depend on the interleaving
      for (let k = 0; k < 10; k++) {
        const off = k * 20_000 + ((round * 997) % 5000);
        const d = randomData(3000 + ((round * k) % 7000), round * 100 + k + 1);
        model.set(d, off);
        ops.push(fs.write(ctx(), ino, f.open.fh, off, d, 0));
        ops.push(fs.read(ctx(), ino, f.open.fh, (off + 10_000) % size, 5000));
      }
      if (round % 3 === 0) ops.push(fs.flushAll());
      await Promise.all(ops);
    }
    await fs.setattr(ctx(), ino, setattrIn({ valid: 8, size: 150_001 }));
    await fs.flushAll();
    expect(await readAll(fs, ino, 7000)).toEqual(model.subarray(0, 150_001));
    await fs.close();
    const fs2 = await w.open();
    expect(await readAll(fs2, await resolve(fs2, "f"), 7000)).toEqual(model.subarray(0, 150_001));
    await fs2.close();
  });
});
