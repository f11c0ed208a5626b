// CofferFs: the RawFileSystem the FUSE layer serves, delegating to the operation families, plus flush/close/stats.
import type { ObjectCodec } from "../blocks/object-codec.ts";
import type {
  AttrOut, DirentSink, EntryOut, OpenOut, RawFileSystem, RequestContext, SetattrIn, StatfsOut,
} from "../fuse/raw-fs.ts";
import { EROFS, FuseError } from "../fuse/errno.ts";
import type { MetaDb } from "../meta/db.ts";
import type { UploadQueue } from "../blocks/upload-queue.ts";
import type { RemovalQueue } from "../blocks/removal-queue.ts";
import type { FsMetadata } from "../metadata/fs-metadata.ts";
import type { VfsCore } from "./core.ts";
import * as attrOps from "./attr-ops.ts";
import * as dirOps from "./dir-ops.ts";
import * as entryOps from "./entry-ops.ts";
import * as fileOps from "./file-ops.ts";
import * as xattrOps from "./xattr-ops.ts";
import { TreeLocks } from "./tree-locks.ts";
import { TreeOpError, copyTree, dirtyInTree, removeTree, resolvePath } from "./tree-ops.ts";

/** How often coffer cp flushes a source tree that was written again meanwhile before it gives up. */
const COPY_FLUSH_ATTEMPTS = 5;
const O_ACCMODE = 3;
const O_TRUNC = 0o1000;

export interface FlushProgress {
  dirtyBytes: number;
  uploadedBytes: number;
  phase: "blocks" | "metadata" | "done";
}

export interface CofferStats {
  entries: number;
  inodes: number;
  logicalBytes: number;
  storedObjects: number;
  /** Unique plaintext bytes in stored objects. */
  dedupBytes: number;
  /** Bytes in the store after compression and encryption (data objects). */
  storedBytes: number;
  cacheBytes: number;
  dirtyBytes: number;
  metadataSeq: number;
  lastMetadataUpload?: number;
  /** The cache's size limit, its block count, dirty blocks, and transfers running now. */
  cacheCapBytes: number;
  cacheEntries: number;
  dirtyBlocks: number;
  uploadsInFlight: number;
  downloadsInFlight: number;
  /** Directory trees made immutable with coffer lock. */
  lockedTrees: number;
  /** Plaintext bytes uploaded / downloaded since the mount (rates are derived from these). */
  uploadedBytes: number;
  downloadedBytes: number;
  /** True when the database changed since the last metadata snapshot was stored. */
  metadataPending: boolean;
}

export interface CofferParts {
  core: VfsCore;
  db: MetaDb;
  uploads: UploadQueue;
  removal: RemovalQueue;
  metadata: FsMetadata;
  /** Closed last (its Workers encode the final uploads). */
  codec?: ObjectCodec;
}

export class CofferFs implements RawFileSystem {
  private closed = false;
  /** The figures at close, so stats() still answers after the database is closed. */
  private finalStats: CofferStats | null = null;
  private readonly c: VfsCore;
  /** coffer lock: every mutating operation below asks it first (EPERM inside a locked tree). */
  readonly locks: TreeLocks;

  constructor(private readonly p: CofferParts) {
    this.c = p.core;
    this.locks = new TreeLocks(p.core);
  }

  /** Starts the background tasks (upload after a delay, metadata upload, removal of unused objects). */
  start(): void {
    this.p.uploads.start();
    this.p.metadata.shipper.start();
    this.p.removal.start();
  }

