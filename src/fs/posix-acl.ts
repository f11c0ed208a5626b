// POSIX ACLs in their xattr form (system.posix_acl_*), and the mode rules a filesystem must apply itself under FUSE_POSIX_ACL.
//
// With FUSE_POSIX_ACL negotiated the kernel enforces ACLs (it reads them with GETXATTR and caches them), but
// "userspace is responsible for updating the ACLs in the filesystem, keeping the file mode in sync with the
// ACL, and ensuring inheritance of default ACLs" (libfuse, FUSE_CAP_POSIX_ACL). These pure functions follow
// the kernel's own fs/posix_acl.c for that: posix_acl_update_mode (setting an access ACL), posix_acl_chmod
// (chmod rewrites the ACL) and posix_acl_create (a new entry inherits its directory's default ACL).
// An ACL equivalent to a mode is not stored at all (as ext4 does): `cp -a` then leaves plain modes only.
//
// The xattr value (include/uapi/linux/posix_acl_xattr.h): u32 version (2), then per entry u16 tag, u16 perm,
// u32 id, all little-endian. The kernel validates and sorts it before it reaches us (USER_OBJ, USER..., GROUP_OBJ,
// GROUP..., MASK, OTHER).

export const ACL_ACCESS_XATTR = "system.posix_acl_access";
export const ACL_DEFAULT_XATTR = "system.posix_acl_default";

/** True for the two names the kernel routes through its ACL code. */
export const isAclName = (name: string): boolean => name === ACL_ACCESS_XATTR || name === ACL_DEFAULT_XATTR;

const VERSION = 2;
const HEADER = 4;
const ENTRY = 8;

export const ACL_USER_OBJ = 0x01;
export const ACL_USER = 0x02;
export const ACL_GROUP_OBJ = 0x04;
export const ACL_GROUP = 0x08;
export const ACL_MASK = 0x10;
export const ACL_OTHER = 0x20;

const S_IRWXU = 0o700;
const S_IRWXG = 0o070;
const S_IRWXO = 0o007;
const S_IRWXUGO = 0o777;

export interface AclEntry {
  tag: number;
  perm: number;
  id: number;
}

/** Parses an ACL xattr value; null when it is not a well-formed version-2 ACL. */
export function decodeAcl(value: Uint8Array): AclEntry[] | null {
  if (value.byteLength < HEADER || (value.byteLength - HEADER) % ENTRY !== 0) return null;
  const dv = new DataView(value.buffer, value.byteOffset, value.byteLength);
  if (dv.getUint32(0, true) !== VERSION) return null;
  const out: AclEntry[] = [];
  for (let off = HEADER; off < value.byteLength; off += ENTRY) {
    out.push({ tag: dv.getUint16(off, true), perm: dv.getUint16(off + 2, true), id: dv.getUint32(off + 4, true) });
  }
  return out;
}

export function encodeAcl(entries: AclEntry[]): Uint8Array {
  const out = new Uint8Array(HEADER + ENTRY * entries.length);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, VERSION, true);
  entries.forEach((e, i) => {
    const off = HEADER + ENTRY * i;
    dv.setUint16(off, e.tag, true);
    dv.setUint16(off + 2, e.perm, true);
    dv.setUint32(off + 4, e.id, true);
  });
  return out;
}

/** posix_acl_equiv_mode: the permission bits the ACL implies, and whether the ACL says more than a mode can. */
export function aclMode(acl: AclEntry[], mode: number): { mode: number; extended: boolean } {
  let bits = 0;
  let extended = false;
  for (const e of acl) {
    const p = e.perm & S_IRWXO;
    if (e.tag === ACL_USER_OBJ) bits |= p << 6;
    else if (e.tag === ACL_GROUP_OBJ) bits |= p << 3;
    else if (e.tag === ACL_OTHER) bits |= p;
    else if (e.tag === ACL_MASK) {
      bits = (bits & ~S_IRWXG) | (p << 3); // the mask, not the owning group, is what the group bits show
      extended = true;
    } else extended = true;
  }
  return { mode: (mode & ~S_IRWXUGO) | bits, extended };
}

/**
 * Setting system.posix_acl_access (posix_acl_update_mode): the new mode, and the value to store (null: the
 * ACL is equivalent to the mode, so none is kept). `mayKeepSgid` is false when the caller is neither in the
 * file's group nor privileged: set-group-ID is then cleared, as the kernel does for local filesystems.
 */
export function applyAccessAcl(value: Uint8Array, mode: number, mayKeepSgid: boolean): { mode: number; store: Uint8Array | null } | null {
  const acl = decodeAcl(value);
  if (!acl) return null;
  const r = aclMode(acl, mode);
  return { mode: mayKeepSgid ? r.mode : r.mode & ~0o2000, store: r.extended ? value.slice() : null };
}

/** chmod of a file with an access ACL (posix_acl_chmod): owner, mask (or owning group) and other follow the mode. */
export function chmodAcl(value: Uint8Array, mode: number): Uint8Array | null {
  const acl = decodeAcl(value);
  if (!acl) return null;
  const hasMask = acl.some((e) => e.tag === ACL_MASK);
  for (const e of acl) {
    if (e.tag === ACL_USER_OBJ) e.perm = (mode & S_IRWXU) >> 6;
    else if (e.tag === ACL_OTHER) e.perm = mode & S_IRWXO;
    else if (e.tag === (hasMask ? ACL_MASK : ACL_GROUP_OBJ)) e.perm = (mode & S_IRWXG) >> 3;
  }
  return encodeAcl(acl);
}

export interface Inherited {
  /** The new entry's mode (type and special bits kept). */
  mode: number;
  /** Its access ACL, or null when the result is equivalent to the mode. */
  access: Uint8Array | null;
  /** Its default ACL (directories only). */
  default: Uint8Array | null;
}

/**
 * The ACLs and mode of a new entry (posix_acl_create). `mode` is the one the creator asked for, NOT masked
 * (mount with FUSE_DONT_MASK): with a default ACL in the parent the umask is ignored and the ACL masks the
 * mode instead; without one the umask applies. Symlinks get neither.
 */
export function inheritAcl(parentDefault: Uint8Array | null, mode: number, umask: number, isDir: boolean, isSymlink = false): Inherited {
  const acl = parentDefault && !isSymlink ? decodeAcl(parentDefault) : null;
  if (!acl) return { mode: isSymlink ? mode : mode & ~(umask & S_IRWXUGO), access: null, default: null };
  let m = mode;
  let groupObj: AclEntry | null = null;
  let mask: AclEntry | null = null;
  let extended = false;
  for (const e of acl) {
    if (e.tag === ACL_USER_OBJ) {
      e.perm &= (m >> 6) & 7;
      m &= (e.perm << 6) | ~S_IRWXU;
    } else if (e.tag === ACL_OTHER) {
      e.perm &= m & 7;
      m &= e.perm | ~S_IRWXO;
    } else if (e.tag === ACL_GROUP_OBJ) groupObj = e;
    else if (e.tag === ACL_MASK) {
      mask = e;
      extended = true;
    } else extended = true;
  }
  const g = mask ?? groupObj;
  if (g) {
    g.perm &= (m >> 3) & 7;
    m &= (g.perm << 3) | ~S_IRWXG;
  }
  return { mode: m, access: extended ? encodeAcl(acl) : null, default: isDir ? parentDefault!.slice() : null };
}
