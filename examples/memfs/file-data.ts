// Sparse file contents for memfs: fixed-size chunks in a Map, so holes (and a 4 GiB sparse file) cost nothing.

/** 64 KiB: big enough that a sequential copy touches few chunks, small enough that a stray write is cheap. */
export const CHUNK_SIZE = 64 * 1024;

/** Largest read served from the shared scratch buffer (the FUSE max_read); bigger ones (copy_file_range) allocate. */
const SCRATCH_MAX = 1024 * 1024;
let scratch = new Uint8Array(0);
function scratchFor(n: number): Uint8Array {
  if (n > SCRATCH_MAX) return new Uint8Array(n);
  if (scratch.byteLength < n) scratch = new Uint8Array(SCRATCH_MAX);
  return scratch.subarray(0, n);
}

export class FileData {
  /** Chunk index -> CHUNK_SIZE bytes. A missing chunk reads as zeros. */
  private readonly chunks = new Map<number, Uint8Array>();
  size = 0;

  /** Bytes held in chunks, for statfs. */
  get allocatedBytes(): number {
    return this.chunks.size * CHUNK_SIZE;
  }

  /** st_blocks: allocated chunks, each counted only up to EOF, so a 3-byte file is not reported as 64 KiB in du. */
  get blocks512(): number {
    let blocks = 0;
    for (const index of this.chunks.keys()) {
      const used = Math.min(CHUNK_SIZE, this.size - index * CHUNK_SIZE);
      if (used > 0) blocks += Math.ceil(used / 4096) * 8;
    }
    return blocks;
  }

  /**
   * The bytes at [offset, offset + length) clipped to EOF, valid only until the next read or write: a view of the
   * chunk when the range lies inside one, else a shared scratch buffer. The FUSE server writes a synchronous
   * read's reply before it serves anything else, and a fresh 1 MiB buffer per READ (zero-filled, then garbage)
   * halved cold sequential reads (~0.9 vs ~1.9 GB/s measured).
   */
  read(offset: number, length: number): Uint8Array {
    const end = Math.min(this.size, offset + length);
    if (end <= offset) return new Uint8Array(0);
    const first = Math.floor(offset / CHUNK_SIZE);
    const start = offset - first * CHUNK_SIZE;
    if (start + (end - offset) <= CHUNK_SIZE) {
      const chunk = this.chunks.get(first);
      return chunk ? chunk.subarray(start, start + (end - offset)) : new Uint8Array(end - offset);
    }
    const out = scratchFor(end - offset);
    for (let pos = offset; pos < end; ) {
      const index = Math.floor(pos / CHUNK_SIZE);
      const within = pos - index * CHUNK_SIZE;
      const n = Math.min(CHUNK_SIZE - within, end - pos);
      const chunk = this.chunks.get(index);
      if (chunk) out.set(chunk.subarray(within, within + n), pos - offset);
      else out.fill(0, pos - offset, pos - offset + n); // a hole
      pos += n;
    }
    return out;
  }

  /** Copies `data` (the caller's buffer may be reused after we return). */
  write(offset: number, data: Uint8Array): void {
    const end = offset + data.length;
    for (let pos = offset; pos < end; ) {
      const index = Math.floor(pos / CHUNK_SIZE);
      const within = pos - index * CHUNK_SIZE;
      const n = Math.min(CHUNK_SIZE - within, end - pos);
      let chunk = this.chunks.get(index);
      if (!chunk) {
        chunk = new Uint8Array(CHUNK_SIZE);
        this.chunks.set(index, chunk);
      }
      chunk.set(data.subarray(pos - offset, pos - offset + n), within);
      pos += n;
    }
    if (end > this.size) this.size = end;
  }

  /** Shrinks (dropping and zeroing what lies past the end, so a later extension reads zeros) or extends with a hole. */
  truncate(size: number): void {
    if (size < this.size) {
      const lastKept = Math.ceil(size / CHUNK_SIZE) - 1;
      for (const index of [...this.chunks.keys()]) if (index > lastKept) this.chunks.delete(index);
      const tail = this.chunks.get(lastKept);
      if (tail && size % CHUNK_SIZE !== 0) tail.fill(0, size % CHUNK_SIZE);
    }
    this.size = size;
  }

  /** SEEK_DATA: the first offset >= `offset` inside an allocated chunk, or -1 (ENXIO) if none before EOF. */
  seekData(offset: number): number {
    if (offset >= this.size) return -1;
    let best = -1;
    const first = Math.floor(offset / CHUNK_SIZE);
    for (const index of this.chunks.keys()) {
      if (index >= first && (best < 0 || index < best)) best = index;
    }
    if (best < 0) return -1;
    const at = Math.max(offset, best * CHUNK_SIZE);
    return at < this.size ? at : -1;
  }

  /** SEEK_HOLE: the first offset >= `offset` in a hole; EOF counts as a hole. -1 (ENXIO) past EOF. */
  seekHole(offset: number): number {
    if (offset >= this.size) return -1;
    let index = Math.floor(offset / CHUNK_SIZE);
    while (this.chunks.has(index)) index++;
    return Math.min(Math.max(offset, index * CHUNK_SIZE), this.size);
  }

  /** Releases the memory at once (the last link and the last open handle are gone). */
  clear(): void {
    this.chunks.clear();
    this.size = 0;
  }
}
