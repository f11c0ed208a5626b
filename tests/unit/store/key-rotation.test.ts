// Key rotation below the CLI: key rings in the key object, key ids in object headers, re-sealing, retiring old keys.
import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { KeyObjectError, decodeKeyObject, encodeKeyObject, newKeyRing, retireOldKeys, ringFsKeys, rotateKeyRing } from "../../../src/fs/crypto/keys.ts";
import { rotateMasterKey } from "../../../src/fs/admin/rotate.ts";
import { keyIdsInUse } from "../../../src/fs/admin/reencrypt.ts";
import { hostname } from "node:os";
import { LOCK_KEY } from "../../../src/fs/mount-lock.ts";
import { CorruptObjectError, decodeObject, encodeObject, readObjectHeader, resealObject } from "../../../src/fs/store/codec.ts";
import { KEY_OBJECT, createFilesystemKeys, unlockFilesystemKeys, unlockKeyObject } from "../../../src/fs/store/key-object.ts";
import { MemoryBackend } from "../../../src/fs/store/memory.ts";

setDefaultTimeout(120_000); // per file: bun test ignores bunfig's timeout (docs/testing.md)

const FAST = { argon2: { memoryKiB: 1024, passes: 1 } };
const text = (s: string) => new TextEncoder().encode(s);
const str = (b: Uint8Array) => new TextDecoder().decode(b);
const checkOf = (fn: () => unknown): string => {
  try {
    fn();
  } catch (e) {
    if (e instanceof CorruptObjectError) return e.check;
    throw e;
  }
  return "none";
};

describe("key ring and key ids", () => {
  test("objects sealed before a rotation stay readable; new ones carry the new key id in a version-2 header", () => {
    const ring0 = newKeyRing();
    const k0 = ringFsKeys(ring0, false);
    const old = encodeObject(k0, "meta", "meta/db-000000000001", text("old state"), { associated: 1 });
    expect(readObjectHeader(old)).toMatchObject({ version: 1, keyId: 0 });

    const k1 = ringFsKeys(rotateKeyRing(ring0), false);
    expect(k1.keyId).toBe(1);
    expect(Buffer.from(k1.dedup).equals(k0.dedup)).toBe(true); // content ids do not change: dedup continues
    expect(Buffer.from(k1.data).equals(k0.data)).toBe(false);
    const fresh = encodeObject(k1, "data", "data/abc-1", text("new block"));
    expect(readObjectHeader(fresh)).toMatchObject({ version: 2, keyId: 1 });
    expect(str(decodeObject(k1, "meta", "meta/db-000000000001", old, { associated: 1 }))).toBe("old state");
    expect(str(decodeObject(k1, "data", "data/abc-1", fresh))).toBe("new block");
    // the key id is authenticated: pointing the header at another key fails (the name tag, made with the
    // key the header names, no longer matches either, so it reads as misplaced)
    const relabelled = fresh.slice();
    relabelled[7] = 0;
    expect(["authentication", "misplaced"]).toContain(checkOf(() => decodeObject(k1, "data", "data/abc-1", relabelled)));
    // a reader whose ring lacks the key is told which key is missing, not "tampered"
    expect(checkOf(() => decodeObject(k0, "data", "data/abc-1", fresh))).toBe("key");
  });

  test("resealing keeps content, generation and size, and then only the new key opens it", () => {
    const ring1 = rotateKeyRing(newKeyRing());
    const both = ringFsKeys(ring1, false);
    const onlyOld = ringFsKeys({ dedup: ring1.dedup, masters: ring1.masters.filter((m) => m.id === 0) }, false);
    const old = encodeObject(onlyOld, "meta", "meta/db-000000000007", text("x".repeat(5000)), { associated: 7 });
    const resealed = resealObject(both, "meta/db-000000000007", old)!;
    expect(resealed.length).toBe(old.length);
    expect(readObjectHeader(resealed)).toMatchObject({ keyId: 1, generation: 7n, compressed: true });
    expect(resealObject(both, "meta/db-000000000007", resealed)).toBeNull(); // already current: skipped
    const retired = ringFsKeys(retireOldKeys(ring1), false);
    expect(str(decodeObject(retired, "meta", "meta/db-000000000007", resealed, { associated: 7 }))).toBe("x".repeat(5000));
    expect(checkOf(() => decodeObject(retired, "meta", "meta/db-000000000007", old, { associated: 7 }))).toBe("key");
    // a tampered old object is not resealed into an authentic one
    const bad = old.slice();
    bad[bad.length - 1]! ^= 1;
    expect(checkOf(() => resealObject(both, "meta/db-000000000007", bad))).toBe("authentication");
  });

  test("the key object stays version 1 until a rotation, then holds the ring (encrypted and plain)", () => {
    const ring = newKeyRing();
    expect(JSON.parse(str(encodeKeyObject(ring, "pw", FAST))).version).toBe(1);
    const rotated = rotateKeyRing(ring);
    const bytes = encodeKeyObject(rotated, "pw", FAST);
    const json = JSON.parse(str(bytes));
    expect(json.version).toBe(2);
    expect(Object.keys(json).sort()).toEqual(["coffer", "kdf", "mode", "version", "wrapped"]);
    const back = decodeKeyObject(bytes, "pw", "test").ring;
    expect(back.masters.map((m) => m.id)).toEqual([0, 1]);
    expect(Buffer.from(back.masters[1]!.key).equals(rotated.masters[1]!.key)).toBe(true);
    const plain = decodeKeyObject(encodeKeyObject(rotated, null), null, "test");
    expect(plain.plain).toBe(true);
    expect(plain.ring.masters.map((m) => m.id)).toEqual([0, 1]);
    // a ring of the wrong length is refused as damaged
    const cut = { ...JSON.parse(str(encodeKeyObject(rotated, null))) };
    cut.ring = Buffer.from(Buffer.from(cut.ring, "base64").subarray(0, 40)).toString("base64");
    expect(() => decodeKeyObject(text(JSON.stringify(cut)), null, "test")).toThrow(KeyObjectError);
  });
});

