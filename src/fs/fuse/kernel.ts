// Mirror of the kernel's include/uapi/linux/fuse.h (protocol 7.36 layouts): opcodes, flags and structs field for field.
//
// Each struct is declared as its list of fields; `offsets` and `size` are computed from it (natural alignment,
// as the C compiler lays them out), and tests/unit/fuse/kernel.test.ts checks every size against the kernel's.
// The codec reads and writes fields at these offsets.

export const FUSE_KERNEL_VERSION = 7;
/** The newest minor whose layouts we mirror; we answer min(kernel's, this). */
export const FUSE_KERNEL_MINOR_VERSION = 36;
/** The oldest minor we accept from the kernel. */
export const FUSE_MIN_MINOR_VERSION = 31;
export const FUSE_ROOT_ID = 1;
/** Extra room in a read buffer beyond max_write for the request header and its fixed part (libfuse uses the same). */
export const FUSE_BUFFER_HEADER_SIZE = 0x1000;

export const Opcode = {
  LOOKUP: 1, FORGET: 2, GETATTR: 3, SETATTR: 4, READLINK: 5, SYMLINK: 6, MKNOD: 8, MKDIR: 9, UNLINK: 10, RMDIR: 11,
  RENAME: 12, LINK: 13, OPEN: 14, READ: 15, WRITE: 16, STATFS: 17, RELEASE: 18, FSYNC: 20, SETXATTR: 21, GETXATTR: 22,
  LISTXATTR: 23, REMOVEXATTR: 24, FLUSH: 25, INIT: 26, OPENDIR: 27, READDIR: 28, RELEASEDIR: 29, FSYNCDIR: 30,
  GETLK: 31, SETLK: 32, SETLKW: 33, ACCESS: 34, CREATE: 35, INTERRUPT: 36, BMAP: 37, DESTROY: 38, IOCTL: 39, POLL: 40,
  NOTIFY_REPLY: 41, BATCH_FORGET: 42, FALLOCATE: 43, READDIRPLUS: 44, RENAME2: 45, LSEEK: 46, COPY_FILE_RANGE: 47,
  SETUPMAPPING: 48, REMOVEMAPPING: 49, SYNCFS: 50, TMPFILE: 51, STATX: 52,
} as const;

export const NotifyCode = { POLL: 1, INVAL_INODE: 2, INVAL_ENTRY: 3, STORE: 4, RETRIEVE: 5, DELETE: 6 } as const;

/** INIT flags (fuse_init_in/out.flags; bits 32+ live in flags2 when FUSE_INIT_EXT is set). */
export const InitFlag = {
  ASYNC_READ: 1 << 0, POSIX_LOCKS: 1 << 1, FILE_OPS: 1 << 2, ATOMIC_O_TRUNC: 1 << 3, EXPORT_SUPPORT: 1 << 4,
  BIG_WRITES: 1 << 5, DONT_MASK: 1 << 6, SPLICE_WRITE: 1 << 7, SPLICE_MOVE: 1 << 8, SPLICE_READ: 1 << 9,
  FLOCK_LOCKS: 1 << 10, HAS_IOCTL_DIR: 1 << 11, AUTO_INVAL_DATA: 1 << 12, DO_READDIRPLUS: 1 << 13,
  READDIRPLUS_AUTO: 1 << 14, ASYNC_DIO: 1 << 15, WRITEBACK_CACHE: 1 << 16, NO_OPEN_SUPPORT: 1 << 17,
  PARALLEL_DIROPS: 1 << 18, HANDLE_KILLPRIV: 1 << 19, POSIX_ACL: 1 << 20, ABORT_ERROR: 1 << 21, MAX_PAGES: 1 << 22,
  CACHE_SYMLINKS: 1 << 23, NO_OPENDIR_SUPPORT: 1 << 24, EXPLICIT_INVAL_DATA: 1 << 25, MAP_ALIGNMENT: 1 << 26,
  SUBMOUNTS: 1 << 27, HANDLE_KILLPRIV_V2: 1 << 28, SETXATTR_EXT: 1 << 29, INIT_EXT: 1 << 30, INIT_RESERVED: 2 ** 31,
} as const;

