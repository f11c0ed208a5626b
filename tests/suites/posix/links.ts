// POSIX suite, links and special files: hard links, symlinks (dangling too) and FIFOs.

import { describe, expect, test } from "bun:test";
import * as fs from "node:fs";
import { join } from "node:path";
import * as py from "../../support/pyops.ts";
import { expectCode, tick, type SuiteContext } from "./context.ts";

export function linkTests(c: SuiteContext): void {
  describe("links", () => {
    test("hard links share inode and data; unlinking one keeps the other", () => {
      const d = c.fresh("hardlink");
      const a = join(d, "a");
      const b = join(d, "b");
      fs.writeFileSync(a, "shared");
      const before = fs.statSync(a, { bigint: true });
      tick();
      fs.linkSync(a, b);
      const sa = fs.statSync(a, { bigint: true });
      const sb = fs.statSync(b, { bigint: true });
      expect(sa.ino).toBe(sb.ino);
      expect(sa.nlink).toBe(2n);
      expect(sa.ctimeNs).toBeGreaterThan(before.ctimeNs);
      fs.appendFileSync(b, " data");
      expect(fs.readFileSync(a, "utf8")).toBe("shared data");
      tick();
      fs.unlinkSync(a);
      const after = fs.statSync(b, { bigint: true });
      expect(after.nlink).toBe(1n);
      expect(after.ctimeNs).toBeGreaterThan(sa.ctimeNs);
      expect(fs.readFileSync(b, "utf8")).toBe("shared data");
      expectCode(() => fs.linkSync(b, b), "EEXIST");
      expectCode(() => fs.linkSync(d, join(d, "dirlink")), "EPERM");
      expectCode(() => fs.linkSync(join(d, "missing"), join(d, "x")), "ENOENT");
    });

    test("hard links across directories and many links to one inode", () => {
      const d = c.fresh("hardlink-many");
      fs.mkdirSync(join(d, "x"));
      fs.writeFileSync(join(d, "orig"), "1");
      for (let i = 0; i < 20; i++) fs.linkSync(join(d, "orig"), join(d, "x", `l${i}`));
      expect(fs.statSync(join(d, "orig")).nlink).toBe(21);
      fs.rmSync(join(d, "x"), { recursive: true });
      expect(fs.statSync(join(d, "orig")).nlink).toBe(1);
    });

    test("symlinks: readlink, lstat vs stat, dangling, through a directory link", () => {
      const d = c.fresh("symlink");
      fs.writeFileSync(join(d, "target"), "t");
      fs.symlinkSync("target", join(d, "link"));
      expect(fs.readlinkSync(join(d, "link"))).toBe("target");
      const l = fs.lstatSync(join(d, "link"));
      expect(l.isSymbolicLink()).toBe(true);
      expect(l.size).toBe("target".length);
      expect(fs.statSync(join(d, "link")).isFile()).toBe(true);
      expect(fs.readFileSync(join(d, "link"), "utf8")).toBe("t");

      fs.symlinkSync("nowhere/at/all", join(d, "dangling"));
      expect(fs.lstatSync(join(d, "dangling")).isSymbolicLink()).toBe(true);
      expectCode(() => fs.statSync(join(d, "dangling")), "ENOENT");
      expect(fs.readlinkSync(join(d, "dangling"))).toBe("nowhere/at/all");
      expectCode(() => fs.symlinkSync("x", join(d, "link")), "EEXIST");
      expectCode(() => fs.readlinkSync(join(d, "target")), "EINVAL");

      fs.mkdirSync(join(d, "realdir"));
      fs.writeFileSync(join(d, "realdir", "inside"), "i");
      fs.symlinkSync("realdir", join(d, "dirlink"));
      expect(fs.readdirSync(join(d, "dirlink"))).toEqual(["inside"]);
      const longTarget = "x/".repeat(1000) + "end";
      fs.symlinkSync(longTarget, join(d, "longlink"));
      expect(fs.readlinkSync(join(d, "longlink"))).toBe(longTarget);
      fs.unlinkSync(join(d, "link"));
      expect(fs.existsSync(join(d, "target"))).toBe(true);
    });

    test("mknod a FIFO", () => {
      const d = c.fresh("fifo");
      py.mkfifo(join(d, "pipe"), 0o640);
      const st = fs.lstatSync(join(d, "pipe"));
      expect(st.isFIFO()).toBe(true);
      expect(st.mode & 0o777).toBe(0o640 & ~process.umask());
      expect(fs.readdirSync(d, { withFileTypes: true })[0]!.isFIFO()).toBe(true);
      fs.unlinkSync(join(d, "pipe"));
      expect(fs.readdirSync(d)).toEqual([]);
    });
  });
}
