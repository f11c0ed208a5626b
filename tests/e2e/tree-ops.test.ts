// coffer cp / rm / lock / snapshot / expire on a real mount: shared data, independent copies, fast removal, immutable trees.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { randomBytes } from "node:crypto";
import {
  appendFileSync, chmodSync, chownSync, closeSync, existsSync, linkSync, mkdirSync, openSync, readFileSync, readSync,
  readdirSync, renameSync, rmdirSync, statSync, symlinkSync, truncateSync, unlinkSync, utimesSync, writeFileSync, writeSync,
} from "node:fs";
import { join } from "node:path";
import { CofferSandbox } from "../support/coffer-cli.ts";
import type { Snapshot } from "../../src/control/protocol.ts";

setDefaultTimeout(120_000); // per file: bun test ignores bunfig's timeout (docs/testing.md)

const MiB = 1 << 20;

/** Bytes of every file under `dir` (the local store: data objects and metadata). */
function storeBytes(dir: string): number {
  let n = 0;
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) n += statSync(join(e.parentPath, e.name)).size;
  }
  return n;
}

/** Runs fn and returns the error code it threw (or "none"). */
function codeOf(fn: () => unknown): string {
  try {
    fn();
    return "none";
  } catch (error) {
    return (error as NodeJS.ErrnoException).code ?? String(error);
  }
}

