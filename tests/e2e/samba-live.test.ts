// The generated Samba share, live: a private smbd on 127.0.0.1 serves a real Coffer mount; smbclient puts and
// gets a 50 MB file and a tree of small files as a Samba user; the data survives umount and an empty cache.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { createHash, randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { parseProvisionConfig, renderSambaShare, renderUnit } from "../../src/provision/index.ts";
import { CofferSandbox } from "../support/coffer-cli.ts";

setDefaultTimeout(120_000); // per file: bun test ignores bunfig's timeout (docs/testing.md)

const USER = "coffer"; // the account provision creates for share owners; the Samba user here too
const SMB_PASSWORD = `pw-${randomBytes(6).toString("hex")}`;
const SHARE = "coffer-live";
const TREE_FILES = 300;

function sha256(path: string): string {
  return createHash("sha256").update(readFileSync(path)).digest("hex");
}

function treeDigest(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out[relative(dir, p)] = sha256(p);
    }
  };
  walk(dir);
  return out;
}

function freePort(): number {
  const s = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = s.port;
  s.stop(true);
  return port;
}

function run(argv: string[], stdin?: string): { code: number; out: string } {
  const r = Bun.spawnSync(argv, { stdin: stdin === undefined ? "ignore" : Buffer.from(stdin), stdout: "pipe", stderr: "pipe" });
  return { code: r.exitCode ?? -1, out: `${r.stdout.toString()}${r.stderr.toString()}` };
}

/** The share owner's account, created the way `coffer provision` creates it when missing. */
function ensureAccount(): { uid: number; gid: number } {
  if (run(["getent", "passwd", USER]).code !== 0) {
    const made = run(["useradd", "--system", "--user-group", "--no-create-home", "--home-dir", "/nonexistent", "--shell", "/usr/sbin/nologin", USER]);
    if (made.code !== 0) throw new Error(`useradd ${USER}: ${made.out}`);
  }
  const [, , uid, gid] = run(["getent", "passwd", USER]).out.split(":");
  return { uid: Number(uid), gid: Number(gid) };
}

/** The unit's ExecStartPost= command line, unescaped as systemd does ($$ -> $, %% -> %), run through sh. */
function runUnitExecStartPost(unit: string): void {
  const line = unit.split("\n").find((l) => l.startsWith("ExecStartPost="))!.slice("ExecStartPost=".length);
  const r = run(["sh", "-c", line.replaceAll("$$", "$").replaceAll("%%", "%")]);
  if (r.code !== 0) throw new Error(`ExecStartPost failed: ${r.out}`);
}

