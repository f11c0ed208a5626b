// The narrow port through which blocks/ encodes objects: content ids, seal/open with role, name and sequence.
//
// It is an interface (not direct calls to store/codec.ts) so encoding can run in Workers behind the same
// async shape (CodecPool) or inline (keysCodec), and so unit tests can run without keys.

// The role is the store's own ObjectRole (blocks/ seals "data" and "meta"): one name, one meaning.
import type { ObjectRole } from "../store/codec.ts";
export type { ObjectRole };

export interface ObjectCodec {
  /** Keyed content id (hex) of a block's plaintext: equal content, equal id; reveals nothing without the key. */
  contentId(plaintext: Uint8Array): string | Promise<string>;
  /** Compress (when enabled), encrypt and authenticate `plaintext`, bound to role, name and `associated`. */
  encode(role: ObjectRole, name: string, plaintext: Uint8Array, associated?: number): Promise<Uint8Array>;
  /** The inverse; throws StoreError("corrupted") when authentication fails. */
  decode(role: ObjectRole, name: string, bytes: Uint8Array, associated?: number): Promise<Uint8Array>;
  /** Releases what the codec holds (Workers); it is not used afterwards. */
  close?(): void;
}
