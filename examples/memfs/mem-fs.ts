// MemFs: a complete in-memory filesystem on the RawFileSystem interface, the example and test fixture of src/fs/fuse.
//
// Permission checks are left to the kernel (mount with default_permissions); memfs enforces the rules the
// kernel cannot know: link counts, empty directories, rename constraints, xattr flags and name lengths.

import {
  EEXIST, EINVAL, EISDIR, ENAMETOOLONG, ENODATA, ENOENT, ENOSPC, ENOTDIR, ENOTEMPTY, ENXIO, EOPNOTSUPP, EPERM, FuseError,
} from "../../src/fs/fuse/errno.ts";
import type {
  AttrOut, DirentSink, EntryOut, OpenOut, RawFileSystem, RequestContext, SetattrIn, StatfsOut,
} from "../../src/fs/fuse/raw-fs.ts";
import { FATTR, FUSE_WRITE_KILL_SUIDGID } from "../../src/fs/fuse/kernel.ts";
import type { NameFilter } from "./name-filter.ts";
import { encodeName } from "../../src/fs/fuse/index.ts";
import * as B from "./bits.ts";
import { accessAllowed } from "./access.ts";
import { checkName, InodeTable, ROOT_INO } from "./inode-table.ts";
import { MemNode, now, S_IFDIR, S_IFLNK, S_IFMT, S_IFREG, S_ISGID, S_ISUID, S_IXGRP } from "./node.ts";
import { listDirectory } from "./listing.ts";
import { renameEntry } from "./rename.ts";
import { XattrStore } from "./xattrs.ts";
import { ACL_ACCESS_XATTR, ACL_DEFAULT_XATTR, applyAccessAcl, chmodAcl, inheritAcl, isAclName } from "../../src/fs/posix-acl.ts";

export interface MemFsOptions {
  /** Owner of the root directory (default: the serving process's). */
  uid?: number;
  gid?: number;
  /** Kernel cache lifetimes in seconds (default 1). */
  entryTimeout?: number;
  attrTimeout?: number;
  /** Shared with reader Workers so they answer LOOKUPs of missing names themselves (examples/memfs/worker.ts). */
  names?: NameFilter;
}

const SYMLINK_MAX = 4095;
const MKNOD_TYPES = new Set([S_IFREG, B.S_IFIFO, B.S_IFCHR, B.S_IFBLK, B.S_IFSOCK]);
/** What statfs reports as the capacity: memory is not a disk, so a round, generous figure. */
const CAPACITY_BYTES = 2 ** 40;
const MAX_INODES = 1 << 24;

export class MemFs implements RawFileSystem {
  readonly inodes: InodeTable;
  private readonly xattrs = new XattrStore();
  /** Open file and directory handles -> inode. */
  private readonly handles = new Map<number, number>();
  private nextFh = 1;

  constructor(opts: MemFsOptions = {}) {
    this.inodes = new InodeTable(
      { entry: opts.entryTimeout ?? 1, attr: opts.attrTimeout ?? 1 },
      opts.uid ?? process.getuid?.() ?? 0,
      opts.gid ?? process.getgid?.() ?? 0,
      0o755,
      opts.names,
    );
  }

  // ---- names ----

  lookup(_ctx: RequestContext, parent: number, name: string): EntryOut {
    checkName(name);
    // "." and ".." arrive only from NFS export (the kernel resolves them itself otherwise): "." for a node of
    // any kind when a file handle is decoded, ".." of a directory when it is reconnected to its parent.
    if (name === ".") return this.inodes.entry(this.inodes.get(parent));
    const dir = this.inodes.dir(parent);
    if (name === "..") return this.inodes.entry(this.inodes.get(dir.parent));
    const entry = dir.dir.get(name);
    if (!entry) throw new FuseError(ENOENT);
    return this.inodes.entry(this.inodes.get(entry.ino));
  }

  forget(nodeid: number, nlookup: number): void {
    this.inodes.forget(nodeid, nlookup);
  }

  noteLookup(nodeid: number, count: number): void {
    // memfs answers every request on the main thread, so this only matters if someone adds reader Workers.
    // Not a request: nothing to answer, so an inode already freed is simply ignored rather than thrown for.
    this.inodes.noteLookup(nodeid, count);
  }

  mknod(ctx: RequestContext, parent: number, name: string, mode: number, rdev: number, umask: number): EntryOut {
    if (!MKNOD_TYPES.has(mode & S_IFMT)) throw new FuseError(EINVAL);
    return this.makeEntry(ctx, parent, name, mode, rdev, umask);
  }

