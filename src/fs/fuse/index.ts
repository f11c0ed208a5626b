// The FUSE kernel-protocol layer: public API (mountFuse, RawFileSystem, FuseError, FORWARD, WorkerHandlers, unmountPath).
//
// What it is: Coffer speaks the FUSE protocol itself (like go-fuse and bazil/fuse), with no libfuse. It knows
// nothing of S3 or SQLite: it decodes kernel requests, calls a RawFileSystem (raw-fs.ts), encodes replies;
// errors cross it as errno values (FuseError; anything else is logged once and answered EIO).
//
// Files: kernel.ts mirrors linux/fuse.h (structs as field lists; sizes checked by tests/unit/fuse);
// codec.ts turns bytes into fields and replies into bytes; ops/*.ts hold the opcode table entries per family
// (entry, attr, file, dir, xattr) gathered in opcodes.ts; init.ts negotiates INIT; server.ts is the pure
// request -> reply server; device.ts + libc.ts mount (mount(2) via bun:ffi as root, fusermount3 + SCM_RIGHTS
// otherwise) and unmount; reader-worker.ts is the device loop; session.ts ties them into mountFuse().
//
// Threading model: reader Workers (count: defaultReaders in session.ts) block in readSync on the /dev/fuse fd
// (reading with async fs.read would starve Bun's threadpool), each into a slot of SharedArrayBuffer memory;
// each reader after the first reads its own clone of the fd (FUSE_DEV_IOC_CLONE), and every reply to a
// request goes to the fd it was read from (the kernel tracks in-flight requests per fd).
// A request whose opcode is Worker-eligible (LOOKUP, GETATTR, READDIR(PLUS), READ, READLINK, STATFS, ACCESS,
// GETXATTR, LISTXATTR, OPENDIR, RELEASEDIR) and for which MountOptions.workerModule provides a synchronous
// handler is answered right there (writeSync/writev on the fd): the fast path, about twice the rate of the
// main-thread path, which costs one more thread wake-up per request. Everything else (and a handler returning
// FORWARD) is posted to the main thread as its slot number, without copying; the Worker goes straight back to
// readSync while the main thread, which owns the filesystem state, serves it (async allowed), writes the reply
// itself and then frees the slot. Lookups answered in Workers (LOOKUP, READDIRPLUS entries) are appended to a
// per-Worker shared-memory ring before the reply is written; the main thread drains the rings into
// RawFileSystem.noteLookup before serving any forwarded request (hence before the FORGET that could follow) and
// every 20 ms, so counts never go negative (a reply that then fails is undone through forget(id, 1)).
// INTERRUPT is not acted on: the request is answered when done; a reply write failing with ENOENT (the kernel
// gave up on it) is ignored. After umount the readers get ENODEV: the session closes, destroy() is called,
// `closed` resolves. DESTROY is answered inside the Worker (the kernel may send it from umount2). With
// EXPORT_SUPPORT negotiated, LOOKUP of "." and ".." can arrive (NFS file handles); the filesystem answers them.
// MountOptions.posixAcl negotiates POSIX_ACL + DONT_MASK for a filesystem that keeps modes and ACLs in sync
// itself (src/fs/posix-acl.ts); the kernel then enforces ACLs.
//
// Adding an operation: add its struct(s) to kernel.ts (field for field, plus its size in the size test), add
// an `op({...})` entry to the family file in ops/ (decode the body with Req, call the RawFileSystem method,
// encode the reply into the ReplyBuf), add the optional method to RawFileSystem (and to WorkerHandlers if a
// Worker may answer it, with `worker: true`), and a codec test with hand-built bytes in tests/unit/fuse/.
//
// Debugging: MountOptions.debug traces one line per request ("<- #unique OP node=... args") and per reply
// ("-> #unique OK|ERRNO nB"), prefixed "rN" when a reader Worker answered.

export { mountFuse, type FuseSession, type MountOptions } from "./session.ts";
export { listMounts, unmountPath, isMountpoint, validateMountpoint, type AtimeMode, type MountEntry } from "./device.ts";
export { FORWARD, type Forward } from "./forward.ts";
export type { WorkerHandlers, WorkerFactory } from "./worker-api.ts";
export * from "./errno.ts";
export type * from "./raw-fs.ts";
export { FATTR, FOPEN, FUSE_ROOT_ID, InitFlag, Opcode, RENAME_EXCHANGE, RENAME_NOREPLACE, RENAME_WHITEOUT } from "./kernel.ts";
export { decodeName, encodeName } from "../names.ts";
export * from "./mode.ts";
