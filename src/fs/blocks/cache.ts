// BlockCache: the local cache directory of block files — reads, writes, dirty tracking, downloads, LRU eviction.
//
// One file per cached block (`<cacheDir>/blocks/<inode>-<blkno>`), holding the block's current content
// (possibly shorter than the block size: the rest reads as zeros). A cached block is either clean (equal
// to the object the block map names) or dirty (newer; recorded in dirty_blocks). Dirty blocks are never
// evicted. Every write bumps the block's generation so an upload that finishes after a newer write does
// not mark the block clean (see docs/concurrency.md). Sync file I/O: each call is atomic on the main thread.
//
// Small blocks (at most MEM_BLOCK_MAX bytes, e.g. the only block of a small file) are held in memory
// instead of a file until they grow, fsync asks for them (`syncFiles`), or the memory budget is
// exceeded: creating a file costs far more than writing 4 KiB into it, and most small blocks are
// uploaded (and so no longer need local durability) long before anyone fsyncs them. This keeps the
// durability table true: write() alone was never crash-safe, fsync still puts data + dirty marker on
// disk, and a dirty marker whose data was only in memory is dropped at recovery like any unsynced write.
import {
  constants, closeSync, existsSync, fdatasyncSync, fsyncSync, fstatSync, ftruncateSync, mkdirSync, openSync,
  readdirSync, readSync, rmSync, statSync, writeSync,
} from "node:fs";
import { join } from "node:path";
import { fdatasyncFd, fsyncDir } from "../fsync.ts";
import { FALLOC_KEEP_SIZE, fallocateFd } from "../fallocate.ts";
import { type Backend, isTransient } from "../store/backend.ts";
import type { BlockMap } from "../meta/blockmap.ts";
import { dataObjectKey } from "../store/object-names.ts";
import type { ObjectCodec } from "./object-codec.ts";

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

/** Default bound on a read's wait for the store. */
export const READ_TIMEOUT_MS = 30_000;

/** The store did not deliver a block in time: the read fails (EIO), the download goes on in the background. */
export class BlockReadTimeoutError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "BlockReadTimeoutError";
  }
}

export class BlockCache {
  readonly blockSize: number;
  private readonly dir: string;
  /** Cached blocks in LRU order (first = least recently used). */
  private readonly files = new Map<string, Cached>();
  /** Dirty blocks -> generation (bumped on every change) and the time they first went dirty. */
  private readonly dirty = new Map<string, { gen: number; since: number; inode: number; blkno: number }>();
  private readonly loading = new Map<string, Promise<void>>();
  /**
   * Blocks downloaded but not yet used by the request that waited for them: not evicted until then, or
   * a cache held at its size by waiting writers could evict each download before its reader runs.
   */
  private readonly justLoaded = new Set<string>();
  /** Cache files written since they were last fsynced (close syncs them, so a clean open can trust them). */
  private readonly unsynced = new Set<string>();
  /** inode -> cached block numbers, so deleting a file does not scan the whole cache. */
  private readonly byInode = new Map<number, Set<number>>();
  /** Open file descriptors of cache files (O_RDWR), least recently used first. */
  private readonly fds = new Map<string, number>();
  private bytes = 0;
  /** Blocks reserved by fallocate (see Cached.reserved): at most the cache size in all. */
  private reservedBlocks = 0;
  /** Capacity of the in-memory block buffers. */
  private memBytes = 0;
  private genCounter = 0;
  /** Plaintext bytes downloaded into the cache since it was opened (for rates). */
  downloadedBytes = 0;
  /** Called when a block goes dirty (the upload queue's wake-up). */
  onDirty: () => void = () => {};
  /** Called while a writer waits for room (the upload queue then uploads every dirty block, due or not). */
  onFull: () => void = () => {};
  /**
   * Blocks that went dirty in the current synchronous run. If the transaction around it rolls back (a
   * failed COMMIT: disk full), their markers are gone from the database, so memory must forget them too:
   * their cache files (possibly half written) are dropped and the blocks read from the store again.
   */
  private dirtiedNow: string[] = [];
  /** Writers waiting for room: resolved whenever a block becomes clean or goes away. */
  private roomWaiters: (() => void)[] = [];

  constructor(private readonly o: BlockCacheOptions) {
    this.blockSize = o.blockSize;
    this.dir = join(o.dir, "blocks");
    if (!existsSync(this.dir)) {
      mkdirSync(this.dir, { recursive: true });
      fsyncDir(o.dir); // the blocks/ name itself, before any file in it is relied on
    }
    o.map.onRollback(() => this.undoDirtiedNow());
  }

