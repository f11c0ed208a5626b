// MetadataShipper: ships database changes to the store every interval as a log entry, compacted into snapshots.
//
// Every tick (default 5 s) in which the database changed: fsync the WAL, read the pages committed to it
// since the last ship (MetaDb checkpoints only when asked, so the WAL holds exactly those), checkpoint,
// and put them as `meta/log-<g>`: O(changes), no copy of the database. A full snapshot `meta/db-<g>`
// (the serialized database) is put instead when there is no shipped base to follow (the first ship after
// an open from the local database, after a failed put, after a checkpoint the shipper did not make),
// when the logs since the last snapshot add up to more than the database (or 4 MiB for a small one),
// after `maxLogs` logs, and at close (`compact`). An idle filesystem ships nothing.
// Before each put the generation is recorded as pending in the local state file; after it, as shipped.
import type { Backend } from "../store/backend.ts";
import type { ObjectCodec } from "../blocks/object-codec.ts";
import { type LocalState, writeLocalState } from "./local-state.ts";
import type { MetaDb } from "../meta/db.ts";
import { rotate } from "./generations.ts";
import { logKey, snapshotKey } from "../store/object-names.ts";
import { encodePageLog, imageHash, pageSizeOf } from "./page-log.ts";

export const DEFAULT_METADATA_INTERVAL_MS = 5_000;
/** Log pages (uncompressed) a small database may accumulate before a snapshot replaces them. */
const LOG_BYTES_FLOOR = 4 * 1024 * 1024;

export interface MetadataShipperOptions {
  backend: Backend;
  codec: ObjectCodec;
  cacheDir: string;
  db: MetaDb;
  state: LocalState;
  /**
   * The chain value of generation `state.shippedGen` when the database file is exactly its image (just
   * downloaded, WAL empty), so the first ship can already be a log.
   */
  baseChain?: Uint8Array;
  intervalMs?: number;
  /** Snapshots kept in the store. */
  keep?: number;
  /** The oldest generation restorable from the store when opened (its oldest snapshot). */
  oldestRestorable?: number;
  /** Logs after which a snapshot is shipped instead. */
  maxLogs?: number;
  log: (line: string) => void;
  /** Called after each successful ship (the removal queue runs then). */
  onShipped?: () => void;
}

export class MetadataShipper {
  private timer: ReturnType<typeof setInterval> | null = null;
  private running: Promise<void> | null = null;
  private shippedChanges = -1;
  private again = false;
  /** What the next log follows: the chain value of the shipped generation, and the checkpoint epoch after it. */
  private base: { chain: Uint8Array; epoch: number } | null;
  private logsSinceSnapshot = 0;
  private logBytesSinceSnapshot = 0;
  /** Newest generation whose image was taken (shipped or not): objects unreferenced now are not in it. */
  takenGen: number;
  /** Newest generation known to be in the store. */
  shippedGen: number;
  /**
   * Oldest generation that can still be restored (the oldest snapshot kept in the store; logs replay only
   * on top of the newest one). Raised after each rotation; a failed rotation leaves it lower (conservative).
   */
  oldestRestorableGen: number;
  /** Wall-clock ms of the last successful ship, or undefined. */
  lastShipAt: number | undefined;
  /** Wall-clock ms of the first change not shipped yet, or null when everything is shipped. */
  private unshippedSince: number | null = null;
  lastShipBytes = 0;
  shippedBytes = 0;
  shippedObjects = 0;
  lastError: string | null = null;
  /** Main-thread milliseconds spent in ships (fsyncs, WAL read, encoding, checkpoint): the cost to the workload. */
  mainThreadMs = 0;

