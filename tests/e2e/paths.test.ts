// Every command run from another directory with relative paths: they are made absolute against the caller's
// cwd before any check, the daemon (which runs in "/") sees only absolute paths, and a non-empty mount point
// (checked on the directory actually mounted) is refused unless --nonempty.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { copyFileSync, chmodSync, existsSync, mkdirSync, readFileSync, realpathSync, symlinkSync, writeFileSync } from "node:fs";
import { isAbsolute, join } from "node:path";
import { CofferSandbox, isCofferProcess, isMounted, type RunResult } from "../support/coffer-cli.ts";

setDefaultTimeout(120_000); // per file: bun test ignores bunfig's timeout (docs/testing.md)

function ok(r: RunResult): RunResult {
  if (r.code !== 0) throw new Error(`exit ${r.code}: ${r.stderr}${r.stdout}`);
  return r;
}

describe("relative paths from the caller's directory", () => {
  const box = new CofferSandbox();
  const url = `local://${box.dir("store")}`;
  const work = realpathSync(box.dir("work"));
  const elsewhere = box.dir("elsewhere");
  const mounted: Array<{ path: string; pid?: number }> = [];

  const run = (args: string[], cwd = work) => box.coffer(args, { cwd });
  const mount = async (args: string[], path: string) => {
    const r = await run(args);
    if (r.code === 0) mounted.push({ path, pid: Number(/daemon pid (\d+)/.exec(r.stdout)?.[1]) || undefined });
    return r;
  };

  beforeAll(() => {
    box.addAuth(url, { "fs-passphrase": "relative paths" });
    copyFileSync(box.authfile, join(work, "auth"));
    chmodSync(join(work, "auth"), 0o600);
    mkdirSync(join(work, "mnt"));
  });

  afterAll(async () => {
    for (const m of mounted) {
      if (isMounted(m.path)) {
        const r = await box.coffer(["umount", m.path]).catch(() => null);
        if (r?.code !== 0 && isMounted(m.path)) Bun.spawnSync(["umount", "-l", m.path]);
      }
      if (m.pid && isCofferProcess(m.pid)) process.kill(m.pid, "SIGKILL");
    }
    await box.cleanup();
  }, 120_000);

  test("mkfs --authfile is read from the caller's directory", async () => {
    const away = await run(["mkfs", "--authfile", "auth", url], elsewhere);
    expect(away.code).not.toBe(0);
    expect(away.stderr).toContain(`authinfo file ${join(elsewhere, "auth")} does not exist`);
    ok(await run(["mkfs", "--authfile", "auth", url]));
  }, 60_000);

  test("mount with a relative cache dir, log and mount point; the daemon sees absolute paths only", async () => {
    const r = ok(await mount(["mount", "--authfile", "auth", "--cachedir", "cache-0", "--log", "x.log", url, "mnt"], join(work, "mnt")));
    expect(isMounted(join(work, "mnt"))).toBe(true);
    expect(existsSync(join(work, "cache-0"))).toBe(true);
    expect(readFileSync(join(work, "x.log"), "utf8")).toContain(`mounted ${url} at ${join(work, "mnt")}`);
    expect(existsSync("/cache-0")).toBe(false);
    expect(r.stdout).toContain(`at ${join(work, "mnt")} `);
    const pid = Number(/daemon pid (\d+)/.exec(r.stdout)![1]);
    const argv = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").filter(Boolean);
    const args = argv.slice(argv.indexOf("mount") + 1);
    for (const flag of ["--authfile", "--cachedir", "--log"]) expect(isAbsolute(args[args.indexOf(flag) + 1]!)).toBe(true);
    expect(args.at(-1)).toBe(join(work, "mnt"));
    await Bun.write(join(work, "mnt", "hello.txt"), "hello\n");
  }, 60_000);

  test("stat, flush and umount take a relative mount point", async () => {
    const stat = ok(await run(["stat", "--json", "mnt"]));
    expect(JSON.parse(stat.stdout).mountpoint).toBe(join(work, "mnt"));
    ok(await run(["flush", "mnt"]));
    const away = await run(["umount", "mnt"], elsewhere);
    expect(away.code).not.toBe(0);
    expect(away.stderr).toContain("is not a coffer mount point");
    ok(await run(["umount", "mnt"]));
    expect(isMounted(join(work, "mnt"))).toBe(false);
  }, 60_000);

  test("a non-empty mount point is refused unless --nonempty, checked where the symlink leads", async () => {
    mkdirSync(join(work, "full"));
    writeFileSync(join(work, "full", "keep.txt"), "hidden while mounted\n");
    symlinkSync(join(work, "full"), join(work, "link"));
    const refused = await run(["mount", "--authfile", "auth", "--cachedir", "cache-1", "--log", "x.log", url, "link"]);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr.trim().split("\n")).toHaveLength(1);
    expect(refused.stderr).toContain(`mount point ${join(work, "full")} is not empty`);
    expect(refused.stderr).toContain("--nonempty");
    ok(await mount(["mount", "--authfile", "auth", "--cachedir", "cache-1", "--log", "x.log", "--nonempty", url, "link"], join(work, "full")));
    expect(isMounted(join(work, "full"))).toBe(true);
    expect(await Bun.file(join(work, "full", "hello.txt")).text()).toBe("hello\n");
    ok(await run(["umount", "link"]));
    expect(readFileSync(join(work, "full", "keep.txt"), "utf8")).toBe("hidden while mounted\n");
  }, 60_000);
});
