// `coffer dash` when stdout is not a terminal: one plain line per mount every few seconds and at each change of state.
import { subscribe } from "../control/client.ts";
import { finalFlushProgress, initialView, secondsToClean, withEnd, withSnapshot, type MountView } from "./model.ts";
import { formatBytes, formatRate } from "../format-bytes.ts";
import { formatDuration } from "./text.ts";

export function plainLine(view: MountView): string {
  const s = view.snapshot;
  if (view.status === "safe") return `${view.mountpoint}: unmounted, everything is stored; safe to power off`;
  if (view.status === "lost" || view.status === "unreachable") return `${view.mountpoint}: NOT safe: ${view.message}`;
  if (!s) return `${view.mountpoint}: connecting`;
  const flush = finalFlushProgress(view);
  if (flush) {
    if (flush.total === 0) return `${view.mountpoint}: final flush, no dirty data, storing the metadata; do not power off`;
    const left = flush.secondsLeft === null ? "waiting for the store" : `${formatDuration(flush.secondsLeft * 1000)} left`;
    return `${view.mountpoint}: final flush ${formatBytes(flush.done)} of ${formatBytes(flush.total)} stored, ${left}; do not power off`;
  }
  const clean = secondsToClean(s);
  return [
    `${view.mountpoint}: ${s.state}`,
    `cache ${formatBytes(s.cache.usedBytes)}/${formatBytes(s.cache.capBytes)}`,
    `dirty ${formatBytes(s.cache.dirtyBytes)} (${s.cache.dirtyBlocks} blocks${clean ? `, clean in ${formatDuration(clean * 1000)}` : ""})`,
    `upload ${formatRate(s.uploads.bytesPerSecond)} x${s.uploads.inFlight}`,
    `store ${s.store.retries} retries ${s.store.failures} failed${s.store.lastError ? ` last error: ${s.store.lastError.message}` : ""}`,
    `metadata v${s.metadata.version}${s.metadata.pending ? ` lag ${formatDuration(s.metadata.lagMs)}` : ""}`,
  ].join(", ");
}

/** Prints lines until every mount has ended; resolves true when all ended safely. */
export async function runPlain(mountpoints: string[], everyMs: number, write: (line: string) => void): Promise<boolean> {
  const views = mountpoints.map(initialView);
  const ends = mountpoints.map((mp, i) => {
    let lastLine = 0;
    let lastState = "";
    const sub = subscribe(mp, Math.min(everyMs, 1000), (snapshot) => {
      views[i] = withSnapshot(views[i]!, snapshot);
      if (snapshot.state === lastState && Date.now() - lastLine < everyMs) return;
      lastState = snapshot.state;
      lastLine = Date.now();
      write(plainLine(views[i]!));
    });
    return sub.ended.then((error) => {
      views[i] = withEnd(views[i]!, error?.message ?? null);
      write(plainLine(views[i]!));
      return views[i]!.status === "safe";
    });
  });
  return (await Promise.all(ends)).every(Boolean);
}
