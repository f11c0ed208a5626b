// A Worker that encodes and decodes with the codec, proving it runs off the main thread (loaded by codec-worker.test.ts).
import { contentId, decodeObject, encodeObject } from "../../../src/fs/store/codec.ts";
import type { FsKeys } from "../../../src/fs/crypto/keys.ts";

declare const self: Worker;

self.onmessage = (ev: MessageEvent<{ keys: FsKeys; block: Uint8Array }>) => {
  const { keys, block } = ev.data;
  const name = `data/${contentId(keys, block)}`;
  const obj = encodeObject(keys, "data", name, block);
  const back = decodeObject(keys, "data", name, obj, { verifyContentId: true });
  // The encoded object owns its ArrayBuffer, so it can be transferred back without a copy.
  self.postMessage({ name, obj, same: Buffer.from(back).equals(Buffer.from(block)) }, [obj.buffer as ArrayBuffer]);
};
