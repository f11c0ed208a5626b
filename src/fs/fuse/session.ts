// A mounted session: the device fd, the reader Workers, the main-thread server, notifications and unmount.
import { closeSync, openSync, writeSync, writevSync } from "node:fs";
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import { setU64, utf8 } from "./codec.ts";
import { type DeviceOptions, mountAsRoot, mountWithFusermount, setReadAhead, unmountPath, validateMountpoint } from "./device.ts";
import { MAX_MAX_WRITE } from "./init.ts";
import { FUSE_BUFFER_HEADER_SIZE, fuse_notify_inval_entry_out, fuse_notify_inval_inode_out, fuse_out_header, NotifyCode } from "./kernel.ts";
import { cloneFuseFd, geteuid } from "./libc.ts";
import type { RawFileSystem } from "./raw-fs.ts";
import { FORWARD_SLOT, NoteRing, type ReaderInit, type ReaderMessage } from "./reader-protocol.ts";
import { Server } from "./server.ts";

/** What mountFuse needs: the device options (mountpoint, names, permissions, dev/suid/atime) and the session's own. */
export interface FuseMountOptions extends DeviceOptions {
  /** true: trace lines to stderr; a function: trace lines to it. One line per request and per reply. */
  debug?: boolean | ((line: string) => void);
  /** Reader Workers (default: 1 without workerModule, else CPUs + 1, 2..4; see defaultReaders). */
  readers?: number;
  writebackCache?: boolean;
  /** Negotiate FUSE_POSIX_ACL + FUSE_DONT_MASK: the filesystem implements the ACL rules (InitConfig.posixAcl). */
  posixAcl?: boolean;
  /** Largest WRITE the kernel sends (default and maximum 1 MiB). */
  maxWrite?: number;
  /** Absolute path of a module whose default export is (workerData) => WorkerHandlers. */
  workerModule?: string;
  /** Structured-cloneable, passed to that factory in each reader Worker. */
  workerData?: unknown;
  /** Request slots per reader Worker: how many forwarded requests it can have outstanding at the main thread (default 16 in all, at least 4 each). */
  slotsPerReader?: number;
  /** Kernel readahead for this mount in KiB, set after INIT when root (default maxWrite / 1024; 0 keeps the kernel's 128). */
  readAheadKb?: number;
  /**
   * Give each reader Worker after the first its own clone of the device fd (FUSE_DEV_IOC_CLONE; default true).
   * Measured with 2 readers answering in-Worker: ~41k vs ~34k negative lookups/s sharing one fd.
   */
  cloneFds?: boolean;
  /** Mount through fusermount3 even as root (default: only when not root). */
  useFusermount?: boolean;
}

export interface FuseSession {
  readonly mountpoint: string;
  /** Resolves once INIT has been answered (the mount is usable); rejects if the session ends first. */
  readonly ready: Promise<void>;
  /** Resolves when the session ended (unmounted externally or by unmount()). */
  readonly closed: Promise<void>;
  /** Unmount (umount2, or fusermount3 -u when not root); `lazy` detaches a busy mount. Then waits for closed. */
  unmount(opts?: { lazy?: boolean }): Promise<void>;
  /** Drop cached data of `nodeid` from `offset` for `length` bytes (0: to the end; offset < 0: attributes only). */
  notifyInvalInode(nodeid: number, offset: number, length: number): void;
  /** Drop the kernel's cached name `name` in directory `parent`. Do not call it synchronously from a handler of an operation on `parent`. */
  notifyInvalEntry(parent: number, name: string): void;
}

/**
 * Measured on the 2-CPU machines this runs on (python stat loop on missing names, servers interleaved, medians
 * of 11): a reader that only forwards to the main thread is never the bottleneck, and a second one did not help
 * (17.1k vs 17.4k/s), so 1 without a workerModule. With Worker handlers and cloned fds, 3 readers did best
 * (35.9k/s; 2: 32.9k, 4: 33.3k; and 1: 20.3k vs 2: 28.8k, 3: 29.5k in another run): a reader mostly sleeps in
 * read(2), and with several one is more often already awake or near the client's CPU. So CPUs + 1, 2..4.
 */
export function defaultReaders(hasWorkerHandlers: boolean): number {
  return hasWorkerHandlers ? Math.min(4, Math.max(2, availableParallelism() + 1)) : 1;
}

/** A count option must be a positive integer: NaN would start no reader and hang the mount at INIT. */
function checkCount(name: string, value: number | undefined): void {
  if (value !== undefined && !(Number.isInteger(value) && value > 0)) {
    throw new Error(`mount option ${name} must be a positive integer, got ${value}`);
  }
}

