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
import { Prefetcher } from "../blocks/prefetch.ts";
import { DEFAULT_METADATA_INTERVAL_MS, FsMetadata, type MetadataPrefetch } from "../metadata/index.ts";
import { ROOT_INODE } from "../meta/schema.ts";
import { CofferFs } from "./coffer-fs.ts";
import { markPhase } from "../../phase-trace.ts";
import { type AtimePolicy, S_IFDIR, VfsCore, nowNs } from "./core.ts";

export const DEFAULT_BLOCK_SIZE = 4 * 1024 * 1024;

export interface OpenCofferFsOptions {
  backend: Backend;
  keys: FsKeys;
  /** Per-filesystem cache directory, created if missing. */
  cacheDir: string;
  cacheSizeBytes?: number;
  /** Cap on cached blocks (S3QL's --max-cache-entries); default one per 4 KiB of the cache size. */
  maxCacheEntries?: number;
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
  /** Puts in flight at once (default: half the store's connection limit, at least 4). */
  uploadConcurrency?: number;
  /**
   * Most blocks downloaded ahead of one sequential reader (default 4, at most half the store's connection
   * limit and an eighth of the cache; or COFFER_READAHEAD_BLOCKS); 0 turns readahead off.
   */
  readaheadBlocks?: number;
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
  /** The metadata read while the mount lock was taken (FsMetadata.prefetch with these keys and cacheDir). */
  prefetchedMetadata?: MetadataPrefetch;
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

const DEFAULT_CACHE_BYTES = 1024 ** 3;
/**
 * Default most blocks ahead of one reader. Each download in flight costs the daemon ~40 MB of peak RSS
 * (GET body, shared-memory copy for the codec Worker, decoded block, garbage not yet collected: measured
 * 234 / 378 / 557 MB VmHWM for 0 / 4 / 8 through a mount, bench/RESULTS.md), so 4 (16 MiB ahead with
 * 4 MiB blocks), not the 8 the connection limit would allow.
 */
const MAX_DEFAULT_READAHEAD = 4;

/** The store's limit on operations in flight (the LimitBackend around it), or 8 for a backend without one. */
function storeConnections(backend: Backend): number {
  const n = (backend as Partial<{ maxConcurrent: number }>).maxConcurrent;
  return typeof n === "number" && n >= 1 ? n : 8;
}

/** COFFER_READAHEAD_BLOCKS (for A/B runs of the benchmarks), or undefined when unset. */
function readaheadBlocksFromEnv(): number | undefined {
  const env = process.env.COFFER_READAHEAD_BLOCKS;
  if (env === undefined || env === "") return undefined;
  const n = Number(env);
  if (!Number.isInteger(n) || n < 0) {
    throw new Error(`COFFER_READAHEAD_BLOCKS=${env}: readahead takes a whole number of blocks >= 0 (0 = off); fix or unset it`);
  }
  return n;
}

/** Blocks the codec works on at once: its Workers, or 1 inline (encode-ahead depth for the upload queue). */
const codecLanes = (codec: ObjectCodec): number => (codec instanceof CodecPool ? codec.size : 1);

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

/**
 * The reading half of opening (parameters, the generation listing, a download into memory), with an inline
 * codec: it writes nothing, so a mount runs it while its lock's write-then-verify waits.
 */
export function prefetchMetadata(backend: Backend, keys: FsKeys, cacheDir: string): Promise<MetadataPrefetch> {
  return FsMetadata.prefetch(backend, keysCodec(keys, null), cacheDir);
}

/**
 * After a crash: a write into a block that was dirty already commits its new size later than its data
 * (InodeTable.deferAttrs), so a crash in between can leave a dirty block holding bytes past the file's
 * committed size. They are cut off, so a later extension of the file reads zeros there, as POSIX says.
 */
function cutPastEof(c: VfsCore): number {
  const over: { inode: number; blkno: number; keep: number }[] = [];
  for (const [, d] of c.cache.dirtyEntries()) {
    const size = c.inodes.get(d.inode)?.size ?? 0;
    const keep = Math.max(0, size - d.blkno * c.blockSize);
    if ((c.cache.cachedSize(d.inode, d.blkno) ?? 0) > keep) over.push({ inode: d.inode, blkno: d.blkno, keep });
  }
  if (over.length > 0) c.tx(() => {
    for (const o of over) c.cache.truncate(o.inode, o.blkno, o.keep);
  });
  return over.length;
}

export async function openCofferFs(opts: OpenCofferFsOptions): Promise<CofferFs> {
  const log = opts.log ?? (() => {});
  const readaheadFromEnv = readaheadBlocksFromEnv(); // checked before anything is opened
  mkdirSync(opts.cacheDir, { recursive: true });
  const codec = openCodec(opts);
  markPhase("codec pool created");
  const intervalMs = opts.metadataIntervalMs ?? DEFAULT_METADATA_INTERVAL_MS;
  let removal: RemovalQueue | null = null;
  let metadata: FsMetadata;
  try {
    metadata = await FsMetadata.open({
      backend: opts.backend, codec, cacheDir: opts.cacheDir, log, intervalMs, keepSnapshots: opts.keepSnapshots, prefetched: opts.prefetchedMetadata,
      onShipped: () => void removal?.run().catch(() => {}),
    });
  } catch (e) {
    codec.close?.(); // no Workers outlive a failed open
    throw e;
  }
  markPhase("metadata opened");
  const db = metadata.db;
  const bs = metadata.params.blockSize;

  const inodes = new InodeTable(db);
  const entries = new EntryTable(db);
  const map = new BlockMap(db);
  const cache = new BlockCache({
    dir: opts.cacheDir, blockSize: bs, maxBytes: opts.cacheSizeBytes ?? DEFAULT_CACHE_BYTES, maxEntries: opts.maxCacheEntries, backend: opts.backend, codec, map, log,
    readTimeoutMs: opts.readTimeoutMs,
  });
  const recovered = cache.scan(!metadata.unclean);
  markPhase("cache scanned");
  if (metadata.unclean) log(`recovery: unclean shutdown; ${recovered.dirtyBlocks} dirty blocks to upload, ${recovered.lostBlocks} lost`);

  // a block is uploaded before the metadata tick after next at the latest: data written ≥ 2 intervals ago is in the store
  // transfers are sized to the store's connection limit (LimitBackend): half for puts, half for readahead,
  // so neither direction can take every connection from the other
  const connections = storeConnections(opts.backend);
  const uploads = new UploadQueue({
    cache, map, backend: opts.backend, codec, tx: (fn) => db.durableTx(fn), snapshotSeq: () => metadata.takenGen,
    delayMs: opts.uploadDelayMs ?? Math.min(5000, intervalMs / 2), log,
    concurrency: opts.uploadConcurrency ?? Math.max(4, Math.floor(connections / 2)),
    encodeAhead: codecLanes(codec), outageReportMs: opts.outageReportMs,
  });
  const cacheBlocks = Math.floor((opts.cacheSizeBytes ?? DEFAULT_CACHE_BYTES) / bs);
  const window = opts.readaheadBlocks ?? readaheadFromEnv ??
    Math.max(1, Math.min(MAX_DEFAULT_READAHEAD, Math.floor(connections / 2), Math.floor(cacheBlocks / 8)));
  const prefetcher = window > 0 ? new Prefetcher(cache, window) : undefined;
  removal = new RemovalQueue({
    map, backend: opts.backend, tx: (fn) => db.tx(fn), oldestRestorableGen: () => metadata.oldestRestorableGen,
    busy: uploads.uploadingObjects, intervalMs: opts.removalIntervalMs, log,
  });
  const core = new VfsCore(db, inodes, entries, map, cache, bs, () => metadata.takenGen, log, opts.atime);
  core.freeBytes = () => freeSpace(opts.cacheDir, opts.backend);
  if (metadata.unclean) {
    const cut = cutPastEof(core);
    if (cut > 0) log(`recovery: ${cut} dirty blocks held data past their file's committed size (writes whose size change was lost in the crash); cut back`);
  }
  // no kernel references survive a restart: names-less inodes of the previous session go now
  for (const id of inodes.orphans()) core.purge(id);
  markPhase("orphans purged");
  const fs = new CofferFs({ core, db, uploads, removal, metadata, codec, prefetcher });
  fs.start();
  return fs;
}
