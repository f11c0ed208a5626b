// Keys + codec + backend stack together on s3rver: what the filesystem core will do, and tampering in the bucket.
import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { WrongPassphraseError } from "../../src/fs/crypto/keys.ts";
import { createFilesystemKeys, unlockFilesystemKeys } from "../../src/fs/store/key-object.ts";
import { CorruptObjectError, contentId, dataObjectName, decodeObject, encodeObject } from "../../src/fs/store/codec.ts";
import { openBackend } from "../../src/fs/store/open.ts";
import { useS3rver } from "../support/s3rver.ts";

setDefaultTimeout(120_000); // per file: bun test ignores bunfig's timeout (docs/testing.md)

const server = useS3rver("e2e");

const FAST = { argon2: { memoryKiB: 1024, passes: 1 } };

describe("object store on s3rver", () => {
  test("mkfs, write blocks and a head, reopen with the passphrase, read back; tampering detected", async () => {
    const s3 = server();
    const url = s3.url("e2e", "fs1/");
    const a = openBackend(url, s3.creds);
    try {
      const keys = await createFilesystemKeys(a, "hunter2 but longer", FAST);
      const blocks = [new TextEncoder().encode("hello ".repeat(50_000)), crypto.getRandomValues(new Uint8Array(65536))];
      const names = blocks.map((b) => dataObjectName(contentId(keys, b)));
      await Promise.all(blocks.map((b, i) => a.put(names[i], encodeObject(keys, "data", names[i], b))));
      const head1 = encodeObject(keys, "meta-head", "meta/head", new TextEncoder().encode("gen 1"), { associated: 1 });
      await a.put("meta/head", head1);
      await a.put("meta/head", encodeObject(keys, "meta-head", "meta/head", new TextEncoder().encode("gen 2"), { associated: 2 }));

      const b = openBackend(url, s3.creds);
      try {
        expect(await unlockFilesystemKeys(b, "wrong").catch((e) => e)).toBeInstanceOf(WrongPassphraseError);
        const k2 = await unlockFilesystemKeys(b, "hunter2 but longer");
        for (const [i, n] of names.entries()) {
          expect(Buffer.from(decodeObject(k2, "data", n, await b.get(n))).equals(Buffer.from(blocks[i]))).toBe(true);
        }
        expect(new TextDecoder().decode(decodeObject(k2, "meta-head", "meta/head", await b.get("meta/head"), { minAssociated: 2 }))).toBe("gen 2");
        // The bucket owner swaps the two blocks and puts the old head back.
        const [x, y] = [await b.get(names[0]), await b.get(names[1])];
        await b.put(names[0], y);
        await b.put(names[1], x);
        await b.put("meta/head", head1);
        const err = (f: () => unknown) => {
          try {
            f();
          } catch (e) {
            return e as CorruptObjectError;
          }
        };
        expect(err(() => decodeObject(k2, "data", names[0], y))?.check).toBe("misplaced");
        const h = await b.get("meta/head");
        expect(err(() => decodeObject(k2, "meta-head", "meta/head", h, { minAssociated: 2 }))?.check).toBe("stale");
        // Nothing readable in the bucket: object names are opaque, contents do not contain the text.
        for await (const o of b.list("")) {
          expect(o.key).toMatch(/^(coffer-key|data\/[0-9a-f]{64}|meta\/head)$/);
          expect(Buffer.from(await b.get(o.key)).includes(Buffer.from("hello hello"))).toBe(false);
        }
      } finally {
        await b.close();
      }
    } finally {
      await a.close();
    }
  }, 60_000);
});
