// BlockCache: the local cache directory of block files — reads, writes, dirty tracking, downloads.
//
// One file per cached block (`<cacheDir>/blocks/<inode>-<blkno>`), holding the block's current content
// (possibly shorter than the block size: the rest reads as zeros). A cached block is either clean (equal
// to the object the block map names) or dirty (newer; recorded in dirty_blocks). Dirty blocks are never
// evicted. Every write bumps the block's generation so an upload that finishes after a newer write does
// not mark the block clean (see docs/concurrency.md). Sync file I/O: each call is atomic on the main thread.
// Room is counted and made by CacheSpace (two caps, LRU eviction of clean blocks), writers are paced by
// BackPressure as dirty data fills the cache, and fallocate reservations follow reservations.ts.
//
// Small blocks (at most MEM_BLOCK_MAX bytes, e.g. the only block of a small file) are held in memory
// instead of a file until they grow, fsync asks for them (`syncFiles`), or the memory budget is
// exceeded: creating a file costs far more than writing 4 KiB into it, and most small blocks are
// uploaded (and so no longer need local durability) long before anyone fsyncs them. This keeps the
// durability table true: write() alone was never crash-safe, fsync still puts data + dirty marker on
// disk, and a dirty marker whose data was only in memory is dropped at recovery like any unsynced write.
import {
  closeSync, existsSync, fstatSync, ftruncateSync, mkdirSync, openSync,
  readdirSync, readSync, rmSync, statSync, writeSync,
} from "node:fs";
import { join } from "node:path";
import { fdatasyncFd, fsyncDir } from "../fsync.ts";
import { type Backend, isTransient } from "../store/backend.ts";
import type { BlockMap } from "../meta/blockmap.ts";
import { dataObjectKey } from "../store/object-names.ts";
import type { ObjectCodec } from "./object-codec.ts";
import type { UploadBuffers } from "./upload-buffers.ts";
import { FdPool } from "./fd-pool.ts";
import { READ_TIMEOUT_MS, withReadDeadline } from "./read-deadline.ts";

export { BlockReadTimeoutError, READ_TIMEOUT_MS } from "./read-deadline.ts";
import { BackPressure, LOW_WATER } from "./back-pressure.ts";
import { CacheSpace, defaultMaxEntries } from "./cache-space.ts";
import { allocateReservation, checkReservationLimit, footprintOf, looksReserved } from "./reservations.ts";

export const blockKey = (inode: number, blkno: number): string => `${inode}-${blkno}`;

/** Milliseconds on a clock that never steps back (wall-clock based at start): "dirty since" times. */
export const monoNow = (): number => performance.timeOrigin + performance.now();

interface Cached {
  inode: number;
  blkno: number;
  /** Bytes the cache file (or the memory buffer) holds. */
  size: number;
  /** The content when the block is held in memory instead of a file (bytes past `size` are zero). */
  mem?: Uint8Array;
  /** Bytes the cache file occupies on disk (its holes excluded), measured when first asked; reset by changes. */
  alloc?: number;
  /**
   * The cache file was allocated to the whole block by fallocate (the user's fallocate reserved it): it
   * counts a whole block toward the cache size, and is not evicted while the block has no object (its
   * space is promised; writing into it needs no more). Once written and uploaded it is a clean block.
   */
  reserved?: boolean;
}

/** Largest block content held in memory rather than in a cache file. */
export const MEM_BLOCK_MAX = 128 * 1024;
/** Memory budget for in-memory blocks; beyond it the least recently used are written to files. */
export const MEM_BUDGET = 64 * 1024 * 1024;
/** Cache files kept open (LRU): a write or read of a cached block then costs one pwrite/pread, no open/close. */
const MAX_OPEN_FDS = 64;

export interface BlockCacheOptions {
  dir: string;
  blockSize: number;
  maxBytes: number;
  /** Cap on cached blocks (S3QL's --max-cache-entries); default one per 4 KiB of maxBytes, at least 1024. */
  maxEntries?: number;
  backend: Backend;
  codec: ObjectCodec;
  map: BlockMap;
  log: (line: string) => void;
  /**
   * How long a read waits for a block the store does not deliver (an outage) before it fails with EIO
   * (default 30 s). Writes that need a block's old data wait without a limit: a transient outage never
   * turns into an error for a writer.
   */
  readTimeoutMs?: number;
}

/** How long a block downloaded for a reader is kept from eviction while that reader has not run yet. */
const JUST_LOADED_MS = 5000;

