// Creating a filesystem in a store, wired beside the composition root: key object, empty metadata, parameters.
import type { AuthInfo } from "../config/authinfo.ts";
import { createFilesystemKeys, keyObjectExists } from "./store/key-object.ts";
import { openStore, probeStore } from "./mount.ts";
import { LOCK_KEY } from "./mount-lock.ts";
import type { Backend } from "./store/backend.ts";
import { createFilesystemOnStore, DEFAULT_BLOCK_SIZE } from "./vfs/index.ts";
import { UserError } from "../user-error.ts";

export interface MkfsRequest {
  url: string;
  auth: AuthInfo;
  /** Replace an existing filesystem (its data is deleted). */
  force: boolean;
  blockSize?: number;
  /**
   * The passphrase, asked only after every check that can refuse (null: --plain, no encryption). Called
   * before anything is deleted, so a refused or interrupted mkfs --force keeps the old filesystem.
   */
  passphrase: () => string | null;
  /** Hears the removal of an old filesystem (--force): bytes removed of the total. */
  removing?: (removedBytes: number, totalBytes: number) => void;
}

/** Creates the filesystem and returns its block size; throws a UserError for every refusal. */
export async function makeFilesystem(req: MkfsRequest): Promise<{ blockSize: number }> {
  const backend = openStore(req.url, req.auth);
  try {
    await probeStore(backend);
    const exists = await keyObjectExists(backend);
    if (exists && !req.force) {
      throw new UserError(`a coffer filesystem already exists at ${req.url}; add --force to replace it (its data is lost)`);
    }
    const passphrase = req.passphrase();
    if (passphrase !== null && passphrase.length === 0) {
      throw new UserError("the encryption passphrase is empty; choose one, or use --plain for no encryption");
    }
    if (exists) {
      if (await backend.head(LOCK_KEY)) {
        throw new UserError(`the filesystem at ${req.url} is mounted, or was not unmounted cleanly; unmount it (coffer umount), or mount and unmount it once, before replacing it`);
      }
      await removeEverything(backend, req.removing);
    }
    const blockSize = req.blockSize ?? DEFAULT_BLOCK_SIZE;
    const keys = await createFilesystemKeys(backend, passphrase);
    await createFilesystemOnStore(backend, keys, { blockSize });
    return { blockSize };
  } finally {
    await backend.close();
  }
}

/** Deletes every object of the old filesystem (listed first, so progress knows the total). */
async function removeEverything(backend: Backend, removing?: (removedBytes: number, totalBytes: number) => void): Promise<void> {
  const objects: { key: string; size: number }[] = [];
  for await (const object of backend.list("")) objects.push(object);
  const total = objects.reduce((sum, o) => sum + o.size, 0);
  let removed = 0;
  for (let i = 0; i < objects.length; i += 1000) {
    const batch = objects.slice(i, i + 1000);
    await backend.deleteMany(batch.map((o) => o.key));
    removed += batch.reduce((sum, o) => sum + o.size, 0);
    removing?.(removed, total);
  }
}
