// A memfs inode (file, directory, symlink or special file) with its timestamps and its struct fuse_attr view.

import type { Attr } from "../../src/fs/fuse/raw-fs.ts";
import { Directory } from "./directory.ts";
import { FileData } from "./file-data.ts";
import type { NameFilter } from "./name-filter.ts";

import { S_IFDIR, S_IFLNK, S_IFMT, S_IFREG } from "../../src/fs/fuse/mode.ts";
export { S_IFDIR, S_IFLNK, S_IFMT, S_IFREG, S_ISGID, S_ISUID, S_IXGRP } from "../../src/fs/fuse/mode.ts";

/** A point in time as the kernel stores it: whole seconds plus nanoseconds, never a lossy float. */
export interface Timespec {
  sec: number;
  nsec: number;
}

// Wall clock with nanosecond resolution: Date.now() anchors it, the monotonic clock refines it. Two
// updates in the same millisecond then still get different ctimes, which tests of "ctime changed" need.
const wallAtStartNs = BigInt(Date.now()) * 1_000_000n;
const monoAtStartNs = process.hrtime.bigint();

export function now(): Timespec {
  const ns = wallAtStartNs + (process.hrtime.bigint() - monoAtStartNs);
  return { sec: Number(ns / 1_000_000_000n), nsec: Number(ns % 1_000_000_000n) };
}

export class MemNode {
  nlink = 0;
  /** Kernel references (LOOKUP replies, READDIRPLUS entries, CREATE...) not yet forgotten. Signed: see noteLookup. */
  lookups = 0;
  /** Open file and directory handles. */
  opens = 0;
  atime: Timespec;
  mtime: Timespec;
  ctime: Timespec;
  readonly xattrs = new Map<string, Uint8Array>();
  /** Regular files only. */
  readonly data: FileData | undefined;
  /** Directories only. */
  readonly dir: Directory | undefined;
  /** Directories only: the inode ".." names. */
  parent = 0;
  /** Symlinks only: the target bytes. */
  target: Uint8Array = new Uint8Array(0);

  constructor(
    readonly ino: number,
    public mode: number,
    public uid: number,
    public gid: number,
    public rdev = 0,
    names?: NameFilter,
  ) {
    const t = now();
    this.atime = t;
    this.mtime = t;
    this.ctime = t;
    this.data = this.isFile ? new FileData() : undefined;
    this.dir = this.isDir ? new Directory(ino, names) : undefined;
  }

  get isDir(): boolean {
    return (this.mode & S_IFMT) === S_IFDIR;
  }
  get isFile(): boolean {
    return (this.mode & S_IFMT) === S_IFREG;
  }
  get isSymlink(): boolean {
    return (this.mode & S_IFMT) === S_IFLNK;
  }

  get size(): number {
    if (this.data) return this.data.size;
    if (this.isSymlink) return this.target.length;
    // Directories report a size that grows with their entries, like most disk filesystems.
    if (this.dir) return 4096 + Math.floor(this.dir.size / 128) * 4096;
    return 0;
  }

  /** Marks a metadata change (chmod, chown, link count, rename). */
  touchCtime(): void {
    this.ctime = now();
  }

  /** Marks a read (relatime, as Linux by default): only when atime is not after mtime and ctime, or a day old. */
  touchAtime(): void {
    const notAfter = (a: Timespec, b: Timespec) => a.sec < b.sec || (a.sec === b.sec && a.nsec <= b.nsec);
    const t = now();
    if (notAfter(this.atime, this.mtime) || notAfter(this.atime, this.ctime) || t.sec - this.atime.sec >= 86_400) this.atime = t;
  }

  /** Marks a content change: data written or entries added/removed. */
  touchMtime(): void {
    const t = now();
    this.mtime = t;
    this.ctime = t;
  }

  /** Whether nothing can reach this inode any more: no name, no kernel reference, no open handle. */
  get unreachable(): boolean {
    return this.nlink <= 0 && this.lookups <= 0 && this.opens <= 0;
  }

  attr(): Attr {
    return {
      ino: this.ino,
      size: this.size,
      blocks: this.data ? this.data.blocks512 : 0,
      atime: this.atime.sec,
      mtime: this.mtime.sec,
      ctime: this.ctime.sec,
      atimensec: this.atime.nsec,
      mtimensec: this.mtime.nsec,
      ctimensec: this.ctime.nsec,
      mode: this.mode,
      nlink: this.nlink,
      uid: this.uid,
      gid: this.gid,
      rdev: this.rdev,
      blksize: 4096,
      flags: 0,
    };
  }
}
