// Runs an offline administration step while holding the mount lock, so no mount can start (or be running) meanwhile.
import type { FsKeys } from "../crypto/keys.ts";
import { MountLock } from "../mount-lock.ts";
import type { Backend } from "../store/backend.ts";

/**
 * Takes the filesystem's mount lock (refused with one line naming where it is mounted), runs `step`,
 * and releases the lock whatever happens. `what` shows in the lock record, e.g. "(coffer rotate-key)".
 */
export async function withMountLock<T>(backend: Backend, keys: FsKeys, url: string, what: string, step: () => Promise<T>): Promise<T> {
  const lock = await MountLock.acquire(backend, keys, url, what);
  try {
    return await step();
  } finally {
    await lock.release();
  }
}
