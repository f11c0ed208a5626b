// UploadQueue: moves dirty cache blocks into the store (dedup by content id) and commits them to the block map.
//
// A block is uploaded after it has been dirty for `delayMs`, or at once by flush(). The commit after
// the put is one synchronous run: mark the object stored, and only if the block's generation is
// unchanged point the block map at it and mark the block clean (otherwise the block stays dirty and is
// uploaded again; the object just stored is unused and goes to the removal queue). A failed put leaves
// the block dirty in the cache; it is retried on the next round, and by flush() for as long as it takes
// (a transient outage never loses data or fails a flush; OutageLog says what is going on).
import type { Backend } from "../store/backend.ts";
import type { BlockMap } from "../meta/blockmap.ts";
import { dataObjectKey } from "../store/object-names.ts";
import { type BlockCache, monoNow } from "./cache.ts";
import { OutageLog } from "./outage-log.ts";
import type { ObjectCodec } from "./object-codec.ts";

export interface UploadQueueOptions {
  cache: BlockCache;
  map: BlockMap;
  backend: Backend;
  codec: ObjectCodec;
  /** Runs fn in one database transaction. */
  tx: <T>(fn: () => T) => T;
  /** The newest metadata generation taken, log or snapshot (see BlockMap.set). */
  snapshotSeq: () => number;
  delayMs?: number;
  concurrency?: number;
  log: (line: string) => void;
  /** Interval of the "store unreachable since …" line during an outage (default 30 s). */
  outageReportMs?: number;
}

export interface UploadProgress {
  dirtyBytes: number;
  uploadedBytes: number;
}

export class UploadQueue {
  private timer: ReturnType<typeof setInterval> | null = null;
  private readonly inFlight = new Map<string, Promise<void>>();
  /** Content ids being uploaded right now -> the upload, so equal blocks wait and then share it. */
  private readonly byHash = new Map<string, Promise<void>>();
  /** Object ids whose put is in progress: the removal queue must not touch them. */
  readonly uploadingObjects = new Set<number>();
  private readonly delayMs: number;
  private readonly concurrency: number;
  private failedAt = new Map<string, number>();
  uploadedBytes = 0;
  errors = 0;
  successes = 0;
  lastError: string | null = null;
  readonly outage: OutageLog;

