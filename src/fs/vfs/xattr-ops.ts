// Extended attributes: set (CREATE/REPLACE flags, values up to 64 KiB), get, list, remove; each change sets ctime.
import { E2BIG, EEXIST, EINVAL, ENODATA, ERANGE, FuseError } from "../fuse/errno.ts";
import { XATTR_CREATE, XATTR_REPLACE } from "../fuse/kernel.ts";
import type { RequestContext } from "../fuse/raw-fs.ts";
import { ACL_ACCESS_XATTR, applyAccessAcl, isAclName } from "../posix-acl.ts";
import { type VfsCore, nowNs } from "./core.ts";

export const XATTR_SIZE_MAX = 65536;
const XATTR_NAME_MAX = 255;

export function setxattr(c: VfsCore, ctx: RequestContext, nodeid: number, name: string, value: Uint8Array, flags: number): void {
  const i = c.get(nodeid);
  if (name.length === 0 || new TextEncoder().encode(name).length > XATTR_NAME_MAX) throw new FuseError(ERANGE);
  if (value.length > XATTR_SIZE_MAX) throw new FuseError(E2BIG);
  const exists = c.inodes.getXattr(nodeid, name) !== null;
  if (flags & XATTR_CREATE && exists) throw new FuseError(EEXIST);
  if (flags & XATTR_REPLACE && !exists) throw new FuseError(ENODATA);
  if (name === ACL_ACCESS_XATTR) return setAccessAcl(c, ctx, nodeid, value);
  c.tx(() => {
    c.inodes.setXattr(nodeid, name, value.slice());
    i.ctimeNs = nowNs();
    c.inodes.update(i);
  });
}

/**
 * An access ACL sets the mode (FUSE_POSIX_ACL leaves that to us); one equivalent to a mode is not kept.
 * Set-group-ID survives only for a caller in the file's group or root: the kernel's supplementary-group
 * check is not visible here, so a caller in the group only through a supplementary group loses it.
 */
function setAccessAcl(c: VfsCore, ctx: RequestContext, nodeid: number, value: Uint8Array): void {
  const i = c.get(nodeid);
  const r = applyAccessAcl(value, i.mode, ctx.uid === 0 || ctx.gid === i.gid);
  if (!r) throw new FuseError(EINVAL);
  c.tx(() => {
    if (r.store) c.inodes.setXattr(nodeid, ACL_ACCESS_XATTR, r.store);
    else c.inodes.removeXattr(nodeid, ACL_ACCESS_XATTR);
    i.mode = r.mode;
    i.ctimeNs = nowNs();
    c.inodes.update(i);
  });
}

/** One error object for the common miss (the kernel asks for security.capability before every write): no stack capture per call. */
const NO_XATTR = new FuseError(ENODATA);

export function getxattr(c: VfsCore, nodeid: number, name: string): Uint8Array {
  c.get(nodeid);
  const v = c.inodes.getXattr(nodeid, name);
  if (v === null) throw NO_XATTR;
  return v;
}

export function listxattr(c: VfsCore, nodeid: number): string[] {
  c.get(nodeid);
  return c.inodes.listXattrs(nodeid);
}

export function removexattr(c: VfsCore, nodeid: number, name: string): void {
  const i = c.get(nodeid);
  c.tx(() => {
    if (!c.inodes.removeXattr(nodeid, name)) {
      if (isAclName(name)) return; // removing an ACL there is none of succeeds (an equivalent one is never kept)
      throw new FuseError(ENODATA);
    }
    i.ctimeNs = nowNs();
    c.inodes.update(i);
  });
}
