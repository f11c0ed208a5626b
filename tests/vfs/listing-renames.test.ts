// In-process: a listing that runs while every listed entry is renamed away and back ends, each entry once.
import { afterEach, expect, setDefaultTimeout, test } from "bun:test";
import type { DirentSink } from "../../src/fs/fuse/raw-fs.ts";
import { ROOT, cleanupDirs, ctx, newWorld } from "./helpers.ts";

setDefaultTimeout(120_000); // per file: bun test ignores bunfig's timeout (docs/testing.md)

afterEach(cleanupDirs);

test("readdir pages keep their place while entries move to another directory and back", async () => {
  const fs = await (await newWorld()).open();
  try {
    const dir = fs.mkdir(ctx(), ROOT, "dir", 0o755, 0).nodeid;
    const away = fs.mkdir(ctx(), ROOT, "away", 0o755, 0).nodeid;
    const names = Array.from({ length: 600 }, (_, i) => `e${i}`);
    for (const n of names) fs.mknod(ctx(), dir, n, 0o100644, 0, 0);
    const seen: string[] = [];
    let offset = 0;
    // pages of 50, as the kernel asks for a buffer at a time; between pages each listed name goes away and back
    while (seen.length <= 3 * names.length) {
      const page: { name: string; next: number }[] = [];
      const sink: DirentSink = {
        add: (name, _ino, _type, next) => page.length < 50 && page.push({ name, next }) > 0,
        addPlus: () => false,
      };
      fs.readdir(ctx(), dir, 0, offset, sink);
      if (page.length === 0) break;
      for (const { name } of page) {
        if (name === "." || name === "..") continue;
        seen.push(name);
        fs.rename(ctx(), dir, name, away, name, 0);
        fs.rename(ctx(), away, name, dir, name, 0);
      }
      offset = page[page.length - 1]!.next;
    }
    expect(seen.length).toBe(names.length);
    expect([...seen].sort()).toEqual([...names].sort());
  } finally {
    await fs.close();
  }
});
