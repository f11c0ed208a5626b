// Clearing set-user-ID, set-group-ID and file capabilities on write, truncate and chown (FUSE_HANDLE_KILLPRIV_V2).
//
// With HANDLE_KILLPRIV_V2 negotiated the kernel marks the mount SB_NOSEC and stops asking GETXATTR
// security.capability before every write (one round trip of two per small write); in return the filesystem
// applies Linux's rules itself: the kernel flags a write, an O_TRUNC open or a truncate by a caller without
// CAP_FSETID, and a chown always clears them.
import type { Inode } from "../meta/inodes.ts";
import type { VfsCore } from "./core.ts";
import { S_ISGID, S_ISUID } from "./core.ts";

export const CAPABILITY_XATTR = "security.capability";

/**
 * Linux's rule (setattr_should_drop_sgid) once the kernel flagged a change by a caller without CAP_FSETID:
 * set-user-ID goes; set-group-ID goes when group-executable, or when the caller is not in the file's group.
 * We know only the caller's primary group: one in the group through a supplementary group alone loses a
 * non-executable set-group-ID it would keep on ext4 (the kernel's flag does not say which bit it meant).
 */
export function withoutSuidSgid(mode: number, callerInGroup = true): number {
  let m = mode & ~S_ISUID;
  if (m & S_ISGID && (m & 0o010 || !callerInGroup)) m &= ~S_ISGID;
  return m;
}

/**
 * What a data change (write, truncate) must clear on `i`: the mode without suid/sgid when `kill` (the kernel's
 * flag), and whether a security.capability attribute must go. Null when nothing changes (the common case: no
 * query beyond the xattr table's cached emptiness).
 */
export function privsToDrop(c: VfsCore, i: Inode, kill: boolean, callerGid: number): { mode: number; caps: boolean } | null {
  const mode = kill ? withoutSuidSgid(i.mode, callerGid === i.gid) : i.mode;
  const caps = c.inodes.getXattr(i.id, CAPABILITY_XATTR) !== null;
  return mode !== i.mode || caps ? { mode, caps } : null;
}

/** Applies privsToDrop's answer to `i` (the caller commits the inode row in the same transaction). */
export function dropPrivs(c: VfsCore, i: Inode, drop: { mode: number; caps: boolean }): void {
  i.mode = drop.mode;
  if (drop.caps) c.inodes.removeXattr(i.id, CAPABILITY_XATTR);
}
