// The shape of one opcode-table entry and the helpers the per-family tables share.
import type { DirentBuffer, Req, ReplyBuf } from "../codec.ts";
import type { MaybePromise, RawFileSystem, RequestContext } from "../raw-fs.ts";

/** What a handler call may need from whoever serves it (main thread or reader Worker). */
export interface ServeEnv {
  /** A dirent packer of at most `size` bytes (a Worker packs straight into its reply buffer). */
  dirents(size: number): DirentBuffer;
}

/**
 * One FUSE operation as data. `decode` reads the body, `call` invokes the filesystem method named `method`
 * (absent method => ENOSYS), `encode` writes the reply payload. `noReply` operations (FORGET) send nothing.
 * `worker` marks operations a reader Worker may answer itself through WorkerHandlers.
 */
export interface OpDef<A = any, R = any> {
  opcode: number;
  name: string;
  method: keyof RawFileSystem;
  noReply?: boolean;
  worker?: boolean;
  decode(req: Req): A;
  call(fs: any, ctx: RequestContext, a: A, env: ServeEnv): MaybePromise<R>;
  encode(w: ReplyBuf, r: R, a: A): void;
}

/** Replies with no payload (UNLINK, RMDIR, FLUSH...). */
export const empty = (): void => {};
/** The fixed part of a request is its header only. */
export const nothing = (): Record<string, never> => ({});

/** Defines an entry with its types inferred. */
export function op<A, R>(d: OpDef<A, R>): OpDef<A, R> {
  return d;
}
