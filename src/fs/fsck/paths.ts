// Names of inodes for fsck reports: the path from the root, walking entries upwards (offline, read-only).
import type { MetaDb } from "../meta/db.ts";
import { decodeName } from "../names.ts";
import { ROOT_INODE } from "../meta/schema.ts";

/** "/a/b/c" for inode `id`, or "inode N" when it has no path to the root (a loop, an orphan). */
export function pathOf(db: MetaDb, id: number): string {
  const parts: string[] = [];
  let cur = id;
  for (let depth = 0; depth < 256 && cur !== ROOT_INODE; depth++) {
    const e = db.q("SELECT parent, name FROM entries WHERE inode = ? ORDER BY id LIMIT 1").get(cur) as { parent: number; name: string | Uint8Array } | null;
    if (!e) return `inode ${id}`;
    parts.unshift(typeof e.name === "string" ? e.name : decodeName(e.name));
    cur = e.parent;
  }
  return cur === ROOT_INODE ? `/${parts.join("/")}` : `inode ${id}`;
}
