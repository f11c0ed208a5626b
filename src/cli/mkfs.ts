// `coffer mkfs`: parses and asks; creating the filesystem is src/fs/mkfs.ts.
import { z } from "zod";
import { loadAuthinfo } from "../config/authinfo.ts";
import { makeFilesystem } from "../fs/mkfs.ts";
import { absolutePath } from "./paths.ts";
import { askNewSecret } from "./prompt.ts";
import { completeBackendCredentials } from "./secrets.ts";
import { sizeOption } from "./sizes.ts";
import { byteProgress } from "./progress.ts";
import { parseOptions } from "./options.ts";

const MkfsOptions = z.object({
  authfile: absolutePath.optional(),
  plain: z.boolean().default(false),
  force: z.boolean().default(false),
  blockSize: sizeOption
    .optional()
    .refine((n) => n === undefined || (n >= 64 * 1024 && n <= 64 * 1024 * 1024 && (n & (n - 1)) === 0), {
      message: "--block-size must be a power of two between 64K and 64M",
    }),
});

export async function mkfsCommand(url: string, rawOptions: unknown): Promise<void> {
  const opts = parseOptions(MkfsOptions, rawOptions);
  const auth = completeBackendCredentials(url, loadAuthinfo(url, opts.authfile));
  const progress = byteProgress();
  let blockSize: number;
  try {
    ({ blockSize } = await makeFilesystem({
      url,
      auth,
      force: opts.force,
      blockSize: opts.blockSize,
      passphrase: () => (opts.plain ? null : (auth.fsPassphrase ?? askNewSecret(`Encryption passphrase for ${url}: `, "fs-passphrase"))),
      removing: (removed, total) => progress.update("removing the old filesystem", removed, total, "removed"),
    }));
  } finally {
    progress.end();
  }
  const kind = opts.plain ? "unencrypted (--plain)" : "encrypted";
  process.stdout.write(`Created an ${kind} coffer filesystem at ${url} (block size ${blockSize / 1024} KiB).\nMount it with: coffer mount ${url} MOUNTPOINT\n`);
}
