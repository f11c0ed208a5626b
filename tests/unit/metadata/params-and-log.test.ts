// The metadata params schema, the local state file, the page log format (apply, chain), and reading WAL pages.
import { afterEach, describe, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FsParamsError, parseParams } from "../../../src/fs/metadata/params.ts";
import { localStatePath, readLocalState, writeLocalState } from "../../../src/fs/metadata/local-state.ts";
import { applyPageLog, decodePageLog, encodePageLog, imageHash } from "../../../src/fs/metadata/page-log.ts";
import { MetaDb } from "../../../src/fs/meta/db.ts";

setDefaultTimeout(120_000); // per file: bun test ignores bunfig's timeout (docs/testing.md)

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
  const pagesOf = (image: Uint8Array, pgnos: number[]) => pgnos.map((pgno) => ({ pgno, data: image.slice(pgno * page, (pgno + 1) * page) }));

  test("encode + decode + apply reproduces the new image, growing and shrinking; chain values link", () => {
    const prev = img(10, 3);
    const chain0 = imageHash(prev);
    const changed = prev.slice();
    changed[5 * page + 7] ^= 1;
    for (const [next, pgnos] of [[changed, [5]], [img(12, 3), [10, 11]], [prev.slice(0, 6 * page), []]] as const) {
      const { bytes, newChain } = encodePageLog({ gen: 9, pageSize: page, pageCount: next.length / page, prevChain: chain0, pages: pagesOf(next, [...pgnos]) });
      const log = decodePageLog(bytes);
      expect(log.gen).toBe(9);
      const out = applyPageLog(prev, chain0, log);
      expect(out.image).toEqual(next);
      expect(out.chain).toEqual(newChain);
    }
  });

  test("an entry applied after another image, or damaged inside, is refused", () => {
    const prev = img(4, 5);
    const next = prev.slice();
    next[100] ^= 1;
    const { bytes } = encodePageLog({ gen: 2, pageSize: page, pageCount: 4, prevChain: imageHash(prev), pages: pagesOf(next, [0]) });
    expect(() => applyPageLog(img(4, 6), imageHash(img(4, 6)), decodePageLog(bytes))).toThrow(/does not follow the image before it/);
    const damaged = bytes.slice();
    damaged[200] ^= 1;
    expect(() => decodePageLog(damaged)).toThrow(/chain value does not match/);
    expect(() => decodePageLog(bytes.subarray(0, 200))).toThrow(/wrong length/);
  });
});

describe("WAL pages", () => {
  test("the pages committed since a checkpoint, applied to the checkpointed file, give the database's image", () => {
    const d = mkdtempSync(join(tmpdir(), "coffer-wal-"));
    dirs.push(d);
    const db = MetaDb.open(join(d, "m.db"));
    const ent = db.q("INSERT INTO entries (parent, name, inode) VALUES (1, ?, ?)");
    db.tx(() => {
      for (let i = 0; i < 2000; i++) ent.run(`name-${i}`, i + 2);
    });
    db.checkpoint();
    expect(db.walPages()).toBeNull();
    const base = db.image();
    db.tx(() => ent.run("one-more", 5000));
    db.tx(() => db.q("DELETE FROM entries WHERE name LIKE 'name-1%'").run());
    for (let i = 0; i < 300; i++) db.tx(() => ent.run(`later-${i}`, 9000 + i)); // the file grows
    db.sync();
    const wal = db.walPages()!;
    expect(wal.pages.size).toBeGreaterThan(0);
    expect(wal.pages.size).toBeLessThan(base.length / wal.pageSize); // only what changed
    const next = new Uint8Array(wal.pageCount * wal.pageSize);
    next.set(base.subarray(0, Math.min(base.length, next.length)));
    for (const [p, data] of wal.pages) next.set(data, p * wal.pageSize);
    next[18] = 1;
    next[19] = 1;
    expect(Buffer.from(next).equals(Buffer.from(db.image()))).toBe(true);
    db.close();
  });
});
