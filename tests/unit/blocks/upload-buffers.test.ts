// UploadBuffers: block-sized shared buffers are reused, at most `keep` of them wait, odd sizes are never pooled.
import { expect, setDefaultTimeout, test } from "bun:test";
import { UploadBuffers } from "../../../src/fs/blocks/upload-buffers.ts";

setDefaultTimeout(120_000); // per file: bun test ignores bunfig's timeout (docs/testing.md)

test("a buffer given back is the next one taken; views have the size asked for", () => {
  const pool = new UploadBuffers(1024, 2);
  const a = pool.take(1000);
  expect(a.length).toBe(1000);
  expect(a.buffer).toBeInstanceOf(SharedArrayBuffer);
  pool.give(a.subarray(0, 10)); // the queue gives back the trimmed view it uploaded
  expect(pool.idle).toBe(1);
  const b = pool.take(512);
  expect(b.buffer).toBe(a.buffer);
  expect(b.length).toBe(512);
  expect(pool.idle).toBe(0);
});

test("at most `keep` buffers wait for reuse; larger-than-block and foreign buffers are not kept", () => {
  const pool = new UploadBuffers(1024, 2);
  const taken = [pool.take(1024), pool.take(1024), pool.take(1024)];
  for (const t of taken) pool.give(t);
  expect(pool.idle).toBe(2);
  const big = pool.take(4096);
  expect(big.buffer.byteLength).toBe(4096);
  pool.take(1);
  pool.take(1);
  pool.give(big);
  pool.give(new Uint8Array(1024)); // not shared memory
  expect(pool.idle).toBe(0);
});
