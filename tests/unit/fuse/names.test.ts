// Names that are not UTF-8 survive bytes -> string -> bytes, and distinct byte strings stay distinct.
import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { randomBytes } from "node:crypto";
import { decodeName, encodeName } from "../../../src/fs/names.ts";

setDefaultTimeout(120_000); // per file: bun test ignores bunfig's timeout (docs/testing.md)

describe("names", () => {
  test("valid UTF-8 decodes as usual", () => {
    expect(decodeName(Buffer.from("café 😀"))).toBe("café 😀");
    expect(Buffer.from(encodeName("café 😀")).toString()).toBe("café 😀");
  });

  test("Latin-1 bytes become distinct strings and come back", () => {
    const a = decodeName(Uint8Array.from([0x63, 0x61, 0x66, 0xe9]));
    const b = decodeName(Uint8Array.from([0x63, 0x61, 0x66, 0xe8]));
    expect(a).not.toBe(b);
    expect([...encodeName(a)]).toEqual([0x63, 0x61, 0x66, 0xe9]);
  });

  test("overlong forms, encoded surrogates and truncated sequences are escaped byte by byte", () => {
    for (const bytes of [[0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xe2, 0x82], [0xf4, 0x90, 0x80, 0x80], [0x41, 0xff]]) {
      expect([...encodeName(decodeName(Uint8Array.from(bytes)))]).toEqual(bytes);
    }
  });

  test("a leading byte-order mark is part of the name", () => {
    const bytes = [0xef, 0xbb, 0xbf, 0x61];
    expect(decodeName(Uint8Array.from(bytes))).toBe("\ufeffa");
    expect([...encodeName(decodeName(Uint8Array.from(bytes)))]).toEqual(bytes);
  });

  test("random byte strings round-trip", () => {
    for (let i = 0; i < 2000; i++) {
      const bytes = randomBytes(1 + (i % 40));
      expect(Buffer.from(encodeName(decodeName(bytes))).equals(bytes)).toBe(true);
    }
  });
});
