// MemFs in-process: the bookkeeping a mount cannot show directly (lookup counts, forget, cookies, sparse chunks).

import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { EEXIST, EINVAL, ENODATA, ENOENT, ENOTEMPTY, FuseError } from "../../src/fs/fuse/errno.ts";
import { FATTR, RENAME_EXCHANGE } from "../../src/fs/fuse/kernel.ts";
import type { DirentSink, EntryOut, RequestContext, SetattrIn } from "../../src/fs/fuse/raw-fs.ts";
import { CHUNK_SIZE, FileData } from "../../examples/memfs/file-data.ts";
import { MemFs } from "../../examples/memfs/mem-fs.ts";

setDefaultTimeout(120_000); // per file: bun test ignores bunfig's timeout (docs/testing.md)

const ctx: RequestContext = { unique: 1n, nodeid: 1, uid: 0, gid: 0, pid: 1 };
const ROOT = 1;

function errnoOf(fn: () => unknown): number {
  try {
    fn();
  } catch (e) {
    if (e instanceof FuseError) return e.errno;
    throw e;
  }
  throw new Error("expected a FuseError");
}

/** A sink that accepts `room` entries per call, like a full reply buffer. */
function sink(room: number) {
  const got: Array<{ name: string; entry?: EntryOut; next: number }> = [];
  let left = room;
  const out: DirentSink = {
    add(name, _ino, _type, next) {
      if (left-- <= 0) return false;
      got.push({ name, next });
      return true;
    },
    addPlus(name, entry, next) {
      if (left-- <= 0) return false;
      got.push({ name, entry, next });
      return true;
    },
  };
  return { out, got };
}

function setattr(valid: number, fields: Partial<SetattrIn>): SetattrIn {
  return {
    valid, fh: 0, size: 0, lockOwner: 0n, atime: 0, mtime: 0, ctime: 0, atimensec: 0, mtimensec: 0, ctimensec: 0,
    mode: 0, uid: 0, gid: 0, ...fields,
  };
}

