// Runs a filesystem server (memfs, the Coffer daemon) in a child process for mount tests, and always cleans up.
//
// The tests must touch the mount from another process than the one serving it, so the server is a child
// that prints "ready MOUNTPOINT" once the kernel finished INIT. stop() ends it with SIGTERM (SIGKILL if it
// hangs) and then makes sure nothing is left mounted, whatever state the child died in.

import type { Subprocess } from "bun";
import { afterAll, beforeAll } from "bun:test";
import { mkdtempSync, realpathSync, rmdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isMountpoint, unmountPath } from "../../src/fs/fuse/index.ts";
import { unwatchMountServer, watchMountServer } from "./mount-watchdog.ts";

export interface MountChild {
  proc: Subprocess<"ignore", "pipe", "pipe">;
  mountpoint: string;
  /** What the child printed so far (stdout and stderr, the last 256 KiB of each), for failure messages. */
  output(): string;
  /** SIGTERM, wait, SIGKILL if needed, then lazily unmount if still mounted. Safe to call twice. */
  stop(opts?: { timeoutMs?: number }): Promise<void>;
}

export interface MountChildOptions {
  /** How long to wait for the ready line (default 20 s). */
  timeoutMs?: number;
  cwd?: string;
  env?: Record<string, string | undefined>;
  /**
   * Kill the server if the test thread is blocked this long (default 180 s, or $COFFER_MOUNT_WATCHDOG_MS;
   * 0 disables): a hung server would otherwise hang a synchronous fs call, and the test run, forever.
   */
  watchdogMs?: number;
}

const KEEP = 256 * 1024;
/** Children still running, killed and unmounted if the test process exits without stopping them. */
const live = new Set<{ proc: Subprocess; mountpoint: string }>();

process.on("exit", () => {
  for (const c of live) {
    try {
      c.proc.kill("SIGKILL");
    } catch {}
    try {
      if (isMountpoint(c.mountpoint)) unmountPath(c.mountpoint, { lazy: true });
    } catch {}
  }
});

/** Collects a stream into a bounded string, calling `onLine` for each complete line. */
function drain(stream: ReadableStream<Uint8Array>, onLine: (line: string) => void): { text(): string; done: Promise<void> } {
  let text = "";
  let partial = "";
  const decoder = new TextDecoder();
  const done = (async () => {
    for await (const chunk of stream) {
      const s = decoder.decode(chunk, { stream: true });
      text = (text + s).slice(-KEEP);
      const lines = (partial + s).split("\n");
      partial = lines.pop()!;
      for (const l of lines) onLine(l);
    }
  })().catch(() => {});
  return { text: () => text, done };
}

