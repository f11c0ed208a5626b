// s3rver frozen for 20 s during writes to a real mount: no application error; umount then stores everything (an empty-cache mount sees it).
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { CofferSandbox } from "../support/coffer-cli.ts";
import { startS3rver, type S3rverHandle } from "../support/s3rver.ts";

setDefaultTimeout(120_000); // per file: bun test ignores bunfig's timeout (docs/testing.md)

const payload = (i: number): Buffer => {
  const b = Buffer.alloc(300_000);
  for (let k = 0; k < b.length; k += 4) b.writeUInt32LE((i * 2654435761 + k * 40503) >>> 0, k);
  return b;
};

describe("store outage on a real mount (s3rver frozen for 20 s)", () => {
  const box = new CofferSandbox();
  const mnt = box.dir("mnt");
  let s3: S3rverHandle;
  let url = "";

  beforeAll(async () => {
    s3 = await startS3rver();
    await s3.createBucket("outage");
    url = s3.url("outage", "fs");
    await box.mkfsOnS3rver(url, s3.port, s3.creds, "outage", "no-ssl,request-timeout=3");
  }, 60_000);
  afterAll(async () => {
    s3?.resume();
    await box.cleanup();
    await s3?.stop();
  }, 120_000);

  test("writes go on during the outage; after it, umount stores everything", async () => {
    expect((await box.mount(url, mnt, ["--cachedir", box.dir("c1")])).code).toBe(0);
    const errors: string[] = [];
    const t0 = Date.now();
    let n = 0;
    let resumed = false;
    try {
      for (; Date.now() - t0 < 28_000; n++) {
        if (n === 4) s3.pause();
        if (!resumed && Date.now() - t0 > 24_000) {
          s3.resume();
          resumed = true;
        }
        await writeFile(join(mnt, `f${n}`), payload(n)).catch((e) => errors.push(`f${n}: ${e}`));
        await Bun.sleep(400);
      }
    } finally {
      s3.resume();
    }
    expect(errors).toEqual([]);
    expect(n).toBeGreaterThan(20);
    // one more outage, during umount: the first `coffer umount` is interrupted (Ctrl-C), a second one waits
    await writeFile(join(mnt, `f${n}`), payload(n));
    n++;
    s3.pause();
    const first = Bun.spawn([process.execPath, join(import.meta.dir, "../../bin/coffer"), "umount", mnt], { stdout: "ignore", stderr: "ignore" });
    await Bun.sleep(3000);
    first.kill("SIGINT");
    await first.exited;
    const second = box.umount(mnt);
    await Bun.sleep(5000);
    s3.resume();
    const um = await second;
    expect(um.stderr).toBe("");
    expect(um.code).toBe(0);
    expect(box.log()).toMatch(/store error/); // the outage was seen, and said
    expect((await box.mount(url, mnt, ["--cachedir", box.dir("c2")])).code).toBe(0);
    for (let i = 0; i < n; i++) expect((await readFile(join(mnt, `f${i}`))).equals(payload(i))).toBe(true);
    expect((await box.umount(mnt)).code).toBe(0);
  }, 240_000);
});
