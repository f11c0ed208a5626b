// Reused shared buffers for blocks on their way to the store: a flush of a thousand blocks allocates a few, not one each.
//
// Each upload reads its block into shared memory that the codec Workers read in place. A fresh 4 MiB
// SharedArrayBuffer per block is memory the engine reclaims late (it lives outside the JS heap): flushing
// 256 MiB peaked at over 500 MB of RSS. The upload queue holds at most `depth` blocks at once, so that many
// block-sized buffers, taken back once the block is encoded, serve every upload.

export class UploadBuffers {
  private readonly free: SharedArrayBuffer[] = [];

  constructor(
    private readonly blockSize: number,
    /** Buffers kept for reuse: the most blocks in flight at once. */
    private readonly keep: number,
  ) {}

  /** A zeroed-or-reused view of `size` bytes in shared memory (the caller overwrites all of it). */
  take(size: number): Uint8Array {
    const sab = size <= this.blockSize ? (this.free.pop() ?? new SharedArrayBuffer(this.blockSize)) : new SharedArrayBuffer(size);
    return new Uint8Array(sab, 0, size);
  }

  /** Takes a buffer back once nothing reads it any more (its block encoded, or found stored already). */
  give(view: Uint8Array): void {
    const sab = view.buffer;
    if (sab instanceof SharedArrayBuffer && sab.byteLength === this.blockSize && this.free.length < this.keep) this.free.push(sab);
  }

  /** Buffers waiting for reuse (tests). */
  get idle(): number {
    return this.free.length;
  }
}
