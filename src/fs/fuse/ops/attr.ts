// Opcode-table entries for attributes: GETATTR, SETATTR, READLINK, ACCESS, STATFS.
import { encodeAttrOut, setU64, utf8, type ReplyBuf } from "../codec.ts";
import { FUSE_GETATTR_FH, fuse_access_in, fuse_attr_out, fuse_getattr_in, fuse_kstatfs, fuse_setattr_in, Opcode } from "../kernel.ts";
import type { AttrOut, SetattrIn, StatfsOut } from "../raw-fs.ts";
import { empty, nothing, op, type OpDef } from "./op.ts";

const attrReply = (w: ReplyBuf, r: AttrOut) => encodeAttrOut(w.dv, w.take(fuse_attr_out.size), r.attrValid, r.attr);

export function decodeSetattrIn(r: import("../codec.ts").Req): SetattrIn {
  const o = fuse_setattr_in.offsets;
  return {
    valid: r.u32(o.valid), fh: r.u64(o.fh), size: r.u64(o.size), lockOwner: r.big64(o.lock_owner),
    atime: r.i64(o.atime), mtime: r.i64(o.mtime), ctime: r.i64(o.ctime), atimensec: r.u32(o.atimensec),
    mtimensec: r.u32(o.mtimensec), ctimensec: r.u32(o.ctimensec), mode: r.u32(o.mode), uid: r.u32(o.uid), gid: r.u32(o.gid),
  };
}

export function encodeStatfs(w: ReplyBuf, s: StatfsOut): void {
  const off = w.take(fuse_kstatfs.size);
  const o = fuse_kstatfs.offsets;
  setU64(w.dv, off + o.blocks, s.blocks);
  setU64(w.dv, off + o.bfree, s.bfree);
  setU64(w.dv, off + o.bavail, s.bavail);
  setU64(w.dv, off + o.files, s.files);
  setU64(w.dv, off + o.ffree, s.ffree);
  w.dv.setUint32(off + o.bsize, s.bsize, true);
  w.dv.setUint32(off + o.namelen, s.namelen, true);
  w.dv.setUint32(off + o.frsize, s.frsize, true);
}

export const attrOps: OpDef[] = [
  op({
    opcode: Opcode.GETATTR, name: "GETATTR", method: "getattr", worker: true,
    decode: (r) => {
      const flags = r.end - r.pos >= fuse_getattr_in.size ? r.u32(fuse_getattr_in.offsets.getattr_flags) : 0;
      return { fh: flags & FUSE_GETATTR_FH ? r.u64(fuse_getattr_in.offsets.fh) : undefined };
    },
    call: (fs, c, a) => fs.getattr(c, c.nodeid, a.fh),
    encode: attrReply,
  }),
  op({
    opcode: Opcode.SETATTR, name: "SETATTR", method: "setattr",
    decode: decodeSetattrIn,
    call: (fs, c, a) => fs.setattr(c, c.nodeid, a),
    encode: attrReply,
  }),
  op({
    opcode: Opcode.READLINK, name: "READLINK", method: "readlink", worker: true,
    decode: nothing,
    call: (fs, c) => fs.readlink(c, c.nodeid),
    encode: (w, r: string | Uint8Array) => {
      w.tail = typeof r === "string" ? utf8(r) : r;
    },
  }),
  op({
    opcode: Opcode.ACCESS, name: "ACCESS", method: "access", worker: true,
    decode: (r) => ({ mask: r.u32(fuse_access_in.offsets.mask) }),
    call: (fs, c, a) => fs.access(c, c.nodeid, a.mask),
    encode: empty,
  }),
  op({
    opcode: Opcode.STATFS, name: "STATFS", method: "statfs", worker: true,
    decode: nothing,
    call: (fs, c) => fs.statfs(c, c.nodeid),
    encode: encodeStatfs,
  }),
];
