// Opcode-table entries for names: LOOKUP, FORGET, BATCH_FORGET, MKNOD, MKDIR, SYMLINK, LINK, UNLINK, RMDIR, RENAME(2).
import { encodeEntryOut } from "../codec.ts";
import {
  fuse_batch_forget_in, fuse_entry_out, fuse_forget_in, fuse_forget_one, fuse_link_in, fuse_mkdir_in, fuse_mknod_in,
  fuse_rename2_in, fuse_rename_in, Opcode,
} from "../kernel.ts";
import type { EntryOut } from "../raw-fs.ts";
import { empty, op, type OpDef } from "./op.ts";

const entryReply = (w: import("../codec.ts").ReplyBuf, e: EntryOut) => encodeEntryOut(w.dv, w.take(fuse_entry_out.size), e);

export const entryOps: OpDef[] = [
  op({
    opcode: Opcode.LOOKUP, name: "LOOKUP", method: "lookup", worker: true,
    decode: (r) => ({ name: r.cstr() }),
    call: (fs, c, a) => fs.lookup(c, c.nodeid, a.name),
    encode: entryReply,
  }),
  op({
    opcode: Opcode.FORGET, name: "FORGET", method: "forget", noReply: true,
    decode: (r) => ({ nlookup: r.u64(fuse_forget_in.offsets.nlookup) }),
    call: (fs, c, a) => fs.forget?.(c.nodeid, a.nlookup),
    encode: empty,
  }),
  op({
    opcode: Opcode.BATCH_FORGET, name: "BATCH_FORGET", method: "forget", noReply: true,
    decode: (r) => {
      const count = r.u32(fuse_batch_forget_in.offsets.count);
      r.skip(fuse_batch_forget_in.size);
      const items: [number, number][] = [];
      for (let i = 0; i < count && r.pos + fuse_forget_one.size <= r.end; i++, r.skip(fuse_forget_one.size)) {
        items.push([r.u64(fuse_forget_one.offsets.nodeid), r.u64(fuse_forget_one.offsets.nlookup)]);
      }
      return { items };
    },
    call: (fs, _c, a) => {
      for (const [id, n] of a.items) fs.forget?.(id, n);
    },
    encode: empty,
  }),
  op({
    opcode: Opcode.MKNOD, name: "MKNOD", method: "mknod",
    decode: (r) => {
      const mode = r.u32(fuse_mknod_in.offsets.mode), rdev = r.u32(fuse_mknod_in.offsets.rdev), umask = r.u32(fuse_mknod_in.offsets.umask);
      return { mode, rdev, umask, name: r.skip(fuse_mknod_in.size).cstr() };
    },
    call: (fs, c, a) => fs.mknod(c, c.nodeid, a.name, a.mode, a.rdev, a.umask),
    encode: entryReply,
  }),
  op({
    opcode: Opcode.MKDIR, name: "MKDIR", method: "mkdir",
    decode: (r) => {
      const mode = r.u32(fuse_mkdir_in.offsets.mode), umask = r.u32(fuse_mkdir_in.offsets.umask);
      return { mode, umask, name: r.skip(fuse_mkdir_in.size).cstr() };
    },
    call: (fs, c, a) => fs.mkdir(c, c.nodeid, a.name, a.mode, a.umask),
    encode: entryReply,
  }),
  op({
    opcode: Opcode.SYMLINK, name: "SYMLINK", method: "symlink",
    decode: (r) => ({ name: r.cstr(), target: r.cstr() }),
    call: (fs, c, a) => fs.symlink(c, c.nodeid, a.name, a.target),
    encode: entryReply,
  }),
  op({
    opcode: Opcode.LINK, name: "LINK", method: "link",
    decode: (r) => {
      const oldnodeid = r.u64(fuse_link_in.offsets.oldnodeid);
      return { oldnodeid, name: r.skip(fuse_link_in.size).cstr() };
    },
    call: (fs, c, a) => fs.link(c, a.oldnodeid, c.nodeid, a.name),
    encode: entryReply,
  }),
  op({
    opcode: Opcode.UNLINK, name: "UNLINK", method: "unlink",
    decode: (r) => ({ name: r.cstr() }),
    call: (fs, c, a) => fs.unlink(c, c.nodeid, a.name),
    encode: empty,
  }),
  op({
    opcode: Opcode.RMDIR, name: "RMDIR", method: "rmdir",
    decode: (r) => ({ name: r.cstr() }),
    call: (fs, c, a) => fs.rmdir(c, c.nodeid, a.name),
    encode: empty,
  }),
  op({
    opcode: Opcode.RENAME, name: "RENAME", method: "rename",
    decode: (r) => {
      const newdir = r.u64(fuse_rename_in.offsets.newdir);
      r.skip(fuse_rename_in.size);
      return { newdir, flags: 0, name: r.cstr(), newname: r.cstr() };
    },
    call: (fs, c, a) => fs.rename(c, c.nodeid, a.name, a.newdir, a.newname, a.flags),
    encode: empty,
  }),
  op({
    opcode: Opcode.RENAME2, name: "RENAME2", method: "rename",
    decode: (r) => {
      const newdir = r.u64(fuse_rename2_in.offsets.newdir), flags = r.u32(fuse_rename2_in.offsets.flags);
      r.skip(fuse_rename2_in.size);
      return { newdir, flags, name: r.cstr(), newname: r.cstr() };
    },
    call: (fs, c, a) => fs.rename(c, c.nodeid, a.name, a.newdir, a.newname, a.flags),
    encode: empty,
  }),
];
