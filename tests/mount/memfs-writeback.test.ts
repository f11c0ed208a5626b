// The POSIX and random-ops suites on memfs mounted with FUSE_WRITEBACK_CACHE (the kernel caches writes).

import { setDefaultTimeout } from "bun:test";
import { join } from "node:path";
import { posixSuite } from "../suites/posix.ts";
import { randomOpsSuite } from "../suites/random-ops.ts";
import { useMountChild } from "../support/mount-child.ts";

setDefaultTimeout(120_000); // per file: bun test ignores bunfig's timeout (docs/testing.md)

const REPO = join(import.meta.dir, "../..");
const mountpoint = useMountChild((mp) => ["bun", "run", join(REPO, "examples/memfs.ts"), mp, "--allow-other", "--dev", "--writeback-cache"], "coffer-memfs-wb-");

posixSuite("memfs, writeback cache", mountpoint);
randomOpsSuite("memfs, writeback cache", mountpoint);
