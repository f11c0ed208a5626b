// An error meant for a person: one line naming the problem and the fix, printed without a stack trace.

export class UserError extends Error {
  constructor(
    message: string,
    /** Process exit code the CLI uses for it. */
    readonly exitCode = 2,
  ) {
    super(message);
    this.name = "UserError";
  }
}
