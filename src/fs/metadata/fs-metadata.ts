// FsMetadata: the one owner of the metadata's life — create at mkfs, open (local copy or store), ship, close.
import type { Backend } from "../store/backend.ts";
import type { ObjectCodec } from "../blocks/object-codec.ts";
import { MetaDb } from "../meta/db.ts";
import { type FsParams, readParams, writeParams } from "./params.ts";
import { writeLocalState } from "./local-state.ts";
import { uploadSnapshot } from "./generations.ts";
import { metadataPath, prepareLocalCopy } from "./local-copy.ts";
import { MetadataShipper } from "./shipper.ts";

export interface OpenMetadataOptions {
  backend: Backend;
  codec: ObjectCodec;
  cacheDir: string;
  log: (line: string) => void;
  intervalMs?: number;
  keepSnapshots?: number;
  /** Called after each successful ship (the removal queue runs then). */
  onShipped?: () => void;
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

  /** Reads the parameters, prepares the local copy, opens it and marks the cache in use (not clean). */
  static async open(o: OpenMetadataOptions): Promise<FsMetadata> {
    const params = await readParams(o.backend, o.codec);
    const { state, baseChain, oldestRestorable } = await prepareLocalCopy(o.backend, o.codec, o.cacheDir, o.log);
    const db = MetaDb.open(metadataPath(o.cacheDir));
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
