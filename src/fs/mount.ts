// The composition root: wires store, keys, the mount lock, the filesystem core, FUSE and the control socket.
import { createHash } from "node:crypto";
import { mkdirSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { type AtimeMode, mountFuse, type FuseSession } from "./fuse/index.ts";
import { openBackend } from "./store/open.ts";
import type { Backend, BackendStats, ObservableBackend } from "./store/backend.ts";
import { keyObjectExists, unlockFilesystemKeys } from "./store/key-object.ts";
import type { FsKeys } from "./crypto/keys.ts";
import { openCofferFs, type CofferFs } from "./vfs/index.ts";
import { MountLock } from "./mount-lock.ts";
import { assertMountableDirectory } from "./mount-checks.ts";
import type { FlushProgress } from "./vfs/index.ts";
import { ControlServer } from "../control/server.ts";
import { controlHandlers, type ControlTarget } from "../control/handlers.ts";
import type { MountState } from "../control/protocol.ts";
import { canonicalMountpoint, controlSocketPath } from "../control/paths.ts";
import type { AuthInfo } from "../config/authinfo.ts";
import { UserError } from "../user-error.ts";

export const DEFAULT_CACHE_ROOT = join(homedir(), ".coffer", "cache");

export interface MountRequest {
  url: string;
  mountpoint: string;
  auth: AuthInfo;
  /** The filesystem passphrase; null for a --plain filesystem or when it is to be asked for. */
  passphrase: string | null;
  /** Keys the caller already unlocked (a foreground mount checked them): not derived a second time. */
  keys?: FsKeys;
  /** Mount over a directory that holds entries (they are hidden while mounted). */
  nonempty?: boolean;
  cacheRoot?: string;
  cacheSizeBytes?: number;
  compressLevel?: number;
  allowOther?: boolean;
  /** Honour device nodes and set-user-ID bits (root only; default off: nodev, nosuid). */
  dev?: boolean;
  suid?: boolean;
  /** When reads update atime (default relatime). */
  atime?: AtimeMode;
  forceUnlock?: boolean;
  /** Metadata shipping interval (default 5 s). */
  metadataIntervalMs?: number;
  debug?: boolean;
  log: (line: string) => void;
}

/** Hears a shutdown whoever started it (a signal, `coffer umount` over the control socket, an external umount). */
export interface ShutdownObserver {
  started(): void;
  progress(p: FlushProgress): void;
}

/** Each filesystem gets its own cache directory under the cache root, named by its storage URL. */
export function cacheDirFor(cacheRoot: string, url: string): string {
  const id = createHash("sha256").update(url.replace(/\/+$/, "")).digest("hex").slice(0, 24);
  return join(cacheRoot, id);
}

/** Opens the backend for a URL with the credentials from authinfo. */
export function openStore(url: string, auth: AuthInfo): Backend {
  return openBackend(url, { login: auth.backendLogin, password: auth.backendPassword, options: auth.backendOptions });
}

/**
 * One listing request, so a missing bucket or rejected credentials are reported as such (a HEAD on a
 * missing bucket answers a bare 404 that looks like "no such object").
 */
export async function probeStore(backend: Backend): Promise<void> {
  for await (const _ of backend.list("")) break;
}

export async function assertFilesystemExists(backend: Backend, url: string): Promise<void> {
  await probeStore(backend);
  if (!(await keyObjectExists(backend))) {
    throw new UserError(`there is no coffer filesystem at ${url}; create one with: coffer mkfs ${url}`);
  }
}

/** A mounted, served filesystem; `shutdown` is the only way it ends cleanly. */
export class MountedFilesystem implements ControlTarget {
  private stopping: Promise<void> | null = null;
  private readonly observers = new Set<ShutdownObserver>();
  private currentState: MountState = "running";
  readonly startedAt = Date.now();

  constructor(
    readonly url: string,
    readonly mountpoint: string,
    private readonly backend: Backend,
    private readonly fs: CofferFs,
    private readonly session: FuseSession,
    private readonly lock: MountLock,
    private readonly control: ControlServer,
    private readonly log: (line: string) => void,
  ) {}

  /** Resolves when the kernel ended the session (unmounted by us or by someone else). */
  get closed(): Promise<void> {
    return this.session.closed;
  }

  stats() {
    return { url: this.url, mountpoint: this.mountpoint, ...this.fs.stats() };
  }

  get state(): MountState {
    return this.currentState;
  }

  /** Subscribers (coffer dash) hear of a state change at once. */
  private setState(state: MountState): void {
    this.currentState = state;
    this.control.publish();
  }

  fsStats() {
    return this.fs.stats();
  }

  storeStats(): BackendStats | null {
    return (this.backend as Partial<ObservableBackend>).stats?.() ?? null;
  }

  dropCache(): number {
    return this.fs.dropCache();
  }

  uploadMetadata(): Promise<void> {
    return this.fs.uploadMetadata();
  }

  setCacheSize(bytes: number): void {
    this.fs.setCacheSize(bytes);
  }

  /** coffer cp: the kernel may hold a negative entry for the new name, and the parent's old attributes. */
  async copyTree(src: string[], dst: string[]): Promise<{ entries: number }> {
    const r = await this.fs.copyTree(src, dst);
    this.forgetEntry(r.parent, r.name);
    return { entries: r.entries };
  }

  /** coffer rm: the kernel drops the removed name and, with it, every cached entry beneath. */
  removeTree(path: string[]): { entries: number } {
    const r = this.fs.removeTree(path);
    this.forgetEntry(r.parent, r.name);
    return { entries: r.entries };
  }

  lockTree(path: string[]): boolean {
    return this.fs.lockTree(path);
  }

  lockStatus(path: string[]): { locked: boolean; lockedRoot: boolean } {
    return this.fs.lockStatus(path);
  }

  /**
   * Sent from a control request, never from inside a FUSE request on `parent` (the kernel takes the
   * parent's lock to drop the entry).
   */
  private forgetEntry(parent: number, name: string): void {
    this.session.notifyInvalEntry(parent, name);
    this.session.notifyInvalInode(parent, -1, 0);
  }

  /** Lets the reply to a `coffer umount` reach its caller before the process exits. */
  controlDrained(): Promise<void> {
    return this.control.drained(2000);
  }

  observeShutdown(observer: ShutdownObserver): void {
    this.observers.add(observer);
  }

  async flush(progress?: (p: FlushProgress) => void): Promise<void> {
    if (this.currentState === "running") this.setState("flushing");
    try {
      await this.fs.flushAll(progress);
    } finally {
      if (this.currentState === "flushing") this.setState("running");
    }
  }

  /**
   * Unmounts (lazily when `lazy`, which lets open files finish first), then stores every dirty block and
   * the metadata, releases the lock and stops the control socket. Safe to call more than once.
   */
  shutdown(opts: { lazy: boolean }, progress?: (p: FlushProgress) => void): Promise<void> {
    if (this.stopping) return this.stopping;
    for (const o of this.observers) o.started();
    const tell = (p: FlushProgress) => {
      progress?.(p);
      for (const o of this.observers) o.progress(p);
    };
    this.stopping = this.runShutdown(opts, tell);
    return this.stopping;
  }

  private async runShutdown(opts: { lazy: boolean }, progress?: (p: FlushProgress) => void): Promise<void> {
    this.log(`unmounting ${this.mountpoint}`);
    this.setState("unmounting");
    try {
      await this.session.unmount({ lazy: opts.lazy });
    } catch (error) {
      this.stopping = null; // still mounted and serving: a later attempt may succeed
      this.setState("running");
      throw new UserError(`cannot unmount ${this.mountpoint}: ${(error as Error).message}; close the files and shells using it (fuser -vm ${this.mountpoint}) and try again`, 1);
    }
    this.log("flushing dirty blocks and metadata to the store");
    try {
      await this.fs.close(progress);
    } catch (error) {
      this.stopping = null; // a later umount may succeed once the store answers again
      throw new UserError(`could not store everything in ${this.url} (${(error as Error).message}); nothing is lost: the data stays in the cache and is uploaded when the store answers or at the next mount. Check the network and credentials, then run coffer umount again`, 1);
    }
    await this.lock.release();
    this.currentState = "stopped"; // control.stop() sends subscribers this last state
    this.control.stop();
    await this.backend.close();
    this.log("unmounted; everything is stored");
  }
}

export async function mountFilesystem(req: MountRequest): Promise<MountedFilesystem> {
  const mountpoint = canonicalMountpoint(req.mountpoint);
  assertMountableDirectory(mountpoint, { nonempty: req.nonempty });
  const backend = openStore(req.url, req.auth);
  const undo: Array<() => Promise<unknown>> = [() => backend.close()];
  try {
    await assertFilesystemExists(backend, req.url);
    const keys = req.keys ?? (await unlockFilesystemKeys(backend, req.passphrase));
    const lock = await MountLock.acquire(backend, keys, req.url, mountpoint, { force: req.forceUnlock });
    undo.push(() => lock.release());
    if (lock.tookOverFrom) {
      req.log(`the previous mount (pid ${lock.tookOverFrom.pid} on ${lock.tookOverFrom.host}) did not unmount cleanly; recovering from the cache`);
    }
    const cacheDir = cacheDirFor(req.cacheRoot ?? DEFAULT_CACHE_ROOT, req.url);
    mkdirSync(cacheDir, { recursive: true, mode: 0o700 });
    const fs = await openCofferFs({ backend, keys, cacheDir, cacheSizeBytes: req.cacheSizeBytes, compressLevel: req.compressLevel, metadataIntervalMs: req.metadataIntervalMs, atime: req.atime, log: req.log });
    undo.push(() => fs.close());
    const session = await mountFuse(fs, {
      mountpoint,
      fsname: req.url,
      subtype: "coffer",
      allowOther: req.allowOther,
      dev: req.dev,
      suid: req.suid,
      atime: req.atime,
      defaultPermissions: true,
      posixAcl: true, // CofferFs keeps modes and ACLs in sync (src/fs/posix-acl.ts)
      debug: req.debug ? req.log : false,
    });
    undo.push(() => session.unmount({ lazy: true }));
    await session.ready;
    let mounted: MountedFilesystem | null = null;
    const control = new ControlServer(controlSocketPath(mountpoint), controlHandlers(() => mounted!, req.log), req.log);
    await control.start();
    mounted = new MountedFilesystem(req.url, mountpoint, backend, fs, session, lock, control, req.log);
    return mounted;
  } catch (error) {
    for (const step of undo.reverse()) await step().catch(() => {});
    throw error;
  }
}
