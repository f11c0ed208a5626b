// The request -> reply server driven with hand-built bytes: decoding, errno mapping, reply layouts, the Worker path.
import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { decodeAttr } from "../../../src/fs/fuse/codec.ts";
import { EIO, ENOENT, ENOSYS, ERANGE, FuseError, FORWARD, Opcode, type Attr, type EntryOut } from "../../../src/fs/fuse/index.ts";
import { Server } from "../../../src/fs/fuse/server.ts";
import { Bytes, parseReply, request, type Reply } from "./bytes.ts";

setDefaultTimeout(120_000); // per file: bun test ignores bunfig's timeout (docs/testing.md)

const T = 5000;

const attr = (ino: number, mode = 0o100644): Attr => ({
  ino, size: 5_000_000_000, blocks: 9, atime: 1_700_000_000, mtime: 1_700_000_001, ctime: 1_700_000_002,
  atimensec: 1, mtimensec: 2, ctimensec: 999_999_999, mode, nlink: 1, uid: 1000, gid: 100, rdev: 0, blksize: 4096, flags: 0,
});
const entry = (nodeid: number, mode?: number): EntryOut => ({ nodeid, generation: 3, entryValid: 1.5, attrValid: 2, attr: attr(nodeid, mode) });

/** A Server over `fs` whose replies are collected as whole messages. */
function harness(fs: any, extra: Record<string, unknown> = {}) {
  const out: Uint8Array[] = [];
  const logs: string[] = [];
  const server = new Server(fs, {
    write(buf, len, tail) {
      const m = new Uint8Array(len + (tail?.byteLength ?? 0));
      m.set(buf.subarray(0, len));
      if (tail) m.set(tail, len);
      out.push(m);
    },
    log: (m) => logs.push(m),
    ...extra,
  });
  const call = async (msg: Uint8Array): Promise<Reply | undefined> => {
    const n = out.length;
    await server.handle(msg);
    return out.length > n ? parseReply(out[out.length - 1]!) : undefined;
  };
  return { server, out, logs, call };
}