describe("rotateMasterKey on a store", () => {
  async function storeWithObjects() {
    const b = new MemoryBackend("rot");
    const k0 = await createFilesystemKeys(b, "pw", FAST);
    await b.put("data/aaa-1", encodeObject(k0, "data", "data/aaa-1", text("block one")));
    await b.put("meta/db-000000000001", encodeObject(k0, "meta", "meta/db-000000000001", text("db one"), { associated: 1 }));
    return b;
  }

  test("rotate: old objects readable with the new ring, new objects under the new key, old key kept", async () => {
    const b = await storeWithObjects();
    const r = await rotateMasterKey(b, "memory://rot", "pw", { reencrypt: false });
    expect(r).toEqual({ newKeyId: 1, keyIds: [0, 1] });
    const k = await unlockFilesystemKeys(b, "pw");
    expect(str(decodeObject(k, "data", "data/aaa-1", await b.get("data/aaa-1")))).toBe("block one");
    await b.put("data/bbb-2", encodeObject(k, "data", "data/bbb-2", text("block two")));
    expect(await keyIdsInUse(b, new Set([KEY_OBJECT]))).toEqual(new Map([[0, 2], [1, 1]]));
    expect(await b.head(LOCK_KEY)).toBeNull(); // the lock was given back
  }, 20_000);

  test("--reencrypt: no object stays under an old key, the old key leaves the key object, everything reads", async () => {
    const b = await storeWithObjects();
    await rotateMasterKey(b, "memory://rot", "pw", { reencrypt: false });
    const k1 = await unlockFilesystemKeys(b, "pw");
    await b.put("data/bbb-2", encodeObject(k1, "data", "data/bbb-2", text("block two")));
    const seen: number[] = [];
    const r = await rotateMasterKey(b, "memory://rot", "pw", { reencrypt: true, progress: (p) => seen.push(p.checked) });
    expect(r).toMatchObject({ newKeyId: 2, keyIds: [2], rewritten: 3, retired: true });
    expect(seen.at(-1)).toBe(3);
    expect(await keyIdsInUse(b, new Set([KEY_OBJECT]))).toEqual(new Map([[2, 3]]));
    const k2 = await unlockFilesystemKeys(b, "pw");
    expect(k2.previous).toEqual([]);
    expect(str(decodeObject(k2, "data", "data/aaa-1", await b.get("data/aaa-1")))).toBe("block one");
    expect(str(decodeObject(k2, "data", "data/bbb-2", await b.get("data/bbb-2")))).toBe("block two");
    expect(str(decodeObject(k2, "meta", "meta/db-000000000001", await b.get("meta/db-000000000001"), { associated: 1 }))).toBe("db one");
    // --resume on a finished rotation makes no key and rewrites nothing
    expect(await rotateMasterKey(b, "memory://rot", "pw", { reencrypt: true, resumeOnly: true })).toMatchObject({ newKeyId: 2, rewritten: 0, retired: true });
  }, 20_000);

  test("an interrupted --reencrypt leaves every object readable and --resume finishes it without another key", async () => {
    const b = await storeWithObjects();
    for (let i = 2; i < 60; i++) await b.put(`data/ccc-${i}`, encodeObject(await unlockFilesystemKeys(b, "pw"), "data", `data/ccc-${i}`, text(`block ${i}`)));
    // one rewrite fails (the 4th); the others would succeed
    let puts = 0;
    const dying = Object.create(b) as MemoryBackend;
    dying.put = async (key: string, data: Uint8Array) => {
      if (!key.startsWith("data/") && !key.startsWith("meta/")) return b.put(key, data);
      await Bun.sleep(2); // a real store's latency: work is still queued when the failure comes
      if (++puts === 4) throw new Error("connection reset");
      return b.put(key, data);
    };
    expect((await rotateMasterKey(dying, "memory://rot", "pw", { reencrypt: true }).catch((e) => e)).message).toBe("connection reset");
    const attempts = puts;
    await Bun.sleep(100);
    expect(puts).toBe(attempts); // no worker still writes once the command has returned (and the lock is gone)
    const midway = await keyIdsInUse(b, new Set([KEY_OBJECT]));
    expect(midway.get(0)).toBeGreaterThan(0); // stopped part way
    expect((midway.get(0) ?? 0) + (midway.get(1) ?? 0)).toBe(60);
    const k = await unlockFilesystemKeys(b, "pw");
    for (let i = 2; i < 60; i++) expect(str(decodeObject(k, "data", `data/ccc-${i}`, await b.get(`data/ccc-${i}`)))).toBe(`block ${i}`);
    expect(await b.head(LOCK_KEY)).toBeNull();
    const r = await rotateMasterKey(b, "memory://rot", "pw", { reencrypt: true, resumeOnly: true });
    expect(r).toMatchObject({ newKeyId: 1, keyIds: [1], rewritten: midway.get(0), retired: true });
    expect(await keyIdsInUse(b, new Set([KEY_OBJECT]))).toEqual(new Map([[1, 60]]));
  }, 20_000);

  test("refused while mounted, with a wrong passphrase, or on --plain: nothing changes", async () => {
    const b = await storeWithObjects();
    const before = Buffer.from(await b.get(KEY_OBJECT));
    const keys = await unlockFilesystemKeys(b, "pw");
    // a mount by another live process of this machine (a lock taken by this process would count as ours)
    const holder = Bun.spawn(["sleep", "60"]);
    try {
      const record = { id: "other", host: hostname(), pid: holder.pid, mountpoint: "/mnt/x", since: Date.now() };
      await b.put(LOCK_KEY, encodeObject(keys, "meta-head", LOCK_KEY, text(JSON.stringify(record))));
      const err = await rotateMasterKey(b, "memory://rot", "pw", { reencrypt: true }).catch((e) => e);
      expect(err.message).toMatch(/already mounted at \/mnt\/x/);
      expect(err.message).not.toContain("\n");
      await b.delete(LOCK_KEY);
    } finally {
      holder.kill();
    }
    expect((await rotateMasterKey(b, "memory://rot", "nope", { reencrypt: false }).catch((e) => e)).name).toBe("WrongPassphraseError");
    expect(Buffer.from(await b.get(KEY_OBJECT)).equals(before)).toBe(true);
    expect(await keyIdsInUse(b, new Set([KEY_OBJECT]))).toEqual(new Map([[0, 2]]));
    const p = new MemoryBackend("plain");
    await createFilesystemKeys(p, null);
    expect((await rotateMasterKey(p, "memory://plain", null, { reencrypt: false }).catch((e) => e)).message).toMatch(/--plain/);
    expect((await unlockKeyObject(p, null)).ring.masters.length).toBe(1);
  }, 20_000);
});