  // ---- entries ----
  lookup(_ctx: RequestContext, parent: number, name: string): EntryOut {
    return entryOps.lookup(this.c, parent, name);
  }
  forget(nodeid: number, nlookup: number): void {
    this.c.addLookup(nodeid, -nlookup);
  }
  noteLookup(nodeid: number, count: number): void {
    this.c.addLookup(nodeid, count);
  }
  mknod(ctx: RequestContext, parent: number, name: string, mode: number, rdev: number, umask: number): EntryOut {
    this.locks.check(parent);
    return entryOps.mknod(this.c, ctx, parent, name, mode, rdev, umask);
  }
  mkdir(ctx: RequestContext, parent: number, name: string, mode: number, umask: number): EntryOut {
    this.locks.check(parent);
    return entryOps.mkdir(this.c, ctx, parent, name, mode, umask);
  }
  symlink(ctx: RequestContext, parent: number, name: string, target: string): EntryOut {
    this.locks.check(parent);
    return entryOps.symlink(this.c, ctx, parent, name, target);
  }
  readlink(_ctx: RequestContext, nodeid: number): Uint8Array {
    return entryOps.readlink(this.c, nodeid);
  }
  unlink(_ctx: RequestContext, parent: number, name: string): void {
    this.checkEntry(parent, name);
    entryOps.unlink(this.c, parent, name);
  }
  rmdir(_ctx: RequestContext, parent: number, name: string): void {
    this.checkEntry(parent, name);
    entryOps.rmdir(this.c, parent, name);
  }
  rename(_ctx: RequestContext, parent: number, name: string, newParent: number, newName: string, flags: number): void {
    this.checkEntry(parent, name);
    this.checkEntry(newParent, newName);
    entryOps.rename(this.c, parent, name, newParent, newName, flags);
  }
  link(_ctx: RequestContext, nodeid: number, newParent: number, newName: string): EntryOut {
    this.locks.check(nodeid, newParent);
    return entryOps.link(this.c, nodeid, newParent, newName);
  }

  // ---- attributes ----
  getattr(_ctx: RequestContext, nodeid: number, _fh: number | undefined): AttrOut {
    return attrOps.getattr(this.c, nodeid);
  }
  setattr(ctx: RequestContext, nodeid: number, attr: SetattrIn): Promise<AttrOut> {
    this.locks.check(nodeid);
    return attrOps.setattr(this.c, ctx, nodeid, attr);
  }
  access(ctx: RequestContext, nodeid: number, mask: number): void {
    attrOps.access(this.c, ctx, nodeid, mask);
  }
  statfs(_ctx: RequestContext, _nodeid: number): StatfsOut {
    return attrOps.statfs(this.c);
  }

  // ---- file data ----
  open(_ctx: RequestContext, nodeid: number, flags: number): Promise<OpenOut> {
    if ((flags & O_ACCMODE) !== 0 || flags & O_TRUNC) this.locks.check(nodeid);
    return fileOps.open(this.c, nodeid, flags);
  }
  create(ctx: RequestContext, parent: number, name: string, mode: number, flags: number, umask: number): { entry: EntryOut; open: OpenOut } {
    this.locks.check(parent);
    return fileOps.create(this.c, ctx, parent, name, mode, flags, umask);
  }
  read(_ctx: RequestContext, nodeid: number, _fh: number, offset: number, size: number): Promise<Uint8Array> {
    return fileOps.read(this.c, nodeid, offset, size);
  }
  write(_ctx: RequestContext, nodeid: number, _fh: number, offset: number, data: Uint8Array, _writeFlags: number): Promise<number> {
    if (this.closed) throw new FuseError(EROFS);
    this.locks.check(nodeid);
    return fileOps.write(this.c, nodeid, offset, data);
  }
  flush(_ctx: RequestContext, _nodeid: number, _fh: number, _lockOwner: bigint): void {}
  release(_ctx: RequestContext, _nodeid: number, fh: number, _flags: number): void {
    this.c.closeHandle(fh);
  }
  fsync(_ctx: RequestContext, nodeid: number, _fh: number, _datasync: boolean): void {
    fileOps.fsync(this.c, nodeid);
  }
  fallocate(_ctx: RequestContext, nodeid: number, _fh: number, offset: number, length: number, mode: number): void {
    this.locks.check(nodeid);
    fileOps.fallocate(this.c, nodeid, offset, length, mode);
  }
  lseek(_ctx: RequestContext, nodeid: number, _fh: number, offset: number, whence: number): number {
    return fileOps.lseek(this.c, nodeid, offset, whence);
  }

  // ---- directories ----
  opendir(_ctx: RequestContext, nodeid: number, _flags: number): OpenOut {
    this.c.dir(nodeid);
    return { fh: this.c.openHandle(nodeid, 0), openFlags: 0 };
  }
  readdir(_ctx: RequestContext, nodeid: number, _fh: number, offset: number, out: DirentSink): void {
    dirOps.readdir(this.c, nodeid, offset, out, false);
  }
  readdirplus(_ctx: RequestContext, nodeid: number, _fh: number, offset: number, out: DirentSink): void {
    dirOps.readdir(this.c, nodeid, offset, out, true);
  }
  releasedir(_ctx: RequestContext, _nodeid: number, fh: number): void {
    this.c.closeHandle(fh);
  }
  fsyncdir(_ctx: RequestContext, _nodeid: number, _fh: number, _datasync: boolean): void {
    this.c.db.sync();
  }

