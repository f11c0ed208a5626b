// fsck, objects: reference counts, objects the block map names but the store lacks, store objects nothing names.
import { dataObjectKey } from "../store/object-names.ts";
import { cachedBlockHolds } from "./cache-checks.ts";
import { pathOf } from "./paths.ts";
import { type FsckContext, type Problem, examplesOf } from "./problem.ts";

/** Reference counts recomputed from the block map; an object whose count becomes 0 waits for the next generation. */
export function checkRefcounts(c: FsckContext): Problem[] {
  const rows = c.db.q(`SELECT o.id, o.refcount, coalesce(b.n, 0) AS n FROM objects o
    LEFT JOIN (SELECT object, count(*) AS n FROM blocks GROUP BY object) b ON b.object = o.id
    WHERE o.refcount != coalesce(b.n, 0)`).all() as { id: number; refcount: number; n: number }[];
  if (rows.length === 0) return [];
  return [{
    title: "wrong reference counts",
    explain: "the reference count of these objects does not match the blocks naming them; the repair sets the counted value (an object left unused is deleted from the store after the next metadata generation is shipped)",
    count: rows.length,
    examples: examplesOf(rows, (r) => `object ${r.id}: ${r.refcount}, should be ${r.n}`),
    repair: () => {
      const set = c.db.q("UPDATE objects SET refcount = ?, zeroed_after = CASE WHEN ? = 0 THEN ? ELSE zeroed_after END WHERE id = ?");
      for (const r of rows) set.run(r.n, r.n, c.takenGen, r.id);
    },
  }];
}

/** Every data object key in the store (one listing; the progress counts keys). */
async function listDataKeys(c: FsckContext): Promise<Set<string>> {
  c.ui.phase("listing data objects in the store", 0);
  const keys = new Set<string>();
  for await (const o of c.backend.list("data/")) {
    keys.add(o.key);
    if (keys.size % 1000 === 0) c.ui.tick(keys.size);
  }
  c.ui.tick(keys.size);
  return keys;
}

interface ObjRow {
  id: number;
  hash: string;
  refcount: number;
  stored: number;
}

/**
 * Objects named by blocks but absent from the store (or never stored), and store objects that no object
 * row or garbage journal entry names. Runs after the cache check: a verified cache file can replace a
 * missing object.
 */
export async function checkStoreObjects(c: FsckContext): Promise<Problem[]> {
  const inStore = await listDataKeys(c);
  const expected = new Set<string>();
  const missing: ObjRow[] = [];
  for (const o of c.db.q("SELECT id, hash, refcount, stored FROM objects").all() as ObjRow[]) {
    const key = dataObjectKey(o.id, o.hash);
    expected.add(key);
    if (o.refcount > 0 && (!o.stored || !inStore.has(key))) missing.push(o);
  }
  for (const g of c.db.q("SELECT key FROM garbage").all() as { key: string }[]) expected.add(g.key);
  const orphans = [...inStore].filter((k) => !expected.has(k));
  const out: Problem[] = [];
  if (missing.length) out.push(missingProblem(c, missing));
  if (orphans.length) {
    out.push({
      title: "store objects nothing refers to",
      explain: "data objects in the store that no metadata names (an upload whose commit was lost, or leftovers); the repair deletes them from the store",
      count: orphans.length,
      examples: examplesOf(orphans, (k) => k),
      repair: async () => {
        for (let i = 0; i < orphans.length; i += 1000) await c.backend.deleteMany(orphans.slice(i, i + 1000));
      },
    });
  }
  return out;
}

function missingProblem(c: FsckContext, missing: ObjRow[]): Problem {
  const blocksOf = c.db.q("SELECT inode, blkno FROM blocks WHERE object = ?");
  const named = missing.flatMap((o) => (blocksOf.all(o.id) as { inode: number; blkno: number }[]).map((b) => ({ ...b, o })));
  return {
    title: "objects missing from the store",
    explain: "blocks name objects the store does not have; the repair uploads the block again when the cache holds its content, and otherwise makes it a hole (it reads as zeros) and names the damaged file",
    count: missing.length,
    examples: examplesOf(named, (b) => `${pathOf(c.db, b.inode)} block ${b.blkno} (object ${b.o.id})`),
    repair: () => {
      const isDirty = c.db.q("SELECT 1 FROM dirty_blocks WHERE inode = ? AND blkno = ?");
      for (const o of missing) c.db.q("UPDATE objects SET stored = 0 WHERE id = ?").run(o.id); // never shared again
      for (const b of named) {
        if (isDirty.get(b.inode, b.blkno)) continue; // newer content is uploaded anyway and replaces it
        if (cachedBlockHolds(c, b.inode, b.blkno, b.o.hash)) {
          c.map.markDirty(b.inode, b.blkno);
          c.ui.log(`fsck: ${pathOf(c.db, b.inode)} block ${b.blkno}: re-uploading it from the cache`);
        } else {
          c.map.set(b.inode, b.blkno, null, c.takenGen);
          c.ui.log(`fsck: ${pathOf(c.db, b.inode)} block ${b.blkno} is lost (object ${b.o.id} missing, not cached): it now reads as zeros`);
        }
      }
    },
  };
}
