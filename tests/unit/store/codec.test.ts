// Object codec: round trips, compression choice, golden objects from format v1, and every tamper case.
import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { randomBytes } from "node:crypto";
import { deriveFsKeys } from "../../../src/fs/crypto/keys.ts";
import { StoreError, isCorrupted } from "../../../src/fs/store/backend.ts";
import {
  CorruptObjectError,
  HEADER_LEN,
  contentId,
  dataObjectName,
  decodeObject,
  decodeObjectWithHeader,
  encodeObject,
  readObjectHeader,
  type CorruptCheck,
} from "../../../src/fs/store/codec.ts";
import { MemoryBackend } from "../../../src/fs/store/memory.ts";

setDefaultTimeout(120_000); // per file: bun test ignores bunfig's timeout (docs/testing.md)

const master = new Uint8Array(Array.from({ length: 32 }, (_, i) => 100 + i));
const K = deriveFsKeys(master, false);
const P = deriveFsKeys(master, true);
const OTHER = deriveFsKeys(new Uint8Array(32).fill(9), false);
const enc = new TextEncoder();
const text = (n: number) => enc.encode("the quick brown fox jumps over the lazy dog, ".repeat(Math.ceil(n / 45)).slice(0, n));
const eq = (a: Uint8Array, b: Uint8Array) => Buffer.from(a).equals(Buffer.from(b));

function check(fn: () => unknown): CorruptCheck | "none" {
  try {
    fn();
    return "none";
  } catch (e) {
    expect(e).toBeInstanceOf(CorruptObjectError);
    expect(e).toBeInstanceOf(StoreError);
    expect(isCorrupted(e)).toBe(true);
    return (e as CorruptObjectError).check;
  }
}

describe("codec round trips", () => {
  test("every role, sizes 0 B to 4 MiB, text and random, encrypted and plain", () => {
    for (const keys of [K, P]) {
      for (const role of ["data", "meta", "meta-head", "superblock"] as const) {
        for (const data of [new Uint8Array(0), text(1), text(1000), text(4 << 20), new Uint8Array(randomBytes(300_000))]) {
          const name = role === "data" ? dataObjectName(contentId(keys, data)) : `${role}/x`;
          const obj = encodeObject(keys, role, name, data, { associated: 5 });
          expect(eq(decodeObject(keys, role, name, obj, { associated: 5 }), data)).toBe(true);
        }
      }
    }
  }, 120_000);

  test("text is compressed, random data is stored raw and costs only the header and tag", () => {
    const t = text(1 << 20);
    const ot = encodeObject(K, "data", "data/t", t);
    expect(readObjectHeader(ot)?.compressed).toBe(true);
    expect(ot.length).toBeLessThan(t.length / 10);
    const r = new Uint8Array(randomBytes(1 << 20));
    const or = encodeObject(K, "data", "data/r", r);
    expect(readObjectHeader(or)?.compressed).toBe(false);
    expect(or.length).toBe(r.length + HEADER_LEN + 16);
    const on = encodeObject(K, "data", "data/n", t, { compress: false });
    expect(readObjectHeader(on)?.compressed).toBe(false);
    expect(eq(decodeObject(K, "data", "data/n", on), t)).toBe(true);
    const o9 = encodeObject(K, "data", "data/l", t, { level: 9 });
    expect(readObjectHeader(o9)?.compressed).toBe(true);
    expect(eq(decodeObject(K, "data", "data/l", o9), t)).toBe(true);
    expect(() => encodeObject(K, "data", "data/l", t, { level: 0 })).toThrow(RangeError);
    expect(readObjectHeader(encodeObject(K, "data", "data/l", t, { level: 0, compress: false }))?.compressed).toBe(false);
    expect(() => encodeObject(K, "meta", "m", t, { associated: -1 })).toThrow(RangeError);
    expect(readObjectHeader(encodeObject(K, "meta", "m", t, { associated: 2n ** 64n - 1n }))?.generation).toBe(2n ** 64n - 1n);
  }, 120_000);

  test("encrypted objects do not contain the plaintext; plain objects do; two encodings differ (fresh nonce)", () => {
    const secret = enc.encode("a very secret file name.txt and its content".repeat(2));
    const a = encodeObject(K, "meta", "meta/1", secret, { compress: false });
    const b = encodeObject(K, "meta", "meta/1", secret, { compress: false });
    expect(Buffer.from(a).includes(Buffer.from("secret"))).toBe(false);
    expect(eq(a, b)).toBe(false);
    const p = encodeObject(P, "meta", "meta/1", secret, { compress: false });
    expect(Buffer.from(p).includes(Buffer.from("secret"))).toBe(true);
  }, 5000);

  test("content ids are keyed: another filesystem's id for the same block differs", () => {
    const d = text(5000);
    expect(contentId(K, d)).toMatch(/^[0-9a-f]{64}$/);
    expect(contentId(K, d)).not.toBe(contentId(OTHER, d));
    expect(contentId(K, d)).not.toBe(new Bun.CryptoHasher("sha256").update(d).digest("hex"));
  }, 5000);
});

