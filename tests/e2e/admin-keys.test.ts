// `coffer passphrase` and `coffer rotate-key [--reencrypt]` through the real CLI and real mounts on local://.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { randomBytes } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { keyIdsInUse } from "../../src/fs/admin/reencrypt.ts";
import { KEY_OBJECT, unlockKeyObject } from "../../src/fs/store/key-object.ts";
import { openBackend } from "../../src/fs/store/open.ts";
import { CofferSandbox, isMounted } from "../support/coffer-cli.ts";
import { expectOneLine, storeListing } from "../support/refusal.ts";

setDefaultTimeout(120_000); // per file: bun test ignores bunfig's timeout (docs/testing.md)

/** An authinfo file of its own per passphrase (sections for the same URL would be ambiguous). */
function authFile(box: CofferSandbox, name: string, url: string, passphrase: string): string {
  const path = join(box.dir("auth"), name);
  writeFileSync(path, `[fs]\nstorage-url: ${url}\nfs-passphrase: ${passphrase}\n`, { mode: 0o600 });
  return path;
}

/** afterAll: a test that timed out inside mountAndRun left its mount; end it, then remove the sandbox. */
async function cleanup(box: CofferSandbox, mnt: string): Promise<void> {
  if (isMounted(mnt) && (await box.coffer(["umount", mnt])).code !== 0) Bun.spawnSync(["umount", "-l", mnt]);
  await box.cleanup();
}

async function mountAndRun(box: CofferSandbox, url: string, mnt: string, auth: string, cache: string, body: () => Promise<void> | void): Promise<void> {
  const logFile = join(box.root, "mount.log");
  const m = await box.coffer(["mount", "--authfile", auth, "--log", logFile, "--cachedir", cache, url, mnt]);
  expect(m.stderr).toBe("");
  expect(m.code).toBe(0);
  try {
    await body();
  } finally {
    const u = await box.coffer(["umount", mnt]);
    if (u.code !== 0) Bun.spawnSync(["umount", "-l", mnt]);
    expect(u.code).toBe(0);
  }
}

describe("coffer passphrase", () => {
  const box = new CofferSandbox();
  const store = box.dir("store");
  const url = `local://${store}`;
  const mnt = box.dir("mnt");
  const oldAuth = authFile(box, "old", url, "old passphrase 1");
  const newAuth = authFile(box, "new", url, "new passphrase 2");
  const newPassFile = join(box.root, "new-pass");
  const data = randomBytes(300_000);

  beforeAll(async () => {
    expect((await box.coffer(["mkfs", "--authfile", oldAuth, url])).code).toBe(0);
    writeFileSync(newPassFile, "new passphrase 2\n", { mode: 0o600 });
  });
  afterAll(() => cleanup(box, mnt), 60_000);

  test("bad input changes nothing: wrong passphrase, missing file, no terminal", async () => {
    const before = storeListing(store);
    expectOneLine(await box.coffer(["passphrase", "--authfile", newAuth, "--new-passphrase-file", newPassFile, url]), /wrong passphrase/);
    expectOneLine(await box.coffer(["passphrase", "--authfile", oldAuth, "--new-passphrase-file", join(box.root, "nope"), url]), /cannot read --new-passphrase-file .*ENOENT/);
    expectOneLine(await box.coffer(["passphrase", "--authfile", oldAuth, url]), /no terminal to ask on; give it with --new-passphrase-file/);
    const empty = join(box.root, "empty");
    writeFileSync(empty, "\n");
    expectOneLine(await box.coffer(["passphrase", "--authfile", oldAuth, "--new-passphrase-file", empty, url]), /is empty/);
    expect(storeListing(store)).toEqual(before);
  }, 120_000);

  test("changed while mounted: the mount keeps working, the old passphrase stops, the new one opens the same data", async () => {
    await mountAndRun(box, url, mnt, oldAuth, box.dir("cache1"), async () => {
      await Bun.write(join(mnt, "before.bin"), data);
      const r = await box.coffer(["passphrase", "--authfile", oldAuth, "--new-passphrase-file", newPassFile, url]);
      expect(r.stderr).toBe("");
      expect(r.code).toBe(0);
      expect(r.stdout).toContain("the old one no longer opens it");
      await Bun.write(join(mnt, "after.txt"), "written after the change");
    });
    const refused = await box.coffer(["mount", "--authfile", oldAuth, "--cachedir", box.dir("cache2"), url, mnt]);
    expectOneLine(refused, /wrong passphrase/);
    await mountAndRun(box, url, mnt, newAuth, box.dir("cache3"), () => {
      expect(readFileSync(join(mnt, "before.bin")).equals(data)).toBe(true);
      expect(readFileSync(join(mnt, "after.txt"), "utf8")).toBe("written after the change");
    });
  }, 180_000);
});

