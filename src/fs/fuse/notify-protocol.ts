// Messages between the session and its notification Worker (notify-worker.ts), and the sender that posts them.
import { Worker } from "node:worker_threads";

/** One notification, header included, as the kernel reads it (unique 0, error = the notify code). */
export interface NotifyJob {
  id: number;
  bytes: Uint8Array;
}

/** The Worker took job `id` (the kernel has processed it); `error` when the write failed for another reason than "nothing cached". */
export interface NotifyAck {
  id: number;
  error?: string;
}

/**
 * Posts notifications to a Worker that writes them to the device fd; each call resolves once the kernel has
 * processed that notification (or the session ended). Never blocks the caller.
 */
export class NotifySender {
  private readonly worker: Worker;
  private readonly waiting = new Map<number, () => void>();
  private nextId = 1;
  private stopped = false;

  constructor(fd: number, private readonly log: (line: string) => void) {
    this.worker = new Worker(new URL("./notify-worker.ts", import.meta.url), { workerData: { fd } });
    this.worker.unref(); // an idle notifier never keeps the process alive
    this.worker.on("message", (a: NotifyAck) => {
      if (a.error) this.log(`notification failed: ${a.error}`);
      const done = this.waiting.get(a.id);
      this.waiting.delete(a.id);
      done?.();
    });
    this.worker.on("error", (e: Error) => {
      this.log(`notification Worker failed: ${e.message}`);
      this.stop();
    });
  }

  send(bytes: Uint8Array): Promise<void> {
    if (this.stopped) return Promise.resolve();
    const id = this.nextId++;
    return new Promise<void>((resolve) => {
      this.waiting.set(id, resolve);
      this.worker.postMessage({ id, bytes } satisfies NotifyJob);
    });
  }

  /** Ends the Worker; notifications still waiting resolve (after an unmount there is nothing to invalidate). */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    for (const done of this.waiting.values()) done();
    this.waiting.clear();
    void this.worker.terminate();
  }
}
