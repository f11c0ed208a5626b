// The request -> reply server: decodes one request, calls the filesystem through the opcode table, encodes the reply.
// Pure apart from the `write` callback it is given, so tests drive it with bytes; the device loop lives elsewhere.
import { DirentBuffer, parseRequest, ReplyBuf, type InHeader, type Req } from "./codec.ts";
import { EIO, ENOSYS, EPROTO, errnoName, FuseError, toErrno } from "./errno.ts";
import { FORWARD } from "./forward.ts";
import { decodeInitIn, encodeInitOut, negotiate, type InitConfig } from "./init.ts";
import { FUSE_KERNEL_MINOR_VERSION, FUSE_KERNEL_VERSION, FUSE_MIN_MINOR_VERSION, fuse_out_header, Opcode } from "./kernel.ts";
import { OPS, opName, type OpDef, type ServeEnv } from "./opcodes.ts";
import type { ConnInfo, EntryOut } from "./raw-fs.ts";

export interface ServerOptions {
  /** Send one message: `buf[0, len)` then `tail` if any (a single write/writev). */
  write(buf: Uint8Array, len: number, tail: Uint8Array | null): void;
  /** Size of the reusable reply buffer (header + fixed payloads; big data goes out as a tail). */
  replySize?: number;
  /** One line per request and reply when set. */
  trace?: ((line: string) => void) | null;
  /** Where unexpected errors are reported (once per distinct message). */
  log?: (msg: string) => void;
  /** Main thread only: INIT parameters and what to do once INIT is answered. */
  init?: InitConfig;
  onInit?(conn: ConnInfo): void;
  onDestroy?(): void;
  /**
   * Worker only: a LOOKUP or READDIRPLUS entry this server is answering (delta 1, just before the reply is
   * written, so the kernel cannot FORGET it first), or one whose reply then failed (delta -1).
   */
  onLookup?(nodeid: number, delta: 1 | -1): void;
  /** Prefix for trace lines ("w1 " for reader Worker 1). */
  tracePrefix?: string;
}

const seen = new Set<string>();
/** Logs each distinct unexpected error once (bounded). */
export function logOnce(log: (m: string) => void, key: string, msg: string): void {
  if (seen.has(key)) return;
  if (seen.size < 1000) seen.add(key);
  log(msg);
}

function describe(a: unknown): string {
  if (!a || typeof a !== "object") return "";
  const parts: string[] = [];
  for (const [k, v] of Object.entries(a)) {
    if (v instanceof Uint8Array) parts.push(`${k}=[${v.byteLength}B]`);
    else if (Array.isArray(v)) parts.push(`${k}=[${v.length}]`);
    else if (v && typeof v === "object") parts.push(`${k}={${describe(v)}}`);
    else parts.push(`${k}=${typeof v === "string" ? JSON.stringify(v) : String(v)}`);
  }
  return parts.join(" ");
}

/** Opcodes whose successful reply gives the kernel a reference (a lookup count) on a node. */
const COUNTED_OPCODES = new Set<number>([Opcode.LOOKUP, Opcode.MKNOD, Opcode.MKDIR, Opcode.SYMLINK, Opcode.LINK, Opcode.CREATE, Opcode.READDIRPLUS]);

/** The node an entry reply names (CREATE answers { entry, open }); 0 for a negative entry. */
function entryNodeId(opcode: number, r: unknown): number {
  if (!r || typeof r !== "object") return 0;
  const entry = opcode === Opcode.CREATE ? (r as { entry: EntryOut }).entry : (r as EntryOut);
  return entry?.nodeid ?? 0;
}

export class Server {
  readonly reply: ReplyBuf;
  private readonly o: ServerOptions;
  private readonly log: (m: string) => void;
  private readonly workerEnv: ServeEnv;
  private readonly mainEnv: ServeEnv = { dirents: (size) => new DirentBuffer(new Uint8Array(size)) };
  private readonly workerDirents: DirentBuffer;
  private counting = false;
  conn: ConnInfo | null = null;

  constructor(
    readonly fs: any,
    opts: ServerOptions,
  ) {
    this.o = opts;
    this.log = opts.log ?? ((m) => console.error(`fuse: ${m}`));
    this.reply = new ReplyBuf(opts.replySize ?? 64 * 1024);
    this.workerDirents = new DirentBuffer(this.reply.u8, fuse_out_header.size, 0);
    this.workerDirents.onPlus = (id) => this.counted.push(id);
    this.workerEnv = {
      dirents: (size) => {
        this.counting = true;
        return this.workerDirents.reset(fuse_out_header.size, size);
      },
    };
  }
  private counted: number[] = [];

