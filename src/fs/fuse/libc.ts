// The few libc calls Bun has no API for (mount, umount2, socketpair, recvmsg, ioctl), through bun:ffi, loaded on first use.
import { dlopen, FFIType, ptr, read, type Pointer } from "bun:ffi";

const defs = {
  mount: { args: [FFIType.cstring, FFIType.cstring, FFIType.cstring, FFIType.u64, FFIType.cstring], returns: FFIType.i32 },
  umount2: { args: [FFIType.cstring, FFIType.i32], returns: FFIType.i32 },
  socketpair: { args: [FFIType.i32, FFIType.i32, FFIType.i32, FFIType.ptr], returns: FFIType.i32 },
  recvmsg: { args: [FFIType.i32, FFIType.ptr, FFIType.i32], returns: FFIType.i64 },
  close: { args: [FFIType.i32], returns: FFIType.i32 },
  ioctl: { args: [FFIType.i32, FFIType.u64, FFIType.ptr], returns: FFIType.i32 },
  geteuid: { args: [], returns: FFIType.u32 },
  __errno_location: { args: [], returns: FFIType.ptr },
} as const;

let lib: ReturnType<typeof dlopen<typeof defs>> | null = null;
function libc() {
  return (lib ??= dlopen("libc.so.6", defs)).symbols;
}

export const MS_NOSUID = 2;
export const MS_NODEV = 4;
export const MS_NOATIME = 1024;
export const MS_RELATIME = 1 << 21;
export const MS_STRICTATIME = 1 << 24;
export const MNT_DETACH = 2;
const AF_UNIX = 1;
const SOCK_STREAM = 1;
const SOL_SOCKET = 1;
const SCM_RIGHTS = 1;
const MSG_DONTWAIT = 0x40;

/** A libc call failed: `errno` as number and name. */
export class SysError extends Error {
  constructor(
    readonly call: string,
    readonly errno: number,
    detail = "",
  ) {
    super(`${call} failed: errno ${errno}${detail ? ` (${detail})` : ""}`);
  }
}

function errno(): number {
  return read.i32(libc().__errno_location() as Pointer, 0);
}

const cstr = (s: string) => Buffer.from(s + "\0");

export function geteuid(): number {
  return libc().geteuid();
}

export function mount(source: string, target: string, fstype: string, flags: number, data: string): void {
  if (libc().mount(cstr(source), cstr(target), cstr(fstype), flags, cstr(data)) !== 0) throw new SysError("mount", errno(), target);
}

export function umount2(target: string, flags: number): void {
  if (libc().umount2(cstr(target), flags) !== 0) throw new SysError("umount2", errno(), target);
}

/** An AF_UNIX stream socket pair (fds without CLOEXEC, so one end can be handed to a child). */
export function socketpair(): [number, number] {
  const fds = new Int32Array(2);
  if (libc().socketpair(AF_UNIX, SOCK_STREAM, 0, ptr(fds)) !== 0) throw new SysError("socketpair", errno());
  return [fds[0]!, fds[1]!];
}

/** FUSE_DEV_IOC_CLONE = _IOR(229, 0, uint32_t): binds a fresh /dev/fuse fd to the session of `sessionFd`. */
const FUSE_DEV_IOC_CLONE = 0x8004e500;

/** A new /dev/fuse fd serving the same session as `sessionFd` (its own file description and processing queue). */
export function cloneFuseFd(sessionFd: number, devFd: number): void {
  const arg = new Uint32Array([sessionFd]);
  if (libc().ioctl(devFd, FUSE_DEV_IOC_CLONE, ptr(arg)) !== 0) throw new SysError("ioctl(FUSE_DEV_IOC_CLONE)", errno());
}

export function closeFd(fd: number): void {
  libc().close(fd);
}

/**
 * Receive one file descriptor sent with SCM_RIGHTS on `sock` (non-blocking: the sender has already written it).
 * Returns -1 if the peer closed without sending one.
 */
export function recvFd(sock: number): number {
  const data = new Uint8Array(8);
  const iov = new BigUint64Array(2); // struct iovec { void *base; size_t len; }
  iov[0] = BigInt(ptr(data));
  iov[1] = BigInt(data.byteLength);
  const control = new Uint8Array(64); // room for cmsghdr (16) + one int, aligned
  const msg = new BigUint64Array(7); // struct msghdr on x86_64/aarch64: 56 bytes
  msg[0] = 0n; // msg_name
  msg[1] = 0n; // msg_namelen (+pad)
  msg[2] = BigInt(ptr(iov)); // msg_iov
  msg[3] = 1n; // msg_iovlen
  msg[4] = BigInt(ptr(control)); // msg_control
  msg[5] = BigInt(control.byteLength); // msg_controllen
  msg[6] = 0n; // msg_flags
  const n = Number(libc().recvmsg(sock, ptr(msg), MSG_DONTWAIT));
  if (n < 0) throw new SysError("recvmsg", errno());
  const dv = new DataView(control.buffer);
  const cmsgLen = Number(dv.getBigUint64(0, true));
  if (cmsgLen < 20 || dv.getInt32(8, true) !== SOL_SOCKET || dv.getInt32(12, true) !== SCM_RIGHTS) return -1;
  return dv.getInt32(16, true);
}
