// A reader Worker: blocks in readSync on /dev/fuse, answers fast-path requests itself, hands the rest to the main thread.
import { readSync, writeSync, writevSync } from "node:fs";
import { parentPort, workerData } from "node:worker_threads";
import { Opcode } from "./kernel.ts";
import { Server } from "./server.ts";
import type { WorkerHandlers } from "./worker-api.ts";
import { FORWARD_SLOT, NoteRing, type ReaderInit, type ReaderMessage } from "./reader-protocol.ts";

const init = workerData as ReaderInit;
const port = parentPort!;
const fd = init.fd;
const views = init.slots.map((s) => new Uint8Array(s));
const state = new Int32Array(init.state);
const post = (m: ReaderMessage) => port.postMessage(m);

let handlers: WorkerHandlers = {};
if (init.workerModule) {
  const mod = await import(init.workerModule);
  handlers = (mod.default as (d: unknown) => WorkerHandlers)(init.userData);
}

// Lookups answered here go to the main thread through a shared ring, in order.
const ring = new NoteRing(init.noteIndex, init.noteIds);

const server = new Server(handlers, {
  replySize: init.replySize,
  write(buf, len, tail) {
    if (tail && tail.byteLength) writevSync(fd, [buf.subarray(0, len), tail]);
    else writeSync(fd, buf, 0, len);
  },
  trace: init.trace ? (line) => post({ t: "trace", line }) : null,
  tracePrefix: `r${init.index} `,
  log: (m) => console.error(`fuse reader ${init.index}: ${m}`),
  onLookup(id, delta) {
    const v = delta > 0 ? id : -id; // negative: the reply failed, undo
    ring.pushWaiting(v);
  },
});

/** A free slot, waiting (briefly, repeatedly) for the main thread to release one if all are busy. */
let cursor = 0;
function acquire(): number {
  for (;;) {
    for (let i = 0; i < state.length; i++) {
      const s = (cursor + i) % state.length;
      if (Atomics.load(state, s) === 0) {
        cursor = (s + 1) % state.length;
        return s;
      }
    }
    Atomics.wait(state, cursor, 1, 20);
  }
}

function loop(): string | undefined {
  for (;;) {
    const slot = acquire();
    const buf = views[slot]!;
    let n: number;
    try {
      n = readSync(fd, buf, 0, buf.byteLength, null);
    } catch (e) {
      const code = (e as { code?: string }).code;
      if (code === "ENODEV") return undefined; // unmounted: the normal end of a session
      if (code === "EINTR" || code === "EAGAIN" || code === "ENOENT") continue;
      return `read /dev/fuse: ${(e as Error).message}`;
    }
    if (n === 0) return undefined;
    const req = buf.subarray(0, n);
    const opcode = buf[4]! | (buf[5]! << 8);
    let served = false;
    try {
      if (opcode === Opcode.DESTROY) {
        // Answered here: the kernel may send it from inside umount2 on the main thread.
        server.handle(req);
        post({ t: "destroy" });
        served = true;
      } else {
        served = server.tryServe(req);
      }
    } catch (e) {
      console.error(`fuse reader ${init.index}: ${(e as Error).stack}`);
      served = false;
    }
    if (!served) {
      Atomics.store(state, slot, 1);
      post(n + slot * FORWARD_SLOT);
    }
  }
}

const error = loop();
post({ t: "end", error });
port.close();
