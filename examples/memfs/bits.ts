// The few libc flag values memfs interprets, named as in <fcntl.h>, <sys/xattr.h> and <sys/stat.h> (FUSE's own are in src/fs/fuse/kernel.ts).

// open(2) flags the filesystem sees (the kernel strips O_CREAT/O_EXCL before OPEN)
export const O_EXCL = 0o200;
export const O_TRUNC = 0o1000;

// setxattr flags
export const XATTR_CREATE = 1;
export const XATTR_REPLACE = 2;

// lseek whence values the kernel forwards (SEEK_SET/CUR/END it handles itself)
export const SEEK_DATA = 3;
export const SEEK_HOLE = 4;

// access(2) mask bit memfs looks at (root needs some execute bit to execute)
export const X_OK = 1;

// Non-directory, non-regular types mknod may create
export const S_IFIFO = 0o010000;
export const S_IFCHR = 0o020000;
export const S_IFBLK = 0o060000;
export const S_IFSOCK = 0o140000;
