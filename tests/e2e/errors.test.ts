// Bad input through the real CLI: each gets one line on stderr naming the problem and a non-zero exit.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { chmodSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { CofferSandbox, type RunResult } from "../support/coffer-cli.ts";

setDefaultTimeout(120_000); // per file: bun test ignores bunfig's timeout (docs/testing.md)

function expectOneLineError(result: RunResult, pattern: RegExp): void {
  expect(result.code).not.toBe(0);
  const lines = result.stderr.trimEnd().split("\n");
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^coffer: /);
  expect(lines[0]).toMatch(pattern);
}

describe("coffer refuses bad input with one clear line", () => {
  const box = new CofferSandbox();
  const url = `local://${box.dir("store")}`;
  const mnt = box.dir("mnt");

  beforeAll(async () => {
    box.addAuth(url, { "fs-passphrase": "right passphrase" });
    expect((await box.coffer(["mkfs", "--authfile", box.authfile, url])).code).toBe(0);
  }, 60_000); // mkfs derives a key (argon2id, 64 MiB): seconds on a loaded machine
  afterAll(() => box.cleanup(), 60_000);

  test("mkfs on an existing filesystem without --force", async () => {
    expectOneLineError(await box.coffer(["mkfs", "--authfile", box.authfile, url]), /already exists.*--force/);
  });

  test("wrong passphrase", async () => {
    const other = join(box.root, "wrong-auth");
    writeFileSync(other, `[x]\nstorage-url: ${url}\nfs-passphrase: not the passphrase\n`);
    chmodSync(other, 0o600);
    expectOneLineError(await box.coffer(["mount", "--authfile", other, url, mnt]), /passphrase/i);
  });

  test("authinfo readable by others", async () => {
    const loose = join(box.root, "loose-auth");
    writeFileSync(loose, `[x]\nstorage-url: ${url}\nfs-passphrase: right passphrase\n`);
    chmodSync(loose, 0o644);
    expectOneLineError(await box.coffer(["mount", "--authfile", loose, url, mnt]), /chmod 600/);
  });

  test("malformed authinfo line", async () => {
    const bad = join(box.root, "bad-auth");
    writeFileSync(bad, `[x]\nstorage-url: ${url}\nthis is not a setting\n`);
    chmodSync(bad, 0o600);
    expectOneLineError(await box.coffer(["mount", "--authfile", bad, url, mnt]), /line 3/);
  });

  test("unknown URL scheme", async () => {
    expectOneLineError(await box.coffer(["mkfs", "--authfile", box.authfile, "ftp://example/x"]), /local:\/\/.*s3/);
  });

  test("no filesystem at the URL", async () => {
    const empty = `local://${box.dir("empty-store")}`;
    box.addAuth(empty, { "fs-passphrase": "p" });
    expectOneLineError(await box.coffer(["mount", "--authfile", box.authfile, empty, mnt]), /coffer mkfs/);
  });

  test("mount point missing", async () => {
    expectOneLineError(await box.coffer(["mount", "--authfile", box.authfile, url, join(box.root, "nope")]), /does not exist/);
  });

  test("mount point already a mount point, and a second mount of the same filesystem", async () => {
    const first = await box.mount(url, mnt, ["--cachedir", box.dir("cache")]);
    expect(first.stderr).toBe("");
    expect(first.code).toBe(0);
    try {
      expectOneLineError(await box.coffer(["mount", "--authfile", box.authfile, url, mnt]), /already a mount point/);
      const elsewhere = box.dir("mnt2");
      expectOneLineError(
        await box.coffer(["mount", "--authfile", box.authfile, "--cachedir", box.dir("cache-b"), url, elsewhere]),
        new RegExp(`already mounted at ${mnt}.*since`),
      );
      // mkfs --force on a mounted filesystem is refused before anything is deleted
      expectOneLineError(await box.coffer(["mkfs", "--force", "--authfile", box.authfile, url]), /is mounted.*unmount it/);
      expect(Bun.spawnSync(["ls", mnt]).exitCode).toBe(0);
    } finally {
      expect((await box.umount(mnt)).code).toBe(0);
    }
  }, 180_000);

  test("umount of something that is not a coffer mount", async () => {
    expectOneLineError(await box.coffer(["umount", box.root]), /not a coffer mount point/);
  });
});