  mkdir(ctx: RequestContext, parent: number, name: string, mode: number, umask: number): EntryOut {
    return this.makeEntry(ctx, parent, name, S_IFDIR | (mode & 0o7777), 0, umask);
  }

  symlink(ctx: RequestContext, parent: number, name: string, target: string): EntryOut {
    const bytes = encodeName(target); // the target's raw bytes, even when they are not UTF-8
    if (bytes.length > SYMLINK_MAX) throw new FuseError(ENAMETOOLONG);
    return this.makeEntry(ctx, parent, name, S_IFLNK | 0o777, 0, 0, bytes);
  }

  readlink(_ctx: RequestContext, nodeid: number): Uint8Array {
    const node = this.inodes.get(nodeid);
    if (!node.isSymlink) throw new FuseError(EINVAL);
    return node.target;
  }

  link(_ctx: RequestContext, nodeid: number, newParent: number, newName: string): EntryOut {
    checkName(newName);
    const node = this.inodes.get(nodeid);
    if (node.isDir) throw new FuseError(EPERM);
    const dir = this.inodes.dir(newParent);
    if (dir.dir.get(newName)) throw new FuseError(EEXIST);
    this.inodes.link(dir, newName, node);
    node.touchCtime();
    return this.inodes.entry(node);
  }

  unlink(_ctx: RequestContext, parent: number, name: string): void {
    const dir = this.inodes.dir(parent);
    const entry = dir.dir.get(name);
    if (!entry) throw new FuseError(ENOENT);
    const node = this.inodes.get(entry.ino);
    if (node.isDir) throw new FuseError(EISDIR);
    dir.dir.remove(name);
    dir.touchMtime();
    node.nlink--;
    node.touchCtime();
    this.inodes.release(node);
  }

  rmdir(_ctx: RequestContext, parent: number, name: string): void {
    if (name === ".") throw new FuseError(EINVAL);
    const dir = this.inodes.dir(parent);
    const entry = dir.dir.get(name);
    if (!entry) throw new FuseError(ENOENT);
    const node = this.inodes.get(entry.ino);
    if (!node.dir) throw new FuseError(ENOTDIR);
    if (node.dir.size > 0) throw new FuseError(ENOTEMPTY);
    dir.dir.remove(name);
    dir.nlink--; // the removed directory's ".."
    dir.touchMtime();
    node.nlink = 0;
    node.touchCtime();
    this.inodes.release(node);
  }

  rename(_ctx: RequestContext, parent: number, name: string, newParent: number, newName: string, flags: number): void {
    checkName(newName);
    renameEntry(this.inodes, parent, name, newParent, newName, flags);
  }

  // ---- attributes ----

  getattr(_ctx: RequestContext, nodeid: number): AttrOut {
    return { attrValid: this.inodes.timeouts.attr, attr: this.inodes.get(nodeid).attr() };
  }

  setattr(_ctx: RequestContext, nodeid: number, a: SetattrIn): AttrOut {
    const node = this.inodes.get(nodeid);
    const v = a.valid;
    if (v & FATTR.SIZE) {
      if (node.isDir) throw new FuseError(EISDIR);
      if (!node.data) throw new FuseError(EINVAL);
      node.data.truncate(a.size);
      node.touchMtime();
    }
    if (v & FATTR.MODE) {
      node.mode = (node.mode & S_IFMT) | (a.mode & 0o7777);
      const acl = node.xattrs.get(ACL_ACCESS_XATTR);
      const changed = acl && chmodAcl(acl, node.mode); // an access ACL follows the mode (posix_acl_chmod)
      if (changed) node.xattrs.set(ACL_ACCESS_XATTR, changed);
    }
    if (v & (FATTR.UID | FATTR.GID)) {
      if (v & FATTR.UID) node.uid = a.uid;
      if (v & FATTR.GID) node.gid = a.gid;
      // chown(2) drops set-user-ID and (if group-executable) set-group-ID, unless the kernel sent the new mode itself.
      if (!(v & FATTR.MODE) && !node.isDir) clearSetId(node);
    }
    if (v & FATTR.KILL_SUIDGID) clearSetId(node);
    if (v & FATTR.ATIME) node.atime = v & FATTR.ATIME_NOW ? now() : { sec: a.atime, nsec: a.atimensec };
    if (v & FATTR.MTIME) node.mtime = v & FATTR.MTIME_NOW ? now() : { sec: a.mtime, nsec: a.mtimensec };
    node.touchCtime();
    if (v & FATTR.CTIME) node.ctime = { sec: a.ctime, nsec: a.ctimensec };
    return { attrValid: this.inodes.timeouts.attr, attr: node.attr() };
  }

