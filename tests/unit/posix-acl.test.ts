// The ACL rules of src/fs/posix-acl.ts against the kernel's own (fs/posix_acl.c): equivalence, chmod, inheritance.
import { describe, expect, setDefaultTimeout, test } from "bun:test";
import {
  ACL_GROUP, ACL_GROUP_OBJ, ACL_MASK, ACL_OTHER, ACL_USER, ACL_USER_OBJ, applyAccessAcl, chmodAcl, decodeAcl, encodeAcl, inheritAcl,
} from "../../src/fs/posix-acl.ts";

setDefaultTimeout(120_000); // per file: bun test ignores bunfig's timeout (docs/testing.md)

const S_IFREG = 0o100000;
const S_IFDIR = 0o040000;
const base = (u: number, g: number, o: number) => [
  { tag: ACL_USER_OBJ, perm: u, id: 0xffffffff },
  { tag: ACL_GROUP_OBJ, perm: g, id: 0xffffffff },
  { tag: ACL_OTHER, perm: o, id: 0xffffffff },
];
const withUser = (u: number, named: number, g: number, mask: number, o: number) => [
  { tag: ACL_USER_OBJ, perm: u, id: 0xffffffff },
  { tag: ACL_USER, perm: named, id: 65534 },
  { tag: ACL_GROUP_OBJ, perm: g, id: 0xffffffff },
  { tag: ACL_MASK, perm: mask, id: 0xffffffff },
  { tag: ACL_OTHER, perm: o, id: 0xffffffff },
];

describe("POSIX ACL rules", () => {
  test("the xattr form round-trips; a wrong version or length is refused", () => {
    const v = encodeAcl(withUser(7, 4, 5, 5, 0));
    expect(v.byteLength).toBe(4 + 5 * 8);
    expect(decodeAcl(v)).toEqual(withUser(7, 4, 5, 5, 0));
    expect(decodeAcl(v.subarray(0, 11))).toBeNull();
    const bad = v.slice();
    bad[0] = 1;
    expect(decodeAcl(bad)).toBeNull();
  });

  test("an ACL equivalent to a mode sets the mode and is not kept; an extended one is kept with the mask as group bits", () => {
    expect(applyAccessAcl(encodeAcl(base(6, 4, 4)), S_IFREG | 0o600, true)).toEqual({ mode: S_IFREG | 0o644, store: null });
    const ext = encodeAcl(withUser(6, 4, 0, 4, 0));
    expect(applyAccessAcl(ext, S_IFREG | 0o600, true)).toEqual({ mode: S_IFREG | 0o640, store: ext });
    // set-group-ID survives only for a member of the file's group (or root)
    expect(applyAccessAcl(encodeAcl(base(7, 5, 5)), S_IFDIR | 0o2700, true)!.mode).toBe(S_IFDIR | 0o2755);
    expect(applyAccessAcl(encodeAcl(base(7, 5, 5)), S_IFDIR | 0o2700, false)!.mode).toBe(S_IFDIR | 0o755);
    expect(applyAccessAcl(new Uint8Array(3), S_IFREG, true)).toBeNull();
  });

  test("chmod rewrites owner, mask (not the owning group) and other; without a mask, the owning group", () => {
    expect(decodeAcl(chmodAcl(encodeAcl(withUser(6, 7, 5, 7, 4)), 0o750)!)).toEqual(withUser(7, 7, 5, 5, 0));
    expect(decodeAcl(chmodAcl(encodeAcl(base(6, 4, 4)), 0o701)!)).toEqual(base(7, 0, 1));
  });

  test("a new entry inherits the default ACL, which masks the mode instead of the umask", () => {
    const def = encodeAcl([
      { tag: ACL_USER_OBJ, perm: 7, id: 0xffffffff },
      { tag: ACL_USER, perm: 7, id: 65534 },
      { tag: ACL_GROUP_OBJ, perm: 5, id: 0xffffffff },
      { tag: ACL_GROUP, perm: 4, id: 65534 },
      { tag: ACL_MASK, perm: 7, id: 0xffffffff },
      { tag: ACL_OTHER, perm: 0, id: 0xffffffff },
    ]);
    const file = inheritAcl(def, S_IFREG | 0o666, 0o077, false);
    expect(file.mode).toBe(S_IFREG | 0o660);
    expect(decodeAcl(file.access!)!.map((e) => e.perm)).toEqual([6, 7, 5, 4, 6, 0]);
    expect(file.default).toBeNull();
    const dir = inheritAcl(def, S_IFDIR | 0o777, 0o077, true);
    expect(dir.mode).toBe(S_IFDIR | 0o770);
    expect(dir.default).toEqual(def);
    // no default ACL: the umask; a default ACL with only base entries: the mode only, no access ACL
    expect(inheritAcl(null, S_IFREG | 0o666, 0o022, false)).toEqual({ mode: S_IFREG | 0o644, access: null, default: null });
    expect(inheritAcl(encodeAcl(base(7, 5, 0)), S_IFREG | 0o666, 0o022, false)).toEqual({ mode: S_IFREG | 0o640, access: null, default: null });
    // symlinks take nothing from either
    expect(inheritAcl(def, 0o120777, 0o077, false, true)).toEqual({ mode: 0o120777, access: null, default: null });
  });
});
