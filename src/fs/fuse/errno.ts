// Linux errno values and FuseError: how a filesystem answers an error across the FUSE boundary.

export const EPERM = 1;
export const ENOENT = 2;
export const EINTR = 4;
export const EIO = 5;
export const ENXIO = 6;
export const E2BIG = 7;
export const EBADF = 9;
export const EAGAIN = 11;
export const ENOMEM = 12;
export const EACCES = 13;
export const EFAULT = 14;
export const EBUSY = 16;
export const EEXIST = 17;
export const EXDEV = 18;
export const ENODEV = 19;
export const ENOTDIR = 20;
export const EISDIR = 21;
export const EINVAL = 22;
export const ENFILE = 23;
export const EMFILE = 24;
export const ETXTBSY = 26;
export const EFBIG = 27;
export const ENOSPC = 28;
export const ESPIPE = 29;
export const EROFS = 30;
export const EMLINK = 31;
export const EPIPE = 32;
export const ERANGE = 34;
export const EDEADLK = 35;
export const ENAMETOOLONG = 36;
export const ENOLCK = 37;
export const ENOSYS = 38;
export const ENOTEMPTY = 39;
export const ELOOP = 40;
export const ENODATA = 61;
export const ENOATTR = ENODATA;
export const EPROTO = 71;
export const EOVERFLOW = 75;
export const EOPNOTSUPP = 95;
export const ENOTSUP = EOPNOTSUPP;
export const ECONNABORTED = 103;
export const ETIMEDOUT = 110;
export const ESTALE = 116;
export const EDQUOT = 122;
export const ECANCELED = 125;

const ERRNO_NAMES: Record<number, string> = {};
for (const [k, v] of Object.entries({
  EPERM, ENOENT, EINTR, EIO, ENXIO, E2BIG, EBADF, EAGAIN, ENOMEM, EACCES, EFAULT, EBUSY, EEXIST, EXDEV, ENODEV,
  ENOTDIR, EISDIR, EINVAL, ENFILE, EMFILE, ETXTBSY, EFBIG, ENOSPC, ESPIPE, EROFS, EMLINK, EPIPE, ERANGE, EDEADLK,
  ENAMETOOLONG, ENOLCK, ENOSYS, ENOTEMPTY, ELOOP, ENODATA, EPROTO, EOVERFLOW, EOPNOTSUPP, ECONNABORTED, ETIMEDOUT,
  ESTALE, EDQUOT, ECANCELED,
})) ERRNO_NAMES[v] ??= k;

/** "ENOENT" for 2; "E123" for numbers we have no name for. */
export function errnoName(errno: number): string {
  return ERRNO_NAMES[errno] ?? `E${errno}`;
}

/** Thrown by a filesystem method to answer the request with `errno`. */
export class FuseError extends Error {
  constructor(
    readonly errno: number,
    message?: string,
  ) {
    super(message ?? errnoName(errno));
    this.name = "FuseError";
  }
}

/** A thrown value -> positive errno. Errors that are not FuseError (or a Node-style `{errno}`/`{code}`) are EIO. */
export function toErrno(e: unknown): { errno: number; unexpected: boolean } {
  if (e instanceof FuseError && e.errno > 0) return { errno: e.errno, unexpected: false };
  return { errno: EIO, unexpected: true };
}
