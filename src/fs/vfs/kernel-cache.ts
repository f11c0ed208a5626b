// What the filesystem tells the kernel when it changes something the kernel may hold cached, outside a kernel request.
//
// Names and attributes are cached by the kernel for ENTRY_TTL/ATTR_TTL (an hour): every change made through
// a kernel request updates the kernel's copy by itself, and this mount is the only writer of its filesystem.
// The changes that do not come through a kernel request are few, and each sends one of these
// (docs/concurrency.md, "The kernel's caches"): coffer cp / rm / snapshot / expire (tree-ops, from the control
// socket), a relatime atime update at open (the OPEN reply carries no attributes), and a block's upload
// commit, after which st_blocks counts the stored object instead of the cache file.

/** The kernel notifications, as the composition root wires them to the FUSE session (they resolve once processed). */
export interface KernelCache {
  /** The attributes of `ino` changed (in the kernel before anything written after this call). */
  invalAttrs(ino: number): Promise<void>;
  /** Directory `dir` changed: its attributes and its cached listing (FOPEN_CACHE_DIR) are stale. */
  invalListing(dir: number): Promise<void>;
  /** Name `name` in `parent` changed (appeared, went, or points elsewhere): the kernel drops its dentry. */
  invalEntry(parent: number, name: string): Promise<void>;
}

/** Before the mount (and in tests without one) the kernel holds nothing. */
export const NO_KERNEL: KernelCache = {
  invalAttrs: async () => {},
  invalListing: async () => {},
  invalEntry: async () => {},
};

/**
 * Attribute invalidations collected during a synchronous run and sent together once it ends, each inode
 * once: an upload round that commits many blocks of one file sends at most one notification for it. `add`
 * always sends; `check` sends only if `stale(ino)` says, at the end of the run, that the kernel's copy is wrong.
 */
export class StaleAttrs {
  /** ino -> send whatever `stale` says. */
  private readonly pending = new Map<number, boolean>();

  constructor(
    private readonly kernel: () => KernelCache,
    private readonly stale: (ino: number) => boolean,
  ) {}

  add(ino: number): void {
    this.schedule();
    this.pending.set(ino, true);
  }

  check(ino: number): void {
    this.schedule();
    if (!this.pending.has(ino)) this.pending.set(ino, false);
  }

  private schedule(): void {
    if (this.pending.size === 0) queueMicrotask(() => this.send());
  }

  private send(): void {
    const k = this.kernel();
    for (const [ino, always] of this.pending) if (always || this.stale(ino)) void k.invalAttrs(ino);
    this.pending.clear();
  }
}
