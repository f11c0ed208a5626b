// The opcode table is typed: a misspelt method name, in `method` or inside `call`, fails tsc (CI runs it).
//
// The `@ts-expect-error` lines are the test: if one stops being an error, tsc reports the unused directive.
import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { OPS } from "../../../src/fs/fuse/opcodes.ts";
import { empty, nothing, op } from "../../../src/fs/fuse/ops/op.ts";

setDefaultTimeout(30_000); // per file: bun test ignores bunfig's timeout (docs/testing.md)

describe("opcode table types", () => {
  test("a misspelt method does not compile, a right one does", () => {
    const good = op({ opcode: 0, name: "X", method: "getattr", decode: nothing, call: (fs, c) => fs.getattr(c, c.nodeid, undefined), encode: empty });
    // @ts-expect-error "getatr" is not a RawFileSystem method
    op({ opcode: 0, name: "X", method: "getatr", decode: nothing, call: () => {}, encode: empty });
    // @ts-expect-error `call` may only use the method the op names (getattr), not a misspelling of it
    op({ opcode: 0, name: "X", method: "getattr", decode: nothing, call: (fs, c) => fs.getatr(c, c.nodeid), encode: empty });
    // @ts-expect-error nor another method than the one the server checked is present
    op({ opcode: 0, name: "X", method: "getattr", decode: nothing, call: (fs, c) => fs.readlink(c, c.nodeid), encode: empty });
    expect(good.method).toBe("getattr");
  });

  test("every table entry names a method its call uses (checked at run time too)", () => {
    const called: string[] = [];
    for (const d of OPS) {
      if (!d || d.name === "INIT") continue;
      const seen: string[] = [];
      const fs = new Proxy({}, { get: (_t, k) => (seen.push(String(k)), () => undefined) });
      const env = { dirents: () => ({}) as never };
      try {
        d.call(fs as never, { nodeid: 1, uid: 0, gid: 0, pid: 0 } as never, new Proxy({}, { get: () => (k: unknown) => k }) as never, env);
      } catch {}
      if (seen.length) expect(seen).toContain(d.method);
      called.push(d.name);
    }
    expect(called.length).toBeGreaterThan(30);
  });
});