/** fuse_setattr_in.valid bits. */
export const FATTR = {
  MODE: 1 << 0, UID: 1 << 1, GID: 1 << 2, SIZE: 1 << 3, ATIME: 1 << 4, MTIME: 1 << 5, FH: 1 << 6, ATIME_NOW: 1 << 7,
  MTIME_NOW: 1 << 8, LOCKOWNER: 1 << 9, CTIME: 1 << 10, KILL_SUIDGID: 1 << 11,
} as const;

/** fuse_open_out.open_flags. */
export const FOPEN = { DIRECT_IO: 1 << 0, KEEP_CACHE: 1 << 1, NONSEEKABLE: 1 << 2, CACHE_DIR: 1 << 3, STREAM: 1 << 4, NOFLUSH: 1 << 5 } as const;

export const FUSE_GETATTR_FH = 1 << 0;
export const FUSE_FSYNC_FDATASYNC = 1 << 0;
export const FUSE_WRITE_CACHE = 1 << 0;
export const FUSE_WRITE_LOCKOWNER = 1 << 1;
export const FUSE_WRITE_KILL_SUIDGID = 1 << 2;
export const FUSE_RELEASE_FLUSH = 1 << 0;
export const RENAME_NOREPLACE = 1;
export const RENAME_EXCHANGE = 2;
export const RENAME_WHITEOUT = 4;
/** Longest path the kernel passes (<linux/limits.h>); a symlink target must be shorter. */
export const PATH_MAX = 4096;

// Linux values the kernel forwards unchanged inside FUSE requests, named as in <fcntl.h>, <unistd.h>,
// <sys/xattr.h> and <linux/falloc.h>: every filesystem on this layer interprets them the same way.
/** OPEN/CREATE flags (the kernel strips O_CREAT/O_EXCL before OPEN; CREATE keeps O_EXCL). */
export const O_ACCMODE = 3;
export const O_WRONLY = 1;
export const O_EXCL = 0o200;
export const O_TRUNC = 0o1000;
export const O_DIRECT = 0o40000;
/** SETXATTR flags. */
export const XATTR_CREATE = 1;
export const XATTR_REPLACE = 2;
/** LSEEK whence values the kernel forwards (SEEK_SET/CUR/END it answers itself). */
export const SEEK_DATA = 3;
export const SEEK_HOLE = 4;
/** FALLOCATE mode bit. */
export const FALLOC_FL_KEEP_SIZE = 1;
/** ACCESS mask bits. */
export const R_OK = 4;
export const W_OK = 2;
export const X_OK = 1;
/** /dev/fuse ioctl: _IOR(229, 0, uint32_t). */
export const FUSE_DEV_IOC_CLONE = 0x8004e500;

type FieldType = "u16" | "u32" | "i32" | "u64" | "i64" | `${string}[${number}]` | StructDef;
export interface StructDef {
  readonly name: string;
  readonly size: number;
  readonly align: number;
  readonly fields: ReadonlyArray<readonly [string, FieldType]>;
  readonly offsets: Readonly<Record<string, number>>;
}

function sizeAlign(t: FieldType): [number, number] {
  if (typeof t === "object") return [t.size, t.align];
  const m = /^(u16|u32|i32|u64|i64)\[(\d+)\]$/.exec(t);
  if (m) {
    const [s, a] = sizeAlign(m[1] as FieldType);
    return [s * Number(m[2]), a];
  }
  return t === "u16" ? [2, 2] : t === "u32" || t === "i32" ? [4, 4] : [8, 8];
}

/** Lay out a C struct of fixed-width fields (natural alignment, trailing padding to the widest member). */
export function struct(name: string, fields: ReadonlyArray<readonly [string, FieldType]>): StructDef {
  let off = 0;
  let align = 1;
  const offsets: Record<string, number> = {};
  for (const [f, t] of fields) {
    const [s, a] = sizeAlign(t);
    off = (off + a - 1) & ~(a - 1);
    offsets[f] = off;
    off += s;
    align = Math.max(align, a);
  }
  return { name, size: (off + align - 1) & ~(align - 1), align, fields, offsets };
}

