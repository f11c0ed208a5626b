// name_to_handle_at / open_by_handle_at through bun:ffi (Node, Bun and python3 have no binding): what an NFS server does with a file.
import { closeSync, openSync } from "node:fs";
import { dlopen, FFIType, ptr, read } from "bun:ffi";

const lib = dlopen("libc.so.6", {
  name_to_handle_at: { args: [FFIType.i32, FFIType.cstring, FFIType.ptr, FFIType.ptr, FFIType.i32], returns: FFIType.i32 },
  open_by_handle_at: { args: [FFIType.i32, FFIType.ptr, FFIType.i32], returns: FFIType.i32 },
  __errno_location: { args: [], returns: FFIType.ptr },
}).symbols;

const AT_FDCWD = -100;
const MAX_HANDLE_SZ = 128;
const O_RDONLY = 0;
const ERRNO_NAMES: Record<number, string> = { 2: "ENOENT", 13: "EACCES", 95: "EOPNOTSUPP", 116: "ESTALE", 5: "EIO", 20: "ENOTDIR" };

function fail(call: string): never {
  const e = read.i32(lib.__errno_location()!, 0);
  throw Object.assign(new Error(`${call} failed: ${ERRNO_NAMES[e] ?? `errno ${e}`}`), { code: ERRNO_NAMES[e] ?? `errno ${e}` });
}

/** The kernel's opaque handle for `path` (struct file_handle: bytes, type, data), as an NFS server keeps it. */
export function nameToHandle(path: string): Uint8Array {
  const h = new Uint8Array(8 + MAX_HANDLE_SZ);
  new DataView(h.buffer).setUint32(0, MAX_HANDLE_SZ, true);
  const mountId = new Int32Array(1);
  if (lib.name_to_handle_at(AT_FDCWD, Buffer.from(`${path}\0`), ptr(h), ptr(mountId), 0) !== 0) fail("name_to_handle_at");
  return h.slice(0, 8 + new DataView(h.buffer).getUint32(0, true));
}

/** Opens the file a handle names, on the filesystem mounted at `mountpoint`; returns an fd (caller closes). */
export function openByHandle(mountpoint: string, handle: Uint8Array, flags = O_RDONLY): number {
  const mountFd = openSync(mountpoint, "r");
  try {
    const h = handle.slice(); // the kernel may write to it
    const fd = lib.open_by_handle_at(mountFd, ptr(h), flags);
    if (fd < 0) fail("open_by_handle_at");
    return fd;
  } finally {
    closeSync(mountFd);
  }
}
