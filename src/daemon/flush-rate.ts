// Upload-rate measurement and what the daemon tells systemd from it: the STATUS line and how long a stop may take.

/** Bytes per second over a sliding window of (time, cumulative bytes) samples. */
export class UploadRate {
  private samples: Array<{ at: number; bytes: number }> = [];

  constructor(private readonly windowMs = 10_000) {}

  /** Records the cumulative byte count `bytes` at time `at` (ms). */
  sample(bytes: number, at: number): void {
    this.samples.push({ at, bytes });
    while (this.samples.length > 2 && at - this.samples[0]!.at > this.windowMs) this.samples.shift();
  }

  /** Bytes per second, or null before two samples at different times. */
  rate(): number | null {
    const first = this.samples[0], last = this.samples[this.samples.length - 1];
    if (!first || !last || last.at <= first.at) return null;
    return Math.max(0, ((last.bytes - first.bytes) * 1000) / (last.at - first.at));
  }
}

function humanBytes(n: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) (n /= 1024), i++;
  return `${n.toFixed(i === 0 ? 0 : 1)} ${units[i]}`;
}

export function statusLine(dirtyBytes: number, rate: number | null, phase?: string): string {
  const up = rate === null ? "upload rate unknown" : `uploading ${humanBytes(rate)}/s`;
  return `${phase ? `${phase}: ` : ""}${humanBytes(dirtyBytes)} dirty, ${up}`;
}

/** Sent at least this often while a stop flushes; each extension must outlive the gap to the next one. */
export const EXTEND_EVERY_MS = 5_000;
/** When nothing has been measured yet (or the link is stalled), ask for this much at a time. */
const FALLBACK_EXTEND_MS = 60_000;
const MIN_EXTEND_MS = 30_000;
const MAX_EXTEND_MS = 60 * 60_000;

/**
 * EXTEND_TIMEOUT_USEC for a stop with `remainingBytes` still to upload at `rate` bytes/s: twice the expected
 * time (rates swing) plus a margin, never less than a few extension periods, capped at an hour per message
 * (a stop that needs longer keeps extending as long as it makes progress).
 */
export function extendTimeoutUsec(remainingBytes: number, rate: number | null): number {
  const expectedMs = rate && rate > 0 ? (remainingBytes / rate) * 1000 : FALLBACK_EXTEND_MS;
  const ms = Math.min(MAX_EXTEND_MS, Math.max(MIN_EXTEND_MS, 2 * expectedMs + 10_000));
  return Math.round(ms) * 1000;
}
