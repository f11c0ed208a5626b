// What the main thread and the reader Workers say to each other (kept apart so the main thread never loads reader-worker.ts).

/** What the session passes to each reader Worker. */
export interface ReaderInit {
  fd: number;
  index: number;
  /** One SharedArrayBuffer per request slot; a forwarded request stays in its slot until the main thread is done. */
  slots: SharedArrayBuffer[];
  /** Int32 per slot: 0 free, 1 owned by the main thread. */
  state: SharedArrayBuffer;
  replySize: number;
  /** Lookups answered in this Worker: a single-producer ring read by the main thread (see NoteRing). */
  noteIndex: SharedArrayBuffer;
  noteIds: SharedArrayBuffer;
  trace: boolean;
  workerModule?: string;
  userData?: unknown;
}

/** A forwarded request travels as one number (cheapest to post): length + slot * FORWARD_SLOT. */
export const FORWARD_SLOT = 2 ** 24;

/** Messages to the main thread: a forwarded request is a number (see FORWARD_SLOT), the rest are objects. */
export type ReaderMessage =
  | number
  | { t: "trace"; line: string }
  | { t: "destroy" }
  | { t: "end"; error?: string };

/** Entries in each Worker's lookup-note ring. */
export const NOTE_RING_SIZE = 4096;

/**
 * Lookups a reader Worker answered (+nodeid; -nodeid undoes one whose reply failed), passed to the main
 * thread through shared memory: the Worker appends the node id before writing the reply to the kernel (it
 * waits while the ring is full: there is no overflow path), and the main thread drains every ring before it
 * serves any forwarded request (so before any FORGET for that node) and on a timer. Index 0 is the producer's count,
 * index 1 the consumer's; both only grow (32-bit wrap-around is fine: the difference stays small).
 */
export class NoteRing {
  readonly index: Int32Array;
  readonly ids: Float64Array;
  constructor(indexBuf: SharedArrayBuffer, idsBuf: SharedArrayBuffer) {
    this.index = new Int32Array(indexBuf);
    this.ids = new Float64Array(idsBuf);
  }
  static create(): { noteIndex: SharedArrayBuffer; noteIds: SharedArrayBuffer } {
    return { noteIndex: new SharedArrayBuffer(8), noteIds: new SharedArrayBuffer(8 * NOTE_RING_SIZE) };
  }
  /** Producer (the Worker): false if the ring is full. */
  push(id: number): boolean {
    const head = this.index[0]!;
    if ((head - Atomics.load(this.index, 1)) >>> 0 >= this.ids.length) return false;
    this.ids[(head >>> 0) % this.ids.length] = id;
    Atomics.store(this.index, 0, (head + 1) | 0);
    return true;
  }
  /**
   * Producer: pushes, waiting for the main thread to drain when the ring is full. Never falls back to
   * another channel, so notes (+id, and -id undoing it) reach the main thread in order and before the
   * FORGET that could follow them. The main thread drains every 20 ms and never waits on a Worker.
   */
  pushWaiting(id: number): void {
    while (!this.push(id)) Atomics.wait(this.index, 1, Atomics.load(this.index, 1), 5);
  }
  /** Consumer (the main thread): calls `fn` for each pending id, in order. */
  drain(fn: (id: number) => void): void {
    const head = Atomics.load(this.index, 0);
    let tail = this.index[1]!;
    if (head === tail) return;
    while (tail !== head) {
      fn(this.ids[(tail >>> 0) % this.ids.length]!);
      tail = (tail + 1) | 0;
    }
    Atomics.store(this.index, 1, tail);
    Atomics.notify(this.index, 1); // a producer may wait in pushWaiting
  }
}
