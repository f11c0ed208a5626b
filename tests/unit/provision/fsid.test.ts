// The NFS fsid provision derives from a filesystem: stable across passphrase changes, distinct between filesystems.
import { expect, setDefaultTimeout, test } from "bun:test";
import { changePassphrase, createFilesystemKeys, unlockFilesystemKeys } from "../../../src/fs/store/key-object.ts";
import { MemoryBackend } from "../../../src/fs/store/memory.ts";
import { filesystemUuid } from "../../../src/cli/provision-checks.ts";

setDefaultTimeout(120_000); // per file: bun test ignores bunfig's timeout (docs/testing.md)

const FAST = { argon2: { memoryKiB: 1024, passes: 1 } };

test("filesystemUuid is a version-8 UUID, a function of the key material only", () => {
  const a = filesystemUuid(new Uint8Array(32).fill(1));
  expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  expect(filesystemUuid(new Uint8Array(32).fill(1))).toBe(a);
  expect(filesystemUuid(new Uint8Array(32).fill(2))).not.toBe(a);
});

test("the same filesystem keeps its fsid after a passphrase change; another filesystem gets another", async () => {
  const backend = new MemoryBackend();
  const keys = await createFilesystemKeys(backend, "first passphrase", FAST);
  await changePassphrase(backend, "first passphrase", "second passphrase");
  const other = await createFilesystemKeys(new MemoryBackend(), "first passphrase", FAST);
  expect(filesystemUuid(keys.dedup)).not.toBe(filesystemUuid(other.dedup));
  const reopened = await unlockFilesystemKeys(backend, "second passphrase");
  expect(filesystemUuid(reopened.dedup)).toBe(filesystemUuid(keys.dedup));
});
