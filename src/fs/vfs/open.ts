// Creating a filesystem in a store, and opening one: FsMetadata prepares the metadata; this file wires the parts.
import { existsSync, mkdirSync, statfsSync } from "node:fs";
import type { Backend } from "../store/backend.ts";
import { LocalBackend } from "../store/local.ts";
import type { FsKeys } from "../crypto/keys.ts";
import { BlockMap } from "../meta/blockmap.ts";
import { EntryTable } from "../meta/entries.ts";
import { InodeTable } from "../meta/inodes.ts";
import { BlockCache } from "../blocks/cache.ts";
import { keysCodec } from "../blocks/keys-codec.ts";
import { CodecPool, defaultCodecWorkers } from "../blocks/codec-pool.ts";
import type { ObjectCodec } from "../blocks/object-codec.ts";
import { RemovalQueue } from "../blocks/removal-queue.ts";
import { UploadQueue } from "../blocks/upload-queue.ts";
import { DEFAULT_METADATA_INTERVAL_MS, FsMetadata } from "../metadata/index.ts";
import { ROOT_INODE } from "../meta/schema.ts";
import { CofferFs } from "./coffer-fs.ts";
import { type AtimePolicy, S_IFDIR, VfsCore, nowNs } from "./core.ts";

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
  /** When reads update atime (default relatime). */
  atime?: AtimePolicy;
  /** Metadata shipping interval (RPO): default 5 s. */
  metadataIntervalMs?: number;
  /** Tuning, mostly for tests. Default upload delay: half the metadata interval, at most 5 s. */
  uploadDelayMs?: number;
  removalIntervalMs?: number;
  uploadConcurrency?: number;
  keepSnapshots?: number;
  /** How long a read waits for the store before EIO (BlockCache default 30 s). */
  readTimeoutMs?: number;
  /** Interval of the "store unreachable since …" log line during an outage (default 30 s). */
  outageReportMs?: number;
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
  if (!Number.isInteger(n) || n < 0) {
    const what = opts.codecWorkers !== undefined ? `codecWorkers ${opts.codecWorkers}` : `COFFER_CODEC_WORKERS=${env}`;
    throw new Error(`${what}: the number of codec Workers must be a whole number >= 0 (0 = code on the main thread); fix or unset it`);
  }
  const level = opts.compressLevel ?? 1;
  return n === 0 ? keysCodec(opts.keys, level) : new CodecPool({ keys: opts.keys, level, workers: n, log: opts.log });
}

/** Writes the initial metadata (root dir 0755 owned by root) and the fs parameters. The caller checked no fs exists. */
export async function createFilesystemOnStore(backend: Backend, keys: FsKeys, opts: { blockSize: number }): Promise<void> {
  const bs = opts.blockSize;
  if (!Number.isInteger(bs) || bs < 4096 || bs > 64 * 1024 * 1024 || (bs & (bs - 1)) !== 0) {
    throw new Error(`block size ${bs} must be a power of two between 4 KiB and 64 MiB`);
  }
  const now = nowNs();
  await FsMetadata.create(backend, keysCodec(keys, 1), { format: 1, blockSize: bs, createdNs: String(now) }, (m) => {
    const id = new InodeTable(m).insert({
      mode: S_IFDIR | 0o755, uid: 0, gid: 0, nlink: 2, size: 0, rdev: 0, atimeNs: now, mtimeNs: now, ctimeNs: now, crtimeNs: now,
    });
    if (id !== ROOT_INODE) throw new Error(`root inode got id ${id}`);
    m.setParam("block_size", String(bs));
    m.setParam("created_ns", String(now));
  });
}

/** Bytes free for writing: data passes through the cache directory's disk, and a local:// store keeps it. */
function freeSpace(cacheDir: string, backend: Backend): number {
  const free = (dir: string) => {
    const s = statfsSync(dir);
    return s.bavail * s.bsize;
  };
  let bytes = free(cacheDir);
  if (backend instanceof LocalBackend && existsSync(backend.root)) bytes = Math.min(bytes, free(backend.root));
  return bytes;
}

export async function openCofferFs(opts: OpenCofferFsOptions): Promise<CofferFs> {
  const log = opts.log ?? (() => {});
  mkdirSync(opts.cacheDir, { recursive: true });
  const codec = openCodec(opts);
  const intervalMs = opts.metadataIntervalMs ?? DEFAULT_METADATA_INTERVAL_MS;
  let removal: RemovalQueue | null = null;
  let metadata: FsMetadata;
  try {
    metadata = await FsMetadata.open({
      backend: opts.backend, codec, cacheDir: opts.cacheDir, log, intervalMs, keepSnapshots: opts.keepSnapshots,
      onShipped: () => void removal?.run().catch(() => {}),
    });
  } catch (e) {
    codec.close?.(); // no Workers outlive a failed open
    throw e;
  }
  const db = metadata.db;
  const bs = metadata.params.blockSize;

  const inodes = new InodeTable(db);
  const entries = new EntryTable(db);
  const map = new BlockMap(db);
  const cache = new BlockCache({
    dir: opts.cacheDir, blockSize: bs, maxBytes: opts.cacheSizeBytes ?? 1024 ** 3, backend: opts.backend, codec, map, log,
    readTimeoutMs: opts.readTimeoutMs,
  });
  const recovered = cache.scan(!metadata.unclean);
  if (metadata.unclean) log(`recovery: unclean shutdown; ${recovered.dirtyBlocks} dirty blocks to upload, ${recovered.lostBlocks} lost`);

  // a block is uploaded before the metadata tick after next at the latest: data written ≥ 2 intervals ago is in the store
  const uploads = new UploadQueue({
    cache, map, backend: opts.backend, codec, tx: (fn) => db.durableTx(fn), snapshotSeq: () => metadata.takenGen,
    delayMs: opts.uploadDelayMs ?? Math.min(5000, intervalMs / 2), concurrency: opts.uploadConcurrency, log,
    outageReportMs: opts.outageReportMs,
  });
  removal = new RemovalQueue({
    map, backend: opts.backend, tx: (fn) => db.tx(fn), oldestRestorableGen: () => metadata.oldestRestorableGen,
    busy: uploads.uploadingObjects, intervalMs: opts.removalIntervalMs, log,
  });
  const core = new VfsCore(db, inodes, entries, map, cache, bs, () => metadata.takenGen, log, opts.atime);
  core.freeBytes = () => freeSpace(opts.cacheDir, opts.backend);
  // no kernel references survive a restart: names-less inodes of the previous session go now
  for (const id of inodes.orphans()) core.purge(id);
  const fs = new CofferFs({ core, db, uploads, removal, metadata, codec });
  fs.start();
  return fs;
}
