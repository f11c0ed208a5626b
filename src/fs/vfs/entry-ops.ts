// Namespace operations: lookup, forget, mknod/mkdir/symlink/create, unlink/rmdir, rename, link, readlink.
import { encodeName } from "../names.ts";
import type { EntryOut, RequestContext } from "../fuse/raw-fs.ts";
import {
  EEXIST, EINVAL, EISDIR, ENAMETOOLONG, ENOENT, ENOTDIR, ENOTEMPTY, EPERM, FuseError,
} from "../fuse/errno.ts";
import { ROOT_INODE } from "../meta/schema.ts";
import { ACL_ACCESS_XATTR, ACL_DEFAULT_XATTR, inheritAcl } from "../posix-acl.ts";
import type { Inode } from "../meta/inodes.ts";
import {
  type VfsCore, S_IFBLK, S_IFCHR, S_IFDIR, S_IFIFO, S_IFLNK, S_IFMT, S_IFREG, S_IFSOCK, S_ISGID, isDir, nowNs,
} from "./core.ts";
import { PATH_MAX, RENAME_EXCHANGE, RENAME_NOREPLACE } from "../fuse/kernel.ts";

export function lookup(c: VfsCore, parent: number, name: string): EntryOut {
  // With export support the kernel asks LOOKUP(node, ".") for a node it no longer holds, whatever its kind,
  // to turn a file handle back into an inode (fuse_get_dentry), and ".." to reconnect a directory to its
  // parent (fuse_get_parent). A node with no name left answers ENOENT, which the kernel reports as ESTALE.
  if (name === "." || name === "..") {
    const i = c.get(parent);
    if (i.nlink === 0) throw new FuseError(ENOENT);
    if (name === ".") return c.entry(i);
    return c.entry(c.get(parent === ROOT_INODE ? ROOT_INODE : (c.entries.parentOf(parent) ?? ROOT_INODE)));
  }
  c.dir(parent);
  c.checkName(name);
  const e = c.entries.lookup(parent, name);
  if (!e) throw new FuseError(ENOENT);
  return c.entry(c.get(e.inode));
}

/**
 * Creates an inode and its entry in `parent` (one transaction). The mode arrives unmasked (FUSE_DONT_MASK):
 * a default ACL on `parent` is inherited and masks it, else the umask does; SGID dirs pass on their group.
 */
export function makeNode(c: VfsCore, ctx: RequestContext, parent: number, name: string, mode: number, rdev: number, umask: number, extra?: (id: number) => void, size = 0): Inode {
  const p = c.dir(parent);
  c.checkName(name);
  if (c.entries.lookup(parent, name)) throw new FuseError(EEXIST);
  const type = mode & S_IFMT;
  const now = nowNs();
  const acl = inheritAcl(c.inodes.getXattr(parent, ACL_DEFAULT_XATTR), mode & 0o7777, umask, type === S_IFDIR, type === S_IFLNK);
  let perm = acl.mode;
  let gid = ctx.gid;
  if (p.mode & S_ISGID) {
    gid = p.gid;
    if (type === S_IFDIR) perm |= S_ISGID;
  }
  return c.tx(() => {
    const n = {
      mode: type | perm, uid: ctx.uid, gid, nlink: type === S_IFDIR ? 2 : 1, size,
      rdev: type === S_IFCHR || type === S_IFBLK ? rdev : 0,
      atimeNs: now, mtimeNs: now, ctimeNs: now, crtimeNs: now,
    };
    const id = c.inodes.insert(n);
    if (acl.access) c.inodes.setXattr(id, ACL_ACCESS_XATTR, acl.access);
    if (acl.default) c.inodes.setXattr(id, ACL_DEFAULT_XATTR, acl.default);
    extra?.(id);
    c.entries.insert(parent, name, id);
    if (type === S_IFDIR) p.nlink++;
    c.touchDir(p, now);
    return { id, ...n }; // exactly the row just inserted: no need to read it back
  });
}

export function mknod(c: VfsCore, ctx: RequestContext, parent: number, name: string, mode: number, rdev: number, umask: number): EntryOut {
  const type = mode & S_IFMT;
  if (![S_IFREG, S_IFIFO, S_IFSOCK, S_IFCHR, S_IFBLK, 0].includes(type)) throw new FuseError(EINVAL);
  return c.entry(makeNode(c, ctx, parent, name, type === 0 ? mode | S_IFREG : mode, rdev, umask));
}

export function mkdir(c: VfsCore, ctx: RequestContext, parent: number, name: string, mode: number, umask: number): EntryOut {
  return c.entry(makeNode(c, ctx, parent, name, (mode & 0o7777) | S_IFDIR, 0, umask));
}

export function symlink(c: VfsCore, ctx: RequestContext, parent: number, name: string, target: string): EntryOut {
  const bytes = encodeName(target); // raw bytes restored: targets need not be UTF-8
  if (bytes.length >= PATH_MAX) throw new FuseError(ENAMETOOLONG);
  const i = makeNode(c, ctx, parent, name, S_IFLNK | 0o777, 0, 0, (id) => {
    c.inodes.setSymlink(id, bytes);
  }, bytes.length); // the size goes in with the row: one commit
  return c.entry(i);
}

export function readlink(c: VfsCore, nodeid: number): Uint8Array {
  const i = c.get(nodeid);
  if ((i.mode & S_IFMT) !== S_IFLNK) throw new FuseError(EINVAL);
  return c.inodes.symlink(nodeid) ?? new Uint8Array(0);
}