  constructor(private readonly o: MetadataShipperOptions) {
    this.shippedGen = o.state.shippedGen;
    this.oldestRestorableGen = o.oldestRestorable ?? 0;
    this.takenGen = Math.max(o.state.shippedGen, o.state.pendingGen ?? 0);
    this.base = o.baseChain ? { chain: o.baseChain, epoch: o.db.checkpointEpoch } : null;
    // after a clean close (or a fresh download) the database equals the newest generation: nothing to ship yet
    if (o.state.clean) this.shippedChanges = o.db.changes();
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.tick(), this.o.intervalMs ?? DEFAULT_METADATA_INTERVAL_MS);
  }

  /**
   * A tick while a ship still runs does not queue another one (they would run back to back later) but
   * asks for one right after it, so a slow put delays the next ship by its own length, not by a whole interval.
   */
  private tick(): void {
    if (!this.timer) return; // stopped (a deferred tick may fire after stop())
    if (this.running) {
      this.again = true;
      return;
    }
    if (!this.changed) return;
    this.ship().catch((e) => {
      this.lastError = `${(e as Error)?.message ?? e}`;
      this.o.log(`metadata shipping failed (will retry): ${this.lastError}`);
    });
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running?.catch(() => {});
  }

  /** True when the database changed since the last shipped generation. */
  get changed(): boolean {
    const c = this.o.db.changes() !== this.shippedChanges;
    if (c && this.unshippedSince === null) this.unshippedSince = Date.now();
    return c;
  }

  /** Milliseconds the oldest unshipped change has waited (0 when everything is shipped). */
  lagMs(): number {
    return this.changed && this.unshippedSince !== null ? Date.now() - this.unshippedSince : 0;
  }

  /** True when logs were shipped after the newest snapshot (a close compacts them). */
  get hasLogs(): boolean {
    return this.logsSinceSnapshot > 0;
  }

  /**
   * Ships the changes now (waits for a ship in progress first, then takes a fresh image). `compact`
   * ships a full snapshot even when a log would do.
   */
  async ship(compact = false): Promise<void> {
    while (this.running) await this.running.catch(() => {});
    this.running = this.doShip(compact).finally(() => {
      this.running = null;
      if (this.again && this.timer) {
        this.again = false;
        setTimeout(() => this.tick(), 0);
      }
    });
    return this.running;
  }

  private async doShip(compact: boolean): Promise<void> {
    const db = this.o.db;
    const t0 = performance.now();
    const gen = this.shippedGen + 1;
    const changes = db.changes();
    db.sync(); // what is shipped is durable locally first (never newer in the store than on this disk)
    // From here to the checkpoint below nothing awaits: no commit can slip between the read and the checkpoint.
    const base = this.base && this.base.epoch === db.checkpointEpoch && !compact && this.logsSinceSnapshot < (this.o.maxLogs ?? 120) ? this.base : null;
    const wal = base ? db.walPages() : null;
    if (base && !wal) {
      this.shippedChanges = changes; // row changes that wrote no page (or nothing at all)
      this.unshippedSince = null;
      this.mainThreadMs += performance.now() - t0;
      return;
    }
    let payload: Uint8Array;
    let chain: Uint8Array;
    let logBytes = 0;
    let snapshot = !wal;
    if (wal) {
      logBytes = wal.pages.size * wal.pageSize;
      if (this.logBytesSinceSnapshot + logBytes > Math.max(wal.pageCount * wal.pageSize, LOG_BYTES_FLOOR)) snapshot = true;
    }
    if (wal && !snapshot) {
      const pages = [...wal.pages].sort((x, y) => x[0] - y[0]).map(([pgno, data]) => ({ pgno, data }));
      if (pages[0]?.pgno === 0) {
        // page 1 as a shipped image has it: rollback mode in the header (bytes 18-19), as image() does
        const first = pages[0].data.slice();
        first[18] = 1;
        first[19] = 1;
        pages[0] = { pgno: 0, data: first };
      }
      ({ bytes: payload, newChain: chain } = encodePageLog({ gen, pageSize: wal.pageSize, pageCount: wal.pageCount, prevChain: base!.chain, pages }));
    } else {
      payload = db.image();
      chain = imageHash(payload);
      logBytes = 0;
    }
    db.checkpoint(); // the next WAL starts after this generation
    this.takenGen = Math.max(this.takenGen, gen);
    this.base = null; // until the put is known to have landed
    writeLocalState(this.o.cacheDir, { shippedGen: this.shippedGen, pendingGen: gen, clean: false });
    // sealing (zstd + AES-GCM): the inline codec does it inside the encode() call (counted), the codec
    // Worker pool while we await (not this thread's time); the put is I/O
    const key = snapshot ? snapshotKey(gen) : logKey(gen);
    const sealing = this.o.codec.encode("meta", key, payload, gen);
    this.mainThreadMs += performance.now() - t0;
    const sealed = await sealing;
    // A failed put may have landed anyway (a lost answer): with no base, generation g is retried as a full
    // snapshot, which replaces whatever landed under db-g and outranks a stray log-g.
    await this.o.backend.put(key, sealed);
    const size = sealed.length;
    this.base = { chain, epoch: db.checkpointEpoch };
    this.shippedGen = gen;
    this.shippedChanges = changes;
    this.lastShipAt = Date.now();
    this.unshippedSince = null;
    this.lastShipBytes = size;
    this.shippedBytes += size;
    this.shippedObjects++;
    this.lastError = null;
    if (snapshot) {
      this.logsSinceSnapshot = 0;
      this.logBytesSinceSnapshot = 0;
    } else {
      this.logsSinceSnapshot++;
      this.logBytesSinceSnapshot += logBytes;
    }
    const t1 = performance.now();
    writeLocalState(this.o.cacheDir, { shippedGen: gen, pendingGen: null, clean: false });
    this.mainThreadMs += performance.now() - t1;
    if (snapshot) {
      try {
        this.oldestRestorableGen = Math.max(this.oldestRestorableGen, await rotate(this.o.backend, gen, this.o.keep ?? 10));
      } catch (e) {
        this.o.log(`metadata rotation failed: ${(e as Error)?.message ?? e}`);
      }
    }
    this.o.onShipped?.();
  }
}
