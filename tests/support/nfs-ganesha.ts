// A private NFSv3 world for live tests: rpcbind, nfs-ganesha and the libnfs client in their own network and mount namespaces.
//
// NFSv3 needs rpcbind (ganesha will not start its v3 service unregistered). rpcbind runs as the holder of a
// new network namespace (only loopback, so nothing listens on the host) and mount namespace (a tmpfs on /run,
// so its /run/rpcbind.sock never meets a host rpcbind's). ganesha and the client join both with nsenter.
// The export root is bind-mounted onto itself and made shared before the namespace is made, so its copy there
// is a slave: a Coffer mount made, unmounted or remade under it on the host follows inside. (The host's / is
// private here; a copy of the FUSE mount that did not follow would keep the old superblock alive, and the
// daemon would never see its unmount end.)
// (ganesha cannot bind to a named 127.0.0.1 there: its lookup uses AI_ADDRCONFIG, which finds no address on
// a namespace that has only loopback; the namespace has no other interface, so it listens on loopback only.)
// Every file of the server (config, log, pid, recovery dir) lives in one temp folder. Processes are ended by
// PID, always; the namespaces go away with their last process.

import type { Subprocess } from "bun";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const PLUGINS_DIR = "/usr/lib/x86_64-linux-gnu/ganesha";
const live = new Set<Subprocess>();
process.on("exit", () => {
  for (const p of live) {
    try {
      p.kill("SIGKILL");
    } catch {}
  }
});

async function stopProcess(p: Subprocess, timeoutMs = 15_000): Promise<void> {
  if (p.exitCode === null && p.signalCode === null) {
    p.kill("SIGTERM");
    const timer = setTimeout(() => p.kill("SIGKILL"), timeoutMs);
    await p.exited;
    clearTimeout(timer);
  }
  live.delete(p);
}

function mustRun(cmd: string[]): void {
  const r = Bun.spawnSync(cmd, { stdout: "pipe", stderr: "pipe" });
  if (r.exitCode !== 0) throw new Error(`${cmd.join(" ")} failed: ${r.stderr.toString()}`);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The server-wide part of ganesha.conf; the EXPORT block comes from `coffer provision`'s renderer. */
function coreConfig(dir: string): string {
  return `# private nfs-ganesha for a live test: NFSv3 only, fixed ports inside its own network namespace
NFS_CORE_PARAM {
    Protocols = 3;
    NFS_Port = 2049;
    MNT_Port = 20048;
    Enable_NLM = false;
    Enable_RQUOTA = false;
    Plugins_Dir = "${PLUGINS_DIR}";
}
NFSV4 {
    Graceless = true;
    RecoveryRoot = "${join(dir, "recovery")}";
}
NFS_KRB5 {
    Active_krb5 = false;
}
LOG {
    Default_Log_Level = EVENT;
}
`;
}

export interface NfsResult {
  code: number;
  out: string;
}

export class NfsWorld {
  private rpcbind: Subprocess | null = null;
  private ganesha: Subprocess | null = null;
  readonly logFile: string;

  private exportRootBound = false;

  /** `dir` holds the server's files; Coffer is to be mounted under `exportRoot` (made a shared mount by start). */
  constructor(private readonly dir: string, private readonly exportRoot: string) {
    mkdirSync(join(dir, "recovery"), { recursive: true });
    this.logFile = join(dir, "ganesha.log");
  }

  /** Makes the export root a shared mount, starts rpcbind as the namespaces' holder and waits until it answers. */
  async start(): Promise<void> {
    mustRun(["mount", "--bind", this.exportRoot, this.exportRoot]);
    this.exportRootBound = true;
    mustRun(["mount", "--make-shared", this.exportRoot]);
    const script = "mount -t tmpfs -o mode=755 coffer-nfs-run /run && ip link set lo up && exec rpcbind -f";
    // unshare and sh exec in place, so this PID is rpcbind's, inside the new namespaces
    this.rpcbind = Bun.spawn(["unshare", "--net", "--mount", "--propagation", "slave", "sh", "-c", script], {
      stdin: "ignore", stdout: "ignore", stderr: "pipe",
    });
    live.add(this.rpcbind);
    await this.waitFor(() => this.inside(["rpcinfo", "-p", "127.0.0.1"]).code === 0, "rpcbind to answer");
  }

  /** Runs a command inside the namespaces (absolute paths only: nsenter leaves the working directory at /). */
  inside(cmd: string[]): NfsResult {
    if (!this.rpcbind) throw new Error("NfsWorld not started");
    const r = Bun.spawnSync(["nsenter", "-t", String(this.rpcbind.pid), "--net", "--mount", ...cmd], { stdout: "pipe", stderr: "pipe" });
    return { code: r.exitCode ?? -1, out: r.stdout.toString() + r.stderr.toString() };
  }

  /** Starts ganesha in the foreground with `exportBlock` and waits until NFSv3 is registered with rpcbind. */
  async startGanesha(exportBlock: string): Promise<void> {
    const conf = join(this.dir, "ganesha.conf");
    writeFileSync(conf, `${coreConfig(this.dir)}\n${exportBlock}`);
    this.ganesha = Bun.spawn(
      ["nsenter", "-t", String(this.rpcbind!.pid), "--net", "--mount", "ganesha.nfsd", "-F", "-f", conf, "-L", this.logFile, "-p", join(this.dir, "ganesha.pid")],
      { stdin: "ignore", stdout: "ignore", stderr: "ignore" },
    );
    live.add(this.ganesha);
    await this.waitFor(() => /100003\s+3\s+tcp/.test(this.inside(["rpcinfo", "-p", "127.0.0.1"]).out), "ganesha to register NFSv3");
  }

  async stopGanesha(): Promise<void> {
    if (this.ganesha) await stopProcess(this.ganesha);
    this.ganesha = null;
  }

  /** Ends ganesha, then rpcbind (and with it the namespaces). Safe to call twice. */
  async stop(): Promise<void> {
    await this.stopGanesha();
    if (this.rpcbind) await stopProcess(this.rpcbind);
    this.rpcbind = null;
  }

  /** Removes the export root's bind mount: after stop() and after the Coffer mount under it is gone. */
  unbindExportRoot(): void {
    if (!this.exportRootBound) return;
    // lazy: whatever is still mounted below is detached with it rather than left behind
    mustRun(["umount", "-l", this.exportRoot]);
    this.exportRootBound = false;
  }

  log(): string {
    return existsSync(this.logFile) ? readFileSync(this.logFile, "utf8").slice(-4000) : "(no ganesha log)";
  }

  private async waitFor(ok: () => boolean, what: string, timeoutMs = 60_000): Promise<void> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      for (const p of [this.rpcbind, this.ganesha]) {
        if (p && p.exitCode !== null) throw new Error(`waiting for ${what}: a server exited (${p.exitCode})\n${this.log()}`);
      }
      if (ok()) return;
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}\n${this.log()}`);
      await sleep(250);
    }
  }
}

/** An NFSv3 URL for libnfs (nfs-ls, nfs-cp) of `path` inside the export at `exportPath`. */
export function nfsUrl(exportPath: string, path = ""): string {
  return `nfs://127.0.0.1${exportPath}${path}?version=3`;
}