export class BlockCache {
  readonly blockSize: number;
  private readonly dir: string;
  /** Cached blocks; the map's order is their use order (the in-memory budget spills least recently used first). */
  private readonly files = new Map<string, Cached>();
  /** Dirty blocks -> generation (bumped on every change) and the time they first went dirty. */
  private readonly dirty = new Map<string, { gen: number; since: number; inode: number; blkno: number }>();
  private readonly loading = new Map<string, Promise<void>>();
  /**
   * Blocks downloaded but not yet used by the request that waited for them -> when they landed: not
   * evicted until then (for at most JUST_LOADED_MS: a reader that gave up never comes), or a cache held at
   * its size by waiting writers could evict each download before its reader runs.
   */
  private readonly justLoaded = new Map<string, number>();
  /**
   * Blocks being downloaded that a read or write waits for. A prefetch's download (nobody waiting yet) is
   * not pinned in justLoaded when it lands: if the reader jumps elsewhere, it is an ordinary clean block.
   */
  private readonly demanded = new Set<string>();
  /** Set at close: a download landing afterwards (a prefetch still running) writes no cache file. */
  private downloadsRefused = false;
  /** Cache files written since they were last fsynced (close syncs them, so a clean open can trust them). */
  private readonly unsynced = new Set<string>();
  /** inode -> cached block numbers, so deleting a file does not scan the whole cache. */
  private readonly byInode = new Map<number, Set<number>>();
  /** Open file descriptors of cache files (O_RDWR), least recently used first. */
  private readonly fds: FdPool;
  /** What the cache holds against its caps, and the clean blocks in LRU order. */
  private readonly space: CacheSpace;
  /** Writers' pace as dirty data fills the cache, and the waiters for room. */
  private readonly pressureGauge = new BackPressure();
  /** Blocks reserved by fallocate (see Cached.reserved): at most the cache size in all. */
  private reservedBlocks = 0;
  /** Capacity of the in-memory block buffers. */
  private memBytes = 0;
  private genCounter = 0;
  /** Plaintext bytes downloaded into the cache since it was opened (for rates). */
  downloadedBytes = 0;
  /** Called when a block goes dirty (the upload queue's wake-up). */
  onDirty: () => void = () => {};
  /**
   * Called while dirty data presses on the cache (from LOW_WATER of the cap) and while anyone waits for
   * room: the upload queue then uploads every dirty block at once, due or not.
   */
  onFull: () => void = () => {};
  /**
   * Blocks that went dirty in the current synchronous run. If the transaction around it rolls back (a
   * failed COMMIT: disk full), their markers are gone from the database, so memory must forget them too:
   * their cache files (possibly half written) are dropped and the blocks read from the store again.
   */
  private dirtiedNow: string[] = [];
  /** A call of onFull is queued (one per synchronous run is enough). */
  private hurrying = false;

  constructor(private readonly o: BlockCacheOptions) {
    this.blockSize = o.blockSize;
    this.dir = join(o.dir, "blocks");
    this.fds = new FdPool((key) => this.path(key), MAX_OPEN_FDS);
    this.space = new CacheSpace(
      { maxBytes: o.maxBytes, maxEntries: o.maxEntries ?? defaultMaxEntries(o.maxBytes) },
      (key) => this.evictOne(key),
    );
    if (!existsSync(this.dir)) {
      mkdirSync(this.dir, { recursive: true });
      fsyncDir(o.dir); // the blocks/ name itself, before any file in it is relied on
    }
    o.map.onRollback(() => this.undoDirtiedNow());
  }

  private undoDirtiedNow(): void {
    for (const key of this.dirtiedNow) {
      if (!this.dirty.has(key)) continue;
      this.setClean(key);
      const c = this.files.get(key);
      if (c) this.forgetFile(key, c);
      const [inode, blkno] = key.split("-").map(Number);
      try {
        this.o.map.clearDirty(inode!, blkno!); // a marker committed earlier in this run, if any
      } catch {
        // disk still full: a marker without a file is dropped (and logged) at the next open
      }
      this.o.log(`cache: block ${key}: its write failed and was rolled back; the stored copy stays`);
    }
    this.dirtiedNow = [];
  }

