// The one Backend contract suite: every backend (memory, local, s3 via s3rver) runs exactly these tests.
import { describe, expect, test } from "bun:test";
import { type Backend, StoreError, isNotFound } from "../../src/fs/store/backend.ts";

/** Makes a fresh, empty backend for one test; `id` is unique per test (use it as a prefix or directory). */
export type BackendFactory = (id: string) => Promise<Backend>;

const T = 60_000;

function bytes(n: number, seed = 1): Uint8Array {
  const b = new Uint8Array(n);
  let x = seed * 2654435761;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    b[i] = x >>> 24;
  }
  return b;
}

async function collect(b: Backend, prefix: string): Promise<{ key: string; size: number }[]> {
  const out: { key: string; size: number }[] = [];
  for await (const o of b.list(prefix)) out.push(o);
  return out;
}

async function expectKind(p: Promise<unknown>, kind: string): Promise<void> {
  let err: unknown;
  try {
    await p;
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(StoreError);
  expect((err as StoreError).kind).toBe(kind as StoreError["kind"]);
}

/** Known limits of a test double (never of a real backend): the tests they make impossible are skipped. */
export interface ConformanceLimits {
  /** s3rver stores objects as files, so it cannot hold both "a/b" and "a/b/c". */
  noKeyBelowKey?: boolean;
}

export function backendConformance(name: string, make: BackendFactory, limits: ConformanceLimits = {}): void {
  let n = 0;
  // Each test gets its own backend; it is closed in a finally so a failing test leaks nothing.
  const it = (title: string, fn: (b: Backend) => Promise<void>, timeout = T, skip = false) =>
    test.skipIf(skip)(
      title,
      async () => {
        const b = await make(`${name.replace(/\W/g, "")}-${process.pid}-${++n}`);
        try {
          await fn(b);
        } finally {
          await b.close();
        }
      },
      timeout,
    );

  describe(`Backend conformance: ${name}`, () => {
    it("put then get returns the same bytes; get returns a private copy", async (b) => {
      const data = bytes(100_000);
      await b.put("a/obj", data);
      const got = await b.get("a/obj");
      expect(Buffer.from(got).equals(Buffer.from(data))).toBe(true);
      got[0] ^= 0xff;
      expect((await b.get("a/obj"))[0]).toBe(data[0]);
    });

    it("empty and 3 MiB objects round-trip", async (b) => {
      await b.put("empty", new Uint8Array(0));
      expect((await b.get("empty")).length).toBe(0);
      expect(await b.head("empty")).toEqual({ key: "empty", size: 0 });
      const big = bytes(3 * 1048576, 7);
      await b.put("big", big);
      expect(Buffer.from(await b.get("big")).equals(Buffer.from(big))).toBe(true);
    });

    it("a missing object is not-found on get and getRange, null on head", async (b) => {
      await expectKind(b.get("nope"), "not-found");
      await expectKind(b.getRange("nope", 0, 10), "not-found");
      expect(await b.head("nope")).toBeNull();
      try {
        await b.get("nope");
      } catch (e) {
        expect(isNotFound(e)).toBe(true);
      }
    });

    it("put replaces an existing object", async (b) => {
      await b.put("k", bytes(10, 1));
      await b.put("k", bytes(20, 2));
      expect(Buffer.from(await b.get("k")).equals(Buffer.from(bytes(20, 2)))).toBe(true);
      expect((await b.head("k"))?.size).toBe(20);
    });

    it("getRange returns the slice, shorter at the end, empty past the end", async (b) => {
      const data = bytes(10_000, 3);
      await b.put("r", data);
      expect(Buffer.from(await b.getRange("r", 100, 50)).equals(Buffer.from(data.subarray(100, 150)))).toBe(true);
      expect(Buffer.from(await b.getRange("r", 9_990, 100)).equals(Buffer.from(data.subarray(9_990)))).toBe(true);
      expect((await b.getRange("r", 20_000, 10)).length).toBe(0);
      expect((await b.getRange("r", 5, 0)).length).toBe(0);
    });

    it("delete removes; deleting a missing object is fine; deleteMany mixes both", async (b) => {
      await b.put("d/1", bytes(5));
      await b.put("d/2", bytes(5));
      await b.put("d/3", bytes(5));
      await b.delete("d/1");
      await b.delete("d/1");
      expect(await b.head("d/1")).toBeNull();
      await b.deleteMany(["d/2", "d/3", "d/missing"]);
      expect(await collect(b, "d/")).toEqual([]);
      await b.deleteMany([]);
    });

    it("list by prefix yields keys in order with sizes, across nesting and partial segments", async (b) => {
      const id = "0123456789abcdef".repeat(4);
      const keys = ["a/b", "a/c/d", "ab", "b/x", "meta/seq0000000002", "meta/seq0000000010"];
      keys.push(`data/${id}`, `data/${id.replace("0", "f")}`, "data/short");
      for (const [i, k] of keys.entries()) await b.put(k, bytes(i + 1));
      const all = await collect(b, "");
      expect(all.map((o) => o.key)).toEqual([...keys].sort());
      expect(all.find((o) => o.key === "a/c/d")?.size).toBe(2);
      expect((await collect(b, "a/")).map((o) => o.key)).toEqual(["a/b", "a/c/d"]);
      expect((await collect(b, "a")).map((o) => o.key)).toEqual(["a/b", "a/c/d", "ab"]);
      expect((await collect(b, "data/01")).map((o) => o.key)).toEqual([`data/${id}`]);
      expect((await collect(b, "data/f")).map((o) => o.key)).toEqual([`data/${id.replace("0", "f")}`]);
      expect((await collect(b, `data/${id}`)).length).toBe(1);
      expect(await collect(b, "zzz")).toEqual([]);
      expect(await collect(b, "a/c/d/")).toEqual([]);
    });

    // Coffer's own key scheme never puts a key below another key, but the contract (like S3) allows it.
    it(
      "a key and keys below it as a directory coexist, in byte order",
      async (b) => {
        for (const k of ["a", "a/b", "a-z", "a/b/c"]) await b.put(k, bytes(4));
        expect((await collect(b, "")).map((o) => o.key)).toEqual(["a", "a-z", "a/b", "a/b/c"]);
        expect((await b.get("a")).length).toBe(4);
        await b.delete("a");
        expect((await collect(b, "")).map((o) => o.key)).toEqual(["a-z", "a/b", "a/b/c"]);
      },
      T,
      limits.noKeyBelowKey,
    );

    it("list with startAfter yields only later keys (resuming a broken listing)", async (b) => {
      for (const k of ["s/a", "s/b/1", "s/b/2", "s/c", "t"]) await b.put(k, bytes(1));
      const after = async (p: string, a: string) => {
        const out: string[] = [];
        for await (const o of b.list(p, a)) out.push(o.key);
        return out;
      };
      expect(await after("s/", "s/a")).toEqual(["s/b/1", "s/b/2", "s/c"]);
      expect(await after("s/", "s/b/1")).toEqual(["s/b/2", "s/c"]);
      expect(await after("s/", "s/b")).toEqual(["s/b/1", "s/b/2", "s/c"]);
      expect(await after("s/", "s/c")).toEqual([]);
      expect(await after("", "s/c")).toEqual(["t"]);
      expect(await after("s/", "a")).toEqual(["s/a", "s/b/1", "s/b/2", "s/c"]);
    });

    it(
      "list pages through more than 1000 objects",
      async (b) => {
        const keys = Array.from({ length: 1010 }, (_, i) => `p/${String(i).padStart(5, "0")}`);
        for (let i = 0; i < keys.length; i += 32) {
          await Promise.all(keys.slice(i, i + 32).map((k) => b.put(k, new Uint8Array([1]))));
        }
        const got = await collect(b, "p/");
        expect(got.length).toBe(1010);
        expect(got.map((o) => o.key)).toEqual(keys);
        await b.deleteMany(keys);
        expect(await collect(b, "p/")).toEqual([]);
      },
      300_000, // 65 s on s3rver under stress
    );

    it("concurrent puts of different keys all land", async (b) => {
      await Promise.all(Array.from({ length: 40 }, (_, i) => b.put(`c/${i}`, bytes(1000 + i, i))));
      const got = await collect(b, "c/");
      expect(got.length).toBe(40);
      for (const o of got) expect(o.size).toBe(1000 + Number(o.key.slice(2)));
    });

    it("keys outside the contract are refused as permanent errors", async (b) => {
      await expectKind(b.put("bad key", bytes(1)), "permanent");
      await expectKind(b.get("../escape"), "not-found").catch(() => {}); // ".." is a legal key character pair
      await expectKind(b.put("", bytes(1)), "permanent");
      await expectKind(b.put("x\u00e9", bytes(1)), "permanent");
    });

    it("description names the store without secrets", async (b) => {
      expect(b.description.length).toBeGreaterThan(3);
      expect(b.description).not.toContain("S3RVER");
    });
  });
}
