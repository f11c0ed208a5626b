// The tools' end of the control socket: send one request to a mount's daemon and follow its validated replies.
import { accessSync, constants, existsSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { UserError } from "../user-error.ts";
import { canonicalMountpoint, controlSocketPath, systemSocketPath, SYSTEM_RUNTIME_DIR } from "./paths.ts";
import { cofferMounts } from "./discover.ts";
import {
  ControlReply, PROTOCOL_VERSION, describeIssue, parseLine, Snapshot,
  type ControlCommand, type FlushProgressMessage,
} from "./protocol.ts";

export class DaemonUnreachableError extends UserError {}

/** Opens the socket of the daemon serving `mountpoint` and sends `command`; replies go to `onReply` one by one. */
function openConversation(
  mountpoint: string,
  command: ControlCommand,
  onReply: (reply: ControlReply) => void,
  onEnd: (error: UserError | null) => void,
): Socket | null {
  const path = [controlSocketPath(mountpoint, { create: false }), systemSocketPath(mountpoint)].find((p) => existsSync(p));
  if (!path) {
    onEnd(new DaemonUnreachableError(
      mountedByOtherUser(mountpoint)
        ? `the coffer daemon for ${mountpoint} belongs to another user: only the user who mounted it may control it; run this as that user`
        : `no coffer daemon serves ${mountpoint}; check the path, or mount it with coffer mount`,
    ));
    return null;
  }
  let ended = false;
  const end = (error: UserError | null) => {
    if (ended) return;
    ended = true;
    onEnd(error);
  };
  let buffered = "";
  const socket = connect(path, () => socket.write(JSON.stringify({ ...command, v: PROTOCOL_VERSION }) + "\n"));
  socket.setEncoding("utf8");
  socket.on("error", (error) => {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "EACCES") end(new DaemonUnreachableError(`the coffer daemon for ${mountpoint} belongs to another user: only the user who mounted it may control it; run this as that user`));
    else end(new DaemonUnreachableError(`the coffer daemon for ${mountpoint} does not answer (${code ?? error.message}); if it crashed, run coffer umount ${mountpoint} to clear the dead mount`));
  });
  socket.on("data", (chunk: string) => {
    buffered += chunk;
    let newline: number;
    while (!ended && (newline = buffered.indexOf("\n")) >= 0) {
      const parsed = parseLine(ControlReply, buffered.slice(0, newline));
      buffered = buffered.slice(newline + 1);
      if (parsed.ok) {
        onReply(parsed.value);
        continue;
      }
      socket.destroy();
      if (parsed.problem === "version") {
        end(new UserError(`the coffer daemon for ${mountpoint} speaks another control protocol (${parsed.detail}; this coffer speaks v${PROTOCOL_VERSION}); use the coffer command of the same version as the daemon, or remount with this one`, 1));
      } else {
        end(new UserError(`the coffer daemon for ${mountpoint} sent an unreadable reply (${parsed.detail}); see its log`, 1));
      }
    }
  });
  socket.on("close", () => end(null));
  return socket;
}

/** A coffer mount whose socket we cannot see: root's, in the owner-only /run/coffer. */
function mountedByOtherUser(mountpoint: string): boolean {
  if (!cofferMounts().includes(canonicalMountpoint(mountpoint))) return false;
  try {
    accessSync(SYSTEM_RUNTIME_DIR, constants.X_OK);
    return false;
  } catch {
    return existsSync(SYSTEM_RUNTIME_DIR);
  }
}

/** Sends `command` to the daemon serving `mountpoint`; resolves with the "done" result. */
export function controlRequest(
  mountpoint: string,
  command: Exclude<ControlCommand, { op: "subscribe" }>,
  onProgress?: (progress: FlushProgressMessage) => void,
): Promise<unknown> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const socket = openConversation(
      mountpoint,
      command,
      (reply) => {
        if (reply.type === "progress") onProgress?.(reply.progress);
        else if (settled) return;
        else if (reply.type === "done") ((settled = true), resolve(reply.result));
        else if (reply.type === "error") ((settled = true), reject(new UserError(reply.message, 1)));
      },
      (error) => {
        if (settled) return;
        settled = true;
        reject(error ?? new UserError(`the coffer daemon for ${mountpoint} closed the connection before answering; see its log`, 1));
      },
    );
    void socket;
  });
}

/** The daemon's current snapshot (what `coffer stat` prints). */
export async function fetchSnapshot(mountpoint: string): Promise<Snapshot> {
  const parsed = Snapshot.safeParse(await controlRequest(mountpoint, { op: "stat" }));
  if (!parsed.success) throw new UserError(`the coffer daemon for ${mountpoint} sent an unreadable snapshot (${describeIssue(parsed.error)}); see its log`, 1);
  return parsed.data;
}

export interface Subscription {
  close(): void;
  /** Resolves when the daemon ends the subscription (null) or it fails (the error, one clear line). */
  readonly ended: Promise<UserError | null>;
}

/** Receives a snapshot every `intervalMs` (and at each state change) until closed or the daemon exits. */
export function subscribe(mountpoint: string, intervalMs: number, onSnapshot: (snapshot: Snapshot) => void): Subscription {
  let finish!: (error: UserError | null) => void;
  const ended = new Promise<UserError | null>((resolve) => (finish = resolve));
  const socket = openConversation(
    mountpoint,
    { op: "subscribe", intervalMs },
    (reply) => {
      if (reply.type === "snapshot") onSnapshot(reply.snapshot);
      else if (reply.type === "error") {
        socket?.destroy();
        finish(new UserError(reply.message, 1));
      }
    },
    finish,
  );
  return { close: () => socket?.destroy(), ended };
}
