// The ObjectCodec backed by the real object codec (store/codec.ts) and the filesystem's keys.
import type { FsKeys } from "../crypto/keys.ts";
import { contentId, decodeObject, encodeObject } from "../store/codec.ts";
import type { ObjectCodec, ObjectRole } from "./object-codec.ts";

/** `level`: zstd level for data and metadata; 0 or null stores uncompressed. */
export function keysCodec(keys: FsKeys, level: number | null = 1): ObjectCodec {
  const compress = level !== null && level !== 0;
  return {
    contentId: (plain) => contentId(keys, plain),
    encode: async (role: ObjectRole, name, plain, associated) =>
      encodeObject(keys, role, name, plain, { level: level ?? undefined, compress, associated: associated ?? 0 }),
    decode: async (role: ObjectRole, name, bytes, associated) =>
      decodeObject(keys, role, name, bytes, { associated: associated ?? 0 }),
  };
}
