// libc fallocate(2) through bun:ffi (node:fs has none): the block cache reserves disk space for fallocated blocks.
import { dlopen, FFIType, read } from "bun:ffi";

const defs = {
  fallocate: { args: [FFIType.i32, FFIType.i32, FFIType.i64, FFIType.i64], returns: FFIType.i32 },
  __errno_location: { args: [], returns: FFIType.ptr },
} as const;

let lib: ReturnType<typeof dlopen<typeof defs>> | null = null;
const libc = () => (lib ??= dlopen("libc.so.6", defs)).symbols;

/** <linux/falloc.h>: allocate without changing the file size. */
export const FALLOC_KEEP_SIZE = 1;
const ENOSPC = 28;

/**
 * Allocates [offset, offset + length) of the open file `fd` on its disk (zeros, no data written).
 * Throws an Error with code "ENOSPC" when the disk is full, or naming the errno otherwise.
 */
export function fallocateFd(fd: number, mode: number, offset: number, length: number): void {
  const sym = libc();
  if (sym.fallocate(fd, mode, offset, length) === 0) return;
  const errno = read.i32(sym.__errno_location()!, 0);
  const e = new Error(`fallocate of ${length} bytes failed: errno ${errno}`) as Error & { code?: string };
  e.code = errno === ENOSPC ? "ENOSPC" : `E${errno}`;
  throw e;
}
