// Re-seals every object of a filesystem under its current master key (`rotate-key --reencrypt`): resumable, with progress.
import { KEY_OBJECT } from "../store/key-object.ts";
import type { Backend } from "../store/backend.ts";
import { HEADER_LEN, readObjectHeader, resealObject } from "../store/codec.ts";
import type { FsKeys } from "../crypto/keys.ts";

export interface ReencryptProgress {
  /** Objects looked at so far, of `total`. */
  checked: number;
  total: number;
  /** Objects rewritten under the current key. */
  rewritten: number;
  rewrittenBytes: number;
}

export interface ReencryptResult extends ReencryptProgress {
  /** Objects still sealed by each older key id after the pass (all zero when it completed). */
  remainingByKey: Map<number, number>;
}

/** Ids of the master keys the objects in the store are sealed with, and how many objects each. */
export async function keyIdsInUse(backend: Backend, skip: ReadonlySet<string>): Promise<Map<number, number>> {
  const counts = new Map<number, number>();
  for await (const o of backend.list("")) {
    if (skip.has(o.key)) continue;
    const h = readObjectHeader(await backend.getRange(o.key, 0, HEADER_LEN));
    const id = h?.keyId ?? -1;
    counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  return counts;
}

/**
 * Rewrites each object not sealed by the current key (its header says which key sealed it: reading 40
 * bytes decides). Idempotent, so an interrupted run is resumed by running it again: objects already
 * rewritten are skipped for the price of a ranged read. Every put replaces an object atomically with the
 * same plaintext, role, generation and size, so a crash mid-way leaves each object readable.
 * The caller holds the mount lock (nothing else writes meanwhile); `skip` names objects to leave alone.
 */
export async function reencryptStore(
  backend: Backend,
  keys: FsKeys,
  skip: ReadonlySet<string>,
  progress: (p: ReencryptProgress) => void = () => {},
): Promise<ReencryptResult> {
  const names: string[] = [];
  for await (const o of backend.list("")) if (o.key !== KEY_OBJECT && !skip.has(o.key)) names.push(o.key);
  const p: ReencryptProgress = { checked: 0, total: names.length, rewritten: 0, rewrittenBytes: 0 };
  const current = keys.keyId ?? 0;
  const remainingByKey = new Map<number, number>();
  const one = async (name: string) => {
    const head = readObjectHeader(await backend.getRange(name, 0, HEADER_LEN));
    if (head && head.keyId !== current) {
      const resealed = resealObject(keys, name, await backend.get(name));
      if (resealed) {
        await backend.put(name, resealed);
        p.rewritten++;
        p.rewrittenBytes += resealed.length;
      }
    } else if (!head) {
      remainingByKey.set(-1, (remainingByKey.get(-1) ?? 0) + 1); // not a Coffer object: reported, left alone
    }
    p.checked++;
    progress({ ...p });
  };
  // A few requests at a time (the store's own limit decorator caps it further). On the first failure the
  // others stop taking work, and all have finished before we return: nothing writes once the lock is gone.
  const queue = [...names];
  let failure: { error: unknown } | null = null;
  await Promise.all(Array.from({ length: 8 }, async () => {
    for (let name = queue.shift(); name !== undefined && !failure; name = queue.shift()) {
      await one(name).catch((error) => (failure ??= { error }));
    }
  }));
  if (failure) throw (failure as { error: unknown }).error;
  return { ...p, remainingByKey };
}