describe("server", () => {
  test("LOOKUP decodes the name and encodes fuse_entry_out", async () => {
    let seen: unknown[] = [];
    const { call } = harness({ lookup: (c: any, p: number, n: string) => ((seen = [c.uid, c.gid, c.pid, p, n]), entry(42)) });
    const r = (await call(request(Opcode.LOOKUP, 1, new Bytes().str("héllo"), 99n)))!;
    expect(seen).toEqual([1000, 100, 4242, 1, "héllo"]);
    expect(r.error).toBe(0);
    expect(r.unique).toBe(99n);
    expect(r.len).toBe(16 + 128);
    expect(r.dv.getBigUint64(0, true)).toBe(42n); // nodeid
    expect(r.dv.getBigUint64(8, true)).toBe(3n); // generation
    expect(r.dv.getBigUint64(16, true)).toBe(1n); // entry_valid
    expect(r.dv.getBigUint64(24, true)).toBe(2n); // attr_valid
    expect(r.dv.getUint32(32, true)).toBe(500_000_000); // entry_valid_nsec
    expect(decodeAttr(r.dv, 40)).toEqual(attr(42));
  }, T);

  test("missing method and unknown opcode answer ENOSYS", async () => {
    const { call } = harness({});
    expect((await call(request(Opcode.LOOKUP, 1, new Bytes().str("x"))))!.error).toBe(-ENOSYS);
    expect((await call(request(Opcode.IOCTL, 1)))!.error).toBe(-ENOSYS);
    expect((await call(request(999, 1)))!.error).toBe(-ENOSYS);
  }, T);

  test("FuseError becomes its errno; other exceptions EIO, logged once", async () => {
    const { call, logs } = harness({
      getattr: () => {
        throw new FuseError(ENOENT);
      },
      readlink: () => {
        throw new Error("boom");
      },
      unlink: async () => {
        throw new Error("async boom");
      },
    });
    expect((await call(request(Opcode.GETATTR, 5, new Bytes().u32(0).u32(0).u64(0))))!.error).toBe(-ENOENT);
    expect((await call(request(Opcode.READLINK, 5)))!.error).toBe(-EIO);
    expect((await call(request(Opcode.READLINK, 5)))!.error).toBe(-EIO);
    expect((await call(request(Opcode.UNLINK, 1, new Bytes().str("f"))))!.error).toBe(-EIO);
    expect(logs.filter((l) => l.includes("boom")).length).toBe(2);
    expect(logs.filter((l) => l.includes("READLINK")).length).toBe(1);
  }, T);

  test("FORGET and BATCH_FORGET reply nothing", async () => {
    const got: number[][] = [];
    const { call, out } = harness({ forget: (id: number, n: number) => got.push([id, n]) });
    expect(await call(request(Opcode.FORGET, 9, new Bytes().u64(3)))).toBeUndefined();
    const batch = new Bytes().u32(2).u32(0).u64(10).u64(1).u64(2 ** 40).u64(7);
    expect(await call(request(Opcode.BATCH_FORGET, 0, batch))).toBeUndefined();
    expect(got).toEqual([[9, 3], [10, 1], [2 ** 40, 7]]);
    expect(out.length).toBe(0);
  }, T);

  test("GETATTR passes fh only with FUSE_GETATTR_FH; SETATTR decodes fuse_setattr_in", async () => {
    const fhs: unknown[] = [];
    let sa: any;
    const { call } = harness({
      getattr: (_c: any, id: number, fh: number | undefined) => (fhs.push(fh), { attrValid: 0.25, attr: attr(id) }),
      setattr: (_c: any, id: number, a: any) => ((sa = a), { attrValid: 1, attr: attr(id) }),
    });
    let r = (await call(request(Opcode.GETATTR, 5, new Bytes().u32(0).u32(0).u64(77))))!;
    expect(r.len).toBe(16 + 104);
    expect(r.dv.getBigUint64(0, true)).toBe(0n);
    expect(r.dv.getUint32(8, true)).toBe(250_000_000);
    expect(decodeAttr(r.dv, 16).ino).toBe(5);
    await call(request(Opcode.GETATTR, 5, new Bytes().u32(1).u32(0).u64(77)));
    expect(fhs).toEqual([undefined, 77]);
    const body = new Bytes().u32(0b1001).u32(0).u64(12).u64(4096).u64(0xabcdn).u64(1).u64(2).u64(3).u32(4).u32(5).u32(6).u32(0o644).u32(0).u32(7).u32(8).u32(0);
    expect(body.length).toBe(88);
    r = (await call(request(Opcode.SETATTR, 5, body)))!;
    expect(r.error).toBe(0);
    expect(sa).toEqual({ valid: 9, fh: 12, size: 4096, lockOwner: 0xabcdn, atime: 1, mtime: 2, ctime: 3, atimensec: 4, mtimensec: 5, ctimensec: 6, mode: 0o644, uid: 7, gid: 8 });
  }, T);

  test("WRITE passes the data view and answers fuse_write_out; READ sends data after the header", async () => {
    let wrote: unknown[] = [];
    const { call } = harness({
      write: (_c: any, id: number, fh: number, off: number, data: Uint8Array, fl: number) => ((wrote = [id, fh, off, [...data], fl]), data.byteLength),
      read: (_c: any, _id: number, _fh: number, off: number, size: number) => new Uint8Array(size + 10).fill(off & 0xff),
    });
    const w = new Bytes().u64(3).u64(2 ** 33).u32(4).u32(2).u64(0).u32(0).u32(0).raw(Uint8Array.of(1, 2, 3, 4));
    let r = (await call(request(Opcode.WRITE, 8, w)))!;
    expect(wrote).toEqual([8, 3, 2 ** 33, [1, 2, 3, 4], 2]);
    expect(r.len).toBe(24);
    expect(r.dv.getUint32(0, true)).toBe(4);
    r = (await call(request(Opcode.READ, 8, new Bytes().u64(3).u64(5).u32(100).u32(0).u64(0).u32(0).u32(0))))!;
    expect(r.len).toBe(116); // at most `size` bytes even if the fs returned more
    expect(r.body.byteLength).toBe(100);
    expect(r.body[99]).toBe(5);
  }, T);

  test("CREATE answers entry + open; SYMLINK, LINK, MKNOD, RENAME2 decode their names", async () => {
    const calls: unknown[][] = [];
    const rec = (name: string, ret: unknown) => (...a: any[]) => (calls.push([name, ...a.slice(1)]), ret);
    const { call } = harness({
      create: rec("create", { entry: entry(50), open: { fh: 2 ** 40, openFlags: 2 } }),
      symlink: rec("symlink", entry(51, 0o120777)),
      link: rec("link", entry(50)),
      mknod: rec("mknod", entry(52)),
      mkdir: rec("mkdir", entry(53, 0o40755)),
      rename: rec("rename", undefined),
    });
    const r = (await call(request(Opcode.CREATE, 1, new Bytes().u32(0o101).u32(0o100644).u32(0o22).u32(0).str("new"))))!;
    expect(r.len).toBe(16 + 128 + 16);
    expect(r.dv.getBigUint64(128, true)).toBe(2n ** 40n);
    expect(r.dv.getUint32(136, true)).toBe(2);
    await call(request(Opcode.SYMLINK, 1, new Bytes().str("ln").str("/target/x")));
    await call(request(Opcode.LINK, 3, new Bytes().u64(50).str("hard")));
    await call(request(Opcode.MKNOD, 1, new Bytes().u32(0o10644).u32(0x0102).u32(0o22).u32(0).str("fifo")));
    await call(request(Opcode.MKDIR, 1, new Bytes().u32(0o755).u32(0o22).str("d")));
    await call(request(Opcode.RENAME, 1, new Bytes().u64(4).str("a").str("b")));
    await call(request(Opcode.RENAME2, 1, new Bytes().u64(4).u32(2).u32(0).str("a").str("b")));
    expect(calls).toEqual([
      ["create", 1, "new", 0o100644, 0o101, 0o22],
      ["symlink", 1, "ln", "/target/x"],
      ["link", 50, 3, "hard"],
      ["mknod", 1, "fifo", 0o10644, 0x0102, 0o22],
      ["mkdir", 1, "d", 0o755, 0o22],
      ["rename", 1, "a", 4, "b", 0],
      ["rename", 1, "a", 4, "b", 2],
    ]);
  }, T);

  test("READDIR packs aligned fuse_dirent records and stops when full", async () => {
    const added: boolean[] = [];
    const { call } = harness({
      readdir: async (_c: any, _id: number, _fh: number, off: number, out: any) => {
        for (let i = off; i < 10; i++) {
          const ok = out.add(`name${i}`, 100 + i, 8, i + 1);
          added.push(ok);
          if (!ok) break;
        }
      },
    });
    // each record: 24 + 5 bytes name -> 32; a 80-byte buffer holds 2
    const r = (await call(request(Opcode.READDIR, 1, new Bytes().u64(0).u64(3).u32(80).u32(0).u64(0).u32(0).u32(0))))!;
    expect(added).toEqual([true, true, false]);
    expect(r.body.byteLength).toBe(64);
    expect(r.dv.getBigUint64(0, true)).toBe(103n); // ino
    expect(r.dv.getBigUint64(8, true)).toBe(4n); // cookie of the next entry
    expect(r.dv.getUint32(16, true)).toBe(5); // namelen
    expect(r.dv.getUint32(20, true)).toBe(8); // type
    expect(new TextDecoder().decode(r.body.subarray(24, 29))).toBe("name3");
    expect([...r.body.subarray(29, 32)]).toEqual([0, 0, 0]);
    expect(r.dv.getBigUint64(32, true)).toBe(104n);
  }, T);

  test("READDIRPLUS packs fuse_direntplus records", async () => {
    const { call } = harness({
      readdirplus: (_c: any, _id: number, _fh: number, _off: number, out: any) => {
        out.addPlus("f", entry(60), 1);
        out.addPlus("g", entry(61), 2);
      },
    });
    const r = (await call(request(Opcode.READDIRPLUS, 1, new Bytes().u64(0).u64(0).u32(4096).u32(0).u64(0).u32(0).u32(0))))!;
    expect(r.body.byteLength).toBe(2 * 160);
    expect(r.dv.getBigUint64(0, true)).toBe(60n); // entry_out.nodeid
    expect(r.dv.getBigUint64(128, true)).toBe(60n); // dirent.ino
    expect(r.dv.getBigUint64(136, true)).toBe(1n); // dirent.off
    expect(r.dv.getUint32(144, true)).toBe(1); // namelen
    expect(r.dv.getUint32(148, true)).toBe(8); // DT_REG
    expect(r.body[152]).toBe("f".charCodeAt(0));
    expect(r.dv.getBigUint64(160, true)).toBe(61n);
  }, T);

  test("GETXATTR / LISTXATTR: size probe, ERANGE, value", async () => {
    const { call } = harness({
      getxattr: () => Uint8Array.of(1, 2, 3),
      listxattr: () => ["user.a", "user.bb"],
    });
    const g = (size: number) => request(Opcode.GETXATTR, 2, new Bytes().u32(size).u32(0).str("user.a"));
    let r = (await call(g(0)))!;
    expect(r.len).toBe(24);
    expect(r.dv.getUint32(0, true)).toBe(3);
    expect((await call(g(2)))!.error).toBe(-ERANGE);
    r = (await call(g(3)))!;
    expect([...r.body]).toEqual([1, 2, 3]);
    const l = (size: number) => request(Opcode.LISTXATTR, 2, new Bytes().u32(size).u32(0));
    expect((await call(l(0)))!.dv.getUint32(0, true)).toBe(15);
    expect((await call(l(14)))!.error).toBe(-ERANGE);
    expect(new TextDecoder().decode((await call(l(100)))!.body)).toBe("user.a\0user.bb\0");
  }, T);

  test("STATFS, LSEEK, COPY_FILE_RANGE, FSYNC replies", async () => {
    let sync: unknown;
    const { call } = harness({
      statfs: () => ({ blocks: 10, bfree: 5, bavail: 4, files: 3, ffree: 2, bsize: 4096, namelen: 255, frsize: 512 }),
      lseek: (_c: any, _n: number, _fh: number, off: number, wh: number) => off + wh,
      copyFileRange: (...a: any[]) => a[7],
      fsync: (_c: any, _n: number, _fh: number, ds: boolean) => void (sync = ds),
    });
    let r = (await call(request(Opcode.STATFS, 1)))!;
    expect(r.len).toBe(96);
    expect(r.dv.getBigUint64(0, true)).toBe(10n);
    expect(r.dv.getUint32(40, true)).toBe(4096);
    expect(r.dv.getUint32(48, true)).toBe(512);
    r = (await call(request(Opcode.LSEEK, 4, new Bytes().u64(1).u64(2 ** 35).u32(3).u32(0))))!;
    expect(r.dv.getBigUint64(0, true)).toBe(2n ** 35n + 3n);
    r = (await call(request(Opcode.COPY_FILE_RANGE, 4, new Bytes().u64(1).u64(0).u64(5).u64(2).u64(0).u64(65536).u64(0))))!;
    expect(r.dv.getUint32(0, true)).toBe(65536);
    expect((await call(request(Opcode.FSYNC, 4, new Bytes().u64(1).u32(1).u32(0))))!.error).toBe(0);
    expect(sync).toBe(true);
  }, T);

  test("INIT negotiates version, flags, max_write and max_pages", async () => {
    let conn: any;
    const { call } = harness({ init: (c: any) => void (conn = c), readdirplus: () => {} }, {
      init: { maxWrite: 1 << 20, writebackCache: false, readdirplus: true },
    });
    const all = 0x7fffffff;
    const r = (await call(request(Opcode.INIT, 0, new Bytes().u32(7).u32(45).u32(131072).u32(all).u32(0).raw(new Uint8Array(44)), 2n)))!;
    expect(r.len).toBe(16 + 64);
    expect(r.dv.getUint32(0, true)).toBe(7);
    expect(r.dv.getUint32(4, true)).toBe(36); // min(kernel 45, ours 36)
    expect(r.dv.getUint32(8, true)).toBe(131072);
    const flags = r.dv.getUint32(12, true);
    for (const bit of [0, 3, 4, 5, 13, 14, 18, 22]) expect(flags & (1 << bit)).not.toBe(0);
    expect(flags & (1 << 16)).toBe(0); // no writeback cache unless asked
    expect(r.dv.getUint32(20, true)).toBe(1 << 20); // max_write
    expect(r.dv.getUint16(28, true)).toBe(256); // max_pages
    expect(conn.minor).toBe(36);
    expect(conn.maxWrite).toBe(1 << 20);
  }, T);

  test("INIT: old kernel protocol gets EPROTO; a newer major gets our major back", async () => {
    const { call } = harness({});
    expect((await call(request(Opcode.INIT, 0, new Bytes().u32(7).u32(26).u32(0).u32(0))))!.error).toBe(-71);
    const r = (await call(request(Opcode.INIT, 0, new Bytes().u32(8).u32(0).u32(0).u32(0))))!;
    expect(r.error).toBe(0);
    expect(r.dv.getUint32(0, true)).toBe(7);
  }, T);
});

