// System calls node:fs lacks (xattrs, renameat2, mkfifo, utimensat, SEEK_DATA, fallocate, copy_file_range), run in a python3 child.
//
// A child process also keeps the caller safe when it serves a mount itself, and `asUser` runs the same
// calls under another uid through setpriv. Errors come back as PyOsError with node-style `code` ("ENOENT").

import { existsSync } from "node:fs";

const SCRIPT = String.raw`
import sys, os, json, ctypes, errno
req = json.load(sys.stdin)
op, a = req["op"], req["args"]
libc = ctypes.CDLL(None, use_errno=True)
AT_FDCWD = -100
def check(rc):
    if rc != 0:
        e = ctypes.get_errno()
        raise OSError(e, os.strerror(e))
class Timespec(ctypes.Structure):
    _fields_ = [("sec", ctypes.c_long), ("nsec", ctypes.c_long)]
try:
    r = None
    follow = a.get("follow", True)
    if op == "setxattr":
        os.setxattr(a["path"], a["name"], bytes.fromhex(a["value"]), a["flags"], follow_symlinks=follow)
    elif op == "getxattr":
        r = os.getxattr(a["path"], a["name"], follow_symlinks=follow).hex()
    elif op == "listxattr":
        r = os.listxattr(a["path"], follow_symlinks=follow)
    elif op == "removexattr":
        os.removexattr(a["path"], a["name"], follow_symlinks=follow)
    elif op == "renameat2":
        libc.renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
        check(libc.renameat2(AT_FDCWD, os.fsencode(a["old"]), AT_FDCWD, os.fsencode(a["new"]), a["flags"]))
    elif op == "mkfifo":
        os.mkfifo(a["path"], a["mode"])
    elif op == "utimensat":
        ts = (Timespec * 2)(Timespec(*a["atime"]), Timespec(*a["mtime"]))
        check(libc.utimensat(AT_FDCWD, os.fsencode(a["path"]), ts, 0 if follow else 0x100))
    elif op == "lseek":
        fd = os.open(a["path"], os.O_RDONLY)
        try: r = os.lseek(fd, a["offset"], a["whence"])
        finally: os.close(fd)
    elif op == "fallocate":
        libc.fallocate.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int64, ctypes.c_int64]
        fd = os.open(a["path"], os.O_RDWR)
        try: check(libc.fallocate(fd, a["mode"], a["offset"], a["length"]))
        finally: os.close(fd)
    elif op == "copyFileRange":
        src = os.open(a["src"], os.O_RDONLY)
        dst = os.open(a["dst"], os.O_WRONLY | os.O_CREAT, 0o644)
        try: r = os.copy_file_range(src, dst, a["length"], a["srcOffset"], a["dstOffset"])
        finally:
            os.close(src)
            os.close(dst)
    elif op == "unlink":
        os.unlink(a["path"])
    elif op == "chmod":
        os.chmod(a["path"], a["mode"])
    elif op == "touchBytes":
        os.close(os.open(os.fsencode(a["dir"]) + b"/" + bytes.fromhex(a["name"]), os.O_CREAT | os.O_WRONLY, 0o644))
    elif op == "symlinkBytes":
        os.symlink(bytes.fromhex(a["target"]), os.fsencode(a["dir"]) + b"/" + bytes.fromhex(a["name"]))
    elif op == "readlinkBytes":
        r = os.readlink(os.fsencode(a["dir"]) + b"/" + bytes.fromhex(a["name"])).hex()
    elif op == "listdirBytes":
        r = [n.hex() for n in os.listdir(os.fsencode(a["dir"]))]
    elif op == "open":
        fd = os.open(a["path"], a["flags"], a["mode"])
        try:
            if "write" in a: os.write(fd, bytes.fromhex(a["write"]))
            if a.get("read"): r = os.read(fd, a["read"]).hex()
        finally: os.close(fd)
    elif op == "listWhileChanging":
        # readdir(3) fetches entries in batches (getdents64), so changes made mid-listing reach the filesystem's cookies.
        seen = []
        with os.scandir(a["path"]) as it:
            for e in it:
                seen.append(e.name)
                if len(seen) == a["readFirst"]:
                    for name in a["remove"]: os.unlink(os.path.join(a["path"], name))
                    for name in a["add"]: os.close(os.open(os.path.join(a["path"], name), os.O_CREAT | os.O_WRONLY, 0o644))
        r = seen
    elif op == "listWhileRenaming":
        # Each name, once listed, is renamed into a[away] and back while the listing goes on.
        seen = []
        with os.scandir(a["path"]) as it:
            for e in it:
                seen.append(e.name)
                if len(seen) > a["limit"]: break
                os.rename(os.path.join(a["path"], e.name), os.path.join(a["away"], e.name))
                os.rename(os.path.join(a["away"], e.name), os.path.join(a["path"], e.name))
        r = seen
    elif op == "dataSegments":
        # The [start, end) data ranges SEEK_DATA / SEEK_HOLE report, walking from 0 to EOF.
        fd = os.open(a["path"], os.O_RDONLY)
        try:
            r, pos = [], 0
            while True:
                try: start = os.lseek(fd, pos, os.SEEK_DATA)
                except OSError as e:
                    if e.errno == errno.ENXIO: break
                    raise
                end = os.lseek(fd, start, os.SEEK_HOLE)
                r.append([start, end])
                pos = end
        finally: os.close(fd)
    elif op == "statvfs":
        st = os.statvfs(a["path"])
        r = {"bavail": st.f_bavail * st.f_frsize, "bfree": st.f_bfree * st.f_frsize, "total": st.f_blocks * st.f_frsize}
    elif op == "directWrite":
        # O_DIRECT needs an aligned buffer: an anonymous mmap is page-aligned.
        import mmap
        data = bytes.fromhex(a["data"])
        buf = mmap.mmap(-1, len(data))
        buf.write(data)
        fd = os.open(a["path"], os.O_WRONLY | os.O_DIRECT)
        try: r = os.pwrite(fd, buf, a["offset"])
        finally: os.close(fd)
    elif op == "cachedThenDirect":
        # A reader holds the file open with its pages cached; another descriptor overwrites a range with
        # O_DIRECT; the reader's buffered read of that range must see the new bytes, not the cached ones.
        import mmap
        data = bytes.fromhex(a["data"])
        rfd = os.open(a["path"], os.O_RDONLY)
        try:
            while os.read(rfd, 1 << 20): pass
            buf = mmap.mmap(-1, len(data))
            buf.write(data)
            wfd = os.open(a["path"], os.O_RDWR | os.O_DIRECT)
            try: os.pwrite(wfd, buf, a["offset"])
            finally: os.close(wfd)
            r = os.pread(rfd, len(data), a["offset"]).hex()
        finally: os.close(rfd)
    elif op == "readAll":
        with open(a["path"], "rb") as f: r = len(f.read())
    else:
        raise ValueError("unknown op " + op)
    print(json.dumps({"ok": True, "result": r}))
except OSError as e:
    print(json.dumps({"ok": False, "errno": e.errno, "code": errno.errorcode.get(e.errno, "E?"), "message": str(e)}))
`;

