// POSIX suite, details a new user found wrong (issue 12.7): O_DIRECT coherence, atime, holes, st_blocks, ENOSPC, devices, listing under renames.

import { describe, expect, test } from "bun:test";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import { join } from "node:path";
import * as py from "../../support/pyops.ts";
import { codeOf, tick, type SuiteContext } from "./context.ts";

const KiB = 1024;
const MiB = 1024 ** 2;
const GiB = 1024 ** 3;
const NS_PER_S = 1_000_000_000n;
const nowNs = () => BigInt(Date.now()) * 1_000_000n;

/**
 * Checks what SEEK_DATA / SEEK_HOLE report for `p`: every written range lies inside reported data (else a
 * reader such as `cp --sparse` would lose it) and no reported data overlaps a required hole. Required holes
 * are 16 MiB aligned, so every block size up to 16 MiB can report them.
 */
function expectLayout(p: string, written: [number, number][], holes: [number, number][]): void {
  const size = fs.statSync(p).size;
  const segs = py.dataSegments(p);
  const where = `${p}: data ${JSON.stringify(segs)}`;
  let last = 0;
  for (const [s, e] of segs) {
    expect(s, where).toBeGreaterThanOrEqual(last);
    expect(e, where).toBeGreaterThan(s);
    expect(e, where).toBeLessThanOrEqual(size);
    last = e;
  }
  for (const [ws, we] of written) expect(segs.some(([s, e]) => s <= ws && we <= e), `${where} must cover [${ws}, ${we})`).toBe(true);
  for (const [hs, he] of holes) expect(segs.some(([s, e]) => s < he && hs < e), `${where} must leave [${hs}, ${he}) a hole`).toBe(false);
}

/** Mounts a 32 MiB tmpfs for the control: ext4 would keep what a failed fallocate allocated (filling the shared disk). */
function smallTmpfs(dir: string): () => void {
  const mp = join(dir, "tmpfs");
  fs.mkdirSync(mp);
  const m = Bun.spawnSync(["mount", "-t", "tmpfs", "-o", "size=32m", "tmpfs", mp], { stderr: "pipe" });
  if (m.exitCode !== 0) throw new Error(`mount tmpfs: ${m.stderr.toString()}`);
  return () => void Bun.spawnSync(["umount", mp]);
}