describe("format v1 golden objects (written 2026-11-26; must stay readable)", () => {
  const h = (s: string) => new Uint8Array(Buffer.from(s, "hex"));
  const block = enc.encode("coffer ".repeat(40));
  const id = "22e465683d9724d3d53662f5a48ddc98860ca81be209b6591769bfc20f0ba27b";
  test("content id, data block, generation-bound head, plain dump", () => {
    expect(contentId(K, block)).toBe(id);
    const data = h(
      "43464f010301000000000000000000000000000000000018eb4ee47901c3c7f1662fcbacd46c310c3ee8c855eea58f5e7b06b967de631c6aa2f49433e3c69a86f40460ff7cd0c3c1298c3f0f9a1289d2",
    );
    expect(eq(decodeObject(K, "data", `data/${id}`, data), block)).toBe(true);
    const head = h(
      "43464f010203000000000000000000070000000000000007db1710add05972499acac14f93201991891d0e211973586c1f6fbcb49738eecd4e941d5767fe76",
    );
    expect(new TextDecoder().decode(decodeObject(K, "meta-head", "meta/head", head, { associated: 7 }))).toBe("head v7");
    const plain = h(
      "43464f01000200000000000000000003000000000000000a25ddb030000000000000000000000000706c61696e20746578746c8e97fcccd6093ccc4188cdcd4c2b973d167bf0526885ed78d40c27c52bfade",
    );
    expect(new TextDecoder().decode(decodeObject(P, "meta", "meta/dump", plain, { associated: 3 }))).toBe("plain text");
  }, 5000);
});

