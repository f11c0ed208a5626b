// The control commands' implementations: build the snapshot and run flush/dropcache/upload-meta/cachesize/log on a mount.
import type { BackendStats } from "../fs/store/backend.ts";
import type { CofferStats } from "../fs/vfs/coffer-fs.ts";
import type { ControlHandlers } from "./server.ts";
import { RateMeter } from "../rate-meter.ts";
import type { FlushProgressMessage, LogLevel, MountState, Snapshot } from "./protocol.ts";

/** What the control commands need from a mounted filesystem (MountedFilesystem in src/fs/mount.ts). */
export interface ControlTarget {
  readonly url: string;
  readonly mountpoint: string;
  readonly state: MountState;
  /** Milliseconds since the epoch when the mount began. */
  readonly startedAt: number;
  fsStats(): CofferStats;
  storeStats(): BackendStats | null;
  flush(progress: (p: FlushProgressMessage) => void): Promise<void>;
  shutdown(opts: { lazy: boolean }, progress: (p: FlushProgressMessage) => void): Promise<void>;
  dropCache(): number;
  uploadMetadata(): Promise<void>;
  setCacheSize(bytes: number): void;
  /** coffer cp / rm / lock on paths given as components below the mount point. */
  copyTree(src: string[], dst: string[]): Promise<{ entries: number }>;
  removeTree(path: string[]): { entries: number };
  lockTree(path: string[]): boolean;
  lockStatus(path: string[]): { locked: boolean; lockedRoot: boolean };
}

/** How often a daemon at log level "debug" writes an activity line to its log. */
export const DEBUG_ACTIVITY_MS = 5000;

/** `mounted` is asked on each request: the control server starts before the mount object exists. */
export function controlHandlers(mounted: () => ControlTarget, log: (line: string) => void): ControlHandlers & { readonly logLevel: LogLevel } {
  const uploadRate = new RateMeter();
  const downloadRate = new RateMeter();
  let logLevel: LogLevel = "info";
  let activityTimer: ReturnType<typeof setInterval> | null = null;
  const debug = (line: string) => {
    if (logLevel === "debug") log(line);
  };

  const snapshot = (): Snapshot => {
    const target = mounted();
    const now = Date.now();
    const fs = target.fsStats();
    const store = target.storeStats();
    const lastShippedAt = fs.lastMetadataUpload ?? null;
    return {
      url: target.url,
      mountpoint: target.mountpoint,
      pid: process.pid,
      state: target.state,
      at: now,
      uptimeMs: now - target.startedAt,
      logLevel,
      cache: { usedBytes: fs.cacheBytes, capBytes: fs.cacheCapBytes, entries: fs.cacheEntries, dirtyBytes: fs.dirtyBytes, dirtyBlocks: fs.dirtyBlocks },
      uploads: {
        queuedBlocks: fs.dirtyBlocks,
        queuedBytes: fs.dirtyBytes,
        inFlight: fs.uploadsInFlight,
        bytesPerSecond: uploadRate.sample(fs.uploadedBytes, now),
        totalBytes: fs.uploadedBytes,
      },
      downloads: { inFlight: fs.downloadsInFlight, bytesPerSecond: downloadRate.sample(fs.downloadedBytes, now), totalBytes: fs.downloadedBytes },
      store: {
        attempts: store?.attempts ?? 0,
        retries: store?.retries ?? 0,
        failures: store?.failures ?? 0,
        latencyMs: store?.latencyMs ?? null,
        lastError: store?.lastError ?? null,
      },
      metadata: {
        version: fs.metadataSeq,
        lastShippedAt,
        pending: fs.metadataPending,
        // an upper bound: changes pending now are at most as old as the last shipped snapshot (or the mount)
        lagMs: fs.metadataPending ? Math.max(0, now - (lastShippedAt ?? target.startedAt)) : 0,
      },
      space: {
        entries: fs.entries,
        inodes: fs.inodes,
        logicalBytes: fs.logicalBytes,
        dedupBytes: fs.dedupBytes,
        storedBytes: fs.storedBytes,
        storedObjects: fs.storedObjects,
        lockedTrees: fs.lockedTrees,
      },
    };
  };

  const activityLine = () => {
    const s = snapshot();
    return `activity: state ${s.state}, cache ${s.cache.usedBytes}/${s.cache.capBytes} B, dirty ${s.cache.dirtyBytes} B in ${s.cache.dirtyBlocks} blocks, ` +
      `uploading ${s.uploads.inFlight} at ${Math.round(s.uploads.bytesPerSecond)} B/s, downloading ${s.downloads.inFlight}, ` +
      `store retries ${s.store.retries} failures ${s.store.failures}, metadata v${s.metadata.version}${s.metadata.pending ? " (changes pending)" : ""}`;
  };

  return {
    get logLevel() {
      return logLevel;
    },
    snapshot,
    stat: () => snapshot(),
    flush: async (_request, progress) => {
      const target = mounted();
      debug("control: flush requested");
      await target.flush(progress);
    },
    umount: async (_request, progress) => {
      const target = mounted();
      debug("control: umount requested");
      await target.shutdown({ lazy: false }, progress);
    },
    dropcache: () => {
      const target = mounted();
      const dropped = target.dropCache();
      log(`control: dropped ${dropped} clean blocks from the cache`);
      return { droppedBlocks: dropped };
    },
    "upload-meta": async () => {
      const target = mounted();
      await target.uploadMetadata();
      const version = target.fsStats().metadataSeq;
      log(`control: metadata snapshot ${version} stored on request`);
      return { version };
    },
    cachesize: (request) => {
      const target = mounted();
      target.setCacheSize(request.bytes);
      log(`control: cache size limit set to ${request.bytes} bytes`);
      return { capBytes: request.bytes };
    },
    cp: async (request) => {
      const result = await mounted().copyTree(request.src, request.dst);
      log(`control: copied /${request.src.join("/")} to /${request.dst.join("/")} (${result.entries} entries, no data copied)`);
      return result;
    },
    rm: (request) => {
      const result = mounted().removeTree(request.path);
      log(`control: removed /${request.path.join("/")} (${result.entries} entries)`);
      return result;
    },
    lock: (request) => {
      const locked = mounted().lockTree(request.path);
      if (locked) log(`control: locked /${request.path.join("/")} (immutable from now on)`);
      return { newlyLocked: locked };
    },
    "lock-status": (request) => mounted().lockStatus(request.path),
    log: (request) => {
      logLevel = request.level;
      if (activityTimer) clearInterval(activityTimer);
      activityTimer = null;
      if (logLevel === "debug") {
        // a line every few seconds while debugging; unref'd so it never keeps the daemon alive
        activityTimer = setInterval(() => {
          try {
            log(activityLine());
          } catch {
            if (activityTimer) clearInterval(activityTimer); // the filesystem is closed
          }
        }, DEBUG_ACTIVITY_MS);
        activityTimer.unref();
        log(activityLine());
      }
      log(`control: log level set to ${logLevel}`);
      return { level: logLevel };
    },
  };
}
