// Directory listing: readdir and readdirplus by entry-id cookies ("." = 1, ".." = 2, entry id + 2 after).
import type { DirentSink } from "../fuse/raw-fs.ts";
import { ROOT_INODE } from "../meta/schema.ts";
import type { VfsCore } from "./core.ts";

/** Directory entries read from SQLite per query while filling a listing. */
const LISTING_BATCH = 256;
const DT_DIR = 4;

export function readdir(c: VfsCore, nodeid: number, offset: number, out: DirentSink, plus: boolean): void {
  const dir = c.dir(nodeid);
  if (offset === 0) c.touchAtime(dir); // a listing from the start reads the directory
  const parent = nodeid === ROOT_INODE ? ROOT_INODE : (c.entries.parentOf(nodeid) ?? ROOT_INODE);
  const dots: [string, number, number][] = [[".", nodeid, 1], ["..", parent, 2]];
  for (const [name, ino, next] of dots) {
    if (offset >= next) continue;
    if (plus) {
      // the kernel does not count "." and ".." as lookups; nodeid 0 says so
      const i = ino === nodeid ? dir : c.inodes.get(ino);
      if (!i) continue;
      const e = c.entryNoCount(i);
      if (!out.addPlus(name, { ...e, nodeid: 0, entryValid: 0, attrValid: 0 }, next)) return;
    } else if (!out.add(name, ino, DT_DIR, next)) return;
  }
  let after = Math.max(0, offset - 2);
  for (;;) {
    const rows = c.entries.list(nodeid, after, LISTING_BATCH);
    for (const e of rows) {
      const i = c.inodes.get(e.inode);
      if (!i) continue;
      if (plus) {
        if (!out.addPlus(e.name, c.entryNoCount(i), e.id + 2)) return;
        c.addLookup(i.id, 1); // only entries that fit count
      } else if (!out.add(e.name, i.id, i.mode >> 12, e.id + 2)) return;
      after = e.id;
    }
    if (rows.length < LISTING_BATCH) return;
  }
}
