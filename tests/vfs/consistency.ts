// Test helper: checks a metadata image against the store — block map, reference counts, link counts, objects present.
import { MetaDb } from "../../src/fs/meta/db.ts";
import { dataObjectKey } from "../../src/fs/store/object-names.ts";
import type { Backend } from "../../src/fs/store/backend.ts";

/** Problems found (empty = consistent). `checkStore`: every object named by the block map exists in the store. */
export async function checkConsistency(image: Uint8Array, backend: Backend | null): Promise<string[]> {
  const m = MetaDb.fromImage(image);
  const problems: string[] = [];
  const q = (sql: string) => m.q(sql).all() as Record<string, number | string>[];
  for (const r of q("SELECT b.inode, b.blkno, b.object FROM blocks b LEFT JOIN objects o ON o.id = b.object WHERE o.id IS NULL OR o.stored = 0")) {
    problems.push(`block ${r.inode}/${r.blkno} names missing or unstored object ${r.object}`);
  }
  for (const r of q("SELECT o.id, o.refcount, (SELECT count(*) FROM blocks b WHERE b.object = o.id) AS n FROM objects o WHERE o.refcount != (SELECT count(*) FROM blocks b WHERE b.object = o.id)")) {
    problems.push(`object ${r.id} refcount ${r.refcount} but ${r.n} blocks`);
  }
  for (const r of q("SELECT e.parent, e.name FROM entries e LEFT JOIN inodes i ON i.id = e.inode WHERE i.id IS NULL")) {
    problems.push(`entry ${r.parent}/${r.name} names a missing inode`);
  }
  for (const r of q("SELECT i.id, i.nlink, (SELECT count(*) FROM entries e WHERE e.inode = i.id) AS n FROM inodes i WHERE (i.mode & 61440) != 16384 AND i.nlink != (SELECT count(*) FROM entries e WHERE e.inode = i.id)")) {
    problems.push(`inode ${r.id} nlink ${r.nlink} but ${r.n} names`);
  }
  for (const r of q("SELECT i.id, i.nlink, 2 + (SELECT count(*) FROM entries e JOIN inodes c ON c.id = e.inode WHERE e.parent = i.id AND (c.mode & 61440) = 16384) AS n FROM inodes i WHERE (i.mode & 61440) = 16384 AND i.nlink != 0")) {
    if (r.nlink !== r.n) problems.push(`directory ${r.id} nlink ${r.nlink} but expected ${r.n}`);
  }
  for (const r of q("SELECT DISTINCT b.inode FROM blocks b LEFT JOIN inodes i ON i.id = b.inode WHERE i.id IS NULL")) {
    problems.push(`blocks of missing inode ${r.inode}`);
  }
  if (backend) {
    for (const r of q("SELECT DISTINCT o.id, o.hash FROM objects o JOIN blocks b ON b.object = o.id")) {
      if (!(await backend.head(dataObjectKey(Number(r.id), String(r.hash))))) problems.push(`object ${r.id} is not in the store`);
    }
  }
  m.close();
  return problems;
}
