// Errors are classified by type, not by class-name strings: user-facing kinds print their message, the rest say "unexpected".
import { expect, setDefaultTimeout, test } from "bun:test";
import { DaemonUnreachableError } from "../../src/control/client.ts";
import { DaemonMessageError } from "../../src/daemon/secrets-ipc.ts";
import { describeError } from "../../src/describe-error.ts";
import { WrongPassphraseError } from "../../src/fs/crypto/keys.ts";
import { LockObjectError } from "../../src/fs/mount-lock.ts";
import { CorruptObjectError } from "../../src/fs/store/codec.ts";
import { StorageUrlError } from "../../src/fs/store/url.ts";
import { UserError } from "../../src/user-error.ts";

setDefaultTimeout(120_000); // per file: bun test ignores bunfig's timeout (docs/testing.md)

test("user-facing error types keep their message; their exit codes hold", () => {
  expect(describeError(new UserError("say this", 3))).toEqual({ line: "say this", exitCode: 3 });
  expect(describeError(new DaemonUnreachableError("gone"))).toEqual({ line: "gone", exitCode: 2 });
  expect(describeError(new LockObjectError("bad")).line).toContain("not a valid mount lock");
  expect(describeError(new WrongPassphraseError("local:///x")).exitCode).toBe(2);
  expect(describeError(new StorageUrlError("x", "no scheme")).line).toContain("invalid storage URL");
  expect(describeError(new DaemonMessageError("secrets message", "auth: Required")).exitCode).toBe(1);
  const corrupt = Object.create(CorruptObjectError.prototype) as Error;
  expect(describeError(corrupt).exitCode).toBe(2); // a subclass is covered by its base (StoreError)
});

test("anything else is unexpected, even when it borrows a user-facing name", () => {
  const spoof = new Error("internal detail");
  spoof.name = "UserError";
  expect(describeError(spoof)).toEqual({ line: "unexpected error: internal detail (run with COFFER_DEBUG=1 for details)", exitCode: 1 });
  expect(describeError("a string").exitCode).toBe(1);
});