describe("tampering is detected, each with its own check", () => {
  const data = text(100_000);
  const name = dataObjectName(contentId(K, data));
  const obj = encodeObject(K, "data", name, data);

  test("a flipped bit anywhere: authentication (or the header field it hit)", () => {
    const expectations: [number, CorruptCheck][] = [
      [0, "magic"],
      [3, "version"],
      [4, "mode"], // flips the zstd bit... see below for the exact field
      [5, "role"],
      [9, "authentication"], // generation
      [20, "truncated"], // body length grows past the bytes present
      [30, "authentication"], // nonce
      [HEADER_LEN + 5, "authentication"], // body
      [obj.length - 1, "authentication"], // tag
    ];
    for (const [i, want] of expectations) {
      const bad = obj.slice();
      bad[i] ^= i === 4 ? 2 : 1; // byte 4: flip the encryption flag, a "mode" error
      expect([i, check(() => decodeObject(K, "data", name, bad))]).toEqual([i, want]);
    }
    const newFlag = obj.slice();
    newFlag[4] |= 0x80;
    expect(check(() => decodeObject(K, "data", name, newFlag))).toBe("version");
    const zbit = obj.slice();
    zbit[4] ^= 1; // claims "not compressed": header authenticated, so the tag fails
    expect(check(() => decodeObject(K, "data", name, zbit))).toBe("authentication");
    for (let n = 0; n < 200; n++) {
      const bad = obj.slice();
      const i = HEADER_LEN + Math.floor(Math.random() * (obj.length - HEADER_LEN));
      bad[i] ^= 1 << n % 8;
      expect(check(() => decodeObject(K, "data", name, bad))).toBe("authentication");
    }
  }, 120_000);

  test("a truncated object: truncated; bytes appended: length", () => {
    expect(check(() => decodeObject(K, "data", name, obj.subarray(0, obj.length - 1)))).toBe("truncated");
    expect(check(() => decodeObject(K, "data", name, obj.subarray(0, 100)))).toBe("truncated");
    expect(check(() => decodeObject(K, "data", name, obj.subarray(0, 10)))).toBe("truncated");
    expect(check(() => decodeObject(K, "data", name, new Uint8Array(0)))).toBe("truncated");
    const longer = new Uint8Array(obj.length + 1);
    longer.set(obj);
    expect(check(() => decodeObject(K, "data", name, longer))).toBe("length");
  }, 5000);

  test("two objects swapped in the bucket: misplaced, on both", async () => {
    const b = new MemoryBackend();
    const d2 = text(50_000).reverse();
    const n2 = dataObjectName(contentId(K, d2));
    await b.put(name, encodeObject(K, "data", n2, d2));
    await b.put(n2, obj);
    expect(check(() => decodeObject(K, "data", name, awaitSync(b, name)))).toBe("misplaced");
    expect(check(() => decodeObject(K, "data", n2, awaitSync(b, n2)))).toBe("misplaced");
    const m1 = encodeObject(K, "meta", "meta/a", enc.encode("A"), { associated: 1 });
    expect(check(() => decodeObject(K, "meta", "meta/b", m1, { associated: 1 }))).toBe("misplaced");
  }, 5000);

  test("an old copy put back under its name: stale (exact and minimum generation)", () => {
    const v1 = encodeObject(K, "meta-head", "meta/head", enc.encode("points at dump 1"), { associated: 1 });
    const v2 = encodeObject(K, "meta-head", "meta/head", enc.encode("points at dump 2"), { associated: 2 });
    expect(new TextDecoder().decode(decodeObject(K, "meta-head", "meta/head", v2, { associated: 2 }))).toBe("points at dump 2");
    expect(check(() => decodeObject(K, "meta-head", "meta/head", v1, { associated: 2 }))).toBe("stale");
    expect(check(() => decodeObject(K, "meta-head", "meta/head", v1, { minAssociated: 2 }))).toBe("stale");
    expect(decodeObjectWithHeader(K, "meta-head", "meta/head", v2, { minAssociated: 2 }).header.generation).toBe(2n);
    // Rewriting the generation field to dodge the check breaks the tag instead.
    const forged = v1.slice();
    forged[15] = 2;
    expect(check(() => decodeObject(K, "meta-head", "meta/head", forged, { associated: 2 }))).toBe("authentication");
  }, 5000);

  test("wrong role, wrong filesystem's key, plain/encrypted mix-ups", () => {
    const m = encodeObject(K, "meta", "x/1", enc.encode("m"));
    expect(check(() => decodeObject(K, "superblock", "x/1", m))).toBe("role");
    expect(check(() => decodeObject(OTHER, "data", name, obj))).toBe("misplaced"); // other key: name tag differs too
    expect(check(() => decodeObject(P, "data", name, obj))).toBe("mode");
    const p = encodeObject(P, "meta", "x/1", enc.encode("m"));
    expect(check(() => decodeObject(K, "meta", "x/1", p))).toBe("mode");
    const pb = p.slice();
    pb[HEADER_LEN] ^= 4;
    expect(check(() => decodeObject(P, "meta", "x/1", pb))).toBe("authentication");
  }, 5000);

  test("a data block whose content does not match its id: content-id", () => {
    const wrongName = dataObjectName("0".repeat(64));
    const o = encodeObject(K, "data", wrongName, data);
    expect(check(() => decodeObject(K, "data", wrongName, o, { verifyContentId: true }))).toBe("content-id");
    expect(eq(decodeObject(K, "data", wrongName, o), data)).toBe(true); // off by default: see DecodeOptions
  }, 5000);

  test("the error message names the object and the check, on one line", () => {
    const e = (() => {
      try {
        decodeObject(K, "data", name, obj.subarray(0, 50));
      } catch (x) {
        return x as Error;
      }
    })();
    expect(e?.message).toMatch(new RegExp(`^object ${name} is corrupted \\(truncated\\): `));
    expect(e?.message).not.toContain("\n");
  }, 5000);
});

/** MemoryBackend resolves synchronously inside; a tiny helper keeps the swap test readable. */
function awaitSync(b: MemoryBackend, key: string): Uint8Array {
  // biome-ignore lint: test helper reaching into the memory backend's map
  return (b as unknown as { objects: Map<string, Uint8Array> }).objects.get(key) as Uint8Array;
}
