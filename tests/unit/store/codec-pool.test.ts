// The codec Worker pool answers exactly as the inline codec: same ids, same bytes, same typed errors; a crashed Worker is replaced.
import { afterEach, describe, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { deriveFsKeys } from "../../../src/fs/crypto/keys.ts";
import { keysCodec } from "../../../src/fs/blocks/keys-codec.ts";
import { CodecPool } from "../../../src/fs/blocks/codec-pool.ts";
import { contentId, CorruptObjectError, decodeObject, encodeObject } from "../../../src/fs/store/codec.ts";

setDefaultTimeout(60_000); // per file: bun test ignores bunfig's timeout (docs/testing.md)

const K = deriveFsKeys(new Uint8Array(32).fill(11), false);
const P = deriveFsKeys(new Uint8Array(32).fill(11), true);
const text = new TextEncoder().encode("pool block, compressible ".repeat(50_000)); // ~1.2 MiB
const random = crypto.getRandomValues(new Uint8Array(65536));
const crashingWorker = new URL("./crashing-codec-worker.ts", import.meta.url).href;

const pools: CodecPool[] = [];
const pool = (o: Partial<ConstructorParameters<typeof CodecPool>[0]> = {}) => {
  const p = new CodecPool({ keys: K, level: 1, workers: 2, inlineBelow: 0, ...o });
  pools.push(p);
  return p;
};
afterEach(() => {
  for (const p of pools.splice(0)) p.close();
});
const sha = (b: Uint8Array) => new Bun.CryptoHasher("sha256").update(b).digest("hex");

/** The error a promise rejects with (fails the test when it resolves). */
async function failure(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (e) {
    return e as Error;
  }
  throw new Error("expected a failure");
}

/** The error a synchronous call throws. */
function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  throw new Error("expected a throw");
}

describe("codec pool: byte-identical to the inline codec", () => {
  test("content ids and --plain objects (no nonce) are the same bytes; pinned known answers", async () => {
    const pp = pool({ keys: P });
    const inline = keysCodec(P, 1);
    for (const data of [text, random, new Uint8Array(0), new Uint8Array(100).fill(1)]) {
      expect(await pp.contentId(data)).toBe(contentId(P, data));
      const name = `data/${contentId(P, data)}`;
      const fromPool = await pp.encode("data", name, data);
      expect(Buffer.from(fromPool).equals(Buffer.from(await inline.encode("data", name, data)))).toBe(true);
      expect(Buffer.from(await pp.decode("data", name, fromPool)).equals(Buffer.from(data))).toBe(true);
    }
    const meta = await pp.encode("meta", "meta/00000000000000000042", text, 42);
    expect(Buffer.from(meta).equals(Buffer.from(encodeObject(P, "meta", "meta/00000000000000000042", text, { associated: 42 })))).toBe(true);
    // pinned: what the single-threaded codec wrote for these inputs before the pool existed
    expect(await pp.contentId(text)).toBe("886aaacb0e14b3ba7db5059206fc14dcb9db58e97c1fb4934c131efec5040369");
    expect(sha(meta)).toBe("11ac0512eaf4ab1d217e865d0db847a22aa5d7eb0fceafa733f9f7d92b1cab77");
  }, 30_000);

  test("encrypted objects: the pool decodes what the inline codec wrote and the reverse", async () => {
    const pk = pool();
    for (const data of [text, random]) {
      const id = contentId(K, data);
      expect(await pk.contentId(data)).toBe(id);
      const name = `data/${id}`;
      const mine = await pk.encode("data", name, data);
      const theirs = encodeObject(K, "data", name, data);
      expect(mine.length).toBe(theirs.length); // same compression decision, same layout
      expect(Buffer.from(mine.subarray(0, 28)).equals(Buffer.from(theirs.subarray(0, 28)))).toBe(true); // header before the nonce
      expect(Buffer.from(decodeObject(K, "data", name, mine, { verifyContentId: true })).equals(Buffer.from(data))).toBe(true);
      expect(Buffer.from(await pk.decode("data", name, theirs)).equals(Buffer.from(data))).toBe(true);
    }
  }, 30_000);

  test("many jobs at once on 2 Workers all come back right, and inputs are left untouched", async () => {
    const pk = pool();
    const blocks = Array.from({ length: 24 }, (_, i) => new TextEncoder().encode(`block ${i} `.repeat(20_000 + i)));
    const copies = blocks.map((b) => Buffer.from(b));
    const sealed = await Promise.all(blocks.map((b, i) => pk.encode("data", `data/b${i}`, b)));
    const back = await Promise.all(sealed.map((s, i) => pk.decode("data", `data/b${i}`, s)));
    back.forEach((b, i) => expect(Buffer.from(b).equals(copies[i])).toBe(true));
    blocks.forEach((b, i) => expect(Buffer.from(b).equals(copies[i])).toBe(true));
    sealed.forEach((s, i) => expect(Buffer.from(decodeObject(K, "data", `data/b${i}`, s)).equals(copies[i])).toBe(true));
  }, 60_000);
});