  // ---- xattrs ----
  setxattr(ctx: RequestContext, nodeid: number, name: string, value: Uint8Array, flags: number): void {
    this.locks.check(nodeid);
    xattrOps.setxattr(this.c, ctx, nodeid, name, value, flags);
  }
  getxattr(_ctx: RequestContext, nodeid: number, name: string): Uint8Array {
    return xattrOps.getxattr(this.c, nodeid, name);
  }
  listxattr(_ctx: RequestContext, nodeid: number): string[] {
    return xattrOps.listxattr(this.c, nodeid);
  }
  removexattr(_ctx: RequestContext, nodeid: number, name: string): void {
    this.locks.check(nodeid);
    xattrOps.removexattr(this.c, nodeid, name);
  }

  /** A directory change touching entry `name` of `parent`: refused when either lies in a locked tree. */
  private checkEntry(parent: number, name: string): void {
    if (this.locks.count === 0) return;
    this.locks.check(parent);
    const e = this.c.entries.lookup(parent, name);
    if (e) this.locks.check(e.inode);
  }

  // ---- whole trees (coffer cp / rm / lock; paths are components below the mount root) ----

  /**
   * Copy-on-write copy of directory `src` to the new path `dst`. Dirty blocks of the source are stored
   * first (the copy shares stored objects only); the check and the copy run without a pause between them,
   * so a write racing the flush sends us round again.
   */
  async copyTree(src: string[], dst: string[]): Promise<{ entries: number; parent: number; name: string }> {
    if (dst.length === 0) throw new TreeOpError("the destination cannot be the mount point itself");
    const name = dst.at(-1)!;
    this.c.checkName(name);
    for (let attempt = 0; ; attempt++) {
      const from = resolvePath(this.c, src, "the source");
      const parent = resolvePath(this.c, dst.slice(0, -1), "the destination's parent");
      if (dirtyInTree(this.c, from) === 0) return { ...copyTree(this.c, this.locks, from, parent, name), parent, name };
      if (attempt >= COPY_FLUSH_ATTEMPTS) throw new TreeOpError("the source tree kept changing while it was being stored; try again when writes to it stop");
      await this.p.uploads.flush();
    }
  }

  /** Removes directory `path` with everything under it (locked or not). */
  removeTree(path: string[]): { entries: number; parent: number; name: string } {
    if (path.length === 0) throw new TreeOpError("the mount point itself cannot be removed");
    const parent = resolvePath(this.c, path.slice(0, -1), "the parent directory");
    const name = path.at(-1)!;
    return { ...removeTree(this.c, this.locks, parent, name), parent, name };
  }

  /** Makes directory `path` immutable; false when it was already. */
  lockTree(path: string[]): boolean {
    const ino = resolvePath(this.c, path, "the directory");
    if ((this.c.get(ino).mode & 0o170000) !== 0o040000) throw new TreeOpError("it is not a directory; coffer lock locks directory trees");
    return this.locks.lock(ino);
  }

  /** Whether `path` lies in a locked tree. */
  lockStatus(path: string[]): { locked: boolean; lockedRoot: boolean } {
    const ino = resolvePath(this.c, path, "the path");
    const root = this.locks.lockedRoot(ino);
    return { locked: root !== null, lockedRoot: root === ino };
  }

  // ---- whole filesystem ----

