// `coffer mount` start-up: the daemon is spawned before the keys are unlocked, gets the keys (the key derivation
// runs once, in the foreground), and exits without a trace when the foreground cannot unlock after all.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { chmodSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { CofferSandbox, isMounted } from "../support/coffer-cli.ts";

setDefaultTimeout(120_000); // per file: bun test ignores bunfig's timeout (docs/testing.md)

const box = new CofferSandbox();
const url = `local://${box.dir("store")}`;
const mnt = box.dir("mnt");
afterAll(() => box.cleanup());

beforeAll(async () => {
  box.addAuth(url, { "fs-passphrase": "the right passphrase" });
  const made = await box.coffer(["mkfs", "--authfile", box.authfile, url]);
  expect(made.code).toBe(0);
});

/** Pids of processes whose command line names `needle` (this test's unique temp paths). */
function processesNaming(needle: string): number[] {
  return readdirSync("/proc")
    .filter((d) => /^\d+$/.test(d) && Number(d) !== process.pid)
    .filter((d) => {
      try {
        return readFileSync(`/proc/${d}/cmdline`, "utf8").includes(needle);
      } catch {
        return false;
      }
    })
    .map(Number);
}

async function gone(needle: string, timeoutMs = 30_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (processesNaming(needle).length === 0) return true;
    await Bun.sleep(50);
  }
  return false;
}

describe("mount start-up", () => {
  test("the key derivation runs once per mount: in the foreground, the daemon gets the keys", async () => {
    const trace = join(box.root, "phases.jsonl");
    const mounted = await box.coffer(["mount", "--authfile", box.authfile, "--log", join(box.root, "mount.log"), url, mnt], { env: { COFFER_PHASE_TRACE: trace } });
    expect(mounted.stderr).toBe("");
    expect(mounted.code).toBe(0);
    try {
      expect(isMounted(mnt)).toBe(true);
      const marks = readFileSync(trace, "utf8").trim().split("\n").map((l) => JSON.parse(l) as { pid: number; phase: string });
      const pids = [...new Set(marks.map((m) => m.pid))];
      expect(pids).toHaveLength(2); // the foreground and its daemon both left marks
      const kdf = marks.filter((m) => m.phase === "key unwrapped (argon2id)");
      expect(kdf).toHaveLength(1);
      const daemonPid = marks.find((m) => m.phase === "secrets received")!.pid;
      expect(kdf[0]!.pid).not.toBe(daemonPid);
      // the daemon started loading before the foreground finished unlocking (the start-up overlap)
      const order = marks.map((m) => `${m.pid === daemonPid ? "daemon" : "cli"}: ${m.phase}`);
      expect(order.indexOf("cli: daemon spawned")).toBeLessThan(order.indexOf("cli: key unwrapped (argon2id)"));
      writeFileSync(join(mnt, "hello"), "still a working mount");
      expect(readFileSync(join(mnt, "hello"), "utf8")).toBe("still a working mount");
    } finally {
      const un = await box.coffer(["umount", mnt]);
      expect(un.code).toBe(0);
    }
    expect(isMounted(mnt)).toBe(false);
  });

  test("a wrong passphrase: one clear line, nothing mounted, the early daemon gone, nothing in its log", async () => {
    const other = join(box.root, "wrong-auth");
    writeFileSync(other, `[x]\nstorage-url: ${url}\nfs-passphrase: not the passphrase\n`);
    chmodSync(other, 0o600);
    const log = join(box.root, "wrong.log");
    const r = await box.coffer(["mount", "--authfile", other, "--log", log, url, mnt]);
    expect(r.code).not.toBe(0);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toMatch(/wrong passphrase/);
    expect(isMounted(mnt)).toBe(false);
    expect(await gone(other)).toBe(true); // the daemon's command line names the authfile
    expect(readFileSync(log, "utf8")).toBe("");
  });

  test("no filesystem at the URL: the foreground fails at once, while its daemon still loads, and the daemon goes too", async () => {
    const empty = box.dir("empty-store");
    const auth = join(box.root, "empty-auth");
    writeFileSync(auth, `[x]\nstorage-url: local://${empty}\nfs-passphrase: whatever\n`);
    chmodSync(auth, 0o600);
    const log = join(box.root, "empty.log");
    const r = await box.coffer(["mount", "--authfile", auth, "--log", log, `local://${empty}`, mnt]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/no coffer filesystem at .*coffer mkfs/);
    expect(isMounted(mnt)).toBe(false);
    expect(await gone(auth)).toBe(true);
    expect(readFileSync(log, "utf8")).toBe("");
  });
});