  private undoDirtiedNow(): void {
    for (const key of this.dirtiedNow) {
      if (!this.dirty.delete(key)) continue;
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
      // a file allocated to the whole block but holding less was reserved by fallocate (a clean unmount kept it)
      const reserved = st.size < this.blockSize && st.blocks * 512 >= this.blockSize;
      const c: Cached = { inode: Number(m[1]), blkno: Number(m[2]), size: st.size, reserved };
      this.touch(key, c);
      this.bytes += this.footprint(c);
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
      this.dirty.set(key, { gen: ++this.genCounter, since: 0, inode: d.inode, blkno: d.blkno });
    }
    return { dirtyBlocks: this.dirty.size, lostBlocks: lost };
  }

  private path(key: string): string {
    return join(this.dir, key);
  }

  /** Bytes a cached block counts toward the cache size: its content, or the whole block when reserved. */
  private footprint(c: Cached): number {
    return c.reserved ? Math.max(c.size, this.blockSize) : c.size;
  }

  /** A reserved block with no object yet (never written, or zeros): its space stays promised. */
  private pinnedReservation(c: Cached): boolean {
    return c.reserved === true && this.o.map.get(c.inode, c.blkno) === null;
  }

  private touch(key: string, c: Cached): void {
    this.files.delete(key);
    this.files.set(key, c);
    let set = this.byInode.get(c.inode);
    if (!set) this.byInode.set(c.inode, (set = new Set()));
    set.add(c.blkno);
  }

  /**
   * An open O_RDWR descriptor of a block's cache file, never truncated on open. Created if missing only
   * when `create` (writes); a read of a file that should exist must fail loudly, not read zeros.
   */
  private fd(key: string, create = true): number {
    const fd = this.fds.get(key);
    if (fd !== undefined) {
      this.fds.delete(key);
      this.fds.set(key, fd);
      return fd;
    }
    // O_CREAT without O_TRUNC: on ext4 an O_TRUNC open+close costs ~0.7 ms (auto_da_alloc), this ~0.05 ms
    const nfd = openSync(this.path(key), (create ? constants.O_CREAT : 0) | constants.O_RDWR, 0o600);
    this.fds.set(key, nfd);
    if (this.fds.size > MAX_OPEN_FDS) {
      for (const [k, old] of this.fds) {
        this.fds.delete(k);
        closeSync(old);
        break;
      }
    }
    return nfd;
  }

  private closeFd(key: string): void {
    const fd = this.fds.get(key);
    if (fd === undefined) return;
    this.fds.delete(key);
    closeSync(fd);
  }

  /** Closes every cached descriptor (at close; nothing is written). */
  closeFiles(): void {
    for (const fd of this.fds.values()) closeSync(fd);
    this.fds.clear();
  }