describe("MemFs", () => {
  test("an unlinked inode lives until the kernel forgets it and the last handle is released", () => {
    const fs = new MemFs();
    const { entry, open } = fs.create(ctx, ROOT, "f", 0o644, 0, 0);
    fs.write(ctx, entry.nodeid, open.fh, 0, new TextEncoder().encode("data"), 0);
    fs.unlink(ctx, ROOT, "f");
    expect(fs.getattr(ctx, entry.nodeid).attr.nlink).toBe(0);
    fs.forget(entry.nodeid, 1);
    expect(new TextDecoder().decode(fs.read(ctx, entry.nodeid, open.fh, 0, 100))).toBe("data");
    fs.release(ctx, entry.nodeid, open.fh);
    expect(errnoOf(() => fs.getattr(ctx, entry.nodeid))).toBe(ENOENT);
  });

  test("lookup counts add up; forget of all of them frees an unlinked inode", () => {
    const fs = new MemFs();
    const e = fs.mknod(ctx, ROOT, "n", 0o100644, 0, 0);
    fs.lookup(ctx, ROOT, "n");
    fs.lookup(ctx, ROOT, "n");
    fs.unlink(ctx, ROOT, "n");
    fs.forget(e.nodeid, 2);
    expect(fs.getattr(ctx, e.nodeid).attr.nlink).toBe(0);
    fs.forget(e.nodeid, 1);
    expect(errnoOf(() => fs.getattr(ctx, e.nodeid))).toBe(ENOENT);
  });

  test("READDIRPLUS counts a lookup only for entries that fit, never for . and ..", () => {
    const fs = new MemFs();
    const ids = ["a", "b", "c"].map((n) => fs.mknod(ctx, ROOT, n, 0o100644, 0, 0).nodeid);
    for (const id of ids) fs.forget(id, 1); // drop the references the creations handed out
    const { out, got } = sink(4);
    fs.readdirplus(ctx, ROOT, 0, 0, out);
    expect(got.map((g) => g.name)).toEqual([".", "..", "a", "b"]);
    expect(got[0]!.entry!.nodeid).toBe(0);
    expect(got[1]!.entry!.nodeid).toBe(0);
    expect(fs.inodes.get(ids[0]!).lookups).toBe(1);
    expect(fs.inodes.get(ids[1]!).lookups).toBe(1);
    expect(fs.inodes.get(ids[2]!).lookups).toBe(0);
  });

  test("readdir cookies survive removals and additions between calls", () => {
    const fs = new MemFs();
    for (let i = 0; i < 500; i++) fs.mknod(ctx, ROOT, `e${i}`, 0o100644, 0, 0);
    const seen: string[] = [];
    let offset = 0;
    for (let call = 0; ; call++) {
      const { out, got } = sink(17);
      fs.readdir(ctx, ROOT, 0, offset, out);
      if (got.length === 0) break;
      seen.push(...got.map((g) => g.name));
      offset = got.at(-1)!.next;
      // Churn: remove some names (listed or not) and add new ones, forcing compactions along the way.
      for (let k = 0; k < 10; k++) {
        const victim = `e${(call * 37 + k * 11) % 500}`;
        try {
          fs.unlink(ctx, ROOT, victim);
        } catch {}
      }
      // (Only for a while: a listing that gains an entry per call behind its cursor would never end.)
      if (call < 20) fs.mknod(ctx, ROOT, `new${call}`, 0o100644, 0, 0);
    }
    const counts = new Map<string, number>();
    for (const n of seen) counts.set(n, (counts.get(n) ?? 0) + 1);
    expect([...counts.values()].every((c) => c === 1)).toBe(true);
    const remaining = fs.inodes.dir(ROOT).dir;
    for (const name of remaining.names()) {
      if (name.startsWith("e")) expect(counts.get(name)).toBe(1);
    }
  });

  test("rename: ENOTEMPTY over a full directory, EINVAL into its own subtree, exchange moves '..' links", () => {
    const fs = new MemFs();
    const a = fs.mkdir(ctx, ROOT, "a", 0o755, 0).nodeid;
    const b = fs.mkdir(ctx, ROOT, "b", 0o755, 0).nodeid;
    fs.mkdir(ctx, b, "inner", 0o755, 0);
    expect(errnoOf(() => fs.rename(ctx, ROOT, "a", ROOT, "b", 0))).toBe(ENOTEMPTY);
    expect(errnoOf(() => fs.rename(ctx, ROOT, "b", b, "x", 0))).toBe(EINVAL);
    fs.mknod(ctx, a, "file", 0o100644, 0, 0);
    // Exchange b/inner (a directory) with a/file: a gains a subdirectory, b loses one.
    fs.rename(ctx, b, "inner", a, "file", RENAME_EXCHANGE);
    expect(fs.getattr(ctx, a).attr.nlink).toBe(3);
    expect(fs.getattr(ctx, b).attr.nlink).toBe(2);
    expect(fs.getattr(ctx, ROOT).attr.nlink).toBe(4);
  });

  test("setattr: UTIME_NOW / explicit nanoseconds, chown drops set-ID bits", () => {
    const fs = new MemFs();
    const f = fs.mknod(ctx, ROOT, "f", 0o106755, 0, 0).nodeid;
    const r = fs.setattr(ctx, f, setattr(FATTR.MTIME | FATTR.ATIME | FATTR.ATIME_NOW, { mtime: 7, mtimensec: 123456789 }));
    expect([r.attr.mtime, r.attr.mtimensec]).toEqual([7, 123456789]);
    expect(Math.abs(r.attr.atime - Date.now() / 1000)).toBeLessThan(5);
    expect(fs.setattr(ctx, f, setattr(FATTR.UID, { uid: 5 })).attr.mode & 0o7777).toBe(0o755);
  });

  test("xattr flags: XATTR_CREATE on an existing name EEXIST, XATTR_REPLACE on a missing one ENODATA", () => {
    const fs = new MemFs();
    const v = new Uint8Array([1, 2, 3]);
    fs.setxattr(ctx, ROOT, "user.a", v, 1);
    expect(errnoOf(() => fs.setxattr(ctx, ROOT, "user.a", v, 1))).toBe(EEXIST);
    expect(errnoOf(() => fs.setxattr(ctx, ROOT, "user.b", v, 2))).toBe(ENODATA);
    v[0] = 9; // the stored value is a copy
    expect([...fs.getxattr(ctx, ROOT, "user.a")]).toEqual([1, 2, 3]);
  });

  test("statfs counts inodes", () => {
    const fs = new MemFs();
    const before = fs.statfs().ffree;
    fs.mknod(ctx, ROOT, "x", 0o100644, 0, 0);
    expect(fs.statfs().ffree).toBe(before - 1);
  });
});

describe("FileData", () => {
  test("a 4 GiB sparse file holds only the chunks written", () => {
    const d = new FileData();
    d.write(4 * 1024 ** 3, new Uint8Array([1, 2, 3]));
    expect(d.size).toBe(4 * 1024 ** 3 + 3);
    expect(d.allocatedBytes).toBe(CHUNK_SIZE);
    expect([...d.read(4 * 1024 ** 3 - 2, 10)]).toEqual([0, 0, 1, 2, 3]);
    expect(d.seekData(0)).toBe(4 * 1024 ** 3);
    expect(d.seekHole(4 * 1024 ** 3)).toBe(4 * 1024 ** 3 + 3);
  });

  test("shrinking then extending reads zeros past the old cut", () => {
    const d = new FileData();
    d.write(0, new Uint8Array(CHUNK_SIZE + 100).fill(7));
    d.truncate(CHUNK_SIZE + 10);
    d.truncate(CHUNK_SIZE + 100);
    const back = d.read(0, CHUNK_SIZE + 100);
    expect(back[CHUNK_SIZE + 9]).toBe(7);
    expect(back.subarray(CHUNK_SIZE + 10).every((b) => b === 0)).toBe(true);
    d.truncate(5);
    d.truncate(CHUNK_SIZE * 3);
    expect(d.read(5, CHUNK_SIZE * 3).every((b) => b === 0)).toBe(true);
  });
});