  /**
   * Scans the cache directory at open. After an unclean shutdown (`trustClean` false) clean files may
   * hold writes whose dirty marker never reached the disk, so every file without a dirty marker is
   * deleted (it is re-downloaded on demand); dirty markers without a file are dropped (logged).
   */
  scan(trustClean: boolean): { dirtyBlocks: number; lostBlocks: number } {
    const dirtyRows = new Set(this.o.map.allDirty().map((d) => blockKey(d.inode, d.blkno)));
    for (const name of readdirSync(this.dir)) {
      const m = /^(\d+)-(\d+)$/.exec(name);
      const p = join(this.dir, name);
      if (!m) {
        rmSync(p, { force: true });
        continue;
      }
      const key = name;
      if (!dirtyRows.has(key) && !trustClean) {
        rmSync(p, { force: true });
        continue;
      }
      const st = statSync(p);
      const reserved = looksReserved(st, this.blockSize);
      const c: Cached = { inode: Number(m[1]), blkno: Number(m[2]), size: st.size, reserved };
      this.touch(key, c);
      this.space.resize(key, undefined, this.footprint(c), false);
      if (reserved) this.reservedBlocks++;
    }
    let lost = 0;
    for (const d of this.o.map.allDirty()) {
      const key = blockKey(d.inode, d.blkno);
      if (!this.files.has(key)) {
        this.o.log(`cache: dirty block ${key} has no cache file (lost in a crash before fsync); dropping marker`);
        this.o.map.clearDirty(d.inode, d.blkno);
        lost++;
        continue;
      }
      this.setDirty(key, { gen: ++this.genCounter, since: 0, inode: d.inode, blkno: d.blkno });
    }
    return { dirtyBlocks: this.dirty.size, lostBlocks: lost };
  }

  private path(key: string): string {
    return join(this.dir, key);
  }

  /** Bytes a cached block counts toward the cache size: its content, or the whole block when reserved. */
  private footprint(c: Cached): number {
    return footprintOf(c.size, c.reserved, this.blockSize);
  }

  /** A reserved block with no object yet (never written, or zeros): its space stays promised. */
  private pinnedReservation(c: Cached): boolean {
    return c.reserved === true && this.o.map.get(c.inode, c.blkno) === null;
  }

  /** Records a block's dirty state and moves its footprint to the dirty side. */
  private setDirty(key: string, d: { gen: number; since: number; inode: number; blkno: number }): void {
    this.dirty.set(key, d);
    const c = this.files.get(key);
    this.space.setDirty(key, c && this.footprint(c), true);
  }

  /** Forgets a block's dirty state (the caller clears the marker); its footprint becomes clean. */
  private setClean(key: string): boolean {
    if (!this.dirty.delete(key)) return false;
    const c = this.files.get(key);
    this.space.setDirty(key, c && this.footprint(c), false);
    return true;
  }

  private touch(key: string, c: Cached): void {
    this.files.delete(key);
    this.files.set(key, c);
    this.space.touch(key);
    let set = this.byInode.get(c.inode);
    if (!set) this.byInode.set(c.inode, (set = new Set()));
    set.add(c.blkno);
  }

  /** Installs a block's new cached state, counting the change of footprint. */
  private install(key: string, prev: Cached | undefined, next: Cached): void {
    this.space.resize(key, prev && this.footprint(prev), this.footprint(next), this.dirty.has(key));
    this.touch(key, next);
  }

  /**
   * From now on downloads that complete are dropped (close, before the final sync: a prefetch still in
   * flight must not write a cache file that sync did not cover).
   */
  refuseDownloads(): void {
    this.downloadsRefused = true;
  }

  /** Closes every cached descriptor (at close; nothing is written). */
  closeFiles(): void {
    this.fds.closeAll();
  }

  private forgetFile(key: string, c: Cached): void {
    this.fds.close(key);
    this.files.delete(key);
    this.unsynced.delete(key);
    this.justLoaded.delete(key);
    this.space.resize(key, this.footprint(c), undefined, this.dirty.has(key));
    if (c.reserved) this.reservedBlocks--;
    if (c.mem) this.memBytes -= c.mem.length;
    else rmSync(this.path(key), { force: true });
    const set = this.byInode.get(c.inode);
    if (set) {
      set.delete(c.blkno);
      if (set.size === 0) this.byInode.delete(c.inode);
    }
    this.pressureGauge.wake();
  }

  /** CacheSpace's eviction of one clean block: vetoed for a fresh download not yet read, a pinned reservation, a block loading. */
  private evictOne(key: string): boolean {
    const c = this.files.get(key);
    if (!c || this.dirty.has(key) || this.loading.has(key) || this.isFresh(key) || this.pinnedReservation(c)) return false;
    this.forgetFile(key, c);
    return true;
  }

