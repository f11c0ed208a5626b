// Says once what goes wrong with the store and, while an outage lasts, since when and how much data waits.
import type { Backend, BackendStats } from "../store/backend.ts";

/** An error message without the parts that change on every attempt (keys, counts, seconds), to say each error once. */
const errorShape = (message: string): string => message.replace(/data\/\S+/g, "data/…").replace(/\d+/g, "#");

const MIB = 1024 * 1024;

export class OutageLog {
  /** Wall-clock ms of the first failure since the last success, or null while the store answers. */
  private since: number | null = null;
  /** The kinds of error already said during this outage (cleared when the store answers again). */
  private readonly said = new Set<string>();
  private lastReport = 0;
  private lastSeenErrorAt = 0;
  private lastSuccessAt = 0;

  constructor(
    private readonly backend: Backend,
    private readonly log: (line: string) => void,
    /** Interval of the "store unreachable since" line (the first comes once the outage is 5 s old). */
    private readonly reportEveryMs = 30_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** An upload (or another store operation) failed for good this time; it will be tried again. */
  failure(message: string, at = this.now()): void {
    this.since ??= at;
    const shape = errorShape(message);
    if (this.said.has(shape) || this.said.size >= 100) return;
    this.said.add(shape);
    this.log(`store error (the data stays in the cache; retrying until the store answers): ${message}`);
  }

  /** An upload succeeded: the outage, if any, is over. */
  success(): void {
    this.lastSuccessAt = this.now();
    if (this.since !== null) this.log(`the store answers again after ${Math.round((this.lastSuccessAt - this.since) / 1000)} s`);
    this.since = null;
    this.said.clear();
  }

  /** Picks up errors the retry layer saw on attempts still being retried (they reach no caller yet). */
  poll(): void {
    const e = (this.backend as { stats?: () => BackendStats }).stats?.().lastError;
    if (!e || e.at === this.lastSeenErrorAt || e.at <= this.lastSuccessAt) return;
    this.lastSeenErrorAt = e.at;
    this.failure(e.message, e.at);
  }

  /** True while the store has not answered an upload since an error. */
  get down(): boolean {
    return this.since !== null;
  }

  /** While an outage lasts: one line now and then saying since when and how much waits. */
  report(waitingBytes: () => number): void {
    this.poll();
    const t = this.now();
    // a blip that the retry layer rides out is not an outage worth a line: wait until it is 5 s old
    if (this.since === null || t - this.since < Math.min(5000, this.reportEveryMs) || t - this.lastReport < this.reportEveryMs) return;
    this.lastReport = t;
    const mb = (waitingBytes() / MIB).toFixed(1);
    this.log(`store unreachable since ${new Date(this.since).toISOString()}, ${mb} MB waiting in the cache; still trying, nothing is dropped`);
  }
}
