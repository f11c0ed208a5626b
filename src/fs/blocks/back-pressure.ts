// BackPressure: slows writers smoothly as dirty data fills the cache, so it never hits the cap at full speed.
//
// Pressure is the share of the cache taken by what only uploads can free (dirty data).
// Below LOW_WATER writers run free. Above it every write is paced to a rate that falls from "unlimited"
// at LOW_WATER to the measured upload (drain) rate at the middle of the band and to zero at the cap, where
// the hard cap takes over (writers wait for room). Writers then settle near the middle of the band at the
// store's upload rate: throughput once full is the upload rate, with no cliff and no stall. The pace is
// shared by all writers (one schedule of slots), so ten writers together get the rate, not ten times it.
// Waiting for room is here too: waiters wake whenever room may have been freed, and at least every
// RECHECK_MS in case nothing signals (a clean block whose reader timed out ages out of its protection).

/** Pressure at which writers start to be paced (and the upload queue uploads everything dirty at once). */
export const LOW_WATER = 0.8;
/** Longest single pause: the pressure is looked at again after it. */
const MAX_PAUSE_MS = 250;
/** How often a waiter for room looks again when nothing woke it. */
const RECHECK_MS = 250;
/** Time constant of the drain-rate average (ms). */
const RATE_TAU_MS = 2000;
/** Assumed drain rate before anything was uploaded, and the floor during an outage (bytes/s). */
const INITIAL_RATE = 16 * 1024 * 1024;
const FLOOR_RATE = 256 * 1024;

/**
 * The rate writers are paced to at `pressure` (0..1 of the cap), given the store's drain rate: Infinity
 * below LOW_WATER, the drain rate at the middle of the band, falling to 0 at the cap.
 */
export function pacedRate(drainRate: number, pressure: number): number {
  if (pressure < LOW_WATER) return Infinity;
  const x = Math.min(1, (pressure - LOW_WATER) / (1 - LOW_WATER));
  if (x >= 1) return 0;
  if (x <= 0) return Infinity;
  return drainRate * ((1 - x) / x);
}

export class BackPressure {
  /** Exponentially weighted bytes drained (uploaded and marked clean), per RATE_TAU_MS. */
  private drained = 0;
  private drainedAt = 0;
  private everDrained = false;
  /** When the next paced write may start (shared by every writer). */
  private nextSlot = 0;
  private waiters: (() => void)[] = [];

  constructor(private readonly now: () => number = () => performance.now()) {}

  /** Records bytes that became clean (an upload committed): the drain-rate estimate follows it. */
  noteDrained(bytes: number): void {
    const t = this.now();
    this.drained = this.drained * Math.exp(-(t - this.drainedAt) / RATE_TAU_MS) + bytes;
    this.drainedAt = t;
    this.everDrained = true;
  }

  /** Bytes per second the store has been taking lately (an assumed rate until the first upload). */
  drainRate(): number {
    if (!this.everDrained) return INITIAL_RATE;
    const decayed = this.drained * Math.exp(-(this.now() - this.drainedAt) / RATE_TAU_MS);
    return Math.max(FLOOR_RATE, (decayed * 1000) / RATE_TAU_MS);
  }

  /**
   * How long a write of `len` bytes waits before it goes ahead at `pressure`, taking its slot in the
   * shared schedule (0: go now). At or past the cap it returns 0: the hard cap makes the writer wait.
   */
  pauseMs(len: number, pressure: number): number {
    const rate = pacedRate(this.drainRate(), pressure);
    const t = this.now();
    if (rate === Infinity || rate === 0) {
      this.nextSlot = t;
      return 0;
    }
    const start = Math.max(t, this.nextSlot);
    this.nextSlot = Math.min(start + (len * 1000) / rate, t + MAX_PAUSE_MS);
    return Math.min(start - t, MAX_PAUSE_MS);
  }

  /** Resolves when room may have been freed (a block became clean or went away), or after RECHECK_MS. */
  roomChange(): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, RECHECK_MS);
      this.waiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /** Wakes every waiter for room (they look again). */
  wake(): void {
    const waiters = this.waiters;
    if (waiters.length === 0) return;
    this.waiters = [];
    for (const w of waiters) w();
  }

  get waiting(): number {
    return this.waiters.length;
  }
}
