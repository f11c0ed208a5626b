// The filesystem's keys, pure: a key ring of master keys, its sub-keys, and the key object's bytes (wrap/unwrap).
//
// Reading and writing the key object in a store is src/fs/store/key-object.ts: this file takes and
// returns bytes only, so the object codec (store) can import it without a cycle.
import { z } from "zod";
import { firstIssue } from "../../schema-issue.ts";
import { AeadError, NONCE_LEN, open, randomKey, randomNonce, seal } from "./aead.ts";
import { type Argon2Params, DEFAULT_ARGON2, argon2id, newSalt, subKey } from "./kdf.ts";

/** The sub-keys of one master key of the ring. */
export interface SealingKeys {
  /** The master key's id, written in the header of every object it seals (0: the one mkfs made). */
  id: number;
  /** AEAD key for "data" objects (file blocks). */
  data: Uint8Array;
  /** AEAD key for metadata dumps, heads and the superblock. */
  meta: Uint8Array;
}

/** Sub-keys of one filesystem; plain Uint8Arrays so they can be posted to Workers. */
export interface FsKeys {
  /** --plain: objects are compressed and authenticated (HMAC) but not encrypted. */
  plain: boolean;
  /** AEAD key for "data" objects sealed from now on (the current master key's). */
  data: Uint8Array;
  /** AEAD key for metadata objects sealed from now on. */
  meta: Uint8Array;
  /** HMAC key for content ids (dedup), so ids reveal nothing about block contents. Survives rotation. */
  dedup: Uint8Array;
  /** Id of the current master key (0 until the first `coffer rotate-key`). Absent means 0. */
  keyId?: number;
  /** Sub-keys of earlier master keys, to read objects sealed before a rotation. */
  previous?: SealingKeys[];
}

/** Every master key of a filesystem; the one with the highest id seals new objects. */
export interface KeyRing {
  /** The dedup key is kept as such so old master keys can be retired without changing content ids. */
  dedup: Uint8Array;
  masters: { id: number; key: Uint8Array }[];
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
    super(`the key object coffer-key at ${where} is damaged or from a newer Coffer: ${why}`);
    this.name = "KeyObjectError";
  }
}

const base64 = z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, "not base64");

/** Argon2id's cost and salt. The bounds keep a tampered key object from making us allocate 1 TiB or loop for hours. */
const KdfJson = z.object({
  memoryKiB: z.number().int().min(8).max(4 * 1024 * 1024),
  passes: z.number().int().min(1).max(64),
  parallelism: z.number().int().min(1).max(64),
  salt: base64,
});
type KdfJson = z.infer<typeof KdfJson>;

/** The key object's JSON (docs/format.md). Version 1 wraps one master key, version 2 a key ring. */
const KeyObjectJson = z.object({
  coffer: z.literal("key"),
  version: z.union([z.literal(1), z.literal(2)]),
  mode: z.enum(["argon2id", "plain"]),
  kdf: KdfJson.optional(),
  /** base64: nonce (12) then AES-256-GCM(master, or the ring) then tag (16). */
  wrapped: base64.optional(),
  /** version 1, plain mode only: the base64 master key (public, by the user's choice). */
  master: base64.optional(),
  /** version 2, plain mode only: the base64 ring. */
  ring: base64.optional(),
});
type KeyObjectJson = z.infer<typeof KeyObjectJson>;

/** What a key object holds once unlocked. */
export interface UnlockedKeyObject {
  ring: KeyRing;
  plain: boolean;
  /** The KDF cost of an encrypted key object, kept when the passphrase changes. */
  argon2?: Omit<Argon2Params, "salt">;
}

const b64 = (b: Uint8Array): string => Buffer.from(b).toString("base64");
const unb64 = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, "base64"));
const MASTER_LEN = 32;
const RING_ENTRY_LEN = 2 + MASTER_LEN;
const MAX_KEY_ID = 0xffff;

/** The associated data of the wrap: binds the KDF parameters (and version) so they cannot be changed unnoticed. */
function wrapAd(version: 1 | 2, kdf: KdfJson): Uint8Array {
  const canonical = `coffer-key-v${version}\0argon2id\0m=${kdf.memoryKiB},t=${kdf.passes},p=${kdf.parallelism},s=${kdf.salt}`;
  return new TextEncoder().encode(canonical);
}

