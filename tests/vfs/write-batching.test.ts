// Small writes defer their inode update (size/mtime/ctime) to one later commit: nothing fsync returned for is lost, a crash before the commit never corrupts, disk full keeps memory and database agreeing.
import { afterEach, describe, expect, setDefaultTimeout, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { fsckStore } from "../../src/fs/fsck/fsck-store.ts";
import type { FsckUi } from "../../src/fs/fsck/problem.ts";
import { ENOSPC } from "../../src/fs/fuse/errno.ts";
import { FATTR } from "../../src/fs/fuse/kernel.ts";
import { MetaDb } from "../../src/fs/meta/db.ts";
import type { CofferFs } from "../../src/fs/vfs/index.ts";
import type { VfsCore } from "../../src/fs/vfs/core.ts";
import { ROOT, cleanupDirs, ctx, errnoOf, newWorld, randomData, readAll, resolve, setattrIn, tempDir, withTmpfsCacheDir, type World } from "./helpers.ts";

setDefaultTimeout(120_000); // per file: bun test ignores bunfig's timeout (docs/testing.md)

afterEach(cleanupDirs);

const core = (fs: CofferFs): VfsCore => (fs as unknown as { c: VfsCore }).c;

/** The inode row as committed in the database (not the in-memory view). */
const committedSize = (fs: CofferFs, ino: number): number =>
  (core(fs).db.q("SELECT size FROM inodes WHERE id = ?").get(ino) as { size: number }).size;

async function fsckProblems(w: World, cacheDir: string): Promise<string[]> {
  const ui: FsckUi = { phase() {}, tick() {}, confirm: async () => true, log() {} };
  const r = await fsckStore({ backend: w.backend, keys: w.keys, url: "memory://test", cacheDir, ui });
  return r.problems.map((p) => p.title);
}

describe("deferred inode updates of small writes", () => {
  test("appends into a dirty block and times-only SETATTRs change no row until a commit; getattr answers at once", async () => {
    const w = await newWorld(256 * 1024);
    const fs = await w.open();
    const { entry, open } = await fs.create(ctx(), ROOT, "log", 0o644, 2, 0);
    const ino = entry.nodeid;
    await fs.write(ctx(), ino, open.fh, 0, randomData(1000, 1), 0); // a new dirty block: marker + size in one commit
    expect(committedSize(fs, ino)).toBe(1000);
    const changes = core(fs).db.changes();
    for (let i = 0; i < 200; i++) await fs.write(ctx(), ino, open.fh, 1000 + 4 * i, new Uint8Array([i, 1, 2, 3]), 0);
    expect(core(fs).db.changes()).toBe(changes); // 200 writes, no row written
    expect((await fs.getattr(ctx(), ino, undefined)).attr.size).toBe(1800);
    expect(committedSize(fs, ino)).toBe(1000);
    // the writeback cache's SETATTR at close (mtime, ctime) is deferred too
    await fs.setattr(ctx(), ino, setattrIn({ valid: FATTR.MTIME | FATTR.CTIME | FATTR.FH, mtime: 1_000_000, ctime: 2_000_000 }));
    await fs.release(ctx(), ino, open.fh, 0);
    expect(core(fs).db.changes()).toBe(changes);
    expect((await fs.getattr(ctx(), ino, undefined)).attr.mtime).toBe(1_000_000);
    await fs.mkdir(ctx(), ROOT, "d", 0o755, 0); // the next transaction commits them
    expect(committedSize(fs, ino)).toBe(1800);
    expect(Number((core(fs).db.q("SELECT mtime_ns FROM inodes WHERE id = ?").get(ino) as { mtime_ns: number }).mtime_ns / 1e9)).toBe(1_000_000);
    await fs.close();
  });

  test("a clean close commits and ships deferred times even when nothing else changed", async () => {
    const w = await newWorld(256 * 1024);
    const cacheDir = tempDir();
    const fs = await w.open(cacheDir);
    const { entry, open } = await fs.create(ctx(), ROOT, "f", 0o644, 2, 0);
    await fs.write(ctx(), entry.nodeid, open.fh, 0, randomData(100, 9), 0);
    await fs.release(ctx(), entry.nodeid, open.fh, 0);
    await fs.flushAll(undefined, true); // block uploaded, a full snapshot shipped: nothing left to ship
    await fs.setattr(ctx(), entry.nodeid, setattrIn({ valid: FATTR.MTIME | FATTR.CTIME, mtime: 1_234_567, ctime: 2_000_000 }));
    await fs.close();
    for (const dir of [cacheDir, tempDir()]) { // the same cache, and the store alone
      const again = await w.open(dir);
      expect((await again.getattr(ctx(), await resolve(again, "f"), undefined)).attr.mtime).toBe(1_234_567);
      await again.close();
    }
  });

  test("any other transaction commits the deferred sizes too, and a truncate after deferred writes wins", async () => {
    const w = await newWorld(256 * 1024);
    const fs = await w.open();
    const { entry, open } = await fs.create(ctx(), ROOT, "a", 0o644, 2, 0);
    await fs.write(ctx(), entry.nodeid, open.fh, 0, randomData(500, 2), 0);
    await fs.write(ctx(), entry.nodeid, open.fh, 500, randomData(500, 3), 0);
    expect(committedSize(fs, entry.nodeid)).toBe(500);
    await fs.mkdir(ctx(), ROOT, "d", 0o755, 0); // an unrelated commit carries the deferred size
    expect(committedSize(fs, entry.nodeid)).toBe(1000);
    await fs.write(ctx(), entry.nodeid, open.fh, 1000, randomData(500, 4), 0); // deferred again
    await fs.setattr(ctx(), entry.nodeid, setattrIn({ valid: FATTR.SIZE, size: 100 }));
    await fs.release(ctx(), entry.nodeid, open.fh, 0);
    expect(committedSize(fs, entry.nodeid)).toBe(100); // the older deferred 1500 did not come back
    expect((await fs.getattr(ctx(), entry.nodeid, undefined)).attr.size).toBe(100);
    await fs.close();
  });

  test("a write fsync returned for survives a crash: size and every byte", async () => {
    const w = await newWorld(1024 * 1024);
    const cacheDir = tempDir();
    const fs = await w.open(cacheDir);
    const data = randomData(300_000, 5); // past the in-memory block limit: a cache file
    const { entry, open } = await fs.create(ctx(), ROOT, "f", 0o644, 2, 0);
    for (let off = 0; off < data.length; off += 1000) await fs.write(ctx(), entry.nodeid, open.fh, off, data.subarray(off, off + 1000), 0);
    await fs.fsync(ctx(), entry.nodeid, open.fh, false);
    expect(committedSize(fs, entry.nodeid)).toBe(data.length);
    await fs.abandonForTests(); // kill -9 right after fsync: no release, no timer tick
    const fs2 = await w.open(cacheDir);
    expect(w.logs.some((l) => l.includes("unclean shutdown"))).toBe(true);
    expect(await readAll(fs2, await resolve(fs2, "f"))).toEqual(data);
    await fs2.close();
    const fresh = await w.open(); // and from the store alone
    expect(await readAll(fresh, await resolve(fresh, "f"))).toEqual(data);
    await fresh.close();
  });

  test("a crash before the deferred commit keeps the committed size, cuts the bytes past it, and fsck finds nothing", async () => {
    const w = await newWorld(1024 * 1024);
    const cacheDir = tempDir();
    const fs = await w.open(cacheDir);
    const first = randomData(200_000, 6); // a cache file (over the in-memory limit)
    const { entry, open } = await fs.create(ctx(), ROOT, "f", 0o644, 2, 0);
    await fs.write(ctx(), entry.nodeid, open.fh, 0, first, 0); // new block: committed with its size
    await fs.write(ctx(), entry.nodeid, open.fh, first.length, randomData(5000, 7), 0); // size change deferred
    expect(committedSize(fs, entry.nodeid)).toBe(first.length);
    await fs.abandonForTests(); // the crash: the appended bytes are in the cache file, their size change is not committed
    const fs2 = await w.open(cacheDir);
    expect(w.logs.some((l) => l.includes("past their file's committed size"))).toBe(true);
    const ino = await resolve(fs2, "f");
    expect(await readAll(fs2, ino)).toEqual(first);
    // the cut bytes never come back: extending the file reads zeros there
    await fs2.setattr(ctx(), ino, setattrIn({ valid: FATTR.SIZE, size: first.length + 5000 }));
    const after = await readAll(fs2, ino);
    expect(after.subarray(0, first.length)).toEqual(first);
    expect(after.subarray(first.length)).toEqual(new Uint8Array(5000));
    await fs2.close();
    expect(await fsckProblems(w, cacheDir)).toEqual([]);
  });

  test("disk full at the deferred commit: memory keeps the sizes, a failed transaction loses none, all is committed once room is back", async () => {
    await withTmpfsCacheDir("4m", async (cacheDir, mnt) => {
      const w = await newWorld(256 * 1024);
      const fs = await w.open(cacheDir);
      const { entry, open } = await fs.create(ctx(), ROOT, "log", 0o644, 2, 0);
      const ino = entry.nodeid;
      const data = randomData(6000, 8);
      await fs.write(ctx(), ino, open.fh, 0, data.subarray(0, 1000), 0); // committed with its marker
      // fill the disk to the last byte (tmpfs allocates pages: nothing more can grow)
      const filler = join(mnt, "filler");
      Bun.spawnSync(["dd", "if=/dev/zero", `of=${filler}`, "bs=64k"], { stderr: "ignore" });
      Bun.spawnSync(["sh", "-c", `dd if=/dev/zero bs=1 >> ${filler}`], { stderr: "ignore" });
      for (let off = 1000; off < data.length; off += 1000) await fs.write(ctx(), ino, open.fh, off, data.subarray(off, off + 1000), 0); // in-memory block: deferred, no disk needed
      expect((await fs.getattr(ctx(), ino, undefined)).attr.size).toBe(6000);
      // an unrelated transaction fails at COMMIT (it would also have carried the deferred size): rolled back
      let failed = false;
      try {
        await fs.mkdir(ctx(), ROOT, `d${"x".repeat(200)}`, 0o755, 0);
      } catch {
        failed = true;
      }
      expect(failed).toBe(true);
      // fsync must commit them and cannot: ENOSPC, and they stay in memory (getattr); the database has the old size
      expect(await errnoOf(() => fs.fsync(ctx(), ino, open.fh, false))).toBe(ENOSPC);
      await fs.release(ctx(), ino, open.fh, 0);
      expect((await fs.getattr(ctx(), ino, undefined)).attr.size).toBe(6000);
      expect(committedSize(fs, ino)).toBe(1000);
      // room again: the next commit writes them, and the file is whole after a clean close, from the store alone
      writeFileSync(filler, "");
      expect(Bun.spawnSync(["mount", "-o", "remount,size=64m", mnt]).exitCode).toBe(0);
      const f2 = await fs.open(ctx(), ino, 0);
      await fs.fsync(ctx(), ino, f2.fh, false);
      expect(committedSize(fs, ino)).toBe(6000);
      await fs.release(ctx(), ino, f2.fh, 0);
      await fs.close();
      const db = MetaDb.open(join(cacheDir, "metadata.db"));
      expect((db.q("SELECT size FROM inodes WHERE id = ?").get(ino) as { size: number }).size).toBe(6000);
      db.close();
      const fresh = await w.open(tempDir());
      expect(await readAll(fresh, await resolve(fresh, "log"))).toEqual(data);
      await fresh.close();
    });
  });
});