  /**
   * Upload every dirty block and then the metadata (a log entry, or a full snapshot when `compact`);
   * resolves when all is in the store.
   */
  async flushAll(progress?: (p: FlushProgress) => void, compact = false): Promise<void> {
    const before = this.p.uploads.uploadedBytes;
    await this.p.uploads.flush((u) => progress?.({ ...u, phase: "blocks" }));
    const up = this.p.uploads.uploadedBytes - before; // this flush's bytes, as the "blocks" reports count them
    progress?.({ dirtyBytes: 0, uploadedBytes: up, phase: "metadata" });
    // like the blocks, the metadata is retried for as long as the store takes (an outage never drops it);
    // after a failed put the shipper ships the same generation again as a full snapshot
    for (let attempt = 0; ; attempt++) {
      try {
        await this.p.metadata.flush(compact);
        break;
      } catch (error) {
        this.p.uploads.outage.failure(`metadata upload failed (will retry): ${(error as Error)?.message ?? error}`);
        await Bun.sleep(Math.min(30_000, 100 * 2 ** Math.min(attempt, 9)));
      }
    }
    await this.p.removal.run();
    progress?.({ dirtyBytes: this.c.cache.stats().dirtyBytes, uploadedBytes: up, phase: "done" });
  }

  /** flushAll, stop background tasks, close the database; the cache dir is then clean (no recovery at the next open). */
  async close(progress?: (p: FlushProgress) => void): Promise<void> {
    if (this.closed) return;
    await this.p.uploads.stop(); // no timer-driven uploads race the final flush
    await this.flushAll(progress, true);
    this.closed = true;
    await this.p.metadata.shipper.stop();
    this.finalStats = this.stats();
    await this.p.removal.stop();
    this.c.cache.syncFiles(); // every cache file on disk, so the next open may trust clean files
    this.c.cache.closeFiles();
    await this.p.metadata.close(); // closes the database, then marks the cache clean
    this.p.codec?.close?.();
  }

  /**
   * Drops the filesystem without flushing or closing anything, as a crash would (tests only): timers
   * stop, nothing more is written, the database connection is left open and unused (no checkpoint).
   */
  async abandonForTests(): Promise<void> {
    this.closed = true;
    await this.p.uploads.stop();
    await this.p.metadata.shipper.stop();
    await this.p.removal.stop();
    this.c.cache.closeFiles();
    this.p.codec?.close?.();
  }

  /** Metadata shipping state, for the control API and `coffer stat`. */
  metadataShipping(): {
    generation: number; lastShipAt?: number; unshipped: boolean; lagMs: number; shippedBytes: number; shippedObjects: number;
    lastError: string | null; mainThreadMs: number;
  } {
    const s = this.p.metadata.shipper;
    return {
      generation: s.shippedGen, lastShipAt: s.lastShipAt, unshipped: s.changed, lagMs: s.lagMs(),
      shippedBytes: s.shippedBytes, shippedObjects: s.shippedObjects, lastError: s.lastError, mainThreadMs: s.mainThreadMs,
    };
  }

  /** Commits made durable at COMMIT (synchronous=FULL) so far: the upload commits (tests check the wiring). */
  durableCommits(): number {
    return this.c.db.durableCommits;
  }

  /** Empties the cache of clean blocks (they are downloaded again when read); returns how many went. */
  dropCache(): number {
    return this.c.cache.dropClean();
  }

  setCacheSize(bytes: number): void {
    this.c.cache.setMaxBytes(bytes);
  }

  /** Stores a full metadata snapshot now, even when the periodic ship is not due. */
  uploadMetadata(): Promise<void> {
    return this.p.metadata.shipper.ship(true);
  }

  stats(): CofferStats {
    if (this.finalStats) return this.finalStats;
    const s = this.c.map.stats();
    const cs = this.c.cache.stats();
    return {
      entries: this.c.entries.count(),
      inodes: this.c.inodes.count(),
      logicalBytes: this.c.inodes.logicalBytes(),
      storedObjects: s.storedObjects,
      dedupBytes: s.dedupBytes,
      storedBytes: s.storedBytes,
      cacheBytes: cs.cacheBytes,
      dirtyBytes: cs.dirtyBytes,
      metadataSeq: this.p.metadata.shippedGen,
      lastMetadataUpload: this.p.metadata.shipper.lastShipAt,
      cacheCapBytes: cs.capBytes,
      cacheEntries: cs.entries,
      dirtyBlocks: cs.dirtyBlocks,
      uploadsInFlight: this.p.uploads.inFlightCount,
      downloadsInFlight: cs.downloading,
      uploadedBytes: this.p.uploads.uploadedBytes,
      downloadedBytes: this.c.cache.downloadedBytes,
      metadataPending: this.p.metadata.shipper.changed,
      lockedTrees: this.locks.count,
    };
  }
}
