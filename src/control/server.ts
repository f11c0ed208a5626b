// The daemon's end of the control socket: validates each request, runs its handler, pushes snapshots to subscribers.
import { chmodSync, rmSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import {
  ControlRequest, PROTOCOL_VERSION, parseLine,
  type ControlOp, type ControlReply, type FlushProgressMessage, type Snapshot,
} from "./protocol.ts";

type RequestOf<O extends ControlOp> = Extract<ControlRequest, { op: O }>;

/** What a command handler gets: its parsed request and a way to report progress before it resolves. */
export type CommandHandler<O extends ControlOp> = (request: RequestOf<O>, progress: (p: FlushProgressMessage) => void) => Promise<unknown> | unknown;

/** One handler per command; "subscribe" is served by the server itself from `snapshot`. */
export type ControlHandlers = { [O in Exclude<ControlOp, "subscribe">]: CommandHandler<O> } & {
  snapshot(): Snapshot;
};

const LONGEST_LINE = 64 * 1024;

export class ControlServer {
  private server: Server | null = null;
  private readonly open = new Set<Socket>();
  /** Subscribed sockets -> their push timer; no timer runs while nobody subscribes. */
  private readonly subscribers = new Map<Socket, ReturnType<typeof setInterval>>();

  constructor(
    private readonly path: string,
    private readonly handlers: ControlHandlers,
    private readonly log: (line: string) => void,
  ) {}

  async start(): Promise<void> {
    rmSync(this.path, { force: true }); // a socket left by a crashed daemon; the caller checked no live mount owns it
    const server = createServer((socket) => this.serve(socket));
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(this.path, () => resolve());
    });
    // Owner only: the socket can flush, drop the cache and unmount. The directory is 0700 as well.
    chmodSync(this.path, 0o600);
    this.server = server;
  }

  /** Sends a snapshot to every subscriber now (a state change should not wait for the next tick). */
  publish(): void {
    if (this.subscribers.size === 0) return;
    const reply = this.snapshotReply();
    if (reply) for (const socket of this.subscribers.keys()) send(socket, reply);
  }

  /**
   * Stops accepting connections and ends every subscription after one last snapshot (which tells a
   * dashboard the final state). Does not wait for open command connections: the umount request that
   * is stopping us is one of them, and gets its reply after this returns.
   */
  stop(): void {
    this.publish();
    for (const [socket, timer] of this.subscribers) {
      clearInterval(timer);
      socket.end();
    }
    this.subscribers.clear();
    this.server?.close();
    this.server = null;
    rmSync(this.path, { force: true });
  }

  /** Resolves once every connection has closed (its reply delivered), or after `timeoutMs`. */
  async drained(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.open.size > 0 && Date.now() < deadline) await Bun.sleep(10);
  }

  private serve(socket: Socket): void {
    this.open.add(socket);
    socket.on("close", () => {
      this.open.delete(socket);
      const timer = this.subscribers.get(socket);
      if (timer) clearInterval(timer);
      this.subscribers.delete(socket);
    });
    let buffered = "";
    let answered = false;
    socket.setEncoding("utf8");
    socket.on("error", () => socket.destroy());
    socket.on("data", (chunk: string) => {
      if (answered) return; // one request per connection
      buffered += chunk;
      const newline = buffered.indexOf("\n");
      if (newline < 0) {
        if (buffered.length > LONGEST_LINE) {
          answered = true;
          this.refuse(socket, `control request longer than ${LONGEST_LINE} bytes`);
        }
        return;
      }
      answered = true;
      void this.answer(socket, buffered.slice(0, newline));
      buffered = "";
    });
  }

  private refuse(socket: Socket, message: string): void {
    this.log(`control request refused: ${message}`);
    send(socket, { v: PROTOCOL_VERSION, type: "error", message });
    socket.end();
  }

  /** A snapshot reply, or null (logged) when taking it failed: a timer must never throw in the daemon. */
  private snapshotReply(): ControlReply | null {
    try {
      return { v: PROTOCOL_VERSION, type: "snapshot", snapshot: this.handlers.snapshot() };
    } catch (error) {
      this.log(`control: cannot take a snapshot: ${(error as Error).message}`);
      return null;
    }
  }

  private async answer(socket: Socket, line: string): Promise<void> {
    const parsed = parseLine(ControlRequest, line);
    if (!parsed.ok) {
      if (parsed.problem === "version") {
        return this.refuse(socket, `this coffer daemon speaks control protocol v${PROTOCOL_VERSION} but the request has ${parsed.detail}; use the coffer command of the same version as the daemon (or remount with the new one)`);
      }
      return this.refuse(socket, parsed.problem === "json" ? "control request is not JSON" : `malformed control request (${parsed.detail})`);
    }
    const request = parsed.value;
    if (request.op === "subscribe") {
      const push = () => {
        const reply = this.snapshotReply();
        if (reply) send(socket, reply);
      };
      push();
      this.subscribers.set(socket, setInterval(push, request.intervalMs));
      return;
    }
    const progress = (p: FlushProgressMessage) => send(socket, { v: PROTOCOL_VERSION, type: "progress", progress: p });
    try {
      const handler = this.handlers[request.op] as CommandHandler<typeof request.op>;
      const result = await handler(request as never, progress);
      send(socket, { v: PROTOCOL_VERSION, type: "done", result });
    } catch (error) {
      this.log(`control request ${request.op} failed: ${(error as Error).message}`);
      send(socket, { v: PROTOCOL_VERSION, type: "error", message: (error as Error).message });
    }
    socket.end();
  }
}

function send(socket: Socket, reply: ControlReply): void {
  if (!socket.destroyed && socket.writable) socket.write(JSON.stringify(reply) + "\n");
}
