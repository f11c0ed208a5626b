// The one message the foreground `coffer mount` sends its detached daemon: the secrets (never argv or the
// environment, which other users can read in /proc). One schema, used by the writer and the reader.
import { z } from "zod";
import type { AuthInfo } from "../config/authinfo.ts";
import { firstIssue } from "../schema-issue.ts";
import { UserError } from "../user-error.ts";

export const DaemonSecretsSchema = z.object({
  auth: z.object({
    backendLogin: z.string().optional(),
    backendPassword: z.string().optional(),
    fsPassphrase: z.string().optional(),
    backendOptions: z.record(z.string(), z.union([z.string(), z.literal(true)])),
  }),
  /** The filesystem passphrase as checked by the foreground process; null for a --plain filesystem. */
  passphrase: z.string().nullable(),
});
export type DaemonSecrets = z.infer<typeof DaemonSecretsSchema> & { auth: AuthInfo };

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


/** Checks the writer's side, so a bad message is caught where it is made. */
export function encodeSecrets(secrets: DaemonSecrets): DaemonSecrets {
  return parseSecrets(secrets);
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
