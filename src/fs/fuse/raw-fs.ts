// The contract between the FUSE protocol layer and a filesystem: one method per kernel operation.
//
// Numbers: node ids, file handles, offsets and sizes are JS numbers (exact up to 2^53, far beyond any
// inode count or file size we serve); timestamps are split into seconds + nanoseconds exactly as the
// kernel's struct fuse_attr does, so nanosecond precision is never lost in a float.
//
// Errors: a method throws `FuseError(errno)` (see errno.ts) to answer an error; any other exception is
// logged once and answered EIO. A method that is absent answers ENOSYS (the kernel then falls back or
// remembers the operation is unsupported). Methods may return a value or a Promise of it.

export type MaybePromise<T> = T | Promise<T>;

/** Who asks: from struct fuse_in_header. */
export interface RequestContext {
  unique: bigint;
  nodeid: number;
  uid: number;
  gid: number;
  pid: number;
}

/** struct fuse_attr, field for field. */
export interface Attr {
  ino: number;
  size: number;
  blocks: number;
  atime: number;
  mtime: number;
  ctime: number;
  atimensec: number;
  mtimensec: number;
  ctimensec: number;
  mode: number;
  nlink: number;
  uid: number;
  gid: number;
  rdev: number;
  blksize: number;
  flags: number;
}

/** Reply to LOOKUP, MKDIR, MKNOD, SYMLINK, LINK, CREATE and each READDIRPLUS entry (struct fuse_entry_out). */
export interface EntryOut {
  nodeid: number;
  generation: number;
  /** Seconds the kernel may cache the name -> node binding (fractions allowed). 0 for a negative entry. */
  entryValid: number;
  /** Seconds the kernel may cache the attributes. */
  attrValid: number;
  attr: Attr;
}

/** Reply to GETATTR and SETATTR (struct fuse_attr_out). */
export interface AttrOut {
  attrValid: number;
  attr: Attr;
}

/** Reply to OPEN, OPENDIR and the open half of CREATE (struct fuse_open_out). */
export interface OpenOut {
  fh: number;
  /** FOPEN_* flags (DIRECT_IO, KEEP_CACHE, NONSEEKABLE, CACHE_DIR, ...), see kernel.ts. */
  openFlags: number;
}

/** struct fuse_setattr_in: only the fields whose FATTR_* bit is set in `valid` are meaningful. */
export interface SetattrIn {
  valid: number;
  fh: number;
  size: number;
  lockOwner: bigint;
  atime: number;
  mtime: number;
  ctime: number;
  atimensec: number;
  mtimensec: number;
  ctimensec: number;
  mode: number;
  uid: number;
  gid: number;
}

/** Reply to STATFS (struct fuse_kstatfs). */
export interface StatfsOut {
  blocks: number;
  bfree: number;
  bavail: number;
  files: number;
  ffree: number;
  bsize: number;
  namelen: number;
  frsize: number;
}

/**
 * Where READDIR / READDIRPLUS entries go. The filesystem adds entries from `offset` on and stops when
 * `add` returns false (the reply buffer is full); an entry that did not fit was not sent, so for
 * READDIRPLUS its lookup count must not be incremented. `nextOffset` is the cookie the kernel passes
 * back to continue after this entry: it must be stable across calls and never 0.
 */
export interface DirentSink {
  /** READDIR: name, inode number, DT_* type (mode >> 12 works), cookie of the next entry. */
  add(name: string, ino: number, type: number, nextOffset: number): boolean;
  /** READDIRPLUS: like add, with the full entry (the kernel counts it as a lookup unless nodeid is 0 or the name is "." or ".."). */
  addPlus(name: string, entry: EntryOut, nextOffset: number): boolean;
}

/** What the kernel offered and what we settled on at INIT; the filesystem may read it. */
export interface ConnInfo {
  major: number;
  minor: number;
  maxWrite: number;
  maxReadahead: number;
  /** Capability flags (FUSE_* bits, 64-bit as flags | flags2 << 32) that both sides enabled. */
  flags: bigint;
}

export interface RawFileSystem {
  init?(conn: ConnInfo): MaybePromise<void>;
  destroy?(): MaybePromise<void>;

