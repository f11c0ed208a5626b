// Validation of object key names shared by all backends (the contract allows [A-Za-z0-9._/-] only).
import { StoreError } from "./backend.ts";

const KEY_RE = /^[A-Za-z0-9._/-]+$/;

/** Throws a permanent StoreError for a key outside the contract: a caller bug, never retried. */
export function checkKey(key: string): void {
  if (key.length === 0 || key.length > 900 || !KEY_RE.test(key)) {
    throw new StoreError("permanent", `invalid object key ${JSON.stringify(key)}`, key);
  }
}
