// The metadata params schema, the local state file, and the page log format (diff, apply, hash chain).
import { afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FsParamsError, parseParams } from "../../../src/fs/metadata/params.ts";
import { localStatePath, readLocalState, writeLocalState } from "../../../src/fs/metadata/local-state.ts";
import { applyPageLog, decodePageLog, diffImages, encodePageLog, imageHash } from "../../../src/fs/metadata/page-log.ts";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const enc = (v: unknown) => new TextEncoder().encode(typeof v === "string" ? v : JSON.stringify(v));

describe("metadata params (meta/params)", () => {
  test("a well-formed object parses", () => {
    expect(parseParams(enc({ format: 1, blockSize: 4194304, createdNs: "1764000000000000000" }))).toEqual({
      format: 1, blockSize: 4194304, createdNs: "1764000000000000000",
    });
  });

  test("each malformed object is one clear error naming the field", () => {
    const cases: [unknown, RegExp][] = [
      ["{not json", /not JSON/],
      [{ format: 2, blockSize: 4096, createdNs: "1" }, /format/],
      [{ format: 1, blockSize: 5000, createdNs: "1" }, /blockSize: must be a power of two/],
      [{ format: 1, blockSize: 1024, createdNs: "1" }, /blockSize/],
      [{ format: 1, blockSize: 4096 }, /createdNs/],
      [{ format: 1, blockSize: 4096, createdNs: "1", extra: true }, /extra|unrecognized/i],
      [[1, 2], /object|expected/i],
    ];
    for (const [v, re] of cases) {
      let err: unknown;
      try {
        parseParams(enc(v));
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(FsParamsError);
      const msg = (err as Error).message;
      expect(msg).toMatch(re);
      expect(msg).toContain("meta/params is malformed");
      expect(msg).not.toContain("\n");
    }
  });
});

describe("local state file", () => {
  test("round trip, the pre-log field names still read, damage is one clear error", () => {
    const d = mkdtempSync(join(tmpdir(), "coffer-state-"));
    dirs.push(d);
    expect(readLocalState(d)).toBeNull();
    writeLocalState(d, { shippedGen: 7, pendingGen: null, clean: true });
    expect(readLocalState(d)).toEqual({ shippedGen: 7, pendingGen: null, clean: true });
    writeFileSync(localStatePath(d), JSON.stringify({ uploadedSeq: 3, pendingSeq: 4, clean: false }));
    expect(readLocalState(d)).toEqual({ shippedGen: 3, pendingGen: 4, clean: false });
    writeFileSync(localStatePath(d), "{\"shippedGen\": -1}");
    expect(() => readLocalState(d)).toThrow(/meta-state.json is damaged: remove this filesystem's cache directory/);
  });
});

describe("page log", () => {
  const page = 4096;
  const img = (pages: number, seed: number) => {
    const a = new Uint8Array(pages * page);
    for (let i = 0; i < a.length; i += 97) a[i] = (i * seed) & 255;
    return a;
  };

  test("diff + encode + decode + apply reproduces the new image; growth and shrinking too", () => {
    const prev = img(10, 3);
    for (const next of [(() => { const n = prev.slice(); n[5 * page + 7] ^= 1; return n; })(), img(12, 3), prev.slice(0, 6 * page)]) {
      const pages = diffImages(prev, next, page);
      const log = decodePageLog(encodePageLog({ gen: 9, pageSize: page, pageCount: next.length / page, prevHash: imageHash(prev), newHash: imageHash(next), pages }));
      expect(log.gen).toBe(9);
      expect(applyPageLog(prev, log)).toEqual(next);
    }
    expect(diffImages(prev, prev, page)).toEqual([]);
    const one = prev.slice();
    one[3 * page] ^= 0xff;
    expect(diffImages(prev, one, page).map((p) => p.pgno)).toEqual([3]);
  });

  test("an entry applied to another image, or one that does not produce what it names, is refused", () => {
    const prev = img(4, 5);
    const next = prev.slice();
    next[100] ^= 1;
    const log = { gen: 2, pageSize: page, pageCount: 4, prevHash: imageHash(prev), newHash: imageHash(next), pages: diffImages(prev, next, page) };
    expect(() => applyPageLog(img(4, 6), log)).toThrow(/does not follow the image before it/);
    expect(() => applyPageLog(prev, { ...log, newHash: imageHash(prev) })).toThrow(/does not produce the image it names/);
    expect(() => decodePageLog(encodePageLog(log).subarray(0, 200))).toThrow(/wrong length/);
  });
});
