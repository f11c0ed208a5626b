// rename / rename2 for memfs: replace, RENAME_NOREPLACE and RENAME_EXCHANGE with POSIX's constraints.

import { EEXIST, EINVAL, EISDIR, ENOENT, ENOTDIR, ENOTEMPTY, FuseError } from "../../src/fs/fuse/errno.ts";
import { RENAME_EXCHANGE, RENAME_NOREPLACE } from "../../src/fs/fuse/kernel.ts";
import type { InodeTable } from "./inode-table.ts";
import type { MemNode } from "./node.ts";

export function renameEntry(
  inodes: InodeTable,
  parent: number,
  name: string,
  newParent: number,
  newName: string,
  flags: number,
): void {
  // RENAME_WHITEOUT (overlayfs) and unknown bits are refused; NOREPLACE with EXCHANGE is contradictory.
  if (flags & ~(RENAME_NOREPLACE | RENAME_EXCHANGE)) throw new FuseError(EINVAL);
  if (flags & RENAME_NOREPLACE && flags & RENAME_EXCHANGE) throw new FuseError(EINVAL);
  const from = inodes.dir(parent);
  const to = inodes.dir(newParent);
  const src = from.dir.get(name);
  if (!src) throw new FuseError(ENOENT);
  const srcNode = inodes.get(src.ino);
  const dst = to.dir.get(newName);
  const dstNode = dst ? inodes.get(dst.ino) : undefined;

  if (flags & RENAME_EXCHANGE) {
    if (!dst || !dstNode) throw new FuseError(ENOENT);
    // Neither directory may end up inside itself.
    if (srcNode.isDir && inodes.isAncestorOrSelf(srcNode.ino, to)) throw new FuseError(EINVAL);
    if (dstNode.isDir && inodes.isAncestorOrSelf(dstNode.ino, from)) throw new FuseError(EINVAL);
    // Both names keep their readdir cookies; only what they point at swaps.
    from.dir.retarget(name, dstNode.ino);
    to.dir.retarget(newName, srcNode.ino);
    if (from !== to) {
      moveDirLink(srcNode, from, to);
      moveDirLink(dstNode, to, from);
    }
    srcNode.touchCtime();
    dstNode.touchCtime();
    touchParents(from, to);
    return;
  }

  if (dst && dstNode) {
    if (flags & RENAME_NOREPLACE) throw new FuseError(EEXIST);
    // Two names of one inode (or a name onto itself): POSIX says do nothing and succeed.
    if (dstNode === srcNode) return;
    if (srcNode.isDir) {
      if (!dstNode.isDir) throw new FuseError(ENOTDIR);
      if (dstNode.dir!.size > 0) throw new FuseError(ENOTEMPTY);
    } else if (dstNode.isDir) {
      throw new FuseError(EISDIR);
    }
  }
  if (srcNode.isDir && inodes.isAncestorOrSelf(srcNode.ino, to)) throw new FuseError(EINVAL);

  const moved = from.dir.remove(name)!;
  if (dst && dstNode) {
    to.dir.retarget(newName, srcNode.ino);
    if (dstNode.isDir) {
      dstNode.nlink = 0;
      to.nlink--; // the replaced directory's ".."
    } else {
      dstNode.nlink--;
    }
    dstNode.touchCtime();
    inodes.release(dstNode);
  } else {
    to.dir.add(newName, srcNode.ino, moved.cookie); // same cookie: a running listing sees it at most once
  }
  if (from !== to) moveDirLink(srcNode, from, to);
  srcNode.touchCtime();
  touchParents(from, to);
}

/** A directory moving between parents takes its ".." link along. */
function moveDirLink(node: MemNode, from: MemNode, to: MemNode): void {
  if (!node.isDir) return;
  from.nlink--;
  to.nlink++;
  node.parent = to.ino;
}

function touchParents(from: MemNode, to: MemNode): void {
  from.touchMtime();
  if (to !== from) to.touchMtime();
}
