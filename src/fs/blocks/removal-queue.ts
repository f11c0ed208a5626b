// RemovalQueue: deletes objects whose reference count is 0 from the store, once that is safe.
//
// Safe means: no metadata generation that can still be restored names the object, i.e. the oldest snapshot kept
// in the store (logs replay only on top of the newest snapshot, never further back) was taken after the count
// dropped to 0 — and no upload of it is in progress. Waiting for the newest generation alone is not enough:
// `coffer backups restore` of an older generation would bring a deleted file back without its data. The cost:
// deleted data stays in the store until the generation that last named it rotates out (10 snapshots kept). Each batch first moves the
// rows into the `garbage` journal (one transaction), then deletes from the store, then clears the journal,
// so a crash in between neither leaks an object nor deletes one that is still named.
import type { Backend } from "../store/backend.ts";
import type { BlockMap } from "../meta/blockmap.ts";
import { dataObjectKey } from "../store/object-names.ts";

export interface RemovalQueueOptions {
  map: BlockMap;
  backend: Backend;
  tx: <T>(fn: () => T) => T;
  /** The oldest metadata generation still restorable from the store (its oldest snapshot). */
  oldestRestorableGen: () => number;
  /** Objects being uploaded right now (never removed). */
  busy: ReadonlySet<number>;
  intervalMs?: number;
  log: (line: string) => void;
}

export class RemovalQueue {
  private timer: ReturnType<typeof setInterval> | null = null;
  private running: Promise<void> | null = null;
  removedObjects = 0;

  constructor(private readonly o: RemovalQueueOptions) {}

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.run().catch(() => {}), this.o.intervalMs ?? 5000);
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running?.catch(() => {});
  }

  /** One pass (or joins the pass in progress): journal what is deletable, delete it, clear the journal. */
  run(): Promise<void> {
    if (!this.running) this.running = this.pass().finally(() => (this.running = null));
    return this.running;
  }

  private async pass(): Promise<void> {
    for (;;) {
      this.o.tx(() => {
        for (const o of this.o.map.deletable(this.o.oldestRestorableGen(), 1000)) {
          if (!this.o.busy.has(o.id)) this.o.map.toGarbage(o, dataObjectKey(o.id, o.hash));
        }
      });
      const batch = this.o.map.garbage(1000);
      if (batch.length === 0) return;
      try {
        await this.o.backend.deleteMany(batch.map((g) => g.key));
      } catch (e) {
        this.o.log(`removal of ${batch.length} objects failed (will retry): ${(e as Error)?.message ?? e}`);
        return;
      }
      this.o.tx(() => {
        for (const g of batch) this.o.map.dropGarbage(g.object);
      });
      this.removedObjects += batch.length;
    }
  }
}
