// Unlocking a filesystem's keys before mounting, once: the passphrase from authinfo, else asked through `ask`.
import type { AuthInfo } from "../config/authinfo.ts";
import { PassphraseRequiredError, type FsKeys } from "./crypto/keys.ts";
import { unlockFilesystemKeys } from "./store/key-object.ts";
import { assertFilesystemExists, openStore } from "./mount.ts";

/**
 * Opens the store once up front so a wrong passphrase or a missing bucket is said on the caller's terminal.
 * Returns the passphrase that worked (a detached daemon needs it) and the keys (a foreground mount uses
 * them as they are: the key derivation is deliberately slow and runs once).
 */
export async function unlockForMount(url: string, auth: AuthInfo, ask: () => string): Promise<{ passphrase: string | null; keys: FsKeys }> {
  const backend = openStore(url, auth);
  try {
    await assertFilesystemExists(backend, url);
    try {
      const passphrase = auth.fsPassphrase ?? null;
      return { passphrase, keys: await unlockFilesystemKeys(backend, passphrase) };
    } catch (error) {
      if (!(error instanceof PassphraseRequiredError)) throw error;
      const passphrase = ask();
      return { passphrase, keys: await unlockFilesystemKeys(backend, passphrase) };
    }
  } finally {
    await backend.close();
  }
}
