// Turns any error into the one line a person sees and an exit code. Typed: a class either is written for a
// person (its message names the problem and the fix) or it is unexpected and says so.
import { KeyObjectError, PassphraseRequiredError, PassphraseUsageError, WrongPassphraseError } from "./fs/crypto/keys.ts";
import { NoFilesystemError } from "./fs/store/key-object.ts";
import { StoreError } from "./fs/store/backend.ts";
import { BackendConfigError, StorageUrlError } from "./fs/store/open.ts";
import { UserError } from "./user-error.ts";

/**
 * Error classes whose message is already written for a person (UserError and its subclasses, such as
 * DaemonUnreachableError, DaemonMessageError and MetadataRollbackError, carry their own exit code); StoreError covers CorruptObjectError.
 */
const USER_FACING: ReadonlyArray<abstract new (...args: never[]) => Error> = [
  StorageUrlError, BackendConfigError, StoreError,
  WrongPassphraseError, PassphraseRequiredError, PassphraseUsageError, NoFilesystemError, KeyObjectError,
];

export function describeError(error: unknown): { line: string; exitCode: number } {
  if (error instanceof UserError) return { line: error.message, exitCode: error.exitCode };
  if (USER_FACING.some((kind) => error instanceof kind)) return { line: (error as Error).message, exitCode: 2 };
  const message = error instanceof Error ? error.message : String(error);
  return { line: `unexpected error: ${message} (run with COFFER_DEBUG=1 for details)`, exitCode: 1 };
}
