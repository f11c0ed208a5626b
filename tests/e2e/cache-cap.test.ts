// Writing 4x the cache size in one go through a real mount to s3rver: it succeeds, the cache directory stays within one block of its cap, all of it is stored.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { randomFillSync } from "node:crypto";
import { closeSync, mkdirSync, openSync, writeSync } from "node:fs";
import { join } from "node:path";
import { CofferSandbox, isMounted } from "../support/coffer-cli.ts";
import { cacheBlocksBytes } from "../support/disk-usage.ts";
import { useS3rver } from "../support/s3rver.ts";
import { treeDiff } from "../support/tree.ts";

setDefaultTimeout(120_000); // per file: bun test ignores bunfig's timeout (docs/testing.md)

const MiB = 1024 * 1024;
const CACHE = 16 * MiB;
const BLOCK = 4 * MiB; // the default block size

const s3 = useS3rver("cap");

describe("cache cap on a real mount (s3c:// to s3rver)", () => {
  const box = new CofferSandbox();
  const mnt = box.dir("mnt");
  let url = "";

  beforeAll(async () => {
    url = s3().url("cap", "fs");
    await box.mkfsOnS3rver(url, s3().port, s3().creds, "cap");
  }, 60_000);
  afterAll(() => box.cleanup(), 120_000); // runs before the s3rver stops (inner hooks first)

  test("a tree of 4x the cache size copied in one go: the cache never exceeds its cap by more than one block; a mount with an empty cache reads it all", async () => {
    // the source: one 56 MiB file of random data and a few small ones (64 MiB in all: 4x the cache)
    const src = box.dir("src");
    const fd = openSync(join(src, "big.bin"), "w");
    const chunk = new Uint8Array(MiB);
    for (let i = 0; i < 56; i++) writeSync(fd, randomFillSync(chunk));
    closeSync(fd);
    mkdirSync(join(src, "small"));
    for (let i = 0; i < 8; i++) {
      const f = openSync(join(src, "small", `s${i}`), "w");
      writeSync(f, randomFillSync(new Uint8Array(MiB - i * 1000)));
      closeSync(f);
    }
    const cacheRoot = box.dir("cache1");
    expect((await box.mount(url, mnt, ["--cachedir", cacheRoot, "--cachesize", "16M"])).code).toBe(0);
    // cp runs in its own process; this one samples the cache directory while it writes
    const cp = Bun.spawn(["cp", "-a", src, join(mnt, "copy")], { stderr: "pipe" });
    let copying = true;
    void cp.exited.then(() => (copying = false));
    let maxDisk = 0;
    let samples = 0;
    while (copying) {
      maxDisk = Math.max(maxDisk, cacheBlocksBytes(cacheRoot)); // the block files: the metadata database is not cache
      samples++;
      await Bun.sleep(100);
    }
    expect(await new Response(cp.stderr).text()).toBe("");
    expect(await cp.exited).toBe(0);
    maxDisk = Math.max(maxDisk, cacheBlocksBytes(cacheRoot));
    expect(samples).toBeGreaterThan(0);
    expect(maxDisk).toBeLessThanOrEqual(CACHE + BLOCK);
    expect(maxDisk).toBeGreaterThan(CACHE / 2); // the cache was really used
    const um = await box.umount(mnt);
    expect(um.stderr).toBe("");
    expect(um.code).toBe(0);
    // everything is in the store: a mount with an empty cache reads the tree back byte for byte
    expect((await box.mount(url, mnt, ["--cachedir", box.dir("cache2")])).code).toBe(0);
    expect(treeDiff(src, join(mnt, "copy"))).toBe("");
    expect((await box.umount(mnt)).code).toBe(0);
  }, 240_000);

  test("a bad --max-cache-entries is one line naming the option, and nothing is mounted", async () => {
    for (const [value, why] of [["lots", /--max-cache-entries takes a number/], ["3", /--max-cache-entries must be at least 16/]] as const) {
      const r = await box.coffer(["mount", "--authfile", box.authfile, "--max-cache-entries", value, url, mnt]);
      expect(r.code).not.toBe(0);
      expect(r.stderr.trim().split("\n")).toHaveLength(1);
      expect(r.stderr).toMatch(why);
    }
    expect(isMounted(mnt)).toBe(false);
  });
});

