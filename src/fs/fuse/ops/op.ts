// The shape of one opcode-table entry and the helpers the per-family tables share.
import type { DirentBuffer, Req, ReplyBuf } from "../codec.ts";
import type { Forward } from "../forward.ts";
import type { MaybePromise, RawFileSystem, RequestContext } from "../raw-fs.ts";

/** What a handler call may need from whoever serves it (main thread or reader Worker). */
export interface ServeEnv {
  /** A dirent packer of at most `size` bytes (a Worker packs straight into its reply buffer). */
  dirents(size: number): DirentBuffer;
}

/** A RawFileSystem method as a reader Worker's handler may also answer it: possibly with FORWARD. */
type Servable<F> = F extends (...args: infer P) => infer R ? (...args: P) => R | Forward : never;
/** The filesystem as one op's `call` sees it: only the method the op names, known to be present (the server checked). */
export type FsWith<M extends keyof RawFileSystem> = { [K in M]-?: Servable<NonNullable<RawFileSystem[K]>> };

/**
 * One FUSE operation as data. `decode` reads the body, `call` invokes the filesystem method named `method`
 * (absent method => ENOSYS), `encode` writes the reply payload. `noReply` operations (FORGET) send nothing.
 * `worker` marks operations a reader Worker may answer itself through WorkerHandlers.
 * `call` sees only `method` on the filesystem, so a misspelt method name — in `method` or in `call` — fails tsc.
 */
export interface OpDef<A = any, R = any, M extends keyof RawFileSystem = keyof RawFileSystem> {
  opcode: number;
  name: string;
  method: M;
  noReply?: boolean;
  worker?: boolean;
  decode(req: Req): A;
  call(fs: FsWith<M>, ctx: RequestContext, a: A, env: ServeEnv): MaybePromise<R>;
  encode(w: ReplyBuf, r: R, a: A): void;
}

/** Replies with no payload (UNLINK, RMDIR, FLUSH...). */
export const empty = (): void => {};
/** The fixed part of a request is its header only. */
export const nothing = (): Record<string, never> => ({});

/** Defines an entry with its types inferred. */
export function op<A, R, M extends keyof RawFileSystem>(d: OpDef<A, R, M>): OpDef<A, R, M> {
  return d;
}
