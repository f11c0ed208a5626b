// FORWARD: what a reader Worker's handler returns to hand the request to the main thread instead of answering it.

/** Registered symbol, so every module instance (main thread, each Worker) sees the same value. */
export const FORWARD: unique symbol = Symbol.for("coffer.fuse.forward") as any;
export type Forward = typeof FORWARD;
