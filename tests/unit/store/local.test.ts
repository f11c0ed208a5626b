// Local backend specifics: the sharded on-disk layout, invisible temp files, no partial objects.
import { afterAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LocalBackend, localPathOf } from "../../../src/fs/store/local.ts";

setDefaultTimeout(120_000); // per file: bun test ignores bunfig's timeout (docs/testing.md)

const root = mkdtempSync(join(tmpdir(), "coffer-localspec-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe("local backend layout", () => {
  test("paths: directories per segment, '#' suffix, shards for long names, escapes", () => {
    const id = "0123456789abcdef".repeat(4);
    expect(localPathOf(`data/${id}`)).toEqual(["data", "#012", `${id}#`]);
    expect(localPathOf("coffer-key")).toEqual(["coffer-key#"]);
    expect(localPathOf("a/b/c")).toEqual(["a", "b", "c#"]);
    expect(localPathOf("x/./..//y")).toEqual(["x", "%2E", "%2E%2E", "%", "y#"]);
  }, 5000);

  test("files land where the layout says; temp files and strangers are not listed", async () => {
    const b = new LocalBackend(join(root, "l1"));
    const id = "f".repeat(64);
    await b.put(`data/${id}`, new Uint8Array([1, 2, 3]));
    expect(existsSync(join(root, "l1", "data", "#fff", `${id}#`))).toBe(true);
    writeFileSync(join(root, "l1", "data", "#fff", `${id}#.tmpdeadbeef`), "partial");
    writeFileSync(join(root, "l1", "data", "README"), "not an object");
    const keys: string[] = [];
    for await (const o of b.list("")) keys.push(o.key);
    expect(keys).toEqual([`data/${id}`]);
  }, 5000);

  test("put never leaves a temp file behind and readers never see a partial object", async () => {
    const b = new LocalBackend(join(root, "l2"), { fsync: false });
    const big = new Uint8Array(8 << 20).fill(7);
    const small = new Uint8Array(10).fill(1);
    await b.put("k", small);
    const writes = Promise.all([b.put("k", big), b.put("k", small), b.put("k", big)]);
    for (let i = 0; i < 20; i++) {
      const got = await b.get("k");
      expect(got.length === big.length || got.length === small.length).toBe(true);
    }
    await writes;
    expect(readdirSync(join(root, "l2")).filter((n) => n.includes(".tmp"))).toEqual([]);
  }, 120_000);

  test("a file where a directory should be gives a permanent error, not a crash", async () => {
    const b = new LocalBackend(join(root, "l3"));
    await b.put("a", new Uint8Array([1]));
    writeFileSync(join(root, "l3", "z"), "file, not dir"); // "z/…" keys need a directory z
    const e = await b.put("z/x", new Uint8Array([1])).catch((x) => x);
    expect(e?.kind === "permanent" || e?.kind === "not-found").toBe(true);
  }, 5000);
});
