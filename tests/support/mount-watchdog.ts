// A watchdog thread that SIGKILLs mount servers when the test thread is stuck in a system call on their mount.
//
// Tests call node:fs synchronously on the mount; if the server hangs, the call blocks the test thread and
// bun's test timeout can never fire. A Worker keeps running meanwhile: when the test thread has not
// ticked for a child's limit, it kills that child. Its death aborts the FUSE connection, so the blocked
// call fails with ENOTCONN and the test fails (with a message) instead of hanging CI.

import { Worker } from "node:worker_threads";

const WORKER_SOURCE = String.raw`
const { parentPort, workerData } = require("node:worker_threads");
const beat = new Float64Array(workerData);
const children = new Map();
parentPort.on("message", (m) => {
  if (m.add) children.set(m.add.pid, m.add);
  if (m.remove) children.delete(m.remove);
});
setInterval(() => {
  const stalled = Date.now() - beat[0];
  for (const [pid, c] of children) {
    if (stalled < c.limitMs) continue;
    children.delete(pid);
    process.stderr.write("mount watchdog: test thread stuck for " + stalled + " ms; SIGKILL server " + pid + " of " + c.mountpoint + "\n");
    try { process.kill(pid, "SIGKILL"); } catch {}
  }
}, 250);
`;

let worker: Worker | undefined;
let beat: Float64Array | undefined;

function start(): Worker {
  if (worker) return worker;
  const shared = new SharedArrayBuffer(8);
  beat = new Float64Array(shared);
  beat[0] = Date.now();
  setInterval(() => (beat![0] = Date.now()), 200).unref();
  worker = new Worker(WORKER_SOURCE, { eval: true, workerData: shared });
  worker.unref(); // never keeps the test process alive
  return worker;
}

/** Watch the server `pid` of `mountpoint`: kill it once the test thread stalls for `limitMs`. */
export function watchMountServer(pid: number, mountpoint: string, limitMs: number): void {
  start().postMessage({ add: { pid, mountpoint, limitMs } });
}

export function unwatchMountServer(pid: number): void {
  worker?.postMessage({ remove: pid });
}
