// Runs the real `coffer` CLI in child processes for end-to-end tests, and cleans up every mount it made.
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const COFFER = resolve(import.meta.dir, "../../bin/coffer");

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export async function coffer(args: string[], opts: { env?: Record<string, string>; timeoutMs?: number; cwd?: string } = {}): Promise<RunResult> {
  const proc = Bun.spawn([process.execPath, COFFER, ...args], {
    cwd: opts.cwd,
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
    env: { ...process.env, CI: "true", ...opts.env },
  });
  const timer = setTimeout(() => proc.kill("SIGKILL"), opts.timeoutMs ?? 120_000);
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  clearTimeout(timer);
  return { code, stdout, stderr };
}

export function isMounted(mountpoint: string): boolean {
  return readFileSync("/proc/self/mounts", "utf8").split("\n").some((l) => l.split(" ")[1] === mountpoint);
}

/** True while `pid` is still a coffer daemon we started (guards against a recycled pid). */
export function isCofferProcess(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("coffer");
  } catch {
    return false;
  }
}

/** A scratch area for one test file: store dir, cache dirs, mount points, an authinfo file. */
export class CofferSandbox {
  readonly root = mkdtempSync(join(tmpdir(), "coffer-e2e-"));
  readonly authfile = join(this.root, "authinfo");
  private readonly mounts = new Map<string, number | undefined>();
  private sections: string[] = [];

  /** Runs the CLI with this sandbox's defaults. */
  coffer(args: string[], opts?: { env?: Record<string, string>; timeoutMs?: number; cwd?: string }): Promise<RunResult> {
    return coffer(args, opts);
  }

  dir(name: string): string {
    const path = join(this.root, name);
    mkdirSync(path, { recursive: true });
    return path;
  }

  /** Adds an authinfo section and rewrites the file with mode 600. */
  addAuth(url: string, fields: Record<string, string>): void {
    const body = Object.entries({ "storage-url": url, ...fields }).map(([k, v]) => `${k}: ${v}`).join("\n");
    this.sections.push(`[s${this.sections.length}]\n${body}\n`);
    writeFileSync(this.authfile, this.sections.join("\n"));
    chmodSync(this.authfile, 0o600);
  }

  /** `coffer mount` (daemon mode); remembers the mount for cleanup. */
  async mount(url: string, mountpoint: string, extra: string[] = []): Promise<RunResult> {
    const logFile = join(this.root, "mount.log");
    const result = await coffer(["mount", "--authfile", this.authfile, "--log", logFile, ...extra, url, mountpoint]);
    const pid = /daemon pid (\d+)/.exec(result.stdout)?.[1];
    if (result.code === 0) this.mounts.set(mountpoint, pid ? Number(pid) : undefined);
    return result;
  }

  daemonPid(mountpoint: string): number | undefined {
    return this.mounts.get(mountpoint);
  }

  async umount(mountpoint: string): Promise<RunResult> {
    const result = await coffer(["umount", mountpoint]);
    if (result.code === 0) this.mounts.delete(mountpoint);
    return result;
  }

  /**
   * kill -9 of the mount's daemon (a crash), then `coffer umount` clears the dead mount; the cache stays
   * as the crash left it. Returns that umount's result (it fails: not everything could be stored).
   */
  async killDaemon(mountpoint: string): Promise<RunResult> {
    const pid = this.mounts.get(mountpoint);
    if (!pid) throw new Error(`no daemon pid known for ${mountpoint}`);
    process.kill(pid, "SIGKILL");
    for (let i = 0; i < 100 && isCofferProcess(pid); i++) await Bun.sleep(20);
    const cleared = await coffer(["umount", mountpoint]);
    this.mounts.delete(mountpoint);
    if (isMounted(mountpoint)) throw new Error(`${mountpoint} is still mounted after kill -9 and coffer umount: ${cleared.stderr}`);
    return cleared;
  }

  /** Forget a mount that the test ended some other way (kill -9 and `coffer umount` clearing it). */
  forget(mountpoint: string): void {
    this.mounts.delete(mountpoint);
  }

  log(): string {
    try {
      return readFileSync(join(this.root, "mount.log"), "utf8");
    } catch {
      return "";
    }
  }

  /** Unmounts whatever is still mounted (umount, then force), kills leftover daemons, removes the scratch area. */
  async cleanup(): Promise<void> {
    for (const [mountpoint, pid] of this.mounts) {
      if (isMounted(mountpoint)) {
        const result = await coffer(["umount", mountpoint], { timeoutMs: 60_000 }).catch(() => null);
        if (result?.code !== 0 && isMounted(mountpoint)) Bun.spawnSync(["umount", "-l", mountpoint]);
      }
      if (pid && isCofferProcess(pid)) process.kill(pid, "SIGKILL");
    }
    this.mounts.clear();
    rmSync(this.root, { recursive: true, force: true });
  }
}