  access(ctx: RequestContext, nodeid: number, mask: number): void {
    accessAllowed(ctx, this.inodes.get(nodeid), mask);
  }

  // ---- files ----

  create(ctx: RequestContext, parent: number, name: string, mode: number, flags: number, umask: number): { entry: EntryOut; open: OpenOut } {
    checkName(name);
    const dir = this.inodes.dir(parent);
    const existing = dir.dir.get(name);
    if (existing) {
      // The kernel normally looks the name up first; this is the race where it appeared meanwhile.
      if (flags & B.O_EXCL) throw new FuseError(EEXIST);
      const node = this.inodes.get(existing.ino);
      if (node.isDir) throw new FuseError(EISDIR);
      const open = this.open(ctx, node.ino, flags);
      return { entry: this.inodes.entry(node), open };
    }
    const entry = this.makeEntry(ctx, parent, name, S_IFREG | (mode & 0o7777), 0, umask);
    return { entry, open: this.openHandle(this.inodes.get(entry.nodeid)) };
  }

  open(_ctx: RequestContext, nodeid: number, flags: number): OpenOut {
    const node = this.inodes.get(nodeid);
    if (node.isDir) throw new FuseError(EISDIR);
    // Only sent when FUSE_ATOMIC_O_TRUNC was negotiated; otherwise the kernel truncates with SETATTR first.
    if (flags & B.O_TRUNC && node.data && node.data.size > 0) {
      node.data.truncate(0);
      node.touchMtime();
    } else if ((flags & 3) !== 1) node.touchAtime(); // not O_WRONLY: reads from the page cache never reach read()
    return this.openHandle(node);
  }

  /** Reads update atime by relatime: FUSE inodes are S_NOATIME in the kernel, the filesystem keeps atime. */
  read(_ctx: RequestContext, nodeid: number, _fh: number, offset: number, size: number): Uint8Array {
    const node = this.inodes.get(nodeid);
    if (!node.data) throw new FuseError(node.isDir ? EISDIR : EINVAL);
    node.touchAtime();
    return node.data.read(offset, size);
  }

  write(_ctx: RequestContext, nodeid: number, _fh: number, offset: number, data: Uint8Array, writeFlags: number): number {
    const node = this.inodes.get(nodeid);
    if (!node.data) throw new FuseError(node.isDir ? EISDIR : EINVAL);
    node.data.write(offset, data);
    node.touchMtime();
    if (writeFlags & FUSE_WRITE_KILL_SUIDGID) clearSetId(node);
    return data.length;
  }

  flush(): void {}

  fsync(): void {}

  release(_ctx: RequestContext, _nodeid: number, fh: number): void {
    this.closeHandle(fh);
  }

  fallocate(_ctx: RequestContext, nodeid: number, _fh: number, offset: number, length: number, mode: number): void {
    // Only plain preallocation; punching holes or keeping the size would need more than a size change.
    if (mode !== 0) throw new FuseError(EOPNOTSUPP);
    const node = this.inodes.get(nodeid);
    if (!node.data) throw new FuseError(node.isDir ? EISDIR : EINVAL);
    const st = this.statfs();
    if (length > st.bavail * st.bsize) throw new FuseError(ENOSPC); // the promise of space could not be kept
    // the range counts as allocated (st_blocks, statfs) from now on, so writing into it needs no more
    node.data.reserve(offset, length);
    if (offset + length > node.data.size) {
      node.data.truncate(offset + length);
      node.touchMtime();
    }
  }

  lseek(_ctx: RequestContext, nodeid: number, _fh: number, offset: number, whence: number): number {
    const node = this.inodes.get(nodeid);
    if (!node.data) throw new FuseError(EINVAL);
    let at: number;
    if (whence === B.SEEK_DATA) at = node.data.seekData(offset);
    else if (whence === B.SEEK_HOLE) at = node.data.seekHole(offset);
    else throw new FuseError(EINVAL);
    if (at < 0) throw new FuseError(ENXIO);
    return at;
  }

  copyFileRange(
    ctx: RequestContext,
    nodeIn: number, fhIn: number, offIn: number,
    nodeOut: number, fhOut: number, offOut: number,
    len: number,
  ): number {
    // A copy: read() may return a view of the source chunk, which the write could overwrite midway.
    const data = this.read(ctx, nodeIn, fhIn, offIn, len).slice();
    return data.length === 0 ? 0 : this.write(ctx, nodeOut, fhOut, offOut, data, 0);
  }

  // ---- directories ----

