// FsMetadata: the one owner of the metadata's life — create at mkfs, open (local copy or store), ship, close.
import type { Backend } from "../store/backend.ts";
import type { ObjectCodec } from "../blocks/object-codec.ts";
import { MetaDb } from "../meta/db.ts";
import { type FsParams, readParams, writeParams } from "./params.ts";
import { writeLocalState } from "./local-state.ts";
import { uploadSnapshot } from "./generations.ts";
import { type LocalCopyPlan, applyLocalCopy, metadataPath, planLocalCopy } from "./local-copy.ts";
import { MetadataShipper } from "./shipper.ts";
import { markPhase } from "../../phase-trace.ts";

export interface OpenMetadataOptions {
  backend: Backend;
  codec: ObjectCodec;
  cacheDir: string;
  log: (line: string) => void;
  intervalMs?: number;
  keepSnapshots?: number;
  /** Called after each successful ship (the removal queue runs then). */
  onShipped?: () => void;
  /** What FsMetadata.prefetch read while the mount lock was being taken (else it is read now). */
  prefetched?: MetadataPrefetch;
}

/** The reading half of an open, done before the caller may write to the cache directory. */
export interface MetadataPrefetch {
  params: FsParams;
  plan: LocalCopyPlan;
}

export class FsMetadata {
  private constructor(
    readonly db: MetaDb,
    readonly params: FsParams,
    readonly shipper: MetadataShipper,
    /** The last session did not close cleanly: the cache needs recovery. */
    readonly unclean: boolean,
    private readonly cacheDir: string,
  ) {}

  /**
   * mkfs: writes the parameters and generation 1, a snapshot of the database `fill` builds in memory.
   * The caller checked no filesystem exists.
   */
  static async create(backend: Backend, codec: ObjectCodec, params: FsParams, fill: (db: MetaDb) => void): Promise<void> {
    const m = MetaDb.memory();
    try {
      fill(m);
      await writeParams(backend, codec, params);
      await uploadSnapshot(backend, codec, 1, m.image());
    } finally {
      m.close();
    }
  }

  /**
   * Reads the parameters and decides (and downloads, into memory) the local copy, writing nothing: a mount
   * runs this while its lock's write-then-verify waits, then passes the result to `open`.
   */
  static async prefetch(backend: Backend, codec: ObjectCodec, cacheDir: string): Promise<MetadataPrefetch> {
    const params = await readParams(backend, codec);
    markPhase("metadata: params read");
    return { params, plan: await planLocalCopy(backend, codec, cacheDir) };
  }

  /** Reads the parameters, prepares the local copy, opens it and marks the cache in use (not clean). */
  static async open(o: OpenMetadataOptions): Promise<FsMetadata> {
    const { params, plan } = o.prefetched ?? (await FsMetadata.prefetch(o.backend, o.codec, o.cacheDir));
    const { state, baseChain, oldestRestorable } = applyLocalCopy(o.cacheDir, plan, o.log);
    markPhase("metadata: local copy ready");
    const db = MetaDb.open(metadataPath(o.cacheDir));
    markPhase("metadata: database opened");
    // a downloaded image's dirty markers name cache files of the machine that shipped it; dropped through
    // SQL (into the WAL, so the next log entry carries it) to keep the file equal to the store's image
    if (baseChain) db.q("DELETE FROM dirty_blocks").run();
    const bs = Number(db.param("block_size"));
    if (bs !== params.blockSize) {
      db.close();
      throw new Error(`metadata block size ${bs} does not match the filesystem's ${params.blockSize}`);
    }
    writeLocalState(o.cacheDir, { ...state, clean: false });
    const shipper = new MetadataShipper({
      backend: o.backend, codec: o.codec, cacheDir: o.cacheDir, state, baseChain, db,
      intervalMs: o.intervalMs, keep: o.keepSnapshots, oldestRestorable, log: o.log, onShipped: o.onShipped,
    });
    return new FsMetadata(db, params, shipper, !state.clean, o.cacheDir);
  }

  /** Newest generation whose image was taken (objects unreferenced from now on are not in it). */
  get takenGen(): number {
    return this.shipper.takenGen;
  }

  /** Newest generation in the store. */
  get shippedGen(): number {
    return this.shipper.shippedGen;
  }

  /** Oldest generation still restorable from the store: data it names must stay (the removal queue waits for it). */
  get oldestRestorableGen(): number {
    return this.shipper.oldestRestorableGen;
  }

  /**
   * Ships what changed (a log entry, or a snapshot when due); nothing when idle. `compact` (at close)
   * ships a full snapshot when anything changed or logs follow the newest snapshot.
   */
  async flush(compact = false): Promise<void> {
    if (this.shipper.changed || (compact && this.shipper.hasLogs)) await this.shipper.ship(compact);
  }

  /** Stops shipping, closes the database and marks the cache clean (flush(true) first to ship everything). */
  async close(): Promise<void> {
    await this.shipper.stop();
    this.db.close();
    writeLocalState(this.cacheDir, { shippedGen: this.shipper.shippedGen, pendingGen: null, clean: true });
  }
}
