// access(2) for memfs: owner/group/other mode bits, root bypassing all but a missing execute bit.
//
// With default_permissions the kernel checks permissions itself and never sends ACCESS; this answers the
// mounts without it. Only the primary group of the caller is known from the request, not supplementary ones.

import { EACCES, FuseError } from "../../src/fs/fuse/errno.ts";
import type { RequestContext } from "../../src/fs/fuse/raw-fs.ts";
import { X_OK } from "./bits.ts";
import type { MemNode } from "./node.ts";

export function accessAllowed(ctx: RequestContext, node: MemNode, mask: number): void {
  const want = mask & 7;
  if (want === 0) return; // F_OK: the inode exists
  if (ctx.uid === 0) {
    // Root may read and write anything, but executes only what someone may execute (directories: search always).
    if (want & X_OK && !node.isDir && (node.mode & 0o111) === 0) throw new FuseError(EACCES);
    return;
  }
  let granted: number;
  if (ctx.uid === node.uid) granted = (node.mode >> 6) & 7;
  else if (ctx.gid === node.gid) granted = (node.mode >> 3) & 7;
  else granted = node.mode & 7;
  if ((granted & want) !== want) throw new FuseError(EACCES);
}