  /**
   * With EXPORT_SUPPORT `name` may be "." for a node of any kind (the kernel decoding a file handle) and ".."
   * for a directory (reconnecting it to its parent); ENOENT then means the handle is stale.
   */
  lookup?(ctx: RequestContext, parent: number, name: string): MaybePromise<EntryOut>;
  /** The kernel dropped `nlookup` references to `nodeid` (FORGET and each BATCH_FORGET item). No reply. */
  forget?(nodeid: number, nlookup: number): void;
  /**
   * Lookups that reader Workers answered themselves (LOOKUP, READDIRPLUS entries), reported to the
   * main thread so its lookup counts stay right. They arrive in order and before any later request the main thread serves (so before the FORGET that could follow).
   */
  noteLookup?(nodeid: number, count: number): void;
  getattr?(ctx: RequestContext, nodeid: number, fh: number | undefined): MaybePromise<AttrOut>;
  setattr?(ctx: RequestContext, nodeid: number, attr: SetattrIn): MaybePromise<AttrOut>;
  readlink?(ctx: RequestContext, nodeid: number): MaybePromise<string | Uint8Array>;
  symlink?(ctx: RequestContext, parent: number, name: string, target: string): MaybePromise<EntryOut>;
  mknod?(ctx: RequestContext, parent: number, name: string, mode: number, rdev: number, umask: number): MaybePromise<EntryOut>;
  mkdir?(ctx: RequestContext, parent: number, name: string, mode: number, umask: number): MaybePromise<EntryOut>;
  unlink?(ctx: RequestContext, parent: number, name: string): MaybePromise<void>;
  rmdir?(ctx: RequestContext, parent: number, name: string): MaybePromise<void>;
  /** RENAME and RENAME2; flags are RENAME_NOREPLACE (1) / RENAME_EXCHANGE (2) / RENAME_WHITEOUT (4). */
  rename?(ctx: RequestContext, parent: number, name: string, newParent: number, newName: string, flags: number): MaybePromise<void>;
  link?(ctx: RequestContext, nodeid: number, newParent: number, newName: string): MaybePromise<EntryOut>;

  open?(ctx: RequestContext, nodeid: number, flags: number): MaybePromise<OpenOut>;
  create?(ctx: RequestContext, parent: number, name: string, mode: number, flags: number, umask: number): MaybePromise<{ entry: EntryOut; open: OpenOut }>;
  /** Return at most `size` bytes; fewer only at end of file. */
  read?(ctx: RequestContext, nodeid: number, fh: number, offset: number, size: number): MaybePromise<Uint8Array>;
  /** `data` is only valid during the call (it may view a reused buffer): copy what you keep. Returns bytes written. */
  write?(ctx: RequestContext, nodeid: number, fh: number, offset: number, data: Uint8Array, writeFlags: number): MaybePromise<number>;
  flush?(ctx: RequestContext, nodeid: number, fh: number, lockOwner: bigint): MaybePromise<void>;
  release?(ctx: RequestContext, nodeid: number, fh: number, flags: number): MaybePromise<void>;
  fsync?(ctx: RequestContext, nodeid: number, fh: number, datasync: boolean): MaybePromise<void>;

  opendir?(ctx: RequestContext, nodeid: number, flags: number): MaybePromise<OpenOut>;
  readdir?(ctx: RequestContext, nodeid: number, fh: number, offset: number, out: DirentSink): MaybePromise<void>;
  /** Absent: the layer does not offer READDIRPLUS to the kernel. */
  readdirplus?(ctx: RequestContext, nodeid: number, fh: number, offset: number, out: DirentSink): MaybePromise<void>;
  releasedir?(ctx: RequestContext, nodeid: number, fh: number): MaybePromise<void>;
  fsyncdir?(ctx: RequestContext, nodeid: number, fh: number, datasync: boolean): MaybePromise<void>;

  statfs?(ctx: RequestContext, nodeid: number): MaybePromise<StatfsOut>;
  access?(ctx: RequestContext, nodeid: number, mask: number): MaybePromise<void>;

  setxattr?(ctx: RequestContext, nodeid: number, name: string, value: Uint8Array, flags: number): MaybePromise<void>;
  /** The whole value; the layer answers size probes (size 0) and ERANGE itself. */
  getxattr?(ctx: RequestContext, nodeid: number, name: string): MaybePromise<Uint8Array>;
  /** All names; the layer packs them and answers size probes and ERANGE itself. */
  listxattr?(ctx: RequestContext, nodeid: number): MaybePromise<string[]>;
  removexattr?(ctx: RequestContext, nodeid: number, name: string): MaybePromise<void>;

  fallocate?(ctx: RequestContext, nodeid: number, fh: number, offset: number, length: number, mode: number): MaybePromise<void>;
  /** SEEK_DATA / SEEK_HOLE; returns the new offset. */
  lseek?(ctx: RequestContext, nodeid: number, fh: number, offset: number, whence: number): MaybePromise<number>;
  copyFileRange?(
    ctx: RequestContext,
    nodeIn: number, fhIn: number, offIn: number,
    nodeOut: number, fhOut: number, offOut: number,
    len: number, flags: number,
  ): MaybePromise<number>;
}