  /** Main thread: serve one request. Never throws; the promise (if any) settles once the reply is written. */
  handle(u8: Uint8Array): void | Promise<void> {
    let req: Req;
    try {
      req = parseRequest(u8);
    } catch (e) {
      this.log(`dropping malformed request: ${(e as Error).message}`);
      return;
    }
    const h = req.header;
    switch (h.opcode) {
      case Opcode.INIT:
        return this.init(req);
      case Opcode.INTERRUPT:
        // Interrupts are not acted on: the interrupted request is answered normally when it completes
        // (the kernel then drops the reply; a write failing with ENOENT is ignored).
        this.traceIn(h, "INTERRUPT", "");
        return;
      case Opcode.DESTROY:
        return this.run(h, { opcode: Opcode.DESTROY, name: "DESTROY", method: "destroy", decode: () => ({}), call: (fs) => fs.destroy?.(), encode: () => this.o.onDestroy?.() } as OpDef, {}, this.mainEnv);
    }
    const d = OPS[h.opcode];
    if (!d || typeof this.fs[d.method] !== "function") {
      this.traceIn(h, d?.name ?? opName(h.opcode), "");
      if (!d?.noReply) this.send(h, -ENOSYS);
      return;
    }
    let a: unknown;
    try {
      a = d.decode(req);
    } catch (e) {
      this.log(`cannot decode ${d.name}: ${(e as Error).message}`);
      if (!d.noReply) this.send(h, -EIO);
      return;
    }
    if (COUNTED_OPCODES.has(h.opcode)) return this.runCounted(h, d, a);
    return this.run(h, d, a, this.mainEnv);
  }

  /**
   * Main thread: the filesystem counted one kernel reference for every entry it returned (LOOKUP, MKNOD,
   * MKDIR, SYMLINK, LINK, CREATE, READDIRPLUS). If the reply then fails (an interrupted request: ENOENT), the
   * kernel never saw those entries, so each is forgotten again, as reader Workers do with a -1 note.
   */
  private runCounted(h: InHeader, d: OpDef, a: unknown): void | Promise<void> {
    const plus: number[] = [];
    const env: ServeEnv =
      h.opcode === Opcode.READDIRPLUS
        ? {
            dirents: (size) => {
              const b = this.mainEnv.dirents(size);
              b.onPlus = (id) => plus.push(id);
              return b;
            },
          }
        : this.mainEnv;
    const undo = (r: unknown) => {
      const ids = h.opcode === Opcode.READDIRPLUS ? plus : [entryNodeId(h.opcode, r)];
      for (const id of ids) if (id) this.fs.forget?.(id, 1);
    };
    return this.run(h, d, a, env, undo);
  }

  /**
   * Reader Worker: answer the request here if the opcode is Worker-eligible and the handlers have the method
   * and do not return FORWARD. Returns false when the request must go to the main thread.
   */
  tryServe(u8: Uint8Array): boolean {
    const opcode = u8[4]! | (u8[5]! << 8);
    const d = OPS[opcode];
    if (!d || !d.worker || typeof this.fs[d.method] !== "function") return false;
    const req = parseRequest(u8);
    const h = req.header;
    const a = d.decode(req);
    this.counting = false;
    this.counted.length = 0;
    let r: unknown;
    try {
      r = d.call(this.fs, h, a, this.workerEnv);
    } catch (e) {
      this.traceIn(h, d.name, a);
      this.failed(h, d, e);
      return true;
    }
    if (r === FORWARD) return false;
    this.traceIn(h, d.name, a);
    if (r instanceof Promise) {
      r.catch(() => {});
      logOnce(this.log, `promise:${d.name}`, `worker handler ${d.method} returned a Promise (must be synchronous): answering EIO`);
      this.send(h, -EIO);
      return true;
    }
    // Report lookups before the reply reaches the kernel (so before any FORGET it could cause); undo on failure.
    const note = this.o.onLookup;
    const ids = !note ? null : opcode === Opcode.LOOKUP ? ((r as EntryOut).nodeid ? [(r as EntryOut).nodeid] : null) : this.counting ? this.counted : null;
    if (ids) for (const id of ids) note!(id, 1);
    if (!this.ok(h, d, a, r) && ids) for (const id of ids) note!(id, -1);
    return true;
  }

