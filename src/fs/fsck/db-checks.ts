// fsck, database level: SQLite's own integrity check and rows that point at nothing (the schema's foreign keys).
//
// The schema documents its foreign keys instead of declaring them (the vfs keeps them consistent inside
// one transaction), so PRAGMA foreign_key_check has nothing to check: each reference is checked here by
// a query instead, and the repair deletes the row that points at nothing. Rows removed here may leave
// inodes unreachable or reference counts wrong; the tree and object checks that run next repair those.
import { UserError } from "../../user-error.ts";
import { type FsckContext, type Problem, examplesOf } from "./problem.ts";

const DIR = 16384; // S_IFDIR
const REG = 32768; // S_IFREG

export function checkIntegrity(c: FsckContext): Problem[] {
  const bad = () => (c.db.q("PRAGMA integrity_check").all() as { integrity_check: string }[]).map((r) => r.integrity_check).filter((l) => l !== "ok");
  const lines = bad();
  if (lines.length === 0) return [];
  return [{
    title: "metadata database damaged",
    explain: "SQLite's integrity check failed; the repair rebuilds the indexes (REINDEX), which fixes damaged indexes but not damaged tables.",
    count: lines.length,
    examples: lines.slice(0, 5),
    repair: () => {
      c.db.db.exec("REINDEX");
      if (bad().length) {
        throw new UserError(`the metadata database in ${c.cacheDir} is damaged beyond an index rebuild; move metadata.db aside and run coffer fsck again to start from the store's newest generation`);
      }
    },
  }];
}

interface Dangling {
  title: string;
  explain: string;
  /** Selects `a` and `b` (the key of the row to delete; `b` null for one-column keys) and `what` (a description). */
  find: string;
  del: string;
}

// Each query lists rows whose reference is broken; each `del` removes one of them by the `id` found.
const DANGLING: Dangling[] = [
  {
    title: "directory entries in a missing or non-directory parent",
    explain: "names whose parent inode does not exist or is not a directory; the repair deletes these names (what they named is then found unreachable and moved to /lost+found)",
    find: `SELECT e.id AS a, NULL AS b, 'entry "' || e.name || '" in inode ' || e.parent AS what FROM entries e LEFT JOIN inodes p ON p.id = e.parent
           WHERE p.id IS NULL OR (p.mode & 61440) != ${DIR}`,
    del: "DELETE FROM entries WHERE id = ?",
  },
  {
    title: "dangling directory entries",
    explain: "names that refer to an inode that does not exist (or to the root); the repair deletes these names",
    find: `SELECT e.id AS a, NULL AS b, 'entry "' || e.name || '" -> missing inode ' || e.inode AS what FROM entries e LEFT JOIN inodes i ON i.id = e.inode
           WHERE i.id IS NULL OR e.inode = 1`,
    del: "DELETE FROM entries WHERE id = ?",
  },
  {
    title: "block map rows of missing or non-regular inodes",
    explain: "data blocks of an inode that does not exist or is not a regular file; the repair deletes the rows (reference counts are fixed afterwards)",
    find: `SELECT b.inode AS a, b.blkno AS b, 'block ' || b.inode || '/' || b.blkno AS what FROM blocks b LEFT JOIN inodes i ON i.id = b.inode
           WHERE i.id IS NULL OR (i.mode & 61440) != ${REG}`,
    del: "DELETE FROM blocks WHERE inode = ? AND blkno = ?",
  },
  {
    title: "block map rows naming a missing object",
    explain: "blocks that point at an object number with no object row; the repair makes them holes (they read as zeros)",
    find: `SELECT b.inode AS a, b.blkno AS b, 'block ' || b.inode || '/' || b.blkno || ' -> object ' || b.object AS what FROM blocks b
           LEFT JOIN objects o ON o.id = b.object WHERE o.id IS NULL`,
    del: "DELETE FROM blocks WHERE inode = ? AND blkno = ?",
  },
  {
    title: "symlink targets of missing inodes",
    explain: "symlink rows whose inode does not exist; the repair deletes them",
    find: "SELECT s.inode AS a, NULL AS b, 'symlink of inode ' || s.inode AS what FROM symlinks s LEFT JOIN inodes i ON i.id = s.inode WHERE i.id IS NULL",
    del: "DELETE FROM symlinks WHERE inode = ?",
  },
  {
    title: "extended attributes of missing inodes",
    explain: "xattr rows whose inode does not exist; the repair deletes them",
    find: "SELECT x.inode AS a, x.name AS b, x.name || ' of inode ' || x.inode AS what FROM xattrs x LEFT JOIN inodes i ON i.id = x.inode WHERE i.id IS NULL",
    del: "DELETE FROM xattrs WHERE inode = ? AND name = ?",
  },
  {
    title: "dirty markers of missing inodes",
    explain: "local 'upload me' markers of an inode that no longer exists; the repair deletes them",
    find: "SELECT d.inode AS a, d.blkno AS b, 'block ' || d.inode || '/' || d.blkno AS what FROM dirty_blocks d LEFT JOIN inodes i ON i.id = d.inode WHERE i.id IS NULL",
    del: "DELETE FROM dirty_blocks WHERE inode = ? AND blkno = ?",
  },
];

export function checkDanglingRows(c: FsckContext): Problem[] {
  const out: Problem[] = [];
  for (const d of DANGLING) {
    const rows = c.db.q(d.find).all() as { a: number; b: number | string | null; what: string }[];
    if (rows.length === 0) continue;
    out.push({
      title: d.title,
      explain: d.explain,
      count: rows.length,
      examples: examplesOf(rows, (r) => r.what),
      repair: () => {
        const del = c.db.q(d.del);
        for (const r of rows) {
          if (r.b === null) del.run(r.a);
          else del.run(r.a, r.b);
        }
      },
    });
  }
  return out;
}
