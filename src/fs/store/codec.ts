// The object codec: versioned header, zstd, AES-256-GCM bound to the object's name, role and generation.
//
// Pure and synchronous so Workers can run it. Byte layout and the meaning of every check are specified
// in docs/format.md; change them only together with a new format version there.
import {
  AeadError,
  GCM_TAG_LEN,
  HMAC_LEN,
  hmacSha256,
  openSealed,
  randomNonce,
  sealInto,
  sealedMatches,
  tagsEqual,
} from "../crypto/aead.ts";
import type { FsKeys, SealingKeys } from "../crypto/keys.ts";
import { StoreError } from "./backend.ts";

export type ObjectRole = "data" | "meta" | "meta-head" | "superblock";

const ROLE_CODE: Record<ObjectRole, number> = { data: 1, meta: 2, "meta-head": 3, superblock: 4 };
const ROLE_OF_CODE = ["", "data", "meta", "meta-head", "superblock"] as const;

/** Newest format version; version 1 is still written while the key id is 0 so old readers keep working. */
export const FORMAT_VERSION = 2;
export const HEADER_LEN = 40;
const MAGIC = [0x43, 0x46, 0x4f]; // "CFO"
const FLAG_ZSTD = 1;
const FLAG_AES_GCM = 2;

/** Which check an object failed, so tests and logs can say exactly what was wrong. */
export type CorruptCheck =
  | "truncated" // shorter than its header says
  | "length" // longer than its header says (bytes appended)
  | "magic" // not a Coffer object at all
  | "version" // written by a newer format we cannot read
  | "mode" // encrypted object on a plain filesystem or the reverse
  | "role" // e.g. a data block where a metadata dump was expected
  | "misplaced" // authentic object stored under another name (swapped or copied)
  | "authentication" // tag mismatch: bits changed, or a different key
  | "key" // sealed with a master key id this key ring does not hold (retired, or a newer key object elsewhere)
  | "stale" // authentic but an older generation than the reader expects (rollback/replay)
  | "decompress" // authenticated but zstd failed: a bug or a memory fault when it was written
  | "content-id"; // a data block whose plaintext does not hash to its name

export class CorruptObjectError extends StoreError {
  constructor(
    readonly check: CorruptCheck,
    key: string,
    detail: string,
  ) {
    super("corrupted", `object ${key} is corrupted (${check}): ${detail}`, key);
    this.name = "CorruptObjectError";
  }
}

export interface EncodeOptions {
  /** zstd level 1..22 (default 1: see bench/RESULTS.md; Bun does not offer zstd's negative fast levels). */
  level?: number;
  /** false stores raw, for data known to be incompressible. */
  compress?: boolean;
  /** The generation of a mutable object (sequence number); 0 for content-addressed data. */
  associated?: bigint | number;
  /** Decrypt what was just encrypted and compare, before it leaves the machine (default true). */
  verify?: boolean;
}

export interface DecodeOptions {
  /** The exact generation the reader expects; anything else is "stale" (or newer: also refused). */
  associated?: bigint | number;
  /** At least this generation: for readers that know a floor but not the exact value. */
  minAssociated?: bigint | number;
  /**
   * For role "data" named data/<64 hex>: check the plaintext hashes to its name (default false). The tag
   * already proves the object was written under this name by a key holder, and a name's content never
   * changes, so this only guards against our own bugs; it costs 2.4x decode time on text (measured in
   * bench/codec.ts), so it is for fsck/scrub rather than every read. (Deviation from the lead's
   * "checked on decode", for that reason.)
   */
  verifyContentId?: boolean;
}

export interface ObjectHeader {
  version: number;
  /** Id of the master key that sealed it (bytes 6-7 from version 2; always 0 in version 1). */
  keyId: number;
  compressed: boolean;
  encrypted: boolean;
  role: ObjectRole | "unknown";
  generation: bigint;
  bodyLength: number;
}

const enc = new TextEncoder();

const keyFor = (keys: SealingKeys, role: ObjectRole): Uint8Array => (role === "data" ? keys.data : keys.meta);