  private forgetFile(key: string, c: Cached): void {
    this.closeFd(key);
    this.files.delete(key);
    this.unsynced.delete(key);
    this.justLoaded.delete(key);
    this.bytes -= this.footprint(c);
    if (c.reserved) this.reservedBlocks--;
    if (c.mem) this.memBytes -= c.mem.length;
    else rmSync(this.path(key), { force: true });
    const set = this.byInode.get(c.inode);
    if (set) {
      set.delete(c.blkno);
      if (set.size === 0) this.byInode.delete(c.inode);
    }
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
      this.justLoaded.delete(key);
      return true;
    }
    return this.o.map.get(inode, blkno) === null;
  }

  /**
   * Makes block (inode, blkno) readable synchronously: downloads it into the cache unless it is
   * cached or a hole. Concurrent callers for the same block share one download. A reader (`patient`
   * false) gives up after readTimeoutMs with BlockReadTimeoutError; a writer (`patient`) waits as long
   * as the store takes.
   */
  async ensure(inode: number, blkno: number, patient = false): Promise<void> {
    const key = blockKey(inode, blkno);
    for (;;) {
      const c = this.files.get(key);
      if (c) {
        this.touch(key, c);
        return;
      }
      const objId = this.o.map.get(inode, blkno);
      if (objId === null) return; // a hole
      let p = this.loading.get(key);
      if (!p) {
        p = this.download(key, inode, blkno, objId).finally(() => this.loading.delete(key));
        this.loading.set(key, p);
      }
      if (!patient) {
        await this.withReadDeadline(p, key);
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

  private withReadDeadline(p: Promise<void>, key: string): Promise<void> {
    const ms = this.o.readTimeoutMs ?? READ_TIMEOUT_MS;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const last = (this.o.backend as { stats?: () => { lastError: { message: string } | null } }).stats?.().lastError;
        const why = `read of block ${key}: the store ${this.o.backend.description} has not delivered it for ${Math.round(ms / 1000)} s` +
          `${last ? ` (last error: ${last.message})` : ""}; answering EIO, the download goes on in the background`;
        this.o.log(why);
        reject(new BlockReadTimeoutError(why));
      }, ms);
    });
    return Promise.race([p, late]).finally(() => clearTimeout(timer));
  }

  /**
   * True when the cache holds more than its size although every clean block that may go is gone: the
   * rest is dirty, and a writer must wait for uploads (see waitForRoom).
   */
  full(): boolean {
    if (this.bytes <= this.o.maxBytes) return false;
    this.evict();
    if (this.bytes <= this.o.maxBytes) return false;
    // only dirty data makes a writer wait (clean blocks being downloaded or in use leave soon by themselves);
    // this walk runs only while the cache is over its size
    let dirtyBytes = 0;
    for (const key of this.dirty.keys()) dirtyBytes += this.files.get(key)?.size ?? 0;
    return dirtyBytes > this.o.maxBytes;
  }

  /**
   * Waits until the cache has room for more dirty data: writers block while the store is unreachable and
   * the cache is full of data not yet uploaded, instead of failing. Re-checks at least every second.
   */
  async waitForRoom(): Promise<void> {
    while (this.full()) {
      this.onFull();
      await Promise.race([new Promise<void>((r) => this.roomWaiters.push(r)), Bun.sleep(1000)]);
    }
  }

  private roomFreed(): void {
    const waiters = this.roomWaiters;
    if (waiters.length === 0) return;
    this.roomWaiters = [];
    for (const w of waiters) w();
  }

  private async download(key: string, inode: number, blkno: number, objId: number): Promise<void> {
    const row = this.o.map.object(objId);
    if (!row) throw new Error(`block ${key} names missing object ${objId}`);
    const name = dataObjectKey(row.id, row.hash);
    // While we await, the block may be rewritten, truncated or re-pointed (and the old object deleted
    // once unreferenced): then the download's outcome, even a failure, no longer matters; ensure() looks again.
    const superseded = () => this.files.has(key) || this.o.map.get(inode, blkno) !== objId;
    let plain: Uint8Array;
    try {
      plain = await this.o.codec.decode("data", name, await this.o.backend.get(name));
    } catch (error) {
      if (superseded()) return;
      throw error;
    }
    if (superseded()) return;
    this.downloadedBytes += plain.length;
    this.writeFile(key, inode, blkno, plain, 0, true);
    this.justLoaded.add(key);
    this.evict(key);
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
    const fd = this.fd(key, false);
    let done = 0;
    const want = Math.min(len, c.size - off);
    while (done < want) {
      const n = readSync(fd, dst, done, want - done, off + done);
      // A cache file shorter than recorded was changed behind our back: EIO beats returning zeros.
      if (n <= 0) throw new Error(`cache file ${this.path(key)} is shorter than the ${c.size} bytes recorded`);
      done += n;
    }
  }

  /** Writes into a block (call after ensure, with no await in between) and marks it dirty. */
  write(inode: number, blkno: number, off: number, data: Uint8Array): void {
    const key = blockKey(inode, blkno);
    this.markDirty(key, inode, blkno);
    this.writeFile(key, inode, blkno, data, off, false);
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
    if (c.mem) {
      c.mem.fill(0, len, c.size); // keep the buffer zero past the content
      this.bytes -= c.size - len;
      c.size = len;
      return;
    }
    ftruncateSync(this.fd(key), len); // frees the file's blocks past len, a reservation's too
    this.bytes -= this.footprint(c);
    c.size = len;
    c.alloc = undefined;
    if (c.reserved) {
      c.reserved = false;
      this.reservedBlocks--;
    }
    this.bytes += this.footprint(c);
  }

  /** Forgets a block entirely (file removed, dirty state dropped): the inode or this block is gone. */
  drop(inode: number, blkno: number): void {
    const key = blockKey(inode, blkno);
    const c = this.files.get(key);
    if (c) this.forgetFile(key, c);
    if (this.dirty.delete(key)) this.o.map.clearDirty(inode, blkno);
    this.roomFreed();
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
    if ((this.reservedBlocks + 1) * this.blockSize > this.o.maxBytes) {
      throw Object.assign(new Error(`cache: reserving block ${key} would exceed the cache size`), { code: "ENOSPC" });
    }
    try {
      fallocateFd(this.fd(key), FALLOC_KEEP_SIZE, 0, this.blockSize);
    } catch (error) {
      this.closeFd(key);
      rmSync(this.path(key), { force: true });
      throw error;
    }
    const c: Cached = { inode, blkno, size: 0, reserved: true };
    this.touch(key, c);
    this.bytes += this.footprint(c);
    this.reservedBlocks++;
    this.evict(key); // reserved space counts toward the cache size: clean blocks make room
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
    c.alloc ??= Math.min(c.reserved ? this.blockSize : c.size, fstatSync(this.fd(key, false)).blocks * 512);
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
    this.dirty.set(key, { gen: ++this.genCounter, since: monoNow(), inode, blkno });
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
    const fd = this.fd(key);
    let done = 0;
    while (done < data.length) done += writeSync(fd, data, done, data.length - done, off + done);
    if (fresh) ftruncateSync(fd, off + data.length); // a downloaded block replaces whatever was there
    this.unsynced.add(key);
    const size = Math.max(prev && !fresh ? prev.size : 0, off + data.length);
    // a download replaced the file (its ftruncate freed any reservation)
    const next: Cached = { inode, blkno, size, reserved: prev?.reserved === true && !fresh };
    if (prev?.reserved && !next.reserved) this.reservedBlocks--;
    this.bytes += this.footprint(next) - (prev ? this.footprint(prev) : 0);
    this.touch(key, next);
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
    this.bytes += size - (prev ? prev.size : 0);
    this.touch(key, { inode, blkno, size, mem });
    if (this.memBytes > MEM_BUDGET) this.spillOver(key);
  }

  /** Writes an in-memory block to its cache file (it stays cached, now as a file). */
  private spill(key: string, c: Cached): void {
    const mem = c.mem;
    if (!mem) return;
    const fd = this.fd(key);
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

  /** Removes least recently used clean blocks until the cache fits (never dirty ones, never `keep`). */
  evict(keep?: string): void {
    if (this.bytes <= this.o.maxBytes) return;
    for (const [key, c] of this.files) {
      if (this.bytes <= this.o.maxBytes) break;
      if (key === keep || this.dirty.has(key) || this.loading.has(key) || this.justLoaded.has(key)) continue;
      if (this.pinnedReservation(c)) continue;
      this.forgetFile(key, c);
    }
  }

  /** Changes the cache's size limit (clean blocks beyond it are evicted now). */
  setMaxBytes(maxBytes: number): void {
    this.o.maxBytes = maxBytes;
    this.evict();
  }

  /** Removes every clean block that is not being downloaded (dirty ones stay); returns how many went. */
  dropClean(): number {
    let dropped = 0;
    for (const [key, c] of [...this.files]) {
      if (this.dirty.has(key) || this.loading.has(key) || this.pinnedReservation(c)) continue;
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
  takeForUpload(key: string): { content: Uint8Array; gen: number } | null {
    const d = this.dirty.get(key);
    const c = this.files.get(key);
    if (!d || !c) return null;
    // shared memory: the codec Workers read it where it is (no copy through postMessage)
    const buf = new Uint8Array(new SharedArrayBuffer(c.size));
    this.read(d.inode, d.blkno, 0, c.size, buf, 0);
    let end = buf.length;
    while (end > 0 && buf[end - 1] === 0) end--;
    return { content: buf.subarray(0, end), gen: d.gen };
  }

  /** Marks a block clean if it was not changed since generation `gen` was taken; returns whether it did. */
  markClean(key: string, gen: number): boolean {
    const d = this.dirty.get(key);
    if (!d || d.gen !== gen) return false;
    this.dirty.delete(key);
    this.o.map.clearDirty(d.inode, d.blkno);
    this.evict(); // a block that just became clean may be the first one allowed to go
    this.roomFreed();
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
      const fd = this.fds.get(key);
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

  /** Number of dirty blocks, in O(1) (stats() walks them to sum their bytes). */
  dirtyCount(): number {
    return this.dirty.size;
  }

  stats(): {
    cacheBytes: number; dirtyBytes: number; dirtyBlocks: number; capBytes: number; entries: number; downloading: number;
  } {
    let dirtyBytes = 0;
    for (const key of this.dirty.keys()) dirtyBytes += this.files.get(key)?.size ?? 0;
    return {
      cacheBytes: this.bytes, dirtyBytes, dirtyBlocks: this.dirty.size,
      capBytes: this.o.maxBytes, entries: this.files.size, downloading: this.loading.size,
    };
  }
}
