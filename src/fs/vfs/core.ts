// VfsCore: the state shared by the operation families — tables, block cache, lookup/open counts, attr helpers.
import type { Attr, EntryOut } from "../fuse/raw-fs.ts";
import { encodeName } from "../names.ts";
import { EISDIR, ENAMETOOLONG, ENOENT, ENOTDIR, FuseError } from "../fuse/errno.ts";
import type { MetaDb } from "../meta/db.ts";
import type { BlockMap } from "../meta/blockmap.ts";
import type { EntryTable } from "../meta/entries.ts";
import type { Inode, InodeTable } from "../meta/inodes.ts";
import type { BlockCache } from "../blocks/cache.ts";
import { ROOT_INODE } from "../meta/schema.ts";

import { S_IFDIR, S_IFLNK, S_IFMT, S_IFREG } from "../fuse/mode.ts";
export { S_IFBLK, S_IFCHR, S_IFDIR, S_IFIFO, S_IFLNK, S_IFMT, S_IFREG, S_IFSOCK, S_ISGID, S_ISUID } from "../fuse/mode.ts";

export const isDir = (i: Inode): boolean => (i.mode & S_IFMT) === S_IFDIR;
export const isReg = (i: Inode): boolean => (i.mode & S_IFMT) === S_IFREG;

/** Seconds the kernel may cache names and attributes (all changes pass through this mount). */
export const ENTRY_TTL = 1;
export const ATTR_TTL = 1;
export const NAME_MAX = 255;

const NS = 1_000_000_000n;
const DAY_NS = 86_400n * NS;

/** When reads update atime: relatime (Linux's default), on every read, or never. */
export type AtimePolicy = "relatime" | "strictatime" | "noatime";

/** Nanosecond wall clock with sub-millisecond resolution. */
const hrBase = BigInt(Date.now()) * 1_000_000n - process.hrtime.bigint();
export const nowNs = (): bigint => hrBase + process.hrtime.bigint();

/** ns -> [seconds, nanoseconds 0..999999999], flooring so times before 1970 come out right. */
function split(ns: bigint): [number, number] {
  let s = ns / NS;
  let n = ns % NS;
  if (n < 0n) {
    s -= 1n;
    n += NS;
  }
  return [Number(s), Number(n)];
}

/**
 * The generation NFS file handles carry beside the node id (the kernel keeps 32 bits). Ids are never reused
 * (AUTOINCREMENT), but a metadata snapshot restored after a crash rewinds the id sequence, so an id can come
 * back as another file: the generation, drawn from the creation time the row keeps forever, tells them apart
 * and the old handle goes stale instead of opening the wrong file. The root stays 0: the kernel made its inode
 * with generation 0 at mount time and would take any other value for a changed (bad) inode.
 */
export function generationOf(i: Inode): number {
  if (i.id === ROOT_INODE) return 0;
  const t = BigInt.asUintN(64, i.crtimeNs);
  return Number(BigInt.asUintN(32, t ^ (t >> 32n))) || 1;
}

export class VfsCore {
  /** Kernel lookup references per inode (signed: noteLookup may arrive after forget). */
  readonly lookups = new Map<number, number>();
  /** Open file/dir handles per inode. */
  readonly opens = new Map<number, number>();
  readonly handles = new Map<number, { ino: number; flags: number }>();
  private nextFh = 1;
  /**
   * Bytes that can still be written: what the disks under the cache (and a local:// store) have free.
   * statfs reports it and fallocate checks it. Set by openCofferFs; unbounded until then.
   */
  freeBytes: () => number = () => 2 ** 50;

  constructor(
    readonly db: MetaDb,
    readonly inodes: InodeTable,
    readonly entries: EntryTable,
    readonly map: BlockMap,
    readonly cache: BlockCache,
    readonly blockSize: number,
    /** The newest metadata generation taken, log or snapshot (for BlockMap reference counting). */
    readonly snapshotSeq: () => number,
    readonly log: (line: string) => void,
    /** FUSE inodes are S_NOATIME in the kernel: reads reach us, and the atime is ours to keep. */
    readonly atimePolicy: AtimePolicy = "relatime",
  ) {}

  tx<T>(fn: () => T): T {
    return this.db.tx(fn);
  }

  get(id: number): Inode {
    const i = this.inodes.get(id);
    if (!i) throw new FuseError(ENOENT);
    return i;
  }

  dir(id: number): Inode {
    const i = this.get(id);
    if (!isDir(i)) throw new FuseError(ENOTDIR);
    return i;
  }

  checkName(name: string): void {
    if (encodeName(name).length > NAME_MAX) throw new FuseError(ENAMETOOLONG);
  }

  /**
   * 512-byte units the file takes: what its cached blocks occupy on the cache disk (a write inside a block
   * leaves a hole before it in the cache file), and for blocks only in the store what their objects take
   * there (compressed: a block mostly of zeros takes little). Holes take nothing; a block fallocate reserved
   * takes a whole block (its cache file is allocated).
   */
  private allocated(i: Inode): number {
    if (!isReg(i)) return (i.mode & S_IFMT) === S_IFLNK ? Math.ceil(i.size / 512) : 0;
    const cached = new Set(this.cache.cachedFrom(i.id, 0));
    // nothing to count (a fresh create replies with this); fallocate KEEP_SIZE may reserve past the end
    if (i.size === 0 && cached.size === 0) return 0;
    let bytes = 0;
    for (const b of cached) bytes += this.cache.allocatedBytes(i.id, b) ?? 0;
    for (const r of this.map.blockSizes(i.id)) {
      if (!cached.has(r.blkno)) bytes += r.stored_size > 0 ? Math.min(r.size, r.stored_size) : r.size;
    }
    return Math.ceil(bytes / 512);
  }

