// The few kernel flag values memfs interprets, named as in <linux/fuse.h>, <fcntl.h> and <sys/xattr.h>.

// struct fuse_setattr_in.valid
export const FATTR_MODE = 1 << 0;
export const FATTR_UID = 1 << 1;
export const FATTR_GID = 1 << 2;
export const FATTR_SIZE = 1 << 3;
export const FATTR_ATIME = 1 << 4;
export const FATTR_MTIME = 1 << 5;
export const FATTR_ATIME_NOW = 1 << 7;
export const FATTR_MTIME_NOW = 1 << 8;
export const FATTR_CTIME = 1 << 10;
export const FATTR_KILL_SUIDGID = 1 << 11;

// struct fuse_write_in.write_flags
export const FUSE_WRITE_KILL_SUIDGID = 1 << 2;

// open(2) flags the filesystem sees (the kernel strips O_CREAT/O_EXCL before OPEN)
export const O_EXCL = 0o200;
export const O_TRUNC = 0o1000;

// rename2 flags
export const RENAME_NOREPLACE = 1 << 0;
export const RENAME_EXCHANGE = 1 << 1;

// setxattr flags
export const XATTR_CREATE = 1;
export const XATTR_REPLACE = 2;

// lseek whence values the kernel forwards (SEEK_SET/CUR/END it handles itself)
export const SEEK_DATA = 3;
export const SEEK_HOLE = 4;

// access(2) mask bits
export const R_OK = 4;
export const W_OK = 2;
export const X_OK = 1;

// Non-directory, non-regular types mknod may create
export const S_IFIFO = 0o010000;
export const S_IFCHR = 0o020000;
export const S_IFBLK = 0o060000;
export const S_IFSOCK = 0o140000;
