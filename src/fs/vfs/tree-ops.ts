// Whole-tree operations for coffer cp/rm/lock: copy-on-write copy, fast removal, path lookup from the root.
import { ROOT_INODE } from "../meta/schema.ts";
import type { TreeLocks } from "./tree-locks.ts";
import { type VfsCore, isDir, nowNs } from "./core.ts";

/** A refusal worded for the person who ran the command (the control API sends the message as is). */
export class TreeOpError extends Error {}

/** Resolves a path given as components below the mount root (no symlinks followed) to its inode. */
export function resolvePath(c: VfsCore, parts: string[], shown: string): number {
  let ino = ROOT_INODE;
  for (const part of parts) {
    const dir = c.inodes.get(ino);
    if (!dir || !isDir(dir)) throw new TreeOpError(`${shown}: a component of the path is not a directory`);
    const e = c.entries.lookup(ino, part);
    if (!e) throw new TreeOpError(`${shown} does not exist`);
    ino = e.inode;
  }
  return ino;
}

/** The directories of the tree under `root` (itself first), breadth first. */
function treeDirs(c: VfsCore, root: number): number[] {
  const dirs = [root];
  const sub = c.db.q("SELECT e.inode AS inode FROM entries e JOIN inodes i ON i.id = e.inode WHERE e.parent = ? AND (i.mode & 61440) = 16384");
  for (let k = 0; k < dirs.length; k++) for (const r of sub.all(dirs[k]!) as { inode: number }[]) dirs.push(r.inode);
  return dirs;
}

/** Inodes of the tree under `root` that have blocks newer than the block map (not uploaded yet). */
export function dirtyInTree(c: VfsCore, root: number): number {
  const q = c.db.q("SELECT count(*) AS n FROM dirty_blocks d JOIN entries e ON e.inode = d.inode WHERE e.parent = ?");
  let n = 0;
  for (const d of treeDirs(c, root)) n += (q.get(d) as { n: number }).n;
  return n;
}

/**
 * Copies directory `src` with everything under it to a new entry `name` in `dstParent`, in one
 * transaction: new inodes with the same attributes, xattrs and symlink targets, and block rows naming the
 * same objects (their reference counts raised), so no data is read or stored. Hard links inside the tree
 * stay links in the copy. The caller made sure no block of the tree is dirty (the copy would miss it).
 */