export function unlink(c: VfsCore, parent: number, name: string): void {
  const p = c.dir(parent);
  const e = c.entries.lookup(parent, name);
  if (!e) throw new FuseError(ENOENT);
  const i = c.get(e.inode);
  if (isDir(i)) throw new FuseError(EISDIR);
  const now = nowNs();
  c.tx(() => {
    c.entries.delete(e.id);
    c.dropLink(i, now);
    c.touchDir(p, now);
  });
  c.maybePurge(i.id);
}

export function rmdir(c: VfsCore, parent: number, name: string): void {
  const p = c.dir(parent);
  if (name === ".") throw new FuseError(EINVAL);
  if (name === "..") throw new FuseError(ENOTEMPTY);
  const e = c.entries.lookup(parent, name);
  if (!e) throw new FuseError(ENOENT);
  const i = c.get(e.inode);
  if (!isDir(i)) throw new FuseError(ENOTDIR);
  if (c.entries.hasChildren(i.id)) throw new FuseError(ENOTEMPTY);
  const now = nowNs();
  c.tx(() => {
    c.entries.delete(e.id);
    c.dropLink(i, now);
    p.nlink--;
    c.touchDir(p, now);
  });
  c.maybePurge(i.id);
}

/** True when directory `anc` is `dir` or one of its ancestors. */
function isAncestor(c: VfsCore, anc: number, dir: number): boolean {
  for (let d: number | null = dir; d !== null; d = d === ROOT_INODE ? null : c.entries.parentOf(d)) {
    if (d === anc) return true;
  }
  return false;
}

export function rename(c: VfsCore, parent: number, name: string, newParent: number, newName: string, flags: number): void {
  if (flags & ~(RENAME_NOREPLACE | RENAME_EXCHANGE)) throw new FuseError(EINVAL);
  if ((flags & RENAME_NOREPLACE) && (flags & RENAME_EXCHANGE)) throw new FuseError(EINVAL);
  c.dir(parent);
  c.dir(newParent);
  c.checkName(newName);
  const src = c.entries.lookup(parent, name);
  if (!src) throw new FuseError(ENOENT);
  const dst = c.entries.lookup(newParent, newName);
  const si = c.get(src.inode);
  const now = nowNs();

  if (flags & RENAME_EXCHANGE) {
    if (!dst) throw new FuseError(ENOENT);
    const di = c.get(dst.inode);
    if (src.id === dst.id) return;
    if (isDir(si) && parent !== newParent && isAncestor(c, si.id, newParent)) throw new FuseError(EINVAL);
    if (isDir(di) && parent !== newParent && isAncestor(c, di.id, parent)) throw new FuseError(EINVAL);
    c.tx(() => {
      c.entries.setInode(src.id, di.id);
      c.entries.setInode(dst.id, si.id);
      const p = c.get(parent);
      const np = parent === newParent ? p : c.get(newParent);
      if (parent !== newParent && isDir(si) !== isDir(di)) {
        if (isDir(si)) (p.nlink--, np.nlink++);
        else (p.nlink++, np.nlink--);
      }
      for (const x of [si, di]) {
        x.ctimeNs = now;
        c.inodes.update(x);
      }
      c.touchDir(p, now);
      if (np !== p) c.touchDir(np, now);
    });
    return;
  }

  if (dst) {
    if (flags & RENAME_NOREPLACE) throw new FuseError(EEXIST);
    if (dst.inode === src.inode) return; // two names of one file: POSIX says do nothing
    const di = c.get(dst.inode);
    if (isDir(si) && !isDir(di)) throw new FuseError(ENOTDIR);
    if (!isDir(si) && isDir(di)) throw new FuseError(EISDIR);
    if (isDir(di) && c.entries.hasChildren(di.id)) throw new FuseError(ENOTEMPTY);
  }
  if (isDir(si) && isAncestor(c, si.id, newParent)) throw new FuseError(EINVAL);

  let replaced: number | null = null;
  c.tx(() => {
    const p = c.get(parent);
    const np = parent === newParent ? p : c.get(newParent);
    if (dst) {
      const di = c.get(dst.inode);
      c.entries.delete(dst.id);
      c.dropLink(di, now);
      if (isDir(di)) np.nlink--;
      replaced = di.id;
    }
    c.entries.move(src.id, newParent, newName);
    if (isDir(si) && parent !== newParent) {
      p.nlink--;
      np.nlink++;
    }
    si.ctimeNs = now;
    c.inodes.update(si);
    c.touchDir(p, now);
    if (np !== p) c.touchDir(np, now);
  });
  if (replaced !== null) c.maybePurge(replaced);
}

export function link(c: VfsCore, nodeid: number, newParent: number, newName: string): EntryOut {
  const i = c.get(nodeid);
  if (isDir(i)) throw new FuseError(EPERM);
  if (i.nlink === 0) throw new FuseError(ENOENT); // linkat of an unlinked (open) file, as Linux answers
  const p = c.dir(newParent);
  c.checkName(newName);
  if (c.entries.lookup(newParent, newName)) throw new FuseError(EEXIST);
  const now = nowNs();
  c.tx(() => {
    c.entries.insert(newParent, newName, i.id);
    i.nlink++;
    i.ctimeNs = now;
    c.inodes.update(i);
    c.touchDir(p, now);
  });
  return c.entry(i);
}
