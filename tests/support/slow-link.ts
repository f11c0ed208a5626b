// A TCP proxy on 127.0.0.1 that caps upload bandwidth (client -> server), to make a store behave like a slow link.
//
// It runs in its own process: a test that reads or writes the mount synchronously blocks its own event loop,
// and a proxy living there would stop forwarding the very requests the daemon needs to answer it.
import { connect, createServer, type Socket } from "node:net";

export interface SlowLink {
  port: number;
  stop(): Promise<void>;
}

/** Forwards 127.0.0.1:<port> to `targetPort`, at most `bytesPerSecond` upstream over all connections together. */
export async function startSlowLink(targetPort: number, bytesPerSecond: number): Promise<SlowLink> {
  const proc = Bun.spawn([process.execPath, import.meta.path, String(targetPort), String(bytesPerSecond)], { stdout: "pipe", stderr: "inherit" });
  const reap = () => proc.kill();
  process.once("exit", reap);
  const reader = proc.stdout.getReader();
  let text = "";
  while (!text.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) throw new Error("slow link: the proxy exited before listening");
    text += new TextDecoder().decode(value);
  }
  reader.releaseLock();
  return {
    port: Number(text.trim()),
    stop: async () => {
      process.off("exit", reap);
      proc.kill(); // this PID only
      await proc.exited;
    },
  };
}

function serve(targetPort: number, bytesPerSecond: number): void {
  let nextFree = Date.now();
  const server = createServer((client: Socket) => {
    const upstream = connect(targetPort, "127.0.0.1");
    const drop = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on("error", drop).on("close", drop);
    upstream.on("error", drop).on("close", drop);
    upstream.pipe(client);
    client.on("data", (chunk: Buffer) => {
      upstream.write(chunk);
      // A shared token bucket: this chunk occupies the link until nextFree; pause the sender until then.
      const now = Date.now();
      nextFree = Math.max(nextFree, now) + (chunk.length * 1000) / bytesPerSecond;
      if (nextFree - now > 5) {
        client.pause();
        setTimeout(() => client.resume(), nextFree - now);
      }
    });
  });
  server.listen(0, "127.0.0.1", () => {
    const address = server.address();
    process.stdout.write(`${typeof address === "object" && address ? address.port : 0}\n`);
  });
}

if (import.meta.main) serve(Number(process.argv[2]), Number(process.argv[3]));
