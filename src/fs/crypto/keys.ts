// The filesystem's keys: a random master key, wrapped by an argon2id passphrase key in the "coffer-key" object.
import type { Backend } from "../store/backend.ts";
import { isNotFound } from "../store/backend.ts";
import { AeadError, NONCE_LEN, open, randomKey, randomNonce, seal } from "./aead.ts";
import { type Argon2Params, DEFAULT_ARGON2, argon2id, newSalt, subKey } from "./kdf.ts";

/** The object holding the wrapped master key (format in docs/format.md). */
export const KEY_OBJECT = "coffer-key";

/** Sub-keys of one filesystem; plain Uint8Arrays so they can be posted to Workers. */
export interface FsKeys {
  /** --plain: objects are compressed and authenticated (HMAC) but not encrypted. */
  plain: boolean;
  /** AEAD key for "data" objects (file blocks). */
  data: Uint8Array;
  /** AEAD key for metadata dumps, heads and the superblock. */
  meta: Uint8Array;
  /** HMAC key for content ids (dedup), so ids reveal nothing about block contents. */
  dedup: Uint8Array;
}

export interface CreateKeysOptions {
  argon2?: Partial<Omit<Argon2Params, "salt">>;
}

/** The passphrase did not unlock the key object. One line, for the user. */
export class WrongPassphraseError extends Error {
  constructor(where: string) {
    super(
      `wrong passphrase for ${where}: the filesystem's key could not be unlocked; check fs-passphrase in your authinfo file`,
    );
    this.name = "WrongPassphraseError";
  }
}

export class PassphraseRequiredError extends Error {
  constructor(where: string) {
    super(`${where} holds an encrypted filesystem and needs its passphrase: set fs-passphrase in your authinfo file`);
    this.name = "PassphraseRequiredError";
  }
}

/** No key object: nothing was ever created here, or the URL points at the wrong place. */
export class NoFilesystemError extends Error {
  constructor(where: string) {
    super(`no Coffer filesystem at ${where} (object ${KEY_OBJECT} is missing): check the storage URL or run mkfs`);
    this.name = "NoFilesystemError";
  }
}

/** A passphrase operation that makes no sense (empty passphrase, --plain filesystem). One line. */
export class PassphraseUsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PassphraseUsageError";
  }
}

/** The key object exists but is not one we can read. */
export class KeyObjectError extends Error {
  constructor(where: string, why: string) {
    super(`the key object ${KEY_OBJECT} at ${where} is damaged or from a newer Coffer: ${why}`);
    this.name = "KeyObjectError";
  }
}

interface KeyObjectV1 {
  coffer: "key";
  version: 1;
  mode: "argon2id" | "plain";
  kdf?: { memoryKiB: number; passes: number; parallelism: number; salt: string };
  /** base64: nonce (12) then AES-256-GCM(master) (32) then tag (16). */
  wrapped?: string;
  /** base64 master key, plain mode only: the key object is then public, by the user's choice. */
  master?: string;
}

const b64 = (b: Uint8Array): string => Buffer.from(b).toString("base64");
const unb64 = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, "base64"));

/** The associated data of the wrap: binds the KDF parameters so they cannot be weakened unnoticed. */
function wrapAd(kdf: NonNullable<KeyObjectV1["kdf"]>): Uint8Array {
  const canonical = `coffer-key-v1\0argon2id\0m=${kdf.memoryKiB},t=${kdf.passes},p=${kdf.parallelism},s=${kdf.salt}`;
  return new TextEncoder().encode(canonical);
}

/** The sub-keys of a master key; the same derivation for encrypted and plain filesystems. */
export function deriveFsKeys(master: Uint8Array, plain: boolean): FsKeys {
  return { plain, data: subKey(master, "data"), meta: subKey(master, "meta"), dedup: subKey(master, "dedup") };
}

function wrapMaster(master: Uint8Array, passphrase: string, o: CreateKeysOptions = {}): KeyObjectV1 {
  const params: Argon2Params = { ...DEFAULT_ARGON2, ...o.argon2, salt: newSalt() };
  const kdf = { memoryKiB: params.memoryKiB, passes: params.passes, parallelism: params.parallelism, salt: b64(params.salt) };
  const nonce = randomNonce();
  const sealed = seal(argon2id(passphrase, params), nonce, master, wrapAd(kdf));
  const wrapped = new Uint8Array(NONCE_LEN + sealed.length);
  wrapped.set(nonce);
  wrapped.set(sealed, NONCE_LEN);
  return { coffer: "key", version: 1, mode: "argon2id", kdf, wrapped: b64(wrapped) };
}

function encodeKeyObject(k: KeyObjectV1): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(k) + "\n");
}