  private isFresh(key: string): boolean {
    const at = this.justLoaded.get(key);
    return at !== undefined && performance.now() - at < JUST_LOADED_MS;
  }

  /** True while a block downloaded for a reader waits for that reader (it will be evictable soon). */
  private anyFresh(): boolean {
    for (const key of this.justLoaded.keys()) if (this.isFresh(key)) return true;
    return false;
  }

  /**
   * True when block (inode, blkno) can be read or written synchronously right now: cached, or a hole.
   * Callers loop `while (!ready()) await ensure()` and use the block in the same synchronous run:
   * other microtasks (a download finishing, an upload committing) may run between ensure's return and
   * the caller's continuation and evict the block again.
   */
  ready(inode: number, blkno: number): boolean {
    const key = blockKey(inode, blkno);
    const c = this.files.get(key);
    if (c) {
      this.touch(key, c);
      if (this.justLoaded.delete(key)) this.pressureGauge.wake(); // evictable now: waiters for room may go on
      return true;
    }
    return this.o.map.get(inode, blkno) === null;
  }

  /**
   * Makes block (inode, blkno) readable synchronously: downloads it into the cache unless it is
   * cached or a hole. Concurrent callers for the same block share one download. A download first gets
   * room under the caps (evicting clean blocks, or waiting while uploads free dirty ones). A reader
   * (`patient` false) gives up after readTimeoutMs with BlockReadTimeoutError; a writer (`patient`) waits
   * as long as the store takes.
   */
  async ensure(inode: number, blkno: number, patient = false): Promise<void> {
    const key = blockKey(inode, blkno);
    if (this.files.has(key) || this.o.map.get(inode, blkno) === null) return this.ensureLoaded(key, inode, blkno, patient);
    if (patient) return this.ensureLoaded(key, inode, blkno, true);
    return withReadDeadline(this.ensureLoaded(key, inode, blkno, false), this.o.readTimeoutMs ?? READ_TIMEOUT_MS, key, this.o.backend, this.o.log);
  }

  private async ensureLoaded(key: string, inode: number, blkno: number, patient: boolean): Promise<void> {
    for (;;) {
      const c = this.files.get(key);
      if (c) {
        this.touch(key, c);
        return;
      }
      const objId = this.o.map.get(inode, blkno);
      if (objId === null) return; // a hole
      if (this.downloadsRefused) throw new Error(`block ${key}: the filesystem is closing, nothing more is downloaded`);
      let p = this.loading.get(key);
      if (!p) {
        const size = Math.min(this.blockSize, this.o.map.object(objId)?.size ?? this.blockSize);
        if (!this.space.admit(size, 1, undefined, () => this.anyFresh())) {
          await this.roomChange(); // a cache full of dirty data: uploads make room, then look again
          continue;
        }
        p = this.startDownload(key, inode, blkno, objId, size);
      }
      this.demanded.add(key);
      if (!patient) {
        await p;
        continue;
      }
      try {
        await p;
      } catch (error) {
        if (!isTransient(error)) throw error;
        await Bun.sleep(1000); // the retry layer gave up for now; a writer keeps waiting for the store
      }
    }
  }

  /**
   * Share of the caps taken by dirty data (what only uploads free), by bytes or entries. Reservations are
   * left out: a written and uploaded reserved block keeps its whole-block footprint but is evictable, and
   * telling the pinned ones apart costs a lookup each; the hard cap counts them all the same.
   */
  pressure(): number {
    const caps = this.space.caps;
    return Math.max(this.space.dirtyBytes / caps.maxBytes, this.dirty.size / caps.maxEntries);
  }

  /**
   * The one download of a block, shared by every reader and prefetcher that asks while it runs; its room
   * was made by the caller (admitted), and it counts as incoming until its file is in place.
   */
  private startDownload(key: string, inode: number, blkno: number, objId: number, size: number): Promise<void> {
    this.space.incoming(size, 1);
    const p = this.download(key, inode, blkno, objId).finally(() => {
      this.loading.delete(key);
      this.demanded.delete(key);
      this.space.incoming(size, -1);
      this.pressureGauge.wake();
    });
    this.loading.set(key, p);
    return p;
  }

