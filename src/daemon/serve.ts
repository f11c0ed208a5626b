// The daemon's life: mount, tell systemd and the parent it is ready, serve, and on any ending store everything, then exit.
import { appendFileSync } from "node:fs";
import { describeError } from "../describe-error.ts";
import { mountFilesystem, type MountRequest } from "../fs/mount.ts";
import { SystemdNotifier, type NotifyEnv } from "./notify.ts";
import { ServiceStatus } from "./service-status.ts";
import { onStopSignals } from "./signals.ts";

export interface ServeOptions {
  /** Log file (absolute); log lines go to `write` when absent. */
  logFile?: string;
  write: (line: string) => void;
  /** Called once the mount answers (the detached daemon tells its parent). */
  onReady?: () => void;
  notifyEnv: NotifyEnv;
}

export function timestampedLog(opts: Pick<ServeOptions, "logFile" | "write">): (line: string) => void {
  const write = opts.logFile ? (line: string) => appendFileSync(opts.logFile!, `${line}\n`) : opts.write;
  return (line) => write(`${new Date().toISOString()} ${line}`);
}

/** Serves until unmounted or signalled; every path out of here stores all dirty data first. Never returns. */
export async function serveMount(req: Omit<MountRequest, "log">, opts: ServeOptions): Promise<never> {
  const log = timestampedLog(opts);
  const mounted = await mountFilesystem({ ...req, log });
  log(`mounted ${req.url} at ${mounted.mountpoint} (pid ${process.pid})`);
  const notifier = SystemdNotifier.fromEnv(opts.notifyEnv, log);
  const status = notifier ? new ServiceStatus(mounted, notifier) : null;
  status?.start();
  opts.onReady?.();
  const stop = (why: string) => {
    log(`${why}: unmounting and storing everything`);
    mounted.shutdown({ lazy: true }).then(
      () => mounted.controlDrained().then(() => {
        status?.close();
        process.exit(0);
      }),
      (error) => {
        log(`shutdown failed: ${describeError(error).line}; dirty data stays in the cache and is uploaded at the next mount`);
        status?.close();
        process.exit(1);
      },
    );
  };
  onStopSignals(stop);
  await mounted.closed;
  stop("the kernel ended the session (unmounted)");
  return new Promise<never>(() => {}); // stop() exits the process
}