/** The sub-keys of a master key; the same derivation for encrypted and plain filesystems. */
export function deriveFsKeys(master: Uint8Array, plain: boolean): FsKeys {
  return ringFsKeys({ dedup: subKey(master, "dedup"), masters: [{ id: 0, key: master }] }, plain);
}

/** The keys a filesystem works with: the newest master key seals, every master key of the ring opens. */
export function ringFsKeys(ring: KeyRing, plain: boolean): FsKeys {
  const sorted = [...ring.masters].sort((a, b) => b.id - a.id);
  const sub = (m: { id: number; key: Uint8Array }): SealingKeys => ({ id: m.id, data: subKey(m.key, "data"), meta: subKey(m.key, "meta") });
  const [current, ...older] = sorted.map(sub);
  if (!current) throw new Error("a key ring needs at least one master key");
  return { plain, data: current.data, meta: current.meta, dedup: ring.dedup, keyId: current.id, previous: older };
}

/** A new filesystem's ring: one random master key, id 0. */
export function newKeyRing(): KeyRing {
  const master = randomKey();
  return { dedup: subKey(master, "dedup"), masters: [{ id: 0, key: master }] };
}

/** The ring with one more master key, which seals every object from now on. */
export function rotateKeyRing(ring: KeyRing): KeyRing {
  const next = Math.max(...ring.masters.map((m) => m.id)) + 1;
  if (next > MAX_KEY_ID) throw new PassphraseUsageError(`the key ring is full (${MAX_KEY_ID} rotations)`);
  return { dedup: ring.dedup, masters: [...ring.masters, { id: next, key: randomKey() }] };
}

/** The ring without the master keys no object uses any more (keeps the current one always). */
export function retireOldKeys(ring: KeyRing): KeyRing {
  const current = Math.max(...ring.masters.map((m) => m.id));
  return { dedup: ring.dedup, masters: ring.masters.filter((m) => m.id === current) };
}

/** Version 1 can hold the ring only while it is exactly what mkfs made: then old Coffers still read it. */
function fitsVersion1(ring: KeyRing): boolean {
  const [only] = ring.masters;
  return ring.masters.length === 1 && only!.id === 0 && Buffer.from(subKey(only!.key, "dedup")).equals(ring.dedup);
}

function encodeRing(ring: KeyRing): Uint8Array {
  const out = new Uint8Array(MASTER_LEN + ring.masters.length * RING_ENTRY_LEN);
  out.set(ring.dedup, 0);
  ring.masters.forEach((m, i) => {
    const at = MASTER_LEN + i * RING_ENTRY_LEN;
    new DataView(out.buffer).setUint16(at, m.id);
    out.set(m.key, at + 2);
  });
  return out;
}

function decodeRing(bytes: Uint8Array, where: string): KeyRing {
  const n = (bytes.length - MASTER_LEN) / RING_ENTRY_LEN;
  if (!Number.isInteger(n) || n < 1) throw new KeyObjectError(where, "the key ring has the wrong length");
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const masters = Array.from({ length: n }, (_, i) => {
    const at = MASTER_LEN + i * RING_ENTRY_LEN;
    return { id: dv.getUint16(at), key: bytes.slice(at + 2, at + RING_ENTRY_LEN) };
  });
  if (new Set(masters.map((m) => m.id)).size !== n) throw new KeyObjectError(where, "the key ring repeats a key id");
  return { dedup: bytes.slice(0, MASTER_LEN), masters };
}

/**
 * The key object's bytes for a ring: wrapped under `passphrase` (new salt and nonce each time), or in the
 * clear for --plain when passphrase is null. Version 1 while the ring is mkfs's, version 2 after a rotation.
 */
