// The codec Worker's entry: receives its keys once, then runs jobs one at a time (see codec-pool.ts).
import { type CodecInit, type CodecJob, runCodecJob } from "./codec-job.ts";

declare const self: Worker;

let init: CodecInit | null = null;
self.onmessage = (ev: MessageEvent<CodecInit | CodecJob>) => {
  const msg = ev.data;
  if ("type" in msg) {
    init = msg;
    return;
  }
  if (!init) throw new Error("codec worker: a job arrived before its keys");
  const { reply, transfer } = runCodecJob(init, msg);
  self.postMessage(reply, transfer);
};
