// mount.coffer / umount.coffer: mount(8)'s helper calling convention (URL DIR -o opts) over the real CLI.
import { afterAll, describe, expect, test, setDefaultTimeout } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { CofferSandbox, isMounted } from "../support/coffer-cli.ts";

// They run real tools and CLI processes on a loaded machine: generous, far above their usual 0.1–5 s.
setDefaultTimeout(60_000);

const BIN = resolve(import.meta.dir, "../../bin");

async function helper(name: string, args: string[]) {
  const proc = Bun.spawn([join(BIN, name), ...args], { stdout: "pipe", stderr: "pipe", env: { ...process.env, CI: "true" } });
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  return { code, stdout, stderr };
}

describe("mount.coffer and umount.coffer", () => {
  const box = new CofferSandbox();
  const store = box.dir("store");
  const url = `local://${store}`;
  const mnt = box.dir("mnt");

  afterAll(async () => {
    if (isMounted(mnt)) await box.coffer(["umount", mnt]);
    await box.cleanup();
  });

  test("mount -o authfile=,cachedir=,allow_other mounts; umount.coffer stores and unmounts", async () => {
    box.addAuth(url, { "fs-passphrase": "helpers" });
    expect((await box.coffer(["mkfs", "--authfile", box.authfile, url])).code).toBe(0);
    const cache = box.dir("cache");
    const m = await helper("mount.coffer", [url, mnt, "-n", "-o", `rw,_netdev,noauto,x-systemd.automount,authfile=${box.authfile},cachedir=${cache},log=${join(box.root, "helper.log")},allow_other`]);
    expect(m.stderr).toBe("");
    expect(m.code).toBe(0);
    const line = readFileSync("/proc/self/mounts", "utf8").split("\n").find((l) => l.split(" ")[1] === mnt)!;
    expect(line).toContain("fuse.coffer");
    expect(line).toContain("allow_other");
    writeFileSync(join(mnt, "hello.txt"), "through mount.coffer\n");
    const u = await helper("umount.coffer", [mnt]);
    expect(u.code).toBe(0);
    expect(u.stdout).toContain("everything is stored");
    expect(isMounted(mnt)).toBe(false);
  }, 120_000);

  test("an unknown option is one line and exit != 0, and nothing is mounted; -s (sloppy) ignores it", async () => {
    const bad = await helper("mount.coffer", [url, mnt, "-o", "frobnicate"]);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr.trim().split("\n")).toHaveLength(1);
    expect(bad.stderr).toContain('unknown option "frobnicate"');
    expect(isMounted(mnt)).toBe(false);
    const fake = await helper("mount.coffer", [url, mnt, "-s", "-f", "-o", "frobnicate"]);
    expect(fake.code).toBe(0);
    expect(isMounted(mnt)).toBe(false);
  });
});
