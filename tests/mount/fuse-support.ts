// Helpers for the FUSE mount tests: temp mountpoints, child processes (never touch a mount from its serving thread), cleanup.
import { existsSync, mkdtempSync, rmdirSync, statSync } from "node:fs";
import { isMountpoint, unmountPath } from "../../src/fs/fuse/index.ts";
import { type MountChild, startMountChild } from "../support/mount-child.ts";

export const REPO = new URL("../..", import.meta.url).pathname.replace(/\/$/, "");

export function tempMountpoint(tag: string): string {
  return mkdtempSync(`/tmp/coffer-${tag}-`);
}

/** Unmount (lazily if busy) and remove a test mountpoint; never throws. */
export function cleanupMount(mp: string): void {
  try {
    unmountPath(mp, { lazy: true });
  } catch (e) {
    console.error(`cleanup of ${mp}: ${(e as Error).message}`);
  }
  try {
    rmdirSync(mp); // only if empty: never delete through a mount that is still there
  } catch {}
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Run a command in a child process (async: the test's thread stays free to serve a mount). */
export async function run(cmd: string[], opts: { env?: Record<string, string>; timeoutMs?: number } = {}): Promise<RunResult> {
  const p = Bun.spawn(cmd, { stdout: "pipe", stderr: "pipe", env: { ...process.env, ...opts.env } });
  const timer = setTimeout(() => p.kill("SIGKILL"), opts.timeoutMs ?? 20_000);
  const [stdout, stderr, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  clearTimeout(timer);
  return { code, stdout, stderr };
}

/** python3 -c CODE ARGS... in a child process; the script prints its result. */
export function py(code: string, ...args: string[]): Promise<RunResult> {
  return run(["python3", "-c", code, ...args]);
}

/**
 * Start a long-running child that prints "ready MOUNTPOINT" once its mount is usable: the one mount harness
 * (tests/support/mount-child.ts, with its watchdog and cleanup). The mountpoint is the command's last
 * argument that names an existing directory.
 */
export async function startServer(cmd: string[], opts: { env?: Record<string, string>; timeoutMs?: number } = {}): Promise<MountChild> {
  const mountpoint = cmd.findLast((a) => a.startsWith("/") && existsSync(a) && statSync(a).isDirectory());
  if (!mountpoint) throw new Error(`startServer: no mountpoint among ${cmd.join(" ")}`);
  return startMountChild(cmd, mountpoint, { env: opts.env, timeoutMs: opts.timeoutMs });
}

/** Whether `mp` is mounted now (the mountinfo parser of src/fs/fuse/device.ts). */
export async function isMounted(mp: string): Promise<boolean> {
  return isMountpoint(mp);
}
