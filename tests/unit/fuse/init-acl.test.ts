// INIT with posixAcl: FUSE_POSIX_ACL and FUSE_DONT_MASK are asked for only when the filesystem says it keeps ACLs itself.
import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { negotiate } from "../../../src/fs/fuse/init.ts";
import { InitFlag } from "../../../src/fs/fuse/kernel.ts";

setDefaultTimeout(120_000); // per file: bun test ignores bunfig's timeout (docs/testing.md)

const offer = { major: 7, minor: 45, maxReadahead: 131072, flags: BigInt(0x7fffffff) };
const has = (flags: bigint, bit: number) => (flags & BigInt(bit)) !== 0n;

describe("INIT: POSIX ACLs", () => {
  test("posixAcl asks for POSIX_ACL and DONT_MASK; without it, neither", () => {
    const on = negotiate(offer, { maxWrite: 1 << 20, writebackCache: false, readdirplus: true, posixAcl: true });
    expect(has(on.out.flags, InitFlag.POSIX_ACL)).toBe(true);
    expect(has(on.out.flags, InitFlag.DONT_MASK)).toBe(true);
    expect(has(on.conn.flags, InitFlag.POSIX_ACL)).toBe(true);
    expect(has(on.out.flags, InitFlag.EXPORT_SUPPORT)).toBe(true);
    const off = negotiate(offer, { maxWrite: 1 << 20, writebackCache: false, readdirplus: true });
    expect(has(off.out.flags, InitFlag.POSIX_ACL)).toBe(false);
    expect(has(off.out.flags, InitFlag.DONT_MASK)).toBe(false);
  });

  test("a kernel that does not offer POSIX_ACL does not get it", () => {
    const old = { ...offer, flags: BigInt(0x7fffffff & ~InitFlag.POSIX_ACL) };
    const r = negotiate(old, { maxWrite: 1 << 20, writebackCache: false, readdirplus: false, posixAcl: true });
    expect(has(r.out.flags, InitFlag.POSIX_ACL)).toBe(false);
  });
});