/** The sub-keys that seal new objects. */
const currentKeys = (keys: FsKeys): SealingKeys => ({ id: keys.keyId ?? 0, data: keys.data, meta: keys.meta });

/** The sub-keys of master key `id`, or null when the ring no longer (or not yet) holds it. */
function keysWithId(keys: FsKeys, id: number): SealingKeys | null {
  if (id === (keys.keyId ?? 0)) return currentKeys(keys);
  return keys.previous?.find((k) => k.id === id) ?? null;
}

/** 4 bytes telling which name an object was written for; only used to explain a failed tag. */
function nameTag(keys: SealingKeys, role: ObjectRole, name: string): Uint8Array {
  return hmacSha256(keyFor(keys, role), enc.encode(`name\0${role}\0${name}`)).subarray(0, 4);
}

/** The associated data: the whole header (nonce included), then role and name. */
function associatedData(header: Uint8Array, role: ObjectRole, name: string): Uint8Array {
  const tail = enc.encode(`${role}\0${name}`);
  const ad = new Uint8Array(HEADER_LEN + tail.length);
  ad.set(header.subarray(0, HEADER_LEN));
  ad.set(tail, HEADER_LEN);
  return ad;
}

/**
 * Compress when it pays. Inputs over 256 KiB are judged on a 16 KiB sample from the middle first: for
 * random data that skips a full zstd pass (~0.3 ms per MiB), and costs text ~1.5% (bench/RESULTS.md).
 */
function maybeCompress(plaintext: Uint8Array, level: number): Uint8Array | null {
  if (plaintext.length < 128) return null;
  if (plaintext.length > 256 * 1024) {
    const mid = Math.floor(plaintext.length / 2) - 8192;
    const sample = plaintext.subarray(mid, mid + 16384);
    if (Bun.zstdCompressSync(sample, { level: 1 }).length > sample.length * 0.95) return null;
  }
  const z = Bun.zstdCompressSync(plaintext, { level });
  return z.length < plaintext.length * 0.99 ? z : null;
}

export function encodeObject(
  keys: FsKeys,
  role: ObjectRole,
  name: string,
  plaintext: Uint8Array,
  opts: EncodeOptions = {},
): Uint8Array {
  const level = opts.level ?? 1;
  const compress = opts.compress !== false;
  // The level matters only when compressing: callers may pass level 0 together with compress: false.
  if (compress && (!Number.isInteger(level) || level < 1 || level > 22)) {
    throw new RangeError(`zstd level must be 1..22, got ${level}`);
  }
  const generation = BigInt(opts.associated ?? 0);
  if (generation < 0n || generation >= 1n << 64n) throw new RangeError(`generation out of range: ${generation}`);
  const z = compress ? maybeCompress(plaintext, level) : null;
  return sealPayload(keys, role, name, z ?? plaintext, z !== null, generation, opts.verify !== false);
}

