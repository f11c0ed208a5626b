// st_blocks without a query per reply (sparse, fallocated, truncated, uploaded, evicted) and what the kernel is told of out-of-band changes.
import { afterAll, describe, expect, setDefaultTimeout, spyOn, test } from "bun:test";
import { BlockMap } from "../../src/fs/meta/blockmap.ts";
import type { KernelCache } from "../../src/fs/vfs/kernel-cache.ts";
import type { CofferFs } from "../../src/fs/vfs/index.ts";
import { ROOT, cleanupDirs, ctx, listDir, newWorld, randomData, setattrIn, writeFile } from "./helpers.ts";

setDefaultTimeout(120_000); // per file: bun test ignores bunfig's timeout (docs/testing.md)

const KiB = 1024;
afterAll(cleanupDirs);

const blocksOf = async (fs: CofferFs, ino: number): Promise<number> => (await fs.getattr(ctx(), ino, undefined)).attr.blocks * 512;

/** A KernelCache that records each notification as one line. */
function recorder(): { kernel: KernelCache; sent: string[] } {
  const sent: string[] = [];
  return {
    sent,
    kernel: {
      invalAttrs: async (ino) => void sent.push(`attrs ${ino}`),
      invalListing: async (dir) => void sent.push(`listing ${dir}`),
      invalEntry: async (parent, name) => void sent.push(`entry ${parent} ${name}`),
    },
  };
}

describe("st_blocks", () => {
  test("a sparse write counts what it wrote, not the hole before it; truncation gives the space back", async () => {
    const bs = 1024 * KiB;
    const w = await newWorld(bs);
    const fs = await w.open();
    const f = await fs.create(ctx(), ROOT, "sparse", 0o644, 2, 0);
    await fs.write(ctx(), f.entry.nodeid, f.open.fh, 600 * KiB, randomData(50 * KiB, 2), 0);
    const used = await blocksOf(fs, f.entry.nodeid);
    expect(used).toBeGreaterThanOrEqual(48 * KiB);
    expect(used).toBeLessThanOrEqual(256 * KiB);

    const g = await writeFile(fs, ROOT, "three", randomData(3 * bs, 3));
    expect(await blocksOf(fs, g)).toBeGreaterThanOrEqual(3 * bs);
    await fs.setattr(ctx(), g, setattrIn({ valid: 8, size: bs + bs / 2 }));
    const cut = await blocksOf(fs, g);
    expect(cut).toBeGreaterThanOrEqual(bs + bs / 2 - 4 * KiB);
    expect(cut).toBeLessThanOrEqual(bs + bs / 2 + 4 * KiB);
    await fs.setattr(ctx(), g, setattrIn({ valid: 8, size: 0 }));
    expect(await blocksOf(fs, g)).toBe(0);
    await fs.release(ctx(), f.entry.nodeid, f.open.fh, 0);
    await fs.close();
  });

  test("a stored block counts its object whether cached or not; replies run no block query once known", async () => {
    const bs = 256 * KiB;
    const w = await newWorld(bs);
    const fs = await w.open();
    const text = new TextEncoder().encode("coffer ".repeat((2 * bs) / 7 + 1)).subarray(0, 2 * bs);
    const ino = await writeFile(fs, ROOT, "text", text);
    const dirty = await blocksOf(fs, ino);
    expect(dirty).toBeGreaterThanOrEqual(2 * bs); // the cache files
    await fs.flushAll();
    const stored = await blocksOf(fs, ino);
    expect(stored).toBeLessThan(dirty / 10); // compressed objects
    const queries = spyOn(BlockMap.prototype, "blockSizes");
    try {
      for (let k = 0; k < 100; k++) await fs.getattr(ctx(), ino, undefined);
      await fs.lookup(ctx(), ROOT, "text");
      expect(queries).toHaveBeenCalledTimes(0);
      expect(fs.dropCache()).toBeGreaterThan(0);
      expect(await blocksOf(fs, ino)).toBe(stored); // evicted: unchanged
      await fs.read(ctx(), ino, 0, 0, 4 * KiB); // downloaded again
      expect(await blocksOf(fs, ino)).toBe(stored);
    } finally {
      queries.mockRestore();
    }
    await fs.close();
  });
});

