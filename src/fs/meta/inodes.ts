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

/** The inode queries, prepared once per connection. */
export class InodeTable {
  private readonly getStmt;
  private readonly insStmt;
  private readonly updStmt;

  constructor(private readonly m: MetaDb) {
    this.getStmt = m.q64(`SELECT ${COLS} FROM inodes WHERE id = ?`);
    this.insStmt = m.q(
      "INSERT INTO inodes (mode, uid, gid, nlink, size, rdev, atime_ns, mtime_ns, ctime_ns, crtime_ns) VALUES (?,?,?,?,?,?,?,?,?,?) RETURNING id",
    );
    this.updStmt = m.q(
      "UPDATE inodes SET mode=?, uid=?, gid=?, nlink=?, size=?, rdev=?, atime_ns=?, mtime_ns=?, ctime_ns=? WHERE id=?",
    );
  }

  get(id: number): Inode | null {
    const r = this.getStmt.get(id) as Row64 | null;
    if (!r) return null;
    return {
      id: Number(r.id), mode: Number(r.mode), uid: Number(r.uid), gid: Number(r.gid), nlink: Number(r.nlink),
      size: Number(r.size), rdev: Number(r.rdev),
      atimeNs: r.atime_ns, mtimeNs: r.mtime_ns, ctimeNs: r.ctime_ns, crtimeNs: r.crtime_ns,
    };
  }

  insert(n: NewInode): number {
    const r = this.insStmt.get(n.mode, n.uid, n.gid, n.nlink, n.size, n.rdev, n.atimeNs, n.mtimeNs, n.ctimeNs, n.crtimeNs) as { id: number };
    return r.id;
  }

  /** Writes back every mutable column of `i`. */
  update(i: Inode): void {
    this.updStmt.run(i.mode, i.uid, i.gid, i.nlink, i.size, i.rdev, i.atimeNs, i.mtimeNs, i.ctimeNs, i.id);
  }

  /** Deletes the inode row with its symlink target and xattrs (blocks are removed by the block map). */
  delete(id: number): void {
    this.m.q("DELETE FROM inodes WHERE id = ?").run(id);
    this.m.q("DELETE FROM symlinks WHERE inode = ?").run(id);
    this.m.q("DELETE FROM xattrs WHERE inode = ?").run(id);
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

  getXattr(id: number, name: string): Uint8Array | null {
    const r = this.m.q("SELECT value FROM xattrs WHERE inode = ? AND name = ?").get(id, name) as { value: Uint8Array } | null;
    return r ? new Uint8Array(r.value) : null;
  }

  setXattr(id: number, name: string, value: Uint8Array): void {
    this.m.q("INSERT INTO xattrs (inode, name, value) VALUES (?, ?, ?) ON CONFLICT (inode, name) DO UPDATE SET value = excluded.value").run(id, name, value);
  }

  removeXattr(id: number, name: string): boolean {
    return this.m.q("DELETE FROM xattrs WHERE inode = ? AND name = ?").run(id, name).changes > 0;
  }

  listXattrs(id: number): string[] {
    return (this.m.q("SELECT name FROM xattrs WHERE inode = ? ORDER BY name").all(id) as { name: string }[]).map((r) => r.name);
  }
}
