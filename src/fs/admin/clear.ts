// `coffer clear`: deletes every object of a filesystem from its store, the key object last.
import type { FsKeys } from "../crypto/keys.ts";
import type { Backend } from "../store/backend.ts";
import { KEY_OBJECT } from "../store/key-object.ts";
import { LOCK_KEY, MountLock } from "../mount-lock.ts";

export interface ClearProgress {
  deleted: number;
  total: number;
}

/**
 * Deletes the filesystem at `backend`. Takes the mount lock first (a mounted filesystem is refused with
 * one line, before any question), asks `confirm` (false: nothing deleted, returns null), then deletes data and metadata in batches, then the lock, and the key object last: an
 * interrupted clear leaves a filesystem that still unlocks and that `clear` can finish.
 */
export async function clearFilesystem(
  backend: Backend,
  keys: FsKeys,
  url: string,
  confirm: () => boolean,
  progress: (p: ClearProgress) => void = () => {},
): Promise<ClearProgress | null> {
  const lock = await MountLock.acquire(backend, keys, url, "(coffer clear)");
  let confirmed = false;
  try {
    confirmed = confirm();
  } finally {
    if (!confirmed) await lock.release(); // refused or no terminal: nothing deleted, lock given back
  }
  if (!confirmed) return null;
  const names: string[] = [];
  for await (const o of backend.list("")) if (o.key !== KEY_OBJECT && o.key !== LOCK_KEY) names.push(o.key);
  const p: ClearProgress = { deleted: 0, total: names.length + 2 };
  for (let i = 0; i < names.length; i += 1000) {
    const batch = names.slice(i, i + 1000);
    await backend.deleteMany(batch);
    p.deleted += batch.length;
    progress({ ...p });
  }
  await backend.delete(LOCK_KEY);
  await backend.delete(KEY_OBJECT);
  p.deleted += 2;
  progress({ ...p });
  return p;
}
