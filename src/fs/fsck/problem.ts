// What an fsck check reports: a problem with its explanation and its repair, and the UI contract the checks talk to.
import type { Backend } from "../store/backend.ts";
import type { BlockMap } from "../meta/blockmap.ts";
import type { MetaDb } from "../meta/db.ts";
import type { ObjectCodec } from "../blocks/object-codec.ts";

/** One kind of damage found by a check, with what its repair does (interactive mode shows `explain`). */
export interface Problem {
  /** Short name, e.g. "wrong reference counts". */
  title: string;
  /** What is wrong and what the repair changes, in one or two sentences. */
  explain: string;
  /** How many items are affected. */
  count: number;
  /** Up to a few affected items, for the report. */
  examples: string[];
  /** Runs inside one database transaction (or does its own store I/O when async). */
  repair: () => void | Promise<void>;
}

/** How the checker talks to the person (or the log): progress, questions, lines. */
export interface FsckUi {
  /** A phase starts; `total` items (0 = unknown). */
  phase(name: string, total: number): void;
  /** Items done so far in the current phase. */
  tick(done: number): void;
  /** Whether to apply this repair (batch mode always says yes). */
  confirm(p: Problem): Promise<boolean>;
  log(line: string): void;
}

/** Everything a check needs: the local database and the store, offline (nothing is mounted). */
export interface FsckContext {
  db: MetaDb;
  map: BlockMap;
  backend: Backend;
  codec: ObjectCodec;
  cacheDir: string;
  blockSize: number;
  /** Newest metadata generation taken (an object zeroed now is deleted once a newer one is in the store). */
  takenGen: number;
  /** Whether the last session closed the cache cleanly (clean cache files can be trusted at all). */
  cleanShutdown: boolean;
  ui: FsckUi;
}

/** Keeps the first `max` examples of a list for a report. */
export const examplesOf = <T>(items: T[], show: (t: T) => string, max = 5): string[] => items.slice(0, max).map(show);
