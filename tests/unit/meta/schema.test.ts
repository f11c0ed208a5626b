// Unit tests of the metadata layer: every schema column is commented, block map reference counting, snapshots.
import { afterEach, describe, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MetaDb } from "../../../src/fs/meta/db.ts";
import { BlockMap } from "../../../src/fs/meta/blockmap.ts";
import { EntryTable } from "../../../src/fs/meta/entries.ts";
import { InodeTable } from "../../../src/fs/meta/inodes.ts";
import { SCHEMA_SQL } from "../../../src/fs/meta/schema.ts";

setDefaultTimeout(120_000); // per file: bun test ignores bunfig's timeout (docs/testing.md)

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), "coffer-meta-"));
  dirs.push(d);
  return d;
};

describe("schema", () => {
  test("every table and column carries a comment", () => {
    const lines = SCHEMA_SQL.split("\n");
    lines.forEach((line, n) => {
      if (/^CREATE TABLE/.test(line)) expect(lines[n - 1]).toMatch(/^--/);
      const col = /^\s+([a-z_]+)\s+(INTEGER|TEXT|BLOB)/.exec(line);
      if (col) expect(line).toContain("--");
    });
  });

  test("nanosecond timestamps round-trip exactly; ids are never reused", () => {
    const m = MetaDb.open(join(tmp(), "m.db"));
    const t = new InodeTable(m);
    const ns = 1_790_000_000_123_456_789n;
    const base = { mode: 0o100644, uid: 1, gid: 2, nlink: 1, size: 5, rdev: 0, atimeNs: ns, mtimeNs: ns + 1n, ctimeNs: -5n, crtimeNs: ns };
    const a = t.insert(base);
    expect(t.get(a)?.mtimeNs).toBe(ns + 1n);
    expect(t.get(a)?.ctimeNs).toBe(-5n);
    t.delete(a);
    const b = t.insert(base);
    expect(b).toBeGreaterThan(a);
    m.close();
  });

  test("the inode row cache is exact: copies out, write-through, emptied by a rollback, deleted rows stay gone", () => {
    const m = MetaDb.memory();
    const t = new InodeTable(m);
    const base = { mode: 0o100644, uid: 1, gid: 2, nlink: 1, size: 5, rdev: 0, atimeNs: 1n, mtimeNs: 2n, ctimeNs: 3n, crtimeNs: 4n };
    const id = t.insert(base);
    const a = t.get(id)!;
    a.size = 99; // a caller's copy: not the cache
    expect(t.get(id)!.size).toBe(5);
    t.update(a);
    expect(t.get(id)!.size).toBe(99);
    expect(() => m.tx(() => {
      t.update({ ...a, size: 1234 });
      expect(t.get(id)!.size).toBe(1234);
      throw new Error("abort");
    })).toThrow("abort");
    expect(t.get(id)!.size).toBe(99); // rolled back in SQLite and in the cache
    const raw = () => (m.q("SELECT size FROM inodes WHERE id = ?").get(id) as { size: number } | null)?.size;
    expect(raw()).toBe(99);
    t.delete(id);
    t.update(a); // an update of a deleted inode changes nothing and must not resurrect it
    expect(t.get(id)).toBeNull();
    m.close();
  });

  test("readdir pages by entry id", () => {
    const m = MetaDb.memory();
    const e = new EntryTable(m);
    for (let i = 0; i < 10; i++) e.insert(1, `n${i}`, 100 + i);
    const first = e.list(1, 0, 4);
    const next = e.list(1, first[3].id, 100);
    expect([...first, ...next].map((x) => x.name)).toEqual([...Array(10)].map((_, i) => `n${i}`));
    expect(m.q("EXPLAIN QUERY PLAN SELECT id FROM entries WHERE parent = 1 AND id > 3 ORDER BY id LIMIT 5").all().map((r: any) => r.detail).join(" ")).toContain("entries_parent_id");
  });
});

describe("block map", () => {
  test("reference counts follow set/remove; unused objects become deletable after a newer snapshot", () => {
    const m = MetaDb.memory();
    const map = new BlockMap(m);
    const o1 = map.insertPending("aa", 10, 1);
    map.markStored(o1, 50);
    map.set(5, 0, o1, 1);
    map.set(6, 0, o1, 1);
    expect(map.object(o1)?.refcount).toBe(2);
    expect(map.findStored("aa")?.id).toBe(o1);
    map.set(5, 0, null, 3);
    map.removeFrom(6, 0, 4); // last reference goes while snapshot 4 is the newest taken
    expect(map.object(o1)?.refcount).toBe(0);
    // never shared again once unreferenced: the store may already have deleted it
    expect(map.findStored("aa")).toBeNull();
    expect(map.deletable(4, 10)).toEqual([]); // snapshot 4 may still name it
    expect(map.deletable(5, 10).map((o) => o.id)).toEqual([o1]);
    map.toGarbage(map.deletable(5, 10)[0], `data/aa-${o1}`);
    expect(map.object(o1)).toBeNull();
    expect(map.garbage(10)[0].key).toBe(`data/aa-${o1}`);
    expect(map.stats().storedObjects).toBe(0);
  });

  test("a shipped image opens anywhere and is restored byte for byte", () => {
    const m = MetaDb.open(join(tmp(), "m.db"));
    const map = new BlockMap(m);
    map.markDirty(3, 4);
    new EntryTable(m).insert(1, "x", 2);
    const img = m.image();
    const copy = MetaDb.fromImage(img);
    expect(new EntryTable(copy).lookup(1, "x")?.inode).toBe(2);
    expect(map.allDirty()).toEqual([{ inode: 3, blkno: 4 }]);
    const path = join(tmp(), "restored.db");
    MetaDb.writeImage(path, img);
    expect(Buffer.from(readFileSync(path)).equals(Buffer.from(img))).toBe(true); // later WAL pages apply to exactly this
    const r = MetaDb.open(path);
    expect(new EntryTable(r).lookup(1, "x")?.inode).toBe(2);
    r.close();
    m.close();
  });
});