  /** `undo(result)` runs when a successful result could not be delivered (its reply failed). */
  private run(h: InHeader, d: OpDef, a: unknown, env: ServeEnv, undo?: (r: unknown) => void): void | Promise<void> {
    this.traceIn(h, d.name, a);
    let r: unknown;
    try {
      r = d.call(this.fs, h, a, env);
    } catch (e) {
      this.failed(h, d, e);
      return;
    }
    if (r instanceof Promise) {
      return r.then(
        (v) => {
          if (!this.ok(h, d, a, v)) undo?.(v);
        },
        (e) => this.failed(h, d, e),
      );
    }
    if (!this.ok(h, d, a, r)) undo?.(r);
  }

  private ok(h: InHeader, d: OpDef, a: unknown, r: unknown): boolean {
    if (d.noReply) return true;
    const w = this.reply;
    w.reset();
    try {
      d.encode(w, r, a);
    } catch (e) {
      this.failed(h, d, e);
      return false;
    }
    return this.send(h, 0);
  }

  private failed(h: InHeader, d: OpDef, e: unknown): void {
    const { errno, unexpected } = toErrno(e);
    if (unexpected) {
      const msg = e instanceof Error ? (e.stack ?? e.message) : String(e);
      logOnce(this.log, `${d.name}:${e instanceof Error ? e.message : String(e)}`, `${d.name} failed unexpectedly (answered EIO): ${msg}`);
    }
    if (!d.noReply) {
      this.reply.reset();
      this.send(h, -errno);
    }
  }

  /** Write the reply held in `this.reply` (payload already encoded) with the given negative errno or 0. */
  private send(h: InHeader, error: number): boolean {
    const w = this.reply;
    if (error !== 0) w.reset();
    const total = w.finish(h.unique, error);
    if (this.o.trace) this.o.trace(`${this.o.tracePrefix ?? ""}-> #${h.unique} ${error ? errnoName(-error) : "OK"} ${total}B`);
    try {
      this.o.write(w.u8, fuse_out_header.size + w.len, w.tail);
      return true;
    } catch (e) {
      const code = (e as { code?: string }).code;
      // ENOENT: the request was interrupted and the kernel no longer waits for it. ENODEV: unmounted.
      if (code !== "ENOENT" && code !== "ENODEV") logOnce(this.log, `write:${code}`, `reply write failed: ${(e as Error).message}`);
      return false;
    }
  }

  private traceIn(h: InHeader, name: string, a: unknown): void {
    if (this.o.trace) this.o.trace(`${this.o.tracePrefix ?? ""}<- #${h.unique} ${name} node=${h.nodeid} uid=${h.uid} pid=${h.pid} ${describe(a)}`);
  }

  private init(req: Req): void | Promise<void> {
    const h = req.header;
    const k = decodeInitIn(req);
    this.traceIn(h, "INIT", { major: k.major, minor: k.minor, maxReadahead: k.maxReadahead, flags: "0x" + k.flags.toString(16) });
    if (k.major > FUSE_KERNEL_VERSION) {
      // Tell the kernel our major; it sends INIT again with it.
      const w = this.reply;
      w.reset();
      encodeInitOut(w, { major: FUSE_KERNEL_VERSION, minor: FUSE_KERNEL_MINOR_VERSION, maxReadahead: 0, flags: 0n, maxBackground: 0, congestionThreshold: 0, maxWrite: 0, timeGran: 0, maxPages: 0 });
      this.send(h, 0);
      return;
    }
    if (k.major < FUSE_KERNEL_VERSION || k.minor < FUSE_MIN_MINOR_VERSION) {
      this.log(`kernel protocol ${k.major}.${k.minor} is older than the 7.${FUSE_MIN_MINOR_VERSION} we need`);
      this.send(h, -EPROTO);
      return;
    }
    const cfg = this.o.init ?? { maxWrite: 1 << 20, writebackCache: false, readdirplus: typeof this.fs.readdirplus === "function" };
    const { out, conn } = negotiate(k, cfg);
    const finish = () => {
      const w = this.reply;
      w.reset();
      encodeInitOut(w, out);
      this.conn = conn;
      this.o.trace?.(`   INIT reply: ${out.major}.${out.minor} max_write=${out.maxWrite} max_pages=${out.maxPages} flags=0x${out.flags.toString(16)}`);
      if (this.send(h, 0)) this.o.onInit?.(conn);
    };
    const fail = (e: unknown) => {
      this.log(`filesystem init failed: ${e instanceof Error ? e.message : String(e)}`);
      this.send(h, -(e instanceof FuseError ? e.errno : EIO));
    };
    try {
      const p = this.fs.init?.(conn);
      if (p instanceof Promise) return p.then(finish, fail);
      finish();
    } catch (e) {
      fail(e);
    }
  }
}
