// Known-answer and tamper tests for the AEAD and KDF primitives (vectors from GCM spec / Python cryptography).
import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { AeadError, hmacSha256, open, openSealed, randomNonce, seal, sealedMatches } from "../../../src/fs/crypto/aead.ts";
import { argon2id, subKey } from "../../../src/fs/crypto/kdf.ts";

setDefaultTimeout(120_000); // per file: bun test ignores bunfig's timeout (docs/testing.md)

const h = (s: string) => new Uint8Array(Buffer.from(s, "hex"));
const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

describe("AES-256-GCM", () => {
  // McGrew & Viega, "The Galois/Counter Mode of Operation", test case 16.
  const K = h("feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308");
  const IV = h("cafebabefacedbaddecaf888");
  const A = h("feedfacedeadbeeffeedfacedeadbeefabaddad2");
  const P = h(
    "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39",
  );
  const C =
    "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662";
  const T = "76fc6ece0f4e1768cddf8853bb2d551b";

  test("seal matches the known answer", () => {
    expect(hex(seal(K, IV, P, A))).toBe(C + T);
  }, 5000);

  test("open inverts seal and rejects any change", () => {
    const sealed = seal(K, IV, P, A);
    expect(hex(open(K, IV, sealed, A))).toBe(hex(P));
    for (const i of [0, 30, sealed.length - 1]) {
      const bad = sealed.slice();
      bad[i] ^= 0x01;
      expect(() => open(K, IV, bad, A)).toThrow(AeadError);
    }
    const badAd = A.slice();
    badAd[0] ^= 0x80;
    expect(() => open(K, IV, sealed, badAd)).toThrow(AeadError);
    expect(() => open(K, randomNonce(), sealed, A)).toThrow(AeadError);
    expect(() => open(K, IV, sealed.subarray(0, 10), A)).toThrow(AeadError);
    expect(() => openSealed(K, IV, sealed.subarray(0, P.length), new Uint8Array(16), A)).toThrow(AeadError);
  }, 5000);

  test("sealedMatches: the encoder's self-check", () => {
    const sealed = seal(K, IV, P, A);
    const [ct, tag] = [sealed.subarray(0, P.length), sealed.subarray(P.length)];
    expect(sealedMatches(K, IV, ct, tag, A, P)).toBe(true);
    const otherP = P.slice();
    otherP[7] ^= 1;
    expect(sealedMatches(K, IV, ct, tag, A, otherP)).toBe(false);
    const badCt = ct.slice();
    badCt[7] ^= 1;
    expect(sealedMatches(K, IV, badCt, tag, A, P)).toBe(false);
    expect(sealedMatches(K, IV, ct, tag, A, P.subarray(1))).toBe(false);
  }, 5000);

  test("HMAC-SHA256 matches RFC 4231 test case 2", () => {
    const mac = hmacSha256(new TextEncoder().encode("Jefe"), new TextEncoder().encode("what do ya want for nothing?"));
    expect(hex(mac)).toBe("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  }, 5000);
});

describe("KDF", () => {
  test("argon2id matches Python cryptography's Argon2id", () => {
    const out = argon2id("correct horse battery staple", {
      memoryKiB: 1024,
      passes: 2,
      parallelism: 1,
      salt: new Uint8Array(Array.from({ length: 16 }, (_, i) => i + 1)),
    });
    expect(hex(out)).toBe("3965a06afc91ceb5c7336d83eb1557e9240839cd54231b8c0448615675355c23");
  }, 120_000);

  test("HKDF sub-key matches Python cryptography's HKDF-SHA256", () => {
    const master = new Uint8Array(Array.from({ length: 32 }, (_, i) => i));
    expect(hex(subKey(master, "data"))).toBe("01bad958a85eb43b533a83db497418aca78bba2f9a64e3d4de1ca7e516608485");
    expect(hex(subKey(master, "meta"))).not.toBe(hex(subKey(master, "data")));
  }, 5000);
});