export function newUserTests(c: SuiteContext): void {
  describe("found by a new user", () => {
    test("a buffered read right after an O_DIRECT write of the same range sees the new data", () => {
      const p = join(c.fresh("direct"), "f");
      const old = randomBytes(MiB);
      fs.writeFileSync(p, old);
      const fresh = randomBytes(64 * KiB);
      expect(py.cachedThenDirect(p, 128 * KiB, fresh).equals(fresh)).toBe(true);
      expect(py.directWrite(p, 0, fresh)).toBe(fresh.length);
      const all = fs.readFileSync(p);
      expect(all.subarray(0, fresh.length).equals(fresh)).toBe(true);
      expect(all.subarray(128 * KiB, 192 * KiB).equals(fresh)).toBe(true);
      expect(all.subarray(192 * KiB).equals(old.subarray(192 * KiB))).toBe(true);
    });

    test("asynchronous direct writes (libaio, io_uring) are seen by the next buffered read", () => {
      const d = c.fresh("direct-async");
      const p = join(d, "f");
      fs.writeFileSync(p, Buffer.alloc(8 * MiB, 0x41));
      expect(fs.readFileSync(p).every((b) => b === 0x41)).toBe(true); // now in the page cache
      for (const [engine, pattern] of [["libaio", 0x42], ["io_uring", 0x43]] as const) {
        const fio = Bun.spawnSync(
          ["fio", "--name=w", `--filename=${p}`, "--rw=write", "--bs=64k", "--size=8m", `--ioengine=${engine}`, "--iodepth=8",
            "--direct=1", `--buffer_pattern=0x${pattern.toString(16)}`, "--output-format=terse"],
          { cwd: d, stdout: "pipe", stderr: "pipe" },
        );
        expect(fio.exitCode, fio.stderr.toString()).toBe(0);
        const back = fs.readFileSync(p);
        expect(back.length).toBe(8 * MiB);
        expect(back.findIndex((b) => b !== pattern)).toBe(-1);
      }
    }, 300_000);

    test("atime follows relatime: a read updates an atime older than mtime or a day old, and not otherwise", () => {
      const d = c.fresh("atime");
      const p = join(d, "f");
      fs.writeFileSync(p, "data");
      const mtime = fs.statSync(p, { bigint: true }).mtimeNs;
      // atime before mtime: the next read updates it
      py.utimensat(p, [Number(mtime / NS_PER_S) - 100, 0], [0, py.UTIME_OMIT]);
      const before = nowNs() - 2n * NS_PER_S;
      py.readAll(p);
      const a1 = fs.statSync(p, { bigint: true }).atimeNs;
      expect(a1).toBeGreaterThan(before);
      // atime newer than mtime and ctime, and recent: a read leaves it alone
      tick();
      py.readAll(p);
      expect(fs.statSync(p, { bigint: true }).atimeNs).toBe(a1);
      // listing a directory is reading it
      const sub = join(d, "sub");
      fs.mkdirSync(sub);
      fs.writeFileSync(join(sub, "x"), "x");
      py.utimensat(sub, [1_000_000, 0], [2_000_000, 0]);
      fs.readdirSync(sub);
      expect(fs.statSync(sub, { bigint: true }).atimeNs).toBeGreaterThan(before);
    });

    test("SEEK_DATA / SEEK_HOLE: holes at the start and the end, after truncate down and up, after a write into a hole", () => {
      const d = c.fresh("seek-layouts");
      const put = (p: string, off: number, len: number) => {
        const fd = fs.openSync(p, fs.existsSync(p) ? "r+" : "w+");
        try {
          fs.writeSync(fd, Buffer.alloc(len, 0x5a), 0, len, off);
        } finally {
          fs.closeSync(fd);
        }
      };
      const start = join(d, "hole-at-start");
      put(start, 32 * MiB, 4 * KiB);
      expectLayout(start, [[32 * MiB, 32 * MiB + 4 * KiB]], [[0, 32 * MiB]]);
      expect(py.lseek(start, 0, py.SEEK_HOLE)).toBe(0);

      const end = join(d, "hole-at-end");
      put(end, 0, 4 * KiB);
      fs.truncateSync(end, 48 * MiB);
      expectLayout(end, [[0, 4 * KiB]], [[16 * MiB, 48 * MiB]]);
      expect(codeOf(() => py.lseek(end, 16 * MiB, py.SEEK_DATA))).toBe("ENXIO");
      expect(py.lseek(end, 20 * MiB, py.SEEK_HOLE)).toBe(20 * MiB);

      const cut = join(d, "truncated");
      put(cut, 0, 40 * MiB);
      fs.truncateSync(cut, 20 * MiB);
      fs.truncateSync(cut, 64 * MiB);
      expectLayout(cut, [[0, 20 * MiB]], [[32 * MiB, 64 * MiB]]);
      expect(fs.readFileSync(cut).subarray(20 * MiB).every((b) => b === 0)).toBe(true);

      const fill = join(d, "filled");
      put(fill, 0, 4 * KiB);
      put(fill, 64 * MiB, 4 * KiB);
      expectLayout(fill, [[0, 4 * KiB], [64 * MiB, 64 * MiB + 4 * KiB]], [[16 * MiB, 64 * MiB]]);
      put(fill, 32 * MiB, 4 * KiB);
      expectLayout(fill, [[0, 4 * KiB], [32 * MiB, 32 * MiB + 4 * KiB], [64 * MiB, 64 * MiB + 4 * KiB]], [[16 * MiB, 32 * MiB], [48 * MiB, 64 * MiB]]);
    }, 300_000);

    test("st_blocks counts what a sparse file holds, not its holes", () => {
      const sparse = join(c.fresh("st-blocks"), "sparse");
      const fd = fs.openSync(sparse, "w+");
      try {
        fs.writeSync(fd, randomBytes(50 * KiB), 0, 50 * KiB, Math.floor(1.6 * MiB));
        fs.fsyncSync(fd);
      } finally {
        fs.closeSync(fd);
      }
      // after close: a writeback cache has sent the data, and the kernel asks for fresh attributes
      const used = fs.statSync(sparse).blocks * 512;
      expect(used).toBeGreaterThanOrEqual(48 * KiB);
      expect(used).toBeLessThanOrEqual(256 * KiB); // the 1.6 MiB hole before it takes nothing
    });

    test("fallocate reserves blocks: st_blocks covers the range, and writing into it needs no more", () => {
      const pre = join(c.fresh("falloc-reserve"), "preallocated");
      fs.writeFileSync(pre, "");
      py.fallocate(pre, 0, 8 * MiB);
      const reserved = fs.statSync(pre).blocks * 512;
      expect(reserved).toBeGreaterThanOrEqual(8 * MiB);
      const wfd = fs.openSync(pre, "r+");
      try {
        fs.writeSync(wfd, randomBytes(MiB), 0, MiB, 2 * MiB);
        fs.fsyncSync(wfd);
      } finally {
        fs.closeSync(wfd);
      }
      expect(fs.statSync(pre).blocks * 512).toBeLessThanOrEqual(reserved + 64 * KiB);
    });

    test("fallocate beyond the free space fails ENOSPC and changes nothing", () => {
      const d = c.fresh("enospc");
      const unmount = c.opts.control ? smallTmpfs(d) : () => {};
      try {
        const dir = c.opts.control ? join(d, "tmpfs") : d;
        const p = join(dir, "f");
        fs.writeFileSync(p, "abc");
        const { bavail } = py.statvfs(dir);
        expect(bavail).toBeGreaterThan(0);
        expect(codeOf(() => py.fallocate(p, 0, bavail + GiB))).toBe("ENOSPC");
        expect(fs.statSync(p).size).toBe(3);
        expect(fs.readFileSync(p, "utf8")).toBe("abc");
        py.fallocate(p, 0, MiB); // a small one still works
        expect(fs.statSync(p).size).toBe(MiB);
      } finally {
        // a filesystem that wrongly accepted (or, like ext4, kept what it got before ENOSPC) gives it back
        fs.rmSync(join(c.opts.control ? join(d, "tmpfs") : d, "f"), { force: true });
        unmount();
      }
    });

    test("a device node (mknod) can be opened, read and written", () => {
      const d = c.fresh("devices");
      const p = join(d, "null");
      const mk = Bun.spawnSync(["mknod", "-m", "666", p, "c", "1", "3"], { stderr: "pipe" });
      expect(mk.stderr.toString()).toBe("");
      expect(fs.statSync(p).isCharacterDevice()).toBe(true);
      fs.writeFileSync(p, "into the void");
      expect(fs.readFileSync(p).length).toBe(0);
    });

    test("listing 5,000 entries while each is renamed away and back ends, with every entry once", () => {
      const d = c.fresh("list-renames");
      const dir = join(d, "dir");
      const away = join(d, "away");
      fs.mkdirSync(dir);
      fs.mkdirSync(away);
      const names = Array.from({ length: 5000 }, (_, i) => `entry-${i}`);
      for (const n of names) fs.closeSync(fs.openSync(join(dir, n), "w"));
      const seen = py.listWhileRenaming(dir, away, 3 * names.length);
      expect(seen.length).toBeLessThanOrEqual(names.length);
      expect(new Set(seen).size).toBe(seen.length);
      expect([...seen].sort()).toEqual([...names].sort());
      expect(fs.readdirSync(away)).toEqual([]);
    }, 300_000);
  });
}