describe("worker path (tryServe)", () => {
  test("answers what it can, forwards FORWARD and non-worker ops, reports lookups", () => {
    const out: Uint8Array[] = [];
    const noted: number[] = [];
    const s = new Server(
      {
        lookup: (_c: any, _p: number, name: string) => (name === "fwd" ? FORWARD : name === "neg" ? { ...entry(0), entryValid: 5 } : entry(70)),
        readdirplus: (_c: any, _n: number, _fh: number, _o: number, sink: any) => {
          sink.addPlus(".", entry(1, 0o40755), 1);
          sink.addPlus("x", entry(71), 2);
          sink.addPlus("y", entry(72), 3);
        },
        getattr: () => FORWARD,
        unlink: () => {},
      },
      { write: (b, len, t) => out.push(b.slice(0, len), ...(t ? [t] : [])), onLookup: (id) => noted.push(id), log: () => {} },
    );
    expect(s.tryServe(request(Opcode.LOOKUP, 1, new Bytes().str("a")))).toBe(true);
    expect(s.tryServe(request(Opcode.LOOKUP, 1, new Bytes().str("neg")))).toBe(true);
    expect(s.tryServe(request(Opcode.LOOKUP, 1, new Bytes().str("fwd")))).toBe(false);
    expect(s.tryServe(request(Opcode.GETATTR, 1, new Bytes().u32(0).u32(0).u64(0)))).toBe(false);
    expect(s.tryServe(request(Opcode.UNLINK, 1, new Bytes().str("a")))).toBe(false); // not a worker op
    expect(s.tryServe(request(Opcode.READDIRPLUS, 1, new Bytes().u64(0).u64(0).u32(4096).u32(0).u64(0).u32(0).u32(0)))).toBe(true);
    expect(noted).toEqual([70, 71, 72]); // negative entry and "." not counted
    const last = parseReply(out[out.length - 1]!);
    expect(last.len).toBe(16 + 3 * 160);
    expect(out.length).toBe(3);
  }, T);

  test("a READDIRPLUS that fills the buffer reports only the entries that fit", () => {
    const noted: number[] = [];
    const s = new Server(
      {
        readdirplus: (_c: any, _n: number, _fh: number, _o: number, sink: any) => {
          for (let i = 0; i < 10 && sink.addPlus(`e${i}`, entry(80 + i), i + 1); i++);
        },
      },
      { write: () => {}, onLookup: (id) => noted.push(id), log: () => {} },
    );
    expect(s.tryServe(request(Opcode.READDIRPLUS, 1, new Bytes().u64(0).u64(0).u32(400).u32(0).u64(0).u32(0).u32(0)))).toBe(true);
    expect(noted).toEqual([80, 81]);
  }, T);

  test("a handler returning a Promise is answered EIO", () => {
    const out: Uint8Array[] = [];
    const s = new Server({ getattr: async () => ({ attrValid: 1, attr: attr(1) }) }, { write: (b, len) => out.push(b.slice(0, len)), log: () => {} });
    expect(s.tryServe(request(Opcode.GETATTR, 1, new Bytes().u32(0).u32(0).u64(0)))).toBe(true);
    expect(parseReply(out[0]!).error).toBe(-EIO);
  }, T);
});

describe("NoteRing", () => {
  test("passes ids in order, refuses when full, survives counter wrap-around", async () => {
    const { NoteRing, NOTE_RING_SIZE } = await import("../../../src/fs/fuse/reader-protocol.ts");
    const bufs = NoteRing.create();
    const producer = new NoteRing(bufs.noteIndex, bufs.noteIds);
    const consumer = new NoteRing(bufs.noteIndex, bufs.noteIds);
    // start near the 32-bit wrap
    producer.index[0] = 2 ** 31 - 5;
    producer.index[1] = 2 ** 31 - 5;
    for (let i = 1; i <= NOTE_RING_SIZE; i++) expect(producer.push(i)).toBe(true);
    expect(producer.push(-1)).toBe(false);
    const got: number[] = [];
    consumer.drain((v) => got.push(v));
    expect(got.length).toBe(NOTE_RING_SIZE);
    expect(got[0]).toBe(1);
    expect(got[NOTE_RING_SIZE - 1]).toBe(NOTE_RING_SIZE);
    expect(producer.push(-7)).toBe(true);
    got.length = 0;
    consumer.drain((v) => got.push(v));
    expect(got).toEqual([-7]);
  }, T);
});
