// CodecPool: the ObjectCodec run by a pool of Workers (content id, zstd, AES-GCM, self-check, decode) off the main thread.
//
// Buffers move, they are not copied through postMessage: inputs travel as views of a SharedArrayBuffer
// (the cache hands uploads over in shared memory already; any other input is copied into shared memory
// once, with a plain memcpy), results come back as transferred ArrayBuffers. Inputs stay shared rather
// than transferred so a job whose Worker crashed can be run again on the replacement: no data is lost.
// Small inputs are coded inline (see inlineBelow). Each Worker runs one job at a time; the rest wait in a FIFO here, so jobs in flight are bounded by
// the pool size. Failures arrive as the same typed errors the inline codec throws (CorruptObjectError,
// RangeError), so callers cannot tell the two apart except by speed.
import { availableParallelism } from "node:os";
import type { FsKeys } from "../crypto/keys.ts";
import { CorruptObjectError } from "../store/codec.ts";
import { keysCodec } from "./keys-codec.ts";
import type { CodecFailure, CodecInit, CodecJob, CodecReply } from "./codec-job.ts";
import type { ObjectCodec, ObjectRole } from "./object-codec.ts";

export interface CodecPoolOptions {
  keys: FsKeys;
  /** zstd level; 0 or null stores uncompressed (as keysCodec). */
  level: number | null;
  /** Number of Workers; default: the machine's cores. */
  workers?: number;
  /** The Worker module (tests substitute one that crashes). */
  workerUrl?: string | URL;
  /**
   * Inputs shorter than this are coded on the calling thread (default 32 KiB): a Worker round trip costs
   * more than hashing and sealing a few KiB, and on a loaded machine far more (measured in tests/vfs:
   * 4 KiB blocks ran 2x slower through Workers). The bytes are the same either way.
   */
  inlineBelow?: number;
  /** Runs of one job before it fails when its Worker keeps dying (default 3). */
  maxAttempts?: number;
  log?: (line: string) => void;
}

type Pending = {
  job: CodecJob;
  attempts: number;
  resolve: (r: CodecReply & { ok: true }) => void;
  reject: (e: Error) => void;
};
type Slot = { worker: Worker | null; running: Pending | null };

export const defaultCodecWorkers = (): number => Math.max(1, availableParallelism());

/** The view itself when it is shared memory already, else a copy in shared memory. */
export function toShared(b: Uint8Array): Uint8Array {
  if (b.buffer instanceof SharedArrayBuffer) return b;
  const s = new Uint8Array(new SharedArrayBuffer(b.length));
  s.set(b);
  return s;
}

/** Rebuilds the error the codec threw inside the Worker, with the same type, check and message. */
function rethrown(f: CodecFailure): Error {
  if (f.kind === "corrupt") {
    const prefix = `object ${f.key} is corrupted (${f.check}): `;
    return new CorruptObjectError(f.check, f.key, f.message.startsWith(prefix) ? f.message.slice(prefix.length) : f.message);
  }
  return f.kind === "range" ? new RangeError(f.message) : new Error(f.message);
}

export class CodecPool implements ObjectCodec {
  private readonly slots: Slot[];
  private readonly queue: Pending[] = [];
  private readonly init: CodecInit;
  private readonly url: string | URL;
  private readonly maxAttempts: number;
  private readonly inline: ObjectCodec;
  private readonly inlineBelow: number;
  private nextId = 1;
  private closed = false;
  /** Workers started to replace ones that died (for stats and tests). */
  replaced = 0;

  constructor(private readonly o: CodecPoolOptions) {
    const n = o.workers ?? defaultCodecWorkers();
    if (!Number.isInteger(n) || n < 1) throw new RangeError(`codec workers must be a whole number >= 1, got ${n}`);
    this.init = { type: "init", keys: o.keys, level: o.level };
    this.url = o.workerUrl ?? new URL("./codec-worker.ts", import.meta.url).href;
    this.maxAttempts = o.maxAttempts ?? 3;
    this.inline = keysCodec(o.keys, o.level);
    this.inlineBelow = o.inlineBelow ?? 32 * 1024;
    // Workers start with the first job that needs one: opening a filesystem (mount time) does not wait
    // for them, and small-file workloads coded inline never start any.
    this.slots = Array.from({ length: n }, () => ({ worker: null, running: null }));
  }

