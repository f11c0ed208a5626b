// Key derivation: argon2id from a passphrase (to wrap the master key) and HKDF-SHA256 for per-purpose sub-keys.
import { argon2Sync, hkdfSync, randomFillSync } from "node:crypto";

export interface Argon2Params {
  /** Memory in KiB (argon2 "m"). */
  memoryKiB: number;
  /** Iterations (argon2 "t"). */
  passes: number;
  /** Lanes (argon2 "p"). */
  parallelism: number;
  /** 16 random bytes, base64 in the key object. */
  salt: Uint8Array;
}

/** 64 MiB, 3 passes, 1 lane: ~0.1-0.2 s on this class of machine (node:crypto argon2Sync, measured ~114 ms on the 2-core VM), RFC 9106's second choice. */
export const DEFAULT_ARGON2 = { memoryKiB: 65536, passes: 3, parallelism: 1 } as const;

export function newSalt(): Uint8Array {
  return randomFillSync(new Uint8Array(16));
}

/** 32 key bytes from a passphrase (UTF-8, NFC-normalised so the same passphrase typed anywhere matches). */
export function argon2id(passphrase: string, p: Argon2Params): Uint8Array {
  const out = argon2Sync("argon2id", {
    message: Buffer.from(passphrase.normalize("NFC"), "utf8"),
    nonce: p.salt,
    parallelism: p.parallelism,
    tagLength: 32,
    memory: p.memoryKiB,
    passes: p.passes,
  });
  return new Uint8Array(out.buffer, out.byteOffset, out.length);
}

/** HKDF-SHA256(master, salt = "coffer-v1", info = purpose) -> 32 bytes. */
export function subKey(master: Uint8Array, purpose: string): Uint8Array {
  return new Uint8Array(hkdfSync("sha256", master, "coffer-v1", `coffer ${purpose} key`, 32));
}
