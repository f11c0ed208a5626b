// The random-ops model: what a file should contain, and the seeded PRNG that drives the sequence.

export type Rng = () => number;

/** mulberry32: tiny, fast, and the same sequence for a seed on every run and machine. */
export function mulberry32(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The expected contents of one inode; hard links share one ModelFile. */
export class ModelFile {
  private bytes = new Uint8Array(0);
  size = 0;

  private ensure(capacity: number): void {
    if (capacity <= this.bytes.length) return;
    const grown = new Uint8Array(Math.max(capacity, this.bytes.length * 2));
    grown.set(this.bytes.subarray(0, this.size));
    this.bytes = grown;
  }

  write(offset: number, data: Uint8Array): void {
    const end = offset + data.length;
    this.ensure(end);
    // Bytes between the old end and `offset` must read as zeros: clear what a shrink may have left behind.
    if (offset > this.size) this.bytes.fill(0, this.size, offset);
    this.bytes.set(data, offset);
    this.size = Math.max(this.size, end);
  }

  truncate(size: number): void {
    this.ensure(size);
    if (size > this.size) this.bytes.fill(0, this.size, size);
    this.size = size;
  }

  read(offset: number, length: number): Uint8Array {
    const end = Math.min(this.size, offset + length);
    return end > offset ? this.bytes.slice(offset, end) : new Uint8Array(0);
  }
}
