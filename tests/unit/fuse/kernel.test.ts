// Every mirrored kernel struct has the byte size (and key offsets) of include/uapi/linux/fuse.h.
import { describe, expect, setDefaultTimeout, test } from "bun:test";
import * as K from "../../../src/fs/fuse/kernel.ts";

setDefaultTimeout(120_000); // per file: bun test ignores bunfig's timeout (docs/testing.md)

// sizeof() of each struct in linux/fuse.h (7.36 layouts; fuse_dirent without its flexible name).
const T = 5000;
const KERNEL_SIZES: Record<string, number> = {
  fuse_attr: 88, fuse_kstatfs: 80, fuse_entry_out: 128, fuse_forget_in: 8, fuse_forget_one: 16,
  fuse_batch_forget_in: 8, fuse_getattr_in: 16, fuse_attr_out: 104, fuse_mknod_in: 16, fuse_mkdir_in: 8,
  fuse_rename_in: 8, fuse_rename2_in: 16, fuse_link_in: 8, fuse_setattr_in: 88, fuse_open_in: 8, fuse_create_in: 16,
  fuse_open_out: 16, fuse_release_in: 24, fuse_flush_in: 24, fuse_read_in: 40, fuse_write_in: 40, fuse_write_out: 8,
  fuse_statfs_out: 80, fuse_fsync_in: 16, fuse_setxattr_in: 8, fuse_getxattr_in: 8, fuse_getxattr_out: 8,
  fuse_access_in: 8, fuse_init_in: 64, fuse_init_out: 64, fuse_interrupt_in: 8, fuse_fallocate_in: 32,
  fuse_in_header: 40, fuse_out_header: 16, fuse_dirent: 24, fuse_direntplus: 152, fuse_notify_inval_inode_out: 24,
  fuse_notify_inval_entry_out: 16, fuse_lseek_in: 24, fuse_lseek_out: 8, fuse_copy_file_range_in: 56,
};

describe("kernel structs", () => {
  test("every struct is listed with its kernel size", () => {
    expect(K.STRUCTS.map((s) => s.name).sort()).toEqual(Object.keys(KERNEL_SIZES).sort());
  }, T);
  for (const s of K.STRUCTS) {
    test(`sizeof(${s.name}) == ${KERNEL_SIZES[s.name]}`, () => {
      expect(s.size).toBe(KERNEL_SIZES[s.name]!);
    }, T);
  }
  test("key offsets", () => {
    expect(K.fuse_attr.offsets.atimensec).toBe(48);
    expect(K.fuse_attr.offsets.flags).toBe(84);
    expect(K.fuse_entry_out.offsets.attr).toBe(40);
    expect(K.fuse_attr_out.offsets.attr).toBe(16);
    expect(K.fuse_setattr_in.offsets.mode).toBe(68);
    expect(K.fuse_setattr_in.offsets.gid).toBe(80);
    expect(K.fuse_init_out.offsets.max_write).toBe(20);
    expect(K.fuse_init_out.offsets.max_pages).toBe(28);
    expect(K.fuse_init_out.offsets.flags2).toBe(32);
    expect(K.fuse_init_in.offsets.flags2).toBe(16);
    expect(K.fuse_in_header.offsets.pid).toBe(32);
    expect(K.fuse_direntplus.offsets.dirent).toBe(128);
    expect(K.fuse_kstatfs.offsets.frsize).toBe(48);
    expect(K.fuse_copy_file_range_in.offsets.flags).toBe(48);
  }, T);
  test("opcode numbers", () => {
    expect(K.Opcode.LOOKUP).toBe(1);
    expect(K.Opcode.INIT).toBe(26);
    expect(K.Opcode.BATCH_FORGET).toBe(42);
    expect(K.Opcode.READDIRPLUS).toBe(44);
    expect(K.Opcode.RENAME2).toBe(45);
    expect(K.Opcode.COPY_FILE_RANGE).toBe(47);
  }, T);
});