export const RENAME_NOREPLACE = 1;
export const RENAME_EXCHANGE = 2;
export const XATTR_CREATE = 1;
export const XATTR_REPLACE = 2;
export const SEEK_DATA = 3;
export const SEEK_HOLE = 4;
/** utimensat's special nanosecond values. */
export const UTIME_NOW = (1 << 30) - 1;
export const UTIME_OMIT = (1 << 30) - 2;

// The system interpreter: starts 4x faster than a pyenv shim, and uid 65534 can execute it (not one under /root).
export const PYTHON = existsSync("/usr/bin/python3") ? "/usr/bin/python3" : "python3";

export class PyOsError extends Error {
  constructor(
    readonly op: string,
    readonly code: string,
    readonly errno: number,
    message: string,
  ) {
    super(`${op}: ${code} ${message}`);
    this.name = "PyOsError";
  }
}

export interface RunAs {
  uid: number;
  gid: number;
}

/** Runs one operation in a python3 child (as `runAs` if given); returns its result or throws PyOsError. */
export function pyop(op: string, args: Record<string, unknown>, runAs?: RunAs): any {
  const python = [PYTHON, "-I", "-c", SCRIPT];
  const cmd = runAs
    ? ["setpriv", `--reuid=${runAs.uid}`, `--regid=${runAs.gid}`, "--clear-groups", "--", ...python]
    : python;
  // Arguments go through stdin: a 64 KiB xattr value in hex would exceed the kernel's 128 KiB limit per argv string.
  const proc = Bun.spawnSync(cmd, { stdin: Buffer.from(JSON.stringify({ op, args })), stdout: "pipe", stderr: "pipe" });
  const out = proc.stdout.toString().trim();
  if (proc.exitCode !== 0 || !out) {
    throw new Error(`pyops ${op} failed (exit ${proc.exitCode}): ${proc.stderr.toString()}`);
  }
  const reply = JSON.parse(out);
  if (!reply.ok) throw new PyOsError(op, reply.code, reply.errno, reply.message);
  return reply.result;
}

const hex = (v: Uint8Array | string) => Buffer.from(typeof v === "string" ? Buffer.from(v) : v).toString("hex");

export function setxattr(path: string, name: string, value: Uint8Array | string, flags = 0, follow = true): void {
  pyop("setxattr", { path, name, value: hex(value), flags, follow });
}

export function getxattr(path: string, name: string, follow = true): Buffer {
  return Buffer.from(pyop("getxattr", { path, name, follow }) as string, "hex");
}

export function listxattr(path: string, follow = true): string[] {
  return pyop("listxattr", { path, follow });
}

