// fsck, directory tree: directories with several names, inodes no path from the root reaches (orphans, loops), link counts.
import { ROOT_INODE } from "../meta/schema.ts";
import { nowNs } from "../vfs/core.ts";
import { pathOf } from "./paths.ts";
import { type FsckContext, type Problem, examplesOf } from "./problem.ts";

const DIR = 16384; // S_IFDIR
export const LOST_FOUND = "lost+found";

/** A directory has exactly one name; extra names (a hard-linked directory makes loops possible) are removed. */
export function checkDirectoryNames(c: FsckContext): Problem[] {
  const rows = c.db.q(`SELECT e.id, e.inode, e.name FROM entries e JOIN inodes i ON i.id = e.inode
    WHERE (i.mode & 61440) = ${DIR} AND e.id != (SELECT min(id) FROM entries f WHERE f.inode = e.inode)`).all() as { id: number; inode: number; name: string }[];
  if (rows.length === 0) return [];
  return [{
    title: "directories with more than one name",
    explain: "a directory may have only one name; the repair keeps the oldest name of each and deletes the others",
    count: rows.length,
    examples: examplesOf(rows, (r) => `"${r.name}" -> directory ${pathOf(c.db, r.inode)}`),
    repair: () => {
      for (const r of rows) c.db.q("DELETE FROM entries WHERE id = ?").run(r.id);
    },
  }];
}

interface Unreached {
  id: number;
  mode: number;
  nlink: number;
  names: number;
  children: number;
}

/** Inodes that no chain of names from the root reaches (a UNION recursion stops at loops). */
function unreachable(c: FsckContext): Unreached[] {
  return c.db.q(`WITH RECURSIVE r(id) AS (SELECT ${ROOT_INODE} UNION SELECT e.inode FROM entries e JOIN r ON e.parent = r.id)
    SELECT i.id, i.mode, i.nlink,
      (SELECT count(*) FROM entries e WHERE e.inode = i.id) AS names,
      (SELECT count(*) FROM entries e WHERE e.parent = i.id) AS children
    FROM inodes i WHERE i.id NOT IN (SELECT id FROM r)`).all() as Unreached[];
}

/** The /lost+found directory, created if missing (a non-directory of that name gets a numbered sibling). */
function lostAndFound(c: FsckContext): number {
  for (let n = 0; ; n++) {
    const name = n === 0 ? LOST_FOUND : `${LOST_FOUND}-${n}`;
    const e = c.db.q(`SELECT e.inode, i.mode FROM entries e JOIN inodes i ON i.id = e.inode WHERE e.parent = ? AND e.name = ?`).get(ROOT_INODE, name) as { inode: number; mode: number } | null;
    if (e && (e.mode & 61440) === DIR) return e.inode;
    if (e) continue;
    const now = nowNs();
    const id = (c.db.q(`INSERT INTO inodes (mode, uid, gid, nlink, size, rdev, atime_ns, mtime_ns, ctime_ns, crtime_ns)
      VALUES (?, 0, 0, 2, 0, 0, ?, ?, ?, ?) RETURNING id`).get(DIR | 0o700, now, now, now, now) as { id: number }).id;
    c.db.q("INSERT INTO entries (parent, name, inode) VALUES (?, ?, ?)").run(ROOT_INODE, name, id);
    return id;
  }
}

/**
 * The inodes to re-attach so everything unreachable becomes reachable: walking up from each unreachable
 * inode, the first one without a name, or the one where the walk comes back on itself (a loop).
 */
function detachedRoots(c: FsckContext, lost: Unreached[]): number[] {
  const roots = new Set<number>();
  const settled = new Set<number>();
  const nameOf = c.db.q("SELECT parent FROM entries WHERE inode = ? ORDER BY id LIMIT 1");
  for (const u of lost) {
    const walk = new Set<number>();
    let cur = u.id;
    for (;;) {
      if (settled.has(cur)) break;
      walk.add(cur);
      const e = nameOf.get(cur) as { parent: number } | null;
      if (!e || walk.has(e.parent)) {
        roots.add(cur);
        break;
      }
      cur = e.parent;
    }
    for (const w of walk) settled.add(w);
  }
  return [...roots];
}

function purgeInode(c: FsckContext, id: number): void {
  for (const t of ["blocks", "dirty_blocks", "symlinks", "xattrs"]) c.db.q(`DELETE FROM ${t} WHERE inode = ?`).run(id);
  c.db.q("DELETE FROM inodes WHERE id = ?").run(id);
}

/** Unreachable inodes: unlinked ones (no names, no links, no children) are deleted, the rest go to /lost+found. */
export function checkReachability(c: FsckContext): Problem[] {
  const all = unreachable(c);
  const unlinked = all.filter((u) => u.nlink === 0 && u.names === 0 && u.children === 0);
  const lost = all.filter((u) => !(u.nlink === 0 && u.names === 0 && u.children === 0));
  const out: Problem[] = [];
  if (unlinked.length) {
    out.push({
      title: "unlinked inodes",
      explain: "inodes with no name and a link count of 0 (deleted while open, then the daemon stopped); the repair deletes them and their data",
      count: unlinked.length,
      examples: examplesOf(unlinked, (u) => `inode ${u.id}`),
      repair: () => {
        for (const u of unlinked) purgeInode(c, u.id);
      },
    });
  }
  if (lost.length) {
    out.push({
      title: "inodes unreachable from the root",
      explain: `files or directories that no path from / reaches (their directory is gone, or directories form a loop); the repair moves each detached subtree into /${LOST_FOUND}, named after its inode number`,
      count: lost.length,
      examples: examplesOf(lost, (u) => `inode ${u.id}`),
      repair: () => {
        const lf = lostAndFound(c);
        for (const id of detachedRoots(c, lost)) {
          c.db.q("DELETE FROM entries WHERE inode = ?").run(id);
          c.db.q("INSERT INTO entries (parent, name, inode) VALUES (?, ?, ?)").run(lf, `#${id}`, id);
        }
      },
    });
  }
  return out;
}

/** Link counts: a file has one link per name; a directory 2 + its subdirectories. */
export function checkLinkCounts(c: FsckContext): Problem[] {
  const rows = c.db.q(`WITH names AS (SELECT inode, count(*) AS n FROM entries GROUP BY inode),
      subdirs AS (SELECT e.parent AS id, count(*) AS n FROM entries e JOIN inodes d ON d.id = e.inode WHERE (d.mode & 61440) = ${DIR} GROUP BY e.parent)
    SELECT id, nlink, want FROM (
      SELECT i.id, i.nlink, CASE WHEN (i.mode & 61440) = ${DIR} THEN 2 + coalesce(s.n, 0) ELSE coalesce(nm.n, 0) END AS want
      FROM inodes i LEFT JOIN names nm ON nm.inode = i.id LEFT JOIN subdirs s ON s.id = i.id)
    WHERE want != nlink`).all() as { id: number; nlink: number; want: number }[];
  if (rows.length === 0) return [];
  return [{
    title: "wrong link counts",
    explain: "the link count of these inodes does not match their names (or subdirectories); the repair sets the counted value",
    count: rows.length,
    examples: examplesOf(rows, (r) => `${pathOf(c.db, r.id)}: ${r.nlink}, should be ${r.want}`),
    repair: () => {
      for (const r of rows) c.db.q("UPDATE inodes SET nlink = ? WHERE id = ?").run(r.want, r.id);
    },
  }];
}
