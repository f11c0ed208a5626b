// Concurrency-limit decorator: at most N operations in flight against the store, the rest wait in FIFO order.
import type { Backend, BackendStats, ObjectInfo } from "./backend.ts";

export class LimitBackend implements Backend {
  readonly description: string;
  private active = 0;
  private readonly waiters: (() => void)[] = [];

  constructor(
    readonly inner: Backend,
    readonly maxConcurrent: number,
  ) {
    if (!(maxConcurrent >= 1)) throw new RangeError("maxConcurrent must be at least 1");
    this.description = inner.description;
  }

  /** The inner chain's stats (if any) with this limit's queue figures filled in. */
  stats(): BackendStats {
    const innerStats = (this.inner as Partial<{ stats(): BackendStats }>).stats?.();
    const base = innerStats ?? { attempts: 0, retries: 0, failures: 0, lastError: null, inFlight: 0, queued: 0 };
    return { ...base, inFlight: this.active, queued: this.waiters.length };
  }

  private async acquire(): Promise<void> {
    if (this.active < this.maxConcurrent) {
      this.active++;
      return;
    }
    // The slot is handed over directly by release(), so `active` never dips and nobody can jump the queue.
    await new Promise<void>((resolve) => this.waiters.push(resolve));
  }

  private release(): void {
    const next = this.waiters.shift();
    if (next) next();
    else this.active--;
  }

  private async with<T>(fn: () => Promise<T>): Promise<T> {
    await this.acquire();
    try {
      return await fn();
    } finally {
      this.release();
    }
  }

  get(key: string): Promise<Uint8Array> {
    return this.with(() => this.inner.get(key));
  }
  getRange(key: string, offset: number, length: number): Promise<Uint8Array> {
    return this.with(() => this.inner.getRange(key, offset, length));
  }
  put(key: string, data: Uint8Array): Promise<void> {
    return this.with(() => this.inner.put(key, data));
  }
  head(key: string): Promise<ObjectInfo | null> {
    return this.with(() => this.inner.head(key));
  }
  delete(key: string): Promise<void> {
    return this.with(() => this.inner.delete(key));
  }
  deleteMany(keys: string[]): Promise<void> {
    return this.with(() => this.inner.deleteMany(keys));
  }

  /** Holds a slot only while fetching each item, so a slow consumer of a listing blocks nobody. */
  async *list(prefix: string, startAfter?: string): AsyncIterable<ObjectInfo> {
    const it = this.inner.list(prefix, startAfter)[Symbol.asyncIterator]();
    try {
      for (;;) {
        const r = await this.with(() => it.next());
        if (r.done) return;
        yield r.value;
      }
    } finally {
      await it.return?.();
    }
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
