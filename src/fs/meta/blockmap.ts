// Queries on blocks, objects, dirty_blocks and garbage: the block map with reference-counted objects.
import type { MetaDb } from "./db.ts";

export interface ObjectRow {
  id: number;
  hash: string;
  refcount: number;
  size: number;
  stored_size: number;
  stored: number;
  zeroed_after: number;
}


/** Block map and object reference counting; every method is synchronous (call them without awaits between). */
export class BlockMap {
  private readonly getStmt;
  constructor(private readonly m: MetaDb) {
    this.getStmt = m.q("SELECT object FROM blocks WHERE inode = ? AND blkno = ?");
  }

  /** Registers fn to run when a transaction rolls back (a failed COMMIT included, e.g. disk full). */
  onRollback(fn: () => void): void {
    this.m.onRollback.push(fn);
  }

  /** The object holding block (inode, blkno), or null for a hole. */
  get(inode: number, blkno: number): number | null {
    const r = this.getStmt.get(inode, blkno) as { object: number } | null;
    return r ? r.object : null;
  }

  /** Number of mapped blocks of `inode`. */
  count(inode: number): number {
    return (this.m.q("SELECT count(*) AS n FROM blocks WHERE inode = ?").get(inode) as { n: number }).n;
  }

  /** Each mapped block of `inode` with its object's plaintext size and bytes in the store (0 until stored). */
  blockSizes(inode: number): { blkno: number; size: number; stored_size: number }[] {
    return this.m.q("SELECT b.blkno, o.size, o.stored_size FROM blocks b JOIN objects o ON o.id = b.object WHERE b.inode = ?")
      .all(inode) as { blkno: number; size: number; stored_size: number }[];
  }

  /** The first mapped block of `inode` at or after `fromBlk`, or null. */
  nextMapped(inode: number, fromBlk: number): number | null {
    const r = this.m.q("SELECT min(blkno) AS b FROM blocks WHERE inode = ? AND blkno >= ?").get(inode, fromBlk) as { b: number | null };
    return r.b;
  }

  object(id: number): ObjectRow | null {
    return this.m.q("SELECT * FROM objects WHERE id = ?").get(id) as ObjectRow | null;
  }

  /**
   * A stored, referenced object with this content id, to share instead of uploading again. Never one with
   * refcount 0: it may already be deleted from the store (a snapshot taken before the removal pass still
   * lists it, or a restored generation lists one a later history deleted), and sharing it would point a
   * block at nothing. Keeping unreferenced objects until their generation rotates out does not change that.
   */
  findStored(hash: string): ObjectRow | null {
    return this.m.q("SELECT * FROM objects WHERE hash = ? AND stored = 1 AND refcount > 0 ORDER BY id LIMIT 1").get(hash) as ObjectRow | null;
  }

  /** Registers an object whose upload is about to start (refcount 0, not stored). */
  insertPending(hash: string, size: number, snapshotSeq: number): number {
    return (this.m.q("INSERT INTO objects (hash, refcount, size, stored_size, stored, zeroed_after) VALUES (?, 0, ?, 0, 0, ?) RETURNING id")
      .get(hash, size, snapshotSeq) as { id: number }).id;
  }

  markStored(id: number, storedSize: number): void {
    this.m.q("UPDATE objects SET stored = 1, stored_size = ? WHERE id = ?").run(storedSize, id);
  }

  /**
   * Points block (inode, blkno) at `object` (or removes it when null), adjusting both reference
   * counts. An object whose count drops to 0 records the newest snapshot sequence taken so far.
   */
  set(inode: number, blkno: number, object: number | null, snapshotSeq: number): void {
    const old = this.get(inode, blkno);
    if (old === object) return;
    if (object !== null) {
      this.m.q("INSERT INTO blocks (inode, blkno, object) VALUES (?, ?, ?) ON CONFLICT (inode, blkno) DO UPDATE SET object = excluded.object").run(inode, blkno, object);
      this.m.q("UPDATE objects SET refcount = refcount + 1 WHERE id = ?").run(object);
    } else {
      this.m.q("DELETE FROM blocks WHERE inode = ? AND blkno = ?").run(inode, blkno);
    }
    if (old !== null) this.unref(old, snapshotSeq);
  }

  private unref(object: number, snapshotSeq: number): void {
    this.m.q("UPDATE objects SET refcount = refcount - 1, zeroed_after = CASE WHEN refcount = 1 THEN ? ELSE zeroed_after END WHERE id = ?")
      .run(snapshotSeq, object);
  }

  /** Block numbers of `inode` that are >= fromBlk, ascending. */
  blocksFrom(inode: number, fromBlk: number): number[] {
    return (this.m.q("SELECT blkno FROM blocks WHERE inode = ? AND blkno >= ? ORDER BY blkno").all(inode, fromBlk) as { blkno: number }[]).map((r) => r.blkno);
  }

  /** Removes all block rows of `inode` with blkno >= fromBlk (dropping references). */
  removeFrom(inode: number, fromBlk: number, snapshotSeq: number): void {
    for (const b of this.blocksFrom(inode, fromBlk)) this.set(inode, b, null, snapshotSeq);
  }

  // ---- dirty markers (local only) ----

  markDirty(inode: number, blkno: number): void {
    this.m.q("INSERT OR IGNORE INTO dirty_blocks (inode, blkno) VALUES (?, ?)").run(inode, blkno);
  }

  clearDirty(inode: number, blkno: number): void {
    this.m.q("DELETE FROM dirty_blocks WHERE inode = ? AND blkno = ?").run(inode, blkno);
  }

  allDirty(): { inode: number; blkno: number }[] {
    return this.m.q("SELECT inode, blkno FROM dirty_blocks").all() as { inode: number; blkno: number }[];
  }

  // ---- removal ----

  /**
   * Unused objects no restorable generation names (oldest first): zeroed_after is the newest generation that
   * may still name one, so it must be older than the oldest restorable generation.
   */
  deletable(oldestRestorableGen: number, limit: number): ObjectRow[] {
    return this.m.q("SELECT * FROM objects WHERE refcount = 0 AND zeroed_after < ? ORDER BY zeroed_after LIMIT ?").all(oldestRestorableGen, limit) as ObjectRow[];
  }

  /** Moves an unused object into the garbage journal under its store key (in the same transaction as the caller's check). */
  toGarbage(o: ObjectRow, key: string): void {
    this.m.q("DELETE FROM objects WHERE id = ?").run(o.id);
    this.m.q("INSERT OR REPLACE INTO garbage (object, key) VALUES (?, ?)").run(o.id, key);
  }

  garbage(limit: number): { object: number; key: string }[] {
    return this.m.q("SELECT object, key FROM garbage LIMIT ?").all(limit) as { object: number; key: string }[];
  }

  dropGarbage(object: number): void {
    this.m.q("DELETE FROM garbage WHERE object = ?").run(object);
  }

  /**
   * Stored objects the current metadata uses. Unreferenced ones still kept for restorable generations
   * (removal waits until those rotate out) are not counted: they are not this state's data.
   */
  stats(): { storedObjects: number; dedupBytes: number; storedBytes: number } {
    const r = this.m.q("SELECT count(*) AS n, coalesce(sum(size), 0) AS s, coalesce(sum(stored_size), 0) AS t FROM objects WHERE stored = 1 AND refcount > 0").get() as { n: number; s: number; t: number };
    return { storedObjects: r.n, dedupBytes: r.s, storedBytes: r.t };
  }
}
