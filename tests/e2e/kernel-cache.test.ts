// The kernel caches names, attributes and listings for an hour: changes made outside its requests must reach it at once.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { randomBytes } from "node:crypto";
import {
  closeSync, fstatSync, linkSync, mkdirSync, openSync, readFileSync, readSync, readdirSync, statSync, utimesSync, writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { CofferSandbox } from "../support/coffer-cli.ts";

setDefaultTimeout(120_000); // per file: bun test ignores bunfig's timeout (docs/testing.md)

const codeOf = (fn: () => unknown): string => {
  try {
    fn();
    return "none";
  } catch (error) {
    return (error as NodeJS.ErrnoException).code ?? String(error);
  }
};

describe("the kernel's caches on a real mount", () => {
  const box = new CofferSandbox();
  const url = `local://${box.dir("store")}`;
  const mnt = box.dir("mnt");
  const cache = box.dir("cache");

  beforeAll(async () => {
    box.addAuth(url, {});
    expect((await box.coffer(["mkfs", "--plain", "--authfile", box.authfile, url])).code).toBe(0);
    const mounted = await box.mount(url, mnt, ["--cachedir", cache]);
    expect(mounted.stderr).toBe("");
    expect(mounted.code).toBe(0);
  }, 60_000);
  afterAll(() => box.cleanup(), 120_000);

  test("coffer cp into a directory the kernel listed and stat'ed: ls and stat see the copy at once", async () => {
    const home = join(mnt, "cp-home");
    mkdirSync(join(home, "src", "sub"), { recursive: true });
    writeFileSync(join(home, "src", "sub", "a.txt"), "a\n");
    // the kernel now holds the listing (FOPEN_CACHE_DIR), the attributes and a failed lookup of the new name
    expect(readdirSync(home).sort()).toEqual(["src"]);
    const before = statSync(home);
    expect(codeOf(() => statSync(join(home, "copy")))).toBe("ENOENT");
    expect(readdirSync(home).sort()).toEqual(["src"]); // served from the cached listing

    const r = await box.coffer(["cp", join(home, "src"), join(home, "copy")]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(readdirSync(home).sort()).toEqual(["copy", "src"]);
    expect(readFileSync(join(home, "copy", "sub", "a.txt"), "utf8")).toBe("a\n");
    const after = statSync(home);
    expect(after.nlink).toBe(before.nlink + 1); // the new subdirectory's ".."
    expect(after.mtimeMs).toBeGreaterThanOrEqual(before.mtimeMs);
  });

  test("coffer rm: ls and stat see it gone at once; a link from outside and an open file show the new link count", async () => {
    const home = join(mnt, "rm-home");
    const tree = join(home, "tree");
    mkdirSync(join(tree, "deep"), { recursive: true });
    writeFileSync(join(tree, "deep", "linked"), "linked\n");
    linkSync(join(tree, "deep", "linked"), join(home, "outside-name"));
    writeFileSync(join(tree, "open"), "still here\n");
    // cache everything: listing, names, attributes (nlink 2 for the linked file)
    expect(readdirSync(home).sort()).toEqual(["outside-name", "tree"]);
    expect(readdirSync(join(tree, "deep"))).toEqual(["linked"]);
    expect(statSync(join(home, "outside-name")).nlink).toBe(2);
    const fd = openSync(join(tree, "open"), "r");
    try {
      expect(fstatSync(fd).nlink).toBe(1);
      const r = await box.coffer(["rm", tree]);
      expect(r.stderr).toBe("");
      expect(r.code).toBe(0);
      expect(readdirSync(home)).toEqual(["outside-name"]);
      expect(codeOf(() => statSync(tree))).toBe("ENOENT");
      expect(codeOf(() => statSync(join(tree, "deep", "linked")))).toBe("ENOENT");
      expect(statSync(join(home, "outside-name")).nlink).toBe(1);
      expect(readFileSync(join(home, "outside-name"), "utf8")).toBe("linked\n");
      expect(fstatSync(fd).nlink).toBe(0); // unlinked, open: its data lives until closed
      const buf = Buffer.alloc(64);
      expect(buf.subarray(0, readSync(fd, buf, 0, 64, 0)).toString()).toBe("still here\n");
    } finally {
      closeSync(fd);
    }
  });

  test("creates in a directory while coffer rm and cp change it finish (no notification deadlock)", async () => {
    const home = join(mnt, "busy");
    mkdirSync(join(home, "src"), { recursive: true });
    for (let k = 0; k < 20; k++) writeFileSync(join(home, "src", `f${k}`), `${k}\n`);
    // a child process creates files in `home` without pause; each create holds the directory's lock in the
    // kernel while the daemon answers, which is when an entry notification for `home` would wait on it
    // (until told to stop, at most 90 s; with notifications written by the main thread this hung in round 0)
    const stop = join(box.dir("busy-stop"), "stop");
    const creator = Bun.spawn(["python3", "-c", `
import os, sys, time
d, stop = sys.argv[1], sys.argv[2]; end = time.time() + 90; n = 0
while time.time() < end and not os.path.exists(stop):
    with open(os.path.join(d, "c%d" % n), "w") as f: f.write("x")
    n += 1
print(n)
`, home, stop], { stdout: "pipe", stderr: "pipe" });
    try {
      for (let round = 0; round < 3; round++) {
        const cp = await box.coffer(["cp", join(home, "src"), join(home, `copy${round}`)], { timeoutMs: 60_000 });
        expect(cp.stderr).toBe("");
        expect(cp.code).toBe(0);
        const rm = await box.coffer(["rm", join(home, `copy${round}`)], { timeoutMs: 60_000 });
        expect(rm.stderr).toBe("");
        expect(rm.code).toBe(0);
      }
      writeFileSync(stop, "");
      const created = Number((await new Response(creator.stdout).text()).trim());
      expect(await creator.exited).toBe(0);
      expect(created).toBeGreaterThan(0);
      expect(readdirSync(home).filter((n) => n.startsWith("c")).length).toBe(created);
      expect(readdirSync(home).some((n) => n.startsWith("copy"))).toBe(false);
    } finally {
      creator.kill();
    }
  });

  test("reading a file from the page cache updates its atime (relatime at open); stat shows it at once", () => {
    const f = join(mnt, "atime-file");
    writeFileSync(f, "read me\n");
    expect(readFileSync(f, "utf8")).toBe("read me\n"); // in the page cache now: the next read sends no READ
    utimesSync(f, new Date(1_000_000_000_000), new Date(1_500_000_000_000)); // atime older than mtime
    const before = statSync(f); // cached by the kernel from here on
    expect(before.atimeMs).toBe(1_000_000_000_000);
    expect(readFileSync(f, "utf8")).toBe("read me\n"); // an OPEN, served from the page cache
    expect(statSync(f).atimeMs).toBeGreaterThan(Date.now() - 600_000);
  });

  test("st_blocks follows the upload of a block: stat after a flush shows what a fresh mount shows", async () => {
    const f = join(mnt, "compressible");
    writeFileSync(f, Buffer.alloc(512 * 1024, "coffer ")); // compresses to a few KiB once stored
    const dirty = statSync(f).blocks;
    expect(dirty * 512).toBeGreaterThanOrEqual(512 * 1024); // in the cache: the whole file
    expect((await box.coffer(["flush", mnt])).code).toBe(0);
    const flushed = statSync(f).blocks;
    expect(flushed).toBeLessThan(dirty); // the compressed object, told to the kernel at the upload's commit
    expect((await box.coffer(["ctl", "dropcache", mnt])).code).toBe(0);
    expect(statSync(f).blocks).toBe(flushed); // evicting a clean block changes nothing
    expect((await box.umount(mnt)).code).toBe(0);
    const again = await box.mount(url, mnt, ["--cachedir", cache]);
    expect(again.code).toBe(0);
    expect(statSync(f).blocks).toBe(flushed);
    expect(readFileSync(f).equals(Buffer.alloc(512 * 1024, "coffer "))).toBe(true);
  });

  test("a second listing comes from the kernel's cache, and a create through the kernel refreshes it", () => {
    const d = join(mnt, "listing");
    mkdirSync(d);
    for (let k = 0; k < 50; k++) writeFileSync(join(d, `n${k}`), randomBytes(16));
    expect(readdirSync(d).length).toBe(50);
    expect(readdirSync(d).length).toBe(50);
    writeFileSync(join(d, "one-more"), "x");
    expect(readdirSync(d).length).toBe(51);
    expect(readdirSync(d)).toContain("one-more");
  });
});
