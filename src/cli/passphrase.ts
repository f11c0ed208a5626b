// `coffer passphrase`: re-wraps the master key under a new passphrase; the old one stops opening the filesystem.
//
// Allowed while mounted, as S3QL allows it: a mount unlocked the master key at start and never reads the
// key object again, and the master key does not change, so a running mount is unaffected. The one writer
// it could race is another administration command on the key object (rotate-key holds the mount lock
// while it writes): changePassphrase re-reads the key object just before writing and refuses if it
// changed, so a rotation's new key is never overwritten.
import { absolutePath } from "./paths.ts";
import { readFileSync } from "node:fs";
import { z } from "zod";
import { changePassphrase } from "../fs/store/key-object.ts";
import { UserError } from "../user-error.ts";
import { askNewSecret } from "./prompt.ts";
import { openUnlocked } from "./unlock.ts";
import { parseOptions } from "./options.ts";

const PassphraseOptions = z.object({
  authfile: absolutePath.optional(),
  newPassphraseFile: absolutePath.optional(),
});

/** The new passphrase from a file: its first line (a trailing newline is not part of it). */
function readPassphraseFile(path: string): string {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw new UserError(`cannot read --new-passphrase-file ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  const first = text.split(/\r?\n/)[0]!;
  if (!first) throw new UserError(`--new-passphrase-file ${path} is empty; put the new passphrase on its first line`);
  return first;
}

export async function passphraseCommand(url: string, rawOptions: unknown): Promise<void> {
  const opts = parseOptions(PassphraseOptions, rawOptions);
  // Read the new passphrase first: a missing file must not cost an argon2 run and a passphrase prompt.
  const fromFile = opts.newPassphraseFile !== undefined ? readPassphraseFile(opts.newPassphraseFile) : null;
  const store = await openUnlocked(url, opts.authfile);
  try {
    if (store.plain) throw new UserError(`${url} is a --plain filesystem: it has no passphrase to change`);
    const next = fromFile ?? askNewSecret(`New encryption passphrase for ${url}: `, "the new passphrase", "give it with --new-passphrase-file FILE");
    if (!next) throw new UserError("the new passphrase is empty; choose one");
    if (next === store.passphrase) throw new UserError("the new passphrase is the same as the current one; nothing changed");
    await changePassphrase(store.backend, store.passphrase!, next);
  } finally {
    await store.backend.close();
  }
  process.stdout.write(
    `Changed the passphrase of ${url}; the old one no longer opens it.\n` +
      `Update fs-passphrase in your authinfo file${opts.authfile ? ` (${opts.authfile})` : ""} before the next mount; a running mount is unaffected.\n`,
  );
}
