// The control socket's messages: one JSON object per line, requests from tools, replies from the daemon.

export type ControlRequest = { op: "stat" } | { op: "umount" } | { op: "flush" };

/** A reply stream ends with exactly one "done" or "error" message; "progress" may come before. */
export type ControlReply =
  | { type: "progress"; phase: string; dirtyBytes: number; uploadedBytes: number }
  | { type: "done"; result?: unknown }
  | { type: "error"; message: string };
