// Queries on the inodes, symlinks and xattrs tables: typed rows in, typed rows out.
import type { MetaDb } from "./db.ts";

/** One inode as the vfs sees it; timestamps are nanoseconds as bigint (they exceed 2^53). */
export interface Inode {
  id: number;
  mode: number;
  uid: number;
  gid: number;
  nlink: number;
  size: number;
  rdev: number;
  atimeNs: bigint;
  mtimeNs: bigint;
  ctimeNs: bigint;
  crtimeNs: bigint;
}

export type NewInode = Omit<Inode, "id">;

interface Row64 {
  id: bigint; mode: bigint; uid: bigint; gid: bigint; nlink: bigint; size: bigint; rdev: bigint;
  atime_ns: bigint; mtime_ns: bigint; ctime_ns: bigint; crtime_ns: bigint;
}

const COLS = "id, mode, uid, gid, nlink, size, rdev, atime_ns, mtime_ns, ctime_ns, crtime_ns";

/** Inode rows kept in memory (write-through): getattr, lookup, write and getxattr each read an inode. */
const ROW_CACHE_MAX = 16384;

/**
 * The inode queries, prepared once per connection, with a write-through cache of recently used rows.
 * Every change of the inodes table goes through this class (insert/update/delete), so the cache is
 * exact; a rolled-back transaction may have updated it, so a rollback empties it. `get` returns a copy
 * (callers modify the object before `update`).
 */
export class InodeTable {
  private readonly getStmt;
  private readonly insStmt;
  private readonly updStmt;
  private readonly rows = new Map<number, Inode>();
  /**
   * Whether the xattrs table has no row at all (null = unknown, asked lazily). The kernel asks for
   * security.capability before every write; on a filesystem without xattrs that needs no query.
   */
  private noXattrs: boolean | null = null;

  constructor(private readonly m: MetaDb) {
    m.onRollback.push(() => {
      this.rows.clear();
      this.noXattrs = null;
    });
    this.getStmt = m.q64(`SELECT ${COLS} FROM inodes WHERE id = ?`);
    this.insStmt = m.q(
      "INSERT INTO inodes (mode, uid, gid, nlink, size, rdev, atime_ns, mtime_ns, ctime_ns, crtime_ns) VALUES (?,?,?,?,?,?,?,?,?,?) RETURNING id",
    );
    this.updStmt = m.q(
      "UPDATE inodes SET mode=?, uid=?, gid=?, nlink=?, size=?, rdev=?, atime_ns=?, mtime_ns=?, ctime_ns=? WHERE id=?",
    );
  }

  get(id: number): Inode | null {
    const hit = this.rows.get(id);
    if (hit) return { ...hit };
    const r = this.getStmt.get(id) as Row64 | null;
    if (!r) return null;
    const i = {
      id: Number(r.id), mode: Number(r.mode), uid: Number(r.uid), gid: Number(r.gid), nlink: Number(r.nlink),
      size: Number(r.size), rdev: Number(r.rdev),
      atimeNs: r.atime_ns, mtimeNs: r.mtime_ns, ctimeNs: r.ctime_ns, crtimeNs: r.crtime_ns,
    };
    this.remember(i);
    return { ...i };
  }

  private remember(i: Inode): void {
    this.rows.delete(i.id);
    this.rows.set(i.id, i);
    if (this.rows.size > ROW_CACHE_MAX) for (const k of this.rows.keys()) {
      this.rows.delete(k);
      break;
    }
  }

  insert(n: NewInode): number {
    const r = this.insStmt.get(n.mode, n.uid, n.gid, n.nlink, n.size, n.rdev, n.atimeNs, n.mtimeNs, n.ctimeNs, n.crtimeNs) as { id: number };
    this.remember({ id: r.id, ...n });
    return r.id;
  }

  /** Writes back every mutable column of `i`. */
  update(i: Inode): void {
    this.rows.delete(i.id); // dropped first: if the statement throws, nothing stale stays
    const r = this.updStmt.run(i.mode, i.uid, i.gid, i.nlink, i.size, i.rdev, i.atimeNs, i.mtimeNs, i.ctimeNs, i.id);
    if (r.changes > 0) this.remember({ ...i }); // an update of a deleted inode must not bring it back
  }

  /** Deletes the inode row with its symlink target and xattrs (blocks are removed by the block map). */
  delete(id: number): void {
    this.rows.delete(id);
    this.m.q("DELETE FROM inodes WHERE id = ?").run(id);
    this.m.q("DELETE FROM symlinks WHERE inode = ?").run(id);
    if (this.m.q("DELETE FROM xattrs WHERE inode = ?").run(id).changes > 0) this.noXattrs = null;
  }

  /** Inodes with no names left (orphans of a previous session). */
  orphans(): number[] {
    return (this.m.q("SELECT id FROM inodes WHERE nlink = 0").all() as { id: number }[]).map((r) => r.id);
  }

  count(): number {
    return (this.m.q("SELECT count(*) AS n FROM inodes").get() as { n: number }).n;
  }

  /** Sum of regular file sizes (logical bytes). */
  logicalBytes(): number {
    return (this.m.q("SELECT coalesce(sum(size), 0) AS n FROM inodes WHERE (mode & 61440) = 32768").get() as { n: number }).n;
  }

  setSymlink(id: number, target: Uint8Array): void {
    this.m.q("INSERT OR REPLACE INTO symlinks (inode, target) VALUES (?, ?)").run(id, target);
  }

  symlink(id: number): Uint8Array | null {
    const r = this.m.q("SELECT target FROM symlinks WHERE inode = ?").get(id) as { target: Uint8Array } | null;
    return r ? new Uint8Array(r.target) : null;
  }

  private xattrsEmpty(): boolean {
    if (this.noXattrs === null) this.noXattrs = this.m.q("SELECT 1 FROM xattrs LIMIT 1").get() === null;
    return this.noXattrs;
  }

  getXattr(id: number, name: string): Uint8Array | null {
    if (this.xattrsEmpty()) return null;
    const r = this.m.q("SELECT value FROM xattrs WHERE inode = ? AND name = ?").get(id, name) as { value: Uint8Array } | null;
    return r ? new Uint8Array(r.value) : null;
  }

  setXattr(id: number, name: string, value: Uint8Array): void {
    this.noXattrs = false; // before the statement: if it fails, "not empty" is merely slower
    this.m.q("INSERT INTO xattrs (inode, name, value) VALUES (?, ?, ?) ON CONFLICT (inode, name) DO UPDATE SET value = excluded.value").run(id, name, value);
  }

  removeXattr(id: number, name: string): boolean {
    const gone = this.m.q("DELETE FROM xattrs WHERE inode = ? AND name = ?").run(id, name).changes > 0;
    if (gone) this.noXattrs = null;
    return gone;
  }

  listXattrs(id: number): string[] {
    if (this.xattrsEmpty()) return [];
    return (this.m.q("SELECT name FROM xattrs WHERE inode = ? ORDER BY name").all(id) as { name: string }[]).map((r) => r.name);
  }
}
