// fallocate reserves cache blocks: st_blocks counts them, they read as zeros, a write into them takes no more, nothing is uploaded.
import { afterEach, describe, expect, setDefaultTimeout, test } from "bun:test";
import { truncateSync } from "node:fs";
import { join } from "node:path";
import { ENOSPC } from "../../src/fs/fuse/errno.ts";
import { FALLOC_FL_KEEP_SIZE } from "../../src/fs/fuse/kernel.ts";
import { fsckStore } from "../../src/fs/fsck/fsck-store.ts";
import type { FsckUi } from "../../src/fs/fsck/problem.ts";
import { ROOT, cleanupDirs, ctx, errnoOf, newWorld, randomData, setattrIn, storedBytes, tempDir, writeFile } from "./helpers.ts";

setDefaultTimeout(30_000);
afterEach(cleanupDirs);

const KiB = 1024;

async function fsckTitles(w: Awaited<ReturnType<typeof newWorld>>, cacheDir: string): Promise<string[]> {
  const ui: FsckUi = { phase() {}, tick() {}, confirm: async () => true, log() {} };
  const r = await fsckStore({ backend: w.backend, keys: w.keys, url: "memory://test", cacheDir, ui });
  return r.problems.map((p) => p.title);
}

describe("fallocate", () => {
  test("reserves the range on the cache disk, keeps it over a clean remount, frees it on truncate", async () => {
    const bs = 64 * KiB;
    const w = await newWorld(bs);
    const cacheDir = tempDir();
    let fs = await w.open(cacheDir);
    const f = await fs.create(ctx(), ROOT, "f", 0o644, 2, 0);
    const ino = f.entry.nodeid;
    const fh = f.open.fh;
    await fs.fallocate(ctx(), ino, fh, 0, 8 * bs, 0);
    const attr = (await fs.getattr(ctx(), ino, undefined)).attr;
    expect(attr.size).toBe(8 * bs);
    expect(attr.blocks * 512).toBeGreaterThanOrEqual(8 * bs);
    expect(await fs.read(ctx(), ino, fh, 0, 8 * bs)).toEqual(new Uint8Array(8 * bs)); // zeros
    expect(fs.stats().dirtyBlocks).toBe(0); // a reservation is no data: nothing to upload

    // writing into the reserved range takes no more space
    await fs.write(ctx(), ino, fh, 2 * bs + 100, randomData(bs, 3), 0);
    expect((await fs.getattr(ctx(), ino, undefined)).attr.blocks).toBe(attr.blocks);
    await fs.release(ctx(), ino, fh, 0);
    await fs.close();
    expect(await storedBytes(w.backend)).toBeLessThan(3 * bs); // only the two written blocks were uploaded

    // a clean unmount keeps the reservation (the cache files stay allocated)
    fs = await w.open(cacheDir);
    expect((await fs.getattr(ctx(), ino, undefined)).attr.blocks * 512).toBeGreaterThanOrEqual(6 * bs);
    const again = await fs.read(ctx(), ino, 0, 2 * bs + 100, bs);
    expect(again).toEqual(randomData(bs, 3));

    // truncating to 0 gives every reserved block back
    await fs.setattr(ctx(), ino, setattrIn({ valid: 8, size: 0 }));
    expect((await fs.getattr(ctx(), ino, undefined)).attr.blocks).toBe(0);
    await fs.close();
  });

  test("KEEP_SIZE reserves without changing the size; more than the cache size is ENOSPC and reserves nothing; fsck sees no fault", async () => {
    const bs = 64 * KiB;
    const w = await newWorld(bs);
    const cacheDir = tempDir();
    const fs = await w.open(cacheDir, { cacheSizeBytes: 4 * bs });
    const f = await fs.create(ctx(), ROOT, "f", 0o644, 2, 0);
    const ino = f.entry.nodeid;
    await fs.fallocate(ctx(), ino, f.open.fh, 0, 2 * bs, FALLOC_FL_KEEP_SIZE);
    const attr = (await fs.getattr(ctx(), ino, undefined)).attr;
    expect(attr.size).toBe(0);
    expect(attr.blocks * 512).toBeGreaterThanOrEqual(2 * bs);
    expect(await errnoOf(() => fs.fallocate(ctx(), ino, f.open.fh, 2 * bs, 3 * bs, 0))).toBe(ENOSPC);
    const after = (await fs.getattr(ctx(), ino, undefined)).attr;
    expect(after.size).toBe(0);
    expect(after.blocks).toBe(attr.blocks);
    await fs.release(ctx(), ino, f.open.fh, 0);
    await fs.close();
    // reservations past the end (KEEP_SIZE) are no fault for fsck
    expect(await fsckTitles(w, cacheDir)).toEqual([]);
  });

  test("fsck still takes an emptied cache file of a block with data for torn, not for a reservation", async () => {
    const bs = 256 * KiB; // a full block lives in a cache file (small ones only in memory)
    const w = await newWorld(bs);
    const cacheDir = tempDir();
    const fs = await w.open(cacheDir);
    const ino = await writeFile(fs, ROOT, "f", randomData(bs, 5));
    await fs.close();
    truncateSync(join(cacheDir, "blocks", `${ino}-0`), 0);
    expect(await fsckTitles(w, cacheDir)).toEqual(["torn cache files"]);
  });
});
