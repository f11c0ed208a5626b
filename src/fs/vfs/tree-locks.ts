// Immutable trees (coffer lock): which directories are locked, and the EPERM check every mutating operation makes.
import { EPERM, FuseError } from "../fuse/errno.ts";
import { ROOT_INODE } from "../meta/schema.ts";
import { type VfsCore, nowNs } from "./core.ts";

/**
 * The locked_trees rows, mirrored in memory: with no lock at all (the usual case) a check costs one Set
 * size test; otherwise it walks from the inode up to the root through the entries table.
 */
export class TreeLocks {
  private readonly roots: Set<number>;

  constructor(private readonly c: VfsCore) {
    this.roots = new Set((c.db.q("SELECT inode FROM locked_trees").all() as { inode: number }[]).map((r) => r.inode));
  }

  get count(): number {
    return this.roots.size;
  }

  /**
   * The locked directory that holds `ino` (itself included), or null when it may change. A file with hard
   * links is locked when any of its names lies in a locked tree (a write through another name would
   * change the locked content); a directory has one name.
   */
  lockedRoot(ino: number): number | null {
    if (this.roots.size === 0) return null;
    if (this.roots.has(ino)) return ino;
    const parents = this.c.db.q("SELECT parent FROM entries WHERE inode = ?").all(ino) as { parent: number }[];
    for (const { parent } of parents) {
      const seen = new Set<number>();
      for (let d: number | null = parent; d !== null && !seen.has(d); d = d === ROOT_INODE ? null : this.c.entries.parentOf(d)) {
        if (this.roots.has(d)) return d;
        seen.add(d);
      }
    }
    return null;
  }

  /** Throws EPERM when any of `inos` lies in a locked tree. */
  check(...inos: number[]): void {
    if (this.roots.size === 0) return;
    for (const ino of inos) if (this.lockedRoot(ino) !== null) throw new FuseError(EPERM);
  }

  /** Locks directory `dir` (persisted in the same transaction); false when it was locked already. */
  lock(dir: number): boolean {
    if (this.roots.has(dir)) return false;
    this.c.tx(() => this.c.db.q("INSERT OR IGNORE INTO locked_trees (inode, locked_ns) VALUES (?, ?)").run(dir, nowNs()));
    this.roots.add(dir);
    return true;
  }

  /** Forgets the locks of removed directories; call inside the removing transaction, then `forgotten`. */
  dropRows(dirs: number[]): void {
    const del = this.c.db.q("DELETE FROM locked_trees WHERE inode = ?");
    for (const d of dirs) if (this.roots.has(d)) del.run(d);
  }

  /** After the removing transaction committed: the in-memory mirror follows. */
  forgotten(dirs: number[]): void {
    for (const d of dirs) this.roots.delete(d);
  }
}
