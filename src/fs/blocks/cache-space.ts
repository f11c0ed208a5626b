// CacheSpace: what the block cache holds against its two caps (bytes, entries), and LRU eviction of clean blocks.
//
// Everything that takes room is counted here, in one place: cached blocks (files, in-memory blocks and
// fallocate reservations, by their footprint) and downloads in flight (by their object's plaintext size,
// from the moment they are admitted until their file is in place). Room for anything new is made *before*
// it is added (`makeRoom`), so the caps hold at all times, with one exception kept to one block: when
// nothing can free room by waiting (no dirty data to upload, no download about to land), one newcomer is
// admitted anyway (`admit`), or a cache smaller than a block could never make progress.
//
// Only clean blocks are candidates for eviction: they live in `clean`, least recently used first, so an
// eviction is O(evicted) however many dirty blocks the cache holds. The owner (BlockCache) may still veto
// a candidate (a block just downloaded for a reader that has not run yet, a pinned reservation).

export interface CacheCaps {
  /** The cache size: bytes of cached blocks plus downloads in flight. */
  maxBytes: number;
  /** S3QL's --max-cache-entries: cached blocks plus downloads in flight. */
  maxEntries: number;
}

/** Default entry cap: one entry per 4 KiB of cache size (a small cache file takes at least 4 KiB on disk), at least 1024. */
export const defaultMaxEntries = (maxBytes: number): number => Math.max(1024, Math.floor(maxBytes / 4096));

export class CacheSpace {
  /** Footprint of every cached block, dirty or clean. */
  bytes = 0;
  /** Footprint of the dirty blocks among them (what only uploads can free). */
  dirtyBytes = 0;
  /** Cached blocks (files and in-memory blocks). */
  entries = 0;
  /** Downloads admitted and not yet in place. */
  incomingBytes = 0;
  incomingCount = 0;
  /** Clean cached blocks, least recently used first: the eviction candidates. */
  private readonly clean = new Set<string>();

  constructor(
    readonly caps: CacheCaps,
    /** Evicts one clean block now, or returns false when it must stay for the moment. */
    private readonly evictOne: (key: string) => boolean,
  ) {}

  /** Records a cached block's change of footprint (before/after undefined: the block appears/goes). */
  resize(key: string, before: number | undefined, after: number | undefined, dirty: boolean): void {
    const delta = (after ?? 0) - (before ?? 0);
    this.bytes += delta;
    if (dirty) this.dirtyBytes += delta;
    if (before === undefined && after !== undefined) this.entries++;
    if (before !== undefined && after === undefined) this.entries--;
    if (after === undefined || dirty) this.clean.delete(key);
    else this.used(key);
  }

  /** A block went dirty (footprint moves from clean to dirty), or clean again. */
  setDirty(key: string, footprint: number | undefined, dirty: boolean): void {
    if (footprint === undefined) return; // no cached content: nothing to move
    this.dirtyBytes += dirty ? footprint : -footprint;
    if (dirty) this.clean.delete(key);
    else this.used(key);
  }

  /** Marks a clean block most recently used (no effect on dirty ones). */
  touch(key: string): void {
    if (!this.clean.has(key)) return;
    this.clean.delete(key);
    this.clean.add(key);
  }

  private used(key: string): void {
    this.clean.delete(key);
    this.clean.add(key);
  }

  /** The clean blocks, least recently used first (a copy: evicting while iterating is allowed). */
  cleanKeys(): string[] {
    return [...this.clean];
  }

  private fits(bytes: number, entries: number): boolean {
    return this.bytes + this.incomingBytes + bytes <= this.caps.maxBytes &&
      this.entries + this.incomingCount + entries <= this.caps.maxEntries;
  }

  /**
   * Evicts least recently used clean blocks (never `keep`) until `bytes` more and `entries` more fit under
   * both caps; returns whether they fit.
   */
  makeRoom(bytes: number, entries: number, keep?: string): boolean {
    if (this.fits(bytes, entries)) return true;
    for (const key of this.clean) {
      if (key === keep || !this.evictOne(key)) continue;
      if (this.fits(bytes, entries)) return true;
    }
    return false;
  }

  /**
   * makeRoom, or (when it fails) true if waiting cannot help: no dirty data that uploads would free and
   * no download in flight. Then one newcomer goes over the cap; the next one finds the cache over it with
   * dirty data (or a download) in it and waits. So the caps hold within one block. `settling`: room is
   * about to come anyway (a fresh download its reader has not used yet).
   */
  admit(bytes: number, entries: number, keep?: string, settling: () => boolean = () => false): boolean {
    if (this.makeRoom(bytes, entries, keep)) return true;
    return this.dirtyBytes === 0 && this.incomingCount === 0 && !settling();
  }

  /** True when `bytes` more fit under both caps without evicting anything (prefetch asks this). */
  hasFreeRoom(bytes: number): boolean {
    return this.fits(bytes, 1);
  }

  /** Evicts clean blocks until the cache is within its caps again (after the caps shrank). */
  trim(): void {
    this.makeRoom(0, 0);
  }

  /** Counts a download from its admission until its file is in place (or it failed). */
  incoming(bytes: number, sign: 1 | -1): void {
    this.incomingBytes += sign * bytes;
    this.incomingCount += sign;
  }
}
