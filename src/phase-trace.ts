// Start-up phase marks for bench/mount-time.ts: JSON lines appended to $COFFER_PHASE_TRACE when it is set, else nothing.
//
// Both the foreground `coffer mount` and its daemon inherit the variable, so one file holds the whole
// timeline. Times are wall-clock milliseconds (performance.timeOrigin + now: comparable across processes).
import { appendFileSync } from "node:fs";

const file = process.env.COFFER_PHASE_TRACE;
let started = false;

/** Records that `phase` just ended in this process (the first mark also records the process's start). */
export function markPhase(phase: string): void {
  if (!file) return;
  const now = performance.timeOrigin + performance.now();
  let lines = "";
  if (!started) {
    started = true;
    lines += `${JSON.stringify({ pid: process.pid, phase: "process start", t: performance.timeOrigin })}\n`;
  }
  lines += `${JSON.stringify({ pid: process.pid, phase, t: now })}\n`;
  try {
    appendFileSync(file, lines);
  } catch {
    // a benchmark aid: never let it fail a mount
  }
}
