// POSIX suite, attributes: chmod/chown/utimens with nanoseconds and ctime, xattrs, and permission checks as non-root.

import { describe, expect, test } from "bun:test";
import * as fs from "node:fs";
import { join } from "node:path";
import * as py from "../../support/pyops.ts";
import { codeOf, tick, type SuiteContext } from "./context.ts";

const NOBODY = { uid: 65534, gid: 65534 };

/**
 * A fresh directory for a permission check, which switches to uid 65534 and so needs root: not being root
 * fails it (a skip would hide a regression). null when the caller turned these checks off.
 */
function permissionDir(c: SuiteContext, label: string): string | null {
  if (c.opts.nonRootAccess === false) {
    c.skip("non-root access", "disabled for this filesystem");
    return null;
  }
  expect(process.getuid?.(), "the POSIX suite must run as root: its permission checks act as uid 65534").toBe(0);
  return c.fresh(label);
}

export function attrTests(c: SuiteContext): void {
  describe("attributes", () => {
    test("chmod and chown change the mode and owner, and the ctime", () => {
      const p = join(c.fresh("chmod"), "f");
      fs.writeFileSync(p, "x");
      const s0 = fs.statSync(p, { bigint: true });
      tick();
      fs.chmodSync(p, 0o640);
      const s1 = fs.statSync(p, { bigint: true });
      expect(Number(s1.mode) & 0o7777).toBe(0o640);
      expect(s1.ctimeNs).toBeGreaterThan(s0.ctimeNs);
      expect(s1.mtimeNs).toBe(s0.mtimeNs);
      tick();
      fs.chownSync(p, 1234, 5678);
      const s2 = fs.statSync(p, { bigint: true });
      expect([Number(s2.uid), Number(s2.gid)]).toEqual([1234, 5678]);
      expect(s2.ctimeNs).toBeGreaterThan(s1.ctimeNs);
      fs.chmodSync(p, 0o1777);
      expect(fs.statSync(p).mode & 0o7777).toBe(0o1777);
    });

    test("chown clears set-user-ID and set-group-ID (when group-executable)", () => {
      const d = c.fresh("chown-suid");
      const p = join(d, "f");
      fs.writeFileSync(p, "x");
      fs.chmodSync(p, 0o6755);
      fs.chownSync(p, 1000, 1000);
      expect(fs.statSync(p).mode & 0o7777).toBe(0o755);
      // Set-group-ID without group execute means mandatory locking, and survives chown.
      fs.chmodSync(p, 0o2745);
      fs.chownSync(p, 1001, 1001);
      expect(fs.statSync(p).mode & 0o7777).toBe(0o2745);
    });

    test("utimens: exact nanoseconds, UTIME_NOW and UTIME_OMIT, and ctime moves", () => {
      const p = join(c.fresh("utimens"), "f");
      fs.writeFileSync(p, "x");
      const atime: [number, number] = [1_000_000_000, 123_456_789];
      const mtime: [number, number] = [1_500_000_000, 987_654_321];
      const before = fs.statSync(p, { bigint: true });
      tick();
      py.utimensat(p, atime, mtime);
      const s = fs.statSync(p, { bigint: true });
      expect(s.atimeNs).toBe(1_000_000_000_123_456_789n);
      expect(s.mtimeNs).toBe(1_500_000_000_987_654_321n);
      expect(s.ctimeNs).toBeGreaterThan(before.ctimeNs);
      // Only atime to "now"; mtime left alone.
      const wall = BigInt(Date.now()) * 1_000_000n;
      py.utimensat(p, [0, py.UTIME_NOW], [0, py.UTIME_OMIT]);
      const s2 = fs.statSync(p, { bigint: true });
      expect(s2.mtimeNs).toBe(1_500_000_000_987_654_321n);
      expect(s2.atimeNs).toBeGreaterThan(wall - 5_000_000_000n);
      expect(s2.atimeNs).toBeLessThan(wall + 5_000_000_000n);
      // A symlink's own times (AT_SYMLINK_NOFOLLOW), the target's untouched.
      fs.symlinkSync("f", p + ".lnk");
      py.utimensat(p + ".lnk", [10, 0], [20, 0], false);
      expect(fs.lstatSync(p + ".lnk").mtimeMs).toBe(20_000);
      expect(fs.statSync(p, { bigint: true }).mtimeNs).toBe(1_500_000_000_987_654_321n);
    });

    test("utimens: timestamps before 1970 round-trip", () => {
      const p = join(c.fresh("utimens-negative"), "f");
      fs.writeFileSync(p, "x");
      py.utimensat(p, [-1000, 5], [-2, 999_999_999]);
      const s = fs.statSync(p, { bigint: true });
      expect(s.mtimeNs).toBe(-2n * 1_000_000_000n + 999_999_999n);
      expect(s.atimeNs).toBe(-1000n * 1_000_000_000n + 5n);
    });

    test("writing changes mtime and ctime", () => {
      const p = join(c.fresh("write-times"), "f");
      fs.writeFileSync(p, "x");
      const s0 = fs.statSync(p, { bigint: true });
      tick();
      fs.appendFileSync(p, "y");
      const s1 = fs.statSync(p, { bigint: true });
      expect(s1.mtimeNs).toBeGreaterThan(s0.mtimeNs);
      expect(s1.ctimeNs).toBeGreaterThan(s0.ctimeNs);
    });

    test("xattrs: set, get, list, remove; XATTR_CREATE / XATTR_REPLACE errors", () => {
      const d = c.fresh("xattr");
      const p = join(d, "f");
      fs.writeFileSync(p, "x");
      try {
        py.setxattr(p, "user.probe", "1");
      } catch (e) {
        if (c.opts.control && (e as py.PyOsError).code === "EOPNOTSUPP") return c.skip("user xattrs", "not supported here");
        throw e;
      }
      py.setxattr(p, "user.greeting", "hello");
      expect(py.getxattr(p, "user.greeting").toString()).toBe("hello");
      py.setxattr(p, "user.empty", "");
      expect(py.getxattr(p, "user.empty").length).toBe(0);
      expect(py.listxattr(p).sort()).toEqual(["user.empty", "user.greeting", "user.probe"]);
      expect(codeOf(() => py.setxattr(p, "user.greeting", "again", py.XATTR_CREATE))).toBe("EEXIST");
      expect(codeOf(() => py.setxattr(p, "user.absent", "v", py.XATTR_REPLACE))).toBe("ENODATA");
      py.setxattr(p, "user.greeting", "replaced", py.XATTR_REPLACE);
      expect(py.getxattr(p, "user.greeting").toString()).toBe("replaced");
      py.removexattr(p, "user.greeting");
      expect(codeOf(() => py.getxattr(p, "user.greeting"))).toBe("ENODATA");
      expect(codeOf(() => py.removexattr(p, "user.greeting"))).toBe("ENODATA");
      py.setxattr(d, "user.on-dir", "d");
      expect(py.listxattr(d)).toContain("user.on-dir");
      // Many names: the listing's size probe and packing must hold them all.
      const many = Array.from({ length: 40 }, (_, i) => `user.n${i}-${"x".repeat(i % 7)}`);
      for (const n of many) py.setxattr(d, n, "v");
      expect(py.listxattr(d).sort()).toEqual(["user.on-dir", ...many].sort());
      // Root may use the trusted namespace.
      py.setxattr(p, "trusted.coffer", "t");
      expect(py.getxattr(p, "trusted.coffer").toString()).toBe("t");
    }, 300_000); // 39 s on the control under stress: 40 setxattr calls, each a python child

    test("xattrs: a 64 KiB value round-trips, binary intact", () => {
      const p = join(c.fresh("xattr-big"), "f");
      fs.writeFileSync(p, "x");
      const value = new Uint8Array(64 * 1024).map((_, i) => (i * 7 + 3) & 0xff);
      try {
        py.setxattr(p, "user.big", value);
      } catch (e) {
        const code = (e as py.PyOsError).code;
        if (c.opts.control && ["ENOSPC", "E2BIG", "EOPNOTSUPP"].includes(code)) {
          return c.skip("64 KiB xattr value", `${code}: this filesystem limits values (ext4 without ea_inode: one block)`);
        }
        throw e;
      }
      expect(Buffer.from(py.getxattr(p, "user.big")).equals(Buffer.from(value))).toBe(true);
    });

    test("permissions: uid 65534 may read but not write a 0644 root file, nor create in a 0755 root dir", () => {
      const d = permissionDir(c, "perm");
      if (!d) return;
      fs.chmodSync(d, 0o755);
      const p = join(d, "f");
      fs.writeFileSync(p, "root data");
      fs.chmodSync(p, 0o644);
      const O_RDONLY = 0, O_WRONLY = 1, O_CREAT = 0o100;
      // Reading works: so a refusal below comes from the mode bits, not from the mount refusing other users.
      expect(py.openAs(p, O_RDONLY, { read: 100, runAs: NOBODY }).toString()).toBe("root data");
      expect(codeOf(() => py.openAs(p, O_WRONLY, { write: "x", runAs: NOBODY }))).toBe("EACCES");
      expect(codeOf(() => py.openAs(join(d, "new"), O_WRONLY | O_CREAT, { runAs: NOBODY }))).toBe("EACCES");
      const shared = join(d, "shared");
      fs.writeFileSync(shared, "");
      fs.chmodSync(shared, 0o666);
      py.openAs(shared, O_WRONLY, { write: "nobody was here", runAs: NOBODY });
      expect(fs.readFileSync(shared, "utf8")).toBe("nobody was here");
      fs.chmodSync(p, 0o600);
      expect(codeOf(() => py.openAs(p, O_RDONLY, { read: 1, runAs: NOBODY }))).toBe("EACCES");
      // A directory without search permission hides its contents.
      fs.mkdirSync(join(d, "closed"), { mode: 0o700 });
      fs.writeFileSync(join(d, "closed", "f"), "x");
      fs.chmodSync(join(d, "closed", "f"), 0o644);
      expect(codeOf(() => py.openAs(join(d, "closed", "f"), O_RDONLY, { read: 1, runAs: NOBODY }))).toBe("EACCES");
      expect(fs.readFileSync(join(d, "closed", "f"), "utf8")).toBe("x"); // root is not refused
    });

    test("permissions: only the owner may chmod; a sticky directory keeps others from deleting", () => {
      const d = permissionDir(c, "sticky");
      if (!d) return;
      fs.chmodSync(d, 0o1777);
      const rootFile = join(d, "root-file");
      fs.writeFileSync(rootFile, "r");
      expect(codeOf(() => py.chmodAs(rootFile, 0o666, NOBODY))).toBe("EPERM");
      expect(codeOf(() => py.unlinkAs(rootFile, NOBODY))).toBe("EPERM");
      const own = join(d, "nobody-file");
      py.openAs(own, 0o101 /* O_WRONLY | O_CREAT */, { mode: 0o600, runAs: NOBODY });
      expect(fs.statSync(own).uid).toBe(NOBODY.uid);
      py.chmodAs(own, 0o640, NOBODY);
      expect(fs.statSync(own).mode & 0o777).toBe(0o640);
      py.unlinkAs(own, NOBODY);
      expect(fs.readdirSync(d)).toEqual(["root-file"]);
    });
  });
}
