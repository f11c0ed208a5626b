// `coffer mkfs`: creates a filesystem (master key, empty metadata, parameters) in a storage location.
import { z } from "zod";
import { loadAuthinfo } from "../config/authinfo.ts";
import { createFilesystemKeys, keyObjectExists } from "../fs/store/key-object.ts";
import { openStore, probeStore } from "../fs/mount.ts";
import { createFilesystemOnStore, DEFAULT_BLOCK_SIZE } from "../fs/vfs/index.ts";
import { LOCK_KEY } from "../fs/mount-lock.ts";
import { UserError } from "../user-error.ts";
import { askNewSecret } from "./prompt.ts";
import { completeBackendCredentials } from "./secrets.ts";
import { sizeOption } from "./sizes.ts";
import { byteProgress } from "./progress.ts";

const MkfsOptions = z.object({
  authfile: z.string().optional(),
  plain: z.boolean().default(false),
  force: z.boolean().default(false),
  blockSize: sizeOption
    .optional()
    .refine((n) => n === undefined || (n >= 64 * 1024 && n <= 64 * 1024 * 1024 && (n & (n - 1)) === 0), {
      message: "--block-size must be a power of two between 64K and 64M",
    }),
});

export async function mkfsCommand(url: string, rawOptions: unknown): Promise<void> {
  const parsed = MkfsOptions.safeParse(rawOptions);
  if (!parsed.success) throw new UserError(parsed.error.issues[0]!.message);
  const opts = parsed.data;
  const auth = completeBackendCredentials(url, loadAuthinfo(url, opts.authfile));
  const backend = openStore(url, auth);
  try {
    await probeStore(backend);
    const exists = await keyObjectExists(backend);
    if (exists && !opts.force) {
      throw new UserError(`a coffer filesystem already exists at ${url}; add --force to replace it (its data is lost)`);
    }
    // Every question and check before anything is deleted: a refused or interrupted mkfs --force keeps the old filesystem.
    const passphrase = opts.plain
      ? null
      : (auth.fsPassphrase ?? askNewSecret(`Encryption passphrase for ${url}: `, "fs-passphrase"));
    if (passphrase !== null && passphrase.length === 0) {
      throw new UserError("the encryption passphrase is empty; choose one, or use --plain for no encryption");
    }
    if (exists) {
      if (await backend.head(LOCK_KEY)) {
        throw new UserError(`the filesystem at ${url} is mounted, or was not unmounted cleanly; unmount it (coffer umount), or mount and unmount it once, before replacing it`);
      }
      await removeEverything(backend);
    }
    const blockSize = opts.blockSize ?? DEFAULT_BLOCK_SIZE;
    const keys = await createFilesystemKeys(backend, passphrase);
    await createFilesystemOnStore(backend, keys, { blockSize });
    const kind = opts.plain ? "unencrypted (--plain)" : "encrypted";
    process.stdout.write(`Created an ${kind} coffer filesystem at ${url} (block size ${blockSize / 1024} KiB).\nMount it with: coffer mount ${url} MOUNTPOINT\n`);
  } finally {
    await backend.close();
  }
}

/** Deletes every object of the old filesystem (listed first, so the progress bar knows the total). */
async function removeEverything(backend: Awaited<ReturnType<typeof openStore>>): Promise<void> {
  const objects: { key: string; size: number }[] = [];
  for await (const object of backend.list("")) objects.push(object);
  const total = objects.reduce((sum, o) => sum + o.size, 0);
  const progress = byteProgress();
  let removed = 0;
  try {
    for (let i = 0; i < objects.length; i += 1000) {
      const batch = objects.slice(i, i + 1000);
      await backend.deleteMany(batch.map((o) => o.key));
      removed += batch.reduce((sum, o) => sum + o.size, 0);
      progress.update("removing the old filesystem", removed, total, "removed");
    }
  } finally {
    progress.end();
  }
}
