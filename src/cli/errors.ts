// Prints the one line a person sees for any error and exits; stacks only with COFFER_DEBUG=1.
import { describeError } from "../describe-error.ts";

export { describeError };

export function reportAndExit(error: unknown): never {
  const { line, exitCode } = describeError(error);
  process.stderr.write(`coffer: ${line.split("\n")[0]}\n`);
  if (process.env.COFFER_DEBUG && error instanceof Error) process.stderr.write(`${error.stack}\n`);
  process.exit(exitCode);
}
