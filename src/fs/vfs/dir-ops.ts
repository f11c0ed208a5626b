// Directory listing: readdir and readdirplus by entry-id cookies ("." = 1, ".." = 2, entry id + 2 after).
import type { DirentSink, EntryOut } from "../fuse/raw-fs.ts";
import { ROOT_INODE } from "../meta/schema.ts";
import type { VfsCore } from "./core.ts";

/** Directory entries read from SQLite per query while filling a listing. */
const LISTING_BATCH = 256;
const DT_DIR = 4;
/** A READDIRPLUS entry with nodeid 0: the kernel lists the name (its type from the mode) and instantiates nothing. */
const NAME_ONLY: EntryOut = {
  nodeid: 0, generation: 0, entryValid: 0, attrValid: 0,
  attr: { ino: 0, size: 0, blocks: 0, atime: 0, mtime: 0, ctime: 0, atimensec: 0, mtimensec: 0, ctimensec: 0, mode: 0, nlink: 0, uid: 0, gid: 0, rdev: 0, blksize: 0, flags: 0 },
};

export function readdir(c: VfsCore, nodeid: number, offset: number, out: DirentSink, plus: boolean): void {
  const dir = c.dir(nodeid);
  // a listing from the start reads the directory (its reply carries no attributes: the kernel is told)
  if (offset === 0 && c.touchAtime(dir)) c.staleAttrs.add(nodeid);
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
      if (plus && c.attrsSent.has(i.id) && c.lookups.has(i.id)) {
        // the kernel holds this inode with its current attributes: nodeid 0 lists the name without them, which
        // spares both sides the entry's attributes and the kernel its dentry update (and counts no lookup)
        if (!out.addPlus(e.name, { ...NAME_ONLY, attr: { ...NAME_ONLY.attr, ino: i.id, mode: i.mode } }, e.id + 2)) return;
      } else if (plus) {
        if (!out.addPlus(e.name, c.entryNoCount(i), e.id + 2)) return;
        c.addLookup(i.id, 1); // only entries that fit count
      } else if (!out.add(e.name, i.id, i.mode >> 12, e.id + 2)) return;
      after = e.id;
    }
    if (rows.length < LISTING_BATCH) return;
  }
}
