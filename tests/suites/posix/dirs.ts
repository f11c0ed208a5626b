// POSIX suite, directories: mkdir/rmdir, link counts, parent times, large listings and listings under change, statfs.

import { describe, expect, test } from "bun:test";
import * as fs from "node:fs";
import { join } from "node:path";
import * as py from "../../support/pyops.ts";
import { expectCode, tick, type SuiteContext } from "./context.ts";

export function dirTests(c: SuiteContext): void {
  describe("directories", () => {
    test("mkdir / rmdir: EEXIST, ENOENT, ENOTEMPTY, ENOTDIR", () => {
      const d = c.fresh("mkdir");
      const sub = join(d, "sub");
      fs.mkdirSync(sub);
      expect(fs.statSync(sub).isDirectory()).toBe(true);
      expectCode(() => fs.mkdirSync(sub), "EEXIST");
      expectCode(() => fs.mkdirSync(join(d, "missing", "x")), "ENOENT");
      fs.writeFileSync(join(sub, "f"), "x");
      expectCode(() => fs.rmdirSync(sub), "ENOTEMPTY");
      expectCode(() => fs.rmdirSync(join(sub, "f")), "ENOTDIR");
      expectCode(() => fs.rmdirSync(join(d, "missing")), "ENOENT");
      expectCode(() => fs.unlinkSync(sub), "EISDIR");
      fs.unlinkSync(join(sub, "f"));
      fs.rmdirSync(sub);
      expect(fs.existsSync(sub)).toBe(false);
      expect(fs.readdirSync(d)).toEqual([]);
    });

    test("directory link count is 2 + subdirectories", () => {
      const d = c.fresh("nlink");
      expect(fs.statSync(d).nlink).toBe(2);
      fs.mkdirSync(join(d, "a"));
      fs.mkdirSync(join(d, "b"));
      fs.writeFileSync(join(d, "file"), "");
      expect(fs.statSync(d).nlink).toBe(4);
      fs.rmdirSync(join(d, "a"));
      expect(fs.statSync(d).nlink).toBe(3);
    });

    test("creating and removing entries updates the parent's mtime and ctime", () => {
      const d = c.fresh("parent-times");
      const t0 = fs.statSync(d, { bigint: true });
      tick();
      fs.writeFileSync(join(d, "f"), "");
      const t1 = fs.statSync(d, { bigint: true });
      expect(t1.mtimeNs).toBeGreaterThan(t0.mtimeNs);
      expect(t1.ctimeNs).toBeGreaterThan(t0.ctimeNs);
      tick();
      fs.unlinkSync(join(d, "f"));
      const t2 = fs.statSync(d, { bigint: true });
      expect(t2.mtimeNs).toBeGreaterThan(t1.mtimeNs);
      tick();
      fs.mkdirSync(join(d, "sub"));
      const t3 = fs.statSync(d, { bigint: true });
      expect(t3.mtimeNs).toBeGreaterThan(t2.mtimeNs);
    });

    test("readdir of a 10,000-entry directory lists every name once", () => {
      const d = c.fresh("big");
      const names = new Set<string>();
      for (let i = 0; i < 10_000; i++) {
        const name = `entry-${i.toString().padStart(5, "0")}`;
        names.add(name);
        fs.closeSync(fs.openSync(join(d, name), "w"));
      }
      const listed = fs.readdirSync(d);
      expect(listed.length).toBe(10_000);
      expect(new Set(listed).size).toBe(10_000);
      for (const n of listed) expect(names.has(n)).toBe(true);
      const withTypes = fs.readdirSync(d, { withFileTypes: true });
      expect(withTypes.every((e) => e.isFile())).toBe(true);
      fs.rmSync(d, { recursive: true });
    }, 180_000);

    test("names of every length from 1 to 255 bytes list back exactly", () => {
      const d = c.fresh("name-lengths");
      const names: string[] = [];
      for (let len = 1; len <= 255; len++) {
        // Cycle the letters so names of different lengths differ early; one multibyte char in the longer ones.
        let name = Array.from({ length: len }, (_, i) => String.fromCharCode(97 + ((i + len) % 26))).join("");
        if (len >= 10) name = "é" + name.slice(2); // 2 bytes for 1 character: same byte length
        if (name === "." || name === "..") continue;
        names.push(name);
        fs.writeFileSync(join(d, name), String(len));
      }
      expect(fs.readdirSync(d).sort()).toEqual([...names].sort());
      for (const e of fs.readdirSync(d, { withFileTypes: true })) expect(e.isFile()).toBe(true);
      expect(fs.readFileSync(join(d, names.at(-1)!), "utf8")).toBe("255");
    });

    test("a listing that runs while entries come and go lists every surviving entry exactly once", () => {
      const d = c.fresh("churn");
      const original: string[] = [];
      for (let i = 0; i < 3000; i++) {
        original.push(`orig-${i}`);
        fs.closeSync(fs.openSync(join(d, `orig-${i}`), "w"));
      }
      // Remove every third original (some already listed, some not) and add new names, after 1000 are listed.
      // Done by python's readdir(3): Bun's opendir reads the whole directory up front.
      const removed = original.filter((_, i) => i % 3 === 0);
      const added = Array.from({ length: 1000 }, (_, i) => `new-${i}`);
      const listed = py.listWhileChanging(d, 1000, removed, added);
      const seen = new Map<string, number>();
      for (const name of listed) seen.set(name, (seen.get(name) ?? 0) + 1);
      const repeated = [...seen].filter(([, n]) => n !== 1).map(([name]) => name);
      expect(repeated).toEqual([]);
      const gone = new Set(removed);
      const missing = original.filter((n) => !gone.has(n) && !seen.has(n));
      expect(missing).toEqual([]);
      expect(fs.readdirSync(d).length).toBe(3000 - removed.length + added.length);
      fs.rmSync(d, { recursive: true });
    }, 180_000);

    test("readdir reports types; rm -r of a tree works", () => {
      const d = c.fresh("types");
      fs.mkdirSync(join(d, "dir"));
      fs.writeFileSync(join(d, "file"), "x");
      fs.symlinkSync("file", join(d, "link"));
      const types = Object.fromEntries(
        fs.readdirSync(d, { withFileTypes: true }).map((e) => [e.name, e.isDirectory() ? "d" : e.isSymbolicLink() ? "l" : e.isFile() ? "f" : "?"]),
      );
      expect(types).toEqual({ dir: "d", file: "f", link: "l" });
      for (let i = 0; i < 5; i++) {
        fs.mkdirSync(join(d, "dir", `s${i}`, "deeper"), { recursive: true });
        fs.writeFileSync(join(d, "dir", `s${i}`, "deeper", "f"), "x");
      }
      fs.rmSync(join(d, "dir"), { recursive: true });
      expect(fs.readdirSync(d).sort()).toEqual(["file", "link"]);
    });

    test("statfs reports sizes", () => {
      const s = fs.statfsSync(c.fresh("statfs"));
      expect(s.bsize).toBeGreaterThan(0);
      expect(s.blocks).toBeGreaterThan(0);
      expect(s.bfree).toBeLessThanOrEqual(s.blocks);
      expect(s.bavail).toBeLessThanOrEqual(s.blocks);
      expect(s.files).toBeGreaterThan(0);
    });
  });
}
