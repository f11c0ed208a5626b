// `coffer clear`: deletes a filesystem from its store (every object, the key last) and this machine's cache of it.
import { absolutePath } from "./paths.ts";
import { rmSync } from "node:fs";
import { z } from "zod";
import { clearFilesystem } from "../fs/admin/clear.ts";
import { DEFAULT_CACHE_ROOT, cacheDirFor } from "../fs/mount.ts";
import { UserError } from "../user-error.ts";
import { askLine } from "./prompt.ts";
import { openUnlocked } from "./unlock.ts";
import { parseOptions } from "./options.ts";

const ClearOptions = z.object({
  authfile: absolutePath.optional(),
  cachedir: absolutePath.optional(),
  yes: z.boolean().default(false),
});

export async function clearCommand(url: string, rawOptions: unknown): Promise<void> {
  const opts = parseOptions(ClearOptions, rawOptions);
  // Unlocking first proves the caller holds the passphrase: deleting needs no key, but asking for it
  // keeps a mistyped URL from destroying someone else's filesystem in a shared bucket.
  const store = await openUnlocked(url, opts.authfile);
  const tty = process.stderr.isTTY;
  let deleted;
  try {
    const confirm = () =>
      opts.yes ||
      askLine(`This deletes the filesystem at ${url} and all its data, for good.\nType its storage URL to confirm: `, "add --yes to delete without asking").trim() === url;
    deleted = await clearFilesystem(store.backend, store.keys, url, confirm, (p) => {
      if (tty) process.stderr.write(`\r\x1b[Kdeleting: ${p.deleted}/${p.total} objects`);
    });
  } finally {
    if (tty) process.stderr.write("\r\x1b[K");
    await store.backend.close();
  }
  if (!deleted) throw new UserError("the URL typed does not match; nothing was deleted");
  // This machine's cache of it would otherwise make a new filesystem at the same URL look rolled back.
  rmSync(cacheDirFor(opts.cachedir ?? DEFAULT_CACHE_ROOT, url), { recursive: true, force: true });
  process.stdout.write(`Deleted the filesystem at ${url} (${deleted.deleted} objects) and its cache on this machine.\n`);
}