export function encodeKeyObject(ring: KeyRing, passphrase: string | null, o: CreateKeysOptions = {}): Uint8Array {
  const version = fitsVersion1(ring) ? 1 : 2;
  const secret = version === 1 ? ring.masters[0]!.key : encodeRing(ring);
  let obj: KeyObjectJson;
  if (passphrase === null) {
    obj = version === 1 ? { coffer: "key", version, mode: "plain", master: b64(secret) } : { coffer: "key", version, mode: "plain", ring: b64(secret) };
  } else {
    if (passphrase.length === 0) {
      throw new PassphraseUsageError("the passphrase is empty: give one in fs-passphrase, or create a --plain filesystem");
    }
    const params: Argon2Params = { ...DEFAULT_ARGON2, ...o.argon2, salt: newSalt() };
    const kdf = { memoryKiB: params.memoryKiB, passes: params.passes, parallelism: params.parallelism, salt: b64(params.salt) };
    const nonce = randomNonce();
    const sealed = seal(argon2id(passphrase, params), nonce, secret, wrapAd(version, kdf));
    const wrapped = new Uint8Array(NONCE_LEN + sealed.length);
    wrapped.set(nonce);
    wrapped.set(sealed, NONCE_LEN);
    obj = { coffer: "key", version, mode: "argon2id", kdf, wrapped: b64(wrapped) };
  }
  return new TextEncoder().encode(JSON.stringify(obj) + "\n");
}

function parseKeyObject(bytes: Uint8Array, where: string): KeyObjectJson {
  let json: { coffer?: unknown; version?: unknown } | null;
  try {
    json = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    throw new KeyObjectError(where, "not valid JSON");
  }
  // the two questions whose answers say "not ours" or "too new" come first, with their own words
  if (json?.coffer !== "key") throw new KeyObjectError(where, "not a Coffer key object");
  if (json.version !== 1 && json.version !== 2) throw new KeyObjectError(where, `unsupported version ${json.version}`);
  const parsed = KeyObjectJson.safeParse(json);
  if (!parsed.success) throw new KeyObjectError(where, firstIssue(parsed.error));
  return parsed.data;
}

/** Whether the key object is a --plain one (no passphrase needed), without unlocking it. */
export function keyObjectIsPlain(bytes: Uint8Array, where: string): boolean {
  return parseKeyObject(bytes, where).mode === "plain";
}

/** Unlocks a key object's bytes; `where` names the store in error messages. A plain one ignores the passphrase. */
export function decodeKeyObject(bytes: Uint8Array, passphrase: string | null, where: string): UnlockedKeyObject {
  const k = parseKeyObject(bytes, where);
  const toRing = (secret: Uint8Array): KeyRing => {
    if (k.version === 2) return decodeRing(secret, where);
    if (secret.length !== MASTER_LEN) throw new KeyObjectError(where, "master key has the wrong length");
    return { dedup: subKey(secret, "dedup"), masters: [{ id: 0, key: secret }] };
  };
  if (k.mode === "plain") {
    const secret = k.version === 1 ? k.master : k.ring;
    return { ring: toRing(typeof secret === "string" ? unb64(secret) : new Uint8Array(0)), plain: true };
  }
  if (k.wrapped === undefined || k.kdf === undefined) throw new KeyObjectError(where, "the wrapped key or the KDF is missing");
  if (passphrase === null) throw new PassphraseRequiredError(where);
  const { memoryKiB, passes, parallelism, salt } = k.kdf; // bounded by the schema
  const wrapped = unb64(k.wrapped);
  const tagged = wrapped.length - NONCE_LEN - 16;
  if (k.version === 1 ? tagged !== MASTER_LEN : tagged < MASTER_LEN + RING_ENTRY_LEN) {
    throw new KeyObjectError(where, "the wrapped key has the wrong length");
  }
  const wrapKey = argon2id(passphrase, { memoryKiB, passes, parallelism, salt: unb64(salt) });
  let secret: Uint8Array;
  try {
    secret = open(wrapKey, wrapped.subarray(0, NONCE_LEN), wrapped.subarray(NONCE_LEN), wrapAd(k.version, k.kdf));
  } catch (e) {
    // GCM cannot tell a wrong passphrase from a tampered key object; a wrong passphrase is far likelier.
    if (e instanceof AeadError) throw new WrongPassphraseError(where);
    throw e;
  }
  return { ring: toRing(new Uint8Array(secret)), plain: false, argon2: { memoryKiB, passes, parallelism } };
}
