// A foreground mount derives its keys once: the keys unlocked for the up-front check are the ones mounted with.
import { afterAll, expect, setDefaultTimeout, spyOn, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as keysModule from "../../src/fs/store/key-object.ts";
import { makeFilesystem } from "../../src/fs/mkfs.ts";
import { mountFilesystem } from "../../src/fs/mount.ts";
import { unlockForMount } from "../../src/fs/unlock.ts";

setDefaultTimeout(120_000); // per file: bun test ignores bunfig's timeout (docs/testing.md)

const root = mkdtempSync(join(tmpdir(), "coffer-unlock-once-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

test("unlockForMount unlocks once and mountFilesystem reuses its keys", async () => {
  const url = `local://${join(root, "store")}`;
  const auth = { fsPassphrase: "once is enough", backendOptions: {} };
  await makeFilesystem({ url, auth, force: false, passphrase: () => auth.fsPassphrase });
  const unlock = spyOn(keysModule, "unlockFilesystemKeys");
  const { passphrase, keys } = await unlockForMount(url, auth, () => {
    throw new Error("must not ask: the passphrase is in authinfo");
  });
  expect(passphrase).toBe("once is enough");
  expect(unlock).toHaveBeenCalledTimes(1);
  const mnt = join(root, "mnt");
  Bun.spawnSync(["mkdir", "-p", mnt]);
  const mounted = await mountFilesystem({ url, mountpoint: mnt, auth, passphrase, keys, cacheRoot: join(root, "cache"), log: () => {} });
  try {
    expect(unlock).toHaveBeenCalledTimes(1); // no second key derivation
  } finally {
    await mounted.shutdown({ lazy: true });
    unlock.mockRestore();
  }
}, 60_000);