describe("coffer rotate-key", () => {
  const box = new CofferSandbox();
  const store = box.dir("store");
  const url = `local://${store}`;
  const mnt = box.dir("mnt");
  const auth = authFile(box, "auth", url, "rotation passphrase");
  const wrongAuth = authFile(box, "wrong", url, "not it");
  const keyFile = join(store, `${KEY_OBJECT}#`);
  const oldData = randomBytes(700_000);
  const newData = randomBytes(500_000);
  const keyIds = async () => {
    const backend = openBackend(url);
    try {
      return Object.fromEntries(await keyIdsInUse(backend, new Set([KEY_OBJECT])));
    } finally {
      await backend.close();
    }
  };

  beforeAll(async () => {
    expect((await box.coffer(["mkfs", "--authfile", auth, "--block-size", "256K", url])).code).toBe(0);
    await mountAndRun(box, url, mnt, auth, box.dir("cache1"), () => Bun.write(join(mnt, "old.bin"), oldData).then(() => {}));
  }, 120_000);
  afterAll(() => cleanup(box, mnt), 60_000);

  test("refused while mounted or with a wrong passphrase; nothing changes", async () => {
    const before = readFileSync(keyFile);
    expectOneLine(await box.coffer(["rotate-key", "--authfile", wrongAuth, url]), /wrong passphrase/);
    await mountAndRun(box, url, mnt, auth, box.dir("cache1"), async () => {
      expectOneLine(await box.coffer(["rotate-key", "--authfile", auth, "--reencrypt", url]), /already mounted at .*unmount it first/);
    });
    expect(readFileSync(keyFile).equals(before)).toBe(true);
    expect(Object.keys(await keyIds())).toEqual(["0"]);
  }, 180_000);

  test("rotate: old objects stay readable, new objects are sealed with the new key", async () => {
    const r = await box.coffer(["rotate-key", "--authfile", auth, url]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("sealed with master key 1");
    await mountAndRun(box, url, mnt, auth, box.dir("cache2"), async () => {
      expect(readFileSync(join(mnt, "old.bin")).equals(oldData)).toBe(true);
      await Bun.write(join(mnt, "new.bin"), newData);
    });
    const ids = await keyIds();
    expect(ids["0"]).toBeGreaterThan(0); // old blocks, untouched
    expect(ids["1"]).toBeGreaterThan(0); // new blocks and metadata
  }, 180_000);

  test("--reencrypt: no object is left under an old key, the key object keeps only the new key, all data reads", async () => {
    const r = await box.coffer(["rotate-key", "--authfile", auth, "--reencrypt", url]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Re-encrypted \d+ objects; no object needs an older key/);
    expect(Object.keys(await keyIds())).toEqual(["2"]);
    const backend = openBackend(url);
    try {
      expect((await unlockKeyObject(backend, "rotation passphrase")).ring.masters.map((m) => m.id)).toEqual([2]);
    } finally {
      await backend.close();
    }
    await mountAndRun(box, url, mnt, auth, box.dir("cache3"), () => {
      expect(readFileSync(join(mnt, "old.bin")).equals(oldData)).toBe(true);
      expect(readFileSync(join(mnt, "new.bin")).equals(newData)).toBe(true);
    });
  }, 180_000);
});