  constructor(private readonly o: UploadQueueOptions) {
    this.delayMs = o.delayMs ?? 5000;
    this.concurrency = o.concurrency ?? 4;
    this.outage = new OutageLog(o.backend, o.log, o.outageReportMs);
    // a writer waiting for room in a full cache: upload everything dirty now, due or not
    o.cache.onFull = () => this.pump(true);
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      this.pump(false);
      if (this.inFlight.size > 0) this.outage.report(() => this.o.cache.stats().dirtyBytes);
    }, Math.min(1000, Math.max(50, this.delayMs / 2)));
  }

  /** Stops the timer and waits for uploads in flight (dirty blocks stay dirty in the cache). */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await Promise.allSettled([...this.inFlight.values()]);
  }

  /** Starts uploads of due blocks (all dirty blocks when `all`), up to the concurrency limit. */
  pump(all: boolean): void {
    const now = monoNow();
    const wall = Date.now();
    // walked in place (no copy, no sort), oldest dirty first, stopping at the first block not yet due:
    // this runs after every upload completes, and with thousands of small dirty blocks a sorted copy
    // (or a full walk) per completion was quadratic.
    const started: { key: string; inode: number; blkno: number }[] = [];
    for (const [key, d] of this.o.cache.dirtyEntries()) {
      if (this.inFlight.size + started.length >= this.concurrency) break;
      if (this.inFlight.has(key)) continue;
      if (!all && now - d.since < this.delayMs) break;
      const failed = this.failedAt.get(key);
      if (!all && failed !== undefined && wall - failed < 2000) continue;
      started.push({ key, inode: d.inode, blkno: d.blkno });
    }
    // started after the walk: an upload's synchronous part may mark blocks clean (deleting from the map)
    for (const b of started) {
      const p = this.uploadOne(b.key, b.inode, b.blkno)
        .then(() => {
          this.failedAt.delete(b.key);
          this.successes++;
          this.outage.success();
        })
        .catch((e) => {
          this.errors++;
          this.failedAt.set(b.key, Date.now());
          this.lastError = `${(e as Error)?.message ?? e}`;
          this.outage.failure(`upload of a block failed (kept dirty, will retry): ${this.lastError}`);
        })
        .finally(() => {
          this.inFlight.delete(b.key);
          if (this.timer) this.pump(false);
        });
      this.inFlight.set(b.key, p);
    }
  }

  /**
   * Uploads every dirty block, including blocks dirtied while this runs, until none is left. Failed
   * uploads are retried with backoff (up to 30 s) for as long as it takes: a flush or an unmount during
   * an outage waits for the store and says so now and then, it never gives up and drops data.
   */
  async flush(progress?: (p: UploadProgress) => void): Promise<void> {
    const start = this.uploadedBytes;
    let streak = 0;
    // stats() walks every dirty block: report at most every 100 ms, so a flush of many blocks stays linear.
    let reported = 0;
    const report = () => {
      if (!progress || Date.now() - reported < 100) return;
      reported = Date.now();
      progress({ dirtyBytes: this.o.cache.stats().dirtyBytes, uploadedBytes: this.uploadedBytes - start });
    };
    let wake: Promise<void> | null = null; // one shared 1 s tick, not a timer per loop
    for (;;) {
      report();
      if (this.o.cache.dirtyCount() === 0 && this.inFlight.size === 0) return;
      const errors = this.errors;
      const successes = this.successes;
      this.pump(true);
      if (this.inFlight.size === 0) {
        await Bun.sleep(5);
        continue;
      }
      // wakes at least every second while uploads hang in the retry layer, to tell about an outage
      wake ??= Bun.sleep(1000).then(() => {
        wake = null;
      });
      await Promise.race([...this.inFlight.values(), wake]);
      this.outage.report(() => this.o.cache.stats().dirtyBytes);
      if (this.successes > successes) streak = 0;
      if (this.errors > errors) {
        streak += this.errors - errors;
        await Bun.sleep(Math.min(30_000, 50 * 2 ** Math.min(streak, 10)));
      }
    }
  }

  /** Uploads running right now. */
  get inFlightCount(): number {
    return this.inFlight.size;
  }

  private async uploadOne(key: string, inode: number, blkno: number): Promise<void> {
    for (;;) {
      const taken = this.o.cache.takeForUpload(key);
      if (!taken) return;
      const { content, gen } = taken;
      if (content.length === 0) {
        // all zeros: the block becomes a hole, no object needed
        this.o.tx(() => {
          if (this.o.cache.markClean(key, gen)) this.o.map.set(inode, blkno, null, this.o.snapshotSeq());
        });
        return;
      }
      // may run in a Worker: the lookup below comes after the await, in the same synchronous run as its use
      const hash = await this.o.codec.contentId(content);
      const existing = this.o.map.findStored(hash);
      if (existing) {
        this.o.tx(() => {
          if (this.o.cache.markClean(key, gen)) this.o.map.set(inode, blkno, existing.id, this.o.snapshotSeq());
        });
        return;
      }
      const same = this.byHash.get(hash);
      if (same) {
        await same.catch(() => {});
        continue; // now it is probably stored: take the block again and dedup against it
      }
      const up = this.put(key, inode, blkno, hash, content, gen);
      this.byHash.set(hash, up);
      try {
        await up;
      } finally {
        this.byHash.delete(hash);
      }
      return;
    }
  }

  private async put(key: string, inode: number, blkno: number, hash: string, content: Uint8Array, gen: number): Promise<void> {
    const size = content.length;
    const id = this.o.map.insertPending(hash, size, this.o.snapshotSeq());
    this.uploadingObjects.add(id);
    try {
      const name = dataObjectKey(id, hash);
      const sealed = await this.o.codec.encode("data", name, content);
      await this.o.backend.put(name, sealed);
      this.uploadedBytes += size;
      this.o.tx(() => {
        this.o.map.markStored(id, sealed.length);
        if (this.o.cache.markClean(key, gen)) this.o.map.set(inode, blkno, id, this.o.snapshotSeq());
      });
    } finally {
      this.uploadingObjects.delete(id);
    }
  }
}