export function removexattr(path: string, name: string, follow = true): void {
  pyop("removexattr", { path, name, follow });
}

export function renameat2(oldPath: string, newPath: string, flags: number): void {
  pyop("renameat2", { old: oldPath, new: newPath, flags });
}

export function mkfifo(path: string, mode = 0o644): void {
  pyop("mkfifo", { path, mode });
}

/** utimensat with exact [seconds, nanoseconds] pairs; nanoseconds may be UTIME_NOW or UTIME_OMIT. */
export function utimensat(path: string, atime: [number, number], mtime: [number, number], follow = true): void {
  pyop("utimensat", { path, atime, mtime, follow });
}

/** lseek on a fresh read-only descriptor, for SEEK_DATA / SEEK_HOLE. */
export function lseek(path: string, offset: number, whence: number): number {
  return pyop("lseek", { path, offset, whence });
}

export function fallocate(path: string, offset: number, length: number, mode = 0): void {
  pyop("fallocate", { path, offset, length, mode });
}

/** copy_file_range(2) once; returns the bytes copied (may be fewer than asked). */
export function copyFileRange(src: string, srcOffset: number, dst: string, dstOffset: number, length: number): number {
  return pyop("copyFileRange", { src, srcOffset, dst, dstOffset, length });
}

/** unlink(2), as `runAs` if given (for sticky-directory checks). */
export function unlinkAs(path: string, runAs?: RunAs): void {
  pyop("unlink", { path }, runAs);
}

/** chmod(2), as `runAs` if given (only the owner or root may). */
export function chmodAs(path: string, mode: number, runAs?: RunAs): void {
  pyop("chmod", { path, mode }, runAs);
}

/** Creates an empty file whose name is exactly `name` (any bytes but "/" and NUL) in `dir`. */
export function touchBytes(dir: string, name: Uint8Array): void {
  pyop("touchBytes", { dir, name: hex(name) });
}

export function symlinkBytes(dir: string, name: Uint8Array, target: Uint8Array): void {
  pyop("symlinkBytes", { dir, name: hex(name), target: hex(target) });
}

export function readlinkBytes(dir: string, name: Uint8Array): Buffer {
  return Buffer.from(pyop("readlinkBytes", { dir, name: hex(name) }) as string, "hex");
}

/** The names in `dir` as raw bytes. */
export function listdirBytes(dir: string): Buffer[] {
  return (pyop("listdirBytes", { dir }) as string[]).map((h) => Buffer.from(h, "hex"));
}

/**
 * Lists `path` with readdir(3), and after `readFirst` names removes `remove` and creates `add` before
 * reading on. Returns every name listed, in order, "." and ".." excluded.
 */
export function listWhileChanging(path: string, readFirst: number, remove: string[], add: string[]): string[] {
  return pyop("listWhileChanging", { path, readFirst, remove, add });
}

/** Names listed by readdir(3) of `path` while each listed name is renamed into `away` and back; stops past `limit`. */
export function listWhileRenaming(path: string, away: string, limit: number): string[] {
  return pyop("listWhileRenaming", { path, away, limit });
}

/** The data ranges [start, end) that SEEK_DATA / SEEK_HOLE report for `path`, from 0 to EOF. */
export function dataSegments(path: string): [number, number][] {
  return pyop("dataSegments", { path });
}

/** statvfs(2) of `path`, in bytes. */
export function statvfs(path: string): { bavail: number; bfree: number; total: number } {
  return pyop("statvfs", { path });
}

/** pwrite with O_DIRECT (length a multiple of 4096, offset aligned); returns the bytes written. */
export function directWrite(path: string, offset: number, data: Uint8Array): number {
  return pyop("directWrite", { path, offset, data: hex(data) });
}

/** A reader caches the whole file, an O_DIRECT descriptor overwrites [offset, +data); what the reader then reads there. */
export function cachedThenDirect(path: string, offset: number, data: Uint8Array): Buffer {
  return Buffer.from(pyop("cachedThenDirect", { path, offset, data: hex(data) }) as string, "hex");
}

/** Reads the whole file in another process; returns its length. */
export function readAll(path: string): number {
  return pyop("readAll", { path });
}

/**
 * open(2) `path` with numeric `flags`, optionally writing or reading, as `runAs` if given. For permission
 * checks: returns the bytes read (if `read`), throws PyOsError (code EACCES...) when refused.
 */
export function openAs(
  path: string,
  flags: number,
  opts: { mode?: number; write?: Uint8Array | string; read?: number; runAs?: RunAs } = {},
): Buffer {
  const args: Record<string, unknown> = { path, flags, mode: opts.mode ?? 0o644 };
  if (opts.write !== undefined) args.write = hex(opts.write);
  if (opts.read) args.read = opts.read;
  const r = pyop("open", args, opts.runAs);
  return Buffer.from((r as string | null) ?? "", "hex");
}