describe("notifications for changes outside kernel requests", () => {
  test("cp and rm name the parent's entry and listing, and the held inodes whose link count changed", async () => {
    const w = await newWorld();
    const fs = await w.open();
    const { kernel, sent } = recorder();
    fs.setKernelCache(kernel);
    const top = (await fs.mkdir(ctx(), ROOT, "top", 0o755, 0)).nodeid;
    const tree = (await fs.mkdir(ctx(), top, "tree", 0o755, 0)).nodeid;
    const linked = await writeFile(fs, tree, "linked", randomData(100, 1));
    await fs.link(ctx(), linked, top, "outside"); // the kernel holds `linked` (entry replies counted)
    const quiet = await writeFile(fs, tree, "quiet", randomData(100, 2));
    await fs.forget(quiet, 1); // the kernel forgot this one: nothing to tell about it
    await fs.flushAll();
    sent.length = 0;

    await fs.copyTree(["top", "tree"], ["top", "copy"]);
    expect(sent).toEqual([`entry ${top} copy`, `listing ${top}`]);
    sent.length = 0;
    await fs.removeTree(["top", "tree"]);
    expect(sent.slice(0, 2)).toEqual([`entry ${top} tree`, `listing ${top}`]);
    expect(sent.slice(2).sort()).toEqual([`attrs ${linked}`, `attrs ${tree}`].sort());
    await fs.close();
  });

  test("an open that moves atime tells the kernel before it answers; a second open does not", async () => {
    const w = await newWorld();
    const fs = await w.open();
    const { kernel, sent } = recorder();
    fs.setKernelCache(kernel);
    const ino = await writeFile(fs, ROOT, "f", randomData(10, 1));
    sent.length = 0;
    const a = await fs.open(ctx(), ino, 0);
    expect(sent).toEqual([`attrs ${ino}`]); // already sent when open resolved
    expect(a.openFlags & 0x20).toBe(0x20); // FOPEN_NOFLUSH on a read-only open
    const b = await fs.open(ctx(), ino, 0);
    expect(sent).toEqual([`attrs ${ino}`]); // relatime: atime is newer than mtime now
    const c = await fs.open(ctx(), ino, 2);
    expect(c.openFlags & 0x20).toBe(0); // a writer's close may have something to flush
    for (const h of [a, b, c]) await fs.release(ctx(), ino, h.fh, 0);
    await fs.close();
  });

  test("an upload commit tells the kernel only when st_blocks changed from what it was sent", async () => {
    const bs = 64 * KiB;
    const w = await newWorld(bs);
    const fs = await w.open();
    const { kernel, sent } = recorder();
    fs.setKernelCache(kernel);
    const text = await writeFile(fs, ROOT, "text", new Uint8Array(bs).fill(65)); // compresses: st_blocks drops
    const noise = await writeFile(fs, ROOT, "noise", randomData(4 * KiB, 9)); // 4 KiB both in cache and in store
    const unseen = await writeFile(fs, ROOT, "unseen", new Uint8Array(bs).fill(66));
    await fs.forget(unseen, 1); // not held by the kernel
    for (const ino of [text, noise]) await fs.getattr(ctx(), ino, undefined); // what the kernel holds now
    sent.length = 0;
    await fs.flushAll();
    await Promise.resolve(); // the notifications of the commit's run go out once it ends
    expect(sent).toEqual([`attrs ${text}`]);
    await fs.close();
  });

  test("READDIRPLUS lists held inodes with unchanged attributes by name only (nodeid 0, no lookup counted)", async () => {
    const w = await newWorld();
    const fs = await w.open();
    const d = (await fs.mkdir(ctx(), ROOT, "d", 0o755, 0)).nodeid;
    const held = await writeFile(fs, d, "held", randomData(10, 1)); // create counted a lookup
    await fs.getattr(ctx(), held, undefined); // the kernel asked after the write (its stat): it has them now
    const changed = await writeFile(fs, d, "changed", randomData(10, 2));
    await fs.write(ctx(), changed, (await fs.open(ctx(), changed, 2)).fh, 0, randomData(20, 3), 0); // changed since
    const unknown = await writeFile(fs, d, "unknown", randomData(10, 4));
    await fs.forget(unknown, 1);
    const entries = new Map((await listDir(fs, d, true)).map((e) => [e.name, e]));
    expect(entries.get("held")!.entry!.nodeid).toBe(0);
    expect(entries.get("held")!.ino).toBe(held); // the dirent still carries the inode number (d_ino)
    expect(entries.get("changed")!.entry!.nodeid).toBe(changed); // written since its last reply
    expect(entries.get("changed")!.entry!.attr.size).toBe(20);
    expect(entries.get("unknown")!.entry!.nodeid).toBe(unknown);
    await fs.close();
  });
});
