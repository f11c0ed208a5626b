// Retry decorator: exponential backoff with jitter for transient errors, Retry-After honoured within a cap.
//
// Every Backend operation is idempotent (put of a key writes the same bytes again, delete of a missing key
// succeeds), so any operation may be repeated. Auth, permanent, not-found and corrupted errors are never
// retried: they surface at once. The clock, sleep and randomness are injectable so tests can run an
// outage of many "seconds" quickly or, where wanted, for real.
import { type Backend, type BackendStats, type ObjectInfo, StoreError } from "./backend.ts";

export interface RetryOptions {
  /** First backoff step (default 200 ms); step n waits about base * 2^n, capped at maxDelayMs. */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Give up on an operation once this long has passed since it started (default 15 min). */
  maxElapsedMs?: number;
  /** Retry-After beyond this is clamped, so a confused server cannot park us for hours (default 60 s). */
  retryAfterCapMs?: number;
  /**
   * Safety net for backends without their own deadline: an attempt still pending after this many ms (plus
   * 1 s per MiB written) counts as a transient timeout and is retried. Its promise is abandoned, not
   * cancelled, so backends that can abort (S3Backend) should enforce their own deadline as well.
   */
  attemptTimeoutMs?: number;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
  random?: () => number;
  /** Called before each backoff sleep, for logs. */
  onRetry?: (e: StoreError, attempt: number, delayMs: number) => void;
}

export class RetryBackend implements Backend {
  readonly description: string;
  private readonly o: Required<Omit<RetryOptions, "attemptTimeoutMs" | "onRetry">> &
    Pick<RetryOptions, "attemptTimeoutMs" | "onRetry">;
  private readonly counters: BackendStats = {
    attempts: 0,
    retries: 0,
    failures: 0,
    lastError: null,
    inFlight: 0,
    queued: 0,
  };

  constructor(
    readonly inner: Backend,
    opts: RetryOptions = {},
  ) {
    this.description = inner.description;
    this.o = {
      baseDelayMs: opts.baseDelayMs ?? 200,
      maxDelayMs: opts.maxDelayMs ?? 20_000,
      maxElapsedMs: opts.maxElapsedMs ?? 15 * 60_000,
      retryAfterCapMs: opts.retryAfterCapMs ?? 60_000,
      attemptTimeoutMs: opts.attemptTimeoutMs,
      sleep: opts.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms))),
      now: opts.now ?? Date.now,
      random: opts.random ?? Math.random,
      onRetry: opts.onRetry,
    };
  }

  stats(): BackendStats {
    return { ...this.counters };
  }

  /** The wait before retry number `attempt` (0-based): "equal jitter", half fixed, half random. */
  delayFor(attempt: number, e: StoreError): number {
    const exp = Math.min(this.o.maxDelayMs, this.o.baseDelayMs * 2 ** Math.min(attempt, 30));
    const jittered = exp / 2 + (this.o.random() * exp) / 2;
    if (e.retryAfterSec !== undefined) {
      return Math.max(jittered, Math.min(e.retryAfterSec * 1000, this.o.retryAfterCapMs));
    }
    return jittered;
  }

  private withDeadline<T>(p: Promise<T>, bytes: number, what: string): Promise<T> {
    const base = this.o.attemptTimeoutMs;
    if (base === undefined) return p;
    const ms = base + Math.ceil(bytes / 1048576) * 1000;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const t = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new StoreError("transient", `${what} on ${this.description} timed out after ${ms} ms`)),
        ms,
      );
    });
    return Promise.race([p, t]).finally(() => clearTimeout(timer));
  }

  /** Runs one operation with retries; `what` names it in messages. */
  async run<T>(what: string, bytes: number, fn: () => Promise<T>): Promise<T> {
    const start = this.o.now();
    for (let attempt = 0; ; attempt++) {
      this.counters.attempts++;
      const began = performance.now();
      try {
        const result = await this.withDeadline(fn(), bytes, what);
        const took = performance.now() - began;
        const avg = this.counters.latencyMs;
        this.counters.latencyMs = avg == null ? took : avg * 0.8 + took * 0.2; // recent requests weigh most
        return result;
      } catch (raw) {
        const e =
          raw instanceof StoreError
            ? raw
            : new StoreError("permanent", `${what} on ${this.description} failed: ${String(raw)}`, undefined, undefined, {
                cause: raw,
              });
        // A missing object is an answer, not a store problem: it is not counted or shown as an error.
        if (e.kind === "not-found") throw e;
        this.counters.lastError = { kind: e.kind, message: e.message, at: this.o.now() };
        if (e.kind !== "transient") {
          this.counters.failures++;
          throw e;
        }
        const delay = this.delayFor(attempt, e);
        if (this.o.now() - start + delay > this.o.maxElapsedMs) {
          this.counters.failures++;
          throw new StoreError(
            "transient",
            `${what} on ${this.description} still failing after ${attempt + 1} attempts over ${Math.round((this.o.now() - start) / 1000)} s: ${e.message}`,
            e.key,
            e.retryAfterSec,
            { cause: e },
          );
        }
        this.counters.retries++;
        this.o.onRetry?.(e, attempt, delay);
        await this.o.sleep(delay);
      }
    }
  }

  get(key: string): Promise<Uint8Array> {
    return this.run(`get ${key}`, 0, () => this.inner.get(key));
  }
  getRange(key: string, offset: number, length: number): Promise<Uint8Array> {
    return this.run(`get ${key}`, length, () => this.inner.getRange(key, offset, length));
  }
  put(key: string, data: Uint8Array): Promise<void> {
    return this.run(`put ${key}`, data.length, () => this.inner.put(key, data));
  }
  head(key: string): Promise<ObjectInfo | null> {
    return this.run(`head ${key}`, 0, () => this.inner.head(key));
  }
  delete(key: string): Promise<void> {
    return this.run(`delete ${key}`, 0, () => this.inner.delete(key));
  }
  deleteMany(keys: string[]): Promise<void> {
    return this.run(`delete of ${keys.length} objects`, 0, () => this.inner.deleteMany(keys));
  }

  /** A listing that fails mid-way resumes after the last key it yielded (listings are in key order). */
  async *list(prefix: string, startAfter?: string): AsyncIterable<ObjectInfo> {
    let last = startAfter;
    let it: AsyncIterator<ObjectInfo> | null = null;
    try {
      for (;;) {
        const item = await this.run(`list ${prefix}`, 0, async () => {
          try {
            it ??= this.inner.list(prefix, last)[Symbol.asyncIterator]();
            for (;;) {
              const r = await it.next();
              if (r.done) return null;
              // Also skip here, for a backend that ignores startAfter: never yield a key twice.
              if (last === undefined || r.value.key > last) return r.value;
            }
          } catch (e) {
            it = null; // resume with a fresh listing after `last` on the next attempt
            throw e;
          }
        });
        if (item === null) return;
        last = item.key;
        yield item;
      }
    } finally {
      await (it as AsyncIterator<ObjectInfo> | null)?.return?.();
    }
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
