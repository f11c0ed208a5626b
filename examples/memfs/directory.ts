// A memfs directory: name -> inode with readdir cookies that stay valid while entries come and go.
//
// Each entry gets a cookie from a filesystem-wide counter when it is created, and keeps it when renamed
// (even through another directory), and entries are kept in cookie order. READDIR resumes "after cookie
// c", so an entry added, removed or renamed away and back during a listing can never make the listing
// skip or repeat an entry that survives, nor run forever.

import type { NameFilter } from "./name-filter.ts";

/** Cookies 1 and 2 belong to "." and ".."; real entries start after them. */
export const FIRST_ENTRY_COOKIE = 3;

export interface DirEntry {
  name: string;
  ino: number;
  cookie: number;
  /** Set when removed, so a position held in `order` is skipped until the next compaction. */
  removed: boolean;
}

/** Shared by all directories, so a cookie stays unique when its entry moves to another directory. */
let nextCookie = FIRST_ENTRY_COOKIE;

export class Directory {
  private readonly byName = new Map<string, DirEntry>();

  /** `ino` is this directory's inode; `filter` (if given) mirrors every name for reader Workers. */
  constructor(
    private readonly ino = 0,
    private readonly filter?: NameFilter,
  ) {}

  /** Entries in increasing cookie order, removed ones included until compaction. */
  private order: DirEntry[] = [];
  private removedCount = 0;

  get size(): number {
    return this.byName.size;
  }

  get(name: string): DirEntry | undefined {
    return this.byName.get(name);
  }

  /** Adds a name; `cookie` (a renamed entry's own) keeps its place in listings, else a new one is taken. */
  add(name: string, ino: number, cookie?: number): DirEntry {
    if (this.byName.has(name)) throw new Error(`memfs: duplicate entry ${name}`);
    const entry: DirEntry = { name, ino, cookie: cookie ?? nextCookie++, removed: false };
    this.byName.set(name, entry);
    if (cookie === undefined) this.order.push(entry);
    else {
      // a new array, not splice: a listing paused in entriesAfter keeps iterating the old one
      const at = this.firstAfter(cookie);
      this.order = [...this.order.slice(0, at), entry, ...this.order.slice(at)];
    }
    this.filter?.add(this.ino, name); // before the reply that makes the name visible
    return entry;
  }

  remove(name: string): DirEntry | undefined {
    const entry = this.byName.get(name);
    if (!entry) return undefined;
    this.byName.delete(name);
    this.filter?.remove(this.ino, name);
    entry.removed = true;
    this.removedCount++;
    // Compact lazily so a listing that removes as it goes (rm -r) stays linear overall.
    if (this.removedCount > 64 && this.removedCount * 2 > this.order.length) {
      this.order = this.order.filter((e) => !e.removed);
      this.removedCount = 0;
    }
    return entry;
  }

  /** Points an existing name at another inode in place: the name keeps its cookie (rename over, exchange). */
  retarget(name: string, ino: number): void {
    const entry = this.byName.get(name);
    if (!entry) throw new Error(`memfs: no entry ${name}`);
    entry.ino = ino;
  }

  /** Live entries whose cookie is greater than `cookie`, in cookie order. */
  *entriesAfter(cookie: number): Generator<DirEntry> {
    const lo = this.firstAfter(cookie);
    // Compaction may replace `order` while the caller pauses between yields; iterate over a fixed array.
    const order = this.order;
    for (let i = lo; i < order.length; i++) {
      const entry = order[i]!;
      if (!entry.removed) yield entry;
    }
  }

  /** Binary search for the first position with a larger cookie: cookies increase along `order`. */
  private firstAfter(cookie: number): number {
    let lo = 0;
    let hi = this.order.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.order[mid]!.cookie <= cookie) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  names(): IterableIterator<string> {
    return this.byName.keys();
  }
}
