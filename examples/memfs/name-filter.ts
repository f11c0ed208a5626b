// A counting filter of (directory, name) pairs in shared memory, so reader Workers can answer "no such
// name" (the most common LOOKUP: every stat of a missing file, every $PATH search) without waking the
// main thread.
//
// Correctness rests on two rules: the main thread counts a name in before it replies to the request that
// created it and counts it out only after removing it; and a Worker answers ENOENT only when a counter
// is zero, which cannot happen while the name exists (a counting filter has false positives, never false
// negatives). A false positive just forwards the LOOKUP to the main thread as before.

const SLOTS = 1 << 20; // 4 MiB; false positives grow with entries, never wrong answers

/** 32-bit FNV-1a over the parent id and the name's UTF-16 units. */
function hash(parent: number, name: string): number {
  let h = 0x811c9dc5;
  h = Math.imul(h ^ (parent & 0xffff), 0x01000193);
  h = Math.imul(h ^ (parent >>> 16), 0x01000193);
  h = Math.imul(h ^ Math.floor(parent / 0x100000000), 0x01000193);
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** murmur3's finalizer: spreads every input bit over the low bits the slots are taken from. */
function mix(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

export class NameFilter {
  private readonly counts: Int32Array;

  constructor(readonly buffer: SharedArrayBuffer = new SharedArrayBuffer(SLOTS * 4)) {
    this.counts = new Int32Array(buffer);
  }

  /** Adds `delta` to both counters of the pair. */
  private bump(parent: number, name: string, delta: number): void {
    const h = hash(parent, name);
    Atomics.add(this.counts, mix(h) & (SLOTS - 1), delta);
    Atomics.add(this.counts, mix(h ^ 0x9e3779b9) & (SLOTS - 1), delta);
  }

  add(parent: number, name: string): void {
    this.bump(parent, name, 1);
  }

  remove(parent: number, name: string): void {
    this.bump(parent, name, -1);
  }

  /** False means the name certainly does not exist in that directory right now. */
  mayContain(parent: number, name: string): boolean {
    const h = hash(parent, name);
    return Atomics.load(this.counts, mix(h) & (SLOTS - 1)) > 0 && Atomics.load(this.counts, mix(h ^ 0x9e3779b9) & (SLOTS - 1)) > 0;
  }
}
