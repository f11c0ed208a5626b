// Detaching: the foreground `coffer mount` spawns `coffer mount --fg` as a daemon, hands it the secrets over
// an IPC channel, and returns once the daemon reports the mount usable (or why it is not).
import { spawn } from "node:child_process";
import { mkdirSync, openSync } from "node:fs";
import { dirname } from "node:path";
import { UserError } from "../user-error.ts";
import { encodeSecrets, parseReport, parseSecrets, type DaemonReport, type DaemonSecrets } from "./secrets-ipc.ts";

const DAEMON_ENV = "COFFER_DAEMON";

/** True in the process startDaemon spawned (it still has the IPC channel to its parent). */
export function isDaemonChild(): boolean {
  return process.env[DAEMON_ENV] === "1" && typeof process.send === "function";
}

/**
 * Spawns this program with `args` (every path in them absolute: the daemon runs in "/") and the IPC channel,
 * sends `secrets`, and resolves with the daemon's pid once it says the mount is ready.
 */
export async function startDaemon(args: string[], secrets: DaemonSecrets, logFile: string): Promise<number> {
  mkdirSync(dirname(logFile), { recursive: true, mode: 0o700 });
  const logFd = openSync(logFile, "a", 0o600);
  const child = spawn(process.execPath, [process.argv[1]!, ...args], {
    detached: true,
    cwd: "/",
    env: { ...process.env, [DAEMON_ENV]: "1" },
    stdio: ["ignore", logFd, logFd, "ipc"],
  });
  child.send(encodeSecrets(secrets));
  return new Promise<number>((resolve, reject) => {
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
  });
}

/** The daemon's side: the secrets its parent sent, checked against the schema. */
export function receiveSecrets(): Promise<DaemonSecrets> {
  return new Promise((resolve, reject) =>
    process.once("message", (message) => {
      try {
        resolve(parseSecrets(message));
      } catch (error) {
        reject(error);
      }
    }),
  );
}

export function reportToParent(report: DaemonReport): void {
  process.send?.(report);
  if ("ready" in report) process.disconnect?.();
}
