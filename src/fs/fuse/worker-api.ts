// WorkerHandlers: the synchronous subset of RawFileSystem a reader Worker may answer itself (the fast path).
import type { Forward } from "./forward.ts";
import type { MaybePromise, RawFileSystem } from "./raw-fs.ts";

/** The same signature as the RawFileSystem method, synchronous, and allowed to return FORWARD. */
type Sync<F> = F extends (...args: infer P) => MaybePromise<infer R> ? (...args: P) => R | Forward : never;
type Pick1<K extends keyof RawFileSystem> = Sync<NonNullable<RawFileSystem[K]>>;

/**
 * Handlers run inside each reader Worker, on the thread that read the request, so they must not await
 * (the Worker goes straight back to a blocking read). Return the answer, throw FuseError(errno), or return
 * FORWARD to let the main thread's RawFileSystem answer. Absent handlers forward. LOOKUP and READDIRPLUS
 * entries answered here are reported to the main filesystem through its noteLookup(nodeid, count).
 */
export interface WorkerHandlers {
  lookup?: Pick1<"lookup">;
  getattr?: Pick1<"getattr">;
  readlink?: Pick1<"readlink">;
  access?: Pick1<"access">;
  statfs?: Pick1<"statfs">;
  read?: Pick1<"read">;
  opendir?: Pick1<"opendir">;
  readdir?: Pick1<"readdir">;
  readdirplus?: Pick1<"readdirplus">;
  releasedir?: Pick1<"releasedir">;
  getxattr?: Pick1<"getxattr">;
  listxattr?: Pick1<"listxattr">;
}

/** The default export of FuseMountOptions.workerModule. */
export type WorkerFactory = (workerData: unknown) => WorkerHandlers;
