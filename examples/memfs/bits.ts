// The libc flag values memfs interprets come from src/fs/fuse/kernel.ts; the node types mknod may create from mode.ts.
export { O_EXCL, O_TRUNC, SEEK_DATA, SEEK_HOLE, X_OK, XATTR_CREATE, XATTR_REPLACE } from "../../src/fs/fuse/kernel.ts";
export { S_IFBLK, S_IFCHR, S_IFIFO, S_IFSOCK } from "../../src/fs/fuse/mode.ts";
