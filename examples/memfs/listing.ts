// READDIR and READDIRPLUS for memfs: "." and ".." first, then entries resumed after the kernel's cookie.

import type { DirentSink } from "../../src/fs/fuse/raw-fs.ts";
import type { InodeTable } from "./inode-table.ts";
import type { MemNode } from "./node.ts";

const DOT_COOKIE = 1;
const DOTDOT_COOKIE = 2;

/** DT_* type of a dirent: the file type bits of the mode, shifted down. */
function direntType(mode: number): number {
  return (mode >> 12) & 0xf;
}

export function listDirectory(
  inodes: InodeTable,
  dir: MemNode & { dir: NonNullable<MemNode["dir"]> },
  offset: number,
  out: DirentSink,
  plus: boolean,
): void {
  // A removed directory still open lists nothing, not even "." and "..", as on Linux disk filesystems.
  if (dir.nlink === 0) return;
  const dots: Array<[string, MemNode, number]> = [
    [".", dir, DOT_COOKIE],
    ["..", inodes.get(dir.parent), DOTDOT_COOKIE],
  ];
  for (const [name, node, cookie] of dots) {
    if (offset >= cookie) continue;
    // The kernel takes no reference for "." and ".." in READDIRPLUS, so they go out with nodeid 0.
    const ok = plus
      ? out.addPlus(name, { ...inodes.entryWithoutReference(node), nodeid: 0 }, cookie)
      : out.add(name, node.ino, direntType(node.mode), cookie);
    if (!ok) return;
  }
  for (const entry of dir.dir.entriesAfter(Math.max(offset, DOTDOT_COOKIE))) {
    const node = inodes.get(entry.ino);
    if (plus) {
      if (!out.addPlus(entry.name, inodes.entryWithoutReference(node), entry.cookie)) return;
      node.lookups++; // the kernel now holds a reference, returned by a later FORGET
    } else if (!out.add(entry.name, node.ino, direntType(node.mode), entry.cookie)) {
      return;
    }
  }
}