  /**
   * Starts downloading block (inode, blkno) ahead of a reader (readahead), unless it is cached, a hole,
   * being downloaded already, or its room cannot be made by evicting old clean blocks; returns the download,
   * or null when nothing was started. A reader that asks for the block meanwhile joins this download
   * (ensure). Failures are the caller's to ignore. Ask roomForClean first.
   */
  prefetch(inode: number, blkno: number): Promise<void> | null {
    const key = blockKey(inode, blkno);
    if (this.downloadsRefused || this.files.has(key) || this.loading.has(key)) return null;
    const objId = this.o.map.get(inode, blkno);
    if (objId === null) return null;
    const size = Math.min(this.blockSize, this.o.map.object(objId)?.size ?? this.blockSize);
    if (!this.space.makeRoom(size, 1)) return null; // never the one-block overshoot: that is for demand only
    return this.startDownload(key, inode, blkno, objId, size);
  }

  /**
   * Whether a speculative download of `bytes` may start: never under back-pressure (past LOW_WATER dirty
   * data has the room), at once while the cache has free room, and once it is at its size only while dirty
   * data and downloads leave at least half of it to clean blocks, so readahead evicts the oldest clean
   * blocks, never makes writers wait, and never crowds out a working set.
   */
  roomForClean(bytes: number): boolean {
    if (this.pressure() >= LOW_WATER) return false;
    if (this.space.hasFreeRoom(bytes)) return true;
    return this.space.dirtyBytes + this.space.incomingBytes + bytes <= this.space.caps.maxBytes / 2;
  }

  /**
   * True when the cache is full of data only uploads can free: a writer that needs room waits (see
   * roomForWrite). Kept for callers that only ask; the write path asks roomForWrite per block.
   */
  full(): boolean {
    return this.pressure() >= 1;
  }

  /**
   * Back-pressure for a write of `len` bytes: null when the writer may go on now, else a pause to await
   * first (dirty data fills the cache: the pace falls towards the store's upload rate as it fills). Past
   * LOW_WATER the upload queue is told to upload everything dirty now.
   */
  pace(len: number): Promise<void> | null {
    const p = this.pressure();
    if (p < LOW_WATER) return null;
    this.onFull();
    const ms = this.pressureGauge.pauseMs(len, p);
    return ms > 0 ? Bun.sleep(ms) : null;
  }

  /**
   * Makes room for writing [off, off+len) into a block, in the same synchronous run as the write: true
   * when the write fits under both caps (clean blocks evicted for it, never this one). False: await
   * roomChange(), make the block ready again, and ask again.
   */
  roomForWrite(inode: number, blkno: number, off: number, len: number): boolean {
    const key = blockKey(inode, blkno);
    const c = this.files.get(key);
    const before = c ? this.footprint(c) : 0;
    const after = footprintOf(Math.max(c?.size ?? 0, off + len), c?.reserved, this.blockSize);
    if (after <= before && c) return true;
    return this.space.admit(Math.max(0, after - before), c ? 0 : 1, key, () => this.anyFresh());
  }

  /** Resolves when room may have been freed (or after a short while); tells the upload queue to hurry. */
  roomChange(): Promise<void> {
    this.onFull();
    return this.pressureGauge.roomChange();
  }

  /**
   * Waits until the cache is no longer full of data only uploads can free: writers block while the store
   * is unreachable and the cache is full of data not yet uploaded, instead of failing.
   */
  async waitForRoom(): Promise<void> {
    while (this.full()) await this.roomChange();
  }


  private async download(key: string, inode: number, blkno: number, objId: number): Promise<void> {
    const row = this.o.map.object(objId);
    if (!row) throw new Error(`block ${key} names missing object ${objId}`);
    const name = dataObjectKey(row.id, row.hash);
    // While we await, the block may be rewritten, truncated or re-pointed (and the old object deleted
    // once unreferenced): then the download's outcome, even a failure, no longer matters; ensure() looks again.
    const superseded = () => this.downloadsRefused || this.files.has(key) || this.o.map.get(inode, blkno) !== objId;
    let plain: Uint8Array;
    try {
      plain = await this.o.codec.decode("data", name, await this.o.backend.get(name));
    } catch (error) {
      if (superseded()) return;
      throw error;
    }
    if (superseded()) return;
    this.downloadedBytes += plain.length;
    // its room was made when the download was admitted (counted as incoming until now)
    this.writeFile(key, inode, blkno, plain, 0, true);
    // a prefetched block nobody waits for is not pinned: if its reader jumped away it is an ordinary clean block
    if (this.demanded.has(key)) this.justLoaded.set(key, performance.now());
  }

