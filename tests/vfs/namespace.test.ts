// In-process namespace tests: create/lookup/readdir, rename flags, links, symlinks, mknod, rmdir rules, xattrs, timestamps.
import { afterEach, describe, expect, setDefaultTimeout, test } from "bun:test";
import * as E from "../../src/fs/fuse/errno.ts";
import { ROOT, cleanupDirs, ctx, errnoOf, listDir, newWorld, setattrIn } from "./helpers.ts";

setDefaultTimeout(120_000); // per file: bun test ignores bunfig's timeout (docs/testing.md)

afterEach(cleanupDirs);

describe("namespace", () => {
  test("mkdir, create, lookup, readdir, nlink", async () => {
    const w = await newWorld();
    const fs = await w.open();
    const d = await fs.mkdir(ctx(1000, 1000), ROOT, "dir", 0o777, 0o022);
    expect(d.attr.mode).toBe(0o040755);
    expect(d.attr.uid).toBe(1000);
    expect(d.attr.nlink).toBe(2);
    expect((await fs.getattr(ctx(), ROOT, undefined)).attr.nlink).toBe(3);
    const f = await fs.create(ctx(), d.nodeid, "f", 0o666, 2, 0o022);
    expect(f.entry.attr.mode).toBe(0o100644);
    expect((await fs.lookup(ctx(), d.nodeid, "f")).nodeid).toBe(f.entry.nodeid);
    expect(await errnoOf(() => fs.lookup(ctx(), d.nodeid, "nope"))).toBe(E.ENOENT);
    expect(await errnoOf(() => fs.mkdir(ctx(), ROOT, "dir", 0o755, 0))).toBe(E.EEXIST);
    expect(await errnoOf(() => fs.lookup(ctx(), f.entry.nodeid, "x"))).toBe(E.ENOTDIR);
    expect(await errnoOf(() => fs.mkdir(ctx(), ROOT, "x".repeat(256), 0o755, 0))).toBe(E.ENAMETOOLONG);
    expect((await fs.lookup(ctx(), d.nodeid, "..")).nodeid).toBe(ROOT); // NFS handle reconnection
    expect((await fs.lookup(ctx(), d.nodeid, ".")).nodeid).toBe(d.nodeid);
    const names = (await listDir(fs, d.nodeid)).map((e) => e.name);
    expect(names).toEqual([".", "..", "f"]);
    const plus = await listDir(fs, ROOT, true);
    expect(plus.map((e) => e.name)).toEqual([".", "..", "dir"]);
    expect(plus[2].entry?.attr.mode).toBe(0o040755);
    await fs.close();
  });

  test("rmdir and unlink rules", async () => {
    const w = await newWorld();
    const fs = await w.open();
    const d = await fs.mkdir(ctx(), ROOT, "d", 0o755, 0);
    await fs.create(ctx(), d.nodeid, "f", 0o644, 2, 0);
    expect(await errnoOf(() => fs.rmdir(ctx(), ROOT, "d"))).toBe(E.ENOTEMPTY);
    expect(await errnoOf(() => fs.unlink(ctx(), ROOT, "d"))).toBe(E.EISDIR);
    expect(await errnoOf(() => fs.rmdir(ctx(), d.nodeid, "f"))).toBe(E.ENOTDIR);
    await fs.unlink(ctx(), d.nodeid, "f");
    await fs.rmdir(ctx(), ROOT, "d");
    expect((await fs.getattr(ctx(), ROOT, undefined)).attr.nlink).toBe(2);
    expect(await errnoOf(() => fs.lookup(ctx(), ROOT, "d"))).toBe(E.ENOENT);
    await fs.close();
  });

  test("rename: replace, NOREPLACE, EXCHANGE, directory rules, loops", async () => {
    const w = await newWorld();
    const fs = await w.open();
    const a = await fs.create(ctx(), ROOT, "a", 0o644, 2, 0);
    const b = await fs.create(ctx(), ROOT, "b", 0o644, 2, 0);
    const d1 = await fs.mkdir(ctx(), ROOT, "d1", 0o755, 0);
    const d2 = await fs.mkdir(ctx(), d1.nodeid, "d2", 0o755, 0);
    expect(await errnoOf(() => fs.rename(ctx(), ROOT, "a", ROOT, "b", 1))).toBe(E.EEXIST);
    await fs.rename(ctx(), ROOT, "a", ROOT, "b", 2); // exchange
    expect((await fs.lookup(ctx(), ROOT, "a")).nodeid).toBe(b.entry.nodeid);
    expect((await fs.lookup(ctx(), ROOT, "b")).nodeid).toBe(a.entry.nodeid);
    expect(await errnoOf(() => fs.rename(ctx(), ROOT, "a", ROOT, "zz", 2))).toBe(E.ENOENT);
    await fs.rename(ctx(), ROOT, "a", ROOT, "b", 0); // replace: b (old a inode) goes away
    expect((await fs.lookup(ctx(), ROOT, "b")).nodeid).toBe(b.entry.nodeid);
    expect(await errnoOf(() => fs.lookup(ctx(), ROOT, "a"))).toBe(E.ENOENT);
    expect(await errnoOf(() => fs.rename(ctx(), ROOT, "d1", d2.nodeid, "x", 0))).toBe(E.EINVAL);
    expect(await errnoOf(() => fs.rename(ctx(), ROOT, "b", ROOT, "d1", 0))).toBe(E.EISDIR);
    expect(await errnoOf(() => fs.rename(ctx(), d1.nodeid, "d2", ROOT, "b", 0))).toBe(E.ENOTDIR);
    await fs.mkdir(ctx(), ROOT, "e", 0o755, 0);
    expect(await errnoOf(() => fs.rename(ctx(), ROOT, "e", ROOT, "d1", 0))).toBe(E.ENOTEMPTY);
    // move a directory up: nlink of both parents follows
    await fs.rename(ctx(), d1.nodeid, "d2", ROOT, "d2", 0);
    expect((await fs.getattr(ctx(), d1.nodeid, undefined)).attr.nlink).toBe(2);
    expect((await fs.getattr(ctx(), ROOT, undefined)).attr.nlink).toBe(5); // d1, e, d2
    const dots = await listDir(fs, d2.nodeid);
    expect(dots[1]).toMatchObject({ name: "..", ino: ROOT });
    // rename over an empty directory
    await fs.rename(ctx(), ROOT, "d2", ROOT, "e", 0);
    expect((await fs.lookup(ctx(), ROOT, "e")).nodeid).toBe(d2.nodeid);
    expect((await fs.getattr(ctx(), ROOT, undefined)).attr.nlink).toBe(4);
    await fs.close();
  });

  test("hard links, symlinks, mknod", async () => {
    const w = await newWorld();
    const fs = await w.open();
    const f = await fs.create(ctx(), ROOT, "f", 0o644, 2, 0);
    const l = await fs.link(ctx(), f.entry.nodeid, ROOT, "g");
    expect(l.attr.nlink).toBe(2);
    expect(await errnoOf(() => fs.link(ctx(), ROOT, ROOT, "rootlink"))).toBe(E.EPERM);
    await fs.unlink(ctx(), ROOT, "f");
    expect((await fs.getattr(ctx(), f.entry.nodeid, undefined)).attr.nlink).toBe(1);
    const s = await fs.symlink(ctx(), ROOT, "s", "some/target");
    expect(s.attr.mode).toBe(0o120777);
    expect(s.attr.size).toBe(11);
    expect(new TextDecoder().decode(await fs.readlink(ctx(), s.nodeid))).toBe("some/target");
    expect(await errnoOf(() => fs.readlink(ctx(), f.entry.nodeid))).toBe(E.EINVAL);
    const fifo = await fs.mknod(ctx(), ROOT, "fifo", 0o010644, 0, 0);
    expect(fifo.attr.mode).toBe(0o010644);
    const dev = await fs.mknod(ctx(), ROOT, "dev", 0o020600, 0x0103, 0);
    expect(dev.attr.rdev).toBe(0x0103);
    const reg = await fs.mknod(ctx(), ROOT, "reg", 0o100600, 0, 0);
    expect(reg.attr.mode).toBe(0o100600);
    const sock = await fs.mknod(ctx(), ROOT, "sock", 0o140755, 0, 0o022);
    expect(sock.attr.mode).toBe(0o140755);
    await fs.close();
  });

  test("setattr: chmod, chown, utimens, ctime", async () => {
    const w = await newWorld();
    const fs = await w.open();
    const f = await fs.create(ctx(), ROOT, "f", 0o644, 2, 0);
    const before = (await fs.getattr(ctx(), f.entry.nodeid, undefined)).attr;
    await Bun.sleep(2);
    let a = (await fs.setattr(ctx(), f.entry.nodeid, setattrIn({ valid: 1, mode: 0o4711 }))).attr;
    expect(a.mode).toBe(0o104711);
    expect(a.ctime * 1e9 + a.ctimensec).toBeGreaterThan(before.ctime * 1e9 + before.ctimensec);
    a = (await fs.setattr(ctx(), f.entry.nodeid, setattrIn({ valid: 2 | 4, uid: 7, gid: 8 }))).attr;
    expect([a.uid, a.gid, a.mode]).toEqual([7, 8, 0o100711]); // chown drops set-user-ID
    a = (await fs.setattr(ctx(), f.entry.nodeid, setattrIn({ valid: 16 | 32, atime: 1000, atimensec: 123456789, mtime: 2000, mtimensec: 987654321 }))).attr;
    expect([a.atime, a.atimensec, a.mtime, a.mtimensec]).toEqual([1000, 123456789, 2000, 987654321]);
    // nanoseconds survive a round trip through the store
    await fs.close();
    const fs2 = await w.open();
    const b = (await fs2.getattr(ctx(), f.entry.nodeid, undefined)).attr;
    expect([b.atime, b.atimensec, b.mtime, b.mtimensec, b.mode, b.uid]).toEqual([1000, 123456789, 2000, 987654321, 0o100711, 7]);
    await fs2.close();
  });

  test("xattrs up to 64 KiB with flags", async () => {
    const w = await newWorld();
    const fs = await w.open();
    const f = await fs.create(ctx(), ROOT, "f", 0o644, 2, 0);
    const big = new Uint8Array(65536).map((_, i) => i & 0xff);
    await fs.setxattr(ctx(), f.entry.nodeid, "user.big", big, 0);
    expect(await fs.getxattr(ctx(), f.entry.nodeid, "user.big")).toEqual(big);
    expect(await errnoOf(() => fs.setxattr(ctx(), f.entry.nodeid, "user.big", big, 1))).toBe(E.EEXIST);
    expect(await errnoOf(() => fs.setxattr(ctx(), f.entry.nodeid, "user.none", big, 2))).toBe(E.ENODATA);
    expect(await errnoOf(() => fs.setxattr(ctx(), f.entry.nodeid, "user.x", new Uint8Array(65537), 0))).toBe(E.E2BIG);
    await fs.setxattr(ctx(), f.entry.nodeid, "security.selinux", new TextEncoder().encode("x"), 0);
    expect(await fs.listxattr(ctx(), f.entry.nodeid)).toEqual(["security.selinux", "user.big"]);
    await fs.removexattr(ctx(), f.entry.nodeid, "user.big");
    expect(await errnoOf(() => fs.getxattr(ctx(), f.entry.nodeid, "user.big"))).toBe(E.ENODATA);
    expect(await errnoOf(() => fs.removexattr(ctx(), f.entry.nodeid, "user.big"))).toBe(E.ENODATA);
    await fs.close();
  });

  test("unlinked but open/looked-up files live until released and forgotten", async () => {
    const w = await newWorld(4096);
    const fs = await w.open();
    const f = await fs.create(ctx(), ROOT, "f", 0o644, 2, 0);
    await fs.write(ctx(), f.entry.nodeid, f.open.fh, 0, new Uint8Array(10000).fill(7), 0);
    await fs.unlink(ctx(), ROOT, "f");
    expect((await fs.read(ctx(), f.entry.nodeid, f.open.fh, 0, 10))[0]).toBe(7);
    await fs.release(ctx(), f.entry.nodeid, f.open.fh, 0);
    expect((await fs.getattr(ctx(), f.entry.nodeid, undefined)).attr.nlink).toBe(0);
    fs.forget(f.entry.nodeid, 1);
    expect(await errnoOf(() => fs.getattr(ctx(), f.entry.nodeid, undefined))).toBe(E.ENOENT);
    expect(fs.stats().dirtyBytes).toBe(0);
    await fs.close();
  });

  test("100k entries: readdir pages by cookie, lookups stay indexed", async () => {
    const w = await newWorld();
    const fs = await w.open();
    const d = await fs.mkdir(ctx(), ROOT, "big", 0o755, 0);
    const t0 = performance.now();
    for (let i = 0; i < 100_000; i++) await fs.mknod(ctx(), d.nodeid, `file-${i}`, 0o100644, 0, 0);
    const t1 = performance.now();
    const all = await listDir(fs, d.nodeid, false, 997);
    const t2 = performance.now();
    expect(all.length).toBe(100_002);
    expect(new Set(all.map((e) => e.name)).size).toBe(100_002);
    expect((await fs.lookup(ctx(), d.nodeid, "file-99999")).attr.mode).toBe(0o100644);
    console.log(`100k mknod: ${(t1 - t0).toFixed(0)} ms; readdir in pages of 997: ${(t2 - t1).toFixed(0)} ms`);
    await fs.close();
  }, 600_000); // 14 s on a quiet machine, 154 s under stress with 8 engineers' suites running
});
