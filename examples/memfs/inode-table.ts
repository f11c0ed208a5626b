// memfs bookkeeping: inode numbers, link and lookup counts, and when an inode may finally be freed.
//
// An inode lives while any of three things refers to it: a directory entry (nlink), a kernel reference
// (lookups: every EntryOut we hand the kernel, until FORGET gives it back) or an open handle. This is what
// lets a file that was unlinked while open, or while the kernel still holds its dentry, keep working.

import { encodeName } from "../../src/fs/fuse/index.ts";
import type { NameFilter } from "./name-filter.ts";
import { ENAMETOOLONG, ENOENT, ENOTDIR, FuseError } from "../../src/fs/fuse/errno.ts";
import type { EntryOut, RequestContext } from "../../src/fs/fuse/raw-fs.ts";
import { MemNode, S_IFDIR, S_ISGID } from "./node.ts";

export const ROOT_INO = 1;
export const NAME_MAX = 255;

export interface Timeouts {
  /** Seconds the kernel may cache a name -> inode binding. */
  entry: number;
  /** Seconds the kernel may cache attributes. */
  attr: number;
}

export class InodeTable {
  private readonly nodes = new Map<number, MemNode>();
  // Inode numbers are never reused, so the generation can stay 0 (NFS file handles stay unambiguous).
  private nextIno = ROOT_INO + 1;

  constructor(
    readonly timeouts: Timeouts,
    rootUid: number,
    rootGid: number,
    rootMode = 0o755,
    /** Mirrors every directory entry for reader Workers (see name-filter.ts); absent in-process. */
    private readonly names?: NameFilter,
  ) {
    const root = new MemNode(ROOT_INO, S_IFDIR | rootMode, rootUid, rootGid, 0, names);
    root.nlink = 2;
    root.parent = ROOT_INO;
    this.nodes.set(ROOT_INO, root);
  }

  get count(): number {
    return this.nodes.size;
  }

  all(): IterableIterator<MemNode> {
    return this.nodes.values();
  }

  get(ino: number): MemNode {
    const node = this.nodes.get(ino);
    // The kernel only names inodes it holds a reference to, so a miss means a bookkeeping bug or a stale NFS handle.
    if (!node) throw new FuseError(ENOENT, `memfs: no inode ${ino}`);
    return node;
  }

  /** The inode `ino`, which must be a directory. */
  dir(ino: number): MemNode & { dir: NonNullable<MemNode["dir"]> } {
    const node = this.get(ino);
    if (!node.dir) throw new FuseError(ENOTDIR);
    return node as MemNode & { dir: NonNullable<MemNode["dir"]> };
  }

  /** A new, not yet linked inode. New entries inherit the group of a set-group-ID directory, and directories the bit. */
  create(ctx: RequestContext, parent: MemNode, mode: number, rdev = 0): MemNode {
    let gid = ctx.gid;
    if (parent.mode & S_ISGID) {
      gid = parent.gid;
      if ((mode & 0o170000) === S_IFDIR) mode |= S_ISGID;
    }
    const node = new MemNode(this.nextIno++, mode, ctx.uid, gid, rdev, this.names);
    this.nodes.set(node.ino, node);
    return node;
  }

  /** Adds the entry `name` in `parent` for `node` and counts the link (and, for a directory, its "." and ".."). */
  link(parent: MemNode & { dir: NonNullable<MemNode["dir"]> }, name: string, node: MemNode): void {
    parent.dir.add(name, node.ino);
    node.nlink++;
    if (node.isDir) {
      node.nlink++; // its own "."
      node.parent = parent.ino;
      parent.nlink++; // its ".." points at the parent
    }
    parent.touchMtime();
  }

  /** An EntryOut for the kernel; counts as one kernel reference until FORGET returns it. */
  entry(node: MemNode): EntryOut {
    node.lookups++;
    return this.entryWithoutReference(node);
  }

  /** An EntryOut whose reference is counted only once the caller knows the kernel accepted it (READDIRPLUS). */
  entryWithoutReference(node: MemNode): EntryOut {
    return {
      nodeid: node.ino,
      generation: 0,
      entryValid: this.timeouts.entry,
      attrValid: this.timeouts.attr,
      attr: node.attr(),
    };
  }

  forget(ino: number, count: number): void {
    const node = this.nodes.get(ino);
    if (!node) return;
    node.lookups -= count;
    this.release(node);
  }

  noteLookup(ino: number, count: number): void {
    const node = this.nodes.get(ino);
    if (node) node.lookups += count;
  }

  /** Frees `node` if nothing refers to it any more. The root is never freed. */
  release(node: MemNode): void {
    if (node.ino === ROOT_INO || !node.unreachable) return;
    this.nodes.delete(node.ino);
    node.data?.clear();
  }

  /** Whether directory `ancestor` is `node` or lies on the path from `node` up to the root. */
  isAncestorOrSelf(ancestor: number, node: MemNode): boolean {
    let ino = node.ino;
    for (;;) {
      if (ino === ancestor) return true;
      if (ino === ROOT_INO) return false;
      ino = this.get(ino).parent;
    }
  }
}

/** Names longer than NAME_MAX bytes are refused, as on disk filesystems (the kernel lets up to 1024 through). */
export function checkName(name: string): void {
  // A UTF-16 unit is at most 3 bytes, so only long names need encoding (encodeName: escaped raw bytes count 1).
  if (name.length > NAME_MAX / 3 && encodeName(name).length > NAME_MAX) throw new FuseError(ENAMETOOLONG);
}
