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
  trace: boolean;
  workerModule?: string;
  userData?: unknown;
}

/** A forwarded request travels as one number (cheapest to post): length + slot * FORWARD_SLOT. */
export const FORWARD_SLOT = 2 ** 24;

/** Messages to the main thread: a forwarded request is a number (see FORWARD_SLOT), the rest are objects. */
export type ReaderMessage =
  | number
  | { t: "notes"; ids: number[] }
  | { t: "trace"; line: string }
  | { t: "destroy" }
  | { t: "end"; error?: string };
