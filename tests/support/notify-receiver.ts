// A real sd_notify endpoint for tests: python3 binds a Unix datagram socket (a path, or "@name" in the abstract
// namespace) and reports each datagram with its sender's PID (SCM_CREDENTIALS), as systemd reads them.
import type { Subprocess } from "bun";

const RECEIVER = String.raw`
import json, socket, struct, sys
name = sys.argv[1]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
s.bind("\0" + name[1:] if name.startswith("@") else name)
print(json.dumps({"bound": True}), flush=True)
while True:
    data, anc, flags, addr = s.recvmsg(65536, socket.CMSG_SPACE(12))
    pid = None
    for level, kind, cdata in anc:
        if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS:
            pid = struct.unpack("iII", cdata[:12])[0]
    print(json.dumps({"pid": pid, "text": data.decode()}), flush=True)
`;

export interface NotifyReceiver {
  stop(): Promise<void>;
}

/** Starts the receiver on `target`; resolves once it is bound. `onMessage` hears every datagram. */
export async function startNotifyReceiver(target: string, onMessage: (pid: number | null, text: string) => void): Promise<NotifyReceiver> {
  const proc: Subprocess<"ignore", "pipe", "inherit"> = Bun.spawn(["python3", "-c", RECEIVER, target], { stdin: "ignore", stdout: "pipe", stderr: "inherit" });
  const reap = () => proc.kill();
  process.once("exit", reap);
  const reader = proc.stdout.getReader();
  let buffered = "";
  let bound!: () => void;
  const ready = new Promise<void>((r) => (bound = r));
  void (async () => {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffered += new TextDecoder().decode(value);
      let nl: number;
      while ((nl = buffered.indexOf("\n")) >= 0) {
        const m = JSON.parse(buffered.slice(0, nl)) as { bound?: true; pid?: number | null; text?: string };
        buffered = buffered.slice(nl + 1);
        if (m.bound) bound();
        else onMessage(m.pid ?? null, m.text ?? "");
      }
    }
  })();
  await Promise.race([ready, proc.exited.then((c) => Promise.reject(new Error(`notify receiver exited (${c}) before binding ${target}`)))]);
  return {
    stop: async () => {
      process.off("exit", reap);
      proc.kill(); // this PID only
      await proc.exited;
    },
  };
}