/** Seals a payload (already compressed when `compressed`) under the current key: header, AEAD, self-check. */
function sealPayload(
  keys: FsKeys,
  role: ObjectRole,
  name: string,
  payload: Uint8Array,
  compressed: boolean,
  generation: bigint,
  verify: boolean,
): Uint8Array {
  const tagLen = keys.plain ? HMAC_LEN : GCM_TAG_LEN;
  // allocUnsafeSlow: not zero-filled (every byte is written below) and never a slice of Buffer's shared
  // pool, so out.buffer belongs to this object alone and can be transferred from a Worker.
  const out = new Uint8Array(Buffer.allocUnsafeSlow(HEADER_LEN + payload.length + tagLen).buffer);
  const dv = new DataView(out.buffer, out.byteOffset, HEADER_LEN);
  out.fill(0, 0, HEADER_LEN);
  const sealing = currentKeys(keys);
  out.set(MAGIC, 0);
  out[3] = sealing.id === 0 ? 1 : 2;
  out[4] = (compressed ? FLAG_ZSTD : 0) | (keys.plain ? 0 : FLAG_AES_GCM);
  out[5] = ROLE_CODE[role];
  dv.setUint16(6, sealing.id);
  dv.setBigUint64(8, generation);
  dv.setBigUint64(16, BigInt(payload.length));
  out.set(nameTag(sealing, role, name), 24);
  if (!keys.plain) out.set(randomNonce(), 28);
  const ad = associatedData(out, role, name);
  const key = keyFor(sealing, role);
  if (keys.plain) {
    out.set(payload, HEADER_LEN);
    out.set(hmacSha256(key, ad, payload), HEADER_LEN + payload.length);
  } else {
    const tag = sealInto(key, out.subarray(28, 40), payload, ad, out, HEADER_LEN);
    out.set(tag, HEADER_LEN + payload.length);
    if (verify) {
      // restic-style check before upload: a fault while sealing would otherwise be stored forever and
      // found only on read, when the plaintext is gone. Measured (bench/RESULTS.md): ~3% of encode time on
      // text, ~0.15 ms per MiB of incompressible data (~15-20% of encode with the content id). Kept on.
      if (!sealedMatches(key, out.subarray(28, 40), out.subarray(HEADER_LEN, HEADER_LEN + payload.length), tag, ad, payload)) {
        throw new CorruptObjectError("authentication", name, "the freshly encrypted object did not decrypt to its input (memory fault?)");
      }
    }
  }
  return out;
}

/** Reads the header without verifying anything (for tools and error messages). */
export function readObjectHeader(bytes: Uint8Array): ObjectHeader | null {
  if (bytes.length < HEADER_LEN || bytes[0] !== MAGIC[0] || bytes[1] !== MAGIC[1] || bytes[2] !== MAGIC[2]) return null;
  const dv = new DataView(bytes.buffer, bytes.byteOffset, HEADER_LEN);
  return {
    version: bytes[3],
    keyId: bytes[3] >= 2 ? dv.getUint16(6) : 0,
    compressed: (bytes[4] & FLAG_ZSTD) !== 0,
    encrypted: (bytes[4] & FLAG_AES_GCM) !== 0,
    role: ROLE_OF_CODE[bytes[5]] || "unknown",
    generation: dv.getBigUint64(8),
    bodyLength: Number(dv.getBigUint64(16)),
  };
}

/** Checks the header and the tag; returns the payload as stored (still compressed when the flag says so). */
function openPayload(keys: FsKeys, role: ObjectRole, name: string, bytes: Uint8Array): { payload: Uint8Array; header: ObjectHeader } {
  const fail = (check: CorruptCheck, detail: string) => new CorruptObjectError(check, name, detail);
  if (bytes.length >= 3 && (bytes[0] !== MAGIC[0] || bytes[1] !== MAGIC[1] || bytes[2] !== MAGIC[2])) {
    throw fail("magic", "not a Coffer object");
  }
  const h = readObjectHeader(bytes);
  if (!h) throw fail("truncated", `${bytes.length} bytes is shorter than the ${HEADER_LEN}-byte header`);
  if (h.version !== 1 && h.version !== 2) throw fail("version", `format version ${h.version}, this Coffer reads 1 and 2`);
  if (bytes[4] & ~(FLAG_ZSTD | FLAG_AES_GCM)) throw fail("version", `unknown flags 0x${bytes[4].toString(16)} (newer format?)`);
  if (h.encrypted === keys.plain) {
    throw fail("mode", h.encrypted ? "encrypted object in a --plain filesystem" : "unencrypted object in an encrypted filesystem");
  }
  if (h.role !== role) throw fail("role", `a ${h.role} object where a ${role} object was expected`);
  const tagLen = keys.plain ? HMAC_LEN : GCM_TAG_LEN;
  const want = HEADER_LEN + h.bodyLength + tagLen;
  if (bytes.length < want) throw fail("truncated", `${bytes.length} bytes, the header says ${want}`);
  if (bytes.length > want) throw fail("length", `${bytes.length} bytes, the header says ${want}`);

  const sealing = keysWithId(keys, h.keyId);
  if (!sealing) {
    throw fail("key", `sealed with master key ${h.keyId}, which this filesystem's key object does not hold (retired by rotate-key --reencrypt, or an older key object)`);
  }
  const ad = associatedData(bytes, role, name);
  const key = keyFor(sealing, role);
  const body = bytes.subarray(HEADER_LEN, HEADER_LEN + h.bodyLength);
  const tag = bytes.subarray(HEADER_LEN + h.bodyLength);
  const badTag = () =>
    tagsEqual(bytes.subarray(24, 28), nameTag(sealing, role, name))
      ? fail("authentication", "the authentication tag does not match (bits changed or wrong key)")
      : fail("misplaced", "this object was written under another name (objects swapped or copied)");
  let payload: Uint8Array;
  if (keys.plain) {
    if (!tagsEqual(tag, hmacSha256(key, ad, body))) throw badTag();
    payload = body;
  } else {
    try {
      payload = openSealed(key, bytes.subarray(28, 40), body, tag, ad);
    } catch (e) {
      if (e instanceof AeadError) throw badTag();
      throw e;
    }
  }
  return { payload, header: h };
}