  /** Reads [off, off+len) of a block (call after ensure, with no await in between). Holes read as zeros. */
  read(inode: number, blkno: number, off: number, len: number, out: Uint8Array, outOff: number): void {
    const key = blockKey(inode, blkno);
    const c = this.files.get(key);
    const dst = out.subarray(outOff, outOff + len);
    dst.fill(0);
    if (!c || off >= c.size) return;
    if (c.mem) {
      dst.set(c.mem.subarray(off, Math.min(c.size, off + len)));
      return;
    }
    const fd = this.fds.get(key, false);
    let done = 0;
    const want = Math.min(len, c.size - off);
    while (done < want) {
      const n = readSync(fd, dst, done, want - done, off + done);
      // A cache file shorter than recorded was changed behind our back: EIO beats returning zeros.
      if (n <= 0) throw new Error(`cache file ${this.path(key)} is shorter than the ${c.size} bytes recorded`);
      done += n;
    }
  }

  /** Writes into a block (call after ensure and roomForWrite, with no await in between) and marks it dirty. */
  write(inode: number, blkno: number, off: number, data: Uint8Array): void {
    const key = blockKey(inode, blkno);
    this.markDirty(key, inode, blkno);
    this.writeFile(key, inode, blkno, data, off, false);
    // past the low water mark uploads start now, not after their delay (after this synchronous run:
    // the caller may be inside a transaction)
    if (!this.hurrying && this.pressure() >= LOW_WATER) {
      this.hurrying = true;
      queueMicrotask(() => {
        this.hurrying = false;
        this.onFull();
      });
    }
  }

  /** Cuts a cached block to `len` bytes (truncate inside the block) and marks it dirty. Call after ensure. */
  truncate(inode: number, blkno: number, len: number): void {
    const key = blockKey(inode, blkno);
    const c = this.files.get(key);
    if (!c) {
      if (this.o.map.get(inode, blkno) === null) return; // hole stays a hole
      throw new Error(`truncate of uncached block ${key}`);
    }
    if (c.size <= len) return;
    this.markDirty(key, inode, blkno);
    const before = this.footprint(c);
    if (c.mem) {
      c.mem.fill(0, len, c.size); // keep the buffer zero past the content
    } else {
      ftruncateSync(this.fds.get(key), len); // frees the file's blocks past len, a reservation's too
      c.alloc = undefined;
      if (c.reserved) {
        c.reserved = false;
        this.reservedBlocks--;
      }
    }
    c.size = len;
    this.space.resize(key, before, this.footprint(c), true);
    this.pressureGauge.wake();
  }

  /** Forgets a block entirely (file removed, dirty state dropped): the inode or this block is gone. */
  drop(inode: number, blkno: number): void {
    const key = blockKey(inode, blkno);
    const c = this.files.get(key);
    if (c) this.forgetFile(key, c);
    if (this.setClean(key)) this.o.map.clearDirty(inode, blkno);
    this.pressureGauge.wake();
  }

  /**
   * Reserves a hole (a block neither cached nor in the store) for fallocate: its cache file is allocated
   * to the whole block on the cache disk (sizes unchanged: it reads as zeros, and is not dirty, so nothing
   * is uploaded for it). Returns false for a block that holds data already. Throws code ENOSPC when the
   * cache disk is full, or when reservations would exceed the cache size.
   */
  reserve(inode: number, blkno: number): boolean {
    const key = blockKey(inode, blkno);
    if (this.files.has(key) || this.o.map.get(inode, blkno) !== null) return false;
    checkReservationLimit(key, this.reservedBlocks, this.blockSize, this.space.caps.maxBytes);
    this.space.makeRoom(this.blockSize, 1, key); // reserved space counts toward the cache size: clean blocks make room
    allocateReservation(this.fds.get(key), this.path(key), this.blockSize, () => this.fds.close(key));
    this.install(key, undefined, { inode, blkno, size: 0, reserved: true });
    this.reservedBlocks++;
    return true;
  }

  /** Bytes held by the cache file of a block, or null when it is not cached. */
  cachedSize(inode: number, blkno: number): number | null {
    return this.files.get(blockKey(inode, blkno))?.size ?? null;
  }

  /**
   * Bytes a cached block takes on the cache disk, or null when not cached: a block written at an offset
   * inside it leaves a hole in its cache file before the data, which takes no space.
   */
  allocatedBytes(inode: number, blkno: number): number | null {
    const key = blockKey(inode, blkno);
    const c = this.files.get(key);
    if (!c) return null;
    if (c.mem) return c.size;
    c.alloc ??= Math.min(c.reserved ? this.blockSize : c.size, fstatSync(this.fds.get(key, false)).blocks * 512);
    return c.alloc;
  }

