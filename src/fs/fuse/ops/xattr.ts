// Opcode-table entries for extended attributes: SETXATTR, GETXATTR, LISTXATTR, REMOVEXATTR (size probes and ERANGE here).
import { utf8, type ReplyBuf } from "../codec.ts";
import { ERANGE, FuseError } from "../errno.ts";
import { fuse_getxattr_in, fuse_getxattr_out, fuse_setxattr_in, Opcode } from "../kernel.ts";
import { empty, op, type OpDef } from "./op.ts";

/** Size 0 asks how big the value is; otherwise the value must fit in `size` or the answer is ERANGE. */
export function sizedReply(w: ReplyBuf, value: Uint8Array, size: number): void {
  if (size === 0) {
    w.dv.setUint32(w.take(fuse_getxattr_out.size), value.byteLength, true);
  } else if (value.byteLength > size) {
    throw new FuseError(ERANGE);
  } else {
    w.tail = value;
  }
}

/** Names packed as the kernel wants them: each followed by NUL. */
export function packNames(names: string[]): Uint8Array {
  return utf8(names.map((n) => n + "\0").join(""));
}

export const xattrOps: OpDef[] = [
  op({
    opcode: Opcode.SETXATTR, name: "SETXATTR", method: "setxattr",
    decode: (r) => {
      const size = r.u32(fuse_setxattr_in.offsets.size), flags = r.u32(fuse_setxattr_in.offsets.flags);
      const name = r.skip(fuse_setxattr_in.size).cstr();
      return { name, flags, value: r.bytes(size).slice() };
    },
    call: (fs, c, a) => fs.setxattr(c, c.nodeid, a.name, a.value, a.flags),
    encode: empty,
  }),
  op({
    opcode: Opcode.GETXATTR, name: "GETXATTR", method: "getxattr", worker: true,
    decode: (r) => {
      const size = r.u32(fuse_getxattr_in.offsets.size);
      return { size, name: r.skip(fuse_getxattr_in.size).cstr() };
    },
    call: (fs, c, a) => fs.getxattr(c, c.nodeid, a.name),
    encode: (w, v: Uint8Array, a) => sizedReply(w, v, a.size),
  }),
  op({
    opcode: Opcode.LISTXATTR, name: "LISTXATTR", method: "listxattr", worker: true,
    decode: (r) => ({ size: r.u32(fuse_getxattr_in.offsets.size) }),
    call: (fs, c) => fs.listxattr(c, c.nodeid),
    encode: (w, names: string[], a) => sizedReply(w, packNames(names), a.size),
  }),
  op({
    opcode: Opcode.REMOVEXATTR, name: "REMOVEXATTR", method: "removexattr",
    decode: (r) => ({ name: r.cstr() }),
    call: (fs, c, a) => fs.removexattr(c, c.nodeid, a.name),
    encode: empty,
  }),
];