  get size(): number {
    return this.slots.length;
  }

  async contentId(plaintext: Uint8Array): Promise<string> {
    if (plaintext.length < this.inlineBelow) return this.inline.contentId(plaintext);
    const r = await this.submit("id", "data", "", plaintext, 0);
    return (r as { hash: string }).hash;
  }

  async encode(role: ObjectRole, name: string, plaintext: Uint8Array, associated?: number): Promise<Uint8Array> {
    if (plaintext.length < this.inlineBelow) return this.inline.encode(role, name, plaintext, associated);
    return ((await this.submit("encode", role, name, plaintext, associated ?? 0)) as { bytes: Uint8Array }).bytes;
  }

  async decode(role: ObjectRole, name: string, bytes: Uint8Array, associated?: number): Promise<Uint8Array> {
    if (bytes.length < this.inlineBelow) return this.inline.decode(role, name, bytes, associated);
    return ((await this.submit("decode", role, name, bytes, associated ?? 0)) as { bytes: Uint8Array }).bytes;
  }

  /** Stops every Worker; jobs not finished fail. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    const gone = new Error("codec pool closed");
    for (const s of this.slots) {
      s.running?.reject(gone);
      s.running = null;
      s.worker?.terminate();
      s.worker = null;
    }
    for (const p of this.queue.splice(0)) p.reject(gone);
  }

  private submit(op: CodecJob["op"], role: ObjectRole, name: string, data: Uint8Array, associated: number) {
    if (this.closed) return Promise.reject(new Error("codec pool closed"));
    const job: CodecJob = { id: this.nextId++, op, role, name, data: toShared(data), associated };
    return new Promise<CodecReply & { ok: true }>((resolve, reject) => {
      this.queue.push({ job, attempts: 0, resolve, reject });
      this.dispatch();
    });
  }

  private dispatch(): void {
    for (const s of this.slots) {
      if (this.queue.length === 0) break;
      if (s.running) continue;
      if (!s.worker) this.spawn(s);
      const p = this.queue.shift()!;
      p.attempts++;
      s.running = p;
      s.worker!.ref(); // a job in flight keeps the process alive; an idle pool does not
      s.worker!.postMessage(p.job);
    }
  }

  private spawn(s: Slot): void {
    const w = new Worker(this.url);
    s.worker = w;
    w.unref();
    w.onmessage = (ev: MessageEvent<CodecReply>) => {
      if (s.worker !== w) return;
      const p = s.running;
      s.running = null;
      w.unref();
      if (p && p.job.id === ev.data.id) {
        if (ev.data.ok) p.resolve(ev.data);
        else p.reject(rethrown(ev.data.error));
      }
      this.dispatch();
    };
    // An uncaught error ends a Bun Worker ("error" then "close"); process.exit in it only "close".
    const died = (why: string) => {
      if (s.worker !== w) return;
      w.terminate();
      s.worker = null;
      const p = s.running;
      s.running = null;
      if (this.closed) return;
      this.replaced++;
      this.o.log?.(`codec worker died (${why})${p ? `, running ${p.job.op} of ${p.job.name || "a block"}` : ""}: replacing it`);
      if (p) {
        if (p.attempts >= this.maxAttempts) {
          p.reject(new Error(`codec: ${p.job.op} of ${p.job.name || "a block"} crashed its Worker ${p.attempts} times; giving up on it`));
        } else {
          this.queue.unshift(p); // its input is shared memory, intact: run it again first
        }
      }
      this.dispatch();
    };
    w.addEventListener("error", (ev) => died((ev as ErrorEvent).message ?? "error"));
    w.addEventListener("close", (ev) => died(`exit ${(ev as CloseEvent).code}`));
    w.postMessage(this.init);
  }
}
