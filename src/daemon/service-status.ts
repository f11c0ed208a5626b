// Feeds systemd while the mount runs and while it stops: STATUS every few seconds, then STOPPING and
// EXTEND_TIMEOUT_USEC sized from what is left and the measured upload rate, until the last byte is stored.
import type { MountedFilesystem } from "../fs/mount.ts";
import type { FlushProgress } from "../fs/vfs/index.ts";
import { RateMeter } from "../rate-meter.ts";
import { EXTEND_EVERY_MS, extendTimeoutUsec, statusLine } from "./flush-rate.ts";
import type { SystemdNotifier } from "./notify.ts";

export const STATUS_EVERY_MS = 5_000;

export class ServiceStatus {
  // stored bytes have a history before the mount's first STATUS, and a stop starts at no particular count
  private readonly running = new RateMeter(10_000, null);
  private readonly stopping = new RateMeter(10_000, null);
  private statusTimer: ReturnType<typeof setInterval> | null = null;
  private extendTimer: ReturnType<typeof setInterval> | null = null;
  private left = 0;
  private phase = "stopping";

  constructor(
    private readonly mounted: MountedFilesystem,
    private readonly notifier: SystemdNotifier,
  ) {}

  /** READY=1 (the mount answers), then STATUS every few seconds; hooks the shutdown, whoever starts it. */
  start(): void {
    this.notifier.ready(this.sampleRunning());
    this.statusTimer = setInterval(() => this.notifier.status(this.sampleRunning()), STATUS_EVERY_MS);
    this.statusTimer.unref?.();
    this.mounted.observeShutdown({ started: () => this.stopStarted(), progress: (p) => this.stopProgress(p) });
  }

  /** Stored bytes grow exactly by what was uploaded, so their rate is the upload rate. */
  private sampleRunning(): string {
    const s = this.mounted.stats();
    this.running.sample(s.storedBytes, Date.now());
    this.left = s.dirtyBytes;
    return statusLine(s.dirtyBytes, this.running.rate());
  }

  private stopStarted(): void {
    if (this.statusTimer) clearInterval(this.statusTimer);
    this.statusTimer = null;
    this.sampleRunning(); // what is dirty right now, not at the last STATUS
    const rate = this.running.rate();
    this.notifier.stopping(statusLine(this.left, rate, "stopping"));
    this.extend();
    this.extendTimer = setInterval(() => this.extend(), EXTEND_EVERY_MS);
    this.extendTimer.unref?.();
  }

  private stopProgress(p: FlushProgress): void {
    this.stopping.sample(p.uploadedBytes, Date.now());
    this.left = p.dirtyBytes;
    this.phase = `stopping, ${p.phase}`;
    if (p.phase === "done" && this.extendTimer) {
      clearInterval(this.extendTimer);
      this.extendTimer = null;
    }
  }

  /** Before the stop's own rate is known, the rate measured while running stands in for it. */
  private extend(): void {
    const rate = this.stopping.rate() ?? this.running.rate();
    this.notifier.extendTimeout(extendTimeoutUsec(this.left, rate), statusLine(this.left, rate, this.phase));
  }

  close(): void {
    if (this.statusTimer) clearInterval(this.statusTimer);
    if (this.extendTimer) clearInterval(this.extendTimer);
    this.notifier.close();
  }
}
