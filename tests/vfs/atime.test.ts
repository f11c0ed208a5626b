// In-process atime policies (relatime, strictatime, noatime): reads and listings update atime as the policy says.
import { afterEach, describe, expect, setDefaultTimeout, test } from "bun:test";
import type { AtimePolicy } from "../../src/fs/vfs/core.ts";
import { ROOT, cleanupDirs, ctx, newWorld, readAll, setattrIn, writeFile } from "./helpers.ts";
import { FATTR_ATIME } from "../../src/fs/vfs/attr-ops.ts";

setDefaultTimeout(120_000); // per file: bun test ignores bunfig's timeout (docs/testing.md)

afterEach(cleanupDirs);

const O_RDONLY = 0;
const atimeOf = (fs: Awaited<ReturnType<Awaited<ReturnType<typeof newWorld>>["open"]>>, ino: number) => {
  const a = fs.getattr(ctx(), ino, undefined).attr;
  return BigInt(a.atime) * 1_000_000_000n + BigInt(a.atimensec);
};

async function readTwice(policy: AtimePolicy): Promise<{ first: boolean; second: boolean }> {
  const w = await newWorld();
  const fs = await w.open(undefined, { atime: policy });
  try {
    const ino = await writeFile(fs, ROOT, "f", new Uint8Array(1000).fill(7));
    // an atime a minute after mtime and ctime: relatime leaves it, strictatime moves it
    const { attr } = fs.getattr(ctx(), ino, undefined);
    await fs.setattr(ctx(), ino, setattrIn({ valid: FATTR_ATIME, atime: attr.ctime + 60, atimensec: 0 }));
    const set = atimeOf(fs, ino);
    const fh = (await fs.open(ctx(), ino, O_RDONLY)).fh;
    await readAll(fs, ino);
    fs.release(ctx(), ino, fh, 0);
    const afterRecent = atimeOf(fs, ino);
    // an atime before mtime: relatime and strictatime update it, noatime never
    await fs.setattr(ctx(), ino, setattrIn({ valid: FATTR_ATIME, atime: attr.mtime - 100, atimensec: 0 }));
    const old = atimeOf(fs, ino);
    await readAll(fs, ino);
    return { first: afterRecent !== set, second: atimeOf(fs, ino) !== old };
  } finally {
    await fs.close();
  }
}

describe("atime policy", () => {
  test("relatime: a recent atime stays, one older than mtime is updated", async () => {
    expect(await readTwice("relatime")).toEqual({ first: false, second: true });
  });
  test("strictatime: every read updates atime", async () => {
    expect(await readTwice("strictatime")).toEqual({ first: true, second: true });
  });
  test("noatime: reads never update atime", async () => {
    expect(await readTwice("noatime")).toEqual({ first: false, second: false });
  });
});
