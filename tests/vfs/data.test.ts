// In-process data tests: writes at any offset, sparse holes, truncate/extend, large offsets, reopen from the store.
import { afterEach, describe, expect, setDefaultTimeout, test } from "bun:test";
import { FaultyBackend } from "../../src/fs/store/faulty.ts";
import { ROOT, cleanupDirs, ctx, newWorld, randomData, readAll, resolve, setattrIn, writeFile } from "./helpers.ts";

setDefaultTimeout(120_000); // per file: bun test ignores bunfig's timeout (docs/testing.md)

afterEach(cleanupDirs);

/** A plain in-memory model of one file to compare against. */
class Model {
  data = new Uint8Array(0);
  write(off: number, d: Uint8Array) {
    if (off + d.length > this.data.length) {
      const n = new Uint8Array(off + d.length);
      n.set(this.data);
      this.data = n;
    }
    this.data.set(d, off);
  }
  truncate(size: number) {
    const n = new Uint8Array(size);
    n.set(this.data.subarray(0, Math.min(size, this.data.length)));
    this.data = n;
  }
}

describe("file data", () => {
  test("random writes, truncates and reads match a model across block boundaries", async () => {
    const w = await newWorld(4096);
    const fs = await w.open(undefined, { cacheSizeBytes: 64 * 1024 });
    const f = await fs.create(ctx(), ROOT, "f", 0o644, 2, 0);
    const ino = f.entry.nodeid;
    const m = new Model();
    let seed = 7;
    const rnd = (n: number) => {
      seed = (seed * 1103515245 + 12345) >>> 0;
      return seed % n;
    };
    for (let step = 0; step < 400; step++) {
      const op = rnd(10);
      if (op < 6) {
        const off = rnd(40000);
        const d = randomData(1 + rnd(9000), step + 1);
        expect(await fs.write(ctx(), ino, f.open.fh, off, d, 0)).toBe(d.length);
        m.write(off, d);
      } else if (op < 8) {
        const size = rnd(45000);
        await fs.setattr(ctx(), ino, setattrIn({ valid: 8, size }));
        m.truncate(size);
      } else if (op === 8) {
        await fs.flushAll(); // uploads; later reads come partly from the store (cache is tiny)
      } else {
        const off = rnd(45000);
        const len = rnd(10000);
        const got = await fs.read(ctx(), ino, f.open.fh, off, len);
        expect(got).toEqual(m.data.slice(off, off + len));
      }
      expect((await fs.getattr(ctx(), ino, undefined)).attr.size).toBe(m.data.length);
    }
    expect(await readAll(fs, ino, 3000)).toEqual(m.data);
    await fs.close();
  }, 60_000); // ~0.7 s on a quiet machine, 7 s at load 20 (every flush fsyncs: upload commits, metadata ship)

  test("blocks move from memory to cache files as they grow: random writes, truncates, fsyncs match a model", async () => {
    // 512 KiB blocks: a block starts in memory (content up to 128 KiB) and is spilled to a file when it
    // grows past that or is fsynced; truncates and reads must not see the difference
    const w = await newWorld(512 * 1024);
    const fs = await w.open(undefined, { cacheSizeBytes: 1024 * 1024 });
    const f = await fs.create(ctx(), ROOT, "f", 0o644, 2, 0);
    const ino = f.entry.nodeid;
    const m = new Model();
    let seed = 11;
    const rnd = (n: number) => {
      seed = (seed * 1103515245 + 12345) >>> 0;
      return seed % n;
    };
    for (let step = 0; step < 300; step++) {
      const op = rnd(12);
      if (op < 6) {
        const off = rnd(3) === 0 ? rnd(1_600_000) : rnd(200_000);
        const d = randomData(1 + rnd(rnd(4) === 0 ? 200_000 : 6000), step + 1);
        expect(await fs.write(ctx(), ino, f.open.fh, off, d, 0)).toBe(d.length);
        m.write(off, d);
      } else if (op < 8) {
        const size = rnd(3) === 0 ? rnd(1_700_000) : rnd(140_000);
        await fs.setattr(ctx(), ino, setattrIn({ valid: 8, size }));
        m.truncate(size);
      } else if (op === 8) {
        await fs.fsync(ctx(), ino, f.open.fh, false);
      } else if (op === 9) {
        await fs.flushAll();
      } else {
        const off = rnd(1_700_000);
        const len = rnd(300_000);
        const got = await fs.read(ctx(), ino, f.open.fh, off, len);
        expect(got).toEqual(m.data.slice(off, off + len));
      }
      expect((await fs.getattr(ctx(), ino, undefined)).attr.size).toBe(m.data.length);
    }
    expect(await readAll(fs, ino, 100_000)).toEqual(m.data);
    await fs.close();
    const fresh = await w.open();
    expect(await readAll(fresh, await resolve(fresh, "f"), 100_000)).toEqual(m.data);
    await fresh.close();
  });

  test("sequential random ops against a model while uploads, flushes, evictions and downloads run in the background", async () => {
    // store latency with jitter, so downloads and uploads complete in between and out of order
    let faulty: FaultyBackend | null = null;
    const w = await newWorld(4096, (b) => (faulty = new FaultyBackend(b, { latencyJitterMs: 3, seed: 5 })));
    const fs = await w.open(undefined, { cacheSizeBytes: 16 * 1024, uploadDelayMs: 0, removalIntervalMs: 5, metadataIntervalMs: 20 });
    const f = await fs.create(ctx(), ROOT, "f", 0o644, 2, 0);
    const ino = f.entry.nodeid;
    const m = new Model();
    let stop = false;
    let rounds = 0;
    const background = (async () => {
      while (!stop) {
        await fs.flushAll();
        rounds++;
        await Bun.sleep(1);
      }
    })();
    let seed = 99;
    const rnd = (n: number) => {
      seed = (seed * 1103515245 + 12345) >>> 0;
      return seed % n;
    };
    for (let step = 0; step < 1500; step++) {
      const op = rnd(10);
      if (op < 5) {
        const off = rnd(30000);
        const d = randomData(1 + rnd(6000), step + 1);
        await fs.write(ctx(), ino, f.open.fh, off, d, 0);
        m.write(off, d);
      } else if (op < 7) {
        const size = rnd(36000);
        await fs.setattr(ctx(), ino, setattrIn({ valid: 8, size }));
        m.truncate(size);
      } else {
        const off = rnd(36000);
        const len = rnd(9000);
        const got = await fs.read(ctx(), ino, f.open.fh, off, len);
        if (!Buffer.from(got).equals(Buffer.from(m.data.slice(off, off + len)))) throw new Error(`step ${step}: read ${off}+${len} differs`);
      }
      if (step % 25 === 0) {
        // let background work land between ops: at least one whole flush round, however fast the codec
        // (Workers) lets the ops run, so the store is in the loop on every machine
        const r = rounds;
        while (rounds === r) await Bun.sleep(1);
      }
    }
    stop = true;
    await background;
    // the store was really in the loop (a metadata ship is one put of a log entry: no listing, no rotation)
    expect(faulty!.injected.calls).toBeGreaterThan(150);
    await fs.flushAll();
    expect(await readAll(fs, ino, 5000)).toEqual(m.data);
    await fs.close();
    const fs2 = await w.open();
    expect(await readAll(fs2, await resolve(fs2, "f"), 5000)).toEqual(m.data);
    await fs2.close();
  }, 60_000);

  test("sparse file beyond 4 GiB: holes read as zeros, only written blocks are stored", async () => {
    const w = await newWorld(1024 * 1024);
    const fs = await w.open();
    const f = await fs.create(ctx(), ROOT, "sparse", 0o644, 2, 0);
    const far = 5 * 1024 ** 3 + 1024 * 1024 - 1000;
    const d = randomData(300_000, 3);
    await fs.write(ctx(), f.entry.nodeid, f.open.fh, far, d, 0);
    expect((await fs.getattr(ctx(), f.entry.nodeid, undefined)).attr.size).toBe(far + d.length);
    expect(await fs.read(ctx(), f.entry.nodeid, f.open.fh, far - 100, 200)).toEqual(
      Uint8Array.from([...new Uint8Array(100), ...d.subarray(0, 100)]),
    );
    expect(await fs.read(ctx(), f.entry.nodeid, f.open.fh, 4 * 1024 ** 3, 4096)).toEqual(new Uint8Array(4096));
    await fs.flushAll();
    expect(fs.stats().storedObjects).toBe(2); // the write spans two 1 MiB blocks
    // extend with truncate, then shrink into the middle of the data
    await fs.setattr(ctx(), f.entry.nodeid, setattrIn({ valid: 8, size: far + 10 }));
    expect(await fs.read(ctx(), f.entry.nodeid, f.open.fh, far, 20)).toEqual(d.subarray(0, 10));
    await fs.close();
    const fs2 = await w.open();
    const ino = await resolve(fs2, "sparse");
    expect((await fs2.getattr(ctx(), ino, undefined)).attr.size).toBe(far + 10);
    expect(await fs2.read(ctx(), ino, 0, far, 20)).toEqual(d.subarray(0, 10));
    await fs2.close();
  });

  test("reopen with a fresh cache dir fetches everything back byte for byte", async () => {
    const w = await newWorld(256 * 1024);
    const fs = await w.open();
    const files = new Map<string, Uint8Array>();
    const dir = await fs.mkdir(ctx(), ROOT, "d", 0o755, 0);
    for (let i = 0; i < 12; i++) {
      const data = randomData(i * 150_001 + (i % 3) * 7, i + 10);
      files.set(`f${i}`, data);
      await writeFile(fs, dir.nodeid, `f${i}`, data, 65536 + i);
    }
    await fs.symlink(ctx(), dir.nodeid, "link", "f1");
    await fs.close();
    const fs2 = await w.open(); // new, empty cache dir
    const d2 = await resolve(fs2, "d");
    for (const [name, data] of files) expect(await readAll(fs2, await resolve(fs2, `d/${name}`))).toEqual(data);
    expect(new TextDecoder().decode(await fs2.readlink(ctx(), await resolve(fs2, "d/link")))).toBe("f1");
    expect(d2).toBe(dir.nodeid);
    await fs2.close();
  });

  test("O_TRUNC at open, append by offset, fallocate, SEEK_DATA/SEEK_HOLE", async () => {
    const w = await newWorld(4096);
    const fs = await w.open();
    const ino = await writeFile(fs, ROOT, "f", randomData(10000, 1));
    const fh = (await fs.open(ctx(), ino, 2 | 0o1000)).fh;
    expect((await fs.getattr(ctx(), ino, undefined)).attr.size).toBe(0);
    await fs.write(ctx(), ino, fh, 0, new Uint8Array([1, 2, 3]), 0);
    await fs.write(ctx(), ino, fh, 3, new Uint8Array([4]), 0);
    expect(await fs.read(ctx(), ino, fh, 0, 100)).toEqual(new Uint8Array([1, 2, 3, 4]));
    await fs.fallocate(ctx(), ino, fh, 0, 20000, 0);
    expect((await fs.getattr(ctx(), ino, undefined)).attr.size).toBe(20000);
    expect(await fs.lseek(ctx(), ino, fh, 0, 4)).toBe(4); // first hole: right after the 4 bytes written
    expect(await fs.lseek(ctx(), ino, fh, 0, 3)).toBe(0);
    await fs.write(ctx(), ino, fh, 12288, new Uint8Array([9]), 0);
    expect(await fs.lseek(ctx(), ino, fh, 4096, 3)).toBe(12288); // next data
    await fs.release(ctx(), ino, fh, 0);
    await fs.close();
  });
});
