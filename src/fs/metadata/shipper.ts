// MetadataShipper: ships database changes to the store every interval as a log entry, compacted into snapshots.
//
// Every tick (default 5 s) in which the database changed: take an image (the WAL is fsynced first),
// diff it page by page against the image last shipped, and put the changed pages as `meta/log-<g>`.
// A full snapshot `meta/db-<g>` replaces the log when there is no shipped image in memory (the first
// ship after an open from the local database), when the logs since the last snapshot add up to more
// than the snapshot (or 4 MiB for a small database), after `maxLogs` logs, and at close (`compact`). An idle filesystem ships nothing.
// Before each put the generation is recorded as pending in the local state file; after it, as shipped.
import type { Backend } from "../store/backend.ts";
import type { ObjectCodec } from "../blocks/object-codec.ts";
import { type LocalState, writeLocalState } from "./local-state.ts";
import { rotate, uploadLog, uploadSnapshot } from "./generations.ts";
import { diffImages, imageHash, pageSizeOf } from "./page-log.ts";

export const DEFAULT_METADATA_INTERVAL_MS = 5_000;
/** Log pages (uncompressed) a small database may accumulate before a snapshot replaces them. */
const LOG_BYTES_FLOOR = 4 * 1024 * 1024;

export interface MetadataShipperOptions {
  backend: Backend;
  codec: ObjectCodec;
  cacheDir: string;
  /** A consistent database image, durable locally (MetaDb.image). */
  image: () => Uint8Array;
  /** A counter that grows with every database change (to ship nothing when nothing changed). */
  changes: () => number;
  state: LocalState;
  /** The image of generation `state.shippedGen` when known exactly (after a download), so logs can follow it. */
  base?: { image: Uint8Array; hash: Uint8Array };
  intervalMs?: number;
  /** Snapshots kept in the store. */
  keep?: number;
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
  private base: { image: Uint8Array; hash: Uint8Array } | null;
  private logsSinceSnapshot = 0;
  private logBytesSinceSnapshot = 0;
  /** Newest generation whose image was taken (shipped or not): objects unreferenced now are not in it. */
  takenGen: number;
  /** Newest generation known to be in the store. */
  shippedGen: number;
  /** Wall-clock ms of the last successful ship, or undefined. */
  lastShipAt: number | undefined;
  /** Wall-clock ms of the first change not shipped yet, or null when everything is shipped. */
  private unshippedSince: number | null = null;
  lastShipBytes = 0;
  shippedBytes = 0;
  shippedObjects = 0;
  lastError: string | null = null;

  constructor(private readonly o: MetadataShipperOptions) {
    this.shippedGen = o.state.shippedGen;
    this.takenGen = Math.max(o.state.shippedGen, o.state.pendingGen ?? 0);
    this.base = o.base ?? null;
    // after a clean close (or a fresh download) the database equals the newest generation: nothing to ship yet
    if (o.state.clean) this.shippedChanges = o.changes();
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
    const c = this.o.changes() !== this.shippedChanges;
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
    const gen = this.shippedGen + 1;
    const changes = this.o.changes();
    const image = this.o.image();
    this.takenGen = Math.max(this.takenGen, gen);
    const hash = imageHash(image);
    const pageSize = pageSizeOf(image);
    let pages = this.base ? diffImages(this.base.image, image, pageSize) : null;
    if (pages && pages.length === 0 && !compact) {
      this.shippedChanges = changes; // row changes that left every page as it was
      this.unshippedSince = null;
      return;
    }
    const logBytes = pages ? pages.length * pageSize : Infinity;
    const snapshot = compact || !pages || this.logsSinceSnapshot >= (this.o.maxLogs ?? 120) || this.logBytesSinceSnapshot + logBytes > Math.max(image.length, LOG_BYTES_FLOOR);
    writeLocalState(this.o.cacheDir, { shippedGen: this.shippedGen, pendingGen: gen, clean: false });
    let size: number;
    try {
      size = snapshot
        ? await uploadSnapshot(this.o.backend, this.o.codec, gen, image)
        : await uploadLog(this.o.backend, this.o.codec, {
          gen, pageSize, pageCount: image.length / pageSize, prevHash: this.base!.hash, newHash: hash, pages: pages!,
        });
    } catch (e) {
      // The put may have landed anyway (a lost answer). Generation g is retried as a full snapshot: it
      // replaces whatever landed under db-g and outranks a stray log-g, so the chain stays whole.
      this.base = null;
      throw e;
    }
    this.shippedGen = gen;
    this.shippedChanges = changes;
    this.base = { image, hash };
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
    writeLocalState(this.o.cacheDir, { shippedGen: gen, pendingGen: null, clean: false });
    if (snapshot) {
      try {
        await rotate(this.o.backend, gen, this.o.keep ?? 10);
      } catch (e) {
        this.o.log(`metadata rotation failed: ${(e as Error)?.message ?? e}`);
      }
    }
    this.o.onShipped?.();
  }
}