export function copyTree(c: VfsCore, locks: TreeLocks, src: number, dstParent: number, name: string): { entries: number } {
  if (!isDir(c.get(src))) throw new TreeOpError("the source is not a directory; coffer cp copies directory trees");
  const parent = c.inodes.get(dstParent);
  if (!parent || !isDir(parent)) throw new TreeOpError("the destination's parent is not a directory");
  if (c.entries.lookup(dstParent, name)) throw new TreeOpError("the destination exists already; name a new directory");
  if (treeDirs(c, src).includes(dstParent)) throw new TreeOpError("the destination is inside the source tree; copy it somewhere else");
  if (locks.lockedRoot(dstParent) !== null) throw new TreeOpError("the destination is inside a locked tree (coffer lock): nothing may be added there");
  const now = nowNs();
  const db = c.db;
  const copyInode = db.q(
    "INSERT INTO inodes (mode, uid, gid, nlink, size, rdev, atime_ns, mtime_ns, ctime_ns, crtime_ns) " +
    "SELECT mode, uid, gid, CASE WHEN (mode & 61440) = 16384 THEN nlink ELSE 0 END, size, rdev, atime_ns, mtime_ns, ?, ? FROM inodes WHERE id = ? RETURNING id",
  );
  const copyXattrs = db.q("INSERT INTO xattrs (inode, name, value) SELECT ?, name, value FROM xattrs WHERE inode = ?");
  const copySymlink = db.q("INSERT INTO symlinks (inode, target) SELECT ?, target FROM symlinks WHERE inode = ?");
  const copyBlocks = db.q("INSERT INTO blocks (inode, blkno, object) SELECT ?, blkno, object FROM blocks WHERE inode = ?");
  const addRefs = db.q(
    "UPDATE objects SET refcount = refcount + c.n FROM (SELECT object, count(*) AS n FROM blocks WHERE inode = ? GROUP BY object) AS c WHERE objects.id = c.object",
  );
  const setLinks = db.q("UPDATE inodes SET nlink = ? WHERE id = ?");
  const children = db.q("SELECT name, inode FROM entries WHERE parent = ? ORDER BY id");
  return c.tx(() => {
    const copied = new Map<number, number>(); // source inode -> its copy (hard links share one copy)
    const names = new Map<number, number>(); // copied non-directory -> its names in the copy (its nlink)
    const copyOne = (from: number): number => {
      const id = (copyInode.get(now, now, from) as { id: number }).id;
      copyXattrs.run(id, from);
      copySymlink.run(id, from);
      if (copyBlocks.run(id, from).changes > 0) addRefs.run(id);
      copied.set(from, id);
      return id;
    };
    const root = copyOne(src);
    let entries = 1;
    const queue: [number, number][] = [[src, root]];
    for (let k = 0; k < queue.length; k++) {
      const [from, to] = queue[k]!;
      for (const row of children.all(from) as { name: string | Uint8Array; inode: number }[]) {
        // new inodes are written with SQL only: InodeTable's row cache never sees them half-made
        const dir = isDir(c.get(row.inode));
        let id = copied.get(row.inode);
        if (id === undefined) {
          id = copyOne(row.inode);
          if (dir) queue.push([row.inode, id]);
        }
        // the stored name (TEXT or raw BLOB) is copied as is
        db.q("INSERT INTO entries (parent, name, inode) VALUES (?, ?, ?)").run(to, row.name, id);
        if (!dir) names.set(id, (names.get(id) ?? 0) + 1);
        entries++;
      }
    }
    for (const [id, n] of names) setLinks.run(n, id);
    c.entries.insert(dstParent, name, root);
    const p = c.get(dstParent);
    p.nlink++;
    c.touchDir(p, now);
    return { entries };
  });
}

/**
 * Removes entry `name` of `parent`, a directory, with everything under it, in one transaction and without
 * the kernel walking it. Inodes left without a name are freed at once unless the kernel still holds them
 * (an open file keeps its data until closed, as after unlink). Locked trees inside it are unlocked.
 */
export function removeTree(c: VfsCore, locks: TreeLocks, parent: number, name: string): { entries: number } {
  const e = c.entries.lookup(parent, name);
  if (!e) throw new TreeOpError("it does not exist");
  const top = c.get(e.inode);
  if (!isDir(top)) throw new TreeOpError("it is not a directory; coffer rm removes directory trees (use rm for a file)");
  if (locks.lockedRoot(parent) !== null) throw new TreeOpError("it lies inside a locked tree: remove the locked tree itself with coffer rm");
  const dirs = treeDirs(c, top.id);
  const now = nowNs();
  const unnamed: number[] = [];
  let entries = 1;
  c.tx(() => {
    const children = c.db.q("SELECT inode FROM entries WHERE parent = ?");
    const drop = c.db.q("DELETE FROM entries WHERE parent = ?");
    for (const d of dirs) {
      for (const r of children.all(d) as { inode: number }[]) {
        entries++;
        const i = c.get(r.inode);
        if (isDir(i)) continue; // its own entries go when its turn comes; its link count below
        c.dropLink(i, now);
        if (i.nlink === 0) unnamed.push(i.id);
      }
      drop.run(d);
      c.dropLink(c.get(d), now);
      unnamed.push(d);
    }
    c.entries.delete(e.id);
    const p = c.get(parent);
    p.nlink--;
    c.touchDir(p, now);
    locks.dropRows(dirs);
  });
  locks.forgotten(dirs);
  c.tx(() => {
    for (const id of unnamed) c.maybePurge(id);
  });
  return { entries };
}
