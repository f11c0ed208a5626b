// A counting filter of (directory, name) pairs in shared memory, so reader Workers can answer "no such
// name" (the most common LOOKUP: every stat of a missing file, every $PATH search) without waking the
// main thread.
//
// Correctness rests on two rules: the main thread counts a name in before it replies to the request that
// created it and counts it out only after removing it; and a Worker answers ENOENT only when a counter
// is zero, which cannot happen while the name exists (a counting filter has false positives, never false
// negatives). A false positive just forwards the LOOKUP to the main thread as before.

const SLOTS = 1 << 20; // 4 MiB; false positives grow with entries, never wrong answers

/** 32-bit FNV-1a over the parent id and the name's UTF-16 units, with a seed per hash function. */
function hash(seed: number, parent: number, name: string): number {
  let h = seed;
  h = Math.imul(h ^ (parent & 0xffff), 0x01000193);
  h = Math.imul(h ^ (parent >>> 16), 0x01000193);
  h = Math.imul(h ^ Math.floor(parent / 0x100000000), 0x01000193);
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193);
  return (h ^ (h >>> 15)) >>> 0;
}

export class NameFilter {
  private readonly counts: Int32Array;

  constructor(readonly buffer: SharedArrayBuffer = new SharedArrayBuffer(SLOTS * 4)) {
    this.counts = new Int32Array(buffer);
  }

  private slotA(parent: number, name: string): number {
    return hash(0x811c9dc5, parent, name) & (SLOTS - 1);
  }

  private slotB(parent: number, name: string): number {
    return hash(0x050c5d1f, parent, name) & (SLOTS - 1);
  }

  add(parent: number, name: string): void {
    Atomics.add(this.counts, this.slotA(parent, name), 1);
    Atomics.add(this.counts, this.slotB(parent, name), 1);
  }

  remove(parent: number, name: string): void {
    Atomics.sub(this.counts, this.slotA(parent, name), 1);
    Atomics.sub(this.counts, this.slotB(parent, name), 1);
  }

  /** False means the name certainly does not exist in that directory right now. */
  mayContain(parent: number, name: string): boolean {
    return Atomics.load(this.counts, this.slotA(parent, name)) > 0 && Atomics.load(this.counts, this.slotB(parent, name)) > 0;
  }
}
