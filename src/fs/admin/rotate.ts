// `coffer rotate-key`: a new master key seals every future object; old ones stay readable, or are re-sealed and retired.
import { type KeyRing, PassphraseUsageError, retireOldKeys, ringFsKeys, rotateKeyRing } from "../crypto/keys.ts";
import type { Backend } from "../store/backend.ts";
import { KEY_OBJECT, unlockKeyObject, writeKeyRing } from "../store/key-object.ts";
import { LOCK_KEY } from "../mount-lock.ts";
import { withMountLock } from "./admin-lock.ts";
import { type ReencryptProgress, keyIdsInUse, reencryptStore } from "./reencrypt.ts";

export interface RotateResult {
  /** Id of the new current master key. */
  newKeyId: number;
  /** Master key ids still in the key object afterwards. */
  keyIds: number[];
  /** With --reencrypt: objects rewritten, and whether the old keys could be retired. */
  rewritten?: number;
  retired?: boolean;
}

const ids = (ring: KeyRing) => ring.masters.map((m) => m.id).sort((a, b) => a - b);

/**
 * Adds a master key (unless `reencrypt` finds a rotation already started: then it resumes it), and with
 * `reencrypt` re-seals every object under it and drops the old keys from the key object. Refused while
 * mounted: a running mount keeps sealing with the key it unlocked.
 */
export async function rotateMasterKey(
  backend: Backend,
  url: string,
  passphrase: string | null,
  opts: { reencrypt: boolean; resumeOnly?: boolean; progress?: (p: ReencryptProgress) => void },
): Promise<RotateResult> {
  const before = await unlockKeyObject(backend, passphrase);
  if (before.plain) {
    throw new PassphraseUsageError(`${url} is a --plain filesystem: its keys are stored in the clear, so rotating them protects nothing`);
  }
  let ring = before.ring;
  const result = await withMountLock(backend, ringFsKeys(ring, false), url, "(coffer rotate-key)", async () => {
    if (!opts.resumeOnly) {
      ring = rotateKeyRing(ring);
      await writeKeyRing(backend, ring, passphrase, { argon2: before.argon2 });
    }
    const keys = ringFsKeys(ring, false);
    if (!opts.reencrypt) return { newKeyId: keys.keyId!, keyIds: ids(ring) };
    const done = await reencryptStore(backend, keys, new Set([LOCK_KEY]), opts.progress);
    return { newKeyId: keys.keyId!, keyIds: ids(ring), rewritten: done.rewritten };
  });
  if (!opts.reencrypt) return result;
  // The lock object was sealed with the old key: only now that it is gone can a last scan prove no
  // object needs an old key, and the old keys leave the key object.
  const inUse = await keyIdsInUse(backend, new Set([KEY_OBJECT]));
  const current = result.newKeyId;
  const stillOld = [...inUse].filter(([id]) => id !== current && id >= 0).reduce((n, [, c]) => n + c, 0);
  if (stillOld > 0) return { ...result, retired: false };
  const retired = retireOldKeys(ring);
  await writeKeyRing(backend, retired, passphrase, { argon2: before.argon2 });
  return { ...result, keyIds: ids(retired), retired: true };
}
