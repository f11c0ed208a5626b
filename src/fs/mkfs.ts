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
      await removeEverything(backend);
    }
    const blockSize = req.blockSize ?? DEFAULT_BLOCK_SIZE;
    const keys = await createFilesystemKeys(backend, passphrase);
    await createFilesystemOnStore(backend, keys, { blockSize });
    return { blockSize };
  } finally {
    await backend.close();
  }
}

async function removeEverything(backend: Backend): Promise<void> {
  let batch: string[] = [];
  for await (const object of backend.list("")) {
    batch.push(object.key);
    if (batch.length === 1000) {
      await backend.deleteMany(batch);
      batch = [];
    }
  }
  if (batch.length) await backend.deleteMany(batch);
}