  attr(i: Inode): Attr {
    const [as, an] = split(i.atimeNs);
    const [ms, mn] = split(i.mtimeNs);
    const [cs, cn] = split(i.ctimeNs);
    return {
      ino: i.id,
      size: i.size,
      blocks: this.allocated(i),
      atime: as,
      mtime: ms,
      ctime: cs,
      atimensec: an,
      mtimensec: mn,
      ctimensec: cn,
      mode: i.mode,
      nlink: i.nlink,
      uid: i.uid,
      gid: i.gid,
      rdev: i.rdev,
      blksize: 131072,
      flags: 0,
    };
  }

  /** An entry reply for `i`, counting one kernel lookup reference. */
  entry(i: Inode): EntryOut {
    this.addLookup(i.id, 1);
    return this.entryNoCount(i);
  }

  entryNoCount(i: Inode): EntryOut {
    return { nodeid: i.id, generation: generationOf(i), entryValid: ENTRY_TTL, attrValid: ATTR_TTL, attr: this.attr(i) };
  }

  addLookup(id: number, n: number): void {
    const v = (this.lookups.get(id) ?? 0) + n;
    if (v === 0) this.lookups.delete(id);
    else this.lookups.set(id, v);
    if (v <= 0) this.maybePurge(id);
  }

  openHandle(ino: number, flags: number): number {
    const fh = this.nextFh++;
    this.handles.set(fh, { ino, flags });
    this.opens.set(ino, (this.opens.get(ino) ?? 0) + 1);
    return fh;
  }

  closeHandle(fh: number): void {
    const h = this.handles.get(fh);
    if (!h) return;
    this.handles.delete(fh);
    const n = (this.opens.get(h.ino) ?? 1) - 1;
    if (n <= 0) this.opens.delete(h.ino);
    else this.opens.set(h.ino, n);
    this.maybePurge(h.ino);
  }

  /** Frees an unlinked inode once the kernel holds no reference and no handle is open. */
  maybePurge(id: number): void {
    if ((this.lookups.get(id) ?? 0) > 0 || (this.opens.get(id) ?? 0) > 0) return;
    const i = this.inodes.get(id);
    if (i && i.nlink === 0) this.purge(id);
  }

  /** Deletes an inode with all its blocks (references dropped; cache files and dirty state removed). */
  purge(id: number): void {
    this.tx(() => {
      this.map.removeFrom(id, 0, this.snapshotSeq());
      this.inodes.delete(id);
      // dropping dirty blocks deletes their markers: in the same commit
      for (const b of this.cache.cachedFrom(id, 0)) this.cache.drop(id, b);
    });
  }

  /** Decrements the link count of `i` after one of its names went away (directories: to 0). */
  dropLink(i: Inode, now: bigint): void {
    i.nlink = isDir(i) ? 0 : Math.max(0, i.nlink - 1);
    i.ctimeNs = now;
    this.inodes.update(i);
  }

  /**
   * Sets a regular file's size (truncate or extend), with mtime and ctime. Blocks past the new end are
   * dropped and a partial last block is cut, in the same synchronous run as the size update, so a write
   * that interleaves can never leave data beyond EOF that a later extension would bring back.
   */
  async resize(id: number, size: number): Promise<void> {
    const bs = this.blockSize;
    for (;;) {
      const i = this.get(id);
      const lastBlk = Math.floor(size / bs);
      const within = size % bs;
      if (size < i.size && within > 0 && !this.cache.ready(id, lastBlk)) {
        await this.cache.ensure(id, lastBlk, true); // a truncate is a write: it waits out an outage
        continue; // re-read the inode: anything may have happened meanwhile
      }
      // one commit: the cut block's dirty marker, block rows and markers of dropped blocks, the inode
      this.tx(() => {
        if (size < i.size) {
          if (within > 0) this.cache.truncate(id, lastBlk, within);
          const firstGone = within > 0 ? lastBlk + 1 : lastBlk;
          this.map.removeFrom(id, firstGone, this.snapshotSeq());
          for (const b of this.cache.cachedFrom(id, firstGone)) this.cache.drop(id, b);
        }
        i.size = size;
        i.mtimeNs = i.ctimeNs = nowNs();
        this.inodes.update(i);
      });
      return;
    }
  }

  /**
   * Records a read of `i` by the atime policy; relatime updates an atime that is not newer than mtime
   * and ctime, or is a day old, so a file read often costs one metadata write a day, not one per read.
   */
  touchAtime(i: Inode): void {
    if (this.atimePolicy === "noatime") return;
    const now = nowNs();
    if (this.atimePolicy === "relatime" && i.atimeNs > i.mtimeNs && i.atimeNs > i.ctimeNs && now - i.atimeNs < DAY_NS) return;
    i.atimeNs = now;
    this.inodes.update(i);
  }

  touchDir(parent: Inode, now: bigint): void {
    parent.mtimeNs = now;
    parent.ctimeNs = now;
    this.inodes.update(parent);
  }

  notDir(i: Inode): void {
    if (isDir(i)) throw new FuseError(EISDIR);
  }
}