export async function keyObjectExists(backend: Backend): Promise<boolean> {
  return (await backend.head(KEY_OBJECT)) !== null;
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
  const master = randomKey();
  if (passphrase !== null && passphrase.length === 0) {
    throw new PassphraseUsageError("the passphrase is empty: give one in fs-passphrase, or create a --plain filesystem");
  }
  const obj: KeyObjectV1 =
    passphrase === null ? { coffer: "key", version: 1, mode: "plain", master: b64(master) } : wrapMaster(master, passphrase, opts);
  await backend.put(KEY_OBJECT, encodeKeyObject(obj));
  return deriveFsKeys(master, passphrase === null);
}

async function readKeyObject(backend: Backend): Promise<KeyObjectV1> {
  let bytes: Uint8Array;
  try {
    bytes = await backend.get(KEY_OBJECT);
  } catch (e) {
    if (isNotFound(e)) throw new NoFilesystemError(backend.description);
    throw e;
  }
  let k: KeyObjectV1;
  try {
    k = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    throw new KeyObjectError(backend.description, "not valid JSON");
  }
  if (k?.coffer !== "key") throw new KeyObjectError(backend.description, "not a Coffer key object");
  if (k.version !== 1) throw new KeyObjectError(backend.description, `unsupported version ${k.version}`);
  return k;
}

/** Recovers the master key from a parsed key object (shared by unlock and changePassphrase). */
function unlockMaster(k: KeyObjectV1, passphrase: string | null, where: string): Uint8Array {
  if (k.mode === "plain") {
    const m = typeof k.master === "string" ? unb64(k.master) : new Uint8Array(0);
    if (m.length !== 32) throw new KeyObjectError(where, "plain master key has the wrong length");
    return m;
  }
  if (k.mode !== "argon2id") throw new KeyObjectError(where, `unknown mode ${k.mode}`);
  if (typeof k.wrapped !== "string" || typeof k.kdf?.salt !== "string") {
    throw new KeyObjectError(where, "the wrapped key or the KDF salt is missing");
  }
  if (passphrase === null) throw new PassphraseRequiredError(where);
  const { memoryKiB, passes, parallelism, salt } = k.kdf;
  const sane = (n: number, lo: number, hi: number) => Number.isInteger(n) && n >= lo && n <= hi;
  // Bounds keep a tampered key object from making us allocate 1 TiB or loop for hours.
  if (!sane(memoryKiB, 8, 4 * 1024 * 1024) || !sane(passes, 1, 64) || !sane(parallelism, 1, 64)) {
    throw new KeyObjectError(where, "KDF parameters out of range");
  }
  const wrapped = unb64(k.wrapped);
  if (wrapped.length !== NONCE_LEN + 32 + 16) throw new KeyObjectError(where, "the wrapped key has the wrong length");
  const wrapKey = argon2id(passphrase, { memoryKiB, passes, parallelism, salt: unb64(salt) });
  try {
    const master = open(wrapKey, wrapped.subarray(0, NONCE_LEN), wrapped.subarray(NONCE_LEN), wrapAd(k.kdf));
    if (master.length !== 32) throw new KeyObjectError(where, "master key has the wrong length");
    return master;
  } catch (e) {
    // GCM cannot tell a wrong passphrase from a tampered key object; a wrong passphrase is far likelier.
    if (e instanceof AeadError) throw new WrongPassphraseError(where);
    throw e;
  }
}

/** Unlocks the filesystem's keys; a plain filesystem ignores the passphrase. */
export async function unlockFilesystemKeys(backend: Backend, passphrase: string | null): Promise<FsKeys> {
  const k = await readKeyObject(backend);
  return deriveFsKeys(unlockMaster(k, passphrase, backend.description), k.mode === "plain");
}

/** Re-wraps the same master key under a new passphrase (new salt); data objects are untouched. */
export async function changePassphrase(backend: Backend, oldPass: string, newPass: string): Promise<void> {
  const k = await readKeyObject(backend);
  if (k.mode === "plain") {
    throw new PassphraseUsageError(`${backend.description} is a --plain filesystem: it has no passphrase to change`);
  }
  if (!newPass) throw new PassphraseUsageError("the new passphrase is empty");
  const master = unlockMaster(k, oldPass, backend.description);
  const next = wrapMaster(master, newPass, { argon2: { memoryKiB: k.kdf!.memoryKiB, passes: k.kdf!.passes, parallelism: k.kdf!.parallelism } });
  // Check the new wrap opens before replacing the only copy of the key.
  unlockMaster(next, newPass, backend.description);
  await backend.put(KEY_OBJECT, encodeKeyObject(next));
}
