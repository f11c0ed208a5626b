// What the daemon tells systemd (sd_notify): READY, STATUS, STOPPING, EXTEND_TIMEOUT_USEC and WATCHDOG.
// Only when NOTIFY_SOCKET is set; a failed send is logged once and never stops the mount.
import { NotifySocket } from "./notify-socket.ts";

export interface NotifyEnv {
  [name: string]: string | undefined;
  NOTIFY_SOCKET?: string;
  WATCHDOG_USEC?: string;
  WATCHDOG_PID?: string;
}

export class SystemdNotifier {
  private watchdog: ReturnType<typeof setInterval> | null = null;
  private warned = false;

  private constructor(
    private readonly socket: NotifySocket,
    private readonly env: NotifyEnv,
    private readonly log: (line: string) => void,
  ) {}

  /** A notifier when the service manager asked for one (NOTIFY_SOCKET set), else null. */
  static fromEnv(env: NotifyEnv, log: (line: string) => void): SystemdNotifier | null {
    if (!env.NOTIFY_SOCKET) return null;
    try {
      return new SystemdNotifier(new NotifySocket(env.NOTIFY_SOCKET), env, log);
    } catch (error) {
      log(`systemd notification disabled: ${(error as Error).message}`);
      return null;
    }
  }

  private send(message: string): void {
    try {
      this.socket.send(message);
    } catch (error) {
      if (!this.warned) this.log(`systemd notification failed (logged once): ${(error as Error).message}`);
      this.warned = true;
    }
  }

  /**
   * The mount answers. `MAINPID` names this process, so a daemon started by a foreground `coffer mount`
   * (which then exits) is the one systemd watches.
   */
  ready(status: string): void {
    this.send(`READY=1\nMAINPID=${process.pid}\nSTATUS=${status}`);
    this.startWatchdog();
  }

  status(text: string): void {
    this.send(`STATUS=${text}`);
  }

  stopping(status: string): void {
    this.send(`STOPPING=1\nSTATUS=${status}`);
  }

  extendTimeout(usec: number, status: string): void {
    this.send(`EXTEND_TIMEOUT_USEC=${Math.max(1, Math.round(usec))}\nSTATUS=${status}`);
  }

  /**
   * WATCHDOG=1 at half of WATCHDOG_USEC, as sd_watchdog_enabled() advises; only when the watchdog is meant
   * for this process (WATCHDOG_PID unset or ours: a detached daemon's parent was the one started).
   */
  private startWatchdog(): void {
    const usec = Number(this.env.WATCHDOG_USEC);
    if (!Number.isFinite(usec) || usec <= 0 || this.watchdog) return;
    if (this.env.WATCHDOG_PID && Number(this.env.WATCHDOG_PID) !== process.pid) return;
    this.send("WATCHDOG=1");
    this.watchdog = setInterval(() => this.send("WATCHDOG=1"), Math.max(1, usec / 2000));
    this.watchdog.unref?.();
  }

  close(): void {
    if (this.watchdog) clearInterval(this.watchdog);
    this.watchdog = null;
    this.socket.close();
  }
}
