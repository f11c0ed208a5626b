// End to end on s3c:// against s3rver. Crash safety (kill -9 after fsync, on s3c:// too) is tests/e2e/crash-recovery.test.ts.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { join } from "node:path";
import { CofferSandbox } from "../support/coffer-cli.ts";
import { startS3rver, type S3rverHandle } from "../support/s3rver.ts";
import { copyRemountDiff } from "../support/tree.ts";

setDefaultTimeout(120_000); // per file: bun test ignores bunfig's timeout (docs/testing.md)

describe("coffer on s3c:// (s3rver)", () => {
  const box = new CofferSandbox();
  const mnt = box.dir("mnt");
  let s3: S3rverHandle;
  let url = "";

  beforeAll(async () => {
    s3 = await startS3rver();
    await s3.createBucket("coffer-test");
    url = s3.url("coffer-test", "fs1");
    await box.mkfsOnS3rver(url, s3.port, s3.creds, "s3 passphrase");
  }, 180_000);
  afterAll(async () => {
    await box.cleanup();
    await s3?.stop();
  });

  test("a tree survives umount and a mount with an empty cache", async () => {
    expect((await box.mount(url, mnt, ["--cachedir", box.dir("c1")])).code).toBe(0);
    await copyRemountDiff(join(mnt, "linux"), async () => {
      expect((await box.umount(mnt)).code).toBe(0);
      expect((await box.mount(url, mnt, ["--cachedir", box.dir("c2")])).code).toBe(0);
    }, "/usr/include/linux");
    expect((await box.umount(mnt)).code).toBe(0);
  }, 900_000); // the tree round trip took 177 s on s3rver under stress

  test("a bucket that does not exist is one clear line", async () => {
    const missing = s3.url("no-such-bucket", "x");
    const result = await box.coffer(["mkfs", "--authfile", box.authfile, missing]);
    expect(result.code).not.toBe(0);
    expect(result.stderr.trimEnd().split("\n")).toHaveLength(1);
    expect(result.stderr).toMatch(/bucket/i);
  }, 180_000);
});
