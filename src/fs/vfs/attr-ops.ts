// Attribute operations: getattr, setattr (chmod/chown/truncate/utimens with ctime rules), access, statfs.
import type { AttrOut, RequestContext, SetattrIn, StatfsOut } from "../fuse/raw-fs.ts";
import { EACCES, EINVAL, EISDIR, FuseError } from "../fuse/errno.ts";
import { FATTR, R_OK, W_OK, X_OK } from "../fuse/kernel.ts";
import { ACL_ACCESS_XATTR, chmodAcl } from "../posix-acl.ts";
import { ATTR_TTL, type VfsCore, S_IFMT, S_ISGID, S_ISUID, isDir, isReg, nowNs } from "./core.ts";


const NS = 1_000_000_000n;
/** sec may arrive as the unsigned reading of a negative i64 (pre-1970): fold it back to signed. */
const ts = (sec: number, nsec: number): bigint => {
  let s = BigInt(Math.trunc(sec));
  if (s >= 1n << 63n) s -= 1n << 64n;
  return s * NS + BigInt(nsec);
};

/** Largest file size we accept (the kernel's own limit for FUSE is larger; 2^53 keeps offsets exact). */
export const MAX_FILE_SIZE = 2 ** 53 - 1;

export function getattr(c: VfsCore, nodeid: number): AttrOut {
  return { attrValid: ATTR_TTL, attr: c.attr(c.get(nodeid)) };
}

/**
 * The kernel (default_permissions) has already checked who may change what, and turns the implicit
 * clearing of set-user/group-id into an explicit mode change; we apply the change and the timestamps
 * POSIX requires: every change sets ctime, a size change sets mtime too.
 */
export async function setattr(c: VfsCore, _ctx: RequestContext, nodeid: number, a: SetattrIn): Promise<AttrOut> {
  const v = a.valid;
  if (v & FATTR.SIZE) {
    const i = c.get(nodeid);
    if (isDir(i)) throw new FuseError(EISDIR);
    if (!isReg(i)) throw new FuseError(EINVAL);
    if (a.size > MAX_FILE_SIZE) throw new FuseError(EINVAL);
    await c.resize(nodeid, a.size); // sets size, mtime and ctime
  }
  const now = nowNs();
  const i = c.get(nodeid); // fresh: other requests may have run while resize awaited
  let acl: Uint8Array | null = null;
  if (v & FATTR.MODE) {
    // the kernel already applied the SGID and kill-suid rules (setattr_prepare / notify_change)
    i.mode = (i.mode & S_IFMT) | (a.mode & 0o7777);
    // an access ACL follows the mode (posix_acl_chmod); the kernel forgets its cached copy after SETATTR
    const old = c.inodes.getXattr(nodeid, ACL_ACCESS_XATTR);
    acl = old && chmodAcl(old, i.mode);
  }
  if (v & (FATTR.UID | FATTR.GID)) {
    if (v & FATTR.UID) i.uid = a.uid;
    if (v & FATTR.GID) i.gid = a.gid;
    // chown drops set-user-ID and (if group-executable) set-group-ID unless the kernel sent the new mode itself
    if (!(v & FATTR.MODE) && !isDir(i)) {
      i.mode &= ~S_ISUID;
      if (i.mode & 0o010) i.mode &= ~S_ISGID;
    }
  }
  if (v & FATTR.KILL_SUIDGID && !isDir(i)) i.mode &= ~(S_ISUID | S_ISGID);
  if (v & FATTR.ATIME_NOW) i.atimeNs = now;
  else if (v & FATTR.ATIME) i.atimeNs = ts(a.atime, a.atimensec);
  if (v & FATTR.MTIME_NOW) i.mtimeNs = now;
  else if (v & FATTR.MTIME) i.mtimeNs = ts(a.mtime, a.mtimensec);
  i.ctimeNs = v & FATTR.CTIME ? ts(a.ctime, a.ctimensec) : now;
  c.tx(() => {
    if (acl) c.inodes.setXattr(nodeid, ACL_ACCESS_XATTR, acl); // in the same commit as the mode
    c.inodes.update(i);
  });
  return { attrValid: ATTR_TTL, attr: c.attr(i) };
}


/** access(2): mode bits against the caller (root passes, except X needs an x bit on non-directories). */
export function access(c: VfsCore, ctx: RequestContext, nodeid: number, mask: number): void {
  const i = c.get(nodeid);
  if (mask === 0) return;
  if (ctx.uid === 0) {
    if (mask & X_OK && !isDir(i) && (i.mode & 0o111) === 0) throw new FuseError(EACCES);
    return;
  }
  const bits = ctx.uid === i.uid ? (i.mode >> 6) & 7 : ctx.gid === i.gid ? (i.mode >> 3) & 7 : i.mode & 7;
  if ((mask & (R_OK | W_OK | X_OK)) & ~bits) throw new FuseError(EACCES);
}

/** statfs sums over all inodes: cache the sums for a few seconds so `df` loops stay cheap (free space is asked each time). */
let statfsCache: { core: VfsCore; at: number; bytes: number; files: number } | null = null;

export function statfs(c: VfsCore): StatfsOut {
  const bsize = 4096;
  const total = 2 ** 50 / bsize; // advertise 1 PiB: the store has no fixed size
  if (!statfsCache || statfsCache.core !== c || Date.now() - statfsCache.at > 5000) {
    statfsCache = { core: c, at: Date.now(), bytes: c.inodes.logicalBytes(), files: c.inodes.count() };
  }
  const used = Math.ceil(statfsCache.bytes / bsize);
  const files = statfsCache.files;
  // what can still be written is bounded by the disks under the cache (and a local:// store)
  const free = Math.max(0, Math.min(total - used, Math.floor(c.freeBytes() / bsize)));
  return {
    blocks: total,
    bfree: free,
    bavail: free,
    files: files + 2 ** 32,
    ffree: 2 ** 32,
    bsize,
    namelen: 255,
    frsize: bsize,
  };
}

