// Helpers for the FUSE mount tests: temp mountpoints, child processes (never touch a mount from its serving thread), cleanup.
import { mkdtempSync, rmdirSync } from "node:fs";
import { unmountPath } from "../../src/fs/fuse/index.ts";

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

/** Start a long-running child that prints "ready ..." on stdout once its mount is usable. */
export async function startServer(cmd: string[], opts: { env?: Record<string, string>; timeoutMs?: number } = {}) {
  const proc = Bun.spawn(cmd, { stdout: "pipe", stderr: "pipe", env: { ...process.env, ...opts.env } });
  let stderr = "";
  void (async () => {
    for await (const c of proc.stderr) stderr += new TextDecoder().decode(c);
  })();
  const reader = proc.stdout.getReader();
  let out = "";
  const deadline = Date.now() + (opts.timeoutMs ?? 15_000);
  while (!out.includes("ready ")) {
    const r = await Promise.race([reader.read(), Bun.sleep(Math.max(1, deadline - Date.now())).then(() => null)]);
    if (!r || r.done) {
      proc.kill("SIGKILL");
      throw new Error(`server ${cmd.join(" ")} did not get ready: ${out} ${stderr}`);
    }
    out += new TextDecoder().decode(r.value);
  }
  reader.releaseLock();
  return { proc, stdout: () => out, stderr: () => stderr };
}

export function isMounted(mp: string): Promise<boolean> {
  return Bun.file("/proc/self/mountinfo").text().then((t) => t.split("\n").some((l) => l.split(" ")[4] === mp));
}
