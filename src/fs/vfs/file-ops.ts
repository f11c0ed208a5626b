// File data operations: open/create, read, write at any offset, flush/release, fsync, fallocate, lseek.
import type { OpenOut, RequestContext } from "../fuse/raw-fs.ts";
import { EBADF, EFBIG, EINVAL, ENOSPC, ENXIO, EOPNOTSUPP, FuseError } from "../fuse/errno.ts";
import { MAX_FILE_SIZE } from "./attr-ops.ts";
import { blockKey } from "../blocks/cache.ts";
import { FALLOC_FL_KEEP_SIZE, FOPEN, O_ACCMODE, O_DIRECT, O_TRUNC, O_WRONLY, SEEK_DATA, SEEK_HOLE } from "../fuse/kernel.ts";
import { type VfsCore, isDir, isReg, nowNs, S_IFREG } from "./core.ts";
import { makeNode } from "./entry-ops.ts";

export async function open(c: VfsCore, nodeid: number, flags: number): Promise<OpenOut> {
  const i = c.get(nodeid);
  c.notDir(i);
  const fh = c.openHandle(nodeid, flags);
  if (flags & O_TRUNC && isReg(i) && (flags & O_ACCMODE) !== 0 && i.size > 0) await c.resize(nodeid, 0);
  // reads served from the kernel's page cache never reach read(): count the access when a reader opens
  else if ((flags & O_ACCMODE) !== O_WRONLY) c.touchAtime(c.get(nodeid));
  // All changes pass through this mount, so the kernel's page cache stays valid across opens; except
  // around O_DIRECT, which bypasses it: such an open drops the cached pages, so a buffered read after
  // direct I/O never sees what the cache held before.
  return { fh, openFlags: flags & O_DIRECT ? 0 : FOPEN.KEEP_CACHE };
}

export function create(c: VfsCore, ctx: RequestContext, parent: number, name: string, mode: number, flags: number, umask: number) {
  const i = makeNode(c, ctx, parent, name, (mode & 0o7777) | S_IFREG, 0, umask);
  const fh = c.openHandle(i.id, flags);
  return { entry: c.entry(i), open: { fh, openFlags: FOPEN.KEEP_CACHE } };
}

/** The pieces of [offset, offset + len) block by block: block number, offset in it, length, bytes before it. */
function* blockSpans(offset: number, len: number, bs: number): Generator<{ blk: number; within: number; n: number; done: number }> {
  for (let pos = offset; pos < offset + len; ) {
    const blk = Math.floor(pos / bs);
    const within = pos - blk * bs;
    const n = Math.min(bs - within, offset + len - pos);
    yield { blk, within, n, done: pos - offset };
    pos += n;
  }
}

export async function read(c: VfsCore, nodeid: number, offset: number, size: number): Promise<Uint8Array> {
  const i = c.get(nodeid);
  if (isDir(i)) throw new FuseError(EINVAL);
  if (offset >= i.size || size <= 0) return new Uint8Array(0);
  const len = Math.min(size, i.size - offset);
  const out = new Uint8Array(len);
  for (const { blk, within, n, done } of blockSpans(offset, len, c.blockSize)) {
    while (!c.cache.ready(nodeid, blk)) await c.cache.ensure(nodeid, blk);
    c.cache.read(nodeid, blk, within, n, out, done); // same synchronous run as the ready check
  }
  const now = c.inodes.get(nodeid);
  if (now) c.touchAtime(now);
  return out;
}

/** Disk full in the cache directory (a cache file write, or SQLite's "database or disk is full"). */
const isDiskFull = (e: unknown): boolean =>
  (e as { code?: string })?.code === "ENOSPC" || (e as { code?: string })?.code === "SQLITE_FULL" || /disk is full|ENOSPC/.test(String((e as Error)?.message));

export async function write(c: VfsCore, nodeid: number, offset: number, data: Uint8Array): Promise<number> {
  try {
    return await writeBlocks(c, nodeid, offset, data);
  } catch (error) {
    // the writer learns the disk is full (ENOSPC), not EIO; what it wrote before stays (docs/durability.md)
    if (isDiskFull(error)) throw new FuseError(ENOSPC);
    throw error;
  }
}

