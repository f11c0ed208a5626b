// Turns any error into the one line a person sees, and the exit code; stacks only with COFFER_DEBUG=1.
import { UserError } from "../user-error.ts";

/** Errors whose message is already written for a person (they name the problem and the fix). */
const USER_FACING = new Set([
  "UserError", "DaemonUnreachableError", "StorageUrlError", "BackendConfigError", "StoreError",
  "WrongPassphraseError", "PassphraseRequiredError", "PassphraseUsageError", "NoFilesystemError", "KeyObjectError",
  "CorruptObjectError", "MetadataRollbackError",
]);

export function describeError(error: unknown): { line: string; exitCode: number } {
  if (error instanceof UserError) return { line: error.message, exitCode: error.exitCode };
  if (error instanceof Error && (USER_FACING.has(error.name) || USER_FACING.has(error.constructor.name))) {
    return { line: error.message, exitCode: 2 };
  }
  const message = error instanceof Error ? error.message : String(error);
  return { line: `unexpected error: ${message} (run with COFFER_DEBUG=1 for details)`, exitCode: 1 };
}

export function reportAndExit(error: unknown): never {
  const { line, exitCode } = describeError(error);
  process.stderr.write(`coffer: ${line.split("\n")[0]}\n`);
  if (process.env.COFFER_DEBUG && error instanceof Error) process.stderr.write(`${error.stack}\n`);
  process.exit(exitCode);
}
