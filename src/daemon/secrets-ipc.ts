// The one message the foreground `coffer mount` sends its detached daemon: the store credentials and the
// filesystem keys the foreground already unlocked (never argv or the environment, which other users can read
// in /proc). Sending the keys, not the passphrase, means the slow key derivation runs once per mount and the
// daemon never holds the passphrase. One schema, used by the writer and the reader.
import { z } from "zod";
import type { AuthInfo } from "../config/authinfo.ts";
import type { FsKeys } from "../fs/crypto/keys.ts";
import { firstIssue } from "../schema-issue.ts";
import { UserError } from "../user-error.ts";

/** A 32-byte key, base64 on the wire (the IPC channel carries JSON). */
const WireKey = z
  .string()
  .regex(/^[A-Za-z0-9+/]{43}=$/, "expected 32 bytes in base64")
  .transform((s) => new Uint8Array(Buffer.from(s, "base64")));

const WireKeys = z.object({
  plain: z.boolean(),
  data: WireKey,
  meta: WireKey,
  dedup: WireKey,
  keyId: z.number().int().nonnegative().optional(),
  previous: z.array(z.object({ id: z.number().int().nonnegative(), data: WireKey, meta: WireKey })).optional(),
});

export const DaemonSecretsSchema = z.object({
  /** Store credentials; fs-passphrase is not among them (the keys travel instead). */
  auth: z.object({
    backendLogin: z.string().optional(),
    backendPassword: z.string().optional(),
    backendOptions: z.record(z.string(), z.union([z.string(), z.literal(true)])),
  }),
  keys: WireKeys,
});
export interface DaemonSecrets {
  auth: AuthInfo;
  keys: FsKeys;
}

/** What the daemon answers once: the mount is usable, or why it is not. */
export const DaemonReportSchema = z.union([
  z.object({ ready: z.literal(true) }),
  z.object({ error: z.string(), exitCode: z.number().int() }),
]);
export type DaemonReport = z.infer<typeof DaemonReportSchema>;

/** Exit code 1, not 2: a bug or a version mismatch, not a configuration a restart could never fix. */
export class DaemonMessageError extends UserError {
  constructor(what: string, problem: string) {
    super(`the mount daemon received a malformed ${what} (${problem}); this is a bug in coffer or a mismatched version: run the same coffer binary for mount and daemon`, 1);
    this.name = "DaemonMessageError";
  }
}

const b64 = (k: Uint8Array): string => Buffer.from(k).toString("base64");

/** The JSON-safe message for `secrets`, checked with the reader's schema so a bad message is caught where it is made. */
export function encodeSecrets(secrets: DaemonSecrets): unknown {
  const { keys } = secrets;
  const { fsPassphrase: _notSent, ...auth } = secrets.auth;
  const wire = {
    auth,
    keys: {
      plain: keys.plain,
      data: b64(keys.data),
      meta: b64(keys.meta),
      dedup: b64(keys.dedup),
      keyId: keys.keyId,
      previous: keys.previous?.map((p) => ({ id: p.id, data: b64(p.data), meta: b64(p.meta) })),
    },
  };
  parseSecrets(wire);
  return wire;
}

/** The reader's side: the message as received, or one clear error. */
export function parseSecrets(message: unknown): DaemonSecrets {
  const parsed = DaemonSecretsSchema.safeParse(message);
  if (!parsed.success) throw new DaemonMessageError("secrets message", firstIssue(parsed.error, "message"));
  return parsed.data;
}

export function parseReport(message: unknown): DaemonReport {
  const parsed = DaemonReportSchema.safeParse(message);
  if (!parsed.success) throw new DaemonMessageError("report from the daemon", firstIssue(parsed.error, "message"));
  return parsed.data;
}
