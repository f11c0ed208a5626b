// Bytes per second from a growing byte counter over a sliding window, sampled only when someone asks (no timer).

/** One reading of the counter: its value `total` at `at` ms. */
export interface RateSample {
  at: number;
  total: number;
}

/**
 * Rate over the last `windowMs`; when asked rarely, the average since the previous question. One sample older
 * than the window is kept, so the rate always spans at least the window (or all there is).
 */
export class RateMeter {
  private readonly samples: RateSample[] = [];

  /**
   * `start` is the counter's first reading: by default zero now (a counter that starts with the meter); null
   * when the counter already holds an unknown history (the rate is then unknown until two samples exist).
   */
  constructor(
    private readonly windowMs = 3000,
    start: RateSample | null = { at: Date.now(), total: 0 },
  ) {
    if (start) this.samples.push(start);
  }

  /** Records the counter's value and returns the rate (0 while it is unknown). */
  sample(total: number, at = Date.now()): number {
    this.samples.push({ at, total });
    while (this.samples.length > 2 && at - this.samples[1]!.at >= this.windowMs) this.samples.shift();
    return this.rate() ?? 0;
  }

  /** Bytes per second between the oldest kept sample and the newest, or null before two samples apart in time. */
  rate(): number | null {
    const first = this.samples[0];
    const last = this.samples[this.samples.length - 1];
    if (!first || !last || last.at <= first.at) return null;
    return Math.max(0, ((last.total - first.total) * 1000) / (last.at - first.at));
  }
}
