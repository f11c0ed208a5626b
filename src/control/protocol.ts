// The control socket's messages: one JSON object per line, validated with these zod schemas on both ends.
//
// Every message carries the protocol version `v`. A command is one entry in ControlRequest plus one
// handler in src/control/handlers.ts; replies to a command are zero or more "progress" lines and then one
// "done" or "error". A "subscribe" request is answered by "snapshot" lines until either side closes.
import { z } from "zod";
import { firstIssue } from "../schema-issue.ts";

/** Bumped whenever a message changes shape; both ends refuse a different version with one clear line. */
export const PROTOCOL_VERSION = 1;

export const LOG_LEVELS = ["info", "debug"] as const;
export const LogLevel = z.enum(LOG_LEVELS);
export type LogLevel = z.infer<typeof LogLevel>;

/** mounting → running ⇄ flushing → unmounting → stopped (everything stored; the daemon is about to exit). */
export const MountState = z.enum(["mounting", "running", "flushing", "unmounting", "stopped"]);
export type MountState = z.infer<typeof MountState>;

const bytes = z.number().int().nonnegative();
const count = z.number().int().nonnegative();
/** Milliseconds since the epoch. */
const time = z.number().nonnegative();

export const StoreErrorInfo = z.object({ kind: z.string(), message: z.string(), at: time });

/** Everything `coffer stat` and `coffer dash` show, in one object. */
export const Snapshot = z.object({
  url: z.string(),
  mountpoint: z.string(),
  pid: z.number().int().positive(),
  state: MountState,
  /** When the snapshot was taken. */
  at: time,
  uptimeMs: z.number().nonnegative(),
  logLevel: LogLevel,
  cache: z.object({
    usedBytes: bytes,
    capBytes: bytes,
    entries: count,
    dirtyBytes: bytes,
    dirtyBlocks: count,
  }),
  uploads: z.object({
    /** Dirty blocks waiting to be stored, and their bytes. */
    queuedBlocks: count,
    queuedBytes: bytes,
    inFlight: count,
    bytesPerSecond: z.number().nonnegative(),
    totalBytes: bytes,
  }),
  downloads: z.object({
    inFlight: count,
    bytesPerSecond: z.number().nonnegative(),
    totalBytes: bytes,
  }),
  store: z.object({
    attempts: count,
    retries: count,
    failures: count,
    /** Average time of recent requests to the store; null before the first one. */
    latencyMs: z.number().nonnegative().nullable(),
    lastError: StoreErrorInfo.nullable(),
  }),
  metadata: z.object({
    version: count,
    lastShippedAt: time.nullable(),
    /** True when the database changed since the last shipped snapshot. */
    pending: z.boolean(),
    /** How long changes have waited to be shipped (0 when nothing is pending). */
    lagMs: z.number().nonnegative(),
  }),
  space: z.object({
    entries: count,
    inodes: count,
    logicalBytes: bytes,
    dedupBytes: bytes,
    storedBytes: bytes,
    storedObjects: count,
    /** Directory trees made immutable with coffer lock (absent from daemons older than the command). */
    lockedTrees: count.optional(),
  }),
});
export type Snapshot = z.infer<typeof Snapshot>;

/** A path inside the mount as its components below the mount point ([] = the mount point). */
const TreePath = z.array(
  z.string().min(1).max(255).refine((c) => c !== "." && c !== ".." && !/[/\0]/.test(c), "a path component must be a plain name"),
).max(4096);

export const ControlRequest = z.discriminatedUnion("op", [
  z.object({ v: z.number(), op: z.literal("stat") }),
  z.object({ v: z.number(), op: z.literal("subscribe"), intervalMs: z.number().int().min(100).max(60_000).default(1000) }),
  z.object({ v: z.number(), op: z.literal("flush") }),
  z.object({ v: z.number(), op: z.literal("umount") }),
  z.object({ v: z.number(), op: z.literal("dropcache") }),
  z.object({ v: z.number(), op: z.literal("upload-meta") }),
  z.object({ v: z.number(), op: z.literal("cachesize"), bytes: z.number().int().min(1024 * 1024) }),
  z.object({ v: z.number(), op: z.literal("log"), level: LogLevel }),
  z.object({ v: z.number(), op: z.literal("cp"), src: TreePath, dst: TreePath }),
  z.object({ v: z.number(), op: z.literal("rm"), path: TreePath }),
  z.object({ v: z.number(), op: z.literal("lock"), path: TreePath }),
  z.object({ v: z.number(), op: z.literal("lock-status"), path: TreePath }),
]);
export type ControlRequest = z.infer<typeof ControlRequest>;
export type ControlOp = ControlRequest["op"];
/** A request as a client writes it (the version is added by the client). */
export type ControlCommand = DistributiveOmit<z.input<typeof ControlRequest>, "v">;
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** A flush's progress as the daemon reports it on the socket (the phase is any string, for newer daemons). */
export const FlushProgressMessage = z.object({ phase: z.string(), dirtyBytes: bytes, uploadedBytes: bytes });
export type FlushProgressMessage = z.infer<typeof FlushProgressMessage>;

export const ControlReply = z.discriminatedUnion("type", [
  z.object({ v: z.number(), type: z.literal("progress"), progress: FlushProgressMessage }),
  z.object({ v: z.number(), type: z.literal("snapshot"), snapshot: Snapshot }),
  z.object({ v: z.number(), type: z.literal("done"), result: z.unknown().optional() }),
  z.object({ v: z.number(), type: z.literal("error"), message: z.string() }),
]);
export type ControlReply = z.infer<typeof ControlReply>;

/** One line naming the first problem of a failed parse, e.g. `cachesize.bytes: Too small: expected >=1048576`. */
export function describeIssue(error: z.ZodError): string {
  return firstIssue(error);
}

/** Parses one line against a schema, checking the version first so a version mismatch is reported as such. */
export function parseLine<T>(
  schema: z.ZodType<T>,
  line: string,
): { ok: true; value: T } | { ok: false; problem: "json" | "version" | "shape"; detail: string; version?: unknown } {
  let raw: unknown;
  try {
    raw = JSON.parse(line);
  } catch {
    return { ok: false, problem: "json", detail: "not JSON" };
  }
  const version = typeof raw === "object" && raw !== null ? (raw as { v?: unknown }).v : undefined;
  if (version !== PROTOCOL_VERSION) return { ok: false, problem: "version", detail: `version ${JSON.stringify(version ?? null)}`, version };
  const parsed = schema.safeParse(raw);
  if (!parsed.success) return { ok: false, problem: "shape", detail: describeIssue(parsed.error) };
  return { ok: true, value: parsed.data };
}