/** Decodes and verifies; returns the plaintext and the (authenticated) generation. */
export function decodeObjectWithHeader(
  keys: FsKeys,
  role: ObjectRole,
  name: string,
  bytes: Uint8Array,
  opts: DecodeOptions = {},
): { plaintext: Uint8Array; header: ObjectHeader } {
  const fail = (check: CorruptCheck, detail: string) => new CorruptObjectError(check, name, detail);
  const { payload, header: h } = openPayload(keys, role, name, bytes);
  if (opts.associated !== undefined && h.generation !== BigInt(opts.associated)) {
    throw fail("stale", `generation ${h.generation}, expected ${opts.associated} (an old copy was put back, or a write was lost)`);
  }
  if (opts.minAssociated !== undefined && h.generation < BigInt(opts.minAssociated)) {
    throw fail("stale", `generation ${h.generation}, expected at least ${opts.minAssociated} (an old copy was put back)`);
  }
  let plaintext = payload;
  if (h.compressed) {
    try {
      plaintext = Bun.zstdDecompressSync(payload);
    } catch (e) {
      throw fail("decompress", `zstd: ${(e as Error).message}`);
    }
  }
  if (role === "data" && opts.verifyContentId === true) {
    const id = name.slice(name.lastIndexOf("/") + 1);
    if (/^[0-9a-f]{64}$/.test(id) && contentId(keys, plaintext) !== id) {
      throw fail("content-id", "the block's content does not hash to its name");
    }
  }
  return { plaintext, header: h };
}

export function decodeObject(
  keys: FsKeys,
  role: ObjectRole,
  name: string,
  bytes: Uint8Array,
  opts: DecodeOptions = {},
): Uint8Array {
  return decodeObjectWithHeader(keys, role, name, bytes, opts).plaintext;
}

/**
 * The same object sealed under the current master key (for `rotate-key --reencrypt`), or null when it
 * already is. Role, generation and compressed payload are kept as they are, so the plaintext, the size
 * and replay protection do not change; the tag is checked with the old key first.
 */
export function resealObject(keys: FsKeys, name: string, bytes: Uint8Array): Uint8Array | null {
  const h = readObjectHeader(bytes);
  if (!h || h.role === "unknown") throw new CorruptObjectError(h ? "role" : "magic", name, "not a Coffer object with a known role");
  if (h.keyId === (keys.keyId ?? 0)) return null;
  const { payload } = openPayload(keys, h.role, name, bytes);
  return sealPayload(keys, h.role, name, payload, h.compressed, h.generation, true);
}

/** The content id of a block: HMAC-SHA256 under the dedup key, hex (keyed in --plain mode too). */
export function contentId(keys: FsKeys, plaintext: Uint8Array): string {
  return Buffer.from(hmacSha256(keys.dedup, plaintext)).toString("hex");
}

/** The object name of a deduplicated data block (the local backend shards these itself). */
export const dataObjectName = (id: string): string => `data/${id}`;