describe("tree operations on a real mount", () => {
  const box = new CofferSandbox();
  const store = box.dir("store");
  const url = `local://${store}`;
  const mnt = box.dir("mnt");
  const outside = box.dir("outside");
  const stat = async (): Promise<Snapshot> => JSON.parse((await box.coffer(["stat", "--json", mnt])).stdout) as Snapshot;
  const flush = async () => expect((await box.coffer(["flush", mnt])).code).toBe(0);

  beforeAll(async () => {
    box.addAuth(url, {});
    expect((await box.coffer(["mkfs", "--plain", "--authfile", box.authfile, url])).code).toBe(0);
    const mounted = await box.mount(url, mnt, ["--cachedir", box.dir("cache")]);
    expect(mounted.stderr).toBe("");
    expect(mounted.code).toBe(0);
  }, 60_000);
  afterAll(() => box.cleanup(), 120_000);

  // 64 MiB rather than the 1 GiB keeps the suite fast on the shared 2-core machine; the copy's cost
  // does not depend on the data size (only block rows are copied).
  test("cp of a 64 MiB tree stores < 1 MiB new data; the copy diverges both ways", async () => {
    const src = join(mnt, "src");
    mkdirSync(join(src, "sub", "deeper"), { recursive: true });
    const files = new Map<string, Buffer>();
    for (let k = 0; k < 15; k++) files.set(k % 2 ? `sub/f${k}.bin` : `f${k}.bin`, randomBytes(4 * MiB));
    files.set("sub/deeper/small.txt", Buffer.from("small\n"));
    for (const [name, data] of files) writeFileSync(join(src, name), data);
    symlinkSync("sub/deeper/small.txt", join(src, "link"));
    linkSync(join(src, "f0.bin"), join(src, "sub", "f0-again.bin")); // a hard link inside the tree
    await flush();
    const late = randomBytes(4 * MiB); // dirty when cp starts: cp must store it first, then share it
    writeFileSync(join(src, "late.bin"), late);
    files.set("late.bin", late);
    await flush();
    expect((await box.coffer(["ctl", "dropcache", mnt])).code).toBe(0); // a copy that read the data would download it
    const before = storeBytes(store);
    const { space: { storedObjects: beforeObjects }, downloads: { totalBytes: downloadedBefore } } = await stat();

    const r = await box.coffer(["cp", src, join(mnt, "copy")]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Copied .* entries/);
    await flush();
    const grown = storeBytes(store) - before;
    expect(grown).toBeLessThan(MiB);
    const afterCopy = await stat();
    expect(afterCopy.space.storedObjects).toBe(beforeObjects);
    expect(afterCopy.downloads.totalBytes).toBe(downloadedBefore);
    expect(afterCopy.space.logicalBytes).toBeGreaterThanOrEqual(2 * 64 * MiB);

    const copy = join(mnt, "copy");
    for (const [name, data] of files) expect(readFileSync(join(copy, name)).equals(data)).toBe(true);
    expect(readFileSync(join(copy, "link"), "utf8")).toBe("small\n");
    expect(statSync(join(copy, "f0.bin")).ino).toBe(statSync(join(copy, "sub", "f0-again.bin")).ino);
    expect(statSync(join(copy, "f0.bin")).nlink).toBe(2);
    expect(statSync(join(copy, "f0.bin")).ino).not.toBe(statSync(join(src, "f0.bin")).ino);

    // a write to the copy leaves the source alone, and the other way round
    const patch = Buffer.alloc(4096, 0x5a);
    const fdCopy = openSync(join(copy, "f2.bin"), "r+");
    writeSync(fdCopy, patch, 0, patch.length, 1000);
    closeSync(fdCopy);
    appendFileSync(join(src, "f4.bin"), "tail");
    await flush();
    expect(readFileSync(join(src, "f2.bin")).equals(files.get("f2.bin")!)).toBe(true);
    const f2 = Buffer.from(files.get("f2.bin")!);
    patch.copy(f2, 1000);
    expect(readFileSync(join(copy, "f2.bin")).equals(f2)).toBe(true);
    expect(readFileSync(join(copy, "f4.bin")).equals(files.get("f4.bin")!)).toBe(true);
    expect(statSync(join(src, "f4.bin")).size).toBe(4 * MiB + 4);
  }, 180_000);

  test("rm removes a tree the kernel had cached; an open file lives until closed; objects leave the store", async () => {
    const tree = join(mnt, "doomed");
    for (let d = 0; d < 10; d++) {
      mkdirSync(join(tree, `d${d}`, "inner"), { recursive: true });
      for (let f = 0; f < 20; f++) writeFileSync(join(tree, `d${d}`, "inner", `f${f}`), `file ${d}/${f}\n`);
    }
    const big = randomBytes(8 * MiB);
    writeFileSync(join(tree, "d0", "big.bin"), big);
    await flush();
    expect(readdirSync(join(tree, "d3", "inner"))).toHaveLength(20); // now in the kernel's caches
    const objectsBefore = (await stat()).space.storedObjects;
    const open = openSync(join(tree, "d0", "big.bin"), "r");
    try {
      const r = await box.coffer(["rm", tree]);
      expect(r.stderr).toBe("");
      expect(r.code).toBe(0);
      expect(r.stdout).toContain("(222 entries)");
      expect(existsSync(tree)).toBe(false);
      expect(existsSync(join(tree, "d3", "inner", "f1"))).toBe(false);
      expect(readdirSync(mnt)).not.toContain("doomed");
      const back = Buffer.alloc(big.length);
      expect(readSync(open, back, 0, back.length, 0)).toBe(big.length);
      expect(back.equals(big)).toBe(true);
    } finally {
      closeSync(open);
    }
    await Bun.sleep(200); // the release reaches the daemon
    await flush();
    const after = await stat();
    // the 8 MiB file held 2 objects (4 MiB blocks); the small files deduplicate into fewer
    expect(after.space.storedObjects).toBeLessThanOrEqual(objectsBefore - 2);
  }, 180_000);

  test("a locked tree refuses every mutating call with EPERM while reads work; only coffer rm removes it", async () => {
    const tree = join(mnt, "vault");
    mkdirSync(join(tree, "sub"), { recursive: true });
    writeFileSync(join(tree, "a.txt"), "keep me\n");
    writeFileSync(join(tree, "sub", "b.txt"), "me too\n");
    const twin = join(mnt, "twin-of-a.txt"); // another name of a.txt, outside the tree
    linkSync(join(tree, "a.txt"), twin);
    const r = await box.coffer(["lock", tree]);
    expect(r.code).toBe(0);
    expect((await box.coffer(["lock", "--status", join(tree, "sub", "b.txt")])).stdout).toContain("locked (inside a locked tree)");
    expect((await box.coffer(["lock", "--status", mnt])).stdout).toContain("not locked");
    expect((await stat()).space.lockedTrees).toBe(1);
    expect((await box.coffer(["stat", mnt])).stdout).toMatch(/Locked trees\s+1/);

    const a = join(tree, "a.txt");
    const attempts: Record<string, () => unknown> = {
      "write": () => writeFileSync(a, "changed"),
      "append": () => appendFileSync(a, "more"),
      "truncate": () => truncateSync(a, 1),
      "create": () => writeFileSync(join(tree, "new.txt"), "x"),
      "mkdir": () => mkdirSync(join(tree, "sub", "new")),
      "unlink": () => unlinkSync(join(tree, "sub", "b.txt")),
      "rmdir": () => rmdirSync(join(tree, "sub")),
      "rename inside": () => renameSync(a, join(tree, "renamed.txt")),
      "rename out": () => renameSync(a, join(mnt, "escaped.txt")),
      "rename the root": () => renameSync(tree, join(mnt, "vault2")),
      "chmod": () => chmodSync(a, 0o600),
      "chown": () => chownSync(a, 1234, 1234),
      "utimes": () => utimesSync(a, 1, 1),
      "link": () => linkSync(a, join(tree, "hard")),
      "link in from outside": () => linkSync(join(mnt, "copy", "f0.bin"), join(tree, "hard")),
      "symlink": () => symlinkSync("a.txt", join(tree, "soft")),
      "write through a name outside": () => writeFileSync(twin, "sneaky"),
    };
    for (const [name, attempt] of Object.entries(attempts)) expect(`${name}: ${codeOf(attempt)}`).toBe(`${name}: EPERM`);
    for (const args of [["-n", "user.x", "-v", "1", a], ["-x", "user.y", a]]) {
      const x = Bun.spawnSync(["setfattr", ...args]);
      expect(x.exitCode).not.toBe(0);
      expect(x.stderr.toString()).toContain("Operation not permitted");
    }
    expect(readFileSync(a, "utf8")).toBe("keep me\n");
    expect(readdirSync(tree).sort()).toEqual(["a.txt", "sub"]);
    expect(statSync(a).mode & 0o777).not.toBe(0o600);

    // the lock is in the metadata: it holds after a remount
    expect(await box.umount(mnt)).toMatchObject({ code: 0 });
    expect((await box.mount(url, mnt, ["--cachedir", box.dir("cache")])).code).toBe(0);
    expect(codeOf(() => writeFileSync(a, "after remount"))).toBe("EPERM");
    expect(codeOf(() => unlinkSync(join(tree, "sub", "b.txt")))).toBe("EPERM");
    expect((await stat()).space.lockedTrees).toBe(1);

    const gone = await box.coffer(["rm", tree]);
    expect(gone.code).toBe(0);
    expect(existsSync(tree)).toBe(false);
    expect((await stat()).space.lockedTrees).toBe(0);
  }, 120_000);

  test("snapshot + expire: dated, optionally locked copies; expire removes what the policy drops", async () => {
    const data = join(mnt, "data");
    mkdirSync(data);
    writeFileSync(join(data, "x.txt"), "x\n");
    const r = await box.coffer(["snapshot", data, "--lock"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const made = r.stdout.trim().split("\n").at(-1)!;
    expect(made).toMatch(/\/\.snapshots\/data\/\d{4}-\d\d-\d\d_\d{6}$/);
    expect(readFileSync(join(made, "x.txt"), "utf8")).toBe("x\n");
    expect(codeOf(() => writeFileSync(join(made, "x.txt"), "y"))).toBe("EPERM");
    // older snapshots of the same folder, made by cp under dated names
    const folder = join(mnt, ".snapshots", "data");
    for (const name of ["2026-01-05_030000", "2026-01-06_030000", "2026-02-01_030000"]) {
      expect((await box.coffer(["cp", data, join(folder, name)])).code).toBe(0);
    }
    const dry = await box.coffer(["expire", folder, "--keep", "last=1,monthly=2", "--dry-run"]);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain("would remove 2026-01-05_030000");
    expect(readdirSync(folder)).toHaveLength(4);
    const ex = await box.coffer(["expire", folder, "--keep", "last=1,monthly=2"]);
    expect(ex.stderr).toBe("");
    expect(ex.code).toBe(0);
    // newest (locked, today) by last=1 and monthly; 2026-02-01 is the second month
    expect(readdirSync(folder).sort()).toEqual(["2026-02-01_030000", made.split("/").at(-1)!].sort());
  }, 120_000);

  test("bad input: one line, exit code not 0, nothing changed", async () => {
    const dir = join(mnt, "plain");
    mkdirSync(dir);
    writeFileSync(join(dir, "file.txt"), "f\n");
    const before = readdirSync(mnt).sort();
    const cases: [string, string[], RegExp][] = [
      ["cp across filesystems", ["cp", dir, join(outside, "copy")], /different filesystems/],
      ["cp out of the mount's files", ["cp", outside, join(mnt, "in")], /not inside a mounted coffer/],
      ["cp onto an existing path", ["cp", dir, join(mnt, "copy")], /exists already/],
      ["cp of a file", ["cp", join(dir, "file.txt"), join(mnt, "file-copy")], /not a directory/],
      ["cp into itself", ["cp", dir, join(dir, "inner")], /inside the source/],
      ["lock outside a mount", ["lock", outside], /not inside a mounted coffer/],
      ["lock of a file", ["lock", join(dir, "file.txt")], /not a directory/],
      ["rm of a file", ["rm", join(dir, "file.txt")], /not a directory/],
      ["rm outside a mount", ["rm", outside], /not inside a mounted coffer/],
      ["rm of the mount point", ["rm", mnt], /mount point/],
      ["rm of a missing path", ["rm", join(mnt, "nothing-here")], /does not exist/],
      ["expire without --keep", ["expire", dir], /needs --keep/],
      ["expire with a bad policy", ["expire", dir, "--keep", "daily=seven"], /PERIOD=COUNT/],
    ];
    for (const [what, args, message] of cases) {
      const r = await box.coffer(args);
      expect(`${what}: ${r.code !== 0}`).toBe(`${what}: true`);
      expect(r.stderr.trim().split("\n")).toHaveLength(1);
      expect(r.stderr).toMatch(message);
    }
    expect(readdirSync(mnt).sort()).toEqual(before);
    expect(readdirSync(dir)).toEqual(["file.txt"]);
    expect(readdirSync(outside)).toEqual([]);
  }, 180_000);

  test("after every copy and removal, coffer fsck finds link and reference counts consistent", async () => {
    expect((await box.umount(mnt)).code).toBe(0);
    const r = await box.coffer(["fsck", "--batch", "--authfile", box.authfile, "--cachedir", box.dir("cache"), url]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("no problems found");
  }, 180_000);
});
