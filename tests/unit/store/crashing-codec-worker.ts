// A codec Worker that dies mid-job on purpose (loaded by codec-pool.test.ts): the job's name says how.
//
// "crash-once-throw:<marker>" / "crash-once-exit:<marker>": die (uncaught error / process.exit) the first
// time, i.e. while the marker file does not exist yet; "poison": die every time.
import { existsSync, writeFileSync } from "node:fs";
import { serveCodecJobs } from "../../../src/fs/blocks/codec-job.ts";

declare const self: Worker;

serveCodecJobs(self, (job) => {
  const [how, marker] = job.name.split("|")[1]?.split(":") ?? [];
  if (how === "poison" || ((how === "crash-once-throw" || how === "crash-once-exit") && !existsSync(marker))) {
    if (marker) writeFileSync(marker, "crashed");
    if (how === "crash-once-exit") process.exit(7);
    throw new Error("codec worker crashed on purpose");
  }
});
