// sd_notify datagrams from Bun reach a real Unix datagram receiver (python3), at a path and in the abstract namespace.
import { afterAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { encodeSockaddrUn, NotifySocket, NotifySocketError } from "../../../src/daemon/notify-socket.ts";
import { SystemdNotifier } from "../../../src/daemon/notify.ts";
import { startNotifyReceiver } from "../../support/notify-receiver.ts";

setDefaultTimeout(120_000); // per file: bun test ignores bunfig's timeout (docs/testing.md)

const T = 20_000;
const dir = mkdtempSync(join(tmpdir(), "coffer-notify-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Starts a receiver on `target`, runs `send`, and returns the first `count` datagrams (pid and text). */
async function receive(target: string, count: number, send: () => void): Promise<Array<{ pid: number | null; text: string }>> {
  const got: Array<{ pid: number | null; text: string }> = [];
  let enough!: () => void;
  const done = new Promise<void>((r) => (enough = r));
  const receiver = await startNotifyReceiver(target, (pid, text) => {
    got.push({ pid, text });
    if (got.length === count) enough();
  });
  try {
    send();
    await done;
  } finally {
    await receiver.stop();
  }
  return got;
}

describe("NotifySocket", () => {
  test("a path socket receives READY=1 from this very process", async () => {
    const path = join(dir, "notify");
    const got = await receive(path, 1, () => {
      const s = new NotifySocket(path);
      s.send("READY=1\nSTATUS=serving");
      s.close();
    });
    expect(got).toEqual([{ pid: process.pid, text: "READY=1\nSTATUS=serving" }]);
  }, T);

  test("an abstract socket (@name) receives too", async () => {
    const name = `@coffer-notify-test-${process.pid}`;
    const got = await receive(name, 1, () => {
      const s = new NotifySocket(name);
      s.send("STOPPING=1");
      s.close();
    });
    expect(got).toEqual([{ pid: process.pid, text: "STOPPING=1" }]);
  }, T);

  test("SystemdNotifier sends READY with MAINPID, and WATCHDOG when WATCHDOG_USEC is set for us", async () => {
    const path = join(dir, "notify-2");
    const got = await receive(path, 3, () => {
      const n = SystemdNotifier.fromEnv({ NOTIFY_SOCKET: path, WATCHDOG_USEC: "200000", WATCHDOG_PID: String(process.pid) }, () => {})!;
      n.ready("0 B dirty");
      setTimeout(() => n.close(), 250); // the first WATCHDOG=1 comes with READY, the next after 100 ms
    });
    expect(got[0]!.text).toBe(`READY=1\nMAINPID=${process.pid}\nSTATUS=0 B dirty`);
    expect(got.slice(1).map((m) => m.text)).toEqual(["WATCHDOG=1", "WATCHDOG=1"]);
  }, T);

  test("no watchdog for another process's WATCHDOG_PID; nothing at all without NOTIFY_SOCKET", async () => {
    expect(SystemdNotifier.fromEnv({}, () => {})).toBeNull();
    const path = join(dir, "notify-3");
    const got = await receive(path, 2, () => {
      const n = SystemdNotifier.fromEnv({ NOTIFY_SOCKET: path, WATCHDOG_USEC: "100000", WATCHDOG_PID: String(process.pid + 1) }, () => {})!;
      n.ready("x");
      setTimeout(() => {
        n.status("end"); // after three would-be watchdog periods
        n.close();
      }, 300);
    });
    expect(got.map((m) => m.text.split("\n")[0])).toEqual(["READY=1", "STATUS=end"]);
  }, T);

  test("bad NOTIFY_SOCKET values are refused with a clear error", () => {
    expect(() => encodeSockaddrUn("relative/path")).toThrow(NotifySocketError);
    expect(() => encodeSockaddrUn(`/${"x".repeat(200)}`)).toThrow(/longer than/);
    const abstract = encodeSockaddrUn("@ab");
    expect(abstract.length).toBe(2 + 3);
    expect([...abstract.addr.subarray(2, 5)]).toEqual([0, 97, 98]);
    expect(encodeSockaddrUn("/a").length).toBe(2 + 3); // "/a" and its NUL
  });
});
