// The POSIX suite, random operations and a large tree copy on the memfs example, served by a child process over the FUSE layer.

import { describe, expect, setDefaultTimeout, test } from "bun:test";
import * as fs from "node:fs";
import { join } from "node:path";
import { posixSuite } from "../suites/posix.ts";
import { randomOpsSuite } from "../suites/random-ops.ts";
import { useMountChild } from "../support/mount-child.ts";
import { copyTreeInto, treeDiff } from "../support/tree.ts";

setDefaultTimeout(120_000); // per file: bun test ignores bunfig's timeout (docs/testing.md)

const REPO = join(import.meta.dir, "../..");
// --allow-other: the suite's non-root checks run as uid 65534, which FUSE would otherwise refuse outright.
const memfs = (flags: string[]) => (mp: string) => ["bun", "run", join(REPO, "examples/memfs.ts"), mp, ...flags];
const mountpoint = useMountChild(memfs(["--allow-other", "--dev"]), "coffer-memfs-");

posixSuite("memfs", mountpoint);
randomOpsSuite("memfs", mountpoint);

describe("memfs: mixed workload", () => {
  test("cp -a /usr/include into the mount, then diff -r finds no difference", () => {
    const dest = join(mountpoint(), "include-copy");
    const src = copyTreeInto(dest);
    expect(treeDiff(src, dest)).toBe("");
    // cp -a kept modes, owners and times: compare a listing of both trees (directory sizes are each filesystem's own).
    const list = (root: string) =>
      Bun.spawnSync(["find", ".", "-type", "d", "-printf", "%p %M %U %G %T@\\n", "-o", "-printf", "%p %M %U %G %s %T@ %l\\n"], {
        cwd: root,
        stdout: "pipe",
      }).stdout.toString().split("\n").sort();
    expect(list(dest)).toEqual(list(src));
    const rm = Bun.spawnSync(["rm", "-rf", dest], { stderr: "pipe" });
    expect(rm.exitCode).toBe(0);
  }, 300_000);

  for (const direct of [false, true]) {
    test(`fio random read/write with crc32c verification${direct ? ", O_DIRECT" : ""}`, () => {
      const dir = join(mountpoint(), `fio-${direct ? "direct" : "buffered"}`);
      fs.mkdirSync(dir);
      const fio = Bun.spawnSync(
        [
          "fio", "--name=verify", `--directory=${dir}`, "--rw=randrw", "--bsrange=4k-256k", "--size=32m", "--numjobs=2",
          "--ioengine=psync", "--verify=crc32c", "--do_verify=1", "--verify_fatal=1", "--verify_state_save=0", `--direct=${direct ? 1 : 0}`,
          "--group_reporting", "--output-format=terse",
        ],
        { cwd: dir, stdout: "pipe", stderr: "pipe" },
      );
      expect(fio.stderr.toString()).toBe("");
      expect(fio.exitCode).toBe(0);
      fs.rmSync(dir, { recursive: true });
    }, 120_000);
  }
});

describe("memfs: kernel references", () => {
  // Its own mount: the free-inode count is the whole filesystem's, so no other test may create or forget
  // inodes in it meanwhile (on the shared mount, the suite's earlier FORGETs were still arriving).
  const own = useMountChild(memfs([]), "coffer-memfs-forget-");

  // memfs frees an inode once it has no name, no open handle and no kernel reference, and statfs counts
  // the live ones: so this shows the kernel's FORGETs (and READDIRPLUS's references) reach the filesystem.
  test("after creating, listing (readdirplus) and removing 2000 files, their inodes are forgotten and freed", async () => {
    const freeInodes = () => fs.statfsSync(own()).ffree;
    const before = freeInodes();
    const d = join(own(), "forget");
    fs.mkdirSync(d);
    for (let i = 0; i < 2000; i++) fs.writeFileSync(join(d, `f${i}`), "x");
    const ls = Bun.spawnSync(["ls", "-l", d], { stdout: "pipe" });
    expect(ls.stdout.toString().split("\n").length).toBeGreaterThan(2000);
    expect(freeInodes()).toBeLessThanOrEqual(before - 2000);
    fs.rmSync(d, { recursive: true });
    // FORGETs are asynchronous and slow under load: wait for them (the test's timeout bounds the wait)
    let after = freeInodes();
    while (after < before) {
      await Bun.sleep(100);
      after = freeInodes();
    }
    expect(after).toBeGreaterThanOrEqual(before);
  }, 180_000);
});
