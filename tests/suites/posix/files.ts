// POSIX suite, regular files: read/write/append, truncate, sparse files, O_EXCL, fsync, unlink while open, names.

import { describe, expect, test } from "bun:test";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import { join } from "node:path";
import * as py from "../../support/pyops.ts";
import { codeOf, expectCode, type SuiteContext } from "./context.ts";

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;

export function fileTests(c: SuiteContext): void {
  describe("files", () => {
    test("create, write, read back, overwrite in the middle", () => {
      const p = join(c.fresh("rw"), "f");
      const data = randomBytes(3 * MiB + 17);
      fs.writeFileSync(p, data);
      expect(fs.statSync(p).size).toBe(data.length);
      expect(fs.readFileSync(p).equals(data)).toBe(true);
      const fd = fs.openSync(p, "r+");
      try {
        const patch = randomBytes(100_000);
        fs.writeSync(fd, patch, 0, patch.length, 1_000_000);
        patch.copy(data, 1_000_000);
        const back = Buffer.alloc(200_000);
        expect(fs.readSync(fd, back, 0, back.length, 950_000)).toBe(back.length);
        expect(back.equals(data.subarray(950_000, 1_150_000))).toBe(true);
      } finally {
        fs.closeSync(fd);
      }
      expect(fs.readFileSync(p).equals(data)).toBe(true);
    });

    test("O_APPEND writes go to the end", () => {
      const p = join(c.fresh("append"), "f");
      fs.writeFileSync(p, "one\n");
      fs.appendFileSync(p, "two\n");
      const fd = fs.openSync(p, "a");
      try {
        // The position argument is ignored for O_APPEND descriptors on Linux.
        fs.writeSync(fd, "three\n", 0);
      } finally {
        fs.closeSync(fd);
      }
      expect(fs.readFileSync(p, "utf8")).toBe("one\ntwo\nthree\n");
    });

    test("truncate shrinks, and extending again reads zeros (not the old tail)", () => {
      const p = join(c.fresh("trunc"), "f");
      fs.writeFileSync(p, Buffer.alloc(100_000, 0x78));
      fs.truncateSync(p, 10);
      expect(fs.statSync(p).size).toBe(10);
      fs.truncateSync(p, 100_000);
      const back = fs.readFileSync(p);
      expect(back.length).toBe(100_000);
      expect(back.subarray(0, 10).every((b) => b === 0x78)).toBe(true);
      expect(back.subarray(10).every((b) => b === 0)).toBe(true);
      const fd = fs.openSync(p, "r+");
      try {
        fs.ftruncateSync(fd, 3);
        expect(fs.fstatSync(fd).size).toBe(3);
      } finally {
        fs.closeSync(fd);
      }
      expect(fs.readFileSync(p, "latin1")).toBe("xxx");
      fs.writeFileSync(p, "fresh"); // O_TRUNC on open
      expect(fs.readFileSync(p, "utf8")).toBe("fresh");
    });

    test("sparse file: holes read as zeros, take no space; a write beyond 4 GiB", () => {
      const p = join(c.fresh("sparse"), "f");
      const fd = fs.openSync(p, "w+");
      try {
        fs.writeSync(fd, "A", 0);
        fs.writeSync(fd, "B", MiB);
        const far = 4 * GiB + 4096 + 7;
        fs.writeSync(fd, "far end", far);
        const st = fs.fstatSync(fd);
        expect(st.size).toBe(far + 7);
        expect(st.blocks * 512).toBeLessThan(16 * MiB);
        const mid = Buffer.alloc(MiB - 1, 0xff);
        expect(fs.readSync(fd, mid, 0, mid.length, 1)).toBe(mid.length);
        expect(mid.every((b) => b === 0)).toBe(true);
        const tail = Buffer.alloc(4096 + 7 + 16);
        expect(fs.readSync(fd, tail, 0, tail.length, 4 * GiB)).toBe(4096 + 7 + 7);
        expect(tail.subarray(0, 4096 + 7).every((b) => b === 0)).toBe(true);
        expect(tail.subarray(4096 + 7, 4096 + 14).toString()).toBe("far end");
        const b = Buffer.alloc(1);
        fs.readSync(fd, b, 0, 1, MiB);
        expect(b.toString()).toBe("B");
      } finally {
        fs.closeSync(fd);
      }
      // every filesystem under test reports holes: one that stops would lose sparseness in cp --sparse
      expect(py.lseek(p, 0, py.SEEK_DATA)).toBe(0);
      const hole = py.lseek(p, 0, py.SEEK_HOLE);
      const size = fs.statSync(p).size;
      expect(hole).toBeLessThanOrEqual(MiB);
      expect(py.lseek(p, 2 * MiB, py.SEEK_DATA)).toBeGreaterThanOrEqual(2 * MiB);
      expect(codeOf(() => py.lseek(p, size + 10, py.SEEK_DATA))).toBe("ENXIO");
      fs.unlinkSync(p);
    });

    test("fallocate mode 0 extends the size", () => {
      const p = join(c.fresh("falloc"), "f");
      fs.writeFileSync(p, "abc");
      py.fallocate(p, 0, 200_000);
      expect(fs.statSync(p).size).toBe(200_000);
      const back = fs.readFileSync(p);
      expect(back.subarray(0, 3).toString()).toBe("abc");
      expect(back.subarray(3).every((b) => b === 0)).toBe(true);
      py.fallocate(p, 0, 10); // inside the file: no change
      expect(fs.statSync(p).size).toBe(200_000);
    });

    test("copy_file_range copies a range inside the filesystem", () => {
      const d = c.fresh("copy-range");
      const data = randomBytes(300_000);
      fs.writeFileSync(join(d, "src"), data);
      fs.writeFileSync(join(d, "dst"), Buffer.alloc(10, 0x61));
      let copied = 0;
      while (copied < 200_000) {
        const n = py.copyFileRange(join(d, "src"), 50_000 + copied, join(d, "dst"), 5 + copied, 200_000 - copied);
        expect(n).toBeGreaterThan(0);
        copied += n;
      }
      const back = fs.readFileSync(join(d, "dst"));
      expect(back.length).toBe(200_005);
      expect(back.subarray(0, 5).toString()).toBe("aaaaa");
      expect(back.subarray(5).equals(data.subarray(50_000, 250_000))).toBe(true);
    });

    test("O_EXCL create fails on an existing name", () => {
      const d = c.fresh("excl");
      const p = join(d, "f");
      fs.closeSync(fs.openSync(p, "wx"));
      expectCode(() => fs.openSync(p, "wx"), "EEXIST");
      fs.symlinkSync("dangling-target", join(d, "l"));
      expectCode(() => fs.openSync(join(d, "l"), "wx"), "EEXIST");
    });

    test("fsync and fdatasync succeed on files and directories", () => {
      const d = c.fresh("fsync");
      const p = join(d, "f");
      const fd = fs.openSync(p, "w");
      try {
        fs.writeSync(fd, "durable");
        fs.fsyncSync(fd);
        fs.fdatasyncSync(fd);
      } finally {
        fs.closeSync(fd);
      }
      const dfd = fs.openSync(d, "r");
      try {
        fs.fsyncSync(dfd);
      } finally {
        fs.closeSync(dfd);
      }
    });

    test("unlink while open: the descriptor still reads and writes", () => {
      const d = c.fresh("unlinked-open");
      const p = join(d, "f");
      fs.writeFileSync(p, "still here");
      const fd = fs.openSync(p, "r+");
      try {
        fs.unlinkSync(p);
        expect(fs.existsSync(p)).toBe(false);
        expect(fs.readdirSync(d)).toEqual([]);
        const b = Buffer.alloc(10);
        expect(fs.readSync(fd, b, 0, 10, 0)).toBe(10);
        expect(b.toString()).toBe("still here");
        fs.writeSync(fd, " and more", 10);
        expect(fs.fstatSync(fd).nlink).toBe(0);
        expect(fs.fstatSync(fd).size).toBe(19);
        const all = Buffer.alloc(19);
        fs.readSync(fd, all, 0, 19, 0);
        expect(all.toString()).toBe("still here and more");
      } finally {
        fs.closeSync(fd);
      }
    });

    test("names: 255 bytes work, 256 bytes fail ENAMETOOLONG; UTF-8 names round-trip", () => {
      const d = c.fresh("names");
      const ok = "n".repeat(255);
      fs.writeFileSync(join(d, ok), "x");
      expect(fs.readFileSync(join(d, ok), "utf8")).toBe("x");
      const long = "n".repeat(256);
      expectCode(() => fs.writeFileSync(join(d, long), "x"), "ENAMETOOLONG");
      expectCode(() => fs.mkdirSync(join(d, long)), "ENAMETOOLONG");
      expectCode(() => fs.statSync(join(d, long)), "ENAMETOOLONG");
      const unicode = "héllo wörld — 日本語 🎉.txt";
      fs.writeFileSync(join(d, unicode), "u");
      expect(fs.readdirSync(d).sort()).toEqual([ok, unicode].sort());
      expect(fs.readFileSync(join(d, unicode), "utf8")).toBe("u");
    });

    test("names are bytes: non-UTF-8 names and symlink targets keep every byte", () => {
      const d = c.fresh("byte-names");
      const latin1 = Buffer.from("caf\xe9", "latin1");
      const other = Buffer.from("caf\xe8", "latin1");
      py.touchBytes(d, latin1);
      py.touchBytes(d, other); // a distinct name, not a second spelling of the first
      py.symlinkBytes(d, Buffer.from("link"), Buffer.from([0x74, 0xff, 0xfe, 0x80]));
      const names = py.listdirBytes(d).map((b) => b.toString("hex")).sort();
      expect(names).toEqual([latin1, other, Buffer.from("link")].map((b) => b.toString("hex")).sort());
      expect(py.readlinkBytes(d, Buffer.from("link")).toString("hex")).toBe("74fffe80");
    });

    test("a missing file: ENOENT for open, stat and unlink", () => {
      const d = c.fresh("missing");
      expectCode(() => fs.openSync(join(d, "nope"), "r"), "ENOENT");
      expectCode(() => fs.statSync(join(d, "nope")), "ENOENT");
      expectCode(() => fs.unlinkSync(join(d, "nope")), "ENOENT");
      expectCode(() => fs.writeFileSync(join(d, "no-dir", "f"), "x"), "ENOENT");
    });
  });
}
