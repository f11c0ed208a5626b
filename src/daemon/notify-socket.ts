// sd_notify's wire: one Unix DATAGRAM to $NOTIFY_SOCKET (a path, or "@name" in the abstract namespace), via bun:ffi.
//
// Node's and Bun's dgram modules speak UDP only, and `systemd-notify` is no substitute: systemd attributes a
// message to the PID that sent it, so it must come from the daemon itself. So: socket(AF_UNIX, SOCK_DGRAM)
// and sendto(2) through libc, the same way src/fs/fuse/libc.ts reaches mount(2).
import { dlopen, FFIType, ptr, read } from "bun:ffi";

const defs = {
  socket: { args: [FFIType.i32, FFIType.i32, FFIType.i32], returns: FFIType.i32 },
  sendto: { args: [FFIType.i32, FFIType.ptr, FFIType.u64, FFIType.i32, FFIType.ptr, FFIType.u32], returns: FFIType.i64 },
  close: { args: [FFIType.i32], returns: FFIType.i32 },
  __errno_location: { args: [], returns: FFIType.ptr },
} as const;

let lib: ReturnType<typeof dlopen<typeof defs>> | null = null;
function libc() {
  return (lib ??= dlopen("libc.so.6", defs)).symbols;
}

const AF_UNIX = 1;
const SOCK_DGRAM = 2;
const SOCK_CLOEXEC = 0o2000000;
const MSG_NOSIGNAL = 0x4000;
/** sizeof(struct sockaddr_un): sa_family_t (2 bytes) + sun_path[108]. */
const SOCKADDR_UN_SIZE = 110;
const SUN_PATH_MAX = 108;

export class NotifySocketError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "NotifySocketError";
  }
}

/**
 * The sockaddr_un for a NOTIFY_SOCKET value and its length. An abstract name ("@x") is sent as a leading NUL
 * and counted exactly (no terminator: abstract names are byte strings of the given length).
 */
export function encodeSockaddrUn(target: string): { addr: Uint8Array; length: number } {
  const abstract = target.startsWith("@");
  const name = new TextEncoder().encode(abstract ? target.slice(1) : target);
  const pathBytes = name.byteLength + 1; // the leading NUL (abstract) or the trailing NUL (path)
  if (pathBytes > SUN_PATH_MAX) throw new NotifySocketError(`NOTIFY_SOCKET ${target} is longer than a Unix socket address allows (${SUN_PATH_MAX - 1} bytes)`);
  if (!abstract && !target.startsWith("/")) throw new NotifySocketError(`NOTIFY_SOCKET ${target} is neither an absolute path nor an abstract name (@...)`);
  const addr = new Uint8Array(SOCKADDR_UN_SIZE);
  new DataView(addr.buffer).setUint16(0, AF_UNIX, true);
  addr.set(name, abstract ? 3 : 2);
  return { addr, length: 2 + pathBytes };
}

/** One open datagram socket aimed at a NOTIFY_SOCKET; `send` never blocks the event loop for long (datagrams are small). */
export class NotifySocket {
  private fd: number;
  private readonly addr: Uint8Array;
  private readonly addrLength: number;

  constructor(readonly target: string) {
    const { addr, length } = encodeSockaddrUn(target);
    this.addr = addr;
    this.addrLength = length;
    this.fd = libc().socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (this.fd < 0) throw new NotifySocketError(`cannot create a Unix datagram socket: errno ${errno()}`);
  }

  /** Sends one message ("READY=1", "STATUS=...", several lines joined by \n). Throws with errno when refused. */
  send(message: string): void {
    if (this.fd < 0) throw new NotifySocketError("the notify socket is closed");
    const body = new TextEncoder().encode(message);
    const n = libc().sendto(this.fd, ptr(body), body.byteLength, MSG_NOSIGNAL, ptr(this.addr), this.addrLength);
    if (Number(n) < 0) throw new NotifySocketError(`sending to NOTIFY_SOCKET ${this.target} failed: errno ${errno()}`);
  }

  close(): void {
    if (this.fd >= 0) libc().close(this.fd);
    this.fd = -1;
  }
}

function errno(): number {
  return read.i32(libc().__errno_location()!, 0);
}
