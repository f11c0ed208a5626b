// The metadata database connection: the only module that imports bun:sqlite (pragmas, snapshots, durability).
import { Database, type Statement } from "bun:sqlite";
import { existsSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { type WalPages, readWalPages } from "./wal.ts";
import { fsyncDir, fsyncPath } from "../fsync.ts";
import { dirname } from "node:path";
import { ROOT_INODE, SCHEMA_SQL, SCHEMA_VERSION } from "./schema.ts";

export type { Statement };

/** WAL size past which a commit checkpoints by itself (normally each metadata ship checkpoints). */
const WAL_LIMIT = 64 * 1024 * 1024;

/** A typed error of the metadata layer (the vfs maps it to EIO). */
export class MetaError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "MetaError";
  }
}

/**
 * One SQLite connection on the main thread. bun:sqlite is synchronous, so a run of statements with
 * no `await` between them is atomic with respect to other FUSE requests (see docs/concurrency.md);
 * `tx()` additionally makes it atomic on disk.
 */
export class MetaDb {
  private constructor(
    readonly db: Database,
    /** Path of the database file, or null for an in-memory image. */
    readonly path: string | null,
  ) {}

  /** Opens (creating if needed) the database file with WAL, synchronous=NORMAL and a 64 MiB cache. */
  static open(path: string): MetaDb {
    const db = new Database(path, { create: true, strict: true });
    const m = new MetaDb(db, path);
    m.configure();
    return m;
  }

  /** A fresh in-memory database with the schema (mkfs builds the first snapshot with it). */
  static memory(): MetaDb {
    const m = new MetaDb(new Database(":memory:", { strict: true }), null);
    m.configure();
    return m;
  }

  /** Opens a snapshot image in memory (a private copy, for inspection and tests). */
  static fromImage(image: Uint8Array): MetaDb {
    const copy = image.slice();
    copy[18] = 1;
    copy[19] = 1;
    return new MetaDb(Database.deserialize(copy), null);
  }

  /**
   * Writes a shipped image (from `image()`) to `path` byte for byte as the database file (so later WAL
   * pages apply to exactly the image the store has), then fsyncs it and its directory. The caller drops
   * the image's dirty markers through SQL once it is open (they belong to the machine that wrote them).
   */
  static writeImage(path: string, image: Uint8Array): void {
    const tmp = `${path}.tmp`;
    writeFileSync(tmp, image);
    fsyncPath(tmp);
    for (const p of [path + "-wal", path + "-shm"]) rmSync(p, { force: true });
    renameSync(tmp, path); // no reader ever sees half a file
    fsyncDir(dirname(path));
  }

  private configure(): void {
    this.db.exec("PRAGMA journal_mode = WAL");
    this.db.exec("PRAGMA synchronous = NORMAL");
    this.db.exec("PRAGMA cache_size = -65536"); // KiB: 64 MiB
    this.db.exec("PRAGMA temp_store = MEMORY");
    // checkpoints are ours (checkpoint()/maybeCheckpoint()): between two of them the WAL holds every page
    // written, which is what a metadata log entry ships
    this.db.exec("PRAGMA wal_autocheckpoint = 0");
    this.db.exec(SCHEMA_SQL);
    const v = this.param("schema_version");
    if (v === null) this.setParam("schema_version", String(SCHEMA_VERSION));
    else if (Number(v) !== SCHEMA_VERSION) {
      throw new MetaError(`metadata schema version ${v} is not supported (this build reads ${SCHEMA_VERSION})`);
    }
  }

  /** A cached prepared statement (plain numbers). */
  q(sql: string): Statement {
    return this.db.query(sql);
  }

  /** A prepared statement returning 64-bit integers as bigint (for nanosecond timestamps). Not cached. */
  q64(sql: string): Statement {
    return this.db.prepare(sql).safeIntegers(true);
  }

  /** Called when a transaction rolls back (in-memory caches of rows drop what they may hold wrongly). */
  readonly onRollback: (() => void)[] = [];