export async function mountFuse(fs: RawFileSystem, opts: FuseMountOptions): Promise<FuseSession> {
  checkCount("readers", opts.readers);
  checkCount("slotsPerReader", opts.slotsPerReader);
  checkCount("maxWrite", opts.maxWrite);
  const mountpoint = validateMountpoint(opts.mountpoint);
  const maxWrite = Math.max(4096, Math.min(MAX_MAX_WRITE, opts.maxWrite ?? MAX_MAX_WRITE));
  const readers = Math.max(1, opts.readers ?? defaultReaders(!!opts.workerModule));
  const nslots = Math.max(1, opts.slotsPerReader ?? Math.max(4, Math.ceil(16 / readers)));
  const trace = opts.debug === true ? (l: string) => console.error(l) : typeof opts.debug === "function" ? opts.debug : null;
  const log = (m: string) => console.error(`fuse(${mountpoint}): ${m}`);

  const viaFusermount = opts.useFusermount || geteuid() !== 0;
  const fd = viaFusermount ? await mountWithFusermount(mountpoint, opts) : mountAsRoot(mountpoint, opts);

  // Reader i reads from fds[i]: the session fd, or (cloneFds) a clone of it. A reply must go to the fd its
  // request was read from (the kernel keeps in-flight requests per fd), hence one main-thread Server per reader.
  const fds = [fd];
  if (opts.cloneFds ?? true) {
    for (let i = 1; i < readers; i++) {
      let c = -1;
      try {
        c = openSync("/dev/fuse", "r+");
        cloneFuseFd(fd, c);
        fds.push(c);
      } catch (e) {
        if (c >= 0) closeSync(c);
        log(`cannot clone the device fd, readers share it: ${(e as Error).message}`);
        break;
      }
    }
  }
  let fdClosed = false;
  const writer = (out: number) => (buf: Uint8Array, len: number, tail: Uint8Array | null) => {
    // After the session ended the fd number may belong to another file: late replies are dropped.
    if (fdClosed) throw Object.assign(new Error("FUSE session closed"), { code: "ENODEV" });
    if (tail && tail.byteLength) writevSync(out, [buf.subarray(0, len), tail]);
    else writeSync(out, buf, 0, len);
  };

  let resolveReady!: () => void, rejectReady!: (e: Error) => void, resolveClosed!: () => void;
  const ready = new Promise<void>((res, rej) => ((resolveReady = res), (rejectReady = rej)));
  ready.catch(() => {});
  const closed = new Promise<void>((res) => (resolveClosed = res));
  let initialized = false;
  let ended = false;

  const serverFor = (out: number) => new Server(fs, {
    write: writer(out),
    trace,
    log,
    replySize: 64 * 1024,
    init: { maxWrite, writebackCache: !!opts.writebackCache, readdirplus: typeof fs.readdirplus === "function", posixAcl: !!opts.posixAcl },
    onInit: () => {
      initialized = true;
      const ra = opts.readAheadKb ?? maxWrite / 1024;
      if (ra > 0 && geteuid() === 0 && !setReadAhead(mountpoint, ra)) log(`could not set read_ahead_kb=${ra}`);
      resolveReady();
    },
  });
  const servers = new Map<number, Server>();
  for (const f of fds) servers.set(f, serverFor(f));

  // One destroy, whoever asks first (a DESTROY request or the end of the session); both wait for it to finish,
  // so `closed` never resolves while the filesystem is still flushing.
  let destroying: Promise<void> | null = null;
  const callDestroy = (): Promise<void> => {
    if (!initialized) return Promise.resolve();
    destroying ??= (async () => {
      try {
        await fs.destroy?.();
      } catch (e) {
        log(`destroy failed: ${(e as Error).message}`);
      }
    })();
    return destroying;
  };

  // Lookups answered in Workers: +id is one more kernel reference, -id undoes one (its reply failed).
  // Consecutive notes for the same node are summed into one noteLookup call.
  let pendingId = 0, pendingCount = 0;
  const flushPending = () => {
    if (pendingCount > 0) fs.noteLookup?.(pendingId, pendingCount);
    pendingCount = 0;
  };
  const applyNote = (v: number) => {
    if (!fs.noteLookup) return;
    if (v < 0) {
      flushPending();
      fs.forget?.(-v, 1);
    } else if (v === pendingId && pendingCount > 0) {
      pendingCount++;
    } else {
      flushPending();
      pendingId = v;
      pendingCount = 1;
    }
  };
  const rings: NoteRing[] = [];
  const drainNotes = () => {
    for (const r of rings) r.drain(applyNote);
    flushPending();
  };
  const noteTimer = setInterval(drainNotes, 20);
  noteTimer.unref?.();

  const slotSize = Math.max(maxWrite, 64 * 1024) + FUSE_BUFFER_HEADER_SIZE;
  const workers: Worker[] = [];
  let alive = readers;
  let failed = false;
  const onEnd = async () => {
    if (--alive > 0) return;
    ended = true;
    clearInterval(noteTimer);
    drainNotes();
    await callDestroy();
    fdClosed = true;
    for (const f of fds) {
      try {
        closeSync(f);
      } catch {}
    }
    // Every reader died of an error (not the ENODEV of an unmount): the mount would be left dead (ENOTCONN).
    if (failed) {
      try {
        unmountPath(mountpoint, { lazy: true });
      } catch (e) {
        log(`cannot unmount after failure: ${(e as Error).message}`);
      }
    }
    rejectReady(new Error(`FUSE session at ${mountpoint} ended before INIT`));
    resolveClosed();
  };

  const startReader = (i: number) => {
    const slots = Array.from({ length: nslots }, () => new SharedArrayBuffer(slotSize));
    const stateBuf = new SharedArrayBuffer(4 * nslots);
    const state = new Int32Array(stateBuf);
    const views = slots.map((s) => new Uint8Array(s));
    const release = (slot: number) => {
      Atomics.store(state, slot, 0);
      Atomics.notify(state, slot);
    };
    const ringBufs = NoteRing.create();
    rings.push(new NoteRing(ringBufs.noteIndex, ringBufs.noteIds));
    const data: ReaderInit = {
      fd: fds[i] ?? fd, index: i, slots, state: stateBuf, replySize: 64 * 1024, trace: !!trace, workerModule: opts.workerModule,
      userData: opts.workerData, ...ringBufs,
    };
    const w = new Worker(new URL("./reader-worker.ts", import.meta.url), { workerData: data });
    const server = servers.get(fds[i] ?? fd)!;
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      void onEnd();
    };
    w.on("message", (m: ReaderMessage) => {
      if (typeof m === "number") {
        const slot = Math.floor(m / FORWARD_SLOT), n = m % FORWARD_SLOT;
        drainNotes(); // every lookup a Worker answered is known before this request (maybe a FORGET) is served
        let r: void | Promise<void> = undefined;
        try {
          r = server.handle(views[slot]!.subarray(0, n));
        } catch (e) {
          log(`unexpected: ${(e as Error).stack}`);
        }
        if (r instanceof Promise) r.finally(() => release(slot));
        else release(slot);
      } else if (m.t === "trace") {
        trace?.(m.line);
      } else if (m.t === "destroy") {
        void callDestroy();
      } else if (m.t === "end") {
        if (m.error) {
          log(m.error);
          failed = true;
        }
        finish();
      }
    });
    w.on("error", (e: Error) => {
      log(`reader ${i} failed: ${e.stack ?? e.message}`);
      failed = true;
      finish();
    });
    w.on("exit", finish);
    workers.push(w);
  };
  try {
    for (let i = 0; i < readers; i++) startReader(i);
  } catch (e) {
    // mount(2) succeeded but no reader serves it: without this the mount point would be left dead (ENOTCONN).
    ended = true;
    clearInterval(noteTimer);
    for (const w of workers) {
      w.removeAllListeners();
      void w.terminate();
    }
    try {
      unmountPath(mountpoint, { lazy: true });
    } catch (u) {
      log(`cannot unmount after failing to start the readers: ${(u as Error).message}`);
    }
    fdClosed = true;
    for (const f of fds) {
      try {
        closeSync(f);
      } catch {}
    }
    throw e;
  }

  const notify = (code: number, body: Uint8Array) => {
    if (ended) return;
    const head = new Uint8Array(fuse_out_header.size);
    const dv = new DataView(head.buffer);
    dv.setUint32(0, head.byteLength + body.byteLength, true);
    dv.setInt32(4, code, true);
    // unique 0 marks a notification
    try {
      writevSync(fd, [head, body]);
    } catch (e) {
      const c = (e as { code?: string }).code;
      if (c !== "ENOENT" && c !== "ENODEV") log(`notify ${code} failed: ${(e as Error).message}`);
    }
  };

  return {
    mountpoint,
    ready,
    closed,
    async unmount(o?: { lazy?: boolean }) {
      if (!ended) unmountPath(mountpoint, { lazy: o?.lazy });
      await closed;
    },
    notifyInvalInode(nodeid, offset, length) {
      const b = new Uint8Array(fuse_notify_inval_inode_out.size);
      const dv = new DataView(b.buffer);
      setU64(dv, fuse_notify_inval_inode_out.offsets.ino, nodeid);
      dv.setBigInt64(fuse_notify_inval_inode_out.offsets.off, BigInt(offset), true);
      dv.setBigInt64(fuse_notify_inval_inode_out.offsets.len, BigInt(length), true);
      notify(NotifyCode.INVAL_INODE, b);
    },
    notifyInvalEntry(parent, name) {
      const n = utf8(name);
      const b = new Uint8Array(fuse_notify_inval_entry_out.size + n.byteLength + 1);
      const dv = new DataView(b.buffer);
      setU64(dv, fuse_notify_inval_entry_out.offsets.parent, parent);
      dv.setUint32(fuse_notify_inval_entry_out.offsets.namelen, n.byteLength, true);
      b.set(n, fuse_notify_inval_entry_out.size);
      notify(NotifyCode.INVAL_ENTRY, b);
    },
  };
}
