// Opcode-table entries for open files: OPEN, CREATE, READ, WRITE, FLUSH, RELEASE, FSYNC, FALLOCATE, LSEEK, COPY_FILE_RANGE.
import { encodeEntryOut, setU64, type ReplyBuf, type Req } from "../codec.ts";
import {
  FUSE_FSYNC_FDATASYNC, fuse_copy_file_range_in, fuse_create_in, fuse_entry_out, fuse_fallocate_in, fuse_flush_in,
  fuse_fsync_in, fuse_lseek_in, fuse_lseek_out, fuse_open_in, fuse_open_out, fuse_read_in, fuse_release_in,
  fuse_write_in, fuse_write_out, Opcode,
} from "../kernel.ts";
import type { EntryOut, OpenOut } from "../raw-fs.ts";
import { empty, op, type OpDef } from "./op.ts";

export function encodeOpenOut(w: ReplyBuf, o: OpenOut): void {
  const off = w.take(fuse_open_out.size);
  setU64(w.dv, off + fuse_open_out.offsets.fh, o.fh);
  w.dv.setUint32(off + fuse_open_out.offsets.open_flags, o.openFlags, true);
}

const u32Reply = (w: ReplyBuf, n: number) => w.dv.setUint32(w.take(fuse_write_out.size), n, true);

/** FSYNC and FSYNCDIR bodies: the handle and whether only the data must reach stable storage. */
export const fsyncIn = (r: Req) => ({
  fh: r.u64(fuse_fsync_in.offsets.fh), datasync: (r.u32(fuse_fsync_in.offsets.fsync_flags) & FUSE_FSYNC_FDATASYNC) !== 0,
});

export const fileOps: OpDef[] = [
  op({
    opcode: Opcode.OPEN, name: "OPEN", method: "open",
    decode: (r) => ({ flags: r.u32(fuse_open_in.offsets.flags) }),
    call: (fs, c, a) => fs.open(c, c.nodeid, a.flags),
    encode: encodeOpenOut,
  }),
  op({
    opcode: Opcode.CREATE, name: "CREATE", method: "create",
    decode: (r) => {
      const o = fuse_create_in.offsets;
      const flags = r.u32(o.flags), mode = r.u32(o.mode), umask = r.u32(o.umask);
      return { flags, mode, umask, name: r.skip(fuse_create_in.size).cstr() };
    },
    call: (fs, c, a) => fs.create(c, c.nodeid, a.name, a.mode, a.flags, a.umask),
    encode: (w, r: { entry: EntryOut; open: OpenOut }) => {
      encodeEntryOut(w.dv, w.take(fuse_entry_out.size), r.entry);
      encodeOpenOut(w, r.open);
    },
  }),
  op({
    opcode: Opcode.READ, name: "READ", method: "read", worker: true,
    decode: (r) => ({ fh: r.u64(fuse_read_in.offsets.fh), offset: r.u64(fuse_read_in.offsets.offset), size: r.u32(fuse_read_in.offsets.size) }),
    call: (fs, c, a) => fs.read(c, c.nodeid, a.fh, a.offset, a.size),
    encode: (w, data: Uint8Array, a) => {
      w.tail = data.byteLength > a.size ? data.subarray(0, a.size) : data;
    },
  }),
  op({
    opcode: Opcode.WRITE, name: "WRITE", method: "write",
    decode: (r) => {
      const o = fuse_write_in.offsets;
      const fh = r.u64(o.fh), offset = r.u64(o.offset), size = r.u32(o.size), writeFlags = r.u32(o.write_flags);
      return { fh, offset, writeFlags, data: r.skip(fuse_write_in.size).bytes(size) };
    },
    call: (fs, c, a) => fs.write(c, c.nodeid, a.fh, a.offset, a.data, a.writeFlags),
    encode: u32Reply,
  }),
  op({
    opcode: Opcode.FLUSH, name: "FLUSH", method: "flush",
    decode: (r) => ({ fh: r.u64(fuse_flush_in.offsets.fh), lockOwner: r.big64(fuse_flush_in.offsets.lock_owner) }),
    call: (fs, c, a) => fs.flush(c, c.nodeid, a.fh, a.lockOwner),
    encode: empty,
  }),
  op({
    opcode: Opcode.RELEASE, name: "RELEASE", method: "release",
    decode: (r) => ({ fh: r.u64(fuse_release_in.offsets.fh), flags: r.u32(fuse_release_in.offsets.flags) }),
    call: (fs, c, a) => fs.release(c, c.nodeid, a.fh, a.flags),
    encode: empty,
  }),
  op({
    opcode: Opcode.FSYNC, name: "FSYNC", method: "fsync",
    decode: fsyncIn,
    call: (fs, c, a) => fs.fsync(c, c.nodeid, a.fh, a.datasync),
    encode: empty,
  }),
  op({
    opcode: Opcode.FALLOCATE, name: "FALLOCATE", method: "fallocate",
    decode: (r) => {
      const o = fuse_fallocate_in.offsets;
      return { fh: r.u64(o.fh), offset: r.u64(o.offset), length: r.u64(o.length), mode: r.u32(o.mode) };
    },
    call: (fs, c, a) => fs.fallocate(c, c.nodeid, a.fh, a.offset, a.length, a.mode),
    encode: empty,
  }),
  op({
    opcode: Opcode.LSEEK, name: "LSEEK", method: "lseek",
    decode: (r) => ({ fh: r.u64(fuse_lseek_in.offsets.fh), offset: r.u64(fuse_lseek_in.offsets.offset), whence: r.u32(fuse_lseek_in.offsets.whence) }),
    call: (fs, c, a) => fs.lseek(c, c.nodeid, a.fh, a.offset, a.whence),
    encode: (w, off: number) => setU64(w.dv, w.take(fuse_lseek_out.size), off),
  }),
  op({
    opcode: Opcode.COPY_FILE_RANGE, name: "COPY_FILE_RANGE", method: "copyFileRange",
    decode: (r) => {
      const o = fuse_copy_file_range_in.offsets;
      return {
        fhIn: r.u64(o.fh_in), offIn: r.u64(o.off_in), nodeOut: r.u64(o.nodeid_out), fhOut: r.u64(o.fh_out),
        offOut: r.u64(o.off_out), len: r.u64(o.len), flags: r.u64(o.flags),
      };
    },
    call: (fs, c, a) => fs.copyFileRange(c, c.nodeid, a.fhIn, a.offIn, a.nodeOut, a.fhOut, a.offOut, a.len, a.flags),
    encode: u32Reply,
  }),
];