export const fuse_attr = struct("fuse_attr", [
  ["ino", "u64"], ["size", "u64"], ["blocks", "u64"], ["atime", "u64"], ["mtime", "u64"], ["ctime", "u64"],
  ["atimensec", "u32"], ["mtimensec", "u32"], ["ctimensec", "u32"], ["mode", "u32"], ["nlink", "u32"],
  ["uid", "u32"], ["gid", "u32"], ["rdev", "u32"], ["blksize", "u32"], ["flags", "u32"],
]);
export const fuse_kstatfs = struct("fuse_kstatfs", [
  ["blocks", "u64"], ["bfree", "u64"], ["bavail", "u64"], ["files", "u64"], ["ffree", "u64"],
  ["bsize", "u32"], ["namelen", "u32"], ["frsize", "u32"], ["padding", "u32"], ["spare", "u32[6]"],
]);
export const fuse_entry_out = struct("fuse_entry_out", [
  ["nodeid", "u64"], ["generation", "u64"], ["entry_valid", "u64"], ["attr_valid", "u64"],
  ["entry_valid_nsec", "u32"], ["attr_valid_nsec", "u32"], ["attr", fuse_attr],
]);
export const fuse_forget_in = struct("fuse_forget_in", [["nlookup", "u64"]]);
export const fuse_forget_one = struct("fuse_forget_one", [["nodeid", "u64"], ["nlookup", "u64"]]);
export const fuse_batch_forget_in = struct("fuse_batch_forget_in", [["count", "u32"], ["dummy", "u32"]]);
export const fuse_getattr_in = struct("fuse_getattr_in", [["getattr_flags", "u32"], ["dummy", "u32"], ["fh", "u64"]]);
export const fuse_attr_out = struct("fuse_attr_out", [
  ["attr_valid", "u64"], ["attr_valid_nsec", "u32"], ["dummy", "u32"], ["attr", fuse_attr],
]);
export const fuse_mknod_in = struct("fuse_mknod_in", [["mode", "u32"], ["rdev", "u32"], ["umask", "u32"], ["padding", "u32"]]);
export const fuse_mkdir_in = struct("fuse_mkdir_in", [["mode", "u32"], ["umask", "u32"]]);
export const fuse_rename_in = struct("fuse_rename_in", [["newdir", "u64"]]);
export const fuse_rename2_in = struct("fuse_rename2_in", [["newdir", "u64"], ["flags", "u32"], ["padding", "u32"]]);
export const fuse_link_in = struct("fuse_link_in", [["oldnodeid", "u64"]]);
export const fuse_setattr_in = struct("fuse_setattr_in", [
  ["valid", "u32"], ["padding", "u32"], ["fh", "u64"], ["size", "u64"], ["lock_owner", "u64"], ["atime", "u64"],
  ["mtime", "u64"], ["ctime", "u64"], ["atimensec", "u32"], ["mtimensec", "u32"], ["ctimensec", "u32"],
  ["mode", "u32"], ["unused4", "u32"], ["uid", "u32"], ["gid", "u32"], ["unused5", "u32"],
]);
export const fuse_open_in = struct("fuse_open_in", [["flags", "u32"], ["open_flags", "u32"]]);
export const fuse_create_in = struct("fuse_create_in", [["flags", "u32"], ["mode", "u32"], ["umask", "u32"], ["open_flags", "u32"]]);
export const fuse_open_out = struct("fuse_open_out", [["fh", "u64"], ["open_flags", "u32"], ["padding", "u32"]]);
export const fuse_release_in = struct("fuse_release_in", [["fh", "u64"], ["flags", "u32"], ["release_flags", "u32"], ["lock_owner", "u64"]]);
export const fuse_flush_in = struct("fuse_flush_in", [["fh", "u64"], ["unused", "u32"], ["padding", "u32"], ["lock_owner", "u64"]]);
export const fuse_read_in = struct("fuse_read_in", [
  ["fh", "u64"], ["offset", "u64"], ["size", "u32"], ["read_flags", "u32"], ["lock_owner", "u64"], ["flags", "u32"], ["padding", "u32"],
]);
export const fuse_write_in = struct("fuse_write_in", [
  ["fh", "u64"], ["offset", "u64"], ["size", "u32"], ["write_flags", "u32"], ["lock_owner", "u64"], ["flags", "u32"], ["padding", "u32"],
]);
export const fuse_write_out = struct("fuse_write_out", [["size", "u32"], ["padding", "u32"]]);
export const fuse_statfs_out = struct("fuse_statfs_out", [["st", fuse_kstatfs]]);
export const fuse_fsync_in = struct("fuse_fsync_in", [["fh", "u64"], ["fsync_flags", "u32"], ["padding", "u32"]]);
export const fuse_setxattr_in = struct("fuse_setxattr_in", [["size", "u32"], ["flags", "u32"]]);
export const fuse_getxattr_in = struct("fuse_getxattr_in", [["size", "u32"], ["padding", "u32"]]);
export const fuse_getxattr_out = struct("fuse_getxattr_out", [["size", "u32"], ["padding", "u32"]]);
export const fuse_access_in = struct("fuse_access_in", [["mask", "u32"], ["padding", "u32"]]);
export const fuse_init_in = struct("fuse_init_in", [
  ["major", "u32"], ["minor", "u32"], ["max_readahead", "u32"], ["flags", "u32"], ["flags2", "u32"], ["unused", "u32[11]"],
]);
/** Before 7.36 the kernel sent only major, minor, max_readahead, flags. */
export const FUSE_COMPAT_INIT_IN_SIZE = 16;
export const fuse_init_out = struct("fuse_init_out", [
  ["major", "u32"], ["minor", "u32"], ["max_readahead", "u32"], ["flags", "u32"], ["max_background", "u16"],
  ["congestion_threshold", "u16"], ["max_write", "u32"], ["time_gran", "u32"], ["max_pages", "u16"],
  ["map_alignment", "u16"], ["flags2", "u32"], ["unused", "u32[7]"],
]);
export const fuse_interrupt_in = struct("fuse_interrupt_in", [["unique", "u64"]]);
export const fuse_fallocate_in = struct("fuse_fallocate_in", [["fh", "u64"], ["offset", "u64"], ["length", "u64"], ["mode", "u32"], ["padding", "u32"]]);
export const fuse_in_header = struct("fuse_in_header", [
  ["len", "u32"], ["opcode", "u32"], ["unique", "u64"], ["nodeid", "u64"], ["uid", "u32"], ["gid", "u32"], ["pid", "u32"],
  ["total_extlen", "u16"], ["padding", "u16"],
]);
export const fuse_out_header = struct("fuse_out_header", [["len", "u32"], ["error", "i32"], ["unique", "u64"]]);
export const fuse_dirent = struct("fuse_dirent", [["ino", "u64"], ["off", "u64"], ["namelen", "u32"], ["type", "u32"]]);
export const fuse_direntplus = struct("fuse_direntplus", [["entry_out", fuse_entry_out], ["dirent", fuse_dirent]]);
export const fuse_notify_inval_inode_out = struct("fuse_notify_inval_inode_out", [["ino", "u64"], ["off", "i64"], ["len", "i64"]]);
export const fuse_notify_inval_entry_out = struct("fuse_notify_inval_entry_out", [["parent", "u64"], ["namelen", "u32"], ["flags", "u32"]]);
export const fuse_lseek_in = struct("fuse_lseek_in", [["fh", "u64"], ["offset", "u64"], ["whence", "u32"], ["padding", "u32"]]);
export const fuse_lseek_out = struct("fuse_lseek_out", [["offset", "u64"]]);
export const fuse_copy_file_range_in = struct("fuse_copy_file_range_in", [
  ["fh_in", "u64"], ["off_in", "u64"], ["nodeid_out", "u64"], ["fh_out", "u64"], ["off_out", "u64"], ["len", "u64"], ["flags", "u64"],
]);

/** Every struct above, for the size test and for debugging. */
export const STRUCTS: readonly StructDef[] = [
  fuse_attr, fuse_kstatfs, fuse_entry_out, fuse_forget_in, fuse_forget_one, fuse_batch_forget_in, fuse_getattr_in,
  fuse_attr_out, fuse_mknod_in, fuse_mkdir_in, fuse_rename_in, fuse_rename2_in, fuse_link_in, fuse_setattr_in,
  fuse_open_in, fuse_create_in, fuse_open_out, fuse_release_in, fuse_flush_in, fuse_read_in, fuse_write_in,
  fuse_write_out, fuse_statfs_out, fuse_fsync_in, fuse_setxattr_in, fuse_getxattr_in, fuse_getxattr_out,
  fuse_access_in, fuse_init_in, fuse_init_out, fuse_interrupt_in, fuse_fallocate_in, fuse_in_header, fuse_out_header,
  fuse_dirent, fuse_direntplus, fuse_notify_inval_inode_out, fuse_notify_inval_entry_out, fuse_lseek_in,
  fuse_lseek_out, fuse_copy_file_range_in,
];