describe("codec pool: errors are the inline codec's typed errors", () => {
  test("a tampered, misplaced or stale object fails in the pool exactly as inline", async () => {
    const pk = pool();
    const name = "data/x";
    const good = encodeObject(K, "data", name, text);
    const tampered = good.slice();
    tampered[100] ^= 1;
    const cases: [string, Uint8Array, number][] = [
      [name, tampered, 0],
      ["data/y", good, 0],
      [name, good.subarray(0, 30), 0],
      [name, new Uint8Array(50), 0],
    ];
    const meta = encodeObject(K, "meta", "meta/1", text, { associated: 5 });
    for (const [n, bytes, assoc] of cases) {
      const inline = thrown(() => decodeObject(K, "data", n, bytes, { associated: assoc }));
      const pooled = await failure(pk.decode("data", n, bytes, assoc));
      expect(pooled).toBeInstanceOf(CorruptObjectError);
      expect((pooled as CorruptObjectError).check).toBe((inline as CorruptObjectError).check);
      expect((pooled as CorruptObjectError).kind).toBe("corrupted");
      expect(pooled.message).toBe(inline.message);
    }
    const stale = await failure(pk.decode("meta", "meta/1", meta, 6));
    expect((stale as CorruptObjectError).check).toBe("stale");
    expect(stale.message).toBe(thrown(() => decodeObject(K, "meta", "meta/1", meta, { associated: 6 })).message);
    expect((await failure(pk.decode("data", name, tampered))).message).toContain("(authentication)");
  }, 30_000);

  test("a bad option is the same RangeError", async () => {
    const bad = pool({ level: 30 });
    const e = await failure(bad.encode("data", "data/z", text));
    expect(e).toBeInstanceOf(RangeError);
    expect(e.message).toBe(thrown(() => encodeObject(K, "data", "data/z", text, { level: 30 })).message);
  }, 30_000);
});

describe("codec pool: a Worker that dies mid-job", () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  for (const how of ["crash-once-throw", "crash-once-exit"]) {
    test(`${how}: the job runs again on a replacement Worker and the result is right`, async () => {
      const dir = mkdtempSync(join(tmpdir(), "codec-pool-"));
      dirs.push(dir);
      const lines: string[] = [];
      const pk = pool({ workerUrl: crashingWorker, log: (l) => lines.push(l) });
      const name = `data/c|${how}:${join(dir, "marker")}`;
      const sealed = await pk.encode("data", name, text);
      expect(pk.replaced).toBe(1);
      expect(lines.join("\n")).toContain("codec worker died");
      expect(Buffer.from(decodeObject(K, "data", name, sealed)).equals(Buffer.from(text))).toBe(true);
      // the pool is whole again: both Workers serve
      const again = await Promise.all([1, 2, 3, 4].map((i) => pk.encode("data", `data/after${i}`, random)));
      again.forEach((s, i) => expect(Buffer.from(decodeObject(K, "data", `data/after${i + 1}`, s)).equals(Buffer.from(random))).toBe(true));
    }, 30_000);
  }

  test("a job that kills every Worker fails after 3 runs with a clear error; other jobs are unharmed", async () => {
    const pk = pool({ workerUrl: crashingWorker, log: () => {} });
    const [poisoned, fine] = await Promise.allSettled([pk.encode("data", "data/p|poison", text), pk.encode("data", "data/ok", text)]);
    expect(poisoned.status).toBe("rejected");
    expect(((poisoned as PromiseRejectedResult).reason as Error).message).toContain("crashed its Worker 3 times");
    expect(fine.status).toBe("fulfilled");
    expect(pk.replaced).toBe(3);
    const s = await pk.encode("data", "data/later", random);
    expect(Buffer.from(decodeObject(K, "data", "data/later", s)).equals(Buffer.from(random))).toBe(true);
  }, 30_000);

  test("small inputs are coded inline (no Worker can crash them), large ones in the Workers", async () => {
    const pk = pool({ workerUrl: crashingWorker, inlineBelow: 1024, log: () => {} });
    const small = new Uint8Array(1000).fill(5);
    const s = await pk.encode("data", "data/s|poison", small);
    expect(pk.replaced).toBe(0);
    expect(Buffer.from(decodeObject(K, "data", "data/s|poison", s)).equals(Buffer.from(small))).toBe(true);
    expect(await pk.contentId(small)).toBe(contentId(K, small));
    await failure(pk.encode("data", "data/l|poison", text));
    expect(pk.replaced).toBe(3);
  }, 30_000);

  test("close fails queued jobs instead of leaving them hanging", async () => {
    const pk = pool({ workers: 1 });
    const jobs = [1, 2, 3].map((i) => pk.encode("data", `data/q${i}`, text));
    pk.close();
    for (const j of jobs) expect((await failure(j)).message).toBe("codec pool closed");
  }, 30_000);
});
