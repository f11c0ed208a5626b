// Readahead: detects sequential readers per open handle and downloads the next blocks in parallel ahead of them.
//
// Like the kernel's readahead: a stream (one open file handle) that keeps reading where it left off gets
// a window of blocks ahead of it, started at INITIAL_WINDOW and doubled each time the reader enters a
// new block, up to `maxWindow` (sized to the store's connection limit by the caller). A read elsewhere
// (a jump) resets the window to nothing: random readers never prefetch. A read inside the range already
// prefetched counts as sequential too, so a stream whose reads of cached blocks are answered elsewhere
// (a reader Worker) still continues when it reaches the main thread again.
//
// Bounds: at most `maxInFlight` prefetch downloads at once (all streams together), and a block is only
// started when the cache has room for it beside everything it must keep (BlockCache.roomForClean: dirty
// data, downloads, the working set). Blocks not started for either reason are not queued: the next read
// of the stream tries again, so after a jump nothing stale is left to fetch. A prefetch download is the
// cache's one download of that block: a reader arriving meanwhile waits for it (no second GET). Its
// failures (an outage) are ignored here; the reader's own ensure() applies the read-timeout rules.
import type { BlockCache } from "./cache.ts";

/** Blocks prefetched after the second sequential read of a stream. */
export const INITIAL_WINDOW = 2;
/**
 * A read starting this close to where the stream's last read ended (or within its own size, or one block)
 * is sequential: the kernel's async reads may arrive slightly out of order.
 */
const SLACK_BYTES = 128 * 1024;

interface Stream {
  inode: number;
  /** Byte offset where the last read ended. */
  end: number;
  /** Block of the last read's last byte. */
  lastBlk: number;
  /** Blocks to keep ahead of the reader (0: not sequential yet). */
  window: number;
  /** First block not yet handed to the cache for prefetch. */
  ahead: number;
}

export interface PrefetchStats {
  /** Prefetch downloads started / finished with an error (ignored) since the mount. */
  started: number;
  failed: number;
  /** Prefetch downloads running now. */
  inFlight: number;
  /** Streams whose window was reset by a jump. */
  resets: number;
}

export class Prefetcher {
  private readonly streams = new Map<number, Stream>();
  private inFlight = 0;
  private readonly counts = { started: 0, failed: 0, resets: 0 };

  constructor(
    private readonly cache: Pick<BlockCache, "prefetch" | "roomForClean" | "blockSize">,
    /** Most blocks ahead of one reader. */
    readonly maxWindow: number,
    /** Most prefetch downloads in flight, all readers together. */
    readonly maxInFlight: number = maxWindow,
  ) {}

  /**
   * Called at the start of every read of handle `fh` (before it waits for its own blocks), with the
   * file's size: updates the stream and starts the downloads its window asks for.
   */
  onRead(fh: number, inode: number, offset: number, size: number, fileSize: number): void {
    if (this.maxWindow <= 0 || size <= 0) return;
    const bs = this.cache.blockSize;
    const end = Math.min(offset + size, fileSize);
    const first = Math.floor(offset / bs);
    const last = Math.floor(Math.max(offset, end - 1) / bs);
    const s = this.streams.get(fh);
    if (!s || s.inode !== inode) {
      this.streams.set(fh, { inode, end, lastBlk: last, window: 0, ahead: last + 1 });
      return;
    }
    const slack = Math.max(size, Math.min(SLACK_BYTES, bs));
    const sequential = Math.abs(offset - s.end) <= slack || (first > s.lastBlk && first <= s.ahead);
    if (!sequential) {
      if (s.window > 0) this.counts.resets++;
      s.window = 0;
      s.ahead = last + 1;
    } else if (s.window === 0) {
      s.window = Math.min(this.maxWindow, INITIAL_WINDOW);
    } else if (last > s.lastBlk) {
      s.window = Math.min(this.maxWindow, s.window * 2);
    }
    s.end = Math.max(end, sequential ? s.end : 0);
    s.lastBlk = sequential ? Math.max(s.lastBlk, last) : last;
    if (s.window > 0) this.fill(s, fileSize);
  }

  /** Starts downloads for the stream's window, from its first block not yet prefetched. */
  private fill(s: Stream, fileSize: number): void {
    const bs = this.cache.blockSize;
    const blocks = Math.ceil(fileSize / bs);
    const stop = Math.min(blocks, s.lastBlk + 1 + s.window);
    s.ahead = Math.max(s.ahead, s.lastBlk + 1);
    while (s.ahead < stop && this.inFlight < this.maxInFlight) {
      if (!this.cache.roomForClean(bs)) return;
      const p = this.cache.prefetch(s.inode, s.ahead);
      s.ahead++;
      if (!p) continue; // cached, a hole, or already downloading
      this.inFlight++;
      this.counts.started++;
      p.catch(() => this.counts.failed++).finally(() => this.inFlight--);
    }
  }

  /** The handle was closed: its stream goes. */
  forget(fh: number): void {
    this.streams.delete(fh);
  }

  stats(): PrefetchStats {
    return { ...this.counts, inFlight: this.inFlight };
  }
}
