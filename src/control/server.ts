// The daemon's end of the control socket: answers stat, flush and umount requests from coffer tools.
import { chmodSync, rmSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import type { ControlReply, ControlRequest } from "./protocol.ts";

export interface ControlHandlers {
  stat(): unknown;
  flush(progress: (p: Omit<Extract<ControlReply, { type: "progress" }>, "type">) => void): Promise<void>;
  umount(progress: (p: Omit<Extract<ControlReply, { type: "progress" }>, "type">) => void): Promise<void>;
}

export class ControlServer {
  private server: Server | null = null;
  private readonly open = new Set<Socket>();

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
    chmodSync(this.path, 0o600);
    this.server = server;
  }

  /**
   * Stops accepting connections. Does not wait for open ones: the umount request that is stopping us
   * is one of them, and gets its reply after this returns.
   */
  stop(): void {
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
    socket.on("close", () => this.open.delete(socket));
    let buffered = "";
    socket.setEncoding("utf8");
    socket.on("error", () => socket.destroy());
    socket.on("data", (chunk: string) => {
      buffered += chunk;
      const newline = buffered.indexOf("\n");
      if (newline < 0) return;
      const line = buffered.slice(0, newline);
      buffered = "";
      void this.answer(socket, line);
    });
  }

  private async answer(socket: Socket, line: string): Promise<void> {
    const send = (reply: ControlReply) => {
      if (!socket.destroyed) socket.write(JSON.stringify(reply) + "\n");
    };
    const progress = (p: Omit<Extract<ControlReply, { type: "progress" }>, "type">) => send({ type: "progress", ...p });
    try {
      const request = JSON.parse(line) as ControlRequest;
      if (request.op === "stat") send({ type: "done", result: this.handlers.stat() });
      else if (request.op === "flush") { await this.handlers.flush(progress); send({ type: "done" }); }
      else if (request.op === "umount") { await this.handlers.umount(progress); send({ type: "done" }); }
      else send({ type: "error", message: `unknown control request ${JSON.stringify(request)}` });
    } catch (error) {
      this.log(`control request failed: ${(error as Error).message}`);
      send({ type: "error", message: (error as Error).message });
    }
    socket.end();
  }
}
