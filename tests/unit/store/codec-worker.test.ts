// The codec is pure and synchronous: it must run inside a Worker with keys posted to it, and hand back a transferable object.
import { expect, setDefaultTimeout, test } from "bun:test";
import { deriveFsKeys } from "../../../src/fs/crypto/keys.ts";
import { contentId, decodeObject } from "../../../src/fs/store/codec.ts";

setDefaultTimeout(120_000); // per file: bun test ignores bunfig's timeout (docs/testing.md)

test("encode in a Worker, decode on the main thread", async () => {
  const keys = deriveFsKeys(new Uint8Array(32).fill(3), false);
  const block = new TextEncoder().encode("worker block ".repeat(100_000));
  const w = new Worker(new URL("./codec-worker.ts", import.meta.url).href);
  try {
    const reply = await new Promise<{ name: string; obj: Uint8Array; same: boolean }>((resolve, reject) => {
      w.onmessage = (ev) => resolve(ev.data);
      w.onerror = (ev) => reject(new Error(ev.message));
      w.postMessage({ keys, block });
    });
    expect(reply.same).toBe(true);
    expect(reply.name).toBe(`data/${contentId(keys, block)}`);
    expect(Buffer.from(decodeObject(keys, "data", reply.name, reply.obj)).equals(Buffer.from(block))).toBe(true);
  } finally {
    w.terminate();
  }
}, 120_000);