export async function startMountChild(cmd: string[], mountpoint: string, opts: MountChildOptions = {}): Promise<MountChild> {
  const timeoutMs = opts.timeoutMs ?? 20_000;
  // The child may print the canonical path (mountFuse resolves symlinks such as /tmp -> /private/tmp).
  const accepted = new Set([`ready ${mountpoint}`, `ready ${realpathSync(mountpoint)}`]);
  const proc = Bun.spawn(cmd, {
    cwd: opts.cwd,
    env: opts.env ? { ...process.env, ...opts.env } : undefined,
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  const entry = { proc, mountpoint };
  live.add(entry);
  const watchdogMs = opts.watchdogMs ?? Number(process.env.COFFER_MOUNT_WATCHDOG_MS ?? 180_000);
  if (watchdogMs > 0) watchMountServer(proc.pid, mountpoint, watchdogMs);

  let onReady!: () => void;
  const readyLine = new Promise<void>((resolve) => (onReady = resolve));
  // Both streams are read for the child's whole life: a full pipe would block a chatty (--debug) child.
  const out = drain(proc.stdout, (line) => accepted.has(line.trim()) && onReady());
  const err = drain(proc.stderr, () => {});
  const output = () => `--- stdout ---\n${out.text()}\n--- stderr ---\n${err.text()}`;

  let stopped: Promise<void> | undefined;
  const stop = (o: { timeoutMs?: number } = {}): Promise<void> =>
    (stopped ??= (async () => {
      const wait = o.timeoutMs ?? 10_000;
      if (proc.exitCode === null && proc.signalCode === null) {
        proc.kill("SIGTERM");
        if (!(await exitsWithin(proc, wait))) {
          proc.kill("SIGKILL");
          await exitsWithin(proc, 5_000);
        }
      }
      if (isMountpoint(realpathOr(mountpoint))) unmountPath(mountpoint, { lazy: true });
      unwatchMountServer(proc.pid);
      live.delete(entry);
    })());

  let timer: Timer | undefined;
  const outcome = await Promise.race([
    readyLine.then(() => "ready" as const),
    proc.exited.then(() => "exited" as const),
    new Promise<"timeout">((resolve) => (timer = setTimeout(() => resolve("timeout"), timeoutMs))),
  ]);
  clearTimeout(timer);
  if (outcome !== "ready") {
    await stop({ timeoutMs: 2_000 });
    await Promise.race([Promise.all([out.done, err.done]), Bun.sleep(500)]);
    const why = outcome === "timeout" ? `no "ready" line within ${timeoutMs} ms` : `exited with ${proc.exitCode ?? proc.signalCode}`;
    throw new Error(`mount child ${cmd.join(" ")}: ${why}\n${output()}`);
  }
  return { proc, mountpoint, output, stop };
}

async function exitsWithin(proc: Subprocess, ms: number): Promise<boolean> {
  let timer: Timer | undefined;
  const exited = await Promise.race([
    proc.exited.then(() => true),
    new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), ms))),
  ]);
  clearTimeout(timer);
  return exited;
}

function realpathOr(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path; // a dead FUSE mount fails realpath with ENOTCONN
  }
}

/** A fresh empty directory to mount on; remove() deletes it (only once nothing is mounted there). */
export function makeTempMountpoint(prefix = "coffer-mnt-"): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return {
    path,
    remove() {
      if (isMountpoint(realpathOr(path))) unmountPath(path, { lazy: true });
      try {
        rmdirSync(path);
      } catch {}
    },
  };
}

/** Runs `fn` with a fresh mountpoint directory and removes it afterwards, even if `fn` throws. */
export async function withTempMountpoint<T>(fn: (mountpoint: string) => Promise<T>, prefix?: string): Promise<T> {
  const mp = makeTempMountpoint(prefix);
  try {
    return await fn(mp.path);
  } finally {
    mp.remove();
  }
}

/** Starts `cmd(mountpoint)` on a fresh mountpoint, runs `fn`, then stops the child and removes the directory. */
export async function withMountChild<T>(
  cmd: (mountpoint: string) => string[],
  fn: (child: MountChild) => Promise<T>,
  opts?: MountChildOptions,
): Promise<T> {
  return withTempMountpoint(async (mp) => {
    const child = await startMountChild(cmd(mp), mp, opts);
    try {
      return await fn(child);
    } finally {
      await child.stop();
    }
  });
}

/**
 * Registers beforeAll/afterAll that serve `cmd(mountpoint)` on a fresh mountpoint for the tests of the
 * enclosing describe (or file), and stop it; the returned function gives the mountpoint inside tests.
 */
export function useMountChild(cmd: (mountpoint: string) => string[], prefix?: string, opts?: MountChildOptions): () => string {
  let mp: ReturnType<typeof makeTempMountpoint> | undefined;
  let child: MountChild | undefined;
  beforeAll(async () => {
    mp = makeTempMountpoint(prefix);
    child = await startMountChild(cmd(mp.path), mp.path, opts);
  }, 60_000);
  afterAll(async () => {
    await child?.stop();
    mp?.remove();
  }, 60_000);
  return () => {
    if (!mp || !child) throw new Error("the mount child did not start");
    return mp.path;
  };
}
