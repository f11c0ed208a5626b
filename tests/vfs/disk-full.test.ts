// Disk full in the cache directory (a small tmpfs mounted by the test): the writer gets ENOSPC, memory and database agree, nothing written before is lost.
import { afterAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { ENOSPC } from "../../src/fs/fuse/errno.ts";
import { MetaDb } from "../../src/fs/meta/db.ts";
import { cleanupDirs, ctx, errnoOf, newWorld, randomData, readAll, resolve, ROOT, tempDir, writeFile } from "./helpers.ts";

setDefaultTimeout(120_000); // per file: bun test ignores bunfig's timeout (docs/testing.md)

const mounted: string[] = [];
afterAll(() => {
  // also after a timeout (the test's finally may not have run): never leave the tmpfs mounted
  for (const m of mounted.splice(0)) Bun.spawnSync(["umount", "-l", m]);
  cleanupDirs();
});

describe("disk full in the cache directory", () => {
  test("ENOSPC for the writer; earlier files intact; dirty markers match the cache", async () => {
    const mnt = tempDir("coffer-tmpfs-");
    const mount = Bun.spawnSync(["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", mnt]);
    expect(mount.exitCode).toBe(0);
    mounted.push(mnt);
    try {
      const cacheDir = join(mnt, "cache");
      mkdirSync(cacheDir);
      const w = await newWorld(256 * 1024);
      const fs = await w.open(cacheDir);
      const kept: { name: string; data: Uint8Array }[] = [];
      let errno = 0;
      // whole files of 512 KiB until the 3 MiB filesystem is full (uploads are held back: all stays dirty)
      for (let n = 0; n < 20 && errno === 0; n++) {
        const data = randomData(512 * 1024, n + 1);
        const { entry, open } = await fs.create(ctx(), ROOT, `f${n}`, 0o644, 2, 0);
        errno = await errnoOf(async () => {
          for (let off = 0; off < data.length; off += 128 * 1024) await fs.write(ctx(), entry.nodeid, open.fh, off, data.subarray(off, off + 128 * 1024), 0);
        });
        await fs.release(ctx(), entry.nodeid, open.fh, 0);
        if (errno === 0) kept.push({ name: `f${n}`, data });
      }
      expect(errno).toBe(ENOSPC);
      expect(kept.length).toBeGreaterThan(0);
      // memory and database agree on which blocks are dirty
      const inMemory = new Set([...(fs as unknown as { c: { cache: { dirtyEntries(): Iterable<[string, unknown]> } } }).c.cache.dirtyEntries()].map(([k]) => k));
      const db = MetaDb.open(join(cacheDir, "metadata.db"));
      const inDb = new Set((db.q("SELECT inode || '-' || blkno AS k FROM dirty_blocks").all() as { k: string }[]).map((r) => r.k));
      db.db.close();
      expect([...inDb].sort()).toEqual([...inMemory].sort());
      // the admin makes room: the filesystem goes on (uploads, metadata, close need local space too)
      expect(Bun.spawnSync(["mount", "-o", "remount,size=64m", mnt]).exitCode).toBe(0);
      // everything written before the failure is there, and reaches the store
      for (const f of kept) expect(await readAll(fs, await resolve(fs, f.name))).toEqual(f.data);
      await fs.close();
      const fresh = await w.open(tempDir());
      for (const f of kept) expect(await readAll(fresh, await resolve(fresh, f.name))).toEqual(f.data);
      await fresh.close();
    } finally {
      if (Bun.spawnSync(["umount", mnt]).exitCode === 0) mounted.splice(mounted.indexOf(mnt), 1);
    }
  }, 60_000);
});
