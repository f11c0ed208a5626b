// Bytes per second from a growing byte counter, sampled only when someone asks (no timer while nobody watches).

/** Rate over the last `windowMs`; when asked rarely, the average since the previous question. */
export class RateMeter {
  private readonly samples: { at: number; total: number }[] = [];

  constructor(
    private readonly windowMs = 3000,
    now = Date.now(),
    total = 0,
  ) {
    this.samples.push({ at: now, total });
  }

  sample(total: number, now = Date.now()): number {
    this.samples.push({ at: now, total });
    // keep one sample older than the window, so the rate always spans at least the window (or all we have)
    while (this.samples.length > 2 && now - this.samples[1]!.at >= this.windowMs) this.samples.shift();
    const first = this.samples[0]!;
    const seconds = (now - first.at) / 1000;
    return seconds > 0 ? Math.max(0, (total - first.total) / seconds) : 0;
  }
}
