// The key object "coffer-key" in a store: create, unlock, re-wrap and rotate; the bytes themselves are crypto/keys.ts.
import {
  type CreateKeysOptions,
  type FsKeys,
  type KeyRing,
  PassphraseUsageError,
  type UnlockedKeyObject,
  decodeKeyObject,
  encodeKeyObject,
  newKeyRing,
  ringFsKeys,
} from "../crypto/keys.ts";
import type { Backend } from "./backend.ts";
import { isNotFound } from "./backend.ts";

/** The object holding the wrapped master key(s) (format in docs/format.md). */
export const KEY_OBJECT = "coffer-key";

/** No key object: nothing was ever created here, or the URL points at the wrong place. */
export class NoFilesystemError extends Error {
  constructor(where: string) {
    super(`no Coffer filesystem at ${where} (object ${KEY_OBJECT} is missing): check the storage URL or run mkfs`);
    this.name = "NoFilesystemError";
  }
}

export async function keyObjectExists(backend: Backend): Promise<boolean> {
  return (await backend.head(KEY_OBJECT)) !== null;
}

async function readKeyObjectBytes(backend: Backend): Promise<Uint8Array> {
  try {
    return await backend.get(KEY_OBJECT);
  } catch (e) {
    if (isNotFound(e)) throw new NoFilesystemError(backend.description);
    throw e;
  }
}

/** Reads and unlocks the key object: the ring, whether it is --plain, and its KDF cost. */
export async function unlockKeyObject(backend: Backend, passphrase: string | null): Promise<UnlockedKeyObject> {
  return decodeKeyObject(await readKeyObjectBytes(backend), passphrase, backend.description);
}

/**
 * Replaces the key object with `ring` wrapped under `passphrase`, after checking the new bytes unlock to
 * the same ring: the key object is the only copy of the master keys.
 */
export async function writeKeyRing(
  backend: Backend,
  ring: KeyRing,
  passphrase: string | null,
  opts: CreateKeysOptions = {},
): Promise<void> {
  const bytes = encodeKeyObject(ring, passphrase, opts);
  const back = decodeKeyObject(bytes, passphrase, backend.description).ring;
  const same = (a: KeyRing, b: KeyRing) =>
    Buffer.from(a.dedup).equals(b.dedup) &&
    a.masters.length === b.masters.length &&
    a.masters.every((m, i) => m.id === b.masters[i]!.id && Buffer.from(m.key).equals(b.masters[i]!.key));
  if (!same(ring, back)) throw new Error("the new key object did not unlock to the same keys; nothing was written");
  await backend.put(KEY_OBJECT, bytes);
}

/**
 * Makes a new master key and stores it (wrapped by the passphrase, or in the clear for --plain when
 * passphrase is null). Overwrites an existing key object: refusing to is the caller's job (keyObjectExists).
 */
export async function createFilesystemKeys(
  backend: Backend,
  passphrase: string | null,
  opts: CreateKeysOptions = {},
): Promise<FsKeys> {
  if (passphrase !== null && passphrase.length === 0) {
    throw new PassphraseUsageError("the passphrase is empty: give one in fs-passphrase, or create a --plain filesystem");
  }
  const ring = newKeyRing();
  await writeKeyRing(backend, ring, passphrase, opts);
  return ringFsKeys(ring, passphrase === null);
}

/** Unlocks the filesystem's keys; a plain filesystem ignores the passphrase. */
export async function unlockFilesystemKeys(backend: Backend, passphrase: string | null): Promise<FsKeys> {
  const k = await unlockKeyObject(backend, passphrase);
  return ringFsKeys(k.ring, k.plain);
}

/**
 * Re-wraps the same master keys under a new passphrase (new salt, same KDF cost); no other object changes.
 * The old passphrase stops opening this key object (an old copy of it, kept elsewhere, still would).
 */
export async function changePassphrase(backend: Backend, oldPass: string, newPass: string): Promise<void> {
  const before = await readKeyObjectBytes(backend);
  const k = decodeKeyObject(before, oldPass, backend.description);
  if (k.plain) {
    throw new PassphraseUsageError(`${backend.description} is a --plain filesystem: it has no passphrase to change`);
  }
  if (!newPass) throw new PassphraseUsageError("the new passphrase is empty; choose one");
  // Another admin command (rotate-key) may have rewritten the key object while argon2 ran: writing now
  // would drop its new key. Re-read and compare just before the write (narrows the window to one request).
  const now = await readKeyObjectBytes(backend);
  if (!Buffer.from(now).equals(before)) {
    throw new PassphraseUsageError(`the key object at ${backend.description} changed while the passphrase was being changed; run the command again`);
  }
  await writeKeyRing(backend, k.ring, newPass, { argon2: k.argon2 });
}
