// `coffer rotate-key`: a new master key for every future object; `--reencrypt` re-seals the old ones and retires the old key.
import { absolutePath } from "./paths.ts";
import { z } from "zod";
import { rotateMasterKey } from "../fs/admin/rotate.ts";
import { openUnlocked } from "./unlock.ts";
import { parseOptions } from "./options.ts";

const RotateOptions = z.object({
  authfile: absolutePath.optional(),
  reencrypt: z.boolean().default(false),
  resume: z.boolean().default(false),
});

export async function rotateKeyCommand(url: string, rawOptions: unknown): Promise<void> {
  const opts = parseOptions(RotateOptions, rawOptions);
  const store = await openUnlocked(url, opts.authfile);
  const tty = process.stderr.isTTY;
  let result;
  try {
    result = await rotateMasterKey(store.backend, url, store.passphrase, {
      reencrypt: opts.reencrypt || opts.resume,
      resumeOnly: opts.resume,
      progress: (p) => {
        if (tty) process.stderr.write(`\r\x1b[Kre-encrypting: ${p.checked}/${p.total} objects checked, ${p.rewritten} rewritten`);
      },
    });
  } finally {
    if (tty) process.stderr.write("\r\x1b[K");
    await store.backend.close();
  }
  const lines = [
    opts.resume
      ? `Resumed the key rotation of ${url}: new objects are sealed with master key ${result.newKeyId}.`
      : `Rotated the master key of ${url}: new objects are sealed with master key ${result.newKeyId}.`,
  ];
  if (result.rewritten === undefined) {
    lines.push(`Objects sealed before stay readable with the older keys (the key object holds keys ${result.keyIds.join(", ")}).`);
    lines.push(`To re-seal them and retire the older keys: coffer rotate-key --resume ${url}`);
  } else if (result.retired) {
    lines.push(`Re-encrypted ${result.rewritten} objects; no object needs an older key, so the key object now holds key ${result.keyIds.join(", ")} only.`);
  } else {
    lines.push(`Re-encrypted ${result.rewritten} objects, but some objects still need an older key (written meanwhile?); run: coffer rotate-key --resume ${url}`);
  }
  process.stdout.write(`${lines.join("\n")}\n`);
}
