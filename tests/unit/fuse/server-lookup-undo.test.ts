// Main-thread replies that fail undo the lookup count the filesystem took, as the reader Worker path does.
import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { Opcode, type Attr, type EntryOut } from "../../../src/fs/fuse/index.ts";
import { Server } from "../../../src/fs/fuse/server.ts";
import { Bytes, request } from "./bytes.ts";

setDefaultTimeout(120_000); // per file: bun test ignores bunfig's timeout (docs/testing.md)

const T = 5000;
const attr = (ino: number, mode = 0o100644): Attr => ({
  ino, size: 1, blocks: 1, atime: 1, mtime: 1, ctime: 1, atimensec: 0, mtimensec: 0, ctimensec: 0,
  mode, nlink: 1, uid: 0, gid: 0, rdev: 0, blksize: 4096, flags: 0,
});
const entry = (nodeid: number): EntryOut => ({ nodeid, generation: 1, entryValid: 1, attrValid: 1, attr: attr(nodeid) });

/** A filesystem that counts lookups like the vfs does (one per entry returned) and hears forgets. */
function countingFs() {
  const counts = new Map<number, number>();
  const take = (id: number) => counts.set(id, (counts.get(id) ?? 0) + 1);
  const fs = {
    counts,
    lookup: (_c: unknown, _p: number, name: string) => (name === "neg" ? entry(0) : (take(50), entry(50))),
    mkdir: async () => (take(51), entry(51)),
    create: () => (take(52), { entry: entry(52), open: { fh: 1, openFlags: 0 } }),
    readdirplus: (_c: unknown, _n: number, _fh: number, _o: number, sink: { addPlus(n: string, e: EntryOut, off: number): boolean }) => {
      for (const [i, id] of [60, 61].entries()) if (sink.addPlus(`e${id}`, entry(id), i + 1)) take(id);
    },
    forget: (id: number, n: number) => counts.set(id, (counts.get(id) ?? 0) - n),
  };
  return fs;
}

/** The kernel gave up on the request (interrupted): writing its reply fails with ENOENT. */
const interrupted = () => {
  throw Object.assign(new Error("write ENOENT"), { code: "ENOENT" });
};

describe("a failed main-thread reply gives back the lookup it counted", () => {
  test("LOOKUP, MKDIR (async), CREATE and READDIRPLUS", async () => {
    const fs = countingFs();
    const s = new Server(fs, { write: interrupted, log: () => {} });
    await s.handle(request(Opcode.LOOKUP, 1, new Bytes().str("a")));
    await s.handle(request(Opcode.LOOKUP, 1, new Bytes().str("neg")));
    await s.handle(request(Opcode.MKDIR, 1, new Bytes().u32(0o755).u32(0).str("d")));
    await s.handle(request(Opcode.CREATE, 1, new Bytes().u32(0).u32(0o644).u32(0).u32(0).str("f")));
    await s.handle(request(Opcode.READDIRPLUS, 1, new Bytes().u64(0).u64(0).u32(4096).u32(0).u64(0).u32(0).u32(0)));
    expect([...fs.counts].filter(([, n]) => n !== 0)).toEqual([]);
    expect([...fs.counts.keys()].sort()).toEqual([50, 51, 52, 60, 61]);
  }, T);

  test("a reply that reaches the kernel keeps its count (control)", async () => {
    const fs = countingFs();
    const s = new Server(fs, { write: () => {}, log: () => {} });
    await s.handle(request(Opcode.LOOKUP, 1, new Bytes().str("a")));
    await s.handle(request(Opcode.READDIRPLUS, 1, new Bytes().u64(0).u64(0).u32(4096).u32(0).u64(0).u32(0).u32(0)));
    expect(Object.fromEntries(fs.counts)).toEqual({ 50: 1, 60: 1, 61: 1 });
  }, T);
});
