// Fault-injecting decorator for tests: transient error rate, latency, outage windows, corrupt reads, auth failure.
import { type Backend, type ObjectInfo, StoreError } from "./backend.ts";

export interface FaultOptions {
  /** Probability (0..1) that an operation fails with a transient error (before touching the store). */
  errorRate?: number;
  /** Probability that a failing put still lands (the answer was lost after the write): idempotency check. */
  lostAnswerRate?: number;
  /** Added latency per operation, ms (fixed, plus up to latencyJitterMs at random). */
  latencyMs?: number;
  latencyJitterMs?: number;
  /** Probability that a get returns the object with one bit flipped. */
  corruptReadRate?: number;
  /** Every operation fails with an "auth" error, as a store with revoked credentials does. */
  authFailure?: boolean;
  /** Seconds of Retry-After to attach to injected transient errors (like S3 SlowDown). */
  retryAfterSec?: number;
  /** Items per simulated listing page: faults hit a listing once per page. */
  listPageSize?: number;
  /** Deterministic randomness for reproducible tests (a seed for a small PRNG). */
  seed?: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

/** mulberry32: tiny, fast and good enough to make fault patterns (and test sequences) reproducible. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class FaultyBackend implements Backend {
  readonly description: string;
  /** Faults can be changed while a test runs. */
  opts: FaultOptions;
  private readonly random: () => number;
  private outageUntil = 0;
  /** What was injected, for assertions. */
  readonly injected = { errors: 0, outageErrors: 0, corruptions: 0, lostAnswers: 0, calls: 0 };

  constructor(
    readonly inner: Backend,
    opts: FaultOptions = {},
  ) {
    this.description = inner.description;
    this.opts = opts;
    this.random = opts.seed !== undefined ? mulberry32(opts.seed) : Math.random;
  }

  private now(): number {
    return (this.opts.now ?? Date.now)();
  }

  /** Every operation fails transiently (connection refused) for the next `ms` milliseconds. */
  startOutage(ms: number): void {
    this.outageUntil = this.now() + ms;
  }
  endOutage(): void {
    this.outageUntil = 0;
  }
  get inOutage(): boolean {
    return this.now() < this.outageUntil;
  }

  /** Latency, auth failure and outage, checked before every operation. */
  private async before(op: string, key?: string): Promise<void> {
    this.injected.calls++;
    const o = this.opts;
    const lat = (o.latencyMs ?? 0) + (o.latencyJitterMs ? this.random() * o.latencyJitterMs : 0);
    if (lat > 0) await (o.sleep ?? ((ms: number) => new Promise((r) => setTimeout(r, ms))))(lat);
    if (o.authFailure) {
      throw new StoreError(
        "auth",
        `access denied by ${this.description} (injected InvalidAccessKeyId): check the login and password in your authinfo file`,
        key,
      );
    }
    if (this.inOutage) {
      this.injected.outageErrors++;
      throw new StoreError("transient", `${op} on ${this.description} failed: injected outage (ECONNREFUSED)`, key);
    }
  }

  private maybeFail(op: string, key?: string): void {
    if (this.opts.errorRate && this.random() < this.opts.errorRate) {
      this.injected.errors++;
      throw new StoreError("transient", `${op} on ${this.description} failed: injected 503 SlowDown`, key, this.opts.retryAfterSec);
    }
  }

  async get(key: string): Promise<Uint8Array> {
    await this.before("get", key);
    this.maybeFail("get", key);
    return this.corrupt(await this.inner.get(key));
  }

  async getRange(key: string, offset: number, length: number): Promise<Uint8Array> {
    await this.before("get", key);
    this.maybeFail("get", key);
    return this.corrupt(await this.inner.getRange(key, offset, length));
  }

  private corrupt(data: Uint8Array): Uint8Array {
    if (data.length > 0 && this.opts.corruptReadRate && this.random() < this.opts.corruptReadRate) {
      this.injected.corruptions++;
      const i = Math.floor(this.random() * data.length);
      data[i] ^= 1 << Math.floor(this.random() * 8);
    }
    return data;
  }

  async put(key: string, data: Uint8Array): Promise<void> {
    await this.before("put", key);
    if (this.opts.errorRate && this.random() < this.opts.errorRate) {
      // Sometimes the write lands but the answer is lost: the retry must cope with a repeated put.
      if (this.opts.lostAnswerRate && this.random() < this.opts.lostAnswerRate) {
        await this.inner.put(key, data);
        this.injected.lostAnswers++;
      }
      this.injected.errors++;
      throw new StoreError("transient", `put ${key} on ${this.description} failed: injected 503 SlowDown`, key, this.opts.retryAfterSec);
    }
    return this.inner.put(key, data);
  }

  async head(key: string): Promise<ObjectInfo | null> {
    await this.before("head", key);
    this.maybeFail("head", key);
    return this.inner.head(key);
  }

  async delete(key: string): Promise<void> {
    await this.before("delete", key);
    this.maybeFail("delete", key);
    return this.inner.delete(key);
  }

  async deleteMany(keys: string[]): Promise<void> {
    await this.before("delete", keys[0]);
    this.maybeFail("delete", keys[0]);
    return this.inner.deleteMany(keys);
  }

  /** Faults are injected per page of listPageSize items (default 100), as a real listing can break between pages. */
  async *list(prefix: string, startAfter?: string): AsyncIterable<ObjectInfo> {
    const page = this.opts.listPageSize ?? 100;
    let n = 0;
    for await (const item of this.inner.list(prefix, startAfter)) {
      if (n++ % page === 0) {
        await this.before("list", prefix);
        this.maybeFail("list", prefix);
      }
      yield item;
    }
    if (n === 0) {
      await this.before("list", prefix);
      this.maybeFail("list", prefix);
    }
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
