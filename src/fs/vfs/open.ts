// Creating a filesystem in a store, and opening one: choose local or store metadata, recover the cache, wire the parts.
import { existsSync, mkdirSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { Backend } from "../store/backend.ts";
import type { FsKeys } from "../crypto/keys.ts";
import { MetaDb } from "../meta/db.ts";
import { BlockMap } from "../meta/blockmap.ts";
import { EntryTable } from "../meta/entries.ts";
import { InodeTable } from "../meta/inodes.ts";
import { BlockCache } from "../blocks/cache.ts";
import { keysCodec } from "../blocks/keys-codec.ts";
import { CodecPool, defaultCodecWorkers } from "../blocks/codec-pool.ts";
import type { ObjectCodec } from "../blocks/object-codec.ts";
import {
  type LocalState, MetadataRollbackError, MetadataSync, downloadSnapshot, listSnapshots, readLocalState, readParams,
  uploadSnapshot, writeLocalState, writeParams,
} from "../blocks/meta-sync.ts";
import { RemovalQueue } from "../blocks/removal-queue.ts";
import { UploadQueue } from "../blocks/upload-queue.ts";
import { ROOT_INODE } from "../meta/schema.ts";
import { CofferFs } from "./coffer-fs.ts";
import { S_IFDIR, VfsCore, nowNs } from "./core.ts";

export const DEFAULT_BLOCK_SIZE = 4 * 1024 * 1024;

export interface OpenCofferFsOptions {
  backend: Backend;
  keys: FsKeys;
  /** Per-filesystem cache directory, created if missing. */
  cacheDir: string;
  cacheSizeBytes?: number;
  /** zstd level; 0 or null = no compression. Default 1. */
  compressLevel?: number | null;
  log?: (line: string) => void;
  /** Tuning, mostly for tests. */
  uploadDelayMs?: number;
  metadataIntervalMs?: number;
  removalIntervalMs?: number;
  uploadConcurrency?: number;
  keepSnapshots?: number;
  /**
   * Workers that hash, compress, encrypt and decode blocks off the main thread; default the machine's
   * cores (or COFFER_CODEC_WORKERS); 0 runs the codec inline on the main thread.
   */
  codecWorkers?: number;
}

/** The codec of an open filesystem: a Worker pool unless asked for none. */
function openCodec(opts: OpenCofferFsOptions): ObjectCodec {
  const env = process.env.COFFER_CODEC_WORKERS;
  const n = opts.codecWorkers ?? (env !== undefined && env !== "" ? Number(env) : defaultCodecWorkers());
  if (!Number.isInteger(n) || n < 0) throw new Error(`codec workers must be a whole number >= 0, got ${env ?? n} (COFFER_CODEC_WORKERS)`);
  const level = opts.compressLevel ?? 1;
  return n === 0 ? keysCodec(opts.keys, level) : new CodecPool({ keys: opts.keys, level, workers: n, log: opts.log });
}

/** Writes the initial metadata (root dir 0755 owned by root) and the fs parameters. The caller checked no fs exists. */
export async function createFilesystemOnStore(backend: Backend, keys: FsKeys, opts: { blockSize: number }): Promise<void> {
  const bs = opts.blockSize;
  if (!Number.isInteger(bs) || bs < 4096 || bs > 64 * 1024 * 1024 || (bs & (bs - 1)) !== 0) {
    throw new Error(`block size ${bs} must be a power of two between 4 KiB and 64 MiB`);
  }
  const codec = keysCodec(keys, 1);
  const m = MetaDb.memory();
  try {
    const now = nowNs();
    const inodes = new InodeTable(m);
    const id = inodes.insert({
      mode: S_IFDIR | 0o755, uid: 0, gid: 0, nlink: 2, size: 0, rdev: 0, atimeNs: now, mtimeNs: now, ctimeNs: now, crtimeNs: now,
    });
    if (id !== ROOT_INODE) throw new Error(`root inode got id ${id}`);
    m.setParam("block_size", String(bs));
    m.setParam("created_ns", String(now));
    await writeParams(backend, codec, { format: 1, blockSize: bs, createdNs: String(now) });
    await uploadSnapshot(backend, codec, 1, m.snapshot());
  } finally {
    m.close();
  }
}

/**
 * Decides which metadata to use: the local database when it is at least as new as the store's newest
 * snapshot (it may hold changes not uploaded yet), else the store's snapshot. A store older than what
 * this cache already uploaded is a rollback and refuses to open.
 */
async function prepareMetadata(backend: Backend, codec: ObjectCodec, cacheDir: string, log: (l: string) => void): Promise<LocalState> {
  const dbPath = join(cacheDir, "metadata.db");
  const seqs = await listSnapshots(backend);
  const storeSeq = seqs.length ? seqs[seqs.length - 1] : null;
  const state = readLocalState(cacheDir);
  if (existsSync(dbPath) && state) {
    const mine = Math.max(state.uploadedSeq, state.pendingSeq ?? 0);
    if (storeSeq === null || storeSeq < state.uploadedSeq) throw new MetadataRollbackError(state.uploadedSeq, storeSeq);
    if (storeSeq <= mine) return { ...state, uploadedSeq: storeSeq };
    log(`metadata: the store has snapshot ${storeSeq}, newer than this cache's ${mine}: using the store's`);
    const aside = `${dbPath}.stale-${Date.now()}`;
    renameSync(dbPath, aside);
    for (const ext of ["-wal", "-shm"]) if (existsSync(dbPath + ext)) renameSync(dbPath + ext, aside + ext);
  }
  if (storeSeq === null) throw new Error(`no metadata snapshot in ${backend.description}: not a Coffer filesystem, or mkfs did not finish`);
  const image = await downloadSnapshot(backend, codec, storeSeq);
  for (const ext of ["", "-wal", "-shm"]) rmSync(dbPath + ext, { force: true });
  rmSync(join(cacheDir, "blocks"), { recursive: true, force: true });
  MetaDb.writeImage(dbPath, image);
  const fresh = { uploadedSeq: storeSeq, pendingSeq: null, clean: true };
  writeLocalState(cacheDir, fresh);
  return fresh;
}

export async function openCofferFs(opts: OpenCofferFsOptions): Promise<CofferFs> {
  const log = opts.log ?? (() => {});
  mkdirSync(opts.cacheDir, { recursive: true });
  const codec = openCodec(opts);
  let db: MetaDb;
  let state: LocalState;
  try {
    const params = await readParams(opts.backend, codec);
    state = await prepareMetadata(opts.backend, codec, opts.cacheDir, log);
    db = MetaDb.open(join(opts.cacheDir, "metadata.db"));
    const bs = Number(db.param("block_size"));
    if (bs !== params.blockSize) {
      db.close();
      throw new Error(`metadata block size ${bs} does not match the filesystem's ${params.blockSize}`);
    }
  } catch (e) {
    codec.close?.(); // no Workers outlive a failed open
    throw e;
  }
  const bs = Number(db.param("block_size"));
  writeLocalState(opts.cacheDir, { ...state, clean: false });

  const inodes = new InodeTable(db);
  const entries = new EntryTable(db);
  const map = new BlockMap(db);
  const cache = new BlockCache({
    dir: opts.cacheDir, blockSize: bs, maxBytes: opts.cacheSizeBytes ?? 1024 ** 3, backend: opts.backend, codec, map, log,
  });
  const recovered = cache.scan(state.clean);
  if (!state.clean) log(`recovery: unclean shutdown; ${recovered.dirtyBlocks} dirty blocks to upload, ${recovered.lostBlocks} lost`);

  let removal: RemovalQueue | null = null;
  const metaSync = new MetadataSync({
    backend: opts.backend, codec, cacheDir: opts.cacheDir, state,
    snapshot: () => db.snapshot(), changes: () => db.changes(),
    intervalMs: opts.metadataIntervalMs, keep: opts.keepSnapshots, log,
    onUploaded: () => void removal?.run().catch(() => {}),
  });
  const uploads = new UploadQueue({
    cache, map, backend: opts.backend, codec, tx: (fn) => db.tx(fn), snapshotSeq: () => metaSync.snapshotSeq,
    delayMs: opts.uploadDelayMs, concurrency: opts.uploadConcurrency, log,
  });
  removal = new RemovalQueue({
    map, backend: opts.backend, tx: (fn) => db.tx(fn), uploadedSeq: () => metaSync.uploadedSeq,
    busy: uploads.uploadingObjects, intervalMs: opts.removalIntervalMs, log,
  });
  const core = new VfsCore(db, inodes, entries, map, cache, bs, () => metaSync.snapshotSeq, log);
  // no kernel references survive a restart: names-less inodes of the previous session go now
  for (const id of inodes.orphans()) core.purge(id);
  const fs = new CofferFs({ core, db, uploads, removal, metaSync, cacheDir: opts.cacheDir, codec });
  fs.start();
  return fs;
}
