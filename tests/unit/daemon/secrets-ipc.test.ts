// The secrets message to the daemon and the mount-lock record: one schema each, one clear error for a malformed message.
import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { DaemonMessageError, encodeSecrets, parseReport, parseSecrets } from "../../../src/daemon/secrets-ipc.ts";
import { deriveFsKeys, ringFsKeys } from "../../../src/fs/crypto/keys.ts";
import { LOCK_KEY, LockObjectError, MountLock, parseLockRecord } from "../../../src/fs/mount-lock.ts";
import { encodeObject } from "../../../src/fs/store/codec.ts";
import { MemoryBackend } from "../../../src/fs/store/memory.ts";

setDefaultTimeout(120_000); // per file: bun test ignores bunfig's timeout (docs/testing.md)

const keys = ringFsKeys({ dedup: new Uint8Array(32).fill(1), masters: [{ id: 0, key: new Uint8Array(32).fill(2) }, { id: 1, key: new Uint8Array(32).fill(3) }] }, false);
const good = { auth: { backendLogin: "u", backendPassword: "p", backendOptions: { "no-ssl": true as const } }, keys };

describe("secrets IPC", () => {
  test("a well-formed message passes both sides unchanged, through JSON as the IPC channel carries it", () => {
    const wire = JSON.parse(JSON.stringify(encodeSecrets(good)));
    expect(parseSecrets(wire)).toEqual(good);
    expect(parseSecrets(wire).keys.previous).toHaveLength(1); // the older master key still opens old objects
  });

  test("the passphrase never reaches the daemon: the keys travel instead", () => {
    const wire = encodeSecrets({ ...good, auth: { ...good.auth, fsPassphrase: "secret words" } });
    expect(JSON.stringify(wire)).not.toContain("secret words");
    expect(parseSecrets(wire).auth).toEqual(good.auth);
  });

  test("a malformed message is one DaemonMessageError naming the field", () => {
    const wire = encodeSecrets(good) as { auth: object; keys: object };
    const bad = { ...wire, auth: { backendOptions: { region: 5 } } };
    expect(() => parseSecrets(bad)).toThrow(DaemonMessageError);
    expect(() => parseSecrets(bad)).toThrow(/malformed secrets message \(auth\.backendOptions\.region: /);
    expect(() => parseSecrets({ ...wire, keys: { ...wire.keys, data: "c2hvcnQ=" } })).toThrow(/keys\.data: expected 32 bytes in base64/);
    expect(() => parseSecrets("not an object")).toThrow(DaemonMessageError);
    expect(() => parseReport({ ready: "yes" })).toThrow(/malformed report from the daemon/);
  });
});

describe("mount lock record", () => {
  const keys = deriveFsKeys(new Uint8Array(32).fill(7), false);

  test("a lock object that decrypts but holds no valid record is one clear LockObjectError", async () => {
    expect(() => parseLockRecord(new TextEncoder().encode('{"id":"x","host":"h","pid":-1,"mountpoint":"/m","since":0}'))).toThrow(/pid: /);
    expect(() => parseLockRecord(new TextEncoder().encode("{"))).toThrow(LockObjectError);
    const backend = new MemoryBackend();
    await backend.put(LOCK_KEY, encodeObject(keys, "meta-head", LOCK_KEY, new TextEncoder().encode('{"host":"elsewhere"}')));
    const refused = MountLock.acquire(backend, keys, "memory://x", "/mnt/x");
    await expect(refused).rejects.toThrow(LockObjectError);
    await expect(refused).rejects.toThrow(/not a valid mount lock \(id: .*--force-unlock/);
    const forced = await MountLock.acquire(backend, keys, "memory://x", "/mnt/x", { force: true });
    expect(forced.record.pid).toBe(process.pid);
    await forced.release();
    expect(await backend.head(LOCK_KEY)).toBeFalsy();
  }, 10_000);
});
