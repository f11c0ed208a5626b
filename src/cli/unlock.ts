// Opens a filesystem's store and unlocks its keys for the administration commands (passphrase asked when not in authinfo).
import { loadAuthinfo, type AuthInfo } from "../config/authinfo.ts";
import type { FsKeys } from "../fs/crypto/keys.ts";
import { assertFilesystemExists, openStore } from "../fs/mount.ts";
import type { Backend } from "../fs/store/backend.ts";
import { unlockKeyObject } from "../fs/store/key-object.ts";
import { ringFsKeys } from "../fs/crypto/keys.ts";
import { askSecret } from "./prompt.ts";
import { completeBackendCredentials } from "./secrets.ts";

export interface UnlockedStore {
  backend: Backend;
  auth: AuthInfo;
  /** The passphrase that unlocked it; null for a --plain filesystem. */
  passphrase: string | null;
  plain: boolean;
  keys: FsKeys;
}

/** The store at `url` with its keys; the caller closes `backend`. Wrong passphrase: one line, nothing changed. */
export async function openUnlocked(url: string, authfile: string | undefined): Promise<UnlockedStore> {
  const auth = completeBackendCredentials(url, loadAuthinfo(url, authfile));
  const backend = openStore(url, auth);
  try {
    await assertFilesystemExists(backend, url);
    let passphrase = auth.fsPassphrase ?? null;
    let k;
    try {
      k = await unlockKeyObject(backend, passphrase);
    } catch (error) {
      if ((error as Error).name !== "PassphraseRequiredError") throw error;
      passphrase = askSecret(`Encryption passphrase for ${url}: `, "fs-passphrase");
      k = await unlockKeyObject(backend, passphrase);
    }
    return { backend, auth, passphrase: k.plain ? null : passphrase, plain: k.plain, keys: ringFsKeys(k.ring, k.plain) };
  } catch (error) {
    await backend.close();
    throw error;
  }
}