  opendir(_ctx: RequestContext, nodeid: number): OpenOut {
    return this.openHandle(this.inodes.dir(nodeid));
  }

  readdir(_ctx: RequestContext, nodeid: number, _fh: number, offset: number, out: DirentSink): void {
    if (offset === 0) this.inodes.dir(nodeid).touchAtime();
    listDirectory(this.inodes, this.inodes.dir(nodeid), offset, out, false);
  }

  readdirplus(_ctx: RequestContext, nodeid: number, _fh: number, offset: number, out: DirentSink): void {
    if (offset === 0) this.inodes.dir(nodeid).touchAtime();
    listDirectory(this.inodes, this.inodes.dir(nodeid), offset, out, true);
  }

  releasedir(_ctx: RequestContext, _nodeid: number, fh: number): void {
    this.closeHandle(fh);
  }

  fsyncdir(): void {}

  statfs(): StatfsOut {
    let used = 0;
    for (const node of this.inodes.all()) used += node.data?.allocatedBytes ?? 0;
    const bsize = 4096;
    const blocks = CAPACITY_BYTES / bsize;
    const bfree = Math.max(0, blocks - Math.ceil(used / bsize));
    return {
      blocks, bfree, bavail: bfree,
      files: MAX_INODES, ffree: MAX_INODES - this.inodes.count,
      bsize, namelen: 255, frsize: bsize,
    };
  }

  // ---- extended attributes ----

  setxattr(ctx: RequestContext, nodeid: number, name: string, value: Uint8Array, flags: number): void {
    const node = this.inodes.get(nodeid);
    if (name === ACL_ACCESS_XATTR) {
      // the mode follows the ACL; one equivalent to a mode is not kept (see src/fs/posix-acl.ts)
      const r = applyAccessAcl(value, node.mode, ctx.uid === 0 || ctx.gid === node.gid);
      if (!r) throw new FuseError(EINVAL);
      if (r.store) node.xattrs.set(name, r.store);
      else node.xattrs.delete(name);
      node.mode = r.mode;
    } else {
      this.xattrs.set(node, name, value, flags);
    }
    node.touchCtime();
  }

  getxattr(_ctx: RequestContext, nodeid: number, name: string): Uint8Array {
    return this.xattrs.get(this.inodes.get(nodeid), name);
  }

  listxattr(_ctx: RequestContext, nodeid: number): string[] {
    return [...this.inodes.get(nodeid).xattrs.keys()];
  }

  removexattr(_ctx: RequestContext, nodeid: number, name: string): void {
    const node = this.inodes.get(nodeid);
    if (!node.xattrs.delete(name)) {
      if (isAclName(name)) return; // as local filesystems do: removing an ACL there is none of succeeds
      throw new FuseError(ENODATA);
    }
    node.touchCtime();
  }

  // ---- helpers ----

  /** `mode` arrives unmasked (FUSE_DONT_MASK): the parent's default ACL, or else the umask, masks it. */
  private makeEntry(ctx: RequestContext, parent: number, name: string, mode: number, rdev: number, umask: number, target?: Uint8Array): EntryOut {
    checkName(name);
    const dir = this.inodes.dir(parent);
    if (dir.nlink === 0) throw new FuseError(ENOENT); // a removed directory takes no new entries
    if (dir.dir.get(name)) throw new FuseError(EEXIST);
    const type = mode & S_IFMT;
    const acl = inheritAcl(dir.xattrs.get(ACL_DEFAULT_XATTR) ?? null, mode, umask, type === S_IFDIR, type === S_IFLNK);
    const node = this.inodes.create(ctx, dir, acl.mode, rdev);
    if (acl.access) node.xattrs.set(ACL_ACCESS_XATTR, acl.access);
    if (acl.default) node.xattrs.set(ACL_DEFAULT_XATTR, acl.default);
    if (target) node.target = target;
    this.inodes.link(dir, name, node);
    return this.inodes.entry(node);
  }

  private openHandle(node: MemNode): OpenOut {
    const fh = this.nextFh++;
    this.handles.set(fh, node.ino);
    node.opens++;
    return { fh, openFlags: 0 };
  }

  private closeHandle(fh: number): void {
    const ino = this.handles.get(fh);
    if (ino === undefined) return;
    this.handles.delete(fh);
    const node = this.inodes.get(ino);
    node.opens--;
    this.inodes.release(node);
  }
}

function clearSetId(node: MemNode): void {
  node.mode &= ~S_ISUID;
  if (node.mode & S_IXGRP) node.mode &= ~S_ISGID;
}

export { ROOT_INO };
