// The notification Worker: writes kernel notifications (inval_inode, inval_entry) to /dev/fuse off the main thread.
//
// Why a thread of its own: the kernel handles a notification inside the write(2) that delivers it, and
// INVAL_ENTRY takes the directory's inode lock there. A CREATE (or any entry operation) in that directory holds
// the lock while it waits for its reply, which only the main thread sends: a notification written from the
// main thread would wait for the lock while the lock waits for the main thread. Written from here, the write
// waits while the main thread goes on and answers, and then it completes. Notifications are written in the
// order they are posted; each is acknowledged (`{ id }`) once the kernel has taken it in.
import { writeSync } from "node:fs";
import { parentPort, workerData } from "node:worker_threads";
import type { NotifyAck, NotifyJob } from "./notify-protocol.ts";

const fd = (workerData as { fd: number }).fd;
const port = parentPort!;

port.on("message", (job: NotifyJob) => {
  let error: string | undefined;
  try {
    writeSync(fd, job.bytes, 0, job.bytes.byteLength);
  } catch (e) {
    const code = (e as { code?: string }).code;
    // ENOENT: the kernel holds nothing of that name or inode (nothing to drop); ENODEV: unmounted
    if (code !== "ENOENT" && code !== "ENODEV") error = (e as Error).message;
  }
  port.postMessage({ id: job.id, error } satisfies NotifyAck);
});
