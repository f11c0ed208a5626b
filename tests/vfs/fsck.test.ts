// coffer fsck in process: a clean filesystem has no problems; each injected fault is found, repaired, and gone the second time.
import { afterAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { readdirSync, truncateSync } from "node:fs";
import { join } from "node:path";
import { MetaDb } from "../../src/fs/meta/db.ts";
import { LOG_PREFIX, dataObjectKey } from "../../src/fs/store/object-names.ts";
import { listGenerations } from "../../src/fs/metadata/index.ts";
import { fsckStore } from "../../src/fs/fsck/fsck-store.ts";
import type { FsckUi } from "../../src/fs/fsck/problem.ts";
import { cleanupDirs, ctx, newWorld, randomData, readAll, resolve, ROOT, tempDir, type World, writeFile } from "./helpers.ts";

setDefaultTimeout(120_000); // per file: bun test ignores bunfig's timeout (docs/testing.md)

afterAll(cleanupDirs);

const BS = 256 * 1024; // full blocks live in cache files (small ones are only held in memory)
const bigData = randomData(3 * BS + 1000, 7);
const smallData = randomData(5000, 8);

/** A filesystem with /big (3 full blocks in cache files + 1000 bytes), /d/small and /d/e/, closed cleanly; returns the world and its cache dir. */
async function populated(): Promise<{ w: World; cacheDir: string }> {
  const w = await newWorld(BS);
  const cacheDir = tempDir();
  const fs = await w.open(cacheDir);
  await writeFile(fs, ROOT, "big", bigData);
  const d = (await fs.mkdir(ctx(), ROOT, "d", 0o755, 0)).nodeid;
  await writeFile(fs, d, "small", smallData);
  await fs.mkdir(ctx(), d, "e", 0o755, 0);
  await fs.close();
  return { w, cacheDir };
}

async function fsck(w: World, cacheDir: string) {
  const logs: string[] = [];
  const ui: FsckUi = { phase() {}, tick() {}, confirm: async () => true, log: (l) => logs.push(l) };
  const r = await fsckStore({ backend: w.backend, keys: w.keys, url: "memory://test", cacheDir, ui });
  return { ...r, logs, titles: r.problems.map((p) => p.title) };
}

/** Runs fn on the local metadata database of a closed filesystem. */
function editDb(cacheDir: string, fn: (db: MetaDb) => void): void {
  const db = MetaDb.open(join(cacheDir, "metadata.db"));
  try {
    fn(db);
  } finally {
    db.close();
  }
}

/** The store key of the object holding block `blkno` of /big. */
function objectKeyOfBig(cacheDir: string, blkno: number): string {
  let key = "";
  editDb(cacheDir, (db) => {
    const o = db.q("SELECT o.id, o.hash FROM blocks b JOIN objects o ON o.id = b.object JOIN entries e ON e.inode = b.inode WHERE e.name = 'big' AND b.blkno = ?").get(blkno) as { id: number; hash: string };
    key = dataObjectKey(o.id, o.hash);
  });
  return key;
}

async function dataKeys(w: World): Promise<string[]> {
  const out: string[] = [];
  for await (const o of w.backend.list("data/")) out.push(o.key);
  return out;
}

/** Opens with an empty cache (everything from the store) and reads a path. */
async function readFresh(w: World, path: string): Promise<Uint8Array> {
  const fs = await w.open(tempDir());
  try {
    return await readAll(fs, await resolve(fs, path));
  } finally {
    await fs.close();
  }
}

describe("coffer fsck", () => {
  test("a clean filesystem: no problems, nothing changed", async () => {
    const { w, cacheDir } = await populated();
    const before = await dataKeys(w);
    const r = await fsck(w, cacheDir);
    expect(r.problems).toEqual([]);
    expect(await dataKeys(w)).toEqual(before);
  }, 30_000);

  test("an object missing from the store and not cached: the block becomes a hole, the file is named", async () => {
    const { w, cacheDir } = await populated();
    await w.backend.delete(objectKeyOfBig(cacheDir, 1));
    const cold = tempDir(); // a cache that does not hold the block
    const r = await fsck(w, cold);
    expect(r.titles).toEqual(["objects missing from the store"]);
    expect(r.logs.some((l) => l.includes("/big block 1 is lost"))).toBe(true);
    expect((await fsck(w, cold)).problems).toEqual([]);
    const want = bigData.slice();
    want.fill(0, BS, 2 * BS);
    expect(await readFresh(w, "big")).toEqual(want);
  }, 30_000);

  test("an object missing from the store but cached: uploaded again, nothing lost", async () => {
    const { w, cacheDir } = await populated();
    await w.backend.delete(objectKeyOfBig(cacheDir, 2));
    const r = await fsck(w, cacheDir);
    expect(r.titles).toEqual(["objects missing from the store"]);
    expect(r.uploadedBlocks).toBe(1);
    expect((await fsck(w, cacheDir)).problems).toEqual([]);
    expect(await readFresh(w, "big")).toEqual(bigData);
    expect(await readFresh(w, "d/small")).toEqual(smallData);
  }, 30_000);

  test("an object in the store that nothing names is deleted", async () => {
    const { w, cacheDir } = await populated();
    await w.backend.put(`data/${"ab".repeat(12)}-9999`, new Uint8Array(100));
    const r = await fsck(w, cacheDir);
    expect(r.titles).toEqual(["store objects nothing refers to"]);
    expect(await dataKeys(w)).not.toContain(`data/${"ab".repeat(12)}-9999`);
    expect((await fsck(w, cacheDir)).problems).toEqual([]);
  }, 30_000);

  test("a wrong reference count is recounted", async () => {
    const { w, cacheDir } = await populated();
    editDb(cacheDir, (db) => db.q("UPDATE objects SET refcount = refcount + 3 WHERE id = (SELECT min(id) FROM objects WHERE refcount > 0)").run());
    const r = await fsck(w, cacheDir);
    expect(r.titles).toEqual(["wrong reference counts"]);
    expect((await fsck(w, cacheDir)).problems).toEqual([]);
    editDb(cacheDir, (db) => {
      const bad = db.q("SELECT count(*) AS n FROM objects o WHERE refcount != (SELECT count(*) FROM blocks b WHERE b.object = o.id)").get() as { n: number };
      expect(bad.n).toBe(0);
    });
  }, 30_000);

  test("a torn cache file is detected and dropped; the data comes back from the store", async () => {
    const { w, cacheDir } = await populated();
    const blocks = join(cacheDir, "blocks");
    const big = readdirSync(blocks).find((n) => n.endsWith("-1"))!; // a full block of /big
    truncateSync(join(blocks, big), 1000);
    const r = await fsck(w, cacheDir);
    expect(r.titles).toEqual(["torn cache files"]);
    expect(readdirSync(blocks)).not.toContain(big);
    expect((await fsck(w, cacheDir)).problems).toEqual([]);
    const fs = await w.open(cacheDir); // the same cache: the torn block is downloaded again
    try {
      expect(await readAll(fs, await resolve(fs, "big"))).toEqual(bigData);
    } finally {
      await fs.close();
    }
  }, 30_000);

  test("a dangling directory entry is removed", async () => {
    const { w, cacheDir } = await populated();
    editDb(cacheDir, (db) => db.q("INSERT INTO entries (parent, name, inode) VALUES (1, 'ghost', 424242)").run());
    const r = await fsck(w, cacheDir);
    expect(r.titles).toEqual(["dangling directory entries"]);
    expect((await fsck(w, cacheDir)).problems).toEqual([]);
    const fs = await w.open(cacheDir);
    try {
      expect(await resolve(fs, "ghost").catch(() => -1)).toBe(-1);
    } finally {
      await fs.close();
    }
  }, 30_000);

  test("a detached directory and a directory loop go to /lost+found with their contents", async () => {
    const { w, cacheDir } = await populated();
    editDb(cacheDir, (db) => {
      const d = (db.q("SELECT inode FROM entries WHERE parent = 1 AND name = 'd'").get() as { inode: number }).inode;
      const e = (db.q("SELECT inode FROM entries WHERE parent = ? AND name = 'e'").get(d) as { inode: number }).inode;
      db.q("DELETE FROM entries WHERE parent = 1 AND name = 'd'").run(); // d (with small and e) detached
      db.q("INSERT INTO entries (parent, name, inode) VALUES (?, 'back', ?)").run(e, d); // and e/back -> d: a loop
    });
    const r = await fsck(w, cacheDir);
    expect(r.titles).toContain("inodes unreachable from the root");
    expect((await fsck(w, cacheDir)).problems).toEqual([]);
    const fs = await w.open(cacheDir);
    try {
      const lf = await resolve(fs, "lost+found");
      const names: string[] = [];
      const fh = (await fs.opendir(ctx(), lf, 0)).fh;
      await fs.readdir(ctx(), lf, fh, 0, { add: (n) => (n !== "." && n !== ".." && names.push(n), true), addPlus: () => true });
      expect(names.length).toBe(1);
      // the loop is cut at one of its two directories: small is in the moved one or one level below
      const top = `lost+found/${names[0]}`;
      const small = await resolve(fs, `${top}/small`).catch(() => resolve(fs, `${top}/back/small`));
      expect(await readAll(fs, small)).toEqual(smallData);
    } finally {
      await fs.close();
    }
  }, 30_000);

  test("metadata logs are metadata: checked through the chain, never taken for orphans; a repair is a new generation", async () => {
    const w = await newWorld(BS);
    const fs = await w.open(tempDir());
    await writeFile(fs, ROOT, "big", bigData);
    await fs.flushAll(); // each flush ships a log after mkfs's snapshot
    await writeFile(fs, ROOT, "small", smallData);
    await fs.flushAll();
    await fs.abandonForTests(); // the machine is lost: no final snapshot compacts the logs
    const before = await listGenerations(w.backend);
    expect(before.newest! - before.base!).toBe(2);
    const logKeys = async () => {
      const k: string[] = [];
      for await (const o of w.backend.list(LOG_PREFIX)) k.push(o.key);
      return k.sort();
    };
    const logs = await logKeys();
    await w.backend.put(`data/${"cd".repeat(12)}-9998`, new Uint8Array(100)); // something to repair
    const r = await fsck(w, tempDir()); // a fresh machine: snapshot + both logs from the store
    expect(r.titles).toEqual(["store objects nothing refers to"]);
    expect(await logKeys()).toEqual(logs);
    const after = await listGenerations(w.backend);
    expect(after.newest).toBe(before.newest! + 2); // published as backups restore does (+2: past a crashed mount's pending put)
    expect(after.snapshots).toContain(after.newest!);
    expect((await fsck(w, tempDir())).problems).toEqual([]);
    expect(await readFresh(w, "big")).toEqual(bigData);
    expect(await readFresh(w, "small")).toEqual(smallData); // only in the second log
  }, 30_000);
});
