// Key object tests: create/unlock, wrong or missing passphrase, plain mode, passphrase change, tampering.
import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { KeyObjectError, PassphraseRequiredError, WrongPassphraseError } from "../../../src/fs/crypto/keys.ts";
import {
  KEY_OBJECT,
  NoFilesystemError,
  changePassphrase,
  createFilesystemKeys,
  keyObjectExists,
  unlockFilesystemKeys,
} from "../../../src/fs/store/key-object.ts";
import { MemoryBackend } from "../../../src/fs/store/memory.ts";

setDefaultTimeout(120_000); // per file: bun test ignores bunfig's timeout (docs/testing.md)

const FAST = { argon2: { memoryKiB: 1024, passes: 1 } }; // tests need not pay for 64 MiB each time
const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

describe("filesystem keys", () => {
  test("create then unlock gives the same distinct sub-keys", async () => {
    const b = new MemoryBackend();
    expect(await keyObjectExists(b)).toBe(false);
    const k1 = await createFilesystemKeys(b, "s3cret pass", FAST);
    expect(await keyObjectExists(b)).toBe(true);
    const k2 = await unlockFilesystemKeys(b, "s3cret pass");
    expect(k2.plain).toBe(false);
    expect(hex(k2.data)).toBe(hex(k1.data));
    expect(hex(k2.meta)).toBe(hex(k1.meta));
    expect(hex(k2.dedup)).toBe(hex(k1.dedup));
    expect(new Set([hex(k1.data), hex(k1.meta), hex(k1.dedup)]).size).toBe(3);
  }, 120_000);

  test("the key object reveals only KDF parameters (no keys, no names)", async () => {
    const b = new MemoryBackend();
    const k = await createFilesystemKeys(b, "pw", FAST);
    const text = new TextDecoder().decode(await b.get(KEY_OBJECT));
    const obj = JSON.parse(text);
    expect(Object.keys(obj).sort()).toEqual(["coffer", "kdf", "mode", "version", "wrapped"]);
    expect(obj.kdf).toMatchObject({ memoryKiB: 1024, passes: 1, parallelism: 1 });
    for (const key of [k.data, k.meta, k.dedup]) expect(text).not.toContain(Buffer.from(key).toString("base64"));
  }, 120_000);

  test("default argon2 parameters work (64 MiB, 3 passes)", async () => {
    const b = new MemoryBackend();
    await createFilesystemKeys(b, "pw");
    expect(JSON.parse(new TextDecoder().decode(await b.get(KEY_OBJECT))).kdf).toMatchObject({ memoryKiB: 65536, passes: 3 });
    expect((await unlockFilesystemKeys(b, "pw")).plain).toBe(false);
  }, 120_000);

  test("a wrong passphrase gives one clear line", async () => {
    const b = new MemoryBackend("fs1");
    await createFilesystemKeys(b, "right", FAST);
    const err = await unlockFilesystemKeys(b, "wrong").catch((e) => e);
    expect(err).toBeInstanceOf(WrongPassphraseError);
    expect(err.message).toBe(
      "wrong passphrase for memory://fs1: the filesystem's key could not be unlocked; check fs-passphrase in your authinfo file",
    );
    expect(err.message).not.toContain("\n");
  }, 120_000);

  test("an encrypted filesystem without passphrase asks for one; a missing one says so", async () => {
    const b = new MemoryBackend();
    expect(await unlockFilesystemKeys(b, "x").catch((e) => e)).toBeInstanceOf(NoFilesystemError);
    await createFilesystemKeys(b, "pw", FAST);
    expect(await unlockFilesystemKeys(b, null).catch((e) => e)).toBeInstanceOf(PassphraseRequiredError);
  }, 120_000);

  test("--plain: no passphrase needed, keys stable, still distinct per purpose", async () => {
    const b = new MemoryBackend();
    const k1 = await createFilesystemKeys(b, null);
    expect(k1.plain).toBe(true);
    const k2 = await unlockFilesystemKeys(b, null);
    expect(k2.plain).toBe(true);
    expect(hex(k2.dedup)).toBe(hex(k1.dedup));
    expect((await unlockFilesystemKeys(b, "ignored")).plain).toBe(true);
    await expect(changePassphrase(b, "a", "b")).rejects.toThrow(/plain/);
  }, 120_000);

  test("changing the passphrase keeps the master key", async () => {
    const b = new MemoryBackend();
    const k1 = await createFilesystemKeys(b, "old", FAST);
    expect(await changePassphrase(b, "bad", "new").catch((e) => e)).toBeInstanceOf(WrongPassphraseError);
    await changePassphrase(b, "old", "new");
    expect(await unlockFilesystemKeys(b, "old").catch((e) => e)).toBeInstanceOf(WrongPassphraseError);
    expect(hex((await unlockFilesystemKeys(b, "new")).data)).toBe(hex(k1.data));
  }, 120_000);

  test("weakened KDF parameters or a flipped wrap byte are refused", async () => {
    const b = new MemoryBackend();
    await createFilesystemKeys(b, "pw", FAST);
    const orig = JSON.parse(new TextDecoder().decode(await b.get(KEY_OBJECT)));
    const put = (o: unknown) => b.put(KEY_OBJECT, new TextEncoder().encode(JSON.stringify(o)));
    await put({ ...orig, kdf: { ...orig.kdf, passes: 2 } });
    expect(await unlockFilesystemKeys(b, "pw").catch((e) => e)).toBeInstanceOf(WrongPassphraseError);
    await put({ ...orig, kdf: { ...orig.kdf, memoryKiB: 1 << 30 } });
    expect(await unlockFilesystemKeys(b, "pw").catch((e) => e)).toBeInstanceOf(KeyObjectError);
    const w = Buffer.from(orig.wrapped, "base64");
    w[20] ^= 1;
    await put({ ...orig, wrapped: w.toString("base64") });
    expect(await unlockFilesystemKeys(b, "pw").catch((e) => e)).toBeInstanceOf(WrongPassphraseError);
    await put({ ...orig, wrapped: 42 });
    expect(await unlockFilesystemKeys(b, "pw").catch((e) => e)).toBeInstanceOf(KeyObjectError);
    await put({ ...orig, wrapped: orig.wrapped.slice(0, 20) });
    expect(await unlockFilesystemKeys(b, "pw").catch((e) => e)).toBeInstanceOf(KeyObjectError);
    await b.put(KEY_OBJECT, new TextEncoder().encode("garbage"));
    expect(await unlockFilesystemKeys(b, "pw").catch((e) => e)).toBeInstanceOf(KeyObjectError);
    await put({ ...orig, version: 3 });
    expect((await unlockFilesystemKeys(b, "pw").catch((e) => e)).message).toMatch(/unsupported version 3/);
    // a version-1 wrap relabelled as version 2 is refused (too short for a ring; the version is also in the wrap's AD)
    await put({ ...orig, version: 2 });
    expect(await unlockFilesystemKeys(b, "pw").catch((e) => e)).toBeInstanceOf(KeyObjectError);
  }, 120_000);

  test("a key object of the wrong shape is refused by its schema, naming the field", async () => {
    const b = new MemoryBackend();
    await createFilesystemKeys(b, "pw", FAST);
    const orig = JSON.parse(new TextDecoder().decode(await b.get(KEY_OBJECT)));
    const put = (o: unknown) => b.put(KEY_OBJECT, new TextEncoder().encode(JSON.stringify(o)));
    const refusal = async () => (await unlockFilesystemKeys(b, "pw").catch((e) => e)) as Error;
    await put({ ...orig, kdf: { ...orig.kdf, passes: "3" } });
    expect(await refusal()).toBeInstanceOf(KeyObjectError);
    expect((await refusal()).message).toMatch(/kdf\.passes/);
    await put({ ...orig, kdf: { ...orig.kdf, salt: "not*base64" } });
    expect((await refusal()).message).toMatch(/kdf\.salt: not base64/);
    await put({ ...orig, mode: "scrypt" });
    expect((await refusal()).message).toMatch(/^the key object .* damaged .*: mode/);
    const { kdf: _kdf, ...noKdf } = orig;
    await put(noKdf);
    expect((await refusal()).message).toMatch(/the wrapped key or the KDF is missing/);
    await put(orig); // the original still unlocks: the checks refuse shapes, not the real thing
    expect((await unlockFilesystemKeys(b, "pw")).plain).toBe(false);
  }, 120_000);

  test("an empty passphrase is refused at creation", async () => {
    await expect(createFilesystemKeys(new MemoryBackend(), "", FAST)).rejects.toThrow(/empty/);
  }, 5000);
});
