// What the daemon tells systemd from the measured upload rate: the STATUS line and how long a stop may take.
import { formatBytes, formatRate } from "../format-bytes.ts";

export function statusLine(dirtyBytes: number, rate: number | null, phase?: string): string {
  const up = rate === null ? "upload rate unknown" : `uploading ${formatRate(rate)}`;
  return `${phase ? `${phase}: ` : ""}${formatBytes(dirtyBytes)} dirty, ${up}`;
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