describe("Samba share over a Coffer mount (live smbd on 127.0.0.1)", () => {
  const box = new CofferSandbox();
  chmodSync(box.root, 0o711); // the forced share user must be able to reach the mount point below it
  const store = box.dir("store");
  const url = `local://${store}`;
  const mnt = box.dir("mnt");
  const smbDir = box.dir("smb");
  const work = box.dir("work");
  const port = freePort();
  const smbConf = join(smbDir, "smb.conf");
  const clientConf = join(smbDir, "client.conf");
  let smbd: ReturnType<typeof Bun.spawn> | null = null;

  const smbclient = (commands: string, cwd = work) => {
    const r = Bun.spawnSync(
      ["smbclient", `//127.0.0.1/${SHARE}`, "-p", String(port), "-U", `${USER}%${SMB_PASSWORD}`, "--configfile", clientConf, "-c", commands],
      { cwd, stdout: "pipe", stderr: "pipe" },
    );
    return { code: r.exitCode ?? -1, out: `${r.stdout.toString()}${r.stderr.toString()}` };
  };

  beforeAll(async () => {
    const ids = ensureAccount();
    box.addAuth(url, { "fs-passphrase": "samba live test" });
    expect((await box.coffer(["mkfs", "--authfile", box.authfile, url])).code).toBe(0);
    const mounted = await box.mount(url, mnt, ["--allow-other", "--cachedir", box.dir("cache1")]);
    expect(mounted.stderr).toBe("");

    const cfg = parseProvisionConfig({
      storageUrl: url,
      mountpoint: mnt,
      fsid: "3f1c2b4a-0000-8000-8000-00000000abcd",
      owner: { user: USER, group: USER, ...ids },
      samba: { share: SHARE },
    });
    runUnitExecStartPost(renderUnit(cfg)); // hands the fresh root (755 root) to the share owner, as the unit does
    writeFileSync(join(smbDir, "share.conf"), renderSambaShare(cfg));
    const dirs = ["private", "lock", "state", "cache", "pid", "ncalrpc"].map((d) => {
      mkdirSync(join(smbDir, d), { recursive: true });
      return `   ${d === "private" ? "private dir" : d === "ncalrpc" ? "ncalrpc dir" : `${d} directory`} = ${join(smbDir, d)}`;
    });
    writeFileSync(
      smbConf,
      [
        "[global]",
        "   server role = standalone server",
        `   smb ports = ${port}`,
        "   interfaces = 127.0.0.1",
        "   bind interfaces only = yes",
        ...dirs,
        `   passdb backend = tdbsam:${join(smbDir, "private/passdb.tdb")}`,
        `   log file = ${join(smbDir, "log.%m")}`,
        "   load printers = no",
        "   printing = bsd",
        "   printcap name = /dev/null",
        "   disable spoolss = yes",
        "   map to guest = never",
        `include = ${join(smbDir, "share.conf")}`,
        "",
      ].join("\n"),
    );
    writeFileSync(clientConf, "[global]\n   client min protocol = SMB2\n");
    const parm = run(["testparm", "-s", smbConf]);
    expect(parm.code).toBe(0);
    const added = run(["smbpasswd", "-c", smbConf, "-a", "-s", USER], `${SMB_PASSWORD}\n${SMB_PASSWORD}\n`);
    expect(added.code).toBe(0);

    // smbd makes its own process group (no --no-process-group): at exit it signals its group, which must not be ours.
    smbd = Bun.spawn(["smbd", "--foreground", "--debug-stdout", "--configfile", smbConf], { stdout: "ignore", stderr: "ignore" });
    const deadline = Date.now() + 30_000;
    for (;;) {
      const ok = await Bun.connect({ hostname: "127.0.0.1", port, socket: { data() {} } }).then((s) => (s.end(), true), () => false);
      if (ok) break;
      if (Date.now() > deadline || smbd.exitCode !== null) throw new Error(`private smbd did not listen on ${port}`);
      await Bun.sleep(100);
    }
  }, 120_000);

  afterAll(async () => {
    try {
      if (smbd) {
        // Its per-connection children first (their parent is our smbd), then smbd itself; only these PIDs.
        for (const pid of childrenOf(smbd.pid)) signal(pid, "SIGTERM");
        smbd.kill("SIGTERM");
        await Promise.race([smbd.exited, Bun.sleep(10_000)]);
        if (smbd.exitCode === null) smbd.kill("SIGKILL");
        for (const pid of childrenOf(smbd.pid)) signal(pid, "SIGKILL");
      }
    } finally {
      await box.cleanup();
    }
  }, 120_000);

  test("a fresh share root is handed to the share owner, so the first put is allowed", () => {
    const st = statSync(mnt);
    expect(st.uid).not.toBe(0);
    expect((st.mode & 0o7777).toString(8)).toBe("2775");
  });

  test("smbclient puts and gets a 50 MB file and a tree of small files as a Samba user", () => {
    writeFileSync(join(work, "big.bin"), randomBytes(50 * 1024 * 1024));
    for (let i = 0; i < TREE_FILES; i++) {
      const dir = join(work, "tree", `d${i % 10}`, `e${i % 3}`);
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, `f${i}.txt`), `file ${i} ${randomBytes(8 + (i % 200)).toString("hex")}\n`);
    }
    const put = smbclient("put big.bin; prompt OFF; recurse ON; mput tree");
    expect(put.code).toBe(0);
    expect(put.out).not.toContain("NT_STATUS_");

    // Through the filesystem itself: the bytes are there, owned by the share owner.
    expect(sha256(join(mnt, "big.bin"))).toBe(sha256(join(work, "big.bin")));
    expect(treeDigest(join(mnt, "tree"))).toEqual(treeDigest(join(work, "tree")));
    expect(statSync(join(mnt, "tree/d1/e1")).uid).toBe(statSync(mnt).uid);

    const back = box.dir("back");
    const get = smbclient("get big.bin; prompt OFF; recurse ON; mget tree", back);
    expect(get.code).toBe(0);
    expect(sha256(join(back, "big.bin"))).toBe(sha256(join(work, "big.bin")));
    expect(treeDigest(join(back, "tree"))).toEqual(treeDigest(join(work, "tree")));
  }, 300_000);

  test("the data is still there after umount and a mount with an empty cache", async () => {
    // Samba holds the share open: stop serving it (as the drop-in orders) before unmounting.
    for (const pid of childrenOf(smbd!.pid)) signal(pid, "SIGTERM");
    const unmounted = await box.umount(mnt);
    expect(unmounted.code).toBe(0);
    // Unmounted: the share refuses connections (root preexec) instead of serving the empty directory.
    const refused = smbclient("ls");
    expect(refused.code).not.toBe(0);
    expect(refused.out).toContain("NT_STATUS_");
    const emptyCache = box.dir("cache2");
    expect(readdirSync(emptyCache)).toEqual([]);
    const again = await box.mount(url, mnt, ["--allow-other", "--cachedir", emptyCache]);
    expect(again.stderr).toBe("");
    expect(sha256(join(mnt, "big.bin"))).toBe(sha256(join(work, "big.bin")));
    expect(treeDigest(join(mnt, "tree"))).toEqual(treeDigest(join(work, "tree")));
    const list = smbclient("ls tree/d3/*");
    expect(list.code).toBe(0);
    expect(list.out).toContain("e0");
    expect(existsSync(join(mnt, "tree/d9/e0"))).toBe(true);
  }, 300_000);
});

/** A child may have exited on its own meanwhile: that is fine. */
function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}

/** PIDs whose parent is `pid` (smbd's per-connection children). */
function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (ppid === pid) out.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}
