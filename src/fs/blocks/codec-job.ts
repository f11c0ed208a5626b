// One codec job as a Worker runs it: content id, encode or decode with the real codec, and the reply's transfer list.
//
// Kept apart from the Worker entry (codec-worker.ts) so a test Worker can wrap it (e.g. crash mid-job).
import type { FsKeys } from "../crypto/keys.ts";
import { contentId, CorruptObjectError, decodeObject, encodeObject } from "../store/codec.ts";
import type { ObjectRole } from "./object-codec.ts";

export type CodecInit = { type: "init"; keys: FsKeys; level: number | null };
export type CodecJob = {
  id: number;
  op: "id" | "encode" | "decode";
  role: ObjectRole;
  name: string;
  /** Backed by a SharedArrayBuffer: shared with the main thread, not copied, and still there for a retry. */
  data: Uint8Array;
  associated: number;
};
export type CodecFailure =
  | { kind: "corrupt"; check: CorruptObjectError["check"]; key: string; message: string }
  | { kind: "range"; message: string }
  | { kind: "other"; message: string };
export type CodecReply =
  | { id: number; ok: true; hash: string }
  | { id: number; ok: true; bytes: Uint8Array }
  | { id: number; ok: false; error: CodecFailure };

/** The reply and what to transfer with it: results leave the Worker without a copy. */
export function runCodecJob(init: CodecInit, job: CodecJob): { reply: CodecReply; transfer: ArrayBuffer[] } {
  const { keys, level } = init;
  try {
    if (job.op === "id") return { reply: { id: job.id, ok: true, hash: contentId(keys, job.data) }, transfer: [] };
    const bytes =
      job.op === "encode"
        ? encodeObject(keys, job.role, job.name, job.data, {
            level: level ?? undefined,
            compress: level !== null && level !== 0,
            associated: job.associated,
          })
        : decodeObject(keys, job.role, job.name, job.data, { associated: job.associated });
    const out = movable(bytes);
    return { reply: { id: job.id, ok: true, bytes: out }, transfer: out.buffer instanceof ArrayBuffer ? [out.buffer] : [] };
  } catch (e) {
    return { reply: { id: job.id, ok: false, error: describe(e) }, transfer: [] };
  }
}

/**
 * A view the reply can carry without copying on the main thread: shared memory as it is, a buffer the
 * view spans alone as a transfer; anything else (a view into a larger buffer) is copied here, off the main thread.
 */
function movable(b: Uint8Array): Uint8Array {
  if (b.buffer instanceof SharedArrayBuffer) return b;
  if (b.byteOffset === 0 && b.byteLength === b.buffer.byteLength) return b;
  return new Uint8Array(b);
}

function describe(e: unknown): CodecFailure {
  if (e instanceof CorruptObjectError) return { kind: "corrupt", check: e.check, key: e.key ?? "", message: e.message };
  if (e instanceof RangeError) return { kind: "range", message: e.message };
  return { kind: "other", message: (e as Error)?.message ?? String(e) };
}

/** Serves a Worker: its keys first, then jobs one at a time; `beforeJob` lets a test Worker misbehave. */
export function serveCodecJobs(scope: Worker, beforeJob: (job: CodecJob) => void = () => {}): void {
  let init: CodecInit | null = null;
  scope.onmessage = (ev: MessageEvent<CodecInit | CodecJob>) => {
    const msg = ev.data;
    if ("type" in msg) {
      init = msg;
      return;
    }
    if (!init) throw new Error("codec worker: a job arrived before its keys");
    beforeJob(msg);
    const { reply, transfer } = runCodecJob(init, msg);
    scope.postMessage(reply, transfer);
  };
}
