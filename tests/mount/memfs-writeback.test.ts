// The POSIX and random-ops suites on memfs mounted with FUSE_WRITEBACK_CACHE (the kernel caches writes).

import { afterAll, beforeAll } from "bun:test";
import { join } from "node:path";
import { posixSuite } from "../suites/posix.ts";
import { randomOpsSuite } from "../suites/random-ops.ts";
import { makeTempMountpoint, startMountChild, type MountChild } from "../support/mount-child.ts";

const REPO = join(import.meta.dir, "../..");
let mp: ReturnType<typeof makeTempMountpoint>;
let child: MountChild | undefined;

beforeAll(async () => {
  mp = makeTempMountpoint("coffer-memfs-wb-");
  const cmd = ["bun", "run", join(REPO, "examples/memfs.ts"), mp.path, "--allow-other", "--dev", "--writeback-cache"];
  child = await startMountChild(cmd, mp.path);
}, 30_000);

afterAll(async () => {
  await child?.stop();
  mp?.remove();
}, 30_000);

posixSuite("memfs, writeback cache", () => mp.path);
randomOpsSuite("memfs, writeback cache", () => mp.path);