  /** Cached block numbers of `inode` that are >= fromBlk. */
  cachedFrom(inode: number, fromBlk: number): number[] {
    const set = this.byInode.get(inode);
    const out: number[] = [];
    if (set) for (const b of set) if (b >= fromBlk) out.push(b);
    return out;
  }

  private markDirty(key: string, inode: number, blkno: number): void {
    const d = this.dirty.get(key);
    if (d) {
      d.gen = ++this.genCounter;
      return;
    }
    this.o.map.markDirty(inode, blkno); // durable marker (made durable by fsync / the next WAL sync)
    this.setDirty(key, { gen: ++this.genCounter, since: monoNow(), inode, blkno });
    if (this.dirtiedNow.length === 0) queueMicrotask(() => (this.dirtiedNow = []));
    this.dirtiedNow.push(key);
    this.onDirty();
  }

  private writeFile(key: string, inode: number, blkno: number, data: Uint8Array, off: number, fresh: boolean): void {
    const prev = this.files.get(key);
    const end = off + data.length;
    if ((!prev || prev.mem) && end <= MEM_BLOCK_MAX && (fresh || !prev || Math.max(prev.size, end) <= MEM_BLOCK_MAX)) {
      this.writeMem(key, inode, blkno, prev, data, off, fresh);
      return;
    }
    if (prev?.mem) this.spill(key, prev);
    const fd = this.fds.get(key);
    let done = 0;
    while (done < data.length) done += writeSync(fd, data, done, data.length - done, off + done);
    if (fresh) ftruncateSync(fd, off + data.length); // a downloaded block replaces whatever was there
    this.unsynced.add(key);
    const size = Math.max(prev && !fresh ? prev.size : 0, off + data.length);
    // a download replaced the file (its ftruncate freed any reservation)
    const next: Cached = { inode, blkno, size, reserved: prev?.reserved === true && !fresh };
    if (prev?.reserved && !next.reserved) this.reservedBlocks--;
    this.install(key, prev, next);
  }

  /** Writes into (or creates) the in-memory content of a block; the caller checked it fits MEM_BLOCK_MAX. */
  private writeMem(key: string, inode: number, blkno: number, prev: Cached | undefined, data: Uint8Array, off: number, fresh: boolean): void {
    const end = off + data.length;
    const prevSize = prev && !fresh ? prev.size : 0;
    const size = Math.max(prevSize, end);
    let mem = prev?.mem;
    if (!mem || fresh || mem.length < size) {
      // grow by doubling (small files are often written in a few appends), at least 4 KiB
      let cap = mem && !fresh ? mem.length : 4096;
      while (cap < size) cap *= 2;
      const next = new Uint8Array(Math.min(cap, MEM_BLOCK_MAX) < size ? size : Math.min(cap, MEM_BLOCK_MAX));
      if (mem && !fresh) next.set(mem.subarray(0, prevSize));
      this.memBytes += next.length - (mem?.length ?? 0);
      mem = next;
    }
    mem.set(data, off);
    this.install(key, prev, { inode, blkno, size, mem });
    if (this.memBytes > MEM_BUDGET) this.spillOver(key);
  }

  /** Writes an in-memory block to its cache file (it stays cached, now as a file). */
  private spill(key: string, c: Cached): void {
    const mem = c.mem;
    if (!mem) return;
    const fd = this.fds.get(key);
    let done = 0;
    while (done < c.size) done += writeSync(fd, mem, done, c.size - done, done);
    ftruncateSync(fd, c.size); // a stale file of an earlier life of this block may be longer
    this.unsynced.add(key);
    c.mem = undefined;
    this.memBytes -= mem.length;
  }

  /** Spills least recently used in-memory blocks to files until the memory budget holds (never `keep`). */
  private spillOver(keep?: string): void {
    for (const [key, c] of this.files) {
      if (this.memBytes <= MEM_BUDGET) break;
      if (key !== keep && c.mem) this.spill(key, c);
    }
  }

  /** Removes least recently used clean blocks until the cache is within its caps (never dirty ones). */
  evict(): void {
    this.space.trim();
  }

