// memfs as an NFS export would use it: file handles of files and directories still open after the kernel forgot the inodes.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { closeSync, fstatSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { nameToHandle, openByHandle } from "../support/file-handles.ts";
import { makeTempMountpoint, startMountChild, type MountChild } from "../support/mount-child.ts";

setDefaultTimeout(120_000); // per file: bun test ignores bunfig's timeout (docs/testing.md)

let mp: ReturnType<typeof makeTempMountpoint>;
let child: MountChild | undefined;

beforeAll(async () => {
  mp = makeTempMountpoint("coffer-memfs-handles-");
  child = await startMountChild(["bun", "run", join(import.meta.dir, "../../examples/memfs.ts"), mp.path], mp.path);
}, 30_000);

afterAll(async () => {
  await child?.stop();
  mp?.remove();
}, 30_000);

describe("memfs: file handles", () => {
  test("a file's and a directory's handle open after drop_caches (LOOKUP of '.' on any node kind)", () => {
    const dir = join(mp.path, "d");
    mkdirSync(dir);
    writeFileSync(join(dir, "f"), "data");
    const file = nameToHandle(join(dir, "f"));
    const directory = nameToHandle(dir);
    writeFileSync("/proc/sys/vm/drop_caches", "3");
    const fd = openByHandle(mp.path, file);
    try {
      expect(readFileSync(fd, "utf8")).toBe("data");
    } finally {
      closeSync(fd);
    }
    const dfd = openByHandle(mp.path, directory);
    try {
      expect(fstatSync(dfd).isDirectory()).toBe(true);
    } finally {
      closeSync(dfd);
    }
  }, 60_000);
});
