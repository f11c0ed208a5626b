// Extended attributes for memfs: namespace checks and the XATTR_CREATE / XATTR_REPLACE rules.

import { E2BIG, EEXIST, ENODATA, EOPNOTSUPP, FuseError } from "../../src/fs/fuse/errno.ts";
import { XATTR_CREATE, XATTR_REPLACE } from "./bits.ts";
import type { MemNode } from "./node.ts";

/** Linux's XATTR_SIZE_MAX: the largest value setxattr(2) accepts. */
export const XATTR_VALUE_MAX = 64 * 1024;

// system.* has meaning the kernel enforces; of it memfs keeps only default ACLs (access ACLs: MemFs.setxattr).
const NAMESPACES = ["user.", "trusted.", "security.", "system.posix_acl_default"];

export class XattrStore {
  set(node: MemNode, name: string, value: Uint8Array, flags: number): void {
    if (!NAMESPACES.some((ns) => name.startsWith(ns))) throw new FuseError(EOPNOTSUPP);
    if (value.length > XATTR_VALUE_MAX) throw new FuseError(E2BIG);
    const exists = node.xattrs.has(name);
    if (flags & XATTR_CREATE && exists) throw new FuseError(EEXIST);
    if (flags & XATTR_REPLACE && !exists) throw new FuseError(ENODATA);
    // Copy: the request buffer may be reused once we return.
    node.xattrs.set(name, value.slice());
  }

  get(node: MemNode, name: string): Uint8Array {
    const value = node.xattrs.get(name);
    if (!value) throw new FuseError(ENODATA);
    return value;
  }
}
