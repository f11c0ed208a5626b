// End to end through the real CLI on local://: mkfs, mount, write, umount, mount again with an empty cache.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { createHash, randomBytes } from "node:crypto";
import { closeSync, fsyncSync, openSync, readdirSync, readFileSync, readSync, statSync, writeSync } from "node:fs";
import { join, relative } from "node:path";
import { CofferSandbox, isCofferProcess, isMounted } from "../support/coffer-cli.ts";
import { copyTreeInto, treeDiff } from "../support/tree.ts";

setDefaultTimeout(120_000); // per file: bun test ignores bunfig's timeout (docs/testing.md)

const PASS = "correct horse battery staple";
const MARKER = "COFFER-SECRET-MARKER-7f3a9c";

function sha256File(path: string): string {
  const hash = createHash("sha256");
  const fd = openSync(path, "r");
  const buffer = Buffer.alloc(4 << 20);
  try {
    for (;;) {
      const n = readSync(fd, buffer, 0, buffer.length, null);
      if (n === 0) break;
      hash.update(buffer.subarray(0, n));
    }
  } finally {
    closeSync(fd);
  }
  return hash.digest("hex");
}

function walk(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    out.push(path);
    if (entry.isDirectory()) out.push(...walk(path));
  }
  return out;
}

function storeBytes(dir: string): number {
  return walk(dir).reduce((sum, p) => sum + (statSync(p).isFile() ? statSync(p).size : 0), 0);
}

// Each test stands alone: beforeAll makes the filesystem and writes what several tests check, and every
// test mounts with its own cache directory and unmounts itself, so any one may run alone or in any order.
describe("coffer on local://", () => {
  const box = new CofferSandbox();
  const store = box.dir("store");
  const url = `local://${store}`;
  const mnt = box.dir("mnt");
  const BIG = 256 << 20; // several blocks and upload batches; 1 GiB added minutes under load, not coverage
  let bigHash = "";
  let tree = "";

  beforeAll(async () => {
    box.addAuth(url, { "fs-passphrase": PASS });
    const made = await box.coffer(["mkfs", "--authfile", box.authfile, url]);
    expect(made.stderr).toBe("");
    expect(made.code).toBe(0);

    // mount, write a tree, a 256 MiB random file and a marker, unmount
    const mounted = await box.mount(url, mnt, ["--cachedir", box.dir("cache1")]);
    expect(mounted.stderr).toBe("");
    expect(mounted.code).toBe(0);
    expect(isMounted(mnt)).toBe(true);
    tree = copyTreeInto(join(mnt, "include"));
    await Bun.write(join(mnt, "secret-notes.txt"), `${MARKER}\n`.repeat(100));
    const fd = openSync(join(mnt, "big.bin"), "w");
    const hash = createHash("sha256");
    for (let i = 0; i < BIG / (4 << 20); i++) {
      const chunk = randomBytes(4 << 20);
      hash.update(chunk);
      writeSync(fd, chunk);
    }
    fsyncSync(fd);
    closeSync(fd);
    bigHash = hash.digest("hex");
    const un = await box.umount(mnt);
    // an umount that takes more than 5 s (a loaded machine) prints a progress line every 5 s: allowed
    expect(un.stderr.split("\n").filter((l) => l !== "" && !/^storing (dirty blocks|metadata)/.test(l)).join("\n")).toBe("");
    expect(un.code).toBe(0);
    expect(isMounted(mnt)).toBe(false);
  }, 600_000);
  afterAll(() => box.cleanup(), 120_000);

  test("the store shows no file name, no content and no tree", () => {
    const paths = walk(store);
    const names = paths.map((p) => relative(store, p)).join("\n");
    for (const word of ["include", "secret-notes", "big.bin", "linux", "stdio"]) expect(names).not.toContain(word);
    for (const path of paths) {
      if (!statSync(path).isFile()) continue;
      const bytes = readFileSync(path);
      expect(bytes.includes(MARKER)).toBe(false);
      expect(bytes.includes("secret-notes")).toBe(false);
      expect(bytes.includes("#include")).toBe(false);
    }
  }, 120_000);

  test("everything comes back byte for byte through an empty cache", async () => {
    const mounted = await box.mount(url, mnt, ["--cachedir", box.dir("cache2")]);
    expect(mounted.code).toBe(0);
    expect(treeDiff(tree, join(mnt, "include"))).toBe("");
    expect(readFileSync(join(mnt, "secret-notes.txt"), "utf8")).toBe(`${MARKER}\n`.repeat(100));
    expect(statSync(join(mnt, "big.bin")).size).toBe(BIG);
    expect(sha256File(join(mnt, "big.bin"))).toBe(bigHash);
    expect((await box.umount(mnt)).code).toBe(0);
  }, 600_000);

  test("the same 64 MiB written twice is stored once, and stat says so", async () => {
    const mounted = await box.mount(url, mnt, ["--cachedir", box.dir("cache3")]);
    expect(mounted.code).toBe(0);
    const before = storeBytes(store);
    const data = randomBytes(64 << 20);
    await Bun.write(join(mnt, "copy-a.bin"), data);
    await Bun.write(join(mnt, "copy-b.bin"), data);
    expect((await box.coffer(["flush", mnt])).code).toBe(0);
    const stat = await box.coffer(["stat", "--json", mnt]);
    expect(stat.code).toBe(0);
    const s = JSON.parse(stat.stdout);
    expect(s.space.logicalBytes).toBeGreaterThan(BIG + (128 << 20));
    expect(s.space.dedupBytes).toBeLessThan(s.space.logicalBytes);
    expect(s.cache.dirtyBytes).toBe(0);
    expect((await box.umount(mnt)).code).toBe(0);
    const growth = storeBytes(store) - before;
    expect(growth).toBeGreaterThan(60 << 20);
    expect(growth).toBeLessThanOrEqual(1.1 * (64 << 20));
  }, 600_000);

  test("SIGTERM to the daemon unmounts and stores everything", async () => {
    expect((await box.mount(url, mnt, ["--cachedir", box.dir("cache4")])).code).toBe(0);
    const pid = box.daemonPid(mnt)!;
    const payload = randomBytes(3 << 20);
    await Bun.write(join(mnt, "before-sigterm.bin"), payload);
    process.kill(pid, "SIGTERM");
    for (let i = 0; i < 1200 && (isMounted(mnt) || isCofferProcess(pid)); i++) await Bun.sleep(100);
    expect(isMounted(mnt)).toBe(false);
    expect(isCofferProcess(pid)).toBe(false);
    box.forget(mnt);
    expect(box.log()).toContain("SIGTERM");
    expect((await box.mount(url, mnt, ["--cachedir", box.dir("cache5")])).code).toBe(0);
    expect(readFileSync(join(mnt, "before-sigterm.bin")).equals(payload)).toBe(true);
    expect((await box.umount(mnt)).code).toBe(0);
  }, 600_000);
});
