// prefetchMetadata, which a mount runs while its lock waits: it reads (and downloads into memory) but writes
// nothing to the cache directory, and an open given its result is the same as an open that reads by itself.
import { afterEach, describe, expect, setDefaultTimeout, test } from "bun:test";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { prefetchMetadata } from "../../src/fs/vfs/index.ts";
import { ROOT, cleanupDirs, ctx, newWorld, tempDir } from "./helpers.ts";

setDefaultTimeout(120_000); // per file: bun test ignores bunfig's timeout (docs/testing.md)

afterEach(cleanupDirs);

/** Every file under `dir` with its size, mtime and content: to prove nothing changed. */
function snapshotDir(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out[p] = `${statSync(p).size}:${statSync(p).mtimeMs}:${Buffer.from(readFileSync(p)).toString("base64")}`;
    }
  };
  walk(dir);
  return out;
}

describe("metadata prefetch", () => {
  test("an empty cache: the newest generation is downloaded into memory, nothing is written, the open uses it", async () => {
    const w = await newWorld();
    const other = await w.open(); // another host: its change makes generation 2
    await other.mkdir(ctx(), ROOT, "made-elsewhere", 0o755, 0);
    await other.close();
    const cacheDir = join(tempDir(), "cache"); // does not exist yet, as on a first mount
    const pre = await prefetchMetadata(w.backend, w.keys, cacheDir);
    expect(pre.plan.kind).toBe("download");
    expect(existsSync(cacheDir)).toBe(false);
    const fs = await w.open(cacheDir, { prefetchedMetadata: pre });
    expect((await fs.lookup(ctx(), ROOT, "made-elsewhere")).attr.mode & 0o170000).toBe(0o040000);
    await fs.close();
  });

  test("a stale local copy (the store is newer) is left as it is until the open, which sets it aside", async () => {
    const w = await newWorld();
    const cacheA = tempDir();
    let fs = await w.open(cacheA);
    await fs.mkdir(ctx(), ROOT, "from-a", 0o755, 0);
    await fs.close();
    fs = await w.open(); // host B mounts and changes it
    await fs.mkdir(ctx(), ROOT, "from-b", 0o755, 0);
    await fs.close();
    const before = snapshotDir(cacheA);
    const pre = await prefetchMetadata(w.backend, w.keys, cacheA);
    expect(pre.plan.kind).toBe("download");
    expect(snapshotDir(cacheA)).toEqual(before);
    expect(w.logs.some((l) => l.includes("newer than this cache"))).toBe(false);
    fs = await w.open(cacheA, { prefetchedMetadata: pre });
    expect(w.logs.some((l) => l.includes("newer than this cache"))).toBe(true);
    expect((await fs.lookup(ctx(), ROOT, "from-b")).attr.mode & 0o170000).toBe(0o040000);
    await fs.close();
  });

  test("a local copy as new as the store is kept: nothing downloaded, nothing written", async () => {
    const w = await newWorld();
    const cacheDir = tempDir();
    let fs = await w.open(cacheDir);
    await fs.mkdir(ctx(), ROOT, "kept", 0o755, 0);
    await fs.close();
    const before = snapshotDir(cacheDir);
    const pre = await prefetchMetadata(w.backend, w.keys, cacheDir);
    expect(pre.plan.kind).toBe("local");
    expect(snapshotDir(cacheDir)).toEqual(before);
    fs = await w.open(cacheDir, { prefetchedMetadata: pre });
    expect((await fs.lookup(ctx(), ROOT, "kept")).attr.mode & 0o170000).toBe(0o040000);
    await fs.close();
  });
});