  /** Runs fn in one SQLite transaction (BEGIN IMMEDIATE ... COMMIT); rolls back if it throws. */
  tx<T>(fn: () => T): T {
    let r: T;
    try {
      r = this.db.transaction(fn).immediate();
    } catch (e) {
      for (const f of this.onRollback) f();
      throw e;
    }
    if (++this.commitsSinceCheck >= 256) this.maybeCheckpoint();
    return r;
  }

  private commitsSinceCheck = 0;
  /** Grows at every checkpoint: a WAL read before one no longer holds every page written since. */
  checkpointEpoch = 0;

  /** Moves the WAL into the database file and empties it (TRUNCATE); the epoch grows. */
  checkpoint(): void {
    if (!this.path) return;
    this.db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
    this.checkpointEpoch++;
  }

  /** Checkpoints when the WAL passed WAL_LIMIT (no metadata ship emptied it: a long outage, or tests). */
  private maybeCheckpoint(): void {
    this.commitsSinceCheck = 0;
    if (!this.path) return;
    const wal = this.path + "-wal";
    if (existsSync(wal) && statSync(wal).size > WAL_LIMIT) this.checkpoint();
  }

  /** The pages committed since the last checkpoint (null: none), as the WAL holds them. */
  walPages(): WalPages | null {
    return this.path ? readWalPages(this.path + "-wal") : null;
  }

  /** Commits run by durableTx so far (tests check that the commits that matter use it). */
  durableCommits = 0;

  /**
   * Like tx(), but the commit is durable before it returns (synchronous=FULL fsyncs the WAL at
   * COMMIT): for commits a power loss must not roll back, such as an upload's (the block is then
   * marked clean and its cache file may be evicted). Other commits stay NORMAL: durable at the next
   * fsync/sync().
   */
  durableTx<T>(fn: () => T): T {
    this.db.exec("PRAGMA synchronous = FULL");
    try {
      const r = this.tx(fn);
      this.durableCommits++;
      return r;
    } finally {
      this.db.exec("PRAGMA synchronous = NORMAL");
    }
  }

  /** The connection's current synchronous setting (0 OFF, 1 NORMAL, 2 FULL, 3 EXTRA). */
  synchronous(): number {
    return (this.q("PRAGMA synchronous").get() as { synchronous: number }).synchronous;
  }

  /** Rows changed by this connection since it was opened (grows monotonically). */
  changes(): number {
    return (this.q("SELECT total_changes() AS n").get() as { n: number }).n;
  }

  param(key: string): string | null {
    const row = this.q("SELECT value FROM params WHERE key = ?").get(key) as { value: string } | null;
    return row ? row.value : null;
  }

  setParam(key: string, value: string): void {
    this.q("INSERT INTO params (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value").run(key, value);
  }

  /**
   * Makes every committed transaction durable: with synchronous=NORMAL commits reach the WAL file
   * without fsync, so fsync the -wal file (and the main file, which checkpoints write).
   */
  sync(): void {
    if (!this.path) return;
    for (const p of [this.path + "-wal", this.path]) if (existsSync(p)) fsyncPath(p);
    // once per connection: the -wal file is created by this session and lives until close, so its
    // name must be durable too (the main file's name is, from mkfs/restore or an earlier session)
    if (!this.dirSynced) {
      fsyncDir(dirname(this.path));
      this.dirSynced = true;
    }
  }
  private dirSynced = false;

  /**
   * A consistent image of the whole database to ship (local-only tables included: `dirty_blocks` is
   * emptied by `FsMetadata` when the image is restored; the `garbage` journal is kept so a restored
   * filesystem finishes those deletions), with the header switched from WAL to rollback mode so
   * `Database.deserialize` can open it anywhere. Consecutive images share unchanged pages byte for byte.
   */
  image(): Uint8Array {
    // Everything an image contains must be durable locally first: otherwise a machine crash could
    // leave the local database older than what the store has, and the removal queue may already have
    // deleted objects the older local block map still names.
    this.sync();
    const image = this.db.serialize();
    image[18] = 1;
    image[19] = 1;
    return image;
  }

  /** Checkpoints the WAL into the main file and closes the connection. */
  close(): void {
    try {
      this.db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
    } catch {
      // a failed checkpoint is harmless: the WAL is replayed at the next open
    }
    this.db.close();
  }
}

export { ROOT_INODE };
