// The object-store contract every backend (memory, local, s3) implements; knows nothing of FUSE or SQLite.

/** Why a store operation failed; retry and callers decide by kind, never by message text. */
export type StoreErrorKind =
  | "not-found" // the object does not exist
  | "auth" // credentials rejected or access denied: retrying will not help
  | "transient" // 5xx, throttling, timeouts, connection resets: retrying may help
  | "permanent" // anything else the store refused (bad bucket, bad request)
  | "corrupted"; // the object exists but failed authentication/decoding

export class StoreError extends Error {
  constructor(
    readonly kind: StoreErrorKind,
    message: string,
    readonly key?: string,
    /** Seconds the store asked us to wait (Retry-After), when it said so. */
    readonly retryAfterSec?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "StoreError";
  }
}

export const isNotFound = (e: unknown): boolean => e instanceof StoreError && e.kind === "not-found";
export const isTransient = (e: unknown): boolean => e instanceof StoreError && e.kind === "transient";

export interface ObjectInfo {
  key: string;
  size: number;
}

/**
 * A flat key -> bytes store. Keys are opaque strings made of [A-Za-z0-9._/-]; "/" is only a
 * separator for listing. put is atomic: a reader sees the old object, the new one, or not-found,
 * never a partial object.
 */
export interface Backend {
  /** A human-readable location with secrets removed, for messages and logs. */
  readonly description: string;
  get(key: string): Promise<Uint8Array>;
  /** Bytes [offset, offset+length) of the object; shorter at the end of the object. */
  getRange(key: string, offset: number, length: number): Promise<Uint8Array>;
  put(key: string, data: Uint8Array): Promise<void>;
  /** Size of the object, or null when it does not exist. */
  head(key: string): Promise<ObjectInfo | null>;
  /** Deleting a missing object is not an error. */
  delete(key: string): Promise<void>;
  deleteMany(keys: string[]): Promise<void>;
  /**
   * All objects whose key starts with prefix, in key order, paging handled inside. With startAfter, only
   * keys greater than it (S3's StartAfter): lets a listing broken by an error resume where it stopped.
   */
  list(prefix: string, startAfter?: string): AsyncIterable<ObjectInfo>;
  close(): Promise<void>;
}

export const isAuth = (e: unknown): boolean => e instanceof StoreError && e.kind === "auth";
export const isCorrupted = (e: unknown): boolean => e instanceof StoreError && e.kind === "corrupted";

/** Counters a decorator chain exposes for `coffer stat` and the dashboard. */
export interface BackendStats {
  /** Requests started against the real store (every attempt counts). */
  attempts: number;
  /** Attempts that failed transiently and were tried again. */
  retries: number;
  /** Operations that failed for good (after retries, or at once for auth/permanent errors). */
  failures: number;
  /** The most recent error seen on any attempt, for display; null when none yet. */
  lastError: { kind: StoreErrorKind; message: string; at: number } | null;
  /** Operations waiting for or holding a slot of the concurrency limit. */
  inFlight: number;
  queued: number;
  /** Moving average of successful attempts' duration in ms (null before the first). */
  latencyMs?: number | null;
}

/** A backend that reports stats: what openBackend returns. */
export interface ObservableBackend extends Backend {
  stats(): BackendStats;
}
