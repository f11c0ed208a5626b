// The random-ops model: what a file should contain, and the seeded PRNG that drives the sequence.

export type Rng = () => number;

/** mulberry32 (the fault injector's PRNG): the same sequence for a seed on every run and machine. */
export { mulberry32 } from "../../../src/fs/store/faulty.ts";

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
