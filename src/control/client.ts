// The tools' end of the control socket: send one request to a mount's daemon and follow its replies.
import { existsSync } from "node:fs";
import { connect } from "node:net";
import { UserError } from "../user-error.ts";
import { controlSocketPath } from "./paths.ts";
import type { ControlReply, ControlRequest } from "./protocol.ts";

export class DaemonUnreachableError extends UserError {}

/** Sends `request` to the daemon serving `mountpoint`; resolves with the "done" result. */
export function controlRequest(
  mountpoint: string,
  request: ControlRequest,
  onProgress?: (reply: Extract<ControlReply, { type: "progress" }>) => void,
): Promise<unknown> {
  const path = controlSocketPath(mountpoint);
  if (!existsSync(path)) {
    return Promise.reject(new DaemonUnreachableError(`no coffer daemon serves ${mountpoint}; check the path, or mount it with coffer mount`));
  }
  return new Promise((resolve, reject) => {
    let settled = false;
    let buffered = "";
    const socket = connect(path, () => socket.write(JSON.stringify(request) + "\n"));
    socket.setEncoding("utf8");
    socket.on("error", (error) => {
      if (settled) return;
      settled = true;
      reject(new DaemonUnreachableError(`the coffer daemon for ${mountpoint} does not answer (${(error as NodeJS.ErrnoException).code ?? error.message}); if it crashed, run coffer umount ${mountpoint} to clear the dead mount`));
    });
    socket.on("data", (chunk: string) => {
      buffered += chunk;
      let newline: number;
      while ((newline = buffered.indexOf("\n")) >= 0) {
        let reply: ControlReply;
        try {
          reply = JSON.parse(buffered.slice(0, newline)) as ControlReply;
        } catch {
          reply = { type: "error", message: `the coffer daemon for ${mountpoint} sent an unreadable reply; see its log` };
        }
        buffered = buffered.slice(newline + 1);
        if (reply.type === "progress") onProgress?.(reply);
        else if (!settled) {
          settled = true;
          if (reply.type === "done") resolve(reply.result);
          else reject(new UserError(reply.message, 1));
        }
      }
    });
    socket.on("close", () => {
      if (!settled) {
        settled = true;
        reject(new UserError(`the coffer daemon for ${mountpoint} closed the connection before answering; see its log`, 1));
      }
    });
  });
}