async function writeBlocks(c: VfsCore, nodeid: number, offset: number, data: Uint8Array): Promise<number> {
  const len = data.length;
  if (offset + len > MAX_FILE_SIZE) throw new FuseError(EFBIG);
  // `data` may view a reused request buffer: copy it only when we are about to await (a cold partial block,
  // or a cache full of data not uploaded yet: the writer waits for the store instead of failing).
  let buf = data;
  if (c.cache.full()) {
    buf = data.slice();
    await c.cache.waitForRoom();
  }
  const bs = c.blockSize;
  for (const { blk, within, n, done } of blockSpans(offset, len, bs)) {
    // a whole-block write needs no old data; otherwise the block must be local in this synchronous run
    if (within !== 0 || n !== bs) {
      while (!c.cache.ready(nodeid, blk)) {
        if (buf === data) buf = data.slice();
        await c.cache.ensure(nodeid, blk, true); // a writer waits out an outage, never EIO
      }
    }
    const i = c.inodes.get(nodeid);
    if (!i) throw new FuseError(EBADF); // purged while we waited: write nothing for it
    const chunk = buf.subarray(done, done + n);
    if (done + n < len) {
      c.cache.write(nodeid, blk, within, chunk);
      continue;
    }
    // the last block and the inode update run with no await between them: one commit for the dirty
    // marker (if the block just went dirty) and the new size/mtime instead of two (a block already
    // dirty writes no marker: the lone UPDATE autocommits, no BEGIN/COMMIT around it)
    const last = () => {
      c.cache.write(nodeid, blk, within, chunk);
      if (offset + len > i.size) i.size = offset + len;
      i.mtimeNs = i.ctimeNs = nowNs();
      c.inodes.update(i);
    };
    if (c.cache.isDirty(blockKey(nodeid, blk))) last();
    else c.tx(last);
  }
  if (len === 0) {
    const i = c.inodes.get(nodeid);
    if (!i) throw new FuseError(EBADF);
    i.mtimeNs = i.ctimeNs = nowNs();
    c.inodes.update(i);
  }
  c.cache.evict();
  return len;
}

/** Local durability: the file's dirty cache blocks and every committed metadata change reach the disk. */
export function fsync(c: VfsCore, nodeid: number): void {
  c.cache.syncFiles(nodeid);
  c.db.sync();
}

export function fallocate(c: VfsCore, nodeid: number, offset: number, length: number, mode: number): void {
  if (mode & ~FALLOC_FL_KEEP_SIZE) throw new FuseError(EOPNOTSUPP);
  const i = c.get(nodeid);
  if (!isReg(i)) throw new FuseError(EINVAL);
  if (offset + length > MAX_FILE_SIZE) throw new FuseError(EFBIG);
  // preallocating promises the space: refuse what the disks cannot hold, as a disk filesystem would
  // (first the cheap bound, so a huge request is refused before its blocks are looked at)
  if (Math.max(0, offset + length - i.size) > c.freeBytes()) throw new FuseError(ENOSPC);
  const bs = c.blockSize;
  const first = Math.floor(offset / bs);
  const end = Math.ceil((offset + length) / bs);
  const holes: number[] = [];
  for (let b = first; b < end; b++) if (c.cache.cachedSize(nodeid, b) === null && c.map.get(nodeid, b) === null) holes.push(b);
  if (holes.length * bs > c.freeBytes()) throw new FuseError(ENOSPC);
  // each hole gets a cache file allocated to the whole block: the space is taken now (st_blocks counts
  // it), and a write into it later needs no more; all or nothing
  const reserved: number[] = [];
  try {
    for (const b of holes) if (c.cache.reserve(nodeid, b)) reserved.push(b);
  } catch (error) {
    for (const b of reserved) c.cache.drop(nodeid, b);
    if (isDiskFull(error)) throw new FuseError(ENOSPC);
    throw error;
  }
  if (mode & FALLOC_FL_KEEP_SIZE || offset + length <= i.size) return;
  i.size = offset + length;
  i.ctimeNs = nowNs();
  c.inodes.update(i);
}

/**
 * SEEK_DATA / SEEK_HOLE: a block holds data from its start for as many bytes as its cache file or
 * object has (trailing zeros are never stored); the rest of the block and unmapped blocks are holes.
 */
export function lseek(c: VfsCore, nodeid: number, offset: number, whence: number): number {
  const i = c.get(nodeid);
  if (whence !== SEEK_DATA && whence !== SEEK_HOLE) throw new FuseError(EINVAL);
  if (offset >= i.size) throw new FuseError(ENXIO);
  const bs = c.blockSize;
  const dataLen = (b: number): number => {
    const cached = c.cache.cachedSize(nodeid, b);
    if (cached !== null) return cached;
    const obj = c.map.get(nodeid, b);
    return obj === null ? 0 : (c.map.object(obj)?.size ?? bs);
  };
  // the next block at or after `from` that can hold data (mapped or cached): hops over holes of any size
  const cached = c.cache.cachedFrom(nodeid, 0);
  const nextWithData = (from: number): number | null => {
    let best = c.map.nextMapped(nodeid, from);
    for (const x of cached) if (x >= from && (best === null || x < best)) best = x;
    return best;
  };
  for (let b = Math.floor(offset / bs); b * bs < i.size; ) {
    const start = b * bs;
    const end = start + dataLen(b);
    if (whence === SEEK_DATA) {
      if (end > start && end > offset) return Math.max(offset, start);
      const next = nextWithData(b + 1);
      if (next === null) break;
      b = next;
    } else {
      const h = Math.max(offset, end);
      if (h < start + bs && h < i.size) return h;
      b++;
    }
  }
  if (whence === SEEK_HOLE) return i.size;
  throw new FuseError(ENXIO);
}
