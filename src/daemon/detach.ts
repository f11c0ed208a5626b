// Detaching: the foreground `coffer mount` spawns `coffer mount --fg` as a daemon at once (it loads its modules
// while the foreground unlocks the keys), hands it the keys over an IPC channel, and returns once the daemon
// reports the mount usable (or why it is not).
import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, openSync } from "node:fs";
import { dirname } from "node:path";
import { markPhase } from "../phase-trace.ts";
import { UserError } from "../user-error.ts";
import { encodeSecrets, parseReport, parseSecrets, type DaemonReport, type DaemonSecrets } from "./secrets-ipc.ts";

const DAEMON_ENV = "COFFER_DAEMON";

/** True in the process startDaemon spawned (it still has the IPC channel to its parent). */
export function isDaemonChild(): boolean {
  return process.env[DAEMON_ENV] === "1" && typeof process.send === "function";
}

/**
 * A daemon being started: spawned by `launchDaemon`, then either given its secrets (`start`) or, when the
 * foreground cannot unlock the filesystem after all, `abandon`ed (it exits without mounting anything).
 */
export class DaemonLaunch {
  private readonly report: Promise<number>;

  constructor(private readonly child: ChildProcess, logFile: string) {
    // Listening from the spawn on: a daemon that dies while the foreground still asks for a passphrase is heard.
    this.report = new Promise<number>((resolve, reject) => {
      child.on("message", (message: unknown) => {
        let report: DaemonReport;
        try {
          report = parseReport(message);
        } catch (error) {
          reject(error);
          return;
        }
        if ("ready" in report) {
          child.disconnect();
          child.unref();
          resolve(child.pid!);
        } else {
          reject(new UserError(report.error, report.exitCode));
        }
      });
      child.on("exit", (code, signal) => {
        reject(new UserError(`the mount daemon exited (${signal ?? `code ${code}`}) before the mount was ready; see ${logFile}`, 1));
      });
      // e.g. sending the secrets to a daemon that already died: its exit says why
      child.on("error", (error) => reject(new UserError(`the mount daemon could not be reached (${error.message}); see ${logFile}`, 1)));
    });
    this.report.catch(() => {}); // observed by start(); an abandoned launch's end is nobody's error
  }

  /** Sends the secrets and resolves with the daemon's pid once it says the mount is ready. */
  start(secrets: DaemonSecrets): Promise<number> {
    this.child.send(encodeSecrets(secrets) as object);
    markPhase("secrets sent to the daemon");
    return this.report;
  }

  /** Closes the channel before any secret was sent: the daemon exits, nothing mounted, nothing logged. */
  abandon(): void {
    if (this.child.connected) this.child.disconnect();
    this.child.unref();
  }
}

/** Spawns this program with `args` (every path in them absolute: the daemon runs in "/") and the IPC channel. */
export function launchDaemon(args: string[], logFile: string): DaemonLaunch {
  mkdirSync(dirname(logFile), { recursive: true, mode: 0o700 });
  const logFd = openSync(logFile, "a", 0o600);
  const child = spawn(process.execPath, [process.argv[1]!, ...args], {
    detached: true,
    cwd: "/",
    env: { ...process.env, [DAEMON_ENV]: "1" },
    stdio: ["ignore", logFd, logFd, "ipc"],
  });
  markPhase("daemon spawned");
  return new DaemonLaunch(child, logFile);
}

/** The foreground closed the channel before sending the secrets: it could not unlock the filesystem and said why. */
export class ForegroundGoneError extends Error {
  constructor() {
    super("the foreground coffer mount closed the channel before sending the keys; nothing was mounted");
    this.name = "ForegroundGoneError";
  }
}

/** The daemon's side: the secrets its parent sent, checked against the schema. */
export function receiveSecrets(): Promise<DaemonSecrets> {
  return new Promise((resolve, reject) => {
    const gone = () => reject(new ForegroundGoneError());
    if (process.connected === false) return gone(); // it closed while this process was still loading
    process.once("disconnect", gone);
    process.once("message", (message) => {
      process.off("disconnect", gone);
      try {
        resolve(parseSecrets(message));
      } catch (error) {
        reject(error);
      }
    });
  });
}

export function reportToParent(report: DaemonReport): void {
  process.send?.(report);
  if ("ready" in report) process.disconnect?.();
}
