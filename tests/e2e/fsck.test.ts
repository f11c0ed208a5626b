// `coffer fsck` through the real CLI: clean → "no problems", an orphan object repaired in --batch, a mounted filesystem refused.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { LocalBackend } from "../../src/fs/store/local.ts";
import { CofferSandbox } from "../support/coffer-cli.ts";

setDefaultTimeout(120_000); // per file: bun test ignores bunfig's timeout (docs/testing.md)

describe("coffer fsck (CLI)", () => {
  const box = new CofferSandbox();
  const storeDir = box.dir("store");
  const url = `local://${storeDir}`;
  const cache = box.dir("cache");
  const fsck = (extra: string[] = []) => box.coffer(["fsck", "--batch", "--authfile", box.authfile, "--cachedir", cache, ...extra, url]);

  beforeAll(async () => {
    box.addAuth(url, { "fs-passphrase": "fsck test" });
    expect((await box.coffer(["mkfs", "--authfile", box.authfile, url])).code).toBe(0);
  });
  afterAll(() => box.cleanup());

  test("a clean filesystem: no problems, exit 0", async () => {
    const r = await fsck();
    expect(r.stderr).toBe("");
    expect(r.stdout).toContain("no problems found");
    expect(r.code).toBe(0);
  }, 60_000);

  test("--batch deletes an object nothing refers to; the next run finds nothing", async () => {
    const store = new LocalBackend(storeDir);
    await store.put(`data/${"cd".repeat(12)}-777`, new Uint8Array(64));
    const r = await fsck();
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("found: store objects nothing refers to (1)");
    expect(r.stdout).toContain("repaired 1 kinds of problems");
    expect(await store.head(`data/${"cd".repeat(12)}-777`)).toBeNull();
    const again = await fsck();
    expect(again.stdout).toContain("no problems found");
    expect(again.code).toBe(0);
    await store.close();
  }, 60_000);

  test("without --batch and without a terminal: one line naming --batch", async () => {
    const r = await box.coffer(["fsck", "--authfile", box.authfile, "--cachedir", cache, url]);
    expect(r.code).not.toBe(0);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toContain("--batch");
  }, 60_000);

  test("a mounted filesystem is refused", async () => {
    const mnt = box.dir("mnt");
    const m = await box.mount(url, mnt, ["--cachedir", box.dir("mount-cache")]);
    expect(m.code).toBe(0);
    try {
      const r = await fsck();
      expect(r.code).not.toBe(0);
      expect(r.stderr).toMatch(/^coffer: .*already mounted at .*coffer umount/);
    } finally {
      expect((await box.umount(mnt)).code).toBe(0);
    }
    expect((await fsck()).code).toBe(0); // unmounted: checked again
  }, 90_000);
});
