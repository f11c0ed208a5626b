// The secrets message to the daemon and the mount-lock record: one schema each, one clear error for a malformed message.
import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { DaemonMessageError, encodeSecrets, parseReport, parseSecrets } from "../../../src/daemon/secrets-ipc.ts";
import { deriveFsKeys } from "../../../src/fs/crypto/keys.ts";
import { LOCK_KEY, LockObjectError, MountLock, parseLockRecord } from "../../../src/fs/mount-lock.ts";
import { encodeObject } from "../../../src/fs/store/codec.ts";
import { MemoryBackend } from "../../../src/fs/store/memory.ts";

setDefaultTimeout(120_000); // per file: bun test ignores bunfig's timeout (docs/testing.md)

const good = { auth: { backendLogin: "u", backendPassword: "p", backendOptions: { "no-ssl": true as const } }, passphrase: "pw" };

describe("secrets IPC", () => {
  test("a well-formed message passes both sides unchanged", () => {
    expect(parseSecrets(encodeSecrets(good))).toEqual(good);
  });

  test("a malformed message is one DaemonMessageError naming the field", () => {
    const bad = { auth: { backendOptions: { region: 5 } }, passphrase: "pw" };
    expect(() => parseSecrets(bad)).toThrow(DaemonMessageError);
    expect(() => parseSecrets(bad)).toThrow(/malformed secrets message \(auth\.backendOptions\.region: /);
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
