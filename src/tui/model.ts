// The dashboard's state per mount and the pure rules that update it from snapshots and the end of a subscription.
import type { Snapshot } from "../control/protocol.ts";

/**
 * connecting: no snapshot yet; live: snapshots arrive; safe: the daemon reported "stopped" (everything
 * stored) and exited; lost: the daemon went away without storing everything; unreachable: never answered.
 */
export type MountStatus = "connecting" | "live" | "safe" | "lost" | "unreachable";

export interface MountView {
  mountpoint: string;
  status: MountStatus;
  snapshot: Snapshot | null;
  /** Recent upload rates (bytes/s), oldest first, for the sparkline. */
  uploadHistory: number[];
  /** Set when the final flush began (state unmounting): how much was dirty then, and when. */
  finalFlush: { startedAt: number; startDirtyBytes: number } | null;
  /** A line for the user: the outcome of the last key command, or why the mount was lost. */
  message: string | null;
}

/** Enough samples for the widest chart (a 400-column terminal). */
export const HISTORY_LENGTH = 400;

export function initialView(mountpoint: string): MountView {
  return { mountpoint, status: "connecting", snapshot: null, uploadHistory: [], finalFlush: null, message: null };
}

export function withSnapshot(view: MountView, snapshot: Snapshot): MountView {
  const ending = snapshot.state === "unmounting" || snapshot.state === "stopped";
  const endBegins = ending && view.finalFlush === null;
  return {
    ...view,
    status: "live",
    snapshot,
    uploadHistory: [...view.uploadHistory, snapshot.uploads.bytesPerSecond].slice(-HISTORY_LENGTH),
    finalFlush: endBegins ? { startedAt: snapshot.at, startDirtyBytes: snapshot.cache.dirtyBytes } : view.finalFlush,
    // an earlier key's outcome ("flushed") would read as news about the final flush
    message: endBegins ? null : view.message,
  };
}

/** The subscription ended: safe only if the daemon said it stored everything. */
export function withEnd(view: MountView, error: string | null): MountView {
  if (view.snapshot?.state === "stopped") return { ...view, status: "safe", message: null };
  if (view.status === "connecting") return { ...view, status: "unreachable", message: error ?? "the daemon did not answer" };
  return {
    ...view,
    status: "lost",
    message: error ?? "the daemon exited before storing everything; the data is in its cache and is uploaded at the next coffer mount",
  };
}

export function withMessage(view: MountView, message: string | null): MountView {
  return { ...view, message };
}

/** Seconds until the dirty data is stored at the current upload rate; null when nothing moves. */
export function secondsToClean(s: Snapshot): number | null {
  if (s.cache.dirtyBytes === 0) return 0;
  return s.uploads.bytesPerSecond > 0 ? s.cache.dirtyBytes / s.uploads.bytesPerSecond : null;
}

/** The final flush as done/total bytes (the total grows if the start figure was too low). */
export function finalFlushProgress(view: MountView): { done: number; total: number; secondsLeft: number | null } | null {
  const s = view.snapshot;
  if (!view.finalFlush || !s) return null;
  const total = Math.max(view.finalFlush.startDirtyBytes, s.cache.dirtyBytes);
  return { done: total - s.cache.dirtyBytes, total, secondsLeft: secondsToClean(s) };
}