  /** Changes the cache's size limit (clean blocks beyond it are evicted now; the entry cap follows unless set). */
  setMaxBytes(maxBytes: number, maxEntries?: number): void {
    const caps = this.space.caps;
    if (maxEntries !== undefined) caps.maxEntries = maxEntries;
    else if (this.o.maxEntries === undefined) caps.maxEntries = defaultMaxEntries(maxBytes);
    caps.maxBytes = maxBytes;
    this.o.maxBytes = maxBytes;
    this.space.trim();
    this.pressureGauge.wake();
  }

  /** Removes every clean block that is not being downloaded (dirty ones stay); returns how many went. */
  dropClean(): number {
    let dropped = 0;
    for (const key of this.space.cleanKeys()) {
      const c = this.files.get(key);
      if (!c || this.dirty.has(key) || this.loading.has(key) || this.pinnedReservation(c)) continue;
      this.forgetFile(key, c);
      dropped++;
    }
    return dropped;
  }

  // ---- upload side ----

  /**
   * The dirty blocks in the order they went dirty (insertion order; `since` is monotonic, so that is
   * `since` order, oldest first), without copying: the upload queue walks this on every completion. Do not
   * keep the yielded objects; blocks may be marked clean (deleted) while this is iterated.
   */
  dirtyEntries(): IterableIterator<[string, { since: number; inode: number; blkno: number }]> {
    return this.dirty.entries();
  }

  isDirty(key: string): boolean {
    return this.dirty.has(key);
  }

  /** The current content and generation of a dirty block (trailing zeros trimmed), or null if clean/gone. */
  takeForUpload(key: string, buffers?: UploadBuffers): { content: Uint8Array; gen: number } | null {
    const d = this.dirty.get(key);
    const c = this.files.get(key);
    if (!d || !c) return null;
    // shared memory: the codec Workers read it where it is (no copy through postMessage)
    const buf = buffers ? buffers.take(c.size) : new Uint8Array(new SharedArrayBuffer(c.size));
    this.read(d.inode, d.blkno, 0, c.size, buf, 0);
    let end = buf.length;
    while (end > 0 && buf[end - 1] === 0) end--;
    return { content: buf.subarray(0, end), gen: d.gen };
  }

  /** Marks a block clean if it was not changed since generation `gen` was taken; returns whether it did. */
  markClean(key: string, gen: number): boolean {
    const d = this.dirty.get(key);
    if (!d || d.gen !== gen) return false;
    const c = this.files.get(key);
    this.setClean(key);
    this.o.map.clearDirty(d.inode, d.blkno);
    this.pressureGauge.noteDrained(c ? this.footprint(c) : 0);
    this.space.trim(); // a block that just became clean may be the first one allowed to go
    this.pressureGauge.wake();
    return true;
  }

  /**
   * fdatasync the cache files of the dirty blocks of `inode`, or (inode undefined) every cache file
   * written since its last sync, clean ones included; then the directory.
   */
  syncFiles(inode?: number): void {
    // in-memory dirty blocks must reach a file first (clean ones are in the store already)
    for (const [key, d] of this.dirty) {
      if (inode !== undefined && d.inode !== inode) continue;
      const c = this.files.get(key);
      if (c?.mem) this.spill(key, c);
    }
    const keys = inode === undefined ? [...this.unsynced] : [...this.dirty].filter(([, d]) => d.inode === inode).map(([k]) => k);
    for (const key of keys) {
      this.unsynced.delete(key);
      if (!this.files.has(key)) continue;
      const fd = this.fds.peek(key);
      if (fd !== undefined) {
        fdatasyncFd(fd, this.path(key));
        continue;
      }
      const ofd = openSync(this.path(key), "r");
      try {
        fdatasyncFd(ofd, this.path(key));
      } finally {
        closeSync(ofd);
      }
    }
    fsyncDir(this.dir);
  }

  /** Number of dirty blocks, in O(1). */
  dirtyCount(): number {
    return this.dirty.size;
  }

  stats(): {
    cacheBytes: number; dirtyBytes: number; dirtyBlocks: number; capBytes: number; entries: number; entryCap: number;
    downloading: number; incomingBytes: number; pressure: number;
  } {
    const s = this.space;
    return {
      cacheBytes: s.bytes, dirtyBytes: s.dirtyBytes, dirtyBlocks: this.dirty.size, capBytes: s.caps.maxBytes,
      entries: this.files.size, entryCap: s.caps.maxEntries, downloading: this.loading.size, incomingBytes: s.incomingBytes,
      pressure: this.pressure(),
    };
  }
}
