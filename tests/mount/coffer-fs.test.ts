// CofferFs mounted for real (served by a child process on a local:// store): the POSIX suite, random ops, tree copy, remount.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomKey } from "../../src/fs/crypto/aead.ts";
import { posixSuite } from "../suites/posix.ts";
import { randomOpsSuite } from "../suites/random-ops.ts";
import { type MountChild, makeTempMountpoint, startMountChild } from "../support/mount-child.ts";
import { copyRemountDiff } from "../support/tree.ts";

setDefaultTimeout(120_000); // per file: bun test ignores bunfig's timeout (docs/testing.md)

const work = mkdtempSync(join(tmpdir(), "coffer-mount-test-"));
const storeDir = join(work, "store");
const master = Buffer.from(randomKey()).toString("hex");
let mp: ReturnType<typeof makeTempMountpoint>;
let child: MountChild | undefined;

const serve = (cacheDir: string, mkfs: boolean) =>
  startMountChild(
    ["bun", join(import.meta.dir, "coffer-child.ts"), mp.path, storeDir, cacheDir, master, "--allow-other", "--dev", ...(mkfs ? ["--mkfs", "--block-size=1048576"] : [])],
    mp.path,
  );

beforeAll(async () => {
  mp = makeTempMountpoint("coffer-fs-");
  child = await serve(join(work, "cache1"), true);
}, 120_000);

afterAll(async () => {
  await child?.stop();
  mp?.remove();
  rmSync(work, { recursive: true, force: true });
}, 60_000);

posixSuite("coffer", () => mp.path);
randomOpsSuite("coffer", () => mp.path);

describe("coffer: data through the kernel", () => {
  test("cp -a /usr/include, then a remount with a fresh cache reads it all back from the store", async () => {
    const big = new Uint8Array(9 * 1024 * 1024 + 77).map((_, i) => (i * 2654435761) >>> 24);
    await copyRemountDiff(join(mp.path, "include-copy"), async () => {
      writeFileSync(join(mp.path, "big.bin"), big);
      await child!.stop(); // unmount + close: everything uploaded
      child = await serve(join(work, "cache2"), false);
    });
    expect(new Uint8Array(readFileSync(join(mp.path, "big.bin")))).toEqual(big);
  }, 300_000);
});
