// `coffer fsck`: checks and repairs a filesystem that is not mounted (batch for services, interactive on a terminal).
import { absolutePath } from "./paths.ts";
import { resolve } from "node:path";
import { z } from "zod";
import { loadAuthinfo } from "../config/authinfo.ts";
import { unlockFilesystemKeys } from "../fs/store/key-object.ts";
import { DEFAULT_CACHE_ROOT, assertFilesystemExists, cacheDirFor, openStore } from "../fs/mount.ts";
import { fsckStore } from "../fs/fsck/fsck-store.ts";
import { UserError } from "../user-error.ts";
import { batchUi, terminalUi } from "./fsck-ui.ts";
import { askSecret } from "./prompt.ts";
import { completeBackendCredentials } from "./secrets.ts";
import { parseOptions } from "./options.ts";

const FsckOptions = z.object({
  batch: z.boolean().default(false),
  authfile: absolutePath.optional(),
  cachedir: absolutePath.optional(),
  forceUnlock: z.boolean().default(false),
});

export async function fsckCommand(url: string, rawOptions: unknown): Promise<void> {
  const opts = parseOptions(FsckOptions, rawOptions);
  const interactive = !opts.batch;
  if (interactive && (!process.stdin.isTTY || process.env.CI)) {
    throw new UserError("coffer fsck asks before each repair and there is no terminal here; run it with --batch to repair without asking");
  }
  const auth = completeBackendCredentials(url, loadAuthinfo(url, opts.authfile));
  const backend = openStore(url, auth);
  const ui = interactive && process.stderr.isTTY ? terminalUi() : batchUi((line) => process.stdout.write(`${line}\n`));
  try {
    await assertFilesystemExists(backend, url);
    let keys;
    try {
      keys = await unlockFilesystemKeys(backend, auth.fsPassphrase ?? null);
    } catch (error) {
      if ((error as Error).name !== "PassphraseRequiredError" || opts.batch) throw error;
      keys = await unlockFilesystemKeys(backend, askSecret(`Encryption passphrase for ${url}: `, "fs-passphrase"));
    }
    const cacheDir = cacheDirFor(resolve(opts.cachedir ?? DEFAULT_CACHE_ROOT), url);
    const result = await fsckStore({ backend, keys, url, cacheDir, forceUnlock: opts.forceUnlock, ui });
    ui.end();
    const left = result.problems.filter((p) => !p.repaired);
    const uploaded = result.uploadedBlocks ? `; ${result.uploadedBlocks} dirty blocks from the cache uploaded` : "";
    if (result.problems.length === 0) process.stdout.write(`${url}: no problems found${uploaded}.\n`);
    else if (left.length === 0) process.stdout.write(`${url}: repaired ${result.problems.length} kinds of problems${uploaded}.\n`);
    else {
      throw new UserError(`${url}: ${left.length} kinds of problems left unrepaired (${left.map((p) => p.title).join("; ")}); run coffer fsck again and answer y, or use --batch`, 1);
    }
  } finally {
    ui.end();
    await backend.close();
  }
}
