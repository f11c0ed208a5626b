// The codec Worker's entry: receives its keys once, then runs jobs one at a time (see codec-pool.ts).
import { serveCodecJobs } from "./codec-job.ts";

declare const self: Worker;

serveCodecJobs(self);
