// Opcode-table entries for directories: OPENDIR, READDIR, READDIRPLUS, RELEASEDIR, FSYNCDIR.
import type { DirentBuffer } from "../codec.ts";
import { fuse_open_in, fuse_read_in, fuse_release_in, Opcode } from "../kernel.ts";
import { FORWARD } from "../forward.ts";
import { empty, op, type OpDef } from "./op.ts";
import { encodeOpenOut, fsyncIn } from "./file.ts";

const readIn = (r: import("../codec.ts").Req) => ({
  fh: r.u64(fuse_read_in.offsets.fh), offset: r.u64(fuse_read_in.offsets.offset), size: r.u32(fuse_read_in.offsets.size),
});

/** The packed entries become the payload; a Worker's packer already wrote them in place. */
function direntReply(w: import("../codec.ts").ReplyBuf, d: DirentBuffer): void {
  if (d.u8 === w.u8) w.len += d.length;
  else w.tail = d.u8.subarray(d.base, d.pos);
}

/** READDIR and READDIRPLUS: the method fills a packer of the requested size; a Worker's may FORWARD instead. */
function listing(opcode: number, name: string, method: "readdir" | "readdirplus"): OpDef {
  return op({
    opcode, name, method, worker: true,
    decode: readIn,
    call: (fs, c, a, env) => {
      const d = env.dirents(a.size);
      const p = fs[method](c, c.nodeid, a.fh, a.offset, d);
      return p === FORWARD ? p : p instanceof Promise ? p.then(() => d) : d;
    },
    encode: direntReply,
  });
}

export const dirOps: OpDef[] = [
  op({
    opcode: Opcode.OPENDIR, name: "OPENDIR", method: "opendir", worker: true,
    decode: (r) => ({ flags: r.u32(fuse_open_in.offsets.flags) }),
    call: (fs, c, a) => fs.opendir(c, c.nodeid, a.flags),
    encode: encodeOpenOut,
  }),
  listing(Opcode.READDIR, "READDIR", "readdir"),
  listing(Opcode.READDIRPLUS, "READDIRPLUS", "readdirplus"),
  op({
    opcode: Opcode.RELEASEDIR, name: "RELEASEDIR", method: "releasedir", worker: true,
    decode: (r) => ({ fh: r.u64(fuse_release_in.offsets.fh) }),
    call: (fs, c, a) => fs.releasedir(c, c.nodeid, a.fh),
    encode: empty,
  }),
  op({
    opcode: Opcode.FSYNCDIR, name: "FSYNCDIR", method: "fsyncdir",
    decode: fsyncIn,
    call: (fs, c, a) => fs.fsyncdir(c, c.nodeid, a.fh, a.datasync),
    encode: empty,
  }),
];
