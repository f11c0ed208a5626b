// `coffer backups list|restore` and `coffer clear` through the real CLI and real mounts on local://.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { randomBytes } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { CofferSandbox, isMounted } from "../support/coffer-cli.ts";
import { expectOneLine, storeListing } from "../support/refusal.ts";

setDefaultTimeout(120_000); // per file: bun test ignores bunfig's timeout (docs/testing.md)

const PASS = "backups passphrase";

describe("coffer backups", () => {
  const box = new CofferSandbox();
  const store = box.dir("store");
  const url = `local://${store}`;
  const mnt = box.dir("mnt");
  const cache = box.dir("cache");
  const shared = randomBytes(200_000); // kept.bin and shared.bin: one stored object, alive while kept.bin is
  const unique = randomBytes(150_000);
  let generationB = 0;

  const session = async (body: () => Promise<void> | void) => {
    const m = await box.mount(url, mnt, ["--cachedir", cache]);
    expect(m.stderr).toBe("");
    expect(m.code).toBe(0);
    try {
      await body();
    } finally {
      expect((await box.umount(mnt)).code).toBe(0);
    }
  };
  const list = async () => {
    const r = await box.coffer(["backups", "list", "--authfile", box.authfile, url]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    return r.stdout;
  };
  const generations = (listing: string) => [...listing.matchAll(/^\s*(\d+)\s/gm)].map((m) => Number(m[1]));

  beforeAll(async () => {
    box.addAuth(url, { "fs-passphrase": PASS });
    expect((await box.coffer(["mkfs", "--authfile", box.authfile, "--block-size", "256K", url])).code).toBe(0);
    await session(() => Bun.write(join(mnt, "kept.bin"), shared).then(() => {}));
    await session(async () => {
      await Bun.write(join(mnt, "shared.bin"), shared);
      await Bun.write(join(mnt, "unique.bin"), unique);
    });
    generationB = generations(await list()).at(-1)!;
    await session(async () => {
      Bun.spawnSync(["rm", join(mnt, "shared.bin"), join(mnt, "unique.bin")]);
      await Bun.write(join(mnt, "new.txt"), "created after generation B");
    });
  }, 240_000);
  afterAll(async () => {
    if (isMounted(mnt)) await box.umount(mnt);
    await box.cleanup();
  }, 60_000);

  test("list shows every generation with its time, size and contents, the newest as current", async () => {
    const out = await list();
    const gens = generations(out);
    expect(gens.length).toBeGreaterThanOrEqual(3);
    expect(gens).toEqual([...gens].sort((a, b) => a - b));
    expect(gens).toContain(generationB);
    const rowB = out.split("\n").find((l) => l.trim().startsWith(`${generationB} `))!;
    expect(rowB).toMatch(new RegExp(`^\\s*${generationB}\\s+${new Date().getUTCFullYear()}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\dZ\\s+[\\d.]+ (B|KiB)\\s+3\\s+3\\s+537.1 KiB$`));
    expect(out.split("\n").find((l) => l.trim().startsWith(`${gens.at(-1)} `))).toMatch(/current$/);
  }, 60_000);

  test("bad input changes nothing: unknown generation, mounted filesystem, no --yes without a terminal", async () => {
    const before = storeListing(store);
    expectOneLine(await box.coffer(["backups", "restore", "--authfile", box.authfile, url, "999"]), /there is no metadata generation 999; the store has \d+/);
    expectOneLine(await box.coffer(["backups", "restore", "--authfile", box.authfile, url, "x1"]), /there is no metadata generation x1/);
    const noTty = await box.coffer(["backups", "restore", "--authfile", box.authfile, url, String(generationB)]);
    expect(noTty.code).not.toBe(0);
    expect(noTty.stderr).toMatch(/LOST: every change made after/); // the plan is shown before asking
    expect(noTty.stderr.trimEnd().split("\n").at(-1)).toMatch(/no terminal to ask on; add --yes/);
    expect(storeListing(store)).toEqual(before);
    await session(async () => {
      const whileMounted = storeListing(store);
      expectOneLine(await box.coffer(["backups", "restore", "--yes", "--authfile", box.authfile, url, String(generationB)]), /already mounted at .*unmount it first/);
      expect(storeListing(store)).toEqual(whileMounted);
    });
  }, 120_000);

  test("restore of a previous generation brings back the deleted files and drops the newer one (real mount)", async () => {
    const r = await box.coffer(["backups", "restore", "--yes", "--authfile", box.authfile, url, String(generationB)]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/LOST: every change made after .* 1 file created since disappear:\n\s+\/new\.txt/s);
    expect(r.stderr).toMatch(/Back: 2 files deleted since:\n\s+\/shared\.bin\n\s+\/unique\.bin/);
    expect(r.stdout).toMatch(new RegExp(`Restored generation ${generationB} as the current metadata \\(generation \\d+\\)`));
    // unique.bin's objects were named by no other file: the removal queue kept them because generation B
    // (still restorable) names them, so nothing comes back without its data
    expect(r.stderr).not.toMatch(/WARNING/);
    await session(() => {
      expect(existsSync(join(mnt, "new.txt"))).toBe(false);
      expect(readFileSync(join(mnt, "kept.bin")).equals(shared)).toBe(true);
      expect(readFileSync(join(mnt, "shared.bin")).equals(shared)).toBe(true);
      expect(readFileSync(join(mnt, "unique.bin")).equals(unique)).toBe(true);
    });
  }, 180_000);
});

describe("coffer clear", () => {
  const box = new CofferSandbox();
  const store = box.dir("store");
  const url = `local://${store}`;
  const mnt = box.dir("mnt");
  const cacheRoot = box.dir("caches");

  beforeAll(async () => {
    box.addAuth(url, { "fs-passphrase": PASS });
    expect((await box.coffer(["mkfs", "--authfile", box.authfile, url])).code).toBe(0);
    expect((await box.mount(url, mnt, ["--cachedir", cacheRoot])).code).toBe(0);
    await Bun.write(join(mnt, "data.bin"), randomBytes(600_000));
  }, 120_000);
  afterAll(async () => {
    if (isMounted(mnt)) await box.umount(mnt);
    await box.cleanup();
  }, 60_000);

  test("refused while mounted, without a terminal and --yes, or with a wrong passphrase; nothing deleted", async () => {
    const mounted = await box.coffer(["clear", "--yes", "--authfile", box.authfile, "--cachedir", cacheRoot, url]);
    expectOneLine(mounted, /already mounted at .*unmount it first/);
    expect((await box.umount(mnt)).code).toBe(0);
    const before = storeListing(store);
    expectOneLine(await box.coffer(["clear", "--authfile", box.authfile, "--cachedir", cacheRoot, url]), /no terminal to ask on; add --yes/);
    const wrong = join(box.root, "wrong-auth");
    await Bun.write(wrong, `[x]\nstorage-url: ${url}\nfs-passphrase: wrong\n`);
    Bun.spawnSync(["chmod", "600", wrong]);
    expectOneLine(await box.coffer(["clear", "--yes", "--authfile", wrong, "--cachedir", cacheRoot, url]), /wrong passphrase/);
    expect(storeListing(store)).toEqual(before);
    expect(readdirSync(cacheRoot)).toHaveLength(1);
  }, 120_000);

  test("--yes deletes every object and this machine's cache; the URL then holds no filesystem", async () => {
    const r = await box.coffer(["clear", "--yes", "--authfile", box.authfile, "--cachedir", cacheRoot, url]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Deleted the filesystem at .* \(\d+ objects\) and its cache on this machine/);
    expect(storeListing(store)).toEqual([]);
    expect(readdirSync(cacheRoot)).toEqual([]);
    expectOneLine(await box.coffer(["clear", "--yes", "--authfile", box.authfile, url]), /no coffer filesystem at/);
    // and a new filesystem at the same URL mounts (no stale cache makes it look rolled back)
    expect((await box.coffer(["mkfs", "--authfile", box.authfile, url])).code).toBe(0);
    expect((await box.mount(url, mnt, ["--cachedir", cacheRoot])).code).toBe(0);
    expect(readdirSync(mnt)).toEqual([]);
    expect((await box.umount(mnt)).code).toBe(0);
  }, 120_000);
});
