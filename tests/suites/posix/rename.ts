// POSIX suite, rename: replacing files and directories, the error cases, RENAME_NOREPLACE and RENAME_EXCHANGE.

import { describe, expect, test } from "bun:test";
import * as fs from "node:fs";
import { join } from "node:path";
import * as py from "../../support/pyops.ts";
import { codeOf, expectCode, tick, type SuiteContext } from "./context.ts";

export function renameTests(c: SuiteContext): void {
  describe("rename", () => {
    test("file over file replaces it; the moved inode keeps its number", () => {
      const d = c.fresh("rename-file");
      fs.writeFileSync(join(d, "a"), "from a");
      fs.writeFileSync(join(d, "b"), "old b");
      const ino = fs.statSync(join(d, "a")).ino;
      const before = fs.statSync(join(d, "a"), { bigint: true });
      const parentBefore = fs.statSync(d, { bigint: true });
      tick();
      fs.renameSync(join(d, "a"), join(d, "b"));
      expect(fs.existsSync(join(d, "a"))).toBe(false);
      expect(fs.readFileSync(join(d, "b"), "utf8")).toBe("from a");
      expect(fs.statSync(join(d, "b")).ino).toBe(ino);
      expect(fs.readdirSync(d)).toEqual(["b"]);
      // Linux updates the ctime of the renamed inode, and the parent's mtime.
      expect(fs.statSync(join(d, "b"), { bigint: true }).ctimeNs).toBeGreaterThan(before.ctimeNs);
      expect(fs.statSync(d, { bigint: true }).mtimeNs).toBeGreaterThan(parentBefore.mtimeNs);
    });

    test("rename onto another name of the same inode does nothing", () => {
      const d = c.fresh("rename-samefile");
      fs.writeFileSync(join(d, "a"), "x");
      fs.linkSync(join(d, "a"), join(d, "b"));
      fs.renameSync(join(d, "a"), join(d, "b"));
      expect(fs.readdirSync(d).sort()).toEqual(["a", "b"]);
      fs.renameSync(join(d, "a"), join(d, "a"));
      expect(fs.statSync(join(d, "a")).nlink).toBe(2);
    });

    test("directories: over an empty dir works, over a non-empty dir ENOTEMPTY, into itself EINVAL", () => {
      const d = c.fresh("rename-dir");
      fs.mkdirSync(join(d, "src"));
      fs.writeFileSync(join(d, "src", "f"), "in src");
      fs.mkdirSync(join(d, "empty"));
      fs.renameSync(join(d, "src"), join(d, "empty"));
      expect(fs.readFileSync(join(d, "empty", "f"), "utf8")).toBe("in src");
      expect(fs.existsSync(join(d, "src"))).toBe(false);
      expect(fs.statSync(d).nlink).toBe(3);

      fs.mkdirSync(join(d, "full"));
      fs.writeFileSync(join(d, "full", "g"), "x");
      expectCode(() => fs.renameSync(join(d, "empty"), join(d, "full")), "ENOTEMPTY");
      fs.mkdirSync(join(d, "empty", "child"));
      expectCode(() => fs.renameSync(join(d, "empty"), join(d, "empty", "child", "x")), "EINVAL");
      expectCode(() => fs.renameSync(join(d, "empty"), join(d, "empty", "child")), "EINVAL");
      expectCode(() => fs.renameSync(join(d, "empty"), join(d, "full", "g")), "ENOTDIR");
      expectCode(() => fs.renameSync(join(d, "full", "g"), join(d, "empty")), "EISDIR");
      expectCode(() => fs.renameSync(join(d, "missing"), join(d, "x")), "ENOENT");
      // Moving a directory to another parent moves its ".." link along.
      fs.renameSync(join(d, "empty", "child"), join(d, "full", "child"));
      expect(fs.statSync(join(d, "empty")).nlink).toBe(2);
      expect(fs.statSync(join(d, "full")).nlink).toBe(3);
      expect(fs.readdirSync(join(d, "full")).sort()).toEqual(["child", "g"]);
    });

    test("RENAME_NOREPLACE refuses an existing target", () => {
      const d = c.fresh("noreplace");
      fs.writeFileSync(join(d, "a"), "a");
      fs.writeFileSync(join(d, "b"), "b");
      expect(codeOf(() => py.renameat2(join(d, "a"), join(d, "b"), py.RENAME_NOREPLACE))).toBe("EEXIST");
      expect(fs.readFileSync(join(d, "b"), "utf8")).toBe("b");
      py.renameat2(join(d, "a"), join(d, "c"), py.RENAME_NOREPLACE);
      expect(fs.readdirSync(d).sort()).toEqual(["b", "c"]);
    });

    test("RENAME_EXCHANGE swaps two names atomically, files and directories", () => {
      const d = c.fresh("exchange");
      fs.writeFileSync(join(d, "a"), "content a");
      fs.writeFileSync(join(d, "b"), "content b");
      const ia = fs.statSync(join(d, "a")).ino;
      py.renameat2(join(d, "a"), join(d, "b"), py.RENAME_EXCHANGE);
      expect(fs.readFileSync(join(d, "a"), "utf8")).toBe("content b");
      expect(fs.readFileSync(join(d, "b"), "utf8")).toBe("content a");
      expect(fs.statSync(join(d, "b")).ino).toBe(ia);

      // A file and a directory in different parents: the directory's ".." link moves.
      fs.mkdirSync(join(d, "p1"));
      fs.mkdirSync(join(d, "p2"));
      fs.mkdirSync(join(d, "p1", "dir"));
      fs.writeFileSync(join(d, "p1", "dir", "inside"), "i");
      fs.writeFileSync(join(d, "p2", "file"), "f");
      py.renameat2(join(d, "p1", "dir"), join(d, "p2", "file"), py.RENAME_EXCHANGE);
      expect(fs.statSync(join(d, "p1", "dir")).isFile()).toBe(true);
      expect(fs.readFileSync(join(d, "p2", "file", "inside"), "utf8")).toBe("i");
      expect(fs.statSync(join(d, "p1")).nlink).toBe(2);
      expect(fs.statSync(join(d, "p2")).nlink).toBe(3);

      expect(codeOf(() => py.renameat2(join(d, "a"), join(d, "missing"), py.RENAME_EXCHANGE))).toBe("ENOENT");
      expect(codeOf(() => py.renameat2(join(d, "p2"), join(d, "p2", "file", "inside"), py.RENAME_EXCHANGE))).toBe("EINVAL");
      expect(codeOf(() => py.renameat2(join(d, "a"), join(d, "b"), py.RENAME_EXCHANGE | py.RENAME_NOREPLACE))).toBe("EINVAL");
    });

    test("renaming a file between directories keeps an open descriptor working", () => {
      const d = c.fresh("rename-open");
      fs.mkdirSync(join(d, "x"));
      fs.mkdirSync(join(d, "y"));
      fs.writeFileSync(join(d, "x", "f"), "abc");
      const fd = fs.openSync(join(d, "x", "f"), "r+");
      try {
        fs.renameSync(join(d, "x", "f"), join(d, "y", "g"));
        fs.writeSync(fd, "XYZ", 3);
      } finally {
        fs.closeSync(fd);
      }
      expect(fs.readFileSync(join(d, "y", "g"), "utf8")).toBe("abcXYZ");
      expect(fs.readdirSync(join(d, "x"))).toEqual([]);
    });
  });
}
